"""Predict time of ModernHopfieldClassifier vs brute-force KNN, side by side.

Stored patterns x 2,000 queries x 784 features (MNIST-sized; ``--sizes``
sets the numbers of stored patterns, default 1,000, 10,000 and 60,000),
float64 and float32, on two kinds of data (``--data``):

- ``clustered``: ten Gaussian clusters (centers 0.3 N(0, 1) per feature,
  unit noise), the label the cluster: structured data, so the softmax is
  not flat;
- ``gaussian``: i.i.d. N(0, 1) features, random labels.

and at two inverse temperatures (``--betas``): ``auto`` (the default) and a
large fixed ``beta`` (``1.0`` by default, about 40 times ``auto`` here), at
which ``beta ||x - q||^2 / 2`` of even the nearest stored pattern is far past
the exponent range of both dtypes: the upper bound ``b(q)`` that the fast
path shifts the scores by is loose for every row, so every row takes the
exact (row-maximum) path.  The table's ``loose`` column is the fraction of
rows whose bound is loose that way.

Every repeat times, in turn (the starting one rotating):
``KNeighborsClassifier(algorithm="brute").predict`` (default n_neighbors=5),
``ModernHopfieldClassifier.predict``, and the bare GEMM ``Q @ X.T`` that both
need at least; with ``--baseline DIR``, also the same ``predict`` of another
copy of the package (e.g. ``main`` before a change), so before and after are
measured in one run, and the labels of the two are compared (``same
labels``: fraction identical; ``max |dp|``: largest difference of
``predict_proba``).

    PYTHONPATH=.:benchmarks python benchmarks/predict_vs_knn.py [--repeats 5]
        [--sizes 1000 10000 60000] [--dtypes float64 float32]
        [--data clustered gaussian] [--betas auto 1.0] [--baseline DIR]
        [--no-knn] [--tiles] [--old-tiles]

A baseline copy: ``mkdir -p /tmp/base && git archive main skhopfield | tar
-x -C /tmp/base``, then ``--baseline /tmp/base``.  ``--old-tiles`` also
times predict with whole-row tiles only (the code before the pattern blocks
of ``MIN_TILE_ROWS``), paired.  ``--tiles`` also sweeps the cache tile size
of the predict block function (``skhopfield._tiles.TILE_BYTES``) at
10,000 stored patterns.  Ratios are given two ways: of the medians, and (in
parentheses) the median of the ratios of runs made back to back, which
cancels the drift of the load on a shared machine.  Targets set in the
speed work of November 2026: ours <= 1.1x the GEMM, hence <= 0.9x KNN in
float64.

Writes ``--json`` (default ``benchmarks/results/predict_vs_knn.json``; with
``--quick``, ``predict_vs_knn_quick.json``: 1,000 and 10,000 stored,
clustered data, ``beta="auto"``, 3 repeats) with every row of the table, the
machine, the commit and the harness; ``python benchmarks/report.py`` draws
it.  Time it on a quiet machine: the ratios move with the load.
"""

import argparse
import time

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

import skhopfield._tiles as tiles
from _common import (
    harness_line,
    load_baseline,
    paired_ratio,
    paired_times,
    write_results,
)
from skhopfield import ModernHopfieldClassifier


def make_data(dtype, n_stored=10_000, n_queries=2_000, n_features=784, seed=0,
              kind="clustered"):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n_stored + n_queries)
    if kind == "clustered":
        centers = rng.standard_normal((10, n_features)) * 0.3
        X = centers[y] + rng.standard_normal((len(y), n_features))
    elif kind == "gaussian":
        X = rng.standard_normal((len(y), n_features))
    else:
        raise ValueError(f"unknown data {kind!r}")
    X = X.astype(dtype)
    return X[:n_stored], y[:n_stored], X[n_stored:], y[n_stored:]


