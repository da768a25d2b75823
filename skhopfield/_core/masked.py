"""Partial cues of the modern Hopfield network: scores and clamped steps with NaN.

A cue ``xi`` is split into its observed coordinates ``o`` and its missing
ones ``m`` (NaN).  Everything here works in the internal coordinates of a
:class:`~skhopfield._core.scoring.ModernMemory` (centered and scaled by a
power of two, see :func:`~skhopfield._core.scoring.frame`), with exact
softmaxes (each row shifted by its maximum), and leaves the memory's own
full-cue kernel untouched: a complete cue against complete stored patterns
never comes here.

**Scores of a partial cue** (the *marginal* scores ``z_o``):

- ``"euclidean"``: ``z_mu = -||x^mu_o - xi_o||^2 / 2``, the squared
  distance over the observed coordinates.  With the stored patterns read as
  a Gaussian mixture of kernel width ``1 / sqrt(beta)``, ``softmax(beta
  z_o)`` is the posterior of the components given ``xi_o`` (the marginal
  density of ``xi_o`` is the mixture of the marginals), so the first
  read-out ``X_m^T softmax(beta z_o)`` is the conditional mean
  ``E[xi_m | xi_o]``.  Three GEMMs: ``M (X * X)^T - 2 xi_0 X^T +
  ||xi_0||^2``, ``M`` the 0/1 mask of observed entries, ``xi_0`` the cue with
  zeros at its missing entries.
- ``"dot"``: ``z_mu = x^mu_o . xi_o``, the score of the cue with zeros at
  its missing entries (the dot network's energy is then that of the state
  ``xi_m = 0``).
- ``"cosine"``: ``z_mu = x^mu_o . xi_o / (||x^mu_o|| ||xi_o||)``, the cosine
  over the observed coordinates (0 where either norm is 0).  The clamped
  entries are the observed part scaled to unit norm.
- ``"manhattan"``: ``z_mu = -||x^mu_o - xi_o||_1``, the L1 distance over
  the observed coordinates, one column at a time (no product form).

**Separations.**  The scaled scores ``beta z_o`` go through the memory's
:attr:`~skhopfield._core.scoring.ModernMemory.separation`, the same
:class:`~skhopfield._core.separation.Separation` as the full-cue path
(:func:`separated_rows`): softmax with the prior ``log w`` added, any other
with the pattern weights counted as copies; ``-inf`` scores (stored rows
with no coordinate in common) get weight 0.

**Stored patterns with missing entries** (:class:`PartialModernMemory`)
follow, for ``"euclidean"``, scikit-learn's
:func:`~sklearn.metrics.pairwise.nan_euclidean_distances`: the squared
distance over the coordinates present in both the cue and the stored row,
scaled up by the share of the cue's observed coordinates present in that
row, ``z_mu = -(n_o / n_{o,mu}) ||x^mu - xi||^2_{o,mu} / 2`` (for a complete
stored row ``n_{o,mu} = n_o``: the marginal scores above).  This is
``nan_euclidean_distances`` times ``n_o / N``, the same for every stored
row, so the nearest stored row is the same.  A stored row sharing no
observed coordinate with the cue has no score and gets no attention.  The
read-out of a coordinate averages the stored rows where it is present:
``xi_j = sum_mu a_mu [x^mu_j present] x^mu_j / sum_mu a_mu [x^mu_j present]``
(where a sparse separation gives every such row weight 0: the separation
of their scores alone, see :func:`masked_fill`).
``"manhattan"`` reweights its L1 distance by the same share.  For
``"dot"`` and ``"cosine"`` the scores are taken over the coordinates
present in both (the cosine's norms too), with no reweighting (a dot
product is a sum, not a mean; the cosine is scale free).  A stored
row with a missing entry holds, for ``"cosine"``, the direction of the row
with that entry at its column's mean.

**No evidence.**  A cue with no observed entry (or sharing none with any
stored row) has equal scores: its attention is the prior (uniform, or the
pattern weights), so its read-out is the (weighted) mean of the stored
patterns -- the class frequencies, the mean target.

**Update steps** (:func:`clamped_run`).  The energy ``E(xi) = -lse(beta,
z(xi)) + ||xi||^2 / 2`` over the free block ``xi_m`` with ``xi_o`` fixed is
still a difference of convex functions, and its CCCP step is
``xi_m <- X_m^T softmax(beta z(xi))`` with ``z`` over *all* coordinates,
``xi_o`` untouched: the energy never rises.  The first step has no value of
``xi_m`` to score, so it uses the marginal scores ``z_o`` (the conditional
mean above); every later step is the clamped CCCP step from the filled state.
With another separation the same holds for its Hopfield-Fenchel-Young
energy ``-Omega*(beta z) / beta + ||xi||^2 / 2`` (:func:`masked_energy`);
``"manhattan"`` has no energy that its step descends.
"""

