"""Pure-numpy math of the continuous modern Hopfield network (Ramsauer et al. 2020).

Notation: ``X`` the stored patterns, shape ``(P, N)``; ``Q`` a block of states
(one per row), shape ``(n, N)``.  The *score* of state ``xi`` against pattern
``mu`` is ``z_mu = x^mu . xi + o_mu`` where the per-pattern offset ``o`` is

- ``0`` for ``"dot"`` (the paper's ``X xi``),
- ``-||x^mu||^2 / 2`` for ``"euclidean"``, so that
  ``z_mu = -||x^mu - xi||^2 / 2 + ||xi||^2 / 2``; the last term is the same
  for every pattern and cancels inside the softmax,
- ``0`` for ``"cosine"``, whose stored patterns are unit-normalized (and whose
  cues are unit-normalized before the first step).

Every similarity is therefore the paper's dot-product network on (possibly
normalized) patterns with an additive per-pattern offset, which leaves the
energy a difference of convex functions: the update step
``xi <- X^T softmax(beta z)`` is its CCCP step and never raises

    E(xi) = -lse(beta, z) + 1/2 xi^T xi + ln(P) / beta + 1/2 M^2,

``lse(beta, z) = log(sum_mu exp(beta z_mu)) / beta``, ``M`` the largest pattern
norm.  Every exponential is taken after subtracting an upper bound of the
row's scores (see :class:`ModernMemory`) or, where that bound is too loose or
rounding breaks it, the exact row maximum, so nothing overflows for any
``beta`` in ``[1e-6, 1e6]`` (inputs so large that ``beta * x`` itself
overflows the dtype are out of reach, as for any float computation).

Everything runs in the stored patterns' own frame (:func:`frame`):
centered on their mean for ``"euclidean"`` and scaled by a power of two into
``[-1, 1]``, ``beta`` scaled to match.  The euclidean scores are translation
invariant, so centering loses nothing and keeps the digits that
``q . x - ||x||^2 / 2`` would cancel on data far from the origin (float32
at an offset of 1e4); the power-of-two scale is exact and makes any finite
float64 scale look like scale 1.  With ``M`` measured in the frame, the
energy of ``"euclidean"`` is translation invariant as well.

Nothing here knows about estimators.  Functions work in the dtype of the
arrays they are given (float32 stays float32), and in their array namespace:
numpy arrays take the numpy path (in-place ``exp``, ``out=`` buffers,
``einsum``), any other array API array (torch, cupy, array-api-strict) the
same formulas through its namespace, on its device.  The few primitives that
differ between the two are the helpers of :mod:`skhopfield._core.namespace`
(``_rowdot``, ``_matmul``, ``_exp_inplace``, ``_ldexp``, ...); every formula
is written once, on top of them.  The log-sum-exp algebra of blocks of
patterns (sharded memories, and the energy) is in
:mod:`skhopfield._core.shards`; the cache-sized tiles the block functions walk
in, in :mod:`skhopfield._tiles`.
"""

import math

import numpy as np
import scipy.sparse as sp

from .namespace import (
    _astype,
    _const,
    _copy,
    _device,
    _exp_inplace,
    _exponent,
    _finfo,
    _hi,
    _idiv,
    _is_host,
    _is_np,
    _isub,
    _ldexp,
    _matmul,
    _move,
    _ns,
    _rowdot,
    _scalar,
    _scale_by_pow2,
    _to_numpy,
)
from .shards import energy_from_lse, lse_partials

#: Similarities understood by :class:`ModernMemory`.
SIMILARITIES = ("dot", "euclidean", "cosine", "manhattan")


def unit_rows(A):
    """Rows of ``A`` scaled to unit Euclidean norm; all-zero rows stay zero.

    Rows whose sum of squares is not a normal number with room for
    eps-relative terms (entries below about ``sqrt(tiny)`` or above about
    ``sqrt(max)`` of the dtype, e.g. ``1e-200`` or ``1e200`` in float64) are
    first divided by their largest absolute entry, so any finite row is
    normalized accurately.
    """
    xp = _ns(A)
    info = _finfo(A)
    with np.errstate(over="ignore", under="ignore"):
        sq = _rowdot(A)
    ok = xp.isfinite(sq) & (sq >= info.smallest_normal / info.eps)
    out = A / _astype(xp.sqrt(xp.where(ok, sq, _const(sq, 1))), A.dtype)[:, None]
    if not bool(xp.all(ok)):
        B = A[~ok]
        r = xp.max(xp.abs(B), axis=1)
        r = xp.where(r == 0, _const(r, 1), r)
        B = B / r[:, None]
        norms = xp.sqrt(_rowdot(B))
        norms = xp.where(norms == 0, _const(norms, 1), norms)
        out[~ok] = B / norms[:, None]
    return out


def frame(patterns, similarity, weights=None):
    """``(center, k)``: the coordinates the dynamics work in.

    A pattern or state ``x`` is computed as ``u = (x - center) / 2**k``:
    ``center`` (float64, shape ``(N,)``) is the mean of the stored patterns
    for ``"euclidean"`` (whose scores are translation invariant) and ``None``
    otherwise (``"dot"`` is not translation invariant; ``"cosine"`` needs
    none); ``2**k`` is the power of two just above the largest ``|x - center|``
    of the stored patterns (``k = 0`` for ``"cosine"``, whose rows are
    normalized).  Scaling by a power of two is exact, so the internal
    patterns lie in ``[-1, 1]`` whatever the scale of the data (any finite
    float64), and centering removes the cancellation of
    ``x . q - ||x||^2 / 2 - ||q||^2 / 2`` on data far from the origin.
    The mean is taken on the data scaled by its own largest absolute value,
    so it cannot overflow; with ``weights`` (float64, on the host) it is the
    weighted mean (a pattern of weight 2 counts twice, as if stored twice).
    ``center`` is in ``patterns``' namespace and on its device.
    """
    if similarity == "cosine" or math.prod(patterns.shape) == 0:
        return None, 0
    xp = _ns(patterns)
    X = _astype(patterns, _hi(patterns))
    k0 = _exponent(float(xp.max(xp.abs(X))))
    Xs = _ldexp(X, -k0)
    if similarity == "dot":
        return None, k0
    if weights is None:
        mean_s = xp.mean(Xs, axis=0)
    elif _is_np(Xs):
        mean_s = np.average(Xs, 0, weights)
    else:
        p = _move(weights / weights.sum(), Xs)
        mean_s = _astype(p, Xs.dtype) @ Xs
    center = _ldexp(mean_s, k0)
    # the spread around the center as the stored dtype will round it
    c = _ldexp(_astype(_astype(center, patterns.dtype), X.dtype), -k0)
    spread = float(xp.max(xp.abs(Xs - c)))
    return center, (k0 + _exponent(spread)) if spread > 0 else k0


