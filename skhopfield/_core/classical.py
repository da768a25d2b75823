"""The classical binary Hopfield network (Hopfield 1982).

Learning rules give a symmetric coupling matrix ``W`` with zero diagonal;
energy ``E(s) = -1/2 s^T W s``; local field ``h = W s``.
"""

import numpy as np

from .binary import flip_mask

#: Neurons processed per block in an asynchronous sweep (see ClassicalModel).
ASYNC_BLOCK = 64


def hebbian_weights(S):
    """Hebbian couplings ``W = 1/N sum_mu x^mu x^mu^T`` with zero diagonal.

    Additive over patterns: the weights of ``A`` plus those of ``B`` are the
    weights of ``A`` and ``B`` stored together.
    """
    n_features = S.shape[1]
    W = S.T @ S / n_features
    np.fill_diagonal(W, 0.0)
    return W


def storkey_update(W, S):
    """Store the rows of ``S`` one at a time with Storkey's rule (1997).

    For a new pattern ``x`` with local fields ``h = W x`` (zero diagonal),
    ``h_ij = h_i - W_ij x_j`` is the field on ``i`` without ``j`` and

        W_ij += 1/N (x_i x_j - x_i h_ji - h_ij x_j)

    which in matrix form is ``W += 1/N (x x^T - x h^T - h x^T + 2 W)``.
    Returns a new matrix; ``W`` is left untouched.
    """
    W = np.array(W, dtype=float, copy=True)
    n_features = W.shape[0]
    for x in S:
        h = W @ x
        W += (np.outer(x, x) - np.outer(x, h) - np.outer(h, x) + 2.0 * W) / n_features
        np.fill_diagonal(W, 0.0)
    return W


def pseudoinverse_weights(S):
    """Projection (pseudo-inverse) rule of Personnaz et al. (1986).

    ``W = X^+ X`` projects onto the span of the patterns, so every pattern of a
    linearly independent set is a fixed point.  The diagonal is zeroed (no
    self-coupling); a pattern stays stable as long as ``W_ii < 1``, which holds
    whenever no unit vector lies in the patterns' span.
    """
    W = np.linalg.pinv(S) @ S
    W = 0.5 * (W + W.T)
    np.fill_diagonal(W, 0.0)
    return W


def classical_energy(S, W):
    """``E(s) = -1/2 s^T W s`` for each row of ``S``."""
    return -0.5 * np.einsum("ij,ij->i", S @ W, S)


class ClassicalModel:
    """Dynamics of the classical network, vectorized over a batch of states.

    The cache is the matrix of local fields ``H = S W``.  An asynchronous
    sweep visits the neurons in blocks of ``ASYNC_BLOCK``: inside a block the
    neurons are updated one at a time, exactly in order, using only the small
    ``k x k`` block of ``W`` to keep the block's fields current; after the
    block, every field is brought up to date by a single matrix product
    ``H += dS W[block]``.  The result is the sequential asynchronous update,
    bit for bit, and a full sweep costs about one ``S W`` product, the price
    of one synchronous step.
    """

    def __init__(self, weights):
        self.W = weights
        # Ties: a field within tol of zero keeps the state (see flip_mask).
        self.tol = 1e-9 * max(float(np.abs(weights).sum(axis=0).max()), 1.0)

    def init_cache(self, S):
        return S @ self.W

    def take(self, H, rows):
        return H[rows]

    def energy(self, S):
        return classical_energy(S, self.W)

    def sync_step(self, S):
        H = S @ self.W
        return np.where(flip_mask(H, S, self.tol), -S, S)

    def async_sweep(self, S, H, order):
        W, tol = self.W, self.tol
        changed = np.zeros(len(S), dtype=bool)
        for start in range(0, len(order), ASYNC_BLOCK):
            idx = order[start : start + ASYNC_BLOCK]
            Hb = H[:, idx]
            Sb = S[:, idx]
            W_bb = W[np.ix_(idx, idx)]
            dS = None
            for j in range(len(idx)):
                rows = np.flatnonzero(flip_mask(Hb[:, j], Sb[:, j], tol))
                if rows.size == 0:
                    continue
                delta = -2.0 * Sb[rows, j]
                Sb[rows, j] = -Sb[rows, j]
                Hb[rows] += delta[:, None] * W_bb[j]
                if dS is None:
                    dS = np.zeros_like(Sb)
                dS[rows, j] = delta
            if dS is not None:
                S[:, idx] = Sb
                H += dS @ W[idx]
                changed |= dS.any(axis=1)
        return changed
