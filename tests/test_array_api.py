"""The modern memories through scikit-learn's array API (issue 15).

Under ``sklearn.config_context(array_api_dispatch=True)`` the continuous
memories compute in the namespace and on the device of their input.  The
numpy path is the reference here (it is itself tested against naive float64
formulas in ``test_modern.py``); on top of that, probabilities are compared
with ``scipy.special.softmax`` on the host, and scikit-learn's own array API
estimator checks are run directly, with values, so that they cannot silently
skip.  array-api-strict is a test dependency (the ``test`` extra); torch is
optional and its cases skip without it.
"""

import os

import array_api_strict
import numpy as np
import pytest
from _cases import MODERN_CASES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import softmax
from sklearn import clone, config_context
from sklearn.datasets import load_digits
from sklearn.utils import get_tags
from sklearn.utils._array_api import (
    _atol_for_type,
    device,
    get_namespace,
    move_estimator_to,
    move_to,
)
from sklearn.utils.estimator_checks import (
    check_array_api_input,
    check_array_api_same_namespace,
)

import skhopfield._batch as batch
from skhopfield import ModernHopfieldClassifier, ModernHopfieldRegressor

#: The configurations whose tags declare array API support: those that store
#: rows (the learned memories train with numpy and scipy only).
ARRAY_API_CASES = [c for c in MODERN_CASES if get_tags(c.make()).array_api_support]
LEARNED_CASES = [c for c in MODERN_CASES if c not in ARRAY_API_CASES]

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None

NAMESPACES = [
    "array_api_strict",
    pytest.param(
        "torch",
        marks=pytest.mark.skipif(torch is None, reason="torch is not installed"),
    ),
]
DTYPES = ["float32", "float64"]
#: Agreement with the numpy path: a few hundred ulps of the dtype (sums are
#: taken in another order, and the transform's update steps amplify that).
RTOL = {"float32": 2e-4, "float64": 1e-11}


def _xp(name):
    return array_api_strict if name == "array_api_strict" else torch


def _to_np(a):
    return move_to(a, xp=np, device="cpu")


def _data(dtype, n_fit=300, n_query=120):
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1.0)
    X = X.astype(dtype)
    return X[:n_fit], y[:n_fit], X[n_fit : n_fit + n_query]


def test_the_suite_runs_with_scipy_array_api():
    # conftest.py sets it before SciPy is imported; without it scikit-learn
    # refuses array API dispatch and every check below would error.
    assert os.environ.get("SCIPY_ARRAY_API") == "1"
    import scipy._lib._array_api as scipy_array_api

    assert scipy_array_api.SCIPY_ARRAY_API


@pytest.mark.parametrize("case", ARRAY_API_CASES, ids=repr)
@pytest.mark.parametrize("dtype", DTYPES)
def test_sklearn_array_api_checks_with_values_on_array_api_strict(case, dtype):
    """scikit-learn's check, also comparing attribute and output values."""
    check_array_api_input(
        case.id,
        case.make(),
        array_namespace="array_api_strict",
        device_name="device1",
        dtype_name=dtype,
        check_values=True,
    )


