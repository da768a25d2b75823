"""Leave-one-out read-outs of a modern Hopfield memory, for ``beta="learn"``.

Every stored pattern ``x^i`` is taken as a cue against all the *other*
stored patterns: the attention ``softmax(beta z)`` with the pattern's own
score removed, applied to a matrix of values ``V`` (one row per stored
pattern: the targets and a column of ones for a regressor, the one-hot
labels for a classifier).  The scores ``z`` do not depend on ``beta``, so one
pass over the patterns evaluates a whole grid of ``beta`` values; a loss per
pattern and per ``beta`` comes back, and the ``beta`` of least mean loss is
the learned one.  Memory is bounded by the batch engine: the caller hands
:func:`loo_block` to it over the row indices ``arange(P)[:, None]``.

Nothing here knows about estimators.
"""

import numpy as np

#: ``beta="learn"`` searches this many multiples of the reference ``beta``
#: (log-spaced, factor about 1.41 between neighbours).
LEARN_GRID = np.logspace(-3.0, 3.0, 41)


def loo_block(rows, *, memory, values, betas, loss):
    """Per-pattern leave-one-out losses for every ``beta`` of ``betas``.

    Parameters
    ----------
    rows : ndarray of shape (n, 1), integer
        Indices of the stored patterns taken as cues (at least two patterns
        must be stored).
    memory : ModernMemory
    values : ndarray of shape (P, C)
        The read-out matrix.
    betas : ndarray of shape (B,)
    loss : callable
        ``loss(readout, rows) -> (n,)``: ``readout`` (n, C) is ``w @
        values``, ``w`` the *unnormalized* leave-one-out attention weights
        of the cues (the largest is 1), ``rows`` (n,) their indices.

    Returns
    -------
    losses : ndarray of shape (n, B)
    """
    idx = np.asarray(rows[:, 0], dtype=np.intp)
    n = idx.size
    cues = memory.start(memory.patterns[idx])
    a, _ = memory.exact_scores(cues, 1.0)  # z - max z, beta-free
    a[np.arange(n), idx] = -np.inf  # leave the pattern itself out
    with np.errstate(invalid="ignore"):
        a -= a.max(axis=1, keepdims=True)  # max over the others: entries <= 0
    out = np.empty((n, len(betas)))
    w = np.empty_like(a)
    for k, beta in enumerate(betas):
        np.multiply(a, a.dtype.type(beta), out=w)
        np.exp(w, out=w)  # the others' largest weight is exactly 1
        out[:, k] = loss(w @ values, idx)
    return out


def squared_error(readout, idx, *, targets):
    """Squared error of the attention-weighted targets (last column: the weights' sum)."""
    pred = readout[:, :-1] / readout[:, -1:]
    diff = pred - targets[idx]
    return np.einsum("ij,ij->i", diff, diff, dtype=np.float64)


def best_beta(losses, betas):
    """The ``beta`` of least mean loss (the smallest such, on ties)."""
    mean = losses.mean(axis=0)
    return float(betas[int(np.argmin(mean))]), mean