class ModernMemory:
    """Stored patterns of a modern Hopfield network, laid out for fast scoring.

    The patterns are kept in one C-contiguous ``(P, N + 2)`` array
    ``[memory | offset | 1]``, so that a single GEMM of the cues, laid out as
    ``[beta q | beta | -beta b(q)]``, gives ``beta (z_mu - b(q))`` directly,
    with no extra pass over the ``(n, P)`` scores to add the offset.  ``b(q)``
    is an upper bound of the row's scores: ``||q||^2 / 2`` for
    ``"euclidean"`` (then ``z_mu - b = -||x^mu - q||^2 / 2`` exactly) and
    ``||q|| M`` for ``"dot"`` and ``"cosine"`` (Cauchy-Schwarz).  Shifting by
    a bound instead of the row maximum saves the max and subtract passes;
    rows where the bound is loose enough for every ``exp`` to underflow, or
    where rounding pushed a score above the bound far enough to overflow,
    are shifted by the row maximum instead: :meth:`class_scores` (the
    predict path) reads it from the same GEMM before ``exp`` (and skips
    even that where a lower bound of the scores proves the bound tight
    enough), :meth:`attention` detects such rows on the small per-row
    result and recomputes them exactly.  Which path a row takes depends on
    that row alone, so results do not depend on chunking.

    The arrays are those of ``patterns``' namespace and device (numpy, or any
    array API library: see :meth:`like`).

    Parameters
    ----------
    patterns : array of shape (P, N)
    similarity : {"dot", "euclidean", "cosine", "manhattan"}
        ``"manhattan"``: ``z_mu = -||x^mu - xi||_1`` (no offset; scored
        by :meth:`_l1_scores`, numpy and dense patterns only).
    weights : ndarray of shape (P,) or None
        A positive prior ``w_mu`` on each pattern: the attention becomes
        ``w_mu exp(beta z_mu) / sum_nu w_nu exp(beta z_nu)``, i.e. ``log
        w_mu`` is added to the scores ``beta z_mu`` (so a pattern of weight
        2 attracts exactly as the pattern stored twice).  Kept as
        ``log(w / max w) <= 0``, which leaves the upper bounds of the
        scores valid.  None (or all weights equal) is the unweighted
        network, computed as without weights.  Host float64 (numpy) in any
        namespace: ``log_weight`` is in the patterns' namespace and device.
    """

    #: Score-sized ``(rows, patterns)`` arrays a tile holds at once (see
    #: the working-memory bound of the estimators).
    score_rows = 1

    #: The separation applied to the scores: None for softmax (this class's
    #: own code), else a :class:`~skhopfield._core.separation.Separation`
    #: (see :meth:`with_separation`).
    separation = None

    def _set_similarity_and_weights(self, patterns, similarity, dtype, weights):
        """Check ``similarity``, set it and the pattern weights; return the dtype.

        Equal weights are no weights (``weights`` None): they change no
        attention.  ``weights`` is kept relative to the largest, ``w / max
        w`` in ``(0, 1]`` (only ratios of weights matter; the shards of
        :meth:`take` keep this common scale), on the host (numpy float64);
        ``log_weight`` is its log in ``dtype``, in ``patterns``' namespace and
        on its device, added to ``beta z``; or None.
        """
        if similarity not in SIMILARITIES:
            raise ValueError(
                f"similarity must be one of {SIMILARITIES}, got {similarity!r}"
            )
        self.similarity = similarity
        dtype = patterns.dtype if dtype is None else dtype
        if _is_np(patterns) or sp.issparse(patterns):
            dtype = np.dtype(dtype)
        #: The largest weight: ``weights * weight_scale`` are the weights as
        #: given, which the separations other than softmax read (a weight
        #: there counts copies, and only softmax is invariant to its scale).
        self.weight_scale = 1.0
        if weights is not None:
            weights = _to_numpy(weights).astype(np.float64)
            self.weight_scale = float(weights.max()) if weights.size else 1.0
            if (weights == weights[0]).all():
                weights = None
            else:
                weights = weights / weights.max()
        self.weights = weights
        if weights is None:
            self.log_weight = None
        elif _is_host(patterns):
            self.log_weight = np.log(weights).astype(dtype)
        else:
            self.log_weight = _astype(_move(np.log(weights), patterns), dtype)
        return dtype

    def __init__(self, patterns, similarity, dtype=None, frame_=None, weights=None):
        if similarity == "manhattan" and not _is_np(patterns):
            raise ValueError(
                "similarity='manhattan' computes with numpy only; got an array of "
                f"{type(patterns).__module__}."
            )
        dtype = self._set_similarity_and_weights(patterns, similarity, dtype, weights)
        weights = self.weights
        xp = _ns(patterns)
        if frame_ is None:
            center, k = frame(patterns, similarity, weights)
        else:
            center, k = frame_
        self._frame = (center, k)
        self.exponent = k
        self.center = None if center is None else _astype(center, dtype)
        P, N = patterns.shape
        hi = _hi(patterns)
        if similarity == "cosine":
            memory = unit_rows(_astype(patterns, dtype))
        elif self.center is None:
            memory = _astype(_ldexp(_astype(patterns, hi), -k), dtype)
        else:
            X = _astype(patterns, hi)
            c = _astype(self.center, hi)
            memory = _astype(_ldexp(X, -k) - _ldexp(c, -k), dtype)
        if similarity == "euclidean":
            offset = -0.5 * _rowdot(memory)
        else:
            offset = xp.zeros(P, dtype=dtype, device=_device(patterns))
        if _is_np(patterns):
            aug = np.empty((P, N + 2), dtype=dtype)
            aug[:, :N] = memory
            aug[:, N] = offset
            aug[:, N + 1] = 1
        else:
            ones = xp.ones((P, 1), dtype=dtype, device=_device(patterns))
            aug = xp.concat([memory, offset[:, None], ones], axis=1)
        self.aug = aug
        self._raw = patterns
        if center is not None and P:
            # from the float64 mean, not from its rounding to dtype (that
            # would shift the energy by M |c - round(c)| on data far away)
            X = _astype(patterns, hi)
            d = _ldexp(X, -k) - _ldexp(center, -k)
            norms = xp.sqrt(_rowdot(d))
        elif _is_np(memory):
            norms = np.sqrt(np.einsum("ij,ij->i", memory, memory, dtype=np.float64))
        else:
            norms = xp.sqrt(_rowdot(_astype(memory, hi)))
        #: ``M`` in the internal coordinates (see :func:`frame`).
        self.max_norm = float(xp.max(norms)) if P else 0.0
        self._like = {}

    def __sizeof__(self):
        # Counts the arrays (dense and sparse), so that dask's memory
        # accounting (sizeof) sees what a copy of this object on a worker holds.
        size = object.__sizeof__(self)
        for v in vars(self).values():
            if isinstance(v, np.ndarray):
                size += v.nbytes
            elif sp.issparse(v):
                size += v.data.nbytes + v.indices.nbytes + v.indptr.nbytes
        return size

    # -- views --------------------------------------------------------------------
    @property
    def n_features(self):
        return self.aug.shape[1] - 2

    @property
    def memory(self):
        """``(P, N)``: the patterns as the dynamics see them (internal coordinates)."""
        return self.aug[:, : self.n_features]

    @property
    def offset(self):
        """``(P,)``: the per-pattern score offset."""
        return self.aug[:, self.n_features]

    @property
    def patterns(self):
        """``(P, N)``: the patterns as they were stored."""
        return self._raw

    @property
    def data_max_norm(self):
        """``M`` in the data's units: ``2**k`` times :attr:`max_norm`.

        The largest distance of a stored pattern from ``center`` (the
        patterns' mean for ``"euclidean"``, the origin otherwise).
        """
        return float(_ldexp(self.max_norm, self.exponent))

    def scale_beta(self, beta):
        """The internal inverse temperature of ``beta`` (in data units).

        Scores scale as the square of the data, so ``beta 4**k`` (as the
        data for ``"manhattan"``: ``beta 2**k``); inf or 0 where that
        leaves the float64 range.
        """
        return float(_ldexp(float(beta), self._score_power * self.exponent))

    def unscale_beta(self, beta):
        """Inverse of :meth:`scale_beta`."""
        return float(_ldexp(float(beta), -self._score_power * self.exponent))

    @property
    def _score_power(self):
        """Scores scale as the data to this power."""
        return 1 if self.similarity == "manhattan" else 2

    def score_spread(self):
        """The spread ``v`` of the stored patterns that ``beta="auto"`` divides.

        :meth:`total_variance` for the similarities of squared units; for
        ``"manhattan"`` (units of the data) twice the total mean absolute
        deviation from the (weighted) mean, about the mean L1 distance of
        two stored patterns.
        """
        if self.similarity != "manhattan":
            return self.total_variance()
        U = self.memory.astype(np.float64)
        p = None if self.weights is None else self.weights / self.weights.sum()
        dev = np.abs(U - np.average(U, axis=0, weights=p)).sum(axis=1)
        return 2.0 * float(np.average(dev, weights=p))

    def with_separation(self, separation):
        """This memory retrieving with ``separation`` (None: softmax).

        A shallow copy (no array is copied), or itself when it already does.
        """
        if separation == self.separation:
            return self
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.separation = separation
        return other

    def total_variance(self):
        """``sum_j Var(memory[:, j])``, weighted by the prior when there is one,
        in the most precise float available."""
        if _is_np(self.aug):
            if self.weights is None:
                return float(np.var(self.memory, axis=0, dtype=np.float64).sum())
            U = self.memory.astype(np.float64)
            p = self.weights / self.weights.sum()
            D = U - p @ U
            return float(p @ np.einsum("ij,ij->i", D, D))
        xp = _ns(self.aug)
        U = _astype(self.memory, _hi(self.aug))
        if self.weights is None:
            return float(xp.sum(xp.var(U, axis=0)))
        p = _astype(_move(self.weights / self.weights.sum(), U), U.dtype)
        D = U - p @ U
        return float(p @ _rowdot(D))

    def astype(self, dtype):
        """This memory in ``dtype`` (itself when already so), same frame."""
        if self.aug.dtype == dtype:
            return self
        return type(self)(
            self._raw,
            self.similarity,
            dtype=dtype,
            frame_=self._frame,
            weights=self.weights,
        )

    def like(self, Q):
        """This memory in the namespace, device and dtype of ``Q``, same frame.

        Itself when already so; otherwise built once from the stored patterns
        moved there (e.g. a memory fitted on numpy, used on torch arrays), and
        cached.
        """
        if _is_host(Q) and _is_host(self.aug):
            return self.astype(Q.dtype)
        if (
            not _is_host(Q)
            and not _is_host(self.aug)
            and _ns(Q) is _ns(self.aug)
            and _device(Q) == _device(self.aug)
        ):
            return self.astype(Q.dtype)
        if type(self) is not ModernMemory:
            raise ValueError(
                f"{type(self).__name__} computes with numpy only; got an array of "
                f"{type(Q).__module__}."
            )
        key = (_ns(Q).__name__, str(_device(Q)), str(Q.dtype))
        if key not in self._like:
            raw, center = _move(self._raw, Q), self._frame[0]
            if center is not None:
                center = _astype(_move(center, Q), _hi(raw))
            self._like[key] = ModernMemory(
                raw,
                self.similarity,
                dtype=Q.dtype,
                frame_=(center, self.exponent),
                weights=self.weights,
            )
        return self._like[key]

    def host(self):
        """This memory on the host (numpy), same dtype and frame."""
        if _is_host(self.aug):
            return self
        return self.like(_to_numpy(self.aug[:0, :0]))

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_like"] = {}
        return state

    # -- coordinates --------------------------------------------------------------
    def extent(self, Q):
        """An upper bound of ``max |internal(Q)|`` from one pass over ``Q``."""
        if math.prod(Q.shape) == 0:
            return 0.0
        if _is_host(Q):
            hi, lo = float(Q.max()), float(Q.min())
        else:
            xp = _ns(Q)
            hi, lo = float(xp.max(Q)), float(xp.min(Q))
        if self.center is None:
            a = max(hi, -lo)
        else:
            xp = _ns(self.center)
            a = max(hi - float(xp.min(self.center)), float(xp.max(self.center)) - lo)
        return float(_ldexp(a, -self.exponent))

    def internal(self, Q):
        """States in the data's coordinates to internal ones (a new array).

        Sparse cues against dense stored patterns are densified here, one
        tile at a time.
        """
        if sp.issparse(Q):
            Q = Q.toarray()
        if self.center is None:
            if self.exponent == 0:
                return Q
            V = _copy(Q)
        else:
            with np.errstate(over="ignore"):
                V = Q - _astype(self.center, Q.dtype)
        return _scale_by_pow2(V, -self.exponent)

    def external(self, V):
        """Internal states back to the data's coordinates (in place on numpy ``V``)."""
        V = _scale_by_pow2(V, self.exponent)
        if self.center is not None:
            if _is_np(V):
                V += self.center.astype(V.dtype, copy=False)
            else:
                V = V + _astype(self.center, V.dtype)
        return V

    def start(self, Q):
        """Initial internal states ``xi_0`` for cues ``Q`` in the data's coordinates.

        Unit rows for ``"cosine"``; :meth:`internal` otherwise.
        """
        if self.similarity != "cosine":
            return self.internal(Q)
        return unit_rows(Q.toarray() if sp.issparse(Q) else Q)

    # -- scores -------------------------------------------------------------------
    def _cues(self, Q, beta, shift):
        if self.similarity == "manhattan":
            return (Q, beta, shift)  # scored by _gemm from the cues themselves
        n, N = Q.shape
        b = _scalar(Q, beta)
        if not _is_np(Q):
            xp, dev = _ns(Q), _device(Q)
            last = (
                xp.zeros((n, 1), dtype=Q.dtype, device=dev)
                if shift is None
                else -(b * shift)[:, None]
            )
            col = xp.full((n, 1), b, dtype=Q.dtype, device=dev)
            return xp.concat([Q * b, col, last], axis=1)
        Qa = np.empty((n, N + 2), dtype=Q.dtype)
        np.multiply(Q, b, out=Qa[:, :N])
        Qa[:, N] = b
        Qa[:, N + 1] = 0 if shift is None else -(b * shift)
        return Qa

    def _gemm(self, Qa, rows, out):
        """``Qa @ aug[rows].T`` (all patterns when ``rows`` is None) into ``out``
        (numpy; other namespaces return a new array)."""
        if self.similarity == "manhattan":
            return self._l1_scores(Qa, rows, out)
        return _matmul(Qa, (self.aug if rows is None else self.aug[rows, ...]).T, out=out)

    def _l1_scores(self, cues, rows, out):
        """``-beta (||x^mu - q||_1 + shift)`` for the cues ``(Q, beta, shift)``
        of :meth:`_cues`: the ``"manhattan"`` scores (Millidge et al. 2022),
        by ``scipy.spatial.distance.cdist`` on the tile (float64)."""
        from scipy.spatial.distance import cdist

        Q, beta, shift = cues
        if not _is_np(Q):
            raise ValueError(
                "similarity='manhattan' computes with numpy only; got an array of "
                f"{type(Q).__module__}."
            )
        M = self.__dict__.get("_l1_memory")
        if M is None:  # cdist wants C-contiguous rows: one copy, kept
            M = self._l1_memory = np.ascontiguousarray(self.memory)
        D = cdist(Q, M if rows is None else M[rows], "cityblock")
        D *= -float(beta)
        if shift is not None:
            D -= float(beta) * shift.astype(np.float64)[:, None]
        if out is None:
            return D.astype(Q.dtype, copy=False)
        out[...] = D
        return out

    def _add_prior(self, a, rows=None):
        """``a + log w`` (in place on numpy ``a``); ``a`` itself without weights."""
        if self.log_weight is None:
            return a
        log_weight = self.log_weight if rows is None else self.log_weight[rows]
        if _is_np(a):
            a += log_weight
            return a
        return a + log_weight

    def _bound(self, Q):
        if self.similarity == "manhattan":  # the scores are <= 0
            return _ns(Q).zeros(Q.shape[0], dtype=Q.dtype, device=_device(Q))
        sq = _rowdot(Q)
        if self.similarity == "euclidean":
            return sq * _scalar(Q, 0.5)
        return _ns(Q).sqrt(sq) * _scalar(Q, self.max_norm)

    def exact_scores(self, Q, beta, out=None, prior=True):
        """``beta (z - max z)`` per row, and ``beta max z``; all entries <= 0.

        With weights (and ``prior``), ``log w`` is added to ``beta z`` first.
        """
        xp = _ns(Q)
        a = self._gemm(self._cues(Q, beta, None), None, out)
        if prior:
            a = self._add_prior(a)
        zmax = xp.max(a, axis=1)
        return _isub(a, zmax[:, None]), zmax

    def _exp_scores(self, Q, beta, out):
        """``exp(beta (z - b(q)))`` in place, fast path (may under/overflow)."""
        a = self._gemm(self._cues(Q, beta, self._bound(Q)), None, out)
        a = self._add_prior(a)
        with np.errstate(over="ignore", under="ignore"):
            a = _exp_inplace(a)
        return a

    def _failed(self, row_total):
        """Rows whose fast path cannot be trusted, from a per-row total.

        The largest weight of a row is at least ``total / P``; it must be a
        normal number with room for eps-relative contributions, and finite.
        """
        xp = _ns(row_total)
        info = _finfo(row_total)
        floor = info.smallest_normal / info.eps * self.aug.shape[0]
        with np.errstate(invalid="ignore"):
            return ~(xp.isfinite(row_total) & (row_total >= floor))

    def _exact_weights(self, Q, beta):
        a, _ = self.exact_scores(Q, beta)
        return _exp_inplace(a)

    #: Exponents are clamped to at least this before ``exp`` (float64): numpy
    #: computes ``exp`` of anything below about -707.8 (results near or
    #: below the smallest normal number) one element at a time, 25 to 30
    #: times slower than the vectorized rest, which at a large ``beta`` is
    #: most of a row.  A weight so raised is at most ``exp(-705) ~ 7e-307``,
    #: and a row whose largest weight is that small relative to ``P / eps``
    #: is shifted by its maximum instead (see :meth:`_fast_range`), so the
    #: total moves by less than eps relative.  float32 needs no clamp: its
    #: ``exp`` stays vectorized down to zero.
    _EXP_FLOOR = {np.dtype(np.float64): -705.0}

    def _fast_range(self, dtype):
        """``(lo, hi)``: where a row's largest shifted score may lie for the
        bound's shift to be kept.

        With ``m`` the largest of ``beta (z_mu - b(q))`` (plus ``log w_mu``)
        in ``[lo, hi]``, the largest weight ``exp(m)`` is a normal number
        with room for eps-relative contributions of all ``P`` patterns
        (``exp(m) >= P f / eps``, ``f`` the larger of the dtype's smallest
        normal number and ``exp`` of the clamp :attr:`_EXP_FLOOR`, so
        weights lost to underflow or raised by the clamp change the total by
        less than eps relative) and the total of the weights is finite
        (``P exp(m)`` below the dtype's largest value, with a margin of
        ``e``).
        """
        info = np.finfo(dtype)
        logP = float(np.log(max(self.aug.shape[0], 1)))
        small = max(float(np.log(info.tiny)), self._EXP_FLOOR.get(dtype, -np.inf))
        lo = logP + small - float(np.log(info.eps))
        hi = float(np.log(info.max)) - logP - 1.0
        return dtype.type(lo), dtype.type(hi)

    def _radius(self):
        """The largest norm of the stored patterns as scored (internal
        coordinates, from their origin; float64, cached).

        ``M`` itself for a centered memory, up to the rounding of the
        center; more than ``M`` for the uncentered sparse one.  For
        ``"euclidean"`` read from the offsets ``-||u^mu||^2 / 2`` (one
        pass over ``P`` numbers: cheap for a copy sent to a worker too).
        """
        r = self.__dict__.get("_radius_")
        if r is None:
            A, N = self.aug, self.n_features
            if self.similarity == "euclidean":
                col = A[:, [N]].toarray() if sp.issparse(A) else A[:, N]
                sq = -2.0 * np.asarray(col, dtype=np.float64).ravel()
            elif sp.issparse(A):
                U = A[:, :N]
                sq = np.asarray(U.multiply(U).sum(axis=1), dtype=np.float64).ravel()
            else:
                U = A[:, :N]
                sq = np.einsum("ij,ij->i", U, U, dtype=np.float64)
            r = self._radius_ = float(np.sqrt(max(sq.max(), 0.0))) if sq.size else 0.0
        return r

    def _score_floor(self, bound, beta):
        """A lower bound of every bound-shifted score ``beta (z_mu - b(q))``
        (plus ``log w_mu``) of each row, from ``b(q)`` alone (float64).

        ``-beta (||q|| + R)^2 / 2`` for ``"euclidean"`` (the scores are
        ``-beta ||x^mu - q||^2 / 2``), ``-2 beta ||q|| M`` otherwise; ``R``
        the largest pattern norm from the origin (:meth:`_radius`).
        """
        b = bound.astype(np.float64)
        if self.similarity == "manhattan":  # no bound from b(q) = 0: check
            return np.full(b.shape, -np.inf)
        with np.errstate(over="ignore", invalid="ignore"):
            if self.similarity == "euclidean":
                low = -0.5 * beta * (np.sqrt(2 * b) + self._radius()) ** 2
            else:
                low = -2.0 * beta * b
        if self.log_weight is not None:
            low += float(self.log_weight.min())
        return low

    def class_scores(self, Q, beta, onehot, out=None, total=None):
        """Per-class attention, unnormalized: ``(n, C)``, one row per cue.

        Row ``i`` is ``c_i * sum_{mu in class} exp(beta z_mu)`` for some
        positive ``c_i`` (enough for an argmax; divide by the row sum for
        probabilities).  ``onehot`` may be any ``(P, C)`` read-out matrix:
        row ``i`` is then ``c_i * exp(beta z) @ onehot`` (the regressor's
        ``[T | 1]``; ``total``, the index of its column of ones, is accepted
        for callers that name it and not needed).

        The hot path of ``predict``: one GEMM of the cues against the
        patterns, shifted by the upper bound ``b(q)`` of each row's scores,
        ``exp`` in place, one small GEMM with the ``(P, C)`` read-out.  The
        bound's shift is kept where the row's largest shifted score ``m`` is
        in :meth:`_fast_range`; where the lower bound of
        :meth:`_score_floor` does not already prove that, ``m`` is taken from
        the GEMM's result (one pass), and a row outside the range (the bound
        so loose that every weight would underflow, as at a large ``beta``,
        or rounding pushed a score far enough above it to overflow) is
        shifted by ``m`` instead, from the same GEMM: no row's scores are
        computed twice (but see the end).  When ``out`` has fewer columns
        than there are patterns, the patterns are taken in blocks of that
        many, each block's weights added into the class sums; a row whose
        running maximum leaves or enters the range moves to its new shift by
        rescaling its sums so far (by ``exp(old - new) <= 1``), so a row
        whose maximum is in range keeps the bound's shift throughout.  The
        blocks depend on ``P`` and the width of ``out`` only, and the shift
        of a row on that row alone, not on the other rows.

        With a :attr:`separation` other than softmax: its weights (rows sum
        to one) times ``onehot``, from whole rows of scores (``out`` must
        then hold all the patterns).
        """
        if self.separation is not None:
            return self._separated(Q, beta, out) @ onehot
        xp = _ns(Q)
        P = self.aug.shape[0]
        if not _is_host(Q):
            # Other namespaces (a device): the same formula without the numpy
            # kernel's tiles, clamps and in-place rescaling -- one product
            # shifted by the bound, exp, one read-out product; rows whose
            # bound's shift cannot be trusted are recomputed with the row
            # maximum subtracted.
            with np.errstate(invalid="ignore", over="ignore"):
                scores = self._exp_scores(Q, beta, None) @ onehot
                row_max = xp.max(scores, axis=1) if total is None else scores[:, total]
            bad = self._failed(row_max)
            if bool(xp.any(bad)):
                scores[bad] = self._exact_weights(Q[bad], beta) @ onehot
            return scores
        n = Q.shape[0]
        dtype = Q.dtype
        width = P if out is None else min(out.shape[1], P)
        lo, hi = self._fast_range(dtype)
        floor = self._EXP_FLOOR.get(dtype)
        bound = self._bound(Q)
        Qa = self._cues(Q, beta, bound)
        low = self._score_floor(bound, beta)
        # rows whose bound is provably tight enough (the margin of 1 covers
        # the scores' rounding many times over wherever this holds)
        check = not bool(np.all(low >= float(lo) + 1.0))
        scores = floors = None
        shift = np.zeros(n, dtype=dtype)  # 0: the bound's shift
        top = np.full(n, -np.inf, dtype=dtype)  # running row maximum
        with np.errstate(invalid="ignore", over="ignore", under="ignore"):
            for start in range(0, P, width):
                block = slice(start, min(start + width, P))
                a = self._gemm(
                    Qa,
                    None if width >= P else block,
                    None if out is None else out[:, : block.stop - start],
                )
                if self.log_weight is not None:
                    a += self.log_weight[block]
                if check:
                    np.maximum(top, a.max(axis=1), out=top)
                    new = np.where((top >= lo) & (top <= hi), dtype.type(0), top)
                    if scores is not None:
                        moved = np.flatnonzero(new != shift)
                        if moved.size:
                            scores[moved] *= np.exp(shift[moved] - new[moved])[:, None]
                    shift = new
                    if shift.any():
                        # in place on the whole block (no gathered copy):
                        # rows at shift 0 are unchanged, exactly
                        a -= shift[:, None]
                # a no-op on rows whose scores cannot reach the floor
                if floor is not None and np.any(low - shift < floor + 1.0):
                    if floors is None:
                        # broadcast along rows: numpy's maximum with a
                        # scalar is about twice as slow
                        floors = np.full(width, floor, dtype=dtype)
                    np.maximum(a, floors[: a.shape[1]], out=a)
                np.exp(a, out=a)
                if scores is None:
                    scores = a @ onehot[block]
                else:
                    scores += a @ onehot[block]
            # The shifted GEMM carries the bound's term beta ||q||^2 / 2 into
            # every score's rounding; on the exact path that is worth it only
            # while ||q|| <= 2 R (at most about twice the rounding of the
            # unshifted scores).  Cues farther out are recomputed unshifted.
            if check and self.similarity == "euclidean":
                far = np.flatnonzero(shift)
                far = far[bound[far] > 2 * self._radius() ** 2]
                if far.size:
                    scores[far] = self._exact_weights(Q[far], beta) @ onehot
        return scores

    def _separated(self, Q, beta, out=None):
        """``sep(beta z + log w)`` per row, ``(n, P)``, for a :attr:`separation`
        other than softmax: the one place it is applied (attention, class
        scores; the energy takes its conjugate).

        A sparse separation needs every score of a row at once: the scores
        are computed exactly (row maximum subtracted, :meth:`exact_scores`)
        into ``out`` and separated in place.
        """
        a, _ = self.exact_scores(Q, beta, out, prior=False)
        return self.separation(a, self.copy_weights(a))

    def copy_weights(self, A):
        """The pattern weights as given (``P``,), for a separation other than
        softmax, in ``A``'s dtype, namespace and device; None when all are 1.

        Such a separation counts a weight as copies of the pattern (see
        :class:`~skhopfield._core.separation.Separation`): the prior
        ``log w`` added to the scores is softmax's form of the same.
        """
        if self.weights is None and self.weight_scale == 1.0:
            return None
        P = self.aug.shape[0]
        w = np.full(P, self.weight_scale) if self.weights is None else (
            self.weights * self.weight_scale
        )
        if _is_host(A):
            return w.astype(A.dtype)
        return _astype(_move(w, A), A.dtype)

    def attention(self, Q, beta, out=None):
        """``softmax(beta z)`` per row, ``(n, P)``, computed in place (or the
        :attr:`separation`'s weights)."""
        if self.separation is not None:
            return self._separated(Q, beta, out)
        xp = _ns(Q)
        a = self._exp_scores(Q, beta, out)
        with np.errstate(invalid="ignore", over="ignore"):
            total = xp.sum(a, axis=1)
        bad = self._failed(total)
        if bool(xp.any(bad)):
            w = self._exact_weights(Q[bad], beta)
            a[bad] = w
            total[bad] = xp.sum(w, axis=1)
        return _idiv(a, total[:, None])

    def update(self, Q, beta, out=None):
        """One CCCP step ``xi <- memory^T softmax(beta (memory xi + offset))``."""
        return self.attention(Q, beta, out=out) @ self.memory

    def run(self, Q, beta, n_steps, tol, out=None):
        """Up to ``n_steps`` update steps from the states ``Q`` (see :func:`iterate`).

        A row stops (keeping its state) once one step moves it by at most
        ``tol * M`` in Euclidean norm, ``M`` the largest pattern norm.
        ``out``, optional, is a score buffer of at least ``len(Q)`` rows.

        Returns
        -------
        states : array of shape (n, N)
        n_iter : array of shape (n,), int
            Steps run per row.
        converged : array of shape (n,), bool
            True where the last step moved the row by at most ``tol * M``.
        """

        def step(S):
            return self.update(S, beta, out=None if out is None else out[: len(S)])

        return iterate(step, Q, n_steps, tol * self.max_norm)

    def for_retrieval(self):
        """This memory without the patterns as stored: what retrieval reads.

        A shallow copy (no array is copied) to send to other processes:
        retrieval needs the internal layout only, not :attr:`patterns`, so
        the copy cannot :meth:`astype`.
        """
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._raw = None
        return other

    def take(self, rows):
        """The stored patterns ``rows`` (a slice) as a memory of their own: a shard.

        The shard keeps this memory's frame and ``max_norm`` (which enters
        the score bound, ``tol`` and the energy of the whole memory) and
        drops the patterns as stored (the dynamics need only the internal
        ones), so it cannot :meth:`astype`.  Its rows (and their weights)
        are a copy, so that sending the shard to another process sends only
        them.
        """
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.__dict__.pop("_l1_memory", None)
        other.aug = self._take_rows(self.aug, rows)
        other._raw = None
        if self.weights is not None:
            other.weights = self.weights[rows].copy()
            other.log_weight = self.log_weight[rows].copy()
        return other

    @staticmethod
    def _take_rows(A, rows):
        return np.ascontiguousarray(A[rows]).copy()

    def energy(self, Q, beta):
        """``-lse(beta, z) + 1/2 xi^T xi + ln(P)/beta + 1/2 M^2`` per row.

        ``Q`` and ``beta`` in internal coordinates (see :meth:`data_energy`):
        :func:`lse_partials` over all the patterns, finished by
        :func:`energy_from_lse` (which says how it stays accurate at any
        ``beta``).

        With weights, ``ln(P)/beta`` is ``ln(sum w)/beta`` and ``lse`` takes
        the prior, ``log(sum_mu w_mu exp(beta z_mu)) / beta``: every mean over
        the patterns is the mean weighted by ``p = w / sum w``, so a pattern
        of weight 2 gives the energy of the pattern stored twice.

        With a :attr:`separation` of regularizer ``Omega_w`` (the weights
        counted as copies), the Hopfield-Fenchel-Young energy
        ``-Omega_w*(beta z) / beta + 1/2 xi^T xi + H / beta + 1/2 M^2``
        (``H = -min Omega_w``; see
        :mod:`skhopfield._core.separation`), of which the update step is the
        concave-convex step as well.
        """
        if self.separation is not None:
            a, top = self.exact_scores(Q, beta, prior=False)
            conj, _ = self.separation.conjugate(a, self.copy_weights(a))
            return self.separation_energy(Q, beta, top, conj)
        part = lse_partials(self, Q, beta, energy=True)
        return energy_from_lse(Q, beta, part, self.max_norm)

    def separation_energy(self, Q, beta, top, conj):
        """:meth:`energy` with a :attr:`separation` from ``top``, ``max beta
        z`` per row, and ``conj``, ``Omega_w*(beta z - top)`` (of the whole
        memory, or of its candidates: see
        :func:`~skhopfield._core.shards.merge_candidates`)."""
        w = self.copy_weights(conj)
        total = self.aug.shape[0] if w is None else float(_ns(w).sum(w))
        H = self.separation.max_entropy(total)
        E = -(top + (conj - _scalar(conj, H))) / _scalar(conj, beta)
        return E + _scalar(E, 0.5) * _rowdot(Q) + _scalar(E, 0.5 * self.max_norm**2)

    def data_energy(self, Q, beta):
        """:meth:`energy` of states ``Q`` in the data's coordinates.

        ``beta`` is internal (:meth:`scale_beta`).  The internal energy
        times ``4**k``: in the data's squared units, with ``M`` the largest
        distance of a stored pattern from the frame's center (see
        :func:`frame`); inf or 0 only where that value itself leaves the
        dtype's range.
        """
        return self.to_data_energy(self.energy(self.internal(Q), beta), Q.dtype)

    def to_data_energy(self, E, dtype):
        """Internal energies ``E`` in the data's squared units, in ``dtype``."""
        return _astype(_ldexp(E, 2 * self.exponent), dtype)