import numpy as np

from .scoring import ModernMemory


def nan_rows(X):
    """Boolean ``(n,)``: rows of the dense numpy ``X`` with a missing entry."""
    return np.isnan(X).any(axis=1)


def _weighted_column_means(patterns, present, weights):
    """Per-column (weighted) mean of the present entries; 0 for an empty column."""
    w = np.ones(patterns.shape[0]) if weights is None else np.asarray(weights, float)
    P = present.astype(np.float64)
    num = (np.where(present, patterns, 0).astype(np.float64) * w[:, None]).sum(0)
    den = w @ P
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


class PartialModernMemory(ModernMemory):
    """A dense numpy :class:`ModernMemory` whose stored patterns have NaN entries.

    The layout of the parent is built on the patterns with each missing
    entry replaced by its column's (weighted) mean over the rows where it is
    present (so the frame, ``beta="auto"`` and the norms stay finite), and
    ``present`` (P, N) says which entries are real.  Scores and read-outs
    go through :func:`masked_attention` and :func:`masked_fill`, which
    read ``present``.  Numpy only (not sharded, no other array namespace).
    """

    def __init__(self, patterns, similarity, dtype=None, frame_=None, weights=None):
        patterns = np.asarray(patterns)
        present = ~np.isnan(patterns)
        means = _weighted_column_means(patterns, present, weights)
        filled = np.where(present, patterns, means.astype(patterns.dtype))
        super().__init__(filled, similarity, dtype=dtype, frame_=frame_, weights=weights)
        self._raw = patterns
        self.present = present
        U = self.memory
        self.memory0 = np.where(present, U, 0).astype(U.dtype)


def make_partial_memory(patterns, similarity, weights=None):
    """:class:`PartialModernMemory` for dense numpy patterns with a NaN, else None."""
    if isinstance(patterns, np.ndarray) and np.isnan(patterns).any():
        return PartialModernMemory(patterns, similarity, weights=weights)
    return None


def _rowdot(A):
    return np.einsum("ij,ij->i", A, A)


def _l1_observed(U, V0, O, present=None):
    """``sum_j O_ij P_muj |U_muj - V0_ij|`` (n, P) in float64: the L1
    distance over the coordinates observed in the cue (and present in the
    stored row), one column at a time (two (n, P) arrays at once)."""
    n, P = V0.shape[0], U.shape[0]
    Uh = U.astype(np.float64, copy=False)
    Vh = V0.astype(np.float64, copy=False)
    Oh = O.astype(np.float64, copy=False)
    Ph = None if present is None else present.astype(np.float64)
    d = np.zeros((n, P))
    tmp = np.empty((n, P))
    for j in range(U.shape[1]):
        taken = Oh[:, j]
        if not taken.any():
            continue
        np.subtract.outer(Vh[:, j], Uh[:, j], out=tmp)
        np.abs(tmp, out=tmp)
        tmp *= taken[:, None]
        if Ph is not None:
            tmp *= Ph[:, j]
        d += tmp
    return d


