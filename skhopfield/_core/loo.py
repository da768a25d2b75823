"""Leave-one-out read-outs of a modern Hopfield memory, for ``beta="learn"``.

Every stored pattern ``x^i`` is taken as a cue against all the *other*
stored patterns: the attention ``softmax(beta z)`` with the pattern's own
score removed, applied to a matrix of values ``V`` (one row per stored
pattern: the targets and a column of ones for a regressor, the one-hot
labels for a classifier).  The scores ``z`` do not depend on ``beta``, so one
pass over the patterns evaluates a whole grid of ``beta`` values; a loss per
pattern and per ``beta`` comes back, and the ``beta`` of least mean loss is
the learned one.

A stored pattern is left out together with every stored copy of it
(identical rows: :func:`duplicate_groups`).  Otherwise a row stored twice
would be predicted from its own twin at distance zero, which rewards the
largest ``beta`` on any data with repeated rows; and storing a row twice
would not be the same as giving it weight 2.

With a prior on the stored patterns (``memory.log_weight``, from sample
weights), the others attend with their weights, ``w_nu exp(beta z_nu)``,
and the per-pattern losses are averaged with the weights
(:func:`best_beta`): a pattern of weight 2 counts twice in the loss and
twice in the others' attention, exactly as two copies of it do (equal to
rounding).  Equal weights give the unweighted search exactly.  Memory
is bounded by the batch engine: the caller hands
:func:`loo_block` to it over the row indices ``arange(P)[:, None]``.

Nothing here knows about estimators.
"""

import numpy as np
import scipy.sparse as sp

from .binary import single_threaded_blas

#: ``beta="learn"`` searches this many multiples of the reference ``beta``
#: (log-spaced, factor about 1.41 between neighbours).
LEARN_GRID = np.logspace(-3.0, 3.0, 41)


def duplicate_groups(patterns):
    """Group index of every stored row: equal for identical rows.

    ``patterns`` (P, N), dense or ``scipy.sparse``; ``-0.0`` and ``0.0``
    are the same value.  Returns ``(groups, n_groups)``, ``groups`` of
    shape (P,) in ``[0, n_groups)``.
    """
    if sp.issparse(patterns):
        A = sp.csr_matrix(patterns, copy=True)
        A.sum_duplicates()
        A.eliminate_zeros()
        A.sort_indices()
        ids = {}
        groups = np.empty(A.shape[0], dtype=np.intp)
        for i, (s, e) in enumerate(zip(A.indptr[:-1], A.indptr[1:])):
            key = (A.indices[s:e].tobytes(), A.data[s:e].tobytes())
            groups[i] = ids.setdefault(key, len(ids))
        return groups, len(ids)
    A = np.asarray(patterns) + 0.0  # -0.0 -> 0.0
    _, groups = np.unique(A, axis=0, return_inverse=True)
    groups = groups.ravel()
    return groups.astype(np.intp), int(groups.max()) + 1 if groups.size else 0


def loo_block(
    rows, *, memory, values, betas, loss, groups=None, scores=None, separation=None
):
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
        With a prior (``memory.log_weight``), ``log w`` is added to the
        scores ``beta z`` of the others before the exponential.
    groups : ndarray of shape (P,) or None
        :func:`duplicate_groups`: a cue leaves out every pattern of its
        group (each must leave at least one other group).  None: only the
        pattern itself.
    scores : callable or None
        ``scores(memory, idx) -> (n, P)``: the beta-free scores ``z - max z``
        of the cues (e.g. with some of their entries hidden); None: the
        stored patterns themselves as cues.
    separation : Separation or None
        The others' weights are ``separation(beta z)`` with the pattern
        weights counted as copies (rows summing to one, patterns left out
        at weight 0) instead of the exponentials; None: softmax.

    Returns
    -------
    losses : ndarray of shape (n, B)
    """
    idx = np.asarray(rows[:, 0], dtype=np.intp)
    n = idx.size
    if scores is None:
        cues = memory.start(memory.patterns[idx])
        # z - max z, beta-free: the prior is added after scaling by beta
        a, _ = memory.exact_scores(cues, 1.0, prior=False)
    else:
        a = scores(memory, idx)
    log_w = memory.log_weight
    if groups is None:
        a[np.arange(n), idx] = -np.inf  # leave the pattern itself out
    else:  # ... and its identical copies
        a[groups[None, :] == groups[idx][:, None]] = -np.inf
    with np.errstate(invalid="ignore"):
        a -= a.max(axis=1, keepdims=True)  # max over the others: entries <= 0
    out = np.empty((n, len(betas)))
    empty = None
    if separation is not None:
        # a cue with no other usable pattern (no coordinate in common with
        # any) says nothing about beta: loss 0 at every beta
        empty = ~(a > -np.inf).any(axis=1)
        a[empty] = 0
    w = np.empty_like(a)
    copies = None if separation is None else memory.copy_weights(a)
    # one thin product per beta (C columns of values): one BLAS thread
    with single_threaded_blas():
        _loo_losses(a, log_w, values, betas, idx, loss, w, out, separation, copies)
    if empty is not None:
        out[empty] = 0
    return out


def _loo_losses(a, log_w, values, betas, idx, loss, w, out, separation, copies):
    """The ``beta`` loop of :func:`loo_block`, into ``out``."""
    for k, beta in enumerate(betas):
        np.multiply(a, a.dtype.type(beta), out=w)
        if separation is not None:
            w = separation(w, copies)  # in place; rows sum to one
            out[:, k] = loss(w @ values, idx)
            continue
        if log_w is not None:
            w += log_w
            with np.errstate(invalid="ignore"):
                w -= w.max(axis=1, keepdims=True)
        np.exp(w, out=w)  # the others' largest weight is exactly 1
        out[:, k] = loss(w @ values, idx)


def squared_error(readout, idx, *, targets):
    """Squared error of the attention-weighted targets (last column: the weights' sum)."""
    pred = readout[:, :-1] / readout[:, -1:]
    diff = pred - targets[idx]
    return np.einsum("ij,ij->i", diff, diff, dtype=np.float64)


def best_beta(losses, betas, weights=None):
    """The ``beta`` of least mean loss (the smallest such, on ties).

    ``weights`` (P,): the patterns' prior weights, for a weighted mean.
    """
    mean = np.average(losses, axis=0, weights=weights)
    return float(betas[int(np.argmin(mean))]), mean