@pytest.mark.parametrize("case", ARRAY_API_CASES, ids=repr)
def test_sklearn_same_namespace_check(case):
    est = case.make()
    check_array_api_same_namespace(type(est).__name__, est, "array_api_strict")


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ARRAY_API_CASES, ids=repr)
@pytest.mark.parametrize("max_iter", [1, 3])
def test_every_method_agrees_with_numpy(namespace, dtype, case, max_iter):
    xp = _xp(namespace)
    X, y, Q = _data(dtype)
    if case.regressor:  # real targets, two of them (the read-out [T | 1])
        y = np.stack([y + 0.5 * X[:, 0], np.cos(y)], axis=1)
    ref = case.make(max_iter=max_iter, tol=0.0).fit(X, y)
    X_xp, y_xp, Q_xp = (xp.asarray(a) for a in (X, y, Q))
    methods = ["predict", "transform", "energy"]
    if not case.regressor:
        methods.append("predict_proba")
    with config_context(array_api_dispatch=True):
        est = case.make(max_iter=max_iter, tol=0.0).fit(X_xp, y_xp)
        out = {name: getattr(est, name)(Q_xp) for name in methods}
        retrieved = est.retrieve(Q_xp)
        for name, value in out.items():
            assert get_namespace(value)[0] is get_namespace(Q_xp)[0], name
            assert device(value) == device(Q_xp), name
        fitted = ["patterns_", "pattern_weights_"]
        fitted += ["targets_"] if case.regressor else ["classes_", "pattern_labels_"]
        for name in fitted:
            assert get_namespace(getattr(est, name))[0] is get_namespace(Q_xp)[0]
        score = est.score(Q_xp, xp.asarray(y[: Q.shape[0]]))
    rtol = RTOL[dtype]
    real = ["transform", "energy"]
    if case.regressor:
        real.append("predict")
    else:
        np.testing.assert_array_equal(_to_np(out["predict"]), ref.predict(Q))
        np.testing.assert_array_equal(_to_np(est.classes_), ref.classes_)
        real.append("predict_proba")
    for name in real:
        got, want = _to_np(out[name]), getattr(ref, name)(Q)
        assert got.dtype == want.dtype == np.dtype(dtype), name
        assert got.shape == want.shape, name
        scale = max(float(np.abs(want).max()), 1.0)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=name)
    want = ref.retrieve(Q)
    # With tol=0 "converged" means a step that moved the state by exactly 0:
    # in float32 a row can reach its fixed point exactly in one summation
    # order and one ulp short of it in the other.
    for name in ("n_iter", "converged"):
        got = _to_np(getattr(retrieved, name))
        differ = np.mean(got != getattr(want, name))
        assert differ <= (0.02 if dtype == "float32" else 0.0), name
    assert isinstance(score, float)
    # scikit-learn's metric may sum in the namespace's default float (float32)
    tol = max(rtol, 1e-6)
    assert score == pytest.approx(ref.score(Q, y[: Q.shape[0]]), rel=tol, abs=tol)
    assert est.beta_ == pytest.approx(ref.beta_, rel=rtol)
    assert est.max_norm_ == pytest.approx(ref.max_norm_, rel=rtol)
    assert est.n_iter_ == ref.n_iter_


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("similarity", ["euclidean", "dot", "cosine"])
def test_pattern_weights_agree_with_numpy(namespace, dtype, similarity):
    """Sample weights (the log prior on the device) as on the numpy path,
    weights from the host or from X's namespace, zero weights dropped."""
    xp = _xp(namespace)
    X, y, Q = _data(dtype, n_fit=200, n_query=60)
    w = np.random.default_rng(0).uniform(0.0, 3.0, len(X))
    w[::17] = 0.0
    params = dict(similarity=similarity, max_iter=2, tol=0.0)
    if similarity != "euclidean":
        params["beta"] = 2.0
    ref = ModernHopfieldClassifier(**params).fit(X, y, sample_weight=w)
    rtol = RTOL[dtype]
    for weights in (w, xp.asarray(w)):
        with config_context(array_api_dispatch=True):
            est = ModernHopfieldClassifier(**params)
            est.fit(xp.asarray(X), xp.asarray(y), sample_weight=weights)
            Q_xp = xp.asarray(Q)
            got = {name: getattr(est, name)(Q_xp) for name in ("predict_proba", "energy")}
            got["transform"] = est.transform(Q_xp)
            assert get_namespace(est.pattern_weights_)[0] is get_namespace(Q_xp)[0]
        assert est.patterns_.shape[0] == ref.patterns_.shape[0] < len(X)
        np.testing.assert_array_equal(_to_np(est.pattern_weights_), ref.pattern_weights_)
        assert est.beta_ == pytest.approx(ref.beta_, rel=rtol)
        for name, value in got.items():
            want = getattr(ref, name)(Q)
            scale = max(float(np.abs(want).max()), 1.0)
            np.testing.assert_allclose(
                _to_np(value), want, rtol=rtol, atol=rtol * scale, err_msg=name
            )


