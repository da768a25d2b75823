"""Measured capacity of the binary memories, each under its theory's own criterion.

    PYTHONPATH=.:benchmarks python benchmarks/capacity.py [--quick]
        [--theories ags mceliece storkey pseudoinverse kh2 kh3 kh4 demircigil]
        [--n-queries 500] [--n-trials 100] [--step 1.15] [--seed 0]
        [--json benchmarks/results/capacity.json]

Each capacity result of the literature counts a pattern as stored in its
own way; a single criterion (say "99% of noisy cues recalled exactly")
compares none of them fairly.  Here each theory is measured under its own
criterion, for several N, and the measured capacity is divided by the
predicted one.  The criteria (``skhopfield.inspection``: the same code as
``CapacityDisplay``):

- ``ags``: Hebbian rule, Amit, Gutfreund & Sompolinsky (1985), ``0.138 N``.
  Criterion ``overlap``: started from the stored pattern itself, the
  asynchronous dynamics end on a state whose overlap with it is at least
  ``OVERLAP_THRESHOLD`` = 0.95 (a few wrong bits allowed: their retrieval
  state keeps ``m >= 0.967`` up to the critical load); capacity at the 50%
  point of the probed patterns.
- ``mceliece``: Hebbian rule, McEliece, Posner, Rodemich & Venkatesh (1987),
  ``N / (4 ln N)``.  Criterion ``all_stable``: every stored pattern is a
  fixed point; capacity where half of ``--n-trials`` memories are.
- ``storkey``: Storkey's rule, Storkey (1997), ``N / sqrt(2 ln N)``; the
  same ``all_stable`` criterion.
- ``pseudoinverse``: Personnaz et al. (1986), ``N``; ``all_stable`` up to
  ``P = N - 1`` (at ``P >= N`` the couplings vanish and every state is a
  fixed point, so the criterion says nothing): a lower bound.
- ``kh2``, ``kh3``, ``kh4``: dense polynomial memory of order n, Krotov &
  Hopfield (2016), ``N^(n-1) / (2 (2n-3)!! ln N)``.  Criterion ``stable``: a
  probed stored pattern is a fixed point; capacity where 90% of them are.
- ``demircigil``: exponential dense memory (beta 1), Demircigil, Heusel,
  Löwe, Upgang & Vermet (2017), a lower bound ``exp(alpha N)`` with ``alpha
  = I(1 - 2 rho) / 2``, ``I(x) = ((1+x) ln(1+x) + (1-x) ln(1-x)) / 2``, for
  cues with ``rho N`` wrong bits (``--flip``, 0.1).  Criterion ``recall``:
  the cue's asynchronous dynamics end exactly on the stored pattern;
  capacity at the 50% point.  Also reported: the slope of ``ln P*`` against
  N (exponential growth: a straight line) beside ``alpha``.  N is a
  multiple of 10 so that ``rho N`` is a whole number of bits; P* grows
  about 25-fold per 10 neurons, which keeps N at 30 and below.

Harness: for each theory and N, a geometric grid of P (ratio ``--step``,
from a quarter of the theory) is walked up until the fraction falls below
the level; the capacity is interpolated in ``log P`` between the last grid
point that meets the level and the first that does not.  At each P, fresh
random +/-1 patterns are drawn (seeded from ``--seed``, N, P and the draw)
until about ``--n-queries`` patterns are probed (``all_stable``: exactly
``--n-trials`` memories).  The dynamics models are driven directly
(``skhopfield._core``), with BLAS limited to ``--threads``; nothing else
runs in between.  No timing is reported: the result does not depend on the
machine's load.

Writes ``--json`` (default ``benchmarks/results/capacity.json``; ``--quick``
writes ``capacity_quick.json``) with the machine, the commit and this
harness; ``python benchmarks/report.py`` draws it.

The former single-criterion scan (and the simplicial networks) is
``capacity_recall.py``.
"""

import argparse
import math
import time

import numpy as np
from threadpoolctl import threadpool_limits

from _common import harness_line, write_results
from capacity_recall import make_model
from skhopfield import DenseAssociativeMemory, HopfieldMemory
from skhopfield._core.binary import run_dynamics
from skhopfield.datasets import flip_bits, make_binary_patterns
from skhopfield.inspection import (
    _CRITERIA,
    OVERLAP_THRESHOLD,
    _crossing,
    _entropy_rate,
    theoretical_capacity,
)

