"""Predict time of ModernHopfieldRegressor vs brute-force KNeighborsRegressor.

10,000 stored patterns (``--sizes``) x 2,000 queries x 784 features
(MNIST-sized), ten Gaussian clusters, 3 targets (a smooth function of the
features plus noise), float64 and float32.  Every repeat times, in turn
(the starting one rotating): ``KNeighborsRegressor(algorithm="brute")``
(k = 5), ``ModernHopfieldRegressor`` (defaults) and the bare GEMM ``Q @ X.T``
both need at least; medians, ratios of medians and (in parentheses) the
median of the per-repeat ratios.  ``--betas`` adds fixed inverse
temperatures beside ``auto`` (``1.0``: the bound ``b(q)`` of the fast path is
loose for every row, which takes the exact path); ``--baseline DIR`` also
times another copy of the package side by side (see ``predict_vs_knn.py``)
and reports the largest difference of the two predictions.

    PYTHONPATH=.:benchmarks python benchmarks/regression_predict_vs_knn.py
        [--repeats 7] [--sizes 10000] [--dtypes float64 float32]
        [--betas auto 1.0] [--baseline DIR]

Timing on a shared machine is noisy: run it on a quiet one.
"""

import argparse

import numpy as np
from sklearn.neighbors import KNeighborsRegressor

from _common import load_baseline, machine, paired_ratio, paired_times
from skhopfield import ModernHopfieldRegressor


def make_data(dtype, n_stored, n_queries=2_000, n_features=784, n_targets=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((10, n_features)) * 0.3
    c = rng.integers(0, 10, n_stored + n_queries)
    X = (centers[c] + rng.standard_normal((len(c), n_features))).astype(dtype)
    A = rng.standard_normal((n_features, n_targets)) / np.sqrt(n_features)
    T = np.tanh(X @ A) + 0.1 * rng.standard_normal((len(c), n_targets))
    return X[:n_stored], T[:n_stored], X[n_stored:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--n-queries", type=int, default=2_000)
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    parser.add_argument("--betas", nargs="+", default=["auto"],
                        type=lambda v: v if v == "auto" else float(v))
    parser.add_argument("--baseline", metavar="DIR",
                        help="another copy of the skhopfield package, timed as 'base'")
    args = parser.parse_args()
    base = load_baseline(args.baseline) if args.baseline else None
    print(machine())
    print(f"{args.n_queries} queries x 784 features, 3 targets, {args.repeats} repeats"
          + (f"; base = {args.baseline}" if base else "") + "\n")
    header = "| stored | dtype | beta | ours (s) | KNN (s) | GEMM (s) | ours / KNN | ours / GEMM |"
    if base:
        header += " base (s) | base / GEMM | ours / base | max abs diff |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for n_stored in args.sizes:
        for dtype in args.dtypes:
            X, T, Q = make_data(np.dtype(dtype), n_stored, args.n_queries)
            knn = KNeighborsRegressor(algorithm="brute").fit(X, T)
            for beta in args.betas:
                ours = ModernHopfieldRegressor(beta=beta).fit(X, T)
                funcs = {
                    "ours": lambda: ours.predict(Q),
                    "knn": lambda: knn.predict(Q),
                    "gemm": lambda: Q @ X.T,
                }
                if base:
                    old = base.ModernHopfieldRegressor(beta=beta).fit(X, T)
                    diff = float(np.abs(old.predict(Q) - ours.predict(Q)).max())
                    funcs["base"] = lambda: old.predict(Q)
                times = paired_times(funcs, args.repeats)
                med = {k: float(np.median(v)) for k, v in times.items()}
                r_knn = paired_ratio(times, "ours", "knn")
                r_gemm = paired_ratio(times, "ours", "gemm")
                row = (
                    f"| {n_stored:,} | {dtype} | {beta} | {med['ours']:.3f} | "
                    f"{med['knn']:.3f} | {med['gemm']:.3f} | "
                    f"{med['ours'] / med['knn']:.2f} ({r_knn:.2f}) | "
                    f"{med['ours'] / med['gemm']:.2f} ({r_gemm:.2f}) |"
                )
                if base:
                    row += (
                        f" {med['base']:.3f} | {med['base'] / med['gemm']:.2f} "
                        f"({paired_ratio(times, 'base', 'gemm'):.2f}) | "
                        f"{med['ours'] / med['base']:.2f} "
                        f"({paired_ratio(times, 'ours', 'base'):.2f}) | {diff:.1e} |"
                    )
                print(row, flush=True)


if __name__ == "__main__":
    main()
