"""Sparse (CSR) input of the modern memories: the dense results, to rounding.

ModernHopfieldClassifier and ModernHopfieldRegressor share the tests of the
table :data:`MEMORIES` (the read-out compared: probabilities or targets).

References: the same estimator on the dense arrays (a different code path:
BLAS on a centered frame, against scipy's sparse products on an uncentered
one), and scikit-learn's KNeighborsClassifier on the sparse input.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from joblib import parallel_config
from sklearn import config_context
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from skhopfield import (
    DenseAssociativeMemory,
    HopfieldMemory,
    ModernHopfieldClassifier,
    ModernHopfieldRegressor,
)

SIMILARITIES = ["dot", "euclidean", "cosine"]

#: The modern memories and the real-valued read-out compared for each.
MEMORIES = {
    "classifier": (ModernHopfieldClassifier, "predict_proba"),
    "regressor": (ModernHopfieldRegressor, "predict"),
}


def _targets(kind, n, seed=0):
    """Labels for the classifier, real (2-column) targets for the regressor."""
    if kind == "classifier":
        return np.arange(n) % 4
    return np.random.default_rng(seed).standard_normal((n, 2))


def _sparse_data(n, n_features, density, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features))
    X[rng.random(X.shape) > density] = 0
    # no all-zero rows: from the zero cue (uniform attention) a large beta
    # amplifies rounding into a different attractor in each frame
    rows = np.arange(n)
    X[rows, rng.integers(0, n_features, n)] = rng.standard_normal(n) + 3
    return X.astype(dtype)


def _compare(a, b, Q_a, Q_b, rtol, readout="predict_proba"):
    if readout == "predict_proba":
        # predictions agree wherever the two leading classes are not tied to
        # rounding (tiny beta in float32 makes every class nearly equal)
        proba = np.sort(a.predict_proba(Q_a), axis=1)
        clear = proba[:, -1] - proba[:, -2] > 10 * rtol
        np.testing.assert_array_equal(a.predict(Q_a)[clear], b.predict(Q_b)[clear])
    for method in (readout, "transform", "energy"):
        out_a, out_b = getattr(a, method)(Q_a), getattr(b, method)(Q_b)
        assert isinstance(out_b, np.ndarray) and out_b.dtype == out_a.dtype
        scale = max(1.0, float(np.abs(out_a).max()))
        np.testing.assert_allclose(
            out_b, out_a, rtol=rtol, atol=rtol * scale, err_msg=method
        )
    # (n_iter is not compared: with tol=0 a row stops when a step moves it by
    # exactly 0, which rounding decides differently in the two frames)


@pytest.mark.parametrize("kind", list(MEMORIES))
@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    density=st.sampled_from([0.02, 0.2, 1.0]),
    max_iter=st.integers(1, 4),
    beta=st.sampled_from(["auto", 1e-6, 0.3, 1e3, "learn"]),
    weighted=st.booleans(),
)
def test_sparse_equals_dense(
    kind, similarity, dtype, seed, density, max_iter, beta, weighted
):
    cls, readout = MEMORIES[kind]
    if beta == "learn" and kind == "classifier":
        beta = "auto"  # a learned classifier densifies its input
    X = _sparse_data(40, 25, density, seed, dtype)
    X[0, 0] = 1  # at least one non-zero
    y = _targets(kind, 40, seed)
    # weights over 16 orders of magnitude, zeros dropping rows
    w = None
    if weighted:
        w = 10.0 ** np.random.default_rng(seed).uniform(-8, 8, size=40)
        w[::7] = 0
    Q = _sparse_data(30, 25, density, seed + 1, dtype)
    params = dict(similarity=similarity, beta=beta, max_iter=max_iter, tol=0.0)
    dense = cls(**params).fit(X, y, sample_weight=w)
    sparse = cls(**params).fit(sp.csr_matrix(X), y, sample_weight=w)
    assert sp.issparse(sparse.patterns_)
    np.testing.assert_allclose(sparse.beta_, dense.beta_, rtol=1e-12 if dtype == np.float64 else 1e-5)
    rtol = 1e-9 if dtype == np.float64 else 2e-3
    # sparse patterns with sparse cues, dense cues; dense patterns, sparse cues
    _compare(dense, sparse, Q, sp.csr_matrix(Q), rtol, readout)
    _compare(dense, sparse, Q, Q, rtol, readout)
    _compare(dense, dense, Q, sp.csr_array(Q), rtol, readout)


@pytest.mark.parametrize("kind", list(MEMORIES))
def test_sparse_is_chunked_and_parallel_like_dense(kind):
    cls, readout = MEMORIES[kind]
    X = sp.csr_matrix(_sparse_data(60, 40, 0.1, 0))
    y = _targets(kind, 60)
    Q = sp.csr_matrix(_sparse_data(200, 40, 0.1, 1))
    est = cls(max_iter=2).fit(X, y)
    ref = getattr(est, readout)(Q)
    with config_context(working_memory=0.01):  # a few rows per chunk
        np.testing.assert_allclose(getattr(est, readout)(Q), ref, rtol=1e-12)
        with parallel_config(backend="threading"):
            out = getattr(est.set_params(n_jobs=2), readout)(Q)
        np.testing.assert_allclose(out, ref, rtol=1e-12)


@pytest.mark.parametrize("kind", list(MEMORIES))
def test_sparse_partial_fit_and_weights(kind):
    cls, readout = MEMORIES[kind]
    X = _sparse_data(30, 20, 0.2, 3)
    X[:, 0] += 1
    y = np.arange(30) % 2 if kind == "classifier" else _targets(kind, 30)
    w = np.random.default_rng(0).integers(0, 3, size=30)
    w[0] = 1
    Q = _sparse_data(10, 20, 0.2, 4)
    whole = cls().fit(X, y, sample_weight=w)
    parts = cls().fit(sp.csr_matrix(X[:12]), y[:12], sample_weight=w[:12])
    parts.partial_fit(X[12:], y[12:], sample_weight=w[12:])  # dense into sparse
    assert sp.issparse(parts.patterns_)
    np.testing.assert_allclose(
        getattr(parts, readout)(Q), getattr(whole, readout)(Q), rtol=1e-9
    )


def test_text_pipeline_tfidf_regressor():
    """tf-idf -> regressor: the sparse pipeline, against KNeighborsRegressor."""
    from sklearn.neighbors import KNeighborsRegressor

    docs = ["red apple fruit", "green apple fruit", "blue sky cloud", "grey sky rain"] * 5
    t = np.array([1.0, 1.2, -1.0, -1.3] * 5)
    queries = ["red apple", "grey sky", "green fruit"]  # one nearest document each
    reg = make_pipeline(TfidfVectorizer(), ModernHopfieldRegressor(similarity="cosine", beta=1e6))
    knn = make_pipeline(TfidfVectorizer(), KNeighborsRegressor(1, metric="cosine", algorithm="brute"))
    # (each document is repeated 5 times with the same target: those ties
    # are harmless, the regressor averages equal targets)
    np.testing.assert_allclose(
        reg.fit(docs, t).predict(queries), knn.fit(docs, t).predict(queries), rtol=1e-9
    )


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_huge_beta_on_sparse_is_knn(similarity):
    rng = np.random.default_rng(5)
    X = sp.random(80, 300, density=0.05, random_state=1, format="csr")
    X.data = rng.random(X.nnz) + 0.5
    y = rng.integers(0, 5, size=80)
    Q = sp.random(40, 300, density=0.05, random_state=2, format="csr")
    metric = "cosine" if similarity == "cosine" else "euclidean"
    knn = KNeighborsClassifier(1, metric=metric, algorithm="brute").fit(X, y)
    clf = ModernHopfieldClassifier(beta=1e6, similarity="euclidean" if metric == "euclidean" else "cosine")
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict(Q), knn.predict(Q))


def test_text_pipeline_tfidf():
    docs = ["red apple fruit", "green apple fruit", "blue sky cloud", "grey sky rain"] * 5
    y = ["fruit", "fruit", "weather", "weather"] * 5
    pipe = make_pipeline(TfidfVectorizer(), ModernHopfieldClassifier(similarity="cosine", beta=10.0))
    pipe.fit(docs, y)
    assert list(pipe.predict(["yellow apple", "dark sky"])) == ["fruit", "weather"]


@pytest.mark.parametrize("cls", [HopfieldMemory, DenseAssociativeMemory])
def test_binary_memories_still_refuse_sparse(cls):
    X = sp.csr_matrix(np.eye(4))
    with pytest.raises(TypeError, match="Sparse data was passed"):
        cls().fit(X)
