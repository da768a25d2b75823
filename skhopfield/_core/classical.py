"""The classical binary Hopfield network (Hopfield 1982).

Learning rules give a symmetric coupling matrix ``W`` with zero diagonal;
energy ``E(s) = -1/2 s^T W s``; local field ``h = W s``.
"""

import math

import numpy as np
from scipy.linalg import get_blas_funcs

from .binary import flip_mask, settle, single_threaded_blas

#: Neurons processed per block in an asynchronous sweep (see ClassicalModel).
ASYNC_BLOCK = 64


def hebbian_weights(S, weights=None):
    """Hebbian couplings ``W = 1/N sum_mu w_mu x^mu x^mu^T`` with zero diagonal.

    Additive over patterns: the weights of ``A`` plus those of ``B`` are the
    weights of ``A`` and ``B`` stored together.  ``weights`` (shape
    ``(P,)``, default all 1) scales each pattern's term, so a pattern of
    weight 2 gives exactly the couplings of the pattern stored twice (for
    whole-number weights every sum is an exact integer before the division
    by ``N``).
    """
    n_features = S.shape[1]
    if weights is None:
        W = S.T @ S / n_features
    else:
        W = S.T @ (np.asarray(weights, dtype=np.float64)[:, None] * S) / n_features
    np.fill_diagonal(W, 0.0)
    return W


def storkey_update(W, S, scale=(0, 0)):
    """Store the rows of ``S`` one at a time with Storkey's rule (1997).

    For a new pattern ``x`` the rule, as Storkey states it, is

        W_ij += 1/N (x_i x_j - x_i h_ji - h_ij x_j),   i != j,

    with ``h_ij = sum_{k != i, j} W_ik x_k`` the field on ``i`` without
    ``j``.  With a zero diagonal and ``h = W x`` this is ``h_ij = h_i -
    W_ij x_j``, and since ``x_i^2 = 1`` the update is, in matrix form,

        W <- (1 + 2/N) W + 1/N (x v^T + v x^T),   v = x/2 - h,

    then the diagonal is set back to zero: a global factor plus one
    symmetric rank-2 term.

    The global factor makes the couplings grow exponentially with the
    number of patterns (at ``N = 10`` they pass the float64 range after a
    few thousand), so the matrix is kept up to a positive factor: the true
    couplings are ``2**e * (1 + 2/N)**p * W`` for the pair of integers
    ``scale = (e, p)``.  Each pattern adds one to ``p``, which leaves a
    single BLAS rank-2 update of one triangle (``syr2``) per pattern, after
    the field ``h = W x`` (``symv``), and ``W`` is renormalized by powers of
    two (exact; ``e`` counts them) to keep its entries near one.  The only
    other number in the update, ``x / 2`` divided by the factor, is
    computed from ``p`` alone and then scaled by ``2**-e`` (exact), so every
    step is the same, up to an exact power of two, whenever and however
    often the matrix was renormalized: storing ``A`` then ``B`` gives
    bitwise the couplings of storing ``A`` and ``B`` in one call.  Only the
    upper triangle is ever updated and the result is its mirror image, so
    ``W`` is exactly symmetric by construction; a positive factor does not
    change the sign of any field, so the dynamics are those of the
    literature's rule.  The loop runs BLAS on one thread: its calls are
    memory-bound matrix-vector work, where extra threads only add a
    fork-join per call.

    Parameters
    ----------
    W : ndarray of shape (n_features, n_features)
        Symmetric couplings with zero diagonal (zeros for an empty memory),
        up to the factor given by ``scale``.  Not modified.
    S : ndarray of shape (n_patterns, n_features)
        The new +/-1 patterns, stored in row order.
    scale : tuple of two ints, default=(0, 0)
        ``(e, p)``: the factor of ``W`` is ``2**e * (1 + 2/N)**p``.

    Returns
    -------
    W : ndarray of shape (n_features, n_features)
        The new couplings, largest absolute entry in ``[0.5, 1)`` (or all
        zero), exactly symmetric, zero diagonal.
    scale : tuple of two ints
        ``(e, p)`` of their factor: the literature's couplings are
        ``exp(storkey_log_scale(scale, N)) * W``.
    """
    e, p = (int(v) for v in scale)
    A = np.asfortranarray(np.triu(np.asarray(W, dtype=np.float64), 1))
    symv, syr2 = get_blas_funcs(("symv", "syr2"), (A,))
    bound = _max_abs(A)  # an upper bound of max |A|
    with single_threaded_blas():  # per pattern, O(N^2) memory-bound calls
        A, e, p, bound = _storkey_loop(A, S, e, p, bound, symv, syr2)
    A, e, p = _normalize(A, e, p, bound)
    W = np.triu(A, 1)
    W += W.T  # x + 0 == 0 + x: exactly symmetric
    return W, (e, p)


