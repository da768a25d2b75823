"""Separation functions of the modern memories, their energies and losses.

A modern memory retrieves by ``xi <- X^T sep(beta z)``: the *separation*
``sep`` maps a row of scaled scores ``s = beta z`` (plus ``log w`` with a
prior) to attention weights on the probability simplex (Millidge et al.
2022: similarity, separation, projection).  Every separation here is the
regularized argmax of a convex regularizer ``Omega`` of the simplex,

    sep(s) = argmax_{p in simplex} <p, s> - Omega(p) = grad Omega*(s),

(Blondel, Martins & Niculae 2020, Fenchel-Young losses), ``Omega*`` its
convex conjugate.  So the Hopfield-Fenchel-Young energy of Santos et al.
(2024)

    E(xi) = -Omega*(beta z) / beta + 1/2 ||xi||^2 + H / beta + 1/2 M^2

(``H = -min Omega``, the regularizer's largest entropy, which keeps ``E >=
0``) is a difference of convex functions of ``xi`` whose concave-convex
step is the update: no step raises it.  The learning loss matching a
separation is its Fenchel-Young loss ``L(s, y) = Omega*(s) + Omega(e_y) -
s_y`` (``Omega(e_y) = 0`` for all the regularizers here), with gradient
``sep(s) - e_y``.

The regularizers are the Tsallis ``alpha``-entropies (Peters, Niculae &
Martins 2019), ``Omega_alpha(p) = (sum_j p_j^alpha - 1) / (alpha (alpha -
1))``, whose argmax is ``alpha``-entmax,

    entmax_alpha(s)_j = [(alpha - 1) s_j - tau]_+^(1 / (alpha - 1)),

``tau`` the unique threshold that makes the weights sum to one:

- ``alpha -> 1``: Shannon's negative entropy and softmax (the memories keep
  their own softmax code, :mod:`skhopfield._core.scoring`; it is not here);
- ``alpha = 2``: ``1/2 (||p||^2 - 1)``, sparsemax, the Euclidean projection
  onto the simplex (Martins & Astudillo 2016);
- ``alpha = 1 + 1/n``: the rectified power of order ``n`` normalized by a
  threshold (``"polynomial"``; the dense associative memory's rectified
  polynomial interaction of Krotov & Hopfield 2016 is ``Omega*``);
- ``alpha -> inf``: ``Omega = 0``, the hard argmax (``"max"``), ties shared
  equally (the limit of every other separation as ``beta -> inf``).

How ``tau`` is found (all exact up to rounding, except the bisection, which
runs to the dtype's resolution and renormalizes):

- every weight is at most 1, so only scores within ``1 / (alpha - 1)`` of
  the row maximum can be in the support; those *candidates* are gathered
  per row (usually a few of the ``P`` scores), padded to a power of two of
  rows that hold as many, and sorted;
- ``alpha = 2``: ``tau = max_k (sum_{j <= k} s_(j) - 1) / k`` over the
  sorted candidates (Held et al. 1974; Duchi et al. 2008);
- ``alpha = 3/2``: the sort-based exact algorithm of Peters et al. (2019),
  a quadratic per prefix;
- other ``alpha``: bisection on ``tau`` (Blondel et al. 2020) over the
  candidates, then the weights renormalized.

Rows are independent (the result of a row depends on that row alone), in
the dtype of the scores.  ``-inf`` scores (patterns left out) get weight 0.
Arrays of other array API namespaces take the same formulas on whole
sorted rows; the namespace must have ``sort`` and ``cumulative_sum``.

References: M. Santos, V. Niculae, D. McNamee, A. Martins (2024), Sparse
and structured Hopfield networks, ICML; B. Peters, V. Niculae, A. Martins
(2019), Sparse sequence-to-sequence models, ACL; M. Blondel, A. Martins,
V. Niculae (2020), Learning with Fenchel-Young losses, JMLR 21; A. Martins,
R. Astudillo (2016), From softmax to sparsemax, ICML; J. Duchi et al.
(2008), Efficient projections onto the l1-ball, ICML; J. Hu et al. (2023),
On sparse modern Hopfield model, NeurIPS; D. Krotov, J. Hopfield (2016),
Dense associative memory for pattern recognition, NeurIPS; B. Millidge et
al. (2022), Universal Hopfield networks, ICML.
"""

import math

import numpy as np

from .namespace import _device, _is_np, _ns

#: The ``separation`` values of the modern memories.
SEPARATIONS = ("softmax", "sparsemax", "entmax", "polynomial", "max")

#: Bisection steps per halving of the dtype's resolution (see ``_bisect``).
_BISECT_STEPS = {np.dtype(np.float32): 30, np.dtype(np.float64): 60}


