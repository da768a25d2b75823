"""Tests of skhopfield.baselines.GLVQClassifier."""

import warnings

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.datasets import load_digits, load_iris, load_wine, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhopfield.baselines import GLVQClassifier, _glvq_cost, _initial_prototypes

XOR_CENTERS = [(-3, -3), (3, 3), (-3, 3), (3, -3)]


def _cost_args(X, y, prototype_labels):
    return X, y[:, None] == prototype_labels[None, :]


def _xor(n, seed):
    """Two classes of two blobs each, at opposite corners of a square."""
    X, blob = make_blobs(n, centers=XOR_CENTERS, cluster_std=0.7, random_state=seed)
    return X, np.where(blob < 2, "diag", "anti")


@pytest.mark.parametrize("transfer", ["identity", "sigmoid"])
@pytest.mark.parametrize("prototypes_per_class", [1, 3])
def test_gradient_matches_finite_differences(transfer, prototypes_per_class):
    rng = np.random.default_rng(0)
    n_classes, n_features = 3, 5
    X = rng.normal(size=(60, n_features))
    y = rng.integers(0, n_classes, size=60)
    labels = np.repeat(np.arange(n_classes), prototypes_per_class)
    X, same = _cost_args(X, y, labels)
    shape = (labels.size, n_features)

    def cost(w):
        return _glvq_cost(w.reshape(shape), X, same, transfer, 3.0)[0]

    def grad(w):
        return _glvq_cost(w.reshape(shape), X, same, transfer, 3.0)[1].ravel()

    for _ in range(3):
        w = rng.normal(size=shape).ravel()
        g = grad(w)
        assert np.linalg.norm(g) > 1e-3  # not trivially zero
        err = check_grad(cost, grad, w, epsilon=1e-7)
        assert err < 1e-5 * max(1.0, np.linalg.norm(g))


def test_cost_mu_matches_definition():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    y = rng.integers(0, 2, size=20)
    W = rng.normal(size=(4, 3))
    labels = np.array([0, 0, 1, 1])
    _, same = _cost_args(X, y, labels)
    cost, _, mu = _glvq_cost(W, X, same, "identity", 1.0)
    D = ((X[:, None, :] - W[None, :, :]) ** 2).sum(axis=2)
    d_plus = np.where(same, D, np.inf).min(axis=1)
    d_minus = np.where(same, np.inf, D).min(axis=1)
    np.testing.assert_allclose(mu, (d_plus - d_minus) / (d_plus + d_minus))
    assert cost == pytest.approx(mu.mean())
    # mu < 0 exactly when the nearest prototype has the right label
    correct = labels[D.argmin(axis=1)] == y
    np.testing.assert_array_equal(mu < 0, correct)
    sig_cost = _glvq_cost(W, X, same, "sigmoid", 2.0)[0]
    assert sig_cost == pytest.approx(np.mean(1 / (1 + np.exp(-2.0 * mu))))


def test_cost_guards_zero_distances():
    # A sample sitting on a correct and a wrong prototype at once: d+ = d- = 0.
    X = np.zeros((2, 2))
    X[1] = 1.0
    y = np.array([0, 1])
    W = np.zeros((2, 2))
    _, same = _cost_args(X, y, np.array([0, 1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for transfer in ("identity", "sigmoid"):
            cost, grad, mu = _glvq_cost(W, X, same, transfer, 50.0)
            assert np.isfinite(cost) and np.all(np.isfinite(grad))
            assert np.all(mu == 0)
    # Fitting on data where everything coincides does not warn or fail.
    clf = GLVQClassifier().fit(np.zeros((4, 3)), [0, 0, 1, 1])
    assert np.all(np.isfinite(clf.prototypes_))


def test_initial_prototypes_are_jittered_class_means():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3)) * [1.0, 10.0, 0.0] + [0.0, 5.0, 2.0]
    y_idx = np.repeat([0, 1], 25)
    means = np.array([X[:25].mean(axis=0), X[25:].mean(axis=0)])
    W0 = _initial_prototypes(X, y_idx, 2, 4, 0.0, np.random.RandomState(0))
    np.testing.assert_allclose(W0, np.repeat(means, 4, axis=0))
    W1 = _initial_prototypes(X, y_idx, 2, 4, 0.1, np.random.RandomState(0))
    offsets = (W1 - np.repeat(means, 4, axis=0)).reshape(2, 4, 3)
    assert np.all(offsets[:, :, :2] != 0)  # jittered, the 4 of a class apart
    np.testing.assert_array_equal(offsets[:, :, 2], 0)  # constant feature: no jitter
    # The jitter follows each feature's spread: scaling a feature scales it.
    X_scaled = X * [1.0, 1000.0, 1.0]
    W2 = _initial_prototypes(X_scaled, y_idx, 2, 4, 0.1, np.random.RandomState(0))
    np.testing.assert_allclose(W2, W1 * [1.0, 1000.0, 1.0])


@pytest.mark.parametrize("transfer", ["identity", "sigmoid"])
def test_fit_decreases_cost_from_class_means(transfer):
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = GLVQClassifier(transfer=transfer, initial_jitter=0.0).fit(X, y)
    means = np.array([X[y == c].mean(axis=0) for c in clf.classes_])
    _, same = _cost_args(X, y, clf.prototype_labels_)
    start = _glvq_cost(means, X, same, transfer, clf.sigmoid_beta)[0]
    end = _glvq_cost(clf.prototypes_, X, same, transfer, clf.sigmoid_beta)[0]
    assert end < start - 1e-3
    assert clf.n_iter_ >= 1


@pytest.mark.parametrize(
    "loader, min_accuracy",
    [(load_iris, 0.9), (load_wine, 0.9), (load_digits, 0.9)],
    ids=["iris", "wine", "digits"],
)
def test_accuracy_on_held_out_split(loader, min_accuracy):
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    model = make_pipeline(StandardScaler(), GLVQClassifier(random_state=0))
    assert model.fit(X_train, y_train).score(X_test, y_test) >= min_accuracy


def test_separable_blobs_are_classified_perfectly():
    X, y = make_blobs(300, centers=4, cluster_std=0.5, random_state=3)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    clf = GLVQClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_train, y_train) == 1.0
    assert clf.score(X_test, y_test) == 1.0


