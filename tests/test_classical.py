"""Behaviour of HopfieldMemory: recall, stability, energy, invariances, errors."""

import pickle

import numpy as np
import pytest
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhopfield import HopfieldMemory
from skhopfield._core import classical
from skhopfield.datasets import flip_bits, make_binary_patterns

RULES = ["hebbian", "storkey", "pseudoinverse"]


# scikit-learn's checks store far more patterns than features: the
# pseudo-inverse rule then learns nothing and says so.
@pytest.mark.filterwarnings("ignore::skhopfield.exceptions.CapacityWarning")
@parametrize_with_checks(
    [
        HopfieldMemory(rule, update=update, random_state=0)
        for rule in RULES
        for update in ("async", "sync")
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("update", ["async", "sync"])
def test_recall_from_15_percent_flips(rule, update):
    # P = 8 patterns in N = 200 neurons: far under 0.138 N and N / (4 ln N).
    X = make_binary_patterns(8, 200, random_state=0)
    memory = HopfieldMemory(rule, update=update, random_state=0).fit(X)
    cues = flip_bits(np.repeat(X, 5, axis=0), 0.15, random_state=1)
    assert (cues != np.repeat(X, 5, axis=0)).any()
    retrieved = memory.transform(cues)
    np.testing.assert_array_equal(retrieved, np.repeat(X, 5, axis=0))
    np.testing.assert_array_equal(memory.predict(cues), np.repeat(np.arange(8), 5))


@pytest.mark.parametrize("rule", RULES)
def test_stored_patterns_are_fixed_points(rule):
    X = make_binary_patterns(10, 150, random_state=3)
    memory = HopfieldMemory(rule, random_state=0).fit(X)
    assert memory.stable_patterns_.all()
    assert memory.n_iter_ == 1
    result = memory.retrieve(X)
    np.testing.assert_array_equal(result.states, X)
    assert (result.n_iter == 1).all() and result.converged.all()


def _correlated_patterns(n_patterns, n_features, noise, seed):
    rng = np.random.RandomState(seed)
    base = np.where(rng.rand(n_features) < 0.5, -1.0, 1.0)
    flips = rng.rand(n_patterns, n_features) < noise
    return np.where(flips, -base, base)


def test_pseudoinverse_keeps_correlated_patterns_hebbian_loses():
    # Twenty variants of one prototype, each differing in ~20% of the bits.
    X = _correlated_patterns(20, 100, noise=0.2, seed=0)
    assert np.linalg.matrix_rank(X) == 20
    hebb = HopfieldMemory("hebbian", random_state=0).fit(X)
    pinv = HopfieldMemory("pseudoinverse", random_state=0).fit(X)
    assert pinv.stable_patterns_.all()
    np.testing.assert_array_equal(pinv.transform(X), X)
    # Hebbian cross-talk pulls every variant to the shared prototype.
    assert hebb.stable_patterns_.mean() < 0.5
    assert (hebb.transform(X) != X).any(axis=1).mean() > 0.5


def test_storkey_beats_hebbian_at_quarter_capacity():
    n_features = 200
    X = make_binary_patterns(n_features // 4, n_features, random_state=7)
    cues = flip_bits(X, 0.05, random_state=8)
    recalled = {}
    for rule in ("hebbian", "storkey"):
        memory = HopfieldMemory(rule, random_state=0).fit(X)
        recalled[rule] = (memory.transform(cues) == X).all(axis=1).mean()
    assert recalled["storkey"] >= 0.9
    assert recalled["storkey"] - recalled["hebbian"] >= 0.3


def test_energy_never_rises_during_async_retrieval():
    X = make_binary_patterns(30, 120, random_state=0)  # past capacity: long descents
    starts = make_binary_patterns(200, 120, random_state=1)
    memory = HopfieldMemory("hebbian", random_state=5).fit(X)
    energies = [memory.energy(starts)]
    with pytest.warns(ConvergenceWarning):
        for sweeps in range(1, 6):
            # Same random_state: the first k sweeps use the same orders.
            memory.set_params(max_iter=sweeps)
            energies.append(memory.energy(memory.transform(starts)))
    energies = np.array(energies)
    assert (np.diff(energies, axis=0) <= 1e-9).all()
    assert (energies[-1] < energies[0]).mean() > 0.9


def test_async_block_size_does_not_change_the_dynamics(monkeypatch):
    # The blocked sweep must be the sequential asynchronous update exactly.
    X = make_binary_patterns(25, 100, random_state=0)
    starts = make_binary_patterns(60, 100, random_state=1)
    memory = HopfieldMemory(random_state=3).fit(X)
    reference = memory.retrieve(starts)
    monkeypatch.setattr(classical, "ASYNC_BLOCK", 1)
    one_by_one = memory.retrieve(starts)
    np.testing.assert_array_equal(one_by_one.states, reference.states)
    np.testing.assert_array_equal(one_by_one.n_iter, reference.n_iter)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("update", ["async", "sync"])
def test_results_do_not_depend_on_n_jobs_chunks_or_row_order(update):
    X = make_binary_patterns(20, 100, random_state=0)
    cues = flip_bits(np.repeat(X, 6, axis=0), 0.3, random_state=1)
    memory = HopfieldMemory("storkey", update=update, random_state=4).fit(X)
    reference = memory.retrieve(cues)

    parallel = memory.set_params(n_jobs=2).retrieve(cues)
    with config_context(working_memory=0.01):  # a handful of rows per chunk
        chunked = memory.set_params(n_jobs=1).retrieve(cues)
    perm = np.random.RandomState(0).permutation(len(cues))
    shuffled = memory.retrieve(cues[perm])

    for other in (parallel, chunked):
        np.testing.assert_array_equal(other.states, reference.states)
        np.testing.assert_array_equal(other.n_iter, reference.n_iter)
    np.testing.assert_array_equal(shuffled.states, reference.states[perm])


def test_sync_two_cycle_is_detected_and_stopped():
    # W = [[0, 1], [1, 0]]: from (+1, -1) synchronous updates swap the two
    # neurons forever.
    memory = HopfieldMemory(update="sync", max_iter=1000).fit([[1.0, 1.0]])
    with pytest.warns(ConvergenceWarning, match="2-cycle"):
        result = memory.retrieve([[1.0, -1.0], [1.0, 1.0]])
    assert result.cycled.tolist() == [True, False]
    assert result.converged.tolist() == [False, True]
    assert result.n_iter[0] <= 3
    # Asynchronous updates settle in a fixed point from the same start.
    memory.set_params(update="async", random_state=0)
    assert memory.retrieve([[1.0, -1.0]]).converged.all()


def test_max_iter_reached_warns():
    X = make_binary_patterns(40, 100, random_state=0)
    starts = make_binary_patterns(50, 100, random_state=1)
    memory = HopfieldMemory(max_iter=1, random_state=0).fit(X)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        result = memory.retrieve(starts)
    assert not result.converged.all()


def test_ghost_state_predicts_its_pattern():
    X = make_binary_patterns(5, 100, random_state=0)
    memory = HopfieldMemory(random_state=0).fit(X, ["a", "b", "c", "d", "e"])
    ghosts = -flip_bits(X, 0.1, random_state=1)
    # The sign-reversed pattern is an attractor too, and transform shows it ...
    np.testing.assert_array_equal(memory.transform(ghosts), -X)
    # ... but predict counts it as the pattern it mirrors.
    assert memory.predict(ghosts).tolist() == ["a", "b", "c", "d", "e"]
    assert memory.score(ghosts, ["a", "b", "c", "d", "e"]) == 1.0


@pytest.mark.parametrize("rule", ["hebbian", "storkey"])
def test_partial_fit_is_incremental(rule):
    A = make_binary_patterns(6, 80, random_state=0)
    B = make_binary_patterns(4, 80, random_state=1)
    whole = HopfieldMemory(rule).fit(np.vstack([A, B]))
    parts = HopfieldMemory(rule).fit(A).partial_fit(B)
    np.testing.assert_allclose(parts.weights_, whole.weights_, atol=1e-12)
    np.testing.assert_array_equal(parts.patterns_, whole.patterns_)


def test_pseudoinverse_partial_fit_recomputes_the_projection():
    A = make_binary_patterns(6, 80, random_state=0)
    B = make_binary_patterns(4, 80, random_state=1)
    whole = HopfieldMemory("pseudoinverse").fit(np.vstack([A, B]))
    parts = HopfieldMemory("pseudoinverse").fit(A).partial_fit(B)
    np.testing.assert_allclose(parts.weights_, whole.weights_, atol=1e-10)


def test_weights_are_symmetric_with_zero_diagonal():
    X = make_binary_patterns(12, 60, random_state=0)
    for rule in RULES:
        W = HopfieldMemory(rule).fit(X).weights_
        np.testing.assert_allclose(W, W.T, atol=1e-12)
        assert np.all(np.diag(W) == 0)


def test_threshold_binarizes_zero_one_and_real_inputs():
    X = make_binary_patterns(5, 64, random_state=0)
    zero_one = (X + 1) / 2
    m1 = HopfieldMemory(random_state=0).fit(X)
    m2 = HopfieldMemory(threshold=0.5, random_state=0).fit(zero_one)
    np.testing.assert_array_equal(m1.weights_, m2.weights_)
    np.testing.assert_array_equal(m2.transform(zero_one), X)


def test_energy_matches_the_definition():
    X = make_binary_patterns(7, 50, random_state=0)
    S = make_binary_patterns(9, 50, random_state=1)
    memory = HopfieldMemory("storkey").fit(X)
    W = memory.weights_
    expected = np.array([-0.5 * s @ W @ s for s in S])
    np.testing.assert_allclose(memory.energy(S), expected)


def test_labels_round_trip_through_partial_fit():
    X = make_binary_patterns(6, 100, random_state=0)
    memory = HopfieldMemory(random_state=0).fit(X[:3], [10, 11, 12])
    memory.partial_fit(X[3:], [13, 14, 15])
    assert memory.predict(X).tolist() == [10, 11, 12, 13, 14, 15]
    with pytest.raises(ValueError, match="labels"):
        memory.partial_fit(X[:1])


def test_pickle_round_trip():
    X = make_binary_patterns(8, 64, random_state=0)
    cues = flip_bits(X, 0.2, random_state=1)
    memory = HopfieldMemory("storkey", random_state=0).fit(X, list("abcdefgh"))
    clone = pickle.loads(pickle.dumps(memory))
    np.testing.assert_array_equal(clone.weights_, memory.weights_)
    np.testing.assert_array_equal(clone.transform(cues), memory.transform(cues))
    np.testing.assert_array_equal(clone.predict(cues), memory.predict(cues))


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([[np.inf, 1.0, -1.0, 1.0]]), "infinity"),
        (np.array([[np.nan, -np.inf, -1.0, 1.0]]), "infinity"),
        (np.ones((1, 3)), "features"),
    ],
)
def test_bad_queries_raise_clear_errors(bad, match):
    # NaN is a missing entry (tests/test_partial_cues.py); infinity is refused
    memory = HopfieldMemory().fit(make_binary_patterns(3, 4, random_state=0))
    for method in ("transform", "predict", "energy", "retrieve"):
        with pytest.raises(ValueError, match=match):
            getattr(memory, method)(bad)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"learning_rule": "oja"}, "learning_rule"),
        ({"update": "parallel"}, "update"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, match):
    with pytest.raises(ValueError, match=match):
        HopfieldMemory(**params).fit(make_binary_patterns(3, 4, random_state=0))


def test_infinite_patterns_raise():
    with pytest.raises(ValueError, match="infinity"):
        HopfieldMemory().fit([[np.inf, 1.0], [1.0, -1.0]])
