"""Predict time of ModernHopfieldRegressor vs brute-force KNeighborsRegressor.

10,000 stored patterns (``--sizes``) x 2,000 queries x 784 features
(MNIST-sized), ten Gaussian clusters, 3 targets (a smooth function of the
features plus noise), float64 and float32.  Every repeat times, in turn
(the starting one rotating): ``KNeighborsRegressor(algorithm="brute")``
(k = 5), ``ModernHopfieldRegressor`` (defaults) and the bare GEMM ``Q @ X.T``
both need at least; medians, ratios of medians and (in parentheses) the
median of the per-repeat ratios.

    PYTHONPATH=.:benchmarks python benchmarks/regression_predict_vs_knn.py
        [--repeats 7] [--sizes 10000] [--dtypes float64 float32]

Timing on a shared machine is noisy: run it on a quiet one.
"""

import argparse

import numpy as np
from sklearn.neighbors import KNeighborsRegressor

from _common import machine, paired_ratio, paired_times
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
    args = parser.parse_args()
    print(machine())
    print(f"{args.n_queries} queries x 784 features, 3 targets, {args.repeats} repeats\n")
    print("| stored | dtype | ours (s) | KNN (s) | GEMM (s) | ours / KNN | ours / GEMM |")
    print("|---|---|---|---|---|---|---|")
    for n_stored in args.sizes:
        for dtype in args.dtypes:
            X, T, Q = make_data(np.dtype(dtype), n_stored, args.n_queries)
            ours = ModernHopfieldRegressor().fit(X, T)
            knn = KNeighborsRegressor(algorithm="brute").fit(X, T)
            funcs = {
                "ours": lambda: ours.predict(Q),
                "knn": lambda: knn.predict(Q),
                "gemm": lambda: Q @ X.T,
            }
            times = paired_times(funcs, args.repeats)
            med = {k: float(np.median(v)) for k, v in times.items()}
            r_knn = paired_ratio(times, "ours", "knn")
            r_gemm = paired_ratio(times, "ours", "gemm")
            print(
                f"| {n_stored:,} | {dtype} | {med['ours']:.3f} | {med['knn']:.3f} | "
                f"{med['gemm']:.3f} | {med['ours'] / med['knn']:.2f} ({r_knn:.2f}) | "
                f"{med['ours'] / med['gemm']:.2f} ({r_gemm:.2f}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