def storkey_log_scale(scale, n_features):
    """Natural log of the factor ``2**e * (1 + 2/N)**p`` of Storkey couplings."""
    e, p = scale
    return e * math.log(2.0) + p * math.log1p(2.0 / n_features)


def _half_inverse_factor(e, p, log2_growth):
    """``1 / (2 * 2**e * (1 + 2/N)**p)``, as ``m(p) * 2**-e`` (exact in ``e``).

    The mantissa ``m(p)`` depends on ``p`` only, so two factors that differ
    by a power of two give results that differ by exactly that power.
    """
    t = -p * log2_growth
    whole = math.floor(t)
    try:
        return math.ldexp(0.5 * 2.0 ** (t - whole), whole - e)
    except OverflowError:  # the couplings are below 2**-1000 of x x^T / N
        return math.inf


def _storkey_loop(A, S, e, p, bound, symv, syr2):
    """The per-pattern loop of :func:`storkey_update`, on the upper triangle."""
    n_features = A.shape[0]
    log2_growth = math.log1p(2.0 / n_features) / math.log(2.0)
    alpha = 1.0 / (n_features + 2)
    for count, x in enumerate(np.asarray(S, dtype=np.float64), start=1):
        # True couplings c A with c = 2**e (1 + 2/N)**p; new ones c' A' with
        # c' = c (1 + 2/N), A' = A + (x u^T + u x^T) / (N + 2), u = v / c.
        half = _half_inverse_factor(e, p, log2_growth)
        if half == math.inf:  # couplings below 2**-1000 of one pattern's: none
            A[...], e, p, half = 0.0, 0, 0, 0.5
        u = half * x - symv(1.0, A, x)
        A = syr2(alpha, x, u, a=A, overwrite_a=True)
        np.fill_diagonal(A, 0.0)
        p += 1
        bound += 2.0 * alpha * float(np.abs(u).max())
        if bound > _RESCALE_ABOVE or count % _RESCALE_EVERY == 0:
            A, e, p = _normalize(A, e, p, bound)
            bound = _max_abs(A)
    return A, e, p, bound


#: Renormalize the Storkey matrix at least every this many patterns (keeps a
#: slow drift far from underflow) ...
_RESCALE_EVERY = 32
#: ... and as soon as a bound on its entries passes this (keeps it far from
#: overflow).
_RESCALE_ABOVE = 2.0**64


def _max_abs(A):
    """``max |A|`` without an array-sized temporary."""
    return max(float(A.max()), -float(A.min())) if A.size else 0.0


def _normalize(A, e, p, bound):
    """Scale ``A`` by a power of two (exact) so its largest entry is in [0.5, 1).

    ``bound`` is the summed size of the terms that made ``A`` since its last
    normalization.  Where every entry is within the rounding error of those
    terms (``4 (N + 2) eps bound``: the field ``W x`` sums ``N`` of them per
    pattern), the exact couplings cancelled to zero and what is left is
    round-off: it is set to exactly zero (factor 1, ``(e, p) = (0, 0)``)
    instead of being scaled up into couplings of unit size that the exact
    rule does not have.
    """
    largest = _max_abs(A)
    if largest <= 4.0 * (A.shape[0] + 2) * np.finfo(np.float64).eps * bound:
        A[...] = 0.0
        return A, 0, 0
    if largest == 0.0 or not math.isfinite(largest):
        return A, e, p
    exponent = math.frexp(largest)[1]
    if exponent:
        A *= math.ldexp(1.0, -exponent)
        e += exponent
    return A, e, p


