"""Compact binary storage: bytes of a fitted memory and nearest-pattern search.

The binary memories store their +/-1 patterns bit-packed
(``packed_patterns_``, one bit per entry) instead of float64 (64 bits per
entry), and search the nearest stored pattern by unpacking tiles of patterns
into float32 (exact for +/-1 overlaps) for one matrix product per tile.  This
script measures, side by side in one run:

1. **Bytes.**  ``sum(a.nbytes)`` over the fitted arrays of
   ``HopfieldMemory`` (and ``DenseAssociativeMemory`` in the small case), and
   the peak of traced memory (``tracemalloc``) of ``predict``, for the code
   in this tree and, with ``--old-src``, for the code before (a copy of that
   package imported as ``skhopfield_old`` in this process).  The large case
   stores 100,000 patterns x 1,024 bits: ten distinct random patterns,
   repeated, so that every stored pattern is a fixed point and ``fit``'s
   self-check is one product (the storage holds every row whatever they
   are; distinct over-capacity patterns would make ``fit`` run the
   dynamics from 100,000 states).
2. **Search time.**  The nearest-pattern search alone
   (:func:`skhopfield._core.binary.nearest_pattern` and ``nearest_label``)
   on random patterns and states, interleaved (``paired_times``):

   - ``float64``: the code before, one float64 GEMM ``states @ patterns.T``
     against the float64 patterns (copied here verbatim);
   - ``packed``: the code now, float32 tiles unpacked from the bits;
   - ``popcount``: the other candidate, Hamming distances by XOR and
     ``numpy.bitwise_count`` of the packed rows in 64-bit words, tile by
     tile (``--no-popcount`` skips it: it is the slow one).

   All three are checked to give identical indices before timing.
   At 100,000 x 1,024 also with 16 states, the chunk of
   ``DenseAssociativeMemory``'s dynamics at that size, where the unpacking
   of the tiles is shared by few states.
3. With ``--old-src``, ``HopfieldMemory.predict`` old vs new, interleaved,
   at the small case (the dynamics included).

Run from the repository root (the old source: a checkout of the commit
before, e.g. ``git worktree add /tmp/old 0e9003c``)::

    PYTHONPATH=.:benchmarks python benchmarks/storage.py --old-src /tmp/old \
        [--repeats 5] [--queries 1000] [--large-patterns 100000]

Figures to quote: the byte ratios, and the paired ratios ``packed/float64``
(the target: at most 1) and ``popcount/float64``.
"""

import argparse
import importlib
import shutil
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np

from _common import machine, paired_ratio, paired_times
from skhopfield import HopfieldMemory
from skhopfield._core.binary import (
    nearest_label,
    nearest_pattern,
    pack_signs,
    pattern_tile_rows,
)

MiB = 2**20


# -- the search, three ways ------------------------------------------------------------
def nearest_float64(states, patterns, ghosts=True):
    """The search before: one float64 GEMM against float64 patterns."""
    overlaps = states @ patterns.T
    if ghosts:
        overlaps *= 2.0
        overlaps += 0.5
        np.abs(overlaps, out=overlaps)
    return np.argmax(overlaps, axis=1)


def nearest_label_float64(states, patterns, votes, ghosts=True):
    overlaps = states @ patterns.T
    if ghosts:
        overlaps *= 2.0
        overlaps += 0.5
        np.abs(overlaps, out=overlaps)
    best = overlaps.max(axis=1, keepdims=True)
    tied = np.equal(overlaps, best, out=overlaps)
    return np.argmax(tied @ votes, axis=1)


