"""The shared machinery of the modern memories (Ramsauer et al. 2020).

:class:`_BaseModernMemory` stores the patterns, resolves ``beta``, and runs
the scores, the update steps, the energy and the attention read-out through
the one engine (:mod:`skhopfield._batch`).  The units of work it hands the
engine are the block functions here (``_readout_block``, ``_transform_block``,
``_energy_block``: one chunk of cues against the whole memory, walked in
cache-sized tiles by :func:`skhopfield._tiles.for_tiles`) and, inside
:func:`skhopfield.sharded_memory`, their sharded counterparts (one chunk
against one shard, merged by the log-sum-exp algebra of
:mod:`skhopfield._core.shards`, or for a separation other than softmax by
its shards' candidates for the support).  The concrete memories,
:class:`~skhopfield.ModernHopfieldClassifier` and
:class:`~skhopfield.ModernHopfieldRegressor`, are two read-outs of the same
attention: one-hot labels (classes) or targets (real values).
"""

import time
import weakref
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.externals import array_api_compat
from sklearn.utils import Bunch
from sklearn.utils._array_api import check_same_namespace, get_namespace_and_device
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._batch import batch_retrieve, report, sharded_retrieve, sharding_active
from ._core import learned
from ._core.namespace import (
    _device,
    _finfo,
    _hi,
    _idiv,
    _is_host,
    _move,
    _ns,
    _to_numpy,
)
from ._core.masked import PartialModernMemory, make_partial_memory, nan_rows
from ._core.scoring import ModernMemory, SparseModernMemory, iterate, make_memory
from ._core.separation import SEPARATIONS, make_separation
from ._core.shards import (
    candidate_attention,
    candidate_weights,
    energy_from_lse,
    lse_partials,
    merge_candidates,
    merge_lse,
    separation_candidates,
)
from ._modern_partial import (
    merge_rows,
    partial_energy_block,
    partial_kpatterns_block,
    partial_readout_block,
    partial_transform_block,
)
from ._tiles import for_tiles
from ._validation import (
    N_JOBS_CONSTRAINT,
    VERBOSE_CONSTRAINT,
    drop_zero_weights,
    validate_data,
)

#: ``beta="auto"`` is this many times the inverse total variance of the
#: stored patterns (see the class docstring).
AUTO_BETA_SCALE = 20.0

#: Stored patterns probed by the self-check of ``fit`` (see ``n_iter_``).
SELF_CHECK_SIZE = 64

#: Scoring layouts of fitted modern memories, outside their state (see
#: ``_BaseModernMemory._memory``); an entry goes with its estimator.
_MEMORIES = weakref.WeakKeyDictionary()


def _host(a):
    """``a`` as a numpy array on the CPU (array API arrays are moved there);
    anything else (lists, scipy.sparse, None) as it is."""
    if isinstance(a, np.ndarray) or not array_api_compat.is_array_api_obj(a):
        return a
    return _to_numpy(a)


def _empty(Q, shape, dtype=None):
    """An uninitialized array in ``Q``'s namespace and on its device (numpy
    for numpy and sparse ``Q``)."""
    if _is_host(Q):
        return np.empty(shape, dtype=Q.dtype if dtype is None else dtype)
    xp = _ns(Q)
    return xp.empty(shape, dtype=Q.dtype if dtype is None else dtype, device=_device(Q))


def _take_rows(A, rows):
    """``A[rows]`` for a numpy index array ``rows``, in ``A``'s namespace."""
    if _is_host(A):
        return A[rows]
    xp = _ns(A)
    return xp.take(A, xp.asarray(rows, device=_device(A)), axis=0)


def _check_magnitude(memory, extent, beta, A, what="X"):
    """Refuse values so large that the network's products overflow ``A``'s dtype.

    Everything is computed in the memory's internal coordinates (see
    :func:`skhopfield._core.scoring.frame`): ``u = (x - center) / 2**k``,
    where the stored patterns lie in ``[-1, 1]`` and ``beta`` is the
    internal inverse temperature ``beta_ 4**k``.  Scores ``beta u^mu . v``,
    offsets ``beta ||u^mu||^2 / 2`` and the energy's ``||v||^2 / 2`` are
    each at most ``max(beta, 1) * n_features * m^2``, ``m`` the larger of
    ``extent`` (an upper bound of ``max |v|`` over the rows checked) and the
    largest internal pattern norm.  A finite input past that point would
    come back as inf or NaN scores, i.e. a wrong answer, so it is an error
    instead.  Data of any scale and offset that float64 holds pass for the
    stored patterns themselves; what can fail is a cue far outside the stored
    patterns' spread, or a huge ``beta``.
    """
    m = max(float(extent), memory.max_norm)
    bound = max(float(beta), 1.0) * memory.n_features * m * m
    limit = float(_finfo(A).max) / 64
    if not bound <= limit:
        dtype = A.dtype if _is_host(A) else str(A.dtype).rsplit(".", 1)[-1]
        raise ValueError(
            f"{what} has values too large for {dtype} arithmetic: in units "
            f"of the stored patterns' spread 2**{memory.exponent} around their "
            f"{'mean' if memory.center is not None else 'origin'}, "
            f"max(beta_ * 4**{memory.exponent}, 1) * n_features * max|x|^2 = "
            f"{bound:.3g} exceeds {limit:.3g}, so scores would overflow. Rescale "
            "the data (e.g. with StandardScaler) or use a smaller beta."
        )


