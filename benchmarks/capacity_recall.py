"""Measured capacity of every binary memory beside the theory, one criterion for all.

This is the former ``capacity.py``: it applies the same criteria (99% of
noisy cues recalled exactly; 99% or 100% of the patterns stable) to every
memory, at one N.  ``capacity.py`` now measures each theory under its own
criterion; this scan stays for the simplicial networks and the lab notes.

    python benchmarks/capacity_recall.py [--n-features 100] [--rules hebbian storkey
        pseudoinverse] [--orders 2 3 4] [--exp-betas 1.0 0.1 0.03 0.01]
        [--n-queries 500] [--flip 0.1] [--step 1.15] [--exp-step 2]
        [--exp-max 16000] [--seed 0] [--threads 1]
        [--simplicial K1 R12 K2 ...] [--normalization dimension uniform]

Classical learning rules (HopfieldMemory) and interactions of the dense
memory (DenseAssociativeMemory).  For each, P random +/-1 patterns are stored
for a geometric grid of P (ratio ``--step``); a random sample of
``--n-queries`` stored patterns is
probed (when P is smaller, fresh memories of P patterns are drawn until about
that many patterns are probed) in two ways:

- *stable*: started at the pattern itself, one asynchronous sweep changes
  nothing (the pattern is a fixed point);
- *recalled*: started from the pattern with ``round(flip * N)`` bits flipped,
  asynchronous dynamics run to a fixed point and end exactly on the pattern.

Criterion: the capacity is the largest P of the grid such that at that P and
every smaller P of the grid at least 99% of the probed patterns are recalled
(and, in a second column, stable; in a third, 100% stable).  It is printed
beside Krotov & Hopfield's estimate ``N^(n-1) / (2 (2n-3)!! ln N)`` for the
polynomial of order n, the number of patterns that are *all* stable with
high probability.  The classical rules are printed beside Amit et al.'s
critical load ``0.138 N`` (recall with about 1.6% wrong bits; exact recall of
all patterns holds up to about ``N / (4 ln N)``), Storkey's ``N / sqrt(2 ln
N)`` and the pseudo-inverse rule's ``N``.  The polynomial grids start at a
quarter of the theory.
The exponential interaction's capacity is exponential in N and beyond reach
for ``beta`` of order 1: its coarser grid (ratio ``--exp-step`` from P = 4)
stops at ``--exp-max`` and reports a lower bound; small ``beta`` (of order
``1/N``) shows where the linear term of ``exp`` takes over and the capacity
collapses.

Simplicial Hopfield networks (SimplicialHopfieldMemory, Burns & Fukai 2023)
with ``--simplicial SPEC ...``, each SPEC a comma-separated list of
``dim:count`` (``count`` an int or ``all``), e.g. ``1:all`` (the all-pairs
network), ``1:2475,2:2475`` (half the all-pairs connection count as random
edges, half as random triangles), ``1:all,2:all`` (the full 2-skeleton); a
fresh random complex is drawn for every memory.  Named shortcuts at N = 100
(counts scale with C(N, 2)): ``K1`` = ``1:all``, ``K2`` = ``1:all,2:all``,
``R12`` = half/half, ``R12b`` = two thirds edges, one third triangles,
``R2`` = triangles only, all at the all-pairs connection count.  Each is run
under every ``--normalization`` (``dimension``: ``w = N^-d sum prod x``;
``uniform``: ``N^-1 sum prod x``).  Use ``--rules --orders --exp-betas``
with no values to run the simplicial networks alone.

Drives the dynamics models directly (the estimators' ``fit`` would add its
self-check of every stored pattern to each memory drawn).
"""

import argparse
import math
import time

import numpy as np
from threadpoolctl import threadpool_limits

from skhopfield._core.binary import run_dynamics
from skhopfield._core.classical import (
    ClassicalModel,
    hebbian_weights,
    pseudoinverse_weights,
    storkey_update,
)
from skhopfield._core.dense import DenseModel
from skhopfield._core.simplicial import (
    SimplicialModel,
    n_all_simplices,
    sample_simplices,
    simplex_sums,
)
from skhopfield.datasets import flip_bits, make_binary_patterns


