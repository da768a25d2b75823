"""ModernHopfieldClassifier.predict against the bare GEMM ``Q @ X.T``, plainly.

2,000 cues x 784 i.i.d. Gaussian features, 10,000 and 60,000 stored
patterns with random labels (``--sizes``, ``--n-queries``), float64 and
float32 (``--dtypes``), the default ``ModernHopfieldClassifier()``.

The harness, printed first and written to the JSON: data and models are
built, every function is called once untimed (warm: imports, thread
arenas, BLAS threads), then each round runs, on the same arrays,

1. ``Q @ X.T`` (a fresh output, as a user writes it);
2. ``predict(Q)`` right after it, nothing in between ("plain");
3. a pause of ``--settle`` seconds (0.2 by default), then ``predict(Q)``
   again ("settled");
4. with ``--knn``, ``KNeighborsClassifier(algorithm="brute").predict(Q)``;
5. with ``--baseline DIR``, the same two predicts of another copy of the
   package (e.g. ``main`` before a change) after a GEMM of their own, so
   before and after are timed in one process.

for ``--repeats`` rounds (``--repeats-large`` at 60,000 stored).  Each
figure is the median over rounds; ratios are of the medians and, in
parentheses, the median over rounds of the ratio within one round.

Why two predicts: after a multithreaded OpenBLAS call its idle worker
threads spin (``sched_yield``) for 2**28 time-stamp-counter ticks (about
0.1 s at 2.6 GHz; ``OPENBLAS_THREAD_TIMEOUT``) before they sleep, so a
predict started right after the GEMM shares the cores with that spinning
thread for its first 0.1 s; the settled one does not.  Load-independent
evidence beside the wall times, per call: minor page faults
(``getrusage``), process CPU time (user + system) and the CPU time the
BLAS worker threads (the process's threads other than the main one that
exist before the first round; Linux ``/proc/self/task/*/schedstat``) used
during the call.

    PYTHONPATH=.:benchmarks python benchmarks/predict_vs_gemm.py
        [--sizes 10000 60000] [--dtypes float64 float32] [--repeats 9]
        [--repeats-large 5] [--settle 0.2] [--knn] [--baseline DIR]

About two minutes on a quiet 2-core machine (more with ``--knn`` or
``--baseline``).  Writes ``--json`` (default
``benchmarks/results/predict_vs_gemm.json``): machine, load, commit,
harness and figures.  A baseline copy: ``mkdir -p /tmp/base && git archive
main skhopfield | tar -x -C /tmp/base``.
"""

import argparse
import os
import resource
import threading
import time
from pathlib import Path

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from _common import harness_line, load_baseline, write_results
from skhopfield import ModernHopfieldClassifier

ROOT = Path(__file__).resolve().parent.parent


def make_data(dtype, n_stored, n_queries, n_features=784, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n_stored)
    X = rng.standard_normal((n_stored + n_queries, n_features)).astype(dtype)
    return X[:n_stored], y, X[n_stored:]


def _threads():
    try:
        return set(os.listdir("/proc/self/task"))
    except OSError:  # not Linux
        return set()


def _oncpu(tids):
    """Seconds on the CPU of the threads ``tids`` (those still alive)."""
    total = 0
    for t in tids:
        try:
            with open(f"/proc/self/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total / 1e9


def measured(func, workers):
    """Wall time, minor faults, process CPU and BLAS workers' CPU of one call."""
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = _oncpu(workers)
    start = time.perf_counter()
    func()
    wall = time.perf_counter() - start
    w1 = _oncpu(workers)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall_s": wall,
        "minor_faults": r1.ru_minflt - r0.ru_minflt,
        "cpu_s": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
        "sys_s": r1.ru_stime - r0.ru_stime,
        "blas_workers_cpu_s": w1 - w0,
    }


def bench(n_stored, dtype, args, base, workers):
    X, y, Q = make_data(dtype, n_stored, args.n_queries)
    ours = ModernHopfieldClassifier().fit(X, y)
    funcs = {"gemm": lambda: Q @ X.T, "predict": lambda: ours.predict(Q)}
    if args.knn:
        knn = KNeighborsClassifier(algorithm="brute").fit(X, y)
        funcs["knn"] = lambda: knn.predict(Q)
    if base is not None:
        old = base.ModernHopfieldClassifier().fit(X, y)
        funcs["base"] = lambda: old.predict(Q)
        same = float(np.mean(old.predict(Q) == ours.predict(Q)))
        dp = float(np.abs(old.predict_proba(Q) - ours.predict_proba(Q)).max())
    for f in funcs.values():
        f()
    calls = {k: [] for k in ("gemm", "predict", "predict_settled")}
    if args.knn:
        calls["knn"] = []
    if base is not None:
        calls.update({"gemm_base": [], "base": [], "base_settled": []})
    rounds = args.repeats_large if n_stored >= 30_000 else args.repeats
    for _ in range(rounds):
        calls["gemm"].append(measured(funcs["gemm"], workers))
        calls["predict"].append(measured(funcs["predict"], workers))
        time.sleep(args.settle)
        calls["predict_settled"].append(measured(funcs["predict"], workers))
        if args.knn:
            calls["knn"].append(measured(funcs["knn"], workers))
        if base is not None:
            calls["gemm_base"].append(measured(funcs["gemm"], workers))
            calls["base"].append(measured(funcs["base"], workers))
            time.sleep(args.settle)
            calls["base_settled"].append(measured(funcs["base"], workers))
    med = {k: {m: float(np.median([c[m] for c in v])) for m in v[0]}
           for k, v in calls.items()}

    def ratio(num, den):
        a = np.array([c["wall_s"] for c in calls[num]])
        b = np.array([c["wall_s"] for c in calls[den]])
        return float(np.median(a) / np.median(b)), float(np.median(a / b))

    record = {
        "n_stored": n_stored, "dtype": np.dtype(dtype).name, "rounds": rounds,
        "median": med,
        "predict_over_gemm": ratio("predict", "gemm"),
        "settled_over_gemm": ratio("predict_settled", "gemm"),
        "calls": calls,
    }
    if args.knn:
        record["knn_over_gemm"] = ratio("knn", "gemm")
    if base is not None:
        record["base_over_gemm"] = ratio("base", "gemm_base")
        record["base_settled_over_gemm"] = ratio("base_settled", "gemm_base")
        record["ours_over_base"] = ratio("predict", "base")
        record["same_labels_as_base"] = same
        record["max_abs_dproba_vs_base"] = dp
    return record


