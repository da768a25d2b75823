"""Log-sum-exp algebra of the modern memories over blocks of stored patterns.

What one block (a shard) of the stored patterns contributes to the
attention, the energy and the attention-weighted read-outs
(:func:`lse_partials`), how the blocks' partials merge into the unsplit
result (:func:`merge_lse`), and the energy from the merged sums
(:func:`energy_from_lse`).  For a separation other than softmax, each
block's candidates for the support (:func:`separation_candidates`), merged
into the rows' candidates over all the blocks (:func:`merge_candidates`),
on which the separation gives the unsplit attention
(:func:`candidate_attention`).  The sharded memories run on it (see
``skhopfield._batch.sharded_retrieve``), and so does the energy of
:class:`~skhopfield._core.scoring.ModernMemory`.  Nothing here knows the
memory's class: any object with the attributes of a ``ModernMemory`` works.
"""

import math

import numpy as np
import scipy.sparse as sp

from .namespace import (
    _astype,
    _const,
    _device,
    _exp_inplace,
    _hi,
    _iadd,
    _imul,
    _is_host,
    _isub,
    _ns,
    _rowdot,
    _scalar,
    _sqrt_eps,
)
from .separation import _narrow


# -- log-sum-exp over blocks of patterns (sharded memories) --------------------------
#
# The attention over all P patterns, ``w_mu exp(beta z_mu) / sum_nu w_nu
# exp(beta z_nu)`` (``w`` the prior of :class:`ModernMemory`, 1 without
# weights), splits over any partition of the patterns into blocks k.  With
# the logits ``a_mu = beta z_mu + log w_mu``, block k reports, per row, ``m_k =
# max_{mu in k} a_mu``, ``s_k = sum_{mu in k} exp(a_mu - m_k)`` and ``W_k =
# sum_{mu in k} exp(a_mu - m_k) v_mu`` for per-pattern values ``v`` (one-hot
# labels, ``[T | 1]``, or the patterns themselves for the next state).  With
# ``m = max_k m_k`` and ``f_k = exp(m_k - m)``, ``s = sum_k f_k s_k`` and ``W =
# sum_k f_k W_k`` are the unsplit sums shifted by the global maximum: ``m +
# log s`` is ``log sum_mu w_mu exp(beta z_mu)`` and ``W / s`` the
# attention-weighted mean of ``v``.  Every ``f_k`` is at most 1 and the block
# holding the maximum has ``s_k >= 1``, so nothing overflows at any beta or
# weight.  This is the merge of a numerically safe softmax computed block by
# block (Milakov & Gimelshein 2018, "Online normalizer calculation for
# softmax", arXiv:1805.02867).
#
# The energy needs its sums in the units of the scores, not of the logits,
# to stay accurate as beta -> 0 (see :func:`energy_from_lse`): block k
# reports ``z_k = max_{mu in k} z_mu`` and, with ``u = z - z_k <= 0`` and the
# weights ``w`` (1 without), ``n = sum w``, ``u1 = sum w u``, ``u2 = sum w
# u^2``, ``umin = min u``, ``e = sum w expm1(beta u)`` and ``l = log sum w
# exp(beta u)``.  Moving to the global ``z = max_k z_k`` (``d = z_k - z <=
# 0``): ``u + d`` summed and squared termwise, ``min (u + d) = umin + d``,
# ``expm1(beta (u + d)) = exp(beta d) expm1(beta u) + expm1(beta d)`` and
# ``l + beta d`` merged by a log-sum-exp over the blocks.


def _prior(memory, A):
    """``(w, log w)``: the patterns' weights in ``A``'s dtype (and namespace,
    on its device), or ``(None, None)``."""
    if memory.weights is None:
        return None, None
    w = memory.weights
    if _is_host(A):
        return w.astype(A.dtype), np.log(w).astype(A.dtype)
    log_w = _astype(memory.log_weight, A.dtype)  # already on the device
    return _ns(A).exp(log_w), log_w


