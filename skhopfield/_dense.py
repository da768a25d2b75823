"""DenseAssociativeMemory: Krotov & Hopfield's dense associative memory."""

import math
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

import numpy as np

from ._base import BaseBinaryMemory
from ._core.binary import unpack_signs
from ._core.dense import INTERACTIONS, DenseModel

#: Largest ``order``: the dynamics compute every ``F`` value in units that
#: keep it at most ``2^order`` and the values that decide at least
#: ``2^-order``; the span of one decision (up to ``3^order``) must stay within
#: float64, and so must the sum of ``4 P`` such values (``order + log2 P``
#: below 1020, checked at retrieval); see :mod:`skhopfield._core.dense`.
MAX_ORDER = 1000

#: Target size of one (rows x patterns) float64 array of a retrieval chunk of
#: this memory (``skhopfield._batch.CACHE_BYTES`` is that of memories whose
#: per-neuron loop makes temporaries).  Its sweeps refresh the rows that
#: flip in place (no temporaries) and decide blocks of neurons with one
#: product, while the overlaps ``S X^T`` and the final nearest-pattern
#: product stream all the patterns once per chunk.  Chunks of about 8 MiB
#: (about 100 rows at 10,000 patterns, within the last-level cache) ran
#: 1.3-1.7x faster than 512 KiB ones (16 rows) on the case of
#: benchmarks/dense_vs_knn.py and at 200 patterns.
DENSE_CHUNK_BYTES = 2**23


