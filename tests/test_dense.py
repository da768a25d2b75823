"""Behaviour of DenseAssociativeMemory: capacity, energy, range, invariances, errors."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhopfield import DenseAssociativeMemory, HopfieldMemory
from skhopfield._core.binary import sweep_order
from skhopfield._core.dense import DenseModel
from skhopfield.datasets import flip_bits, make_binary_patterns
from skhopfield.exceptions import CapacityWarning

INTERACTIONS = ["polynomial", "rectified_polynomial", "exponential"]


@parametrize_with_checks(
    [
        DenseAssociativeMemory(random_state=0),
        DenseAssociativeMemory("exponential", random_state=0),
        DenseAssociativeMemory("rectified_polynomial", order=4, update="sync", random_state=0),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _brute_force_sweep(S, X, order, F):
    """The definition, one query and one neuron at a time: sign of lower energy."""
    S = S.copy()
    for s in S:
        for i in order:
            r = X @ s - X[:, i] * s[i]
            plus, minus = F(X[:, i] + r).sum(), F(-X[:, i] + r).sum()
            if (plus - minus) * s[i] < 0:
                s[i] = -s[i]
    return S


@pytest.mark.parametrize(
    "interaction, order, beta",
    [
        ("polynomial", 2, 1.0),
        ("polynomial", 3, 1.0),
        ("polynomial", 4, 1.0),
        ("rectified_polynomial", 3, 1.0),
        ("exponential", 3, 1.0),
        ("exponential", 3, 0.05),
    ],
)
def test_sweep_follows_the_definition(interaction, order, beta):
    F = {
        "polynomial": lambda z: z**order,
        "rectified_polynomial": lambda z: np.maximum(z, 0) ** order,
        "exponential": lambda z: np.exp(beta * z),
    }[interaction]
    X = make_binary_patterns(15, 21, random_state=1)  # odd N: no exact ties
    S = make_binary_patterns(25, 21, random_state=2)
    model = DenseModel(X, interaction, order, beta)
    visit = sweep_order(0, 0, 21)
    expected = _brute_force_sweep(S, X, visit, F)
    got = np.ascontiguousarray(S.T)  # models work neuron-major
    cache = model.init_cache(got)
    changed = model.async_sweep(got, cache, visit)
    got = got.T
    assert (expected != S).any()  # the sweep had work to do
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(changed, (got != S).any(axis=1))
    # overlaps kept in step, but for the rows that the exponential's
    # dominance certificate sent to one pattern at once (those are it)
    kept = cache[3] < 0 if model._certifiable() else np.ones(len(S), dtype=bool)
    np.testing.assert_array_equal(cache[0][kept], got[kept] @ X.T)
    if not kept.all():
        np.testing.assert_array_equal(got[~kept], X[cache[3][~kept]])
    # Synchronous: every neuron decided from the same state.
    expected_sync = np.array(
        [_brute_force_sweep(s[None], X, [i], F)[0, i] for s in S for i in range(21)]
    ).reshape(S.shape)
    np.testing.assert_array_equal(model.sync_step(np.ascontiguousarray(S.T)).T, expected_sync)


@settings(max_examples=60, deadline=None)
@given(
    n_features=st.integers(1, 12),
    n_patterns=st.integers(1, 8),
    order=st.integers(2, 6),
    rectified=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_polynomial_sweep_matches_exact_integer_arithmetic(
    n_features, n_patterns, order, rectified, seed
):
    # Small even and odd N: exact ties happen, and keep the current state.
    rng = np.random.RandomState(seed)
    X = np.where(rng.rand(n_patterns, n_features) < 0.5, -1, 1)
    S = np.where(rng.rand(6, n_features) < 0.5, -1, 1)
    visit = rng.permutation(n_features)

    def F(z):
        return max(z, 0) ** order if rectified else z**order

    expected = S.tolist()
    for s in expected:
        for i in visit:
            r = [int(x @ s) - x[i] * s[i] for x in X]
            gain = sum(F(int(x[i]) + r_mu) - F(-int(x[i]) + r_mu) for x, r_mu in zip(X, r))
            if gain * s[i] < 0:
                s[i] = -s[i]
    interaction = "rectified_polynomial" if rectified else "polynomial"
    model = DenseModel(X.astype(float), interaction, order, 1.0)
    got = np.ascontiguousarray(S.T, dtype=float)  # neuron-major
    model.async_sweep(got, model.init_cache(got), visit)
    np.testing.assert_array_equal(got.T, np.array(expected, dtype=float))


def test_order_3_recalls_97_percent_of_2n_patterns():
    n_features = 100
    X = make_binary_patterns(2 * n_features, n_features, random_state=0)
    memory = DenseAssociativeMemory(order=3, random_state=0).fit(X)
    cues = flip_bits(X, 0.1, random_state=1)
    assert ((cues != X).sum(axis=1) == 10).all()
    recalled = (memory.transform(cues) == X).all(axis=1)
    assert recalled.mean() >= 0.97
    # The classical network (order 2) is far past capacity at P = 2N.
    classical = DenseAssociativeMemory(order=2, random_state=0).fit(X)
    assert (classical.transform(cues) == X).all(axis=1).mean() < 0.1


def test_exponential_recalls_1000_patterns_in_64_neurons():
    X = make_binary_patterns(1000, 64, random_state=0)
    memory = DenseAssociativeMemory("exponential", random_state=0).fit(X)
    assert memory.stable_patterns_.all()
    cues = flip_bits(X, 0.1, random_state=1)
    result = memory.retrieve(cues)
    assert (result.states == X).all(axis=1).mean() >= 0.99
    assert (result.nearest == np.arange(1000)).mean() >= 0.99


def test_exponential_at_3000_features_raises_no_warning():
    X = make_binary_patterns(40, 3000, random_state=0)
    cues = flip_bits(X, 0.3, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for beta in (1e-8, 1.0, 1e6):
            memory = DenseAssociativeMemory("exponential", beta=beta, random_state=0)
            if beta < 1.0:
                # beta far below 1/sqrt(N): every state falls to the majority
                # of the patterns, none is a fixed point, and fit says so.
                with pytest.warns(CapacityWarning, match="larger beta"):
                    memory.fit(X)
            else:
                memory.fit(X)
            states = memory.transform(cues)
            energies = np.concatenate([memory.energy(cues), memory.energy(states)])
            assert np.isfinite(states).all() and np.isfinite(energies).all()
            if beta >= 1.0:
                np.testing.assert_array_equal(states, X)
                # Overlaps reach N = 3000: exp(3000) overflows, its log does not.
                np.testing.assert_allclose(
                    memory.energy(X), -3000.0 - np.log(1 / 40) / beta, rtol=1e-3
                )


def test_polynomial_energy_is_exact_and_never_nan():
    X = make_binary_patterns(7, 50, random_state=0)
    S = make_binary_patterns(9, 50, random_state=1)
    M = S @ X.T
    for order in (2, 3, 5):
        memory = DenseAssociativeMemory(order=order).fit(X)
        np.testing.assert_array_equal(memory.energy(S), -(M**order).sum(axis=1))
        memory.set_params(interaction="rectified_polynomial")
        np.testing.assert_array_equal(
            memory.energy(S), -(np.maximum(M, 0) ** order).sum(axis=1)
        )
    # Past float64 (3000^101 ~ 1e351): signed infinities, never NaN (inf - inf),
    # no warning, and the dynamics still work.
    X = make_binary_patterns(6, 3000, random_state=0)
    memory = DenseAssociativeMemory(order=101, random_state=0).fit(np.vstack([X, -X[:1]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # X[0] meets +3000 and -3000: the two giant terms cancel.
        energies = memory.energy(np.vstack([X[:1], X[1:2], -X[2:3]]))
        plain = DenseAssociativeMemory(order=101, random_state=0).fit(X)
        states = plain.transform(flip_bits(X, 0.2, random_state=1))
    assert np.isfinite(energies[0])
    assert energies[1] == -np.inf and energies[2] == np.inf
    np.testing.assert_array_equal(states, X)


def test_exponential_energy_is_the_documented_monotone_equivalent():
    X = make_binary_patterns(7, 40, random_state=0)
    S = make_binary_patterns(50, 40, random_state=1)
    beta = 0.3
    memory = DenseAssociativeMemory("exponential", beta=beta).fit(X)
    exact = -np.exp(beta * (S @ X.T)).sum(axis=1)  # small enough to compute here
    np.testing.assert_allclose(memory.energy(S), -np.log(-exact / 7) / beta)
    order = np.argsort(exact, kind="stable")
    assert (np.diff(memory.energy(S)[order]) >= -1e-12).all()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params",
    [
        {"order": 3},
        {"order": 4},
        {"interaction": "rectified_polynomial", "order": 3},
        {"interaction": "exponential", "beta": 1.0},
        {"interaction": "exponential", "beta": 0.1},
    ],
)
def test_energy_never_rises_during_async_retrieval(params):
    # Past capacity from random starts, so the descents are long.
    X = make_binary_patterns(300, 60, random_state=0)
    starts = make_binary_patterns(150, 60, random_state=1)
    memory = DenseAssociativeMemory(**params, random_state=3).fit(X)
    energies = [memory.energy(starts)]
    for sweeps in range(1, 6):
        # Same random_state: the first k sweeps visit the neurons in the same orders.
        memory.set_params(max_iter=sweeps)
        energies.append(memory.energy(memory.transform(starts)))
    energies = np.array(energies)
    slack = 1e-12 * np.abs(energies).max()
    assert (np.diff(energies, axis=0) <= slack).all()
    assert (energies[-1] < energies[0]).mean() > 0.9


@pytest.mark.parametrize("update", ["async", "sync"])
def test_order_2_is_the_classical_hebbian_network(update):
    X = make_binary_patterns(14, 100, random_state=0)
    starts = np.vstack(
        [flip_bits(X, 0.25, random_state=1), make_binary_patterns(60, 100, random_state=2)]
    )
    dense = DenseAssociativeMemory(order=2, update=update, random_state=5).fit(X)
    classical = HopfieldMemory("hebbian", update=update, random_state=5).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # sync 2-cycles, both
        a, b = dense.retrieve(starts), classical.retrieve(starts)
    assert (a.states != starts).any(axis=1).mean() > 0.5  # real dynamics
    for key in ("states", "n_iter", "converged", "cycled", "nearest"):
        np.testing.assert_array_equal(a[key], b[key])
    np.testing.assert_array_equal(dense.stable_patterns_, classical.stable_patterns_)
    # Same energy landscape: -1/2 s^T W s = -(1/2N) (sum_mu m_mu^2 - P N).
    S = starts
    np.testing.assert_allclose(
        classical.energy(S), (dense.energy(S) + 14 * 100) / (2 * 100), atol=1e-9
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params",
    [
        {"order": 2},  # integer ties
        {"order": 3, "update": "sync"},
        {"interaction": "exponential", "beta": 0.2},
    ],
)
def test_results_do_not_depend_on_n_jobs_chunks_or_row_order(params):
    X = make_binary_patterns(60, 80, random_state=0)
    cues = np.vstack(
        [flip_bits(X, 0.25, random_state=1), make_binary_patterns(60, 80, random_state=2)]
    )
    memory = DenseAssociativeMemory(**params, random_state=4).fit(X)
    reference = memory.retrieve(cues)
    assert (reference.states != cues).any()

    parallel = memory.set_params(n_jobs=2).retrieve(cues)
    with config_context(working_memory=0.01):  # a handful of rows per chunk
        chunked = memory.set_params(n_jobs=1).retrieve(cues)
        chunked_energy = memory.energy(cues)
    perm = np.random.RandomState(0).permutation(len(cues))
    shuffled = memory.retrieve(cues[perm])

    for other in (parallel, chunked):
        for key in ("states", "n_iter", "converged", "cycled"):
            np.testing.assert_array_equal(other[key], reference[key])
    np.testing.assert_array_equal(shuffled.states, reference.states[perm])
    np.testing.assert_array_equal(shuffled.n_iter, reference.n_iter[perm])
    np.testing.assert_array_equal(chunked_energy, memory.energy(cues))


def test_grid_search_over_order_in_a_pipeline():
    # Four prototypes, twenty noisy, real-valued members each.
    rng = np.random.RandomState(0)
    prototypes = make_binary_patterns(4, 60, random_state=0)
    y = np.repeat(np.arange(4), 20)
    X = flip_bits(prototypes[y], 0.2, random_state=1) + rng.normal(0, 0.3, (80, 60))
    pipe = Pipeline(
        [("scale", StandardScaler()), ("dam", DenseAssociativeMemory(random_state=0))]
    )
    search = GridSearchCV(
        pipe,
        {"dam__order": [2, 3, 4], "dam__interaction": ["polynomial"]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    )
    search.fit(X, y)
    assert search.cv_results_["mean_test_score"].shape == (3,)
    assert search.best_params_["dam__order"] in (2, 3, 4)
    assert search.best_score_ >= 0.9
    assert search.score(X, y) >= 0.9


@pytest.mark.parametrize(
    "params, match",
    [
        ({"order": 1}, "order"),
        ({"order": 2.5}, "order"),
        ({"order": 3.0}, "order"),
        ({"order": 1001}, "order"),
        ({"beta": 0.0}, "beta"),
        ({"beta": -1.0}, "beta"),
        ({"interaction": "gaussian"}, "interaction"),
        ({"update": "parallel"}, "update"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, match):
    X = make_binary_patterns(3, 4, random_state=0)
    with pytest.raises(ValueError, match=match):
        DenseAssociativeMemory(**params).fit(X)
    # Changed after fitting: caught at retrieval, not run on.
    memory = DenseAssociativeMemory().fit(X)
    memory.set_params(**params)
    with pytest.raises(ValueError, match=match):
        memory.transform(X)


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
    memory = DenseAssociativeMemory().fit(make_binary_patterns(3, 4, random_state=0))
    for method in ("transform", "predict", "energy", "retrieve"):
        with pytest.raises(ValueError, match=match):
            getattr(memory, method)(bad)
    with pytest.raises(ValueError, match="infinity"):
        DenseAssociativeMemory().fit([[np.inf, 1.0], [1.0, -1.0]])


def test_partial_fit_is_exactly_incremental():
    A = make_binary_patterns(30, 64, random_state=0)
    B = make_binary_patterns(20, 64, random_state=1)
    cues = flip_bits(np.vstack([A, B]), 0.15, random_state=2)
    whole = DenseAssociativeMemory(random_state=0).fit(np.vstack([A, B]), np.arange(50))
    parts = DenseAssociativeMemory(random_state=0).fit(A, np.arange(30))
    parts.partial_fit(B, np.arange(30, 50))
    np.testing.assert_array_equal(parts.patterns_, whole.patterns_)
    np.testing.assert_array_equal(parts.stable_patterns_, whole.stable_patterns_)
    np.testing.assert_array_equal(parts.transform(cues), whole.transform(cues))
    np.testing.assert_array_equal(parts.predict(cues), whole.predict(cues))
    assert (whole.predict(cues) == np.arange(50)).mean() >= 0.95


def test_threshold_binarizes_zero_one_inputs():
    X = make_binary_patterns(20, 64, random_state=0)
    cues = flip_bits(X, 0.1, random_state=1)
    m1 = DenseAssociativeMemory(random_state=0).fit(X)
    m2 = DenseAssociativeMemory(threshold=0.5, random_state=0).fit((X + 1) / 2)
    np.testing.assert_array_equal(m2.patterns_, X)
    np.testing.assert_array_equal(m2.transform((cues + 1) / 2), m1.transform(cues))


def test_rectified_polynomial_ignores_anti_aligned_patterns():
    X = make_binary_patterns(5, 40, random_state=0)
    memory = DenseAssociativeMemory("rectified_polynomial", random_state=0).fit(X)
    # The sign-reversed pattern has negative overlap with its own pattern;
    # the rectified energy gives it no pull, the plain odd one a push away.
    S = -X[:1]
    np.testing.assert_array_equal(
        memory.energy(S), -(np.maximum(S @ X.T, 0) ** 3).sum(axis=1)
    )
    assert memory.energy(X[:1])[0] < memory.energy(S)[0] <= 0


def test_pickle_round_trip():
    X = make_binary_patterns(30, 64, random_state=0)
    cues = flip_bits(X, 0.2, random_state=1)
    memory = DenseAssociativeMemory("exponential", beta=0.5, random_state=0)
    memory.fit(X, [f"p{k}" for k in range(30)])
    clone = pickle.loads(pickle.dumps(memory))
    assert clone.get_params() == memory.get_params()
    np.testing.assert_array_equal(clone.patterns_, memory.patterns_)
    np.testing.assert_array_equal(clone.transform(cues), memory.transform(cues))
    np.testing.assert_array_equal(clone.predict(cues), memory.predict(cues))
    np.testing.assert_array_equal(clone.energy(cues), memory.energy(cues))


@pytest.mark.parametrize("order", [2, 3, 4])
def test_ghosts_follow_the_symmetry_of_the_energy(order):
    # Even orders: E(s) = E(-s), the reversed pattern is an attractor and
    # predict counts it as its pattern.  Odd orders: it is not an attractor,
    # and predict reports the pattern nearest to where retrieval ended.
    X = make_binary_patterns(5, 100, random_state=0)
    memory = DenseAssociativeMemory(order=order, random_state=0).fit(X, list("abcde"))
    ghosts = -flip_bits(X, 0.1, random_state=1)
    retrieved = memory.transform(ghosts)
    predicted = memory.predict(ghosts)
    nearest = np.argmax(retrieved @ X.T, axis=1)
    if order % 2 == 0:
        np.testing.assert_array_equal(retrieved, -X)
        assert predicted.tolist() == list("abcde")
    else:
        assert not (retrieved == -X).all(axis=1).any()
        assert predicted.tolist() == [list("abcde")[k] for k in nearest]
