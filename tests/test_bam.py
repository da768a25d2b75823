"""Behaviour of BidirectionalAssociativeMemory: recall both ways, energy, rules, codes.

References the estimator is checked against: a plain Python loop of Kosko's
alternation (written from the paper, not from the kernels), exact integer
energies, the analytic recall guarantee for orthogonal sets, and scikit-learn's
own estimator checks.  The reliability tables (bad input, n_jobs/chunk
invariance, partial_fit, dtypes) run it through ``tests/_cases.py``.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.linalg import hadamard
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhopfield import BidirectionalAssociativeMemory
from skhopfield._core.bam import pseudoinverse_weights
from skhopfield.datasets import flip_bits, make_binary_patterns

RULES = ["correlation", "pseudoinverse"]
FAST = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@parametrize_with_checks(
    [BidirectionalAssociativeMemory(rule, random_state=0) for rule in RULES]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _orthogonal(n_rows, n_units, rng):
    """Mutually orthogonal +/-1 rows: Hadamard rows, columns permuted and signed."""
    H = hadamard(n_units).astype(float)
    rows = rng.choice(n_units, n_rows, replace=False)
    return H[rows][:, rng.permutation(n_units)] * rng.choice([-1.0, 1.0], n_units)


def _kosko_loop(W, x, y=None, max_iter=1000):
    """Kosko's alternation written plainly, one unit at a time, in Python ints.

    Starts from ``x`` (forward, ``y`` None) or from ``y`` (backward, ``x``
    None); a zero field gives -1 on the first half-step and keeps the state
    afterwards.  Returns ``(x, y, alternations)``.
    """
    W = [[int(v) for v in row] for row in W]
    n, m = len(W), len(W[0])

    def y_field(x):
        return [sum(x[i] * W[i][j] for i in range(n)) for j in range(m)]

    def x_field(y):
        return [sum(W[i][j] * y[j] for j in range(m)) for i in range(n)]

    def step(field, state):
        return [1 if f > 0 else -1 if f < 0 else s for f, s in zip(field, state)]

    forward = y is None
    if forward:
        x = [int(v) for v in x]
        y = step(y_field(x), [-1] * m)
    else:
        y = [int(v) for v in y]
        x = step(x_field(y), [-1] * n)
    for k in range(1, max_iter + 1):
        if forward:
            y_new = step(y_field(x), y)
            x_new = step(x_field(y_new), x)
        else:
            x_new = step(x_field(y), x)
            y_new = step(y_field(x_new), y)
        if x_new == x and y_new == y:
            return x, y, k
        x, y = x_new, y_new
    raise AssertionError("no fixed point")


# -- against the plain reference ---------------------------------------------------------
@FAST
@given(
    n=st.integers(1, 24),
    m=st.integers(1, 24),
    n_pairs=st.integers(1, 30),
    n_queries=st.integers(1, 8),
    seed=st.integers(0, 2**31 - 1),
)
def test_correlation_rule_matches_kosko_written_plainly(n, m, n_pairs, n_queries, seed):
    # Far past capacity too: ties (zero fields) are common with integer
    # couplings, and the conventions must match exactly.
    X = make_binary_patterns(n_pairs, n, random_state=seed)
    Y = make_binary_patterns(n_pairs, m, random_state=seed + 1)
    Q = make_binary_patterns(n_queries, n, random_state=seed + 2)
    R = make_binary_patterns(n_queries, m, random_state=seed + 3)
    bam = BidirectionalAssociativeMemory().fit(X, Y)
    W = sum(np.outer(x, y) for x, y in zip(X.astype(int), Y.astype(int)))
    np.testing.assert_array_equal(bam.weights_, W)
    result = bam.retrieve(Q)
    backward = bam.predict_backward(R)
    for k in range(n_queries):
        x, y, n_iter = _kosko_loop(W, Q[k])
        np.testing.assert_array_equal(result.states[k], x)
        np.testing.assert_array_equal(result.targets[k], y)
        assert result.n_iter[k] == n_iter
        x, _, _ = _kosko_loop(W, None, R[k])
        np.testing.assert_array_equal(backward[k], x)
    assert result.converged.all()
    # energies in exact integer arithmetic
    exact = [-int(q.astype(int) @ W @ r.astype(int)) for q, r in zip(Q, R)]
    np.testing.assert_array_equal(bam.energy(Q, R), exact)
    marginal = [-int(np.abs(q.astype(int) @ W).sum()) for q in Q]
    np.testing.assert_array_equal(bam.energy(Q), marginal)


# -- the list ------------------------------------------------------------------
@pytest.mark.parametrize("rule", RULES)
@FAST
@given(log2_n=st.integers(5, 7), data=st.data(), seed=st.integers(0, 2**31 - 1))
def test_orthogonal_pairs_recalled_both_ways_from_10_percent_flips(rule, log2_n, data, seed):
    # N units on the x side, M = N / 2 on the y side.  With d flipped units a
    # cue overlaps its own pattern by n - 2d and every other one by at most
    # 2d, so while (P - 1) 2d < n - 2d on both sides the first half-step
    # already gives the right pattern: the guarantee the test relies on.
    n, m = 2**log2_n, 2 ** (log2_n - 1)
    limit = min(int(np.ceil((k - 2 * d) / (2 * d))) for k, d in ((n, round(0.1 * n)), (m, round(0.1 * m))))
    n_pairs = data.draw(st.integers(1, limit), label="n_pairs")
    rng = np.random.default_rng(seed)
    X, Y = _orthogonal(n_pairs, n, rng), _orthogonal(n_pairs, m, rng)
    bam = BidirectionalAssociativeMemory(rule).fit(X, Y)
    assert bam.stable_patterns_.all() and bam.n_iter_ == 1
    reps = 3
    x_cues = flip_bits(np.repeat(X, reps, axis=0), 0.1, random_state=seed % 1000)
    y_cues = flip_bits(np.repeat(Y, reps, axis=0), 0.1, random_state=seed % 1000 + 1)
    result = bam.retrieve(x_cues)
    np.testing.assert_array_equal(result.targets, np.repeat(Y, reps, axis=0))
    np.testing.assert_array_equal(result.states, np.repeat(X, reps, axis=0))
    np.testing.assert_array_equal(bam.predict(x_cues), np.repeat(Y, reps, axis=0))
    np.testing.assert_array_equal(result.nearest, np.repeat(np.arange(n_pairs), reps))
    np.testing.assert_array_equal(bam.predict_backward(y_cues), np.repeat(X, reps, axis=0))
    assert bam.score(x_cues, np.repeat(Y, reps, axis=0)) == 1.0


@pytest.mark.parametrize("rule", RULES)
@FAST
@given(
    n=st.integers(2, 40),
    m=st.integers(2, 40),
    n_pairs=st.integers(1, 40),
    seed=st.integers(0, 2**31 - 1),
    backward=st.booleans(),
)
def test_energy_never_rises_along_the_iteration(rule, n, m, n_pairs, seed, backward):
    X = make_binary_patterns(n_pairs, n, random_state=seed)
    Y = make_binary_patterns(n_pairs, m, random_state=seed + 1)
    Q = make_binary_patterns(12, n, random_state=seed + 2)
    R = make_binary_patterns(12, m, random_state=seed + 3)
    bam = BidirectionalAssociativeMemory(rule).fit(X, Y)
    energies = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for k in range(1, 8):
            bam.set_params(max_iter=k)
            result = bam.retrieve_backward(R) if backward else bam.retrieve(Q)
            x, y = result.states, result.targets
            energies.append(bam.energy(x, y))
    energies = np.array(energies)
    scale = 1.0 + np.abs(bam.weights_).sum()
    assert (np.diff(energies, axis=0) <= 1e-9 * scale).all(), energies
    # ... and it settles: the energy is bounded and falls at every change.
    bam.set_params(max_iter=10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert bam.retrieve(Q).converged.all()


def _consistent_pairs(n_pairs, n, rng, correlation):
    """Correlated x patterns and y patterns with the same normalized overlaps.

    Each x is a noisy copy of one prototype (strongly correlated set); its y
    is two copies of x with columns permuted and signed, so ``Y Y^T / M =
    X X^T / N``: the case where one matrix can map both ways exactly.
    """
    proto = rng.choice([-1.0, 1.0], n)
    keep = rng.random((n_pairs, n)) < correlation
    X = np.where(keep, proto, rng.choice([-1.0, 1.0], (n_pairs, n)))
    parts = [X[:, rng.permutation(n)] * rng.choice([-1.0, 1.0], n) for _ in range(2)]
    return X, np.hstack(parts)


@FAST
@given(
    n=st.integers(20, 60),
    data=st.data(),
    correlation=st.floats(0.3, 0.8),
    seed=st.integers(0, 2**31 - 1),
)
def test_pseudoinverse_keeps_correlated_pairs(n, data, correlation, seed):
    n_pairs = data.draw(st.integers(2, n // 2), label="n_pairs")
    rng = np.random.default_rng(seed)
    X, Y = _consistent_pairs(n_pairs, n, rng, correlation)
    if np.linalg.matrix_rank(X) < n_pairs:
        return  # the guarantee is for linearly independent sets
    bam = BidirectionalAssociativeMemory("pseudoinverse").fit(X, Y)
    assert bam.stable_patterns_.all()
    np.testing.assert_array_equal(bam.predict(X), Y)
    np.testing.assert_array_equal(bam.transform(X), X)
    np.testing.assert_array_equal(bam.predict_backward(Y), X)
    # the exact pseudo-inverse map, both ways (a plain numpy reference)
    A, B = X / np.sqrt(X.shape[1]), Y / np.sqrt(Y.shape[1])
    np.testing.assert_allclose(bam.weights_, np.linalg.pinv(A) @ B, atol=1e-9)
    np.testing.assert_allclose(bam.weights_, (np.linalg.pinv(B) @ A).T, atol=1e-9)


def test_pseudoinverse_keeps_what_the_correlation_rule_loses():
    rng = np.random.default_rng(0)
    lost = kept = 0
    for _ in range(10):
        X, Y = _consistent_pairs(12, 40, rng, 0.6)
        corr = BidirectionalAssociativeMemory("correlation").fit(X, Y)
        pinv = BidirectionalAssociativeMemory("pseudoinverse").fit(X, Y)
        lost += int((~corr.stable_patterns_).sum())
        kept += int(pinv.stable_patterns_.sum())
        # as many recalled exactly from the x cue as are stable, for pinv
        assert (pinv.predict(X) == Y).all()
    assert lost >= 60  # the correlation rule loses most of the 120 pairs
    assert kept == 120


def test_pseudoinverse_weights_solve_the_joint_least_squares_problem():
    # Inconsistent directions (random pairs): the gradient of
    # ||A W - B||^2 + ||B W^T - A||^2 vanishes, and W lies in the row spaces.
    rng = np.random.default_rng(1)
    X = make_binary_patterns(7, 20, random_state=2)
    Y = make_binary_patterns(7, 13, random_state=3)
    W = pseudoinverse_weights(X, Y)
    A, B = X / np.sqrt(20), Y / np.sqrt(13)
    grad = A.T @ (A @ W - B) + (W @ B.T - A.T) @ B
    np.testing.assert_allclose(grad, 0.0, atol=1e-10)
    PA, PB = np.linalg.pinv(A) @ A, np.linalg.pinv(B) @ B
    np.testing.assert_allclose(PA @ W @ PB, W, atol=1e-10)
    # a perturbation inside the spaces raises the loss (a minimum, not a saddle)
    def loss(V):
        return np.sum((A @ V - B) ** 2) + np.sum((B @ V.T - A) ** 2)

    for _ in range(5):
        D = PA @ rng.standard_normal(W.shape) @ PB * 1e-3
        assert loss(W + D) > loss(W)


# -- labels and codes ------------------------------------------------------------------
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("kind", ["int", "str"])
def test_labels_round_trip_through_the_codes(rule, kind):
    rng = np.random.default_rng(0)
    X = _orthogonal(8, 64, rng)
    labels = np.arange(8) * 3 if kind == "int" else np.array(list("HOPFXABC"))
    bam = BidirectionalAssociativeMemory(rule, code_length=128, random_state=0)
    bam.fit(X, labels)
    assert bam.codes_.shape == (8, 128)
    np.testing.assert_array_equal(bam.classes_, np.sort(labels))
    np.testing.assert_array_equal(np.abs(bam.codes_), 1.0)
    np.testing.assert_array_equal(bam.targets_, bam.codes_[np.searchsorted(bam.classes_, labels)])
    cues = flip_bits(X, 0.1, random_state=1)
    np.testing.assert_array_equal(bam.predict(cues), labels)
    np.testing.assert_array_equal(bam.predict_backward(labels), X)  # label -> picture
    assert bam.score(cues, labels) == 1.0
    # the same random_state draws the same codes; another draws others
    again = BidirectionalAssociativeMemory(rule, code_length=128, random_state=0).fit(X, labels)
    np.testing.assert_array_equal(again.codes_, bam.codes_)
    other = BidirectionalAssociativeMemory(rule, code_length=128, random_state=1).fit(X, labels)
    assert (other.codes_ != bam.codes_).any()
    # a label's code does not depend on the labels stored after it
    grown = BidirectionalAssociativeMemory(rule, code_length=128, random_state=0)
    grown.fit(X[:5], labels[:5]).partial_fit(X[5:], labels[5:])
    np.testing.assert_array_equal(grown.codes_, bam.codes_)


def test_labels_decode_many_samples_per_class():
    # Classification-like use: several noisy samples per label share a code.
    rng = np.random.default_rng(3)
    protos = _orthogonal(4, 64, rng)
    X = flip_bits(np.repeat(protos, 10, axis=0), 0.1, random_state=4)
    y = np.repeat(np.array(["a", "b", "c", "d"]), 10)
    bam = BidirectionalAssociativeMemory(random_state=0).fit(X, y)
    cues = flip_bits(np.repeat(protos, 5, axis=0), 0.15, random_state=5)
    assert bam.score(cues, np.repeat(np.array(["a", "b", "c", "d"]), 5)) == 1.0


# -- bad input -------------------------------------------------------------------------
def _fitted(labeled=False):
    X = make_binary_patterns(5, 12, random_state=0)
    y = np.arange(5) if labeled else make_binary_patterns(5, 7, random_state=1)
    return BidirectionalAssociativeMemory(random_state=0).fit(X, y), X, y


def test_bad_input_gives_clear_errors():
    bam, X, Y = _fitted()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        BidirectionalAssociativeMemory().fit(X, Y[:4])
    with pytest.raises(ValueError, match="requires y"):
        BidirectionalAssociativeMemory().fit(X, None)
    bad = Y.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BidirectionalAssociativeMemory().fit(X, bad)
    # NaN in a y cue is a missing entry (tests/test_partial_cues.py);
    # infinity is refused
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        bam.predict_backward(bad)
    with pytest.raises(ValueError, match="infinity"):
        bam.energy(X, bad)
    with pytest.raises(ValueError, match="needs numbers in y, but y holds strings"):
        BidirectionalAssociativeMemory().fit(X, np.full((5, 2), "a"))
    # wrong widths, on either side
    with pytest.raises(ValueError, match="has 11 features.*expecting 12"):
        bam.predict(X[:, :11])
    with pytest.raises(ValueError, match="has 8 features.*expecting 7 .*y layer"):
        bam.predict_backward(np.ones((2, 8)))
    with pytest.raises(ValueError, match="has 6 features.*expecting 7 .*y layer"):
        bam.score(X, Y[:, :6])
    with pytest.raises(ValueError, match="Y has 6 columns.*expecting 7"):
        bam.partial_fit(X, Y[:, :6])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        bam.energy(X, Y[:3])
    # labels and patterns do not mix across partial_fit
    with pytest.raises(ValueError, match="same kind of y.*2-D"):
        bam.partial_fit(X, np.arange(5))
    labeled, X, y = _fitted(labeled=True)
    with pytest.raises(ValueError, match="same kind of y.*1-D labels"):
        labeled.partial_fit(X, make_binary_patterns(5, 7, random_state=1))
    with pytest.raises(ValueError, match="not stored in the memory"):
        labeled.predict_backward([0, 99])
    with pytest.raises(ValueError, match="not stored in the memory"):
        labeled.predict_backward(["a"])
    with pytest.raises(ValueError, match="Mix of label input types"):
        labeled.partial_fit(X[:2], ["a", "b"])
    with pytest.raises(ValueError, match="code_length changed"):
        labeled.set_params(code_length=8).partial_fit(X[:2], [7, 8])


def test_failed_fit_leaves_the_previous_memory():
    bam, X, Y = _fitted()
    before = bam.weights_.copy()
    with pytest.raises(ValueError):
        bam.fit(X, Y[:3])
    np.testing.assert_array_equal(bam.weights_, before)
    np.testing.assert_array_equal(bam.predict(X), BidirectionalAssociativeMemory(random_state=0).fit(X, Y).predict(X))