# name -> (label, estimator giving the theory, model interaction, order,
#          criterion, default N, quick N, reference)
THEORIES = {
    "ags": ("Hebbian, Amit et al. 1985: 0.138 N", HopfieldMemory("hebbian"),
            "hebbian", 0, "overlap", [100, 200, 400, 800, 1600], [100, 200],
            "Amit, Gutfreund & Sompolinsky 1985"),
    "mceliece": ("Hebbian, McEliece et al. 1987: N / (4 ln N)", HopfieldMemory("hebbian"),
                 "hebbian", 0, "all_stable", [100, 200, 400, 800, 1600], [100, 200],
                 "McEliece, Posner, Rodemich & Venkatesh 1987"),
    "storkey": ("Storkey 1997: N / sqrt(2 ln N)", HopfieldMemory("storkey"),
                "storkey", 0, "all_stable", [100, 200, 400, 800], [100],
                "Storkey 1997"),
    "pseudoinverse": ("pseudo-inverse, Personnaz et al. 1986: N",
                      HopfieldMemory("pseudoinverse"), "pseudoinverse", 0,
                      "all_stable", [50, 100, 200, 400], [50],
                      "Personnaz, Guyon & Dreyfus 1986"),
    "kh2": ("dense n=2, Krotov & Hopfield 2016", DenseAssociativeMemory(order=2),
            "polynomial", 2, "stable", [100, 200, 400, 800], [100, 200],
            "Krotov & Hopfield 2016"),
    "kh3": ("dense n=3, Krotov & Hopfield 2016", DenseAssociativeMemory(order=3),
            "polynomial", 3, "stable", [50, 100, 200, 400], [50, 100],
            "Krotov & Hopfield 2016"),
    "kh4": ("dense n=4, Krotov & Hopfield 2016", DenseAssociativeMemory(order=4),
            "polynomial", 4, "stable", [30, 50, 80, 120], [30],
            "Krotov & Hopfield 2016"),
    "demircigil": ("exponential, Demircigil et al. 2017: exp(alpha N)",
                   DenseAssociativeMemory("exponential"), "exponential", 3, "recall",
                   [10, 20, 30], [10, 20],
                   "Demircigil, Heusel, Löwe, Upgang & Vermet 2017"),
}

HARNESS = (
    "per theory and N: geometric grid of P from theory/4 (ratio {step}) walked up to "
    "the first P below the criterion's level; fresh random patterns at every P until "
    "~{n_queries} patterns probed (all_stable: {n_trials} memories); asynchronous "
    "dynamics (max {max_iter} sweeps), dynamics models driven directly, BLAS {threads} "
    "thread(s); capacity interpolated in log P; no timing"
)


