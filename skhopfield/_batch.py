"""The one batch-retrieval loop that every estimator uses.

Retrieval is embarrassingly parallel over query rows: each row runs its own
dynamics against the same stored memory.  :func:`batch_retrieve` cuts the
queries into chunks whose working set fits ``sklearn.get_config()
["working_memory"]``, runs a block function on every chunk with joblib, and
stitches the per-row results back together.

Contract for the block function: it receives a contiguous block of rows and
returns an array, or a tuple of arrays, whose first axis indexes those same
rows.  Its output for a row must depend on that row alone (no reductions over
the block, no random draws that depend on where the block starts); randomness
is drawn by the caller once per call and passed in.  Under that contract the
result is the same for any ``n_jobs``, any chunk size and any row order: every
discrete output (binary states, labels, iteration counts, flags) is identical,
and real-valued outputs agree to floating-point rounding -- BLAS sums a row in
an order that depends on the shape of its block and even on the row's place
in it, so the last bits of an energy or a probability may differ between two
chunkings (decisions are taken with tie tolerances that absorb this).

Progress.  Every estimator's ``verbose`` goes to the engine, which reports
for all of them in one format (on standard output, as scikit-learn's own
estimators do, and never at ``verbose=0``): at 1 one line per batch with its
size and time (:func:`report` gives ``fit`` its line in the same format); at
2 one more line as each chunk completes -- rows done, rate, time left.  With
``n_jobs > 1`` the chunks are collected as they complete (joblib's
``return_as="generator_unordered"``) and reassembled in row order, so the
progress is live and the result unchanged; a backend that cannot stream
results (``"multiprocessing"``) reports through joblib's own ``verbose``.
"""

import sys
import time

import numpy as np
from joblib import effective_n_jobs
from sklearn import get_config
from sklearn.utils import gen_batches
from sklearn.utils.parallel import Parallel, delayed


