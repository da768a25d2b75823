"""HopfieldMemory: the classical binary Hopfield network."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseBinaryMemory
from ._core.classical import (
    ClassicalModel,
    hebbian_weights,
    pseudoinverse_weights,
    storkey_log_scale,
    storkey_update,
    unlearn,
)
from ._validation import whole_copies
from .exceptions import CapacityWarning


class HopfieldMemory(BaseBinaryMemory):
    """Classical binary Hopfield network (Hopfield 1982).

    Stores +/-1 patterns in a symmetric coupling matrix and completes
    corrupted cues by descending the energy ``E(s) = -1/2 s^T W s``.

    Parameters
    ----------
    learning_rule : {"hebbian", "storkey", "pseudoinverse"}, default="hebbian"
        How patterns become couplings.

        - ``"hebbian"``: ``W = 1/N sum_mu x^mu x^mu^T``, zero diagonal.
          Capacity about ``0.138 N`` patterns (Amit et al. 1985); exact
          recall of every pattern up to about ``N / (4 ln N)``.  Strictly
          incremental.
        - ``"storkey"``: Storkey's (1997) incremental rule, which subtracts the
          cross-talk of the patterns already stored; capacity about
          ``N / sqrt(2 ln N)``.  Order dependent: ``partial_fit`` continues the
          sequence exactly.  Its couplings grow exponentially with the number
          of patterns, so ``weights_`` holds them divided by a positive
          factor (see ``weights_``), which changes no decision.
        - ``"pseudoinverse"``: the projection rule (Personnaz et al. 1986),
          ``W = X^+ X`` with the diagonal zeroed; every linearly independent
          set of fewer than ``N`` patterns is stable, correlated patterns
          included, though the basins shrink as ``P`` nears ``N``.  Once the
          patterns span all ``N`` dimensions (``N`` independent ones, or more)
          the projection is the identity and ``W = 0``: every state is then a
          fixed point, so the memory stores nothing, and ``fit`` warns with a
          :class:`~skhopfield.exceptions.CapacityWarning`.  Recomputed from
          all stored patterns on ``partial_fit``.
    update : {"async", "sync"}, default="async"
        ``"async"``: neurons are updated one at a time in a random order each
        sweep; the energy never rises and a fixed point is always reached.
        ``"sync"``: all neurons at once; may end in a 2-cycle, which is
        detected, stopped and reported with a ``ConvergenceWarning``.
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
    n_dreams : int, default=0
        Unlearning ("dreaming", Hopfield, Feinstein & Palmer 1983) after the
        couplings are learned: this many dreams, each started from a random
        state (drawn from ``random_state``), run asynchronously to the
        attractor ``s`` it reaches, which is then weakened,
        ``W -= dream_rate * s s^T / N`` (zero diagonal).  Spurious attractors
        are reached most often and shrink most.  ``0``: no unlearning.
    dream_rate : float, default=0.01
        ``eps`` of the unlearning step; the total unlearning strength is about
        ``n_dreams * dream_rate``.  Too much of it erases the memories too
        (see the user guide).
    dream_batch : int, default=1
        Dreams run at once on the same couplings and subtracted together:
        ``1`` is the sequential procedure of the 1983 paper; a larger batch
        agrees with it to first order in ``dream_rate * dream_batch / N`` and
        runs much faster.
    dream_sweeps : int, default=100
        Maximum asynchronous sweeps of one dream.
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
        the last byte of a row padded with zero bits.  This is what the
        memory keeps, 1/64 of the bytes of float64 patterns (see the user
        guide, "Storage").
    patterns_ : ndarray of shape (n_patterns, n_features)
        The stored +/-1 patterns as float64, unpacked from
        ``packed_patterns_`` at every access (a read-only property: keep the
        array in a variable rather than reading it in a loop).
    pattern_labels_ : ndarray of shape (n_patterns,)
        Labels of the stored patterns; only present when fitted with ``y``.
    pattern_weights_ : ndarray of shape (n_patterns,)
        Sample weight of each stored pattern (all 1 when fitted without
        ``sample_weight``); see Notes.
    classes_ : ndarray of shape (n_classes,)
        The sorted labels (or the ``classes`` given to ``partial_fit``);
        fitted without labels, ``arange(n_patterns)``: each pattern is its
        own class, named by its row index.
    weights_ : ndarray of shape (n_features, n_features)
        The symmetric coupling matrix, zero diagonal.  With the Storkey rule
        it is the literature's matrix divided by a positive factor (a power
        of two times ``(1 + 2/N)`` per stored pattern, tracked internally so
        that ``partial_fit`` continues the rule) chosen to keep its largest
        absolute entry in ``[0.5, 1)``: the rule's own couplings grow
        exponentially with the number of patterns and would leave the
        float64 range after a few thousand at small ``N``.  Fields, and so
        every update and :attr:`stable_patterns_`, keep their signs under a
        positive factor; :meth:`energy` is in the rescaled units.  The
        factor depends only on the patterns stored, not on how they were
        split between ``fit`` and ``partial_fit``: both give bitwise the
        same ``weights_`` and energies.
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
    DenseAssociativeMemory : Higher-capacity binary memory with a sharper energy.
    ModernHopfieldClassifier : Continuous modern Hopfield retrieval.

    Notes
    -----
    With ``n_dreams > 0``, ``partial_fit`` adds the new patterns to the
    couplings learned before unlearning and sleeps again, ``n_dreams`` dreams
    from those: the result is that of ``fit`` on all the patterns at once
    (the dreams of the previous sleep are not kept).

    Known failure modes are exposed, not hidden: with the Hebbian rule the
    sign-reversed pattern ("ghost") is an attractor as well, and above
    capacity spurious mixtures of three patterns appear.  :meth:`predict`
    counts a ghost as its pattern, but prefers a pattern matched directly to
    one matched through its ghost at the same distance; :meth:`transform`
    returns the state as it was retrieved.  When all learned couplings are
    zero (the pseudo-inverse rule once the patterns span all ``N``
    dimensions, or patterns whose Hebbian terms cancel) nothing can be
    retrieved and ``fit`` warns with a
    :class:`~skhopfield.exceptions.CapacityWarning`.

    Sample weights (``fit(X, y, sample_weight)``).  A weight of 0 drops the
    pattern; otherwise what a weight means depends on the rule, and always
    agrees with "weight ``k`` is the pattern stored ``k`` times":

    - ``"hebbian"``: the pattern's term of ``W`` is multiplied by its
      weight, ``W = 1/N sum_mu w_mu x^mu x^mu^T``; any positive weight.
      Weight 2 gives exactly the couplings of the pattern stored twice.
    - ``"storkey"``: whole numbers only (anything else is refused): the
      rule is a sequence of updates with no weighted form, so weight ``k``
      applies the pattern's update ``k`` times in a row, i.e. equals
      ``fit(np.repeat(X, k, axis=0))``.
    - ``"pseudoinverse"``: the projection onto the span of the patterns
      does not change when a pattern is repeated or scaled, so positive
      weights have no effect on ``W`` (storing a pattern twice does not
      either); they still count in the votes of :meth:`predict`.

    Asynchronous sweeps
    are vectorized over the queries and keep the local fields up to date as
    neurons flip, so a sweep costs about one synchronous step.

    References
    ----------
    J. J. Hopfield (1982). Neural networks and physical systems with emergent
    collective computational abilities. PNAS 79(8).

    J. J. Hopfield, D. I. Feinstein, R. G. Palmer (1983). "Unlearning" has a
    stabilizing effect in collective memories. Nature 304.

    A. Storkey (1997). Increasing the capacity of a Hopfield network without
    sacrificing functionality. ICANN.

    L. Personnaz, I. Guyon, G. Dreyfus (1986). Collective computational
    properties of neural networks: new learning mechanisms. Phys. Rev. A 34.

    Examples
    --------
    >>> import numpy as np
    >>> from skhopfield import HopfieldMemory
    >>> from skhopfield.datasets import make_binary_patterns, flip_bits
    >>> X = make_binary_patterns(5, 100, random_state=0)
    >>> memory = HopfieldMemory(random_state=0).fit(X)
    >>> cues = flip_bits(X, 0.15, random_state=1)
    >>> bool((memory.transform(cues) == X).all())
    True
    >>> memory.predict(cues)
    array([0, 1, 2, 3, 4])
    """

    _parameter_constraints: dict = {
        **BaseBinaryMemory._parameter_constraints,
        "learning_rule": [StrOptions({"hebbian", "storkey", "pseudoinverse"})],
        "n_dreams": [Interval(Integral, 0, None, closed="left")],
        "dream_rate": [Interval(Real, 0, None, closed="neither")],
        "dream_batch": [Interval(Integral, 1, None, closed="left")],
        "dream_sweeps": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        learning_rule="hebbian",
        *,
        update="async",
        max_iter=100,
        threshold=0.0,
        random_state=None,
        n_jobs=None,
        n_dreams=0,
        dream_rate=0.01,
        dream_batch=1,
        dream_sweeps=100,
        verbose=0,
    ):
        self.learning_rule = learning_rule
        self.update = update
        self.max_iter = max_iter
        self.threshold = threshold
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.n_dreams = n_dreams
        self.dream_rate = dream_rate
        self.dream_batch = dream_batch
        self.dream_sweeps = dream_sweeps
        self.verbose = verbose

    def _check_weights(self, sample_weight):
        if self.learning_rule == "storkey" and (
            sample_weight != np.round(sample_weight)
        ).any():
            raise ValueError(
                "learning_rule='storkey' takes whole-number sample weights only: "
                "a weight k stores the pattern k times in a row (the rule is "
                "sequential and has no weighted form). Round the weights, or use "
                "learning_rule='hebbian', whose terms take any weight."
            )

    def _learn(self, S, first, weights):
        # The couplings are exp(log_scale) * weights_: log_scale is 0 except
        # after Storkey learning (see storkey_update), and partial_fit keeps
        # it whichever rule it continues with.  _wake_weights are the
        # couplings as learned, before any unlearning: partial_fit goes on
        # from these (the same array as weights_ when nobody dreams).
        # The factor is kept as the integers (e, p) of storkey_update, so that
        # fit and fit + partial_fit give bitwise the same weights_.
        scale = (0, 0) if first else getattr(self, "_weights_scale", (0, 0))
        unweighted = (weights == 1).all()
        wake = None if first else self._wake_weights
        if self.learning_rule == "hebbian":
            W = hebbian_weights(S, None if unweighted else weights)
            log_scale = storkey_log_scale(scale, S.shape[1])
            wake = W if first else wake + math.exp(-log_scale) * W
        elif self.learning_rule == "storkey":
            start = np.zeros((S.shape[1],) * 2) if first else wake
            if not unweighted:
                S = np.repeat(
                    S, whole_copies(weights, S.shape[1], "learning_rule='storkey'"), axis=0
                )
            wake, scale = storkey_update(start, S, scale)
        else:
            wake, scale = pseudoinverse_weights(self.patterns_), (0, 0)
        self._weights_scale = scale
        log_scale = self._weights_log_scale = storkey_log_scale(scale, S.shape[1])
        self._wake_weights = self.weights_ = wake
        if not wake.any():
            warnings.warn(
                "All couplings learned are zero: every state is a fixed point, so "
                "the memory returns its cues unchanged and retrieves nothing"
                + (
                    f" (the {len(self.patterns_)} patterns span all "
                    f"{self.n_features_in_} dimensions, so the projection is the "
                    "identity, which has no off-diagonal part)."
                    if self.learning_rule == "pseudoinverse"
                    else "."
                ),
                CapacityWarning,
            )
        if self.n_dreams:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            self.weights_ = unlearn(
                wake,
                self.n_dreams,
                self.dream_rate,
                batch=self.dream_batch,
                max_iter=self.dream_sweeps,
                seed=seed,
                log_scale=log_scale,
            )

    def _capacity_advice(self):
        n = self.n_features_in_
        log_n = math.log(max(n, 2))
        if self.learning_rule == "hebbian":
            capacity = (
                f"the Hebbian rule holds about 0.138 N = {0.138 * n:.0f} random "
                f"patterns in N = {n} neurons, and correlated ones (most real data) "
                "far fewer."
            )
            advice = (
                "learning_rule='storkey' or 'pseudoinverse' (which subtract the "
                "patterns' cross-talk), or DenseAssociativeMemory (a dense energy: "
                "order=3 or higher, or interaction='exponential')"
            )
        elif self.learning_rule == "storkey":
            capacity = (
                f"the Storkey rule holds about N / sqrt(2 ln N) = "
                f"{n / math.sqrt(2 * log_n):.0f} random patterns in N = {n} neurons, "
                "and correlated ones fewer."
            )
            advice = (
                "learning_rule='pseudoinverse', or DenseAssociativeMemory (a dense "
                "energy: order=3 or higher, or interaction='exponential')"
            )
        else:
            capacity = (
                f"the pseudo-inverse rule holds at most N - 1 = {n - 1} linearly "
                f"independent patterns in N = {n} neurons."
            )
            advice = (
                "DenseAssociativeMemory (a dense energy: order=3 or higher, or "
                "interaction='exponential'), which is not limited to N patterns"
            )
        return capacity, advice

    def _model(self):
        return ClassicalModel(self.weights_)

    def _row_bytes(self):
        # states, fields, a copy of each for the active rows, block
        # temporaries; then the nearest-pattern search against one tile
        search = self._search_row_bytes(votes=hasattr(self, "pattern_labels_"))
        return 8 * 5 * self.n_features_in_ + search
