"""Non-Hopfield baselines, to compare the memories with on the same folds.

:class:`GLVQClassifier` is a small, dependency-free Generalized Learning
Vector Quantization classifier.  It lives in its own public module, outside
the top-level namespace, because it is a reference point and not one of the
package's memories.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
)

from ._batch import report
from ._compat import minimize_callback
from ._core.binary import single_threaded_blas
from ._validation import (
    VERBOSE_CONSTRAINT,
    check_label_types,
    drop_zero_weights,
    restore_on_error,
    validate_data,
)

__all__ = ["GLVQClassifier"]

#: With ``verbose >= 2``, :class:`GLVQClassifier` reports the optimizer's
#: progress every this many iterations.
PROGRESS_EVERY = 10


def _squared_distances(X, W):
    """Squared Euclidean distances between the rows of ``X`` and of ``W``."""
    D = (
        np.einsum("ij,ij->i", X, X)[:, None]
        - 2.0 * (X @ W.T)
        + np.einsum("ij,ij->i", W, W)[None, :]
    )
    return np.maximum(D, 0.0, out=D)


def _glvq_cost(W, X, same, transfer, beta, sample_weight=None):
    """GLVQ cost and its gradient with respect to the prototypes.

    Parameters
    ----------
    W : ndarray of shape (n_prototypes, n_features)
        Prototypes.
    X : ndarray of shape (n_samples, n_features)
        Training samples.
    same : ndarray of shape (n_samples, n_prototypes), dtype=bool
        ``same[i, j]`` is True when prototype ``j`` has the label of sample ``i``.
    transfer : {"identity", "sigmoid"}
        Transfer function ``f``.
    beta : float
        Slope of the sigmoid transfer.
    sample_weight : ndarray of shape (n_samples,) or None
        Weights ``s_i`` of the samples' terms; None for all 1.

    Returns
    -------
    cost : float
        ``sum_i s_i f(mu_i) / sum_i s_i`` with ``mu_i = (d+ - d-) / (d+ + d-)``
        (``mean_i f(mu_i)`` without weights).
    grad : ndarray of shape (n_prototypes, n_features)
        Gradient of ``cost`` with respect to ``W``.
    mu : ndarray of shape (n_samples,)
        The relative distance differences.
    """
    n = X.shape[0]
    rows = np.arange(n)
    D = _squared_distances(X, W)
    j_plus = np.argmin(np.where(same, D, np.inf), axis=1)
    j_minus = np.argmin(np.where(same, np.inf, D), axis=1)
    d_plus = D[rows, j_plus]
    d_minus = D[rows, j_minus]
    denom = d_plus + d_minus
    # Both distances are 0 only when x sits on a correct and a wrong prototype
    # at once; mu is then taken as 0 with zero gradient.
    zero = denom <= 0.0
    denom = np.where(zero, 1.0, denom)
    mu = (d_plus - d_minus) / denom
    if transfer == "sigmoid":
        f = expit(beta * mu)
        df = beta * f * (1.0 - f)
    else:
        f = mu
        df = np.ones_like(mu)
    if sample_weight is None:
        df = np.where(zero, 0.0, df) / n
        cost = float(f.mean())
    else:
        p = sample_weight / sample_weight.sum()
        df = np.where(zero, 0.0, df) * p
        cost = float(f @ p)
    a = df * 2.0 * d_minus / denom**2  # dcost/dd+
    b = -df * 2.0 * d_plus / denom**2  # dcost/dd-
    # dd/dw = -2 (x - w): collect the per-sample coefficients per prototype.
    C = np.zeros_like(D)
    C[rows, j_plus] = a
    C[rows, j_minus] = b
    grad = -2.0 * (C.T @ X - C.sum(axis=0)[:, None] * W)
    return cost, grad, mu


def _initial_prototypes(X, y_idx, n_classes, k, jitter, rng, sample_weight=None):
    """Class means plus Gaussian jitter scaled by the per-feature class std.

    Means and standard deviations are weighted by ``sample_weight`` when
    given.  Returns an array of shape (n_classes * k, n_features), grouped
    by class.
    """
    noise = rng.standard_normal((n_classes, k, X.shape[1]))
    W0 = np.empty((n_classes, k, X.shape[1]))
    for c in range(n_classes):
        Xc = X[y_idx == c]
        if sample_weight is None:
            mean, std = Xc.mean(axis=0), Xc.std(axis=0)
        else:
            wc = sample_weight[y_idx == c]
            mean = np.average(Xc, axis=0, weights=wc)
            std = np.sqrt(np.average((Xc - mean) ** 2, axis=0, weights=wc))
        W0[c] = mean + jitter * std * noise[c]
    return W0.reshape(n_classes * k, X.shape[1])


class GLVQClassifier(ClassifierMixin, BaseEstimator):
    """Generalized Learning Vector Quantization (Sato & Yamada 1996).

    A prototype classifier: each class is represented by
    ``prototypes_per_class`` points in input space, and a sample gets the
    label of its nearest prototype (squared Euclidean distance).  The
    prototypes are fitted by minimizing the GLVQ cost

    ``E = 1/n sum_i f(mu_i)``,   ``mu_i = (d+_i - d-_i) / (d+_i + d-_i)``,

    (with sample weights ``s_i``, ``E = sum_i s_i f(mu_i) / sum_i s_i``),

    where ``d+_i`` is the squared distance of ``x_i`` to the nearest prototype
    of its own class and ``d-_i`` to the nearest prototype of any other class.
    ``mu_i`` lies in ``[-1, 1]`` and is negative exactly when ``x_i`` is
    classified correctly.  The cost is minimized with L-BFGS-B on the analytic
    gradient; it is a baseline for the memories of this package, meant for
    comparisons on the same folds.

    Parameters
    ----------
    prototypes_per_class : int, default=1
        Number of prototypes of each class.  More than one lets a class with
        several modes (clusters) be represented.
    transfer : {"identity", "sigmoid"}, default="sigmoid"
        Transfer function ``f`` of the cost.  ``"identity"``: ``f(mu) = mu``.
        ``"sigmoid"``: ``f(mu) = 1 / (1 + exp(-sigmoid_beta * mu))``, which
        with a large slope approaches counting errors.
    sigmoid_beta : float, default=10.0
        Slope of the sigmoid transfer; ignored with ``transfer="identity"``.
    max_iter : int, default=2500
        Maximum number of L-BFGS-B iterations.
    tol : float, default=1e-6
        Tolerance of L-BFGS-B (both on the relative decrease of the cost and
        on the projected gradient).
    initial_jitter : float, default=0.1
        Prototypes start at their class mean plus Gaussian noise with
        standard deviation ``initial_jitter`` times the class's per-feature
        standard deviation.  Needed to separate several prototypes of one
        class; 0 starts them all at the class mean.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial jitter of the prototypes.
    verbose : int, default=0
        Progress messages on standard output; none at 0.  At 1, one line per
        fit with the problem's size, the iterations run, the final cost and
        the time.  At 2 and more, also the optimizer's progress: the cost
        and the fraction of training samples misclassified every
        ``PROGRESS_EVERY`` (10) L-BFGS-B iterations.

    Attributes
    ----------
    prototypes_ : ndarray of shape (n_classes * prototypes_per_class, n_features)
        The fitted prototypes, grouped by class in the order of ``classes_``.
    prototype_labels_ : ndarray of shape (n_classes * prototypes_per_class,)
        Label of each prototype.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_iter_ : int
        Number of L-BFGS-B iterations run.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when ``X`` has string
        feature names.

    See Also
    --------
    sklearn.neighbors.NearestCentroid : One prototype per class, the class mean.
    sklearn.neighbors.KNeighborsClassifier : Every training sample a prototype.

    Notes
    -----
    Distances are plain squared Euclidean distances, so the features should
    be on comparable scales (standardize them, e.g. with
    :class:`~sklearn.preprocessing.StandardScaler`).  The cost is averaged
    rather than summed over the samples, which changes nothing about the
    minimizer but makes ``tol`` independent of the number of samples.  The
    cost is only piecewise differentiable (the nearest prototypes change), and
    it is not convex: the fit finds a local minimum near the initialization.
    Fitting needs at least two classes.

    The default is the sigmoid transfer of the original paper, with a fixed
    slope (Sato & Yamada also raise it during training).  The identity
    transfer rewards large margins of samples already classified correctly
    as much as it penalizes errors, and can trade accuracy for margin: on
    standardized iris with one prototype per class its global minimum
    classifies only about 90% of the training set, while the sigmoid with
    ``sigmoid_beta=10`` reaches about 95-98% held out.

    References
    ----------
    A. Sato, K. Yamada (1996). Generalized learning vector quantization.
    Advances in Neural Information Processing Systems 8, 423-429.

    T. Kohonen (1990). The self-organizing map. Proceedings of the IEEE 78(9).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skhopfield.baselines import GLVQClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, test_size=0.3, stratify=y, random_state=0)
    >>> model = make_pipeline(StandardScaler(), GLVQClassifier(random_state=0))
    >>> model.fit(X_train, y_train).score(X_test, y_test) > 0.9
    True
    >>> model[-1].prototypes_.shape
    (3, 4)
    """

    _parameter_constraints: dict = {
        "prototypes_per_class": [Interval(Integral, 1, None, closed="left")],
        "transfer": [StrOptions({"identity", "sigmoid"})],
        "sigmoid_beta": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "initial_jitter": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": VERBOSE_CONSTRAINT,
    }

    def __init__(
        self,
        prototypes_per_class=1,
        *,
        transfer="sigmoid",
        sigmoid_beta=10.0,
        max_iter=2500,
        tol=1e-6,
        initial_jitter=0.1,
        random_state=None,
        verbose=0,
    ):
        self.prototypes_per_class = prototypes_per_class
        self.transfer = transfer
        self.sigmoid_beta = sigmoid_beta
        self.max_iter = max_iter
        self.tol = tol
        self.initial_jitter = initial_jitter
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit the prototypes.

        A failed fit (invalid input or parameters) raises and leaves the
        classifier as it was: fitted as before, or unfitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.
        y : array-like of shape (n_samples,)
            Class labels: all numbers or all strings (a mix is refused, as
            is NaN); at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample's term of the cost, ``E =
            sum_i s_i f(mu_i) / sum_i s_i``; the prototypes start at the
            weighted class means.  A weight of 2 counts the sample twice; a
            weight of 0 drops it (classes are those of the samples of
            positive weight).

        Returns
        -------
        self : object
            The fitted classifier.
        """
        # the whole fit (initial prototypes, L-BFGS-B) multiplies small
        # matrices: one BLAS thread, no fork-join per product
        with restore_on_error(self), single_threaded_blas():
            return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight=None):
        self._validate_params()
        start = time.perf_counter()
        # np.unique would turn a mix of strings and numbers into strings.
        check_label_types(y)
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        check_classification_targets(y)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        X, y, sample_weight = drop_zero_weights(X, np.asarray(y), sample_weight, first=True)
        if (sample_weight == 1).all():
            sample_weight = None
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError(
                "GLVQClassifier needs samples of at least two classes; got one "
                f"class: {self.classes_[0]!r}."
            )
        W0 = _initial_prototypes(
            X,
            y_idx,
            n_classes,
            self.prototypes_per_class,
            self.initial_jitter,
            check_random_state(self.random_state),
            sample_weight,
        )
        proto_idx = np.repeat(np.arange(n_classes), self.prototypes_per_class)
        same = y_idx[:, None] == proto_idx[None, :]

        shape = W0.shape
        label = f"{type(self).__name__}.fit"

        def fun(w):
            cost, grad, _ = _glvq_cost(
                w.reshape(shape), X, same, self.transfer, self.sigmoid_beta, sample_weight
            )
            return cost, grad.ravel()

        def progress(x, cost):
            progress.nit += 1
            if progress.nit % PROGRESS_EVERY == 0:
                w = x.reshape(shape)
                _, _, mu = _glvq_cost(w, X, same, self.transfer, self.sigmoid_beta)
                report(
                    self.verbose,
                    label,
                    f"iteration {progress.nit}: cost {cost:.6g}, "
                    f"{(mu >= 0).mean():.1%} of training samples misclassified, "
                    f"{time.perf_counter() - start:.2f} s",
                )

        progress.nit = 0
        result = minimize(
            fun,
            W0.ravel(),
            jac=True,
            method="L-BFGS-B",
            tol=self.tol,
            options={"maxiter": self.max_iter},
            callback=minimize_callback(progress, fun) if self.verbose >= 2 else None,
        )
        if result.status == 1:
            warnings.warn(
                f"GLVQClassifier: L-BFGS-B stopped after max_iter={self.max_iter} "
                "iterations without converging; increase max_iter.",
                ConvergenceWarning,
            )
        self.prototypes_ = result.x.reshape(shape)
        self.prototype_labels_ = self.classes_[proto_idx]
        self.n_iter_ = int(result.nit)
        report(
            self.verbose,
            label,
            f"{X.shape[0]} samples x {X.shape[1]} features, {len(proto_idx)} "
            f"prototypes: {self.n_iter_} L-BFGS-B iterations, cost {result.fun:.6g}, "
            f"in {time.perf_counter() - start:.2f} s",
        )
        return self

    def _class_distances(self, X):
        """Squared distance of each sample to the nearest prototype of each class."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        D = _squared_distances(X, self.prototypes_)
        n_classes = self.classes_.shape[0]
        return D.reshape(X.shape[0], n_classes, -1).min(axis=2)

    def decision_function(self, X):
        """Confidence scores: how much nearer the nearest prototype of a class is.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With two classes, ``(d_0 - d_1) / (d_0 + d_1)`` in ``[-1, 1]``,
            ``d_c`` the squared distance to the nearest prototype of
            ``classes_[c]``; positive means ``classes_[1]`` (this is ``-mu``
            for ``classes_[1]``).  With more classes, minus the squared
            distance to the nearest prototype of each class.
        """
        Dc = self._class_distances(X)
        if Dc.shape[1] == 2:
            denom = Dc.sum(axis=1)
            diff = Dc[:, 0] - Dc[:, 1]
            return np.divide(diff, denom, out=np.zeros_like(diff), where=denom > 0)
        return -Dc

    def predict(self, X):
        """Label of the nearest prototype.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels; ties go to the class first in ``classes_``.
        """
        Dc = self._class_distances(X)
        return self.classes_[np.argmin(Dc, axis=1)]