def fraction(theory, n, p, args, rng_seed):
    """Fraction of probes (patterns, or memories for all_stable) meeting the criterion."""
    _, _, interaction, order, criterion, *_ = THEORIES[theory]
    if criterion == "all_stable":
        n_draws, per_draw = args.n_trials, None
    else:
        per_draw = min(p, args.n_queries)
        n_draws = -(-args.n_queries // per_draw)
    hits = []
    for draw in range(n_draws):
        seed = (rng_seed * 1_000_003 + p) * 1_009 + draw
        X = make_binary_patterns(p, n, random_state=seed % 2**32)
        model = make_model(X, interaction, order, 1.0, seed=seed % 2**32)
        if criterion == "all_stable":
            ST = np.ascontiguousarray(X.T)
            hits.append(bool((model.sync_step(ST) == ST).all()))
            continue
        picks = np.random.RandomState(seed % 2**32).permutation(p)[:per_draw]
        XP = X[picks]
        if criterion == "stable":
            ST = np.ascontiguousarray(XP.T)
            hits.extend((model.sync_step(ST) == ST).all(axis=0))
        elif criterion == "overlap":
            states, *_ = run_dynamics(model, XP, update="async",
                                      max_iter=args.max_iter, seed=seed % 2**32)
            hits.extend((states * XP).mean(axis=1) >= OVERLAP_THRESHOLD)
        else:  # recall from noisy cues
            cues = flip_bits(XP, args.flip, random_state=(seed + 2) % 2**32)
            states, *_ = run_dynamics(model, cues, update="async",
                                      max_iter=args.max_iter, seed=seed % 2**32)
            hits.extend((states == XP).all(axis=1))
    return float(np.mean(hits)), len(hits)


def measure(theory, n, args):
    label, estimator, interaction, order, criterion, *_ = THEORIES[theory]
    level = _CRITERIA[criterion][1]
    predicted = theoretical_capacity(estimator, n, criterion=criterion, noise=args.flip)
    stop = n - 1 if theory == "pseudoinverse" else 10**7
    p = max(2, int(predicted / 4))
    if theory == "demircigil":
        p = max(2, int(predicted / 8))
    grid, fractions = [], []
    while True:
        t0 = time.perf_counter()
        f, probes = fraction(theory, n, p, args, args.seed * 7919 + n)
        grid.append(p)
        fractions.append(f)
        print(f"  {theory:<13} N={n:<4} P={p:>7}  {criterion:<10} {f:6.3f}  "
              f"probes {probes:>4}  {time.perf_counter() - t0:6.1f}s", flush=True)
        if f < level or p >= stop:
            break
        p = min(stop, max(p + 1, int(round(p * args.step))))
    measured, status = _crossing(grid, fractions, level)
    return {
        "n_features": n,
        "theory": predicted,
        "measured": measured,
        "status": status,
        "ratio": None if measured is None else measured / predicted,
        "grid": grid,
        "fractions": fractions,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theories", nargs="+", default=list(THEORIES),
                        choices=list(THEORIES))
    parser.add_argument("--n-features", type=int, nargs="+", default=None,
                        help="N values for every theory (default: each theory's own)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer N, fewer probes (about a minute or two)")
    parser.add_argument("--n-queries", type=int, default=500)
    parser.add_argument("--n-trials", type=int, default=100)
    parser.add_argument("--flip", type=float, default=0.1)
    parser.add_argument("--step", type=float, default=1.15)
    parser.add_argument("--max-iter", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.quick:
        args.n_queries, args.n_trials = min(args.n_queries, 150), min(args.n_trials, 20)
        args.step = max(args.step, 1.25)
    path = args.json or ("benchmarks/results/capacity_quick.json" if args.quick
                         else "benchmarks/results/capacity.json")
    harness = HARNESS.format(**vars(args))
    print(harness_line(harness))
    results = {}
    with threadpool_limits(args.threads):
        for theory in args.theories:
            label, estimator, _, order, criterion, sizes, quick, ref = THEORIES[theory]
            sizes = args.n_features or (quick if args.quick else sizes)
            rows = [measure(theory, n, args) for n in sizes]
            entry = {
                "label": label,
                "reference": ref,
                "criterion": criterion,
                "criterion_text": _CRITERIA[criterion][0],
                "level": _CRITERIA[criterion][1],
                "rows": rows,
            }
            if theory == "demircigil":
                alpha = _entropy_rate(1 - 2 * args.flip) / 2
                ok = [r for r in rows if r["measured"] is not None]
                entry["alpha_theory"] = alpha
                if len(ok) >= 2:
                    entry["alpha_measured"] = float(np.polyfit(
                        [r["n_features"] for r in ok],
                        [math.log(r["measured"]) for r in ok], 1)[0])
            results[theory] = entry
            write_results(path, "capacity", harness,  # after each theory: kept if stopped
                          {"flip": args.flip, "theories": results})

    print()
    print(f"| theory | criterion | N | predicted | measured | measured / predicted |")
    print("|---|---|---|---|---|---|")
    for theory, entry in results.items():
        for r in entry["rows"]:
            m = "-" if r["measured"] is None else f"{r['measured']:.1f}"
            if r["status"] == "above":
                m = ">= " + m
            ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
            print(f"| {entry['label']} | {entry['criterion']} (level {entry['level']}) | "
                  f"{r['n_features']} | {r['theory']:.1f} | {m} | {ratio} |")
        if "alpha_measured" in entry:
            print(f"|  | slope of ln P* in N | | alpha = {entry['alpha_theory']:.3f} | "
                  f"{entry['alpha_measured']:.3f} | |")


if __name__ == "__main__":
    main()
