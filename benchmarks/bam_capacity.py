"""Measured capacity of the bidirectional associative memory beside the theory.

    PYTHONPATH=.:benchmarks python benchmarks/bam_capacity.py [--sizes 64x32 64x64
        128x64] [--rules correlation pseudoinverse] [--flip 0.1] [--n-probes 400]
        [--seed 0]

For each layer size ``N x M`` and pattern set, P pairs are stored for a grid
of P, and every stored pair is probed (fresh sets are drawn until about
``--n-probes`` pairs are probed):

- *stable*: the pair is a fixed point of the alternation (``fit``'s own
  self-check, ``stable_patterns_``);
- *forward*: from ``x`` with ``round(flip * N)`` units flipped, recall ends
  on exactly ``(x, y)``;
- *backward*: from ``y`` with ``round(flip * M)`` units flipped, recall ends
  on exactly ``(x, y)``.

Pattern sets:

- *orthogonal*: the x's are distinct rows of a Hadamard matrix (columns
  permuted, signs flipped), the y's likewise, as long as there are enough
  (``P <= N`` and ``P <= M``); beyond that the extra rows are random.  Kosko
  (1988): with the correlation rule every pair of an orthogonal set is a
  fixed point as long as both sides are orthogonal, so up to ``min(N, M)``.
- *random*: independent uniform +/-1 units.  The cross-talk on a unit is a
  sum of ``P - 1`` random terms of size ``N`` (or ``M``) against a signal of
  ``N`` (or ``M``), so every unit of every pair stays right only while about
  ``P <= min(N, M) / (2 ln(P max(N, M)))``: of order ``min(N, M) / (2 ln
  min(N, M))``, far fewer than ``min(N, M)`` (the same argument gives the
  Hopfield network's ``N / (4 ln N)``; the BAM's ``x`` units see a field of
  ``M`` terms, its ``y`` units one of ``N``).

Capacity (the table): the largest P of the grid at which, and at every
smaller P, at least 99% of the probed pairs pass (stable / forward /
backward).
"""

import argparse
import math

import numpy as np
from _common import machine
from scipy.linalg import hadamard

from skhopfield import BidirectionalAssociativeMemory
from skhopfield.datasets import flip_bits, make_binary_patterns


def orthogonal_set(n_pairs, n_units, rng):
    """``n_pairs`` +/-1 rows: orthogonal while ``n_pairs <= n_units``, then random."""
    n_orth = min(n_pairs, n_units)
    H = hadamard(n_units).astype(float)
    rows = H[rng.choice(n_units, n_orth, replace=False)]
    rows = rows[:, rng.permutation(n_units)] * rng.choice([-1.0, 1.0], n_units)
    extra = rng.choice([-1.0, 1.0], (n_pairs - n_orth, n_units))
    return np.vstack([rows, extra])


def probe(n, m, n_pairs, kind, rule, args):
    n_trials = -(-args.n_probes // n_pairs)
    stable = forward = backward = probed = 0
    for trial in range(n_trials):
        seed = (args.seed * 100_003 + n_pairs) * 1_009 + trial
        rng = np.random.default_rng(seed)
        if kind == "orthogonal":
            X, Y = orthogonal_set(n_pairs, n, rng), orthogonal_set(n_pairs, m, rng)
        else:
            X = make_binary_patterns(n_pairs, n, random_state=seed)
            Y = make_binary_patterns(n_pairs, m, random_state=seed + 1)
        bam = BidirectionalAssociativeMemory(rule, max_iter=200).fit(X, Y)
        fwd = bam.retrieve(flip_bits(X, args.flip, random_state=seed + 2))
        bwd = bam.retrieve_backward(flip_bits(Y, args.flip, random_state=seed + 3))
        stable += int(bam.stable_patterns_.sum())
        forward += int(((fwd.states == X).all(1) & (fwd.targets == Y).all(1)).sum())
        backward += int(((bwd.states == X).all(1) & (bwd.targets == Y).all(1)).sum())
        probed += n_pairs
    return stable / probed, forward / probed, backward / probed, probed


def random_theory(n, m):
    """Largest P with P <= min(N, M) / (2 ln(P max(N, M))) (see the docstring)."""
    p = 1
    while p + 1 <= min(n, m) / (2 * math.log((p + 1) * max(n, m))):
        p += 1
    return p


def grid(n, m):
    top = 2 * min(n, m)
    return sorted({int(round(v)) for v in np.geomspace(1, top, 24)} | {min(n, m)})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["64x32", "64x64", "128x64"])
    parser.add_argument("--rules", nargs="*", default=["correlation", "pseudoinverse"])
    parser.add_argument("--kinds", nargs="*", default=["orthogonal", "random"])
    parser.add_argument("--flip", type=float, default=0.1)
    parser.add_argument("--n-probes", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    print(machine())
    print(f"flip={args.flip} probes>={args.n_probes} per P, seed={args.seed}\n")
    rows = []
    for size in args.sizes:
        n, m = (int(v) for v in size.split("x"))
        for rule in args.rules:
            for kind in args.kinds:
                cap = dict.fromkeys(("stable", "forward", "backward"))
                ok = dict.fromkeys(cap, True)
                for p in grid(n, m):
                    fracs = probe(n, m, p, kind, rule, args)
                    if args.verbose:
                        print(f"  {size} {rule} {kind} P={p}: " + " ".join(f"{f:.3f}" for f in fracs[:3]))
                    for key, frac in zip(cap, fracs):
                        ok[key] = ok[key] and frac >= 0.99
                        if ok[key]:
                            cap[key] = p
                    if not any(ok.values()):
                        break
                theory = min(n, m) if kind == "orthogonal" else random_theory(n, m)
                rows.append((f"{n} x {m}", rule, kind, theory, cap))
    print("| N x M | rule | pairs | theory (correlation) | stable | forward 10% | backward 10% |")
    print("|---|---|---|---|---|---|---|")
    for size, rule, kind, theory, cap in rows:
        cells = " | ".join(str(cap[k]) if cap[k] is not None else "<1" for k in cap)
        print(f"| {size} | {rule} | {kind} | {theory} | {cells} |")


if __name__ == "__main__":
    main()
