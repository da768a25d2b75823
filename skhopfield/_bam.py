"""BidirectionalAssociativeMemory: Kosko's hetero-associative binary memory."""

import hashlib
import math
import time
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
)

from ._base import UNSTABLE_SHARE_WARNING, BinaryRetrievalMixin
from ._batch import report
from ._core.bam import (
    BAMModel,
    bam_energy,
    bam_marginal_energy,
    correlation_weights,
    pseudoinverse_weights,
)
from ._core.binary import (
    binarize,
    fill_majority,
    nearest_pattern,
    pack_signs,
    run_dynamics,
    search_row_bytes,
    unpack_signs,
)
from ._validation import (
    N_JOBS_CONSTRAINT,
    VERBOSE_CONSTRAINT,
    check_label_types,
    check_pattern_labels,
    check_same_label_kind,
    drop_zero_weights,
    restore_on_error,
    validate_data,
)
from .exceptions import CapacityWarning


def _recall_block(
    S, *, model, max_iter, threshold, given, read, codes, tile_rows, joint=None
):
    """Recall from one block of cues: the unit of work of the batch engine.

    ``S`` holds the given layer (``given`` is ``"x"`` or ``"y"``): binarized
    at ``threshold`` when not None.  The first half-step sets the other layer
    (see :meth:`BAMModel.recall_other`); the driver then alternates.  ``read``
    says what comes back beside the convergence flags, so that a read-out
    of one layer (or of a label) does not carry both layers through the
    engine: ``"all"`` (states of both layers, iterations, nearest stored
    pair), ``"x"``, ``"y"`` or ``"code"`` (index of the nearest row of
    ``codes`` to the recalled ``y``).  ``joint`` (the stored pairs: the
    packed ``x`` and ``y`` patterns and their widths) and ``codes`` (packed)
    are bit-packed, searched ``tile_rows`` patterns at a time.
    """
    if threshold is not None:
        S = binarize(S, threshold)
    rest = model.recall_other(S, given)
    start = np.hstack([S, rest] if given == "x" else [rest, S])
    # A partial cue (zeros: missing entries) clamps its known entries.
    free = None
    missing = S == 0
    if missing.any():
        known = np.where(missing.any(axis=1)[:, None], missing, True)
        other = np.ones(rest.shape, dtype=bool)
        free = np.hstack([known, other] if given == "x" else [other, known])
    states, n_iter, converged, _ = run_dynamics(
        model, start, update="sync", max_iter=max_iter, free=free
    )
    n_x = model.n_x
    if read == "x":
        return states[:, :n_x], converged
    if read == "y":
        return states[:, n_x:], converged
    if read == "code":
        nearest = nearest_pattern(
            states[:, n_x:], codes, ghosts=True, tile_rows=tile_rows
        )
        return nearest, converged
    packed, widths = joint
    nearest = nearest_pattern(
        states, packed, widths=widths, ghosts=True, tile_rows=tile_rows
    )
    return states, n_iter, converged, nearest


def _label_key(label):
    """Bytes naming a label: equal labels (``3`` and ``3.0``) give equal keys."""
    if isinstance(label, str):
        return b"s" + label.encode("utf-8", "surrogatepass")
    if isinstance(label, bytes):
        return b"b" + label
    value = float(label)
    if value == label:
        return b"f" + value.hex().encode()
    return b"i" + str(int(label)).encode()  # an int beyond float64's digits


def _random_code(seed, label, length):
    """The +/-1 code of ``label``, from the fit's seed and the label alone.

    Not from the order in which labels appear, nor from the other labels:
    shuffled rows, repeated rows and sample weights give the same codes.
    """
    digest = hashlib.sha256(_label_key(label)).digest()
    words = np.frombuffer(digest[:16], dtype="<u4").tolist()
    draws = np.random.default_rng([seed, *words]).random(length)
    return np.where(draws < 0.5, -1.0, 1.0)


def _energy_block(X, *, weights, threshold):
    return bam_marginal_energy(binarize(X, threshold), weights)


