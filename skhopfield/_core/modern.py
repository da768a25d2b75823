"""Pure-numpy math of the continuous modern Hopfield network (Ramsauer et al. 2020).

Notation: ``X`` the stored patterns, shape ``(P, N)``; ``Q`` a block of states
(one per row), shape ``(n, N)``.  The *score* of state ``xi`` against pattern
``mu`` is ``z_mu = x^mu . xi + o_mu`` where the per-pattern offset ``o`` is

- ``0`` for ``"dot"`` (the paper's ``X xi``),
- ``-||x^mu||^2 / 2`` for ``"euclidean"``, so that
  ``z_mu = -||x^mu - xi||^2 / 2 + ||xi||^2 / 2``; the last term is the same
  for every pattern and cancels inside the softmax,
- ``0`` for ``"cosine"``, whose stored patterns are unit-normalized (and whose
  cues are unit-normalized before the first step).

Every similarity is therefore the paper's dot-product network on (possibly
normalized) patterns with an additive per-pattern offset, which leaves the
energy a difference of convex functions: the update step
``xi <- X^T softmax(beta z)`` is its CCCP step and never raises

    E(xi) = -lse(beta, z) + 1/2 xi^T xi + ln(P) / beta + 1/2 M^2,

``lse(beta, z) = log(sum_mu exp(beta z_mu)) / beta``, ``M`` the largest pattern
norm.  All exponentials are taken after subtracting the row maximum, so
nothing overflows for any ``beta`` in ``[1e-6, 1e6]``.

Nothing here knows about estimators.  Functions work in the dtype of the
arrays they are given (float32 stays float32).
"""

import numpy as np

#: Similarities understood by :func:`memory_from_patterns`.
SIMILARITIES = ("dot", "euclidean", "cosine")

#: Target size of the score tile one block works on at a time (bytes).  The
#: block functions walk their rows in tiles of about this many bytes of
#: scores so the tile stays in cache between the passes over it (GEMM, max,
#: exp, label GEMM); measured in ``benchmarks/predict_vs_knn.py``.
TILE_BYTES = 16 * 2**20


def unit_rows(A):
    """Rows of ``A`` scaled to unit Euclidean norm; all-zero rows stay zero."""
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    norms[norms == 0] = 1
    return A / norms[:, None].astype(A.dtype, copy=False)


def memory_from_patterns(X, similarity):
    """The stored memory used by the dynamics: patterns and per-pattern offsets.

    Parameters
    ----------
    X : ndarray of shape (P, N)
        Stored patterns.
    similarity : {"dot", "euclidean", "cosine"}

    Returns
    -------
    memory : ndarray of shape (P, N)
        ``X`` itself, or its unit-normalized rows for ``"cosine"``.
    offset : ndarray of shape (P,)
        ``-||x^mu||^2 / 2`` for ``"euclidean"``, zeros otherwise.
    """
    if similarity not in SIMILARITIES:
        raise ValueError(f"similarity must be one of {SIMILARITIES}, got {similarity!r}")
    if similarity == "cosine":
        memory = unit_rows(X)
    else:
        memory = X
    if similarity == "euclidean":
        offset = -0.5 * np.einsum("ij,ij->i", memory, memory)
    else:
        offset = np.zeros(memory.shape[0], dtype=memory.dtype)
    return memory, offset.astype(memory.dtype, copy=False)


def start_states(Q, similarity):
    """The initial states ``xi_0`` for cues ``Q`` (unit rows for ``"cosine"``)."""
    return unit_rows(Q) if similarity == "cosine" else Q


