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
arrays they are given (float32 stays float32).
"""

import numpy as np

#: Similarities understood by :class:`ModernMemory`.
SIMILARITIES = ("dot", "euclidean", "cosine")

#: Target size of the score tile one block works on at a time (bytes).  The
#: block functions walk their rows in tiles of about this many bytes of
#: scores, reusing one buffer, so that no full-size (n, P) temporary is
#: allocated and the tile is still warm in cache for the exp and label GEMM
#: passes.  One such tile per thread.  Swept in
#: ``benchmarks/predict_vs_knn.py --tiles`` on a shared 2-core machine.
TILE_BYTES = 16 * 2**20


def unit_rows(A):
    """Rows of ``A`` scaled to unit Euclidean norm; all-zero rows stay zero.

    Rows whose sum of squares is not a normal number with room for
    eps-relative terms (entries below about ``sqrt(tiny)`` or above about
    ``sqrt(max)`` of the dtype, e.g. ``1e-200`` or ``1e200`` in float64) are
    first divided by their largest absolute entry, so any finite row is
    normalized accurately.
    """
    info = np.finfo(A.dtype)
    with np.errstate(over="ignore", under="ignore"):
        sq = np.einsum("ij,ij->i", A, A)
    ok = np.isfinite(sq) & (sq >= info.tiny / info.eps)
    out = A / np.sqrt(np.where(ok, sq, 1))[:, None].astype(A.dtype, copy=False)
    if not ok.all():
        B = A[~ok]
        r = np.abs(B).max(axis=1)
        r[r == 0] = 1
        B = B / r[:, None]
        norms = np.sqrt(np.einsum("ij,ij->i", B, B))
        norms[norms == 0] = 1
        out[~ok] = B / norms[:, None]
    return out


def _exponent(a):
    """``k`` with ``a / 2**k`` in ``[0.5, 1)`` (0 for ``a == 0``)."""
    return int(np.frexp(a)[1]) if a > 0 else 0


def _ldexp(x, k):
    """``x * 2**k`` without warnings (inf or 0 where out of range)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(x, k)


def _scale_by_pow2(A, k):
    """``A * 2**k`` in place, exact unless the result leaves the dtype's range."""
    if k == 0:
        return A
    f = _ldexp(A.dtype.type(1), k)
    info = np.finfo(A.dtype)
    if np.isfinite(f) and f >= info.tiny:
        A *= f
    else:
        with np.errstate(over="ignore", under="ignore"):
            np.ldexp(A, k, out=A)
    return A


