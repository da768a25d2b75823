"""Asynchronous vs synchronous sweeps of HopfieldMemory, same number of sweeps.

    python benchmarks/bench_classical_async_vs_sync.py [--n-features 1000]
        [--n-patterns 100] [--n-queries 5000] [--sweeps 3] [--repeats 5]

Times the dynamics model directly (a fixed number of sweeps over the whole
batch, no early stopping), from cues with 15% of the bits flipped, so the
first sweep does real work.  Prints medians and the async / sync ratio, and
the same for a full ``transform`` (retrieval to convergence).
"""

import argparse
import warnings

import numpy as np
from sklearn.base import clone

from _common import machine, paired_medians
from skhopfield import HopfieldMemory
from skhopfield._core.binary import sweep_order
from skhopfield.datasets import flip_bits, make_binary_patterns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-features", type=int, default=1000)
    parser.add_argument("--n-patterns", type=int, default=100)
    parser.add_argument("--n-queries", type=int, default=5000)
    parser.add_argument("--sweeps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    # Synchronous retrieval reports its 2-cycles; not the subject here.
    warnings.simplefilter("ignore")

    X = make_binary_patterns(args.n_patterns, args.n_features, random_state=0)
    picks = np.random.RandomState(1).randint(args.n_patterns, size=args.n_queries)
    cues = flip_bits(X[picks], 0.15, random_state=2)
    memory = HopfieldMemory(random_state=0).fit(X)
    model = memory._model()

    def run_async():
        ST = np.ascontiguousarray(cues.T)  # models work neuron-major
        H = model.init_cache(ST)
        for sweep in range(args.sweeps):
            model.async_sweep(ST, H, sweep_order(0, sweep, args.n_features))

    def run_sync():
        ST = np.ascontiguousarray(cues.T)
        for _ in range(args.sweeps):
            ST = model.sync_step(ST)

    t = paired_medians({"async": run_async, "sync": run_sync}, args.repeats)
    t_async, t_sync = t["async"], t["sync"]
    async_memory = clone(memory).set_params(update="async").fit(X)
    sync_memory = clone(memory).set_params(update="sync").fit(X)
    t = paired_medians(
        {"async": lambda: async_memory.transform(cues), "sync": lambda: sync_memory.transform(cues)},
        args.repeats,
    )
    t_tr_async, t_tr_sync = t["async"], t["sync"]

    print(machine())
    print(
        f"N={args.n_features} P={args.n_patterns} queries={args.n_queries} "
        f"sweeps={args.sweeps} repeats={args.repeats} (medians, seconds)"
    )
    print(f"{'':<28}{'async':>9}{'sync':>9}{'async/sync':>12}")
    print(f"{'fixed sweeps (model)':<28}{t_async:>9.3f}{t_sync:>9.3f}{t_async / t_sync:>12.2f}")
    print(
        f"{'transform to convergence':<28}{t_tr_async:>9.3f}{t_tr_sync:>9.3f}"
        f"{t_tr_async / t_tr_sync:>12.2f}"
    )


if __name__ == "__main__":
    main()
