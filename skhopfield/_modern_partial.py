"""Partial cues of the modern memories: the block functions of the NaN path.

The units of work the engine (:mod:`skhopfield._batch`) runs for cues with
missing entries (NaN), or for every cue when the stored patterns have
missing entries: the counterparts of ``_readout_block``,
``_transform_block``, ``_energy_block`` and ``_kpatterns_block`` of
:mod:`skhopfield._modern_base` on the math of :mod:`skhopfield._core.masked` (marginal scores, clamped
update steps).  Rows with nothing missing against complete stored patterns
never come here, so their results are those of the full-cue kernel, bit for
bit.  Dense numpy only: not sharded, no other array namespace.
"""

import numpy as np

from ._core.masked import (
    prior_rows,
    with_prior,
    clamped_run,
    masked_attention,
    masked_energy,
    masked_log_scores,
    partial_start,
)
from ._tiles import for_tiles


def _by_rows(memory, V, masked, full):
    """``masked(V_rows, observed_rows)`` for the internal states ``V`` (NaN
    where missing) with a missing entry (all rows, against stored patterns
    with missing entries), ``full(V_rows)`` (the memory's own kernel) for the
    others, as one (n, P) array: each row's path depends on that row alone."""
    missing = np.isnan(V)
    if getattr(memory, "present", None) is not None:
        return masked(V, ~missing)
    rows = missing.any(axis=1)
    if not rows.any():
        return full(V)
    A = np.empty((V.shape[0], memory.aug.shape[0]), dtype=V.dtype)
    A[rows] = masked(V[rows], ~missing[rows])
    if not rows.all():
        A[~rows] = full(V[~rows])
    return A


def _attention(memory, V, beta):
    """The attention of the internal states ``V`` (NaN where missing): by
    the marginal scores or the memory's own kernel (see :func:`_by_rows`)."""
    return _by_rows(
        memory,
        V,
        lambda W, observed: masked_attention(memory, W, observed, beta),
        lambda W: memory.attention(W, beta),
    )


def _log_scores(memory, V, beta):
    """``beta z`` (plus ``log w`` for softmax) of the internal states ``V``
    (NaN where missing) minus each row's maximum, as
    :meth:`~skhopfield._core.scoring.ModernMemory.exact_scores` (see
    :func:`_by_rows`); a row with no evidence gets the prior's scores."""
    prior = with_prior(memory)

    def masked(W, observed):
        a = masked_log_scores(memory, W, observed, beta, prior=prior)[0]
        a -= prior_rows(memory, a, prior)[:, None]
        return a

    return _by_rows(
        memory, V, masked, lambda W: memory.exact_scores(W, beta, prior=prior)[0]
    )


def _final_states(memory, cues, beta, n_updates, tol):
    """The internal states of the partial ``cues`` after ``n_updates``
    clamped steps (NaN where missing before the first); a cue with no
    observed entry keeps its prior (no evidence: all NaN)."""
    V = partial_start(memory, cues)
    if n_updates > 0:
        empty = np.isnan(V).all(axis=1)
        V = clamped_run(memory, V, beta, n_updates, tol)[0]
        V[empty] = np.nan
    return V


def partial_readout_block(Q, *, memory, beta, values, n_updates, tol, normalize, total):
    """``_readout_block`` for cues with missing entries."""
    from ._modern_base import _normalized

    n, P = Q.shape[0], memory.aug.shape[0]
    out = np.empty((n, values.shape[1]), dtype=Q.dtype)

    def work(s, buf):
        V = _final_states(memory, Q[s], beta, n_updates, tol)
        out[s] = _attention(memory, V, beta) @ values

    for_tiles(n, P, Q.dtype, work)
    return _normalized(out, normalize, total)


def partial_kpatterns_block(Q, *, memory, beta, n_updates, tol, n_patterns):
    """``_kpatterns_block`` for cues with missing entries."""
    from ._modern_base import _top_patterns

    n, P = Q.shape[0], memory.aug.shape[0]
    weights = np.empty((n, n_patterns), dtype=Q.dtype)
    indices = np.empty((n, n_patterns), dtype=np.intp)

    def work(s, buf):
        V = _final_states(memory, Q[s], beta, n_updates, tol)
        a = _log_scores(memory, V, beta)
        weights[s], indices[s] = _top_patterns(memory, a, n_patterns)

    for_tiles(n, P, Q.dtype, work)
    return weights, indices


def partial_transform_block(Q, *, memory, beta, n_steps, tol):
    """``_transform_block`` for cues with missing entries: clamped steps.

    The observed entries of a cue come back as given, bit for bit (for
    ``"cosine"``, whose states are unit-normalized, as the observed part
    scaled to unit norm).
    """
    n, P = Q.shape[0], memory.aug.shape[0]
    states = np.empty(Q.shape, dtype=Q.dtype)
    n_iter = np.empty(n, dtype=np.intp)
    converged = np.empty(n, dtype=bool)

    def work(s, buf):
        cues = Q[s]
        xi, n_iter[s], converged[s] = clamped_run(
            memory, partial_start(memory, cues), beta, n_steps, tol
        )
        if memory.similarity == "cosine":
            states[s] = xi
            return
        xi = memory.external(xi)
        missing = np.isnan(cues)
        clamped = missing.any(axis=1)[:, None] & ~missing
        states[s] = np.where(clamped, cues, xi)

    for_tiles(n, P, Q.dtype, work)
    return states, n_iter, converged


def partial_energy_block(Q, *, memory, beta):
    """``_energy_block`` for states with missing entries: the marginal energy."""
    n, P = Q.shape[0], memory.aug.shape[0]
    out = np.empty(n, dtype=Q.dtype)

    def work(s, buf):
        E = masked_energy(memory, memory.internal(np.array(Q[s], copy=True)), beta)
        out[s] = memory.to_data_energy(E, Q.dtype)

    for_tiles(n, P, Q.dtype, work)
    return out


def merge_rows(n, rows, full, part):
    """Row-wise results of the complete rows (``full``) and of the rows
    ``rows`` (``part``) in the original order; arrays or tuples of arrays."""
    if full is None and rows.size == n:
        return part
    if isinstance(part, tuple):
        return tuple(merge_rows(n, rows, f, p) for f, p in zip(full, part))
    out = np.empty((n, *part.shape[1:]), dtype=part.dtype)
    keep = np.ones(n, dtype=bool)
    keep[rows] = False
    out[rows] = part
    if full is not None:
        out[keep] = full
    return out