def _words(packed):
    """Packed rows padded to whole 64-bit words (zero bits: no distance)."""
    n_rows, n_bytes = packed.shape
    width = -(-n_bytes // 8) * 8
    out = np.zeros((n_rows, width), dtype=np.uint8)
    out[:, :n_bytes] = packed
    return out.view(np.uint64)


def nearest_popcount(states, packed, n_features, ghosts=True, tile_rows=None):
    """Hamming distances by XOR and popcount of 64-bit words, tile by tile."""
    q = _words(pack_signs(states))
    p = _words(packed)
    n_states, n_patterns = len(q), len(p)
    tile_rows = tile_rows or max(1, 2**22 // (q.shape[1] * 8 * max(n_states, 1)))
    best = np.full(n_states, -np.inf)
    index = np.zeros(n_states, dtype=np.intp)
    rows = np.arange(n_states)
    for start in range(0, n_patterns, tile_rows):
        tile = p[start : start + tile_rows]
        x = np.bitwise_xor(q[:, None, :], tile[None, :, :])
        d = np.bitwise_count(x).sum(axis=2, dtype=np.int64)
        m = n_features - 2 * d  # the overlap
        keys = np.abs(4 * m + 1) if ghosts else m  # 2 |2m + 1/2|
        i = np.argmax(keys, axis=1)
        k = keys[rows, i]
        better = k > best
        best[better] = k[better]
        index[better] = i[better] + start
    return index


def search_case(n_patterns, n_features, n_queries, repeats, popcount, seed=0):
    rng = np.random.default_rng(seed)
    P = np.where(rng.random((n_patterns, n_features)) < 0.5, -1.0, 1.0)
    S = np.where(rng.random((n_queries, n_features)) < 0.5, -1.0, 1.0)
    # a few states equal to stored patterns and to their ghosts: real ties
    S[: n_queries // 4] = P[rng.integers(0, n_patterns, n_queries // 4)]
    S[n_queries // 4 : n_queries // 2] *= -1
    packed = pack_signs(P)
    votes = np.zeros((n_patterns, 10))
    votes[np.arange(n_patterns), rng.integers(0, 10, n_patterns)] = 1.0
    ref = nearest_float64(S, P)
    assert (nearest_pattern(S, packed) == ref).all()
    assert (nearest_label(S, packed, votes) == nearest_label_float64(S, P, votes)).all()
    funcs = {
        "float64": lambda: nearest_float64(S, P),
        "packed": lambda: nearest_pattern(S, packed),
        "float64 label": lambda: nearest_label_float64(S, P, votes),
        "packed label": lambda: nearest_label(S, packed, votes),
    }
    if popcount:
        assert (nearest_popcount(S, packed, n_features) == ref).all()
        funcs["popcount"] = lambda: nearest_popcount(S, packed, n_features)
    times = paired_times(funcs, repeats)
    print(
        f"\nsearch: {n_queries} states x {n_patterns} patterns x {n_features} bits "
        f"(float32 tile {pattern_tile_rows(n_patterns, n_features)} patterns); "
        f"stored bytes: float64 {P.nbytes / MiB:.1f} MiB, packed "
        f"{packed.nbytes / MiB:.2f} MiB ({P.nbytes / packed.nbytes:.0f}x less)"
    )
    for name, t in times.items():
        print(f"  {name:14s} median {np.median(t) * 1e3:9.1f} ms")
    print(
        f"  packed / float64: {paired_ratio(times, 'packed', 'float64'):.2f}x; "
        f"labels {paired_ratio(times, 'packed label', 'float64 label'):.2f}x"
        + (
            f"; popcount / float64: {paired_ratio(times, 'popcount', 'float64'):.2f}x"
            if popcount
            else ""
        )
    )


# -- bytes of a fitted memory ----------------------------------------------------------
def fitted_bytes(est):
    """Bytes of the numpy arrays among the fitted attributes (each array
    once: an attribute may alias another)."""
    arrays = {}
    for value in vars(est).values():
        items = value if isinstance(value, (list, tuple)) else [value]
        arrays.update((id(v), v) for v in items if isinstance(v, np.ndarray))
    return sum(v.nbytes for v in arrays.values())


def traced_peak(func, *args):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        func(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def storage_data(n_patterns, n_features, n_distinct, n_queries, seed=0):
    rng = np.random.default_rng(seed)
    distinct = np.where(rng.random((n_distinct, n_features)) < 0.5, -1.0, 1.0)
    labels = rng.integers(0, n_distinct, n_patterns)
    X = distinct[labels]
    cue_rows = rng.integers(0, n_distinct, n_queries)
    flips = np.where(rng.random((n_queries, n_features)) < 0.1, -1, 1)
    cues = distinct[cue_rows] * flips
    return X, labels % 10, cues


def bytes_case(title, modules, make, n_patterns, n_features, n_distinct, n_queries):
    X, y, cues = storage_data(n_patterns, n_features, n_distinct, n_queries)
    print(f"\n{title}: {n_patterns} patterns x {n_features} bits, {n_queries} cues")
    results = {}
    for name, module in modules.items():
        est = make(module).fit(X, y)
        stored = fitted_bytes(est)
        peak = traced_peak(est.predict, cues)
        results[name] = (stored, peak, est.predict(cues))
        print(
            f"  {name:4s} fitted arrays {stored / MiB:9.2f} MiB, predict peak "
            f"{peak / MiB:8.2f} MiB (both: {(stored + peak) / MiB:9.2f} MiB)"
        )
    if "old" in results:
        old, new = results["old"], results["new"]
        assert (old[2] == new[2]).all(), "predictions differ"
        print(
            f"  new / old: fitted {new[0] / old[0]:.3f}, predict peak "
            f"{new[1] / old[1]:.3f}, both {(new[0] + new[1]) / (old[0] + old[1]):.3f}; "
            "predictions identical"
        )


def load_old(src):
    """Import the ``skhopfield`` package of another checkout as ``skhopfield_old``."""
    tmp = Path(tempfile.mkdtemp())
    shutil.copytree(Path(src) / "skhopfield", tmp / "skhopfield_old")
    sys.path.insert(0, str(tmp))
    return importlib.import_module("skhopfield_old")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--large-patterns", type=int, default=100_000)
    parser.add_argument("--old-src", default=None, help="checkout of the code before")
    parser.add_argument("--no-popcount", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    print(machine())
    modules = {"new": sys.modules["skhopfield"]}
    if args.old_src:
        modules = {"old": load_old(args.old_src), **modules}

    bytes_case(
        "HopfieldMemory, small",
        modules,
        lambda m: m.HopfieldMemory(random_state=0),
        5_000, 250, 10, args.queries,
    )
    bytes_case(
        "DenseAssociativeMemory(exponential), small",
        modules,
        lambda m: m.DenseAssociativeMemory("exponential", random_state=0),
        5_000, 250, 10, 64,
    )
    if not args.skip_large:
        bytes_case(
            "HopfieldMemory, large",
            modules,
            lambda m: m.HopfieldMemory(random_state=0),
            args.large_patterns, 1024, 10, args.queries,
        )

    search_case(5_000, 250, args.queries, args.repeats, not args.no_popcount)
    if not args.skip_large:
        search_case(
            args.large_patterns, 1024, args.queries, args.repeats, not args.no_popcount
        )
        # a chunk of the dense memory's dynamics (16 rows at this size): the
        # unpacking is then not amortized over many states
        search_case(args.large_patterns, 1024, 16, args.repeats, False)

    if "old" in modules:
        X, y, cues = storage_data(5_000, 250, 10, args.queries)
        old = modules["old"].HopfieldMemory(random_state=0).fit(X, y)
        new = HopfieldMemory(random_state=0).fit(X, y)
        assert (old.predict(cues) == new.predict(cues)).all()
        times = paired_times({"old": lambda: old.predict(cues),
                              "new": lambda: new.predict(cues)}, args.repeats)
        print(
            f"\nHopfieldMemory.predict, 5,000 x 250, {args.queries} cues: "
            f"old {np.median(times['old']) * 1e3:.1f} ms, new "
            f"{np.median(times['new']) * 1e3:.1f} ms, new / old "
            f"{paired_ratio(times, 'new', 'old'):.2f}x"
        )


if __name__ == "__main__":
    main()
