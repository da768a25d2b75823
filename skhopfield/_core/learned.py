"""Pure math of learned memories: the classification loss of a modern Hopfield
read-out, its analytic gradient, and its minimization.

Notation as in :mod:`skhopfield._core.scoring`: stored patterns ``X`` (``P``
rows, ``N`` features) with class labels, cues ``q`` (training rows), and an
optional linear map ``W`` of shape ``(K, N)`` (the *association space*, the
key/query projection of a Hopfield layer): cues and patterns are compared as
``u = W q`` and ``v_mu = W x^mu``.  The score ``z_mu`` is the similarity of
:class:`~skhopfield._core.scoring.ModernMemory` (``u . v_mu - ||v_mu||^2 / 2``
for ``"euclidean"``, ``u . v_mu`` for ``"dot"``, the dot product of unit
vectors for ``"cosine"``, ``-||u - v_mu||_1`` for ``"manhattan"``, whose
gradient is taken with the subgradient ``sign(0) = 0`` of ``|.|``), and the
class probabilities of a cue are its attention summed per class, ``p_c(q) =
sum_{mu in c} softmax(beta z)_mu``.

The loss is the mean cross-entropy of those probabilities on labelled rows
``(q_i, y_i)``, ``L = -1/n sum_i log p_{y_i}(q_i)``.  Its gradient with respect to the
scaled scores ``a_i = beta z(q_i)`` is ``G_i = s_i - r_i``, ``s_i`` the
attention and ``r_i`` the attention renormalized over the patterns of the
row's own class (the posterior of the correct patterns), which is the
robust soft LVQ update of Seo & Obermayer (2003); with every training row
stored, ``W`` learned and a row never attending to itself (*leave one out*)
it is neighbourhood components analysis (Goldberger et al. 2004) read out by
class-summed attention.  The chain rule through ``z`` gives the gradients of
the patterns, of ``W`` and of ``log beta`` (``dL/dlog beta = sum G . a``:
``a`` may be shifted by any per-row constant because every row of ``G`` sums
to zero, so the shifted scores of :meth:`ModernMemory.exact_scores` serve).

Rows are processed in chunks cut by the engine's memory bound
(:func:`skhopfield._batch.chunk_slices` with ``working_memory``), so no
``(n, P)`` array, and with every row stored no ``(n, n)`` array, is ever
allocated in one piece.  Everything is computed in float64.

References: H. Ramsauer et al. (2021), Hopfield networks is all you need,
ICLR (the Hopfield layer with learned stored patterns); S. Seo,
K. Obermayer (2003), Soft learning vector quantization, Neural Computation
15(7); J. Goldberger, S. Roweis, G. Hinton, R. Salakhutdinov (2004),
Neighbourhood components analysis, NeurIPS 17.
"""

from contextlib import nullcontext

import numpy as np
from scipy.optimize import minimize

from .._batch import chunk_slices
from .._compat import minimize_callback
from .binary import single_threaded_blas
from .namespace import _ldexp, _scale_by_pow2
from .scoring import ModernMemory, unit_rows

#: Training keeps every BLAS thread only with every row stored and at least
#: this many stored numbers (``P * N``); below, it runs on one thread.
THREADED_SIZE = 2**20

#: ``beta`` is kept in this range while it is learned: the range in which the
#: kernels of :mod:`skhopfield._core.scoring` are guaranteed finite.
BETA_RANGE = (1e-6, 1e6)


def training_threads(shape, learn_patterns):
    """The BLAS thread context of a training on patterns of ``shape`` (P, N).

    Each evaluation of the objective multiplies matrices of the patterns'
    size, small next to the fork-join of several BLAS threads (digits, 5
    prototypes per class: 2.7x slower with 2 threads than with one on a
    quiet machine, 13x under load): one thread.  Only every row stored with
    many rows (the leave-one-out products are ``n x n``; at least
    :data:`THREADED_SIZE` stored numbers) keeps the threads.
    """
    many = not learn_patterns and shape[0] * shape[1] >= THREADED_SIZE
    return nullcontext() if many else single_threaded_blas()


def to_frame(A, center, k):
    """``(A - center) / 2**k`` in float64, without overflow (see ``scoring.frame``)."""
    A = np.asarray(A, dtype=np.float64)
    out = _ldexp(A, -k)
    if center is not None:
        out = out - _ldexp(center, -k)
    return out


