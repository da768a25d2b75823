"""The separation functions of the modern memories, Manhattan similarity and
``kpatterns``.

Every separation is checked against references written here, plainly and
independently of the library: a sort-based simplex projection for
sparsemax (Held et al. 1974; Duchi et al. 2008; Martins & Astudillo 2016),
a bisection in long double for entmax, the brute-force argmax for ``"max"``;
their energies (long double) never rise over update steps; retrieval is
exact in one step under the margin condition of Santos et al. (ICML 2024);
and the limits: entmax -> softmax as alpha -> 1, entmax = sparsemax at alpha
= 2, max = 1-nearest-neighbour.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from sklearn import config_context
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhopfield import ModernHopfieldClassifier, ModernHopfieldRegressor
from skhopfield._core import learned
from skhopfield._core.scoring import ModernMemory, SparseModernMemory
from skhopfield._core.separation import make_separation

LD = np.longdouble
SEPARATIONS = [
    ("sparsemax", {}),
    ("entmax", {"entmax_alpha": 1.5}),
    ("entmax", {"entmax_alpha": 1.25}),
    ("polynomial", {"separation_order": 3}),
    ("max", {}),
]
IDS = ["sparsemax", "entmax1.5", "entmax1.25", "polynomial3", "max"]


# -- references (plain loops, long double) ---------------------------------------------


def ref_alpha(name, params):
    if name == "sparsemax":
        return 2.0
    if name == "entmax":
        return params.get("entmax_alpha", 1.5)
    if name == "polynomial":
        return 1.0 + 1.0 / params.get("separation_order", 2)
    return math.inf


def ref_sparsemax(s):
    """Euclidean projection of one row onto the simplex, by sorting."""
    s = np.asarray(s, dtype=LD)
    u = sorted((float(v) for v in s if np.isfinite(v)), reverse=True)
    u = np.array(u, dtype=LD)
    total, tau = LD(0), None
    for k in range(1, len(u) + 1):
        total += u[k - 1]
        if 1 + k * u[k - 1] > total:
            tau = (total - 1) / k
    return np.maximum(s - tau, 0)


def ref_entmax(s, alpha):
    """alpha-entmax of one row by bisection on the threshold, long double."""
    if alpha == 2.0:
        return ref_sparsemax(s)
    if math.isinf(alpha):
        s = np.asarray(s, dtype=LD)
        p = (s == s.max()).astype(LD)
        return p / p.sum()
    s = np.asarray(s, dtype=LD)
    X = LD(alpha - 1) * (s - s.max())
    lo, hi = LD(-1), LD(0)
    for _ in range(200):
        mid = (lo + hi) / 2
        total = sum(max(x - mid, LD(0)) ** LD(1 / (alpha - 1)) for x in X if np.isfinite(x))
        if total >= 1:
            lo = mid
        else:
            hi = mid
    p = np.array([max(x - lo, LD(0)) ** LD(1 / (alpha - 1)) if np.isfinite(x) else LD(0)
                  for x in X])
    return p / p.sum()


def ref_conjugate(s, alpha):
    """Omega*(s) = <p, s> - Omega(p) at p = sep(s) (Tsallis), long double."""
    s = np.asarray(s, dtype=LD)
    p = ref_entmax(s, alpha)
    inner = sum(pi * si for pi, si in zip(p, s) if pi > 0)
    if math.isinf(alpha):
        return inner
    return inner - (np.sum(p ** LD(alpha)) - 1) / LD(alpha * (alpha - 1))


def ref_max_entropy(P, alpha):
    if math.isinf(alpha):
        return LD(0)
    return (1 - LD(P) ** LD(1 - alpha)) / LD(alpha * (alpha - 1))


def sq_dist(A, B):
    A, B = np.asarray(A, dtype=LD), np.asarray(B, dtype=LD)
    return np.array([[np.sum((a - b) ** 2) for b in B] for a in A])


def ref_weights(est, Q, alpha):
    """The attention of the estimator's stored patterns for cues ``Q``, from
    long-double distances (euclidean) and the reference separation."""
    S = -LD(est.beta_) * sq_dist(Q, est.patterns_) / 2
    return np.array([ref_entmax(s, alpha) for s in S])


def make_data(seed, P=30, N=6, n=12, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(P, N)) * scale
    y = rng.integers(0, 3, size=P)
    Q = rng.normal(size=(n, N)) * scale
    return X, y, Q


# -- the functions themselves -------------------------------------------------------------


@pytest.mark.parametrize("name, params", SEPARATIONS, ids=IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    scale=st.floats(1e-3, 1e3),
    P=st.integers(1, 40),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_separation_matches_reference(name, params, seed, scale, P, dtype):
    rng = np.random.default_rng(seed)
    A = (rng.normal(size=(7, P)) * scale).astype(dtype)
    A[0] = A[0, 0]  # a row of ties
    alpha = ref_alpha(name, params)
    sep = make_separation(name, **{k.replace("separation_", ""): v for k, v in params.items()})
    p = sep(A.copy())
    assert p.dtype == dtype
    eps = np.finfo(dtype).eps
    for a, row in zip(A, p):
        expected = ref_entmax(a.astype(np.float64), alpha)
        # scores rounded to the dtype shift the weights by eps * |scores|
        tol = 50 * eps * max(1.0, float(np.abs(a).max()) * (1 if math.isinf(alpha) else 1))
        np.testing.assert_allclose(row, expected.astype(np.float64), atol=tol, rtol=0)
        assert row.min() >= 0
        assert abs(float(row.sum()) - 1) <= 20 * eps


def ref_weighted_entmax(s, alpha, w):
    """Weighted alpha-entmax of one row, ``p_j = w_j [(alpha - 1) s_j -
    tau]_+^(1 / (alpha - 1))``, by 300 bisection steps on ``tau`` in long
    double (``-inf`` entries get 0), then normalized."""
    X = [LD(alpha - 1) * (LD(v) - LD(max(s))) if np.isfinite(v) else None for v in s]
    power = LD(1) / LD(alpha - 1)

    def weights(tau):
        return [LD(wj) * max(x - tau, LD(0)) ** power if x is not None else LD(0)
                for x, wj in zip(X, w)]

    lo, hi = LD(-1) - LD(max(w)) ** LD(alpha - 1), LD(0)
    for _ in range(300):
        mid = (lo + hi) / 2
        if sum(weights(mid)) >= 1:
            lo = mid
        else:
            hi = mid
    p = np.array(weights(lo), dtype=LD)
    return p / p.sum()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    alpha=st.one_of(st.floats(1.01, 2.0), st.sampled_from([1.1, 1.2, 1.25, 4 / 3, 1.75])),
    seed=st.integers(0, 2**31),
    scale=st.floats(1e-3, 1e3),
    P=st.integers(1, 30),
    dtype=st.sampled_from([np.float32, np.float64]),
    ties=st.booleans(),
    left_out=st.booleans(),
    weighted=st.booleans(),
)
def test_entmax_any_alpha_matches_bisection(alpha, seed, scale, P, dtype, ties,
                                           left_out, weighted):
    """The threshold by Newton steps (any alpha but 3/2 and 2), with ties,
    -inf entries and pattern weights, against a long-double bisection."""
    rng = np.random.default_rng(seed)
    A = (rng.normal(size=(6, P)) * scale).astype(dtype)
    if ties:
        A[0] = A[0, 0]
        A[1, : P // 2] = A[1].max()
    if left_out and P > 1:
        A[2:, rng.integers(1, P, size=2)] = -np.inf  # column 0 stays finite
    w = rng.uniform(0.2, 3.0, size=P) if weighted else np.ones(P)
    sep = make_separation("entmax", entmax_alpha=alpha)
    p = sep(A.copy(), w.astype(dtype) if weighted else None)
    assert p.dtype == dtype
    eps = np.finfo(dtype).eps
    for a, row in zip(A, p):
        expected = ref_weighted_entmax(a.astype(np.float64), alpha, w).astype(np.float64)
        finite = a[np.isfinite(a)]
        tol = 50 * eps * max(1.0, float(np.abs(finite).max())) * max(1.0, float(w.max()))
        np.testing.assert_allclose(row, expected, atol=tol, rtol=0)
        assert row.min() >= 0 and np.all(row[~np.isfinite(a)] == 0)
        assert abs(float(row.sum()) - 1) <= 20 * eps


@pytest.mark.parametrize("alpha", [1.25, 4 / 3, 1.5, 1.75])
@pytest.mark.parametrize("spread", [0.3, 30.0])  # most / few scores are candidates
@pytest.mark.parametrize("offset", [0.0, 1e6])  # rows far from 0: the shift rounds
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_entmax_few_or_many_candidates_matches_bisection(alpha, spread, offset, dtype):
    """Rows with few candidates (gathered by index) and with many (whole
    rows) against a long-double bisection, also where the rows sit far
    from 0 (the candidates' bound then allows for the shift's rounding)."""
    rng = np.random.default_rng(7)
    A = rng.normal(size=(5, 400)) * spread
    A[:, :3] = A.max(axis=1, keepdims=True) - [0.0, 0.5, 1.0]  # a close runner-up
    A = (A + offset).astype(dtype)
    p = make_separation("entmax", entmax_alpha=alpha)(A.copy())
    eps = np.finfo(dtype).eps
    for a, row in zip(A, p):
        # the reference takes the rounded scores' exact differences
        shifted = a.astype(np.float64) - float(a.max())
        expected = ref_entmax(shifted, alpha).astype(np.float64)
        tol = 100 * eps * max(1.0, float(np.abs(shifted).max()))
        np.testing.assert_allclose(row, expected, atol=tol, rtol=0)
        assert abs(float(row.sum()) - 1) <= 20 * eps


def test_make_separation_takes_the_estimator_names():
    assert make_separation("softmax") is None
    assert make_separation("polynomial", order=1).alpha == 2.0
    assert make_separation("entmax", entmax_alpha=2.0) == make_separation("sparsemax")


# -- the estimators: every method honours the separation --------------------------------


@pytest.mark.parametrize("name, params", SEPARATIONS, ids=IDS)
def test_predict_proba_and_kpatterns_match_reference(name, params):
    X, y, Q = make_data(0)
    est = ModernHopfieldClassifier(beta=0.7, separation=name, **params).fit(X, y)
    W = ref_weights(est, Q, ref_alpha(name, params)).astype(np.float64)
    onehot = (y[:, None] == est.classes_[None, :]).astype(float)
    proba = est.predict_proba(Q)
    np.testing.assert_allclose(proba, W @ onehot, atol=1e-12)
    assert (proba == 0).any() or name == "entmax"  # sparse: exact zeros
    np.testing.assert_array_equal(est.predict(Q), est.classes_[np.argmax(W @ onehot, 1)])
    weights, idx = est.kpatterns(Q, n_patterns=X.shape[0])
    full = np.zeros_like(W)
    np.put_along_axis(full, idx, weights, axis=1)
    np.testing.assert_allclose(full, W, atol=1e-12)
    assert (np.diff(weights, axis=1) <= 0).all()
    # order = by decreasing score: the distances increase along each row
    d = np.take_along_axis(cdist(Q, X, "sqeuclidean"), idx, axis=1)
    assert (np.diff(d, axis=1) >= -1e-12).all()
    # support: exactly the nonzero reference weights, first
    k = 5
    w5, i5 = est.kpatterns(Q, n_patterns=k)
    for row, (w, i) in enumerate(zip(w5, i5)):
        support = np.flatnonzero(W[row] > 0)
        m = min(k, support.size)
        assert set(i[:m]) <= set(support)
        assert (w[m:] == 0).all()


@pytest.mark.parametrize("name, params", SEPARATIONS, ids=IDS)
def test_regressor_predicts_reference_weighted_targets(name, params):
    X, _, Q = make_data(1)
    T = np.random.default_rng(2).normal(size=(X.shape[0], 2))
    est = ModernHopfieldRegressor(beta=0.5, separation=name, **params).fit(X, T)
    W = ref_weights(est, Q, ref_alpha(name, params)).astype(np.float64)
    np.testing.assert_allclose(est.predict(Q), W @ T, atol=1e-12)


@pytest.mark.parametrize("name, params", SEPARATIONS, ids=IDS)
def test_transform_is_the_reference_update(name, params):
    X, y, Q = make_data(3)
    est = ModernHopfieldClassifier(beta=0.6, separation=name, **params).fit(X, y)
    W = ref_weights(est, Q, ref_alpha(name, params))
    np.testing.assert_allclose(
        est.transform(Q), (W @ np.asarray(X, dtype=LD)).astype(float), atol=1e-12
    )


@pytest.mark.parametrize("name, params", SEPARATIONS, ids=IDS)
@pytest.mark.parametrize("beta", [1e-3, 0.3, 5.0])
def test_energy_is_the_fenchel_young_energy_and_never_rises(name, params, beta):
    """E = -Omega*(-beta ||x - xi||^2 / 2) / beta + H / beta + M^2 / 2
    (translation invariant form), in long double; no update step raises it."""
    X, y, Q = make_data(4, P=25, n=8)
    alpha = ref_alpha(name, params)
    est = ModernHopfieldClassifier(beta=beta, separation=name, **params).fit(X, y)
    H = ref_max_entropy(X.shape[0], alpha)

    def ref_energy(S):
        D = sq_dist(S, X)
        b = LD(est.beta_)
        conj = np.array([ref_conjugate(-b * d / 2, alpha) for d in D])
        return -conj / b + H / b + LD(est.max_norm_) ** 2 / 2

    state = Q.copy()
    E = ref_energy(state)
    np.testing.assert_allclose(est.energy(state), E.astype(float), rtol=1e-9, atol=1e-9)
    for _ in range(6):
        state = est.transform(state)
        E_next = ref_energy(state)
        assert (E_next <= E + LD(1e-12) * (1 + abs(E))).all()
        E = E_next
    assert (E >= -1e-12).all()


@pytest.mark.parametrize("alpha", [1.25, 1.5, 2.0])
def test_exact_one_step_retrieval_under_the_margin(alpha):
    """Santos et al. (2024): with a margin ``beta (z_mu - max_{nu != mu} z_nu)
    >= 1 / (alpha - 1)`` the update lands exactly on ``x^mu``; just below it
    does not, and softmax never does."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(20, 8))
    y = np.arange(20) % 2
    mu = 7
    q = X[mu] + 0.3 * rng.normal(size=8)
    z = -np.sum((X - q) ** 2, axis=1) / 2  # scores up to a constant
    assert np.argmax(z) == mu
    gap = z[mu] - np.max(np.delete(z, mu))
    beta_min = 1.0 / ((alpha - 1) * gap)
    kw = {"separation": "entmax", "entmax_alpha": alpha}
    at = ModernHopfieldClassifier(beta=1.01 * beta_min, **kw).fit(X, y)
    out = at.transform(q[None])
    np.testing.assert_allclose(out[0], X[mu], rtol=0, atol=1e-14)
    w, i = at.kpatterns(q[None], 3)
    assert i[0, 0] == mu and w[0, 0] == 1.0 and (w[0, 1:] == 0).all()
    below = ModernHopfieldClassifier(beta=0.98 * beta_min, **kw).fit(X, y)
    w, _ = below.kpatterns(q[None], 2)
    assert 0 < w[0, 1] and w[0, 0] < 1
    soft = ModernHopfieldClassifier(beta=1.01 * beta_min).fit(X, y)
    assert np.abs(soft.transform(q[None])[0] - X[mu]).max() > 1e-6


