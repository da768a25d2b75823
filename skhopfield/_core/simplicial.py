"""Simplicial Hopfield networks (Burns & Fukai 2023).

Weights live on the simplices (sets of neurons) of a simplicial complex.
A ``d``-simplex ``sigma`` has ``d + 1`` neurons and the weight

    w_sigma = N^-d sum_mu prod_{i in sigma} x^mu_i,

and the energy of a +/-1 state is ``E(s) = -sum_sigma w_sigma prod_{i in
sigma} s_i``.  ``d = 1`` (edges) alone is the classical Hebbian network;
``d = 2`` adds triangles, ``d = 3`` tetrahedra.  ``E`` is multilinear, so
the energy change of flipping ``s_i`` is ``2 s_i h_i`` with the local field

    h_i = sum_{sigma containing i} w_sigma prod_{j in sigma, j != i} s_j,

and the asynchronous update ``s_i <- sign(h_i)`` never raises the energy.

Every simplex of a dimension (the full ``d``-skeleton).  With
``y^mu_j = x^mu_j s_j`` the sum over all ``(d+1)``-sets of a product is the
elementary symmetric polynomial ``e_{d+1}(y^mu)``; as ``y_j = +/-1`` its
power sums are ``p_odd = m_mu = x^mu . s`` and ``p_even = N``, and Newton's
identities give it as a polynomial in the overlap alone (Macdonald 1995,
I.2):

    e_2 = (m^2 - N) / 2
    e_3 = m (m^2 - 3N + 2) / 6
    e_4 = (m^4 - 6 N m^2 + 8 m^2 + 3 N^2 - 6 N) / 24.

The field on ``i`` sums ``e_d`` over the other ``N - 1`` neurons, a
polynomial in ``r_mu = m_mu - x^mu_i s_i``, the overlap without neuron ``i``:

    h_i = sum_mu x^mu_i sum_d N^-d phi_d(r_mu),
    phi_1(r) = r,  phi_2(r) = (r^2 - (N - 1)) / 2,  phi_3(r) = r (r^2 - 3N + 5) / 6.

So the full 2-skeleton (and 3-skeleton) costs ``O(N P)`` per query and sweep,
like a dense associative memory of order 3 (4), and the ``N^3`` (``N^4``)
weight tensor is never formed.  As in :mod:`skhopfield._core.dense`, with
``t_mu = x^mu_i s_i`` the field is ``h_i = s_i c0 + V . x_i`` where
``c0 = sum_mu (g(m_mu - 1) - g(m_mu + 1)) / 2`` and ``V_mu = (g(m_mu - 1) +
g(m_mu + 1)) / 2`` depend on the overlaps alone (``g`` the polynomial).

A diluted dimension keeps a list of simplices and their weights.  The cache
holds, per query, the product ``prod_{j in sigma} s_j`` of every kept
simplex; the field on ``i`` is ``s_i sum_{sigma containing i} w_sigma
prod_sigma(s)``, read through the sparse simplex-by-neuron incidence matrix
(scipy.sparse), and a flip of ``s_j`` flips the sign of the products of the
simplices that contain ``j``.

Partial cues.  A neuron at 0 (missing) drops out of every product: the
sums over simplices are those of the ``K`` nonzero neurons, so every
``phi_d`` and ``e_d`` above holds with ``N`` replaced by ``K``, per query
(the field on a nonzero neuron counts ``K - 1`` others, on a zero one ``K``).

Exactness.  All fields and energies are computed in units of ``N^-D``
(``D`` the largest dimension): every ``phi_d`` and every ``N^d w_sigma`` is an
integer, so fields are integers, exact in float64 while they stay below
``2^53`` (``N^(D+1) P`` well below ``9e15``), and a tie is an exact tie.
"""

import math

import numpy as np
from scipy import sparse

from .binary import flip_mask, settle, single_threaded_blas

#: Largest simplex dimension with a closed form for the full skeleton.
MAX_DIM = 3

#: A field within this of zero is a tie (fields are integers in the units used).
TIE_TOL = 0.25


def n_all_simplices(n_features, dim):
    """Number of ``dim``-simplices on ``n_features`` vertices: C(N, dim + 1)."""
    return math.comb(int(n_features), int(dim) + 1)


