"""Shared machinery for binary (+/-1) memories.

Models work *neuron-major*: a batch of states is an array ``ST`` of shape
``(n_features, n_queries)``, one contiguous row per neuron, because an
asynchronous update visits one neuron of every query at a time.  A model
has five methods:

``init_cache(ST)``
    Whatever per-query state makes an update cheap (local fields for the
    classical network, pattern overlaps for the dense one), also with one
    column per query.
``async_sweep(ST, cache, order, free=None)``
    One asynchronous sweep: visit the neurons in ``order`` one at a time,
    set each to the sign that lowers the energy, keep ``cache`` in step.
    Works in place; returns a boolean mask of the queries that changed.
    ``free`` (same shape as ``ST``, or None: all free) marks the neurons
    that may change: a clamped neuron (``False``) is never updated.
``sync_step(ST)``
    All neurons at once from the same state; returns the new states
    (:func:`run_dynamics` keeps the clamped neurons).
``take(cache, cols)``
    The cache restricted to a subset of queries.
``energy(S)``
    Energy of each row of a query-major ``S`` (n_queries, n_features).

States may hold zeros: a missing neuron of a partial cue starts at 0, "no
evidence" (it adds nothing to any field or overlap).  A neuron at 0 that is
updated takes the sign that gives the lower energy, given the others as
they are; a tie (both signs within the model's tolerance of each other)
gives +1 (see :func:`settle`).  Every neuron is updated in the first sweep
or step, so no zero survives it.

and an attribute ``symmetric``: whether ``E(s) = E(-s)``, so that the
sign-reversed pattern is a memory too (see :func:`nearest_pattern`).

:func:`run_dynamics` drives either model to a fixed point, a 2-cycle or
``max_iter`` sweeps, vectorized over a batch of queries.
"""

import threading
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController


def binarize(X, threshold):
    """Map real values to +/-1: ``x > threshold`` is +1, everything else -1.

    A missing value (NaN) maps to 0, "no evidence".
    """
    S = np.where(X > threshold, 1.0, -1.0)
    missing = np.isnan(X)
    if missing.any():
        S[missing] = 0.0
    return S


def partial_cue(X, threshold):
    """``(S, free)``: the binarized cues and which of their neurons may change.

    A row with missing entries (NaN) is a partial cue: its missing neurons
    start at 0 and are free, its known ones are clamped.  A row with none
    is a whole cue, every neuron free (the dynamics may correct any of
    them).  ``free`` is None when no row has a missing entry.
    """
    S = binarize(X, threshold)
    missing = np.isnan(X)
    if not missing.any():
        return S, None
    whole = ~missing.any(axis=1)
    return S, missing | whole[:, None]


def fill_majority(S, weights=None):
    """Stored patterns without zeros: each 0 (a missing entry) takes the sign
    held by the most (sample-weighted) patterns of ``S`` that have that
    entry, +1 on a tie or where none has it.

    What ``SimpleImputer(strategy="most_frequent")`` does on the binarized
    patterns, with ties to +1.  A new array; ``S`` when nothing is missing.
    """
    zero = S == 0
    if not zero.any():
        return S
    votes = S.sum(axis=0) if weights is None else np.asarray(weights) @ S
    return np.where(zero, np.where(votes < 0, -1.0, 1.0), S)


def settle(field, state, tol):
    """The states after updating every neuron from its ``field``.

    A +/-1 neuron flips where the field strictly disagrees with it
    (:func:`flip_mask`); a neuron at 0 takes the sign of its field, and a
    field within ``tol`` of zero gives +1.  Both are "the sign of the lower
    energy, a tie going to +1 for a neuron at 0 and to the current sign
    otherwise": a neuron at 0 is decided as if it were +1.
    """
    zero = state == 0
    if zero.any():
        state = np.where(zero, 1.0, state)
    return np.where(flip_mask(field, state, tol), -state, state)