def test_softmax_path_is_unchanged(monkeypatch):
    """``separation="softmax"`` never reaches the separation hook: the
    kernel's own softmax code runs, bit for bit, as before."""
    X, y, Q = make_data(6)

    def refuse(*args, **kwargs):  # pragma: no cover - must not run
        raise AssertionError("the softmax path reached the separation hook")

    monkeypatch.setattr(ModernMemory, "_separated", refuse)
    monkeypatch.setattr("skhopfield._core.separation.Separation.__call__", refuse)
    a = ModernHopfieldClassifier(beta=0.8).fit(X, y)
    b = ModernHopfieldClassifier(beta=0.8, separation="softmax").fit(X, y)
    for method in ("predict_proba", "transform", "energy"):
        np.testing.assert_array_equal(getattr(a, method)(Q), getattr(b, method)(Q))
    # and equal to the kernel called directly
    mem = ModernMemory(X, "euclidean")
    cues = mem.start(Q)
    onehot = (y[:, None] == a.classes_[None, :]).astype(float)
    direct = mem.class_scores(cues, a._scaled_beta, onehot)
    np.testing.assert_array_equal(
        a.predict_proba(Q), direct / direct.sum(axis=1, keepdims=True)
    )


# -- limits ---------------------------------------------------------------------------


