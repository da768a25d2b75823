"""Partial cues (missing entries, NaN) in the modern memories.

References: plain loops over the stored patterns in long double,
scikit-learn's ``nan_euclidean_distances``, and the full-cue path of the
same estimator (which the partial path must leave untouched).
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics.pairwise import nan_euclidean_distances

from skhopfield import ModernHopfieldClassifier, ModernHopfieldRegressor

LD = np.longdouble

pytestmark = pytest.mark.filterwarnings("ignore:The number of unique classes")


def _data(seed, P=30, N=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(P, N))
    y = rng.integers(0, 3, size=P)
    return rng, X, y


def _mask(rng, X, share):
    Q = X.copy()
    Q[rng.random(Q.shape) < share] = np.nan
    return Q


def _attention_loop(X, q, beta, similarity="euclidean", w=None):
    """Marginal attention of one partial cue, one pattern at a time (long double)."""
    o = ~np.isnan(q)
    P = X.shape[0]
    z = np.empty(P, dtype=LD)
    for mu in range(P):
        x, c = X[mu, o].astype(LD), q[o].astype(LD)
        if similarity == "euclidean":
            z[mu] = -0.5 * np.sum((x - c) ** 2)
        elif similarity == "dot":
            z[mu] = np.sum(x * c)
        else:
            nx, nc = np.sqrt(np.sum(x * x)), np.sqrt(np.sum(c * c))
            z[mu] = np.sum(x * c) / (nx * nc) if nx > 0 and nc > 0 else 0
    a = beta * z + (0 if w is None else np.log(np.asarray(w, dtype=LD)))
    a = np.exp(a - a.max())
    return a / a.sum()


def _onehot_fit(X, beta, **kw):
    """A classifier with one class per stored row: predict_proba is the attention."""
    return ModernHopfieldClassifier(beta=beta, **kw).fit(X, np.arange(len(X)))


@pytest.mark.parametrize("similarity", ["euclidean", "dot", "cosine"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_marginal_attention_matches_loop(similarity, dtype):
    rng, X, _ = _data(0)
    Q = _mask(rng, X[:10] + 0.3 * rng.normal(size=(10, X.shape[1])), 0.4)
    est = _onehot_fit(X.astype(dtype), 1.5, similarity=similarity)
    got = est.predict_proba(Q.astype(dtype))
    X_ref = X.astype(dtype).astype(np.float64)
    want = np.array(
        [_attention_loop(X_ref, q, 1.5, similarity) for q in Q.astype(dtype)],
        dtype=np.float64,
    )
    tol = 1e-10 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(got, want, atol=tol, rtol=tol * 10)


def test_first_step_is_conditional_mean_and_clamps_bit_for_bit():
    rng, X, _ = _data(1)
    w = rng.uniform(0.5, 2.0, size=len(X))
    est = ModernHopfieldRegressor(beta=0.7).fit(X, X[:, 0], sample_weight=w)
    Q = _mask(rng, X[:12] * 1.1 + 0.01, 0.5)
    Q[np.isnan(Q).sum(1) == 0, 2] = np.nan
    Q[0] = X[3]  # a complete row among partial ones
    got = est.transform(Q)
    for q, g in zip(Q[1:], got[1:]):
        o = ~np.isnan(q)
        assert np.array_equal(g[o], q[o])  # clamped: bit for bit
        a = _attention_loop(X, q, 0.7, w=w)
        want = (a[:, None] * X.astype(LD)).sum(0)
        np.testing.assert_allclose(g[~o], want[~o].astype(float), rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    beta=st.floats(1e-3, 1e3),
    max_iter=st.integers(1, 4),
    similarity=st.sampled_from(["euclidean", "dot", "cosine"]),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_nothing_missing_is_bit_for_bit_the_full_path(seed, beta, max_iter, similarity, dtype):
    """Complete rows in a call with partial rows come back exactly as alone."""
    rng, X, y = _data(seed)
    X = X.astype(dtype)
    clf = ModernHopfieldClassifier(beta=beta, max_iter=max_iter, similarity=similarity)
    clf.fit(X, y)
    full = (X[:8] + 0.2 * rng.normal(size=(8, X.shape[1]))).astype(dtype)
    mixed = np.vstack([full, _mask(rng, full, 0.5)])
    mixed[8:][np.isnan(mixed[8:]).sum(1) == 0, 0] = np.nan
    for method in ("predict_proba", "transform", "energy"):
        alone = getattr(clf, method)(full)
        together = getattr(clf, method)(mixed)[:8]
        assert np.array_equal(alone, together), method
    reg = ModernHopfieldRegressor(beta=beta, max_iter=max_iter, similarity=similarity)
    reg.fit(X, X[:, 0])
    assert np.array_equal(reg.predict(full), reg.predict(mixed)[:8])
    r = reg.retrieve(mixed)
    r0 = reg.retrieve(full)
    assert np.array_equal(r.n_iter[:8], r0.n_iter)
    assert np.array_equal(r.converged[:8], r0.converged)


@pytest.mark.parametrize("similarity", ["euclidean", "dot", "cosine"])
def test_beta_to_infinity_fills_with_the_nearest_on_observed(similarity):
    rng, X, _ = _data(2, P=40, N=6)
    Q = X[:15] + 0.4 * rng.normal(size=(15, 6))
    for q in Q:  # 3 observed entries: no ties, not even for cosine
        q[rng.choice(6, 3, replace=False)] = np.nan
    est = ModernHopfieldRegressor(beta=1e6, similarity=similarity).fit(X, X[:, 0])
    got = est.transform(Q)
    U = X / np.linalg.norm(X, axis=1, keepdims=True) if similarity == "cosine" else X
    for q, g in zip(Q, got):
        o = ~np.isnan(q)
        # the nearest by a loop over patterns
        if similarity == "euclidean":
            d = [np.sum((x[o] - q[o]) ** 2) for x in X]
            best = int(np.argmin(d))
        elif similarity == "dot":
            best = int(np.argmax([x[o] @ q[o] for x in X]))
        else:
            best = int(np.argmax([x[o] @ q[o] / np.linalg.norm(x[o]) for x in X]))
        np.testing.assert_allclose(g[~o], U[best, ~o], rtol=1e-9, atol=1e-12)


def test_beta_to_zero_fills_with_the_weighted_mean():
    rng, X, y = _data(3)
    w = rng.uniform(0.2, 3.0, size=len(X))
    Q = _mask(rng, X[:10] * 3, 0.5)
    est = ModernHopfieldClassifier(beta=1e-12).fit(X, y, sample_weight=w)
    mean = np.average(X, axis=0, weights=w)
    got = est.transform(Q)
    for q, g in zip(Q, got):
        o = ~np.isnan(q)
        np.testing.assert_allclose(g[~o], mean[~o], rtol=1e-9, atol=1e-12)
    freq = np.bincount(y, weights=w) / w.sum()
    np.testing.assert_allclose(est.predict_proba(Q), np.tile(freq, (len(Q), 1)), rtol=1e-9)


def _energy_ref(X, xi, beta):
    """``-lse(beta, -||x - xi||^2 / 2)`` in long double (the constants dropped)."""
    d = -0.5 * ((X.astype(LD) - xi.astype(LD)) ** 2).sum(1)
    m = d.max()
    return -(m + np.log(np.exp(beta * (d - m)).sum()) / beta)


@pytest.mark.parametrize("beta", [0.3, 3.0, 30.0])
def test_clamped_steps_never_raise_the_energy(beta):
    rng, X, y = _data(4, P=25, N=6)
    Q = _mask(rng, X[:10] + 0.5 * rng.normal(size=(10, 6)), 0.5)
    Q[np.isnan(Q).sum(1) == 0, 1] = np.nan
    prev = None
    for t in range(1, 8):
        est = ModernHopfieldClassifier(beta=beta, max_iter=t, tol=0.0).fit(X, y)
        S = est.transform(Q)
        o = ~np.isnan(Q)
        assert np.array_equal(S[o], Q[o])  # clamped at every step count
        E = np.array([_energy_ref(X, s, beta) for s in S])
        if prev is not None:
            assert np.all(E <= prev + 1e-12 * (1 + np.abs(prev)))
        prev = E


def test_every_entry_missing_is_the_prior():
    rng, X, y = _data(5)
    w = rng.uniform(0.5, 2.0, size=len(X))
    Q = np.full((3, X.shape[1]), np.nan)
    clf = ModernHopfieldClassifier(beta=2.0, max_iter=3).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(
        clf.predict_proba(Q), np.tile(np.bincount(y, weights=w) / w.sum(), (3, 1))
    )
    mean = np.average(X, axis=0, weights=w)
    # the first step fills the mean; later steps descend from it
    one = ModernHopfieldClassifier(beta=2.0).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(one.transform(Q), np.tile(mean, (3, 1)))
    reg = ModernHopfieldRegressor(beta=2.0).fit(X, X[:, :2], sample_weight=w)
    np.testing.assert_allclose(
        reg.predict(Q), np.tile(np.average(X[:, :2], axis=0, weights=w), (3, 1))
    )
    assert np.isfinite(clf.energy(Q)).all()
    assert np.isfinite(clf.transform(Q)).all()


def test_marginal_energy_is_the_full_energy_when_nothing_is_missing():
    rng, X, y = _data(6)
    est = ModernHopfieldClassifier(beta=1.3).fit(X, y)
    Q = X[:5] + 0.1
    from skhopfield._core.masked import masked_energy

    mem = est._memory
    V = mem.internal(Q.copy())
    E = mem.to_data_energy(masked_energy(mem, V, est._scaled_beta), Q.dtype)
    np.testing.assert_allclose(E, est.energy(Q), rtol=1e-10)
    # and the marginal energy of a partial cue is -log of the marginal
    # mixture density over beta, up to the same constant
    q = Q[0].copy()
    q[[1, 3]] = np.nan
    o = ~np.isnan(q)
    d = est.energy(q[None])[0] - est.energy(Q[[0]])[0]
    ref = _energy_ref(X[:, o], q[o], 1.3) - _energy_ref(X, Q[0], 1.3)
    np.testing.assert_allclose(d, float(ref), rtol=1e-9)


def test_stored_missing_entries_follow_nan_euclidean_distances():
    rng, X, _ = _data(7, P=20, N=6)
    Xs = _mask(rng, X, 0.25)
    Xs[np.isnan(Xs).all(1), 0] = 1.0
    Q = _mask(rng, X[:8] + 0.2, 0.3)
    Q[0] = X[0] + 0.1  # complete cue, stored rows incomplete
    beta = 0.8
    est = _onehot_fit(Xs, beta)
    got = est.predict_proba(Q)
    D2 = nan_euclidean_distances(Q, Xs, squared=True)
    N = X.shape[1]
    for i, q in enumerate(Q):
        n_o = np.sum(~np.isnan(q))
        z = -0.5 * D2[i] * n_o / N
        ok = np.isfinite(z)
        a = np.where(ok, np.exp(beta * (np.where(ok, z, 0) - z[ok].max())), 0)
        np.testing.assert_allclose(got[i], a / a.sum(), rtol=1e-9, atol=1e-14)
    # the read-out of a column averages the rows where it is present
    S = ModernHopfieldRegressor(beta=beta).fit(Xs, X[:, 0]).transform(Q)
    for i, q in enumerate(Q):
        a = got[i]
        free = np.isnan(q) if np.isnan(q).any() else np.ones(N, bool)
        for j in np.flatnonzero(free):
            p = ~np.isnan(Xs[:, j])
            want = a[p] @ Xs[p, j] / a[p].sum()
            np.testing.assert_allclose(S[i, j], want, rtol=1e-9)


def test_stored_missing_nearest_is_knn_nearest():
    """beta -> inf against stored NaN rows: the nan_euclidean nearest row."""
    rng, X, _ = _data(8, P=30, N=5)
    Xs = _mask(rng, X, 0.2)
    Xs[np.isnan(Xs).all(1), 0] = 0.0
    Q = _mask(rng, X[:10] + 0.3 * rng.normal(size=(10, 5)), 0.3)
    Q[np.isnan(Q).all(1), 0] = 0.0
    est = _onehot_fit(Xs, 1e7)
    nearest = np.nanargmin(nan_euclidean_distances(Q, Xs), axis=1)
    assert np.array_equal(est.predict(Q), nearest)


def test_partial_fit_and_float32_with_missing_stored_rows():
    rng, X, y = _data(9)
    Xs = _mask(rng, X, 0.2).astype(np.float32)
    clf = ModernHopfieldClassifier(beta=1.0).fit(Xs[:15], y[:15])
    clf.partial_fit(Xs[15:], y[15:])
    full = ModernHopfieldClassifier(beta=1.0).fit(Xs, y)
    Q = _mask(rng, X[:5], 0.3).astype(np.float32)
    p1, p2 = clf.predict_proba(Q), full.predict_proba(Q)
    assert p1.dtype == np.float32
    np.testing.assert_allclose(p1, p2, rtol=1e-5)


def test_missing_entries_refused_where_unsupported():
    rng, X, y = _data(10)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="missing entries"):
        ModernHopfieldClassifier(prototypes_per_class=2).fit(Xn, y)
    learned = ModernHopfieldClassifier(prototypes_per_class=2).fit(X, y)
    with pytest.raises(ValueError, match="missing entries"):
        learned.predict(Xn)
    est = ModernHopfieldClassifier().fit(X, y)
    S = sp.csr_matrix(Xn)
    with pytest.raises(ValueError, match="sparse"):
        est.predict(S)
    Xi = X.copy()
    Xi[0, 0] = np.inf
    with pytest.raises(ValueError):
        est.predict(Xi)
    with pytest.raises(ValueError):
        ModernHopfieldClassifier().fit(Xi, y)


@pytest.mark.parametrize("similarity", ["dot", "cosine"])
def test_stored_missing_entries_dot_and_cosine_score_common_coordinates(similarity):
    rng, X, _ = _data(12, P=20, N=6)
    Xs = _mask(rng, X, 0.25)
    Q = _mask(rng, X[:8] + 0.2, 0.3)
    Q[np.isnan(Q).sum(1) < 2, 0] = np.nan
    got = _onehot_fit(Xs, 2.0, similarity=similarity).predict_proba(Q)
    for i, q in enumerate(Q):
        z = np.full(len(Xs), -np.inf)
        for mu, x in enumerate(Xs):
            c = ~np.isnan(q) & ~np.isnan(x)
            if not c.any():
                continue
            if similarity == "dot":
                z[mu] = x[c] @ q[c]
            else:  # the stored row's direction with missing entries at the column means
                u = np.where(np.isnan(x), np.nanmean(Xs, axis=0), x)
                u = u / np.linalg.norm(u)
                n = np.linalg.norm(u[c]) * np.linalg.norm(q[c])
                z[mu] = u[c] @ q[c] / n if n > 0 else 0.0
        a = np.exp(2.0 * (z - z.max()))
        np.testing.assert_allclose(got[i], a / a.sum(), rtol=1e-9, atol=1e-14)


def test_regressor_learns_beta_on_stored_missing_entries():
    rng, X, _ = _data(13, P=40)
    y = X @ rng.normal(size=X.shape[1])
    Xs = _mask(rng, X, 0.2)
    reg = ModernHopfieldRegressor(beta="learn").fit(Xs, y)
    assert np.isfinite(reg.beta_) and reg.beta_ > 0
    assert np.isfinite(reg.predict(_mask(rng, X, 0.3))).all()
    # copies grouped: every row stored twice learns the same beta
    twice = ModernHopfieldRegressor(beta="learn").fit(np.vstack([Xs, Xs]), np.r_[y, y])
    assert twice.beta_ == pytest.approx(reg.beta_, rel=1e-9)


def test_results_do_not_depend_on_chunking():
    from sklearn import config_context

    rng, X, y = _data(11, P=60, N=8)
    Xs = _mask(rng, X, 0.1)
    Q = _mask(rng, np.vstack([X, X]) + 0.2, 0.3)
    est = ModernHopfieldClassifier(beta=1.0, max_iter=3).fit(Xs, y)
    ref = est.predict_proba(Q)
    with config_context(working_memory=0.01):
        est.set_params(n_jobs=2)
        np.testing.assert_allclose(est.predict_proba(Q), ref, rtol=1e-12)


# -- every separation and the manhattan similarity on partial cues -------------------------
#
# The references: the marginal scores by a loop over the stored rows (the
# observed coordinates of the cue, present in the stored row), in long
# double, then the plain reference separations of test_separation (a
# sort-based simplex projection, bisection entmax, brute-force max).

from test_separation import (  # noqa: E402
    IDS,
    SEPARATIONS,
    check_weight_counts_as_copies,
    ref_alpha,
    ref_conjugate,
    ref_entmax,
    ref_max_entropy,
)

ALL_SEPARATIONS = [("softmax", {})] + SEPARATIONS
ALL_IDS = ["softmax"] + IDS


def _alpha(name, params):
    return 1.0 if name == "softmax" else ref_alpha(name, params)


def _sep_ref(s, alpha):
    """The reference separation of one row of scores (``-inf``: weight 0);
    a row with no finite score is the prior (uniform)."""
    s = np.asarray(s, dtype=LD)
    if not np.isfinite(s).any():
        return np.full(s.shape, 1 / LD(s.size))
    if alpha == 1.0:
        e = np.exp(s - s[np.isfinite(s)].max())
        return e / e.sum()
    return ref_entmax(s, alpha)


def _scores_loop(Xs, q, similarity):
    """Marginal scores ``z`` of the partial cue ``q`` (long double), a loop
    over the stored rows ``Xs`` (NaN allowed): over the coordinates observed
    in ``q`` and present in the row, a distance scaled up by the share
    ``n_o / n_common`` (as nan_euclidean); ``-inf`` with none in common."""
    o = ~np.isnan(q)
    z = np.full(len(Xs), -np.inf, dtype=LD)
    for mu, x in enumerate(Xs):
        c = o & ~np.isnan(x)
        if not c.any():
            continue
        xc, qc = x[c].astype(LD), q[c].astype(LD)
        share = LD(int(o.sum())) / LD(int(c.sum()))
        if similarity == "euclidean":
            z[mu] = -0.5 * np.sum((xc - qc) ** 2) * share
        elif similarity == "manhattan":
            z[mu] = -np.sum(np.abs(xc - qc)) * share
        else:  # dot
            z[mu] = np.sum(xc * qc)
    return z


def _fill_loop(Xs, q, s, p, alpha):
    """The read-out of the missing entries of ``q`` from the attention ``p``
    (scores ``s``): each column averages the stored rows where it is
    present; where ``p`` gives all of them weight 0, the separation of their
    scores alone."""
    out = q.astype(LD)
    for j in np.flatnonzero(np.isnan(q)):
        here = ~np.isnan(Xs[:, j])
        w = p[here]
        if not w.sum() > 0:
            w = _sep_ref(s[here], alpha)
        out[j] = w @ Xs[here, j].astype(LD) / w.sum()
    return out


def _partial_case(seed, stored_missing, P=25, N=6, n=10):
    rng, X, _ = _data(seed, P=P, N=N)
    Xs = _mask(rng, X, 0.2) if stored_missing else X.copy()
    Xs[np.isnan(Xs).all(1), 0] = 0.5
    Q = _mask(rng, X[:n] + 0.4 * rng.normal(size=(n, N)), 0.35)
    Q[np.isnan(Q).sum(1) == 0, 1] = np.nan  # every cue partial
    Q[np.isnan(Q).all(1), 2] = 0.1
    return rng, Xs, Q


@pytest.mark.parametrize("name, params", ALL_SEPARATIONS, ids=ALL_IDS)
@pytest.mark.parametrize("similarity", ["euclidean", "manhattan", "dot"])
@pytest.mark.parametrize("stored_missing", [False, True])
def test_partial_cues_every_separation_match_a_loop(name, params, similarity, stored_missing):
    rng, Xs, Q = _partial_case(20, stored_missing)
    alpha = _alpha(name, params)
    beta = 0.9 if similarity != "dot" else 0.6
    kw = dict(beta=beta, similarity=similarity, separation=name, **params)
    clf = _onehot_fit(Xs, **kw)
    T = rng.normal(size=(len(Xs), 2))
    reg = ModernHopfieldRegressor(**kw).fit(Xs, T)
    S = np.array([LD(beta) * _scores_loop(Xs, q, similarity) for q in Q])
    W = np.array([_sep_ref(s, alpha) for s in S])
    Wf = W.astype(np.float64)
    np.testing.assert_allclose(clf.predict_proba(Q), Wf, atol=1e-11)
    np.testing.assert_allclose(reg.predict(Q), (W @ T.astype(LD)).astype(float), atol=1e-10)
    weights, idx = reg.kpatterns(Q, n_patterns=len(Xs))
    full = np.zeros_like(Wf)
    np.put_along_axis(full, idx, weights, axis=1)
    np.testing.assert_allclose(full, Wf, atol=1e-11)
    assert (np.diff(weights, axis=1) <= 0).all()
    # transform (one step): the clamped read-out of the missing entries
    got = reg.transform(Q)
    want = np.array([_fill_loop(Xs, q, s, w, alpha) for q, s, w in zip(Q, S, W)])
    np.testing.assert_allclose(got, want.astype(float), rtol=1e-9, atol=1e-10)
    o = ~np.isnan(Q)
    assert np.array_equal(got[o], Q[o])  # observed entries bit for bit
    if name != "softmax":
        assert (Wf == 0).any()  # sparse: exact zeros on partial cues too


@pytest.mark.parametrize("name, params", ALL_SEPARATIONS, ids=ALL_IDS)
@pytest.mark.parametrize("similarity", ["euclidean", "dot"])
@pytest.mark.parametrize("beta", [0.05, 0.8, 20.0])
def test_partial_energy_every_separation_matches_and_clamped_steps_descend(
    name, params, similarity, beta
):
    """The marginal energy is the Hopfield-Fenchel-Young energy of the
    marginal scores (long double loop); the clamped update never raises the
    energy of the filled state."""
    rng, X, y = _data(21, P=20, N=6)
    Q = _mask(rng, X[:8] + 0.5 * rng.normal(size=(8, 6)), 0.4)
    Q[np.isnan(Q).sum(1) == 0, 1] = np.nan
    alpha = _alpha(name, params)
    kw = dict(beta=beta, similarity=similarity, separation=name, **params)
    est = ModernHopfieldClassifier(**kw).fit(X, y)
    b = LD(est.beta_)
    H = np.log(LD(len(X))) if alpha == 1.0 else ref_max_entropy(len(X), alpha)

    def conj(s):
        if alpha == 1.0:
            m = s.max()
            return m + np.log(np.exp(s - m).sum())
        return ref_conjugate(s, alpha)

    def energy(S):
        E = []
        for q in S:
            z = _scores_loop(X, q, similarity)
            e = -conj(b * z) / b + H / b + LD(est.max_norm_) ** 2 / 2
            if similarity == "dot":
                e += np.nansum(q.astype(LD) ** 2) / 2
            E.append(e)
        return np.array(E)

    E0 = energy(Q)
    np.testing.assert_allclose(est.energy(Q), E0.astype(float), rtol=1e-9, atol=1e-9)
    prev = None
    o = ~np.isnan(Q)
    for t in range(1, 7):
        state = est.set_params(max_iter=t, tol=0.0).fit(X, y).transform(Q)
        assert np.array_equal(state[o], Q[o])
        E = energy(state)
        if prev is not None:
            assert np.all(E <= prev + LD(1e-11) * (1 + np.abs(prev)))
        prev = E


@pytest.mark.parametrize("name, params", ALL_SEPARATIONS, ids=ALL_IDS)
@pytest.mark.parametrize("similarity", ["euclidean", "manhattan", "cosine"])
def test_partial_rows_leave_complete_rows_bit_for_bit(name, params, similarity):
    rng, X, y = _data(22)
    kw = dict(beta=1.1, max_iter=3, similarity=similarity, separation=name, **params)
    clf = ModernHopfieldClassifier(**kw).fit(X, y)
    full = X[:8] + 0.2 * rng.normal(size=(8, X.shape[1]))
    mixed = np.vstack([full, _mask(rng, full, 0.5)])
    mixed[8:][np.isnan(mixed[8:]).sum(1) == 0, 0] = np.nan
    methods = ["predict_proba", "transform"] + (["energy"] if similarity != "manhattan" else [])
    for method in methods:
        alone = getattr(clf, method)(full)
        together = getattr(clf, method)(mixed)
        assert np.array_equal(alone, together[:8]), method
        assert np.isfinite(together).all()
    w0, i0 = clf.kpatterns(full, 4)
    w1, i1 = clf.kpatterns(mixed, 4)
    assert np.array_equal(w0, w1[:8]) and np.array_equal(i0, i1[:8])


def test_manhattan_partial_energy_is_refused():
    rng, X, y = _data(23)
    Q = _mask(rng, X[:4], 0.4)
    est = ModernHopfieldClassifier(similarity="manhattan", separation="sparsemax").fit(X, y)
    with pytest.raises(ValueError, match="no energy"):
        est.energy(Q)
    assert est.__sklearn_tags__().input_tags.allow_nan
    # stored rows with missing entries are taken too
    Xs = _mask(rng, X, 0.2)
    Xs[np.isnan(Xs).all(1), 0] = 0.0
    fitted = ModernHopfieldClassifier(similarity="manhattan", separation="max").fit(Xs, y)
    assert np.isfinite(fitted.predict_proba(Q)).all()


@pytest.mark.parametrize("name, params", SEPARATIONS, ids=IDS)
def test_partial_weight_counts_as_copies(name, params):
    """A stored row of weight 2 is the row stored twice, on partial cues,
    for every separation (copies, not a log prior)."""
    rng, Xs, Q = _partial_case(24, stored_missing=True, P=12)
    y = rng.integers(0, 3, size=len(Xs))
    w = rng.integers(1, 4, size=len(Xs)).astype(float)
    kw = dict(beta=0.8, separation=name, **params)
    check_weight_counts_as_copies(Xs, y, Q, w, kw)
    # every entry missing: the prior, i.e. the weighted mean target
    T = rng.normal(size=len(Xs))
    a = ModernHopfieldRegressor(**kw).fit(Xs, T, sample_weight=w)
    empty = np.full((2, Xs.shape[1]), np.nan)
    np.testing.assert_allclose(a.predict(empty), np.average(T, weights=w), rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    sep=st.sampled_from(["softmax", "sparsemax", "entmax", "polynomial", "max"]),
    entmax_alpha=st.floats(1.05, 2.0),
    order=st.floats(1.0, 6.0),
    log_beta=st.floats(-3, 3),
    similarity=st.sampled_from(["euclidean", "manhattan"]),
    stored_missing=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_partial_cues_any_separation_beta_and_dtype(
    seed, sep, entmax_alpha, order, log_beta, similarity, stored_missing, dtype
):
    params = {"entmax_alpha": entmax_alpha, "separation_order": order}
    alpha = _alpha(sep, {"entmax_alpha": entmax_alpha, "separation_order": order})
    rng, Xs, Q = _partial_case(seed, stored_missing, P=15, n=6)
    Xs, Q = Xs.astype(dtype), Q.astype(dtype)
    beta = 10.0**log_beta
    est = _onehot_fit(Xs, beta, similarity=similarity, separation=sep, **params)
    proba = est.predict_proba(Q)
    eps = np.finfo(dtype).eps
    assert proba.dtype == dtype and np.isfinite(proba).all()
    assert np.abs(proba.sum(axis=1) - 1).max() <= 50 * eps
    X64, Q64 = Xs.astype(np.float64), Q.astype(np.float64)
    S = np.array([LD(est.beta_) * _scores_loop(X64, q, similarity) for q in Q64])
    W = np.array([_sep_ref(s, alpha) for s in S]).astype(float)
    # the scores rounded to the dtype: about eps * |scores| each
    tol = 300 * eps * max(1.0, float(np.abs(S[np.isfinite(S)]).max()))
    if math.isinf(alpha):  # the argmax may flip where scores tie within that
        top2 = np.sort(np.where(np.isfinite(S), S, -1e300).astype(float), axis=1)[:, -2:]
        ok = (top2[:, 1] - top2[:, 0]) > tol
        np.testing.assert_allclose(proba[ok], W[ok], atol=tol)
    else:
        np.testing.assert_allclose(proba, W, atol=tol)
    states = est.transform(Q)
    assert states.dtype == dtype and np.isfinite(states).all()
    o = ~np.isnan(Q)
    assert np.array_equal(states[o], Q[o])


@pytest.mark.parametrize("name, params", ALL_SEPARATIONS, ids=ALL_IDS)
@pytest.mark.parametrize("similarity", ["euclidean", "manhattan"])
def test_partial_separation_results_do_not_depend_on_chunks_or_jobs(name, params, similarity):
    from sklearn import config_context

    rng, Xs, Q = _partial_case(25, stored_missing=True, P=60, n=40)
    Q = np.vstack([Q, Xs[:20] + 0.1])  # and complete cues against stored NaN
    kw = dict(beta=1.0, max_iter=3, similarity=similarity, separation=name, **params)
    est = ModernHopfieldRegressor(**kw).fit(Xs, rng.normal(size=len(Xs)))
    ref = (est.predict(Q), est.transform(Q), est.kpatterns(Q, 4))
    with config_context(working_memory=0.002):
        est.set_params(n_jobs=2)
        got = (est.predict(Q), est.transform(Q), est.kpatterns(Q, 4))
    # (up to the rounding of the products, which BLAS may block differently
    # for chunks of other sizes; three steps carry it along)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(got[2][1], ref[2][1])
    np.testing.assert_allclose(got[2][0], ref[2][0], atol=1e-12)
