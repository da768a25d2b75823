"""Shared machinery for binary (+/-1) memories.

Models work *neuron-major*: a batch of states is an array ``ST`` of shape
``(n_features, n_queries)``, one contiguous row per neuron, because an
asynchronous update visits one neuron of every query at a time.  A model
has five methods:

``init_cache(ST)``
    Whatever per-query state makes an update cheap (local fields for the
    classical network, pattern overlaps for the dense one), also with one
    column per query.
``async_sweep(ST, cache, order)``
    One asynchronous sweep: visit the neurons in ``order`` one at a time,
    set each to the sign that lowers the energy, keep ``cache`` in step.
    Works in place; returns a boolean mask of the queries that changed.
``sync_step(ST)``
    All neurons at once from the same state; returns the new states.
``take(cache, cols)``
    The cache restricted to a subset of queries.
``energy(S)``
    Energy of each row of a query-major ``S`` (n_queries, n_features).

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
    """Map real values to +/-1: ``x > threshold`` is +1, everything else -1."""
    return np.where(X > threshold, 1.0, -1.0)


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


def run_dynamics(model, S, *, update, max_iter, seed=0):
    """Run retrieval dynamics from every row of ``S``.

    Parameters
    ----------
    model : object
        A binary memory model (see the module docstring).
    S : ndarray of shape (n_rows, n_features)
        Initial states, +/-1 floats.  Not modified.
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
    cache = model.init_cache(cur) if update == "async" else None
    prev = anchor = None
    for sweep in range(max_iter):
        if update == "async":
            changed = model.async_sweep(cur, cache, sweep_order(seed, sweep, n_features))
            cyc = np.zeros(cur.shape[1], dtype=bool)
        else:
            new = model.sync_step(cur)
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
        if active.size == 0:
            break
    out[active] = cur.T
    return out, n_iter, converged, cycled


def nearest_pattern(states, patterns, *, ghosts=True):
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

    ``states`` and ``patterns`` are +/-1, so overlaps are integers, exact in
    floating point.
    """
    overlaps = states @ patterns.T
    if ghosts:
        # Key |2m + 1/2| for the integer overlap m: larger |m| first, and
        # at equal |m| the direct match (2|m| + 1/2) before the ghost
        # (2|m| - 1/2); exact in floating point.  In place: the (rows,
        # patterns) block is the largest array of a chunk, and a second one
        # would double the working memory the chunk was cut for.
        overlaps *= 2.0
        overlaps += 0.5
        np.abs(overlaps, out=overlaps)
    return np.argmax(overlaps, axis=1)


def nearest_label(states, patterns, votes, *, ghosts=True):
    """Class index decided by the stored patterns nearest to each state.

    The nearest patterns are those of :func:`nearest_pattern` before its
    last tie rule: the smallest distance, a direct match preferred to a
    match through the ghost.  Patterns still tied vote with their rows of
    ``votes`` (shape ``(n_patterns, n_classes)``: each pattern's weight in
    the column of its class); the class with the largest total wins, and a
    tie of totals goes to the lowest class index.  Unlike "the lowest
    pattern index", this does not depend on the order the patterns were
    stored in, and a pattern stored twice votes as one of weight 2.
    """
    overlaps = states @ patterns.T
    if ghosts:
        overlaps *= 2.0
        overlaps += 0.5
        np.abs(overlaps, out=overlaps)
    best = overlaps.max(axis=1, keepdims=True)
    # exact: integer overlaps (times 2, plus 1/2) compare exactly
    tied = np.equal(overlaps, best, out=overlaps)
    return np.argmax(tied @ votes, axis=1)
