"""Past one machine: batch retrieval on a dask.distributed cluster.

With ``joblib.parallel_config(backend="dask")`` and a ``distributed.Client``
(here an in-process local cluster), every estimator's batch retrieval runs
as tasks on the cluster's workers and returns what ``n_jobs=1`` returns.
See ``docs/distributed.rst`` for a real cluster.
"""

import numpy as np
import pytest
from _cases import CASES, assert_same, fit_args, outputs, patterns
from joblib import parallel_config
from sklearn import config_context

distributed = pytest.importorskip("distributed")

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


@pytest.mark.parametrize("case", CASES, ids=repr)
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
