"""Learned memories: the training loss, its gradient, and the estimator around it.

References not written with the code under test: central differences of the
loss (``scipy.optimize.check_grad`` and our own), a per-row loop over
``scipy.special.logsumexp`` for the loss itself, scikit-learn's
``check_estimator``, and a plain numpy read-out of the learned attributes.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import check_grad
from scipy.special import logsumexp, softmax
from sklearn import config_context
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import skhopfield._core.learned as core
from skhopfield import ModernHopfieldClassifier

SIMILARITIES = ["euclidean", "dot", "cosine"]
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- a naive reference: one row at a time, float64, no tricks ----------------------------
def _unit(A):
    n = np.linalg.norm(A, axis=1, keepdims=True)
    return A / np.where(n == 0, 1, n)


def _ref_logits(q, V, beta, similarity, W):
    u, v = (q, V) if W is None else (W @ q, V @ W.T)
    if similarity == "cosine":
        u, v = _unit(u[None])[0], _unit(v)
    z = v @ u
    if similarity == "euclidean":
        z = -0.5 * ((v - u) ** 2).sum(axis=1)
    if similarity == "manhattan":
        z = -np.abs(v - u).sum(axis=1)
    return beta * z


def _ref_loss(Q, y, V, vy, beta, similarity, W=None, loo=False):
    total, n = 0.0, 0
    for i, q in enumerate(Q):
        a = _ref_logits(q, V, beta, similarity, W)
        keep = np.ones(len(V), bool)
        if loo:
            keep[i] = False
        if not (keep & (vy == y[i])).any():
            continue
        total += logsumexp(a[keep]) - logsumexp(a[keep & (vy == y[i])])
        n += 1
    return total / max(n, 1)


def _problem(seed, n=24, n_features=5, n_patterns=7, n_classes=3, scale=1.0):
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((n, n_features)) * scale
    y = rng.integers(0, n_classes, n)
    V = rng.standard_normal((n_patterns, n_features)) * scale
    vy = np.arange(n_patterns) % n_classes
    W = rng.standard_normal((3, n_features))
    return Q, y, V, vy, W


# -- the loss and its gradient -----------------------------------------------------------
@FEW
@given(
    seed=st.integers(0, 2**31 - 1),
    similarity=st.sampled_from(SIMILARITIES),
    mapped=st.booleans(),
    loo=st.booleans(),
    beta=st.floats(1e-3, 30.0),
    scale=st.sampled_from([0.1, 1.0, 3.0]),
)
def test_loss_matches_a_per_row_reference(seed, similarity, mapped, loo, beta, scale):
    Q, y, V, vy, W = _problem(seed, scale=scale)
    W = W if mapped else None
    if loo:
        V, vy = Q, y
    loss, *_ , n_rows = core.cross_entropy(
        Q, y, V, vy, beta, components=W, similarity=similarity,
        self_index=np.arange(len(Q)) if loo else None,
    )
    expected = _ref_loss(Q, y, V, vy, beta, similarity, W, loo)
    np.testing.assert_allclose(loss, expected, rtol=1e-9, atol=1e-12)


def _flat(Q, y, V, vy, W, similarity, loo, learn_patterns, separation=None):
    """Loss and gradient as functions of one flat vector (patterns, map, log beta)."""
    shapes = [V.shape if learn_patterns else (0,), (0,) if W is None else W.shape, (1,)]
    sizes = [int(np.prod(s)) for s in shapes]

    def split(theta):
        a, b = sizes[0], sizes[0] + sizes[1]
        Vt = theta[:a].reshape(V.shape) if learn_patterns else V
        Wt = None if W is None else theta[a:b].reshape(W.shape)
        return Vt, Wt, np.exp(theta[b])

    def run(theta):
        Vt, Wt, beta = split(theta)
        return core.cross_entropy(
            Q, y, Q if loo else Vt, vy, beta, components=Wt, similarity=similarity,
            self_index=np.arange(len(Q)) if loo else None, working_memory=1e-4,
            separation=separation,
        )

    def f(theta):
        return run(theta)[0]

    def g(theta):
        _, gV, gW, gb, _ = run(theta)
        parts = [gV.ravel()] if learn_patterns else []
        if W is not None:
            parts.append(gW.ravel())
        return np.concatenate(parts + [[gb]])

    parts = [V.ravel()] if learn_patterns else []
    if W is not None:
        parts.append(W.ravel())
    return f, g, np.concatenate(parts + [[0.0]])


@settings(FEW, max_examples=12)
@given(
    seed=st.integers(0, 2**31 - 1),
    similarity=st.sampled_from(SIMILARITIES),
    mapped=st.booleans(),
    loo=st.booleans(),
    log_beta=st.floats(-3.0, 2.0),
)
def test_gradient_matches_finite_differences(seed, similarity, mapped, loo, log_beta):
    Q, y, V, vy, W = _problem(seed)
    W = W if mapped else None
    if loo:
        V, vy = Q, y
    f, g, theta = _flat(Q, y, V, vy, W, similarity, loo, learn_patterns=not loo)
    theta[-1] = log_beta
    # scipy's forward differences, then our own central ones (tighter).
    assert check_grad(f, g, theta, epsilon=1e-7) <= 1e-4 * (1 + np.linalg.norm(g(theta)))
    h = 1e-6
    numeric = np.array([
        (f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)
    ])
    np.testing.assert_allclose(g(theta), numeric, rtol=1e-5, atol=1e-7)


@FEW
@given(
    seed=st.integers(0, 2**31 - 1),
    similarity=st.sampled_from(SIMILARITIES),
    mapped=st.booleans(),
    log_beta=st.floats(-3.0, 2.0),
    alpha=st.floats(1e-4, 1.0),
)
def test_penalty_value_and_gradient(seed, similarity, mapped, log_beta, alpha):
    Q, y, V, vy, W = _problem(seed)
    W = W if mapped else None
    center, scale = Q.mean(axis=0), 2.5
    beta = np.exp(log_beta)
    value, gV, gW, gb = core.penalty(
        V, beta, components=W, similarity=similarity, center=center, scale=scale, alpha=alpha
    )
    # the formula, written out: the logit weights beta W^T W (x - c), one
    # pattern at a time (cosine: unit keys, beta alone)
    D = V - center if similarity == "euclidean" else V
    M = np.eye(V.shape[1]) if W is None else W.T @ W
    norms = [1.0 if similarity == "cosine" else np.sum((M @ d) ** 2) for d in D]
    np.testing.assert_allclose(value, alpha / 2 * scale * beta**2 * np.mean(norms), rtol=1e-12)

    def f(theta):
        Vt = theta[: V.size].reshape(V.shape)
        Wt = None if W is None else theta[V.size : -1].reshape(W.shape)
        return core.penalty(
            Vt, np.exp(theta[-1]), components=Wt, similarity=similarity,
            center=center, scale=scale, alpha=alpha,
        )[0]

    parts = [V.ravel()] + ([] if W is None else [W.ravel()]) + [[log_beta]]
    theta = np.concatenate(parts)
    grad = np.concatenate([gV.ravel()] + ([] if W is None else [gW.ravel()]) + [[gb]])
    h = 1e-6
    numeric = np.array([
        (f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)
    ])
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7 * (1 + abs(value)))


@FEW
@given(
    seed=st.integers(0, 2**31 - 1),
    similarity=st.sampled_from(SIMILARITIES),
    log_s=st.floats(-4.0, 4.0),
)
def test_the_penalized_loss_is_invariant_where_the_logits_are(seed, similarity, log_s):
    # (W, beta) -> (s W, beta / s^2) leaves the euclidean and dot logits
    # unchanged (cosine: W -> s W alone); the penalty must not fall there,
    # or the objective has no minimum.
    Q, y, V, vy, W = _problem(seed)
    s = np.exp(log_s)
    beta, beta_s = 0.7, (0.7 if similarity == "cosine" else 0.7 / s**2)
    kw = dict(similarity=similarity)
    pkw = dict(similarity=similarity, center=Q.mean(axis=0), scale=2.0, alpha=0.1)
    base = core.cross_entropy(Q, y, V, vy, beta, components=W, **kw)[0]
    moved = core.cross_entropy(Q, y, V, vy, beta_s, components=s * W, **kw)[0]
    np.testing.assert_allclose(moved, base, rtol=1e-9)
    r0 = core.penalty(V, beta, components=W, **pkw)[0]
    r1 = core.penalty(V, beta_s, components=s * W, **pkw)[0]
    np.testing.assert_allclose(r1, r0, rtol=1e-9)


def test_a_learned_map_stays_finite_and_moderate_on_wine():
    # Prototypes, a learned beta and a learned map together: the scale of
    # the map is the inverse temperature's, learned once (in W).  Before,
    # the penalty fell without bound along (s W, beta / s^2): wine gave
    # beta_ ~ 1e-8 and max_norm_ ~ 1e6.
    from scipy.optimize import check_grad as _check
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    for Xs in (X, (X - X.mean(0)) / X.std(0)):
        est = ModernHopfieldClassifier(
            prototypes_per_class=2, beta="learn", n_components=5, random_state=0
        ).fit(Xs, y)
        # the logit weights beta W^T W, in units of the data's spread
        A = est.beta_ * est.components_.T @ est.components_
        spread = np.sqrt(Xs.var(axis=0).sum())
        assert np.isfinite(A).all() and np.linalg.norm(A, 2) * spread**2 < 1e3
        mapped_spread = np.sqrt((Xs @ est.components_.T).var(axis=0).sum())
        assert est.max_norm_ < 10 * mapped_spread
    assert est.score(Xs, y) > 0.95  # standardized (raw wine is ill-scaled for L2)
    # the gradient of the objective there, by finite differences
    Xf = (Xs - Xs.mean(0)) / 4
    yi = np.searchsorted(est.classes_, y)
    V0 = (est.patterns_ - Xs.mean(0)) / 4
    vy = np.searchsorted(est.classes_, est.pattern_labels_)
    W0 = est.components_ * 4
    center = Xf.mean(axis=0)

    def f(theta):
        V = theta[: V0.size].reshape(V0.shape)
        W = theta[V0.size:].reshape(W0.shape)
        ce = core.cross_entropy(Xf, yi, V, vy, 0.5, components=W)
        r = core.penalty(V, 0.5, components=W, center=center, scale=3.0, alpha=0.01)
        return ce[0] + r[0], np.r_[(ce[1] + r[1]).ravel(), (ce[2] + r[2]).ravel()]

    theta = np.r_[V0.ravel(), W0.ravel()]
    grad = f(theta)[1]
    err = _check(lambda t: f(t)[0], lambda t: f(t)[1], theta, epsilon=1e-7)
    assert err < 1e-5 * (1 + np.linalg.norm(grad))


def test_the_penalty_restores_accuracy_on_separable_data():
    # Breast cancer is nearly linearly separable: the cross-entropy alone
    # overfits (as unregularized logistic regression does); the default
    # penalty is worth more than a point held out.
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    scores = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for alpha in (0.0, 3e-3):
            est = ModernHopfieldClassifier(
                prototypes_per_class=1, beta="learn", alpha=alpha, random_state=0
            )
            scores[alpha] = cross_val_score(make_pipeline(StandardScaler(), est), X, y, cv=cv)
    assert scores[3e-3].mean() > scores[0.0].mean() + 0.01


def test_loss_and_gradient_do_not_depend_on_the_chunk_size():
    Q, y, V, vy, W = _problem(3, n=300, n_patterns=40)
    results = []
    for wm in (1e-4, 1e-2, None):  # a few rows per chunk .. one chunk
        results.append(core.cross_entropy(
            Q, y, Q, y, 0.8, components=W, self_index=np.arange(len(Q)), working_memory=wm,
        ))
    for other in results[1:]:
        np.testing.assert_allclose(other[0], results[0][0], rtol=1e-12)
        np.testing.assert_allclose(other[2], results[0][2], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(other[3], results[0][3], rtol=1e-10, atol=1e-14)


def test_leave_one_out_skips_rows_alone_in_their_class():
    Q, y, V, vy, W = _problem(0)
    y = y.copy()
    y[0] = 7  # the only row of class 7
    loss, _, _, _, n_rows = core.cross_entropy(Q, y, Q, y, 1.0, self_index=np.arange(len(Q)))
    assert n_rows == len(Q) - 1
    np.testing.assert_allclose(loss, _ref_loss(Q, y, Q, y, 1.0, "euclidean", loo=True))


def test_train_lowers_the_loss_and_respects_max_iter():
    Q, y, V, vy, W = _problem(1, n=60)
    before = core.cross_entropy(Q, y, V, vy, 1.0, components=W)[0]
    V1, W1, beta, n_iter, converged = core.train(
        Q, y, V, vy, 1.0, components=W, max_iter=5
    )
    assert n_iter <= 5 and not converged
    after = core.cross_entropy(Q, y, V1, vy, beta, components=W1)[0]
    assert after < before


# -- the estimator -----------------------------------------------------------------------
@parametrize_with_checks(
    [
        ModernHopfieldClassifier(beta="learn"),
        ModernHopfieldClassifier(prototypes_per_class=2, beta="learn", random_state=0),
        ModernHopfieldClassifier(prototypes_per_class=1, n_components=2, random_state=0),
        ModernHopfieldClassifier(
            prototypes_per_class=3, similarity="cosine", beta="learn", random_state=0
        ),
    ]
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def _blobs(n=300, seed=0):
    X, y = make_blobs(n, n_features=6, centers=9, random_state=seed)
    return X, y % 3  # three classes of three clusters each


def _ref_proba(est, X):
    """predict_proba from the public attributes alone, plain numpy."""
    V, W = est.patterns_, getattr(est, "components_", None)
    cues = X if W is None else X @ W.T
    keys = V if W is None else V @ W.T
    if est.similarity == "cosine":
        cues, keys = _unit(cues), _unit(keys)
    z = cues @ keys.T
    if est.similarity == "euclidean":
        z = z - 0.5 * (keys**2).sum(axis=1)
    if est.similarity == "manhattan":
        z = -np.abs(cues[:, None, :] - keys[None, :, :]).sum(axis=2)
    s = softmax(est.beta_ * z, axis=1)
    onehot = est.pattern_labels_[:, None] == est.classes_[None, :]
    return s @ onehot


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("n_components", [None, 4])
def test_learned_attributes_are_the_memory(similarity, n_components):
    X, y = _blobs()
    est = ModernHopfieldClassifier(
        prototypes_per_class=3, beta="learn", n_components=n_components,
        similarity=similarity, random_state=0,
    ).fit(X, y)
    assert est.patterns_.shape == (9, 6)  # C k d numbers, not the 300 training rows
    assert est.pattern_labels_.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    if n_components:
        assert est.components_.shape == (n_components, 6)
    else:
        assert not hasattr(est, "components_")
    assert 1 <= est.n_iter_ <= est.max_fit_iter
    np.testing.assert_allclose(est.predict_proba(X), _ref_proba(est, X), atol=1e-10)
    assert est.score(X, y) > 0.95


def test_learning_beats_the_class_means_and_matches_knn_on_clustered_classes():
    X_all, y_all = _blobs(600, seed=1)
    X, y, Xt, yt = X_all[1::2], y_all[1::2], X_all[::2], y_all[::2]
    one = ModernHopfieldClassifier(prototypes_per_class=1, beta="learn", random_state=0)
    acc1 = one.fit(X, y).score(Xt, yt)
    acc3 = ModernHopfieldClassifier(
        prototypes_per_class=3, beta="learn", random_state=0
    ).fit(X, y).score(Xt, yt)
    knn = KNeighborsClassifier().fit(X, y).score(Xt, yt)
    # One prototype cannot cover a class of three clusters; three can.
    assert acc3 > acc1 + 0.05
    assert acc3 >= knn - 0.02


def test_same_random_state_same_memory():
    X, y = _blobs()
    params = dict(prototypes_per_class=4, beta="learn", n_components=3, random_state=7)
    a = ModernHopfieldClassifier(**params).fit(X, y)
    b = ModernHopfieldClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(a.patterns_, b.patterns_)
    np.testing.assert_array_equal(a.components_, b.components_)
    assert a.beta_ == b.beta_ and a.n_iter_ == b.n_iter_
    c = ModernHopfieldClassifier(**{**params, "random_state": 8}).fit(X, y)
    assert not np.array_equal(a.patterns_, c.patterns_)


def test_per_class_prototype_counts_and_small_classes():
    X, y = _blobs()
    est = ModernHopfieldClassifier(prototypes_per_class=[1, 2, 3], random_state=0)
    est.fit(X, y)
    assert np.bincount(est.pattern_labels_).tolist() == [1, 2, 3]
    # a class with fewer distinct rows than prototypes gets one per row
    Xs = np.vstack([X, [[50.0] * 6, [51.0] * 6]])
    ys = np.concatenate([y, [5, 5]])
    est = ModernHopfieldClassifier(prototypes_per_class=4, random_state=0).fit(Xs, ys)
    assert np.sum(est.pattern_labels_ == 5) == 2
    with pytest.raises(ValueError, match="one positive int per class"):
        ModernHopfieldClassifier(prototypes_per_class=[1, 2]).fit(X, y)


def test_float32_is_kept():
    X, y = _blobs()
    est = ModernHopfieldClassifier(prototypes_per_class=2, n_components=3, random_state=0)
    est.fit(X.astype(np.float32), y)
    assert est.patterns_.dtype == np.float32 and est.components_.dtype == np.float32
    assert est.transform(X.astype(np.float32)).dtype == np.float32
    assert est.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_convergence_warning_and_n_iter():
    X, y = _blobs()
    est = ModernHopfieldClassifier(prototypes_per_class=3, beta="learn", max_fit_iter=2)
    with pytest.warns(ConvergenceWarning, match="max_fit_iter=2"):
        est.fit(X, y)
    assert est.n_iter_ == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.set_params(max_fit_iter=1000, fit_tol=1e-3).fit(X, y)
    assert est.n_iter_ < 1000


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "breast_cancer"])
def test_the_defaults_converge_with_margin(name):
    # The demo's learned memory (5 per class, beta learned) on the built-in
    # data sets, standardized: training stops by fit_tol, well before
    # max_fit_iter.
    import sklearn.datasets

    X, y = getattr(sklearn.datasets, f"load_{name}")(return_X_y=True)
    X = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = ModernHopfieldClassifier(
            prototypes_per_class=5, beta="learn", random_state=0
        ).fit(X, y)
    assert est.n_iter_ <= est.max_fit_iter / 2


def test_n_components_larger_than_n_features_is_refused():
    X, y = _blobs()
    with pytest.raises(ValueError, match="n_features=6"):
        ModernHopfieldClassifier(n_components=7).fit(X, y)


@pytest.mark.parametrize("similarity", ["euclidean", "manhattan"])
def test_learned_beta_improves_the_leave_one_out_likelihood(similarity):
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    auto = ModernHopfieldClassifier(similarity=similarity).fit(X, y)
    learned = ModernHopfieldClassifier(beta="learn", similarity=similarity).fit(X, y)
    np.testing.assert_array_equal(learned.patterns_, X)  # every row stored
    at = [_ref_loss(X, y, X, y, b, similarity, loo=True) for b in (auto.beta_, learned.beta_)]
    assert at[1] < at[0]
    # a stationary point in beta: nearby values are no better
    for f in (0.9, 1.1):
        assert at[1] <= _ref_loss(X, y, X, y, learned.beta_ * f, similarity, loo=True)


def test_leave_one_out_training_is_bounded_by_working_memory():
    # Every row stored and a map learned: the objective's (n, n) scores are
    # cut into chunks; a tiny budget gives the same fit as a large one.
    X, y = _blobs(200)
    params = dict(beta="learn", n_components=3, max_fit_iter=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with config_context(working_memory=0.01):
            small = ModernHopfieldClassifier(**params).fit(X, y)
        large = ModernHopfieldClassifier(**params).fit(X, y)
    np.testing.assert_allclose(small.components_, large.components_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(small.beta_, large.beta_, rtol=1e-7)


@pytest.mark.parametrize("n_components", [None, 3])
def test_energy_never_rises_with_a_learned_memory(n_components):
    X, y = _blobs()
    est = ModernHopfieldClassifier(
        prototypes_per_class=3, beta="learn", n_components=n_components,
        random_state=0, tol=0.0,
    ).fit(X, y)
    rng = np.random.default_rng(0)
    states = rng.standard_normal((40, 6)) * 5
    energies = [est.energy(states)]
    for _ in range(6):
        states = est.set_params(max_iter=1).transform(states)
        energies.append(est.energy(states))
    energies = np.array(energies)
    scale = 1 + np.abs(energies).max() + est.max_norm_**2
    assert (np.diff(energies, axis=0) <= 1e-10 * scale).all()
    # the states are convex combinations of the stored patterns (input space)
    assert states.shape == (40, 6)


def test_transform_with_a_map_is_attention_over_the_input_space_patterns():
    X, y = _blobs()
    est = ModernHopfieldClassifier(
        prototypes_per_class=2, n_components=2, random_state=0
    ).fit(X, y)
    Q = X[:10] + 0.3
    W, V = est.components_, est.patterns_
    s = softmax(est.beta_ * ((Q @ W.T) @ (V @ W.T).T - 0.5 * ((V @ W.T) ** 2).sum(1)), axis=1)
    np.testing.assert_allclose(est.transform(Q), s @ V, atol=1e-10)


def test_partial_fit_continues_training_and_adds_prototypes_for_new_classes():
    X, y = _blobs(400)
    first = y < 2
    est = ModernHopfieldClassifier(
        prototypes_per_class=2, beta="learn", random_state=0, max_fit_iter=5
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X[first], y[first])
        assert est.pattern_labels_.tolist() == [0, 0, 1, 1]
        before = est.patterns_.copy()
        loss0 = _ref_loss(
            X[first], y[first], before, est.pattern_labels_, est.beta_, "euclidean"
        )
        est.partial_fit(X[first], y[first])  # warm start: from the current memory
        loss1 = _ref_loss(
            X[first], y[first], est.patterns_, est.pattern_labels_, est.beta_, "euclidean"
        )
        assert loss1 < loss0
        est.partial_fit(X[~first], y[~first])  # class 2 is new
    assert est.classes_.tolist() == [0, 1, 2]
    assert est.pattern_labels_.tolist() == [0, 0, 1, 1, 2, 2]
    assert est.score(X[~first], y[~first]) > 0.9


def test_partial_fit_with_every_row_stored_appends_them():
    X, y = _blobs(200)
    est = ModernHopfieldClassifier(beta="learn").fit(X[:100], y[:100])
    est.partial_fit(X[100:], y[100:])
    np.testing.assert_array_equal(est.patterns_, X)
    np.testing.assert_array_equal(est.pattern_labels_, y)


def test_partial_fit_refuses_a_changed_mode():
    X, y = _blobs()
    est = ModernHopfieldClassifier(prototypes_per_class=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="Call fit instead"):
        est.set_params(n_components=2).partial_fit(X, y)
    plain = ModernHopfieldClassifier().fit(X, y)
    with pytest.raises(ValueError, match="Call fit instead"):
        plain.set_params(beta="learn").partial_fit(X, y)


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("exponent", [-480, -20, 20, 480])
def test_training_follows_the_scale_of_the_data_exactly(similarity, exponent):
    # Trained in the batch's own frame (centered, scaled by a power of two):
    # data scaled by 2**e give the same memory scaled by 2**e, beta by
    # 4**-e (cosine: scale free), and the same predictions, at any scale
    # float64 holds.
    X, y = _blobs(150)
    s = 2.0**exponent
    params = dict(
        prototypes_per_class=2, beta="learn", similarity=similarity, random_state=0,
        max_fit_iter=20,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        unit = ModernHopfieldClassifier(**params).fit(X, y)
        big = ModernHopfieldClassifier(**params).fit(X * s, y)
    np.testing.assert_allclose(big.patterns_, unit.patterns_ * s, rtol=1e-12, atol=0)
    expected_beta = unit.beta_ if similarity == "cosine" else unit.beta_ / s**2
    if np.isfinite(expected_beta) and expected_beta > 0:
        np.testing.assert_allclose(big.beta_, expected_beta, rtol=1e-12)
    np.testing.assert_array_equal(big.predict(X * s), unit.predict(X))


def _ref_leave_group_out_loss(X, y, beta):
    """Leave-one-group-out cross-entropy, one row at a time: row ``i`` attends
    to every stored row except those identical to it (itself included)."""
    total, n = 0.0, 0
    for i in range(len(X)):
        keep = ~(X == X[i]).all(axis=1)
        if not (keep & (y == y[i])).any():
            continue
        a = -0.5 * beta * ((X[keep] - X[i]) ** 2).sum(axis=1)
        total += logsumexp(a) - logsumexp(a[y[keep] == y[i]])
        n += 1
    return total / n


def test_learned_beta_leaves_identical_copies_out_with_the_row():
    # Iris has repeated rows; weight k is k stored copies.  A row that saw
    # its twins would reward a huge beta.  Weight 1, weight 2 everywhere,
    # weight 3 everywhere and every row duplicated must give one beta_, the
    # minimizer of the plain leave-one-group-out loss.
    from scipy.optimize import minimize_scalar

    X, y = load_iris(return_X_y=True)
    assert len(np.unique(X, axis=0)) < len(X)
    fits = [
        ModernHopfieldClassifier(beta="learn").fit(X, y),
        ModernHopfieldClassifier(beta="learn").fit(X, y, sample_weight=np.full(len(y), 2)),
        ModernHopfieldClassifier(beta="learn").fit(X, y, sample_weight=np.full(len(y), 3.0)),
        ModernHopfieldClassifier(beta="learn").fit(np.vstack([X, X]), np.r_[y, y]),
    ]
    betas = np.array([f.beta_ for f in fits])
    np.testing.assert_allclose(betas, betas[0], rtol=1e-6)
    ref = minimize_scalar(
        lambda t: _ref_leave_group_out_loss(X, y, np.exp(t)),
        bracket=(np.log(0.1), np.log(100.0)),
        options={"xtol": 1e-10},
    )
    np.testing.assert_allclose(betas[0], np.exp(ref.x), rtol=1e-3)
    # the loss the estimator minimized is the reference's
    loss = core.cross_entropy(
        X, y, X, y, betas[0], self_index=np.arange(len(X)),
        groups=np.unique(X, axis=0, return_inverse=True)[1].ravel(),
    )[0]
    np.testing.assert_allclose(loss, _ref_leave_group_out_loss(X, y, betas[0]), rtol=1e-10)


@FEW
@given(seed=st.integers(0, 2**31 - 1), similarity=st.sampled_from(SIMILARITIES),
       mapped=st.booleans())
def test_leave_one_group_out_gradient_matches_finite_differences(seed, similarity, mapped):
    Q, y, V, vy, W = _problem(seed, n=12)
    Q = np.vstack([Q, Q[:4], Q[:2]])  # copies, some of them twice
    y = np.r_[y, y[:4], y[:2]]
    groups = np.r_[np.arange(12), np.arange(4), np.arange(2)]
    W = W if mapped else None

    def f(theta):
        C = None if W is None else theta[1:].reshape(W.shape)
        return core.cross_entropy(
            Q, y, Q, y, np.exp(theta[0]), components=C, similarity=similarity,
            self_index=np.arange(len(Q)), groups=groups,
        )

    theta = np.r_[0.3, [] if W is None else W.ravel()]
    err = check_grad(
        lambda t: f(t)[0],
        lambda t: np.r_[f(t)[3], [] if W is None else f(t)[2].ravel()],
        theta,
    )
    assert err < 1e-5 * (1 + np.linalg.norm(np.r_[f(theta)[3]]))


def _stream_scores(load, k, batch, seed):
    from sklearn.model_selection import train_test_split

    X, y = load(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    m, s = Xtr.mean(0), np.where(Xtr.std(0) > 0, Xtr.std(0), 1)
    Xtr, Xte = (Xtr - m) / s, (Xte - m) / s
    classes = np.unique(y)
    params = dict(prototypes_per_class=k, beta="learn", random_state=seed)
    full = ModernHopfieldClassifier(**params).fit(Xtr, ytr)
    by_class = ModernHopfieldClassifier(**params)
    for c in classes:  # class-incremental: one class per call
        by_class.partial_fit(Xtr[ytr == c], ytr[ytr == c], classes=classes)
    shuffled = ModernHopfieldClassifier(**params)
    order = np.random.default_rng(seed).permutation(len(ytr))
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        shuffled.partial_fit(Xtr[rows], ytr[rows], classes=classes)
    old = yte != classes[-1]  # the classes the class-incremental stream saw first
    return [
        (est.score(Xte[old], yte[old]), est.score(Xte, yte))
        for est in (full, by_class, shuffled)
    ]


# Measured (3 seeds, 30% test): the old classes' accuracy after a stream is
# within 0.024 of a fit on everything on digits, equal on iris and wine
# (whose classes fit in the rehearsal rows).  Stated margin: 0.05.
STREAM_MARGIN = 0.05


@pytest.mark.parametrize(
    "name, k, batch, seed",
    [("iris", 2, 3, 0), ("iris", 2, 3, 1), ("wine", 2, 10, 0), ("digits", 3, 100, 1)],
)
def test_partial_fit_streams_keep_what_was_learned(name, k, batch, seed):
    # A stream of partial_fit calls, one class per call or shuffled small
    # batches, ends near a fit on everything, on the old classes too:
    # storing new items does not erase the old ones.
    import sklearn.datasets

    load = getattr(sklearn.datasets, f"load_{name}")
    (full_old, full_all), *streams = _stream_scores(load, k, batch, seed)
    for old, everything in streams:
        assert old >= full_old - STREAM_MARGIN
        assert everything >= full_all - STREAM_MARGIN


def test_partial_fit_adds_a_class_without_erasing_the_others():
    # iris fitted on classes 0 and 1, then class 2 alone
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    est = ModernHopfieldClassifier(prototypes_per_class=2, beta="learn", random_state=0)
    est.fit(X[y < 2], y[y < 2])
    assert est.score(X[y < 2], y[y < 2]) == 1.0
    est.partial_fit(X[y == 2], y[y == 2])
    assert est.score(X[y < 2], y[y < 2]) >= 0.95
    assert est.score(X, y) >= 0.9
    np.testing.assert_array_equal(est.class_count_, [50, 50, 50])


def test_rehearsal_rows_are_a_bounded_uniform_sample_per_class():
    from skhopfield._modern_classification import REHEARSAL_ROWS

    X, y = _blobs(3 * REHEARSAL_ROWS + 90)
    est = ModernHopfieldClassifier(prototypes_per_class=1, random_state=0, max_fit_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for start in range(0, len(X), 60):
            est.partial_fit(X[start : start + 60], y[start : start + 60])
    np.testing.assert_array_equal(est.class_count_, np.bincount(y))
    kept = np.bincount(np.asarray(est._rehearsal_y, dtype=int), minlength=3)
    np.testing.assert_array_equal(kept, np.minimum(np.bincount(y), REHEARSAL_ROWS))
    # every kept row is a training row of its class
    for row, label in zip(est._rehearsal_X, est._rehearsal_y):
        assert ((X == row).all(axis=1) & (y == label)).any()


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("scale", [3.0, 1e-3 * np.pi, 7e5])
def test_training_at_other_scales_agrees_to_the_tolerance(similarity, scale):
    # Not a power of two: the same start, not the same L-BFGS-B path.  The
    # documented claim: the same predictions on well-separated classes,
    # beta_ and the patterns within the training's tolerance (measured up
    # to about 10% apart on these blobs).
    X, y = _blobs(150)
    params = dict(prototypes_per_class=2, beta="learn", similarity=similarity, random_state=0)
    unit = ModernHopfieldClassifier(**params).fit(X, y)
    other = ModernHopfieldClassifier(**params).fit(X * scale, y)
    np.testing.assert_array_equal(other.predict(X * scale), unit.predict(X))
    expected_beta = unit.beta_ if similarity == "cosine" else unit.beta_ / scale**2
    np.testing.assert_allclose(other.beta_, expected_beta, rtol=0.25)
    np.testing.assert_allclose(
        other.patterns_ / scale, unit.patterns_, atol=0.25 * np.abs(unit.patterns_).max()
    )


@pytest.mark.parametrize("similarity", ["euclidean", "manhattan"])
@pytest.mark.parametrize("exponent", [-480, 480])
def test_partial_fit_streams_follow_the_scale_of_the_data_exactly(exponent, similarity):
    # batches, memory and rehearsal rows share one power-of-two frame
    # (manhattan: beta follows the scale as 2**-e, not 4**-e)
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    s = 2.0**exponent
    params = dict(prototypes_per_class=2, beta="learn", random_state=0, similarity=similarity)
    unit, scaled = ModernHopfieldClassifier(**params), ModernHopfieldClassifier(**params)
    for rows in [y == 0, y == 1, y == 2, slice(None, None, 7)]:
        unit.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        scaled.partial_fit(X[rows] * s, y[rows], classes=[0, 1, 2])
    np.testing.assert_allclose(scaled.patterns_, unit.patterns_ * s, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(scaled.predict(X * s), unit.predict(X))
    assert unit.score(X, y) > 0.95
    if similarity == "manhattan":
        np.testing.assert_allclose(scaled.beta_, unit.beta_ / s, rtol=1e-12)


# -- similarity="manhattan": z = -||W q - W x||_1, subgradient sign ----------------------
def _far_from_kinks(Q, V, W, loo):
    """The smallest |u_j - v_j| over cue-pattern pairs (pairs left out excluded)."""
    U, K = (Q, V) if W is None else (Q @ W.T, V @ W.T)
    D = np.abs(U[:, None, :] - K[None, :, :])
    if loo:
        D[np.arange(len(Q)), np.arange(len(Q))] = np.inf
    return D.min()


@FEW
@given(
    seed=st.integers(0, 2**31 - 1),
    mapped=st.booleans(),
    loo=st.booleans(),
    beta=st.floats(1e-3, 30.0),
    scale=st.sampled_from([0.1, 1.0, 3.0]),
)
def test_manhattan_loss_matches_a_per_row_reference(seed, mapped, loo, beta, scale):
    Q, y, V, vy, W = _problem(seed, scale=scale)
    W = W if mapped else None
    if loo:
        V, vy = Q, y
    loss = core.cross_entropy(
        Q, y, V, vy, beta, components=W, similarity="manhattan",
        self_index=np.arange(len(Q)) if loo else None,
    )[0]
    expected = _ref_loss(Q, y, V, vy, beta, "manhattan", W, loo)
    np.testing.assert_allclose(loss, expected, rtol=1e-9, atol=1e-12)


@settings(FEW, max_examples=12)
@given(
    seed=st.integers(0, 2**31 - 1),
    mapped=st.booleans(),
    loo=st.booleans(),
    log_beta=st.floats(-3.0, 1.0),
    separation=st.sampled_from([None, "sparsemax", "entmax"]),
)
def test_manhattan_gradient_matches_finite_differences(seed, mapped, loo, log_beta, separation):
    # Away from the kinks of |.| (no coordinate difference within 1e-3 of 0,
    # steps of 1e-6) the loss is differentiable and the subgradient is the
    # gradient; the separations' Fenchel-Young losses are smooth in the scores.
    from hypothesis import assume

    from skhopfield._core.separation import make_separation

    Q, y, V, vy, W = _problem(seed)
    W = W if mapped else None
    if loo:
        V, vy = Q, y
    assume(_far_from_kinks(Q, V, W, loo) > 1e-3)
    sep = None if separation is None else make_separation(separation)
    f, g, theta = _flat(Q, y, V, vy, W, "manhattan", loo, not loo, separation=sep)
    theta[-1] = log_beta
    assert check_grad(f, g, theta, epsilon=1e-7) <= 1e-4 * (1 + np.linalg.norm(g(theta)))
    h = 1e-6
    numeric = np.array([
        (f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)
    ])
    np.testing.assert_allclose(g(theta), numeric, rtol=1e-5, atol=1e-7)


@FEW
@given(
    seed=st.integers(0, 2**31 - 1),
    mapped=st.booleans(),
    log_beta=st.floats(-3.0, 2.0),
    alpha=st.floats(1e-4, 1.0),
    log_s=st.floats(-3.0, 3.0),
)
def test_manhattan_penalty_value_gradient_and_invariance(seed, mapped, log_beta, alpha, log_s):
    from hypothesis import assume

    Q, y, V, vy, W = _problem(seed)
    W = W if mapped else None
    center = Q.mean(axis=0)
    beta = np.exp(log_beta)
    kw = dict(similarity="manhattan", center=center, scale=2.5, alpha=alpha)
    value, gV, gW, gb = core.penalty(V, beta, components=W, **kw)
    # the formula, one pattern at a time: the squared logit at the center
    M = np.eye(V.shape[1]) if W is None else W
    logits = [beta * np.abs(M @ (v - center)).sum() for v in V]
    np.testing.assert_allclose(value, alpha / 2 * np.mean(np.square(logits)), rtol=1e-12)
    assume(np.abs((V - center) @ M.T).min() > 1e-3)

    def f(theta):
        Vt = theta[: V.size].reshape(V.shape)
        Wt = None if W is None else theta[V.size : -1].reshape(W.shape)
        return core.penalty(Vt, np.exp(theta[-1]), components=Wt, **kw)[0]

    theta = np.concatenate([V.ravel()] + ([] if W is None else [W.ravel()]) + [[log_beta]])
    grad = np.concatenate([gV.ravel()] + ([] if W is None else [gW.ravel()]) + [[gb]])
    h = 1e-6
    numeric = np.array([
        (f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)
    ])
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7 * (1 + abs(value)))
    if W is not None:
        # (W, beta) -> (s W, beta / s) leaves the manhattan logits and the
        # penalty alone
        s = np.exp(log_s)
        base = core.cross_entropy(Q, y, V, vy, beta, components=W, similarity="manhattan")[0]
        moved = core.cross_entropy(
            Q, y, V, vy, beta / s, components=s * W, similarity="manhattan"
        )[0]
        np.testing.assert_allclose(moved, base, rtol=1e-9)
        r1 = core.penalty(V, beta / s, components=s * W, **kw)[0]
        np.testing.assert_allclose(r1, value, rtol=1e-9)


@pytest.mark.parametrize("separation", [None, "sparsemax"])
def test_manhattan_training_terminates_and_lowers_the_objective(separation):
    from skhopfield._core.separation import make_separation

    sep = None if separation is None else make_separation(separation)
    Q, y, V, vy, W = _problem(3, n=80)
    kw = dict(similarity="manhattan", separation=sep)
    pkw = dict(center=Q.mean(axis=0), alpha=1e-3)

    def objective(V, W, beta):
        return (core.cross_entropy(Q, y, V, vy, beta, components=W, **kw)[0]
                + core.penalty(V, beta, components=W, similarity="manhattan", **pkw)[0])

    for max_iter in (3, 1000):
        V1, W1, beta, n_iter, _ = core.train(
            Q, y, V, vy, 0.5, components=W, max_iter=max_iter, **kw, **pkw
        )
        assert n_iter <= max_iter
        assert objective(V1, W1, beta) < objective(V, W, 0.5)


def _tailed(n, seed):
    """Two classes of 2-d points; 10% of class 0 far out along x, which
    pulls its mean (the k-means start of one prototype) toward class 1."""
    rng = np.random.default_rng(seed)
    X0 = rng.standard_normal((n, 2)) * [1.0, 0.5]
    X0[: n // 10, 0] += 30.0
    X1 = rng.standard_normal((n, 2)) * [1.0, 0.5] + [4.0, 0.0]
    return np.vstack([X0, X1]), np.repeat([0, 1], n)


@pytest.mark.parametrize("separation", ["softmax", "sparsemax"])
def test_manhattan_learning_beats_its_k_means_start(separation):
    X, y = _tailed(200, 0)
    Xt, yt = _tailed(400, 1)
    est = ModernHopfieldClassifier(
        similarity="manhattan", prototypes_per_class=1, separation=separation,
        random_state=0,
    ).fit(X, y)
    # the start: the class means (k-means of one centre), the "auto" beta
    start = ModernHopfieldClassifier(similarity="manhattan", separation=separation).fit(
        np.array([X[y == 0].mean(0), X[y == 1].mean(0)]), [0, 1]
    )
    acc_start, acc = start.score(Xt, yt), est.score(Xt, yt)
    # (the far 5% of the rows are lost to one prototype per class)
    assert acc > acc_start + 0.05
    assert acc > 0.9


@pytest.mark.parametrize("n_components", [None, 2])
def test_manhattan_learned_memory_reads_out_with_manhattan_scores(n_components):
    X, y = _blobs()
    est = ModernHopfieldClassifier(
        prototypes_per_class=2, n_components=n_components, similarity="manhattan",
        beta="learn", random_state=0,
    ).fit(X, y)
    assert est.patterns_.shape == (6, 6)
    assert est.score(X, y) > 0.9
    Q = X[:20] + 0.3
    proba = _ref_proba(est, Q)
    np.testing.assert_allclose(est.predict_proba(Q), proba, atol=1e-10)
    # transform: one step, the attention over the input-space patterns
    W, V = getattr(est, "components_", None), est.patterns_
    cues, keys = (Q, V) if W is None else (Q @ W.T, V @ W.T)
    s = softmax(-est.beta_ * np.abs(cues[:, None] - keys[None]).sum(2), axis=1)
    np.testing.assert_allclose(est.transform(Q), s @ V, atol=1e-10)


@pytest.mark.parametrize("exponent", [-480, 20, 480])
def test_manhattan_training_follows_the_scale_of_the_data_exactly(exponent):
    # scores scale as the data: beta as 2**-e
    X, y = _blobs(150)
    s = 2.0**exponent
    params = dict(
        prototypes_per_class=2, beta="learn", similarity="manhattan", random_state=0,
        max_fit_iter=20,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        unit = ModernHopfieldClassifier(**params).fit(X, y)
        big = ModernHopfieldClassifier(**params).fit(X * s, y)
    np.testing.assert_allclose(big.patterns_, unit.patterns_ * s, rtol=1e-12, atol=0)
    np.testing.assert_allclose(big.beta_, unit.beta_ / s, rtol=1e-12)
    np.testing.assert_array_equal(big.predict(X * s), unit.predict(X))
