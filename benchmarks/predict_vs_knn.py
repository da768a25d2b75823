"""Predict time of ModernHopfieldClassifier vs brute-force KNN, side by side.

Stored patterns x 2,000 queries x 784 features (MNIST-sized; ``--sizes``
sets the numbers of stored patterns, default 1,000, 10,000 and 60,000), ten
Gaussian clusters (structured data, so the softmax is not flat), float64 and
float32.  Every repeat times, in turn (the starting one rotating):
``KNeighborsClassifier(algorithm="brute").predict`` (default n_neighbors=5),
``ModernHopfieldClassifier.predict`` (defaults), and the bare GEMM
``Q @ X.T`` that both need at least.  Reports medians and the ratios.

    PYTHONPATH=.:benchmarks python benchmarks/predict_vs_knn.py [--repeats 5]
        [--sizes 1000 10000 60000] [--dtypes float64 float32] [--tiles]

``--old-tiles`` also times predict with whole-row tiles only (the code
before the pattern blocks of ``MIN_TILE_ROWS``), paired.  ``--tiles`` also sweeps the cache tile size of the predict block function
(``skhopfield._core.modern.TILE_BYTES``) at 10,000 stored patterns.  Ratios
are given two ways: of the medians, and (in parentheses) the median of the
ratios of runs made back to back, which cancels the drift of the load on a
shared machine.  Targets: ours <= 0.9x KNN and <= 1.2x the GEMM.
"""

import argparse
import time

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

import skhopfield._core.modern as core
from _common import machine, paired_ratio, paired_times
from skhopfield import ModernHopfieldClassifier


def make_data(dtype, n_stored=10_000, n_queries=2_000, n_features=784, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((10, n_features)) * 0.3
    y = rng.integers(0, 10, n_stored + n_queries)
    X = centers[y] + rng.standard_normal((len(y), n_features))
    X = X.astype(dtype)
    return X[:n_stored], y[:n_stored], X[n_stored:], y[n_stored:]


def with_min_rows(rows, func):
    default = core.MIN_TILE_ROWS
    core.MIN_TILE_ROWS = rows
    try:
        return func()
    finally:
        core.MIN_TILE_ROWS = default


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 60_000])
    parser.add_argument("--n-queries", type=int, default=2_000)
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    parser.add_argument("--tiles", action="store_true")
    parser.add_argument("--old-tiles", action="store_true",
                        help="also time predict with whole-row tiles only "
                             "(MIN_TILE_ROWS=1: the code before pattern blocks)")
    args = parser.parse_args()
    print(f"# {machine()}\n# {args.n_queries} queries x 784 features, "
          f"median of {args.repeats} repeats")
    header = ("| stored | dtype | KNN brute (s) | ours (s) | GEMM Q@X.T (s) | ours/KNN (paired) | "
              "ours/GEMM (paired) | KNN/GEMM | agree w/ KNN | acc ours | acc KNN |")
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for n_stored in args.sizes:
        for dtype in args.dtypes:
            X, y, Q, yq = make_data(dtype, n_stored=n_stored, n_queries=args.n_queries)
            knn = KNeighborsClassifier(algorithm="brute").fit(X, y)
            ours = ModernHopfieldClassifier().fit(X, y)
            pk, po = knn.predict(Q), ours.predict(Q)  # also warms up
            funcs = {"knn": lambda: knn.predict(Q), "ours": lambda: ours.predict(Q),
                     "gemm": lambda: Q @ X.T}
            if args.old_tiles:
                funcs["old"] = lambda: with_min_rows(1, lambda: ours.predict(Q))
            t = paired_times(funcs, args.repeats)
            m = {k: float(np.median(v)) for k, v in t.items()}
            print(f"| {n_stored} | {np.dtype(dtype).name} | {m['knn']:.3f} | {m['ours']:.3f} | "
                  f"{m['gemm']:.3f} | {m['ours'] / m['knn']:.2f} "
                  f"({paired_ratio(t, 'ours', 'knn'):.2f}) | {m['ours'] / m['gemm']:.2f} "
                  f"({paired_ratio(t, 'ours', 'gemm'):.2f}) | {m['knn'] / m['gemm']:.2f} | "
                  f"{np.mean(pk == po):.3f} | {np.mean(po == yq):.3f} | "
                  f"{np.mean(pk == yq):.3f} |" + (
                      f" old tiles {m['old']:.3f} s: ours/old {paired_ratio(t, 'ours', 'old'):.2f},"
                      f" old/KNN {paired_ratio(t, 'old', 'knn'):.2f},"
                      f" old/GEMM {paired_ratio(t, 'old', 'gemm'):.2f}" if args.old_tiles else ""),
                  flush=True)
            del X, Q, knn, ours
    if args.tiles:
        print("\n| dtype | tile MiB per thread | ours (s) | paired ours/KNN |\n|---|---|---|---|")
        default = core.TILE_BYTES
        for dtype in (np.float64, np.float32):
            X, y, Q, _ = make_data(dtype)
            knn = KNeighborsClassifier(algorithm="brute").fit(X, y)
            ours = ModernHopfieldClassifier().fit(X, y)
            sizes = [4, 8, 16, 32, 64]
            t = {s: [] for s in sizes}
            ratio = {s: [] for s in sizes}
            for _ in range(args.repeats):
                for s in sizes:
                    tk = timed(lambda: knn.predict(Q))[0]
                    core.TILE_BYTES = s * 2**20
                    to = timed(lambda: ours.predict(Q))[0]
                    t[s].append(to)
                    ratio[s].append(to / tk)
            core.TILE_BYTES = default
            for s in sizes:
                print(f"| {np.dtype(dtype).name} | {s} | {np.median(t[s]):.3f} | "
                      f"{np.median(ratio[s]):.2f} |", flush=True)


if __name__ == "__main__":
    main()