def _make_memory(patterns, similarity, weights):
    """The scoring layout of stored ``patterns``: a
    :class:`~skhopfield._core.masked.PartialModernMemory` when they have
    missing entries (NaN), else :func:`~skhopfield._core.scoring.make_memory`."""
    memory = make_partial_memory(patterns, similarity, weights=weights)
    if memory is None:
        memory = make_memory(patterns, similarity, weights=weights)
    return memory


def _readout_block(Q, *, memory, beta, values, n_updates, tol, normalize, total):
    """Attention read-out of one block of cues: the unit of work of predict.

    After ``n_updates`` state updates, the attention of the final step
    applied to ``values`` (P, C): one-hot labels for the classifier,
    ``[T | 1]`` for the regressor.  ``normalize``: ``None`` (unnormalized,
    enough for an argmax), ``"sum"`` (rows sum to one: probabilities) or
    ``"total"`` (divided by column ``total``, the weights' sum, which is
    dropped: the attention-weighted targets).
    """
    n, P = Q.shape[0], memory.aug.shape[0]
    out = _empty(Q, (n, values.shape[1]))

    def work(s, buf):
        xi = memory.start(Q[s, ...])
        if n_updates > 0:
            xi = memory.run(xi, beta, n_updates, tol, out=buf)[0]
        # ``total`` only when there is one: memories that wrap the scores
        # (a learned map) may not take it.
        extra = {} if total is None else {"total": total}
        part = None if buf is None else buf[: s.stop - s.start]
        out[s, ...] = memory.class_scores(xi, beta, values, out=part, **extra)

    # Pattern blocks only on the one-step softmax path: the update steps and
    # the other separations need whole rows.
    blocks = n_updates == 0 and memory.separation is None
    for_tiles(n, P, Q.dtype, work, blocks=blocks)
    return _normalized(out, normalize, total)


def _kpatterns_block(Q, *, memory, beta, n_updates, tol, n_patterns):
    """The ``n_patterns`` stored patterns of largest attention of the final
    step, per cue: ``(weights, indices)``, sorted by decreasing weight (the
    zero weights by decreasing score), ties by index.  The unit of work of
    ``kpatterns``."""
    n, P = Q.shape[0], memory.aug.shape[0]
    k = n_patterns
    weights = np.empty((n, k), dtype=Q.dtype)
    indices = np.empty((n, k), dtype=np.intp)

    def work(s, buf):
        xi = memory.start(Q[s, ...])
        if n_updates > 0:
            xi = memory.run(xi, beta, n_updates, tol, out=buf)[0]
        part = None if buf is None else buf[: s.stop - s.start]
        # beta z (+ log w for softmax) - max: the scores, <= 0
        a, _ = memory.exact_scores(xi, beta, out=part, prior=memory.separation is None)
        weights[s], indices[s] = _top_patterns(memory, a, k)

    for_tiles(n, P, Q.dtype, work)
    return weights, indices