def sweep_order(seed, sweep, n_features):
    """The neuron order of asynchronous sweep number ``sweep``.

    Derived from ``(seed, sweep)`` alone, so every chunk of queries and every
    joblib worker visits the neurons in the same order: results never depend
    on how the batch was cut.
    """
    return np.random.default_rng([seed, sweep]).permutation(n_features)


@lru_cache(maxsize=1)
def _blas_controller():
    return ThreadpoolController().select(user_api="blas")


def blas_threads():
    """The number of threads BLAS may use now (1 when no BLAS is loaded)."""
    infos = _blas_controller().info()
    return max([info["num_threads"] for info in infos], default=1)


#: State of the one process-wide BLAS limiter, guarded by ``_LIMIT_LOCK``:
#: how many contexts are inside it, and the limiter that restores the counts
#: found by the first of them.
_LIMIT_LOCK = threading.Lock()
_LIMIT = {"users": 0, "limiter": None}


def in_main_thread():
    """Whether the caller runs on the process's main thread.

    Anywhere else (a joblib thread, a dask thread worker) retrieval is
    already one of several parallel workers: it neither changes BLAS thread
    counts nor starts threads of its own (see :func:`single_threaded_blas`).
    """
    return threading.current_thread() is threading.main_thread()


@contextmanager
def single_threaded_blas():
    """Context manager: BLAS on one thread for a loop of tiny products.

    The per-neuron loops of the asynchronous sweeps call BLAS thousands of
    times on a few hundred kilobytes each; with several BLAS threads every
    call pays a fork-join, which on a busy machine costs more than the
    arithmetic.  The large products around those loops keep all threads.

    BLAS thread counts are process-wide state, and retrieval must leave none
    behind.  Two rules make that hold under every backend:

    - Only the main thread changes them.  Called from any other thread
      (joblib's threading backend, dask's thread workers) this is a no-op:
      contexts overlapping in several threads restore in the wrong order and
      leave the process on one thread for good, and some BLAS builds do not
      even apply a count set from a non-main thread once the main thread
      has set one (OpenBLAS 0.3.30 ignores it), so a restore from a worker
      can be lost.  Those workers are the parallelism already.  Process
      workers (loky, dask processes) run their tasks on their own main
      thread, and limit their own process.
    - Nested contexts share one reference-counted limiter, under a lock: the
      first in sets one thread and remembers the counts it found, the last
      one out restores them.

    Every kernel of the package limits BLAS through this function.
    """
    if not in_main_thread():
        yield
        return
    with _LIMIT_LOCK:
        if _LIMIT["users"] == 0:
            _LIMIT["limiter"] = _blas_controller().limit(limits=1)
        _LIMIT["users"] += 1
    try:
        yield
    finally:
        with _LIMIT_LOCK:
            _LIMIT["users"] -= 1
            if _LIMIT["users"] == 0:
                _LIMIT["limiter"].restore_original_limits()
                _LIMIT["limiter"] = None


def flip_mask(field, state, tol):
    """Rows whose field strictly disagrees with the current state.

    A field within ``tol`` of zero keeps the current state (the usual
    convention for ``sign(0)``); ``tol`` absorbs floating-point round-off so
    that a tie is a tie however the batch was chunked.
    """
    return field * state < -tol