def test_entmax_tends_to_softmax_as_alpha_tends_to_one():
    X, y, Q = make_data(7)
    soft = ModernHopfieldClassifier(beta=0.4).fit(X, y).predict_proba(Q)
    errs = [
        np.abs(
            ModernHopfieldClassifier(beta=0.4, separation="entmax", entmax_alpha=a)
            .fit(X, y)
            .predict_proba(Q)
            - soft
        ).max()
        for a in (1.5, 1.1, 1.01, 1.001)
    ]
    assert all(e2 < e1 for e1, e2 in zip(errs, errs[1:]))
    assert errs[-1] < 2e-3


def test_entmax_at_two_is_sparsemax_and_polynomial_one():
    X, y, Q = make_data(8)
    outs = [
        ModernHopfieldClassifier(beta=0.9, **kw).fit(X, y).predict_proba(Q)
        for kw in (
            {"separation": "sparsemax"},
            {"separation": "entmax", "entmax_alpha": 2.0},
            {"separation": "polynomial", "separation_order": 1},
        )
    ]
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


@pytest.mark.parametrize("similarity, metric", [("euclidean", "euclidean"),
                                                ("manhattan", "manhattan")])
def test_max_is_one_nearest_neighbour(similarity, metric):
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X) + 1e-6 * np.random.default_rng(0).normal(
        size=X.shape
    )  # no exact distance ties
    est = ModernHopfieldClassifier(similarity=similarity, separation="max")
    knn = KNeighborsClassifier(n_neighbors=1, metric=metric)
    est.fit(X[::2], y[::2])
    knn.fit(X[::2], y[::2])
    np.testing.assert_array_equal(est.predict(X[1::2]), knn.predict(X[1::2]))
    _, idx = est.kpatterns(X[1::2], 1)
    np.testing.assert_array_equal(idx[:, 0], knn.kneighbors(X[1::2], 1)[1][:, 0])