def chunk_slices(
    n_rows, row_bytes, *, n_jobs=None, working_memory=None, max_rows=None, fixed_bytes=0
):
    """Slices that cut ``n_rows`` rows into memory-bounded chunks.

    Parameters
    ----------
    n_rows : int
        Number of query rows.
    row_bytes : int
        Bytes of working memory one row needs inside the block function.
    n_jobs : int or None
        Requested parallelism; the rows are split into at least as many
        chunks as there are effective workers, so each gets work.
    working_memory : float or None
        Budget in MiB; ``None`` reads ``sklearn.get_config()``.
    max_rows : int or None
        A cap on the rows of a chunk below what the budget allows, for block
        functions that run faster on cache-sized chunks.
    fixed_bytes : int
        Working memory a chunk needs whatever its number of rows (scratch
        reused across the rows, e.g. a tile of unpacked patterns): taken
        off the budget before it is cut into rows.

    Returns
    -------
    slices : list of slice
    """
    if working_memory is None:
        working_memory = get_config()["working_memory"]
    # As sklearn's own chunked reductions: at least one row, even when a
    # single row is over budget.
    budget = int(working_memory * 2**20) - int(fixed_bytes)
    chunk = max(budget, 0) // max(int(row_bytes), 1)
    if max_rows is not None:
        chunk = min(chunk, max_rows)
    chunk = min(max(chunk, 1), max(n_rows, 1))
    n_workers = effective_n_jobs(n_jobs)
    if n_workers > 1:
        chunk = min(chunk, max(1, -(-n_rows // n_workers)))
    return list(gen_batches(n_rows, max(chunk, 1)))


def report(verbose, label, message):
    """Print ``[label] message`` when ``verbose >= 1``; the engine's one format."""
    if verbose and verbose >= 1:
        print(f"[{label}] {message}", file=sys.stdout, flush=True)


def _seconds(t):
    return f"{t:.2f} s" if t < 100 else f"{t / 60:.1f} min"


class _Progress:
    """Counts rows as chunks complete and reports at ``verbose`` >= 1 / >= 2."""

    def __init__(self, verbose, label, n_rows, n_features, n_chunks, n_workers):
        self.verbose = verbose
        self.label = label
        self.n_rows = n_rows
        self.n_features = n_features
        self.n_chunks = n_chunks
        self.n_workers = n_workers
        self.done_rows = 0
        self.done_chunks = 0
        self.start = time.perf_counter()

    def chunk_done(self, rows):
        self.done_rows += rows
        self.done_chunks += 1
        if self.verbose >= 2:
            elapsed = time.perf_counter() - self.start
            rate = self.done_rows / elapsed if elapsed > 0 else float("inf")
            left = (self.n_rows - self.done_rows) / rate if rate > 0 else 0.0
            report(
                self.verbose,
                self.label,
                f"chunk {self.done_chunks}/{self.n_chunks}: "
                f"{self.done_rows}/{self.n_rows} rows "
                f"({self.done_rows / max(self.n_rows, 1):.0%}), "
                f"{rate:,.0f} rows/s, about {_seconds(left)} left",
            )

    def finish(self):
        elapsed = time.perf_counter() - self.start
        rate = self.n_rows / elapsed if elapsed > 0 else float("inf")
        report(
            self.verbose,
            self.label,
            f"{self.n_rows} rows x {self.n_features} features in {_seconds(elapsed)} "
            f"({rate:,.0f} rows/s; {self.n_chunks} chunk"
            f"{'s' if self.n_chunks != 1 else ''}, "
            f"{self.n_workers} worker{'s' if self.n_workers != 1 else ''})",
        )


def _indexed(block_func, index, X_block):
    """``(index, block_func(X_block))``: lets chunks complete in any order."""
    return index, block_func(X_block)


def batch_retrieve(
    block_func,
    X,
    *,
    row_bytes,
    n_jobs=None,
    working_memory=None,
    max_rows=None,
    fixed_bytes=0,
    verbose=0,
    label="retrieve",
):
    """Run ``block_func`` over row chunks of ``X`` and concatenate the results.

    Parameters
    ----------
    block_func : callable
        ``block_func(X_block) -> ndarray or tuple of ndarray``; every returned
        array has ``len(X_block)`` rows.  Must be picklable for process-based
        joblib backends (a module-level function or a ``functools.partial``).
    X : ndarray of shape (n_samples, n_features)
        The queries, already validated.
    row_bytes : int
        Working memory of one row inside ``block_func``, in bytes.
    n_jobs : int or None
        Number of joblib workers; the backend is whatever
        ``joblib.parallel_config`` selects (loky processes by default, dask
        when configured).
    working_memory : float or None
        Overrides ``sklearn.get_config()["working_memory"]`` (MiB).
    max_rows : int or None
        Cap on the rows of a chunk (see :func:`chunk_slices`).
    fixed_bytes : int
        Working memory of a chunk beside its rows' (see :func:`chunk_slices`).
    verbose : int
        0: silent.  1: one line when the batch is done (rows, features,
        time, rate, chunks, workers).  2 or more: also one line per
        completed chunk (rows done, rate, time left).
    label : str
        Names the work in the messages, e.g. ``"HopfieldMemory.retrieve"``.

    Returns
    -------
    result : ndarray or tuple of ndarray
        Same structure as ``block_func``'s output, over all rows of ``X``.
    """
    slices = chunk_slices(
        X.shape[0],
        row_bytes,
        n_jobs=n_jobs,
        working_memory=working_memory,
        max_rows=max_rows,
        fixed_bytes=fixed_bytes,
    )
    n_workers = 1 if len(slices) == 1 else effective_n_jobs(n_jobs)
    if not verbose:
        if n_workers == 1:
            parts = [block_func(X[s]) for s in slices]
        else:
            parts = Parallel(n_jobs=n_jobs)(delayed(block_func)(X[s]) for s in slices)
    else:
        parts = _run_reporting(block_func, X, slices, n_jobs, n_workers, verbose, label)
    return _concatenate(parts)


def _run_reporting(block_func, X, slices, n_jobs, n_workers, verbose, label):
    """The chunks of :func:`batch_retrieve`, reporting as each completes."""
    progress = _Progress(verbose, label, X.shape[0], X.shape[1], len(slices), n_workers)
    parts = [None] * len(slices)
    if n_workers == 1:
        for i, s in enumerate(slices):
            parts[i] = block_func(X[s])
            progress.chunk_done(s.stop - s.start)
    else:
        tasks = [delayed(_indexed)(block_func, i, X[s]) for i, s in enumerate(slices)]
        try:
            results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks)
        except ValueError:
            # A backend that cannot stream results: joblib reports (stderr).
            results = Parallel(n_jobs=n_jobs, verbose=10 if verbose >= 2 else 0)(tasks)
        for i, part in results:
            parts[i] = part
            progress.chunk_done(slices[i].stop - slices[i].start)
    progress.finish()
    return parts


def _concatenate(parts):
    if isinstance(parts[0], tuple):
        return tuple(
            np.concatenate([p[k] for p in parts], axis=0) for k in range(len(parts[0]))
        )
    return np.concatenate(parts, axis=0)
