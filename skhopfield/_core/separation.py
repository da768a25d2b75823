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
    def __call__(self, a, weights=None):
        """``sep(a)`` per row of ``a`` (n, P); in place on a numpy ``a``.

        ``a`` any real scores (``-inf`` allowed, every row with one finite
        entry), shifted or not (the weights do not change when a row is
        shifted by a constant).  ``weights`` (P,), positive, or None: a
        pattern of weight ``w`` counts as ``w`` copies of it, i.e. the
        weighted regularizer ``Omega_w(p) = (sum_j w_j^(1 - alpha) p_j^alpha
        - 1) / (alpha (alpha - 1))``, whose argmax is ``p_j = w_j [(alpha -
        1) a_j - tau]_+^(1 / (alpha - 1))`` (softmax's ``w_j exp(a_j)`` in
        the limit); for the hard max, ties shared in proportion to ``w``.
        Not invariant to scaling ``w`` (unlike softmax): ``w`` copies.

        On numpy: one pass for the row maxima, one to find the candidates,
        then only the candidates (a few per row, usually) are sorted and
        weighted, and the row is refilled (zeros, the candidates' weights).
        """
        if not _is_np(a):
            return self._call_xp(a, weights)
        n, P = a.shape
        if n == 0 or P == 0:
            return a
        top = a.max(axis=1)
        if math.isinf(self.alpha):
            np.equal(a, top[:, None], out=a)  # bool into float: 1 at the maxima
            if weights is not None:
                a *= weights
            count = a.sum(axis=1)
            ties = np.flatnonzero(count != 1)
            if ties.size:
                a[ties] /= count[ties, None]
            return a
        c = a.dtype.type(self.alpha - 1.0)
        power = 1.0 / float(c)
        if weights is None:
            threshold = top - a.dtype.type(self.width)
        else:
            # every weight is at most 1: tau >= (alpha - 1) a_j - w_j^(1 - alpha)
            threshold = (a - (weights ** -c / c).astype(a.dtype)).max(axis=1)
        rows, cols = np.nonzero(a > threshold[:, None])
        vals = (a[rows, cols] - top[rows]) * c  # (alpha - 1) (a - max) <= 0
        wv = None if weights is None else weights[cols].astype(a.dtype)
        tau, renormalize = self._threshold(vals, rows, n, wv)
        w = vals - tau[rows]
        np.maximum(w, 0, out=w)
        _pow_inplace(w, power)
        if wv is not None:
            w *= wv
        if renormalize:
            w /= np.bincount(rows, weights=w, minlength=n).astype(a.dtype)[rows]
        a.fill(0)
        a[rows, cols] = w
        return a

    def _threshold(self, vals, rows, n, wv=None):
        """``(tau, renormalize)`` of rows from their candidates ``vals``
        (``(alpha - 1)`` times the max-shifted scores, with their row indices
        ``rows``, sorted by row: numpy's ``nonzero`` order, and their pattern
        weights ``wv`` or None).

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
            at = (local[rows[take]], pos[take])
            block[at] = vals[take]
            if wv is None:
                block = -np.sort(-block, axis=1)
                wblock = None
            else:
                wblock = np.zeros_like(block)
                wblock[at] = wv[take]
                order = np.argsort(-block, axis=1)
                block = np.take_along_axis(block, order, axis=1)
                wblock = np.take_along_axis(wblock, order, axis=1)
            tau[which], renorm = tau_sorted(block, self.alpha, wblock)
            renormalize |= renorm
        return tau, renormalize

    def _call_xp(self, a, weights=None):
        """:meth:`__call__` in another array namespace (whole sorted rows;
        with ``weights`` (on ``a``'s device), Newton and bisection steps,
        which need no sort)."""
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
            if weights is not None:
                p = p * weights
            return p / xp.sum(p, axis=1, keepdims=True)
        c = self.alpha - 1.0
        X = a * c
        if weights is None:
            block = xp.sort(X, axis=1, descending=True)
            tau, renormalize = tau_sorted(block, self.alpha, None)
        else:
            wblock = xp.broadcast_to(weights[None, :], X.shape)
            tau, renormalize = _bisect(X, self.alpha, wblock), True
        p = xp.maximum(X - tau[:, None], xp.zeros_like(X)) ** (1.0 / c)
        if weights is not None:
            p = p * weights
        if renormalize:
            p = p / xp.sum(p, axis=1, keepdims=True)
        return p

    # -- energies and losses --------------------------------------------------------
    def regularizer(self, p, weights=None):
        """``Omega_w(p)`` per row (0 for the hard max; see :meth:`__call__`)."""
        xp = _ns(p)
        if math.isinf(self.alpha):
            return xp.zeros(p.shape[0], dtype=p.dtype, device=_device(p))
        alpha = self.alpha
        if weights is None:
            terms = p * p if alpha == 2.0 else p**alpha
        else:
            safe = xp.where(p > 0, p / weights, xp.zeros_like(p))
            terms = weights * (safe * safe if alpha == 2.0 else safe**alpha)
        return (xp.sum(terms, axis=1) - 1.0) / (alpha * (alpha - 1.0))

    def max_entropy(self, total):
        """``H = -min Omega_w``, at ``p`` proportional to the weights;
        ``total`` the patterns' number (no weights) or their weights' sum."""
        if math.isinf(self.alpha) or total == 0:
            return 0.0
        alpha = self.alpha
        return -math.expm1((1.0 - alpha) * math.log(total)) / (alpha * (alpha - 1.0))

    def conjugate(self, a, weights=None):
        """``Omega_w*(a)`` per row, and ``sep(a)``: ``(values, p)``.

        ``Omega_w*(a) = <p, a> - Omega_w(p)`` at ``p = sep(a)``, computed on
        the max-shifted rows (``Omega*`` of scores shifted by a constant
        moves by that constant) so that nothing large cancels.  ``a`` is not
        changed.
        """
        xp = _ns(a)
        top = xp.max(a, axis=1)
        shifted = a - top[:, None]
        p = self(shifted.copy() if _is_np(a) else shifted, weights)
        safe = xp.where(p > 0, shifted, xp.zeros_like(shifted))
        return top + xp.sum(p * safe, axis=1) - self.regularizer(p, weights), p

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


def tau_sorted(block, alpha, wblock=None):
    """The entmax threshold of rows sorted in decreasing order.

    ``block`` (n, K): ``(alpha - 1) s`` of each row's candidates, sorted
    decreasing, row maximum 0, padded with ``-inf``; ``wblock`` their
    pattern weights in the same order (None: all 1).  Returns ``(tau,
    renormalize)``: ``renormalize`` is True when ``tau`` came from Newton
    and bisection steps (the weights then need dividing by their sum).
    """
    xp = _ns(block)
    n, K = block.shape
    valid = xp.isfinite(block)
    zero = xp.zeros_like(block)
    X = xp.where(valid, block, zero)
    W = (
        xp.astype(valid, block.dtype)
        if wblock is None
        else xp.where(valid, wblock, zero)
    )

    def cumsum(A):
        return np.cumsum(A, axis=1) if _is_np(A) else xp.cumulative_sum(A, axis=1)

    if alpha not in (1.5, 2.0):
        return _bisect(X, alpha, W), True
    S0 = cumsum(W)  # k without weights
    S1 = cumsum(W * X)
    safe0 = xp.where(S0 > 0, S0, xp.ones_like(S0))
    if alpha == 2.0:
        # Held et al. / Duchi et al.: the threshold is the largest of the
        # prefix values (sum_{j <= k} w_j X_j - 1) / sum_{j <= k} w_j over
        # the sorted values (each bounds it from below).
        cand = xp.where(valid, (S1 - 1.0) / safe0, xp.full_like(X, -math.inf))
        return xp.max(cand, axis=1), False
    # alpha = 3/2, Peters et al. (2019), Algorithm 2: tau_k solves
    # sum_{j <= k} w_j (X_j - tau)^2 = 1; the support is the largest k
    # with tau_k <= X_k.
    S2 = cumsum(W * X * X)
    disc = S1 * S1 - S0 * (S2 - 1.0)
    tau_k = (S1 - xp.sqrt(xp.maximum(disc, zero))) / safe0
    ok = valid & (tau_k <= X)
    support = xp.sum(xp.astype(ok, xp.int64), axis=1)
    k = xp.arange(1, K + 1, dtype=xp.int64, device=_device(block))
    pick = k[None, :] == support[:, None]
    return xp.sum(xp.where(pick, tau_k, zero), axis=1), False


def _bisect(X, alpha, W):
    """The threshold of rows by safeguarded Newton steps, no sort needed.

    ``X`` (n, K) ``(alpha - 1)`` times max-shifted scores, ``W`` their
    weights (0 where padded).  ``f(tau) = sum_j W_j [X_j - tau]_+^p - 1``
    (``p = 1 / (alpha - 1) >= 1``) is convex and decreasing (Newton runs on
    its ``p``-th root, which is too); ``tau`` lies between ``max_j (X_j -
    W_j^(1 - alpha))`` (one term alone reaches 1 there) and
    ``-(1 / sum W)^(alpha - 1)`` (every term at most ``W_j (-tau)^p``).
    Each iteration takes a Newton step from the lower end (which, ``f``
    being convex, stays below the root: quadratic convergence near it) and
    a bisection step of the bracket (at least halving it: the speed of
    plain bisection, Blondel et al. 2020, far from the root).  The lower
    end, whose weights sum to at least one, is returned (the caller
    renormalizes).
    """
    xp = _ns(X)
    power = 1.0 / (alpha - 1.0)
    zero = xp.zeros_like(X)
    live = W > 0
    lo = xp.max(
        xp.where(live, X - xp.where(live, W, xp.ones_like(W)) ** (1.0 - alpha),
                 xp.full_like(X, -math.inf)),
        axis=1,
    )
    hi = -((1.0 / xp.sum(W, axis=1)) ** (alpha - 1.0))
    hi = xp.maximum(hi, lo)
    eps = float(xp.finfo(X.dtype).eps)
    steps = _BISECT_STEPS.get(np.dtype(X.dtype) if _is_np(X) else None, 60)

    def evaluate(tau):
        t = xp.maximum(X - tau[:, None], zero)
        tp = _pow(t, power - 1.0) * W
        return xp.sum(tp * t, axis=1), xp.sum(tp, axis=1)

    ones = xp.ones_like(lo)
    for _ in range(steps):
        # Newton on g(tau) = (sum W [X - tau]_+^p)^(1/p) - 1, convex and
        # decreasing too, and nearly linear (degree one in the weights)
        # where f is a high power: few steps from far below the root
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
