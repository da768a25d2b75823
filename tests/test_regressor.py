"""Tests of ModernHopfieldRegressor: Nadaraya-Watson read-out of the modern memory.

References: a plain float64 numpy Nadaraya-Watson / attention written here
from the formula, scikit-learn's ``KNeighborsRegressor`` (1-NN at huge beta),
the mean of the targets (tiny beta), a brute-force leave-one-out loop for
``beta="learn"``, and the classifier (same scores, same dynamics).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import softmax
from sklearn import config_context
from sklearn.datasets import load_diabetes
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhopfield import ModernHopfieldClassifier, ModernHopfieldRegressor
from skhopfield._core.loo import LEARN_GRID

SIMILARITIES = ["euclidean", "dot", "cosine"]
FAST = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@parametrize_with_checks(
    [
        ModernHopfieldRegressor(),
        ModernHopfieldRegressor(beta="learn"),
        ModernHopfieldRegressor(beta=20.0, similarity="cosine", max_iter=2),
        ModernHopfieldRegressor(separation="entmax"),
        ModernHopfieldRegressor(beta="learn", separation="sparsemax"),
        ModernHopfieldRegressor(similarity="manhattan", separation="max"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- plain references ------------------------------------------------------------------
def _unit(A):
    return A / np.linalg.norm(A, axis=1, keepdims=True)


def _ref_predict(X, T, Q, beta, similarity="euclidean", n_updates=0):
    """softmax(beta z(xi)) T after ``n_updates`` plain update steps, in float64."""
    X, T, xi = (np.asarray(a, dtype=np.float64) for a in (X, T, Q))
    if similarity == "cosine":
        X, xi = _unit(X), _unit(xi)

    def attention(xi):
        if similarity == "euclidean":
            z = -0.5 * ((xi[:, None, :] - X[None, :, :]) ** 2).sum(-1)
        else:
            z = xi @ X.T
        return softmax(beta * z, axis=1)

    for _ in range(n_updates):
        xi = attention(xi) @ X
    return attention(xi) @ T


def _data(n=80, n_features=5, n_targets=2, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features)) * scale
    A = rng.standard_normal((n_features, n_targets))
    T = np.sin(X / scale @ A) + 0.1 * rng.standard_normal((n, n_targets))
    return X, T


# -- the list ------------------------------------------------------------------
@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_tiny_beta_returns_the_mean_target(similarity):
    X, T = _data()
    Q = _data(n=30, seed=1)[0]
    reg = ModernHopfieldRegressor(beta=1e-9, similarity=similarity).fit(X, T)
    np.testing.assert_allclose(reg.predict(Q), np.broadcast_to(T.mean(0), (30, 2)), atol=1e-6)


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_huge_beta_returns_the_nearest_pairs_target(similarity):
    X, T = _data()
    Q = _data(n=30, seed=1)[0]
    reg = ModernHopfieldRegressor(beta=1e6, similarity=similarity).fit(X, T)
    if similarity == "euclidean":
        knn = KNeighborsRegressor(n_neighbors=1, algorithm="brute").fit(X, T)
        expected = knn.predict(Q)
    else:  # the largest (normalized) dot product
        M, q = (X, Q) if similarity == "dot" else (_unit(X), _unit(Q))
        expected = T[np.argmax(q @ M.T, axis=1)]
    np.testing.assert_allclose(reg.predict(Q), expected, atol=1e-9)
    # and the stored cues themselves
    np.testing.assert_allclose(
        ModernHopfieldRegressor(beta=1e6).fit(X, T).predict(X), T, atol=1e-9
    )


@pytest.mark.parametrize("shape", [(), (1,), (3,)])
def test_multi_output_shapes(shape):
    X, _ = _data()
    rng = np.random.default_rng(2)
    T = rng.standard_normal((len(X),) + shape)
    Q = _data(n=7, seed=1)[0]
    reg = ModernHopfieldRegressor().fit(X, T)
    pred = reg.predict(Q)
    assert pred.shape == (7,) + shape
    assert reg.n_outputs_ == (shape[0] if shape else 1)
    truth = rng.standard_normal((7,) + shape)
    assert reg.score(Q, truth) == pytest.approx(r2_score(truth, pred))


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_float32_is_kept(similarity):
    X, T = _data()
    Q = _data(n=30, seed=1)[0]
    reg = ModernHopfieldRegressor(similarity=similarity, max_iter=2)
    reg.fit(X.astype(np.float32), T)
    for out in (reg.predict(Q.astype(np.float32)), reg.transform(Q.astype(np.float32)),
                reg.energy(Q.astype(np.float32))):
        assert out.dtype == np.float32
    ref = ModernHopfieldRegressor(similarity=similarity, max_iter=2).fit(X, T)
    np.testing.assert_allclose(
        reg.predict(Q.astype(np.float32)), ref.predict(Q), rtol=1e-3, atol=1e-4
    )
    assert reg.predict(Q).dtype == np.float64  # float64 cues compute in float64


@FAST
@given(
    similarity=st.sampled_from(SIMILARITIES),
    log_beta=st.floats(-4, 4),
    log_scale=st.floats(-3, 3),
    n_updates=st.integers(0, 3),
    n=st.integers(1, 40),
    n_features=st.integers(1, 8),
    n_targets=st.integers(1, 3),
    seed=st.integers(0, 2**31 - 1),
)
def test_agrees_with_plain_nadaraya_watson(
    similarity, log_beta, log_scale, n_updates, n, n_features, n_targets, seed
):
    scale = 10.0**log_scale
    X, T = _data(n, n_features, n_targets, seed, scale)
    Q = _data(13, n_features, 1, seed + 1, scale)[0]
    beta = 10.0**log_beta / scale**2 if similarity != "cosine" else 10.0**log_beta
    reg = ModernHopfieldRegressor(
        beta=beta, similarity=similarity, max_iter=n_updates + 1, tol=0.0
    ).fit(X, T)
    expected = _ref_predict(X, T, Q, beta, similarity, n_updates)
    np.testing.assert_allclose(reg.predict(Q), expected, rtol=1e-7, atol=1e-9)


def test_n_jobs_and_chunks_do_not_change_predictions():
    X, T = _data(n=300, n_targets=3)
    Q = _data(n=500, seed=3)[0]
    reg = ModernHopfieldRegressor(max_iter=2).fit(X, T)
    reference = reg.predict(Q)
    with config_context(working_memory=0.01):
        chunked = reg.predict(Q)
        parallel = reg.set_params(n_jobs=2).predict(Q)
    np.testing.assert_allclose(chunked, reference, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(parallel, reference, rtol=1e-12, atol=1e-14)


def test_shares_the_dynamics_and_the_energy_with_the_classifier():
    X, T = _data()
    y = (T[:, 0] > 0).astype(int)
    Q = _data(n=20, seed=1)[0]
    for similarity in SIMILARITIES:
        params = dict(beta=0.7, similarity=similarity, max_iter=3)
        reg = ModernHopfieldRegressor(**params).fit(X, T)
        clf = ModernHopfieldClassifier(**params).fit(X, y)
        np.testing.assert_array_equal(reg.transform(Q), clf.transform(Q))
        np.testing.assert_array_equal(reg.energy(Q), clf.energy(Q))


# -- beta="learn" ----------------------------------------------------------------------
def _brute_loo_beta(X, T, betas):
    """For each beta, leave each stored pair out and predict it from the rest."""
    errors = []
    for beta in betas:
        total = 0.0
        for i in range(len(X)):
            rest = np.arange(len(X)) != i
            pred = _ref_predict(X[rest], T[rest], X[i : i + 1], beta)[0]
            total += ((pred - T[i]) ** 2).sum()
        errors.append(total / len(X))
    return np.array(errors)


def test_learned_beta_minimizes_the_leave_one_out_error():
    X, T = _data(n=40, n_targets=2)
    reg = ModernHopfieldRegressor(beta="learn").fit(X, T)
    auto = ModernHopfieldRegressor().fit(X, T).beta_
    betas = auto * LEARN_GRID
    errors = _brute_loo_beta(X, T, betas)
    assert reg.beta_ == pytest.approx(betas[np.argmin(errors)], rel=1e-12)
    assert errors.min() <= errors[np.argmin(np.abs(betas - auto))]


def test_learned_beta_on_diabetes_beats_auto_out_of_sample():
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    train, test = slice(0, 300), slice(300, None)
    learned = ModernHopfieldRegressor(beta="learn").fit(X[train], y[train])
    auto = ModernHopfieldRegressor().fit(X[train], y[train])
    r2_learned = r2_score(y[test], learned.predict(X[test]))
    assert r2_learned == pytest.approx(learned.score(X[test], y[test]))
    assert r2_learned > auto.score(X[test], y[test])
    assert r2_learned > 0.35


def test_learn_with_one_stored_pair_falls_back_to_auto():
    reg = ModernHopfieldRegressor(beta="learn").fit([[1.0, 2.0]], [3.0])
    assert reg.beta_ == ModernHopfieldRegressor().fit([[1.0, 2.0]], [3.0]).beta_
    assert reg.predict([[0.0, 0.0]]) == pytest.approx([3.0])


# -- errors ----------------------------------------------------------------------------
def test_bad_targets_are_refused():
    X, T = _data()
    with pytest.raises(ValueError, match="NaN"):
        ModernHopfieldRegressor().fit(X, np.where(np.arange(len(X)) == 3, np.nan, 1.0))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ModernHopfieldRegressor().fit(X, T[:-1])
    with pytest.raises(ValueError):
        ModernHopfieldRegressor().fit(X, np.array(["a"] * len(X)))
    reg = ModernHopfieldRegressor().fit(X, T)
    with pytest.raises(ValueError, match="2 targets|2 outputs|shape"):
        reg.partial_fit(X, T[:, 0])


# -- the leave-one-out core, against a brute-force loop ---------------------------------
@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loo_block_matches_brute_force(similarity, dtype):
    from functools import partial

    from skhopfield._core.loo import loo_block, squared_error
    from skhopfield._core.scoring import ModernMemory

    X, T = _data(n=25, n_targets=2, seed=4)
    memory = ModernMemory(X.astype(dtype), similarity)
    values = np.hstack([T, np.ones((len(T), 1))]).astype(dtype)
    betas = np.array([1e-3, 0.1, 1.0, 10.0, 1e3])
    # the kernels take beta in the memory's internal units (its frame)
    internal = np.array([memory.scale_beta(b) for b in betas])
    loss = partial(squared_error, targets=T)
    rows = np.arange(len(X))[:, None]
    # two blocks: the rows of a block must not matter
    kw = dict(memory=memory, values=values, betas=internal, loss=loss)
    got = np.vstack([loo_block(rows[:10], **kw), loo_block(rows[10:], **kw)])
    for k, beta in enumerate(betas):
        for i in range(len(X)):
            rest = np.arange(len(X)) != i
            pred = _ref_predict(X[rest], T[rest], X[i : i + 1], beta, similarity)[0]
            expected = ((pred - T[i]) ** 2).sum()
            tol = 1e-9 if dtype == np.float64 else 1e-3
            assert got[i, k] == pytest.approx(expected, rel=tol, abs=tol)


def test_a_failed_fit_leaves_the_previous_memory():
    X, T = _data()
    Q = _data(n=10, seed=1)[0]
    reg = ModernHopfieldRegressor(beta="learn").fit(X, T)
    before = reg.predict(Q)
    with pytest.raises(ValueError):
        reg.fit(X, np.full(len(X), np.nan))
    with pytest.raises(ValueError):
        reg.partial_fit(X, T[:, :1])
    np.testing.assert_array_equal(reg.predict(Q), before)
    # and patterns_ is a copy, not the caller's array
    X[0] = 1e3
    np.testing.assert_array_equal(reg.predict(Q), before)


def test_learn_verbose_line_names_the_patterns_and_their_features(capsys):
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:120], y[:120]
    ModernHopfieldRegressor(beta="learn", verbose=1).fit(X, y)
    lines = [
        line for line in capsys.readouterr().out.splitlines() if "beta='learn'" in line
    ]
    assert len(lines) == 1
    assert f"{len(X)} rows x {X.shape[1]} features" in lines[0]
    # two targets: the line still counts the patterns' features
    ModernHopfieldRegressor(beta="learn", verbose=1).fit(X, np.c_[y, -y])
    out = capsys.readouterr().out
    assert f"{len(X)} rows x {X.shape[1]} features" in out
