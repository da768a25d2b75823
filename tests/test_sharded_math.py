"""The log-sum-exp algebra of the sharded memories (``skhopfield._core.shards``).

No cluster here: the partials of any partition of the stored patterns into
shards, merged by ``merge_lse``, must give what one block of all the
patterns gives, and both must match a long-double softmax computed directly
from the definition (the scores ``z_mu = x^mu . xi + o_mu`` of the internal
patterns and offsets, then ``log sum exp(beta z)`` and the attention-weighted
means), over the whole accepted range of ``beta`` and in float32 as in
float64; the energy from merged partials must be the memory's energy.
"""

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from skhopfield._core.scoring import ModernMemory, SparseModernMemory
from skhopfield._core.shards import energy_from_lse, lse_partials, merge_lse


def _dense(A):
    return A.toarray() if sp.issparse(A) else A


def _scores(memory, Q):
    """Long-double scores ``z_mu = x^mu . xi + o_mu`` from the internal layout."""
    L = np.longdouble
    aug = _dense(memory.aug).astype(L)
    N = aug.shape[1] - 2
    return _dense(Q).astype(L) @ aug[:, :N].T + aug[:, N]


def _log_prior(memory, n_patterns):
    L = np.longdouble
    if memory.weights is None:
        return np.zeros(n_patterns, dtype=L)
    return np.log(memory.weights.astype(L))


def _reference(memory, Q, beta, values):
    """Long-double ``log sum w exp(beta z)`` and attention-weighted means."""
    L = np.longdouble
    z = _scores(memory, Q)
    a = L(beta) * z + _log_prior(memory, z.shape[1])
    top = a.max(axis=1, keepdims=True)
    w = np.exp(a - top)
    lse = top[:, 0] + np.log(w.sum(axis=1))
    return lse, (w @ values.astype(L)) / w.sum(axis=1, keepdims=True)


def _reference_energy(memory, Q, beta):
    """Long-double energy ``-lse + 1/2 |xi|^2 + ln(sum w)/beta + 1/2 M^2``.

    The prior ``p = w / sum w``; with ``u = z - max z``, ``ln(sum_mu p_mu
    exp(beta u_mu))`` is taken as ``log1p(sum p expm1(beta u))`` where that
    sum is above -1/2 (no digits lost at small beta) and directly elsewhere.
    """
    L = np.longdouble
    z = _scores(memory, Q)
    zmax = z.max(axis=1)
    u = L(beta) * (z - zmax[:, None])
    p = np.exp(_log_prior(memory, z.shape[1]))
    p /= p.sum()
    near = np.expm1(u) @ p
    log_mean = np.where(
        near > -0.5,
        np.log1p(np.maximum(near, L(-0.5))),
        np.log(np.exp(u) @ p),
    )
    Qd = _dense(Q).astype(L)
    half_sq = L(0.5) * np.einsum("ij,ij->i", Qd, Qd)
    return -zmax - log_mean / L(beta) + half_sq + L(0.5) * L(memory.max_norm) ** 2


def _split(n_patterns, cuts):
    bounds = sorted({0, n_patterns, *[c % (n_patterns + 1) for c in cuts]})
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def _merged(memory, Q, beta, shards, **kwargs):
    values = kwargs.pop("values", None)
    return merge_lse(
        [
            lse_partials(
                memory.take(rows),
                Q,
                beta,
                values=None if values is None else values[rows],
                **kwargs,
            )
            for rows in shards
        ],
        beta,
    )


def _memory(rng, n_patterns, n_features, similarity, dtype, weighted, sparse):
    X = rng.standard_normal((n_patterns, n_features)).astype(dtype)
    weights = None
    if weighted:
        # log-uniform over many decades: the prior spans e^-30 .. e^30
        weights = np.exp(rng.uniform(-30, 30, n_patterns))
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0
        return SparseModernMemory(sp.csr_matrix(X), similarity, weights=weights), X
    return ModernMemory(X, similarity, weights=weights), X


