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

On a dask cluster (``joblib.parallel_config(backend="dask")``) the fitted
memory that every chunk needs, ``shared``, is scattered to the workers once
per fitted model (cached under ``owner``, see :func:`batch_retrieve`) and
every chunk's task refers to it, so the task graph of a call holds the cues
and small parameters only.  :func:`sharded_memory` goes further for the
modern memories: their stored patterns are split across the workers and
:func:`sharded_retrieve` sends every chunk of cues to every shard.

Progress.  Every estimator's ``verbose`` goes to the engine, which reports
for all of them in one format (on standard output, as scikit-learn's own
estimators do, and never at ``verbose=0``): at 1 one line per batch with its
size and time (:func:`report` gives ``fit`` its line in the same format); at
2 one more line as each chunk completes -- rows done, rate, time left.  With
``n_jobs > 1`` the chunks are collected as they complete (joblib's
``return_as="generator_unordered"``) and reassembled in row order, so the
progress is live and the result unchanged; a backend that cannot stream
results (``"multiprocessing"``) reports through joblib's own ``verbose``.
A sharded memory reports the same lines, a chunk being done when all its
shards are merged.
"""

import sys
import threading
import time
import weakref
from contextlib import contextmanager
from contextvars import ContextVar
from numbers import Integral

import numpy as np
from joblib import effective_n_jobs
from joblib.parallel import get_active_backend
from sklearn import get_config
from sklearn.externals import array_api_compat
from sklearn.utils import gen_batches
from sklearn.utils.parallel import Parallel, delayed


#: Target size of one (rows x patterns) float64 array of a retrieval chunk of
#: a binary memory whose per-neuron loop makes temporaries of this size for
#: the rows that flip (passed as ``max_rows`` to :func:`chunk_slices`); past
#: about 1 MiB the allocator hands them out as fresh pages every time, and
#: page faults then cost more than the arithmetic (see scaling in
#: benchmarks/README.md).
CACHE_BYTES = 2**19


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


def _indexed(block_func, index, X_block, **shared):
    """``(index, block_func(X_block, **shared))``: chunks complete in any order."""
    return index, block_func(X_block, **shared)


def batch_retrieve(
    block_func,
    X,
    *,
    row_bytes,
    shared=None,
    owner=None,
    n_jobs=None,
    working_memory=None,
    max_rows=None,
    fixed_bytes=0,
    verbose=0,
    label="retrieve",
    n_features=None,
):
    """Run ``block_func`` over row chunks of ``X`` and concatenate the results.

    Parameters
    ----------
    block_func : callable
        ``block_func(X_block, **shared) -> ndarray or tuple of ndarray``;
        every returned array has ``len(X_block)`` rows.  Must be picklable
        for process-based joblib backends (a module-level function or a
        ``functools.partial`` of one, holding the small parameters).
    X : ndarray of shape (n_samples, n_features)
        The queries, already validated.
    row_bytes : int
        Working memory of one row inside ``block_func``, in bytes.
    shared : dict, default=None
        The large, read-only keyword arguments of ``block_func``: the
        fitted memory (model, stored patterns, labels).  Under joblib's dask
        backend they are scattered to the workers once and the tasks refer
        to them, instead of travelling inside every task.
    owner : tuple, default=None
        What ``shared`` is derived from: ``(obj, *extras)`` with ``obj`` an
        object of the fitted state that ``fit`` and ``partial_fit`` replace
        (weakly referenced) and ``extras`` hashable values ``shared`` also
        depends on (dtype, parameters read at retrieval).  Calls with the
        same owner reuse the scattered copies: they must pass equal
        ``shared`` values.  Without an owner, ``shared`` is scattered once
        per call.
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
    n_features : int or None
        The number of features the messages name; None: ``X.shape[1]``.
        For an ``X`` of row indices (one column), the features of the rows
        they index.

    Returns
    -------
    result : ndarray or tuple of ndarray
        Same structure as ``block_func``'s output, over all rows of ``X``.
    """
    shared = {} if shared is None else dict(shared)
    slices = chunk_slices(
        X.shape[0],
        row_bytes,
        n_jobs=n_jobs,
        working_memory=working_memory,
        max_rows=max_rows,
        fixed_bytes=fixed_bytes,
    )
    # Arrays of other namespaces (torch, cupy, ... under scikit-learn's array
    # API dispatch) are walked chunk by chunk in this process: their library
    # parallelizes every operation on the device, and the chunks keep the
    # device's working set within ``working_memory``.
    on_numpy = not array_api_compat.is_array_api_obj(X) or isinstance(X, np.ndarray)
    n_workers = 1 if len(slices) == 1 or not on_numpy else effective_n_jobs(n_jobs)
    if n_workers > 1 and shared:
        client = _dask_client()
        if client is not None:
            shared = _scatter_shared(client, owner, shared)
    if not verbose:
        if n_workers == 1:
            parts = [block_func(X[s, ...], **shared) for s in slices]
        else:
            parts = Parallel(n_jobs=n_jobs)(
                delayed(block_func)(X[s], **shared) for s in slices
            )
    else:
        parts = _run_reporting(
            block_func, X, shared, slices, n_jobs, n_workers, verbose, label,
            X.shape[1] if n_features is None else n_features,
        )
    return _concatenate(parts)


def _run_reporting(
    block_func, X, shared, slices, n_jobs, n_workers, verbose, label, n_features
):
    """The chunks of :func:`batch_retrieve`, reporting as each completes."""
    progress = _Progress(verbose, label, X.shape[0], n_features, len(slices), n_workers)
    parts = [None] * len(slices)
    if n_workers == 1:
        for i, s in enumerate(slices):
            parts[i] = block_func(X[s, ...], **shared)
            progress.chunk_done(s.stop - s.start)
    else:
        tasks = [
            delayed(_indexed)(block_func, i, X[s], **shared)
            for i, s in enumerate(slices)
        ]
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
    if isinstance(parts[0], dict):
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    first = parts[0][0] if isinstance(parts[0], tuple) else parts[0]
    if isinstance(first, np.ndarray) or not array_api_compat.is_array_api_obj(first):
        concat = np.concatenate
    else:  # the block's own namespace, on its device
        concat = array_api_compat.array_namespace(first).concat
    if isinstance(parts[0], tuple):
        return tuple(concat([p[k] for p in parts], axis=0) for k in range(len(parts[0])))
    return concat(parts, axis=0)


# -- the fitted memory, scattered once per fitted model -------------------------------


def _dask_client():
    """The dask client of joblib's active backend, or None for other backends."""
    backend, _ = get_active_backend()
    if type(backend).__name__ != "DaskDistributedBackend":
        return None
    return getattr(backend, "client", None)