def make_separation(name, entmax_alpha=1.5, order=2):
    """The :class:`Separation` of an estimator's parameters; None for softmax.

    ``"entmax"`` takes ``entmax_alpha`` in ``(1, 2]``; ``"polynomial"``
    the order ``n >= 1`` (``alpha = 1 + 1/n``); ``"sparsemax"`` is
    ``alpha = 2`` and ``"max"`` ``alpha = inf``.
    """
    if name == "softmax":
        return None
    if name == "sparsemax":
        return Separation(name, 2.0)
    if name == "entmax":
        return Separation(name, float(entmax_alpha))
    if name == "polynomial":
        return Separation(name, 1.0 + 1.0 / float(order))
    if name == "max":
        return Separation(name, math.inf)
    raise ValueError(f"separation must be one of {SEPARATIONS}, got {name!r}")


class Separation:
    """A Tsallis ``alpha``-entmax separation (``alpha`` in ``(1, inf]``).

    Parameters
    ----------
    name : str
        What the estimator calls it (for messages).
    alpha : float
        ``2`` sparsemax, ``inf`` the hard max, in between ``alpha``-entmax.
    """

    def __init__(self, name, alpha):
        if not alpha > 1:
            raise ValueError(f"alpha must be > 1, got {alpha!r}")
        self.name = name
        self.alpha = float(alpha)

    def __repr__(self):
        return f"Separation({self.name!r}, alpha={self.alpha!r})"

    def __eq__(self, other):
        return isinstance(other, Separation) and other.alpha == self.alpha

    def __hash__(self):
        return hash(self.alpha)

    @property
    def width(self):
        """Scores further than this below the row maximum get weight 0."""
        return 0.0 if math.isinf(self.alpha) else 1.0 / (self.alpha - 1.0)

    # -- the map ------------------------------------------------------------------
    def __call__(self, a):
        """``sep(a)`` per row of ``a`` (n, P); in place on a numpy ``a``.

        ``a`` any real scores (``-inf`` allowed, every row with one finite
        entry), shifted or not (the weights do not change when a row is
        shifted by a constant).

        On numpy: one pass for the row maxima, one to find the candidates,
        then only the candidates (a few per row, usually) are sorted and
        weighted, and the row is refilled (zeros, the candidates' weights).
        """
        if not _is_np(a):
            return self._call_xp(a)
        n, P = a.shape
        if n == 0 or P == 0:
            return a
        top = a.max(axis=1)
        if math.isinf(self.alpha):
            np.equal(a, top[:, None], out=a)  # bool into float: 1 at the maxima
            count = a.sum(axis=1)
            ties = np.flatnonzero(count > 1)
            if ties.size:
                a[ties] /= count[ties, None]
            return a
        c = a.dtype.type(self.alpha - 1.0)
        power = 1.0 / float(c)
        rows, cols = np.nonzero(a > (top - a.dtype.type(self.width))[:, None])
        if rows.size > a.size // 4:
            # most scores are candidates (a small beta): whole sorted rows
            # cost less than gathering them
            a -= top[:, None]
            a *= c
            block = -np.sort(-a, axis=1)
            counts = np.bincount(rows, minlength=n)
            tau, renormalize = tau_sorted(block, self.alpha, counts)
            a -= tau[:, None]
            np.maximum(a, 0, out=a)
            _pow_inplace(a, power)
            if renormalize:
                a /= a.sum(axis=1, keepdims=True)
            return a
        vals = (a[rows, cols] - top[rows]) * c  # (alpha - 1) (a - max), in (-1, 0]
        tau, renormalize = self._threshold(vals, rows, n)
        w = vals - tau[rows]
        np.maximum(w, 0, out=w)
        _pow_inplace(w, power)
        if renormalize:
            w /= np.bincount(rows, weights=w, minlength=n).astype(a.dtype)[rows]
        a.fill(0)
        a[rows, cols] = w
        return a

    def _threshold(self, vals, rows, n):
        """``(tau, renormalize)`` of rows from their candidates ``vals``
        (``(alpha - 1)`` times the max-shifted scores, in ``(-1, 0]``, with
        their row indices ``rows``, sorted by row: numpy's ``nonzero``
        order).

        The candidates are gathered into padded, sorted blocks of rows that
        hold about as many (powers of two), so that a row with few
        candidates costs few operations whatever the others hold.
        """
        counts = np.bincount(rows, minlength=n)
        starts = np.zeros(n, dtype=np.intp)
        np.cumsum(counts[:-1], out=starts[1:])
        pos = np.arange(rows.size) - starts[rows]
        tau = np.empty(n, dtype=vals.dtype)
        bucket = np.ceil(np.log2(np.maximum(counts, 1))).astype(np.intp)
        renormalize = False
        for b in np.unique(bucket):
            which = np.flatnonzero(bucket == b)
            K = int(counts[which].max())
            block = np.full((which.size, K), -np.inf, dtype=vals.dtype)
            local = np.full(n, -1, dtype=np.intp)
            local[which] = np.arange(which.size)
            take = local[rows] >= 0
            block[local[rows[take]], pos[take]] = vals[take]
            block = -np.sort(-block, axis=1)
            tau[which], renorm = tau_sorted(block, self.alpha, counts[which])
            renormalize |= renorm
        return tau, renormalize

    def _call_xp(self, a):
        """:meth:`__call__` in another array namespace (whole sorted rows)."""
        xp = _ns(a)
        for needed in ("sort", "cumulative_sum"):
            if not hasattr(xp, needed):
                raise ValueError(
                    f"separation={self.name!r} needs {needed} in the array "
                    f"namespace {xp.__name__}, which lacks it; use numpy arrays "
                    "or separation='softmax'."
                )
        a = a - xp.max(a, axis=1, keepdims=True)
        if math.isinf(self.alpha):
            p = xp.astype(a == 0, a.dtype)
            return p / xp.sum(p, axis=1, keepdims=True)
        c = self.alpha - 1.0
        X = a * c
        block = xp.sort(X, axis=1, descending=True)
        counts = xp.sum(xp.astype(X > -1.0, xp.int64), axis=1)
        tau, renormalize = tau_sorted(block, self.alpha, counts)
        p = xp.maximum(X - tau[:, None], xp.zeros_like(X)) ** (1.0 / c)
        if renormalize:
            p = p / xp.sum(p, axis=1, keepdims=True)
        return p

    # -- energies and losses --------------------------------------------------------
    def regularizer(self, p):
        """``Omega(p)`` per row (0 for the hard max)."""
        xp = _ns(p)
        if math.isinf(self.alpha):
            return xp.zeros(p.shape[0], dtype=p.dtype, device=_device(p))
        alpha = self.alpha
        if alpha == 2.0:
            return 0.5 * (xp.sum(p * p, axis=1) - 1.0)
        return (xp.sum(p**alpha, axis=1) - 1.0) / (alpha * (alpha - 1.0))

    def max_entropy(self, P):
        """``H = -min Omega``, at the uniform weights over ``P`` patterns."""
        if math.isinf(self.alpha) or P == 0:
            return 0.0
        alpha = self.alpha
        return -math.expm1((1.0 - alpha) * math.log(P)) / (alpha * (alpha - 1.0))

    def conjugate(self, a, p=None):
        """``Omega*(a)`` per row, and ``sep(a)``: ``(values, p)``.

        ``Omega*(a) = <p, a> - Omega(p)`` at ``p = sep(a)``, computed on the
        max-shifted rows (``Omega*`` of scores shifted by a constant moves
        by that constant) so that nothing large cancels.  ``a`` is not
        changed.
        """
        xp = _ns(a)
        top = xp.max(a, axis=1)
        shifted = a - top[:, None]
        if p is None:
            p = self(xp.asarray(shifted, copy=True)) if not _is_np(a) else self(
                shifted.copy()
            )
        safe = xp.where(p > 0, shifted, xp.zeros_like(shifted))
        return top + xp.sum(p * safe, axis=1) - self.regularizer(p), p

    def loss(self, a, a_target):
        """Fenchel-Young loss per row and its gradient with respect to ``a``.

        ``a_target`` the same scores with ``-inf`` outside the target set
        (the patterns of the row's class): ``L = Omega*(a) -
        Omega*(a_target) >= 0``, the loss of the best target distribution on
        that set (with one target pattern, ``Omega*(a) - a_y``, the
        Fenchel-Young loss of ``e_y``; for softmax it would be the
        cross-entropy of the class-summed attention).  Finite wherever the
        target set is not empty, also where ``sep(a)`` gives the target set
        weight 0.  Gradient ``sep(a) - sep(a_target)``.
        """
        value, p = self.conjugate(a)
        target, r = self.conjugate(a_target)
        return value - target, p - r