# -- numerics: beta range, float32, scales -----------------------------------------------


@pytest.mark.parametrize("name, params", SEPARATIONS, ids=IDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    log_beta=st.floats(-6, 6),
    log_scale=st.floats(-8, 8),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 1000),
)
def test_any_beta_scale_and_dtype(name, params, log_beta, log_scale, dtype, seed):
    """Any beta in [1e-6, 1e6] in the units of data scaled by 10**log_scale
    (beta scaled to match): the weights are those of the data at scale 1."""
    X, y, Q = make_data(seed, P=15, n=6)
    scale = 10.0**log_scale
    beta = 10.0**log_beta
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = ModernHopfieldClassifier(
            beta=beta / scale**2, separation=name, **params
        ).fit((X * scale).astype(dtype), y)
        proba = est.predict_proba((Q * scale).astype(dtype))
        weights, idx = est.kpatterns((Q * scale).astype(dtype), X.shape[0])
    assert proba.dtype == dtype and np.isfinite(proba).all()
    eps = np.finfo(dtype).eps
    assert np.abs(proba.sum(axis=1) - 1).max() <= 50 * eps
    full = np.zeros(weights.shape)
    np.put_along_axis(full, idx, weights.astype(float), axis=1)
    S = -LD(beta) * sq_dist(Q, X) / 2
    W = np.array([ref_entmax(s, ref_alpha(name, params)) for s in S]).astype(float)
    # rounding X, Q to the dtype moves the scores by about eps * beta * |scores|
    spread = float(np.abs(S).max())
    tol = 200 * eps * max(1.0, spread)
    if math.isinf(ref_alpha(name, params)):
        # the argmax may flip where scores tie within that rounding
        close = np.sort(S.astype(float), axis=1)
        ok = (close[:, -1] - close[:, -2]) > tol
        np.testing.assert_allclose(full[ok], W[ok], atol=tol)
    else:
        np.testing.assert_allclose(full, W, atol=tol)