def lse_partials(memory, Q, beta, values=None, energy=False):
    """One block of stored patterns' share of the attention, per row of ``Q``.

    Parameters
    ----------
    memory : ModernMemory or SparseModernMemory
        The block: a whole memory, or a shard from :meth:`ModernMemory.take`;
        its pattern weights (if any) enter as the prior.
    Q : ndarray or sparse matrix of shape (n, N)
        States (internal coordinates).
    beta : float
        Internal inverse temperature.
    values : ndarray or sparse matrix of shape (P_k, C), optional
        Per-pattern values to weight by the attention.
    energy : bool
        Return the sums :func:`energy_from_lse` needs instead.

    Returns
    -------
    part : dict of ndarray of shape (n,) or (n, C)
        ``m`` ``max_mu a_mu`` of the logits ``a = beta z + log w``; ``s``
        ``sum_mu exp(a_mu - m)`` (at least 1); with ``values``, ``W``
        ``sum_mu exp(a_mu - m) values_mu``.  With ``energy``: ``z`` ``max_mu
        z_mu``, and with ``u = z - max z``, ``n`` ``sum w``, ``u1`` ``sum w
        u``, ``u2`` ``sum w u^2``, ``umin`` ``min u``, ``e`` ``sum w
        expm1(beta u)`` and ``l`` ``log sum w exp(beta u)`` (``w`` = 1
        without weights).
    """
    if energy:
        return _energy_partials(memory, Q, beta)
    a, m = memory.exact_scores(Q, beta)  # a = beta z + log w - m <= 0
    with np.errstate(under="ignore"):
        a = _exp_inplace(a)
    part = {"m": m, "s": _ns(a).sum(a, axis=1)}
    if values is not None:
        if sp.issparse(values):
            part["W"] = np.asarray((values.T @ a.T).T)
        else:
            part["W"] = a @ values
    return part


def _energy_partials(memory, Q, beta):
    """The energy's sums of :func:`lse_partials` (``energy=True``)."""
    u, z = memory.exact_scores(Q, 1.0, prior=False)  # u = z - max z <= 0
    xp = _ns(u)
    n_rows, P = u.shape
    w, log_w = _prior(memory, u)
    part = {"z": z, "umin": xp.min(u, axis=1)}
    if w is None:
        part["n"] = xp.full(n_rows, P, dtype=u.dtype, device=_device(u))
        part["u1"] = xp.sum(u, axis=1)
        part["u2"] = _rowdot(u)
    else:
        part["n"] = xp.full(n_rows, float(xp.sum(w)), dtype=u.dtype, device=_device(u))
        part["u1"] = u @ w
        part["u2"] = (u * u) @ w
    with np.errstate(over="ignore", under="ignore"):
        # beta u: bounded by the magnitude check of the caller
        u = _imul(u, _scalar(u, beta))
        e = xp.expm1(u)
        part["e"] = xp.sum(e, axis=1) if w is None else e @ w
        if log_w is not None:
            u = _iadd(u, log_w)
        top = xp.max(u, axis=1)
        u = _exp_inplace(_isub(u, top[:, None]))
    part["l"] = top + xp.log(xp.sum(u, axis=1))
    return part


def merge_lse(parts, beta):
    """Merge the :func:`lse_partials` of blocks that partition the patterns.

    Parameters
    ----------
    parts : list of dict
        The partials of every block, for the same rows and with the same
        keys.
    beta : float
        The inverse temperature of the partials.

    Returns
    -------
    part : dict
        What :func:`lse_partials` returns over all the blocks at once, up to
        rounding (see the comment above :func:`lse_partials` for the
        algebra).
    """
    first = parts[0]
    if "z" in first:
        return _merge_energy(parts, beta)
    m = first["m"].copy()
    for part in parts[1:]:
        np.maximum(m, part["m"], out=m)
    out = {"m": m, "s": np.zeros_like(first["s"])}
    if "W" in first:
        out["W"] = np.zeros_like(first["W"])
    for part in parts:
        with np.errstate(under="ignore"):
            f = np.exp(part["m"] - m)
        out["s"] += f * part["s"]
        if "W" in part:
            out["W"] += f[:, None] * part["W"]
    return out


