"""DenseAssociativeMemory retrieval vs brute 1-NN, and fit vs the GEMM.

N = 784 neurons, P = 10,000 random stored +/-1 patterns, 300 cues with 20%
of the bits of a stored pattern flipped (``--n-features``, ``--n-patterns``,
``--n-queries``, ``--flip``).  For the exponential interaction (beta 1) and
the polynomial of order 3, asynchronous updates, every repeat times in turn
(the starting one rotating, see ``_common.paired_times``):

- ``transform`` of the cues, and ``KNeighborsClassifier(n_neighbors=1,
  algorithm="brute").predict`` of the same cues on the same stored set
  (target: transform at most 8x the 1-NN predict);
- ``fit`` of the P patterns (which includes the self-check
  ``stable_patterns_``), and the bare GEMM ``X @ X.T`` of the patterns in
  float64 (target: fit at most 2x the GEMM).

``--old REF`` also times the code of git revision ``REF`` (e.g. ``main``
before the merge, or ``0e9003c``), extracted with ``git archive`` into a
temporary directory and imported as a second package, in the same
interleaved runs: before and after in one run.  The states (and
``stable_patterns_``) of old and new are compared and must be identical.

    PYTHONPATH=.:benchmarks python benchmarks/dense_vs_knn.py [--old 0e9003c]
        [--repeats 5] [--fit-repeats 3] [--interactions exponential polynomial]

Ratios are given two ways: of the medians, and (in parentheses) the median
of the ratios of runs made back to back.

Writes ``--json`` (default ``benchmarks/results/dense_vs_knn.json``; with
``--quick``, ``dense_vs_knn_quick.json``: P = 2,000, 3 repeats, 1 fit
repeat) with the machine, the commit and the harness; ``python
benchmarks/report.py`` draws it.  Time it on a quiet machine.
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from _common import harness_line, paired_ratio, paired_times, write_results
from skhopfield import DenseAssociativeMemory
from skhopfield.datasets import flip_bits, make_binary_patterns
from skhopfield.exceptions import CapacityWarning

ROOT = Path(__file__).resolve().parent.parent


def import_old(ref, where):
    """The package ``skhopfield`` at git revision ``ref``, as ``skhopfield_old``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "skhopfield"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", where], input=archive, check=True)
    init = Path(where) / "skhopfield" / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        "skhopfield_old", init, submodule_search_locations=[str(init.parent)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["skhopfield_old"] = module
    spec.loader.exec_module(module)
    return module


def make_case(args):
    X = make_binary_patterns(args.n_patterns, args.n_features, random_state=0)
    picks = np.random.RandomState(1).randint(args.n_patterns, size=args.n_queries)
    cues = flip_bits(X[picks], args.flip, random_state=2)
    return X, cues


def ratio(times, num, den):
    med = np.median(times[num]) / np.median(times[den])
    return f"{med:6.2f}x ({paired_ratio(times, num, den):.2f}x)"


def bench(interaction, X, cues, knn, args, old):
    params = dict(order=3, beta=1.0, random_state=0)
    classes = {"new": DenseAssociativeMemory}
    if old is not None:
        classes["old"] = old.DenseAssociativeMemory
    memories = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacityWarning)
        for name, cls in classes.items():
            memories[name] = cls(interaction, **params).fit(X)
    states = {name: m.transform(cues) for name, m in memories.items()}
    recall = (states["new"] == X[np.random.RandomState(1).randint(len(X), size=len(cues))])
    print(f"\n{interaction}: cues recalled exactly {recall.all(axis=1).mean():.3f}; "
          f"mean sweeps {memories['new'].retrieve(cues).n_iter.mean():.2f}; "
          f"stable stored patterns {memories['new'].stable_patterns_.mean():.4f}")
    if old is not None:
        same = (states["new"] == states["old"]).all()
        stable = (memories["new"].stable_patterns_ == memories["old"].stable_patterns_).all()
        print(f"  identical to the old code: states {same}, stable_patterns_ {stable}")
        assert same and stable, "the new code changed a result"

    funcs = {"knn": lambda: knn.predict(cues)}
    for name, m in memories.items():
        funcs[name] = lambda m=m: m.transform(cues)
    times = paired_times(funcs, args.repeats)
    line = ", ".join(f"{k} {np.median(t):.3f} s" for k, t in times.items())
    print(f"  transform of {len(cues)} cues (median): {line}")
    record = {
        "interaction": interaction,
        "recalled_exactly": float(recall.all(axis=1).mean()),
        "transform_s": float(np.median(times["new"])),
        "knn_1nn_s": float(np.median(times["knn"])),
        "transform_over_knn": float(np.median(times["new"]) / np.median(times["knn"])),
        "transform_over_knn_paired": paired_ratio(times, "new", "knn"),
    }
    for name in memories:
        print(f"  {name:>3} transform / 1-NN predict: {ratio(times, name, 'knn')}  "
              "(target <= 8x)")
    if old is not None:
        print(f"  new / old transform:           {ratio(times, 'new', 'old')}")

    def fitter(cls):
        def fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CapacityWarning)
                cls(interaction, **params).fit(X)
        return fit

    funcs = {"gemm": lambda: X @ X.T}
    for name, cls in classes.items():
        funcs[name] = fitter(cls)
    times = paired_times(funcs, args.fit_repeats)
    line = ", ".join(f"{k} {np.median(t):.3f} s" for k, t in times.items())
    print(f"  fit of {len(X)} patterns (median): {line}")
    record.update({
        "fit_s": float(np.median(times["new"])),
        "gemm_s": float(np.median(times["gemm"])),
        "fit_over_gemm": float(np.median(times["new"]) / np.median(times["gemm"])),
        "fit_over_gemm_paired": paired_ratio(times, "new", "gemm"),
    })
    for name in classes:
        print(f"  {name:>3} fit / GEMM X @ X.T:        {ratio(times, name, 'gemm')}  "
              "(target <= 2x)")
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--n-patterns", type=int, default=10_000)
    parser.add_argument("--n-queries", type=int, default=300)
    parser.add_argument("--flip", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fit-repeats", type=int, default=3)
    parser.add_argument(
        "--interactions", nargs="+", default=["exponential", "polynomial"],
        choices=["exponential", "polynomial", "rectified_polynomial"],
    )
    parser.add_argument("--old", metavar="REF", default=None,
                        help="git revision to time side by side (e.g. 0e9003c)")
    parser.add_argument("--quick", action="store_true",
                        help="P = 2,000, 3 repeats, 1 fit repeat")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.quick:
        args.n_patterns = min(args.n_patterns, 2_000)
        args.repeats, args.fit_repeats = min(args.repeats, 3), 1
    harness = (
        f"N={args.n_features} P={args.n_patterns} queries={args.n_queries} "
        f"flip={args.flip}; each repeat calls in turn (the first one rotating) the brute "
        f"1-NN predict and transform (median of {args.repeats}), then separately fit and "
        f"the float64 GEMM X @ X.T (median of {args.fit_repeats}); nothing in between; "
        "asynchronous updates, random_state=0"
    )
    print(harness_line(harness))
    X, cues = make_case(args)
    knn = KNeighborsClassifier(n_neighbors=1, algorithm="brute")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one class per pattern
        knn.fit(X, np.arange(len(X)))
    with tempfile.TemporaryDirectory() as where:
        old = import_old(args.old, where) if args.old else None
        records = [bench(interaction, X, cues, knn, args, old)
                   for interaction in args.interactions]
    path = args.json or ("benchmarks/results/dense_vs_knn_quick.json" if args.quick
                         else "benchmarks/results/dense_vs_knn.json")
    write_results(path, "dense_vs_knn", harness,
                  {"n_features": args.n_features, "n_patterns": args.n_patterns,
                   "n_queries": args.n_queries, "rows": records})


if __name__ == "__main__":
    main()
