"""Fit time with the default BLAS threads against one BLAS thread.

The learned memories (L-BFGS-B over small products), GLVQ and the
leave-one-out ``beta="learn"`` search of the regressor limit BLAS to one
thread inside their loops; the target is a fit with the default threads
taking at most 1.1x the time of a fit under ``threadpool_limits(1)``.
Each estimator is fitted alternately under both settings in one process
(paired, the starting setting rotating), and the medians and the median of
the per-repeat ratios are printed and written to
``benchmarks/results/fit_threads.json``.

Run from the repository root, on a quiet machine for absolute times:
``PYTHONPATH=$PWD python benchmarks/fit_threads.py [--repeats 7]``.
"""

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, paired_ratio, paired_times  # noqa: E402

from skhopfield import ModernHopfieldClassifier, ModernHopfieldRegressor  # noqa: E402
from skhopfield.baselines import GLVQClassifier  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "fit_threads.json"


def _digits():
    X, y = load_digits(return_X_y=True)
    X, _, y, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    return StandardScaler().fit_transform(X), y  # 1,347 rows


def cases():
    Xd, yd = _digits()
    Xr, yr = load_diabetes(return_X_y=True)
    return {
        "ModernHopfieldClassifier(prototypes_per_class=5, beta='learn'), digits": (
            lambda: ModernHopfieldClassifier(
                prototypes_per_class=5, beta="learn", random_state=0
            ).fit(Xd, yd)
        ),
        "ModernHopfieldClassifier(beta='learn', n_components=10), digits": (
            lambda: ModernHopfieldClassifier(beta="learn", n_components=10).fit(Xd, yd)
        ),
        "GLVQClassifier(prototypes_per_class=5), digits": (
            lambda: GLVQClassifier(prototypes_per_class=5, random_state=0).fit(Xd, yd)
        ),
        "ModernHopfieldRegressor(beta='learn'), diabetes": (
            lambda: ModernHopfieldRegressor(beta="learn").fit(Xr, yr)
        ),
    }


def one_thread(fit):
    def run():
        with threadpool_limits(1, user_api="blas"):
            fit()

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    threads = max(
        [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"], default=1
    )
    harness = (
        f"{machine()}\nharness: each fit alternately under threadpool_limits(1) and "
        f"the default BLAS threads ({threads}; OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}), {args.repeats} repeats, "
        "starting setting rotating; median seconds and median per-repeat ratio "
        "default / one thread (target <= 1.1)"
    )
    print(harness)
    rows = []
    warnings.simplefilter("ignore")
    for name, fit in cases().items():
        fit()  # warm up imports and caches
        times = paired_times({"default": fit, "one": one_thread(fit)}, args.repeats)
        row = {
            "case": name,
            "default_s": float(np.median(times["default"])),
            "one_thread_s": float(np.median(times["one"])),
            "ratio": float(paired_ratio(times, "default", "one")),
        }
        rows.append(row)
        print(
            f"{name:70s} default {row['default_s']:7.3f} s  one thread "
            f"{row['one_thread_s']:7.3f} s  ratio {row['ratio']:.2f}",
            flush=True,
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({"harness": harness, "blas_threads": threads, "results": rows}, indent=2)
        + "\n"
    )
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
