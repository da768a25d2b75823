"""Unlearning ("dreaming", Hopfield, Feinstein & Palmer 1983) in HopfieldMemory.

The dreams are checked against a plain loop written here (random start,
neuron-by-neuron asynchronous updates from ``W @ s``, then ``W -= eps s s^T
/ N``), and the effect against plain Hebbian storage of the same patterns
with the same seeds.  partial_fit, invariance and bad parameters are in the
shared tables (tests/_cases.py, case ``hopfield-hebbian-dreams``).
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhopfield import HopfieldMemory
from skhopfield._core.binary import sweep_order
from skhopfield._core.classical import hebbian_weights, unlearn
from skhopfield.datasets import make_binary_patterns


@parametrize_with_checks(
    [
        HopfieldMemory(n_dreams=6, dream_batch=3, random_state=0),
        HopfieldMemory("storkey", n_dreams=3, dream_rate=0.1, random_state=0),
    ]
)
def test_sklearn_compatible_with_dreams(estimator, check):
    check(estimator)


def plain_dreams(W, n_dreams, rate, batch, max_iter, seed):
    """The 1983 procedure, one neuron at a time, drawing what unlearn draws."""
    W = W.copy()
    n = W.shape[0]
    rng = np.random.default_rng(seed)
    done = 0
    while done < n_dreams:
        size = min(batch, n_dreams - done)
        starts = np.where(rng.random((size, n)) < 0.5, -1.0, 1.0)
        order_seed = int(rng.integers(np.iinfo(np.int32).max))
        tol = 1e-9 * max(float(np.abs(W).sum(axis=0).max()), 1.0)
        ends = []
        for s in starts:
            s = s.copy()
            for sweep in range(max_iter):
                changed = False
                for i in sweep_order(order_seed, sweep, n):
                    h = W[i] @ s
                    if h * s[i] < -tol:
                        s[i] = -s[i]
                        changed = True
                if not changed:
                    break
            ends.append(s)
        for s in ends:
            W -= rate * np.outer(s, s) / n
        np.fill_diagonal(W, 0.0)
        done += size
    return W


@settings(max_examples=15, deadline=None)
# Found by hypothesis: three dreams of rate 1/3 cancel a coupling of 1/2
# exactly, in floats to ~1e-17; that residue must not decide a flip.
@example(n_features=2, n_patterns=1, n_dreams=6, batch=1, rate=1 / 3, seed=0)
@given(
    n_features=st.integers(2, 24),
    n_patterns=st.integers(1, 8),
    n_dreams=st.integers(0, 12),
    batch=st.integers(1, 5),
    rate=st.floats(1e-3, 1.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_dreams_match_a_plain_loop(n_features, n_patterns, n_dreams, batch, rate, seed):
    X = make_binary_patterns(n_patterns, n_features, random_state=seed % 997)
    W = hebbian_weights(X)
    got = unlearn(W, n_dreams, rate, batch=batch, max_iter=50, seed=seed)
    ref = plain_dreams(W, n_dreams, rate, batch, 50, seed)
    np.testing.assert_allclose(got, ref, atol=1e-12)
    np.testing.assert_array_equal(got, got.T)
    assert (np.diag(got) == 0).all()


def test_no_dreams_by_default_weights_unchanged():
    X = make_binary_patterns(10, 50, random_state=0)
    memory = HopfieldMemory(random_state=0).fit(X)
    assert memory.n_dreams == 0
    np.testing.assert_array_equal(memory.weights_, hebbian_weights(X))


def _spurious_and_fixed(memory, X, n_starts, seed):
    """Fraction of random starts ending in a state that is neither a stored
    pattern nor its ghost; fraction of stored patterns that are fixed points."""
    starts = make_binary_patterns(n_starts, X.shape[1], random_state=seed)
    states = memory.transform(starts)
    overlaps = np.abs(states @ X.T).max(axis=1)
    return float((overlaps < X.shape[1]).mean()), float(memory.stable_patterns_.mean())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unlearning_lowers_the_spurious_fraction_at_015_n(seed):
    # P = 0.15 N: above the Hebbian capacity, random starts end almost always
    # in spurious states.  400 dreams of rate 0.01 (total strength ~4
    # patterns' worth) remove about half of them and make every stored
    # pattern a fixed point, on the same patterns with the same seeds.
    N, P = 100, 15
    X = make_binary_patterns(P, N, random_state=seed)
    plain = HopfieldMemory(random_state=seed).fit(X)
    dreamt = HopfieldMemory(
        random_state=seed, n_dreams=400, dream_rate=0.01, dream_batch=10
    ).fit(X)
    spurious_plain, fixed_plain = _spurious_and_fixed(plain, X, 200, seed + 100)
    spurious_dreamt, fixed_dreamt = _spurious_and_fixed(dreamt, X, 200, seed + 100)
    assert spurious_dreamt < spurious_plain - 0.1
    assert fixed_dreamt >= fixed_plain and fixed_dreamt == 1.0


def test_too_many_dreams_erase_the_memories():
    # The papers' warning: past the optimum the stored patterns go too.
    N, P = 100, 15
    X = make_binary_patterns(P, N, random_state=0)
    over = HopfieldMemory(
        random_state=0, n_dreams=4000, dream_rate=0.01, dream_batch=40
    ).fit(X)
    assert over.stable_patterns_.mean() < 0.5


def test_partial_fit_dreams_again_from_the_learned_couplings():
    X = make_binary_patterns(12, 60, random_state=0)
    params = dict(random_state=0, n_dreams=30, dream_rate=0.02, dream_batch=5)
    parts = HopfieldMemory(**params).fit(X[:6]).partial_fit(X[6:])
    whole = HopfieldMemory(**params).fit(X)
    np.testing.assert_allclose(parts.weights_, whole.weights_, atol=1e-12)
    # the dreams were applied to the couplings of all twelve patterns
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    expected = unlearn(hebbian_weights(X), 30, 0.02, batch=5, max_iter=100, seed=seed)
    np.testing.assert_allclose(parts.weights_, expected, atol=1e-12)
    assert not np.allclose(parts.weights_, hebbian_weights(X))


def test_dreams_are_taken_in_true_units_when_the_couplings_carry_a_factor():
    # Storkey couplings are kept up to a factor exp(log_scale): dreaming on
    # the scaled matrix must give the scaled result of dreaming on the true one.
    X = make_binary_patterns(8, 40, random_state=0)
    W = hebbian_weights(X)
    for log_scale in (-3.0, 0.7, 40.0):
        scaled = unlearn(
            W * np.exp(-log_scale), 20, 0.05, batch=4, seed=1, log_scale=log_scale
        )
        true = unlearn(W, 20, 0.05, batch=4, seed=1)
        np.testing.assert_allclose(np.exp(log_scale) * scaled, true, atol=1e-12)
