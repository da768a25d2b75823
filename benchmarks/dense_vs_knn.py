"""DenseAssociativeMemory retrieval vs brute 1-NN, and fit vs the GEMM.

N = 784 neurons, P = 10,000 random stored +/-1 patterns, 300 cues with 20%
of the bits of a stored pattern flipped (``--n-features``, ``--n-patterns``,
``--n-queries``, ``--flip``), asynchronous updates, ``random_state=0``; for
the exponential interaction (beta 1) and the polynomial of order 3:

- ``transform`` of the cues against the warm
  ``KNeighborsClassifier(n_neighbors=1, algorithm="brute").predict`` of the
  same cues on the same stored set (target for the exponential: transform
  at most 8x the 1-NN predict);
- ``fit`` of the P patterns (which includes the self-check
  ``stable_patterns_``) against the bare GEMM ``X @ X.T`` of the patterns
  in the dtype ``fit`` is given, float64 (target for the exponential: fit
  at most 2x the GEMM).

The harness, printed first and written to the JSON: every function is
called once untimed (warm: imports, lazily built tables, BLAS threads),
then the timed calls alternate, ``a, b, a, b, ...`` (``a, b, c, ...``
with ``--old``), on the same arrays, with nothing else in between, for
``--repeats`` rounds (``--fit-repeats`` for fit); each figure is the median
of its calls.  Ratios are given two ways: of the medians, and (in
parentheses) the median over rounds of the ratio of the two calls of one
round.  For reference the 1-NN predict is also timed ``--repeats`` times
back to back, alone (``knn_1nn_alone_s``): a slower 1-NN predict when
alternated means that retrieval leaves the machine slower for it.

``--old REF`` also times the code of git revision ``REF`` (e.g. ``main``
before a change), extracted with ``git archive`` into a temporary
directory and imported as a second package, in the same alternation: before
and after in one run.  The states (and ``stable_patterns_``) of old and new
are compared and must be identical.

    PYTHONPATH=.:benchmarks python benchmarks/dense_vs_knn.py [--old main]
        [--repeats 7] [--fit-repeats 3] [--interactions exponential polynomial]

Writes ``--json`` (default ``benchmarks/results/dense_vs_knn.json``; with
``--quick``, ``dense_vs_knn_quick.json``: P = 2,000, 3 repeats, 1 fit
repeat) with the machine, the commit, the harness and the figures;
``python benchmarks/report.py`` renders it.  About a minute on a quiet
2-core machine (two more with ``--old`` of a version without the
dominance certificate); time it on a quiet machine.
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
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
    return X, cues, picks


def ratio(times, num, den):
    med = np.median(times[num]) / np.median(times[den])
    return f"{med:6.2f}x ({paired_ratio(times, num, den):.2f}x)"


def alternated(funcs, repeats):
    """One untimed call of each (warm), then ``repeats`` rounds of one timed
    call each, in the same order every round, nothing in between."""
    for func in funcs.values():
        func()
    return paired_times(funcs, repeats, rotate=False)


def back_to_back(func, repeats):
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return np.array(times)


def bench(interaction, X, cues, picks, knn, args, old):
    params = dict(order=3, beta=1.0, random_state=0)
    classes = {"new": DenseAssociativeMemory}
    if old is not None:
        classes["old"] = old.DenseAssociativeMemory
    memories = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacityWarning)
        for name, cls in classes.items():
            memories[name] = cls(interaction, **params).fit(X)
    results = {name: m.retrieve(cues) for name, m in memories.items()}
    new = results["new"]
    recalled = float((new.states == X[picks]).all(axis=1).mean())
    print(f"\n{interaction}: cues recalled exactly {recalled:.3f}; "
          f"mean sweeps {new.n_iter.mean():.2f}; "
          f"stable stored patterns {memories['new'].stable_patterns_.mean():.4f}")
    if old is not None:
        same = all(
            (new[key] == results["old"][key]).all()
            for key in ("states", "n_iter", "converged", "nearest")
        )
        stable = np.array_equal(
            memories["new"].stable_patterns_, memories["old"].stable_patterns_
        )
        print(f"  identical to the old code: states, sweeps, nearest {same}, "
              f"stable_patterns_ {stable}")
        assert same and stable, "the new code changed a result"

    funcs = {"knn": lambda: knn.predict(cues)}
    for name, m in memories.items():
        funcs[name] = lambda m=m: m.transform(cues)
    times = alternated(funcs, args.repeats)
    alone = back_to_back(funcs["knn"], args.repeats)
    line = ", ".join(f"{k} {np.median(t):.3f} s" for k, t in times.items())
    print(f"  transform of {len(cues)} cues (median, alternated): {line}; "
          f"1-NN alone {np.median(alone):.3f} s")
    record = {
        "interaction": interaction,
        "recalled_exactly": recalled,
        "mean_sweeps": float(new.n_iter.mean()),
        "transform_s": float(np.median(times["new"])),
        "knn_1nn_s": float(np.median(times["knn"])),
        "knn_1nn_alone_s": float(np.median(alone)),
        "transform_over_knn": float(np.median(times["new"]) / np.median(times["knn"])),
        "transform_over_knn_paired": paired_ratio(times, "new", "knn"),
        "transform_over_knn_alone": float(np.median(times["new"]) / np.median(alone)),
    }
    targets = ("", "")  # the targets are the exponential's
    if interaction == "exponential":
        targets = ("  (target <= 8x)", "  (target <= 2x)")
    for name in memories:
        alone_ratio = np.median(times[name]) / np.median(alone)
        print(f"  {name:>3} transform / 1-NN predict: {ratio(times, name, 'knn')}; "
              f"/ 1-NN alone {alone_ratio:.2f}x{targets[0]}")
    if old is not None:
        print(f"  new / old transform:           {ratio(times, 'new', 'old')}")
        record["old_transform_s"] = float(np.median(times["old"]))
        record["old_transform_over_knn"] = float(
            np.median(times["old"]) / np.median(times["knn"])
        )

    def fitter(cls):
        def fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CapacityWarning)
                cls(interaction, **params).fit(X)
        return fit

    funcs = {"gemm": lambda: X @ X.T}
    for name, cls in classes.items():
        funcs[name] = fitter(cls)
    times = alternated(funcs, args.fit_repeats)
    line = ", ".join(f"{k} {np.median(t):.3f} s" for k, t in times.items())
    print(f"  fit of {len(X)} patterns (median, alternated): {line}")
    record.update({
        "fit_s": float(np.median(times["new"])),
        "gemm_s": float(np.median(times["gemm"])),
        "fit_over_gemm": float(np.median(times["new"]) / np.median(times["gemm"])),
        "fit_over_gemm_paired": paired_ratio(times, "new", "gemm"),
    })
    for name in classes:
        print(f"  {name:>3} fit / GEMM X @ X.T:        {ratio(times, name, 'gemm')}"
              f"{targets[1]}")
    if old is not None:
        record["old_fit_s"] = float(np.median(times["old"]))
        record["old_fit_over_gemm"] = float(
            np.median(times["old"]) / np.median(times["gemm"])
        )
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--n-patterns", type=int, default=10_000)
    parser.add_argument("--n-queries", type=int, default=300)
    parser.add_argument("--flip", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--fit-repeats", type=int, default=3)
    parser.add_argument(
        "--interactions", nargs="+", default=["exponential", "polynomial"],
        choices=["exponential", "polynomial", "rectified_polynomial"],
    )
    parser.add_argument("--old", metavar="REF", default=None,
                        help="git revision to time side by side (e.g. main)")
    parser.add_argument("--quick", action="store_true",
                        help="P = 2,000, 3 repeats, 1 fit repeat")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.quick:
        args.n_patterns = min(args.n_patterns, 2_000)
        args.repeats, args.fit_repeats = min(args.repeats, 3), 1
    versions = "transform" + (f" and the transform of {args.old}" if args.old else "")
    fits = "fit" + (f", the fit of {args.old}" if args.old else "")
    harness = (
        f"N={args.n_features} P={args.n_patterns} queries={args.n_queries} "
        f"flip={args.flip}, asynchronous updates, random_state=0; every function "
        "called once untimed (warm), then timed calls alternating on the same "
        f"arrays, nothing in between: the brute 1-NN predict and {versions} "
        f"({args.repeats} rounds, medians), then the 1-NN predict alone "
        f"{args.repeats} times back to back; then the float64 GEMM X @ X.T and "
        f"{fits} ({args.fit_repeats} rounds, medians)"
    )
    print(harness_line(harness))
    X, cues, picks = make_case(args)
    knn = KNeighborsClassifier(n_neighbors=1, algorithm="brute")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one class per pattern
        knn.fit(X, np.arange(len(X)))
    with tempfile.TemporaryDirectory() as where:
        old = import_old(args.old, where) if args.old else None
        records = [bench(interaction, X, cues, picks, knn, args, old)
                   for interaction in args.interactions]
    path = args.json or str(ROOT / "benchmarks" / "results" / (
        "dense_vs_knn_quick.json" if args.quick else "dense_vs_knn.json"))
    data = {"n_features": args.n_features, "n_patterns": args.n_patterns,
            "n_queries": args.n_queries, "flip": args.flip,
            "repeats": args.repeats, "fit_repeats": args.fit_repeats,
            "old": args.old, "rows": records}
    write_results(path, "dense_vs_knn", harness, data)


if __name__ == "__main__":
    main()