def tau_sorted(block, alpha, counts):
    """The entmax threshold of rows sorted in decreasing order.

    ``block`` (n, K): ``(alpha - 1) s`` of each row's candidates, sorted
    decreasing, row maximum 0, padded with ``-inf``; ``counts`` (n,) how
    many entries of each row are candidates.  Returns ``(tau,
    renormalize)``: ``renormalize`` is True when ``tau`` came from a
    bisection (the weights then need dividing by their sum).
    """
    xp = _ns(block)
    n, K = block.shape
    valid = xp.isfinite(block)
    X = xp.where(valid, block, xp.zeros_like(block))
    k = xp.arange(1, K + 1, dtype=block.dtype, device=_device(block))
    cs = xp.cumulative_sum(X, axis=1) if not _is_np(block) else np.cumsum(X, axis=1)
    neg_inf = xp.full_like(X, -math.inf)
    if alpha == 2.0:
        # Held et al. / Duchi et al.: the threshold is the largest prefix mean
        # of (sum - 1), over the sorted values.
        return xp.max(xp.where(valid, (cs - 1.0) / k, neg_inf), axis=1), False
    if alpha == 1.5:
        # Peters et al. (2019), Algorithm 2: tau_k solves
        # sum_{j <= k} (X_j - tau)^2 = 1; the support is the largest k with
        # tau_k <= X_k.
        cs2 = (
            xp.cumulative_sum(X * X, axis=1)
            if not _is_np(block)
            else np.cumsum(X * X, axis=1)
        )
        mean = cs / k
        delta = (1.0 - k * (cs2 / k - mean * mean)) / k
        tau_k = mean - xp.sqrt(xp.maximum(delta, xp.zeros_like(delta)))
        ok = valid & (tau_k <= X)
        support = xp.sum(xp.astype(ok, xp.int64), axis=1)
        pick = k == xp.astype(support, block.dtype)[:, None]
        return xp.sum(xp.where(pick, tau_k, xp.zeros_like(tau_k)), axis=1), False
    return _bisect(X, valid, alpha, counts), True


