"""Dense associative memory (Krotov & Hopfield 2016; Demircigil et al. 2017).

Binary states ``s``, stored patterns ``x^mu`` (rows of ``X``), overlaps
``m_mu = x^mu . s`` and energy ``E(s) = -sum_mu F(m_mu)`` with

- ``"polynomial"``: ``F(z) = z^n``,
- ``"rectified_polynomial"``: ``F(z) = max(z, 0)^n``,
- ``"exponential"``: ``F(z) = exp(beta z)``.

Update of neuron ``i``: flip ``s_i`` exactly when that lowers the energy.
Flipping ``s_i`` moves the overlap of every pattern that *agrees* with the
state at ``i`` (``x^mu_i = s_i``) by ``-2`` and of every other pattern by
``+2``, so the energy *drop* of the flip is

    G_i = sum_{agree} A_mu + sum_{disagree} B_mu,
    A_mu = F(m_mu - 2) - F(m_mu),   B_mu = F(m_mu + 2) - F(m_mu).

``A`` and ``B`` depend on the overlaps alone, so the model caches them with
the overlaps, and deciding neuron ``i`` is two 0/1-masked sums of length
``P`` per query: products of the ``(queries x P)`` arrays with the two
columns ``[x_i > 0, x_i < 0]`` (a ``(P, 2)`` matrix).  Only rows that flip pay
``O(P)`` to refresh their cache; a sweep costs ``O(N P)`` per query.  Every
term of ``G_i`` is one pattern's own change of ``F``: nothing of the size of
``F(m + 2)`` of an agreeing pattern enters, so nothing large cancels.  (The
algebraically equal split ``G_i = c_0 + s_i (V . x_i)``, with
``c_0 = sum (A + B) / 2``, carries ``F(m + 2)`` and ``F(m - 2)`` of *every*
pattern; at high order or large ``beta`` these swamp the gain.)

Polynomials.  Each row's overlaps are divided by a power of two ``2^e``
(exact in binary floating point) with ``(max m + 2) / 2^e`` in ``[1, 2)``,
``max m`` the largest ``|m|`` (rectified: the largest positive ``m``; a
negative overlap that rectification zeroes does not set the scale).  Every
``F`` value is then at most ``2^n`` (finite for ``n <= 1000``), and the
largest overlap's own values ``F(max m)`` are at least ``2^-n``, so the terms
that decide are normal floats (a tie of patterns at overlaps ``+/-1`` spans
``3^n``, about ``2^1585`` at ``n = 1000``, inside the ``2^2045`` of float64).
Where ``2 P (max m + 2)^n < 2^53`` every value and every partial sum is an
exact integer in these units: decisions are exact, and an exact tie keeps
the state however the batch was chunked.  When that holds for every state
(``2 P (N + 2)^n < 2^53``, the low orders of moderate ``N`` and ``P``) the
model computes the same integer through the split ``c_0 + s_i (V . x_i)``
(one product per neuron instead of two; its terms cancel without
round-off).  Elsewhere a gain within the
rounding bound of what is computed,

    tol = 2 u ((n + 1) (2 sum_mu |F(m_mu)| + g) + (P + 2) g'),
    g = |G_agree| + |G_disagree|,

``u = 2^-53``, is a tie.  ``z^n`` by repeated squaring is within
``(n - 1) u`` of its value, so a difference ``F(m') - F(m)`` is within
``n u (|F(m')| + |F(m)|)``, and the selected ``|F(m')|`` add up to at most
``sum |F(m)| + g``; a sum of ``P`` terms is within ``(P - 1) u`` of the sum
of their sizes, which is ``g' = g`` for the monotone ``F`` (odd plain and
rectified orders: every ``A <= 0 <= B``) and at most
``g' = g + 2 sum F(m)`` for even plain orders, whose halves mix signs.

Exponential.  ``F(m + 2) - F(m) = e^{beta m} (e^{2 beta} - 1)`` and
``F(m - 2) - F(m) = -e^{beta m} (1 - e^{-2 beta})``: with the weights
``w_mu = exp(beta (m_mu - max m))`` in ``(0, 1]`` and their masked sums
``S_agree``, ``S_disagree``,

    G_i = e^{beta max m} (1 - e^{-2 beta}) (e^{2 beta} S_disagree - S_agree),

so the cache is the one array ``w`` and the decision compares
``e^{2 beta} S_disagree`` with ``S_agree``: no difference of large terms,
finite for every overlap.  Overlaps share the parity of ``N``, so every
weight is ``e^{-2 beta k}`` for an integer level ``k``; once
``e^{2 beta} > 2 P + 1`` the exact sign is decided by the first nonzero of
``(#disagree at level 0, #disagree at level 1 - #agree at level 0, ...)``
and no longer depends on ``beta`` beyond the gains of relative size
``P e^{-2 beta}``.  The dynamics therefore use
``min(beta, ln(2 P + 1) / 2 + 20)`` (at least ``e^-40`` below any decision
that the exact energy resolves), which keeps the levels that decide far
from underflow for any ``beta``.  A gain within
``2 u (P + 720) (e^{2 beta} S_disagree + S_agree)`` of zero (the rounding
of ``exp`` of arguments down to ``-700`` and of the sums) is a tie.  As
``beta -> 0`` the decision tends to the majority vote of the patterns
(flip when more of them disagree with ``s_i`` than agree), the correct
limit; only a balanced vote is then a tie.

Speed, with the same decisions.  Overlaps are integers: computed in float32
(exact below ``2^24``), and where the terms are a function of the overlap
alone (the exact polynomials; the exponential without sample weights,
whose weight is a function of ``max m - m``) they are looked up in a table
indexed by the integer overlap, built with the very expressions above, so
the values are bit for bit the same.  The exponential decides from one
signed product ``w . x_i`` and ``T = sum w`` (``S_agree = (T + s_i w . x_i)
/ 2``); where that cannot certify the masked decision (a gain within its
own error plus twice the masked tolerance, i.e. near-ties) the masked sums
decide (see ``DenseModel._exp_screen``).  An asynchronous sweep decides a
block of neurons with one matrix product and recomputes only the rows
that flipped inside the block (``DenseModel.async_sweep``).

Dominance (the exponential without sample weights).  Let ``mu*`` be the
pattern of the unique largest overlap ``m*`` (weight ``exp(0) = 1``
exactly) and ``R`` the sum of the other weights.  If ``e^{2 beta} R <= 1/2``
every neuron's decision is ``x*_i``: where ``s_i = x*_i``, ``S_agree >= 1``
and ``S_disagree <= R``, so ``e^{2 beta} S_disagree - S_agree <= -1/2``;
elsewhere ``S_disagree >= 1`` and ``S_agree <= R <= e^{-2 beta} / 2``, so
it is at least ``e^{2 beta} - 1/2 >= 1/2``; and ``T = 1 + R <= 3/2``.
What the code computes agrees.  Every sum of ``P`` weights, in any order
(BLAS blocks, FMA), is within ``gamma = P u / (1 - P u)`` of the sum of
their sizes, at most ``T``, so the one-product gain is within ``(e^{2
beta} + 1) (gamma + 4 u) T`` of the exact one, less than its margin
``screen T`` (``screen / (e^{2 beta} + 1) > 2 u (P + 3)``): the screen
never flips in the first case nor keeps in the second.  Where it is unsure
(large ``beta``) the masked sums decide: within ``gamma`` of their values,
the first case gives ``G <= (1 + 3 gamma) / 2 - (1 - gamma) < 0`` (a keep)
and the second ``G >= e^{2 beta} (1 - 3 gamma) - (1 + gamma) / 2``, above
``tol <= 2.02 kappa e^{2 beta}`` while ``P u < 10^-6``.  Along an
asynchronous sweep the state moves only towards ``x*``: each flip raises
``m*`` by 2 and moves every other overlap by 2 either way, so ``m* -
m_mu`` never falls, ``mu*`` stays the unique maximum and, the weight table
being non-increasing in ``m* - m`` (checked when it is built), no weight
grows: the ``R`` of the sweep's start bounds it all along, and the sweep
ends at ``x*``, which the bound shows is a fixed point.  ``R`` is bounded
at the start of each sweep from the cached sum, ``R <= T' - 1 + 2 (P + 1)
u T'`` for the computed ``T'``, and in a synchronous step (no cache) by
``(P - 1) w(m* - m_2)``, ``m_2`` the second-largest overlap (a tie at the
top makes either bound at least 1: no certificate); the test asks for
``e^{2 beta} R <= 0.4`` (room for its own rounding).  A certified row is
set to ``x*`` at once and flagged in the cache: its later sweeps change
nothing.  States, sweep counts and fixed points are those of the per-neuron
sweep, which the tests compare bit for bit; the flagged rows' cached
overlaps are left as they were (nothing reads them again).

The *field* of :mod:`skhopfield._core.binary`,
``h_i = sum_mu F(x^mu_i + r_mu) - F(-x^mu_i + r_mu)`` with ``r_mu`` the
overlap without neuron ``i``, is ``h_i = -s_i G_i``.
"""