def tile_rows(n_patterns, itemsize, tile_bytes=TILE_BYTES):
    """Rows per score tile so that one tile is about ``tile_bytes``."""
    return max(1, int(tile_bytes) // max(1, n_patterns * itemsize))


def scaled_scores(Q, memory, offset, beta, out=None):
    """``beta * (Q memory^T + offset)`` with each row's maximum subtracted.

    One GEMM, then in place: the row maximum is subtracted, so every entry is
    ``<= 0`` and the largest of each row is exactly ``0``.

    Parameters
    ----------
    Q : ndarray of shape (n, N)
    memory : ndarray of shape (P, N)
    offset : ndarray of shape (P,)
    beta : float
    out : ndarray of shape (n, P), optional
        Buffer to write into (C-contiguous, dtype of ``Q``).

    Returns
    -------
    a : ndarray of shape (n, P)
        Shifted, scaled scores (``out`` when given).
    zmax : ndarray of shape (n,)
        The row maxima of ``beta * (Q memory^T + offset)`` that were subtracted.
    """
    dtype = Q.dtype
    # beta goes on the small side of the product: n x N, not n x P.
    Qb = Q * dtype.type(beta)
    a = np.matmul(Qb, memory.T, out=out)
    if offset is not None and offset.any():
        a += dtype.type(beta) * offset
    zmax = a.max(axis=1)
    a -= zmax[:, None]
    return a, zmax


def attention(Q, memory, offset, beta, out=None):
    """Softmax attention ``softmax(beta (Q memory^T + offset))`` row by row.

    Computed in place in one ``(n, P)`` buffer: GEMM, subtract row max, exp,
    divide by the row sum.

    Returns
    -------
    A : ndarray of shape (n, P)
        Rows are non-negative and sum to one.
    """
    a, _ = scaled_scores(Q, memory, offset, beta, out=out)
    np.exp(a, out=a)
    a /= a.sum(axis=1, keepdims=True)
    return a


def class_scores(Q, memory, offset, beta, onehot, out=None):
    """Unnormalized per-class attention ``sum_{mu in c} exp(beta z_mu - max)``.

    The hot path of ``predict``: no division by the partition function is
    needed for an argmax.  Each row's largest entry is at least 1.

    Parameters
    ----------
    onehot : ndarray of shape (P, C)
        One-hot labels of the stored patterns, dtype of ``Q``.

    Returns
    -------
    scores : ndarray of shape (n, C)
    """
    a, _ = scaled_scores(Q, memory, offset, beta, out=out)
    np.exp(a, out=a)
    return a @ onehot


def update_states(Q, memory, offset, beta, out=None):
    """One CCCP update ``xi <- memory^T softmax(beta (memory xi + offset))``."""
    return attention(Q, memory, offset, beta, out=out) @ memory


def run_updates(Q, memory, offset, beta, n_steps, tol, scale=1.0):
    """Run up to ``n_steps`` update steps from the states ``Q``.

    A row stops moving (and keeps its state) once one step changes it by at
    most ``tol * scale`` in Euclidean norm.

    Returns
    -------
    states : ndarray of shape (n, N)
    n_iter : ndarray of shape (n,), int
        Steps run per row.
    converged : ndarray of shape (n,), bool
        True where the last step moved the row by at most ``tol * scale``.
    """
    states = np.array(Q, copy=True)
    n = states.shape[0]
    n_iter = np.zeros(n, dtype=np.intp)
    converged = np.zeros(n, dtype=bool)
    active = np.arange(n)
    limit = tol * scale
    buf = None
    for _ in range(n_steps):
        if active.size == 0:
            break
        if buf is None or buf.shape[0] < active.size:
            buf = np.empty((active.size, memory.shape[0]), dtype=states.dtype)
        old = states[active]
        new = update_states(old, memory, offset, beta, out=buf[: active.size])
        states[active] = new
        n_iter[active] += 1
        step = np.sqrt(np.einsum("ij,ij->i", new - old, new - old))
        done = step <= limit
        converged[active[done]] = True
        active = active[~done]
    return states, n_iter, converged


def energy(Q, memory, offset, beta, max_norm):
    """Energy ``-lse(beta, z) + 1/2 xi^T xi + ln(P)/beta + 1/2 M^2`` per row.

    Written as ``-zmax - log(mean_mu exp(beta (z_mu - zmax))) / beta +
    1/2 xi^T xi + 1/2 M^2`` so that the large terms ``ln(P)/beta`` cancel
    analytically: finite and accurate for any ``beta`` in ``[1e-6, 1e6]``.
    Where the mean is close to 1 (small ``beta``) it is taken as
    ``log1p(mean(expm1(.)))`` to keep the digits that ``/ beta`` magnifies.

    Returns
    -------
    energy : ndarray of shape (n,)
    """
    dtype = Q.dtype
    a, zmax_scaled = scaled_scores(Q, memory, offset, beta)
    P = a.shape[1]
    # log(mean(exp(a))) two ways, both on a <= 0 (no overflow possible).
    mean_expm1 = np.expm1(a).mean(axis=1)  # in [-1, 0]
    log_mean_small = np.log1p(np.maximum(mean_expm1, dtype.type(-0.5)))
    np.exp(a, out=a)
    s = a.sum(axis=1)  # >= 1 since the max entry is exp(0)
    log_mean_large = np.log(s) - dtype.type(np.log(P))
    log_mean = np.where(mean_expm1 > -0.5, log_mean_small, log_mean_large)
    b = dtype.type(beta)
    neg_lse_plus = -(zmax_scaled / b) - log_mean / b
    half_sq = dtype.type(0.5) * np.einsum("ij,ij->i", Q, Q)
    return (neg_lse_plus + half_sq + dtype.type(0.5 * max_norm**2)).astype(
        dtype, copy=False
    )