def _bisect(X, valid, alpha, counts):
    """The threshold of padded sorted rows by safeguarded Newton steps.

    ``f(tau) = sum_j [X_j - tau]_+^p - 1`` (``p = 1 / (alpha - 1) >= 1``) is
    convex and decreasing (Newton runs on its ``p``-th root, which is too), and ``tau`` lies in ``[-1, -(1/d)^(alpha - 1)]``
    for a row of maximum 0 and ``d`` candidates.  Each iteration takes a
    Newton step from the lower end (which, ``f`` being convex, stays below
    the root: quadratic convergence near it) and a bisection step of the
    bracket (at least halving it: the speed of plain bisection, Blondel et
    al. 2020, far from the root); it stops when the bracket is at the
    dtype's resolution.  The lower end, whose weights sum to at least one,
    is returned (the caller renormalizes).
    """
    xp = _ns(X)
    power = 1.0 / (alpha - 1.0)
    d = xp.astype(counts, X.dtype) if not _is_np(X) else counts.astype(X.dtype)
    lo = xp.full((X.shape[0],), -1.0, dtype=X.dtype, device=_device(X))
    hi = -((1.0 / d) ** (alpha - 1.0))
    zero = xp.zeros_like(X)
    eps = float(xp.finfo(X.dtype).eps)
    steps = _BISECT_STEPS.get(np.dtype(X.dtype) if _is_np(X) else None, 60)

    def evaluate(tau):
        t = xp.maximum(xp.where(valid, X - tau[:, None], zero), zero)
        tp = _pow(t, power - 1.0)
        return xp.sum(tp * t, axis=1), xp.sum(tp, axis=1)

    ones = xp.ones_like(lo)
    for _ in range(steps):
        # Newton on g(tau) = ||[X - tau]_+||_p - 1, convex and decreasing
        # too, and nearly linear (degree one in the weights) where f is a
        # high power: few steps from far below the root
        f, s1 = evaluate(lo)
        norm = f ** (1.0 / power)
        positive = (s1 > 0) & (norm > 0)
        safe = xp.where(positive, norm * s1, ones)
        step = xp.where(positive, (norm - 1.0) * f / safe, 0 * lo)
        newton = lo + step
        lo = xp.where((newton > lo) & (newton < hi), newton, lo)
        # Newton from below a convex decreasing f: the step bounds the
        # distance to the root, which shrinks quadratically
        resolution = 4 * eps * xp.maximum(xp.abs(lo), ones)
        if not bool(xp.any((xp.abs(step) > resolution) & (hi - lo > resolution))):
            break
        mid = (lo + hi) * 0.5
        up = evaluate(mid)[0] >= 1.0
        lo = xp.where(up, mid, lo)
        hi = xp.where(up, hi, mid)
    return lo


def _pow_inplace(w, e):
    """``w **= e`` on a numpy array ``w >= 0``."""
    if e == 2.0:
        np.multiply(w, w, out=w)
    elif e != 1.0:
        np.power(w, w.dtype.type(e), out=w)


def _pow(t, e):
    """``t ** e`` for ``t >= 0``, by products for the small whole ``e`` of
    the usual ``alpha`` (numpy's general power is several times slower)."""
    if e == 0.0:
        return _ns(t).ones_like(t)
    if e == 1.0:
        return t
    if e == 2.0:
        return t * t
    if e == 3.0:
        return t * t * t
    return t**e