def test_results_do_not_depend_on_chunks_or_jobs():
    X, y, Q = make_data(9, P=60, n=50)
    est = ModernHopfieldClassifier(beta=0.5, separation="entmax", entmax_alpha=1.3)
    est.fit(X, y)
    ref = (est.predict_proba(Q), est.transform(Q), est.kpatterns(Q, 4))
    with config_context(working_memory=0.004):
        est.set_params(n_jobs=2)
        got = (est.predict_proba(Q), est.transform(Q), est.kpatterns(Q, 4))
    np.testing.assert_allclose(got[0], ref[0], atol=1e-15)
    np.testing.assert_allclose(got[1], ref[1], atol=1e-14)
    np.testing.assert_array_equal(got[2][1], ref[2][1])
    np.testing.assert_allclose(got[2][0], ref[2][0], atol=1e-15)


def test_sparse_input_matches_dense():
    X, y, Q = make_data(10)
    X[np.abs(X) < 0.5] = 0
    Q[np.abs(Q) < 0.5] = 0
    for name in ("sparsemax", "max"):
        dense = ModernHopfieldClassifier(beta=0.5, separation=name).fit(X, y)
        csr = ModernHopfieldClassifier(beta=0.5, separation=name).fit(sp.csr_matrix(X), y)
        np.testing.assert_allclose(
            csr.predict_proba(sp.csr_matrix(Q)), dense.predict_proba(Q), atol=1e-12
        )


