"""The bad-input matrix: every public method of every estimator, every bad input.

Rows are the estimator configurations of ``_cases.CASES``; columns are the
public methods that take data; cells are the inputs below.  Each must give
a ``ValueError``/``TypeError`` whose message names the problem, or a
documented correct result -- never a crash deep in numpy, a hang or a
silent wrong answer.

Documented contracts exercised here:

- The binary memories binarize every input at ``threshold`` (``x >
  threshold`` is +1, else -1), so any finite real value is accepted, with
  exactly the result of its binarized version; so are ints and bools.
- One sample and one feature are valid memories and valid queries.
- ``fit`` starts afresh, so a new number of features is accepted there (and
  by the first ``partial_fit``); every later call must match it.
- Labels may be numbers or strings, not a mix of both, and not NaN.
- NaN in X is a missing entry where the estimator's ``allow_nan`` tag says
  so (the binary memories: partial cues, see ``test_partial_cues.py``), and
  refused elsewhere; infinity is refused everywhere.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from _cases import CASES, Dense, fit_args, labels_for, patterns
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils import get_tags

from skhopfield import BidirectionalAssociativeMemory
from skhopfield._base import BaseBinaryMemory
from skhopfield.datasets import make_binary_patterns

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_FEATURES = 6
N_TRAIN = 5

#: The methods that take an X, as (id, needs a fitted estimator).  ``partial_fit``
#: is called both as the first call (it fits) and on a fitted estimator.
METHODS = (
    "fit",
    "partial_fit(first)",
    "partial_fit",
    "transform",
    "retrieve",
    "predict",
    "predict_proba",
    "score",
    "energy",
)
QUERY_METHODS = ("transform", "retrieve", "predict", "predict_proba", "score", "energy")


def _train(case):
    return patterns(case, N_TRAIN, N_FEATURES, seed=0)


def _fitted(case, **params):
    return case.make(**params).fit(*fit_args(case, _train(case), labeled=True))


def _n_rows(X):
    if isinstance(X, list):
        return len(X)
    shape = np.shape(X) if not sp.issparse(X) else X.shape
    return shape[0] if shape else 1


def _call(case, method, X, y=None, est=None):
    """Call ``method`` of an estimator of ``case`` on ``X`` and return its output.

    ``y`` defaults to valid labels of the right length (for the methods that
    take labels).
    """
    if y is None:
        y = labels_for(_n_rows(X))
    if method == "fit":
        return (est or case.make()).fit(X, y)
    if method == "partial_fit(first)":
        return (est or case.make()).partial_fit(X, y)
    est = est or _fitted(case)
    if method == "partial_fit":
        return est.partial_fit(X, y)
    if method == "score":
        return est.score(X, y)
    return getattr(est, method)(X)


def _methods(case):
    return [m for m in METHODS if m.split("(")[0] in case.methods]


#: Inputs that are missing entries, not errors, where ``allow_nan`` is set.
MISSING = ("nan", "none_entries")


def _allows_nan(case):
    return get_tags(case.make()).input_tags.allow_nan


def _cells(inputs, missing_ok=False):
    """Cells of ``inputs``; ``missing_ok``: only the NaN inputs of the
    estimators that take them (otherwise those are left out)."""
    return [
        pytest.param(case, method, name, id=f"{case.id}-{method}-{name}")
        for case in CASES
        for method in _methods(case)
        for name in inputs
        if not (case.sparse and name.startswith("sparse"))
        and (name in MISSING and _allows_nan(case)) == missing_ok
    ]


# -- inputs that must be rejected, for every method ----------------------------------
def _with(value):
    def make(case):
        X = patterns(case, 3, N_FEATURES, seed=1)
        X[1, 2] = value
        return X

    return make


def _with_object(value):
    def make(case):
        X = patterns(case, 3, N_FEATURES, seed=1).astype(object)
        X[1, 2] = value
        return X

    return make


#: What the string inputs' error says: what is wrong, and what to do.
STRINGS = r"needs numbers in X, but X holds strings \(such as .*\)\. Encode them"

REJECTED = {
    "nan": (_with(np.nan), ValueError, "NaN"),
    "+inf": (_with(np.inf), ValueError, "infinity"),
    "-inf": (_with(-np.inf), ValueError, "infinity"),
    "empty": (lambda case: np.empty((0, N_FEATURES)), ValueError, r"0 sample\(s\)"),
    "no_features": (lambda case: np.empty((3, 0)), ValueError, r"0 feature\(s\)"),
    "3d": (lambda case: np.ones((2, 3, N_FEATURES)), ValueError, "dim 3"),
    "1d": (lambda case: np.ones(N_FEATURES), ValueError, "Expected 2D array"),
    "scalar": (lambda case: np.float64(1.0), ValueError, "Expected 2D array"),
    "complex": (
        lambda case: patterns(case, 3, N_FEATURES, seed=1) + 1j,
        ValueError,
        "Complex data not supported",
    ),
    # Strings are refused by name, whatever the container, numeric ones too
    # (numpy alone would turn "1" into 1.0 and fail on "a" with its bare
    # "could not convert string to float").
    "strings": (lambda case: np.array([["a"] * N_FEATURES] * 3), ValueError, STRINGS),
    "numeric_strings": (
        lambda case: patterns(case, 3, N_FEATURES, seed=1).astype(str), ValueError, STRINGS
    ),
    "bytes": (lambda case: np.array([[b"1"] * N_FEATURES] * 3), ValueError, STRINGS),
    "a_string_among_numbers": (_with_object("x"), ValueError, STRINGS),
    "list_with_a_string": (
        lambda case: [[1.0] * N_FEATURES, [1.0] * (N_FEATURES - 1) + ["b"], [1.0] * N_FEATURES],
        ValueError,
        STRINGS,
    ),
    "none_entries": (
        lambda case: np.array([[None] * N_FEATURES] * 3, dtype=object),
        ValueError,
        "NaN",
    ),
    "ragged": (
        lambda case: [[1.0] * N_FEATURES, [1.0] * (N_FEATURES - 1), [1.0] * N_FEATURES],
        ValueError,
        "inhomogeneous shape",
    ),
    "sparse_csr": (
        lambda case: sp.csr_matrix(patterns(case, 3, N_FEATURES, seed=1)),
        TypeError,
        "Sparse data was passed",
    ),
    "sparse_coo": (
        lambda case: sp.coo_array(patterns(case, 3, N_FEATURES, seed=1)),
        TypeError,
        "Sparse data was passed",
    ),
}


def _takes_nan(case, name):
    """Missing entries (NaN, or None read as NaN) are partial cues for the
    memories that take them (dense input: the ``allow_nan`` tag)."""
    return (
        name in ("nan", "none_entries")
        and case.make().__sklearn_tags__().input_tags.allow_nan
        and case.container is None
    )


@pytest.mark.parametrize(
    "case, method, name",
    [p for p in _cells(REJECTED) if not _takes_nan(*p.values[::2])],
)
def test_rejected_input(case, method, name):
    make, error, match = REJECTED[name]
    with pytest.raises(error, match=match):
        _call(case, method, make(case))


def _binary(case):
    """Whether the case is a binary memory (states +/-1)."""
    return isinstance(case.make(), (BaseBinaryMemory, BidirectionalAssociativeMemory))


@pytest.mark.parametrize(
    "case, method, name",
    [p for p in _cells(MISSING, missing_ok=True) if _binary(p.values[0])],
)
def test_missing_entries_where_accepted(case, method, name):
    # NaN (and None, which numpy reads as NaN) is a missing entry: a
    # documented result, +/-1 states and stored labels, never NaN out.
    X = REJECTED[name][0](case)
    out = _call(case, method, X)
    if method.startswith(("fit", "partial_fit")):
        assert np.isin(out.patterns_, (-1.0, 1.0)).all()
        out = out.transform(_train(case))
    elif method == "retrieve":
        out = out.states
    out = np.asarray(out)
    if method in ("transform", "retrieve") or method.startswith(("fit", "partial")):
        assert np.isin(out, (-1.0, 1.0)).all()
    elif method == "predict":
        assert set(out.tolist()) <= set(labels_for(N_TRAIN).tolist())
    else:  # score, energy
        assert np.isfinite(out).all()


@pytest.mark.parametrize(
    "case, method, name",
    [
        p
        for p in _cells(MISSING, missing_ok=True)
        if not _binary(p.values[0]) and _takes_nan(*p.values[::2])
    ],
)
def test_missing_entries_accepted_where_tagged(case, method, name):
    # Partial cues (see tests/test_partial_modern.py for what they return):
    # answered with finite values, never NaN; inf is still refused above.
    out = _call(case, method, REJECTED[name][0](case))
    arrays = out.values() if isinstance(out, dict) else [out]
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            assert np.isfinite(a).all()


@pytest.mark.parametrize(
    "case, method, name",
    [
        pytest.param(case, method, name, id=f"{case.id}-{method}-{name}")
        for case in CASES
        if case.sparse
        for method in _methods(case)
        for name in ("sparse_csr", "sparse_coo")
    ],
)
def test_sparse_input_where_accepted_gives_the_dense_result(case, method, name):
    X = REJECTED[name][0](case)
    dense = np.asarray(X.toarray())
    out_sparse = _call(case, method, X, est=_fitted(case))
    out_dense = _call(case, method, dense, est=_fitted(case))
    if method.startswith(("fit", "partial_fit")):
        Q = _train(case)
        # the real-valued read-out: probabilities, or a regressor's targets
        readout = "predict" if case.regressor else "predict_proba"
        out_sparse = getattr(out_sparse, readout)(Q)
        out_dense = getattr(out_dense, readout)(Q)
    elif method == "retrieve":
        out_sparse, out_dense = out_sparse.states, out_dense.states
    np.testing.assert_allclose(out_sparse, out_dense, rtol=1e-12, atol=1e-12)


# -- a wrong number of features --------------------------------------------------------
@pytest.mark.parametrize("case, method, name", _cells(["wrong_n_features"]))
def test_wrong_number_of_features(case, method, name):
    X = patterns(case, 3, N_FEATURES + 1, seed=1)
    if method in ("fit", "partial_fit(first)"):
        # Documented: fit starts afresh, with the new number of features.
        est = _call(case, method, X)
        assert est.n_features_in_ == N_FEATURES + 1
        return
    with pytest.raises(
        ValueError, match=f"has {N_FEATURES + 1} features.*expecting {N_FEATURES}"
    ):
        _call(case, method, X)


# -- before fit ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case, method",
    [(c, m) for c in CASES for m in QUERY_METHODS if m in c.methods],
    ids=lambda v: getattr(v, "id", v),
)
def test_query_before_fit(case, method):
    X = patterns(case, 3, N_FEATURES, seed=1)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        _call(case, method, X, est=case.make())


# -- valid edge cases: documented, correct results -------------------------------------
def _check_outputs(case, est, X):
    """Every query method on ``X`` gives a finite result of the right shape."""
    n, n_features = X.shape
    states = est.transform(X)
    assert states.shape == (n, n_features) and np.isfinite(states).all()
    result = est.retrieve(X)
    assert result.states.shape == (n, n_features)
    assert result.n_iter.shape == result.converged.shape == (n,)
    energy = est.energy(X)
    assert energy.shape == (n,) and np.isfinite(energy).all()
    pred = est.predict(X)
    assert pred.shape == (n,)
    if case.regressor:
        assert np.isfinite(pred).all()
    else:
        assert set(pred.tolist()) <= set(est.pattern_labels_.tolist())
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        assert proba.shape == (n, len(est.classes_)) and np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    if case.regressor and n < 2:
        return states, pred  # R^2 is undefined on one sample (sklearn: NaN)
    score = est.score(X, pred)
    assert score == 1.0
    return states, pred


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_one_sample(case):
    X = patterns(case, 1, N_FEATURES, seed=0)
    est = case.make().fit(*fit_args(case, X, labeled=True))
    _, pred = _check_outputs(case, est, X)
    assert pred.tolist() == labels_for(1).tolist()
    # one query against a larger memory, and a first partial_fit of one sample
    est = _fitted(case)
    _check_outputs(case, est, X)
    est = case.make().partial_fit(*fit_args(case, X, labeled=True))
    _check_outputs(case, est, X)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_one_feature(case):
    X = np.array([[-1.0], [1.0]])
    if not case.binary:
        X = np.array([[-2.0], [3.0]])
    y = np.array(["low", "high"]) if not case.regressor else np.array([0.0, 1.0])
    est = case.make().fit(X, y)
    _check_outputs(case, est, X)
    Q = patterns(case, 7, 1, seed=3)
    _check_outputs(case, est, Q)
    if case.binary:
        # One neuron has no couplings: every state is a fixed point.
        np.testing.assert_array_equal(est.transform(Q), np.where(Q > 0, 1.0, -1.0))


@pytest.mark.parametrize("case", [c for c in CASES if c.binary], ids=repr)
@pytest.mark.parametrize("kind", ["real", "huge", "int", "bool", "zero_one_threshold"])
def test_binary_memories_binarize_any_real_input(case, kind):
    # The documented contract: input is binarized at ``threshold``; any finite
    # real value is accepted and gives exactly the result of its +/-1 version.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_TRAIN, N_FEATURES))
    Q = rng.standard_normal((9, N_FEATURES))
    params = {}
    if kind == "huge":
        X, Q = X * 1e300, Q * 1e300
    elif kind == "int":
        X, Q = np.round(X * 5).astype(np.int64), np.round(Q * 5).astype(np.int64)
    elif kind == "bool":
        X, Q = X > 0, Q > 0
    elif kind == "zero_one_threshold":
        X, Q = (X > 0).astype(float), (Q > 0).astype(float)
        params = {"threshold": 0.5}
    y = labels_for(N_TRAIN)
    est = case.make(**params).fit(X, y)
    sign = case.make().fit(np.where(X > est.threshold, 1.0, -1.0), y)
    Qs = np.where(Q > est.threshold, 1.0, -1.0)
    np.testing.assert_array_equal(est.patterns_, sign.patterns_)
    np.testing.assert_array_equal(est.transform(Q), sign.transform(Qs))
    np.testing.assert_array_equal(est.predict(Q), sign.predict(Qs))
    np.testing.assert_array_equal(est.energy(Q), sign.energy(Qs))
    est.partial_fit(Q[:2], y[:2])
    sign.partial_fit(Qs[:2], y[:2])
    np.testing.assert_array_equal(est.patterns_, sign.patterns_)


@pytest.mark.parametrize("case", [c for c in CASES if not c.binary], ids=repr)
def test_continuous_memories_reject_values_whose_squares_overflow(case):
    # A finite value whose square overflows float64 would turn scores into
    # inf/NaN: it must be refused with a clear error, not answered with NaN.
    # The modern memory computes in its stored patterns' own frame (centered,
    # scaled by a power of two), so patterns at such a scale are stored and
    # answered as at scale 1 (cosine: scale free; beta="auto": follows the
    # scale); what overflows is a fixed beta times the squared scale (the
    # scores beta x . q themselves), or a cue far outside the patterns.
    X = _train(case)
    y = labels_for(N_TRAIN)
    est = case.make()
    # (a learned beta, trained in the batch's own frame, follows it too)
    if est.similarity != "cosine" and est.beta not in ("auto", "learn"):
        with pytest.raises(ValueError, match="too large"):
            est.fit(X * 1e200, y)
    else:  # "learn" searches around "auto": it follows the scale too
        big = est.fit(X * 1e200, y).predict(X * 1e200)
        unit = case.make().fit(X, y).predict(X)
        if case.regressor:  # real-valued: equal to rounding
            np.testing.assert_allclose(big, unit, rtol=1e-9)
        else:
            np.testing.assert_array_equal(big, unit)
    est = _fitted(case)
    for method in QUERY_METHODS:
        if est.similarity == "cosine" and method != "energy":
            # the dynamics start from unit-normalized cues: any scale is fine
            big, unit = (_call(case, method, Z, est=est) for Z in (X[:2] * 1e200, X[:2]))
            if method == "retrieve":
                big, unit = big.states, unit.states
            np.testing.assert_allclose(big, unit, rtol=1e-12)
        elif method in case.methods:
            with pytest.raises(ValueError, match="too large for float64"):
                _call(case, method, X[:2] * 1e200, est=est)
            # float32 queries are computed in float32: its range applies
            with pytest.raises(ValueError, match="too large for float32"):
                _call(case, method, (X[:2] * 1e19).astype(np.float32), est=est)
            # ... and values that fit it are answered as usual
            _call(case, method, (X[:2] * 1e3).astype(np.float32), est=est)


# -- labels ----------------------------------------------------------------------------
LABEL_METHODS = ("fit", "partial_fit(first)", "partial_fit", "score")

BAD_LABELS = {
    "mixed_list": (
        lambda n: [1, "a", 2, "b", 3][:n],
        ValueError,
        "Mix of label input types",
    ),
    "mixed_object": (
        lambda n: np.array(["a", 1, "b", 2, "c"][:n], dtype=object),
        ValueError,
        "Mix of label input types",
    ),
    "nan": (lambda n: np.array([1.0, np.nan, 2.0, 3.0, 4.0][:n]), ValueError, "NaN"),
    "wrong_length": (
        lambda n: labels_for(n + 1),
        ValueError,
        "inconsistent numbers of samples",
    ),
    "2d": (lambda n: np.ones((n, 2)), ValueError, "1d array|1-D"),
}


@pytest.mark.parametrize(
    "case, method, name",
    [
        pytest.param(c, m, name, id=f"{c.id}-{m}-{name}")
        for c in CASES
        for m in LABEL_METHODS
        for name in BAD_LABELS
        # score compares predictions with y: NaN and mixes are sklearn's to report
        if not (m == "score" and name in ("nan", "2d"))
        # a hetero-associative memory takes 2-D y: the y-layer patterns
        and not (c.hetero and name == "2d")
        # a regressor takes 2-D targets, and refuses strings as non-numeric
        # (tests/test_regressor.py)
        and not (c.regressor and name in ("2d", "mixed_list", "mixed_object"))
    ],
)
def test_bad_labels(case, method, name):
    make, error, match = BAD_LABELS[name]
    X = patterns(case, N_TRAIN, N_FEATURES, seed=1)
    with pytest.raises(error, match=match):
        _call(case, method, X, y=make(N_TRAIN))


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.binary and not c.hetero], ids=repr
)
def test_binary_memories_need_labels_on_partial_fit_iff_fitted_with_them(case):
    X = _train(case)
    with pytest.raises(ValueError, match="labels"):
        _fitted(case).partial_fit(X)
    with pytest.raises(ValueError, match="labels"):
        case.make().fit(X).partial_fit(X, labels_for(N_TRAIN))


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.needs_y and not (c.hetero or c.regressor)], ids=repr
)
def test_classifiers_need_labels(case):
    X = _train(case)
    with pytest.raises(ValueError, match="requires y"):
        case.make().fit(X, None)
    with pytest.raises(ValueError, match="not in classes"):
        case.make().partial_fit(X, labels_for(N_TRAIN), classes=[1])
    for classes in ([1, "a"], np.array(["a", 1], dtype=object)):
        with pytest.raises(ValueError, match="Mix of label input types.*classes"):
            case.make().partial_fit(X, labels_for(N_TRAIN), classes=classes)
    with pytest.raises(ValueError, match="classes contains NaN"):
        case.make().partial_fit(X, labels_for(N_TRAIN), classes=[1.0, np.nan])


# -- parameters ------------------------------------------------------------------------
def _param_cells():
    return [
        pytest.param(c, name, value, id=f"{c.id}-{name}={value!r}")
        for c in CASES
        for name, value in c.bad_params
    ]


@pytest.mark.parametrize("case, name, value", _param_cells())
def test_out_of_range_parameter_at_fit(case, name, value):
    X = _train(case)
    for method in ("fit", "partial_fit(first)"):
        with pytest.raises(ValueError, match=name):
            _call(case, method, X, est=case.make(**{name: value}))


@pytest.mark.parametrize("case, name, value", _param_cells())
def test_out_of_range_parameter_set_after_fit(case, name, value):
    # set_params after fit must not slip past validation into any method.
    X = patterns(case, 3, N_FEATURES, seed=1)
    for method in METHODS[1:]:
        if method.split("(")[0] not in case.methods or method == "partial_fit(first)":
            continue
        est = _fitted(case).set_params(**{name: value})
        with pytest.raises(ValueError, match=name):
            _call(case, method, X, est=est)


# -- no hangs --------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_a_huge_max_iter_does_not_hang(case):
    # Retrieval stops at a fixed point, a detected synchronous cycle or a
    # step below tol -- long before max_iter, from any start.
    X = patterns(case, 60, 12, seed=0)
    Q = patterns(case, 500, 12, seed=1)
    est = case.make(max_iter=10**9).fit(*fit_args(case, X, labeled=True))
    result = est.retrieve(Q)
    # A memory trained on these random labels has a moderate beta_ (a low one
    # fits them best), where some cues pass near saddles between overlapping
    # basins: slower, still geometric, convergence (132 steps at most seen).
    assert result.n_iter.max() < (1000 if case.learned else 100)


@pytest.mark.parametrize(
    "interaction, n_patterns, n_features, seed",
    [
        ("polynomial", 61, 10, 0),
        ("rectified_polynomial", 60, 12, 1),
        ("exponential", 73, 9, 1),
    ],
)
def test_dense_synchronous_cycles_longer_than_two_are_detected(
    interaction, n_patterns, n_features, seed
):
    # Far past capacity, the dense energies' synchronous dynamics (which have
    # no Lyapunov function) fall into cycles longer than 2: these inputs
    # used to run to max_iter -- a hang at max_iter=10**9.
    X = make_binary_patterns(n_patterns, n_features, random_state=seed)
    Q = make_binary_patterns(300, n_features, random_state=seed + 100)
    est = Dense(interaction=interaction, update="sync", max_iter=10**9).fit(X)
    with pytest.warns(ConvergenceWarning, match="cycle"):
        result = est.retrieve(Q)
    assert (result.converged | result.cycled).all()
    assert result.n_iter.max() < 100
    # The cycles are real and some are longer than 2: synchronous steps from
    # a returned state come back to it.
    model = est._model()
    start = np.ascontiguousarray(result.states[result.cycled].T)
    state, period = start.copy(), np.zeros(start.shape[1], dtype=int)
    for step in range(1, 100):
        state = model.sync_step(state)
        back = (state == start).all(axis=0) & (period == 0)
        period[back] = step
    assert (period > 0).all()
    assert (period > 2).any()


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_a_dataframe_with_a_string_column_is_refused_by_name(case):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(patterns(case, 3, N_FEATURES, seed=1))
    X[N_FEATURES] = ["u", "v", "w"]
    with pytest.raises(ValueError, match=STRINGS.replace("such as .*", "such as 'u'")):
        case.make().fit(*fit_args(case, X, labeled=True))


@pytest.mark.parametrize("method", ["fit", "predict", "decision_function", "score"])
def test_glvq_refuses_strings_by_name(method):
    from skhopfield.baselines import GLVQClassifier

    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    y = np.array([0, 1, 0, 1])
    strings = X.astype(str)
    est = GLVQClassifier(random_state=0) if method == "fit" else GLVQClassifier(
        random_state=0
    ).fit(X, y)
    args = (strings, y) if method in ("fit", "score") else (strings,)
    with pytest.raises(ValueError, match=STRINGS):
        getattr(est, method)(*args)


def test_bam_refuses_string_y_patterns_by_name_and_takes_string_labels():
    from skhopfield import BidirectionalAssociativeMemory

    X = make_binary_patterns(4, 8, random_state=0)
    with pytest.raises(ValueError, match=STRINGS.replace("X", "y")):
        BidirectionalAssociativeMemory().fit(X, np.where(X[:, :3] > 0, "+", "-"))
    labels = np.array(["a", "b", "c", "d"])
    bam = BidirectionalAssociativeMemory(random_state=0).fit(X, labels)
    assert set(bam.predict(X)) <= set(labels)
