"""sample_weight in fit: weight k is the pattern stored k times; 0 drops it.

Every memory is compared with the same memory fitted on the rows repeated
by ``np.repeat`` (something the weighted code never runs), and the modern
memory's prior with a plain numpy softmax of ``beta z + log w``.
"""

import numpy as np
import pytest
from _cases import assert_same, outputs
from hypothesis import given, settings
from hypothesis import strategies as st
from joblib import parallel_config
from scipy.optimize import check_grad
from sklearn import config_context

from skhopfield import (
    BidirectionalAssociativeMemory,
    DenseAssociativeMemory,
    HopfieldMemory,
    ModernHopfieldClassifier,
    ModernHopfieldRegressor,
    SimplicialHopfieldMemory,
)
from skhopfield.baselines import GLVQClassifier, _glvq_cost
from skhopfield.datasets import flip_bits, make_binary_patterns


def _repeated(X, y, w):
    w = np.asarray(w, dtype=int)
    return np.repeat(X, w, axis=0), np.repeat(y, w, axis=0)


def _assert_binary_same(a, b, X):
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_allclose(a.energy(X), b.energy(X), rtol=1e-12)


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudoinverse"])
def test_hopfield_weight_is_repetition(rule):
    X = make_binary_patterns(6, 60, random_state=0)
    y = np.array([3, 1, 2, 1, 3, 2])
    w = np.array([2, 1, 0, 3, 1, 2])
    weighted = HopfieldMemory(rule, random_state=0).fit(X, y, sample_weight=w)
    Xr, yr = _repeated(X, y, w)
    repeated = HopfieldMemory(rule, random_state=0).fit(Xr, yr)
    if rule == "pseudoinverse":
        np.testing.assert_allclose(weighted.weights_, repeated.weights_, atol=1e-12)
    else:
        # whole-number weights: the same sums of +/-1, bit for bit
        np.testing.assert_array_equal(weighted.weights_, repeated.weights_)
    # the zero-weight pattern is not stored
    np.testing.assert_array_equal(weighted.patterns_, X[w > 0])
    np.testing.assert_array_equal(weighted.pattern_weights_, w[w > 0])
    cues = flip_bits(np.repeat(X, 4, axis=0), 0.1, random_state=1)
    _assert_binary_same(weighted, repeated, cues)


def test_hebbian_real_weights_scale_terms():
    # reference: the sum of weighted outer products in exact rationals
    from fractions import Fraction

    X = make_binary_patterns(4, 7, random_state=2)
    w = [0.5, 1.25, 3.0, 0.125]  # dyadic: exact in binary
    W = HopfieldMemory().fit(X, sample_weight=w).weights_
    for i in range(7):
        for j in range(7):
            ref = 0 if i == j else sum(
                Fraction(wk) * int(x[i]) * int(x[j]) for wk, x in zip(w, X)
            ) / 7
            assert W[i, j] == float(ref)


def test_storkey_refuses_fractional_weights():
    X = make_binary_patterns(3, 20, random_state=0)
    with pytest.raises(ValueError, match="whole-number sample weights"):
        HopfieldMemory("storkey").fit(X, sample_weight=[1.0, 0.5, 2.0])


def test_pseudoinverse_ignores_positive_weights():
    X = make_binary_patterns(5, 40, random_state=3)
    a = HopfieldMemory("pseudoinverse").fit(X)
    b = HopfieldMemory("pseudoinverse").fit(X, sample_weight=[0.1, 7, 1, 2.5, 3])
    np.testing.assert_allclose(a.weights_, b.weights_, atol=1e-12)


def test_partial_fit_with_weights_equals_fit():
    X = make_binary_patterns(8, 50, random_state=4)
    w = np.array([1, 2, 0.5, 3, 1, 0, 2, 1.5])
    for cls in (HopfieldMemory, DenseAssociativeMemory):
        whole = cls(random_state=0).fit(X, sample_weight=w)
        part = cls(random_state=0).fit(X[:3], sample_weight=w[:3])
        part.partial_fit(X[3:], sample_weight=w[3:])
        np.testing.assert_array_equal(whole.pattern_weights_, part.pattern_weights_)
        _assert_binary_same(whole, part, flip_bits(X, 0.1, random_state=5))


