"""Retrieval time of the three memories against stored patterns, queries, features.

    PYTHONPATH=.:benchmarks python benchmarks/scaling.py [--repeats 5]
        [--memories classical dense modern] [--scale 1] [--no-jobs]

At the estimator level: ``HopfieldMemory.transform`` and
``DenseAssociativeMemory.transform`` with ``max_iter=1`` (exactly one
asynchronous sweep from random +/-1 cues, so every sweep does the same work,
plus the nearest-pattern search), and ``ModernHopfieldClassifier.predict``
(defaults, Gaussian data).  For each memory one of P (stored patterns), Q
(queries), N (features) is doubled twice while the other two stay at the
base size; the sizes of one sweep are timed interleaved (``paired_times``),
BLAS on one thread and ``n_jobs=1``, and the log-log slope of the median
times is fitted.  Expected: slope 1 in P and Q, and in N 2 for the classical
network (a sweep updates N fields per flipped neuron: O(Q N^2), and its cost
does not depend on P at all except for the O(Q P N) nearest-pattern search),
1 for the dense memory (O(Q N P): one length-P dot product per neuron) and 1
for the modern one (GEMM, O(Q N P)).

Then ``n_jobs=1`` vs ``n_jobs=2`` (joblib's default backend, BLAS on one
thread in each) at the base size with 4x the queries: the speed-up, paired.
``--scale`` multiplies every base size of Q (the cheapest knob).
"""

import argparse
import warnings

import numpy as np
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from _common import loglog_slope, machine, paired_ratio, paired_times
from skhopfield import DenseAssociativeMemory, HopfieldMemory, ModernHopfieldClassifier
from skhopfield.datasets import make_binary_patterns

# memory -> (estimator, base (P, Q, N))
MEMORIES = {
    "classical": (HopfieldMemory(max_iter=1, random_state=0), (200, 1000, 400)),
    "dense": (DenseAssociativeMemory(order=3, max_iter=1, random_state=0), (400, 500, 200)),
    "modern": (ModernHopfieldClassifier(), (5000, 1000, 256)),
}


def make_case(memory, n_patterns, n_queries, n_features):
    """A fitted estimator and the function whose time is measured."""
    est = clone(MEMORIES[memory][0])
    if memory == "modern":
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n_patterns, n_features))
        y = rng.integers(0, 10, n_patterns)
        Q = rng.standard_normal((n_queries, n_features))
        est.fit(X, y)
        return est, lambda: est.predict(Q)
    X = make_binary_patterns(n_patterns, n_features, random_state=0)
    Q = make_binary_patterns(n_queries, n_features, random_state=1)
    est.fit(X)
    return est, lambda: est.transform(Q)


def sweeps(memory, args):
    base = list(MEMORIES[memory][1])
    base[1] *= args.scale
    rows, slopes = [], {}
    for axis, name in enumerate("PQN"):
        sizes = [base[axis] * f for f in (1, 2, 4)]
        funcs = {}
        for s in sizes:
            shape = list(base)
            shape[axis] = s
            funcs[tuple(shape)] = make_case(memory, *shape)[1]
            funcs[tuple(shape)]()  # warm up
        t = paired_times(funcs, args.repeats)
        med = [float(np.median(t[k])) for k in funcs]
        slopes[name] = loglog_slope(sizes, med)
        for shape, m in zip(funcs, med):
            p, q, n = shape
            unit = q * n * n if memory == "classical" else p * q * n
            rows.append((name, *shape, m, 1e9 * m / unit))
    return rows, slopes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memories", nargs="+", default=list(MEMORIES))
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--no-jobs", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # over-capacity memories warn about convergence
    print(machine())
    print(f"median of {args.repeats} interleaved repeats, BLAS 1 thread, n_jobs=1; "
          "unit = Q N^2 (classical), P Q N (dense, modern)")
    print("| memory | vary | P | Q | N | time (s) | ns / unit |\n|---|---|---|---|---|---|---|")
    summary = {}
    with threadpool_limits(1):
        for memory in args.memories:
            rows, summary[memory] = sweeps(memory, args)
            for vary, p, q, n, t, per in rows:
                print(f"| {memory} | {vary} | {p} | {q} | {n} | {t:.4f} | {per:.3f} |",
                      flush=True)
    print("\n| memory | slope in P | slope in Q | slope in N | expected (P, Q, N) |")
    print("|---|---|---|---|---|")
    expected = {"classical": "~0 (+ nearest search), 1, 2", "dense": "1, 1, 1",
                "modern": "1, 1, 1"}
    for memory, s in summary.items():
        print(f"| {memory} | {s['P']:.2f} | {s['Q']:.2f} | {s['N']:.2f} | {expected[memory]} |")
    if args.no_jobs:
        return
    print("\n| memory | P | Q | N | n_jobs=1 (s) | n_jobs=2 (s) | speed-up (paired) |")
    print("|---|---|---|---|---|---|---|")
    with threadpool_limits(1):
        for memory in args.memories:
            p, q, n = MEMORIES[memory][1]
            q *= 4 * args.scale
            funcs = {}
            for jobs in (1, 2):
                est, _ = make_case(memory, p, 1, n)
                est.set_params(n_jobs=jobs)
                Q = (np.random.default_rng(1).standard_normal((q, n)) if memory == "modern"
                     else make_binary_patterns(q, n, random_state=1))
                run = est.predict if memory == "modern" else est.transform
                funcs[jobs] = (lambda run=run, Q=Q: run(Q))
                funcs[jobs]()  # warm up (starts the workers)
            t = paired_times(funcs, args.repeats)
            print(f"| {memory} | {p} | {q} | {n} | {np.median(t[1]):.3f} | "
                  f"{np.median(t[2]):.3f} | {1 / paired_ratio(t, 2, 1):.2f} |", flush=True)


if __name__ == "__main__":
    main()