def from_frame(A, center, k):
    """Inverse of :func:`to_frame`."""
    out = _ldexp(np.asarray(A, dtype=np.float64), k)
    if center is not None:
        out = out + center
    return out


def _safe_norms(A):
    """Row norms (1 for zero rows), accurate for any finite entries."""
    r = np.abs(A).max(axis=1) if A.shape[1] else np.zeros(A.shape[0], A.dtype)
    r[r == 0] = 1
    B = A / r[:, None]
    norms = np.sqrt(np.einsum("ij,ij->i", B, B)) * r
    norms[norms == 0] = 1
    return norms


def _normalize_backprop(V, grad_hat):
    """Gradient with respect to ``V`` of a function of ``unit_rows(V)``."""
    norms = np.sqrt(np.einsum("ij,ij->i", V, V))
    safe = np.where(norms == 0, 1.0, norms)
    Vh = V / safe[:, None]
    radial = np.einsum("ij,ij->i", grad_hat, Vh)
    out = (grad_hat - radial[:, None] * Vh) / safe[:, None]
    out[norms == 0] = 0.0
    return out


def cross_entropy(
    Q,
    y,
    patterns,
    pattern_y,
    beta,
    *,
    components=None,
    similarity="euclidean",
    self_index=None,
    working_memory=None,
    groups=None,
    sample_weight=None,
    separation=None,
):
    """Mean cross-entropy of the class-summed attention, and its gradient.

    With a ``separation`` (a :class:`~skhopfield._core.separation.Separation`;
    None for softmax) the loss is its Fenchel-Young loss instead (see
    :func:`fy_loss`).

    Parameters
    ----------
    Q : ndarray of shape (n, N)
        Training cues.
    y : ndarray of shape (n,), int
        Class index of each cue.
    patterns : ndarray of shape (P, N)
        Stored patterns.
    pattern_y : ndarray of shape (P,), int
        Class index of each pattern.
    beta : float
        Inverse temperature.
    components : ndarray of shape (K, N) or None
        The map ``W`` into the association space; None for none.  With
        ``"cosine"`` the unit vectors are taken there: ``W q / ||W q||``.
    similarity : {"euclidean", "dot", "cosine", "manhattan"}
        ``"manhattan"``: ``z_mu = -||u - v_mu||_1``, differentiated with
        ``d|t|/dt = sign(t)`` (0 at 0, a subgradient there).
    self_index : ndarray of shape (n,), int, or None
        Leave-one-out: row ``i`` of ``Q`` is pattern ``self_index[i]`` and
        does not attend to it.  Rows whose class has no other pattern have no
        finite loss and are left out of the mean.
    working_memory : float or None
        Memory bound of a chunk of rows (MiB); None reads scikit-learn's
        configuration.
    groups : ndarray of shape (P,), int, or None
        With ``self_index``: the copy group of every pattern
        (:func:`skhopfield._core.loo.duplicate_groups`).  Row ``i`` then
        attends to no pattern of the group of ``self_index[i]``: it is left
        out together with its identical copies (*leave one group out*), so
        a row stored ``k`` times, or with whole-number weight ``k``, is not
        predicted from its own twins.  None: only the pattern itself.
    sample_weight : ndarray of shape (n,) or None
        Positive weight of each row: the loss is the weighted mean.  None:
        all 1.

    Returns
    -------
    loss : float
        (Weighted) mean over the rows that count; 0.0 when none does.
    grad_patterns : ndarray of shape (P, N)
    grad_components : ndarray of shape (K, N) or None
    grad_log_beta : float
    n_rows : int
        Rows that count.
    """
    Q = np.asarray(Q, dtype=np.float64)
    patterns = np.asarray(patterns, dtype=np.float64)
    P = patterns.shape[0]
    mapped = patterns if components is None else patterns @ components.T
    memory = ModernMemory(mapped, similarity)
    # Gradients are taken with respect to these, whatever layout the
    # memory keeps internally.
    keys = unit_rows(mapped) if similarity == "cosine" else mapped
    n_classes = max(y.max(initial=-1), pattern_y.max(initial=-1)) + 1
    counts = np.bincount(pattern_y, minlength=n_classes)
    if self_index is None:
        others = counts[y]
    elif groups is None:
        others = counts[y] - 1
    else:
        # patterns of the row's class outside the row's copy group
        in_group = np.bincount(groups * n_classes + pattern_y)
        others = counts[y] - in_group[groups[self_index] * n_classes + y]
    counted = others > 0
    n_rows = int(counted.sum())
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w_total = float(n_rows if w is None else w[counted].sum())
    g_keys = np.zeros_like(keys)
    g_comp = None if components is None else np.zeros_like(components)
    if n_rows == 0:
        g_pat = np.zeros_like(patterns)
        return 0.0, g_pat, g_comp, 0.0, 0
    loss = 0.0
    g_log_beta = 0.0
    l1 = similarity == "manhattan"
    # Six (rows, P) float64 arrays live at once in a chunk (seven for
    # "manhattan": its backpropagation's sign array).
    per_row = (7 if l1 else 6) * 8 * P + 64
    for s in chunk_slices(Q.shape[0], per_row, working_memory=working_memory):
        rows = np.flatnonzero(counted[s]) + s.start
        if rows.size == 0:
            continue
        Xs = Q[rows]
        U = Xs if components is None else Xs @ components.T
        cues = unit_rows(U) if similarity == "cosine" else U
        # beta (z - max z) in the memory's own frame, which differs from the
        # data's scores by a per-row constant only (see scoring.frame)
        a, _ = memory.exact_scores(memory.start(cues), memory.scale_beta(beta))
        if self_index is not None:
            if groups is None:
                a[np.arange(rows.size), self_index[rows]] = -np.inf
            else:
                a[groups[None, :] == groups[self_index[rows]][:, None]] = -np.inf
            a -= a.max(axis=1, keepdims=True)
        same = pattern_y[None, :] == y[rows][:, None]
        a_same = np.where(same, a, -np.inf)
        top = a_same.max(axis=1, keepdims=True)
        if separation is None:
            row_loss, G = _softmax_loss(a, a_same, top)
        else:
            row_loss, G = fy_loss(a, a_same, separation)
        if w is not None:
            row_loss = row_loss * w[rows]
            G *= w[rows][:, None]
        loss += float(row_loss.sum())
        a[~np.isfinite(a)] = 0.0
        g_log_beta += float(np.einsum("ij,ij->", G, a))
        if l1:
            g_k, g_cues = _l1_backprop(G, cues, keys)
            g_keys += g_k
            if components is not None:
                g_comp += g_cues.T @ Xs
            continue
        g_keys += G.T @ cues
        if similarity == "euclidean":
            g_keys -= G.sum(axis=0)[:, None] * keys
        if components is not None:
            g_cues = G @ keys
            if similarity == "cosine":
                g_cues = _normalize_backprop(U, g_cues)
            g_comp += g_cues.T @ Xs
    scale = beta / w_total
    g_keys *= scale
    if similarity == "cosine":
        g_keys = _normalize_backprop(mapped, g_keys)
    if components is None:
        g_pat = g_keys
    else:
        g_comp *= scale
        g_comp += g_keys.T @ patterns
        g_pat = g_keys @ components
    return loss / w_total, g_pat, g_comp, g_log_beta / w_total, n_rows


