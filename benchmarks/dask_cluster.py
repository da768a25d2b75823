"""Retrieval on a dask cluster: bytes per call, time, sharded memory.

    PYTHONPATH=.:benchmarks:tests python benchmarks/dask_cluster.py \
        [--parts bytes time shard] [--repeats 5] [--queries 20000] \
        [--shard-stored 240000] [--shard-queries 2000] [--shard-workers 4]
        [--memory-limit 400MB]

Three parts, each on a ``LocalCluster`` of worker *processes* (one thread
each, BLAS single-threaded by dask's nanny) started here:

``bytes`` (no timing): ``ModernHopfieldClassifier`` with 10,000 and 40,000
    stored patterns x 256 features (float64, 10 classes), 2 workers, three
    ``predict`` calls of ``--queries`` cues each under
    ``joblib.parallel_config(backend="dask")``: what reached the scheduler
    per call (task graphs, pickled; data scattered to the workers, see
    ``tests/_scheduler_bytes.py``), the number of tasks, and how many
    "Sending large graph" warnings were raised.

``time``: the issue's case, 40,000 x 256 stored, ``--queries`` cues:
    ``predict`` with ``n_jobs=2`` in local loky processes against the dask
    backend on the 2-worker cluster (and ``n_jobs=1`` in this process for
    scale), interleaved, ``--repeats`` times after one warm-up call each;
    target: dask within 1.2x of local ``n_jobs=2``.

``shard``: ``--shard-stored`` x 256 stored (float64; 240,000 is 495 MB as
    stored, more than one worker's ``--memory-limit``), ``--shard-workers``
    workers with that ``memory_limit`` (spilling off, pause/terminate at
    95/98%: the shards are the working set; a bare worker process is about
    170 MB), ``predict_proba`` of ``--shard-queries`` cues
    inside ``sharded_memory()`` with ``working_memory`` 32 MiB: the peak
    resident memory of each worker process (``VmHWM``, reset before the
    call) and the most data a worker held (dask's managed memory), the
    largest difference to the single-process result; with ``time`` also in
    ``--parts``, the time against the single-process ``predict_proba`` with
    BLAS on ``--shard-workers`` threads (equal total cores).

Prints Markdown tables; timing is meaningful only on a quiet machine.
"""

import argparse
import os
import time
import warnings

import numpy as np
from distributed import Client, LocalCluster, WorkerPlugin
from joblib import parallel_config
from sklearn import config_context
from threadpoolctl import threadpool_limits

from _common import machine, paired_times, paired_ratio
from _scheduler_bytes import SchedulerBytes
from skhopfield import ModernHopfieldClassifier, sharded_memory

N_FEATURES = 256
N_CLASSES = 10
MB = 1e6


def _data(n_patterns, n_queries, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_patterns, N_FEATURES))
    y = np.arange(n_patterns) % N_CLASSES
    Q = X[rng.integers(0, n_patterns, n_queries)]
    Q = Q + 0.5 * rng.standard_normal(Q.shape)
    return X, y, Q


def _cluster(n_workers=2, **kwargs):
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=1, dashboard_address=None, **kwargs
    )
    return cluster, Client(cluster)


def part_bytes(args):
    print("\n## Bytes per predict call (dask backend, 2 worker processes)\n")
    print(
        "| stored | memory (MB) | call | graph (kB) | scattered (MB) | tasks "
        "| large-graph warnings |"
    )
    print("|---|---|---|---|---|---|---|")
    cluster, client = _cluster()
    counter = SchedulerBytes(cluster.scheduler)
    for n_patterns in (10_000, 40_000):
        X, y, Q = _data(n_patterns, args.queries)
        clf = ModernHopfieldClassifier(n_jobs=2).fit(X, y)
        for call in (1, 2, 3):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with parallel_config(backend="dask"), counter:
                    clf.predict(Q)
            large = sum("large graph" in str(w.message) for w in caught)
            print(
                f"| {n_patterns:,} | {X.nbytes / MB:.1f} | {call} "
                f"| {counter.graph / 1e3:.1f} | {counter.scattered / MB:.2f} "
                f"| {counter.n_tasks} | {large} |"
            )
        del clf
    print(f"\n(cues: {args.queries:,} x {N_FEATURES} float64 = "
          f"{args.queries * N_FEATURES * 8 / MB:.1f} MB per call)")
    client.close()
    cluster.close()