import math

import numpy as np

from .binary import single_threaded_blas

INTERACTIONS = ("polynomial", "rectified_polynomial", "exponential")

#: Unit round-off of float64.
U = np.finfo(float).eps / 2

#: Exponential weights ``exp(a)`` with ``a`` below this are set to exactly 0
#: instead of subnormal numbers (``a < -708``), whose arithmetic is up to a
#: hundred times slower; they are far below the tie tolerance, as the largest
#: weight is 1 and every decision weighs at least 1.
EXP_FLOOR = -700.0

#: Relative rounding of one exponential weight: ``exp`` of an argument
#: ``a >= EXP_FLOOR`` that is itself rounded (``|a| u``), plus the factors.
_EXP_ROUNDING = 720

#: Margin, in e-folds, of the effective ``beta`` of the exponential
#: dynamics over ``ln(2 P + 1) / 2`` (see the module docstring).
BETA_MARGIN = 20.0

#: Most neurons an asynchronous sweep decides with one matrix product.
MAX_BLOCK = 64

#: A row whose other patterns weigh ``R`` with ``e^{2 beta} R`` at most this
#: goes to its dominant pattern at once (module docstring, "Dominance"; the
#: proof needs 1/2, the rest is room for the rounding of the test itself).
DOMINANCE = 0.4


def _ipow(z, n):
    """``z ** n`` for an int ``n >= 1`` by repeated squaring (exact for
    integers below 2**53, and commutes exactly with power-of-two scaling)."""
    result = None
    base = z
    while True:
        if n & 1:
            result = base if result is None else result * base
        n >>= 1
        if not n:
            return result
        base = base * base


