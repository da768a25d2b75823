"""Past one machine: batch retrieval on a dask.distributed cluster.

With ``joblib.parallel_config(backend="dask")`` and a ``distributed.Client``
(here an in-process local cluster), every estimator's batch retrieval runs
as tasks on the cluster's workers and returns what ``n_jobs=1`` returns; the
fitted memory is scattered to the workers once per fitted model, so what a
call sends does not grow with the memory (counted at the scheduler, see
``_scheduler_bytes.py``).  Inside ``skhopfield.sharded_memory`` the modern
memories split their stored patterns across the workers instead, and merge
the shards' log-sum-exp partials exactly.
See ``docs/distributed.rst`` for a real cluster.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from _cases import (
    CASES,
    MODERN_CASES,
    SPARSE_CASES,
    assert_same,
    fit_args,
    one_per_estimator,
    outputs,
    patterns,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joblib import parallel_config
from sklearn import config_context

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

from _scheduler_bytes import SchedulerBytes  # noqa: E402 (needs distributed)

from skhopfield import (  # noqa: E402
    ModernHopfieldClassifier,
    ModernHopfieldRegressor,
    sharded_memory,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    # dask's in-process cluster may warn about ports, profiling threads ...
    "ignore::UserWarning:distributed",
    # joblib's dask backend: a weak-key cache entry already gone when its
    # finalizer runs (joblib/_dask.py, on_destroy); harmless, upstream
    "ignore:Exception ignored in.*_WeakKeyDictionary"
    ":pytest.PytestUnraisableExceptionWarning",
)


@pytest.fixture(scope="module")
def client():
    with distributed.Client(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None
    ) as client:
        yield client


@pytest.fixture(scope="module")
def counter(client):
    return SchedulerBytes(client.cluster.scheduler)


# -- query-parallel: every estimator, the memory sent once ----------------------------


@pytest.mark.parametrize("case", CASES + SPARSE_CASES, ids=repr)
def test_dask_backend_returns_what_n_jobs_1_returns(client, case):
    X = patterns(case, 30, 40, seed=0)
    Q = patterns(case, 400, 40, seed=1)
    est = case.make().fit(*fit_args(case, X, labeled=True))
    reference = outputs(est, Q)

    est.set_params(n_jobs=2)
    with config_context(working_memory=0.1):  # several chunks per worker
        with distributed.get_task_stream(client) as stream:
            with parallel_config(backend="dask"):
                on_cluster = outputs(est, Q)
        # The same chunks in local threads: bitwise the same numbers.
        with parallel_config(backend="threading"):
            local = outputs(est, Q)

    workers = {task["worker"] for task in stream.data}
    assert len(stream.data) > 0 and workers <= set(client.scheduler_info()["workers"])
    assert_same(reference, on_cluster, binary=case.binary)
    assert_same(local, on_cluster, binary=case.binary, exact=True)


@pytest.mark.parametrize("case", CASES[:1], ids=repr)
def test_dask_backend_reports_progress_as_chunks_complete(client, case, capsys):
    # verbose=2 streams the chunks back as the cluster finishes them (joblib's
    # return_as="generator_unordered") and reassembles them in row order.
    X = patterns(case, 30, 40, seed=0)
    Q = patterns(case, 400, 40, seed=1)
    est = case.make(n_jobs=2).fit(*fit_args(case, X, labeled=True))
    with config_context(working_memory=0.1):
        with parallel_config(backend="dask"):
            quiet = outputs(est, Q)
            capsys.readouterr()
            loud = outputs(est.set_params(verbose=2), Q)
    assert_same(quiet, loud, binary=case.binary, exact=True)
    lines = capsys.readouterr().out.splitlines()
    progress = [line for line in lines if " chunk " in line]
    assert progress and progress[-1].split(": ")[1].startswith("400/400 rows")
    assert any(line.endswith("2 workers)") for line in lines)


def _nbytes(A):
    if sp.issparse(A):
        return A.data.nbytes + A.indices.nbytes + A.indptr.nbytes
    return A.nbytes


@pytest.mark.parametrize("case", CASES + SPARSE_CASES, ids=repr)
def test_the_memory_travels_once_and_calls_cost_the_same_at_any_memory_size(
    client, counter, case
):
    Q = patterns(case, 100, 64, seed=1)
    per_call = []
    for n_patterns in (8, 48):
        X = patterns(case, n_patterns, 64, seed=0)
        est = case.make().fit(*fit_args(case, X, labeled=True))
        # engine calls made by outputs(): transform, predict, energy,
        # retrieve, and predict_proba where there is one
        n_calls = 4 + hasattr(est, "predict_proba")
        est.set_params(n_jobs=2)  # (fitting with it would start loky workers)
        with parallel_config(backend="dask"):
            with counter:
                outputs(est, Q)
            first = counter.scattered
            with counter:
                outputs(est, Q)
        # The first calls scattered the memory (at least the stored
        # patterns as stored, or the learned prototypes); the same calls again send
        # the cues (scattered by joblib, chunk by chunk) and a small graph,
        # nothing else.
        # (the binary memories store their patterns bit-packed)
        stored = getattr(est, "packed_patterns_", None)
        stored = est.patterns_ if stored is None else stored
        assert first - counter.scattered >= _nbytes(stored)
        if not case.binary and not case.learned:
            # ... and only once: the scoring layout (patterns + 2 columns)
            # and the read-out, not the patterns as stored beside it
            assert first - counter.scattered < 1.5 * _nbytes(est.patterns_)
        if not sp.issparse(Q):  # (CSR chunks each carry their own indptr)
            assert counter.scattered == n_calls * Q.nbytes
        # a small graph: less than the memory (the dense 48-pattern one)
        assert counter.largest_graph < 16 * 2**10
        assert n_patterns == 8 or sp.issparse(X) or 16 * 2**10 < X.nbytes
        per_call.append((counter.scattered, counter.n_tasks, counter.graph))
    (s8, t8, g8), (s48, t48, g48) = per_call
    assert s8 == s48
    # Per task (the dense memory cuts its chunks to the cache, so a larger
    # memory may mean more tasks): keys and floats, a few bytes apart.
    assert abs(g48 / t48 - g8 / t8) <= 0.02 * g8 / t8


def test_learning_beta_on_the_cluster_sends_the_memory_once(client, counter):
    # beta="learn" scores every stored pattern against the others (in
    # chunks, through the engine): the memory and targets travel once per
    # fit, not inside every chunk's task.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 32))  # 150 kB
    y = X[:, 0] + 0.1 * rng.standard_normal(600)
    local = ModernHopfieldRegressor(beta="learn").fit(X, y)
    with config_context(working_memory=0.5), parallel_config(backend="dask"):
        with counter:
            on_cluster = ModernHopfieldRegressor(beta="learn", n_jobs=2).fit(X, y)
    assert counter.n_tasks > 2
    assert counter.largest_graph < 16 * 2**10 < X.nbytes
    assert on_cluster.beta_ == local.beta_


def test_no_large_graph_warning_for_a_large_memory(client):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 64))  # 1.6 MB of patterns
    clf = ModernHopfieldClassifier(n_jobs=2).fit(X, np.arange(3000) % 4)
    Q = rng.standard_normal((100, 64))
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "200kB"}):
        with parallel_config(backend="dask"):
            with distributed.get_task_stream(client) as stream:
                import warnings

                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    for _ in range(3):
                        clf.predict(Q)
    assert len(stream.data) >= 2
    assert not [w for w in caught if "large graph" in str(w.message)]


@pytest.mark.parametrize("case", one_per_estimator(), ids=repr)
def test_a_refit_or_partial_fit_is_seen_on_the_cluster(client, case):
    A, B, C = (patterns(case, 24, 32, seed=s) for s in range(3))
    Q = patterns(case, 200, 32, seed=3)
    est = case.make()
    for step in ("fit A", "fit B", "partial_fit C", "set_params"):
        if step == "fit A":
            est.fit(*fit_args(case, A, labeled=True))
        elif step == "fit B":
            est.fit(*fit_args(case, B, labeled=True))  # same shapes as A
        elif step == "partial_fit C":
            est.partial_fit(*fit_args(case, C, labeled=True))
        else:  # parameters read at retrieval time, no refit (the dense
            # memory's model is built from them: a new model, sent anew)
            est.set_params(max_iter=2, **({"order": 5} if "order" in est.get_params() else {}))
        with parallel_config(backend="dask"):
            on_cluster = outputs(est.set_params(n_jobs=2), Q)
        est.set_params(n_jobs=None)
        assert_same(outputs(est, Q), on_cluster, binary=case.binary)


# -- sharded memory: the modern memories -------------------------------------------------


@pytest.mark.parametrize("case", MODERN_CASES + SPARSE_CASES, ids=repr)
@pytest.mark.parametrize("n_shards, max_iter", [("auto", 1), (5, 3)])
def test_sharded_returns_what_one_process_returns(client, case, n_shards, max_iter):
    X = patterns(case, 50, 12, seed=0)
    Q = patterns(case, 120, 12, seed=1)
    est = case.make(max_iter=max_iter).fit(*fit_args(case, X))
    reference = outputs(est, Q)
    with config_context(working_memory=0.02), sharded_memory(n_shards):
        with distributed.get_task_stream(client) as stream:
            sharded = outputs(est, Q)
    assert_same(reference, sharded, binary=False)
    params = est.get_params()
    if params.get("n_components") is None:
        # every shard did work: each task ran on the worker holding its
        # shard (every separation: softmax by log-sum-exp partials, the
        # others by their candidates for the support)
        assert {t["worker"] for t in stream.data} == set(client.nthreads())
    else:  # a learned map is not sharded: it ran here, unchanged
        assert not stream.data


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_patterns", [40, 400])
def test_sharded_memory_travels_once(client, counter, n_patterns, sparse):
    rng = np.random.default_rng(0)
    X, Q = rng.standard_normal((n_patterns, 16)), rng.standard_normal((100, 16))
    if sparse:  # a CSR memory: shards of CSR rows; the cues stay dense here
        X[rng.random(X.shape) < 0.7] = 0
        X = sp.csr_matrix(X)
    clf = ModernHopfieldClassifier().fit(X, np.arange(n_patterns) % 3)
    with sharded_memory():
        with counter:
            clf.predict_proba(Q)
        first = counter.scattered
        with counter:
            clf.predict_proba(Q)
    # The first call sent the shards (the whole memory, once, split); a
    # later one sends the cues only (one chunk here), whatever the memory.
    assert first - counter.scattered >= _nbytes(X)
    assert counter.scattered == Q.nbytes
    assert counter.n_tasks == len(client.nthreads())  # one per shard
    assert counter.largest_graph < 8 * 2**10  # futures and beta, no data


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    similarity=st.sampled_from(["dot", "euclidean", "cosine"]),
    log_beta=st.floats(-6, 6),
    n_patterns=st.integers(1, 40),
    n_shards=st.integers(1, 8),
    dtype=st.sampled_from([np.float64, np.float32]),
    weights=st.sampled_from([None, "integer", "log-uniform"]),
    sparse=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_sharded_matches_one_process_over_parameter_ranges(
    client, similarity, log_beta, n_patterns, n_shards, dtype, weights, sparse, seed
):
    # Sample weights are a prior on the stored patterns (log w added to each
    # shard's scores, weighted sums in the energy): sharded == one process
    # for weighted and for sparse (CSR) memories too.
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_patterns, 6)).astype(dtype)
    Q = rng.standard_normal((30, 6)).astype(dtype)
    if sparse:
        X[rng.random(X.shape) < 0.6] = 0
        X, Q = sp.csr_matrix(X), sp.csr_matrix(Q)
    sample_weight = None
    if weights == "integer":
        sample_weight = rng.integers(1, 5, n_patterns).astype(float)
    elif weights == "log-uniform":  # many decades apart
        sample_weight = np.exp(rng.uniform(-20, 20, n_patterns))
    est = ModernHopfieldClassifier(
        10.0**log_beta, similarity=similarity, max_iter=3, tol=0.0
    ).fit(X, np.arange(n_patterns) % 3, sample_weight=sample_weight)
    reference = {"proba": est.predict_proba(Q), "energy": est.energy(Q)}
    result = est.retrieve(Q)
    with sharded_memory(n_shards), distributed.get_task_stream(client) as stream:
        sharded = {"proba": est.predict_proba(Q), "energy": est.energy(Q)}
        sharded_result = est.retrieve(Q)
    assert len(stream.data) > 0  # it did run on the shards
    eps = np.finfo(dtype).eps
    for key in reference:
        scale = max(1.0, float(np.abs(reference[key]).max()))
        np.testing.assert_allclose(
            sharded[key], reference[key], rtol=0, atol=1e4 * eps * scale, err_msg=key
        )
        assert sharded[key].dtype == dtype
    # (with tol=0 a row stops only when a step leaves it bitwise unchanged,
    # so the step counts are a matter of rounding; the states are not)
    scale = max(1.0, float(np.abs(result.states).max()))
    np.testing.assert_allclose(
        sharded_result.states, result.states, rtol=0, atol=1e4 * eps * scale
    )


SEPARATIONS = [
    {"separation": "sparsemax"},
    {"separation": "entmax", "entmax_alpha": 1.5},
    {"separation": "entmax", "entmax_alpha": 1.25},
    {"separation": "polynomial", "separation_order": 3},
    {"separation": "max"},
]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    separation=st.sampled_from(SEPARATIONS),
    alpha=st.one_of(st.none(), st.floats(1.01, 2.0)),
    similarity=st.sampled_from(["dot", "euclidean", "cosine", "manhattan"]),
    log_beta=st.floats(-3, 4),
    n_patterns=st.integers(3, 40),
    n_shards=st.integers(1, 4),
    dtype=st.sampled_from([np.float64, np.float32]),
    weights=st.sampled_from([None, "integer", "uniform"]),
    sparse=st.booleans(),
    ties=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_sharded_separation_matches_one_process(
    client, separation, alpha, similarity, log_beta, n_patterns, n_shards, dtype,
    weights, sparse, ties, seed,
):
    """Every separation other than softmax shards exactly (each shard's
    candidates for the support, merged): the labels, probabilities, energy,
    states and regression of one process, for both estimators, with
    weights, ties across shards and CSR memories."""
    if alpha is not None:  # any entmax alpha, not only the listed ones
        separation = {"separation": "entmax", "entmax_alpha": alpha}
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_patterns, 5)).astype(dtype)
    if ties:  # copies of a pattern, on different shards
        X[n_patterns // 2 :: 3] = X[0]
    Q = rng.standard_normal((25, 5)).astype(dtype)
    Q[:3] = X[:3]  # cues at stored patterns
    if sparse and similarity != "manhattan":
        X[rng.random(X.shape) < 0.5] = 0
        X, Q = sp.csr_matrix(X), sp.csr_matrix(Q)
    sample_weight = None
    if weights == "integer":
        sample_weight = rng.integers(1, 5, n_patterns).astype(float)
    elif weights == "uniform":
        sample_weight = rng.uniform(0.1, 3.0, n_patterns)
    y, T = np.arange(n_patterns) % 3, rng.standard_normal(n_patterns)
    kw = dict(beta=10.0**log_beta, similarity=similarity, max_iter=3, tol=0.0, **separation)
    clf = ModernHopfieldClassifier(**kw).fit(X, y, sample_weight=sample_weight)
    reg = ModernHopfieldRegressor(**kw).fit(X, T, sample_weight=sample_weight)

    def run():
        out = {
            "proba": clf.predict_proba(Q),
            "labels": clf.predict(Q),
            "states": clf.transform(Q),
            "regression": reg.predict(Q),
        }
        if similarity != "manhattan":  # (which has no energy)
            out["energy"] = clf.energy(Q)
        return out

    reference = run()
    with sharded_memory(n_shards), distributed.get_task_stream(client) as stream:
        sharded = run()
    assert len(stream.data) > 0  # it did run on the shards
    eps = np.finfo(dtype).eps
    for key, want in reference.items():
        got = sharded[key]
        assert got.dtype == want.dtype, key
        if key == "labels":
            # the same labels, but for rows whose two best classes tie
            # within rounding
            top2 = np.sort(reference["proba"], axis=1)[:, -2:]
            clear = top2[:, 1] - top2[:, 0] > 1e3 * eps
            np.testing.assert_array_equal(got[clear], want[clear])
            continue
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e4 * eps * scale, err_msg=key)


@pytest.mark.parametrize("sparse", [False, True])
def test_sharded_weighted_memory_is_the_memory_with_repeated_rows(client, sparse):
    # Weight k == the pattern stored k times, also across shards (a pattern
    # and its copies may sit on different shards of the repeated memory).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 8))
    y = np.arange(30) % 3
    k = rng.integers(1, 4, 30)
    Q = rng.standard_normal((40, 8))
    Xr, yr = np.repeat(X, k, axis=0), np.repeat(y, k)
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0
        Xr = np.repeat(X, k, axis=0)
        X, Xr, Q = sp.csr_matrix(X), sp.csr_matrix(Xr), sp.csr_matrix(Q)
    params = dict(beta=2.0, max_iter=3, tol=0.0)
    weighted = ModernHopfieldClassifier(**params).fit(X, y, sample_weight=k)
    repeated = ModernHopfieldClassifier(**params).fit(Xr, yr)
    with sharded_memory(3):
        got = weighted.predict_proba(Q), weighted.energy(Q), weighted.transform(Q)
    with sharded_memory(4):
        want = repeated.predict_proba(Q), repeated.energy(Q), repeated.transform(Q)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def test_sharded_memory_reports_progress(client, capsys):
    rng = np.random.default_rng(0)
    X, Q = rng.standard_normal((200, 8)), rng.standard_normal((300, 8))
    clf = ModernHopfieldClassifier(max_iter=2).fit(X, np.arange(200) % 3)
    quiet = clf.predict_proba(Q)
    clf.set_params(verbose=2)
    capsys.readouterr()
    with config_context(working_memory=0.02), sharded_memory():
        loud = clf.predict_proba(Q)
    lines = capsys.readouterr().out.splitlines()
    np.testing.assert_allclose(loud, quiet, rtol=1e-12, atol=1e-15)
    # one round trip per update step, then the read-out: each reports its
    # merged chunks and a closing line over the 2 workers holding the shards
    steps = [line for line in lines if "step 1" in line]
    label = "[ModernHopfieldClassifier.predict_proba]"
    readout = [line for line in lines if line.startswith(label)]
    assert steps and readout
    for group in (steps, readout):
        chunks = [line for line in group if " chunk " in line]
        assert len(chunks) > 1
        assert chunks[-1].split(": ")[1].startswith("300/300 rows")
        assert group[-1].endswith("2 workers)")
    clf.set_params(verbose=0)
    capsys.readouterr()
    with sharded_memory():
        clf.predict_proba(Q)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("case", one_per_estimator() + SPARSE_CASES[:1], ids=repr)
def test_cluster_use_leaves_no_helper_in_the_fitted_state(client, case, tmp_path):
    # The scatter cache lives beside the estimator (weakly keyed), never in
    # it: after retrieval on the cluster, query-parallel and sharded, the
    # fitted state and its skops file are what they were.
    sio = pytest.importorskip("skops.io")
    X = patterns(case, 30, 16, seed=0)
    Q = patterns(case, 50, 16, seed=1)
    est = case.make().fit(*fit_args(case, X, labeled=True))
    before = sorted(vars(est))
    untrusted = sio.get_untrusted_types(file=_dumped(est, tmp_path / "before.skops"))
    with parallel_config(backend="dask"):
        outputs(est.set_params(n_jobs=2), Q)
    if not case.binary:
        with sharded_memory(2):
            outputs(est, Q)
    assert sorted(vars(est)) == before
    path = _dumped(est.set_params(n_jobs=None), tmp_path / "after.skops")
    assert sio.get_untrusted_types(file=path) == untrusted
    # the estimator class (and scipy's CSR class for a sparse memory)
    cls = type(est)
    assert set(untrusted) - {"scipy.sparse._csr.csr_matrix"} == {
        f"{cls.__module__}.{cls.__qualname__}"
    }
    loaded = sio.load(path, trusted=untrusted)
    assert_same(outputs(est, Q), outputs(loaded, Q), binary=case.binary, exact=True)


def _dumped(est, path):
    import skops.io as sio

    sio.dump(est, path)
    return path


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    similarity=st.sampled_from(["dot", "euclidean", "cosine"]),
    log_beta=st.floats(-6, 6),
    n_patterns=st.integers(1, 40),
    n_outputs=st.sampled_from([None, 1, 3]),
    log_scale=st.floats(-3, 6),
    n_shards=st.integers(1, 8),
    max_iter=st.integers(1, 3),
    dtype=st.sampled_from([np.float64, np.float32]),
    weighted=st.booleans(),
    sparse=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_sharded_regressor_predicts_what_one_process_predicts(
    client, similarity, log_beta, n_patterns, n_outputs, log_scale, n_shards,
    max_iter, dtype, weighted, sparse, seed,
):
    # The read-out matrix [T | 1] is sharded with the patterns: the merged
    # attention-weighted targets and weights' sum give the same predictions,
    # for sample-weighted (the prior in every shard) and CSR memories too.
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_patterns, 6)).astype(dtype)
    Q = rng.standard_normal((30, 6)).astype(dtype)
    shape = (n_patterns,) if n_outputs is None else (n_patterns, n_outputs)
    y = 10.0**log_scale * rng.standard_normal(shape) + 10.0**log_scale
    sample_weight = np.exp(rng.uniform(-20, 20, n_patterns)) if weighted else None
    fit_X, cues = X, Q
    if sparse:
        X[rng.random(X.shape) < 0.6] = 0
        fit_X, cues = sp.csr_matrix(X), sp.csr_matrix(Q)
    est = ModernHopfieldRegressor(
        10.0**log_beta, similarity=similarity, max_iter=max_iter, tol=0.0
    ).fit(fit_X, y, sample_weight=sample_weight)
    reference = est.predict(cues)
    with sharded_memory(n_shards), distributed.get_task_stream(client) as stream:
        sharded = est.predict(cues)
    assert len(stream.data) > 0  # it did run on the shards
    assert sharded.dtype == reference.dtype == dtype
    assert sharded.shape == reference.shape == (len(Q),) + y.shape[1:]
    # a weighted mean of the targets: within their range, to rounding of it
    scale = float(np.abs(y).max())
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(sharded, reference, rtol=0, atol=1e4 * eps * scale)
    if max_iter == 1 and similarity == "euclidean" and dtype == np.float64:
        # against a plain (weighted) Nadaraya-Watson estimate, computed here
        d2 = ((Q[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
        logits = -0.5 * est.beta_ * d2
        if weighted:
            logits = logits + np.log(sample_weight)
        w = np.exp(logits - logits.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        expected = w @ y.reshape(n_patterns, -1)
        np.testing.assert_allclose(
            sharded.reshape(len(Q), -1), expected, rtol=0, atol=1e-6 * scale
        )


class _PeakManagedMemory(distributed.WorkerPlugin):
    """The most data a worker held at once (dask's managed memory, bytes)."""

    name = "skhopfield-peak-managed"

    def setup(self, worker):
        self.worker, self.peak = worker, 0

    def transition(self, key, start, finish, **kwargs):
        self.peak = max(self.peak, self.worker.state.nbytes)


def test_sharded_memory_larger_than_a_worker_stays_under_its_limit():
    limit = 1_500_000  # bytes per worker
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6000, 32))  # 1.5 MB of patterns, 1.8 MB as stored
    clf = ModernHopfieldClassifier(max_iter=2).fit(X, np.arange(6000) % 3)
    Q = X[:300] + 0.1 * rng.standard_normal((300, 32))
    reference = clf.predict_proba(Q), clf.transform(Q)
    # In-process workers share this process's memory, so its RSS says
    # nothing about them: the limit is checked on what each worker holds.
    quiet = {f"distributed.worker.memory.{k}": False for k in ("target", "spill", "pause", "terminate")}
    with dask.config.set(quiet), distributed.Client(
        processes=False,
        n_workers=2,
        threads_per_worker=1,
        memory_limit=limit,
        dashboard_address=None,
    ) as client:
        client.register_plugin(_PeakManagedMemory())

        def peaks():
            return client.run(lambda dask_worker: dask_worker.plugins["skhopfield-peak-managed"].peak)

        working_memory = 0.25  # MiB, for the temporaries of one task
        with config_context(working_memory=working_memory), sharded_memory():
            sharded = clf.predict_proba(Q), clf.transform(Q)
        assert max(peaks().values()) + working_memory * 2**20 < limit
        # Query-parallel, every worker holds the whole memory: over the limit.
        with parallel_config(backend="dask"):
            clf.set_params(n_jobs=2).predict_proba(Q)
        assert min(peaks().values()) > limit
    np.testing.assert_allclose(sharded[0], reference[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(sharded[1], reference[1], rtol=1e-12, atol=1e-12)


def test_sharded_memory_checks_n_shards_and_needs_a_client():
    with pytest.raises(ValueError, match="n_shards"):
        with sharded_memory(0):
            pass
    with pytest.raises(ValueError, match="n_shards"):
        with sharded_memory(True):
            pass


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_dask_thread_workers_leave_blas_threads_as_found(client, case):
    """Dask's thread workers run retrieval in non-main threads: the BLAS
    thread counts of the process must be what they were (issue 17, item 8)."""
    from threadpoolctl import ThreadpoolController

    def counts():
        return [
            (info["filepath"], info["num_threads"])
            for info in ThreadpoolController().select(user_api="blas").info()
        ]

    before = counts()
    X = patterns(case, 20, 32, seed=0)
    Q = patterns(case, 200, 32, seed=1)
    est = case.make(n_jobs=2).fit(*fit_args(case, X, labeled=True))
    with config_context(working_memory=0.05), parallel_config(backend="dask"):
        outputs(est, Q)
        est.partial_fit(*fit_args(case, Q[:4], labeled=True))
    assert counts() == before
