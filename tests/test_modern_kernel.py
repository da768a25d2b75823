"""The predict kernel of the modern memories (issue 13): one GEMM per row.

``ModernMemory.class_scores`` shifts every row's scores by an upper bound
``b(q)``, or by the row's maximum where that bound is loose (large
``beta``), taken from the same GEMM; across pattern blocks a row moves
between the two by rescaling its partial sums.  These tests compare it with
a plain reference written from the documented formulas alone, in numpy's
extended precision (``longdouble``; euclidean scores as ``-||x - q||^2 / 2``
summed from the differences, so far from the origin nothing cancels), on
cases hypothesis searches over the accepted ranges: both dtypes, the three
similarities, ``beta`` from far below ``"auto"`` to far above it, data
scales and offsets, pattern weights, far-away cues, blocks of every width,
and arbitrary ranges in which the bound's shift is kept.  They also check
that the work is not doubled: every row's scores are computed once, except
cues beyond twice the largest pattern norm on the exact path, which are
recomputed unshifted.  Sparse (CSR) stored patterns and cues take the same
kernel through their own products and are searched as well.
"""

import os

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skhopfield import ModernHopfieldClassifier, ModernHopfieldRegressor
from skhopfield._core.scoring import SIMILARITIES, make_memory

FAST = settings(
    max_examples=int(os.environ.get("SKHOPFIELD_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LD = np.longdouble


def _reference(X, Q, beta, similarity, weights, values):
    """``softmax(beta z + log w) @ values`` per row, in extended precision."""
    X, Q = np.asarray(X, dtype=LD), np.asarray(Q, dtype=LD)
    if similarity == "cosine":
        X = X / np.sqrt((X * X).sum(axis=1, keepdims=True))
        Q = Q / np.sqrt((Q * Q).sum(axis=1, keepdims=True))
    if similarity == "euclidean":
        z = np.stack([-((X - q) ** 2).sum(axis=1) / 2 for q in Q])
    elif similarity == "manhattan":
        z = np.stack([-np.abs(X - q).sum(axis=1) for q in Q])
    else:
        z = Q @ X.T
    s = LD(beta) * z
    if weights is not None:
        s = s + np.log(np.asarray(weights, dtype=LD))
    s -= s.max(axis=1, keepdims=True)
    w = np.exp(s)
    w /= w.sum(axis=1, keepdims=True)
    return (w @ np.asarray(values, dtype=LD)).astype(np.float64)


def _dense(A):
    return A.toarray() if sp.issparse(A) else A


def _tolerance(X, Q, beta, similarity, dtype):
    """64 eps times ``beta`` times the largest squared magnitude involved
    (the scores' rounding in a frame that keeps the patterns' spread; a
    sparse memory is not centered)."""
    centered = not sp.issparse(X)
    X, Q = _dense(X).astype(np.float64), _dense(Q).astype(np.float64)
    if similarity == "cosine":
        size = 2.0
    elif similarity == "manhattan":  # linear units
        c = X.mean(axis=0)
        size = np.abs(Q - c).sum(axis=1).max() + np.abs(X - c).sum(axis=1).max()
    else:
        euclidean = similarity == "euclidean" and centered
        c = X.mean(axis=0) if euclidean else np.zeros(X.shape[1])
        size = ((Q - c) ** 2).sum(axis=1).max() + ((X - c) ** 2).sum(axis=1).max()
    return 64 * float(np.finfo(dtype).eps) * max(1.0, beta * size)


@st.composite
def problems(draw):
    dtype = np.dtype(draw(st.sampled_from([np.float64, np.float32])))
    similarity = draw(st.sampled_from(SIMILARITIES))
    seed = draw(st.integers(0, 2**32 - 1))
    P = draw(st.integers(1, 40))
    N = draw(st.integers(1, 6))
    n = draw(st.integers(1, 12))
    C = draw(st.integers(1, 4))
    scale = 10.0 ** draw(st.floats(-3, 3))
    offset = draw(st.sampled_from([0.0, 3.0, 100.0]))
    spread = draw(st.sampled_from([0.1, 1.0, 4.0, 30.0]))  # cues' distance
    rel_beta = 10.0 ** draw(st.floats(-2, 5))  # x beta "auto"
    weighted = draw(st.booleans())
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((P, N))
    Q = X[rng.integers(0, P, n)] + spread * rng.standard_normal((n, N))
    shift = offset * rng.standard_normal(N)
    X, Q = ((X + shift) * scale).astype(dtype), ((Q + shift) * scale).astype(dtype)
    if similarity == "cosine":
        Q[np.all(Q == 0, axis=1)] = 1  # a zero cue has no direction
        X[np.all(X == 0, axis=1)] = 1
    weights = 10.0 ** rng.uniform(-2, 2, P) if weighted else None
    values = np.zeros((P, C))
    values[np.arange(P), rng.integers(0, C, P)] = 1
    width = draw(st.integers(1, P))
    sparse = draw(st.sampled_from(["dense", "sparse", "sparse cues"]))
    if similarity == "manhattan" and sparse == "sparse":
        sparse = "dense"  # manhattan stores dense patterns only
    if sparse != "dense":
        # about half the entries zero; the stored patterns as CSR (and the
        # cues too, or dense)
        X = X * (rng.random(X.shape) < 0.5)
        Q = Q * (rng.random(Q.shape) < 0.5)
        if similarity == "cosine":
            X[np.all(X == 0, axis=1), 0] = 1
            Q[np.all(Q == 0, axis=1), 0] = 1
        if similarity != "manhattan":  # (manhattan: dense patterns, sparse cues)
            X = sp.csr_matrix(X)
        if sparse == "sparse cues":
            Q = sp.csr_matrix(Q)
    return X, Q, similarity, rel_beta, weights, values, width


def _memory_and_beta(X, similarity, rel_beta, weights):
    memory = make_memory(X, similarity, weights=weights)
    var = memory.total_variance()
    scaled = rel_beta * (20.0 / var if var > 0 else 1.0)
    return memory, scaled, memory.unscale_beta(scaled)


def _check(memory, X, Q, similarity, beta, scaled, weights, values, width):
    dtype = X.dtype
    out = np.empty((Q.shape[0], width), dtype=dtype)
    with np.errstate(all="raise"):
        scores = memory.class_scores(
            memory.start(Q), scaled, values.astype(dtype), out=out
        )
    assert scores.dtype == dtype
    assert np.all(np.isfinite(scores)) and np.all(scores.sum(axis=1) > 0)
    got = scores.astype(np.float64) / scores.sum(axis=1, keepdims=True, dtype=np.float64)
    expected = _reference(_dense(X), _dense(Q), beta, similarity, weights, values)
    atol = _tolerance(X, Q, beta, similarity, dtype)
    np.testing.assert_allclose(got, expected, rtol=0, atol=atol)
    if values.shape[1] > 1:
        top2 = np.sort(expected, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 4 * atol
        np.testing.assert_array_equal(
            np.argmax(got, axis=1)[clear], np.argmax(expected, axis=1)[clear]
        )


@FAST
@given(problems())
def test_class_scores_match_the_extended_precision_reference(problem):
    X, Q, similarity, rel_beta, weights, values, width = problem
    memory, scaled, beta = _memory_and_beta(X, similarity, rel_beta, weights)
    _check(memory, X, Q, similarity, beta, scaled, weights, values, width)


@FAST
@given(problems(), st.floats(-30, -0.5), st.floats(0.5, 30))
def test_any_range_for_the_bound_shift_gives_the_same_scores(problem, lo, hi):
    """Narrow the range in which a row keeps the bound's shift: rows then
    move between shifts across the pattern blocks (below the range, in it,
    above it; the partial sums rescaled), and the result must not change."""
    X, Q, similarity, rel_beta, weights, values, width = problem
    memory, scaled, beta = _memory_and_beta(X, similarity, rel_beta, weights)
    memory._fast_range = lambda dtype: (dtype.type(lo), dtype.type(hi))
    _check(memory, X, Q, similarity, beta, scaled, weights, values, width)


@FAST
@given(problems())
def test_score_floor_is_a_lower_bound_of_the_shifted_scores(problem):
    """The lower bound that lets the kernel skip the row-maximum pass."""
    X, Q, similarity, rel_beta, weights, _, _ = problem
    memory, scaled, _ = _memory_and_beta(X, similarity, rel_beta, weights)
    V = memory.start(Q)
    bound = memory._bound(V)
    a = memory._gemm(memory._cues(V, scaled, bound), None, None).astype(np.float64)
    if sp.issparse(a):
        a = a.toarray()
    if memory.log_weight is not None:
        a += memory.log_weight
    low = memory._score_floor(bound, scaled)
    # rounding of the scores: eps times the magnitudes they sum
    slack = 64 * float(np.finfo(X.dtype).eps) * (np.abs(low) + scaled + 1)
    assert np.all(a.min(axis=1) >= low - slack)


def _count_rows(memory):
    """Wrap ``memory._gemm`` to count the cue rows it scores, per pattern."""
    counts = {"rows": 0}
    inner = memory._gemm

    def gemm(Qa, rows, out):
        width = memory.aug.shape[0] if rows is None else rows.stop - rows.start
        rows_in = Qa[0] if isinstance(Qa, tuple) else Qa  # manhattan: (Q, beta, shift)
        counts["rows"] += rows_in.shape[0] * width
        return inner(Qa, rows, out)

    memory._gemm = gemm
    return counts


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("width", [None, 7])
@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_large_beta_scores_every_row_once(dtype, width, similarity):
    """At a beta where the bound is loose for every row (every weight
    ``exp(beta (z - b))`` would underflow), each row's scores are still
    computed once; cues beyond 2 R (the largest pattern norm) are computed again,
    unshifted (euclidean only)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8)).astype(dtype)
    Q = (X[:25] + 0.7 * rng.standard_normal((25, 8))).astype(dtype)
    far = (X[:5] * 20).astype(dtype)  # |q| > 2 R
    Q = np.vstack([Q, far])
    values = np.zeros((60, 3))
    values[np.arange(60), np.arange(60) % 3] = 1
    memory = make_memory(X, similarity)
    beta = 1e4 if similarity == "cosine" else 1e3
    scaled = memory.scale_beta(beta)
    V = memory.start(Q)
    low = memory._score_floor(memory._bound(V), scaled)
    lo, _ = memory._fast_range(np.dtype(dtype))
    assert np.all(low < lo)  # nothing proven: every row's maximum is checked
    counts = _count_rows(memory)
    out = None if width is None else np.empty((len(Q), width), dtype)
    with np.errstate(all="raise"):
        scores = memory.class_scores(V, scaled, values.astype(dtype), out=out)
    n_far = 5 if similarity == "euclidean" else 0
    assert counts["rows"] == (len(Q) + n_far) * len(X)
    got = scores / scores.sum(axis=1, keepdims=True)
    expected = _reference(X, Q, beta, similarity, None, values)
    np.testing.assert_allclose(got, expected, atol=_tolerance(X, Q, beta, similarity, dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_beta_estimators_match_the_reference(dtype):
    """predict / predict_proba of the classifier and the regressor's
    read-out ``[T | 1]`` at a beta where every row takes the exact path."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 30)).astype(dtype)
    y = rng.integers(0, 4, 300)
    T = rng.standard_normal((300, 2))
    Q = (X[rng.integers(0, 300, 80)] + rng.standard_normal((80, 30))).astype(dtype)
    beta = 5.0  # beta d^2 / 2 of the nearest pattern ~ 75: past float32's range
    onehot = (y[:, None] == np.arange(4)).astype(float)
    clf = ModernHopfieldClassifier(beta=beta).fit(X, y)
    reg = ModernHopfieldRegressor(beta=beta).fit(X, T)
    atol = _tolerance(X, Q, beta, "euclidean", dtype)
    expected = _reference(X, Q, beta, "euclidean", None, onehot)
    np.testing.assert_allclose(clf.predict_proba(Q), expected, atol=atol)
    top2 = np.sort(expected, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 4 * atol
    assert clear.mean() > 0.9
    np.testing.assert_array_equal(clf.predict(Q)[clear], np.argmax(expected, axis=1)[clear])
    # the regressor's output is a convex combination of targets of size ~3
    expected_T = _reference(X, Q, beta, "euclidean", None, T)
    np.testing.assert_allclose(reg.predict(Q), expected_T, atol=8 * atol * np.abs(T).max())


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_uncentered_sparse_memory_far_from_the_origin(container):
    """A sparse memory is not centered: its patterns' norms from the origin,
    not their spread around the mean, bound the scores.  A tight cluster far
    from the origin and cues near the origin: every weight shifted by the
    bound underflows, so each row must take the exact path."""
    rng = np.random.default_rng(0)
    X = 10 + 0.1 * rng.standard_normal((50, 5))
    X[:, 0] = 0
    y = np.arange(50) % 2
    Q = 0.1 * rng.standard_normal((6, 5))
    clf = ModernHopfieldClassifier(beta=4.0).fit(container(X), y)
    with np.errstate(all="raise"):
        proba = clf.predict_proba(Q)
    onehot = (y[:, None] == np.arange(2)).astype(float)
    expected = _reference(X, Q, 4.0, "euclidean", None, onehot)
    np.testing.assert_allclose(proba, expected, atol=_tolerance(container(X), Q, 4.0, "euclidean", X.dtype))
