"""scikit-learn conventions a user expects (issue 14, items 1-3).

- ``verbose``: silent at 0 (stdout and stderr), one line per fit and per
  batch at 1, chunk progress at 2 (also under ``n_jobs > 1``), and the
  same results at every level;
- :class:`~skhopfield.exceptions.CapacityWarning` at fit exactly when more
  than half of the stored patterns are not fixed points;
- safe persistence: every estimator round-trips through ``skops.io`` with
  identical outputs, and its fitted state is numpy arrays and builtins only,
  so that ``get_untrusted_types`` names nothing but our estimator classes.

Parametrized over the estimator table of ``_cases.py`` (GLVQ, which has no
retrieval, is added by hand).
"""

import re
import warnings

import numpy as np
import pytest
from _cases import (
    CASES,
    SPARSE_CASES,
    assert_same,
    fit_args,
    one_per_estimator,
    outputs,
    patterns,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.datasets import load_digits, load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skhopfield
from skhopfield import DenseAssociativeMemory, HopfieldMemory
from skhopfield._base import UNSTABLE_SHARE_WARNING
from skhopfield.baselines import GLVQClassifier
from skhopfield.datasets import flip_bits, make_binary_patterns
from skhopfield.exceptions import CapacityWarning

sio = pytest.importorskip("skops.io")

cases = pytest.mark.parametrize("case", CASES, ids=repr)

# Retrieval far past capacity is part of what is tested here.
pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::skhopfield.exceptions.CapacityWarning"),
]


def _data(case, n_patterns=40, n_features=16, seed=0):
    X = patterns(case, n_patterns, n_features, seed)
    cues = patterns(case, 25, n_features, seed + 1)
    return X, cues


def _use_everything(est, cues):
    """Every public method that takes cues (and so every engine batch)."""
    outputs(est, cues)
    est.score(cues, est.predict(cues))


# -- verbose ---------------------------------------------------------------------------
@cases
def test_verbose_zero_prints_nothing(case, capfd):
    X, cues = _data(case)
    est = case.make()
    assert est.get_params()["verbose"] == 0  # the default
    est.fit(*fit_args(case, X, labeled=True))
    est.partial_fit(*fit_args(case, X[:5], labeled=True))
    _use_everything(est, cues)
    out, err = capfd.readouterr()  # file descriptors: worker processes too
    assert out == "" and err == ""


def _lines(out, label):
    return [line for line in out.splitlines() if line.startswith(f"[{label}]")]


@cases
def test_verbose_one_prints_one_line_per_fit_and_per_batch(case, capsys):
    X, cues = _data(case)
    est = case.make(verbose=1).fit(*fit_args(case, X))
    name = type(est).__name__
    fit_lines = _lines(capsys.readouterr().out, f"{name}.fit")
    assert len(fit_lines) == 1
    # stored rows, or learned prototypes (with the samples they came from)
    assert re.search(
        rf"(stored {len(X)} patterns|learned \d+ patterns) x {X.shape[1]} features",
        fit_lines[0],
    )
    assert re.search(r"in \d+\.\d\d s", fit_lines[0])
    est.transform(cues)
    est.energy(cues)
    out = capsys.readouterr().out.splitlines()
    # one line per batch, naming its size, time, chunks and workers
    assert len(out) == 2, out
    for line in out:
        assert re.fullmatch(
            rf"\[{name}\.\w+\] {len(cues)} rows x {cues.shape[1]} features in "
            r"\d+\.\d\d s \([\d,]+ rows/s; \d+ chunks?, 1 worker\)",
            line,
        ), line


@cases
def test_verbose_two_reports_every_chunk_and_changes_no_result(case, capsys):
    X, cues = _data(case)
    cues = np.vstack([cues] * 8)  # 200 rows, cut into chunks of a few rows
    quiet = case.make().fit(*fit_args(case, X))
    loud = case.make(verbose=2).fit(*fit_args(case, X))
    with config_context(working_memory=cues.shape[1] * 40 * 8 / 2**20):
        expected = outputs(quiet, cues)
        capsys.readouterr()
        got = outputs(loud, cues)
        capsys.readouterr()
        loud.energy(cues)
    # the same chunks: bitwise the same results
    assert_same(expected, got, binary=case.binary, exact=True)
    lines = _lines(capsys.readouterr().out, f"{type(loud).__name__}.energy")
    progress = [line for line in lines if " chunk " in line]
    assert len(progress) == len(lines) - 1 >= 2
    found = [re.search(r"chunk (\d+)/(\d+): (\d+)/(\d+) rows", p) for p in progress]
    assert [int(m.group(1)) for m in found] == list(range(1, len(progress) + 1))
    assert {int(m.group(2)) for m in found} == {len(progress)}
    done = [int(m.group(3)) for m in found]
    assert done == sorted(done) and done[-1] == len(cues)
    assert all(re.search(r"rows/s, about \d+\.\d\d s left$", p) for p in progress)
    assert f"{len(cues)} rows x {cues.shape[1]} features in" in lines[-1]
    assert f"{len(progress)} chunks" in lines[-1]