def theory(n_features, order):
    double_factorial = math.prod(range(2 * order - 3, 0, -2))
    return n_features ** (order - 1) / (2 * double_factorial * math.log(n_features))


CLASSICAL_THEORY = {
    "hebbian": lambda n: 0.138 * n,
    "storkey": lambda n: n / math.sqrt(2 * math.log(n)),
    "pseudoinverse": lambda n: n,
}


def simplicial_spec(spec, n_features):
    """``{dim: count or None}`` of a ``--simplicial`` SPEC (see the docstring)."""
    edges = n_all_simplices(n_features, 1)
    named = {
        "K1": "1:all",
        "K2": "1:all,2:all",
        "K3": "1:all,2:all,3:all",
        "R12": f"1:{edges // 2},2:{edges - edges // 2}",
        "R12b": f"1:{2 * edges // 3},2:{edges - 2 * edges // 3}",
        "R2": f"2:{edges}",
    }
    out = {}
    for item in named.get(spec, spec).split(","):
        dim, count = item.split(":")
        out[int(dim)] = None if count == "all" else int(count)
    return out


def make_simplicial(X, spec, normalization, seed):
    """A SimplicialModel with a fresh random complex for ``spec``."""
    rng = np.random.default_rng(seed)
    counts = simplicial_spec(spec, X.shape[1])
    full, diluted = [], []
    for dim, count in sorted(counts.items()):
        if count is None or count == n_all_simplices(X.shape[1], dim):
            full.append(dim)
        else:
            simplices = sample_simplices(X.shape[1], dim, count, rng)
            diluted.append((dim, simplices, simplex_sums(X, simplices)))
    return SimplicialModel(
        X, full, diluted, max(counts), uniform=normalization == "uniform"
    )


def make_model(X, interaction, order, beta, seed=0):
    """The dynamics model of a classical rule, a dense interaction or a
    simplicial complex (``interaction`` = ``"simplicial:SPEC:NORMALIZATION"``)."""
    if interaction.startswith("simplicial:"):
        _, spec, normalization = interaction.split(":", 2)
        return make_simplicial(X, spec, normalization, seed)
    if interaction == "hebbian":
        return ClassicalModel(hebbian_weights(X))
    if interaction == "storkey":
        return ClassicalModel(storkey_update(np.zeros((X.shape[1],) * 2), X)[0])
    if interaction == "pseudoinverse":
        return ClassicalModel(pseudoinverse_weights(X))
    return DenseModel(X, interaction, order, beta)


