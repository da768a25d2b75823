"""Cache-sized tiles of rows, shared out to threads: the inner loop of a block.

The engine (:mod:`skhopfield._batch`) cuts a batch into chunks of rows
bounded by ``working_memory`` and hands them to ``n_jobs`` workers; inside
one chunk, a modern memory's block function walks its rows in tiles of about
:data:`TILE_BYTES` of scores, reusing one score buffer per thread
(:func:`for_tiles`).  Each row's result is computed by one tile alone, so it
depends neither on the tiling nor on the threads.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._core.binary import blas_threads, in_main_thread, single_threaded_blas

#: Target size of the score tile one block works on at a time (bytes).  The
#: block functions walk their rows in tiles of about this many bytes of
#: scores, reusing one buffer, so that no full-size (n, P) temporary is
#: allocated and the tile is still warm in cache for the exp and label GEMM
#: passes.  One such tile per thread.  Swept in
#: ``benchmarks/predict_vs_knn.py --tiles`` on a shared 2-core machine.
TILE_BYTES = 16 * 2**20

#: Fewest cue rows a score tile of the predict path holds.  With many stored
#: patterns a tile of ``TILE_BYTES`` would hold only a few rows, and every
#: GEMM of so few rows streams (and packs) all the stored patterns from
#: memory again; below this many rows the tile is cut into blocks of
#: patterns instead (see
#: :meth:`skhopfield._core.scoring.ModernMemory.class_scores`).
MIN_TILE_ROWS = 256


def tile_rows(n_patterns, itemsize, tile_bytes=None):
    """Rows per score tile so that one tile is about ``tile_bytes``."""
    if tile_bytes is None:
        tile_bytes = TILE_BYTES
    return max(1, int(tile_bytes) // max(1, n_patterns * itemsize))


def tile_shape(n_patterns, itemsize, tile_bytes=None):
    """``(rows, patterns)`` of a score tile of about ``tile_bytes``.

    All the patterns when that leaves at least ``MIN_TILE_ROWS`` rows;
    otherwise ``MIN_TILE_ROWS`` rows and a block of patterns.  The blocks
    are made equal (as few as fit, the patterns shared evenly): a thin last
    block (1,808 of 10,000 float64 patterns after one of 8,192) costs a GEMM
    call whose fixed costs (packing the cue rows) are spread over few
    patterns, 2-5% of the predict GEMM's CPU time at 10k-60k stored
    (``benchmarks/predict_vs_gemm.py``).
    """
    if tile_bytes is None:
        tile_bytes = TILE_BYTES
    rows = tile_rows(n_patterns, itemsize, tile_bytes)
    if rows >= MIN_TILE_ROWS:
        return rows, n_patterns
    rows = MIN_TILE_ROWS
    width = min(n_patterns, max(1, int(tile_bytes) // (rows * itemsize)))
    n_blocks = -(-n_patterns // width)
    return rows, -(-n_patterns // n_blocks)


def row_slices(n_rows, step):
    """Slices of ``step`` consecutive rows (the last one shorter) over ``n_rows``."""
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def for_tiles(n_rows, n_patterns, dtype, work, blocks=False):
    """Call ``work(tile, buffer)`` for every cache-sized tile of rows.

    ``buffer`` is a reusable ``(rows, n_patterns)`` score buffer; with
    ``blocks``, ``(rows, width)``, ``width <= n_patterns`` (tiles of at
    least ``MIN_TILE_ROWS`` rows, for the pattern-blocked predict path).  When there
    is more than one tile and BLAS may use several threads, the tiles are
    shared out to that many Python threads instead (each with its own buffer,
    BLAS limited to one thread meanwhile), as scikit-learn's own pairwise
    reductions do: the elementwise passes run in parallel too, and no thread
    waits on a fork-join barrier inside every GEMM, which is what made the
    plain loop slower than brute KNN in float64 on a busy machine (see
    ``benchmarks/README.md``).  The CPU count used is the one BLAS
    was allowed, so ``n_jobs`` workers (which limit BLAS) do not
    oversubscribe; the tiles are then made equal and as many per thread.
    Each row's result is computed by one tile alone, so it
    does not depend on the tiling or the threads.

    Arrays of other namespaces (``dtype`` not a numpy dtype) are one tile with
    no buffer: their library parallelizes each operation on its device, and
    the rows were already cut to ``working_memory`` by the engine.
    """
    if not isinstance(dtype, np.dtype):
        if n_rows:
            work(slice(0, n_rows), None)
        return
    if blocks:
        step, width = tile_shape(n_patterns, dtype.itemsize)
    else:
        step, width = tile_rows(n_patterns, dtype.itemsize), n_patterns
    tiles = row_slices(n_rows, step)
    rows = tiles[0].stop - tiles[0].start if tiles else 0
    n_threads = min(len(tiles), blas_threads()) if len(tiles) > 1 else 1
    if not in_main_thread():
        # Already one of several parallel workers (joblib threads, dask
        # thread workers): no threads of our own, BLAS counts left alone.
        n_threads = 1
    if n_threads > 1:
        # As many equal tiles per thread (5 tiles on 2 threads keep one
        # thread busy for 3 while the other idles after 2): the count
        # rounded up to a multiple of the threads, the rows shared evenly.
        count = -(-len(tiles) // n_threads) * n_threads
        tiles = row_slices(n_rows, -(-n_rows // count))
        rows = tiles[0].stop - tiles[0].start
    if n_threads <= 1:
        buf = np.empty((rows, width), dtype)
        for tile in tiles:
            work(tile, buf)
        return
    local = threading.local()

    def run(tile):
        buf = getattr(local, "buf", None)
        if buf is None:
            buf = local.buf = np.empty((rows, width), dtype)
        work(tile, buf)

    with single_threaded_blas():
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(run, tiles))