def masked_log_scores(memory, V, observed, beta, prior=True):
    """``beta z + log w`` of the internal cues ``V`` (NaN where missing).

    ``observed`` (n, N) bool: the cue entries taken (NaN entries are never
    taken).  Returns ``(a, usable)``: ``a`` (n, P) in ``V``'s dtype,
    ``-inf`` for stored rows sharing no observed coordinate with the cue
    (nan-euclidean), and ``usable`` (n, P) bool, or None when all are.
    ``prior``: add ``log w`` (False: the scores alone; a separation other
    than softmax counts the weights as copies instead, see
    :func:`separated_rows`).
    """
    dtype = V.dtype
    U = memory.memory
    present = getattr(memory, "present", None)
    V0 = np.where(observed, V, 0).astype(dtype, copy=False)
    O = observed.astype(dtype)
    usable = None
    if memory.similarity == "manhattan":
        d1 = _l1_observed(U, V0, O, present)
        if present is not None:
            count = O @ present.astype(dtype).T
            usable = count > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                d1 *= O.sum(axis=1)[:, None] / np.where(usable, count, 1)
        a = (d1 * (-float(beta))).astype(dtype, copy=False)
        if usable is not None:
            a[~usable] = -np.inf
    elif memory.similarity == "euclidean":
        if present is None:
            d2 = O @ (U * U).T
            d2 -= 2 * (V0 @ U.T)
            d2 += _rowdot(V0)[:, None]
        else:
            U0 = memory.memory0
            Pf = present.astype(dtype)
            d2 = O @ (U0 * U0).T
            d2 -= 2 * (V0 @ U0.T)
            d2 += (V0 * V0) @ Pf.T
            count = O @ Pf.T
            usable = count > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                d2 *= O.sum(axis=1)[:, None] / np.where(usable, count, 1)
        np.maximum(d2, 0, out=d2)
        a = d2 * dtype.type(-0.5 * beta)
        if usable is not None:
            a[~usable] = -np.inf
    else:
        if present is not None:
            # over the coordinates present in both: zeros elsewhere
            U = memory.memory0
            usable = (O @ present.astype(dtype).T) > 0
        if memory.similarity == "dot":
            a = (V0 @ U.T) * dtype.type(beta)
        else:  # cosine: patterns stored at unit norm; the norms over o
            sq_q = _rowdot(V0)[:, None] if present is None else (V0 * V0) @ present.T.astype(dtype)
            norms = np.sqrt(O @ (U * U).T) * np.sqrt(sq_q)
            with np.errstate(invalid="ignore", divide="ignore"):
                a = np.where(norms > 0, (V0 @ U.T) / norms, 0) * dtype.type(beta)
            a = a.astype(dtype, copy=False)
        if usable is not None:
            a[~usable] = -np.inf
    if prior and memory.log_weight is not None:
        a += memory.log_weight
    return a, usable


def with_prior(memory):
    """Whether the log scores of ``memory`` carry the prior ``log w``:
    softmax's form of the pattern weights (a separation other than softmax
    counts them as copies, see
    :class:`~skhopfield._core.separation.Separation`)."""
    return memory.separation is None


def prior_rows(memory, a, prior=True):
    """Rows of the log scores ``a`` with no usable stored row get the prior
    (in place): equal scores, plus ``log w`` where ``a`` carries it
    (``prior``); returns the row maxima."""
    top = a.max(axis=1)
    empty = ~np.isfinite(top)
    if empty.any():
        a[empty] = 0 if memory.log_weight is None or not prior else memory.log_weight
        top[empty] = a[empty].max(axis=1)
    return top