def _unrank_colex(ranks, n_features, size):
    """The ``size``-subsets of ``range(n_features)`` with the given colex ranks.

    In the combinatorial number system a set ``c_1 < ... < c_k`` has rank
    ``sum_j C(c_j, j)``; the greedy inverse takes, from ``j = k`` down, the
    largest ``c`` with ``C(c, j) <= rank``.  Exact in int64 while
    ``C(N, k) < 2^63``.
    """
    ranks = np.array(ranks, dtype=np.int64, copy=True)
    out = np.empty((len(ranks), size), dtype=np.intp)
    c = np.arange(n_features)
    for j in range(size, 0, -1):
        table = np.array([math.comb(int(v), j) for v in c], dtype=np.int64)
        pick = np.searchsorted(table, ranks, side="right") - 1
        out[:, j - 1] = pick
        ranks -= table[pick]
    return out


def sample_simplices(n_features, dim, count, rng):
    """``count`` distinct ``dim``-simplices drawn uniformly, rows sorted.

    Returns an int array of shape ``(count, dim + 1)``, each row increasing,
    rows in lexicographic order.
    """
    total = n_all_simplices(n_features, dim)
    if count > total:
        raise ValueError(
            f"Cannot keep {count} {dim}-simplices: {n_features} neurons have only "
            f"{total}."
        )
    ranks = rng.choice(total, size=count, replace=False) if count else np.empty(0)
    simplices = _unrank_colex(ranks, n_features, dim + 1)
    if count:
        simplices = simplices[np.lexsort(simplices.T[::-1])]
    return simplices


def all_simplices(n_features, dim):
    """Every ``dim``-simplex, rows increasing, in lexicographic order (small N)."""
    total = n_all_simplices(n_features, dim)
    simplices = _unrank_colex(np.arange(total), n_features, dim + 1)
    return simplices[np.lexsort(simplices.T[::-1])]