def row(r, base):
    m = r["median"]

    def rat(key):
        a, b = r[key]
        return f"{a:.2f} ({b:.2f})"

    cells = [
        str(r["n_stored"]), r["dtype"], f"{m['gemm']['wall_s']:.3f}",
        f"{m['predict']['wall_s']:.3f}", f"{m['predict_settled']['wall_s']:.3f}",
        rat("predict_over_gemm"), rat("settled_over_gemm"),
        f"{m['gemm']['minor_faults']:.0f} / {m['predict']['minor_faults']:.0f}",
        f"{m['gemm']['cpu_s']:.3f} / {m['predict']['cpu_s']:.3f}",
        f"{m['gemm']['sys_s']:.3f} / {m['predict']['sys_s']:.3f}",
        f"{m['predict']['blas_workers_cpu_s']:.3f} / "
        f"{m['predict_settled']['blas_workers_cpu_s']:.3f}",
    ]
    if "knn_over_gemm" in r:
        cells.append(rat("knn_over_gemm"))
    if base:
        cells += [rat("base_over_gemm"), rat("base_settled_over_gemm"),
                  rat("ours_over_base"), f"{r['same_labels_as_base']:.4f}",
                  f"{r['max_abs_dproba_vs_base']:.1e}"]
    return "| " + " | ".join(cells) + " |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 60_000])
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    parser.add_argument("--n-queries", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--repeats-large", type=int, default=5,
                        help="rounds at 30,000 stored patterns and more")
    parser.add_argument("--settle", type=float, default=0.2,
                        help="pause (s) before the settled predict")
    parser.add_argument("--knn", action="store_true",
                        help="also brute KNN (k=5) in every round")
    parser.add_argument("--baseline", metavar="DIR",
                        help="a directory holding another copy of skhopfield")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    base = load_baseline(args.baseline) if args.baseline else None
    extra = ", brute KNN predict" if args.knn else ""
    if base is not None:
        extra += (f", then the GEMM, the predict of {args.baseline} right after "
                  f"it, a {args.settle} s pause and that predict again")
    harness = (
        f"{args.n_queries} cues x 784 i.i.d. Gaussian features, random labels, "
        "default ModernHopfieldClassifier(); every function called once untimed "
        "(warm), then rounds on the same arrays of: Q @ X.T (fresh output), "
        f"predict(Q) right after it (plain), a {args.settle} s pause, predict(Q) "
        f"again (settled){extra}; {args.repeats} rounds ({args.repeats_large} at "
        "60k stored), medians; ratios of medians and (paired) the median of the "
        "per-round ratios; per call also minor page faults, process CPU time "
        "(user+sys) and the CPU time of the BLAS worker threads"
    )
    print(harness_line(harness))
    workers = _threads() - {str(threading.get_native_id())}
    header = ("| stored | dtype | GEMM (s) | predict after GEMM (s) | predict settled (s) "
              "| plain / GEMM (paired) | settled / GEMM (paired) | faults/call GEMM / "
              "predict | CPU s/call GEMM / predict | sys s/call GEMM / predict | "
              "BLAS-worker CPU s in predict plain / settled |")
    if args.knn:
        header += " KNN / GEMM (paired) |"
    if base:
        header += (" base plain / GEMM | base settled / GEMM | ours / base | "
                   "same labels | max abs dproba |")
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    records = []
    for n_stored in args.sizes:
        for dtype in args.dtypes:
            # the BLAS workers: threads that exist before any round (numpy's
            # and scipy's OpenBLAS start theirs when loaded)
            records.append(bench(n_stored, dtype, args, base, workers))
            print(row(records[-1], base), flush=True)
    path = args.json or str(ROOT / "benchmarks" / "results" / "predict_vs_gemm.json")
    data = {"n_queries": args.n_queries, "n_features": 784, "data": "gaussian",
            "settle_s": args.settle, "baseline": args.baseline,
            "blas_worker_threads": len(workers), "rows": records}
    write_results(path, "predict_vs_gemm", harness, data)


if __name__ == "__main__":
    main()
