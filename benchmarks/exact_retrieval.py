"""Exact retrieval of sparse separations against softmax's metastable states.

After Santos, Niculae, McNamee & Martins (2024), Sparse and structured
Hopfield networks (ICML): with a sparse separation (entmax, sparsemax; and
the hard max) one update step lands *exactly* on a stored pattern once the
cue's scaled score margin clears ``beta (z_mu - max_{nu != mu} z_nu) >= 1 /
(alpha - 1)``, whereas softmax gives every pattern a positive weight, so
its fixed points are mixtures (metastable states) that only approach a
stored pattern as ``beta`` grows.

Here: ``--patterns`` stored images, from scikit-learn's digits (8x8,
scaled to [0, 1]) and from the generated "blocks" set of
``separation_capacity.py`` (16x16 images of 4x4 blocks of random grey
levels), each queried by itself with half of its pixels set to 0
(``mask``) or with Gaussian noise of std 0.3 added (``noise``).  ``beta``
sweeps a log grid (``--betas``, in the units of euclidean scores of
unit-range images); the similarity is ``"euclidean"``.  For each separation
(softmax, entmax 1.5, sparsemax, max), after one update step and after up
to ``--iters`` steps (``tol=0``, so it stops only at a fixed point or at
``--iters``):

- ``exact``: the fraction of cues whose state equals a stored pattern to
  within ``1e-12`` (largest absolute difference; the pixels are in [0, 1]),
- ``bitwise``: the fraction equal to a stored pattern bit for bit,
- ``correct``: the fraction within ``1e-12`` of the pattern that was cued,
- ``support``: the mean number of patterns with weight above ``1e-3`` in
  the attention of the last step (``kpatterns``); ``nonzero`` the mean
  number with weight exactly above 0 (the exact support of the sparse
  separations; softmax's weights underflow to 0 only at a large ``beta``),
- ``margin_holds`` (one step only): the fraction of cues whose margin
  meets Santos et al.'s sufficient condition for exact one-step retrieval
  (its ``1 / (alpha - 1)``: 2 for entmax 1.5, 1 for sparsemax, 0 for max),
  which must be at most ``exact``.

Second, Santos et al.'s count of metastable-state sizes, with the protocol
of their public script (``MNIST_metastable.py`` of deep-spin/SSHN: the
training images stored, scaled to [-1, 1]; the test images as queries; dot
product scores; 5 update steps; ``beta`` 0.1 and 1; the size of a state is
the number of patterns of weight above ``1e-2`` for softmax, above 0 for
the sparse ones), on digits instead of MNIST (a stratified 70/30 split,
1257 stored, 540 queries; the scores of 64 pixels are about 12 times
smaller than those of MNIST's 784, so ``beta`` 10 is added): the
percentage of queries whose final attention has each size (0 to 10, and
more; softmax's size 0 means no weight reaches ``1e-2``).

Writes ``benchmarks/results/exact_retrieval.json``.  No timing: the numbers
do not depend on the load.

    PYTHONPATH=.:benchmarks python benchmarks/exact_retrieval.py
"""

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from _common import harness_line, write_results
from separation_capacity import blocks, corrupt
from skhopfield import ModernHopfieldClassifier

SEPARATIONS = {
    "softmax": ({}, 1.0),
    "entmax 1.5": ({"separation": "entmax", "entmax_alpha": 1.5}, 1.5),
    "sparsemax": ({"separation": "sparsemax"}, 2.0),
    "max": ({"separation": "max"}, np.inf),
}

HARNESS = (
    "no timing; one fit per (data, separation, beta), ModernHopfieldClassifier "
    "(similarity='euclidean', tol=0) storing the patterns (one class); "
    "transform for the states, kpatterns for the attention of the last step"
)