def run_dynamics(model, S, *, update, max_iter, seed=0, free=None):
    """Run retrieval dynamics from every row of ``S``.

    Parameters
    ----------
    model : object
        A binary memory model (see the module docstring).
    S : ndarray of shape (n_rows, n_features)
        Initial states, +/-1 floats, 0 for a neuron with no evidence (see
        the module docstring).  Not modified.
    update : {"async", "sync"}
        Asynchronous sweeps (energy never rises, always converges) or
        synchronous steps (may end in a cycle, which is detected: a 2-cycle
        at once, a longer one -- possible for the dense energies, whose
        synchronous dynamics have no Lyapunov function -- within about
        twice the number of steps to the cycle plus its length, by
        comparing each state with the one saved at the last power-of-two
        step, as in Brent's cycle detection).
    max_iter : int
        Maximum number of sweeps (async) or steps (sync).
    seed : int
        Seed of the asynchronous visiting orders (see :func:`sweep_order`).
    free : ndarray of shape (n_rows, n_features), dtype=bool, default=None
        The neurons that may change; the others are clamped at their value
        in ``S`` through every sweep or step.  None: all free.

    Returns
    -------
    states : ndarray of shape (n_rows, n_features)
        Final states.  A row caught in a cycle returns the state it was in
        when the cycle was detected.
    n_iter : ndarray of shape (n_rows,)
        Sweeps or steps run for each row, counting the last one that changed
        nothing (a stored fixed point needs exactly one).
    converged : ndarray of shape (n_rows,)
        True where a fixed point was reached.
    cycled : ndarray of shape (n_rows,)
        True where synchronous updates fell into a cycle.
    """
    n_rows, n_features = S.shape
    out = np.array(S, dtype=float, copy=True)
    n_iter = np.zeros(n_rows, dtype=np.intp)
    converged = np.zeros(n_rows, dtype=bool)
    cycled = np.zeros(n_rows, dtype=bool)

    active = np.arange(n_rows)
    cur = np.ascontiguousarray(out.T)  # neuron-major working copy
    if free is None and not out.all():
        free = np.ones(out.shape, dtype=bool)  # zeros: the sweeps look for them
    if free is not None:
        free = np.ascontiguousarray(np.asarray(free, dtype=bool).T)
    cache = model.init_cache(cur) if update == "async" else None
    prev = anchor = None
    for sweep in range(max_iter):
        if update == "async":
            order = sweep_order(seed, sweep, n_features)
            if free is None:
                changed = model.async_sweep(cur, cache, order)
            else:
                changed = model.async_sweep(cur, cache, order, free)
            cyc = np.zeros(cur.shape[1], dtype=bool)
        else:
            new = model.sync_step(cur)
            if free is not None:
                new = np.where(free, new, cur)
            changed = (new != cur).any(axis=0)
            cyc = np.zeros(cur.shape[1], dtype=bool)
            if prev is not None:
                cyc |= (new == prev).all(axis=0)  # a 2-cycle
            if anchor is not None:
                cyc |= (new == anchor).all(axis=0)  # a longer cycle
            cyc &= changed
            prev, cur = cur, np.where(cyc, cur, new)
            if ((sweep + 1) & sweep) == 0:  # sweep + 1 is a power of two
                anchor = cur.copy()
        n_iter[active] = sweep + 1
        done = ~changed | cyc
        if done.any():
            rows = active[done]
            out[rows] = cur[:, done].T
            converged[rows] = ~changed[done]
            cycled[rows] = cyc[done]
            keep = ~done
            active = active[keep]
            cur = cur[:, keep]
            if cache is not None:
                cache = model.take(cache, keep)
            if prev is not None:
                prev = prev[:, keep]
            if anchor is not None:
                anchor = anchor[:, keep]
            if free is not None:
                free = free[:, keep]
        if active.size == 0:
            break
    out[active] = cur.T
    return out, n_iter, converged, cycled


#: Target bytes of one tile of unpacked patterns in the nearest-pattern
#: search (float32, so 8 MiB is 2,048 patterns of 1,024 bits): large enough
#: for an efficient matrix product, small enough to stay in cache.  Capped at
#: a quarter of ``working_memory`` by :func:`pattern_tile_rows`.
TILE_BYTES = 2**23

#: Largest number of features whose overlaps are searched in float32: every
#: key ``|2 m + 1/2|`` (``|m| <= n_features``) and every partial sum of a
#: +/-1 product is then an integer or half-integer below ``2^23``, exact in
#: float32's 24-bit significand.  Wider patterns are searched in float64
#: (exact below ``2^51`` features).
FLOAT32_MAX_FEATURES = 2**21


def pack_signs(S):
    """Bit-pack +/-1 rows: one bit per entry, 1 for ``+1`` (``s > 0``).

    ``numpy.packbits`` along the rows, big bit order: row ``i`` becomes
    ``ceil(n_features / 8)`` bytes, the last one padded with zero bits.
    :func:`unpack_signs` is its inverse given ``n_features``.

    Parameters
    ----------
    S : ndarray of shape (n_rows, n_features)
        +/-1 values (anything ``> 0`` packs as ``+1``).

    Returns
    -------
    packed : ndarray of shape (n_rows, ceil(n_features / 8)), dtype=uint8
    """
    return np.packbits(np.asarray(S) > 0, axis=1)