def test_weighted_energy_on_the_device_is_the_repeated_patterns_energy():
    """Whole-number weights k == k copies, on the device (float64)."""
    xp = array_api_strict
    X, y, Q = _data("float64", n_fit=60, n_query=20)
    k = np.random.default_rng(1).integers(1, 4, len(X))
    rows = np.repeat(np.arange(len(X)), k)
    with config_context(array_api_dispatch=True):
        weighted = ModernHopfieldClassifier(beta=0.3).fit(
            xp.asarray(X), xp.asarray(y), sample_weight=k.astype(float)
        )
        copies = ModernHopfieldClassifier(beta=0.3).fit(
            xp.asarray(X[rows]), xp.asarray(y[rows])
        )
        Q_xp = xp.asarray(Q)
        pairs = [(weighted.energy(Q_xp), copies.energy(Q_xp))]
        pairs.append((weighted.predict_proba(Q_xp), copies.predict_proba(Q_xp)))
    for a, b in pairs:
        np.testing.assert_allclose(_to_np(a), _to_np(b), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_probabilities_are_the_softmax_computed_on_the_host(dtype):
    """Against scipy's softmax of ``-beta/2 ||x - q||^2`` in float64."""
    X, y, Q = _data(dtype, n_fit=200, n_query=50)
    xp = array_api_strict
    with config_context(array_api_dispatch=True):
        est = ModernHopfieldClassifier(beta=0.05).fit(xp.asarray(X), xp.asarray(y))
        proba = _to_np(est.predict_proba(xp.asarray(Q)))
    X64, Q64 = X.astype(np.float64), Q.astype(np.float64)
    d2 = ((Q64[:, None, :] - X64[None, :, :]) ** 2).sum(axis=2)
    attention = softmax(-0.05 / 2 * d2, axis=1)
    onehot = (y[:, None] == np.unique(y)[None, :]).astype(np.float64)
    np.testing.assert_allclose(proba, attention @ onehot, atol=50 * _atol_for_type(dtype))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    log_scale=st.integers(-30, 30),
    offset=st.sampled_from([0.0, 1.0, -1e3, 1e4]),
    log_beta=st.floats(-6, 6),
    similarity=st.sampled_from(["euclidean", "dot", "cosine"]),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
def test_agreement_at_extreme_scales_and_beta(
    log_scale, offset, log_beta, similarity, dtype, seed
):
    """The frame (centering and power-of-two scaling) is the same on the device."""
    rng = np.random.default_rng(seed)
    scale = 10.0**log_scale
    X = (rng.standard_normal((40, 6)) * scale + offset * scale).astype(dtype)
    y = rng.integers(0, 3, 40)
    Q = (X[:15] + 0.3 * scale * rng.standard_normal((15, 6))).astype(dtype)
    beta = 10.0**log_beta / scale**2  # in the data's units: 1e-66 to 1e66
    make = lambda: ModernHopfieldClassifier(beta, similarity=similarity)  # noqa: E731
    try:
        ref = make().fit(X, y)
        want = ref.predict_proba(Q)
    except ValueError as error:  # refused as too large: must be refused here too
        xp = array_api_strict
        with config_context(array_api_dispatch=True), pytest.raises(ValueError):
            make().fit(xp.asarray(X), xp.asarray(y)).predict_proba(xp.asarray(Q))
        assert "too large" in str(error)
        return
    xp = array_api_strict
    with config_context(array_api_dispatch=True):
        got = _to_np(make().fit(xp.asarray(X), xp.asarray(y)).predict_proba(xp.asarray(Q)))
    assert got.dtype == np.dtype(dtype)
    # The attention's condition: a rounding of the scores (internal units,
    # stored patterns in [-1, 1]) by eps moves it by about beta_int eps.
    beta_int = ref._scaled_beta
    atol = 20 * np.finfo(dtype).eps * max(1.0, beta_int * X.shape[1])
    np.testing.assert_allclose(got, want, rtol=0, atol=atol)


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_chunks_bound_the_device_working_set(namespace, monkeypatch):
    """working_memory cuts device batches too; results do not depend on it."""
    xp = _xp(namespace)
    X, y, Q = _data("float64", n_fit=300, n_query=120)
    seen = []
    original = batch.chunk_slices

    def spy(n_rows, row_bytes, **kwargs):
        slices = original(n_rows, row_bytes, **kwargs)
        seen.append((row_bytes, max(s.stop - s.start for s in slices), len(slices)))
        return slices

    monkeypatch.setattr(batch, "chunk_slices", spy)
    with config_context(array_api_dispatch=True):
        est = ModernHopfieldClassifier(max_iter=2, tol=0.0, n_jobs=2)
        est.fit(xp.asarray(X), xp.asarray(y))
        whole = _to_np(est.predict_proba(xp.asarray(Q)))
        seen.clear()
        budget = 0.05  # MiB: 52428 bytes
        with config_context(working_memory=budget):
            chunked = _to_np(est.predict_proba(xp.asarray(Q)))
    (row_bytes, rows, n_chunks), = seen
    assert n_chunks > 1
    assert rows * row_bytes <= budget * 2**20
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-15)


def test_memory_fitted_on_numpy_moves_to_the_device():
    """``move_estimator_to`` (scikit-learn's) moves the labels; the memory follows."""
    X, y, Q = _data("float32")
    xp = array_api_strict
    est = ModernHopfieldClassifier().fit(X, y)
    want = est.predict_proba(Q)
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="must use the same namespace"):
            est.predict(xp.asarray(Q))
        moved = move_estimator_to(clone(est).fit(X, y), xp, xp.Device("device1"))
        Q_xp = xp.asarray(Q, device=xp.Device("device1"))
        got = moved.predict_proba(Q_xp)
        assert device(got) == device(Q_xp)
    np.testing.assert_allclose(_to_np(got), want, rtol=RTOL["float32"], atol=1e-6)


