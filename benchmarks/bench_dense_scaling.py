"""Cost of one asynchronous sweep of DenseAssociativeMemory against N and P.

    python benchmarks/bench_dense_scaling.py [--n-queries 1000] [--fixed-p 200]
        [--fixed-n 400] [--sizes 200 400 800] [--repeats 7]
        [--interaction polynomial] [--order 3] [--flip 0.1] [--threads 1]

Drives the dynamics model directly: from cues with a fraction ``--flip`` of
the bits of a stored pattern flipped, times exactly one asynchronous sweep
(every neuron visited once, for every query), excluding the one-off
``S X^T`` of the cache.  First N varies at fixed P, then P at fixed N, with a
fixed number of queries.  Prints the median of ``--repeats`` runs, the time
per neuron-pattern-query, and the fitted log-log slopes: a sweep is
``O(N P)`` per query, so both slopes should be close to 1 (``O(N^2 P)``
would show a slope of 2 in N).  BLAS runs on ``--threads`` threads (default
1, so that the timings measure the algorithm rather than contention on a
shared machine); one untimed sweep warms up each size.
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from skhopfield._core.binary import sweep_order
from skhopfield._core.dense import DenseModel
from skhopfield.datasets import flip_bits, make_binary_patterns


def time_sweep(n_features, n_patterns, args):
    X = make_binary_patterns(n_patterns, n_features, random_state=0)
    picks = np.random.RandomState(1).randint(n_patterns, size=args.n_queries)
    cues = flip_bits(X[picks], args.flip, random_state=2)
    model = DenseModel(X, args.interaction, args.order, args.beta)
    order = sweep_order(0, 0, n_features)
    times, flips = [], 0
    for _ in range(args.repeats + 1):
        ST = np.ascontiguousarray(cues.T)  # models work neuron-major
        cache = model.init_cache(ST)
        start = time.perf_counter()
        model.async_sweep(ST, cache, order)
        times.append(time.perf_counter() - start)
        flips = int((ST.T != cues).sum())
    return float(np.median(times[1:])), flips


def slope(x, t):
    return float(np.polyfit(np.log(x), np.log(t), 1)[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--fixed-p", type=int, default=200)
    parser.add_argument("--fixed-n", type=int, default=400)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 400, 800])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--interaction",
        default="polynomial",
        choices=["polynomial", "rectified_polynomial", "exponential"],
    )
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--flip", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    with threadpool_limits(args.threads):
        run(args)


def run(args):
    print(
        f"interaction={args.interaction} order={args.order} beta={args.beta} "
        f"queries={args.n_queries} flip={args.flip} repeats={args.repeats} "
        f"threads={args.threads} "
        "(median seconds of one async sweep)"
    )
    header = f"{'vary':<6}{'N':>6}{'P':>6}{'sweep s':>10}{'ns/(N P Q)':>12}{'flips':>9}"
    slopes = {}
    for vary in ("N", "P"):
        print(header)
        xs, ts = [], []
        for size in args.sizes:
            n, p = (size, args.fixed_p) if vary == "N" else (args.fixed_n, size)
            t, flips = time_sweep(n, p, args)
            xs.append(size)
            ts.append(t)
            per = 1e9 * t / (n * p * args.n_queries)
            print(f"{vary:<6}{n:>6}{p:>6}{t:>10.4f}{per:>12.3f}{flips:>9}")
        slopes[vary] = slope(xs, ts)
    print(f"log-log slope of sweep time: in N {slopes['N']:.2f}, in P {slopes['P']:.2f}")


if __name__ == "__main__":
    main()