def pseudoinverse_weights(S):
    """Projection (pseudo-inverse) rule of Personnaz et al. (1986).

    ``W = X^+ X`` projects onto the span of the patterns, so every pattern of a
    linearly independent set is a fixed point.  The diagonal is zeroed (no
    self-coupling); a pattern stays stable as long as ``W_ii < 1``, which holds
    whenever no unit vector lies in the patterns' span.

    The projection is built from the right singular vectors of ``S`` whose
    singular values pass ``numpy.linalg.matrix_rank``'s tolerance.  When the
    patterns span all ``N`` dimensions (at the latest when ``P >= N``
    linearly independent ones are stored) the projection is the identity and
    the couplings are exactly zero: every state is then a fixed point and
    nothing is retrieved.  (For +/-1 patterns this is the only way the
    couplings can vanish: a span that contains no unit vector of a
    coordinate never makes the projection diagonal.)
    """
    n_features = S.shape[1]
    _, singular, Vt = np.linalg.svd(S, full_matrices=False)
    rank = 0
    if singular.size:
        tol = singular[0] * max(S.shape) * np.finfo(np.float64).eps
        rank = int(np.count_nonzero(singular > tol))
    if rank == n_features:
        return np.zeros((n_features, n_features))
    V = Vt[:rank]
    W = V.T @ V
    W = 0.5 * (W + W.T)
    np.fill_diagonal(W, 0.0)
    return W


def classical_energy(S, W):
    """``E(s) = -1/2 s^T W s`` for each row of ``S``."""
    return -0.5 * np.einsum("ij,ij->i", S @ W, S)


class ClassicalModel:
    """Dynamics of the classical network (neuron-major, see ``binary``).

    The cache is the matrix of local fields ``H^T = W S^T``, one row per
    neuron.  An asynchronous sweep visits the neurons in blocks of
    ``ASYNC_BLOCK`` consecutive positions of its visiting order:

    1. before a block is visited, the flips made earlier in the sweep are
       added to the block's fields (one thin matrix product);
    2. inside the block the neurons are visited one at a time, exactly in
       order; the field of neuron ``j`` is its block-start field plus the
       flips of the neurons visited before it in the block (a short
       matrix-vector product);
    3. after the sweep the flips are added to the fields of the neurons
       visited before them (the rest of the products).

    The result is the sequential asynchronous update, and the products of one
    sweep add up to one ``W S^T`` product: the price of a synchronous step.
    Only the queries that flipped take part in the products.
    """

    #: E(s) = E(-s): sign-reversed patterns are attractors too.
    symmetric = True

    def __init__(self, weights):
        self.W = weights
        # Ties: a field within tol of zero keeps the state (see flip_mask).
        # Relative to the largest possible field, so that a positive
        # rescaling of W (see storkey_update) changes no decision.
        self.tol = 1e-9 * float(np.abs(weights).sum(axis=0).max(initial=0.0))

    def __sizeof__(self):
        # Counts the arrays, so that dask's memory accounting (sizeof) sees
        # what a copy of this object on a worker holds.
        arrays = [v for v in vars(self).values() if isinstance(v, np.ndarray)]
        return object.__sizeof__(self) + sum(a.nbytes for a in arrays)

    def init_cache(self, ST):
        return self.W @ ST

    def take(self, HT, cols):
        return HT[:, cols]

    def energy(self, S):
        return classical_energy(S, self.W)

    def sync_step(self, ST):
        HT = self.W @ ST
        return settle(HT, ST, self.tol)

    def async_sweep(self, ST, HT, order, free=None):
        tol, n_features = self.tol, len(order)
        W = self.W[np.ix_(order, order)]  # in visiting order
        dS = np.zeros_like(ST)  # flips of this sweep, in visiting order
        flipped = np.zeros(ST.shape[1], dtype=bool)
        blocks = [
            slice(start, min(start + ASYNC_BLOCK, n_features))
            for start in range(0, n_features, ASYNC_BLOCK)
        ]
        # partial cues: clamped neurons, and missing ones still at 0
        partial = free is not None
        for blk in blocks:
            idx = order[blk]
            Hb = HT[idx]
            Sb = ST[idx]
            Fb = free[idx] if partial else None
            _add_flips(Hb, dS, W[blk], flipped, slice(0, blk.start))
            with single_threaded_blas():  # many tiny products: no thread fork-join
                _visit_block(blk, Hb, Sb, dS, W, flipped, tol, Fb)
            ST[idx] = Sb
            HT[idx] = Hb
        for blk in blocks:
            # The flips of this block and of later ones reach this block.
            idx = order[blk]
            Hb = HT[idx]
            _add_flips(Hb, dS, W[blk], flipped, slice(blk.start, n_features))
            HT[idx] = Hb
        return flipped