@settings(max_examples=15, deadline=None)
@given(
    interaction=st.sampled_from(["polynomial", "rectified_polynomial", "exponential"]),
    order=st.integers(2, 40),
    beta=st.floats(1e-3, 1e3),
    seed=st.integers(0, 2**16),
)
def test_dense_weight_is_repetition(interaction, order, beta, seed):
    rng = np.random.default_rng(seed)
    X = make_binary_patterns(7, 24, random_state=seed)
    y = np.arange(7) % 3
    w = rng.integers(0, 4, size=7)
    w[0] = max(w[0], 1)
    params = dict(interaction=interaction, order=order, beta=beta, random_state=0)
    weighted = DenseAssociativeMemory(**params).fit(X, y, sample_weight=w)
    Xr, yr = _repeated(X, y, w)
    perm = rng.permutation(len(Xr))  # storage order must not matter
    repeated = DenseAssociativeMemory(**params).fit(Xr[perm], yr[perm])
    cues = flip_bits(np.repeat(X, 3, axis=0), 0.15, random_state=seed + 1)
    np.testing.assert_array_equal(weighted.transform(cues), repeated.transform(cues))
    np.testing.assert_array_equal(weighted.predict(cues), repeated.predict(cues))
    Ew, Er = weighted.energy(cues), repeated.energy(cues)
    finite = np.isfinite(Er)
    np.testing.assert_array_equal(np.isfinite(Ew), finite)
    # to rounding: terms of odd orders cancel, so relative to the largest
    scale = np.abs(Er[finite]).max(initial=0.0)
    np.testing.assert_allclose(Ew[finite], Er[finite], rtol=1e-9, atol=1e-12 * scale)


def test_binary_predict_does_not_depend_on_storage_order():
    # identical patterns, different labels: the weighted vote decides
    X = np.ones((5, 10))
    y = np.array(["a", "b", "b", "c", "a"])
    w = np.array([1.0, 1.0, 1.0, 3.0, 0.5])
    for perm in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]):
        m = HopfieldMemory(random_state=0).fit(X[perm], y[perm], sample_weight=w[perm])
        assert m.predict(X[:1])[0] == "c"
        m = HopfieldMemory(random_state=0).fit(X[perm], y[perm])
        assert m.predict(X[:1])[0] == "a"  # a tie 2 : 2 : 1 goes to sorted first


@pytest.mark.parametrize("cls", [HopfieldMemory, DenseAssociativeMemory])
def test_all_zero_weights_refused(cls):
    X = make_binary_patterns(3, 10, random_state=0)
    with pytest.raises(ValueError, match="at least one non-zero"):
        cls().fit(X, sample_weight=np.zeros(3))
    with pytest.raises(ValueError, match="Negative values"):
        cls().fit(X, sample_weight=[1, -1, 1])


