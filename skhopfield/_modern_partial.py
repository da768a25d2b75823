"""Partial cues of the modern memories: the block functions of the NaN path.

The units of work the engine (:mod:`skhopfield._batch`) runs for cues with
missing entries (NaN), or for every cue when the stored patterns have
missing entries: the counterparts of ``_readout_block``,
``_transform_block`` and ``_energy_block`` of :mod:`skhopfield._modern_base`
on the math of :mod:`skhopfield._core.masked` (marginal scores, clamped
update steps).  Rows with nothing missing against complete stored patterns
never come here, so their results are those of the full-cue kernel, bit for
bit.  Dense numpy only: not sharded, no other array namespace.
"""

import numpy as np

from ._core.masked import (
    clamped_run,
    masked_attention,
    masked_energy,
    partial_start,
)
from ._tiles import for_tiles


def _attention(memory, V, beta):
    """The attention of the internal states ``V`` (NaN where missing): rows
    with a missing entry (or all, against stored patterns with missing
    entries) by the marginal scores, the others by the memory's own kernel,
    so that each row's path depends on that row alone."""
    missing = np.isnan(V)
    if getattr(memory, "present", None) is not None:
        return masked_attention(memory, V, ~missing, beta)
    rows = missing.any(axis=1)
    if not rows.any():
        return memory.attention(V, beta)
    A = np.empty((V.shape[0], memory.aug.shape[0]), dtype=V.dtype)
    A[rows] = masked_attention(memory, V[rows], ~missing[rows], beta)
    if not rows.all():
        A[~rows] = memory.attention(V[~rows], beta)
    return A


def partial_readout_block(Q, *, memory, beta, values, n_updates, tol, normalize, total):
    """``_readout_block`` for cues with missing entries."""
    from ._modern_base import _normalized

    n, P = Q.shape[0], memory.aug.shape[0]
    out = np.empty((n, values.shape[1]), dtype=Q.dtype)

    def work(s, buf):
        V = partial_start(memory, Q[s])
        if n_updates > 0:
            # a cue with no observed entry keeps its prior (no evidence)
            empty = np.isnan(V).all(axis=1)
            V = clamped_run(memory, V, beta, n_updates, tol)[0]
            V[empty] = np.nan
        out[s] = _attention(memory, V, beta) @ values

    for_tiles(n, P, Q.dtype, work)
    return _normalized(out, normalize, total)


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