@settings(max_examples=80, deadline=None)
@given(
    similarity=st.sampled_from(["dot", "euclidean", "cosine"]),
    log_beta=st.floats(-6, 6),
    n_patterns=st.integers(1, 30),
    n_features=st.integers(1, 8),
    cuts=st.lists(st.integers(0, 30), max_size=6),
    dtype=st.sampled_from([np.float64, np.float32]),
    weighted=st.booleans(),
    sparse=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_merged_shards_equal_one_block_and_the_long_double_softmax(
    similarity, log_beta, n_patterns, n_features, cuts, dtype, weighted, sparse, seed
):
    rng = np.random.default_rng(seed)
    memory, _ = _memory(
        rng, n_patterns, n_features, similarity, dtype, weighted, sparse
    )
    Q = memory.start(rng.standard_normal((7, n_features)).astype(dtype))
    values = rng.standard_normal((n_patterns, 3)).astype(dtype)
    if sparse:
        values = sp.csr_matrix(values)  # as a sparse shard's own patterns are
    beta = 10.0**log_beta
    whole = lse_partials(memory, Q, beta, values=values)
    merged = _merged(memory, Q, beta, _split(n_patterns, cuts), values=values)
    assert merged.keys() == whole.keys() == {"m", "s", "W"}
    # BLAS rounds a score differently in a block of another shape, by about
    # |z| * eps, magnified by beta in the weights; the log prior rounds to
    # the dtype: that bounds the agreement
    eps = float(np.finfo(dtype).eps)
    aug = _dense(memory.aug)
    zscale = float(np.abs(aug).max() * (np.abs(Q).max() + 1)) * (n_features + 2)
    tol = 16 * eps * (1 + beta) * zscale + (64 * 30 * eps if weighted else 0)
    np.testing.assert_allclose(merged["m"], whole["m"], rtol=0, atol=tol)
    for key in ("s", "W"):
        assert merged[key].dtype == dtype
        np.testing.assert_allclose(
            merged[key], whole[key], rtol=tol, atol=tol * n_patterns, err_msg=key
        )
    # against the definition, in long double
    lse, mean = _reference(memory, Q, beta, _dense(values))
    m, s = merged["m"], merged["s"]
    np.testing.assert_allclose(m + np.log(s), lse, rtol=tol, atol=tol)
    np.testing.assert_allclose(merged["W"] / s[:, None], mean, rtol=0, atol=4 * tol)


@settings(max_examples=60, deadline=None)
@given(
    similarity=st.sampled_from(["dot", "euclidean", "cosine"]),
    log_beta=st.floats(-12, 6),
    n_patterns=st.integers(1, 30),
    cuts=st.lists(st.integers(0, 30), max_size=4),
    weighted=st.booleans(),
    sparse=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_energy_from_merged_shards_equals_the_long_double_energy(
    similarity, log_beta, n_patterns, cuts, weighted, sparse, seed
):
    rng = np.random.default_rng(seed)
    memory, _ = _memory(rng, n_patterns, 5, similarity, np.float64, weighted, sparse)
    Q = rng.standard_normal((6, 5))
    beta = 10.0**log_beta
    Qi = memory.internal(Q)
    part = _merged(memory, Qi, beta, _split(n_patterns, cuts), energy=True)
    energy = energy_from_lse(Qi, beta, part, memory.max_norm)
    whole = memory.energy(Qi, beta)
    reference = _reference_energy(memory, Qi, beta)
    # relative to the energy's own terms (the series at tiny beta, the
    # log1p of the mean expm1 elsewhere: both keep their digits)
    sq = float(np.einsum("ij,ij->i", Qi, Qi).max())
    scale = 1 + float(np.abs(reference).max()) + sq
    np.testing.assert_allclose(energy, whole, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(energy, reference, rtol=0, atol=1e-12 * scale)


def test_take_keeps_the_whole_memory_bound_and_copies_its_rows():
    X = np.array([[3.0, 4.0], [0.6, 0.8], [0.0, 1.0]])
    memory = ModernMemory(X, "dot", weights=np.array([1.0, 2.0, 4.0]))
    shard = memory.take(slice(1, 3))
    assert shard.max_norm == memory.max_norm
    np.testing.assert_array_equal(shard.memory, memory.memory[1:])
    assert not np.shares_memory(shard.aug, memory.aug)
    assert shard.patterns is None  # the stored patterns stay home
    # the weights keep the whole memory's scale (relative to its largest)
    np.testing.assert_array_equal(shard.weights, [0.5, 1.0])
    np.testing.assert_array_equal(shard.log_weight, np.log([0.5, 1.0]))


def test_sparse_take_is_a_csr_shard_of_its_rows():
    X = sp.csr_matrix(np.array([[3.0, 0.0], [0.0, 0.8], [0.5, 1.0]]))
    memory = SparseModernMemory(X, "euclidean")
    shard = memory.take(slice(1, 3))
    assert sp.issparse(shard.aug) and shard.aug.shape[0] == 2
    assert shard.__dict__["_memory"] is None  # not sent twice: cut from aug
    np.testing.assert_array_equal(shard.memory.toarray(), memory.memory[1:].toarray())
    assert shard.max_norm == memory.max_norm
    assert shard.patterns is None