# -- Manhattan similarity ------------------------------------------------------------------


@pytest.mark.parametrize("name, params", [("softmax", {})] + SEPARATIONS,
                         ids=["softmax"] + IDS)
def test_manhattan_attention_is_negative_l1(name, params):
    X, y, Q = make_data(11, scale=3.0)
    X += 100.0  # far from the origin: the frame keeps the digits
    Q += 100.0
    est = ModernHopfieldClassifier(beta=0.4, similarity="manhattan", separation=name,
                                   **params).fit(X, y)
    D = np.array([[sum(abs(LD(a) - LD(b)) for a, b in zip(q, x)) for x in X] for q in Q])
    S = -LD(0.4) * D
    if name == "softmax":
        E = np.exp(S - S.max(axis=1, keepdims=True))
        W = E / E.sum(axis=1, keepdims=True)
    else:
        W = np.array([ref_entmax(s, ref_alpha(name, params)) for s in S])
    W = W.astype(float)
    onehot = (y[:, None] == est.classes_[None, :]).astype(float)
    np.testing.assert_allclose(est.predict_proba(Q), W @ onehot, atol=1e-12)
    np.testing.assert_allclose(est.transform(Q), W @ X, rtol=1e-12)
    with config_context(working_memory=0.002):
        np.testing.assert_allclose(est.predict_proba(Q), W @ onehot, atol=1e-12)


def test_manhattan_refuses_what_it_cannot_do():
    X, y, Q = make_data(12)
    est = ModernHopfieldClassifier(similarity="manhattan").fit(X, y)
    with pytest.raises(ValueError, match="no energy"):
        est.energy(Q)
    with pytest.raises(ValueError, match="dense"):
        SparseModernMemory(sp.csr_matrix(X), "manhattan")
    # sparse stored patterns are densified
    dense = ModernHopfieldClassifier(similarity="manhattan").fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.predict_proba(Q), est.predict_proba(Q), atol=1e-14)
    # sparse cues are densified per tile against dense patterns
    np.testing.assert_allclose(est.predict_proba(sp.csr_matrix(Q)), est.predict_proba(Q))


