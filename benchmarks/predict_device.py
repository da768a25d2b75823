"""Predict time of the modern memories on an array API device vs numpy vs KNN.

Stored patterns x 2,000 queries x 784 features (MNIST-sized, ten Gaussian
clusters as in ``predict_vs_knn.py``; ``--sizes`` default 10,000 and 60,000).
For each size and dtype, every repeat times in turn (the starting one
rotating, see ``_common.paired_times``):

- ``knn``: ``KNeighborsClassifier(algorithm="brute").predict`` on numpy
  (scikit-learn's KNN has no array API support);
- ``numpy``: ``ModernHopfieldClassifier.predict`` on numpy arrays (the tiled,
  threaded numpy path);
- ``device``: the same estimator fitted on, and predicting, arrays of
  ``--namespace`` (``torch`` or ``cupy``) on ``--device`` under
  ``sklearn.config_context(array_api_dispatch=True)``; the queries are
  already on the device and the result stays there (the device is
  synchronized before the clock stops);
- ``device+copy``: the same, with the copy of the queries to the device and
  of the labels back to the host included.

It also reports how many device predictions equal the numpy ones and the
largest difference of ``predict_proba``.  With ``--estimator regressor`` the
same for ``ModernHopfieldRegressor`` against
``KNeighborsRegressor(algorithm="brute")`` on real targets (a smooth
function of the cluster and the first feature); the agreement columns are
then the largest difference of the predictions, relative to the targets'
spread, and ``-``.  Run from the repository root:

    PYTHONPATH=.:benchmarks python benchmarks/predict_device.py \\
        [--estimator classifier|regressor] [--namespace torch] \\
        [--device cpu|cuda] [--sizes 10000 60000] [--n-queries 2000] \\
        [--dtypes float32 float64] [--repeats 5]

``SCIPY_ARRAY_API=1`` must be set before scikit-learn is imported (the
script sets it when missing).  With ``--device cpu`` (torch on the CPU) the
comparison is of two CPU implementations: torch's kernels against ours.
"""

import argparse
import os
import time

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from _common import machine, paired_times  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor  # noqa: E402
from sklearn.utils._array_api import move_to  # noqa: E402

from skhopfield import ModernHopfieldClassifier, ModernHopfieldRegressor  # noqa: E402

ESTIMATORS = {
    "classifier": (KNeighborsClassifier, ModernHopfieldClassifier),
    "regressor": (KNeighborsRegressor, ModernHopfieldRegressor),
}


def make_data(dtype, n_stored, n_queries=2_000, n_features=784, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((10, n_features)) * 0.3
    y = rng.integers(0, 10, n_stored + n_queries)
    X = centers[y] + rng.standard_normal((len(y), n_features))
    X = X.astype(dtype)
    return X[:n_stored], y[:n_stored], X[n_stored:], y[n_stored:]


def namespace(name, device):
    """``(to_device, synchronize, describe)`` for ``torch`` or ``cupy``."""
    if name == "torch":
        import torch

        def to_device(a):
            return torch.asarray(a, device=device)

        def synchronize():
            if device.startswith("cuda"):
                torch.cuda.synchronize()

        if device.startswith("cuda"):
            what = f"torch {torch.__version__} on {torch.cuda.get_device_name()}"
        else:
            what = f"torch {torch.__version__} on the CPU ({torch.get_num_threads()} threads)"
        return to_device, synchronize, what
    if name == "cupy":
        import cupy

        def synchronize():
            cupy.cuda.Device().synchronize()

        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        return cupy.asarray, synchronize, f"cupy {cupy.__version__} on {props['name']}"
    raise ValueError(f"unknown namespace {name!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--estimator", default="classifier", choices=list(ESTIMATORS))
    parser.add_argument("--namespace", default="torch", choices=["torch", "cupy"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 60_000])
    parser.add_argument("--n-queries", type=int, default=2_000)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    to_device, synchronize, what = namespace(args.namespace, args.device)
    Knn, Ours = ESTIMATORS[args.estimator]
    regressor = args.estimator == "regressor"
    print(f"# {machine()}\n# device: {what}\n# {Ours.__name__}: {args.n_queries} "
          f"queries x 784 features, median of {args.repeats} repeats, seconds")
    agree = ("max pred diff / spread | - |" if regressor
             else "same labels | max proba diff |")
    header = ("| stored | dtype | KNN brute | ours numpy | ours device | "
              "ours device+copy | numpy/device | KNN/device | " + agree)
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for n_stored in args.sizes:
        for dtype in args.dtypes:
            X, y, Q, _ = make_data(dtype, n_stored, n_queries=args.n_queries)
            if regressor:  # real targets
                y = np.sin(y) + 0.1 * X[:, 0].astype(np.float64)
            knn = Knn(algorithm="brute").fit(X, y)
            ours = Ours().fit(X, y)
            X_d, y_d, Q_d = to_device(X), to_device(y), to_device(Q)
            with sklearn.config_context(array_api_dispatch=True):
                dev = Ours().fit(X_d, y_d)
                pred_d = dev.predict(Q_d)  # also warms up
                if not regressor:
                    proba_d = dev.predict_proba(Q_d)
            pred_d = move_to(pred_d, xp=np, device="cpu")
            if regressor:
                same = float(np.abs(pred_d - ours.predict(Q)).max() / np.ptp(y))
                diff = float("nan")
            else:
                same = float(np.mean(pred_d == ours.predict(Q)))
                diff = float(np.abs(move_to(proba_d, xp=np, device="cpu")
                                    - ours.predict_proba(Q)).max())

            def on_device():
                with sklearn.config_context(array_api_dispatch=True):
                    dev.predict(Q_d)
                synchronize()

            def with_copy():
                with sklearn.config_context(array_api_dispatch=True):
                    labels = dev.predict(to_device(Q))
                move_to(labels, xp=np, device="cpu")

            knn.predict(Q)
            times = paired_times({
                "knn": lambda: knn.predict(Q),
                "numpy": lambda: ours.predict(Q),
                "device": on_device,
                "copy": with_copy,
            }, args.repeats)
            med = {k: float(np.median(v)) for k, v in times.items()}
            print(f"| {n_stored} | {dtype} | {med['knn']:.3f} | {med['numpy']:.3f} | "
                  f"{med['device']:.3f} | {med['copy']:.3f} | "
                  f"{med['numpy'] / med['device']:.2f} | {med['knn'] / med['device']:.2f} | "
                  f"{same:.4g} | {'-' if regressor else f'{diff:.1e}'} |", flush=True)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"# total {time.perf_counter() - start:.0f} s")