def _merge_energy(parts, beta):
    z = parts[0]["z"].copy()
    for part in parts[1:]:
        np.maximum(z, part["z"], out=z)
    b = z.dtype.type(beta)
    out = {"z": z}
    for key in ("n", "u1", "u2", "e"):
        out[key] = np.zeros_like(z)
    out["umin"] = np.full_like(z, np.inf)
    logs = []
    for part in parts:
        d = part["z"] - z
        n = part["n"]
        with np.errstate(over="ignore", under="ignore"):
            bd = d * b
            out["e"] += np.exp(bd) * part["e"] + n * np.expm1(bd)
            logs.append(part["l"] + bd)
        out["u2"] += part["u2"] + 2 * d * part["u1"] + n * d * d
        out["u1"] += part["u1"] + n * d
        out["n"] += n
        np.minimum(out["umin"], part["umin"] + d, out=out["umin"])
    logs = np.stack(logs)
    top = logs.max(axis=0)
    with np.errstate(under="ignore"):
        out["l"] = top + np.log(np.exp(logs - top).sum(axis=0))
    return out


def energy_from_lse(Q, beta, part, max_norm):
    """The energy of the states ``Q`` from the partials of all the patterns.

    ``part`` from :func:`lse_partials` with ``energy=True`` (or
    :func:`merge_lse` of such), over all the patterns; ``Q``, ``beta`` and
    ``max_norm`` in internal coordinates.  The energy ``-lse(beta, z) + 1/2
    xi^T xi + ln(sum w)/beta + 1/2 M^2`` (``lse`` with the prior ``w``;
    ``sum w = P`` without weights) is written ``-zmax - log(mean_mu exp(beta
    u_mu)) / beta + 1/2 xi^T xi + 1/2 M^2`` with ``u = z - zmax <= 0`` and
    the means weighted by ``p = w / sum w``, so that the large terms
    ``ln(P)/beta`` cancel analytically.  Where ``beta max|u|`` is at most
    ``sqrt(eps)`` the middle term is its series ``mean(u) + beta var(u) /
    2`` (truncation below ``eps max|u|``), which never divides by ``beta``:
    accurate down to ``beta = 0``, including a ``beta`` below the range of
    the dtype (e.g. ``1e-50`` in float32).  Elsewhere, where the mean is
    close to 1, it is taken as ``log1p(mean(expm1(beta u)))`` to keep the
    digits that ``/ beta`` magnifies.
    """
    z = part["z"]
    xp = _ns(z)
    if sp.issparse(Q):
        sq = np.asarray(Q.multiply(Q).sum(axis=1)).ravel().astype(z.dtype)
    else:
        sq = _rowdot(Q)
    half_sq = _scalar(z, 0.5) * sq
    n = part["n"]
    mean_u = part["u1"] / n
    var_u = xp.maximum(part["u2"] / n - mean_u**2, _const(mean_u, 0))
    b = _scalar(z, beta)
    span = _astype(-part["umin"], _hi(z))  # max |u| per row
    series = span * float(beta) <= _sqrt_eps(z)
    mean_expm1 = part["e"] / n  # in [-1, 0]
    log_mean_small = xp.log1p(xp.maximum(mean_expm1, _const(mean_expm1, -0.5)))
    log_mean_large = part["l"] - xp.log(n)
    log_mean = xp.where(mean_expm1 > -0.5, log_mean_small, log_mean_large)
    with np.errstate(divide="ignore", invalid="ignore"):
        middle = xp.where(series, mean_u + (b * _scalar(z, 0.5)) * var_u, log_mean / b)
    out = -z - middle + half_sq
    return _astype(out + _scalar(z, 0.5 * max_norm**2), z.dtype)


