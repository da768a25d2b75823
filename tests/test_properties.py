"""Property-based tests (hypothesis) of every estimator in ``_cases.CASES``.

Over random sizes, seeds, patterns and parameters:

- the energy never rises during retrieval (asynchronous sweeps of the binary
  memories, update steps of the modern network);
- stored patterns are fixed points when the load is well under capacity;
- results are the same for any ``n_jobs``, any ``working_memory`` and any
  row order: discrete outputs identical, real-valued ones to rounding (see
  ``_cases.assert_same``);
- ``fit(A)`` + ``partial_fit(B)`` equals ``fit(A | B)``;
- ``transform`` keeps the input's shape and follows the dtype rules;
- ``predict`` returns only stored labels.

``max_examples`` is set per test so that the whole file stays well under a
minute on two cores; ``SKHOPFIELD_EXAMPLES=500 pytest tests/test_properties.py``
runs a deeper search by hand.
"""

import os

import numpy as np
import pytest
from _cases import (
    CASES,
    SPARSE_CASES,
    Case,
    assert_same,
    fit_args,
    labels_for,
    one_per_estimator,
    outputs,
    patterns,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joblib import parallel_config
from scipy.linalg import hadamard
from sklearn import config_context

# Few examples per test and no deadline: each example fits a small memory.
EXAMPLES = int(os.environ.get("SKHOPFIELD_EXAMPLES", "15"))
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

seeds = st.integers(0, 2**31 - 1)
cases = pytest.mark.parametrize("case", CASES, ids=repr)


# Convergence warnings are expected here (small max_iter, sync cycles);
# RuntimeWarnings stay errors (pyproject.toml).
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- energy never rises --------------------------------------------------------------
# Synchronous binary updates are left out: they may raise the energy (cycles).
@pytest.mark.parametrize(
    "case", [c for c in CASES + SPARSE_CASES if c.asynchronous], ids=repr
)
@FAST
@given(
    n_features=st.integers(4, 40),
    n_patterns=st.integers(1, 30),
    n_starts=st.integers(1, 20),
    seed=seeds,
    random_state=st.integers(0, 1000),
)
def test_energy_never_rises_during_retrieval(
    case, n_features, n_patterns, n_starts, seed, random_state
):
    X = patterns(case, n_patterns, n_features, seed)
    starts = patterns(case, n_starts, n_features, seed + 1)
    est = case.make()
    if case.binary:
        est.set_params(random_state=random_state)
    else:
        est.set_params(tol=0.0)
    est.fit(*fit_args(case, X))
    if not case.binary and est.similarity == "cosine":
        # the dynamics start from the unit-normalized cue
        from sklearn.preprocessing import normalize

        starts = normalize(starts)
    energies = [est.energy(starts)]
    for k in range(1, 6):
        # Same random_state: max_iter=k gives the states after k sweeps
        # (binary) or k update steps (modern, tol=0).
        est.set_params(max_iter=k)
        energies.append(est.energy(est.transform(starts)))
    energies = np.array(energies)
    assert np.isfinite(energies).all()
    scale = 1.0 + np.abs(energies).max()
    if not case.binary:
        scale += est.max_norm_**2
    assert (np.diff(energies, axis=0) <= 1e-9 * scale).all(), energies


# -- stored patterns are fixed points ------------------------------------------------
def _orthogonal_patterns(n_patterns, log2_features, seed):
    """Mutually orthogonal +/-1 rows: Hadamard rows, columns permuted and signed."""
    rng = np.random.default_rng(seed)
    n = 2**log2_features
    H = hadamard(n).astype(float)
    rows = rng.choice(n, n_patterns, replace=False)
    return H[rows][:, rng.permutation(n)] * rng.choice([-1.0, 1.0], n)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.orthogonal_stable and not c.learned], ids=repr
)
@FAST
@given(data=st.data(), log2_features=st.integers(3, 6), seed=seeds)
def test_stored_patterns_are_fixed_points_well_under_capacity(
    case, data, log2_features, seed
):
    # Orthogonal patterns, at most N/4 of them: no cross-talk at all for the
    # classical rules; for the dense energies each pattern's own term
    # dominates; for the modern network the nearest pattern's attention
    # weight is 1 - P exp(-beta * margin) with a margin of at least N/2.
    n_features = 2**log2_features
    n_patterns = data.draw(st.integers(1, n_features // 4), label="n_patterns")
    X = _orthogonal_patterns(n_patterns, log2_features, seed)
    est = case.make()
    if not case.binary:
        scale = data.draw(st.floats(0.1, 10.0), label="scale")
        X = X * scale
        margin = 1.0 if est.similarity == "cosine" else scale**2 * n_features / 2
        est.set_params(beta=60.0 / margin)
    y = labels_for(n_patterns, "str", case)
    if case.hetero:
        # Pairs of orthogonal sets: x^mu <-> y^mu with no cross-talk either way
        # (labels would share codes between patterns of one class).
        y = _orthogonal_patterns(n_patterns, log2_features - 1, seed + 1)
    est.fit(X, y)
    result = est.retrieve(X)
    if case.binary:
        assert est.stable_patterns_.all()
        np.testing.assert_array_equal(result.states, X)
        assert (result.n_iter == 1).all() and result.converged.all()
    else:
        expected = X
        if est.similarity == "cosine":  # cosine stores unit-normalized patterns
            expected = X / np.linalg.norm(X, axis=1, keepdims=True)
        np.testing.assert_allclose(result.states, expected, atol=1e-9 * scale)
        assert result.converged.all()
    if case.regressor:  # the nearest stored pair's target, to rounding
        np.testing.assert_allclose(est.predict(X), y, rtol=1e-9, atol=1e-9)
        if len(set(y.tolist())) > 1:  # R^2 is undefined for a constant y
            assert est.score(X, y) == pytest.approx(1.0)
        return
    np.testing.assert_array_equal(est.predict(X), y)
    assert est.score(X, y) == 1.0


# -- invariance to n_jobs, working_memory, row order ---------------------------------
@pytest.mark.parametrize("case", CASES + SPARSE_CASES, ids=repr)
@settings(FAST, max_examples=max(1, 2 * EXAMPLES // 3))
@given(
    n_features=st.integers(2, 30),
    n_patterns=st.integers(1, 20),
    n_queries=st.integers(1, 40),
    seed=seeds,
    working_memory=st.sampled_from([1e-4, 1e-3, 5e-3, 0.05]),
    n_jobs=st.sampled_from([2, 3, -1]),
)
def test_results_do_not_depend_on_n_jobs_chunks_or_row_order(
    case, n_features, n_patterns, n_queries, seed, working_memory, n_jobs
):
    X = patterns(case, n_patterns, n_features, seed)
    Q = patterns(case, n_queries, n_features, seed + 1)
    est = case.make().fit(*fit_args(case, X, labeled=True))
    perm = np.random.default_rng(seed).permutation(n_queries)
    reference = outputs(est, Q)
    with config_context(working_memory=working_memory):
        chunked = outputs(est, Q)
    # Threads: the same chunked parallel path as processes, minus the
    # start-up cost (test_distributed.py and the estimator files run
    # process-based backends).
    with parallel_config(backend="threading"):
        parallel = outputs(est.set_params(n_jobs=n_jobs), Q)
        with config_context(working_memory=working_memory):
            both = outputs(est, Q)
    shuffled = outputs(est.set_params(n_jobs=None), Q[perm])
    for other in (chunked, parallel, both):
        assert_same(reference, other, binary=case.binary)
    assert_same(reference, shuffled, perm, binary=case.binary)


@pytest.mark.parametrize("case", one_per_estimator(), ids=repr)
def test_worker_processes_return_what_one_process_returns(case):
    # The hypothesis test above runs threads; this is joblib's default
    # process backend (loky): the estimator's memory is pickled to workers.
    X = patterns(case, 25, 30, seed=0)
    Q = patterns(case, 300, 30, seed=1)
    est = case.make().fit(*fit_args(case, X, labeled=True))
    reference = outputs(est, Q)
    with config_context(working_memory=0.05):
        parallel = outputs(est.set_params(n_jobs=2), Q)
    assert_same(reference, parallel, binary=case.binary)


# -- incremental storage -------------------------------------------------------------
# Learned memories continue training instead (tests/test_learned.py).
@pytest.mark.parametrize("case", [c for c in CASES if not c.learned], ids=repr)
@FAST
@given(
    n_features=st.integers(2, 30),
    n_a=st.integers(1, 10),
    n_b=st.integers(1, 10),
    seed=seeds,
)
def test_fit_then_partial_fit_equals_fit_on_the_union(case, n_features, n_a, n_b, seed):
    X = patterns(case, n_a + n_b, n_features, seed)
    y = labels_for(n_a + n_b, "str", case)
    Q = patterns(case, 15, n_features, seed + 1)
    whole = case.make().fit(X, y)
    parts = case.make().fit(X[:n_a], y[:n_a]).partial_fit(X[n_a:], y[n_a:])
    np.testing.assert_array_equal(parts.patterns_, whole.patterns_)
    for attr in ("pattern_labels_", "targets_"):
        if hasattr(whole, attr):
            np.testing.assert_array_equal(getattr(parts, attr), getattr(whole, attr))
    if hasattr(whole, "weights_"):
        # Storkey's weights_ are the couplings up to a positive factor, the
        # same on both paths (bitwise, see test_classical_rules.py) but where
        # the exact couplings cancel to zero on the way: compare each divided
        # by its largest entry.
        def unit_max(W):
            largest = np.abs(W).max()
            return W / largest if largest else W

        np.testing.assert_allclose(
            unit_max(parts.weights_), unit_max(whole.weights_), atol=1e-10
        )
    if hasattr(whole, "classes_"):
        np.testing.assert_array_equal(parts.classes_, whole.classes_)
    a, b = outputs(whole, Q), outputs(parts, Q)
    if hasattr(whole, "_weights_log_scale"):
        # Storkey's energy is in the units of its weights_ (the couplings
        # times exp(-log_scale), see above): compare it in the true units.
        a["energy"] = a["energy"] * np.exp(whole._weights_log_scale)
        b["energy"] = b["energy"] * np.exp(parts._weights_log_scale)
    for key in a:
        # Weights may differ in the last bit (summed in another order); the
        # +/-1 states and labels must not.
        if a[key].dtype.kind == "f" and (key == "energy" or not case.binary):
            np.testing.assert_allclose(
                b[key], a[key], rtol=1e-9, atol=1e-12, err_msg=key
            )
        else:
            np.testing.assert_array_equal(b[key], a[key], err_msg=key)


# -- transform: shape and dtype ------------------------------------------------------
@cases
@FAST
@given(
    n_features=st.integers(1, 20),
    n_patterns=st.integers(1, 10),
    n_queries=st.integers(1, 20),
    seed=seeds,
    dtype=st.sampled_from(["float64", "float32", "int64", "int8", "bool"]),
)
def test_transform_shape_and_dtype(
    case, n_features, n_patterns, n_queries, seed, dtype
):
    X = patterns(case, n_patterns, n_features, seed)
    Q = patterns(case, n_queries, n_features, seed + 1)
    if dtype == "bool":
        Q = Q > 0
    elif dtype.startswith("int"):
        Q = np.round(Q * 3).astype(dtype)
    else:
        Q = Q.astype(dtype)
    est = case.make().fit(*fit_args(case, X))
    out = est.transform(Q)
    energy = est.energy(Q)
    assert out.shape == Q.shape
    assert energy.shape == (n_queries,)
    if case.binary:
        # The binary memories binarize any real input: +/-1 float64 states.
        assert out.dtype == np.float64
        assert set(np.unique(out)) <= {-1.0, 1.0}
    else:
        # float32 stays float32; everything else is computed in float64.
        expected = np.float32 if dtype == "float32" else np.float64
        assert out.dtype == expected and energy.dtype == expected
    assert np.isfinite(out).all() and np.isfinite(energy).all()


# -- predict: only stored labels -----------------------------------------------------
@pytest.mark.parametrize("case", CASES + SPARSE_CASES, ids=repr)
@FAST
@given(
    n_features=st.integers(1, 20),
    n_patterns=st.integers(1, 12),
    n_queries=st.integers(1, 20),
    seed=seeds,
    kind=st.sampled_from(["int", "str", "none"]),
)
def test_predict_returns_only_stored_labels(
    case, n_features, n_patterns, n_queries, seed, kind
):
    if kind == "none" and case.needs_y:
        kind = "int"
    X = patterns(case, n_patterns, n_features, seed)
    Q = patterns(case, n_queries, n_features, seed + 1)
    est = case.make()
    if kind == "none":
        est.fit(X)
        stored = set(range(n_patterns))
    else:
        y = labels_for(n_patterns, kind, case)
        est.fit(X, y)
        stored = set(y.tolist())
    pred = est.predict(Q)
    assert pred.shape == (n_queries,)
    if case.regressor:  # attention-weighted targets: within their range
        span = y.max() - y.min()
        assert (pred >= y.min() - 1e-9 * span).all()
        assert (pred <= y.max() + 1e-9 * span).all()
        return
    assert set(pred.tolist()) <= stored
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(Q)
        assert proba.shape == (n_queries, len(est.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
        np.testing.assert_array_equal(est.classes_[proba.argmax(axis=1)], pred)


def test_the_table_covers_every_public_estimator():
    import skhopfield

    covered = {case.make.func for case in CASES}
    public = {
        getattr(skhopfield, name)
        for name in skhopfield.__all__
        if isinstance(getattr(skhopfield, name), type)
        # imputers are not memories: tests/test_impute.py
        and getattr(skhopfield, name).__module__ != "skhopfield.impute"
    }
    assert public <= covered
    assert all(isinstance(case, Case) for case in CASES)