def _poly(z, order, rectified):
    if rectified:
        z = np.maximum(z, 0.0)
    return _ipow(z, order)


def _largest(M, rectified):
    """Per row, the largest overlap that ``F`` sees: ``max |m|``, or for the
    rectified polynomial ``max(max m, 0)``."""
    if rectified:
        return np.maximum(M.max(axis=1), 0.0)
    return np.abs(M).max(axis=1)


def interaction_energy(M, interaction, order, beta, weights=None):
    """Energy of states with overlaps ``M`` (rows: states, columns: patterns).

    Polynomials: ``-sum_mu F(m_mu)`` computed in units of a power of two
    (``2^(n e)`` with the largest ``F`` value in ``[2^-n, 1)``) and scaled
    back: the plain float64 value (exact where it is an integer below
    ``2^53``; otherwise within about ``n`` units of round-off of
    ``sum_mu |F(m_mu)|``) wherever it is finite, and ``-inf`` (even order,
    rectified) or ``+/-inf`` (odd order) where ``|E|`` exceeds the float64
    range (about ``1.8e308``), never NaN.

    Exponential: ``-(1/beta) log( (1/P) sum_mu exp(beta m_mu) )``, a strictly
    increasing function of the exact energy ``-sum_mu exp(beta m_mu)``, finite
    for every overlap and every ``beta > 0``: it is ``-max_mu m_mu`` up to at
    most ``ln(P) / beta`` and tends to ``-mean_mu m_mu`` as ``beta -> 0``.

    ``weights`` (shape ``(P,)``, positive; default all 1) weight each
    pattern's term: ``-sum_mu w_mu F(m_mu)``, and for the exponential the
    mean over patterns becomes the ``w``-weighted mean, so a pattern of
    weight 2 counts as the pattern stored twice.
    """
    M = np.asarray(M, dtype=float)
    if M.shape[1] == 0:
        return np.zeros(M.shape[0])
    if interaction == "exponential":
        mx = M.max(axis=1, keepdims=True)
        with np.errstate(over="ignore"):  # beta * (m - max) may be -inf: exp -> 0
            t = np.expm1(beta * (M - mx))
        # mean(expm1) > -1: the largest overlap contributes expm1(0) = 0.
        if weights is None:
            mean_t = t.mean(axis=1)
        else:
            mean_t = t @ (np.asarray(weights, dtype=float) / np.sum(weights))
        return -(mx[:, 0] + np.log1p(mean_t) / beta)
    rectified = interaction == "rectified_polynomial"
    e = np.frexp(_largest(M, rectified))[1]  # the scale of the terms that count
    scaled = np.ldexp(M, -e[:, None])
    F = _poly(scaled, order, rectified)
    T = F.sum(axis=1) if weights is None else F @ np.asarray(weights, dtype=float)
    with np.errstate(over="ignore"):  # beyond float64: -inf / +inf, on purpose
        return 0.0 - np.ldexp(T, e * order)  # 0.0 - 0.0 is +0.0


def _exact_tables(n_features, order, rectified):
    """Per-pattern terms of the exact split, by overlap ``m = -N .. N``.

    ``V(m) = (F(m - 2) - F(m + 2)) / 2`` and
    ``C(m) = (F(m - 2) + F(m + 2)) / 2 - F(m)``, computed in int64:
    exact, and exact in float64, wherever the model is exact
    (``2 P (N + 2)^n < 2^53``; half-integers are exact too).  They are the
    per-pattern terms of the split in the rows' units of the masked path
    (overlaps divided by ``2^e``) times ``2^(e n)``: every sum is exact in
    both units, so the decisions are the same.
    """

    def F(z):  # int64: exact, every value below 2^53 where this is used
        return (np.maximum(z, 0) if rectified else z) ** order

    m = np.arange(-n_features, n_features + 1, dtype=np.int64)
    V = (F(m - 2) - F(m + 2)).astype(float) * 0.5
    C = (F(m - 2) + F(m + 2) - 2 * F(m)).astype(float) * 0.5
    return V, C


