"""Predict time of ModernHopfieldClassifier vs brute-force KNN, side by side.

10,000 stored patterns x 2,000 queries x 784 features (MNIST-sized), ten
Gaussian clusters (structured data, so the softmax is not flat), float64 and
float32.  Every repeat times, in turn: ``KNeighborsClassifier(algorithm=
"brute").predict`` (default n_neighbors=5), ``ModernHopfieldClassifier
.predict`` (defaults), and the bare GEMM ``Q @ X.T`` that both need at least.
Reports medians and the ratios.

    PYTHONPATH=. python benchmarks/predict_vs_knn.py [--repeats 7] [--tiles]

``--tiles`` also sweeps the cache tile size of the predict block function
(``skhopfield._core.modern.TILE_BYTES``).  Ratios are given two ways: of the
medians, and (in parentheses) the median of the ratios of runs made back to
back, which cancels the drift of the load on a shared machine.
"""

import argparse
import platform
import time

import numpy as np
from joblib import cpu_count
from sklearn.neighbors import KNeighborsClassifier

import skhopfield._core.modern as core
from skhopfield import ModernHopfieldClassifier


def make_data(dtype, n_stored=10_000, n_queries=2_000, n_features=784, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((10, n_features)) * 0.3
    y = rng.integers(0, 10, n_stored + n_queries)
    X = centers[y] + rng.standard_normal((len(y), n_features))
    X = X.astype(dtype)
    return X[:n_stored], y[:n_stored], X[n_stored:], y[n_stored:]


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--tiles", action="store_true")
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {cpu_count()} cores, "
          f"numpy {np.__version__}, median of {args.repeats} repeats")
    header = ("| dtype | KNN brute (s) | ours (s) | GEMM Q@X.T (s) | ours/KNN (paired) | "
              "ours/GEMM (paired) | KNN/GEMM | agree w/ KNN | acc ours | acc KNN |")
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for dtype in (np.float64, np.float32):
        X, y, Q, yq = make_data(dtype)
        knn = KNeighborsClassifier(algorithm="brute").fit(X, y)
        ours = ModernHopfieldClassifier().fit(X, y)
        t = {"knn": [], "ours": [], "gemm": []}
        runs = {
            "knn": lambda: knn.predict(Q),
            "ours": lambda: ours.predict(Q),
            "gemm": lambda: Q @ X.T,
        }
        for r in range(args.repeats):
            # alternate the order so neither side always runs first
            for name in (["knn", "ours", "gemm"] if r % 2 == 0 else ["ours", "knn", "gemm"]):
                dt, out = timed(runs[name])
                t[name].append(dt)
                if name == "knn":
                    pk = out
                elif name == "ours":
                    po = out
        m = {k: float(np.median(v)) for k, v in t.items()}
        # Ratio of the two runs made back to back, then the median over
        # repeats: cancels the slow drift of the load on a shared machine.
        paired = float(np.median(np.array(t["ours"]) / np.array(t["knn"])))
        paired_gemm = float(np.median(np.array(t["ours"]) / np.array(t["gemm"])))
        print(f"| {np.dtype(dtype).name} | {m['knn']:.3f} | {m['ours']:.3f} | "
              f"{m['gemm']:.3f} | {m['ours'] / m['knn']:.2f} ({paired:.2f}) | "
              f"{m['ours'] / m['gemm']:.2f} ({paired_gemm:.2f}) | {m['knn'] / m['gemm']:.2f} | "
              f"{np.mean(pk == po):.3f} | {np.mean(po == yq):.3f} | "
              f"{np.mean(pk == yq):.3f} |", flush=True)
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