def iterate(step, Q, n_steps, limit):
    """Up to ``n_steps`` of ``states <- step(states)`` from the rows of ``Q``.

    ``step`` maps a block of states to the next ones, row by row.  A row
    stops (keeping its state) once one step moves it by at most ``limit`` in
    Euclidean norm; later steps are applied to the rows still moving only.

    Returns
    -------
    states : ndarray of shape (n, N)
    n_iter : ndarray of shape (n,), int
        Steps run per row.
    converged : ndarray of shape (n,), bool
        True where the last step moved the row by at most ``limit``.
    """
    if not _is_np(Q):
        return _iterate_xp(step, Q, n_steps, limit)
    states = np.array(Q, copy=True)
    n = states.shape[0]
    n_iter = np.zeros(n, dtype=np.intp)
    converged = np.zeros(n, dtype=bool)
    active = np.arange(n)
    for _ in range(n_steps):
        if active.size == 0:
            break
        old = states[active]
        new = step(old)
        states[active] = new
        n_iter[active] += 1
        diff = new - old
        done = np.sqrt(np.einsum("ij,ij->i", diff, diff)) <= limit
        converged[active[done]] = True
        active = active[~done]
    return states, n_iter, converged


def _iterate_xp(step, Q, n_steps, limit):
    """:func:`iterate` in another array namespace: boolean masks instead of
    index arrays (the array API has no fancy indexing), no in-place adds."""
    xp, dev = _ns(Q), _device(Q)
    states = _copy(Q)
    n = states.shape[0]
    n_iter = xp.zeros(n, dtype=xp.int64, device=dev)
    converged = xp.zeros(n, dtype=xp.bool, device=dev)
    active = xp.ones(n, dtype=xp.bool, device=dev)
    for _ in range(n_steps):
        if int(xp.sum(xp.astype(active, xp.int64))) == 0:
            break
        old = states[active]
        new = step(old)
        states[active] = new
        n_iter = n_iter + xp.astype(active, xp.int64)
        diff = new - old
        converged[active] = xp.sqrt(_rowdot(diff)) <= limit
        active = active & ~converged
    return states, n_iter, converged