def _softmax_reference(X, w, q, beta, similarity):
    """Plain numpy: softmax over mu of beta z_mu + log w_mu."""
    if similarity == "cosine":
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
    if similarity == "euclidean":
        z = -0.5 * ((q[:, None, :] - X[None]) ** 2).sum(-1)
    else:
        z = q @ X.T
    a = beta * z + np.log(w)
    a -= a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("similarity", ["dot", "euclidean", "cosine"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_modern_weight_is_prior_and_repetition(similarity, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 5)).astype(dtype)
    y = np.arange(12) % 3
    w = rng.integers(0, 4, size=12)
    w[:3] = [1, 2, 3]
    cues = rng.standard_normal((20, 5)).astype(dtype)
    params = dict(similarity=similarity, max_iter=3, tol=0)
    weighted = ModernHopfieldClassifier(**params).fit(X, y, sample_weight=w)
    Xr, yr = _repeated(X, y, w)
    repeated = ModernHopfieldClassifier(**params).fit(Xr[::-1], yr[::-1])
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(weighted.beta_, repeated.beta_, rtol=rtol)
    for method in ("predict_proba", "transform", "energy"):
        np.testing.assert_allclose(
            getattr(weighted, method)(cues),
            getattr(repeated, method)(cues),
            rtol=rtol,
            atol=rtol,
            err_msg=method,
        )
    np.testing.assert_array_equal(weighted.predict(cues), repeated.predict(cues))
    # one step of attention against the plain formula
    one = ModernHopfieldClassifier(beta=0.7, similarity=similarity).fit(
        X, y, sample_weight=w
    )
    keep = w > 0
    A = _softmax_reference(
        X[keep].astype(float), w[keep].astype(float), cues.astype(float), 0.7, similarity
    )
    onehot = np.eye(3)[y[keep]]
    np.testing.assert_allclose(one.predict_proba(cues), A @ onehot, rtol=rtol, atol=rtol)


@settings(max_examples=20, deadline=None)
@given(
    beta=st.floats(1e-6, 1e6),
    scale=st.sampled_from([1e-100, 1e-3, 1.0, 1e3, 1e100]),
    log_w=st.lists(st.floats(-30, 30), min_size=4, max_size=4),
)
def test_modern_prior_extreme_weights_and_beta(beta, scale, log_w):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 3)) * scale
    y = np.array([0, 1, 0, 1])
    w = np.exp(log_w)
    cues = rng.standard_normal((6, 3)) * scale
    clf = ModernHopfieldClassifier(beta=beta / scale**2).fit(X, y, sample_weight=w)
    P = clf.predict_proba(cues)
    assert np.isfinite(P).all()
    A = _softmax_reference(X / scale, w, cues / scale, beta, "euclidean")
    np.testing.assert_allclose(P, A @ np.eye(2)[y], atol=1e-9)
    assert np.isfinite(clf.energy(cues)).all()


def test_modern_partial_fit_with_weights_equals_fit():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((10, 4))
    y = np.arange(10) % 2
    w = rng.random(10) + 0.1
    whole = ModernHopfieldClassifier().fit(X, y, sample_weight=w)
    part = ModernHopfieldClassifier().fit(X[:4], y[:4], sample_weight=w[:4])
    part.partial_fit(X[4:], y[4:], sample_weight=w[4:])
    cues = rng.standard_normal((7, 4))
    np.testing.assert_allclose(whole.predict_proba(cues), part.predict_proba(cues))


def test_modern_zero_weight_drops_and_equal_weights_change_nothing():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((8, 4))
    y = np.arange(8) % 2
    cues = rng.standard_normal((5, 4))
    full = ModernHopfieldClassifier().fit(X, y)
    same = ModernHopfieldClassifier().fit(X, y, sample_weight=np.full(8, 3.0))
    np.testing.assert_array_equal(full.predict_proba(cues), same.predict_proba(cues))
    w = np.ones(8)
    w[5] = 0
    dropped = ModernHopfieldClassifier().fit(X, y, sample_weight=w)
    ref = ModernHopfieldClassifier().fit(np.delete(X, 5, 0), np.delete(y, 5))
    np.testing.assert_array_equal(dropped.predict_proba(cues), ref.predict_proba(cues))
    assert len(dropped.patterns_) == 7


def test_glvq_weighted_cost_is_repeated_cost_and_gradient_checks():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((15, 3))
    y = np.arange(15) % 3
    w = rng.integers(1, 4, size=15).astype(float)
    W = rng.standard_normal((3, 3))
    same = y[:, None] == np.arange(3)[None, :]
    Xr = np.repeat(X, w.astype(int), axis=0)
    same_r = np.repeat(same, w.astype(int), axis=0)
    for transfer in ("identity", "sigmoid"):
        cw, gw, _ = _glvq_cost(W, X, same, transfer, 5.0, w)
        cr, gr, _ = _glvq_cost(W, Xr, same_r, transfer, 5.0)
        np.testing.assert_allclose(cw, cr, rtol=1e-12)
        np.testing.assert_allclose(gw, gr, rtol=1e-10, atol=1e-12)

        def f(v):
            return _glvq_cost(v.reshape(3, 3), X, same, transfer, 5.0, w)[0]

        def g(v):
            return _glvq_cost(v.reshape(3, 3), X, same, transfer, 5.0, w)[1].ravel()

        assert check_grad(f, g, W.ravel()) < 1e-6