def simplex_sums(S, simplices):
    """``sum_mu prod_{i in sigma} x^mu_i`` for every row ``sigma`` of ``simplices``.

    ``S`` holds the +/-1 patterns (rows).  Integers (as floats), exact.
    Computed in blocks of simplices so that the temporary stays near 8 MiB.
    """
    out = np.zeros(len(simplices))
    block = max(1, 2**20 // max(S.shape[0], 1))
    for start in range(0, len(simplices), block):
        sl = simplices[start : start + block]
        prod = S[:, sl[:, 0]].copy()
        for k in range(1, sl.shape[1]):
            prod *= S[:, sl[:, k]]
        out[start : start + block] = prod.sum(axis=0)
    return out


def _phi(r, dim, n):
    """``e_dim`` of ``n - 1`` signs whose sum is ``r``: the field polynomial."""
    if dim == 1:
        return r
    if dim == 2:
        return 0.5 * (r * r - (n - 1))
    return r * (r * r - (3 * n - 5)) / 6.0


def _elementary(m, size, n):
    """``e_size`` of ``n`` signs whose sum is ``m`` (the energy polynomial)."""
    if size == 2:
        return 0.5 * (m * m - n)
    if size == 3:
        return m * (m * m - (3 * n - 2)) / 6.0
    m2 = m * m
    return (m2 * m2 - (6 * n - 8) * m2 + (3 * n * n - 6 * n)) / 24.0


class SimplicialModel:
    """Dynamics of a simplicial Hopfield network (model interface of ``binary``).

    Parameters
    ----------
    patterns : ndarray of shape (n_patterns, n_features)
        Stored +/-1 patterns (read by the full dimensions).
    full_dims : sequence of int
        Dimensions of which every simplex is kept.
    diluted : sequence of (dim, simplices, sums)
        Kept simplices of the other dimensions: ``simplices`` an int array
        ``(n, dim + 1)``, ``sums`` their ``sum_mu prod x^mu_i`` (``N^dim``
        times the weight).
    max_dim : int
        ``D``: fields are computed in units of ``N^-D``.
    uniform : bool, default=False
        Weight every simplex ``N^-1 sum_mu prod x^mu_i`` instead of
        ``N^-d sum_mu prod x^mu_i`` (all dimensions on the scale of the edges);
        fields are then in units of ``N^-1``.
    """

    def __init__(self, patterns, full_dims, diluted, max_dim, uniform=False):
        self.X = np.ascontiguousarray(patterns, dtype=float)
        self.XT = np.ascontiguousarray(self.X.T)
        self.n = n = self.X.shape[1]
        self.max_dim = int(max_dim)
        self.full_dims = tuple(sorted(int(d) for d in full_dims))
        # Weight of a d-simplex: N^-e(d) times its sum, e(d) = d or 1.  Fields
        # and energies in units of N^-E, E = max e(d): integer coefficients.
        self._exp = (lambda d: 1) if uniform else (lambda d: d)
        self.unit_exp = 1 if uniform else self.max_dim
        # g(r) = sum_d N^(E - e(d)) phi_d(r)
        self._coef = {
            d: float(n) ** (self.unit_exp - self._exp(d)) for d in self.full_dims
        }
        diluted = [(int(d), np.asarray(s), np.asarray(c)) for d, s, c in diluted]
        diluted = [(d, s, c) for d, s, c in diluted if len(s)]
        self.groups = [s for _, s, _ in diluted]
        self.w = (
            np.concatenate(
                [c * float(n) ** (self.unit_exp - self._exp(d)) for d, _, c in diluted]
            )
            if diluted
            else np.zeros(0)
        )
        n_simplices = len(self.w)
        self._offsets = np.cumsum([0] + [len(s) for s in self.groups])[:-1]
        if n_simplices:
            offsets = self._offsets
            rows = np.concatenate(
                [
                    np.repeat(np.arange(len(s)) + o, s.shape[1])
                    for s, o in zip(self.groups, offsets)
                ]
            )
            cols = np.concatenate([s.ravel() for s in self.groups])
            # Simplex-by-neuron incidence; CSC: the simplices of neuron j are
            # indices[indptr[j]:indptr[j + 1]].
            self.incidence = sparse.csc_matrix(
                (np.ones(len(rows)), (rows, cols)), shape=(n_simplices, n)
            )
            self.incidence.sort_indices()
            self._incT = self.incidence.T.tocsr()
        else:
            self.incidence = None
        self.has_full = bool(self.full_dims) and self.X.shape[0] > 0
        self.has_diluted = n_simplices > 0
        # E(s) = E(-s) unless an odd-sized simplex (a triangle) is present.
        self.symmetric = 2 not in self.full_dims and all(
            s.shape[1] % 2 == 0 for s in self.groups
        )
        self.tol = TIE_TOL

    # -- pieces ------------------------------------------------------------------------
    def _g(self, r, n=None):
        """The field polynomial; ``n``: nonzero neurons (default ``N``), a
        scalar or a column of one per query."""
        n = self.n if n is None else n
        out = None
        for d in self.full_dims:
            term = self._coef[d] * _phi(r, d, n)
            out = term if out is None else out + term
        return out

    def _terms(self, M, n=None):
        gm, gp = self._g(M - 1.0, n), self._g(M + 1.0, n)
        return 0.5 * (gm + gp), 0.5 * (gm - gp).sum(axis=1)

    def _nonzero(self, ST):
        """Nonzero neurons of each query (column), as a column; None when
        every neuron is nonzero (the plain path)."""
        K = np.count_nonzero(ST, axis=0)
        if (K == self.n).all():
            return None
        return K.astype(float)[:, None]

    def _products_of(self, ST, ids, cols):
        """``prod_{j in sigma} s_j`` for the kept simplices ``ids``, queries ``cols``."""
        out = np.empty((len(ids), len(cols)))
        for group, offset in zip(self.groups, self._offsets):
            sel = (ids >= offset) & (ids < offset + len(group))
            if sel.any():
                members = group[ids[sel] - offset]
                prod = ST[np.ix_(members[:, 0], cols)]
                for k in range(1, members.shape[1]):
                    prod *= ST[np.ix_(members[:, k], cols)]
                out[sel] = prod
        return out

    def _zero_fields(self, ST, K):
        """Fields of neurons at 0: the sum over the simplices containing
        ``i`` of the products of their other neurons (with ``K`` nonzero
        neurons besides ``i``)."""
        H = np.zeros_like(ST)
        if self.has_full:
            M = ST.T @ self.XT
            H += self.X.T @ self._g(M, self.n if K is None else K + 1.0).T
        for group, offset in zip(self.groups, self._offsets):
            w = self.w[offset : offset + len(group), None]
            for p in range(group.shape[1]):
                others = np.broadcast_to(w, (len(group), ST.shape[1])).copy()
                for k in range(group.shape[1]):
                    if k != p:
                        others *= ST[group[:, k]]
                np.add.at(H, group[:, p], others)
        return H

    def _products(self, ST):
        """``prod_{j in sigma} s_j`` for every kept simplex (rows) and query."""
        parts = []
        for s in self.groups:
            prod = ST[s[:, 0]].copy()
            for k in range(1, s.shape[1]):
                prod *= ST[s[:, k]]
            parts.append(prod)
        return np.concatenate(parts, axis=0)

    def neuron_simplices(self, i):
        """Rows of the kept simplices that contain neuron ``i``."""
        inc = self.incidence
        return inc.indices[inc.indptr[i] : inc.indptr[i + 1]]

    # -- model interface ---------------------------------------------------------------
    def init_cache(self, ST):
        M = V = c0 = Pt = K = None
        if self.has_full:
            M = ST.T @ self.XT
            K = self._nonzero(ST)
            V, c0 = self._terms(M, K)
        if self.has_diluted:
            Pt = self._products(ST)
        return (M, V, c0, Pt, K)

    def take(self, cache, cols):
        M, V, c0, Pt, K = cache
        if M is not None:
            M, V, c0 = M[cols], V[cols], c0[cols]
        if Pt is not None:
            Pt = Pt[:, cols]
        if K is not None:
            K = K[cols]
        return (M, V, c0, Pt, K)

    def field(self, ST):
        """Local fields of every neuron (rows) and query (columns), in units of N^-E."""
        H = np.zeros_like(ST)
        K = self._nonzero(ST)
        if self.has_full:
            V, c0 = self._terms(ST.T @ self.XT, K)
            H += self.X.T @ V.T + ST * c0
        if self.has_diluted:
            H += ST * (self._incT @ (self.w[:, None] * self._products(ST)))
        zero = ST == 0
        if zero.any():  # partial cues: neurons at 0
            H = np.where(zero, self._zero_fields(ST, K), H)
        return H

    def sync_step(self, ST):
        return settle(self.field(ST), ST, self.tol)

    def async_sweep(self, ST, cache, order, free=None):
        M, V, c0, Pt, K = cache
        XT, w, tol = self.XT, self.w, self.tol
        changed = np.zeros(ST.shape[1], dtype=bool)
        with single_threaded_blas():  # one small product per neuron
            for i in order:
                s = ST[i]
                if free is not None:
                    # partial cues: a neuron at 0 is set to +1, then decided
                    # as any +1 neuron (-1 only if strictly lower energy)
                    z = np.flatnonzero(s == 0)
                    if z.size:
                        s[z] = 1.0
                        changed[z] = True
                        if M is not None:
                            M[z] += XT[i]
                            K[z] += 1.0
                            V[z], c0[z] = self._terms(M[z], K[z])
                        if Pt is not None:
                            ids = self.neuron_simplices(i)
                            if ids.size:
                                Pt[np.ix_(ids, z)] = self._products_of(ST, ids, z)
                field = np.zeros(len(s))
                if M is not None:
                    field += V @ XT[i] + s * c0
                if Pt is not None:
                    ids = self.neuron_simplices(i)
                    if ids.size:
                        field += s * (w[ids] @ Pt[ids])
                rows = np.flatnonzero(flip_mask(field, s, tol))
                if free is not None:
                    rows = rows[free[i, rows]]
                if rows.size == 0:
                    continue
                old = s[rows]
                s[rows] = -old
                if M is not None:
                    M[rows] -= (2.0 * old)[:, None] * XT[i]
                    V[rows], c0[rows] = self._terms(
                        M[rows], None if K is None else K[rows]
                    )
                if Pt is not None and ids.size:
                    Pt[np.ix_(ids, rows)] *= -1.0
                changed[rows] = True
        return changed

    def energy(self, S):
        """``E(s) = -sum_sigma w_sigma prod_sigma s`` for each row of ``S``."""
        S = np.asarray(S, dtype=float)
        total = np.zeros(S.shape[0])
        if self.has_full:
            M = S @ self.XT
            K = self._nonzero(np.ascontiguousarray(S.T))  # zeros drop out
            n = self.n if K is None else K
            for d in self.full_dims:
                total += self._coef[d] * _elementary(M, d + 1, n).sum(axis=1)
        if self.has_diluted:
            total += self._products(np.ascontiguousarray(S.T)).T @ self.w
        return -total / float(self.n) ** self.unit_exp
