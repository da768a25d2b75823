"""The dominance certificate of the exponential dense memory against the sweeps.

Where one stored pattern outweighs all the others (``e^{2 beta} R <= 0.4``,
see the module docstring of ``skhopfield._core.dense``) a row is sent to
that pattern in one step instead of neuron by neuron.  The proof says the
per-neuron computation would have done exactly that; here the reference is
that computation itself, the same model with the certificate switched off:
every state, sweep count, convergence flag and cycle flag must be the same,
bit for bit, for asynchronous sweeps (random visiting orders) and
synchronous steps, at every ``beta``, with ties (duplicated patterns) and
states at every distance from the patterns.
"""

import warnings
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from skhopfield import DenseAssociativeMemory
from skhopfield._core.binary import run_dynamics
from skhopfield._core.dense import DenseModel
from skhopfield.datasets import flip_bits, make_binary_patterns
from skhopfield.exceptions import CapacityWarning


def _case(seed, n_patterns, n_features, n_states, noise, duplicates):
    rng = np.random.RandomState(seed)
    X = np.where(rng.rand(n_patterns, n_features) < 0.5, -1.0, 1.0)
    if duplicates and n_patterns > 1:
        X[rng.randint(n_patterns, size=duplicates)] = X[0]  # ties at the top
    S = X[rng.randint(n_patterns, size=n_states)]
    S = S * np.where(rng.rand(*S.shape) < noise, -1.0, 1.0)
    return X, S


def _models(X, float32=False, **params):
    """The exponential model, and the same model with the certificate off
    (every row swept neuron by neuron)."""
    patterns = X.astype(np.float32) if float32 else X
    fast = DenseModel(patterns, "exponential", **params)
    slow = DenseModel(patterns, "exponential", **params)
    slow._dominance = False
    return fast, slow


@settings(max_examples=60, deadline=None)
@given(
    log10_beta=st.one_of(st.floats(-3, 3), st.sampled_from([-300.0, 300.0])),
    n_features=st.integers(1, 48),
    n_patterns=st.integers(1, 60),
    noise=st.sampled_from([0.0, 0.05, 0.2, 0.35, 0.5]),
    duplicates=st.sampled_from([0, 0, 1, 3]),
    update=st.sampled_from(["async", "sync"]),
    max_iter=st.sampled_from([1, 2, 30]),
    float32=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_certified_rows_match_the_per_neuron_dynamics_bit_for_bit(
    log10_beta, n_features, n_patterns, noise, duplicates, update, max_iter, float32,
    seed,
):
    X, S = _case(seed, n_patterns, n_features, 8, noise, duplicates)
    beta = 10.0**log10_beta
    fast, slow = _models(X, float32, beta=beta)
    assert fast._certifiable()  # the exponential without weights
    out = [
        run_dynamics(m, S, update=update, max_iter=max_iter, seed=seed)
        for m in (fast, slow)
    ]
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)
    # a synchronous step alone, from the same states
    ST = np.array(S.T, order="C")
    np.testing.assert_array_equal(fast.sync_step(ST), slow.sync_step(ST))
    np.testing.assert_array_equal(ST, S.T)  # sync_step leaves its input alone


def test_the_certificate_takes_the_rows_it_should_and_only_those():
    # Noisy cues of 200 random patterns of 64 bits at beta 1: far from every
    # other pattern, so each is certified at the start of its first sweep;
    # with a duplicate of the cue's pattern (a tie at the top) none is.
    X, S = _case(0, 200, 64, 30, 0.15, 0)
    model = DenseModel(X, "exponential", beta=1.0)
    ST = np.array(S.T, order="C")
    cache = model.init_cache(ST)
    changed = model.async_sweep(ST, cache, np.arange(64))
    nearest = (S @ X.T).argmax(axis=1)
    np.testing.assert_array_equal(cache[3], nearest)  # every row certified
    np.testing.assert_array_equal(ST.T, X[nearest])
    np.testing.assert_array_equal(changed, (S != X[nearest]).any(axis=1))
    assert model._XT is None  # no per-neuron work, not even its float64 copy
    # the next sweep changes nothing
    assert not model.async_sweep(ST, cache, np.arange(64)).any()
    rows, mu = model._dominant((S @ X.T).astype(np.float32))
    np.testing.assert_array_equal(rows, np.arange(30))
    np.testing.assert_array_equal(mu, nearest)

    tied = np.vstack([X, X[nearest[:5]]])
    model = DenseModel(tied, "exponential", beta=1.0)
    ST = np.array(S[:5].T, order="C")
    cache = model.init_cache(ST)
    model.async_sweep(ST, cache, np.arange(64))
    assert (cache[3] == -1).all()
    assert model._dominant((S[:5] @ tied.T).astype(np.float32))[0].size == 0


def test_the_certificate_is_the_exponential_without_weights_only():
    X, _ = _case(1, 20, 16, 1, 0.0, 0)
    for interaction in ("polynomial", "rectified_polynomial"):
        assert not DenseModel(X, interaction, 3)._certifiable()
    assert DenseModel(X, "exponential")._certifiable()
    weights = np.arange(1.0, 21.0)
    assert not DenseModel(X, "exponential", weights=weights)._certifiable()
    assert DenseModel(X, "exponential", weights=np.ones(20))._certifiable()