def _l1_backprop(G, cues, keys):
    """Gradients of ``sum_{i,mu} G_{i mu} z_{i mu}`` for the manhattan scores
    ``z_{i mu} = -||u_i - v_mu||_1``: with respect to the keys ``v``,
    ``sum_i G_{i mu} sign(u_ij - v_muj)``, and to the cues ``u``, minus the
    same sum over ``mu``; one feature at a time, so that no ``(n, P, N)``
    array is made (one ``(n, P)`` array of signs)."""
    g_keys = np.empty_like(keys)
    g_cues = np.empty_like(cues)
    S = np.empty(G.shape)
    for j in range(cues.shape[1]):
        np.subtract(cues[:, j, None], keys[None, :, j], out=S)
        np.sign(S, out=S)
        S *= G
        g_keys[:, j] = S.sum(axis=0)
        g_cues[:, j] = -S.sum(axis=1)
    return g_keys, g_cues


def _softmax_loss(a, a_same, top):
    """The cross-entropy of the class-summed softmax of the rows ``a`` (max
    0) per row, and its gradient ``S - R``."""
    with np.errstate(under="ignore"):
        S = np.exp(a)
        total = S.sum(axis=1, keepdims=True)  # >= 1: the row max is exp(0)
        S /= total
        R = np.exp(a_same - top)
        within = R.sum(axis=1, keepdims=True)
        R /= within
    return (np.log(total) - top - np.log(within)).ravel(), S - R