class DenseModel:
    """Dynamics of the dense associative memory, vectorized over a batch.

    Implements the model interface of :mod:`skhopfield._core.binary` (states
    arrive neuron-major, one row per neuron).  The cache is query-major,
    its first array the overlaps ``M = S X^T`` (queries x patterns), then:
    where every state is exact (attribute ``exact``) ``(V, c0)`` of the
    exact split, in integer units; exponential ``(w, T)``, the weights and
    their sum per row; other polynomials ``(A, B, k, c)``, the per-pattern
    changes ``A`` and ``B`` of the module docstring (in each row's units) and
    per row the factor and the constant of the tie tolerance (both 0 where
    the row is exact).

    Parameters
    ----------
    patterns : ndarray of shape (n_patterns, n_features)
        Stored +/-1 patterns, any float dtype (float32 is exact: the
        overlaps are integers below ``2^24``).
    interaction : {"polynomial", "rectified_polynomial", "exponential"}
    order : int
        ``n`` of the polynomials.
    beta : float
        Scale of the exponential.
    weights : ndarray of shape (n_patterns,) or None
        Positive weight of each pattern's term of the energy, ``E(s) =
        -sum_mu w_mu F(x^mu . s)``; None for all 1.  Every per-pattern
        change ``A``, ``B`` (exponential: every weight ``exp(beta (m -
        max m))``, in log space) is multiplied by its pattern's weight.
        Whole-number weights count as that many copies of the pattern in
        every bound (the exactness test, the tolerances, the effective
        ``beta``), so a pattern of weight 2 is decided exactly as the
        pattern stored twice; other weights are scaled to a largest of 1,
        never take the exact integer path, and count ``sum(w) / min(w)``
        copies in the bounds (an upper bound of the number of terms).
    """

    def __init__(
        self, patterns, interaction="polynomial", order=3, beta=1.0, weights=None
    ):
        if interaction not in INTERACTIONS:
            raise ValueError(f"Unknown interaction {interaction!r}.")
        patterns = np.asarray(patterns)
        self._patterns = patterns
        self._shape = patterns.shape  # (P, N)
        # The float64 copy of the sweeps (XT) is made when first needed:
        # rows that the dominance certificate settles never need it.
        # Overlaps use a float32 copy: exact, and half the work.
        self._XT = None
        self._X32 = patterns if patterns.dtype == np.float32 else None
        self.interaction = interaction
        self.order = int(order)
        self.beta = float(beta)
        n_patterns = max(self._shape[0], 1)
        self.weights, self._w, self._log_w = None, None, None
        self._integer_weights = True
        if weights is not None and not (np.asarray(weights) == 1).all():
            # energy: the weights as given; dynamics: ``_w``, scaled to a
            # largest of 1 unless whole numbers (decisions are scale free)
            w = self.weights = np.asarray(weights, dtype=float)
            self._integer_weights = bool((w == np.round(w)).all())
            if not self._integer_weights:
                w = w / w.max()
            self._w = w
            self._log_w = np.log(w / w.max())  # the exponential's prior, <= 0
            # copies of the patterns in the bounds: whole numbers as they are
            copies = w.sum() if self._integer_weights else w.sum() / w.min()
            n_patterns = max(n_patterns, float(copies))
        # E(s) = E(-s) only for even plain polynomials.
        self.symmetric = interaction == "polynomial" and self.order % 2 == 0
        if interaction == "exponential":
            # Python floats: no numpy overflow warnings for a huge beta.
            beta_eff = min(self.beta, 0.5 * math.log(2 * n_patterns + 1) + BETA_MARGIN)
            self._beta_eff = beta_eff
            self._e2b = math.exp(2.0 * beta_eff)
            self._kappa = 2 * U * (n_patterns + _EXP_ROUNDING)
            # Screening bound of the one-product decision (see _exp_flips):
            # its error plus twice the masked decision's tolerance, per unit
            # of the row's weight sum, with room to spare.
            self._screen = (
                1.01 * (self._e2b + 1.0) * (2 * U * (n_patterns + 3) + 2 * self._kappa)
            )
        else:
            # Every F value is at most 2^n and a tolerance adds up 4 P of them.
            if self.order + math.log2(n_patterns) + 3 > 1023:
                raise ValueError(
                    f"order={self.order} with {self._shape[0]} stored patterns "
                    "exceeds the float64 range of the dynamics: order + "
                    "log2(n_patterns) must stay below 1020."
                )
            # Round-off factors (see the module docstring): of the F values
            # (and each difference), and of the masked sums.
            self._kappa_f = 2 * U * (self.order + 1 + (not self._integer_weights))
            self._kappa_s = 2 * U * (n_patterns + 2)
            self._log2_2p = math.log2(2 * n_patterns)
        # Every state's values exact integers: see _exact_tables.
        n_features = self._shape[1]
        self.exact = (
            interaction != "exponential"
            and self._integer_weights
            and self.order * math.log2(n_features + 2) + self._log2_2p <= 52.0
        )
        self._tables = None  # exact: (V, C) by overlap; exponential: w by level
        self._dominance = None  # whether rows may be certified (_certifiable)
        self._pq_all = None  # (P, 2N): [masks x > 0 | masks x < 0]
        self._block = 1  # neurons per product in the sweeps (adapts; speed only)

    @property
    def XT(self):
        """The patterns transposed, float64, C-contiguous: neuron ``i``'s
        column of the patterns is the contiguous row ``XT[i]`` (the
        per-neuron products of the sweeps)."""
        if self._XT is None:
            self._XT = np.ascontiguousarray(self._patterns.T, dtype=float)
        return self._XT

    @property
    def X(self):
        """The patterns, float64 (a transposed view of :attr:`XT`)."""
        return self.XT.T

    # -- overlaps and lookup tables ----------------------------------------------------
    def _overlaps(self, S, integer=False):
        """``S X^T`` for +/-1 rows ``S``: integers of size at most ``N``, exact
        in float32 below ``2^24``, so computed there (half the work of
        float64) and returned as float64, or with ``integer`` as intp (the
        table indices of :meth:`_terms`); ``integer=None``: as computed
        (float32 or float64)."""
        if self._shape[1] >= 2**24:
            M = S @ self.XT
        else:
            if self._X32 is None:
                self._X32 = self._patterns.astype(np.float32)
            M = np.asarray(S, dtype=np.float32) @ self._X32.T
        if integer is None:
            return M
        return M.astype(np.intp if integer else float)

    def _exp_table(self):
        """The weight ``exp(beta_eff (m - max m))``, floored as in
        :meth:`_terms`, at index ``max m - m = 0 .. 2N``: bit for bit what
        ``exp`` gives (the argument is the same product of floats).  Overlaps
        share the parity of ``N``, so only even indices are ever used."""
        if self._tables is None:
            a = self._beta_eff * -np.arange(2 * self._shape[1] + 1, dtype=float)
            w = np.exp(np.maximum(a, EXP_FLOOR))
            w *= a >= EXP_FLOOR
            self._tables = w
        return self._tables

    def _certifiable(self):
        """Whether the dominance certificate applies (module docstring): the
        exponential without sample weights, ``P u < 1e-6``, and a weight
        table that does not grow with ``m* - m`` (``exp`` rounds
        monotonically in practice; should it not, no row is certified)."""
        if self._dominance is None:
            self._dominance = (
                self.interaction == "exponential"
                and self._w is None
                and self._shape[0] * U < 1e-6
                and bool((np.diff(self._exp_table()) <= 0).all())
            )
        return self._dominance

    def _dominant(self, M):
        """Rows of overlaps ``M`` (float, any shape (n, P)) that the
        dominance certificate sends to one pattern in one step, and that
        pattern: ``(rows, mu)``.  Bounds ``R`` by ``(P - 1)`` times the
        weight of the second-largest overlap."""
        n_rows, n_patterns = M.shape
        if not n_rows or not self._certifiable():
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        mu = M.argmax(axis=1)
        top = M[np.arange(n_rows), mu]
        if n_patterns == 1:
            ok = np.ones(n_rows, dtype=bool)
        else:
            M[np.arange(n_rows), mu] = -np.inf  # in place, restored below
            second = M.max(axis=1)
            M[np.arange(n_rows), mu] = top
            gap = (top - second).astype(np.intp)  # even, >= 0 (parity of N)
            ok = self._e2b * (n_patterns - 1) * self._exp_table()[gap] <= DOMINANCE
        rows = np.flatnonzero(ok)
        return rows, mu[rows]

    def _poly_tables(self):
        if self._tables is None:
            self._tables = _exact_tables(
                self._shape[1], self.order, self.interaction == "rectified_polynomial"
            )
        return self._tables

    def __sizeof__(self):
        # Counts the arrays, so that dask's memory accounting (sizeof) sees
        # what a copy of this object on a worker holds.
        arrays = {id(v): v for v in vars(self).values() if isinstance(v, np.ndarray)}
        return object.__sizeof__(self) + sum(a.nbytes for a in arrays.values())

    # -- the per-pattern changes -------------------------------------------------------
    def _terms(self, M):
        """The cache after the overlaps: terms of the gain for overlaps ``M``."""
        if self.interaction == "exponential":
            if self._log_w is None:
                idx = np.empty(M.shape, dtype=np.intp)
                np.subtract(M.max(axis=1, keepdims=True), M, out=idx, casting="unsafe")
                w = np.take(self._exp_table(), idx, mode="wrap")
            else:
                with np.errstate(over="ignore"):  # huge beta: -inf, exp(-inf) = 0
                    a = self._beta_eff * (M - M.max(axis=1, keepdims=True))
                # the prior w_mu of each term, in log space; the largest
                # weighted term is again exp(0) = 1
                a += self._log_w
                a -= a.max(axis=1, keepdims=True)
                w = np.exp(np.maximum(a, EXP_FLOOR))
                w *= a >= EXP_FLOOR
            return w, w.sum(axis=1)
        if self.exact:
            Vt, Ct = self._poly_tables()
            idx = np.empty(M.shape, dtype=np.intp)
            np.add(M, self._shape[1], out=idx, casting="unsafe")
            V = np.take(Vt, idx, mode="wrap")
            C = np.take(Ct, idx, mode="wrap")
            if self._w is None:
                return V, C.sum(axis=1)
            V *= self._w  # whole numbers here: still exact
            return V, C @ self._w
        rectified = self.interaction == "rectified_polynomial"
        mx = _largest(M, rectified)
        e = np.frexp(mx + 2.0)[1] - 1  # (mx + 2) / 2^e in [1, 2)
        scale = np.ldexp(1.0, -e)[:, None]  # exact
        F0 = _poly(M * scale, self.order, rectified)
        A = _poly((M - 2.0) * scale, self.order, rectified)
        A -= F0
        B = _poly((M + 2.0) * scale, self.order, rectified)
        B -= F0
        if self._w is None:
            base = 2.0 * np.abs(F0).sum(axis=1)
        else:
            A *= self._w
            B *= self._w
            base = 2.0 * (np.abs(F0) @ self._w)
        # Exact integers in these units: every value and partial sum < 2^53.
        inexact = self.order * np.log2(mx + 2.0) + self._log2_2p > 52.0
        if not self._integer_weights:
            inexact[:] = True
        # tol = k (|G_agree| + |G_disagree|) + c, per row (module docstring)
        k = np.where(inexact, self._kappa_f + self._kappa_s, 0.0)
        c = self._kappa_f + self._kappa_s * self.symmetric
        c = np.where(inexact, c * base, 0.0)
        return A, B, k, c

    def _gains(self, terms, masks, positive):
        """Gain ``G`` and tie tolerance of flipping, for every row and column
        of ``positive`` (whether the neuron is +1), given the terms of the rows
        and ``masks = [x > 0 | x < 0]`` of shape (P, 2 n) for ``n`` neurons."""
        n = masks.shape[1] // 2
        if self.interaction == "exponential":
            w = terms[0]
            H = w @ masks
            agree = np.where(positive, H[:, :n], H[:, n:])
            disagree = np.where(positive, H[:, n:], H[:, :n])
            disagree *= self._e2b
            return disagree - agree, self._kappa * (disagree + agree)
        A, B, k, c = terms
        HA = A @ masks
        HB = B @ masks
        ga = np.where(positive, HA[:, :n], HA[:, n:])
        gb = np.where(positive, HB[:, n:], HB[:, :n])
        tol = np.abs(ga)
        tol += np.abs(gb)
        tol *= k[:, None]
        tol += c[:, None]
        ga += gb
        return ga, tol

    def _exp_screen(self, D, T, S):
        """One-product decisions of the exponential, screened.

        ``D = w . x_i`` (a signed sum: one product per neuron instead of
        the two masked ones) and ``T = sum w`` give ``S_agree = (T + s_i D)
        / 2`` and ``S_disagree = (T - s_i D) / 2``.  Those differences can
        lose digits, so a decision is taken from them only where the gain
        clears ``screen * T``: more than the error of this computation
        (``(e^{2 beta} + 1) (P + 3) u T``) plus twice the tolerance of the
        masked sums, which bounds their error.  A gain above it is positive
        and the masked computation also finds it above its tolerance (a
        flip); one below minus it is negative (the masked computation
        keeps the state).  Returns ``(flip, unsure)``; the unsure entries
        (near-ties: none in ordinary retrieval) are for the masked
        computation to decide, as before.
        """
        sD = D * S
        G = T - sD
        G *= 0.5 * self._e2b  # e^{2 beta} S_disagree
        sD += T
        sD *= 0.5  # S_agree
        G -= sD
        margin = self._screen * T
        return G > margin, np.abs(G) <= margin

    def _masks_all(self):
        if self._pq_all is None:
            pos = self.X > 0  # (P, N)
            self._pq_all = np.hstack([pos, ~pos]).astype(float)
        return self._pq_all

    def _masks_one(self, i):
        """``[x_i > 0, x_i < 0]``, shape (P, 2), for neuron ``i``."""
        pos = self.XT[i] > 0
        return np.ascontiguousarray(np.stack([pos, ~pos], axis=1), dtype=float)

    # -- model interface (neuron-major states, see binary.py) ------------------------
    def _lookup(self):
        """Whether the terms are looked up by overlap (:meth:`_flip`)."""
        return self.exact or (self.interaction == "exponential" and self._w is None)

    def init_cache(self, ST):
        # exact sums of +/-1; integers where they index the tables
        M = self._overlaps(ST.T, integer=self._lookup())
        if self._certifiable():
            # and per row the pattern it was certified to go to, or -1
            return (M, *self._terms(M), np.full(M.shape[0], -1, dtype=np.intp))
        return (M, *self._terms(M))

    def take(self, cache, cols):
        return tuple(a[cols] for a in cache)

    def energy(self, S):
        return interaction_energy(
            self._overlaps(np.asarray(S, dtype=float)),
            self.interaction,
            self.order,
            self.beta,
            self.weights,
        )

    def sync_step(self, ST):
        new = self._sync_step(ST)
        zero = ST == 0
        if zero.any():  # partial cues: missing neurons take a sign
            cols = np.flatnonzero(zero.any(axis=0))
            H, tol = self._zero_fields(ST[:, cols].T)
            sub = new[:, cols]
            sub[zero[:, cols]] = np.where(H.T < -tol.T, -1.0, 1.0)[zero[:, cols]]
            new[:, cols] = sub
        return new

    def _sync_step(self, ST):
        S = ST.T
        if self.interaction == "exponential":
            return self._exp_sync_step(ST)
        M = self._overlaps(S, integer=self._lookup())
        if self.exact:
            V, c0 = self._terms(M)
            G = V @ self.X
            G *= S
            G += c0[:, None]
            return np.where((G > 0).T, -ST, ST)
        G, tol = self._gains(self._terms(M), self._masks_all(), S > 0)
        return np.where((G > tol).T, -ST, ST)

    def _exp_sync_step(self, ST):
        """:meth:`sync_step` of the exponential: the rows that the dominance
        certificate sends to one pattern go there, the others are decided
        neuron by neuron from one signed product (screened)."""
        M = self._overlaps(ST.T, integer=None)
        rows, mu = self._dominant(M)
        if rows.size and not ST.all():  # partial cues: a neuron at 0 is undecided
            whole = ST[:, rows].all(axis=0)
            rows, mu = rows[whole], mu[whole]
        if rows.size == 0:
            return self._exp_step(ST, M)
        out = ST.copy()
        out[:, rows] = self._patterns[mu].T
        rest = np.ones(ST.shape[1], dtype=bool)
        rest[rows] = False
        if rest.any():
            out[:, rest] = self._exp_step(ST[:, rest], M[rest])
        return out

    def _exp_step(self, ST, M):
        """New states of one synchronous step of the exponential, neuron by
        neuron, given the overlaps ``M`` of the states ``ST``."""
        S = ST.T
        w, T = self._terms(M.astype(np.intp if self._lookup() else float))
        flip, unsure = self._exp_screen(w @ self.X, T[:, None], S)
        rows = np.flatnonzero(unsure.any(axis=1))
        if rows.size:
            G, tol = self._gains((w[rows],), self._masks_all(), S[rows] > 0)
            flip[rows] = np.where(unsure[rows], G > tol, flip[rows])
        return np.where(flip.T, -ST, ST)

    def async_sweep(self, ST, cache, order, free=None):
        """One asynchronous sweep (see the module docstring of ``binary``).

        Rows that the dominance certificate (module docstring) sends to one
        pattern are set to it at once, and flagged: their later sweeps
        change nothing.  The others are swept by :meth:`_async_sweep_blocks`.
        A partial cue (a clamped neuron, or one still at 0) is never
        certified: the certificate is a statement about every neuron of a
        +/-1 state being free.
        """
        if not self._certifiable():
            return self._async_sweep_blocks(ST, cache, order, free)
        M, w, T, target = cache
        changed = np.zeros(ST.shape[1], dtype=bool)
        # R <= T - 1 + 2 (P + 1) u T (module docstring), for rows not yet sent
        bound = T - 1.0
        bound += (2 * U * (M.shape[1] + 1)) * T
        bound *= self._e2b
        eligible = (bound <= DOMINANCE) & (target < 0)
        if free is not None:
            eligible &= free.all(axis=0) & ST.all(axis=0)
        rows = np.flatnonzero(eligible)
        if rows.size:
            mu = M[rows].argmax(axis=1)
            new = self._patterns[mu].T
            changed[rows] = (ST[:, rows] != new).any(axis=0)
            ST[:, rows] = new
            target[rows] = mu
        rest = np.flatnonzero(target < 0)
        if rest.size == ST.shape[1]:
            return self._async_sweep_blocks(ST, cache[:3], order, free)
        if rest.size:
            sub, sub_cache = ST[:, rest], tuple(a[rest] for a in cache[:3])
            sub_free = None if free is None else free[:, rest]
            changed[rest] = self._async_sweep_blocks(sub, sub_cache, order, sub_free)
            ST[:, rest] = sub
            for a, b in zip(cache[:3], sub_cache):
                a[rest] = b
        return changed

    def _async_sweep_blocks(self, ST, cache, order, free=None):
        """One asynchronous sweep, neuron by neuron in blocks.

        Exact and exponential models decide a block of consecutive neurons
        of ``order`` with one matrix product ``V X_block`` (``w X_block``):
        each gain is valid for the rows that have not flipped since the
        block began, and only the rows that did are recomputed, one neuron
        at a time.  The block grows while few rows flip and shrinks while
        many do (about ``1 / sqrt(flip rate)``): the first sweep of a noisy
        cue flips a neuron in a fifth of its visits, the last one none.
        The decisions are those of one neuron at a time, in order, whatever
        the block: exact integers, or the screened exponential decision
        (:meth:`_exp_screen`) that agrees with the masked sums.
        """
        if not (self.exact or self.interaction == "exponential"):
            return self._async_sweep_masked(ST, cache, order, free)
        main, aux = cache[1:3]
        XT = self.XT
        exponential = self.interaction == "exponential"
        n_rows = ST.shape[1]
        changed = np.zeros(n_rows, dtype=bool)
        order = np.asarray(order)
        start, block = 0, self._block
        with single_threaded_blas():  # small products, one per neuron or block
            while start < len(order):
                visit = order[start : start + block]
                start += len(visit)
                Gb = main @ XT[visit].T if len(visit) > 1 else None
                dirty = np.zeros(n_rows, dtype=bool)
                n_dirty = n_flips = 0
                for j, i in enumerate(visit):
                    if free is not None:  # partial cues: missing neurons first
                        z = self._fill(ST, cache, i)
                        if z.size:
                            changed[z] = True
                            n_dirty += int((~dirty[z]).sum())
                            dirty[z] = True
                    s = ST[i]  # neuron i of every query: a contiguous row
                    if Gb is None or 2 * n_dirty > n_rows:
                        g = main @ XT[i]
                    else:
                        g = Gb[:, j]
                        if n_dirty:
                            d = np.flatnonzero(dirty)
                            g[d] = main[d] @ XT[i]
                    if exponential:
                        rows = self._exp_flips(g, aux, s, main, i)
                    else:
                        G = g * s
                        G += aux
                        rows = np.flatnonzero(G > 0)
                    if free is not None:
                        rows = rows[free[i, rows]]
                    if rows.size == 0:
                        continue
                    self._flip(ST, cache, rows, i)
                    changed[rows] = True
                    n_flips += rows.size
                    n_dirty += int((~dirty[rows]).sum())
                    dirty[rows] = True
                # ~ 1 / sqrt(flips per row and neuron), from 1 to MAX_BLOCK
                rate = n_flips / (n_rows * len(visit)) if n_rows else 0.0
                block = MAX_BLOCK if rate * MAX_BLOCK**2 <= 1 else int(rate**-0.5)
                block = max(1, min(block, 2 * len(visit)))
        self._block = block
        return changed

    def _exp_flips(self, g, T, s, w, i):
        """Rows where neuron ``i`` flips, from ``g = w . x_i``: screened, and
        the near-ties decided by the masked sums."""
        flip, unsure = self._exp_screen(g, T, s)
        if unsure.any():
            u = np.flatnonzero(unsure)
            G, tol = self._gains((w[u],), self._masks_one(i), (s[u] > 0)[:, None])
            flip[u] = G[:, 0] > tol[:, 0]
        return np.flatnonzero(flip)

    def _flip(self, ST, cache, rows, i):
        """Flip neuron ``i`` of ``rows``; bring their overlaps and terms along.

        Where the terms are looked up by overlap (the exact polynomials, the
        unweighted exponential) the overlaps are integers, and each row is
        refreshed in place, in five passes over its patterns and no
        temporaries: the refresh of the rows that flip is much of the first
        sweep of a noisy cue.
        """
        M = cache[0]
        old = ST[i, rows]
        ST[i, rows] = -old
        if not self._lookup():
            M[rows] -= old[:, None] * (2.0 * self.XT[i])
            for a, new in zip(cache[1:], self._terms(M[rows])):
                a[rows] = new
            return
        # integer overlaps (init_cache)
        x2 = np.multiply(self.XT[i], 2, out=np.empty(M.shape[1], np.intp), casting="unsafe")
        main, aux = cache[1:3]
        idx = np.empty(M.shape[1], dtype=np.intp)
        if self.exact:
            Vt, Ct = self._poly_tables()
            shift = self._shape[1]
        else:
            table = self._exp_table()
        for r, o in zip(rows.tolist(), old.tolist()):
            m, t = M[r], main[r]  # views
            if o > 0:
                m -= x2
            else:
                m += x2
            if self.exact:
                np.add(m, shift, out=idx, casting="unsafe")
                np.take(Vt, idx, out=t, mode="wrap")
                c = np.take(Ct, idx, mode="wrap")
                if self._w is None:
                    aux[r] = c.sum()
                else:
                    t *= self._w
                    aux[r] = c @ self._w
            else:
                np.subtract(m.max(), m, out=idx, casting="unsafe")
                np.take(table, idx, out=t, mode="wrap")
                aux[r] = t.sum()

    def _async_sweep_masked(self, ST, cache, order, free=None):
        """The sweep of the polynomials past exact integers: masked sums and
        tolerances, one neuron at a time."""
        terms = cache[1:]
        changed = np.zeros(ST.shape[1], dtype=bool)
        with single_threaded_blas():  # small products, one per neuron
            for i in order:
                if free is not None:  # partial cues: missing neurons first
                    changed[self._fill(ST, cache, i)] = True
                s = ST[i]
                G, tol = self._gains(terms, self._masks_one(i), (s > 0)[:, None])
                rows = np.flatnonzero(G[:, 0] > tol[:, 0])
                if free is not None:
                    rows = rows[free[i, rows]]
                if rows.size == 0:
                    continue
                self._flip(ST, cache, rows, i)
                changed[rows] = True
        return changed

    # -- partial cues: neurons at 0 (missing, not yet updated) -----------------------
    def _fill(self, ST, cache, i):
        """Set neuron ``i`` to +1 in the rows where it is 0; return those rows.

        The sweep then decides it as any +1 neuron: it goes to -1 only where
        that strictly lowers the energy, so a 0 takes the sign of the lower
        energy, +1 on a tie (:func:`~skhopfield._core.binary.settle`).  The
        overlaps of those rows and their terms are recomputed together.
        """
        rows = np.flatnonzero(ST[i] == 0)
        if rows.size:
            M = cache[0]
            M[rows] += self.XT[i].astype(M.dtype)
            ST[i, rows] = 1.0
            for a, new in zip(cache[1:], self._terms(M[rows])):
                a[rows] = new
        return rows

    def _zero_fields(self, S):
        """Fields ``h_i = sum_mu w_mu (F(m_mu + x^mu_i) - F(m_mu - x^mu_i))`` of
        neurons at 0 (``m`` the overlaps of the rows of ``S``, which do not
        count them) and their tie tolerance, per row.

        ``h_i > 0``: +1 has the lower energy.  Computed in each row's units
        (polynomials: overlaps divided by a power of two; exponential: the
        weights ``exp(beta (m - max m))``, as the sweeps), exact where the
        sweeps are (then the tolerance is 0).
        """
        M = self._overlaps(S)
        if self.interaction == "exponential":
            with np.errstate(over="ignore"):  # huge beta: -inf, exp(-inf) = 0
                a = self._beta_eff * (M - M.max(axis=1, keepdims=True))
            if self._log_w is not None:
                a += self._log_w
                a -= a.max(axis=1, keepdims=True)
            w = np.exp(np.maximum(a, EXP_FLOOR))
            w *= a >= EXP_FLOOR
            return w @ self.X, self._kappa * w.sum(axis=1)[:, None]
        rectified = self.interaction == "rectified_polynomial"
        mx = _largest(M, rectified)
        e = np.frexp(mx + 1.0)[1] - 1  # (mx + 1) / 2^e in [1, 2)
        scale = np.ldexp(1.0, -e)[:, None]
        Fp = _poly((M + 1.0) * scale, self.order, rectified)
        Fm = _poly((M - 1.0) * scale, self.order, rectified)
        size = np.abs(Fp) + np.abs(Fm)
        D = Fp - Fm
        if self._w is not None:
            D *= self._w
            size *= self._w
        exact = self._integer_weights & (
            self.order * np.log2(mx + 2.0) + self._log2_2p <= 52.0
        )
        tol = np.where(exact, 0.0, (self._kappa_f + self._kappa_s) * size.sum(axis=1))
        return D @ self.X, tol[:, None]