def separated_rows(memory, a):
    """The attention of the log scores ``a`` (n, P) per row, in place: the
    memory's separation (``softmax`` for None) of ``a`` shifted by its row
    maximum, ``-inf`` scores at weight 0.

    ``a`` carries ``log w`` for softmax (:func:`with_prior`); another
    separation gets the pattern weights as copies
    (:meth:`~skhopfield._core.scoring.ModernMemory.copy_weights`), through
    the same :class:`~skhopfield._core.separation.Separation` as the
    full-cue path.  A row with no usable stored row gets the prior:
    ``w / sum w`` (uniform without weights).
    """
    a -= prior_rows(memory, a, with_prior(memory))[:, None]
    if memory.separation is not None:
        return memory.separation(a, memory.copy_weights(a))
    np.exp(a, out=a)
    a /= a.sum(axis=1, keepdims=True)
    return a


def masked_attention(memory, V, observed, beta):
    """``sep(beta z + log w)`` per row over the usable stored rows (n, P):
    softmax, or the memory's separation (see :func:`separated_rows`).

    A row with no usable stored row (no coordinate in common with any)
    gets the prior: ``w / sum w`` (uniform without weights).
    """
    a = masked_log_scores(memory, V, observed, beta, prior=with_prior(memory))[0]
    return separated_rows(memory, a)


def masked_fill(memory, V, observed, beta):
    """The stored patterns read out by the attention of ``V`` (n, N), internal.

    With stored missing entries, each coordinate ``j`` averages the rows
    where it is present: ``sum_mu a_mu x^mu_j / sum_mu a_mu`` over those
    rows, the attention's limit too where the weights of all of them
    underflow next to a stronger row that lacks ``j`` (at a large ``beta``:
    then the nearest row *where ``j`` is present*, as
    :class:`~sklearn.impute.KNNImputer` picks its donors per column); the
    column's (weighted) mean where no row with ``j`` present is usable.
    With a sparse separation, whose weights are exactly 0 outside its
    support: where no row of the support has ``j``, the separation of the
    scores of the rows that have it, alone (``"max"``: the nearest of them).
    """
    a = masked_log_scores(memory, V, observed, beta, prior=with_prior(memory))[0]
    present = getattr(memory, "present", None)
    if present is None:
        return separated_rows(memory, a) @ memory.memory
    logs = a.copy()
    A = separated_rows(memory, a)
    num = A @ memory.memory0
    den = A @ present.astype(A.dtype)
    info = np.finfo(A.dtype)
    bad = den < info.tiny / info.eps * A.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(bad, 0, num / np.where(bad, 1, den)).astype(A.dtype)
    U0 = memory.memory0
    for i, j in zip(*np.nonzero(bad)):
        rows = present[:, j]
        s = logs[i, rows]
        if s.size == 0 or not np.isfinite(s.max()):
            out[i, j] = _column_mean(memory, j)
            continue
        out[i, j] = _restricted(memory, s, rows) @ U0[rows, j]
    return out


def _restricted(memory, s, rows):
    """The attention of the log scores ``s`` of the stored rows ``rows``
    alone (bool (P,)), as :func:`separated_rows` over those rows."""
    a = (s - s.max())[None, :]
    if memory.separation is None:
        w = np.exp(a[0])
        return w / w.sum()
    weights = memory.copy_weights(a)
    return memory.separation(a, None if weights is None else weights[rows])[0]


def _column_mean(memory, j):
    """The (weighted) mean of the present entries of column ``j``, internal:
    the value its missing entries were filled with."""
    absent = np.flatnonzero(~memory.present[:, j])
    return memory.memory[absent[0], j] if absent.size else memory.memory[:, j].mean()


def partial_start(memory, Q):
    """Internal states of the cues ``Q`` (data coordinates, NaN where
    missing), NaN kept: :meth:`ModernMemory.internal`, or for ``"cosine"``
    the observed part scaled to unit norm."""
    if memory.similarity != "cosine":
        return memory.internal(np.array(Q, copy=True))
    V = np.array(Q, dtype=Q.dtype, copy=True)
    norms = np.sqrt(np.nansum(V * V, axis=1))
    V /= np.where(norms > 0, norms, 1)[:, None]
    return V


