"""The bidirectional associative memory (Kosko 1988).

Two layers of +/-1 units, ``x`` (N units) and ``y`` (M units), coupled by an
``N x M`` matrix ``W`` and nothing else (no couplings inside a layer).  The
energy of a pair is ``E(x, y) = -x^T W y``; recall alternates

    y <- sign(W^T x),    x <- sign(W y)

where a field within a tie tolerance of zero keeps the unit's current state.
A unit at 0 (a missing entry of a partial cue: no evidence) takes the sign
of its field, +1 on a tie (:func:`~skhopfield._core.binary.settle`).
Since the units of one layer do not interact, updating a whole layer at once
is an asynchronous update of the bipartite network: each half-step can only
lower ``E`` (by at least twice the tolerance for each flipped unit), the
energy is bounded below by ``-sum |W_ij|``, so the iteration always settles
on a fixed point and never cycles (Kosko 1988, Theorem 1).

The model works on the *concatenated* state ``s = [x; y]`` (neuron-major,
``(N + M, n_queries)``) so that the binary memories' driver
:func:`~skhopfield._core.binary.run_dynamics` runs it unchanged: one
synchronous "step" of the driver is one full alternation (both half-steps).

References
----------
B. Kosko (1988). Bidirectional associative memories. IEEE Transactions on
Systems, Man, and Cybernetics 18(1), 49-60.
"""

import numpy as np

from .binary import settle


def correlation_weights(X, Y, weights=None):
    """Kosko's correlation (Hebbian) rule ``W = sum_mu x^mu (y^mu)^T = X^T Y``.

    Integer-valued for +/-1 patterns and additive over pairs: the weights of
    ``(A, B)`` plus those of ``(C, D)`` are those of both sets stored
    together.  ``weights`` (P,): each pair's term times its weight, ``W =
    sum_mu w_mu x^mu (y^mu)^T``, so a pair of weight 2 is the pair stored
    twice (exactly, for whole-number weights: the sums are of integers).
    """
    if weights is None:
        return X.T @ Y
    return X.T @ (np.asarray(weights, dtype=np.float64)[:, None] * Y)


def pseudoinverse_weights(X, Y, rcond=1e-10, weights=None):
    """Joint least-squares (pseudo-inverse) couplings of a bidirectional memory.

    With the patterns normalized to unit length, ``A = X / sqrt(N)`` and
    ``B = Y / sqrt(M)``, ``W`` is the minimum-norm solution of

        min_W ||A W - B||^2 + ||B W^T - A||^2

    i.e. the best linear map that sends every ``x^mu`` to ``y^mu`` *and*
    every ``y^mu`` back to ``x^mu`` through the same ``W``.  Setting the
    gradient to zero gives the Sylvester equation ``A^T A W + W B^T B = 2 A^T
    B``; with the thin SVDs ``A = U_a S_a V_a^T`` and ``B = U_b S_b V_b^T`` its
    minimum-norm solution is ``W = V_a K V_b^T`` with

        K_ij = 2 s_i t_j (U_a^T U_b)_ij / (s_i^2 + t_j^2).

    When the two directions are consistent -- the pairs have the same
    normalized overlaps on both sides, ``A A^T = B B^T`` (orthogonal sets
    are the common case) -- the residual is zero and ``W = A^+ B = (B^+
    A)^T``: the pseudo-inverse rule of Personnaz et al. (1986) applied to
    both directions at once, which keeps every pair of a linearly
    independent set exactly.  Otherwise no single ``W`` maps every pair
    exactly both ways (``A W = B`` and ``B W^T = A`` together imply ``A A^T =
    B B^T``) and the least-squares compromise is used: it keeps correlated
    pairs that the correlation rule loses, without a guarantee for every set.

    ``weights`` (P,): weighted least squares, ``sum_mu w_mu (||a^mu W -
    b^mu||^2 + ||b^mu W^T - a^mu||^2)``, i.e. the rows of ``A`` and ``B``
    scaled by ``sqrt(w_mu)``.  The equation above depends on the pairs only
    through ``A^T A``, ``B^T B`` and ``A^T B``, which a weight of 2 changes
    exactly as storing the pair twice does, so the two give the same ``W``
    (to rounding).  Where every pair is kept exactly (a consistent,
    linearly independent set) the weights change nothing.
    """
    A = X / np.sqrt(X.shape[1])
    B = Y / np.sqrt(Y.shape[1])
    if weights is not None:
        root = np.sqrt(np.asarray(weights, dtype=np.float64))[:, None]
        A, B = A * root, B * root
    Ua, sa, Vta = _thin_svd(A, rcond)
    Ub, sb, Vtb = _thin_svd(B, rcond)
    K = 2.0 * np.outer(sa, sb) * (Ua.T @ Ub) / np.add.outer(sa**2, sb**2)
    return Vta.T @ K @ Vtb


