"""Peak memory of predict for 20,000 stored patterns x 20,000 queries.

    PYTHONPATH=.:benchmarks python benchmarks/memory.py
        [--memories modern classical dense] [--working-memory 1024]
        [--dense-queries 2000]

For each memory, fit, then measure ``predict`` alone, two ways:

- *traced*: the peak of ``tracemalloc`` (numpy reports its data buffers to
  it) above what was allocated before the call;
- *RSS*: the process's peak resident set size (``VmHWM``, reset just before
  the call by writing 5 to ``/proc/self/clear_refs``) minus the resident set
  size before the call.

Beside them: the budget (``working_memory``, default scikit-learn's 1024
MiB) and the 3.2 GB (3052 MiB) that one float64 20k x 20k score/overlap
matrix would take.  ModernHopfieldClassifier: 64 features, Gaussian data, 10
classes.  HopfieldMemory (Hebbian) and DenseAssociativeMemory (exponential,
beta=1, so that every stored pattern is stable): random +/-1 patterns of 100
bits, ``max_iter=1``; the dense memory predicts ``--dense-queries`` queries
(default 2,000: its chunks hold about 800 rows, so more queries do not raise
the peak, only the time; one sweep costs O(Q N P)).
"""

import argparse
import os
import time
import tracemalloc
import warnings

import numpy as np
from sklearn import config_context

from _common import machine
from skhopfield import DenseAssociativeMemory, HopfieldMemory, ModernHopfieldClassifier
from skhopfield.datasets import make_binary_patterns

P = Q = 20_000
MIB = 2**20


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def measure(func):
    """(seconds, traced peak MiB, RSS peak increase MiB) of one call."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        rss0 = status_kib("VmRSS")
    except OSError:  # pragma: no cover - not Linux
        rss0 = None
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    func()
    seconds = time.perf_counter() - start
    traced = (tracemalloc.get_traced_memory()[1] - base) / MIB
    tracemalloc.stop()
    rss = (status_kib("VmHWM") - rss0) / 1024 if rss0 is not None else float("nan")
    return seconds, traced, rss


def cases(args):
    rng = np.random.default_rng(0)
    if "modern" in args.memories:
        X = rng.standard_normal((P, 64))
        est = ModernHopfieldClassifier().fit(X, rng.integers(0, 10, P))
        Qm = rng.standard_normal((Q, 64))
        yield "ModernHopfieldClassifier", f"{P} x {Q}, 64 features", lambda: est.predict(Qm)
    if "classical" in args.memories:
        X = make_binary_patterns(P, 100, random_state=0)
        est = HopfieldMemory(max_iter=1, random_state=0).fit(X)
        Qb = make_binary_patterns(Q, 100, random_state=1)
        yield "HopfieldMemory (hebbian)", f"{P} x {Q}, 100 bits", lambda: est.predict(Qb)
    if "dense" in args.memories:
        X = make_binary_patterns(P, 100, random_state=0)
        est = DenseAssociativeMemory(interaction="exponential", max_iter=1,
                                     random_state=0).fit(X)
        Qd = make_binary_patterns(args.dense_queries, 100, random_state=1)
        yield ("DenseAssociativeMemory (exp)", f"{P} x {args.dense_queries}, 100 bits",
               lambda: est.predict(Qd))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", nargs="+", default=["modern", "classical", "dense"])
    parser.add_argument("--working-memory", type=float, nargs="+", default=[1024])
    parser.add_argument("--dense-queries", type=int, default=2000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # over-capacity classical memory
    print(machine())
    full = P * Q * 8 / MIB
    print(f"a float64 {P} x {Q} matrix: {full:.0f} MiB")
    print("| estimator | stored x queries | working_memory (MiB) | predict (s) "
          "| traced peak (MiB) | RSS peak increase (MiB) | traced / full matrix |")
    print("|---|---|---|---|---|---|---|")
    for name, shape, func in cases(args):
        for wm in args.working_memory:
            with config_context(working_memory=wm):
                seconds, traced, rss = measure(func)
            print(f"| {name} | {shape} | {wm:g} | {seconds:.2f} | {traced:.0f} | {rss:.0f} "
                  f"| {traced / full:.3f} |", flush=True)


if __name__ == "__main__":
    main()
