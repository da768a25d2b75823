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

How ``tau`` is found (all exact up to rounding; the Newton steps run to
the dtype's resolution and the weights are renormalized):

- every weight is at most 1, so only scores within ``1 / (alpha - 1)`` of
  the row maximum can be in the support; for sparsemax on numpy those
  *candidates* are gathered per row (usually a few of the ``P`` scores),
  padded to a power of two of rows that hold as many, and sorted (other
  namespaces sort whole rows);
- ``alpha = 2``: ``tau = max_k (sum_{j <= k} s_(j) - 1) / k`` over the
  sorted candidates (Held et al. 1974; Duchi et al. 2008);
- ``alpha = 3/2`` in other namespaces: the sort-based exact algorithm of
  Peters et al. (2019), a quadratic per prefix;
- other ``alpha`` (and 3/2 on numpy, where it is about twice as fast as
  the sort): Newton steps on ``tau`` from below (on the ``1 / (alpha -
  1)``-th root of the weights' sum, convex, so that they never overshoot
  and converge quadratically: a handful), no sort; each step narrows the
  rows to the entries above the current bound, which only rises, so after
  the first step a row holds about its support (:func:`_newton`).

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

#: At most this many Newton steps per row (see ``_newton``): a safeguard;
#: they take a handful.
_NEWTON_STEPS = 100


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
        shifted by a constant).  ``weights`` (P,) or one per entry (n, P)
        (a sharded memory's candidates), positive, or None: a
        pattern of weight ``w`` counts as ``w`` copies of it, i.e. the
        weighted regularizer ``Omega_w(p) = (sum_j w_j^(1 - alpha) p_j^alpha
        - 1) / (alpha (alpha - 1))``, whose argmax is ``p_j = w_j [(alpha -
        1) a_j - tau]_+^(1 / (alpha - 1))`` (softmax's ``w_j exp(a_j)`` in
        the limit); for the hard max, ties shared in proportion to ``w``.
        Not invariant to scaling ``w`` (unlike softmax): ``w`` copies.

        On numpy, sparsemax: one pass for the row maxima, one to find the
        candidates, then only the candidates (a few per row, usually) are
        sorted and weighted, and the row is refilled (zeros, the
        candidates' weights).  Other ``alpha``: Newton steps on the rows,
        narrowed to their candidates as the threshold rises
        (:func:`_newton`), then one pass for the weights.
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
        if self.alpha != 2.0:
            return self._call_newton(a, top, weights)
        c = a.dtype.type(self.alpha - 1.0)
        power = 1.0 / float(c)
        if weights is None:
            threshold = top - a.dtype.type(self.width)
        else:
            # every weight is at most 1: tau >= (alpha - 1) a_j - w_j^(1 - alpha)
            threshold = (a - (weights ** -c / c).astype(a.dtype)).max(axis=1)
        rows, cols = np.nonzero(a > threshold[:, None])
        vals = (a[rows, cols] - top[rows]) * c  # (alpha - 1) (a - max) <= 0
        if weights is None:
            wv = None
        else:
            wv = (weights[cols] if weights.ndim == 1 else weights[rows, cols]).astype(a.dtype)
        tau = self._threshold(vals, rows, n, wv)
        w = vals - tau[rows]
        np.maximum(w, 0, out=w)
        _pow_inplace(w, power)
        if wv is not None:
            w *= wv
        a.fill(0)
        a[rows, cols] = w
        return a

    def _call_newton(self, a, top, weights):
        """:meth:`__call__` for ``alpha`` other than 2 (numpy, in place):
        the threshold by :func:`_newton` on the whole rows (which narrows
        them to their candidates itself), then one pass for the weights.
        (At ``alpha = 3/2`` this is about twice as fast as the sort-based
        algorithm, which the other namespaces take.)"""
        c = a.dtype.type(self.alpha - 1.0)
        a -= top[:, None]
        a *= c  # (alpha - 1) (a - max) <= 0, -inf kept
        if weights is None:
            W = None
            lo = np.full(a.shape[0], -1.0, dtype=a.dtype)
        else:
            W = weights.astype(a.dtype)
            # every weight is at most 1: tau >= X_j - w_j^(1 - alpha)
            lo = (a - W ** -c).max(axis=1)
        tau = _newton(a, lo, W, self.alpha)
        a -= tau[:, None]
        np.maximum(a, 0, out=a)
        _pow_inplace(a, 1.0 / float(c))
        if W is not None:
            a *= W
        a /= a.sum(axis=1, keepdims=True)
        return a

    def _threshold(self, vals, rows, n, wv=None):
        """The threshold ``tau`` of rows from their candidates ``vals``
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
            tau[which] = tau_sorted(block, self.alpha, wblock)
        return tau

    def _call_xp(self, a, weights=None):
        """:meth:`__call__` in another array namespace (whole sorted rows
        for ``alpha`` 3/2 and 2; with ``weights`` (on ``a``'s device) or
        another ``alpha``, Newton steps (:func:`_newton`), which need no
        sort)."""
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
        if weights is None and self.alpha in (1.5, 2.0):
            block = xp.sort(X, axis=1, descending=True)
            tau, renormalize = tau_sorted(block, self.alpha, None), False
        elif weights is None:
            lo = xp.full(X.shape[0], -1.0, dtype=X.dtype, device=_device(X))
            tau, renormalize = _newton(X, lo, None, self.alpha), True
        else:
            wblock = weights if weights.ndim == 2 else xp.broadcast_to(weights[None, :], X.shape)
            tau = _newton(X, _lower_bound(X, wblock, self.alpha), wblock, self.alpha)
            renormalize = True
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
    """The entmax threshold of rows sorted in decreasing order, exactly
    (``alpha`` 3/2 or 2; other ``alpha`` take :func:`_newton`).

    ``block`` (n, K): ``(alpha - 1) s`` of each row's candidates, sorted
    decreasing, row maximum 0, padded with ``-inf``; ``wblock`` their
    pattern weights in the same order (None: all 1).
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
        raise ValueError(f"the sorted threshold is for alpha 3/2 or 2, got {alpha!r}")
    S0 = cumsum(W)  # k without weights
    S1 = cumsum(W * X)
    safe0 = xp.where(S0 > 0, S0, xp.ones_like(S0))
    if alpha == 2.0:
        # Held et al. / Duchi et al.: the threshold is the largest of the
        # prefix values (sum_{j <= k} w_j X_j - 1) / sum_{j <= k} w_j over
        # the sorted values (each bounds it from below).
        cand = xp.where(valid, (S1 - 1.0) / safe0, xp.full_like(X, -math.inf))
        return xp.max(cand, axis=1)
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
    return xp.sum(xp.where(pick, tau_k, zero), axis=1)


def _newton(X, lo, W, alpha):
    """The threshold of rows by Newton steps from below; no sort needed.

    ``X`` (n, K) ``(alpha - 1)`` times max-shifted scores (``-inf`` for
    patterns left out or padding), ``lo`` (n,) a lower bound of each row's
    threshold (``-1`` without weights: the row maximum's weight alone
    reaches 1 there; see :func:`_lower_bound`), ``W`` their weights ((n,
    K), (K,) or None: all 1).  ``f(tau) = sum_j W_j [X_j - tau]_+^p`` (``p
    = 1 / (alpha - 1) > 1``) is convex and decreasing, and so is its
    ``p``-th root ``g`` (a weighted ``p``-norm of the convex ``[X -
    tau]_+``), which is nearly linear where ``f`` is a high power; Newton's
    steps on ``g - 1`` from below the root therefore stay below it and
    increase to it, quadratically near it (one step where one pattern holds
    the support).  A row stops when its step falls to the dtype's
    resolution (``lo`` lies in ``[-1, 0)``); the caller renormalizes the
    weights.

    On numpy, converged rows are dropped and the rows are narrowed to
    their entries above the current bound (the bound only rises, so the
    entries below it stay out: what is left are the support's candidates)
    whenever that halves the block, and the steps reuse their buffers.
    """
    if _is_np(X):
        return _newton_np(X, lo, W, alpha)
    xp = _ns(X)
    p = 1.0 / (alpha - 1.0)
    tol = 4 * float(xp.finfo(X.dtype).eps)
    done = xp.zeros(lo.shape, dtype=xp.bool, device=_device(X))
    zero = xp.zeros_like(X)
    for _ in range(_NEWTON_STEPS):
        t = xp.maximum(X - lo[:, None], zero)
        tp = _pow(t, p - 1.0)
        if W is not None:
            tp = tp * W
        step = _newton_step(xp, xp.sum(tp * t, axis=1), xp.sum(tp, axis=1), p)
        go = step > tol
        lo = xp.where(go, lo + step, lo)
        done = done | ~go
        if bool(xp.all(done)):
            break
    return lo


def _newton_step(xp, f, s1, p):
    """Newton's step on ``g - 1``, ``g = f^(1/p)``, ``g' = -f^(1/p - 1) s1``
    (0 where ``f`` or ``s1`` vanish)."""
    positive = (f > 0) & (s1 > 0)
    f = xp.where(positive, f, xp.ones_like(f))
    s1 = xp.where(positive, s1, xp.ones_like(s1))
    norm = f ** (1.0 / p)
    return xp.where(positive, (norm - 1.0) * f / (norm * s1), xp.zeros_like(f))


def _newton_np(X, lo, W, alpha):
    """:func:`_newton` on numpy arrays (see there)."""
    p = 1.0 / (alpha - 1.0)
    tol = 4 * float(np.finfo(X.dtype).eps)
    tau = lo.copy()
    rows = np.arange(X.shape[0])
    B, Wb, lo = X, W, lo.copy()
    if Wb is not None and Wb.ndim == 1:
        Wb = np.broadcast_to(Wb, B.shape)
    buffers = np.empty((2, B.size), dtype=B.dtype)
    last = np.zeros(lo.shape)  # no estimate before two steps
    for it in range(_NEWTON_STEPS):
        m, K = B.shape
        # (once the steps are small, few entries fall below the bound: the
        # narrowing would not halve the block, and its check is skipped)
        if K > 8 and (it == 0 or float(last.max()) > 1e-3):
            live = B > lo[:, None]
            count = np.count_nonzero(live, axis=1)
            width = int(count.max())
            if 2 * width <= K:
                B, Wb = _narrow(B, Wb, live, count, width)
                K = width
        t, tp = (b[: m * K].reshape(m, K) for b in buffers)
        np.subtract(B, lo[:, None], out=t)
        np.maximum(t, 0, out=t)
        _pow_into(t, p - 1.0, tp)
        if Wb is not None:
            tp *= Wb
        step = _newton_step(np, np.einsum("ij,ij->i", tp, t), tp.sum(axis=1), p)
        go = step > tol
        lo += np.where(go, step, 0)
        # Converging quadratically (the error after a step about c step^2,
        # c ~ step / last^2 from the steps), a row whose remaining error is
        # below the resolution needs no step to confirm it.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            near = (step < 1e-3) & (4 * step**3 < tol * last * last)
        go &= ~near
        last = step
        if not go.all():
            tau[rows[~go]] = lo[~go]
            if not go.any():
                return tau
            rows, B, lo, last = rows[go], B[go], lo[go], last[go]
            if Wb is not None:
                Wb = Wb[go]
    tau[rows] = lo
    return tau


def _lower_bound(X, W, alpha):
    """``max_j (X_j - W_j^(1 - alpha))`` per row over the entries of weight
    ``W > 0``: every weight is at most 1, so the threshold is at least that
    (``-1`` without weights, at the row maximum 0)."""
    xp = _ns(X)
    live = W > 0
    bound = X - xp.where(live, W, xp.ones_like(W)) ** (1.0 - alpha)
    return xp.max(xp.where(live, bound, xp.full_like(X, -math.inf)), axis=1)


def _narrow(B, Wb, live, count, width):
    """Rows of ``B`` (and ``Wb``) cut down to their ``live`` entries, in
    order, padded to ``width`` with ``-inf`` (weight 0)."""
    m = B.shape[0]
    starts = np.zeros(m, dtype=np.intp)
    np.cumsum(count[:-1], out=starts[1:])
    # entry i of the live ones (row-major) goes to row r, place i - starts[r]
    dest = np.arange(int(count.sum())) + np.repeat(
        np.arange(m) * width - starts, count
    )
    out = np.full(m * width, -np.inf, dtype=B.dtype)
    out[dest] = B[live]
    if Wb is None:
        return out.reshape(m, width), None
    wout = np.zeros(m * width, dtype=Wb.dtype)
    wout[dest] = Wb[live]
    return out.reshape(m, width), wout.reshape(m, width)


def _pow_inplace(w, e):
    """``w **= e`` on a numpy array ``w >= 0`` (mostly zeros, often)."""
    e = _snap(e)
    if e == 1.0:
        return
    if _by_products(e):
        # in place when e is a power of two (squarings only)
        whole = int(e)
        alone = e == whole and whole & (whole - 1) == 0
        _pow_into(w if alone else w.copy(), e, w)
    else:  # numpy's power is slow on zeros: skip them
        np.power(w, w.dtype.type(e), out=w, where=w > 0)


def _by_products(e):
    """Whether ``t ** e`` goes by products (whole and half-whole ``e`` up
    to 16, see :func:`_snap`): numpy's general power is several times
    slower."""
    return 0 < e <= 16 and e - math.floor(e) in (0.0, 0.5)


def _snap(e):
    """``e``, or the half-whole number within ``1e-12`` of it: ``1 / (alpha
    - 1)`` of ``alpha = 1.2`` or of the polynomial orders is a whole number
    off by rounding (``t ** e`` then moves by ``1e-12 |log t|`` relative at
    most, below the weights' rounding for ``t`` that counts)."""
    near = round(2 * e) / 2
    return near if abs(e - near) <= 1e-12 * max(1.0, abs(e)) else e


def _pow_into(t, e, out):
    """``out = t ** e`` for a numpy ``t >= 0``, by products where
    :func:`_by_products` (binary powering from the leading bit, then
    ``sqrt(t)`` for a half; ``out`` may be ``t`` for a power of two)."""
    e = _snap(e)
    if e == 0.0:  # the derivative's indicator of sparsemax: 0 off the support
        return np.greater(t, 0, out=out)
    if not _by_products(e):
        if e > 1:
            # exp(e log t), several times faster than numpy's power (and
            # within |e log t| eps of it); zeros clamped to where the power
            # is 1e-200 (1e-30 in float32): negligible beside any weight
            # that counts, and a normal number (the slow paths of log and
            # exp are the zeros and the subnormals)
            floor = -200.0 if t.dtype == np.float64 else -30.0
            np.maximum(t, t.dtype.type(10.0 ** (floor / e)), out=out)
            np.log(out, out=out)
            out *= t.dtype.type(e)
            return np.exp(out, out=out)
        out.fill(0)  # numpy's power is slow on zeros: skip them
        return np.power(t, t.dtype.type(e), out=out, where=t > 0)
    n = int(e)
    if n == 0:
        np.sqrt(t, out=out)
        return out
    bits = bin(n)[3:]  # after the leading one
    if not bits:
        if out is not t:
            np.copyto(out, t)
    for i, bit in enumerate(bits):
        # (the first square straight from t: no copy)
        np.multiply(t if i == 0 else out, t if i == 0 else out, out=out)
        if bit == "1":
            np.multiply(out, t, out=out)
    if e != n:
        out *= np.sqrt(t)
    return out


def _pow(t, e):
    """``t ** e`` for ``t >= 0`` in any namespace, by products where
    :func:`_by_products`."""
    xp = _ns(t)
    e = _snap(e)
    if e == 0.0:  # the derivative's indicator of sparsemax: 0 off the support
        return xp.astype(t > 0, t.dtype)
    if not _by_products(e):
        return t**e
    n = int(e)
    out = t
    for bit in bin(n)[3:] if n else "":
        out = out * out
        if bit == "1":
            out = out * t
    if e != n:
        out = xp.sqrt(t) if n == 0 else out * xp.sqrt(t)
    return out