def loose_fraction(X, Q, beta, dtype):
    """Rows whose nearest pattern's weight ``exp(-beta d^2 / 2)`` is below the
    fast path's floor ``P tiny / eps`` (so the bound ``||q||^2 / 2`` is loose)."""
    info = np.finfo(dtype)
    limit = -np.log(len(X) * float(info.tiny) / float(info.eps))
    X64, Q64 = X.astype(np.float64), Q.astype(np.float64)
    sq = np.einsum("ij,ij->i", X64, X64)
    d2 = np.empty(len(Q))
    for s in range(0, len(Q), 256):
        q = Q64[s : s + 256]
        d = sq[None, :] - 2 * q @ X64.T + np.einsum("ij,ij->i", q, q)[:, None]
        d2[s : s + 256] = d.min(axis=1)
    return float(np.mean(beta * d2 / 2 > limit))


def with_min_rows(rows, func):
    default = tiles.MIN_TILE_ROWS
    tiles.MIN_TILE_ROWS = rows
    try:
        return func()
    finally:
        tiles.MIN_TILE_ROWS = default


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def _beta(text):
    return text if text == "auto" else float(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 60_000])
    parser.add_argument("--n-queries", type=int, default=2_000)
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    parser.add_argument("--data", nargs="+", default=["clustered", "gaussian"],
                        choices=["clustered", "gaussian"])
    parser.add_argument("--betas", type=_beta, nargs="+", default=["auto", 1.0],
                        help="'auto' and/or fixed values (data units)")
    parser.add_argument("--baseline", metavar="DIR",
                        help="a directory holding another copy of the skhopfield "
                             "package, timed side by side as 'base'")
    parser.add_argument("--no-knn", action="store_true", help="skip brute KNN")
    parser.add_argument("--tiles", action="store_true")
    parser.add_argument("--old-tiles", action="store_true",
                        help="also time predict with whole-row tiles only "
                             "(MIN_TILE_ROWS=1: the code before pattern blocks)")
    parser.add_argument("--quick", action="store_true",
                        help="1k and 10k stored, clustered, beta auto, 3 repeats")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.quick:
        args.sizes = [s for s in args.sizes if s <= 10_000]
        args.data, args.betas, args.repeats = ["clustered"], ["auto"], min(args.repeats, 3)
    base = load_baseline(args.baseline) if args.baseline else None
    harness = (
        f"{args.n_queries} queries x 784 features; each repeat calls in turn (the first "
        f"one rotating) KNeighborsClassifier(algorithm='brute').predict, "
        f"ModernHopfieldClassifier.predict and the bare GEMM Q @ X.T (fresh output)"
        + (", and the baseline copy's predict" if base else "")
        + f", nothing in between; median of {args.repeats} repeats; paired = median of "
        "the per-repeat ratios; one warm-up predict before timing"
    )
    print(harness_line(harness)
          + (f"\n# base = {args.baseline}" if base else ""))
    records = []
    header = ("| stored | dtype | data | beta | loose | KNN brute (s) | ours (s) | "
              "GEMM Q@X.T (s) | ours/KNN (paired) | ours/GEMM (paired) | KNN/GEMM | "
              "acc ours | acc KNN |")
    if base:
        header += " base (s) | base/GEMM (paired) | ours/base (paired) | same labels | max abs dp |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for n_stored in args.sizes:
        for dtype in args.dtypes:
            for kind in args.data:
                X, y, Q, yq = make_data(dtype, n_stored=n_stored,
                                        n_queries=args.n_queries, kind=kind)
                knn = None if args.no_knn else KNeighborsClassifier(algorithm="brute").fit(X, y)
                for beta in args.betas:
                    ours = ModernHopfieldClassifier(beta=beta).fit(X, y)
                    po = ours.predict(Q)  # also warms up
                    loose = loose_fraction(X, Q, ours.beta_, dtype)
                    funcs = {"ours": lambda: ours.predict(Q), "gemm": lambda: Q @ X.T}
                    if knn is not None:
                        pk = knn.predict(Q)
                        funcs["knn"] = lambda: knn.predict(Q)
                    if base is not None:
                        old = base.ModernHopfieldClassifier(beta=beta).fit(X, y)
                        pb = old.predict(Q)
                        dp = float(np.abs(old.predict_proba(Q).astype(np.float64)
                                          - ours.predict_proba(Q)).max())
                        funcs["base"] = lambda: old.predict(Q)
                    if args.old_tiles:
                        funcs["old"] = lambda: with_min_rows(1, lambda: ours.predict(Q))
                    t = paired_times(funcs, args.repeats)
                    m = {k: float(np.median(v)) for k, v in t.items()}
                    nan = float("nan")
                    row = (
                        f"| {n_stored} | {np.dtype(dtype).name} | {kind} | {beta} | "
                        f"{loose:.2f} | {m.get('knn', nan):.3f} | {m['ours']:.3f} | "
                        f"{m['gemm']:.3f} | "
                    )
                    if knn is not None:
                        row += (f"{m['ours'] / m['knn']:.2f} "
                                f"({paired_ratio(t, 'ours', 'knn'):.2f}) | ")
                    else:
                        row += "- | "
                    row += (f"{m['ours'] / m['gemm']:.2f} "
                            f"({paired_ratio(t, 'ours', 'gemm'):.2f}) | ")
                    row += (f"{m['knn'] / m['gemm']:.2f} | " if knn is not None else "- | ")
                    row += f"{np.mean(po == yq):.3f} | "
                    row += (f"{np.mean(pk == yq):.3f} |" if knn is not None else "- |")
                    if base is not None:
                        row += (f" {m['base']:.3f} | {m['base'] / m['gemm']:.2f} "
                                f"({paired_ratio(t, 'base', 'gemm'):.2f}) | "
                                f"{m['ours'] / m['base']:.2f} "
                                f"({paired_ratio(t, 'ours', 'base'):.2f}) | "
                                f"{np.mean(pb == po):.4f} | {dp:.1e} |")
                    if args.old_tiles:
                        row += (f" old tiles {m['old']:.3f} s: ours/old "
                                f"{paired_ratio(t, 'ours', 'old'):.2f}, old/GEMM "
                                f"{paired_ratio(t, 'old', 'gemm'):.2f}")
                    print(row, flush=True)
                    record = {
                        "stored": n_stored, "dtype": np.dtype(dtype).name, "data": kind,
                        "beta": beta, "loose": float(loose), "ours_s": m["ours"],
                        "gemm_s": m["gemm"],
                        "ours_over_gemm": m["ours"] / m["gemm"],
                        "ours_over_gemm_paired": paired_ratio(t, "ours", "gemm"),
                        "accuracy_ours": float(np.mean(po == yq)),
                    }
                    if knn is not None:
                        record.update({
                            "knn_s": m["knn"],
                            "ours_over_knn": m["ours"] / m["knn"],
                            "ours_over_knn_paired": paired_ratio(t, "ours", "knn"),
                            "knn_over_gemm": m["knn"] / m["gemm"],
                            "accuracy_knn": float(np.mean(pk == yq)),
                        })
                    if base is not None:
                        record.update({
                            "base_s": m["base"],
                            "ours_over_base_paired": paired_ratio(t, "ours", "base"),
                            "same_labels": float(np.mean(pb == po)),
                        })
                    records.append(record)
                    del ours
                    if base is not None:
                        del old
                del X, Q, knn
    path = args.json or ("benchmarks/results/predict_vs_knn_quick.json" if args.quick
                         else "benchmarks/results/predict_vs_knn.json")
    write_results(path, "predict_vs_knn", harness,
                  {"n_queries": args.n_queries, "n_features": 784, "rows": records})
    if args.tiles:
        print("\n| dtype | tile MiB per thread | ours (s) | paired ours/GEMM |\n|---|---|---|---|")
        default = tiles.TILE_BYTES
        for dtype in (np.float64, np.float32):
            X, y, Q, _ = make_data(dtype)
            ours = ModernHopfieldClassifier().fit(X, y)
            sizes = [4, 8, 16, 32, 64]
            t = {s: [] for s in sizes}
            ratio = {s: [] for s in sizes}
            for _ in range(args.repeats):
                for s in sizes:
                    tg = timed(lambda: Q @ X.T)[0]
                    tiles.TILE_BYTES = s * 2**20
                    to = timed(lambda: ours.predict(Q))[0]
                    t[s].append(to)
                    ratio[s].append(to / tg)
            tiles.TILE_BYTES = default
            for s in sizes:
                print(f"| {np.dtype(dtype).name} | {s} | {np.median(t[s]):.3f} | "
                      f"{np.median(ratio[s]):.2f} |", flush=True)


if __name__ == "__main__":
    main()