def _visit_block(blk, Hb, Sb, dS, W, flipped, tol, Fb=None):
    """Visit the neurons of one block in order, each with its current field.

    ``Hb`` holds the block's fields as of the block start; the field of the
    neuron at position ``pos`` adds the flips made in the block before it.
    Updates ``Sb``, ``dS`` and ``flipped`` in place.  ``Fb`` (partial cues):
    which neurons of the block may change; a neuron at 0 takes a sign
    (:func:`~skhopfield._core.binary.settle`), a change of ``+/-1``.
    """
    first = None  # position of the block's first flip so far
    for j in range(blk.stop - blk.start):
        pos = blk.start + j
        field = Hb[j]
        if first is not None:
            field = field + W[pos, first:pos] @ dS[first:pos]
        if Fb is None:
            flip = flip_mask(field, Sb[j], tol)
            step = -2.0 * Sb[j]
        else:
            step = settle(field, Sb[j], tol) - Sb[j]
            flip = (step != 0) & Fb[j]
        if flip.any():
            dS[pos] = np.where(flip, step, 0.0)
            Sb[j] += dS[pos]
            flipped |= flip
            if first is None:
                first = pos


def _add_flips(Hb, dS, W_rows, flipped, src):
    """``Hb += W_rows[:, src] @ dS[src]``, over the queries that flipped."""
    n_flipped = np.count_nonzero(flipped)
    if src.start == src.stop or n_flipped == 0:
        return
    if n_flipped > Hb.shape[1] // 2:
        Hb += W_rows[:, src] @ dS[src]
    else:
        cols = np.flatnonzero(flipped)
        Hb[:, cols] += W_rows[:, src] @ dS[src][:, cols]


def unlearn(W, n_dreams, rate, *, batch=1, max_iter=100, seed=0, log_scale=0.0):
    """Unlearning ("dreaming") of Hopfield, Feinstein & Palmer (1983).

    Each dream starts from a uniformly random +/-1 state, runs asynchronous
    dynamics (:func:`~skhopfield._core.binary.run_dynamics`) to the attractor
    ``s`` it reaches (or ``max_iter`` sweeps) and weakens it:
    ``W -= rate * s s^T / N``, diagonal kept at zero.  Attractors with large
    basins -- above capacity, the spurious mixtures -- are reached most often
    and lose most.  ``batch`` dreams run at once on the same couplings and
    are subtracted together; ``batch=1`` is the sequential procedure of the
    1983 paper, a larger batch is the same to first order in
    ``rate * batch / N`` and much faster (one vectorized run per batch).

    ``W`` may be the couplings up to a positive factor ``exp(log_scale)``
    (see :func:`storkey_update`): the dynamics do not see the factor, and the
    step is taken in the true units, ``W -= exp(-log_scale) * rate * s s^T / N``.

    Returns a new matrix (with the same factor); ``W`` is left untouched.
    Deterministic in ``seed``.
    """
    from .binary import run_dynamics

    W = np.array(W, dtype=float, copy=True)
    n_features = W.shape[0]
    step = math.exp(-log_scale) * rate / n_features
    # Round-off cancellation: dreams can cancel a coupling exactly in real
    # arithmetic (0.5 - 3 x 1/6) but leave ~1e-17 in floats, which the
    # dynamics would read as a field with a sign.  Each entry is a sum of
    # its starting value and ``done`` steps of size ``step`` times
    # ``s_i s_j``; a magnitude within that sum's rounding bound,
    # ``(done + 2) * eps * (|W0| + done * step)``, is a zero (as in
    # storkey_update).
    start = np.abs(W)
    eps = np.finfo(np.float64).eps
    rng = np.random.default_rng(seed)
    done = 0
    while done < n_dreams:
        size = min(batch, n_dreams - done)
        starts = np.where(rng.random((size, n_features)) < 0.5, -1.0, 1.0)
        order_seed = int(rng.integers(np.iinfo(np.int32).max))
        states, *_ = run_dynamics(
            ClassicalModel(W),
            starts,
            update="async",
            max_iter=max_iter,
            seed=order_seed,
        )
        W -= step * (states.T @ states)
        np.fill_diagonal(W, 0.0)
        done += size
        W[np.abs(W) <= (done + 2) * eps * (start + done * step)] = 0.0
    return W