def _stable_block(S, *, model):
    """Which stored pairs (rows of ``[X, Y]``) are fixed points."""
    ST = np.ascontiguousarray(S.T)
    return (model.sync_step(ST) == ST).all(axis=0)


class BidirectionalAssociativeMemory(
    BinaryRetrievalMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Bidirectional associative memory (Kosko 1988): pairs recalled both ways.

    Stores pairs of +/-1 patterns ``(x^mu, y^mu)``, ``x`` of N units and ``y``
    of M units, in one ``N x M`` coupling matrix ``W``.  A cue on either side
    recalls the other by alternating ``y <- sign(W^T x)`` and ``x <- sign(W
    y)`` until neither layer changes; each half-step lowers the energy
    ``E(x, y) = -x^T W y`` or leaves it, so the iteration always settles.
    The hetero-associative member of the binary family: "name <-> face".

    Parameters
    ----------
    learning_rule : {"correlation", "pseudoinverse"}, default="correlation"
        How pairs become couplings.

        - ``"correlation"``: Kosko's rule ``W = sum_mu x^mu (y^mu)^T``.
          Orthogonal pattern sets are recalled exactly up to ``min(N, M)``
          pairs; random ones far fewer (cross-talk, as in the Hopfield
          network).  Strictly incremental.
        - ``"pseudoinverse"``: the minimum-norm ``W`` that maps the
          (unit-normalized) ``x^mu`` to ``y^mu`` and the ``y^mu`` back to
          ``x^mu`` with least squared error; it is the pseudo-inverse map
          ``X^+ Y`` whenever both directions agree (same normalized overlaps
          on both sides) and keeps every pair of such a linearly independent
          set.  For other sets no single matrix maps every pair exactly both
          ways; the least-squares compromise still keeps correlated pairs
          that the correlation rule loses.  Recomputed from all stored
          pairs on ``partial_fit``.
    code_length : int, default=64
        Used only when ``fit`` is given 1-D labels instead of ``y``-layer
        patterns: each distinct label gets a random +/-1 code of this many
        units (the ``y`` layer), drawn from ``random_state`` and the label
        itself (not from the order of the rows or the other labels);
        :meth:`predict` decodes the recalled ``y`` to the label of the
        nearest code.  Longer codes are more nearly orthogonal, hence fewer
        confusions (two random codes overlap by about ``sqrt(code_length)``).
    max_iter : int, default=100
        Maximum number of alternations (both half-steps) per query.
    threshold : float, default=0.0
        Binarization of every input, ``x`` and ``y`` patterns alike: ``v >
        threshold`` is +1, otherwise -1.  Infinity is rejected.  NaN in a
        cue (either layer) is a missing unit: it starts at 0 and is filled
        in, while the cue's known units stay clamped (see the user guide,
        "Partial cues"); NaN in an ``x`` pattern at fit takes the column's
        majority sign, and ``y`` patterns at fit must be complete.
    random_state : int, RandomState instance or None, default=None
        Seeds the label codes.  The dynamics themselves are deterministic.
    n_jobs : int, default=None
        Number of joblib workers for batch retrieval; ``None`` means 1 unless
        in a ``joblib.parallel_config`` context, ``-1`` means all processors.
    verbose : int, default=0
        Progress messages on standard output; none at 0.  At 1, one line per
        fit and per batch (prediction, recall in either direction, energy)
        with its size and time.  At 2 and more, also a line as each chunk of
        a batch completes (rows done, rate, time left), with any ``n_jobs``.

    Attributes
    ----------
    packed_patterns_ : ndarray of shape (n_pairs, ceil(n_features / 8)), \
            dtype=uint8
        The stored ``x`` patterns, one bit per entry:
        ``numpy.packbits(x > 0, axis=1)`` (1 for +1, big bit order, the
        last byte of a row padded with zeros).  This is what the memory
        keeps: 1/64 of the bytes of float64 patterns.
    packed_targets_ : ndarray of shape (n_pairs, ceil(n_targets / 8)), \
            dtype=uint8
        The stored ``y`` patterns, packed in the same way.
    patterns_ : ndarray of shape (n_pairs, n_features)
        The stored +/-1 ``x`` patterns as float64, unpacked from
        ``packed_patterns_`` at every access (a read-only property: keep
        the array in a variable rather than reading it in a loop).
    targets_ : ndarray of shape (n_pairs, n_targets)
        The stored +/-1 ``y`` patterns (the codes of the labels when fitted
        with labels), float64, unpacked from ``packed_targets_`` at every
        access.
    weights_ : ndarray of shape (n_features, n_targets)
        The coupling matrix ``W``.
    classes_ : ndarray of shape (n_classes,)
        The distinct labels, sorted; only when fitted with 1-D labels.
    codes_ : ndarray of shape (n_classes, code_length)
        The +/-1 code of each class; only when fitted with 1-D labels.
    pattern_labels_ : ndarray of shape (n_pairs,)
        The label of each stored pair; only when fitted with 1-D labels.
    pattern_weights_ : ndarray of shape (n_pairs,)
        Weight of each stored pair (the ``sample_weight`` of :meth:`fit`,
        all 1 without it); see Notes.
    stable_patterns_ : ndarray of shape (n_pairs,), dtype=bool
        Which stored pairs are fixed points of the alternation (a
        self-check run by fit; a falling fraction is the first sign of
        storing past capacity).  When more than half are not, fit warns
        with a :class:`~skhopfield.exceptions.CapacityWarning`.
    n_iter_ : int
        Alternations that the self-check needed at most, recalling forward
        from the stored ``x`` of the pairs that are not fixed points (1 when
        every pair is one).
    n_features_in_ : int
        Number of features seen during :term:`fit` (units of the ``x`` layer).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when ``X`` has string
        feature names.

    See Also
    --------
    HopfieldMemory : Auto-associative binary memory (one layer).

    Notes
    -----
    Recall from ``x`` (:meth:`predict`, :meth:`transform`, :meth:`retrieve`)
    first sets ``y = sign(W^T x)`` (a zero field gives -1, the binarization
    convention), then alternates ``x <- sign(W y)``, ``y <- sign(W^T x)``,
    a zero field keeping the unit's state, until neither layer changes.
    Recall from ``y`` (:meth:`predict_backward`, :meth:`retrieve_backward`)
    is the mirror image.  As in the Hopfield network the sign-reversed pair
    ``(-x, -y)`` has the same energy and is an attractor too (a "ghost");
    the nearest-pair and nearest-code read-outs count it as its pair.

    Sample weights weight the pair's term of the couplings: the correlation
    rule stores ``W = sum_mu w_mu x^mu (y^mu)^T``, and the pseudo-inverse
    rule minimizes ``sum_mu w_mu (||a^mu W - b^mu||^2 + ||b^mu W^T -
    a^mu||^2)`` (weighted least squares on the unit-normalized pairs),
    which depends on the pairs only through sums that a weight of 2 changes
    exactly as a second copy does.  So a pair of weight ``k`` is the pair
    stored ``k`` times (bit for bit with the correlation rule and whole
    numbers, to rounding otherwise), and a weight of 0 drops it.  With the
    pseudo-inverse rule, a set whose every pair is kept exactly (consistent
    and linearly independent) has the same ``W`` for any positive weights.
    The label codes come from ``random_state`` and the label alone, so
    neither the order of the rows nor repeated rows change them.

    Storing past capacity is reported: when more than half of the stored
    pairs are not fixed points, :meth:`fit` and :meth:`partial_fit` warn
    with a :class:`~skhopfield.exceptions.CapacityWarning` that names the
    rule's capacity at ``N x M`` (correlation rule: random pairs up to about
    ``min(N, M) / (2 ln min(N, M))``, orthogonal ones up to ``min(N, M)``;
    pseudo-inverse rule: consistent, linearly independent sets up to
    ``min(N, M)``) and what to try instead.

    References
    ----------
    B. Kosko (1988). Bidirectional associative memories. IEEE Transactions on
    Systems, Man, and Cybernetics 18(1), 49-60.

    L. Personnaz, I. Guyon, G. Dreyfus (1986). Collective computational
    properties of neural networks: new learning mechanisms. Phys. Rev. A 34.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import hadamard
    >>> from skhopfield import BidirectionalAssociativeMemory
    >>> H = hadamard(16).astype(float)
    >>> X, Y = H[1:5], H[5:9, :8]           # 4 pairs: 16 units <-> 8 units
    >>> bam = BidirectionalAssociativeMemory().fit(X, Y)
    >>> cue = X.copy(); cue[:, 0] *= -1       # one wrong unit in each cue
    >>> bool((bam.predict(cue) == Y).all())   # forward: x -> y
    True
    >>> bool((bam.predict_backward(Y) == X).all())   # backward: y -> x
    True
    >>> bam = BidirectionalAssociativeMemory(random_state=0).fit(X, ["a", "b", "c", "d"])
    >>> bam.predict(cue)
    array(['a', 'b', 'c', 'd'], dtype='<U1')
    """

    _parameter_constraints: dict = {
        "learning_rule": [StrOptions({"correlation", "pseudoinverse"})],
        "code_length": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "threshold": [Interval(Real, None, None, closed="neither")],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": VERBOSE_CONSTRAINT,
    }

    def __init__(
        self,
        learning_rule="correlation",
        *,
        code_length=64,
        max_iter=100,
        threshold=0.0,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.learning_rule = learning_rule
        self.code_length = code_length
        self.max_iter = max_iter
        self.threshold = threshold
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- storing ----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Store the pairs ``(X[i], Y[i])``.

        A failed fit (invalid input or parameters) raises and leaves the
        memory as it was: fitted with its previous pairs, or unfitted.

        Parameters
        ----------
        X : array-like of shape (n_pairs, n_features)
            The ``x`` patterns; any finite real values, binarized at
            ``threshold``; a missing entry (NaN) takes the sign most
            patterns have there (weighted; +1 on a tie).
        y : array-like of shape (n_pairs, n_targets) or (n_pairs,)
            The ``y`` patterns, binarized at ``threshold`` like ``X``; or
            1-D class labels (all numbers or all strings, no NaN, not
            continuous values), each distinct label then stored as a random
            code of ``code_length`` units.
        sample_weight : array-like of shape (n_pairs,), default=None
            Non-negative weight of each pair (``None``: all 1): the factor
            of the pair's term in the couplings.  With the correlation rule
            ``W = sum_mu w_mu x^mu (y^mu)^T``, so a weight of 2 is the pair
            stored twice (exactly); with the pseudo-inverse rule the pair's
            weight in the least-squares fit, again the same as storing it
            twice (to rounding).  A weight of 0 drops the pair (it is not
            stored).  See Notes.

        Returns
        -------
        self : object
            The fitted memory.
        """
        with restore_on_error(self):
            return self._store(X, y, reset=True, sample_weight=sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """Store more pairs, keeping those already stored.

        A failed call raises and leaves the memory as it was.

        Parameters
        ----------
        X : array-like of shape (n_pairs, n_features)
            New ``x`` patterns.
        y : array-like of shape (n_pairs, n_targets) or (n_pairs,)
            Their ``y`` patterns, or labels; of the same kind as at the first
            fit (new labels get new codes).
        sample_weight : array-like of shape (n_pairs,), default=None
            Weights of the new pairs, as in :meth:`fit`.

        Returns
        -------
        self : object
            The updated memory.
        """
        with restore_on_error(self):
            return self._store(
                X,
                y,
                reset=not hasattr(self, "packed_patterns_"),
                sample_weight=sample_weight,
            )

    def _store(self, X, Y, reset, sample_weight=None):
        self._validate_params()
        start = time.perf_counter()
        if Y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None: give the y-layer patterns (n_pairs, n_targets) or 1-D labels."
            )
        check_label_types(Y)
        X, Y = validate_data(
            self,
            X,
            Y,
            reset=reset,
            dtype=np.float64,
            multi_output=True,
            y_numeric=False,
            ensure_all_finite="allow-nan",
        )
        Y = np.asarray(Y)
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        X, Y, weights = drop_zero_weights(X, Y, weights, first=reset)
        labeled = Y.ndim == 1
        if labeled:
            check_pattern_labels(Y)
        if not reset and labeled != hasattr(self, "codes_"):
            raise ValueError(
                "partial_fit must be given the same kind of y as the first fit: "
                + ("1-D labels." if hasattr(self, "codes_") else "2-D y patterns.")
            )
        if labeled:
            T, new_state = self._encode_new(Y, reset)
        else:
            if Y.dtype.kind not in "biuf":
                raise ValueError(
                    f"y patterns must be numeric, got dtype {Y.dtype}; pass 1-D "
                    "labels for non-numeric targets."
                )
            T = binarize(Y.astype(np.float64), self.threshold)
            if not reset and T.shape[1] != self._n_targets:
                raise ValueError(
                    f"Y has {T.shape[1]} columns, but {type(self).__name__} is "
                    f"expecting {self._n_targets} (units of its y layer)."
                )
        # Missing entries (NaN) of an x pattern: the column's majority sign.
        S = fill_majority(binarize(X, self.threshold), weights)
        # Every input is valid: replace the fitted state now.
        if reset:
            labels_state = ("classes_", "codes_", "pattern_labels_")
            for attr in labels_state + ("_code_seed", "_label_order"):
                if hasattr(self, attr):
                    delattr(self, attr)
            self.packed_patterns_ = pack_signs(S)
            self.packed_targets_ = pack_signs(T)
            self._n_targets = int(T.shape[1])
            self.pattern_weights_ = weights
        else:
            self.packed_patterns_ = np.vstack([self.packed_patterns_, pack_signs(S)])
            self.packed_targets_ = np.vstack([self.packed_targets_, pack_signs(T)])
            self.pattern_weights_ = np.concatenate([self.pattern_weights_, weights])
        # Unit weights are no weights: the plain (integer) rule.
        all_weights = self.pattern_weights_
        unweighted = bool((all_weights == 1).all())
        if labeled:
            for attr, value in new_state.items():
                setattr(self, attr, value)
        if self.learning_rule == "correlation":
            W = correlation_weights(S, T, None if unweighted else weights)
            self.weights_ = W if reset else self.weights_ + W
        else:
            self.weights_ = pseudoinverse_weights(
                self.patterns_,
                self.targets_,
                weights=None if unweighted else all_weights,
            )
        joint = np.hstack([self.patterns_, self.targets_])
        # The self-check's batches report chunk progress at verbose >= 2
        # only: at 1, fit is one line.
        inner = self.verbose if self.verbose >= 2 else 0
        self.stable_patterns_ = self._batch(
            _stable_block,
            joint,
            what="fit self-check",
            verbose=inner,
            search=False,
            model=BAMModel(self.weights_),
        )
        unstable = self.patterns_[~self.stable_patterns_]
        self.n_iter_ = 1
        if len(unstable):
            result = self._recall(
                unstable, "x", None, warn=False, what="fit self-check", verbose=inner
            )
            self.n_iter_ = int(result.n_iter.max())
        n_stored, n_stable = self._n_patterns(), int(self.stable_patterns_.sum())
        report(
            self.verbose,
            f"{type(self).__name__}.{'fit' if reset else 'partial_fit'}",
            f"stored {len(S)} patterns x {S.shape[1]} features paired with "
            f"{T.shape[1]} target units ({n_stored} pairs in all) in "
            f"{time.perf_counter() - start:.2f} s; "
            f"{n_stable} of {n_stored} ({n_stable / n_stored:.1%}) are fixed points",
        )
        if n_stored - n_stable > UNSTABLE_SHARE_WARNING * n_stored:
            warnings.warn(
                f"Only {n_stable} of the {n_stored} stored pairs "
                f"({n_stable / n_stored:.1%}) are fixed points, so most cannot be "
                f"recalled: {self._capacity_advice()} (see stable_patterns_; this "
                "warning fires when more than half of the stored pairs are not "
                "fixed points).",
                CapacityWarning,
            )
        return self

    def _capacity_advice(self):
        """What the rule holds at this layer size, and what to try instead."""
        n, m = self.n_features_in_, self._n_targets
        small = min(n, m)
        layers = f"N = {n} x units and M = {m} y units"
        more_units = (
            "a longer code_length" if hasattr(self, "codes_") else "more units"
        )
        if self.learning_rule == "correlation":
            random_pairs = small / (2 * math.log(max(small, 2)))
            return (
                "the correlation rule keeps random pairs only up to about "
                f"min(N, M) / (2 ln min(N, M)) = {random_pairs:.3g} pairs with "
                f"{layers} (orthogonal sets up to min(N, M) = {small}), and "
                "correlated ones far fewer. Try learning_rule='pseudoinverse', "
                f"fewer pairs or {more_units}"
            )
        return (
            "the pseudo-inverse rule keeps every pair only of linearly "
            "independent sets with the same normalized overlaps on both sides, "
            f"at most min(N, M) = {small} pairs with {layers}; other sets get a "
            f"least-squares compromise. Try fewer pairs or {more_units}, or "
            "ModernHopfieldClassifier / ModernHopfieldRegressor for many pairs"
        )

    def _encode_new(self, y, reset):
        """Codes of the labels ``y``: existing ones reused, new ones drawn.

        The code of a label depends only on the seed drawn at the first fit
        and on the label itself (:func:`_random_code`), so ``fit(A)`` then
        ``partial_fit(B)`` gives the codes of ``fit(A + B)``, and the order
        of the rows does not matter.
        """
        if reset:
            seed = int(check_random_state(self.random_state).randint(2**31 - 1))
            order = np.empty(0, dtype=y.dtype)
        else:
            seed, order = self._code_seed, self._label_order
            check_same_label_kind(y, self.pattern_labels_)
        _, first = np.unique(y, return_index=True)
        appeared = y[np.sort(first)]
        new = appeared[~np.isin(appeared, order)]
        order = np.concatenate([order, new])
        codes = np.array(
            [
                _random_code(seed, label, self.code_length)
                for label in order.tolist()
            ]
        )
        if not reset and codes.shape[1] != self.codes_.shape[1]:
            raise ValueError(
                f"code_length changed from {self.codes_.shape[1]} to "
                f"{self.code_length} since the first fit; refit to change it."
            )
        sort = np.argsort(order, kind="stable")
        classes = order[sort]
        labels = y if reset else np.concatenate([self.pattern_labels_, y])
        state = {
            "_code_seed": seed,
            "_label_order": order,
            "classes_": classes,
            "codes_": codes[sort],
            "pattern_labels_": labels,
        }
        index = {label: k for k, label in enumerate(order.tolist())}
        T = codes[[index[label] for label in y.tolist()]]
        return T, state

    # -- retrieving -------------------------------------------------------------------
    @property
    def patterns_(self):
        """The stored +/-1 ``x`` patterns, float64, unpacked at every access."""
        return unpack_signs(self._packed("packed_patterns_"), self.n_features_in_)

    @property
    def targets_(self):
        """The stored +/-1 ``y`` patterns, float64, unpacked at every access."""
        return unpack_signs(self._packed("packed_targets_"), self._n_targets)

    def _packed(self, name):
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(
                f"This {type(self).__name__} is not fitted: no stored pairs."
            ) from None

    def _search_features(self):
        # the search compares states of both layers with the stored pairs
        return self.n_features_in_ + self._n_targets

    def _row_bytes(self):
        # start, states and their copies (driver), fields; then the
        # nearest-pattern search against one tile of stored pairs
        n_units = self._search_features()
        return 8 * 6 * n_units + self._search_row_bytes()

    def _recall(
        self, S, given, threshold, read="all", warn=True, what=None, verbose=None
    ):
        n_x = self.n_features_in_
        joint = (
            (self.packed_patterns_, self.packed_targets_),
            (n_x, self._n_targets),
        )
        codes = getattr(self, "codes_", None)
        block = partial(
            _recall_block,
            max_iter=self.max_iter,
            threshold=threshold,
            given=given,
            read=read,
            codes=None if codes is None else pack_signs(codes),
            tile_rows=self._search_tile(),
        )
        if what is None:
            what = "retrieve" if given == "x" else "retrieve_backward"
        # The model (and the stored pairs read against) travel once per fit.
        model = BAMModel(self.weights_, first="y" if given == "x" else "x")
        shared = {"model": model}
        if read == "all":
            shared["joint"] = joint
        search = read in ("all", "code")
        out = self._batch(
            block, S, what=what, verbose=verbose, search=search, **shared
        )
        converged = out[-2] if read == "all" else out[-1]
        if warn:
            self._warn_convergence(converged, np.zeros_like(converged))
        if read != "all":
            return out[0]
        states, n_iter, converged, nearest = out
        return Bunch(
            states=states[:, :n_x],
            targets=states[:, n_x:],
            n_iter=n_iter,
            converged=converged,
            nearest=nearest,
        )

    def _check_X(self, X):
        check_is_fitted(self)
        self._validate_params()
        return validate_data(
            self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan"
        )

    def _check_Y(self, Y):
        """+/-1 ``y`` states of ``Y``: labels encoded, patterns binarized."""
        check_is_fitted(self)
        self._validate_params()
        if hasattr(self, "codes_"):
            check_label_types(Y)
            labels = np.asarray(Y)
            if labels.ndim == 1:
                return self.codes_[self._class_index(labels)]
        Y = check_array(
            Y, dtype=np.float64, input_name="Y", ensure_all_finite="allow-nan"
        )
        n_targets = self._n_targets
        if Y.shape[1] != n_targets:
            raise ValueError(
                f"Y has {Y.shape[1]} features, but {type(self).__name__} is expecting "
                f"{n_targets} features (units of its y layer)."
            )
        return binarize(Y, self.threshold)

    def _class_index(self, labels):
        """Row of ``classes_`` of each label; a clear error for unknown ones."""
        classes = self.classes_
        same_kind = (labels.dtype.kind in "US") == (classes.dtype.kind in "US")
        if same_kind:
            pos = np.minimum(np.searchsorted(classes, labels), len(classes) - 1)
            unknown = classes[pos] != labels
        if not same_kind or unknown.any():
            bad = labels if not same_kind else labels[unknown]
            raise ValueError(
                f"y contains labels that are not stored in the memory: {bad[:5]}; "
                f"stored labels: {classes[:10]}."
            )
        return pos

    def retrieve(self, X):
        """Recall from ``x`` cues and report how it went.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            ``x`` cues; any finite real values, binarized at ``threshold``;
            NaN marks a missing unit (a partial cue: known units clamped).

        Returns
        -------
        result : :class:`~sklearn.utils.Bunch`
            ``states`` (n_samples, n_features) the completed ``x``;
            ``targets`` (n_samples, n_targets) the recalled ``y``;
            ``n_iter`` (n_samples,) alternations run after the first
            ``y = sign(W^T x)``, counting the last one that changed nothing
            (a stored pair needs exactly one);
            ``converged`` (n_samples,) True where a fixed point was reached
            within ``max_iter``; ``nearest`` (n_samples,) index of the stored
            pair nearest (Hamming distance over both layers, a ghost counting
            as its pair) to the retrieved one.

        Warns
        -----
        ConvergenceWarning
            When some rows hit ``max_iter`` before a fixed point.
        """
        X = self._check_X(X)
        return self._recall(X, "x", self.threshold)

    def transform(self, X):
        """The completed ``x`` after the bidirectional iteration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            ``x`` cues.

        Returns
        -------
        states : ndarray of shape (n_samples, n_features)
            Retrieved +/-1 ``x`` states.
        """
        X = self._check_X(X)
        return self._recall(X, "x", self.threshold, read="x", what="transform")

    def predict(self, X):
        """Recall forward: the ``y`` associated with each ``x`` cue.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            ``x`` cues.

        Returns
        -------
        y : ndarray of shape (n_samples, n_targets) or (n_samples,)
            The recalled +/-1 ``y`` states; or, when fitted with labels, the
            label whose code is nearest to the recalled ``y`` (Hamming
            distance, a sign-reversed code counting as its code).
        """
        X = self._check_X(X)
        if hasattr(self, "codes_"):
            codes = self._recall(X, "x", self.threshold, read="code", what="predict")
            return self.classes_[codes]
        return self._recall(X, "x", self.threshold, read="y", what="predict")

    def predict_backward(self, Y):
        """Recall backward: the ``x`` associated with each ``y`` cue.

        The mirror image of :meth:`transform`: first ``x = sign(W y)`` (a
        zero field gives -1), then the layers alternate to a fixed point.

        Not named ``inverse_transform``: scikit-learn's ``inverse_transform``
        takes what :meth:`transform` returns (here completed ``x`` states),
        and backward recall takes ``y`` cues.

        Parameters
        ----------
        Y : array-like of shape (n_samples, n_targets) or (n_samples,)
            ``y`` cues, binarized at ``threshold``; or, when fitted with
            labels, stored labels (their codes are the cues).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The recalled +/-1 ``x`` states.
        """
        return self._recall(
            self._check_Y(Y), "y", None, read="x", what="predict_backward"
        )

    def retrieve_backward(self, y):
        """Recall from ``y`` cues and report how it went.

        Parameters
        ----------
        y : array-like of shape (n_samples, n_targets) or (n_samples,)
            ``y`` cues, binarized at ``threshold``; or, when fitted with
            labels, stored labels.

        Returns
        -------
        result : :class:`~sklearn.utils.Bunch`
            As :meth:`retrieve`: ``states`` the recalled ``x``, ``targets``
            the completed ``y``, ``n_iter`` alternations after the first
            ``x = sign(W y)``, ``converged``, ``nearest`` stored pair.

        Warns
        -----
        ConvergenceWarning
            When some rows hit ``max_iter`` before a fixed point.
        """
        T = self._check_Y(y)
        return self._recall(T, "y", None)

    def score(self, X, y, sample_weight=None):
        """Fraction of cues whose recalled ``y`` is right.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            ``x`` cues.
        y : array-like of shape (n_samples, n_targets) or (n_samples,)
            True ``y`` patterns (binarized at ``threshold``; a row counts only
            if every unit is right, missing units (NaN) not scored) or labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Weighted fraction of exact recalls (accuracy, for labels).
        """
        from sklearn.metrics import accuracy_score

        pred = self.predict(X)
        if hasattr(self, "codes_"):
            check_label_types(y)
            return accuracy_score(y, pred, sample_weight=sample_weight)
        T = self._check_Y(y)
        if len(T) != len(pred):
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: "
                f"[{len(pred)}, {len(T)}]"
            )
        # a missing true unit (NaN: 0 here) is not scored
        right = ((T == pred) | (T == 0)).all(axis=1)
        return float(np.average(right, weights=sample_weight))

    def energy(self, X, y=None):
        """Energy of each pair, or of each ``x`` with its best ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            ``x`` states, binarized at ``threshold``.
        y : array-like of shape (n_samples, n_targets) or (n_samples,), default=None
            ``y`` states (or stored labels); then the energy is ``E(x, y) =
            -x^T W y``.  When None, ``min_y E(x, y) = -sum_j |(W^T x)_j|``,
            the energy after the forward half-step, which never rises along
            the iteration (so ``energy(transform(X))`` descends as retrieval
            runs).

        Returns
        -------
        energy : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        if y is None:
            block = partial(_energy_block, threshold=self.threshold)
            return self._batch(
                block, X, what="energy", search=False, weights=self.weights_
            )
        T = self._check_Y(y)
        if len(T) != len(X):
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: "
                f"[{len(X)}, {len(T)}]"
            )
        return bam_energy(binarize(X, self.threshold), T, self.weights_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        # Missing entries (NaN) of the cues are partial cues.
        tags.input_tags.allow_nan = True
        return tags