def clamped_step(memory, V, free, beta):
    """One update step of the internal states ``V`` (NaN where missing).

    Scores over the entries that are not NaN (the marginal scores); the
    entries ``free`` (n, N) bool are replaced by the read-out, the others
    kept as they are (bit for bit).
    """
    return np.where(free, masked_fill(memory, V, ~np.isnan(V), beta), V)


def clamped_run(memory, Q, beta, n_steps, tol):
    """Up to ``n_steps`` update steps from the internal cues ``Q``, clamped.

    ``Q`` (n, N): internal states, NaN at the missing entries.  A row with
    missing entries is clamped: only its missing entries are free, and its
    observed ones are never written.  A complete row (only against stored
    patterns with missing entries, the one case where it comes here) is free
    everywhere, as with complete patterns.  The first step scores the
    observed entries only (the marginal scores: the conditional mean); every
    later step is ``xi_free <- (X^T sep(beta z(xi)))_free`` (``sep`` the
    memory's separation, softmax for None) with ``z``
    over all coordinates of the filled state -- through the memory's own
    kernel when its stored patterns are complete.  A row stops once a step
    moves it by at most ``tol * M`` (the first step of a row with missing
    entries, from unknown values, never counts as converged).  A row with
    every entry missing has no evidence: its first step gives the prior's
    mean state (see the module notes), which is its answer (converged, no
    further step).

    Returns ``(states, n_iter, converged)``, as
    :func:`~skhopfield._core.scoring.iterate`.
    """
    states = np.array(Q, copy=True)
    n = states.shape[0]
    n_iter = np.zeros(n, dtype=np.intp)
    converged = np.zeros(n, dtype=bool)
    if n_steps < 1 or n == 0:
        return states, n_iter, converged
    missing = np.isnan(states)
    clamped = missing.any(axis=1)
    free = np.where(clamped[:, None], missing, True)
    limit = tol * memory.max_norm
    stored_missing = getattr(memory, "present", None) is not None
    new = clamped_step(memory, states, free, beta)
    n_iter += 1
    with np.errstate(invalid="ignore"):
        converged = ~clamped & (np.sqrt(_rowdot(new - states)) <= limit)
    # no evidence at all: the prior's mean state is the answer, and stays
    converged |= missing.all(axis=1)
    states = new
    active = np.flatnonzero(~converged)
    for _ in range(n_steps - 1):
        if active.size == 0:
            break
        old = states[active]
        if stored_missing:
            step = masked_fill(memory, old, np.ones(old.shape, dtype=bool), beta)
        else:
            step = memory.attention(old, beta) @ memory.memory
        new = np.where(free[active], step, old)
        states[active] = new
        n_iter[active] += 1
        done = np.sqrt(_rowdot(new - old)) <= limit
        converged[active[done]] = True
        active = active[~done]
    return states, n_iter, converged


def masked_energy(memory, V, beta):
    """The energy of the internal states ``V`` (NaN where missing), internal units.

    ``-lse(beta, z_o) + ||xi_o||^2 / 2 + ln(sum w) / beta + M^2 / 2`` with
    the marginal scores ``z_o`` and, for ``"euclidean"``, ``||xi_o||^2 / 2``
    folded into them as in the full energy: ``-lse(beta, -||x^mu_o -
    xi_o||^2 / 2)``, minus the log of the marginal mixture density of
    ``xi_o`` over ``beta``, up to a constant.  With a separation other than
    softmax, its Hopfield-Fenchel-Young energy ``-Omega_w*(beta z_o) / beta
    + H / beta`` in place of ``-lse``.  With nothing missing this is the
    full energy :meth:`ModernMemory.energy` (up to rounding).  The scores
    in ``V``'s dtype, their log-sum-exp (conjugate) in float64.
    """
    observed = ~np.isnan(V)
    prior = with_prior(memory)
    a, _ = masked_log_scores(memory, V, observed, beta, prior=prior)
    W = V.astype(np.promote_types(V.dtype, np.float64))
    a = a.astype(W.dtype)
    top = prior_rows(memory, a, prior)  # no evidence: every score 0
    sep = memory.separation
    if sep is not None:
        # the Hopfield-Fenchel-Young energy of the marginal scores:
        # -Omega_w*(beta z_o) / beta + H / beta, as ModernMemory.energy
        copies = memory.copy_weights(a)
        conj, _ = sep.conjugate(a, copies)
        total = memory.aug.shape[0] if copies is None else float(copies.sum())
        E = -(conj - sep.max_entropy(total)) / beta + 0.5 * memory.max_norm**2
    else:
        w = memory.weights
        log_total = np.log(memory.aug.shape[0] if w is None else w.sum())
        # -lse + ln(sum w) / beta: the log of the prior-weighted mean
        log_mean = np.log(np.exp(a - top[:, None]).sum(axis=1)) - log_total
        E = -(top + log_mean) / beta + 0.5 * memory.max_norm**2
    if memory.similarity != "euclidean":
        E += 0.5 * _rowdot(np.where(observed, W, 0))
    return E