def _thin_svd(A, rcond):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > rcond * (s[0] if s.size else 0.0)
    return U[:, keep], s[keep], Vt[keep]


def bam_energy(X, Y, W):
    """``E(x, y) = -x^T W y`` for each pair of rows of ``X`` and ``Y``."""
    return -np.einsum("ij,ij->i", X @ W, Y)


def bam_marginal_energy(X, W):
    """``min_y E(x, y) = -sum_j |(W^T x)_j|`` for each row of ``X``.

    The energy of ``x`` with the best ``y`` for it (the one the forward
    half-step picks).  It never rises along the alternating iteration:
    after the ``y`` half-step ``E(x, y) = E(x)``, and the ``x`` half-step
    gives ``E(x') <= E(x', y) <= E(x, y)``.
    """
    return -np.abs(X @ W).sum(axis=1)


class BAMModel:
    """Alternating dynamics over the concatenated state ``[x; y]``.

    Follows the model protocol of :mod:`skhopfield._core.binary` for
    synchronous use: :meth:`sync_step` is one full alternation, the layer
    named by ``first`` updated first (``"y"`` for forward recall from ``x``,
    ``"x"`` for backward recall from ``y``).  Asynchronous sweeps are not
    needed: within a layer there are no couplings, so a layer-wide update is
    already a sequence of single-unit updates in any order.

    Parameters
    ----------
    weights : ndarray of shape (N, M)
    first : {"y", "x"}
    """

    #: E(x, y) = E(-x, -y): the sign-reversed pair is an attractor too.
    symmetric = True

    def __init__(self, weights, first="y"):
        self.W = weights
        self.first = first
        self.n_x = weights.shape[0]
        # Ties: a field within tol of zero keeps the state (see flip_mask).
        # W is dense and small-integer (correlation rule) or a projection-
        # like map: 1e-9 of the largest absolute field absorbs round-off.
        scale = max(
            float(np.abs(weights).sum(axis=0).max(initial=0.0)),
            float(np.abs(weights).sum(axis=1).max(initial=0.0)),
            1.0,
        )
        self.tol = 1e-9 * scale

    def recall_other(self, S, given):
        """The other layer after the first half-step from the given one.

        ``S`` (n_queries, N or M) holds the given layer, query-major.  The
        other layer is taken to start at -1, so a field within the tie
        tolerance of zero gives -1 (the binarization convention).
        """
        H = S @ self.W if given == "x" else S @ self.W.T
        return np.where(H > self.tol, 1.0, -1.0)

    def _half_y(self, XT, YT):
        return settle(self.W.T @ XT, YT, self.tol)

    def _half_x(self, XT, YT):
        return settle(self.W @ YT, XT, self.tol)

    def sync_step(self, ST):
        XT, YT = ST[: self.n_x], ST[self.n_x :]
        if self.first == "y":
            YT = self._half_y(XT, YT)
            XT = self._half_x(XT, YT)
        else:
            XT = self._half_x(XT, YT)
            YT = self._half_y(XT, YT)
        return np.concatenate([XT, YT], axis=0)

    def energy(self, S):
        return bam_energy(S[:, : self.n_x], S[:, self.n_x :], self.W)
