"""Storkey learning: the rank-2 update against the former five-pass update.

    PYTHONPATH=.:benchmarks python benchmarks/bench_storkey_fit.py
        [--cases 200:1000 1000:200 2000:100] [--repeats 5]

For each ``N:P`` stores ``P`` random +/-1 patterns in ``N`` neurons with

- ``five-pass``: the update the library used before the rank-2 rewrite (``h = W x``,
  then ``W += (x x^T - x h^T - h x^T + 2 W) / N`` with three outer products,
  a scaling and the diagonal: five N x N passes and temporaries per pattern);
- ``rank-2``: :func:`skhopfield._core.classical.storkey_update` (one
  ``symv`` and one ``syr2`` on a triangle per pattern, the ``1 + 2/N``
  factor kept aside as a scalar);
- ``gemv``: the field ``W x`` alone, ``P`` times (the floor: every pattern's
  field must be computed).

Prints medians (interleaved repeats), microseconds per pattern, and the
ratios, plus the largest asymmetry ``max |W - W^T|`` of the five-pass result
(the rank-2 result is symmetric by construction).
"""

import argparse

import numpy as np

from _common import machine, paired_medians
from skhopfield._core.classical import storkey_update


def five_pass(W, S):
    W = np.array(W, dtype=float, copy=True)
    n = W.shape[0]
    for x in S:
        h = W @ x
        W += (np.outer(x, x) - np.outer(x, h) - np.outer(h, x) + 2.0 * W) / n
        np.fill_diagonal(W, 0.0)
    return W


def gemv_only(W, S):
    for x in S:
        W @ x


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=["200:1000", "1000:200", "2000:100"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    print()
    print("| N | P | five-pass us/pattern | rank-2 us/pattern | gemv us/pattern "
          "| five-pass / rank-2 | rank-2 / gemv | five-pass max asymmetry |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case in args.cases:
        N, P = (int(v) for v in case.split(":"))
        S = np.random.default_rng(0).choice([-1.0, 1.0], size=(P, N))
        Z = np.zeros((N, N))
        with np.errstate(all="ignore"):  # five-pass may overflow far past capacity
            old = five_pass(Z, S)
            t = paired_medians(
                {
                    "five-pass": lambda: five_pass(Z, S),
                    "rank-2": lambda: storkey_update(Z, S),
                    "gemv": lambda: gemv_only(old, S),
                },
                args.repeats,
            )
        us = {k: v / P * 1e6 for k, v in t.items()}
        print(
            f"| {N} | {P} | {us['five-pass']:.1f} | {us['rank-2']:.1f} | {us['gemv']:.1f} "
            f"| {t['five-pass'] / t['rank-2']:.2f} | {t['rank-2'] / t['gemv']:.2f} "
            f"| {np.abs(old - old.T).max():.1e} |"
        )


if __name__ == "__main__":
    main()
