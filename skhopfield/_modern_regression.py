"""The modern Hopfield regressor: the attention read out on real-valued targets."""

import time
from functools import partial
from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._array_api import get_namespace_and_device
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._batch import batch_retrieve
from ._core.loo import (
    LEARN_GRID,
    best_beta,
    duplicate_groups,
    loo_block,
    squared_error,
)
from ._core.learned import training_threads
from ._core.masked import PartialModernMemory, present_scores
from ._core.namespace import _device, _hi, _is_host, _ns
from ._modern_base import _BaseModernMemory, _host
from ._validation import restore_on_error, validate_data


def _nan_as_inf(A):
    """``A`` with its NaN entries as inf (dense numpy), for grouping copies."""
    if isinstance(A, np.ndarray) and np.isnan(A).any():
        return np.where(np.isnan(A), np.inf, A)
    return A


def _with_ones(T):
    """``[T | 1]``: the targets and a column of ones (the weights' sum), in
    ``T``'s namespace, device and dtype."""
    if isinstance(T, np.ndarray):
        return np.hstack([T, np.ones((len(T), 1))])
    xp = _ns(T)
    ones = xp.ones((T.shape[0], 1), dtype=T.dtype, device=_device(T))
    return xp.concat([T, ones], axis=1)


class ModernHopfieldRegressor(RegressorMixin, _BaseModernMemory):
    """Continuous modern Hopfield network recalling real-valued targets.

    Stores pairs ``(x^mu, t^mu)`` of patterns and targets.  A cue ``xi`` is
    answered by the attention over the stored patterns applied to the
    targets, ``softmax(beta z(xi)) T``, ``z_mu`` the similarity of ``xi`` to
    pattern ``mu``: hetero-association with continuous values, the
    scikit-learn counterpart of :class:`~sklearn.neighbors.KNeighborsRegressor`.
    With the euclidean similarity this is Nadaraya-Watson kernel regression
    with the Gaussian kernel ``exp(-beta ||x^mu - xi||^2 / 2)`` (Nadaraya
    1964; Watson 1964); tiny ``beta`` predicts the mean target, huge
    ``beta`` the target of the nearest stored pattern (1-nearest-neighbour).
    Scores, update steps, :meth:`transform` and :meth:`energy` are those of
    :class:`ModernHopfieldClassifier`, whose read-out is the same attention
    applied to one-hot labels.

    Parameters
    ----------
    beta : float, "auto" or "learn", default="auto"
        Inverse temperature, ``> 0``.  ``"auto"`` is the classifier's rule,
        ``20 / v`` with ``v`` the total variance of the stored patterns.
        ``"learn"`` picks, among ``"auto"``'s value times
        ``10**linspace(-3, 3, 41)`` (ratio about 1.41 between neighbours),
        the ``beta`` of least leave-one-out squared error on the stored
        pairs: every stored pattern predicted from all the others (its
        identical copies left out with it), summed over the targets and
        averaged with the sample weights (one pass over the stored patterns in row chunks
        bounded by ``working_memory``, every candidate ``beta`` at once).
        With a single distinct stored pattern ``"learn"`` falls back to
        ``"auto"``.
        The value used is ``beta_``.
    similarity : {"euclidean", "dot", "cosine", "manhattan"}, default="euclidean"
        How a state is compared with the stored patterns, as for
        :class:`ModernHopfieldClassifier`.
    separation : {"softmax", "sparsemax", "entmax", "polynomial", "max"}, \
            default="softmax"
        The map from scaled scores to attention weights, as for
        :class:`ModernHopfieldClassifier` (its energies, update rules and
        guarantees are described there): a sparse separation predicts from
        the targets of its support only (``"max"``: the nearest pattern's,
        1-nearest-neighbour regression); ``beta="learn"`` then picks ``beta``
        by that separation's leave-one-out error.
    entmax_alpha : float, default=1.5
        ``alpha`` of ``separation="entmax"``, in ``(1, 2]``.
    separation_order : float, default=2
        Order ``n >= 1`` of ``separation="polynomial"``.
    max_iter : int, default=1
        Update steps.  :meth:`predict` runs ``max_iter - 1`` updates of the
        cue in the pattern space, ``xi <- X^T softmax(beta z(xi))``, then
        reads the targets with the attention of the final step; the default
        reads them with the attention of the cue itself (plain kernel
        regression).  :meth:`transform` runs up to ``max_iter`` steps.
    tol : float, default=1e-4
        A row stops early once one update step moves its state by at most
        ``tol * M`` (Euclidean norm, ``M = max_norm_``).
    n_jobs : int, default=None
        Number of joblib workers for batch retrieval; ``None`` means 1 unless
        in a ``joblib.parallel_config`` context, ``-1`` means all processors.
        Results do not depend on it, nor on ``working_memory``, beyond
        floating-point rounding.
    verbose : int, default=0
        Progress messages on standard output; none at 0.  At 1, one line per
        fit and per batch (prediction, retrieval, energy, and the
        leave-one-out pass of ``beta="learn"``) with its size and time.  At 2
        and more, also a line as each chunk of a batch completes (rows done,
        rate, time left), with any ``n_jobs``.

    Attributes
    ----------
    patterns_ : ndarray of shape (n_patterns, n_features)
        The stored patterns, in the dtype they were given (float32 or
        float64).
    targets_ : ndarray of shape (n_patterns,) or (n_patterns, n_outputs)
        The stored targets (float64), as given.
    pattern_weights_ : ndarray of shape (n_patterns,)
        Prior weight of each stored pair (the ``sample_weight`` of
        :meth:`fit`, all 1 without it); see Notes.
    n_outputs_ : int
        Number of targets per pattern.
    beta_ : float
        The inverse temperature used, in the data's units (as for
        :class:`ModernHopfieldClassifier`, the computations run in the
        stored patterns' frame with ``beta_`` rescaled to it).
    max_norm_ : float
        ``M``, as for :class:`ModernHopfieldClassifier`; enters the energy
        and ``tol``.
    n_iter_ : int
        Update steps that the fit self-check needed at most (see
        :class:`ModernHopfieldClassifier`).
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when ``X`` has string
        feature names.

    See Also
    --------
    ModernHopfieldClassifier : The same memory reading out class labels.
    sklearn.neighbors.KNeighborsRegressor : The hard-neighbourhood counterpart.

    Notes
    -----
    Prediction is the classifier's, in the same frame (see its Notes): one
    GEMM ``cues @ patterns^T`` per cache-sized tile of cues, ``exp`` in
    place, one small GEMM with ``[T | 1]`` (the targets and a column of
    ones), and a division by the last column.  float32 input is computed
    and returned in float32.

    Sparse input (``scipy.sparse``, stored as CSR) is accepted for the
    stored patterns and the cues of every method, for the three
    similarities, as for :class:`ModernHopfieldClassifier` (same sparse
    scoring layout, tiles of cues densified within the engine's chunks);
    the results equal the dense computation's up to rounding.

    Sample weights are a prior on the stored pairs: the attention is
    proportional to ``w_mu exp(beta z_mu)``, so the prediction is the
    weighted Nadaraya-Watson estimate ``sum_mu w_mu k_mu t^mu / sum_mu w_mu
    k_mu``.  A weight of 2 is the pair stored twice (equal to rounding, also
    for ``beta="auto"``, which uses the weighted variance), a weight of 0
    drops the pair, and only the ratios of the weights matter to the
    predictions.  ``beta="learn"`` leaves each stored pattern out together
    with its identical copies (otherwise a repeated row would be predicted
    from its own twin at distance zero, which favours the largest
    ``beta``), weights the others' attention by their weights and averages
    the per-pattern losses with the weights: weight ``k`` and ``k``
    identical rows give the same ``beta_``.  (Rows equal only after
    normalization, for ``"cosine"``, are not copies.)

    Under ``sklearn.config_context(array_api_dispatch=True)`` (with
    ``SCIPY_ARRAY_API=1``) fit, predict, transform, energy and score compute
    in the namespace and on the device of ``X`` (torch, CuPy, ...), and
    ``targets_`` and the outputs are arrays of it; the leave-one-out search
    of ``beta="learn"`` runs on a host copy of the stored patterns.  See
    the "Running on a GPU" page of the documentation.

    References
    ----------
    H. Ramsauer et al. (2020). Hopfield Networks is All You Need.
    arXiv:2008.02217 (ICLR 2021).

    E. A. Nadaraya (1964). On estimating regression. Theory of Probability
    and its Applications 9(1), 141-142.

    G. S. Watson (1964). Smooth regression analysis. Sankhya A 26(4),
    359-372.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skhopfield import ModernHopfieldRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = make_pipeline(StandardScaler(), ModernHopfieldRegressor(beta="learn"))
    >>> reg.fit(X[::2], y[::2]).score(X[1::2], y[1::2]) > 0.35
    True
    >>> reg.predict(X[:3]).shape
    (3,)

    A weight of 2 is the pair stored twice:

    >>> import numpy as np
    >>> w = np.where(np.arange(len(X)) < 100, 2.0, 1.0)
    >>> twice = np.r_[np.arange(100), np.arange(len(X))]
    >>> a = ModernHopfieldRegressor().fit(X, y, sample_weight=w)
    >>> b = ModernHopfieldRegressor().fit(X[twice], y[twice])
    >>> bool(np.allclose(a.predict(X[:5]), b.predict(X[:5])))
    True
    """

    _parameter_constraints: dict = {
        **_BaseModernMemory._parameter_constraints,
        "beta": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto", "learn"}),
        ],
    }

    def __init__(
        self,
        beta="auto",
        *,
        similarity="euclidean",
        separation="softmax",
        entmax_alpha=1.5,
        separation_order=2,
        max_iter=1,
        tol=1e-4,
        n_jobs=None,
        verbose=0,
    ):
        self.beta = beta
        self.similarity = similarity
        self.separation = separation
        self.entmax_alpha = entmax_alpha
        self.separation_order = separation_order
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- storing ----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Store the pairs ``(X[i], y[i])``.

        A failed fit (invalid input or parameters) raises and leaves the
        regressor as it was: fitted with its previous pairs, or unfitted.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_patterns, n_features)
            Patterns (float32 is kept as float32).  A ``scipy.sparse``
            matrix is stored as CSR and stays sparse (see Notes).  Dense
            rows may have missing entries (NaN; see "Partial cues and
            imputation" in the user guide).
        y : array-like of shape (n_patterns,) or (n_patterns, n_outputs)
            Targets: finite real numbers.
        sample_weight : array-like of shape (n_patterns,), default=None
            Non-negative prior weight of each stored pair (``None``: all 1).
            The attention becomes ``w_mu exp(beta z_mu) / sum_nu w_nu
            exp(beta z_nu)``, so the prediction is the weighted
            Nadaraya-Watson estimate: a weight of 2 is exactly the pair
            stored twice, and a weight of 0 drops the pair (it is not
            stored).  ``beta="auto"`` uses the weighted variance;
            ``beta="learn"`` a weighted leave-one-out loss, in which a weight
            of 2 is also the pair stored twice (see Notes).

        Returns
        -------
        self : object
            The fitted memory.
        """
        with restore_on_error(self):
            return self._store(X, y, reset=True, sample_weight=sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """Store more pairs, keeping those already stored.

        ``fit(A)`` then ``partial_fit(B)`` gives the same memory as
        ``fit(A ∪ B)`` (``beta="auto"`` and ``"learn"`` re-resolved over all
        pairs).  A failed call raises and leaves the regressor as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_patterns, n_features)
            New patterns.
        y : array-like of shape (n_patterns,) or (n_patterns, n_outputs)
            Their targets, as many per pattern as at the first fit.
        sample_weight : array-like of shape (n_patterns,), default=None
            Prior weights of the new pairs, as in :meth:`fit`.

        Returns
        -------
        self : object
            The updated memory.
        """
        with restore_on_error(self):
            return self._store(
                X,
                y,
                reset=not hasattr(self, "targets_"),
                sample_weight=sample_weight,
            )

    def _store(self, X, y, reset, sample_weight=None):
        self._validate_params()
        start = time.perf_counter()
        # Targets are checked on the host; stored (targets_) and read out in
        # X's namespace, on its device.
        y = _host(y)
        xp, _, dev = get_namespace_and_device(X)
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[xp.float64, xp.float32],
            multi_output=True,
            y_numeric=True,
            accept_sparse="csr",
            ensure_all_finite="allow-nan",
        )
        self._check_missing(X, "X", fitting=True)
        y = np.asarray(y, dtype=np.float64)
        X, y, weights = self._positive_rows(X, y, sample_weight, reset)
        if not reset:
            if y.shape[1:] != tuple(self.targets_.shape[1:]):
                raise ValueError(
                    f"y has shape {y.shape[1:]} per pattern, but the memory stores "
                    f"targets of shape {tuple(self.targets_.shape[1:])} "
                    f"({self.n_outputs_} targets)."
                )
        patterns = self._stacked(X, reset)
        targets = y if reset else np.concatenate([_host(self.targets_), y])
        if not reset:
            weights = np.concatenate([_host(self.pattern_weights_), weights])
        n_outputs = 1 if targets.ndim == 1 else targets.shape[1]
        if not _is_host(patterns):
            targets = _ns(patterns).asarray(
                targets, dtype=_hi(patterns), device=_device(patterns)
            )
        self._set_memory(
            patterns, weights=weights, targets_=targets, n_outputs_=n_outputs
        )
        self._report_fit(reset, start, X.shape[0], f"{n_outputs} targets each")
        return self

    def _values(self):
        """The read-out matrix ``[T | 1]`` (P, n_outputs + 1)."""
        T = self.targets_
        if isinstance(T, np.ndarray):
            return _with_ones(T.reshape(len(T), -1))
        return _with_ones(_ns(T).reshape(T, (T.shape[0], -1)))

    def _resolve_beta(self, memory, **fitted):
        if self.beta != "learn":
            return super()._resolve_beta(memory, **fitted)
        auto, scaled_auto = self._auto_beta(memory)
        targets = _host(fitted["targets_"])
        P = len(targets)
        # The leave-one-out pass runs on the host (numpy, the batch engine's
        # joblib chunks) in the same frame: it returns one float.
        memory = memory.host()
        # (missing entries as inf: equal to each other, to nothing else)
        groups, n_groups = duplicate_groups(_nan_as_inf(memory.patterns))
        if n_groups < 2:  # nothing to leave one out against
            return auto, scaled_auto
        T = targets.reshape(P, -1)
        betas = scaled_auto * LEARN_GRID  # in the memory's internal units
        block = partial(loo_block, betas=betas, separation=self._separation())
        # The memory, targets and copy groups travel to dask workers once
        # (not inside every chunk's task).
        shared = {
            "memory": memory,
            "values": _with_ones(T).astype(memory.aug.dtype),
            "loss": partial(squared_error, targets=T),
        }
        if isinstance(memory, PartialModernMemory):
            # stored missing entries: each row scored on its present entries
            shared["scores"] = present_scores
        if n_groups < P:
            shared["groups"] = groups
        itemsize = memory.aug.dtype.itemsize
        row_bytes = (
            itemsize * (2 * P + 4 * memory.aug.shape[1]) + 8 * len(betas) + 9 * P
        )
        # small stored sets: one BLAS thread for the whole search (its
        # products are small next to a thread fork-join); large: all
        blas = training_threads(memory.patterns.shape, learn_patterns=False)
        with blas:
            losses = batch_retrieve(
                block,
                np.arange(P)[:, None],
                row_bytes=row_bytes,
                shared=shared,
                owner=(memory, "loo"),
                n_jobs=self.n_jobs,
                verbose=self.verbose,
                label=f"{type(self).__name__}.fit(beta='learn')",
                n_features=memory.patterns.shape[1],
            )
        scaled = best_beta(losses, betas, memory.weights)[0]
        return memory.unscale_beta(scaled), scaled

    # -- retrieving -------------------------------------------------------------------
    def predict(self, X):
        """Hetero-associative retrieval: the attention-weighted stored targets.

        After ``max_iter - 1`` state updates, ``softmax(beta_ z) T`` with the
        attention of the final step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues; NaN marks a missing entry (a partial cue, see "Partial
            cues and imputation" in the user guide).

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted targets, in the dtype of ``X`` (float32 or float64);
            1-D when the memory was fitted with 1-D targets.
        """
        check_is_fitted(self)
        values = self._values()
        out = self._readout(X, values, "total", "predict", total=values.shape[1] - 1)
        if self.targets_.ndim != 1:
            return out
        return out.ravel() if isinstance(out, np.ndarray) else _ns(out).reshape(out, (-1,))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