def fy_loss(a, a_same, separation):
    """Fenchel-Young loss of a separation, per row, and its gradient.

    ``a`` the scaled scores ``beta z`` of the rows (any per-row shift),
    ``a_same`` the same with ``-inf`` outside the patterns of the row's
    class.  ``L = Omega*(a) - Omega*(a_same)``, the Fenchel-Young loss of
    the best target distribution on the row's class (with one pattern per
    class, the sparsemax / entmax loss of Martins & Astudillo 2016 and
    Peters et al. 2019, ``Omega*(a) - a_y``); for softmax this is the
    cross-entropy of the class-summed attention, which :func:`cross_entropy`
    computes itself.  Unlike a cross-entropy it stays finite where the
    separation gives the row's class weight exactly 0.  Gradient with
    respect to ``a``: ``sep(a) - sep(a_same)``, whose rows sum to zero.
    """
    return separation.loss(a, a_same)


def penalty(patterns, beta, *, components=None, similarity="euclidean", center=None,
            scale=1.0, alpha=0.0):
    """L2 penalty on what the logits see, and its gradient.

    For ``"euclidean"`` and ``"dot"`` the logits of a cue ``q`` are, up to
    a term equal for all patterns, ``q . A x^mu - x^mu . A x^mu / 2``
    (``"dot"``: ``q . A x^mu``) with ``A = beta W^T W`` (``beta I`` without
    a map): the linear logit weights in the input space are ``A x^mu``.  The
    penalty is weight decay on them,

        ``R = alpha / 2 * scale * mean_mu ||beta W^T W (x^mu - c)||^2``,

    ``c`` the ``center`` (the training mean; the origin for ``"dot"``) and
    ``scale`` the total variance of the training rows, so that ``R`` does
    not change when the data are rescaled (``beta`` then scales as the
    inverse square).  For ``"euclidean"`` with one pattern per class,
    ``A (x^a - x^b)`` is the weight vector of the linear logit difference of
    classes ``a`` and ``b``: this is the L2 term of logistic regression.
    ``R`` depends on ``(W, beta)`` only through ``beta W^T W``, as the logits
    do: the change ``(W, beta) -> (s W, beta / s^2)``, which leaves the logits
    alone, leaves ``R`` alone too, so the penalized loss cannot fall by
    moving along it (a penalty on ``beta^2 ||W (x^mu - c)||^2`` would be
    divided by ``s^2`` there and have no minimum).  Without a map it is
    ``alpha / 2 * scale * beta^2 * mean_mu ||x^mu - c||^2``.

    For ``"cosine"`` the logits are ``beta`` times cosines, whatever the
    scale of ``W``; ``R = alpha / 2 * scale * beta^2`` (``scale`` the total
    variance of the unit-normalized, mapped training rows).

    For ``"manhattan"`` the logits are ``-beta ||W (q - x^mu)||_1``, which
    depend on ``(W, beta)`` through ``beta W`` only and are unit free
    (``beta`` in inverse data units).  The penalty is the mean square of the
    logit of each prototype at the center, ``R = alpha / 2 * mean_mu
    ||beta W (x^mu - c)||_1^2`` (``scale`` is not used: ``R`` is already
    scale free); it bounds the logit differences ``beta ||W (x^mu -
    x^nu)||_1`` that separable data would otherwise drive without bound.
    Its gradient takes ``sign(0) = 0``.

    Returns
    -------
    value : float
    grad_patterns : ndarray of shape (P, N)
    grad_components : ndarray of shape (K, N) or None
    grad_log_beta : float
    """
    g_comp = None if components is None else np.zeros_like(components)
    if alpha == 0 or patterns.shape[0] == 0:
        return 0.0, np.zeros_like(patterns), g_comp, 0.0
    P = patterns.shape[0]
    if similarity == "cosine":
        value = 0.5 * alpha * scale * beta**2
        return value, np.zeros_like(patterns), g_comp, 2.0 * value
    D = patterns if center is None or similarity == "dot" else patterns - center
    if similarity == "manhattan":
        K = D if components is None else D @ components.T  # W d, (P, K)
        r = beta * np.abs(K).sum(axis=1)  # |logit at the center|, (P,)
        value = 0.5 * alpha * float(r @ r) / P
        G = (alpha * beta / P) * r[:, None] * np.sign(K)  # dR/d(W d)
        if components is None:
            return value, G, None, 2.0 * value
        return value, G @ components, G.T @ D, 2.0 * value
    c = alpha * scale * beta**2 / P
    if components is None:
        value = 0.5 * c * float(np.einsum("ij,ij->", D, D))
        return value, c * D, None, 2.0 * value
    K = D @ components.T  # W d, (P, K)
    G = K @ components  # W^T W d, (P, N): the logit weights over beta
    H = G @ components.T  # W W^T W d, (P, K)
    value = 0.5 * c * float(np.einsum("ij,ij->", G, G))
    # d/dd ||M d||^2 / 2 = M M d;  d/dW = (W d)(M d)^T + (W M d) d^T
    return value, c * (H @ components), c * (K.T @ G + H.T @ D), 2.0 * value