class _ScatterCache:
    """Futures of scattered data, per owner object, dropped with it.

    ``entries[id(obj)] = (weakref to obj, {key: (tag, futures)})``; a
    ``weakref.finalize`` on ``obj`` removes its entry (releasing the
    futures, so the workers free the data) when the fitted state it belongs
    to is garbage: after a refit or ``partial_fit`` (which replace it) or
    when the estimator goes.  A key holds one version: a new ``tag``
    (another layout of shards) replaces the old futures.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.entries = {}

    def get(self, owner, key, tag, client, make):
        obj, extras = owner[0], tuple(owner[1:])
        key = (client.id, extras) + tuple(key)
        with self.lock:
            entry = self.entries.get(id(obj))
            if entry is None or entry[0]() is not obj:
                entry = (weakref.ref(obj), {})
                self.entries[id(obj)] = entry
                weakref.finalize(obj, self._drop, id(obj), entry[1])
            held = entry[1].get(key)
            if held is not None and held[0] == tag and _alive(client, held[1]):
                return held[1]
            futures = make()
            entry[1][key] = (tag, futures)
            return futures

    def _drop(self, obj_id, items):
        with self.lock:
            entry = self.entries.get(obj_id)
            if entry is not None and entry[1] is items:
                del self.entries[obj_id]
        items.clear()


_CACHE = _ScatterCache()


def _alive(client, futures):
    return client.status == "running" and all(
        f.status == "finished" for f in futures
    )


def _scatter_shared(client, owner, shared):
    """``shared`` with its values replaced by futures of copies on every worker.

    Each value is cached on its own (under ``owner`` and its name), so calls
    that share only some of them (``transform`` needs the memory,
    ``predict`` the memory and the labels) reuse what is there.
    """
    out = {}
    for name, value in shared.items():

        def scatter(value=value):
            # A list, not the bare value: scatter would split a list or a dict.
            return client.scatter([value], broadcast=True, hash=False)

        if owner is None:
            out[name] = scatter()[0]
        else:
            out[name] = _CACHE.get(owner, ("shared", name), None, client, scatter)[0]
    return out


# -- sharded memories ------------------------------------------------------------------

_SHARDING = ContextVar("skhopfield_sharding", default=None)


class _Sharding:
    def __init__(self, client, n_shards):
        self.client = client
        self.n_shards = n_shards

    def layout(self, n_patterns):
        """Where the shards go, and the fewest threads of their workers.

        Returns ``([(worker, slice of patterns), ...], threads)``: contiguous,
        near-equal shards, shard ``k`` on the ``k``-th worker by address
        (round robin when there are more shards than workers).
        """
        nthreads = self.client.nthreads()
        workers = sorted(nthreads)
        if not workers:
            raise RuntimeError("sharded_memory: the dask cluster has no workers.")
        n = len(workers) if self.n_shards == "auto" else self.n_shards
        n = max(1, min(n, n_patterns))
        bounds = np.linspace(0, n_patterns, n + 1).round().astype(int)
        layout = [
            (workers[k % len(workers)], slice(int(bounds[k]), int(bounds[k + 1])))
            for k in range(n)
        ]
        threads = min(nthreads[w] for w, _ in layout)
        return layout, threads


@contextmanager
def sharded_memory(n_shards="auto", *, client=None):
    """Split the stored patterns of the modern memories across a dask cluster.

    Inside this context, the retrieval of a
    :class:`~skhopfield.ModernHopfieldClassifier` or
    :class:`~skhopfield.ModernHopfieldRegressor` (``predict``,
    ``predict_proba``, ``transform``, ``retrieve``, ``energy``, ``score``)
    runs sharded: its stored patterns are cut into ``n_shards`` contiguous
    blocks, each sent once (per fitted model) to one worker of the cluster
    and kept there; every chunk of cues goes to every shard, whose worker
    returns per cue the log-sum-exp of its scores and its attention-weighted
    sums (class scores or targets, or the next state), and the client merges them
    exactly (see ``merge_lse`` in ``skhopfield._core.shards``).  No worker
    holds more than its shards, so a memory larger than any one worker
    works.  ``transform`` with several update steps makes one round trip
    per step.  Results equal the unsharded ones to rounding (the shards
    take the softmax in blocks).  A separation other than softmax shards
    too: each shard returns its largest score and its candidates for the
    support (the scores within the separation's width of its largest,
    and their indices), and the client finds the threshold on the merged
    candidates (see ``merge_candidates`` in ``skhopfield._core.shards``).
    The context holds for the thread that
    entered it (like ``sklearn.config_context``): retrieval that other code
    runs in threads of its own is not sharded.

    A memory fitted with ``sample_weight`` shards with its weights (the
    prior ``log w`` enters each shard's log-sum-exp), one fitted on sparse
    input as CSR shards.  A memory with a learned map (``n_components``)
    scores through it and is not sharded: it runs as outside the context.
    With ``verbose``, progress is reported as each chunk's shards are
    merged.

    The binary memories (:class:`~skhopfield.HopfieldMemory`,
    :class:`~skhopfield.DenseAssociativeMemory`) are not sharded: their
    fitted state is coupled across all patterns, so they stay
    query-parallel (``joblib.parallel_config(backend="dask")``).

    Parameters
    ----------
    n_shards : int or "auto", default="auto"
        Number of shards.  ``"auto"``: one per worker of the cluster, the
        fewest patterns per worker.  An int places shard ``k`` on the
        ``k``-th worker (by address), round robin when there are more
        shards than workers; at most one shard per pattern.
    client : distributed.Client, default=None
        The cluster to use; ``None`` takes the current client
        (``distributed.get_client()``).

    Yields
    ------
    None

    See Also
    --------
    joblib.parallel_config : ``backend="dask"`` runs the other retrievals on
        the cluster, query-parallel, with the fitted memory sent once.

    Examples
    --------
    >>> import numpy as np
    >>> from distributed import Client
    >>> from skhopfield import ModernHopfieldClassifier, sharded_memory
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((600, 8)), np.arange(600) % 3
    >>> clf = ModernHopfieldClassifier().fit(X, y)
    >>> with Client(processes=False, n_workers=2, dashboard_address=None):
    ...     with sharded_memory():  # one shard of 300 patterns per worker
    ...         proba = clf.predict_proba(X[:5])
    >>> bool(np.allclose(proba, clf.predict_proba(X[:5])))
    True
    """
    if not (
        n_shards == "auto"
        or (isinstance(n_shards, Integral) and not isinstance(n_shards, bool)
            and n_shards >= 1)
    ):
        raise ValueError(
            f"n_shards must be 'auto' or a positive integer, got {n_shards!r}."
        )
    if client is None:
        from distributed import get_client

        client = get_client()
    token = _SHARDING.set(_Sharding(client, n_shards))
    try:
        yield
    finally:
        _SHARDING.reset(token)


def sharding_active():
    """Whether retrieval runs inside :func:`sharded_memory`."""
    return _SHARDING.get() is not None


def sharded_retrieve(
    task,
    merge,
    X,
    *,
    owner,
    n_patterns,
    shards,
    row_bytes,
    working_memory=None,
    verbose=0,
    label="retrieve",
    **params,
):
    """Run ``task`` on every chunk of ``X`` against every shard; merge per chunk.

    Inside :func:`sharded_memory` only.  The patterns are split by the
    context's layout; ``shards[name](rows)`` makes the part of ``name`` (the
    shard of the memory, of its labels ...) for the patterns ``rows``, which
    is scattered to that shard's worker once per ``owner`` (as in
    :func:`batch_retrieve`) and kept there.

    Parameters
    ----------
    task : callable
        ``task(X_chunk, **{name: part}, **params) -> dict of ndarray``, the
        per-cue results of one shard; runs on the worker holding the shard.
    merge : callable
        ``merge(results, counts) -> dict or tuple of ndarray``: the
        results of all the shards for one chunk (in shard order) and the
        number of patterns in each.
    X : ndarray of shape (n_samples, n_features)
        The cues.
    owner : tuple
        As in :func:`batch_retrieve`: identifies the fitted state.
    n_patterns : int
        Stored patterns to split.
    shards : dict of callable
        ``name -> make(rows)``.
    row_bytes : callable
        ``row_bytes(shard_size)``: working memory of one cue row in a task.
    working_memory : float or None
        Overrides ``sklearn.get_config()["working_memory"]`` (MiB).
    verbose, label
        As in :func:`batch_retrieve`; a chunk is done when the results of
        all its shards are merged.
    **params
        Small parameters of ``task``.

    Returns
    -------
    result : dict or tuple of ndarray
        ``merge``'s output over all rows of ``X``.
    """
    plan = _SHARDING.get()
    client = plan.client
    layout, threads = plan.layout(n_patterns)
    workers = [w for w, _ in layout]
    tag = tuple((w, rows.start, rows.stop) for w, rows in layout)
    parts = {}
    for name, make in shards.items():

        def scatter(make=make):
            return [
                client.scatter(make(rows), workers=[w], hash=False)
                for w, rows in layout
            ]

        parts[name] = _CACHE.get(owner, ("shards", name), tag, client, scatter)
    counts = [rows.stop - rows.start for _, rows in layout]
    n = X.shape[0]
    slices = chunk_slices(
        n,
        row_bytes(max(counts)),
        n_jobs=1,
        working_memory=working_memory,
        max_rows=max(1, -(-n // threads)),
    )
    distinct = sorted(set(workers))
    # A window of chunks in flight: enough to keep every worker thread busy,
    # few enough that the cues and results waiting on a worker stay small.
    window = 2 * threads
    pending, merged = [], []

    def submit(s):
        chunk = client.scatter(X[s], workers=distinct, broadcast=True, hash=False)
        return [
            client.submit(
                task,
                chunk,
                **{name: parts[name][k] for name in parts},
                **params,
                workers=[w],
                allow_other_workers=False,
                pure=False,
            )
            for k, w in enumerate(workers)
        ]

    progress = _Progress(
        verbose, label, n, X.shape[1], len(slices), len(set(workers))
    )

    def collect():
        s, futures = pending.pop(0)
        merged.append(merge(client.gather(futures), counts))
        progress.chunk_done(s.stop - s.start)

    for s in slices:
        pending.append((s, submit(s)))
        if len(pending) >= window:
            collect()
    while pending:
        collect()
    if verbose:
        progress.finish()
    return _concatenate(merged)


# ``contextmanager`` wraps the function in one defined in contextlib, which
# doctest would take for an import and skip: name its example explicitly.
__test__ = {"sharded_memory": sharded_memory}
