"""Imputation of missing values by modern Hopfield attention."""

from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.impute._base import _BaseImputer
from sklearn.utils._mask import _get_mask
from sklearn.utils._missing import is_scalar_nan
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    _check_feature_names_in,
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._batch import batch_retrieve
from ._core.loo import LEARN_GRID, best_beta, duplicate_groups, loo_block
from ._core.masked import hidden_error, hidden_scores, readout_values
from ._core.separation import make_separation
from ._modern_base import _make_memory
from ._modern_regression import ModernHopfieldRegressor
from ._validation import N_JOBS_CONSTRAINT, VERBOSE_CONSTRAINT

#: ``beta="learn"`` scores at most this many stored rows (evenly spaced) as
#: cues with hidden entries.
LEARN_ROWS = 2000


class HopfieldImputer(_BaseImputer):
    """Imputation by modern Hopfield attention over the stored rows.

    Stores the training rows, with their own missing entries, as the
    patterns of a modern Hopfield memory and fills every missing entry of a
    row with the attention-weighted mean of the stored rows, the attention
    ``softmax(-beta ||x^mu_o - x_o||^2 / 2)`` (the default similarity) taken
    over the row's observed coordinates ``o``: the conditional mean of
    the missing part when the stored rows are read as a Gaussian mixture of
    kernel width ``1 / sqrt(beta)``.  A soft, differentiable-in-``beta``
    version of :class:`~sklearn.impute.KNNImputer`: as ``beta`` grows it
    becomes the nearest stored row on the observed coordinates
    (``KNNImputer(n_neighbors=1)``), as it shrinks the column means
    (:class:`~sklearn.impute.SimpleImputer`).  A sparse ``separation`` in
    place of softmax fills from the few nearest stored rows only (its
    support), between ``KNNImputer`` and softmax attention; ``"max"`` is
    1-nearest-neighbour imputation over the observed coordinates.
    ``similarity="manhattan"`` scores by the L1 distance instead (a Laplace
    kernel, more robust to outlying coordinates).  Observed entries are
    never changed.  See *Partial cues and imputation* in the
    user guide.

    Parameters
    ----------
    missing_values : int, float, str, np.nan or None, default=np.nan
        The placeholder of the missing values.  All occurrences are imputed.

    beta : float, "auto" or "learn", default="learn"
        Inverse temperature, in the data's units (``1 / beta`` is the
        squared kernel width; for ``similarity="manhattan"`` the kernel
        width itself).  ``"auto"`` is
        :class:`~skhopfield.ModernHopfieldRegressor`'s: 20 over the total
        variance of the stored rows (``"manhattan"``: over twice their total
        mean absolute deviation, in the data's units).  ``"learn"`` picks,
        among multiples of ``"auto"`` (a log grid over 1e-3 to 1e3), the ``beta`` that best
        reconstructs observed entries of the stored rows: each of (at most
        2000, evenly spaced) stored rows hides every fifth of its observed
        entries and is filled from the *other* stored rows (never from
        itself nor its identical copies); the ``beta`` of least mean squared
        error (weighted by ``sample_weight``) is kept as ``beta_``, by the
        error of the ``similarity`` and ``separation`` given.

    similarity : {"euclidean", "manhattan"}, default="euclidean"
        How a row is compared with the stored rows over its observed
        coordinates ``o``.  ``"euclidean"``: the squared distance, the
        attention ``softmax(-beta ||x^mu_o - x_o||^2 / 2)`` (a Gaussian
        kernel).  ``"manhattan"``: the negative L1 distance, the attention
        ``softmax(-beta ||x^mu_o - x_o||_1)`` for softmax: a Laplace kernel,
        whose scores grow linearly rather than quadratically with a
        coordinate's difference, so one outlying coordinate weighs less
        (the Manhattan similarity of Universal Hopfield Networks, Millidge
        et al. 2022).  Either goes through any ``separation``; ``"max"``
        with ``"manhattan"`` is 1-nearest-neighbour imputation by the L1
        distance over the observed coordinates.

    separation : {"softmax", "sparsemax", "entmax", "polynomial", "max"}, \
            default="softmax"
        The map from the scaled scores of a row to its attention over the
        stored rows, as for :class:`~skhopfield.ModernHopfieldClassifier`.
        ``"softmax"`` gives every stored row some weight (the conditional
        mean above).  The sparse ones (``"sparsemax"``, ``"entmax"``,
        ``"polynomial"``) give weight to the stored rows within a margin
        ``1 / ((alpha - 1) beta)`` of the nearest one's score only, so a row
        is filled from its few nearest stored rows, weighted by closeness:
        an imputer between :class:`~sklearn.impute.KNNImputer` (a fixed
        number of neighbours, equal weights) and softmax attention (every
        row), its neighbourhood set per row by ``beta``.  ``"max"`` fills
        from the nearest stored row on the observed coordinates, ties
        shared equally: ``KNNImputer(n_neighbors=1)`` at any ``beta`` (a
        column missing in the nearest row is taken from the nearest row
        where it is present, as ``KNNImputer`` picks its donors per
        column).

    entmax_alpha : float, default=1.5
        ``alpha`` of ``separation="entmax"``, in ``(1, 2]``: towards 1
        softmax, at 2 sparsemax.

    separation_order : float, default=2
        Order ``n >= 1`` of ``separation="polynomial"`` (``alpha = 1 +
        1 / n``; 1 is sparsemax).

    max_iter : int, default=1
        Update steps.  ``1`` fills with the conditional mean; more descend
        the memory's energy over the missing entries, the observed ones
        clamped, towards an attractor (a completion by a stored row); with
        ``similarity="manhattan"`` the same clamped steps, which descend no
        known energy.

    tol : float, default=1e-4
        Stop a row's steps once one moves it by at most ``tol`` times the
        largest distance of a stored row from their mean.

    copy : bool, default=True
        If False, imputation is done in place where possible.

    add_indicator : bool, default=False
        Stack a :class:`~sklearn.impute.MissingIndicator` onto the output.

    keep_empty_features : bool, default=False
        Keep the features missing in every training row, filled with 0;
        by default they are dropped from the output.

    n_jobs : int, default=None
        Parallel workers of the batch engine; results do not depend on it.

    verbose : int, default=0
        Progress on standard output (1: one line per batch; 2: per chunk).

    Attributes
    ----------
    beta_ : float
        The inverse temperature used, in the data's units.

    n_iter_ : int
        The most update steps a probe of stored rows (with their own
        missing entries) ran at fit: the memory's self-check (see
        :class:`~skhopfield.ModernHopfieldRegressor`); 0 when every
        feature is empty.

    memory_ : ModernHopfieldRegressor
        The modern memory of the stored rows (the features not missing in
        every training row); its :meth:`~ModernHopfieldRegressor.transform`
        fills partial rows.  None when every feature is empty.

    indicator_ : MissingIndicator
        Indicator of the missing values; None when ``add_indicator`` is False.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit (when they are all strings).

    See Also
    --------
    sklearn.impute.KNNImputer : The hard-neighbour version.
    sklearn.impute.IterativeImputer : Regression of each feature on the others.
    ModernHopfieldRegressor : The memory, with partial cues.

    Notes
    -----
    The scores against stored rows with missing entries follow
    :func:`~sklearn.metrics.pairwise.nan_euclidean_distances`: the squared
    distance (``"manhattan"``: the L1 distance) over the coordinates present
    in both, scaled up by the share present; a stored row sharing no
    observed coordinate gets no attention, and each filled column averages only the stored rows where it is
    present (renormalized; where the separation gives every such row weight
    0, the separation of their scores alone).  A row with every entry missing gets the (weighted) column
    means.  The features are used on their own scales, as by
    :class:`~sklearn.impute.KNNImputer`: standardize features of very
    different scales first.  Memory is bounded by scikit-learn's
    ``working_memory`` (chunks of rows against all stored rows).

    References
    ----------
    B. Millidge, T. Salvatori, Y. Song, T. Lukasiewicz, R. Bogacz (2022).
    Universal Hopfield networks. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skhopfield import HopfieldImputer
    >>> X = [[1.0, 2.0, np.nan], [3.0, 4.0, 3.0], [np.nan, 6.0, 5.0], [8.0, 8.0, 7.0]]
    >>> imputer = HopfieldImputer(beta=1.0)
    >>> imputer.fit_transform(X).round(2).tolist()
    [[1.0, 2.0, 3.0], [3.0, 4.0, 3.0], [5.5, 6.0, 5.0], [8.0, 8.0, 7.0]]

    With ``separation="max"``, a row is filled from its nearest stored row
    on the observed coordinates (1-nearest-neighbour imputation; the third
    row above is as near the second as the fourth, and would take the mean
    of both):

    >>> nearest = HopfieldImputer(separation="max").fit(X)
    >>> nearest.transform([[np.nan, 4.5, 3.5], [7.0, np.nan, np.nan]]).tolist()
    [[3.0, 4.5, 3.5], [7.0, 8.0, 7.0]]

    With ``similarity="manhattan"``, by the L1 distance: ``[8, 2, ?]`` is
    ``5 + 2 = 7`` from the second stored row and ``0 + 6 = 6`` from the
    fourth, but ``25 + 4 = 29`` and ``36`` by the squared distance, under
    which the one large difference outweighs the two moderate ones:

    >>> l1 = HopfieldImputer(separation="max", similarity="manhattan").fit(X)
    >>> l1.transform([[8.0, 2.0, np.nan]]).tolist()
    [[8.0, 2.0, 7.0]]
    >>> nearest.transform([[8.0, 2.0, np.nan]]).tolist()
    [[8.0, 2.0, 3.0]]
    """

    _parameter_constraints: dict = {
        **_BaseImputer._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto", "learn"})],
        "similarity": [StrOptions({"euclidean", "manhattan"})],
        "separation": ModernHopfieldRegressor._parameter_constraints["separation"],
        "entmax_alpha": ModernHopfieldRegressor._parameter_constraints["entmax_alpha"],
        "separation_order": ModernHopfieldRegressor._parameter_constraints[
            "separation_order"
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "copy": ["boolean"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": VERBOSE_CONSTRAINT,
    }

    def __init__(
        self,
        *,
        missing_values=np.nan,
        beta="learn",
        similarity="euclidean",
        separation="softmax",
        entmax_alpha=1.5,
        separation_order=2,
        max_iter=1,
        tol=1e-4,
        copy=True,
        add_indicator=False,
        keep_empty_features=False,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            missing_values=missing_values,
            add_indicator=add_indicator,
            keep_empty_features=keep_empty_features,
        )
        self.beta = beta
        self.similarity = similarity
        self.separation = separation
        self.entmax_alpha = entmax_alpha
        self.separation_order = separation_order
        self.max_iter = max_iter
        self.tol = tol
        self.copy = copy
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _validated(self, X, reset):
        return validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=False,
            dtype=FLOAT_DTYPES,
            ensure_all_finite="allow-nan" if is_scalar_nan(self.missing_values) else True,
            force_writeable=True,
            copy=self.copy,
        )

    def fit(self, X, y=None, sample_weight=None):
        """Store the rows of ``X`` (with their missing entries) and resolve ``beta``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; missing entries are allowed.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            A prior on the stored rows: a row of weight 2 attracts as two
            copies of it.  Rows of weight 0 are not stored.

        Returns
        -------
        self : object
            The fitted imputer.
        """
        self._validate_params()
        X = self._validated(X, reset=True)
        mask = _get_mask(X, self.missing_values)
        self._valid_mask = ~np.all(mask, axis=0)
        super()._fit_indicator(mask)
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        rows = weights > 0
        Xv = np.array(X[rows][:, self._valid_mask], dtype=X.dtype)
        Xv[mask[rows][:, self._valid_mask]] = np.nan
        if Xv.shape[1] == 0 or Xv.shape[0] == 0:
            self.memory_, self.beta_, self.n_iter_ = None, 1.0, 0
            return self
        if self.beta == "learn":
            beta = self._learn_beta(Xv, weights[rows])
        else:
            beta = self.beta
        self.memory_ = ModernHopfieldRegressor(
            beta=beta,
            similarity=self.similarity,
            separation=self.separation,
            entmax_alpha=self.entmax_alpha,
            separation_order=self.separation_order,
            max_iter=self.max_iter,
            tol=self.tol,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        ).fit(Xv, np.zeros(Xv.shape[0]), sample_weight=weights[rows])
        self.beta_ = self.memory_.beta_
        self.n_iter_ = self.memory_.n_iter_
        return self

    def _learn_beta(self, X, weights):
        """``beta="learn"`` (see the class docstring), in the data's units."""
        memory = _make_memory(X, self.similarity, weights)
        auto = ModernHopfieldRegressor(beta="auto")._auto_beta(memory)[1]
        P = X.shape[0]
        groups, n_groups = duplicate_groups(np.where(np.isnan(X), np.inf, X))
        if n_groups < 2:
            return memory.unscale_beta(auto)
        betas = auto * LEARN_GRID
        rows = np.unique(np.linspace(0, P - 1, min(P, LEARN_ROWS)).astype(np.intp))
        shared = {
            "memory": memory,
            "values": readout_values(memory),
            "loss": partial(hidden_error, memory=memory),
            "scores": hidden_scores,
        }
        if n_groups < P:
            shared["groups"] = groups
        itemsize = X.dtype.itemsize
        N = X.shape[1]
        row_bytes = itemsize * (6 * P + 8 * N) + 8 * len(betas) + 9 * P
        separation = make_separation(
            self.separation, self.entmax_alpha, self.separation_order
        )
        losses = batch_retrieve(
            partial(loo_block, betas=betas, separation=separation),
            rows[:, None],
            row_bytes=row_bytes,
            shared=shared,
            owner=(memory, "hidden"),
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            label=f"{type(self).__name__}.fit(beta='learn')",
        )
        w = None if memory.weights is None else memory.weights[rows]
        return memory.unscale_beta(best_beta(losses, betas, w)[0])

    def transform(self, X):
        """Fill the missing entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to complete; observed entries are returned unchanged.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_output_features)
            The features not missing in every training row (all of them with
            ``keep_empty_features``, the empty ones as 0), then the indicator
            with ``add_indicator``.
        """
        check_is_fitted(self)
        X = self._validated(X, reset=False)
        mask = _get_mask(X, self.missing_values)
        valid = self._valid_mask
        X_indicator = super()._transform_indicator(mask)
        Xv = X[:, valid]
        rows = np.flatnonzero(mask[:, valid].any(axis=1))
        if rows.size and self.memory_ is not None:
            Q = np.array(Xv[rows], dtype=X.dtype)
            Q[mask[rows][:, valid]] = np.nan
            Xv[rows] = self.memory_.transform(Q)
        if self.keep_empty_features:
            X[:, valid] = Xv
            X[:, ~valid] = 0
            Xc = X
        else:
            Xc = Xv
        return super()._concatenate_indicator(Xc, X_indicator)

    def get_feature_names_out(self, input_features=None):
        """Output feature names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input features; ``feature_names_in_`` (or ``x0, x1, ...``) when
            None.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The kept features, then the indicator's.
        """
        check_is_fitted(self, "n_features_in_")
        input_features = _check_feature_names_in(self, input_features)
        names = input_features if self.keep_empty_features else input_features[self._valid_mask]
        return self._concatenate_indicator_feature_names_out(names, input_features)