def train(
    Q,
    y,
    patterns,
    pattern_y,
    beta,
    *,
    components=None,
    similarity="euclidean",
    learn_patterns=True,
    learn_beta=True,
    self_index=None,
    max_iter=100,
    tol=1e-5,
    alpha=0.0,
    center=None,
    scale=1.0,
    working_memory=None,
    callback=None,
    groups=None,
    sample_weight=None,
    separation=None,
):
    """Minimize :func:`cross_entropy` plus :func:`penalty` with L-BFGS-B.

    ``separation``: the loss is that separation's Fenchel-Young loss
    (None: softmax, the cross-entropy).

    ``patterns`` are learned when ``learn_patterns``, ``components`` when
    given, ``log beta`` when ``learn_beta`` (bounded to :data:`BETA_RANGE`).
    ``alpha``, ``center`` and ``scale`` are those of :func:`penalty`;
    ``self_index``, ``groups`` and ``sample_weight`` those of
    :func:`cross_entropy`.
    ``callback(iteration, loss)``, if given, is called after every L-BFGS-B
    iteration (for progress reports; it must not change anything).

    Returns
    -------
    patterns : ndarray of shape (P, N)
    components : ndarray of shape (K, N) or None
    beta : float
    n_iter : int
        L-BFGS-B iterations run.
    converged : bool
        False when it stopped at ``max_iter``.
    """
    patterns = np.array(patterns, dtype=np.float64)
    if components is not None:
        components = np.array(components, dtype=np.float64)
    sizes = [
        patterns.size if learn_patterns else 0,
        0 if components is None else components.size,
        1 if learn_beta else 0,
    ]
    cuts = np.cumsum(sizes)

    def unpack(theta):
        V = theta[: cuts[0]].reshape(patterns.shape) if learn_patterns else patterns
        C = None if components is None else theta[cuts[0] : cuts[1]].reshape(components.shape)
        b = float(np.exp(theta[cuts[1]])) if learn_beta else beta
        return V, C, b

    def fun(theta):
        V, C, b = unpack(theta)
        loss, gV, gC, gb, _ = cross_entropy(
            Q,
            y,
            V,
            pattern_y,
            b,
            components=C,
            similarity=similarity,
            self_index=self_index,
            working_memory=working_memory,
            groups=groups,
            sample_weight=sample_weight,
            separation=separation,
        )
        r, rV, rC, rb = penalty(
            V, b, components=C, similarity=similarity, center=center, scale=scale,
            alpha=alpha,
        )
        loss += r
        gV = gV + rV
        gb += rb
        if C is not None:
            gC = gC + rC
        parts = [gV.ravel()] if learn_patterns else []
        if C is not None:
            parts.append(gC.ravel())
        if learn_beta:
            parts.append([gb])
        return loss, np.concatenate(parts)

    theta0 = []
    if learn_patterns:
        theta0.append(patterns.ravel())
    if components is not None:
        theta0.append(components.ravel())
    if learn_beta:
        theta0.append([np.log(np.clip(beta, *BETA_RANGE))])
    theta0 = np.concatenate(theta0)
    if theta0.size == 0:
        return patterns, components, float(beta), 0, True
    bounds = [(None, None)] * (theta0.size - (1 if learn_beta else 0))
    if learn_beta:
        bounds.append(tuple(np.log(BETA_RANGE)))
    with training_threads(patterns.shape, learn_patterns):
        result = minimize(
            fun,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            # stop on a relative reduction of the objective (ftol) or a
            # small projected gradient (gtol), the same tol for both
            options={"maxiter": max_iter, "ftol": tol, "gtol": tol},
            callback=None if callback is None else minimize_callback(_Progress(callback), fun),
        )
        # A nonsmooth objective ("manhattan": |.| has kinks) can end
        # L-BFGS-B's line search on a point no better than the start; keep
        # the start then, so that training never raises the objective.
        x = result.x if result.fun <= fun(theta0)[0] else theta0
    V, C, b = unpack(x)
    return (
        np.array(V, copy=True),
        None if C is None else np.array(C, copy=True),
        float(b),
        int(result.nit),
        result.status != 1,
    )