def test_manhattan_auto_beta_follows_the_scale():
    X, y, Q = make_data(13)
    a = ModernHopfieldClassifier(similarity="manhattan").fit(X, y)
    b = ModernHopfieldClassifier(similarity="manhattan").fit(X * 1024.0, y)
    assert b.beta_ == pytest.approx(a.beta_ / 1024.0, rel=1e-12)
    np.testing.assert_allclose(b.predict_proba(Q * 1024.0), a.predict_proba(Q), atol=1e-12)


# -- learning with Fenchel-Young losses ---------------------------------------------------


@pytest.mark.parametrize("name, params", SEPARATIONS, ids=IDS)
def test_fenchel_young_gradient_matches_finite_differences(name, params):
    rng = np.random.default_rng(14)
    Q = rng.normal(size=(20, 3))
    y = rng.integers(0, 3, size=20)
    V = rng.normal(size=(6, 3))
    v_y = np.array([0, 0, 1, 1, 2, 2])
    sep = make_separation(name, **{k.replace("separation_", ""): v for k, v in params.items()})
    beta = 1.3

    def f(V_, b):
        return learned.cross_entropy(Q, y, V_, v_y, b, separation=sep)

    loss, gV, _, gb, _ = f(V, beta)
    assert np.isfinite(loss) and loss >= 0
    h = 1e-6
    num = np.zeros_like(V)
    for i in range(V.shape[0]):
        for j in range(V.shape[1]):
            E = np.zeros_like(V)
            E[i, j] = h
            num[i, j] = (f(V + E, beta)[0] - f(V - E, beta)[0]) / (2 * h)
    num_b = (f(V, beta * math.exp(h))[0] - f(V, beta * math.exp(-h))[0]) / (2 * h)
    # "max" is piecewise linear: the finite difference is exact away from kinks
    np.testing.assert_allclose(gV, num, atol=1e-6)
    assert gb == pytest.approx(num_b, abs=1e-6)


def test_sparsemax_loss_is_finite_where_cross_entropy_is_not():
    """A row whose class gets weight exactly 0: the sparsemax loss is
    ``Omega*(s) - s_y`` (one pattern per class), finite; its class
    probability is 0, whose cross-entropy would be infinite."""
    V = np.array([[0.0], [10.0]])
    Q = np.array([[0.0]])
    y = np.array([1])
    sep = make_separation("sparsemax")
    loss = learned.cross_entropy(Q, y, V, np.array([0, 1]), 1.0, separation=sep)[0]
    s = -((Q - V.T) ** 2) / 2  # scores up to a row constant
    assert ref_entmax(s[0], 2.0)[1] == 0
    expected = float(ref_conjugate(s[0], 2.0) - LD(s[0, 1]))
    assert loss == pytest.approx(expected, rel=1e-12)
    assert np.isfinite(loss)


@pytest.mark.parametrize("name", ["sparsemax", "entmax", "max"])
def test_learned_memories_train_with_every_separation(name):
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    est = ModernHopfieldClassifier(
        prototypes_per_class=2, beta="learn", separation=name, random_state=0,
        max_fit_iter=40,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[::2], y[::2])
    assert est.score(X[1::2], y[1::2]) > 0.85
    reg = ModernHopfieldRegressor(beta="learn", separation=name).fit(X[::4], y[::4])
    assert np.isfinite(reg.beta_) and reg.beta_ > 0


# -- refusals -------------------------------------------------------------------------------


def test_array_api_namespace_matches_numpy():
    xp = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(15)
    A = rng.normal(size=(9, 17)) * 3
    for alpha in (1.3, 1.5, 2.0, math.inf):
        sep = make_separation("entmax", entmax_alpha=alpha) if alpha <= 2 else \
            make_separation("max")
        got = np.asarray(sep(xp.asarray(A)))
        np.testing.assert_allclose(got, sep(A.copy()), atol=1e-12)