def margins(X, cues):
    """Each cue's euclidean score margin ``z_mu - max_{nu != mu} z_nu`` for its own
    pattern ``mu`` (``z = -||x - q||^2 / 2``; exact enough in float64 here)."""
    d2 = ((cues[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    z = -0.5 * d2
    own = z[np.arange(len(X)), np.arange(len(X))]
    z[np.arange(len(X)), np.arange(len(X))] = -np.inf
    return own - z.max(axis=1)


def measure(X, cues, params, beta, max_iter):
    net = ModernHopfieldClassifier(
        beta=beta, similarity="euclidean", max_iter=max_iter, tol=0.0, **params
    ).fit(X, np.zeros(len(X), dtype=int))
    states = net.transform(cues)
    diff = np.abs(states[:, None, :] - X[None, :, :]).max(axis=2)
    weights, _ = net.kpatterns(cues, n_patterns=len(X))
    return {
        "exact": float(np.mean(diff.min(axis=1) <= 1e-12)),
        "bitwise": float(np.mean((diff == 0).any(axis=1))),
        "correct": float(np.mean(diff[np.arange(len(X)), np.arange(len(X))] <= 1e-12)),
        "support": float(np.mean((weights > 1e-3).sum(axis=1))),
        "nonzero": float(np.mean((weights > 0).sum(axis=1))),
    }


def metastable_sizes(betas, max_size=10):
    """Santos et al.'s metastable-state count (their protocol, on digits)."""
    X, y = load_digits(return_X_y=True)
    X = 2 * X / 16.0 - 1
    X_train, X_test, _, _ = train_test_split(X, y, test_size=0.3, random_state=0,
                                             stratify=y)
    rows = []
    for beta in betas:
        for sep, (params, alpha) in SEPARATIONS.items():
            if alpha == np.inf:
                continue
            net = ModernHopfieldClassifier(
                beta=beta, similarity="dot", max_iter=5, tol=0.0, **params
            ).fit(X_train, np.zeros(len(X_train), dtype=int))
            weights, _ = net.kpatterns(X_test, n_patterns=len(X_train))
            sizes = (weights > (1e-2 if alpha == 1.0 else 0.0)).sum(axis=1)
            percent = [float(100 * np.mean(sizes == k)) for k in range(0, max_size + 1)]
            rows.append({"beta": beta, "separation": sep,
                         "percent_by_size": percent,
                         "percent_larger": float(100 * np.mean(sizes > max_size))})
    return {"stored": len(X_train), "queries": len(X_test), "steps": 5,
            "similarity": "dot", "scaling": "[-1, 1]", "rows": rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patterns", type=int, default=200)
    parser.add_argument("--betas", type=float, nargs="+",
                        default=[0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000])
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--json", default="benchmarks/results/exact_retrieval.json")
    parser.add_argument("--quick", action="store_true",
                        help="50 patterns, 4 betas, 10 steps (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.patterns, args.betas, args.iters = 50, [0.3, 3, 30, 300], 10
    print(harness_line(HARNESS))
    print(__doc__.split("\n\n")[0])
    sets = {
        "digits": load_digits().data / 16.0,
        "blocks": blocks(max(args.patterns, 1000)),
    }
    rows = []
    for name, X_all in sets.items():
        X = X_all[np.random.default_rng(0).permutation(len(X_all))[: args.patterns]]
        for kind in ("mask", "noise"):
            cues = corrupt(X, kind)
            gap = margins(X, cues)
            print(f"\n{name} (P={len(X)}), {kind}: exact one step / converged, "
                  "mean support (weights > 1e-3) one step / converged")
            print("| beta | " + " | ".join(SEPARATIONS) + " |")
            print("|---" * (len(SEPARATIONS) + 1) + "|")
            for beta in args.betas:
                cells = []
                for sep, (params, alpha) in SEPARATIONS.items():
                    one = measure(X, cues, params, beta, 1)
                    conv = measure(X, cues, params, beta, args.iters)
                    if alpha == 1.0:  # softmax: no finite margin suffices
                        holds = None
                    elif alpha == np.inf:
                        holds = float(np.mean(gap > 0))
                    else:
                        holds = float(np.mean(beta * gap >= 1.0 / (alpha - 1.0)))
                    rows.append({"data": name, "corruption": kind, "patterns": len(X),
                                 "separation": sep, "beta": beta,
                                 "one_step": one, "converged": conv,
                                 "margin_holds": holds})
                    cells.append(f"{one['exact']:.2f}/{conv['exact']:.2f} "
                                 f"({one['support']:.1f}/{conv['support']:.1f})")
                print(f"| {beta:g} | " + " | ".join(cells) + " |", flush=True)
    betas_meta = [0.1, 1.0] if args.quick else [0.1, 1.0, 10.0]
    meta = metastable_sizes(betas_meta)
    print("\nmetastable-state sizes (Santos et al.'s protocol on digits): % of queries")
    print("| beta | separation | " + " | ".join(str(k) for k in range(0, 11)) + " | >10 |")
    print("|---" * 14 + "|")
    for r in meta["rows"]:
        print(f"| {r['beta']:g} | {r['separation']} | "
              + " | ".join(f"{v:.1f}" for v in r["percent_by_size"])
              + f" | {r['percent_larger']:.1f} |")
    write_results(args.json, "exact_retrieval", HARNESS, {
        "metastable": meta,
        "patterns": args.patterns, "iters": args.iters, "betas": args.betas,
        "similarity": "euclidean", "tolerance": 1e-12, "support_threshold": 1e-3,
        "rows": rows,
    })


if __name__ == "__main__":
    main()