# -- leave-one-out with hidden entries (the imputer's beta="learn") --------------------

#: The share of its observed entries a stored row hides for ``beta="learn"``:
#: row ``i`` hides the entries ``j`` with ``(j - i) % HIDE_EVERY == 0``.
HIDE_EVERY = 5


def hidden_entries(memory, idx):
    """``(hidden, observed)`` (n, N) bool of the stored rows ``idx``: the
    present entries hidden (every :data:`HIDE_EVERY`-th, shifted by the row)
    and those left as the cue."""
    N = memory.n_features
    present = getattr(memory, "present", None)
    here = np.ones((len(idx), N), bool) if present is None else present[idx]
    hidden = ((np.arange(N)[None, :] - idx[:, None]) % HIDE_EVERY == 0) & here
    return hidden, here & ~hidden


def hidden_scores(memory, idx):
    """Beta-free scores (``z``, prior left out) of the stored rows ``idx``
    with their :func:`hidden_entries` hidden: the ``scores`` of
    :func:`~skhopfield._core.loo.loo_block`."""
    _, observed = hidden_entries(memory, idx)
    V = memory.memory[idx]
    a, _ = masked_log_scores(memory, V, observed, 1.0, prior=False)
    with np.errstate(invalid="ignore"):
        a -= a.max(axis=1, keepdims=True)
    return np.where(np.isnan(a), -np.inf, a)


def present_scores(memory, idx):
    """Beta-free scores (prior left out) of the stored rows ``idx`` as cues,
    over their present entries: the ``scores`` of
    :func:`~skhopfield._core.loo.loo_block` for a stored memory with missing
    entries (the regressor's ``beta="learn"``)."""
    V = memory.memory[idx]
    a, _ = masked_log_scores(memory, V, memory.present[idx], 1.0, prior=False)
    with np.errstate(invalid="ignore"):
        a -= a.max(axis=1, keepdims=True)
    return np.where(np.isnan(a), -np.inf, a)


def readout_values(memory):
    """``[X_0 | present]`` (P, 2N): the read-out matrix whose two halves give
    the per-column attention-weighted sums and weights (see
    :func:`masked_fill`), internal coordinates."""
    present = getattr(memory, "present", None)
    U = memory.memory
    if present is None:
        return np.hstack([U, np.ones_like(U)])
    return np.hstack([memory.memory0, present.astype(U.dtype)])


def hidden_error(readout, idx, *, memory):
    """Squared error of the read-out on the :func:`hidden_entries` of the rows
    ``idx``, summed per row (internal units); a column with no weight is
    read as the (weighted) mean, 0 in the centered internal coordinates."""
    N = memory.n_features
    num, den = readout[:, :N], readout[:, N:]
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)
    hidden, _ = hidden_entries(memory, idx)
    diff = np.where(hidden, pred - memory.memory[idx], 0.0)
    err = np.einsum("ij,ij->i", diff, diff, dtype=np.float64)
    return np.nan_to_num(err, nan=0.0, posinf=0.0)
