"""HopfieldImputer against scikit-learn's imputers: RMSE, downstream accuracy, time.

RMSE on held-out entries (standardized features) for MCAR missingness at
10, 30 and 50% and a block pattern (a third of the rows lose a contiguous
block of 40% of their features), on seven data sets (five shipped with
scikit-learn, a low-rank and a clustered one generated), against
``SimpleImputer`` (mean), ``KNNImputer`` (``weights="distance"``,
``n_neighbors`` tuned per case on a second set of hidden *observed*
entries, never on the evaluation entries) and ``IterativeImputer``.
Then the 5-fold accuracy of a logistic regression after each imputer (30%
MCAR, labelled sets), and the time of fit + transform at 10k x 50 with 20%
missing against ``KNNImputer`` (run alternately, medians of the paired
ratios: the machine may be shared), with the peak memory of ``transform``
(tracemalloc) at two ``working_memory`` settings.

``--separations`` adds HopfieldImputer with the sparse separations, the
hard max (the nearest stored row) and the manhattan similarity.

Run:  PYTHONPATH=$PWD python benchmarks/imputation.py [--quick] [--separations]
Writes benchmarks/results/imputation.json (with the machine and commit;
``--separations``: imputation_separations.json).
"""

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np
from sklearn import config_context
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_blobs,
)
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(__file__))
from _common import environment, machine, paired_times  # noqa: E402

from skhopfield import HopfieldImputer  # noqa: E402

K_GRID = (1, 3, 5, 10, 20, 40)


def datasets(seed=0):
    rng = np.random.default_rng(seed)
    out = {}
    for name, load in [
        ("iris", load_iris),
        ("wine", load_wine),
        ("breast_cancer", load_breast_cancer),
        ("diabetes", load_diabetes),
    ]:
        d = load()
        y = d.target if name != "diabetes" else None
        out[name] = (d.data, y)
    digits = load_digits()
    keep = rng.choice(len(digits.target), 900, replace=False)
    out["digits"] = (digits.data[keep], digits.target[keep])
    # low rank: rank 3 in 20 dimensions, small noise
    Z = rng.normal(size=(800, 3)) @ rng.normal(size=(3, 20))
    out["low_rank"] = (Z + 0.1 * rng.normal(size=Z.shape), None)
    Xb, yb = make_blobs(800, n_features=12, centers=6, cluster_std=1.5, random_state=seed)
    out["clustered"] = (Xb, yb)
    return {k: (StandardScaler().fit_transform(X), y) for k, (X, y) in out.items()}


def mask(pattern, shape, rng):
    n, N = shape
    if pattern.startswith("mcar"):
        share = int(pattern[4:]) / 100
        M = rng.random(shape) < share
    else:  # block: a third of the rows lose a contiguous 40% of their features
        M = np.zeros(shape, bool)
        width = max(1, int(round(0.4 * N)))
        for i in np.flatnonzero(rng.random(n) < 1 / 3):
            s = rng.integers(0, N - width + 1)
            M[i, s : s + width] = True
    M[M.all(axis=1), 0] = False  # keep one entry per row
    return M


def rmse(imputer, X, M):
    Z = imputer.fit_transform(np.where(M, np.nan, X))
    return float(np.sqrt(np.mean((Z[M] - X[M]) ** 2)))


def tuned_knn(X, M, rng):
    """KNNImputer(weights="distance") with n_neighbors of least error on a
    second set of hidden observed entries (10% of them)."""
    extra = (rng.random(M.shape) < 0.1) & ~M
    extra[(M | extra).all(axis=1)] = False
    X_missing = np.where(M | extra, np.nan, X)
    errors = {}
    for k in K_GRID:
        Z = KNNImputer(n_neighbors=k, weights="distance").fit_transform(X_missing)
        errors[k] = float(np.mean((Z[extra] - X[extra]) ** 2))
    return min(errors, key=errors.get)


#: ``--separations``: HopfieldImputer with the other separations and the
#: manhattan similarity, ``beta="learn"`` (by each one's own error on hidden
#: entries); ``"max"`` is the nearest stored row on the observed coordinates.
SEPARATION_IMPUTERS = {
    "hopfield_sparsemax": {"separation": "sparsemax"},
    "hopfield_entmax": {"separation": "entmax"},
    "hopfield_max": {"separation": "max"},
    "hopfield_manhattan": {"similarity": "manhattan"},
    "hopfield_manhattan_sparsemax": {"similarity": "manhattan", "separation": "sparsemax"},
}
SEPARATIONS = False


