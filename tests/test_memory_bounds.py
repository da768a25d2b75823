"""Bounded memory: batch retrieval never builds a full queries x patterns matrix.

Predicting 20,000 queries against 20,000 stored patterns would take a
3.2 GB float64 matrix if done in one piece.  Under
``sklearn.config_context(working_memory=64)`` the peak of traced memory
(numpy reports its allocations to ``tracemalloc``) must stay near the
64 MiB budget (below twice it, so below 1/25 of the full matrix), and must
not grow with the number of queries: it scales with the chunk, not with the
batch.

Few features keep the binary memories' dynamics cheap; the size of the
matrix that must *not* be built depends only on the numbers of queries and
patterns.
"""

import tracemalloc

import numpy as np
import pytest
from _cases import CASES, SPARSE_CASES, fit_args, patterns
from sklearn import config_context

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

MiB = 2**20
BUDGET_MIB = 64  # the figure for 20,000 x 20,000

#: (case id, n_features, n_patterns, n_queries small, n_queries large, budget
#: in MiB): one configuration per estimator.  The dense memory's dynamics
#: cost O(n_queries * n_patterns * n_features) per sweep in Python-level
#: steps, so it gets a small budget and a batch whose full matrix is still
#: many times that budget.
SIZES = {
    "hopfield-hebbian-async": (8, 20_000, 5_000, 20_000, 64),
    "dense-polynomial-order3-async": (8, 1_000, 400, 1_600, 1.5),
    "modern-dot": (16, 20_000, 5_000, 20_000, 64),
    "modern-euclidean-csr": (16, 4_000, 1_000, 4_000, 8),  # scipy products: slower
    "bam-correlation": (8, 20_000, 5_000, 20_000, 64),
    "modern-regressor-euclidean": (16, 20_000, 5_000, 20_000, 64),
    "simplicial-full2-async": (8, 1_000, 400, 1_600, 1.5),
    "simplicial-diluted12-async": (8, 2_000, 1_000, 4_000, 4),
}
MEMORY_CASES = [
    pytest.param(c, *SIZES[c.id], id=c.id) for c in CASES + SPARSE_CASES if c.id in SIZES
]


def _peak(func, *args):
    """Peak traced memory of ``func(*args)`` above what was traced before, in bytes."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        out = func(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before, out


@pytest.mark.parametrize(
    "case, n_features, n_patterns, n_small, n_large, budget", MEMORY_CASES
)
def test_predict_peak_memory_scales_with_the_chunk_not_the_batch(
    case, n_features, n_patterns, n_small, n_large, budget
):
    full = 8 * n_large * n_patterns  # the matrix that must not be built
    assert full >= 8 * budget * MiB  # (else the test would prove nothing)
    X = patterns(case, n_patterns, n_features, seed=0)
    small = patterns(case, n_small, n_features, seed=1)
    large = patterns(case, n_large, n_features, seed=2)
    with config_context(working_memory=budget):
        est = case.make().fit(*fit_args(case, X))
        methods = [est.predict] + (
            [est.predict_proba] if hasattr(est, "predict_proba") else []
        )
        for method in methods:
            peak_small, _ = _peak(method, small)
            peak_large, out = _peak(method, large)
            assert len(out) == n_large
            # Near the budget, so at most a quarter of the full matrix ...
            name = method.__name__
            assert peak_large < 2 * budget * MiB, (name, peak_large / MiB)
            # ... and not growing with the batch, beyond the inputs and
            # outputs, which do (a few (n_queries, n_features) arrays).
            per_batch = 8 * (n_large - n_small) * (4 * n_features + 8)
            assert peak_large < 1.2 * peak_small + per_batch + 0.5 * MiB, (
                name,
                peak_small / MiB,
                peak_large / MiB,
            )


def test_modern_20k_queries_against_20k_patterns_under_64_mib():
    # The figure: 20,000 x 20,000 would be 3.2 GB in float64.
    case = next(c for c in CASES if c.id == "modern-dot")
    X = patterns(case, 20_000, 16, seed=0)
    Q = patterns(case, 20_000, 16, seed=1)
    with config_context(working_memory=BUDGET_MIB):
        est = case.make().fit(*fit_args(case, X))
        # (predict and predict_proba at this size: the test above; energy
        # runs through the same engine and costs several exp per score)
        for method in (est.transform,):
            peak, out = _peak(method, Q)
            assert len(out) == len(Q)
            assert peak < 2 * BUDGET_MIB * MiB, (method.__name__, peak / MiB)


def test_hopfield_peak_grows_with_working_memory():
    # The other direction: the peak follows the budget it is given.
    case = CASES[0]
    X = patterns(case, 5_000, 8, seed=0)
    Q = patterns(case, 5_000, 8, seed=1)
    peaks = []
    for budget in (4, 32):
        with config_context(working_memory=budget):
            est = case.make().fit(X)
            peak, _ = _peak(est.predict, Q)
        assert peak < 2 * budget * MiB
        peaks.append(peak)
    assert peaks[1] > 4 * peaks[0]


def test_leave_one_out_training_never_builds_the_n_by_n_matrix():
    # Every row stored, beta and a map learned: the objective compares every
    # row with every other.  At 3,000 rows one (n, n) float64 array is 69 MiB;
    # under a 4 MiB budget the training's peak stays well below one of them.
    from skhopfield import ModernHopfieldClassifier

    rng = np.random.default_rng(0)
    n = 3_000
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] > 0).astype(int)
    full = 8 * n * n
    est = ModernHopfieldClassifier(beta="learn", n_components=2, max_fit_iter=2)
    with config_context(working_memory=4):
        peak, _ = _peak(est.fit, X, y)
    assert peak < full / 4, (peak / MiB, full / MiB)