@lru_cache(maxsize=4)
def _sign_table(dtype):
    """(256, 8) table: the eight +/-1 values of every byte, big bit order."""
    bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)
    table = np.where(bits == 1, 1, -1).astype(dtype)
    table.flags.writeable = False
    return table


def packed_width(n_features):
    """Bytes of one packed row of ``n_features`` entries."""
    return -(-int(n_features) // 8)


def unpack_signs(packed, n_features, dtype=np.float64, out=None):
    """The +/-1 rows of :func:`pack_signs` output, as ``dtype``.

    One table look-up per byte (eight values at a time): a few times
    faster than ``numpy.unpackbits`` followed by a conversion.

    Parameters
    ----------
    packed : ndarray of shape (n_rows, ceil(n_features / 8)), dtype=uint8
    n_features : int
        Width of the rows before packing (drops the padding bits).
    dtype : dtype, default=float64
    out : ndarray of shape (>= n_rows, 8 * ceil(n_features / 8)), optional
        C-contiguous buffer of ``dtype`` to unpack into (its first
        ``n_rows`` rows); a scratch tile reused across calls.

    Returns
    -------
    S : ndarray of shape (n_rows, n_features)
        +/-1 values; C-contiguous when ``out`` is None, otherwise a view of
        ``out`` (with the row stride of ``out`` when ``n_features`` is not a
        multiple of 8).
    """
    packed = np.asarray(packed, dtype=np.uint8)
    n_rows, n_bytes = packed.shape
    if n_bytes != packed_width(n_features):
        raise ValueError(
            f"{n_bytes} bytes per packed row cannot hold {n_features} features."
        )
    table = _sign_table(np.dtype(dtype))
    if out is None:
        # (n_rows, n_bytes, 8); "clip": every uint8 indexes the 256 rows,
        # and unlike "raise" it writes straight into the output, unbuffered
        full = np.take(table, packed, axis=0, mode="clip")
        full = full.reshape(n_rows, 8 * n_bytes)
        if 8 * n_bytes == n_features:
            return full
        return np.ascontiguousarray(full[:, :n_features])
    tile = out[:n_rows].reshape(n_rows, n_bytes, 8)
    np.take(table, packed, axis=0, out=tile, mode="clip")
    return out[:n_rows, :n_features]


def search_dtype(n_features):
    """float32 where it is exact for the overlaps of ``n_features`` bits."""
    return np.float32 if n_features <= FLOAT32_MAX_FEATURES else np.float64


def pattern_tile_rows(n_patterns, n_features, working_memory=None):
    """Patterns per tile of the nearest-pattern search.

    About :data:`TILE_BYTES` of unpacked patterns, and at most a quarter of
    ``working_memory`` (MiB; None reads ``sklearn.get_config()``); at least
    one pattern, at most ``n_patterns``.
    """
    if working_memory is None:
        from sklearn import get_config

        working_memory = get_config()["working_memory"]
    budget = min(TILE_BYTES, int(working_memory * 2**20) // 4)
    per_row = tile_bytes(1, n_features)
    return int(max(1, min(max(n_patterns, 1), budget // per_row)))


def tile_bytes(tile_rows, n_features):
    """Scratch of one search tile of ``tile_rows`` unpacked patterns, in bytes."""
    itemsize = np.dtype(search_dtype(n_features)).itemsize
    return int(tile_rows) * 8 * packed_width(n_features) * itemsize


def search_row_bytes(tile_rows, n_features, n_classes=0):
    """Working memory of one query row in the nearest-pattern search, in bytes.

    The row's states in the search dtype, its keys against one tile and a
    copy of them (the arg-reduction along the tile), and with votes
    (``n_classes > 0``) the 0/1 tie indicators of that tile (float64) and
    the running vote totals.
    """
    itemsize = np.dtype(search_dtype(n_features)).itemsize
    row = itemsize * (int(n_features) + 2 * int(tile_rows)) + 32
    if n_classes:
        row += 8 * (int(tile_rows) + int(n_classes))
    return row


def _as_parts(packed, widths):
    """Column blocks of packed patterns; +/-1 float blocks are packed here."""
    if isinstance(packed, np.ndarray):
        packed, widths = (packed,), (widths,)
    parts = tuple(
        p if p.dtype == np.uint8 else pack_signs(p) for p in map(np.asarray, packed)
    )
    return parts, tuple(widths)


def _search_keys(states, parts, widths, ghosts, tile_rows):
    """Yield ``(start, keys)`` per tile of patterns: the exact search keys.

    ``keys`` (tile, n_states), pattern-major, holds the overlap
    ``m = s . x`` of each pattern of the tile with each state, or with
    ``ghosts`` ``|2 m + 1/2|``: larger ``|m|``
    first, and at equal ``|m|`` the direct match (``2|m| + 1/2``) before the
    ghost (``2|m| - 1/2``).  Every value is an integer or half-integer that
    the search dtype holds exactly (:data:`FLOAT32_MAX_FEATURES`), so keys
    compare exactly however the patterns are tiled.

    Pattern-major because OpenBLAS multiplies a (tile, N) block by the few
    hundred states of a chunk several times faster in that orientation than
    in the other (``benchmarks/storage.py``).
    """
    n_features = sum(widths)
    if states.shape[1] != n_features:
        raise ValueError(
            f"states have {states.shape[1]} features, the patterns {n_features}."
        )
    n_patterns = parts[0].shape[0]
    dtype = search_dtype(n_features)
    tile_rows = int(
        max(1, min(n_patterns, tile_rows or pattern_tile_rows(n_patterns, n_features)))
    )
    Q = np.asarray(states, dtype=dtype)  # +/-1: exact in any float dtype
    buffers = [
        np.empty((tile_rows, 8 * packed_width(w)), dtype=dtype) for w in widths
    ]
    joint = None
    if len(parts) > 1:
        joint = np.empty((tile_rows, n_features), dtype=dtype)
    for start in range(0, n_patterns, tile_rows):
        stop = min(start + tile_rows, n_patterns)
        if joint is None:
            tile = unpack_signs(parts[0][start:stop], widths[0], dtype, buffers[0])
        else:
            col = 0
            for part, w, buf in zip(parts, widths, buffers):
                joint[: stop - start, col : col + w] = unpack_signs(
                    part[start:stop], w, dtype, buf
                )
                col += w
            tile = joint[: stop - start]
        keys = tile @ Q.T
        if ghosts:
            # In place: the (tile, rows) block is the largest array here.
            keys *= 2.0
            keys += 0.5
            np.abs(keys, out=keys)
        yield start, keys


def nearest_pattern(states, packed, *, widths=None, ghosts=True, tile_rows=None):
    """Index of the stored pattern nearest in Hamming distance to each state.

    With ``ghosts=False`` the distance is the Hamming distance ``d(s, x)``.
    With ``ghosts=True`` a sign-reversed pattern counts as the pattern
    itself: for a symmetric energy ``E(s) = E(-s)`` the two are the same
    memory, so the distance is ``min(d(s, x), d(s, -x))``, which is the
    smallest for the largest absolute overlap ``|s . x|``.

    Ties, in this order: among the patterns at the smallest distance, one
    matched directly (``d(s, x)`` is the minimum, i.e. ``s . x >= 0``)
    beats one matched only through its ghost (``s . x < 0``), so a state
    equal to a stored pattern ``x`` is never assigned to another stored
    pattern equal to ``-x``; what remains tied goes to the lowest index.

    The patterns arrive bit-packed (:func:`pack_signs`) and are unpacked one
    tile at a time into float32 (float64 past
    :data:`FLOAT32_MAX_FEATURES`), where the overlaps, integers, are exact;
    one matrix product per tile.  The result does not depend on the tiling.

    Parameters
    ----------
    states : ndarray of shape (n_states, n_features)
        +/-1 states.
    packed : ndarray of shape (n_patterns, ceil(n_features / 8)), dtype=uint8, \
            or tuple of such arrays
        The packed patterns; a tuple holds column blocks of the patterns,
        each packed on its own (e.g. both layers of a bidirectional memory).
        Any other dtype is taken as unpacked +/-1 patterns and packed first.
    widths : int or tuple of int, default=None
        Features of each block; None: one block of ``n_features``.
    ghosts : bool, default=True
    tile_rows : int, default=None
        Patterns per tile; None: :func:`pattern_tile_rows`.

    Returns
    -------
    index : ndarray of shape (n_states,)
    """
    states = np.asarray(states)
    parts, widths = _as_parts(packed, states.shape[1] if widths is None else widths)
    n_states = states.shape[0]
    if parts[0].shape[0] == 0:
        raise ValueError("No stored patterns to search.")
    best = np.full(n_states, -np.inf)
    index = np.zeros(n_states, dtype=np.intp)
    for start, keys in _search_keys(states, parts, widths, ghosts, tile_rows):
        k = keys.max(axis=0)
        # strictly better only: a tie keeps the earlier tile (lower index)
        better = np.flatnonzero(k > best)
        if not better.size:
            continue
        block = keys if better.size == n_states else keys[:, better]
        # the first largest key of the tile: the lowest index among ties
        index[better] = np.argmax(block, axis=0) + start
        best[better] = k[better]
    return index


def nearest_label(states, packed, votes, *, widths=None, ghosts=True, tile_rows=None):
    """Class index decided by the stored patterns nearest to each state.

    The nearest patterns are those of :func:`nearest_pattern` before its
    last tie rule: the smallest distance, a direct match preferred to a
    match through the ghost.  Patterns still tied vote with their rows of
    ``votes`` (shape ``(n_patterns, n_classes)``: each pattern's weight in
    the column of its class); the class with the largest total wins, and a
    tie of totals goes to the lowest class index.  Unlike "the lowest
    pattern index", this does not depend on the order the patterns were
    stored in, and a pattern stored twice votes as one of weight 2.

    The totals are summed tile by tile: exactly where the weights are whole
    numbers (in float32 when their sum is below ``2^24``, in the tile
    itself), otherwise in float64, rounded as any sum of floats is.  Other
    parameters as :func:`nearest_pattern`.
    """
    states = np.asarray(states)
    parts, widths = _as_parts(packed, states.shape[1] if widths is None else widths)
    n_states = states.shape[0]
    if parts[0].shape[0] == 0:
        raise ValueError("No stored patterns to search.")
    votes = np.asarray(votes, dtype=float)
    # Whole-number votes with a total below 2^24: every partial sum of the
    # tie product is an integer that float32 holds exactly.
    small_whole = bool((votes == np.round(votes)).all()) and votes.sum() < 2**24
    best = np.full(n_states, -np.inf)
    totals = np.zeros((n_states, votes.shape[1]))
    for start, keys in _search_keys(states, parts, widths, ghosts, tile_rows):
        k = keys.max(axis=0)
        better = k > best
        totals[better] = 0.0  # a nearer pattern: the earlier votes are void
        np.maximum(best, k, out=best)
        # exact: keys are integers or half-integers, exact in their dtype
        hit = np.flatnonzero(k == best)
        if not hit.size:
            continue
        every = hit.size == n_states
        block = keys if every else keys[:, hit]
        level = best[None, hit].astype(keys.dtype)
        tile_votes = votes[start : start + keys.shape[0]]
        if small_whole and keys.dtype == np.float32:
            tied = np.equal(block, level, out=block)  # 0/1, in place
            tile_votes = tile_votes.astype(np.float32)
        else:
            tied = np.equal(block, level, out=np.empty(block.shape))
        if every:
            totals += tied.T @ tile_votes
        else:
            totals[hit] += tied.T @ tile_votes
    return np.argmax(totals, axis=1)