def probe(n_features, n_patterns, interaction, order, beta, args):
    """Fractions of probed patterns stable and recalled, over independent draws.

    Small memories are drawn again (fresh patterns) until about
    ``n_queries`` patterns have been probed, so every fraction rests on a
    comparable number of probes.
    """
    n_trials = -(-args.n_queries // n_patterns)
    n_stable = n_recalled = n_probed = max_sweeps = 0
    for trial in range(n_trials):
        seed = (args.seed * 1_000_003 + n_patterns) * 1_009 + trial
        X = make_binary_patterns(n_patterns, n_features, random_state=seed)
        picks = np.random.RandomState(seed + 1).permutation(n_patterns)[: args.n_queries]
        model = make_model(X, interaction, order, beta, seed=seed + 3)
        stable_states, *_ = run_dynamics(model, X[picks], update="async", max_iter=1, seed=seed)
        cues = flip_bits(X[picks], args.flip, random_state=seed + 2)
        states, n_iter, _, _ = run_dynamics(
            model, cues, update="async", max_iter=args.max_iter, seed=seed
        )
        n_stable += int((stable_states == X[picks]).all(axis=1).sum())
        n_recalled += int((states == X[picks]).all(axis=1).sum())
        n_probed += len(picks)
        max_sweeps = max(max_sweeps, int(n_iter.max()))
    return n_stable / n_probed, n_recalled / n_probed, max_sweeps, n_probed


def scan(label, interaction, order, beta, start, stop, step, args):
    """Probe a geometric grid of P; return the capacities under each criterion."""
    n = args.n_features
    cap = {"recall99": None, "stable99": None, "stable100": None}
    ok = dict.fromkeys(cap, True)
    p = start
    while True:
        t0 = time.perf_counter()
        stable, recalled, sweeps, n_probed = probe(n, p, interaction, order, beta, args)
        dt = time.perf_counter() - t0
        print(
            f"  {label:<14}P={p:>6}  stable {stable:6.3f}  recalled {recalled:6.3f}"
            f"  probes {n_probed:>4}  sweeps<={sweeps:<3} {dt:6.1f}s",
            flush=True,
        )
        for key, passed in (
            ("recall99", recalled >= 0.99),
            ("stable99", stable >= 0.99),
            ("stable100", stable == 1.0),
        ):
            ok[key] = ok[key] and passed
            if ok[key]:
                cap[key] = p
        if (recalled < 0.5 and stable < 0.5) or p >= stop:
            return cap, p
        p = min(stop, max(p + 1, int(round(p * step))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument(
        "--rules", nargs="*", default=["hebbian", "storkey", "pseudoinverse"]
    )
    parser.add_argument("--orders", type=int, nargs="*", default=[2, 3, 4])
    parser.add_argument("--exp-betas", type=float, nargs="*", default=[1.0, 0.1, 0.03, 0.01])
    parser.add_argument("--n-queries", type=int, default=500)
    parser.add_argument("--flip", type=float, default=0.1)
    parser.add_argument("--step", type=float, default=1.15)
    parser.add_argument("--exp-max", type=int, default=16000)
    parser.add_argument("--exp-step", type=float, default=2.0)
    parser.add_argument("--max-iter", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--simplicial", nargs="*", default=[])
    parser.add_argument(
        "--normalization", nargs="*", default=["dimension", "uniform"]
    )
    args = parser.parse_args()

    n = args.n_features
    print(
        f"N={n} flip={args.flip} probes<={args.n_queries} per P, grid ratio {args.step}, "
        f"seed={args.seed}"
    )
    rows = []
    with threadpool_limits(args.threads):
        for rule in args.rules:
            th = CLASSICAL_THEORY[rule](n)
            stop = n if rule == "pseudoinverse" else 10**7
            cap, last = scan(rule, rule, 0, 1.0, 2, stop, args.step, args)
            rows.append((f"classical {rule}", th, cap, last, False))
        for order in args.orders:
            th = theory(n, order)
            start = max(2, int(th / 4))
            cap, last = scan(
                f"order {order}", "polynomial", order, 1.0, start, 10**7, args.step, args
            )
            rows.append((f"polynomial n={order}", th, cap, last, False))
        for beta in args.exp_betas:
            cap, last = scan(
                f"exp b={beta:g}", "exponential", 3, beta, 4, args.exp_max, args.exp_step, args
            )
            rows.append((f"exponential beta={beta:g}", None, cap, last, last >= args.exp_max))
        for spec in args.simplicial:
            for norm in args.normalization:
                counts = simplicial_spec(spec, n)
                n_conn = sum(
                    n_all_simplices(n, d) if c is None else c for d, c in counts.items()
                )
                label = f"{spec} {norm[:3]}"
                cap, last = scan(
                    label, f"simplicial:{spec}:{norm}", 0, 1.0, 2, 10**7, args.step, args
                )
                rows.append((f"{label} ({n_conn} conn.)", None, cap, last, False))

    print()
    width = max([24] + [len(r[0]) + 2 for r in rows])
    print(
        f"{'interaction':<{width}}{'theory':>10}{'100% stable':>13}{'>=99% stable':>14}"
        f"{'>=99% recalled':>16}"
    )
    for name, th, cap, last, capped in rows:
        def fmt(v):
            if v is None:
                return "<grid"
            return f">={v}" if capped and v >= last else str(v)

        th_s = f"{th:.0f}" if th is not None else ("-" if "conn." in name else "exp(N)")
        print(
            f"{name:<{width}}{th_s:>10}{fmt(cap['stable100']):>13}{fmt(cap['stable99']):>14}"
            f"{fmt(cap['recall99']):>16}"
        )


if __name__ == "__main__":
    main()