class DenseAssociativeMemory(BaseBinaryMemory):
    """Dense associative memory (Krotov & Hopfield 2016; Demircigil et al. 2017).

    Stores +/-1 patterns and completes corrupted cues by descending the energy
    ``E(s) = -sum_mu F(x^mu . s)``, where ``F`` grows faster than the
    quadratic of the classical network: the sharper ``F``, the less the
    stored patterns interfere and the more of them can be recalled.

    Parameters
    ----------
    interaction : {"polynomial", "rectified_polynomial", "exponential"}, \
            default="polynomial"
        The interaction function ``F`` of the energy.

        - ``"polynomial"``: ``F(z) = z^n``, ``n = order``.  ``order=2`` is the
          classical Hebbian Hopfield network (same updates, same fixed
          points); capacity grows as ``N^(n-1)``.
        - ``"rectified_polynomial"``: ``F(z) = max(z, 0)^n``: only patterns
          with a positive overlap pull on the state.
        - ``"exponential"``: ``F(z) = exp(beta z)`` (Demircigil et al.
          2017); capacity exponential in ``N``.
    order : int, default=3
        The power ``n`` of the polynomial interactions, from 2 to 1000 (the
        dynamics compute ``F`` in per-state units of a power of two, and
        the ratio ``3^n`` that one decision can span must fit in float64);
        with ``n + log2(n_patterns)`` above 1020 retrieval refuses with a
        ``ValueError``.  Ignored by ``"exponential"``.
    beta : float, default=1.0
        Scale of the exponential interaction, ``F(z) = exp(beta z)``, in
        units of one overlap (``z`` is an integer from ``-N`` to ``N``, and
        one neuron flip moves it by 2).  ``beta=1`` is the network of
        Demircigil et al.: the pattern of largest overlap wins as soon as it
        leads the others by a couple of bits, and the capacity is
        exponential in ``N``; larger values copy the best-overlapping pattern
        outright.  Lowering ``beta`` softens the competition; from about
        ``1/sqrt(N)`` down the capacity shrinks, and at ``beta`` of order
        ``1/N`` the linear term of ``exp`` dominates: every state falls to
        the bitwise majority of all stored patterns and nothing is recalled
        (at ``N = 100``: over 16000 patterns at ``beta`` 1 and 0.1, 16 at
        0.03, none at 0.01; see ``benchmarks/README.md``).  Keep
        ``beta >= 1/sqrt(N)``; a grid over ``[1/sqrt(N), 1]`` covers the
        useful range.  Any ``beta > 0`` is computed right (see Notes): as
        ``beta -> 0`` each neuron takes the majority vote of the stored
        patterns, the limit of the exponential energy; past
        ``ln(2 P + 1) / 2`` the sign of every energy difference, and with it
        every decision, no longer depends on ``beta``.
        Must be > 0; ignored by the polynomial interactions.
    update : {"async", "sync"}, default="async"
        ``"async"``: neurons are updated one at a time in a random order each
        sweep; the energy never rises and a fixed point is always reached.
        ``"sync"``: all neurons at once; may end in a cycle -- a 2-cycle, or,
        unlike the classical network, a longer one -- which is detected,
        stopped and reported with a ``ConvergenceWarning``.
    max_iter : int, default=100
        Maximum number of sweeps (async) or steps (sync) per query.
    threshold : float, default=0.0
        Binarization of every input: ``x > threshold`` is +1, otherwise -1.
        So ``{0, 1}``, ``{-1, +1}`` and standardized real data all work:
        any finite real input is accepted (its result is exactly that of its
        +/-1 version); infinity is rejected with a ``ValueError``.  NaN is a
        missing entry: a cue with one is a partial cue (its missing neurons
        are filled in, its known ones clamped; see the user guide, "Partial
        cues").
    random_state : int, RandomState instance or None, default=None
        Seeds the neuron visiting orders of asynchronous updates.  The same
        order is used for every query, so results do not depend on
        ``n_jobs``, chunking or row order.
    n_jobs : int, default=None
        Number of joblib workers for batch retrieval; ``None`` means 1 unless
        in a ``joblib.parallel_config`` context, ``-1`` means all processors.
    verbose : int, default=0
        Progress messages on standard output; none at 0.  At 1, one line per
        fit and per batch (retrieval, energy) with its size and time.  At 2
        and more, also a line as each chunk of a batch completes (rows done,
        rate, time left), with any ``n_jobs``.

    Attributes
    ----------
    packed_patterns_ : ndarray of shape (n_patterns, ceil(n_features / 8)), \
            dtype=uint8
        The stored patterns, one bit per entry (those of positive sample
        weight): ``numpy.packbits(x > 0, axis=1)``, 1 for +1, big bit order,
        the last byte of a row padded with zero bits.  With
        ``pattern_weights_``, all the memory there is, in 1/64 of the bytes
        of float64 patterns (see the user guide, "Storage").
    patterns_ : ndarray of shape (n_patterns, n_features)
        The stored +/-1 patterns as float64, unpacked from
        ``packed_patterns_`` at every access (a read-only property: keep the
        array in a variable rather than reading it in a loop).
    pattern_labels_ : ndarray of shape (n_patterns,)
        Labels of the stored patterns; only present when fitted with ``y``.
    pattern_weights_ : ndarray of shape (n_patterns,)
        Sample weight of each stored pattern (all 1 when fitted without
        ``sample_weight``): the factor of its term of the energy.
    classes_ : ndarray of shape (n_classes,)
        The sorted labels (or the ``classes`` given to ``partial_fit``);
        fitted without labels, ``arange(n_patterns)``: each pattern is its
        own class, named by its row index.
    stable_patterns_ : ndarray of shape (n_patterns,), dtype=bool
        Which stored patterns are fixed points of the dynamics.  Fit runs
        retrieval from every stored pattern as a self-check; a falling
        fraction is the first sign of storing past capacity, and when more
        than half are not fixed points ``fit`` warns with a
        :class:`~skhopfield.exceptions.CapacityWarning`.
    n_iter_ : int
        Sweeps that self-check needed at most (1 when every stored pattern
        is a fixed point).  Per-query counts of :meth:`transform` are in
        the result of :meth:`retrieve`.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when ``X`` has string
        feature names.

    See Also
    --------
    HopfieldMemory : The classical network, ``order=2`` here.
    ModernHopfieldClassifier : Continuous modern Hopfield retrieval.

    Notes
    -----
    Update of neuron ``i``: ``s_i = sign( sum_mu F(x^mu_i + r_mu) -
    F(-x^mu_i + r_mu) )``, ``r_mu`` the overlap of pattern ``mu`` with the
    state without neuron ``i``: the sign with the lower energy.  The
    dynamics compute the energy drop of the flip as a sum of per-pattern
    changes, ``F(m - 2) - F(m)`` for the patterns that agree with ``s_i`` and
    ``F(m + 2) - F(m)`` for the others, so no large terms cancel: each
    decision follows the sign of the exact energy difference whenever that
    exceeds the round-off bound of the computation, at any order and any
    ``beta``: ``2.2e-16 ((n + 1) sum_mu (|dF_mu| + 2 |F(m_mu)|) + (P + 2) sum_mu
    |dF_mu|)`` for the polynomials (even orders: ``(n + P + 3)`` times the
    first sum), ``2.2e-16 (P + 720) sum_mu |dF_mu|`` for the exponential,
    ``dF_mu`` the change of pattern ``mu``'s term; a difference within the
    bound is a tie, and a tie keeps the current state.  Where every
    value is an integer below ``2^53`` (``2 P (N + 2)^n < 2^53``) decisions
    and ties are exact.  The overlaps ``x^mu . s`` are kept up to date as
    neurons flip, so one neuron costs ``O(P)`` per query and a sweep
    ``O(N P)``, vectorized over the batch.  With the exponential
    interaction (no sample weights) a state whose best-matching pattern
    outweighs all the others together, ``exp(beta x^mu . s)`` more than
    ``2.5 e^{2 beta}`` times their sum (the usual case near a stored
    pattern), goes to that pattern in one step: the neuron-by-neuron
    updates provably take it there, in any order, and stop, so the states,
    sweep counts and fixed points are the same, at the cost of the overlaps
    alone (see :mod:`skhopfield._core.dense`).

    Capacity.  For random patterns the polynomial energy of order ``n``
    recalls about ``N^(n-1) / (2 (2n-3)!! ln N)`` patterns without errors
    (Krotov & Hopfield 2016), e.g. ``N / (2 ln N)`` for ``n=2`` (the
    classical network) and ``N^2 / (6 ln N)`` for ``n=3``; the exponential
    energy stores a number exponential in ``N`` (Demircigil et al. 2017).
    ``benchmarks/capacity.py`` measures it.

    Learning is storing: ``fit`` keeps the patterns, ``partial_fit`` appends
    more and is exactly incremental.  A sample weight multiplies the
    pattern's term of the energy, ``E(s) = -sum_mu w_mu F(x^mu . s)`` (for
    the exponential: a prior ``w_mu`` on ``exp(beta x^mu . s)``, added in
    log space), so weight 2 acts exactly as the pattern stored twice and
    weight 0 drops it; :meth:`energy` of the exponential then takes the
    ``w``-weighted mean over patterns.  Parameters of the interaction may be
    changed with ``set_params`` after fitting.

    Numerical range.  The dynamics work in rescaled units (polynomials:
    overlaps divided by a power of two, exactly; the exponential: weights
    relative to the largest overlap), so they stay finite for any ``N`` and
    ``beta``.  :meth:`energy` returns ``-sum_mu F(x^mu . s)`` for the
    polynomials: exactly where the terms are integers below ``2^53``,
    otherwise rounded to about ``n 1e-16`` of ``sum_mu |F|`` (relative to
    the value itself except where an odd order cancels terms); where the
    value exceeds the float64 range (``n log10 N`` above about 300) it is
    ``-inf`` (or ``+inf`` for an odd order), never NaN.  For the exponential it returns
    ``-(1/beta) log( (1/P) sum_mu exp(beta x^mu . s) )``, a strictly
    increasing function of ``-sum_mu exp(beta x^mu . s)`` and finite always:
    the negative largest overlap up to ``ln(P) / beta``, tending to the
    negative mean overlap as ``beta -> 0``.

    References
    ----------
    D. Krotov, J. J. Hopfield (2016). Dense associative memory for pattern
    recognition. NeurIPS 29.

    M. Demircigil, J. Heusel, M. Loewe, S. Upgang, F. Vermet (2017). On a
    model of associative memory with huge storage capacity. J. Stat. Phys.
    168(2).

    Examples
    --------
    >>> import numpy as np
    >>> from skhopfield import DenseAssociativeMemory
    >>> from skhopfield.datasets import make_binary_patterns, flip_bits
    >>> X = make_binary_patterns(200, 100, random_state=0)  # 2N patterns
    >>> memory = DenseAssociativeMemory(order=3, random_state=0).fit(X)
    >>> cues = flip_bits(X, 0.1, random_state=1)
    >>> recalled = (memory.transform(cues) == X).all(axis=1)
    >>> bool(recalled.mean() > 0.95)
    True
    >>> memory = DenseAssociativeMemory("exponential", random_state=0).fit(X)
    >>> bool((memory.predict(cues) == np.arange(200)).all())
    True
    """

    _parameter_constraints: dict = {
        **BaseBinaryMemory._parameter_constraints,
        "interaction": [StrOptions(set(INTERACTIONS))],
        "order": [Interval(Integral, 2, MAX_ORDER, closed="both")],
        "beta": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        interaction="polynomial",
        *,
        order=3,
        beta=1.0,
        update="async",
        max_iter=100,
        threshold=0.0,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.interaction = interaction
        self.order = order
        self.beta = beta
        self.update = update
        self.max_iter = max_iter
        self.threshold = threshold
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _learn(self, S, first, weights):
        # The stored patterns (``patterns_``, kept by the base class) are the
        # whole memory: nothing else to learn.
        pass

    def _model(self):
        # Interaction parameters are read at retrieval time, so check them
        # here too: set_params after fit must not slip past validation.
        self._validate_params()
        # The +/-1 patterns unpacked to float32 (exact), for this model only.
        return DenseModel(
            unpack_signs(self.packed_patterns_, self.n_features_in_, np.float32),
            self.interaction,
            self.order,
            self.beta,
            weights=self.pattern_weights_,
        )

    def _capacity_advice(self):
        n = self.n_features_in_
        if self.interaction == "exponential":
            capacity = (
                "the exponential energy holds a number of random patterns "
                f"exponential in N = {n} neurons, but only for beta >= about "
                f"1/sqrt(N) = {1 / math.sqrt(n):.2g} (beta={self.beta:g} here), and "
                "strongly correlated patterns need a larger beta."
            )
            advice = "a larger beta (1 or more)"
        else:
            k = self.order
            # log10 of N^(k-1) / (2 (2k-3)!! ln N), kept finite at any order
            log10_cap = (
                (k - 1) * math.log10(n)
                - math.log10(2 * math.log(max(n, 2)))
                - sum(math.log10(j) for j in range(2 * k - 3, 0, -2))
            )
            cap = f"{10**log10_cap:.0f}" if log10_cap < 15 else f"1e{log10_cap:.0f}"
            capacity = (
                f"order {k} holds about N^(n-1) / (2 (2n-3)!! ln N) = {cap} random "
                f"patterns in N = {n} neurons, and correlated ones (most real "
                "data) far fewer."
            )
            advice = "a higher order, or interaction='exponential'"
        return capacity, advice

    def _max_chunk_rows(self):
        # Chunks of about DENSE_CHUNK_BYTES per (rows x patterns) array: in
        # the last-level cache for the per-neuron loop, and large enough that
        # the products with all the patterns do not stream them for a
        # handful of rows.
        return max(16, DENSE_CHUNK_BYTES // (8 * self._n_patterns()))

    def _row_bytes(self):
        # states (x4 in run_dynamics) and per-neuron gains (sync), overlaps
        # and the two per-pattern change arrays (x2 with the copies of the
        # active rows), and the temporaries of a refresh
        # (more than the nearest-pattern search after them needs)
        n_features, n_patterns = self.n_features_in_, self._n_patterns()
        return 8 * (9 * n_features + 12 * n_patterns)