def kmeans_prototypes(X, y, n_per_class, random_state):
    """Initial prototypes: per-class k-means centres (scikit-learn's KMeans).

    Parameters
    ----------
    X : ndarray of shape (n, N)
    y : ndarray of shape (n,), int
        Class index of each row.
    n_per_class : dict
        Class index -> number of prototypes wanted (at most the class's
        number of distinct rows are made).
    random_state : numpy.random.RandomState
        Seeds every KMeans (one seed drawn per class, in class order).

    Returns
    -------
    prototypes : ndarray of shape (P, N)
    labels : ndarray of shape (P,), int
        Grouped by class, in the order of ``n_per_class``.
    """
    from sklearn.cluster import KMeans

    parts, labels = [], []
    for c, k in n_per_class.items():
        Xc = X[y == c]
        seed = random_state.randint(np.iinfo(np.int32).max)
        distinct = np.unique(Xc, axis=0)
        k = min(int(k), len(distinct))
        if k == 1:
            centres = Xc.mean(axis=0, keepdims=True)
        elif k == len(distinct):
            centres = distinct
        else:
            centres = KMeans(k, n_init=1, random_state=seed).fit(Xc).cluster_centers_
        parts.append(centres)
        labels.append(np.full(len(centres), c, dtype=np.intp))
    return np.vstack(parts), np.concatenate(labels)


def pca_components(X, n_components):
    """Initial map: the leading principal axes of ``X``, ``(K, N)``.

    When ``X`` has fewer rows than ``K`` (PCA then has fewer axes), the
    remaining rows are the unit vectors of the first coordinates not yet
    spanned, orthogonalized against the principal axes.
    """
    from sklearn.decomposition import PCA

    n, N = X.shape
    k = min(n_components, n, N)
    axes = np.zeros((0, N))
    if k > 0 and n > 1:
        axes = PCA(k, svd_solver="full").fit(X).components_
        axes = axes[np.linalg.norm(axes, axis=1) > 0.5]
    basis = list(axes)
    for e in np.eye(N):
        if len(basis) >= n_components:
            break
        r = e - sum((e @ b) * b for b in basis) if basis else e
        norm = np.linalg.norm(r)
        if norm > 1e-8:
            basis.append(r / norm)
    return np.array(basis[:n_components], dtype=np.float64).reshape(n_components, N)


class _Progress:
    """``progress(x, loss)`` (see :func:`minimize_callback`) as ``callback(iteration, loss)``."""

    def __init__(self, callback):
        self.callback = callback
        self.iteration = 0

    def __call__(self, x, loss):
        self.iteration += 1
        self.callback(self.iteration, loss)