class SparseModernMemory(ModernMemory):
    """:class:`ModernMemory` over ``scipy.sparse`` CSR stored patterns.

    The patterns stay sparse: the augmented array ``[memory | offset | 1]``
    is a CSR matrix, and scores are sparse products, densified one tile of
    cues at a time (the tiles of the block functions, inside the chunks of
    the batch engine, so memory stays bounded).  Cues may be CSR (the first
    step, and the one-step ``predict``) or dense (the states after an update
    step, which are convex combinations of the patterns, hence dense).

    One difference from the dense layout: no centering (``center`` is
    None for every similarity), since subtracting the mean would fill in
    every zero.  The euclidean scores are translation invariant, so the
    results are the same as the dense computation's up to rounding; the
    digits that centering protects matter only for data whose offset from
    the origin dwarfs its spread, which sparse data (counts, tf-idf) are
    not.  The power-of-two scale is kept.
    """

    #: Score-sized ``(rows, patterns)`` arrays a tile holds at once: the
    #: sparse product returns a new one, copied into the tile's buffer.
    score_rows = 2

    def __init__(self, patterns, similarity, dtype=None, frame_=None, weights=None):
        if similarity == "manhattan":
            raise ValueError(
                "similarity='manhattan' needs dense stored patterns (its scores "
                "are not products); densify X (X.toarray()) or use another "
                "similarity."
            )
        dtype = self._set_similarity_and_weights(patterns, similarity, dtype, weights)
        weights = self.weights
        X = sp.csr_matrix(patterns, dtype=dtype)
        X.sum_duplicates()
        if frame_ is None:
            k = 0
            if similarity != "cosine" and X.nnz:
                k = _exponent(float(np.abs(X.data.astype(np.float64)).max()))
            frame_ = (None, k)
        self._frame = frame_
        self.center, self.exponent = None, frame_[1]
        if similarity == "cosine":
            from sklearn.preprocessing import normalize

            memory = normalize(X.astype(np.float64)).astype(dtype)
        else:
            memory = X.astype(np.float64)
            memory.data = _ldexp(memory.data, -self.exponent)
            memory = memory.astype(dtype)
        P, N = memory.shape
        sq = np.asarray(memory.multiply(memory).sum(axis=1), dtype=np.float64).ravel()
        offset = -0.5 * sq if similarity == "euclidean" else np.zeros(P)
        self._memory = memory
        self.aug = sp.hstack(
            [memory, sp.csr_matrix(offset[:, None]), sp.csr_matrix(np.ones((P, 1)))],
            format="csr",
            dtype=dtype,
        )
        self._raw = patterns
        norms_sq = sq
        if similarity == "euclidean" and P:
            # M from the patterns' (weighted) mean, as the dense layout
            # measures it: ||u - c||^2 = ||u||^2 - 2 u.c + ||c||^2
            U = memory.astype(np.float64)
            p = np.full(P, 1.0 / P) if weights is None else weights / weights.sum()
            c = np.asarray(U.T @ p).ravel()
            norms_sq = np.maximum(sq - 2 * np.asarray(U @ c).ravel() + c @ c, 0)
        self.max_norm = float(np.sqrt(norms_sq.max())) if P else 0.0

    @property
    def memory(self):
        """``(P, N)`` CSR: the patterns as the dynamics see them."""
        if self._memory is None:  # a shard: cut from ``aug`` where it is used
            self._memory = self.aug[:, : self.n_features]
        return self._memory

    @staticmethod
    def _take_rows(A, rows):
        return A[rows].copy()

    def for_retrieval(self):
        """:meth:`ModernMemory.for_retrieval`, the patterns once (in ``aug``)."""
        other = super().for_retrieval()
        other._memory = None
        return other

    def take(self, rows):
        """:meth:`ModernMemory.take`: a CSR shard, the patterns once (in ``aug``)."""
        other = super().take(rows)
        other._memory = None
        return other

    def total_variance(self):
        U = self.memory.astype(np.float64)
        if self.weights is None:
            p = np.full(U.shape[0], 1.0 / U.shape[0])
        else:
            p = self.weights / self.weights.sum()
        mean = np.asarray(U.T @ p).ravel()
        mean_sq = np.asarray(U.multiply(U).T @ p).ravel()
        return float(np.maximum(mean_sq - mean**2, 0).sum())

    # -- coordinates: sparse cues stay sparse until a step makes them dense --------
    def internal(self, Q):
        if not sp.issparse(Q):
            return super().internal(Q)
        V = sp.csr_matrix(Q, copy=True)
        with np.errstate(over="ignore", under="ignore"):
            V.data = np.ldexp(V.data, -self.exponent)
        return V

    def start(self, Q):
        if sp.issparse(Q) and self.similarity == "cosine":
            from sklearn.preprocessing import normalize

            return normalize(Q)
        if self.similarity == "cosine":
            return unit_rows(Q)
        return self.internal(Q)

    def _bound(self, Q):
        if not sp.issparse(Q):
            return super()._bound(Q)
        sq = np.asarray(Q.multiply(Q).sum(axis=1)).ravel().astype(Q.dtype)
        if self.similarity == "euclidean":
            return sq * Q.dtype.type(0.5)
        return np.sqrt(sq) * Q.dtype.type(self.max_norm)

    def _cues(self, Q, beta, shift):
        if not sp.issparse(Q):
            return super()._cues(Q, beta, shift)
        n = Q.shape[0]
        dtype = Q.dtype
        b = dtype.type(beta)
        tail = np.empty((n, 2), dtype=dtype)
        tail[:, 0] = b
        tail[:, 1] = 0 if shift is None else -(b * shift)
        return sp.hstack([Q * b, sp.csr_matrix(tail)], format="csr", dtype=dtype)

    def _gemm(self, Qa, rows, out):
        A = self.aug if rows is None else self.aug[rows]
        if sp.issparse(Qa):
            # a tile of cues, densified (within the engine's per-row bound,
            # which counts dense rows): sparse-times-dense is several times
            # faster in scipy than sparse-times-sparse with a dense result
            Qa = Qa.toarray()
        R = np.asarray(A @ Qa.T).T
        if out is None:
            return np.ascontiguousarray(R)
        out[...] = R
        return out

    def update(self, Q, beta, out=None):
        A = self.attention(Q, beta, out=out)
        return np.asarray(self.memory.T @ A.T).T

    def run(self, Q, beta, n_steps, tol, out=None):
        if sp.issparse(Q):
            Q = Q.toarray()
        return super().run(Q, beta, n_steps, tol, out=out)

    def energy(self, Q, beta):
        if sp.issparse(Q):
            Q = Q.toarray()
        return super().energy(Q, beta)


def make_memory(patterns, similarity, weights=None):
    """:class:`SparseModernMemory` for sparse patterns, else :class:`ModernMemory`
    (sparse patterns densified for ``"manhattan"``, whose scores are not
    products)."""
    if sp.issparse(patterns) and similarity == "manhattan":
        patterns = patterns.toarray()
    cls = SparseModernMemory if sp.issparse(patterns) else ModernMemory
    return cls(patterns, similarity, weights=weights)