def frame(patterns, similarity):
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
    so it cannot overflow.
    """
    if similarity == "cosine" or patterns.size == 0:
        return None, 0
    X = np.asarray(patterns, dtype=np.float64)
    k0 = _exponent(float(np.abs(X).max()))
    Xs = _ldexp(X, -k0)
    if similarity == "dot":
        return None, k0
    mean_s = Xs.mean(axis=0)
    center = _ldexp(mean_s, k0)
    # the spread around the center as the stored dtype will round it
    c = _ldexp(center.astype(patterns.dtype).astype(np.float64), -k0)
    spread = float(np.abs(Xs - c).max())
    return center, (k0 + _exponent(spread)) if spread > 0 else k0


#: Fewest cue rows a score tile of the predict path holds.  With many stored
#: patterns a tile of ``TILE_BYTES`` would hold only a few rows, and every
#: GEMM of so few rows streams (and packs) all the stored patterns from
#: memory again; below this many rows the tile is cut into blocks of
#: patterns instead (see :meth:`ModernMemory.class_scores`).
MIN_TILE_ROWS = 256


def tile_rows(n_patterns, itemsize, tile_bytes=None):
    """Rows per score tile so that one tile is about ``tile_bytes``."""
    if tile_bytes is None:
        tile_bytes = TILE_BYTES
    return max(1, int(tile_bytes) // max(1, n_patterns * itemsize))


def tile_shape(n_patterns, itemsize, tile_bytes=None):
    """``(rows, patterns)`` of a score tile of about ``tile_bytes``.

    All the patterns when that leaves at least ``MIN_TILE_ROWS`` rows;
    otherwise ``MIN_TILE_ROWS`` rows and a block of patterns.
    """
    if tile_bytes is None:
        tile_bytes = TILE_BYTES
    rows = tile_rows(n_patterns, itemsize, tile_bytes)
    if rows >= MIN_TILE_ROWS:
        return rows, n_patterns
    rows = MIN_TILE_ROWS
    return rows, min(n_patterns, max(1, int(tile_bytes) // (rows * itemsize)))


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
    are detected on the small per-row result and recomputed exactly with the
    row maximum subtracted.  Which path a row takes depends on that row
    alone, so results do not depend on chunking.

    Parameters
    ----------
    patterns : ndarray of shape (P, N)
    similarity : {"dot", "euclidean", "cosine"}
    """

    def __init__(self, patterns, similarity, dtype=None, frame_=None):
        if similarity not in SIMILARITIES:
            raise ValueError(
                f"similarity must be one of {SIMILARITIES}, got {similarity!r}"
            )
        self.similarity = similarity
        dtype = np.dtype(patterns.dtype if dtype is None else dtype)
        center, k = frame(patterns, similarity) if frame_ is None else frame_
        self._frame = (center, k)
        self.exponent = k
        self.center = None if center is None else center.astype(dtype)
        P, N = patterns.shape
        if similarity == "cosine":
            memory = unit_rows(patterns.astype(dtype, copy=False))
        elif self.center is None:
            memory = _ldexp(patterns.astype(np.float64, copy=False), -k).astype(dtype)
        else:
            X = patterns.astype(np.float64, copy=False)
            c = self.center.astype(np.float64)
            memory = (_ldexp(X, -k) - _ldexp(c, -k)).astype(dtype)
        aug = np.empty((P, N + 2), dtype=dtype)
        aug[:, :N] = memory
        if similarity == "euclidean":
            aug[:, N] = -0.5 * np.einsum("ij,ij->i", memory, memory)
        else:
            aug[:, N] = 0
        aug[:, N + 1] = 1
        self.aug = aug
        self._raw = patterns
        if center is not None and P:
            # from the float64 mean, not from its rounding to dtype (that
            # would shift the energy by M |c - round(c)| on data far away)
            X = patterns.astype(np.float64, copy=False)
            d = _ldexp(X, -k) - _ldexp(center, -k)
            norms = np.sqrt(np.einsum("ij,ij->i", d, d))
        else:
            norms = np.sqrt(np.einsum("ij,ij->i", memory, memory, dtype=np.float64))
        #: ``M`` in the internal coordinates (see :func:`frame`).
        self.max_norm = float(norms.max()) if P else 0.0

    def __sizeof__(self):
        # Counts the arrays, so that dask's memory accounting (sizeof) sees
        # what a copy of this object on a worker holds.
        arrays = [v for v in vars(self).values() if isinstance(v, np.ndarray)]
        return object.__sizeof__(self) + sum(a.nbytes for a in arrays)

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

        Scores scale as the square of the data, so ``beta 4**k``; inf or 0
        where that leaves the float64 range.
        """
        return float(_ldexp(float(beta), 2 * self.exponent))

    def unscale_beta(self, beta):
        """Inverse of :meth:`scale_beta`."""
        return float(_ldexp(float(beta), -2 * self.exponent))

    def astype(self, dtype):
        """This memory in ``dtype`` (itself when already so), same frame."""
        if self.aug.dtype == dtype:
            return self
        return ModernMemory(self._raw, self.similarity, dtype=dtype, frame_=self._frame)

    # -- coordinates --------------------------------------------------------------
    def extent(self, Q):
        """An upper bound of ``max |internal(Q)|`` from one pass over ``Q``."""
        if Q.size == 0:
            return 0.0
        hi, lo = float(Q.max()), float(Q.min())
        if self.center is None:
            a = max(hi, -lo)
        else:
            a = max(hi - float(self.center.min()), float(self.center.max()) - lo)
        return float(_ldexp(a, -self.exponent))

    def internal(self, Q):
        """States in the data's coordinates to internal ones (a new array)."""
        if self.center is None:
            if self.exponent == 0:
                return Q
            V = np.array(Q, copy=True)
        else:
            with np.errstate(over="ignore"):
                V = np.subtract(Q, self.center.astype(Q.dtype, copy=False))
        return _scale_by_pow2(V, -self.exponent)

    def external(self, V):
        """Internal states back to the data's coordinates (in place on ``V``)."""
        V = _scale_by_pow2(V, self.exponent)
        if self.center is not None:
            V += self.center.astype(V.dtype, copy=False)
        return V

    def start(self, Q):
        """Initial internal states ``xi_0`` for cues ``Q`` in the data's coordinates.

        Unit rows for ``"cosine"``; :meth:`internal` otherwise.
        """
        return unit_rows(Q) if self.similarity == "cosine" else self.internal(Q)

    # -- scores -------------------------------------------------------------------
    def _cues(self, Q, beta, shift):
        n, N = Q.shape
        dtype = Q.dtype
        b = dtype.type(beta)
        Qa = np.empty((n, N + 2), dtype=dtype)
        np.multiply(Q, b, out=Qa[:, :N])
        Qa[:, N] = b
        Qa[:, N + 1] = 0 if shift is None else -(b * shift)
        return Qa

    def _bound(self, Q):
        sq = np.einsum("ij,ij->i", Q, Q)
        if self.similarity == "euclidean":
            return sq * Q.dtype.type(0.5)
        return np.sqrt(sq) * Q.dtype.type(self.max_norm)

    def exact_scores(self, Q, beta, out=None):
        """``beta (z - max z)`` per row, and ``beta max z``; all entries <= 0."""
        a = np.matmul(self._cues(Q, beta, None), self.aug.T, out=out)
        zmax = a.max(axis=1)
        a -= zmax[:, None]
        return a, zmax

    def _exp_scores(self, Q, beta, out):
        """``exp(beta (z - b(q)))`` in place, fast path (may under/overflow)."""
        a = np.matmul(self._cues(Q, beta, self._bound(Q)), self.aug.T, out=out)
        with np.errstate(over="ignore", under="ignore"):
            np.exp(a, out=a)
        return a

    def _failed(self, row_total):
        """Rows whose fast path cannot be trusted, from a per-row total.

        The largest weight of a row is at least ``total / P``; it must be a
        normal number with room for eps-relative contributions, and finite.
        """
        info = np.finfo(row_total.dtype)
        floor = info.tiny / info.eps * self.aug.shape[0]
        with np.errstate(invalid="ignore"):
            return ~(np.isfinite(row_total) & (row_total >= floor))

    def _exact_weights(self, Q, beta):
        a, _ = self.exact_scores(Q, beta)
        np.exp(a, out=a)
        return a

    def class_scores(self, Q, beta, onehot, out=None, total=None):
        """Per-class attention, unnormalized: ``(n, C)``, one row per cue.

        Row ``i`` is ``c_i * sum_{mu in class} exp(beta z_mu)`` for some
        positive ``c_i`` (enough for an argmax; divide by the row sum for
        probabilities).  ``onehot`` may be any ``(P, C)`` read-out matrix:
        row ``i`` is then ``c_i * exp(beta z) @ onehot``; ``total`` names a
        column of ones in it (the regressor's ``[T | 1]``), whose entry is
        the weights' sum, checked instead of the row maximum to decide
        whether the fast path can be trusted.  The hot path of ``predict``: one GEMM, ``exp`` in
        place, one small GEMM with the ``(P, C)`` one-hot labels.  When
        ``out`` has fewer columns than there are patterns, the patterns are
        taken in blocks of that many, each block's ``exp`` weights added
        into the class sums (the shift by the bound ``b(q)`` is the same for
        every block, so no block needs another's maximum); the blocks depend
        on ``P`` and the width of ``out`` only, not on the rows.
        """
        P = self.aug.shape[0]
        width = P if out is None else out.shape[1]
        with np.errstate(invalid="ignore", over="ignore"):
            if width >= P:
                scores = self._exp_scores(Q, beta, out) @ onehot
            else:
                Qa = self._cues(Q, beta, self._bound(Q))
                scores = np.zeros((Q.shape[0], onehot.shape[1]), dtype=Q.dtype)
                for start in range(0, P, width):
                    block = slice(start, min(start + width, P))
                    a = np.matmul(Qa, self.aug[block].T, out=out[:, : block.stop - start])
                    with np.errstate(under="ignore"):
                        np.exp(a, out=a)
                    scores += a @ onehot[block]
            row_max = scores.max(axis=1) if total is None else scores[:, total]
        bad = self._failed(row_max)
        if bad.any():
            scores[bad] = self._exact_weights(Q[bad], beta) @ onehot
        return scores

    def attention(self, Q, beta, out=None):
        """``softmax(beta z)`` per row, ``(n, P)``, computed in place."""
        a = self._exp_scores(Q, beta, out)
        with np.errstate(invalid="ignore", over="ignore"):
            total = a.sum(axis=1)
        bad = self._failed(total)
        if bad.any():
            w = self._exact_weights(Q[bad], beta)
            a[bad] = w
            total[bad] = w.sum(axis=1)
        a /= total[:, None]
        return a

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
        states : ndarray of shape (n, N)
        n_iter : ndarray of shape (n,), int
            Steps run per row.
        converged : ndarray of shape (n,), bool
            True where the last step moved the row by at most ``tol * M``.
        """

        def step(S):
            return self.update(S, beta, out=None if out is None else out[: len(S)])

        return iterate(step, Q, n_steps, tol * self.max_norm)

    def take(self, rows):
        """The stored patterns ``rows`` (a slice) as a memory of their own: a shard.

        The shard keeps this memory's frame and ``max_norm`` (which enters
        the score bound, ``tol`` and the energy of the whole memory) and
        drops the patterns as stored (the dynamics need only the internal
        ones), so it cannot :meth:`astype`.  Its rows are a copy, so that
        sending the shard to another process sends only them.
        """
        other = object.__new__(ModernMemory)
        other.__dict__.update(self.__dict__)
        other.aug = np.ascontiguousarray(self.aug[rows]).copy()
        other._raw = None
        return other

    def energy(self, Q, beta):
        """``-lse(beta, z) + 1/2 xi^T xi + ln(P)/beta + 1/2 M^2`` per row.

        ``Q`` and ``beta`` in internal coordinates (see :meth:`data_energy`):
        :func:`lse_partials` over all the patterns, finished by
        :func:`energy_from_lse` (which says how it stays accurate at any
        ``beta``).
        """
        part = lse_partials(self, Q, beta, energy=True)
        return energy_from_lse(Q, beta, part, self.aug.shape[0], self.max_norm)

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
        return _ldexp(E, 2 * self.exponent).astype(dtype, copy=False)


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


# -- log-sum-exp over blocks of patterns (sharded memories) --------------------------
#
# The softmax over all P patterns, ``exp(beta z_mu) / sum_nu exp(beta z_nu)``,
# splits over any partition of the patterns into blocks k.  Block k reports,
# per row, ``m_k = max_{mu in k} z_mu``, ``s_k = sum_{mu in k} exp(beta (z_mu
# - m_k))`` and ``W_k = sum_{mu in k} exp(beta (z_mu - m_k)) v_mu`` for
# per-pattern values ``v`` (one-hot labels, or the patterns themselves for the
# next state).  With ``m = max_k m_k`` and ``f_k = exp(beta (m_k - m))``,
# ``s = sum_k f_k s_k`` and ``W = sum_k f_k W_k`` are the unsplit sums shifted by
# the global maximum: ``beta m + log s`` is ``beta lse(beta, z)`` and ``W / s``
# the attention-weighted mean of ``v``.  Every ``f_k`` is at most 1 and the
# block holding the maximum has ``s_k >= 1``, so nothing overflows at any
# beta.  This is the merge of a numerically safe softmax computed block by
# block (Milakov & Gimelshein 2018, "Online normalizer calculation for
# softmax", arXiv:1805.02867).  The energy's extra sums (of ``expm1``, of
# ``w = z - m`` and its square, and the minimum of ``w``) shift the same way.


def lse_partials(memory, Q, beta, values=None, energy=False):
    """One block of stored patterns' share of the softmax, per row of ``Q``.

    Parameters
    ----------
    memory : ModernMemory
        The block: a whole memory, or a shard from :meth:`ModernMemory.take`.
    Q : ndarray of shape (n, N)
        States (internal coordinates).
    beta : float
        Internal inverse temperature.
    values : ndarray of shape (P_k, C), optional
        Per-pattern values to weight by the attention.
    energy : bool
        Also the sums :func:`energy_from_lse` needs.

    Returns
    -------
    part : dict of ndarray of shape (n,) or (n, C)
        ``m`` ``max_mu z_mu``; ``s`` ``sum_mu exp(beta w_mu)`` with ``w = z -
        m <= 0`` (at least 1); with ``values``, ``W`` ``sum_mu exp(beta
        w_mu) values_mu``; with ``energy``, ``e`` ``sum_mu expm1(beta
        w_mu)``, ``w1`` ``sum_mu w_mu``, ``w2`` ``sum_mu w_mu^2`` and
        ``wmin`` ``min_mu w_mu``.
    """
    w, m = memory.exact_scores(Q, 1.0)  # w = z - m <= 0
    part = {"m": m}
    if energy:
        part["w1"] = w.sum(axis=1)
        part["w2"] = np.einsum("ij,ij->i", w, w)
        part["wmin"] = w.min(axis=1)
    with np.errstate(over="ignore", under="ignore"):
        w *= Q.dtype.type(beta)  # bounded by the magnitude check of the caller
        if energy:
            part["e"] = np.expm1(w).sum(axis=1)
        np.exp(w, out=w)
    part["s"] = w.sum(axis=1)
    if values is not None:
        part["W"] = w @ values
    return part


def merge_lse(parts, counts, beta):
    """Merge the :func:`lse_partials` of blocks that partition the patterns.

    Parameters
    ----------
    parts : list of dict
        The partials of every block, for the same rows and with the same
        keys.
    counts : list of int
        Patterns in each block.
    beta : float
        The inverse temperature of the partials.

    Returns
    -------
    part : dict
        What :func:`lse_partials` returns over all the blocks at once, up to
        rounding.  With ``d = m_k - m <= 0``: ``expm1(beta (w + d)) =
        exp(beta d) expm1(beta w) + expm1(beta d)``, ``w + d`` summed and
        squared termwise, and ``min (w + d) = wmin + d``.
    """
    m = parts[0]["m"].copy()
    for part in parts[1:]:
        np.maximum(m, part["m"], out=m)
    b = m.dtype.type(beta)
    out = {"m": m}
    for key, value in parts[0].items():
        if key == "wmin":
            out[key] = np.full_like(value, np.inf)
        elif key != "m":
            out[key] = np.zeros_like(value)
    for part, n in zip(parts, counts):
        d = part["m"] - m
        n = m.dtype.type(n)
        with np.errstate(over="ignore", under="ignore"):
            bd = d * b
            f = np.exp(bd)
        out["s"] += f * part["s"]
        if "W" in part:
            out["W"] += f[:, None] * part["W"]
        if "e" in part:
            out["e"] += f * part["e"] + n * np.expm1(bd)
            out["w2"] += part["w2"] + 2 * d * part["w1"] + n * d * d
            out["w1"] += part["w1"] + n * d
            np.minimum(out["wmin"], part["wmin"] + d, out=out["wmin"])
    return out


def energy_from_lse(Q, beta, part, n_patterns, max_norm):
    """The energy of the states ``Q`` from the partials of all the patterns.

    ``part`` from :func:`lse_partials` with ``energy=True`` (or
    :func:`merge_lse` of such), over all ``n_patterns`` patterns; ``Q``,
    ``beta`` and ``max_norm`` in internal coordinates.  The energy
    ``-lse(beta, z) + 1/2 xi^T xi + ln(P)/beta + 1/2 M^2`` is written ``-m -
    log(mean_mu exp(beta w_mu)) / beta + 1/2 xi^T xi + 1/2 M^2`` with ``w =
    z - m <= 0``, so that the large terms ``ln(P)/beta`` cancel
    analytically.  Where ``beta max|w|`` is at most ``sqrt(eps)`` the middle
    term is its series ``mean(w) + beta var(w) / 2`` (truncation below ``eps
    max|w|``), which never divides by ``beta``: accurate down to ``beta =
    0``, including a ``beta`` below the range of the dtype (e.g. ``1e-50``
    in float32).  Elsewhere, where the mean is close to 1, it is taken as
    ``log1p(mean(expm1(beta w)))`` to keep the digits that ``/ beta``
    magnifies.
    """
    dtype = Q.dtype
    P = dtype.type(n_patterns)
    half_sq = dtype.type(0.5) * np.einsum("ij,ij->i", Q, Q)
    mean_w = part["w1"] / P
    var_w = np.maximum(part["w2"] / P - mean_w**2, 0)
    b = dtype.type(beta)
    span = -part["wmin"].astype(np.float64)  # max |w| per row
    series = span * float(beta) <= np.sqrt(np.finfo(dtype).eps)
    mean_expm1 = part["e"] / P  # in [-1, 0]
    log_mean_small = np.log1p(np.maximum(mean_expm1, dtype.type(-0.5)))
    log_mean_large = np.log(part["s"]) - dtype.type(np.log(n_patterns))
    log_mean = np.where(mean_expm1 > -0.5, log_mean_small, log_mean_large)
    with np.errstate(divide="ignore", invalid="ignore"):
        middle = np.where(series, mean_w + (b * dtype.type(0.5)) * var_w, log_mean / b)
    out = -part["m"] - middle + half_sq
    return (out + dtype.type(0.5 * max_norm**2)).astype(dtype, copy=False)