def test_glvq_fit_weight_is_repetition():
    rng = np.random.default_rng(5)
    X = np.vstack([rng.standard_normal((10, 2)) + c for c in ([0, 0], [3, 0], [0, 3])])
    y = np.repeat([0, 1, 2], 10)
    w = rng.integers(0, 3, size=30)
    a = GLVQClassifier(random_state=0).fit(X, y, sample_weight=w)
    Xr, yr = _repeated(X, y, w)
    b = GLVQClassifier(random_state=0).fit(Xr, yr)
    np.testing.assert_allclose(a.prototypes_, b.prototypes_, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


@pytest.mark.parametrize("interaction", ["polynomial", "rectified_polynomial"])
@pytest.mark.parametrize("order", [2, 3, 7])
def test_dense_real_weights_one_sync_step_matches_exact_energy(interaction, order):
    # reference: E(s) = -sum_mu w_mu F(x^mu . s) in exact rationals; one
    # synchronous step flips exactly the neurons whose flip lowers it
    import warnings
    from fractions import Fraction

    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.default_rng(order)
    X = make_binary_patterns(6, 12, random_state=order)
    w = rng.uniform(0.1, 3.0, size=6)
    memory = DenseAssociativeMemory(
        interaction, order=order, update="sync", max_iter=1
    ).fit(X, sample_weight=w)
    S = make_binary_patterns(20, 12, random_state=order + 1)

    def F(z):
        z = max(z, 0) if interaction == "rectified_polynomial" else z
        return Fraction(z) ** order

    def E(s):
        return -sum(Fraction(wk) * F(int(x @ s)) for wk, x in zip(w, X))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stepped = memory.transform(S)
    for s, out in zip(S, stepped):
        e0 = E(s)
        expected = s.copy()
        for i in range(12):
            t = s.copy()
            t[i] = -t[i]
            if E(t) < e0:
                expected[i] = -s[i]
        np.testing.assert_array_equal(out, expected)
    # and the energy itself, to rounding
    ref = np.array([float(E(s)) for s in S])
    np.testing.assert_allclose(memory.energy(S), ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize(
    "make, binary",
    [
        (lambda: HopfieldMemory(random_state=0), True),
        (lambda: DenseAssociativeMemory(order=5, random_state=0), True),
        (lambda: DenseAssociativeMemory("exponential", beta=0.3, random_state=0), True),
        (lambda: ModernHopfieldClassifier(max_iter=2), False),
        (lambda: ModernHopfieldClassifier(similarity="cosine", beta=3.0), False),
        (lambda: ModernHopfieldRegressor(max_iter=2), False),
        (lambda: ModernHopfieldRegressor(beta="learn", similarity="dot"), False),
        (lambda: BidirectionalAssociativeMemory("pseudoinverse"), True),
    ],
    ids=[
        "hebbian",
        "dense-poly5",
        "dense-exp",
        "modern-euclidean",
        "modern-cosine",
        "regressor-euclidean",
        "regressor-learn",
        "bam-pseudoinverse",
    ],
)
def test_weighted_results_do_not_depend_on_chunks_threads_or_row_order(make, binary):
    rng = np.random.default_rng(7)
    if binary:
        X = make_binary_patterns(15, 40, random_state=7)
        Q = flip_bits(np.repeat(X, 4, axis=0), 0.2, random_state=8)
    else:
        X = rng.standard_normal((15, 40))
        Q = rng.standard_normal((60, 40))
    w = rng.uniform(0.2, 4.0, size=15)
    est = make().fit(X, np.arange(15) % 4, sample_weight=w)
    reference = outputs(est, Q)
    with config_context(working_memory=0.002):
        assert_same(reference, outputs(est, Q), binary=binary)
        with parallel_config(backend="threading"):
            assert_same(reference, outputs(est.set_params(n_jobs=2), Q), binary=binary)
    perm = rng.permutation(len(Q))
    assert_same(reference, outputs(est.set_params(n_jobs=None), Q[perm]), perm, binary=binary)


@pytest.mark.parametrize(
    "params", [dict(max_dim=2), dict(max_dim=2, n_simplices=[None, 0.3])], ids=["full", "diluted"]
)
def test_simplicial_weight_is_repetition(params):
    X = make_binary_patterns(6, 20, random_state=3)
    y = np.array([3, 1, 2, 1, 3, 2])
    w = np.array([2, 1, 0, 3, 1, 2])
    weighted = SimplicialHopfieldMemory(random_state=0, **params).fit(X, y, sample_weight=w)
    Xr, yr = _repeated(X, y, w)
    repeated = SimplicialHopfieldMemory(random_state=0, **params).fit(Xr[::-1], yr[::-1])
    np.testing.assert_array_equal(weighted.patterns_, X[w > 0])
    cues = flip_bits(np.repeat(X, 3, axis=0), 0.1, random_state=4)
    _assert_binary_same(weighted, repeated, cues)
    with pytest.raises(ValueError, match="whole-number sample weights"):
        SimplicialHopfieldMemory().fit(X, sample_weight=np.full(6, 0.5))


def test_learned_memory_weight_is_repetition_in_the_loss():
    rng = np.random.default_rng(11)
    X = np.vstack([rng.standard_normal((12, 3)) + c for c in ([0, 0, 0], [2, 0, 0])])
    y = np.repeat([0, 1], 12)
    w = rng.integers(0, 3, size=24)
    w[[0, 12]] = 1
    params = dict(prototypes_per_class=2, random_state=0)
    weighted = ModernHopfieldClassifier(**params).fit(X, y, sample_weight=w)
    Xr, yr = _repeated(X, y, w)
    repeated = ModernHopfieldClassifier(**params).fit(Xr, yr)
    np.testing.assert_allclose(weighted.patterns_, repeated.patterns_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-7)
    with pytest.raises(ValueError, match="whole-number sample weights"):
        ModernHopfieldClassifier(**params).fit(X, y, sample_weight=np.full(24, 0.5))


# -- the regressor: a prior on the stored pairs -----------------------------------------
def _weighted_nadaraya_watson(X, T, w, Q, beta, similarity):
    """Plain numpy: the weighted softmax regression sum_mu a_mu t^mu."""
    return _softmax_reference(X, w, Q, beta, similarity) @ T


@pytest.mark.parametrize("similarity", ["dot", "euclidean", "cosine"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("beta", [0.7, "auto", "learn"])
def test_regressor_weight_is_prior_and_repetition(similarity, dtype, beta):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((14, 5)).astype(dtype)
    T = rng.standard_normal((14, 2))
    w = rng.integers(0, 4, size=14)
    w[:3] = [1, 2, 3]
    cues = rng.standard_normal((20, 5)).astype(dtype)
    params = dict(beta=beta, similarity=similarity, max_iter=3, tol=0)
    weighted = ModernHopfieldRegressor(**params).fit(X, T, sample_weight=w)
    Xr, Tr = _repeated(X, T, w)
    order = rng.permutation(len(Xr))  # the copies anywhere
    repeated = ModernHopfieldRegressor(**params).fit(Xr[order], Tr[order])
    np.testing.assert_array_equal(weighted.pattern_weights_, w[w > 0])
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    # "learn" too: the same leave-one-out choice (copies left out together)
    np.testing.assert_allclose(weighted.beta_, repeated.beta_, rtol=rtol)
    for method in ("predict", "transform", "energy"):
        np.testing.assert_allclose(
            getattr(weighted, method)(cues),
            getattr(repeated, method)(cues),
            rtol=rtol,
            atol=rtol,
            err_msg=method,
        )
    # the one-step read-out against the plain weighted formula
    keep = w > 0
    ref = _weighted_nadaraya_watson(
        X[keep].astype(float), T[keep], w[keep].astype(float), cues.astype(float),
        weighted.beta_, similarity,
    )
    one = ModernHopfieldRegressor(beta=weighted.beta_, similarity=similarity)
    one.fit(X, T, sample_weight=w)
    np.testing.assert_allclose(one.predict(cues), ref, rtol=rtol, atol=rtol)


@settings(max_examples=25, deadline=None)
@given(
    beta=st.floats(1e-6, 1e6),
    scale=st.sampled_from([1e-100, 1e-3, 1.0, 1e3, 1e100]),
    log10_w=st.lists(st.floats(-8, 8), min_size=5, max_size=5),
    dtype=st.sampled_from([np.float64, np.float32]),
    similarity=st.sampled_from(["dot", "euclidean", "cosine"]),
)
def test_regressor_prior_extreme_weights_scales_and_dtypes(
    beta, scale, log10_w, dtype, similarity
):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 3))
    Q = rng.standard_normal((6, 3))
    T = rng.standard_normal(5)
    w = 10.0 ** np.array(log10_w)  # weights from 1e-8 to 1e8
    if dtype == np.float32 and scale != 1.0:
        scale = 1.0  # float32 holds neither 1e-100 nor 1e100
    if similarity == "cosine":
        b = min(beta, 1e3)  # scores in [-1, 1]
    else:
        b = min(beta, 1e2)  # keep exp(beta z) out of float32's rounding cliff
    # scores scale as the data squared, except cosine's (unit vectors)
    beta_param = b if similarity == "cosine" else b / scale**2
    reg = ModernHopfieldRegressor(beta=beta_param, similarity=similarity)
    reg.fit((X * scale).astype(dtype), T, sample_weight=w)
    pred = reg.predict((Q * scale).astype(dtype))
    assert pred.dtype == dtype and np.isfinite(pred).all()
    ref = _weighted_nadaraya_watson(
        X.astype(dtype).astype(float), T, w, Q.astype(dtype).astype(float), b, similarity
    )
    tol = 1e-8 if dtype == np.float64 else 2e-2
    np.testing.assert_allclose(pred, ref, rtol=tol, atol=tol * np.abs(T).max())
    # only the ratios matter
    reg2 = ModernHopfieldRegressor(beta=beta_param, similarity=similarity)
    reg2.fit((X * scale).astype(dtype), T, sample_weight=w * 1e5)
    np.testing.assert_allclose(
        reg2.predict((Q * scale).astype(dtype)), pred, rtol=tol, atol=tol
    )


def test_regressor_learn_is_the_weighted_leave_copies_out_minimum():
    """beta="learn" against a plain loop: leave a pattern and its copies out,
    weighted attention, weighted mean of the squared errors."""
    from skhopfield._core.loo import LEARN_GRID

    rng = np.random.default_rng(5)
    X = rng.standard_normal((12, 3))
    X[7] = X[2]  # a stored copy (different target)
    T = rng.standard_normal((12, 1))
    w = rng.uniform(0.1, 3.0, size=12)
    reg = ModernHopfieldRegressor(beta="learn").fit(X, T, sample_weight=w)
    auto = ModernHopfieldRegressor().fit(X, T, sample_weight=w).beta_
    betas = auto * LEARN_GRID
    losses = []
    for beta in betas:
        total = 0.0
        for i in range(12):
            rest = ~(X == X[i]).all(axis=1)
            pred = _weighted_nadaraya_watson(
                X[rest], T[rest], w[rest], X[i : i + 1], beta, "euclidean"
            )[0]
            total += w[i] * ((pred - T[i]) ** 2).sum()
        losses.append(total / w.sum())
    assert reg.beta_ == pytest.approx(betas[int(np.argmin(losses))], rel=1e-12)


def test_regressor_zero_weight_drops_and_partial_fit_with_weights():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((10, 4))
    T = rng.standard_normal(10)
    w = rng.random(10) + 0.1
    w[4] = 0
    cues = rng.standard_normal((7, 4))
    whole = ModernHopfieldRegressor().fit(X, T, sample_weight=w)
    ref = ModernHopfieldRegressor().fit(
        np.delete(X, 4, 0), np.delete(T, 4), sample_weight=np.delete(w, 4)
    )
    np.testing.assert_array_equal(whole.predict(cues), ref.predict(cues))
    part = ModernHopfieldRegressor().fit(X[:3], T[:3], sample_weight=w[:3])
    part.partial_fit(X[3:], T[3:], sample_weight=w[3:])
    np.testing.assert_allclose(part.predict(cues), whole.predict(cues), rtol=1e-12)
    with pytest.raises(ValueError, match="zero"):
        ModernHopfieldRegressor().fit(X, T, sample_weight=np.zeros(10))


# -- the bidirectional memory: the pair's term weighted ---------------------------------
@pytest.mark.parametrize("rule", ["correlation", "pseudoinverse"])
@pytest.mark.parametrize("labeled", [False, True])
def test_bam_weight_is_repetition(rule, labeled):
    rng = np.random.default_rng(8)
    X = make_binary_patterns(8, 48, random_state=8)
    Y = np.arange(8) % 5 if labeled else make_binary_patterns(8, 24, random_state=9)
    w = np.array([2, 1, 0, 3, 1, 2, 1, 4])
    weighted = BidirectionalAssociativeMemory(rule, random_state=0)
    weighted.fit(X, Y, sample_weight=w)
    Xr, Yr = _repeated(X, Y, w)
    order = rng.permutation(len(Xr))  # row order: codes come from the labels
    repeated = BidirectionalAssociativeMemory(rule, random_state=0).fit(
        Xr[order], Yr[order]
    )
    if rule == "correlation":
        # whole-number weights: the same integer sums, bit for bit
        np.testing.assert_array_equal(weighted.weights_, repeated.weights_)
    else:
        np.testing.assert_allclose(weighted.weights_, repeated.weights_, atol=1e-12)
    np.testing.assert_array_equal(weighted.patterns_, np.where(X[w > 0] > 0, 1.0, -1.0))
    np.testing.assert_array_equal(weighted.pattern_weights_, w[w > 0])
    cues = flip_bits(np.repeat(X, 3, axis=0), 0.1, random_state=1)
    np.testing.assert_array_equal(weighted.predict(cues), repeated.predict(cues))
    np.testing.assert_array_equal(weighted.transform(cues), repeated.transform(cues))


def test_bam_real_weights_correlation_in_exact_rationals():
    from fractions import Fraction

    X = make_binary_patterns(4, 6, random_state=2)
    Y = make_binary_patterns(4, 5, random_state=3)
    w = [0.5, 1.25, 3.0, 0.125]  # dyadic: exact in binary
    W = BidirectionalAssociativeMemory().fit(X, Y, sample_weight=w).weights_
    for i in range(6):
        for j in range(5):
            ref = sum(Fraction(wk) * int(x[i]) * int(y[j]) for wk, x, y in zip(w, X, Y))
            assert W[i, j] == float(ref)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n_pairs=st.integers(2, 12),
    log10_w=st.lists(st.floats(-8, 8), min_size=12, max_size=12),
)
def test_bam_pseudoinverse_is_weighted_least_squares(seed, n_pairs, log10_w):
    """Against the definition: the gradient of the weighted objective
    sum_mu w_mu (||a W - b||^2 + ||b W^T - a||^2) vanishes at W, and W is the
    minimum-norm solution (in the row spaces of A and B)."""
    X = make_binary_patterns(n_pairs, 10, random_state=seed)
    Y = make_binary_patterns(n_pairs, 7, random_state=seed + 1)
    w = 10.0 ** np.array(log10_w[:n_pairs])
    W = BidirectionalAssociativeMemory("pseudoinverse").fit(X, Y, sample_weight=w).weights_
    A, B = X / np.sqrt(10), Y / np.sqrt(7)
    D = np.diag(w / w.max())  # the scale of the weights does not matter
    grad = A.T @ D @ (A @ W - B) + (W @ B.T - A.T) @ D @ B
    scale = np.abs(A.T @ D @ B).max()
    np.testing.assert_allclose(grad, 0, atol=1e-7 * scale)
    # minimum norm: W lies in the span of the weighted rows on both sides
    Pa = np.linalg.pinv(A) @ A
    Pb = np.linalg.pinv(B) @ B
    np.testing.assert_allclose(Pa @ W @ Pb, W, atol=1e-7 * np.abs(W).max())


def test_bam_zero_weight_drops_and_partial_fit_with_weights():
    X = make_binary_patterns(9, 40, random_state=4)
    Y = make_binary_patterns(9, 20, random_state=5)
    w = np.array([1.0, 0.5, 2.0, 0.0, 1.5, 3.0, 0.25, 1.0, 2.0])
    for rule in ("correlation", "pseudoinverse"):
        whole = BidirectionalAssociativeMemory(rule).fit(X, Y, sample_weight=w)
        ref = BidirectionalAssociativeMemory(rule).fit(
            np.delete(X, 3, 0), np.delete(Y, 3, 0), sample_weight=np.delete(w, 3)
        )
        np.testing.assert_array_equal(whole.weights_, ref.weights_)
        part = BidirectionalAssociativeMemory(rule).fit(X[:4], Y[:4], sample_weight=w[:4])
        part.partial_fit(X[4:], Y[4:], sample_weight=w[4:])
        np.testing.assert_allclose(part.weights_, whole.weights_, atol=1e-12)
    with pytest.raises(ValueError, match="zero"):
        BidirectionalAssociativeMemory().fit(X, Y, sample_weight=np.zeros(9))


def test_duplicate_groups_dense_and_sparse_match_plain_grouping():
    import scipy.sparse as sp

    from skhopfield._core.loo import duplicate_groups

    rng = np.random.default_rng(9)
    X = np.where(rng.random((30, 4)) < 0.6, 0.0, rng.integers(1, 3, (30, 4)) * 1.0)
    X[5] = -X[2] * 0.0  # a row of -0.0 and 0.0: the zero row
    X[7] = X[3]
    # reference: rows as tuples of Python floats (-0.0 == 0.0 there)
    first = {}
    ref = np.array([first.setdefault(tuple(float(v) + 0.0 for v in r), i) for i, r in enumerate(X)])
    for A in (X, X.astype(np.float32), sp.csr_matrix(X)):
        groups, n_groups = duplicate_groups(A)
        assert n_groups == len(first)
        # the same partition of the rows
        same = groups[:, None] == groups[None, :]
        np.testing.assert_array_equal(same, ref[:, None] == ref[None, :])


#: The memories that store a whole-number weight k as k copies of the row.
COPYING = {
    "storkey": lambda: HopfieldMemory("storkey"),
    "simplicial": lambda: SimplicialHopfieldMemory(),
    "learned": lambda: ModernHopfieldClassifier(prototypes_per_class=1, random_state=0),
}


@pytest.mark.parametrize("make", COPYING.values(), ids=COPYING.keys())
@pytest.mark.parametrize("huge", [1e300, 2.0**63, 2.0**62])
def test_copies_beyond_what_numpy_can_index_are_refused_naming_the_limit(make, huge):
    # A weight k is k copies: 1e300 copies once wrapped around to a negative
    # count ("repeats may not contain negative values").  The limit is the
    # rows of n_features float64 one array can index: (2**63 - 1) // (8 N)
    # bytes on a 64-bit machine.
    X = make_binary_patterns(4, 16, random_state=0)
    y = np.array([0, 1, 0, 1])
    limit = np.iinfo(np.intp).max // (8 * 16)
    assert limit < huge
    with pytest.raises(ValueError, match=f"at most {limit:,} copies of 16 features.*they sum to"):
        make().fit(X, y, sample_weight=[huge, 1, 1, 1])
    # a failed partial_fit leaves the memory as it was
    fitted = make().fit(X, y)
    before = fitted.patterns_.copy()
    with pytest.raises(ValueError, match=f"at most {limit:,} copies"):
        fitted.partial_fit(X, y, sample_weight=[1, 1, huge, 1])
    np.testing.assert_array_equal(fitted.patterns_, before)
    # and weights that do fit are copies, as ever
    np.testing.assert_array_equal(
        make().fit(X, y, sample_weight=[3, 1, 1, 2]).predict(X),
        make().fit(np.repeat(X, [3, 1, 1, 2], axis=0), np.repeat(y, [3, 1, 1, 2])).predict(X),
    )