def test_array_api_namespace_takes_any_alpha_and_weights():
    xp = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(16)
    A = rng.normal(size=(9, 23)) * 4
    A[3, 5] = -np.inf
    w = rng.uniform(0.5, 2.0, size=23)
    for name, kw in [("entmax", {"entmax_alpha": 1.25}), ("entmax", {"entmax_alpha": 1.33}),
                     ("polynomial", {"order": 3}), ("polynomial", {"order": 10}),
                     ("sparsemax", {}), ("entmax", {"entmax_alpha": 1.5})]:
        sep = make_separation(name, **kw)
        for weights in (None, w):
            got = np.asarray(sep(xp.asarray(A), None if weights is None else xp.asarray(w)))
            np.testing.assert_allclose(got, sep(A.copy(), weights), atol=1e-12)
            alpha = sep.alpha
            for a, row in zip(A, got):
                ref = ref_weighted_entmax(a, alpha, np.ones(23) if weights is None else w)
                np.testing.assert_allclose(row, ref.astype(float), atol=1e-12)


def test_manhattan_refuses_other_namespaces():
    xp = pytest.importorskip("array_api_strict")
    from sklearn.utils import get_tags

    X, y, _ = make_data(16)
    est = ModernHopfieldClassifier(similarity="manhattan")
    assert not get_tags(est).array_api_support
    with pytest.raises(ValueError, match="numpy only"):
        ModernMemory(xp.asarray(X), "manhattan")


@parametrize_with_checks(
    [
        ModernHopfieldRegressor(similarity="manhattan", separation="sparsemax"),
        # scikit-learn's checks also set n_components=1 here: a learned map
        # trained on the manhattan scores
        ModernHopfieldClassifier(similarity="manhattan"),
        ModernHopfieldClassifier(similarity="manhattan", separation="sparsemax"),
    ]
)
def test_manhattan_memories_pass_check_estimator(estimator, check):
    # One test per check, as elsewhere, so that the array API checks skip
    # where that path cannot run (conftest).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


@pytest.mark.parametrize("name, params", SEPARATIONS, ids=IDS)
def test_a_weight_counts_as_copies(name, params):
    """A pattern of weight 2 is the pattern stored twice, for every
    separation (the weighted Tsallis regularizer), with the energy."""
    X, y, Q = make_data(17, P=12)
    w = np.random.default_rng(0).integers(1, 4, size=len(X)).astype(float)
    check_weight_counts_as_copies(X, y, Q, w, dict(beta=0.8, separation=name, **params))


def check_weight_counts_as_copies(X, y, Q, w, kw):
    """Fitted with integer weights ``w`` = fitted on the rows repeated."""
    rows = np.repeat(np.arange(len(X)), w.astype(int))
    a = ModernHopfieldClassifier(**kw).fit(X, y, sample_weight=w)
    b = ModernHopfieldClassifier(**kw).fit(X[rows], y[rows])
    np.testing.assert_allclose(a.predict_proba(Q), b.predict_proba(Q), atol=1e-12)
    np.testing.assert_allclose(a.transform(Q), b.transform(Q), atol=1e-12)
    np.testing.assert_allclose(a.energy(Q), b.energy(Q), rtol=1e-10, atol=1e-12)
    T = np.random.default_rng(1).normal(size=len(X))
    r = ModernHopfieldRegressor(**kw).fit(X, T, sample_weight=w)
    s = ModernHopfieldRegressor(**kw).fit(X[rows], T[rows])
    np.testing.assert_allclose(r.predict(Q), s.predict(Q), atol=1e-12)
    # all weights equal to 2 is every pattern stored twice, not unweighted
    c = ModernHopfieldClassifier(**kw).fit(X, y, sample_weight=np.full(len(X), 2.0))
    d = ModernHopfieldClassifier(**kw).fit(X[np.repeat(np.arange(len(X)), 2)],
                                           np.repeat(y, 2))
    np.testing.assert_allclose(c.predict_proba(Q), d.predict_proba(Q), atol=1e-12)