@pytest.mark.parametrize("case", one_per_estimator(), ids=repr)
def test_verbose_two_reports_progress_under_n_jobs(case, capsys):
    X, cues = _data(case)
    cues = np.vstack([cues] * 8)
    quiet = case.make(n_jobs=2).fit(*fit_args(case, X))
    loud = case.make(n_jobs=2, verbose=2).fit(*fit_args(case, X))
    with config_context(working_memory=cues.shape[1] * 40 * 8 / 2**20):
        expected = quiet.transform(cues)
        capsys.readouterr()
        got = loud.transform(cues)
    np.testing.assert_array_equal(got, expected)  # the same chunks, reassembled
    lines = capsys.readouterr().out.splitlines()
    progress = [line for line in lines if " chunk " in line]
    assert len(progress) >= 2
    counts = [int(re.search(r": (\d+)/", p).group(1)) for p in progress]
    assert counts == sorted(counts) and counts[-1] == len(cues)
    assert lines[-1].endswith("2 workers)")


def test_glvq_verbose_reports_fit_and_optimizer_progress(capsys):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    GLVQClassifier(random_state=0).fit(X, y).predict(X)
    assert capsys.readouterr().out == ""
    one = GLVQClassifier(random_state=0, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert f"{one.n_iter_} L-BFGS-B iterations" in lines[0]
    assert "150 samples x 4 features, 3 prototypes" in lines[0]
    two = GLVQClassifier(random_state=0, verbose=2, max_iter=50).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    found = [re.match(r".* iteration (\d+): cost", line) for line in lines]
    steps = [int(m.group(1)) for m in found if m]
    assert steps == list(range(10, two.n_iter_ + 1, 10)) and steps
    same = GLVQClassifier(random_state=0, max_iter=50).fit(X, y)
    np.testing.assert_array_equal(two.prototypes_, same.prototypes_)


def test_learned_memory_reports_its_optimizer(capsys):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    params = dict(prototypes_per_class=2, max_fit_iter=40, random_state=0)
    quiet = skhopfield.ModernHopfieldClassifier(**params).fit(X, y)
    assert capsys.readouterr().out == ""
    loud = skhopfield.ModernHopfieldClassifier(verbose=2, **params).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    found = [re.search(r"L-BFGS-B iteration (\d+): loss [\d.e+-]+,", x) for x in lines]
    steps = [int(m.group(1)) for m in found if m]
    assert steps and steps == list(range(10, loud.n_iter_ + 1, 10))
    assert f"{loud.n_iter_} L-BFGS-B iterations" in lines[-1]
    assert lines[-1].startswith("[ModernHopfieldClassifier.fit] learned 6 patterns")
    np.testing.assert_array_equal(loud.patterns_, quiet.patterns_)


@pytest.mark.parametrize(
    "make", [HopfieldMemory, DenseAssociativeMemory, GLVQClassifier]
)
def test_verbose_is_validated(make):
    with pytest.raises(ValueError, match="verbose"):
        make(verbose="loud").fit(*load_iris(return_X_y=True))


# -- capacity warning ------------------------------------------------------------------
def _binarized_digits():
    X, y = load_digits(return_X_y=True)
    return X[1::2], y[1::2]  # 898 digits, binarized at threshold=8 below


@pytest.mark.parametrize(
    "make, capacity, advice",
    [
        (HopfieldMemory, "0.138 N = 9", "learning_rule='storkey' or 'pseudoinverse'"),
        (
            lambda **kw: HopfieldMemory("storkey", **kw),
            r"N / sqrt\(2 ln N\) = 22",
            "learning_rule='pseudoinverse'",
        ),
        (DenseAssociativeMemory, "order 3 holds about", "a higher order"),
        (
            lambda **kw: skhopfield.SimplicialHopfieldMemory(max_dim=1, **kw),
            "simplicial network",
            "every simplex up to max_dim=2 or 3",
        ),
    ],
)
def test_binarized_digits_past_capacity_warn(make, capacity, advice):
    X, y = _binarized_digits()
    assert len(X) == 898
    with pytest.warns(CapacityWarning) as record:
        memory = make(threshold=8, random_state=0).fit(X, y)
    assert memory.stable_patterns_.mean() < 1 - UNSTABLE_SHARE_WARNING
    message = str(record[0].message)
    assert re.search(capacity, message), message
    assert advice in message
    assert "of the 898 stored patterns" in message


def test_comfortable_load_does_not_warn():
    X = make_binary_patterns(10, 200, random_state=0)  # 0.05 N
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for memory in (
            HopfieldMemory(random_state=0),
            HopfieldMemory("storkey", random_state=0),
            DenseAssociativeMemory(random_state=0),
        ):
            memory.fit(X)
            memory.partial_fit(make_binary_patterns(5, 200, random_state=1))
            assert memory.stable_patterns_.all()


def test_capacity_warning_can_be_filtered_or_raised():
    X, y = _binarized_digits()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=CapacityWarning)
        HopfieldMemory(threshold=8).fit(X, y)
    assert not caught
    with warnings.catch_warnings():
        warnings.simplefilter("error", CapacityWarning)
        with pytest.raises(CapacityWarning):
            HopfieldMemory(threshold=8).fit(X, y)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_patterns=st.integers(1, 60),
    n_features=st.integers(8, 64),
    seed=st.integers(0, 2**31 - 1),
    rule=st.sampled_from(["hebbian", "storkey"]),
)
def test_warns_exactly_past_the_documented_share(n_patterns, n_features, seed, rule):
    X = make_binary_patterns(n_patterns, n_features, random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        memory = HopfieldMemory(rule, random_state=0).fit(X)
    unstable = int((~memory.stable_patterns_).sum())
    warned = any(
        w.category is CapacityWarning and "stored patterns (" in str(w.message)
        for w in caught
    )
    assert warned == (unstable > UNSTABLE_SHARE_WARNING * n_patterns)


def test_threshold_is_more_than_half_not_half():
    # 4 patterns in 8 neurons, over seeds: every count of unstable patterns
    # from 0 to 4 occurs; exactly half (2 of 4) must not warn, 3 of 4 must.
    seen = set()
    for seed in range(60):
        X = make_binary_patterns(4, 8, random_state=seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            memory = HopfieldMemory(random_state=0).fit(X)
        unstable = int((~memory.stable_patterns_).sum())
        seen.add(unstable)
        warned = any(w.category is CapacityWarning for w in caught)
        assert warned == (unstable >= 3), (seed, unstable)
    assert {2, 3} <= seen


# The bidirectional memory: the same threshold, over stored pairs.
def _random_pairs(n_pairs, n_x, n_y, seed):
    return (
        make_binary_patterns(n_pairs, n_x, random_state=seed),
        make_binary_patterns(n_pairs, n_y, random_state=seed + 1),
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_pairs=st.integers(1, 40),
    n_x=st.integers(4, 48),
    n_y=st.integers(4, 48),
    seed=st.integers(0, 2**20),
    rule=st.sampled_from(["correlation", "pseudoinverse"]),
)
def test_bam_warns_exactly_past_the_documented_share(n_pairs, n_x, n_y, seed, rule):
    X, Y = _random_pairs(n_pairs, n_x, n_y, seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bam = skhopfield.BidirectionalAssociativeMemory(rule).fit(X, Y)
    unstable = int((~bam.stable_patterns_).sum())
    # stable_patterns_ against plain sign fields: (x, y) is a fixed point
    # when sign(W^T x) = y and sign(W y) = x (checked where no field is near
    # zero: a zero field keeps the unit's state)
    fields = np.abs(np.hstack([X @ bam.weights_, Y @ bam.weights_.T]))
    if fields.min() > 1e-6 * max(fields.max(), 1):
        stable_ref = [
            np.array_equal(np.sign(x @ bam.weights_), y)
            and np.array_equal(np.sign(bam.weights_ @ y), x)
            for x, y in zip(X, Y)
        ]
        np.testing.assert_array_equal(bam.stable_patterns_, stable_ref)
    warned = [w for w in caught if w.category is CapacityWarning]
    assert bool(warned) == (unstable > UNSTABLE_SHARE_WARNING * n_pairs)
    if warned:
        message = str(warned[0].message)
        assert f"of the {n_pairs} stored pairs" in message
        assert f"min(N, M) = {min(n_x, n_y)}" in message
        advice = "learning_rule='pseudoinverse'" if rule == "correlation" else "fewer pairs"
        assert advice in message


def test_bam_capacity_message_names_the_estimate_and_codes():
    # correlation rule, N = M = 64: the estimate min(N, M) / (2 ln min(N, M))
    X, Y = _random_pairs(40, 64, 64, 0)
    with pytest.warns(CapacityWarning, match=r"2 ln min\(N, M\)\) = 7\.69 pairs"):
        skhopfield.BidirectionalAssociativeMemory().fit(X, Y)
    # with labels, the y layer is the codes: the advice is a longer code
    with pytest.warns(CapacityWarning, match="a longer code_length"):
        skhopfield.BidirectionalAssociativeMemory(code_length=8, random_state=0).fit(
            X, np.arange(40)
        )


def test_bam_comfortable_load_does_not_warn_and_filters():
    from scipy.linalg import hadamard

    H = hadamard(32).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for rule in ("correlation", "pseudoinverse"):
            # orthogonal pairs up to min(N, M): all fixed points
            bam = skhopfield.BidirectionalAssociativeMemory(rule).fit(H[:16], H[16:])
            assert bam.stable_patterns_.all()
    X, Y = _random_pairs(40, 32, 32, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=CapacityWarning)
        skhopfield.BidirectionalAssociativeMemory().fit(X, Y)
    assert not caught
    with warnings.catch_warnings():
        warnings.simplefilter("error", CapacityWarning)
        with pytest.raises(CapacityWarning):
            skhopfield.BidirectionalAssociativeMemory().fit(X, Y)
        # a failed fit (the warning raised) leaves the memory unfitted
        bam = skhopfield.BidirectionalAssociativeMemory()
        with pytest.raises(CapacityWarning):
            bam.fit(X, Y)
        assert not hasattr(bam, "weights_")


# -- persistence with skops ------------------------------------------------------------
def _builtin_or_array(value):
    if isinstance(value, np.ndarray):
        # object arrays (feature names, labels from pandas) of builtins only
        return value.dtype != object or all(map(_builtin_or_array, value.ravel()))
    if isinstance(value, (list, tuple)):
        return all(_builtin_or_array(v) for v in value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and _builtin_or_array(v) for k, v in value.items()
        )
    return value is None or isinstance(value, (bool, int, float, str, np.generic))


def _fitted_glvq():
    X, y = load_iris(return_X_y=True)
    return GLVQClassifier(random_state=0).fit(X, y), X


def _names(n, labels):
    """Labels: ints, numpy strings, or strings in an object array (pandas)."""
    names = np.array(["cat", "dog", "eel"])[np.arange(n) % 3]
    return names.astype(object) if labels == "object" else names


def _labeled_args(case, X, labels):
    """``fit`` arguments with labels of that kind (a regressor keeps its real
    targets: string labels mean nothing to it)."""
    args = fit_args(case, X, labeled=True)
    if labels != "int" and not case.regressor:
        args = (X, _names(len(X), labels))
    return args


def _fitted(case, labels="int"):
    X, cues = _data(case)
    args = _labeled_args(case, X, labels)
    if labels == "object":  # a DataFrame: feature_names_in_ is an object array
        pd = pytest.importorskip("pandas")
        columns = [f"x{j}" for j in range(X.shape[1])]
        args = (pd.DataFrame(X, columns=columns), args[1])
        cues = pd.DataFrame(cues, columns=columns)
    return case.make().fit(*args), cues


@cases
@pytest.mark.parametrize("labels", ["int", "str", "object"])
def test_fitted_state_is_arrays_and_builtins(case, labels):
    est, _ = _fitted(case, labels)
    bad = {
        k: type(v).__name__ for k, v in vars(est).items() if not _builtin_or_array(v)
    }
    assert not bad, bad


def test_glvq_fitted_state_is_arrays_and_builtins():
    est, _ = _fitted_glvq()
    assert all(_builtin_or_array(v) for v in vars(est).values())


@cases
@pytest.mark.parametrize("labels", ["int", "str", "object"])
def test_skops_round_trip_gives_identical_outputs(case, labels, tmp_path):
    est, cues = _fitted(case, labels)
    path = tmp_path / "memory.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    cls = type(est)
    assert untrusted == [f"{cls.__module__}.{cls.__qualname__}"]
    assert getattr(skhopfield, cls.__name__) is cls  # one of our public estimators
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.load(path)  # nothing is trusted unless the user says so
    loaded = sio.load(path, trusted=untrusted)
    assert type(loaded) is cls
    assert loaded.get_params() == est.get_params()
    assert_same(
        outputs(est, cues), outputs(loaded, cues), binary=case.binary, exact=True
    )
    # and it keeps learning where the original left off
    more, _ = _data(case, n_patterns=6, seed=7)
    args = _labeled_args(case, more, labels)
    if labels == "object":
        args = (type(cues)(more, columns=cues.columns), args[1])
    assert_same(
        outputs(est.partial_fit(*args), cues),
        outputs(loaded.partial_fit(*args), cues),
        binary=case.binary,
        exact=True,
    )


def test_skops_round_trip_of_glvq_and_of_a_pipeline(tmp_path):
    est, X = _fitted_glvq()
    loaded = sio.loads(sio.dumps(est), trusted=["skhopfield.baselines.GLVQClassifier"])
    np.testing.assert_array_equal(loaded.decision_function(X), est.decision_function(X))
    X, y = load_digits(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), skhopfield.ModernHopfieldClassifier())
    pipe.fit(X[::2], y[::2])
    data = sio.dumps(pipe)
    # scikit-learn's own classes are trusted by skops already
    assert sio.get_untrusted_types(data=data) == [
        "skhopfield._modern_classification.ModernHopfieldClassifier"
    ]
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    np.testing.assert_array_equal(
        loaded.predict_proba(X[1::2]), pipe.predict_proba(X[1::2])
    )


def test_skops_round_trip_after_partial_fit_and_set_params():
    X = make_binary_patterns(30, 64, random_state=0)
    memory = HopfieldMemory("storkey", random_state=3, verbose=0).fit(X[:20])
    memory.set_params(learning_rule="hebbian").partial_fit(X[20:])
    data = sio.dumps(memory)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    cues = flip_bits(X, 0.1, random_state=1)
    np.testing.assert_array_equal(loaded.weights_, memory.weights_)
    np.testing.assert_array_equal(loaded.transform(cues), memory.transform(cues))
    more = make_binary_patterns(5, 64, random_state=2)
    np.testing.assert_array_equal(
        loaded.partial_fit(more).weights_, memory.partial_fit(more).weights_
    )


@pytest.mark.parametrize("case", [c for c in CASES if not c.binary], ids=repr)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    log_scale=st.integers(-30, 30),
    beta=st.one_of(st.just("auto"), st.floats(1e-6, 1e6)),
    seed=st.integers(0, 2**31 - 1),
)
def test_skops_round_trip_of_modern_memories_at_any_scale(
    case, dtype, log_scale, beta, seed
):
    # float32 stays float32, and extreme data scales and beta come back
    # bitwise: the frame and beta_ are rebuilt from the saved arrays.
    scale = 2.0**log_scale
    X = patterns(case, 20, 6, seed, dtype) * dtype(scale)
    cues = patterns(case, 7, 6, seed + 1, dtype) * dtype(scale)
    est = case.make(beta=beta).fit(X, np.arange(20) % 3)
    data = sio.dumps(est)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert loaded.patterns_.dtype == dtype and loaded.beta_ == est.beta_
    read = "predict" if case.regressor else "predict_proba"
    np.testing.assert_array_equal(
        getattr(loaded, read)(cues), getattr(est, read)(cues)
    )
    np.testing.assert_array_equal(loaded.transform(cues), est.transform(cues))


@pytest.mark.parametrize("case", SPARSE_CASES, ids=repr)
def test_skops_after_a_sparse_fit_asks_to_trust_the_class_and_csr_matrix(case):
    # A modern memory fitted on sparse input keeps CSR patterns: the types to
    # trust are its class and scipy's csr_matrix, as the README, the user
    # guide and docs/persistence.rst say (the list skops gives is the
    # reference, and loading with it gives the same outputs).
    from pathlib import Path

    import scipy.sparse as sp

    X = case.container(patterns(case, 20, 8, 0))
    cues = case.container(patterns(case, 5, 8, 1))
    est = case.make().fit(*fit_args(case, X, labeled=True))
    assert sp.issparse(est.patterns_)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    cls = type(est)
    csr = f"{type(est.patterns_).__module__}.{type(est.patterns_).__qualname__}"
    assert sorted(untrusted) == sorted([f"{cls.__module__}.{cls.__qualname__}", csr])
    loaded = sio.loads(data, trusted=untrusted)
    read = "predict" if case.regressor else "predict_proba"
    np.testing.assert_array_equal(getattr(loaded, read)(cues), getattr(est, read)(cues))
    root = Path(__file__).resolve().parent.parent
    for page in ("README.md", "docs/user_guide.rst", "docs/persistence.rst"):
        text = (root / page).read_text()
        assert "csr_matrix" in text.split("trust", 1)[1], page