def imputers(k):
    out = {
        "mean": SimpleImputer(),
        "knn_tuned": KNNImputer(n_neighbors=k, weights="distance"),
        "iterative": IterativeImputer(max_iter=10, random_state=0),
        "hopfield_learn": HopfieldImputer(),
        "hopfield_auto": HopfieldImputer(beta="auto"),
    }
    if SEPARATIONS:
        out.update({name: HopfieldImputer(**params)
                    for name, params in SEPARATION_IMPUTERS.items()})
    return out


def quality(data, patterns, seed=0):
    rows = []
    for name, (X, _) in data.items():
        for pattern in patterns:
            rng = np.random.default_rng(seed)
            M = mask(pattern, X.shape, rng)
            k = tuned_knn(X, M, rng)
            row = {"dataset": name, "pattern": pattern, "knn_k": k}
            for label, imp in imputers(k).items():
                row[label] = rmse(imp, X, M)
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def downstream(data, seed=0):
    rows = []
    for name, (X, y) in data.items():
        if y is None:
            continue
        rng = np.random.default_rng(seed)
        M = mask("mcar30", X.shape, rng)
        X_missing = np.where(M, np.nan, X)
        k = tuned_knn(X, M, rng)
        row = {"dataset": name}
        for label, imp in imputers(k).items():
            clf = make_pipeline(imp, LogisticRegression(max_iter=2000))
            row[label] = float(cross_val_score(clf, X_missing, y, cv=5).mean())
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def timing(n=10_000, N=50, share=0.2, repeats=3, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 8)) @ rng.normal(size=(8, N)) + 0.3 * rng.normal(size=(n, N))
    X = np.where(rng.random(Z.shape) < share, np.nan, Z)
    knn = KNNImputer(n_neighbors=5, weights="distance")
    hop = HopfieldImputer(beta="auto")
    hop_learn = HopfieldImputer()
    times = paired_times(
        {
            "knn_fit": lambda: knn.fit(X),
            "knn_transform": lambda: knn.transform(X),
            "hopfield_fit": lambda: hop.fit(X),
            "hopfield_transform": lambda: hop.transform(X),
            "hopfield_learn_fit": lambda: hop_learn.fit(X),
        },
        repeats,
    )
    med = {k: float(np.median(v)) for k, v in times.items()}
    ratio = float(np.median(times["knn_transform"] / times["hopfield_transform"]))
    peaks = {}
    for wm in (64, 256):
        with config_context(working_memory=wm):
            tracemalloc.start()
            hop.transform(X)
            peaks[f"working_memory={wm} MiB"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    out = {
        "shape": [n, N],
        "missing": share,
        "median_seconds": med,
        "knn_over_hopfield_transform_paired_ratio": ratio,
        "transform_peak_MiB": peaks,
    }
    print(json.dumps(out), flush=True)
    return out


def _write(result):
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    name = "imputation_separations.json" if SEPARATIONS else "imputation.json"
    path = os.path.join(os.path.dirname(__file__), "results", name)
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 data sets, MCAR 30%% only")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--timing-only", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="paired timing repeats")
    parser.add_argument("--separations", action="store_true",
                        help="also HopfieldImputer with the other separations and manhattan")
    args = parser.parse_args()
    global SEPARATIONS
    SEPARATIONS = args.separations
    data = datasets()
    patterns = ["mcar10", "mcar30", "mcar50", "block"]
    if args.quick:
        data = {k: data[k] for k in ("wine", "diabetes", "low_rank")}
        patterns = ["mcar30"]
    start = time.perf_counter()
    result = {
        "harness": "benchmarks/imputation.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "environment": environment(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
    }
    if not args.timing_only:
        result["rmse"] = quality(data, patterns)
        methods = ["mean", "knn_tuned", "iterative", "hopfield_learn", "hopfield_auto"]
        if args.separations:
            methods += list(SEPARATION_IMPUTERS)
        result["mean_rmse"] = {
            m: float(np.mean([r[m] for r in result["rmse"]])) for m in methods
        }
        print(json.dumps(result["mean_rmse"]))
        result["downstream_accuracy"] = downstream(data)
        _write(result)  # written after each part: a long timing run may be cut
    if not args.no_timing:
        result["timing"] = timing(repeats=args.repeats)
    result["seconds"] = time.perf_counter() - start
    print("wrote", _write(result))


if __name__ == "__main__":
    main()