def _fit_and_retrieve(X, cues, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacityWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        memory = DenseAssociativeMemory("exponential", **params).fit(X)
        return memory, memory.retrieve(cues)


@settings(max_examples=25, deadline=None)
@given(
    log10_beta=st.floats(-2, 2),
    n_features=st.integers(2, 80),
    n_patterns=st.integers(1, 300),
    noise=st.sampled_from([0.0, 0.1, 0.25, 0.45]),
    update=st.sampled_from(["async", "sync"]),
    random_state=st.integers(0, 2**16),
)
def test_estimator_results_do_not_depend_on_the_certificate(
    log10_beta, n_features, n_patterns, noise, update, random_state
):
    # fit's self-check (a synchronous step from every stored pattern) and
    # retrieval, with and without the certificate: the same fitted
    # attributes and the same results, including sweep counts.
    X = make_binary_patterns(n_patterns, n_features, random_state=random_state)
    X = np.vstack([X, X[:3]])  # stored twice: ties at the top
    picks = np.random.RandomState(random_state).randint(len(X), size=40)
    cues = flip_bits(X[picks], noise, random_state=random_state + 1)
    params = dict(beta=10.0**log10_beta, update=update, random_state=random_state)
    fast, fast_result = _fit_and_retrieve(X, cues, max_iter=20, **params)
    with mock.patch.object(DenseModel, "_certifiable", lambda self: False):
        slow, slow_result = _fit_and_retrieve(X, cues, max_iter=20, **params)
    np.testing.assert_array_equal(fast.stable_patterns_, slow.stable_patterns_)
    assert fast.n_iter_ == slow.n_iter_
    for key in ("states", "n_iter", "converged", "cycled", "nearest"):
        np.testing.assert_array_equal(fast_result[key], slow_result[key])


def test_the_threshold_keeps_out_the_rows_whose_dynamics_go_elsewhere(monkeypatch):
    # The cue is x1 (all +1) with its last bit flipped: overlap N - 2 with
    # x1; k copies of y (x1 with bits 0 and 1 flipped) have overlap N - 6.
    # So R = k e^{-4 beta} and e^{2 beta} R = k e^{-2 beta}: above 1, neuron
    # 0 leaves x1 for y when it is visited first.  The certificate takes the
    # row exactly where k e^{-2 beta} <= 0.4, and the dynamics agree with the
    # sweeps on both sides; with the threshold raised past 1 they would not.
    import skhopfield._core.dense as dense

    N, k = 9, 3
    x1 = np.ones(N)
    y = x1.copy()
    y[:2] = -1
    X = np.vstack([x1] + [y] * k)
    S = x1[None].copy()
    S[0, -1] = -1
    orders = [np.arange(N), np.arange(N)[::-1]]

    def run(model, visit):
        ST = np.array(S.T, order="C")
        cache = model.init_cache(ST)
        model.async_sweep(ST, cache, visit)
        return ST.T, cache[3][0] if model._certifiable() else None

    for beta in np.linspace(0.05, 1.5, 30):
        fast, slow = _models(X, beta=beta)
        for visit in orders:
            (got, target), (expected, _) = run(fast, visit), run(slow, visit)
            np.testing.assert_array_equal(got, expected)
            assert (target == 0) == (k * np.exp(-2 * beta) <= 0.4 * (1 - 1e-9))
    beta = 0.3  # k e^{-2 beta} = 1.6: the first neuron goes to y
    monkeypatch.setattr(dense, "DOMINANCE", 50.0)
    fast, slow = _models(X, beta=beta)
    (got, target), (expected, _) = run(fast, orders[0]), run(slow, orders[0])
    assert target == 0 and (got != expected).any()


@settings(max_examples=60, deadline=None)
@given(
    log10_beta=st.one_of(st.floats(-1, 3), st.sampled_from([-300.0, 300.0])),
    n_features=st.integers(16, 48),
    n_patterns=st.integers(1, 60),
    noise=st.sampled_from([0.05, 0.2]),
    missing=st.sampled_from([0.1, 0.3, 0.5, 1.0]),
    clamp_rows=st.sampled_from([4, 8]),
    update=st.sampled_from(["async", "sync"]),
    max_iter=st.sampled_from([1, 2, 30]),
    seed=st.integers(0, 2**16),
)
def test_partial_cues_match_the_per_neuron_dynamics_bit_for_bit(
    log10_beta, n_features, n_patterns, noise, missing, clamp_rows, update, max_iter,
    seed,
):
    # Partial cues (neurons at 0, clamped neurons) beside whole ones: the
    # certificate may only send rows whose every neuron is free and +/-1.
    X, S = _case(seed, n_patterns, n_features, 8, noise, 0)
    rng = np.random.RandomState(seed + 1)
    free = np.ones(S.shape, dtype=bool)
    hidden = rng.rand(clamp_rows, n_features) < missing
    S[:clamp_rows][hidden] = 0.0
    free[:clamp_rows] = hidden  # known entries of the partial rows clamped
    fast, slow = _models(X, beta=10.0**log10_beta)
    out = [
        run_dynamics(m, S, update=update, max_iter=max_iter, seed=seed, free=free)
        for m in (fast, slow)
    ]
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)
    states = out[0][0]
    np.testing.assert_array_equal(states[~free], S[~free])  # clamps held
    assert np.isin(states, (-1.0, 1.0)).all()