def _top_patterns(memory, a, k):
    """``(weights, indices)`` of the ``k`` patterns of largest attention per
    row of the max-shifted scores ``a`` (``beta z``, plus ``log w`` for
    softmax; ``-inf`` for a pattern left out), in place: see
    :func:`_kpatterns_block`."""
    P = a.shape[1]
    sep = memory.separation
    if sep is None:  # softmax of the exact scores: in the scores' order
        key = a.copy()
        with np.errstate(under="ignore"):
            np.exp(a, out=a)
        a /= a.sum(axis=1, keepdims=True)
    else:  # by weight (with pattern weights not the scores' order),
        # then the zero weights by score
        score = a.copy()
        a = sep(a, memory.copy_weights(a))
        key = np.where(a > 0, a, score - 1)
    if k < P:  # the k largest, in index order (for the ties below)
        idx = np.sort(np.argpartition(-key, k - 1, axis=1)[:, :k], axis=1)
    else:
        idx = np.broadcast_to(np.arange(P), a.shape)
    order = np.argsort(-np.take_along_axis(key, idx, axis=1), axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    return np.take_along_axis(a, idx, axis=1), idx


def _normalized(out, normalize, total):
    """The read-out ``out`` normalized as ``_readout_block`` says."""
    if normalize == "sum":
        xp = array_api_compat.array_namespace(out)
        out = _idiv(out, xp.sum(out, axis=1, keepdims=True))
    elif normalize == "total":
        if isinstance(out, np.ndarray):
            keep = np.arange(out.shape[1]) != total
            out = out[:, keep] / out[:, total : total + 1]
        else:
            xp = _ns(out)
            kept = xp.concat([out[:, :total], out[:, total + 1 :]], axis=1)
            out = kept / out[:, total : total + 1]
    return out


def _transform_block(Q, *, memory, beta, n_steps, tol):
    """Update steps from one block of cues: the unit of work of transform."""
    n, P = Q.shape[0], memory.aug.shape[0]
    host = _is_host(Q)
    states = _empty(Q, Q.shape)  # dense, for sparse cues too
    n_iter = _empty(Q, n, dtype=np.intp if host else _ns(Q).int64)
    converged = _empty(Q, n, dtype=bool if host else _ns(Q).bool)

    def work(s, buf):
        xi, n_iter[s], converged[s] = memory.run(
            memory.start(Q[s, ...]), beta, n_steps, tol, out=buf
        )
        states[s, ...] = xi if memory.similarity == "cosine" else memory.external(xi)

    for_tiles(n, P, Q.dtype, work)
    return states, n_iter, converged


def _energy_block(Q, *, memory, beta):
    n, P = Q.shape[0], memory.aug.shape[0]
    out = _empty(Q, n)

    def work(s, buf):
        out[s] = memory.data_energy(Q[s, ...], beta)

    for_tiles(n, P, Q.dtype, work)
    return out


# -- sharded memory (inside skhopfield.sharded_memory) -------------------------------


def _shard_partials(Q, *, memory, beta, values=None, states=False, energy=False):
    """One chunk of states against one shard: the unit of work of a sharded memory.

    ``memory`` is the shard (dense or CSR, with its patterns' weights);
    ``values`` its rows of the read-out matrix (one-hot labels, ``[T | 1]``),
    or with ``states`` the shard's patterns (for the next state).
    """
    if states:
        values = memory.memory
    return lse_partials(memory, Q, beta, values=values, energy=energy)


def _sharded_partials(
    Q, memory, owner, beta, values=None, verbose=0, label="", **flags
):
    """The merged log-sum-exp partials of the internal states ``Q``, all shards."""
    shards = {"memory": memory.take}
    if values is not None:
        shards["values"] = values.__getitem__
    width = Q.shape[1] if flags.get("states") else 0
    width += 0 if values is None else values.shape[1]
    score_rows = getattr(memory, "score_rows", 1)
    return sharded_retrieve(
        _shard_partials,
        lambda results, counts: merge_lse(results, beta),
        Q,
        owner=owner,
        n_patterns=memory.aug.shape[0],
        shards=shards,
        # scores (and a temporary of their size; two for a CSR shard), the
        # cue and its augmented copy, the weighted sums
        row_bytes=lambda P: Q.dtype.itemsize
        * ((score_rows + 1) * P + 3 * Q.shape[1] + width + 8),
        verbose=verbose,
        label=label,
        beta=beta,
        **flags,
    )


def _shard_candidates(Q, *, memory, beta):
    """One chunk of states against one shard, for a separation other than
    softmax: the shard's candidates for the support (see
    :func:`~skhopfield._core.shards.separation_candidates`)."""
    return separation_candidates(memory, Q, beta)


def _sharded_separated(Q, memory, owner, beta, finish, verbose=0, label=""):
    """A separation other than softmax on a sharded memory: every shard's
    candidates for the states ``Q``, merged per chunk into the rows'
    candidates ``(top, a, idx)`` (see ``merge_candidates``) and finished
    there by ``finish(top, a, idx)`` (the read-out, next state or energy
    terms of the chunk's rows)."""
    score_rows = getattr(memory, "score_rows", 1)

    def merge(results, counts):
        return finish(*merge_candidates(results, counts))

    return sharded_retrieve(
        _shard_candidates,
        merge,
        Q,
        owner=owner,
        n_patterns=memory.aug.shape[0],
        shards={"memory": memory.take},
        # scores (and a temporary of their size; two for a CSR shard), the
        # candidates' scores and indices, the cue and its augmented copy
        row_bytes=lambda P: Q.dtype.itemsize * ((score_rows + 3) * P + 3 * Q.shape[1] + 8),
        verbose=verbose,
        label=label,
        beta=beta,
    )


def _read(attention, values):
    """``attention @ values`` (CSR attention), dense."""
    out = attention @ values
    return out.toarray() if sp.issparse(out) else np.asarray(out)


def _sharded_run(xi, memory, owner, beta, n_steps, tol, verbose, label):
    """``memory.run`` on a sharded memory: one round trip per update step."""
    if sp.issparse(xi):
        xi = xi.toarray()  # the states after a step are dense anyway
    steps = iter(range(1, n_steps + 1))

    def step(S):
        where = f"{label} step {next(steps)}"
        if memory.separation is not None:
            return _sharded_separated(
                S, memory, owner, beta,
                lambda top, a, idx: _read(candidate_attention(memory, a, idx), memory.memory),
                verbose=verbose, label=where,
            )
        part = _sharded_partials(
            S, memory, owner, beta, states=True, verbose=verbose, label=where
        )
        return part["W"] / part["s"][:, None]

    return iterate(step, xi, n_steps, tol * memory.max_norm)


def _readout_sharded(
    Q, *, memory, owner, beta, values, n_updates, tol, normalize, total, verbose, label
):
    """``_readout_block`` on a sharded memory.

    The read-out matrix ``values`` (one-hot labels, ``[T | 1]``) is sharded
    with the patterns and merged with them; every merged column carries the
    same per-row factor, which the normalization cancels (the unnormalized
    scores are only used for an argmax).
    """
    xi = memory.start(Q)
    if n_updates > 0:
        xi = _sharded_run(xi, memory, owner, beta, n_updates, tol, verbose, label)[0]
    if memory.separation is not None:
        out = _sharded_separated(
            xi, memory, owner, beta,
            lambda top, a, idx: _read(candidate_attention(memory, a, idx), values),
            verbose=verbose, label=label,
        )
    else:
        out = _sharded_partials(
            xi, memory, owner, beta, values=values, verbose=verbose, label=label
        )["W"]
    return _normalized(out, normalize, total)


def _transform_sharded(Q, *, memory, owner, beta, n_steps, tol, verbose, label):
    xi, n_iter, converged = _sharded_run(
        memory.start(Q), memory, owner, beta, n_steps, tol, verbose, label
    )
    states = xi if memory.similarity == "cosine" else memory.external(xi)
    return states, n_iter, converged


def _energy_sharded(Q, *, memory, owner, beta, verbose, label):
    xi = memory.internal(Q)
    if memory.separation is not None:
        if sp.issparse(xi):
            xi = xi.toarray()

        def finish(top, a, idx):
            conj, _ = memory.separation.conjugate(a, candidate_weights(memory, a, idx))
            return top, conj

        top, conj = _sharded_separated(
            xi, memory, owner, beta, finish, verbose=verbose, label=label
        )
        E = memory.separation_energy(xi, beta, top, conj)
        return memory.to_data_energy(E, Q.dtype)
    part = _sharded_partials(
        xi, memory, owner, beta, energy=True, verbose=verbose, label=label
    )
    E = energy_from_lse(xi, beta, part, memory.max_norm)
    return memory.to_data_energy(E, Q.dtype)


#: The sharded counterpart of each block function (see ``_batch``).
_SHARDED = {
    _readout_block: _readout_sharded,
    _transform_block: _transform_sharded,
    _energy_block: _energy_sharded,
}


class _BaseModernMemory(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Shared shell of the modern memories; not meant to be used directly.

    Stores the patterns, resolves ``beta``, and runs the scores, the update
    steps, the energy and the attention read-out through the one engine.  A
    concrete memory validates its targets, calls :meth:`_set_memory` and
    chooses the read-out matrix of :meth:`_readout`.
    """

    _parameter_constraints: dict = {
        "beta": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "similarity": [StrOptions({"dot", "euclidean", "cosine", "manhattan"})],
        "separation": [StrOptions(set(SEPARATIONS))],
        "entmax_alpha": [Interval(Real, 1, 2, closed="right")],
        "separation_order": [Interval(Real, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": VERBOSE_CONSTRAINT,
    }

    def _set_memory(self, patterns, weights=None, **fitted):
        """Store ``patterns`` (validated), resolve ``beta``, run the self-check.

        ``fitted``: the read-out's attributes (labels, targets).  Nothing is
        replaced until every check has passed, so a refused input leaves the
        previous memory whole.
        """
        memory = _make_memory(patterns, self.similarity, weights)
        beta, scaled_beta = self._resolve_beta(memory, **fitted)
        _check_magnitude(memory, 1.0, scaled_beta, memory.aug)
        memory = memory.with_separation(self._separation())
        # Self-check, as the binary memories do, on an evenly spaced sample of
        # at most SELF_CHECK_SIZE stored patterns (bounded cost at any P).
        probe = np.unique(
            np.linspace(0, patterns.shape[0] - 1, SELF_CHECK_SIZE).astype(int)
        )
        probe_block = (
            partial_transform_block
            if isinstance(memory, PartialModernMemory)
            else _transform_block
        )
        _, n_iter, _ = probe_block(
            _take_rows(patterns, probe),
            memory=memory,
            beta=scaled_beta,
            n_steps=self.max_iter,
            tol=self.tol,
        )
        for name, value in fitted.items():
            setattr(self, name, value)
        self._keep_memory(patterns, None, weights, memory.with_separation(None))
        self.max_norm_ = memory.data_max_norm
        self.beta_, self._scaled_beta = beta, scaled_beta
        self.n_iter_ = int(array_api_compat.array_namespace(n_iter).max(n_iter))
        return self

    def _positive_rows(self, X, y, sample_weight, reset):
        """``(X, y, weights)``: the validated sample weights (all 1 for
        None), rows of weight zero dropped (not stored).

        The weights live on the host (float64 numpy) whatever ``X``'s
        namespace: they become a ``log w`` prior on the patterns' device.
        """
        with config_context(array_api_dispatch=False):
            weights = _check_sample_weight(
                _host(sample_weight), X, dtype=np.float64, ensure_non_negative=True
            )
        if _is_host(X):
            return drop_zero_weights(X, y, weights, first=reset)
        rows, y, weights = drop_zero_weights(
            np.arange(X.shape[0]), y, weights, first=reset
        )
        if rows.size != X.shape[0]:
            X = _take_rows(X, rows)
        return X, y, weights

    def _stacked(self, X, reset):
        """The stored patterns after storing the validated rows ``X``.

        A copy: ``patterns_`` must not alias the caller's array.  The first
        fit decides the layout: sparse memories stay sparse (CSR), dense
        ones densify later sparse rows.  A later batch is converted to the
        stored patterns' dtype; the stored patterns follow the batch's
        namespace and device (array API inputs).
        """
        host = _is_host(X)
        if reset:
            return X.copy() if host else _ns(X).asarray(X, copy=True)
        old = self.patterns_
        if not (host and _is_host(old)):
            old = _move(old, X)
        if X.dtype != old.dtype:
            X = X.astype(old.dtype) if host else _ns(X).astype(X, old.dtype)
        if sp.issparse(old):
            return sp.vstack([old, sp.csr_matrix(X)], format="csr")
        if host:
            return np.vstack([old, X.toarray() if sp.issparse(X) else X])
        return _ns(X).concat([old, X], axis=0)

    def _keep_memory(self, patterns, components, weights, memory=None):
        """Keep what defines the memory: ``patterns_``, their weights, the
        similarity, and for a learned map its float64 components
        (``components_`` is in the patterns' dtype).  ``weights`` None: an
        unweighted memory (a learned one), ``pattern_weights_`` all ones.
        ``memory``: the scoring layout already built from them, if any
        (cached; otherwise built on first use)."""
        self.patterns_ = patterns
        self._fit_similarity = self.similarity
        self._memory_weighted = weights is not None
        if _is_host(patterns):
            self.pattern_weights_ = (
                np.ones(patterns.shape[0]) if weights is None else np.asarray(weights)
            )
        else:  # as every fitted array: in the patterns' namespace, on their device
            xp, dev, hi = _ns(patterns), _device(patterns), _hi(patterns)
            self.pattern_weights_ = (
                xp.ones(patterns.shape[0], dtype=hi, device=dev)
                if weights is None
                else xp.asarray(_move(np.asarray(weights), patterns), dtype=hi)
            )
        if components is None:
            self.__dict__.pop("_components64", None)
        else:
            self._components64 = np.array(components, dtype=np.float64)
        if memory is not None:
            key = self._memory_key()
            _MEMORIES[self] = (*key, memory)

    def _memory_key(self):
        """What the scoring layout is built from, as kept in ``__dict__``."""
        return (
            self.patterns_,
            self._fit_similarity,
            self.__dict__.get("_components64"),
            self.pattern_weights_ if self.__dict__.get("_memory_weighted") else None,
        )

    @property
    def _memory(self):
        """The stored patterns laid out for scoring (a :class:`ModernMemory`,
        or a ``MappedMemory`` with a learned map).

        Not part of the fitted state, which is arrays and builtins only (safe
        to persist with ``skops.io``): built from ``patterns_`` (and the
        map's components) on first use and kept in a side table, weakly keyed
        by the estimator, until they are replaced (``fit``, ``partial_fit``)
        -- so an estimator that was loaded, cloned or unpickled rebuilds it
        lazily, the same.
        """
        key = self._memory_key()
        patterns, similarity, components, weights = key
        cached = _MEMORIES.get(self)
        if (
            cached is None
            or cached[0] is not patterns
            or cached[1] != similarity
            or cached[2] is not components
            or cached[3] is not weights
        ):
            if components is None:
                memory = _make_memory(patterns, similarity, weights)
            else:
                memory = learned.MappedMemory(patterns, components, similarity)
            cached = (*key, memory)
            _MEMORIES[self] = cached
        return cached[4]

    def _report_fit(self, reset, start, n_new, detail):
        report(
            self.verbose,
            f"{type(self).__name__}.{'fit' if reset else 'partial_fit'}",
            f"stored {n_new} patterns x {self.patterns_.shape[1]} features "
            f"({self.patterns_.shape[0]} in all, {detail}) in "
            f"{time.perf_counter() - start:.2f} s; beta_={self.beta_:.4g}",
        )

    def _resolve_beta(self, memory, **fitted):
        """``(beta_, internal beta)``; see :meth:`ModernMemory.scale_beta`.

        ``fitted``: the read-out's attributes about to be set (a memory that
        learns ``beta`` from its targets reads them here).
        """
        if isinstance(self.beta, str):
            return self._auto_beta(memory)
        return float(self.beta), memory.scale_beta(self.beta)

    def _auto_beta(self, memory):
        """``"auto"``: ``AUTO_BETA_SCALE`` over the stored patterns' total variance.

        Resolved on the internal patterns, which lie in ``[-1, 1]`` at any
        data scale, so it neither overflows nor underflows; ``beta_`` is
        then the same value in the data's units.
        """
        total_var = memory.score_spread()
        if total_var > 0:
            scaled = AUTO_BETA_SCALE / total_var
            return memory.unscale_beta(scaled), scaled
        # All stored patterns equal: every pattern scores the same, beta has
        # no effect on predictions and 1 is as good as any.
        return 1.0, memory.scale_beta(1.0)

    # -- retrieving -------------------------------------------------------------------
    def _validated(self, X, what, as_states=False):
        check_is_fitted(self)
        self._validate_params()
        # As scikit-learn's array API estimators: under dispatch X must be
        # where fit put the fitted arrays (move_estimator_to moves them).
        check_same_namespace(X, self, attribute="patterns_", method=what)
        xp = get_namespace_and_device(X)[0]
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=[xp.float64, xp.float32],
            accept_sparse="csr",
            ensure_all_finite="allow-nan",
        )
        missing = self._check_missing(X, "X")
        if sp.issparse(X) and hasattr(self, "_learned_mode"):
            X = X.toarray()  # a learned memory (dense prototypes, a map)
        memory = self._memory.like(X)
        if self.similarity == "cosine" and not as_states:
            extent = 1.0  # the dynamics start from the unit-normalized cues
        elif missing:
            # the missing entries stand at the frame's center (no extent)
            center = 0.0 if memory.center is None else memory.center
            extent = memory.extent(np.where(np.isnan(X), center, X))
        else:
            extent = memory.extent(X)
        _check_magnitude(memory, extent, self._scaled_beta, X)
        return X

    def _check_missing(self, X, what, fitting=False):
        """Whether the validated ``X`` has missing entries (NaN); a clear error
        where they are not supported (sparse, other array namespaces, learned
        memories)."""
        if _is_host(X) and not sp.issparse(X):
            missing = bool(np.isnan(X).any())
        else:
            data = X.data if sp.issparse(X) else X
            xp = array_api_compat.array_namespace(data)
            missing = bool(xp.any(xp.isnan(data)))
        if not missing:
            return False
        where = None
        if sp.issparse(X):
            where = "sparse input"
        elif not _is_host(X):
            where = "arrays of other namespaces than numpy (array API)"
        elif getattr(self, "_learns", bool)() or (
            not fitting and type(self._memory) not in (ModernMemory, PartialModernMemory)
        ):
            where = "learned memories (prototypes_per_class, beta='learn', n_components)"
        if where is not None:
            raise ValueError(
                f"{what} has missing entries (NaN), which {type(self).__name__} "
                f"supports on dense numpy arrays only, not on {where}. Impute them "
                "first (e.g. with skhopfield.HopfieldImputer)."
            )
        return True

    def _partial_rows(self, X):
        """Rows of the validated cues ``X`` that take the partial-cue path
        (:mod:`skhopfield._modern_partial`): those with a missing entry, or
        every row when the stored patterns have missing entries.  None for
        no row."""
        if not (_is_host(X) and not sp.issparse(X)):
            return None
        if isinstance(self._memory, PartialModernMemory):
            return np.arange(X.shape[0])
        rows = np.flatnonzero(nan_rows(X))
        return rows if rows.size else None

    def _split_batch(self, block_func, partial_func, X, n_out, what, **params):
        """:meth:`_batch` over the complete rows of ``X``, ``partial_func``
        over those of :meth:`_partial_rows`, merged in row order."""
        rows = self._partial_rows(X)
        if rows is None:
            return self._batch(block_func, X, n_out, what, **params)
        n = X.shape[0]
        full = None
        if rows.size < n:
            keep = np.ones(n, dtype=bool)
            keep[rows] = False
            full = self._batch(block_func, X[keep], n_out, what, **params)
        # the masked scores and fill hold up to six (rows, patterns) arrays
        part = self._batch(
            partial_func, X[rows], n_out + 6 * self.patterns_.shape[0], what, **params
        )
        return merge_rows(n, rows, full, part)

    def _batch(self, block_func, X, n_out, what, **params):
        """Run ``block_func`` over the validated cues ``X`` through the engine.

        The block gets the memory in the cues' dtype and ``beta_``; ``n_out``
        is the width of its per-row output, for the working-memory bound: an
        honest upper bound per cue row is a row of scores over all patterns,
        the start state, the state and its update, and the outputs (the block
        functions walk rows in cache-sized tiles, so they use less than this
        when a chunk holds many rows).
        """
        separation = self._separation()
        memory = self._memory.like(X).with_separation(separation)
        beta = self._scaled_beta
        host = _is_host(X)
        # The fitted memory and the per-pattern arrays travel to dask workers
        # once per fitted model, cue dtype and separation (see ``batch_retrieve``).
        owner = (self._memory, X.dtype.str if host else str(X.dtype), separation)
        shared = {k: v for k, v in params.items() if isinstance(v, np.ndarray)}
        # (the patterns as stored stay here: retrieval reads the layout only)
        shared["memory"] = memory.for_retrieval()
        verbose = {"verbose": self.verbose, "label": f"{type(self).__name__}.{what}"}
        # (A memory with a learned map scores through it: not sharded, yet;
        # nor are arrays of other namespaces, which stay on their device.  A
        # separation other than softmax merges the shards' candidates for
        # the support instead of log-sum-exp partials.)
        if (
            host
            and sharding_active()
            and block_func in _SHARDED
            and type(memory) in (ModernMemory, SparseModernMemory)
        ):
            sharded = _SHARDED[block_func]
            return sharded(
                X, memory=memory, owner=owner, beta=beta, **params, **verbose
            )
        params = {k: v for k, v in params.items() if k not in shared}
        P = memory.aug.shape[0]
        per_row = getattr(memory, "score_rows", 1) * P + 4 * X.shape[1] + n_out
        row_bytes = (_finfo(X).bits // 8) * per_row
        block = partial(block_func, beta=beta, **params)
        return batch_retrieve(
            block,
            X,
            row_bytes=row_bytes,
            shared=shared,
            owner=owner,
            n_jobs=self.n_jobs,
            **verbose,
        )

    def _readout(self, X, values, normalize, what, total=None):
        """The attention of the final step applied to ``values``, for cues ``X``;
        ``what`` names the call in progress messages."""
        X = self._validated(X, what)
        # the read-out matrix where the cues are (built from host labels, or
        # already there), in their dtype
        values = _move(values, X)
        if _is_host(X):
            values = values.astype(X.dtype, copy=False)
        else:
            values = _ns(X).astype(values, X.dtype, copy=False)
        return self._split_batch(
            _readout_block,
            partial_readout_block,
            X,
            values.shape[1],
            what,
            values=values,
            n_updates=self.max_iter - 1,
            tol=self.tol,
            normalize=normalize,
            total=total,
        )

    def _separation(self):
        """The :class:`~skhopfield._core.separation.Separation` of the
        parameters; None for softmax."""
        return make_separation(
            self.separation, self.entmax_alpha, self.separation_order
        )

    def kpatterns(self, X, n_patterns=5):
        """The stored patterns of largest attention, per cue.

        In the spirit of :meth:`sklearn.neighbors.KNeighborsMixin.kneighbors`:
        for each cue, after ``max_iter - 1`` state updates, the attention
        weights of the final step (those :meth:`predict` reads out) of the
        ``n_patterns`` stored patterns that weigh most, and their indices
        into ``patterns_``, sorted by decreasing weight (ties by index).  Chunked and memory-bounded as :meth:`predict`.

        For a sparse separation (``"sparsemax"``, ``"entmax"``,
        ``"polynomial"``, ``"max"``) the patterns of nonzero weight are the
        exact support of the attention; when the support holds fewer than
        ``n_patterns`` patterns, the remaining entries are the next patterns
        by score, with weight exactly 0.  Under softmax every weight is
        positive (it may underflow to 0).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues (numpy or scipy.sparse); NaN marks a missing entry (a
            partial cue, scored over its observed entries: see "Partial
            cues and imputation" in the user guide).
        n_patterns : int, default=5
            Patterns per cue, at most the number stored.

        Returns
        -------
        weights : ndarray of shape (n_samples, n_patterns)
            Attention weights, decreasing along each row, in the dtype of
            ``X``; a row's weights over all the patterns sum to one.
        indices : ndarray of shape (n_samples, n_patterns)
            Row indices into ``patterns_``.
        """
        X = self._validated(X, "kpatterns")
        P = self.patterns_.shape[0]
        if not isinstance(n_patterns, Integral) or not 1 <= n_patterns <= P:
            raise ValueError(
                f"n_patterns must be an int in [1, {P}] (the patterns stored), "
                f"got {n_patterns!r}."
            )
        if not _is_host(X):
            raise ValueError(
                "kpatterns computes with numpy (or scipy.sparse) cues only; got "
                f"an array of {type(X).__module__}."
            )
        return self._split_batch(
            _kpatterns_block,
            partial_kpatterns_block,
            X,
            2 * n_patterns + 2 * X.shape[1],
            "kpatterns",
            n_updates=self.max_iter - 1,
            tol=self.tol,
            n_patterns=int(n_patterns),
        )

    def retrieve(self, X):
        """Run the update steps from each row of ``X`` and report how it went.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues; NaN marks a missing entry (a partial cue, see "Partial
            cues and imputation" in the user guide).

        Returns
        -------
        result : :class:`~sklearn.utils.Bunch`
            ``states`` (n_samples, n_features) the states after up to
            ``max_iter`` steps (a partial cue's observed entries clamped,
            unchanged); ``n_iter`` (n_samples,) steps run per row;
            ``converged`` (n_samples,) True where the last step moved the
            state by at most ``tol * max_norm_``.
        """
        return self._retrieve(X, "retrieve")

    def _retrieve(self, X, what):
        X = self._validated(X, what)
        states, n_iter, converged = self._split_batch(
            _transform_block,
            partial_transform_block,
            X,
            2 * X.shape[1],
            what,
            n_steps=self.max_iter,
            tol=self.tol,
        )
        return Bunch(states=states, n_iter=n_iter, converged=converged)

    def transform(self, X):
        """Auto-associative retrieval: the states after the update steps.

        Runs ``xi <- X^T softmax(beta_ z)`` (``X`` the stored patterns,
        unit-normalized for ``"cosine"``; the ``separation``'s weights in
        place of softmax) from each row for up to
        ``max_iter`` steps (see :meth:`retrieve` for iteration counts).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues; NaN marks a missing entry (a partial cue, see "Partial
            cues and imputation" in the user guide).

        Returns
        -------
        states : ndarray of shape (n_samples, n_features)
            Retrieved states, in the dtype of ``X``.
        """
        return self._retrieve(X, "transform").states

    def energy(self, X):
        """Energy of each row of ``X`` as a state, with no dynamics run.

        ``E(xi) = -lse(beta_, z) + 1/2 xi^T xi + ln(P)/beta_ + 1/2 M^2``
        (for another ``separation``, its Hopfield-Fenchel-Young energy
        ``-Omega*(beta_ z) / beta_ + 1/2 xi^T xi + H / beta_ + 1/2 M^2``,
        accurate to about ``eps / beta_`` in the internal units)
        with ``z_mu`` the similarity of ``xi`` to pattern ``mu`` (see
        ``similarity``) and ``M = max_norm_`` (for ``"euclidean"`` measured
        from the patterns' mean: see Notes).  The rows are taken as they are
        (for ``similarity="cosine"`` the dynamics start from unit-normalized
        cues, so compare with ``energy`` of those).  No update step of
        :meth:`transform` increases it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States; with missing entries (NaN), the marginal energy over
            the observed ones (see "Partial cues and imputation" in the user
            guide).

        Returns
        -------
        energy : ndarray of shape (n_samples,)
            In the dtype of ``X``, in the data's squared units.

        Raises
        ------
        ValueError
            When an energy is outside the range of the dtype (data whose
            squared scale overflows it, e.g. beyond about ``1e154`` in
            float64); predictions are not affected.
        """
        if self.similarity == "manhattan":
            raise ValueError(
                "similarity='manhattan' has no energy that its update step "
                "descends (its scores are not linear in the state); energy() "
                "is defined for 'euclidean', 'dot' and 'cosine'."
            )
        X = self._validated(X, "energy", as_states=True)
        # The energy keeps a second (rows, patterns) array for its log-sum-exp.
        E = self._split_batch(
            _energy_block,
            partial_energy_block,
            X,
            X.shape[1] + self.patterns_.shape[0],
            "energy",
        )
        xp = array_api_compat.array_namespace(E)
        if not bool(xp.all(xp.isfinite(E))):
            raise ValueError(
                f"The energies of X exceed the {X.dtype} range: they are in the "
                "data's squared units, and the data's scale "
                f"2**{self._memory.exponent} squared leaves the range. Rescale the "
                "data (e.g. with StandardScaler); predictions are not affected."
            )
        return E

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        # Missing entries (NaN) in cues and in stored rows: dense numpy only,
        # every separation and similarity, not learned memories (see
        # "Partial cues and imputation" in the user guide).
        tags.input_tags.allow_nan = True
        # Stored rows compute in any array API namespace (see docs/gpu.rst);
        # the manhattan scores (scipy's cdist) on numpy only.
        tags.array_api_support = self.similarity != "manhattan"
        return tags
