"""Cost of progress reporting: ``verbose=0`` against ``verbose=1`` and ``2``.

    PYTHONPATH=.:benchmarks python benchmarks/bench_verbose.py [--repeats 5]
        [--n-jobs 1 2]

The case that raised the question: ``DenseAssociativeMemory(order=3)`` retrieving 3,000 cues
(64 neurons, 898 stored patterns), and ``ModernHopfieldClassifier`` predicting
3,000 cues from 3,000 stored ones (64 features).  ``verbose=2`` prints one
line per chunk (to ``/dev/null`` here) and, with ``n_jobs > 1``, collects
the chunks with joblib's ``return_as="generator_unordered"`` instead of a
list.  Prints medians of interleaved repeats and the ratios to ``verbose=0``
(expected: within noise; the lines are a few per batch).
"""

import argparse
import contextlib
import os
import warnings

import numpy as np

from _common import machine, paired_times, paired_ratio
from skhopfield import DenseAssociativeMemory, ModernHopfieldClassifier
from skhopfield.datasets import flip_bits, make_binary_patterns
from skhopfield.exceptions import CapacityWarning

# 898 random patterns are past order 3's capacity at N = 64 (about 164): the
# timing case, not a memory meant to recall.
warnings.filterwarnings("ignore", category=CapacityWarning)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args()
    print(machine())
    X = make_binary_patterns(898, 64, random_state=0)
    cues = flip_bits(np.vstack([X] * 4)[:3000], 0.1, random_state=1)
    rng = np.random.default_rng(0)
    R = rng.standard_normal((3000, 64))
    Q = rng.standard_normal((3000, 64))
    y = np.arange(3000) % 10
    for n_jobs in args.n_jobs:
        dense = {
            v: DenseAssociativeMemory(order=3, random_state=0, n_jobs=n_jobs).fit(X)
            for v in (0, 1, 2)
        }
        modern = {
            v: ModernHopfieldClassifier(n_jobs=n_jobs).fit(R, y) for v in (0, 1, 2)
        }
        for v in (1, 2):
            dense[v].set_params(verbose=v)
            modern[v].set_params(verbose=v)
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            funcs = {}
            for v in (0, 1, 2):
                funcs[f"dense v{v}"] = lambda m=dense[v]: m.transform(cues)
                funcs[f"modern v{v}"] = lambda m=modern[v]: m.predict(Q)
            times = paired_times(funcs, args.repeats)
        print(f"n_jobs={n_jobs}")
        for name, t in times.items():
            kind = name.split()[0]
            ratio = paired_ratio(times, name, f"{kind} v0")
            print(f"  {name:<10} median {np.median(t):8.3f} s, ratio to v0 {ratio:.3f}")


if __name__ == "__main__":
    main()