# -- a separation other than softmax over blocks of patterns -------------------------
#
# A Tsallis separation (:class:`~skhopfield._core.separation.Separation`)
# needs a row's scores at once, but not all of them: every attention weight
# is at most 1, so with ``c = alpha - 1`` the threshold ``tau`` of a row (in
# units of ``c a``, ``a = beta z``) is at least ``c a_j - w_j^(-c)`` for every
# pattern ``j`` (``w`` the weights counted as copies, 1 without), and only
# the patterns with ``c a_j > tau`` have weight.  A block's patterns with
# ``a_j`` below its own ``max_i (a_i - w_i^(-c) / c)`` (``max a - 1 / c``
# without weights) are therefore out of the support of the whole row, which
# bounds ``tau`` by the maximum over all the blocks; for the hard max, only a
# block's maxima can hold the row's.  Each block reports its ``max a`` and
# its remaining *candidates*, their scores (from its maximum) and pattern
# indices; the merge moves them to the global maximum (``a_j + (m_k - m)``)
# and the separation, applied to the union (each pattern's weight by its
# index), finds the same ``tau`` and weights as on the whole row: the
# patterns left out have weight 0 in both.


def separation_candidates(memory, Q, beta):
    """One block's candidates for the support of ``memory.separation``.

    Parameters
    ----------
    memory : ModernMemory or SparseModernMemory
        The block (a shard from :meth:`ModernMemory.take`), with a
        separation other than softmax and its pattern weights, if any.
    Q : ndarray or sparse matrix of shape (n, N)
        States (internal coordinates).
    beta : float
        Internal inverse temperature.

    Returns
    -------
    part : dict of ndarray
        ``top`` (n,): ``max_mu beta z_mu`` over the block; ``a`` (n, K): the
        candidates' ``beta z - top`` per row, padded with ``-inf``; ``idx``
        (n, K): their pattern indices in the block (0 where padded).
    """
    sep = memory.separation
    a, top = memory.exact_scores(Q, beta, prior=False)  # a = beta z - top <= 0
    if math.isinf(sep.alpha):
        live = a >= 0
    else:
        w = memory.copy_weights(a)
        if w is None:
            live = a >= -a.dtype.type(sep.width)
        else:
            c = sep.alpha - 1.0
            bound = (a - (w ** -c / c).astype(a.dtype)).max(axis=1)
            live = a >= bound[:, None]
    count = np.count_nonzero(live, axis=1)
    width = max(int(count.max(initial=0)), 1)
    cols = np.broadcast_to(np.arange(a.shape[1]), a.shape)
    a, idx = _narrow(a, cols, live, count, width)
    return {"top": top, "a": a, "idx": idx}


def merge_candidates(parts, counts):
    """Merge the :func:`separation_candidates` of blocks that partition the
    patterns (in order, ``counts`` patterns each): ``(top, a, idx)``, the
    rows' maximum of ``beta z``, the candidates' ``beta z - top`` (``-inf``
    where padded) and their indices among all the patterns."""
    top = parts[0]["top"].copy()
    for part in parts[1:]:
        np.maximum(top, part["top"], out=top)
    offsets = np.cumsum([0, *counts[:-1]])
    a = np.concatenate([p["a"] + (p["top"] - top)[:, None] for p in parts], axis=1)
    idx = np.concatenate([p["idx"] + off for p, off in zip(parts, offsets)], axis=1)
    return top, a, idx


def candidate_weights(memory, a, idx):
    """The pattern weights (copies) of the candidates ``idx``, or None."""
    w = memory.copy_weights(a)
    return None if w is None else w[idx]


def candidate_attention(memory, a, idx):
    """The attention of the whole memory from the merged candidates ``(a,
    idx)`` of :func:`merge_candidates`: ``memory.separation`` of the
    candidates (``a`` is overwritten), as a CSR matrix (n, P)."""
    p = memory.separation(a, candidate_weights(memory, a, idx))
    n, K = p.shape
    return sp.csr_matrix(
        (p.ravel(), idx.ravel(), np.arange(0, n * K + 1, K)),
        shape=(n, memory.aug.shape[0]),
    )