class MappedMemory(ModernMemory):
    """A modern memory whose similarity is taken in a learned linear space.

    Stored patterns ``x^mu`` and states ``xi`` live in the input space;
    scores are those of :class:`ModernMemory` on ``W x^mu`` and ``W xi``.
    The update step is ``xi <- X^T softmax(beta z(W xi))``, a convex
    combination of the stored patterns in the input space.  It is the
    concave-convex step of

        E(xi) = -lse(beta, z(W xi)) + 1/2 ||W xi - c||^2 + ln(P) / beta + 1/2 M^2

    (``c`` the frame's center of the mapped patterns, ``M`` the largest
    ``||W x^mu - c||``): in the association space ``u = W xi - c`` the step
    is ``u <- (W X^T - c) softmax``, the update of :class:`ModernMemory` on
    the mapped patterns, since the softmax weights sum to one; so the energy
    never rises, as there.

    The frame (center and power-of-two scale, :func:`~skhopfield._core.scoring.frame`) is that
    of the mapped patterns.  Internal states are the input-space states
    divided by the same power of two (the center lives in the association
    space and is subtracted after the map), so ``tol`` compares the step in
    the input space, in the units of ``M``.

    With ``"cosine"`` the similarity is the cosine in the association
    space: the network is the ``"dot"`` one on the patterns scaled to
    ``x^mu / ||W x^mu||`` (whose images are unit vectors), and a cue ``q``
    starts as ``q / ||W q||`` (unit image); later states are convex
    combinations of the scaled patterns and are not rescaled, exactly as
    :class:`ModernMemory` treats ``"cosine"`` without a map.

    With ``"manhattan"`` the scores are ``-||W xi - W x^mu||_1`` and the
    update step is the same convex combination; it descends no known energy
    (the estimators refuse :meth:`energy` for it).

    Parameters
    ----------
    patterns : ndarray of shape (P, N)
    components : ndarray of shape (K, N)
    similarity : {"dot", "euclidean", "cosine", "manhattan"}
    """

    def __init__(self, patterns, components, similarity, dtype=None, frame_=None):
        dtype = np.dtype(patterns.dtype if dtype is None else dtype)
        components = np.asarray(components, dtype=np.float64)
        mapped = np.asarray(patterns, dtype=np.float64) @ components.T
        super().__init__(mapped, similarity, dtype=dtype, frame_=frame_)
        self._raw = patterns
        self._components64 = components
        self.components = components.astype(dtype)
        state = np.asarray(patterns, dtype=np.float64)
        if similarity == "cosine":
            state = state / _safe_norms(mapped)[:, None]
        self._state_patterns = _ldexp(state, -self.exponent).astype(dtype)
        shift = None if self.center is None else _ldexp(self._frame[0], -self.exponent)
        self._shift = None if shift is None else shift.astype(dtype)
        self._row_l1 = float(np.abs(components).sum(axis=1).max()) if components.size else 0.0

    def astype(self, dtype):
        """This memory in ``dtype`` (itself when already so), same frame."""
        if self.aug.dtype == dtype:
            return self
        return MappedMemory(
            self._raw, self._components64, self.similarity, dtype=dtype, frame_=self._frame
        )

    # -- coordinates: input-space states, scaled by the frame's power of two --------
    def internal(self, Q):
        return _scale_by_pow2(np.array(Q, copy=True), -self.exponent)

    def external(self, V):
        return _scale_by_pow2(V, self.exponent)

    def extent(self, Q):
        """An upper bound of ``max |internal association coordinates|`` of ``Q``."""
        if Q.size == 0:
            return 0.0
        a = max(float(Q.max()), -float(Q.min())) * self._row_l1
        a = float(_ldexp(a, -self.exponent))
        if self._shift is not None:
            a += float(np.abs(self._shift).max())
        return a

    def start(self, Q):
        """Initial internal states (for ``"cosine"``: scaled to a unit image)."""
        if self.similarity != "cosine":
            return self.internal(Q)
        return Q / _safe_norms(Q @ self.components.T)[:, None].astype(Q.dtype)

    def map(self, S):
        """Internal states to the mapped memory's internal coordinates."""
        U = S @ self.components.T
        if self._shift is not None:
            U -= self._shift.astype(U.dtype, copy=False)
        return U

    # -- the dynamics, through the map ---------------------------------------------
    def update(self, Q, beta, out=None):
        return self.attention(self.map(Q), beta, out=out) @ self._state_patterns

    def class_scores(self, Q, beta, onehot, out=None):
        return super().class_scores(self.map(Q), beta, onehot, out=out)

    def energy(self, Q, beta):
        return super().energy(self.map(Q), beta)