def part_time(args):
    print("\n## predict time, 40,000 x 256 stored, "
          f"{args.queries:,} cues: dask (2 workers) vs local\n")
    X, y, Q = _data(40_000, args.queries)
    clf = ModernHopfieldClassifier().fit(X, y)
    cluster, client = _cluster()
    local1 = clf.set_params(n_jobs=1)

    def run_local1():
        clf.set_params(n_jobs=1).predict(Q)

    def run_local2():
        clf.set_params(n_jobs=2).predict(Q)

    def run_dask():
        with parallel_config(backend="dask"):
            clf.set_params(n_jobs=2).predict(Q)

    funcs = {"local n_jobs=1": run_local1, "local n_jobs=2": run_local2, "dask": run_dask}
    for f in funcs.values():  # warm-up: loky workers, scatter, imports
        f()
    times = paired_times(funcs, args.repeats)
    print("| run | median (s) | min (s) |")
    print("|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {np.median(t):.2f} | {t.min():.2f} |")
    ratio = np.median(times["dask"]) / np.median(times["local n_jobs=2"])
    print(f"\ndask / local n_jobs=2: {ratio:.2f} (paired "
          f"{paired_ratio(times, 'dask', 'local n_jobs=2'):.2f}); target <= 1.2")
    del local1
    client.close()
    cluster.close()


class PeakManaged(WorkerPlugin):
    name = "peak-managed"

    def setup(self, worker):
        self.worker, self.peak = worker, 0

    def transition(self, key, start, finish, **kwargs):
        self.peak = max(self.peak, self.worker.state.nbytes)


def _reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _rss():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM", "VmRSS")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024
    return out


def part_shard(args, timing):
    from dask import config
    from dask.utils import parse_bytes

    limit = parse_bytes(args.memory_limit)
    X, y, Q = _data(args.shard_stored, args.shard_queries, seed=1)
    clf = ModernHopfieldClassifier().fit(X, y)
    stored = clf._memory.aug.nbytes
    print(f"\n## Sharded memory: {args.shard_stored:,} x {N_FEATURES} stored "
          f"({stored / MB:.0f} MB as stored), {args.shard_workers} workers, memory_limit "
          f"{limit / MB:.0f} MB each, {args.shard_queries:,} cues\n")
    with threadpool_limits(args.shard_workers, user_api="blas"):
        reference = clf.predict_proba(Q)
    settings = {
        "distributed.worker.memory.target": False,
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.pause": 0.95,
        "distributed.worker.memory.terminate": 0.98,
    }
    with config.set(settings):
        cluster, client = _cluster(args.shard_workers, memory_limit=limit)
        client.register_plugin(PeakManaged())
        before = client.run(_rss)
        client.run(_reset_peak_rss)
        with config_context(working_memory=32), sharded_memory():
            proba = clf.predict_proba(Q)  # first call: scatters the shards
        after = client.run(_rss)
        managed = client.run(lambda dask_worker: dask_worker.plugins["peak-managed"].peak)
        print("| worker | RSS before (MB) | peak RSS (MB) | peak managed (MB) | limit (MB) |")
        print("|---|---|---|---|---|")
        for i, w in enumerate(sorted(after)):
            print(f"| {i} | {before[w]['VmRSS'] / MB:.0f} | {after[w]['VmHWM'] / MB:.0f} "
                  f"| {managed[w] / MB:.0f} | {limit / MB:.0f} |")
        diff = float(np.abs(proba - reference).max())
        same = float((proba.argmax(1) == reference.argmax(1)).mean())
        print(f"\nmax |proba - single process| = {diff:.2e}; same argmax: {same:.4f}")
        if timing:
            def sharded():
                with config_context(working_memory=32), sharded_memory():
                    clf.predict_proba(Q)

            def single():
                with threadpool_limits(args.shard_workers, user_api="blas"):
                    clf.predict_proba(Q)

            names = (f"sharded ({args.shard_workers} workers)",
                     f"one process, {args.shard_workers} BLAS threads")
            times = paired_times(dict(zip(names, (sharded, single))), args.repeats)
            print("\n| run | median (s) | min (s) |")
            print("|---|---|---|")
            for name, t in times.items():
                print(f"| {name} | {np.median(t):.2f} | {t.min():.2f} |")
            print(f"\nsharded / one process: {paired_ratio(times, *names):.2f} (paired)")
        client.close()
        cluster.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", default=["bytes", "time", "shard"],
                        choices=["bytes", "time", "shard"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--shard-stored", type=int, default=240_000)
    parser.add_argument("--shard-queries", type=int, default=2_000)
    parser.add_argument("--shard-workers", type=int, default=4)
    parser.add_argument("--memory-limit", default="400MB")
    args = parser.parse_args()
    print(machine())
    started = time.time()
    if "bytes" in args.parts:
        part_bytes(args)
    if "time" in args.parts:
        part_time(args)
    if "shard" in args.parts:
        part_shard(args, timing="time" in args.parts)
    print(f"\n({time.time() - started:.0f} s)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning:distributed")
    main()