def test_fitted_on_the_device_predicts_numpy_without_dispatch():
    X, y, Q = _data("float64")
    xp = array_api_strict
    with config_context(array_api_dispatch=True):
        est = ModernHopfieldClassifier().fit(xp.asarray(X), xp.asarray(y))
    ref = ModernHopfieldClassifier().fit(X, y)
    np.testing.assert_array_equal(est.predict(Q), ref.predict(Q))
    np.testing.assert_allclose(est.predict_proba(Q), ref.predict_proba(Q), rtol=1e-12)


def test_partial_fit_on_the_device_equals_fit_on_the_union():
    X, y, Q = _data("float64")
    xp = array_api_strict
    with config_context(array_api_dispatch=True):
        est = ModernHopfieldClassifier()
        est.partial_fit(xp.asarray(X[:100]), xp.asarray(y[:100]), classes=np.arange(10))
        est.partial_fit(xp.asarray(X[100:]), xp.asarray(y[100:]))
        got = _to_np(est.predict_proba(xp.asarray(Q)))
        assert get_namespace(est.patterns_)[0] is xp
    want = ModernHopfieldClassifier().fit(X, y).predict_proba(Q)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_string_labels_with_device_patterns():
    """String labels cannot live in an array API namespace: they stay numpy."""
    X, y, Q = _data("float64")
    names = np.array(["zero", "one", "two", "three", "four", "five", "six",
                      "seven", "eight", "nine"])[y]
    xp = array_api_strict
    with config_context(array_api_dispatch=True):
        est = ModernHopfieldClassifier().fit(xp.asarray(X), names)
        labels = est.predict(xp.asarray(Q))
    assert isinstance(labels, np.ndarray)
    ref = ModernHopfieldClassifier().fit(X, names)
    np.testing.assert_array_equal(labels, ref.predict(Q))


def test_device_chunks_run_in_this_process(monkeypatch):
    """n_jobs does not ship device arrays to joblib workers (numpy still does)."""
    X, y, Q = _data("float64", n_fit=100, n_query=40)
    xp = array_api_strict
    calls = []
    real = batch.Parallel

    def spy(*args, **kwargs):
        calls.append(kwargs.get("n_jobs"))
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "Parallel", spy)
    est = ModernHopfieldClassifier(n_jobs=2)
    with config_context(array_api_dispatch=True):
        est.fit(xp.asarray(X), xp.asarray(y)).predict(xp.asarray(Q))
    assert calls == []
    ModernHopfieldClassifier(n_jobs=2).fit(X, y).predict(Q)
    assert calls == [2]


@pytest.mark.parametrize("case", LEARNED_CASES, ids=repr)
def test_learned_memories_refuse_device_arrays_with_a_clear_error(case):
    X, y, _ = _data("float64", n_fit=60)
    xp = array_api_strict
    est = case.make()
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="numpy and scipy only"):
            est.fit(xp.asarray(X), xp.asarray(y))
    assert not hasattr(est, "classes_")  # the failed fit left it unfitted


def test_the_table_has_row_storing_configurations():
    assert len(ARRAY_API_CASES) >= 3


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("beta", ["auto", "learn"])
def test_regressor_sample_weights_agree_with_numpy(namespace, dtype, beta):
    """The regressor's prior (and its weighted leave-one-out beta) on the device."""
    xp = _xp(namespace)
    X, y, Q = _data(dtype, n_fit=150, n_query=40)
    T = np.stack([y + 0.5 * X[:, 0], np.cos(y)], axis=1)
    w = np.random.default_rng(2).uniform(0.0, 3.0, len(X))
    w[::13] = 0.0
    ref = ModernHopfieldRegressor(beta=beta).fit(X, T, sample_weight=w)
    rtol = RTOL[dtype]
    with config_context(array_api_dispatch=True):
        est = ModernHopfieldRegressor(beta=beta)
        est.fit(xp.asarray(X), xp.asarray(T), sample_weight=xp.asarray(w))
        pred = est.predict(xp.asarray(Q))
        energy = est.energy(xp.asarray(Q))
        ns = get_namespace(xp.asarray(Q))[0]
        for value in (pred, energy, est.targets_, est.pattern_weights_):
            assert get_namespace(value)[0] is ns
    assert est.beta_ == pytest.approx(ref.beta_, rel=rtol)
    np.testing.assert_array_equal(_to_np(est.pattern_weights_), ref.pattern_weights_)
    for got, want in ((pred, ref.predict(Q)), (energy, ref.energy(Q))):
        scale = max(float(np.abs(want).max()), 1.0)
        np.testing.assert_allclose(_to_np(got), want, rtol=rtol, atol=rtol * scale)