@pytest.mark.parametrize("transfer", ["identity", "sigmoid"])
def test_more_prototypes_represent_multimodal_classes(transfer):
    X, y = _xor(400, seed=0)
    X_test, y_test = _xor(400, seed=1)
    one = GLVQClassifier(1, transfer=transfer, random_state=0).fit(X, y)
    two = GLVQClassifier(2, transfer=transfer, random_state=0).fit(X, y)
    # One prototype per class can get at most three of the four blobs right.
    assert one.score(X_test, y_test) <= 0.8
    assert two.score(X_test, y_test) >= 0.98
    assert two.prototypes_.shape == (4, 2)
    # The prototypes of a class have moved apart, into different blobs.
    for label in two.classes_:
        a, b = two.prototypes_[two.prototype_labels_ == label]
        assert np.linalg.norm(a - b) > 4.0


def test_string_labels_and_fitted_attributes():
    X, y = make_blobs(90, centers=3, n_features=4, random_state=0)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = GLVQClassifier(prototypes_per_class=2, random_state=0).fit(X, names)
    np.testing.assert_array_equal(clf.classes_, np.unique(names))
    np.testing.assert_array_equal(clf.prototype_labels_, np.repeat(clf.classes_, 2))
    assert clf.prototypes_.shape == (6, 4)
    assert clf.n_features_in_ == 4
    assert isinstance(clf.n_iter_, int)
    pred = clf.predict(X)
    assert pred.dtype == names.dtype
    assert np.mean(pred == names) == 1.0
    # predict is the label of the nearest prototype
    D = ((X[:, None, :] - clf.prototypes_[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(pred, clf.prototype_labels_[D.argmin(axis=1)])


def test_decision_function_agrees_with_predict():
    X, y = make_blobs(120, centers=3, cluster_std=3.0, random_state=1)
    multi = GLVQClassifier(random_state=0).fit(X, y)
    scores = multi.decision_function(X)
    assert scores.shape == (120, 3)
    np.testing.assert_array_equal(
        multi.classes_[scores.argmax(axis=1)], multi.predict(X)
    )
    yb = np.where(y == 0, "no", "yes")
    binary = GLVQClassifier(random_state=0).fit(X, yb)
    scores = binary.decision_function(X)
    assert scores.shape == (120,)
    assert np.all(np.abs(scores) <= 1.0)
    np.testing.assert_array_equal(
        np.where(scores > 0, binary.classes_[1], binary.classes_[0]), binary.predict(X)
    )


def test_random_state_makes_fit_deterministic():
    X, y = _xor(200, seed=2)
    a = GLVQClassifier(2, random_state=7).fit(X, y)
    b = GLVQClassifier(2, random_state=7).fit(X, y)
    c = GLVQClassifier(2, random_state=8).fit(X, y)
    np.testing.assert_array_equal(a.prototypes_, b.prototypes_)
    assert a.n_iter_ == b.n_iter_
    assert not np.array_equal(a.prototypes_, c.prototypes_)


def test_max_iter_reached_warns():
    X, y = load_iris(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        clf = GLVQClassifier(max_iter=1, random_state=0).fit(X, y)
    assert clf.n_iter_ == 1


@pytest.mark.parametrize(
    "params, match",
    [
        ({"prototypes_per_class": 0}, "prototypes_per_class"),
        ({"transfer": "relu"}, "transfer"),
        ({"sigmoid_beta": 0.0}, "sigmoid_beta"),
        ({"max_iter": 0}, "max_iter"),
        ({"initial_jitter": -1.0}, "initial_jitter"),
    ],
)
def test_bad_parameters_raise(params, match):
    X, y = make_blobs(30, centers=2, random_state=0)
    with pytest.raises(ValueError, match=match):
        GLVQClassifier(**params).fit(X, y)


def test_bad_input_raises():
    X, y = make_blobs(30, centers=2, n_features=3, random_state=0)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GLVQClassifier().fit(X_nan, y)
    clf = GLVQClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(X_nan)
    with pytest.raises(ValueError, match="one class"):
        GLVQClassifier().fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="Unknown label type"):
        GLVQClassifier().fit(X, np.linspace(0, 1, 30))


@parametrize_with_checks(
    [GLVQClassifier(), GLVQClassifier(2, transfer="identity", random_state=0)]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
