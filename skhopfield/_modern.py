"""The continuous modern Hopfield network: classifier and regressor.

Both are one memory (:class:`_BaseModernMemory`: storage, ``beta``, scores,
update steps, energy, all through the one engine) with two read-outs of the
same attention: one-hot labels (classes) or targets (real values).
"""

import threading
import time
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn import config_context
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    OneToOneFeatureMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.externals import array_api_compat
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._array_api import check_same_namespace, get_namespace_and_device
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
)

from ._batch import batch_retrieve, report, sharded_retrieve, sharding_active
from ._core import learned
from ._core.binary import blas_threads, in_main_thread, single_threaded_blas
from ._core.loo import (
    LEARN_GRID,
    best_beta,
    duplicate_groups,
    loo_block,
    squared_error,
)
from ._core.modern import (
    ModernMemory,
    SparseModernMemory,
    _device,
    _finfo,
    _hi,
    _idiv,
    _is_host,
    _ldexp,
    _move,
    _ns,
    _to_numpy,
    energy_from_lse,
    frame,
    iterate,
    lse_partials,
    make_memory,
    merge_lse,
    tile_rows,
    tile_shape,
    unit_rows,
)
from ._validation import (
    N_JOBS_CONSTRAINT,
    VERBOSE_CONSTRAINT,
    check_label_types,
    check_same_label_kind,
    drop_zero_weights,
    restore_on_error,
    update_classes,
    validate_data,
    whole_copies,
)

#: ``beta="auto"`` is this many times the inverse total variance of the
#: stored patterns (see the class docstring).
AUTO_BETA_SCALE = 20.0

#: With ``verbose >= 2``, a learned memory reports its optimizer's progress
#: every this many L-BFGS-B iterations.
PROGRESS_EVERY = 10

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
    :func:`skhopfield._core.modern.frame`): ``u = (x - center) / 2**k``,
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


def _tiles(n_rows, step):
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def _for_tiles(n_rows, n_patterns, dtype, work, blocks=False):
    """Call ``work(tile, buffer)`` for every cache-sized tile of rows.

    ``buffer`` is a reusable ``(rows, n_patterns)`` score buffer; with
    ``blocks``, ``(rows, width)``, ``width <= n_patterns`` (tiles of at
    least ``MIN_TILE_ROWS`` rows, for the pattern-blocked predict path).  When there
    is more than one tile and BLAS may use several threads, the tiles are
    shared out to that many Python threads instead (each with its own buffer,
    BLAS limited to one thread meanwhile), as scikit-learn's own pairwise
    reductions do: the elementwise passes run in parallel too, and no thread
    waits on a fork-join barrier inside every GEMM, which is what made the
    plain loop slower than brute KNN in float64 on a busy machine (see
    ``benchmarks/README.md``).  The CPU count used is the one BLAS
    was allowed, so ``n_jobs`` workers (which limit BLAS) do not
    oversubscribe; the tiles are then made equal and as many per thread.
    Each row's result is computed by one tile alone, so it
    does not depend on the tiling or the threads.

    Arrays of other namespaces (``dtype`` not a numpy dtype) are one tile with
    no buffer: their library parallelizes each operation on its device, and
    the rows were already cut to ``working_memory`` by the engine.
    """
    if not isinstance(dtype, np.dtype):
        if n_rows:
            work(slice(0, n_rows), None)
        return
    if blocks:
        step, width = tile_shape(n_patterns, dtype.itemsize)
    else:
        step, width = tile_rows(n_patterns, dtype.itemsize), n_patterns
    tiles = _tiles(n_rows, step)
    rows = tiles[0].stop - tiles[0].start if tiles else 0
    n_threads = min(len(tiles), blas_threads()) if len(tiles) > 1 else 1
    if not in_main_thread():
        # Already one of several parallel workers (joblib threads, dask
        # thread workers): no threads of our own, BLAS counts left alone.
        n_threads = 1
    if n_threads > 1:
        # As many equal tiles per thread (5 tiles on 2 threads keep one
        # thread busy for 3 while the other idles after 2): the count
        # rounded up to a multiple of the threads, the rows shared evenly.
        count = -(-len(tiles) // n_threads) * n_threads
        tiles = _tiles(n_rows, -(-n_rows // count))
        rows = tiles[0].stop - tiles[0].start
    if n_threads <= 1:
        buf = np.empty((rows, width), dtype)
        for tile in tiles:
            work(tile, buf)
        return
    local = threading.local()

    def run(tile):
        buf = getattr(local, "buf", None)
        if buf is None:
            buf = local.buf = np.empty((rows, width), dtype)
        work(tile, buf)

    with single_threaded_blas():
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(run, tiles))


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

    # Pattern blocks only on the one-step path: the update steps need whole rows.
    _for_tiles(n, P, Q.dtype, work, blocks=n_updates == 0)
    return _normalized(out, normalize, total)


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

    _for_tiles(n, P, Q.dtype, work)
    return states, n_iter, converged


def _energy_block(Q, *, memory, beta):
    n, P = Q.shape[0], memory.aug.shape[0]
    out = _empty(Q, n)

    def work(s, buf):
        out[s] = memory.data_energy(Q[s, ...], beta)

    _for_tiles(n, P, Q.dtype, work)
    return out


def _with_ones(T):
    """``[T | 1]``: the targets and a column of ones (the weights' sum), in
    ``T``'s namespace, device and dtype."""
    if isinstance(T, np.ndarray):
        return np.hstack([T, np.ones((len(T), 1))])
    xp = _ns(T)
    ones = xp.ones((T.shape[0], 1), dtype=T.dtype, device=_device(T))
    return xp.concat([T, ones], axis=1)


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


def _sharded_run(xi, memory, owner, beta, n_steps, tol, verbose, label):
    """``memory.run`` on a sharded memory: one round trip per update step."""
    if sp.issparse(xi):
        xi = xi.toarray()  # the states after a step are dense anyway
    steps = iter(range(1, n_steps + 1))

    def step(S):
        where = f"{label} step {next(steps)}"
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
        "similarity": [StrOptions({"dot", "euclidean", "cosine"})],
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
        memory = make_memory(patterns, self.similarity, weights=weights)
        beta, scaled_beta = self._resolve_beta(memory, **fitted)
        _check_magnitude(memory, 1.0, scaled_beta, memory.aug)
        # Self-check, as the binary memories do, on an evenly spaced sample of
        # at most SELF_CHECK_SIZE stored patterns (bounded cost at any P).
        probe = np.unique(
            np.linspace(0, patterns.shape[0] - 1, SELF_CHECK_SIZE).astype(int)
        )
        _, n_iter, _ = _transform_block(
            _take_rows(patterns, probe),
            memory=memory,
            beta=scaled_beta,
            n_steps=self.max_iter,
            tol=self.tol,
        )
        for name, value in fitted.items():
            setattr(self, name, value)
        self._keep_memory(patterns, None, weights, memory)
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
                memory = make_memory(patterns, similarity, weights=weights)
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
        total_var = memory.total_variance()
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
        )
        if sp.issparse(X) and hasattr(self, "_learned_mode"):
            X = X.toarray()  # a learned memory (dense prototypes, a map)
        memory = self._memory.like(X)
        if self.similarity == "cosine" and not as_states:
            extent = 1.0  # the dynamics start from the unit-normalized cues
        else:
            extent = memory.extent(X)
        _check_magnitude(memory, extent, self._scaled_beta, X)
        return X

    def _batch(self, block_func, X, n_out, what, **params):
        """Run ``block_func`` over the validated cues ``X`` through the engine.

        The block gets the memory in the cues' dtype and ``beta_``; ``n_out``
        is the width of its per-row output, for the working-memory bound: an
        honest upper bound per cue row is a row of scores over all patterns,
        the start state, the state and its update, and the outputs (the block
        functions walk rows in cache-sized tiles, so they use less than this
        when a chunk holds many rows).
        """
        memory = self._memory.like(X)
        beta = self._scaled_beta
        host = _is_host(X)
        # The fitted memory and the per-pattern arrays travel to dask workers
        # once per fitted model and cue dtype (see ``batch_retrieve``).
        owner = (self._memory, X.dtype.str if host else str(X.dtype))
        shared = {k: v for k, v in params.items() if isinstance(v, np.ndarray)}
        # (the patterns as stored stay here: retrieval reads the layout only)
        shared["memory"] = memory.for_retrieval()
        verbose = {"verbose": self.verbose, "label": f"{type(self).__name__}.{what}"}
        # (A memory with a learned map scores through it: not sharded, yet;
        # nor are arrays of other namespaces, which stay on their device.)
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
        return self._batch(
            _readout_block,
            X,
            values.shape[1],
            what,
            values=values,
            n_updates=self.max_iter - 1,
            tol=self.tol,
            normalize=normalize,
            total=total,
        )

    def retrieve(self, X):
        """Run the update steps from each row of ``X`` and report how it went.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues.

        Returns
        -------
        result : :class:`~sklearn.utils.Bunch`
            ``states`` (n_samples, n_features) the states after up to
            ``max_iter`` steps; ``n_iter`` (n_samples,) steps run per row;
            ``converged`` (n_samples,) True where the last step moved the
            state by at most ``tol * max_norm_``.
        """
        return self._retrieve(X, "retrieve")

    def _retrieve(self, X, what):
        X = self._validated(X, what)
        states, n_iter, converged = self._batch(
            _transform_block,
            X,
            2 * X.shape[1],
            what,
            n_steps=self.max_iter,
            tol=self.tol,
        )
        return Bunch(states=states, n_iter=n_iter, converged=converged)

    def transform(self, X):
        """Auto-associative retrieval: the states after the update steps.

        Runs ``xi <- X^T softmax(beta_ z)`` (``X`` the stored patterns, unit-normalized for ``"cosine"``) from each row for up to
        ``max_iter`` steps (see :meth:`retrieve` for iteration counts).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues.

        Returns
        -------
        states : ndarray of shape (n_samples, n_features)
            Retrieved states, in the dtype of ``X``.
        """
        return self._retrieve(X, "transform").states

    def energy(self, X):
        """Energy of each row of ``X`` as a state, with no dynamics run.

        ``E(xi) = -lse(beta_, z) + 1/2 xi^T xi + ln(P)/beta_ + 1/2 M^2``
        with ``z_mu`` the similarity of ``xi`` to pattern ``mu`` (see
        ``similarity``) and ``M = max_norm_`` (for ``"euclidean"`` measured
        from the patterns' mean: see Notes).  The rows are taken as they are
        (for ``similarity="cosine"`` the dynamics start from unit-normalized
        cues, so compare with ``energy`` of those).  No update step of
        :meth:`transform` increases it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States.

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
        X = self._validated(X, "energy", as_states=True)
        # The energy keeps a second (rows, patterns) array for its log-sum-exp.
        E = self._batch(
            _energy_block, X, X.shape[1] + self.patterns_.shape[0], "energy"
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
        # Stored rows compute in any array API namespace (see docs/gpu.rst).
        tags.array_api_support = True
        return tags


class ModernHopfieldClassifier(ClassifierMixin, _BaseModernMemory):
    """Continuous modern Hopfield network (Ramsauer et al. 2020).

    Stores real-valued patterns and their labels.  A state ``xi`` is updated
    by attention over the stored patterns, ``xi <- X^T softmax(beta z)`` with
    ``z_mu`` the similarity of ``xi`` to pattern ``mu``; the same attention
    weights applied to the one-hot labels of the stored patterns are the class
    probabilities.  Small ``beta`` averages over all patterns (the global,
    metastable state); large ``beta`` retrieves the single most similar
    pattern, so the classifier becomes 1-nearest-neighbour; in between it is
    a soft, kernel-weighted vote.

    Parameters
    ----------
    beta : float, "auto" or "learn", default="auto"
        Inverse temperature, ``> 0``.  ``"learn"`` trains it (see
        *Learned memories* in the Notes), starting from the ``"auto"``
        value.  ``"auto"`` uses ``beta_ = 20 / v``
        with ``v = sum_j Var(X[:, j])`` the total variance of the stored
        patterns (of the unit-normalized patterns for ``"cosine"``), so the
        default follows the scale of the data: with ``"euclidean"`` the
        attention is the Gaussian kernel ``exp(-10 ||x^mu - xi||^2 / v)``, and
        a pattern at the average squared distance of two random patterns,
        ``2 v``, weighs ``e^-20`` of one at the cue itself: a local, soft
        vote among the nearest patterns.  Measured in
        ``benchmarks/README.md`` (standardized data, 5-fold CV), the
        default is within 0.2 points of the best searched ``beta`` on digits,
        wine and breast cancer.  Any float can be set or grid-searched
        instead; the value used is ``beta_``.  ``"auto"`` is computed on the
        patterns rescaled by a power of two (see Notes), so it is exact at
        any scale float64 holds; when all stored patterns are equal (``v =
        0``, every pattern scores the same) it falls back to ``beta_ = 1``.
    similarity : {"euclidean", "dot", "cosine"}, default="euclidean"
        How a state is compared with the stored patterns inside the softmax.

        - ``"euclidean"``: ``z_mu = -||x^mu - xi||^2 / 2`` (up to a term
          equal for all patterns), i.e. the dot product plus the per-pattern
          offset ``-||x^mu||^2 / 2``.  The default: patterns with a large norm
          do not win attention merely for being large, which costs the raw
          dot product 7.5 points of accuracy against KNN on standardized
          digits (nested CV: 0.902 against 0.977; euclidean 0.970); the
          energy and its never-rising guarantee carry over, :meth:`transform`
          retrieves states in the data space, tiny ``beta`` gives the mean of
          the stored patterns and huge ``beta`` exactly 1-nearest-neighbour.
        - ``"dot"``: ``z_mu = x^mu . xi``, the paper's ``beta X xi``.
        - ``"cosine"``: the dot product of unit-normalized patterns with a
          cue normalized to unit length before the first step; later states
          are convex combinations of unit patterns and are not renormalized
          (so the CCCP guarantee holds), and :meth:`transform` returns them
          in that normalized space.  For classification it measured 0.1 to
          0.4 points better than ``"euclidean"`` on the three benchmark data
          sets (its useful ``beta`` are larger: scores lie in ``[-1, 1]``).
    max_iter : int, default=1
        Update steps.  :meth:`transform` runs up to ``max_iter`` steps from
        each cue and returns the state reached.  :meth:`predict_proba` runs
        ``max_iter - 1`` state updates and then reads the labels with the
        attention of the final, ``max_iter``-th step: with the default
        ``max_iter=1`` the class probabilities are the attention of the cue
        itself, one matrix product (Ramsauer et al. show one step usually
        suffices).
    tol : float, default=1e-4
        A row stops early once one update step moves its state by at most
        ``tol * M`` (Euclidean norm, ``M = max_norm_``).
    prototypes_per_class : int, array-like of int or None, default=None
        ``None`` stores every training row (no training unless ``beta="learn"``
        or ``n_components`` is set).  An int ``k``, or one int per class in the
        order of ``classes_``: store ``k`` patterns per class, learned (see
        *Learned memories*); a class with fewer distinct rows gets one
        pattern per distinct row.
    n_components : int or None, default=None
        Dimension of a learned linear association space: a map ``W``
        (``components_``, ``n_features -> n_components``) applied to cues and
        stored patterns alike before the similarity, the Hopfield layer's
        key/query projection.  Initialized by PCA, then trained.  At most
        ``n_features``.
    alpha : float, default=3e-3
        Strength of the L2 penalty on the logit scale of learned prototypes,
        ``alpha / 2 * v * beta^2 * mean_mu ||W (x^mu - m)||^2`` (``m`` the
        training mean, the origin for ``"dot"``; ``v`` the total variance of
        the mapped training rows, unit-normalized for ``"cosine"``, which
        makes it scale-free; ``W`` the
        identity without ``n_components``): weight decay on the linear logit
        differences that the prototypes define, as in logistic regression.
        Without it the training set, once separable, drives ``beta`` and the
        prototypes apart without bound and accuracy drops (breast cancer,
        5-fold, one prototype per class: 95.4% with ``alpha=0``, 98.2% with
        the default).  Ignored with ``prototypes_per_class=None``, whose
        leave-one-out loss is already a held-out one.
    max_fit_iter : int, default=200
        Iteration limit of the L-BFGS-B training of a learned memory.
    fit_tol : float, default=1e-5
        Tolerance of that training (on the relative decrease of the loss and
        on the projected gradient, as scipy's ``tol``).
    random_state : int, RandomState instance or None, default=None
        Seeds the per-class k-means that places the initial prototypes.
    n_jobs : int, default=None
        Number of joblib workers for batch retrieval; ``None`` means 1 unless
        in a ``joblib.parallel_config`` context, ``-1`` means all processors.
        Results do not depend on it, nor on ``working_memory``: predictions
        are identical, real-valued outputs agree to floating-point rounding
        (BLAS sums in an order that depends on the block's shape).
    verbose : int, default=0
        Progress messages on standard output; none at 0.  At 1, one line per
        fit and per batch (prediction, retrieval, energy) with its size and
        time.  At 2 and more, also a line as each chunk of a batch completes
        (rows done, rate, time left), with any ``n_jobs``, and for a learned
        memory the optimizer's loss every 10 L-BFGS-B iterations.

    Attributes
    ----------
    patterns_ : ndarray of shape (n_patterns, n_features)
        The stored patterns as given, in the dtype they were given (float32
        or float64); the network keeps a second copy in its frame (see
        Notes).
    pattern_labels_ : ndarray of shape (n_patterns,)
        Label of each stored pattern.
    pattern_weights_ : ndarray of shape (n_patterns,)
        Prior weight of each stored pattern (the ``sample_weight`` of
        :meth:`fit`, all 1 without it, and for learned memories); see Notes.
    classes_ : ndarray of shape (n_classes,)
        Sorted class labels.
    beta_ : float
        The inverse temperature used (``beta``, or its ``"auto"`` value), in
        the data's units.  With ``"auto"`` on data whose scale is beyond
        about ``1e-154`` or ``1e154`` its value ``20 / v`` leaves the float64
        range and ``beta_`` reads ``inf`` or ``0``; the computations use
        ``beta_`` times the squared scale of the data (see Notes), which is
        exact, so predictions are unaffected.
    max_norm_ : float
        ``M``, the largest norm of the stored patterns as the dynamics see
        them: unit-normalized for ``"cosine"``; for ``"euclidean"`` measured
        from the patterns' mean (the similarity is translation invariant,
        and so are ``M``, the energy and ``tol``); from the origin for
        ``"dot"``.  Enters the energy and ``tol``.
    components_ : ndarray of shape (n_components, n_features)
        The learned map ``W`` into the association space (only when
        ``n_components`` is set).
    n_iter_ : int
        For a learned memory: L-BFGS-B iterations of the last training (at
        least 1: the first evaluation counts).  Otherwise: update steps that
        the fit self-check needed at most: :meth:`fit` runs
        :meth:`transform`'s dynamics from an evenly spaced sample of at most
        64 stored patterns; 1 when one step moves each by at most
        ``tol * max_norm_`` (``max_iter`` when some sample row did not settle).
        Per-query counts are in the result of :meth:`retrieve`.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when ``X`` has string
        feature names.

    See Also
    --------
    HopfieldMemory : Classical binary Hopfield network.
    sklearn.neighbors.KNeighborsClassifier : The hard-vote counterpart.

    Notes
    -----
    Energy of a state ``xi`` (row of :meth:`energy`):
    ``E = -lse(beta, z) + 1/2 xi^T xi + ln(P)/beta + 1/2 M^2`` with
    ``lse(beta, z) = log(sum_mu exp(beta z_mu)) / beta``.  An update step is
    the concave-convex procedure step on ``E``, so no step increases it.
    For ``"euclidean"`` the first three terms equal
    ``-log(mean_mu exp(-beta ||x^mu - xi||^2 / 2)) / beta``, translation
    invariant, and ``M`` is measured from the patterns' mean: the energy is
    Ramsauer et al.'s with the constant ``1/2 M^2`` shifted by
    ``1/2 (M_origin^2 - M^2)`` (``M_origin`` the largest norm from the
    origin), so that it is the same for data translated anywhere, and still
    ``>= 0``.

    The dynamics run in the stored patterns' own frame: ``u = (x - c) /
    2**k``, with ``c`` the patterns' mean for ``"euclidean"`` (0 for
    ``"dot"``, which is not translation invariant, and ``"cosine"``) and
    ``2**k`` the power of two just above the patterns' largest ``|x - c|``
    (1 for ``"cosine"``); ``beta`` becomes ``beta 4**k``.  Cues are mapped
    the same way (one pass over them), and :meth:`transform`, :meth:`energy`
    (times ``4**k``) and ``patterns_`` are in the data's coordinates.  So
    float32 data far from the origin keep their digits (on data offset by
    ``1e4`` float32 predicts as in float64, where ``q . x - ||x||^2 / 2``
    in the data's coordinates cancelled to chance), and data of any scale
    that float64 holds give the predictions they give at scale 1 (``"dot"``
    and ``"euclidean"`` with ``beta="auto"``; ``"cosine"`` at any
    ``beta``).  What cannot be computed is refused: a cue so far from the
    stored patterns, or a ``beta 4**k`` so large, that the scores would
    overflow the dtype, and energies whose value (in the data's squared
    units) overflows it.  A ``beta 4**k`` below the range of the dtype
    (e.g. ``1e-50`` in float32) is its ``beta -> 0`` limit: uniform
    attention, and the energy's limit ``-mean_mu z_mu + 1/2 xi^T xi + 1/2
    M^2``, which :meth:`energy` computes without dividing by ``beta``.
    Everything is computed with a bound or the row maximum subtracted
    before ``exp``, so any ``beta`` from ``1e-6`` to ``1e6`` in the data's
    units is finite and warning-free; the row maximum, where the bound is
    too loose (a large ``beta``), comes from the same matrix product, so
    :meth:`predict` scores each cue against the patterns once at any
    ``beta``.

    Sparse input (``scipy.sparse``, stored as CSR) is accepted for the
    stored patterns and for the cues of every method.  Sparse patterns stay
    sparse: each tile of cues is scored with a sparse product (memory
    bounded by the engine's chunks, as for dense input); they are not
    centered (that would fill in the zeros), which changes the euclidean
    results only by rounding, for data whose offset from the origin is not
    huge next to their spread.  States after an update step are dense, and
    :meth:`transform` returns a dense array.  A learned memory densifies
    sparse input.

    Under ``sklearn.config_context(array_api_dispatch=True)`` (with
    ``SCIPY_ARRAY_API=1``) the network computes in the namespace and on the
    device of its input, e.g. torch tensors on a GPU, and returns arrays of
    that namespace and device; ``n_jobs`` then does not apply (the library
    parallelizes on the device) and ``working_memory`` still bounds each
    chunk.  Learned memories and sparse input are numpy only.  See the
    "Running on a GPU" page of the documentation.

    Sample weights are a prior on the stored patterns: ``log w_mu`` is
    added to the scores ``beta z_mu``, so the attention is proportional to
    ``w_mu exp(beta z_mu)``, and the energy's ``lse`` and ``ln P`` become
    ``log(sum_mu w_mu exp(beta z_mu)) / beta`` and ``ln(sum_mu w_mu)``.
    Storing a pattern with weight 2 is the same network as storing it twice
    (predictions identical, probabilities, states and energies equal to
    rounding); weight 0 drops it.  Only the ratios of the weights matter to
    the dynamics.

    float32 input is computed in float32 and returned as float32; float64
    as float64.  Cues of a different dtype than the stored patterns are
    computed in the cue's dtype.

    Prediction is the cues' map to the frame, then one GEMM ``cues @
    patterns^T`` per tile of cues, the row
    maximum subtracted and ``exp`` taken in place, then a small GEMM with the
    one-hot label matrix; tiles are about 16 MiB of scores so they stay in
    cache between the passes, and are shared out to as many threads as BLAS
    may use (BLAS single-threaded meanwhile).  Batches are cut by the shared engine to fit
    ``sklearn.get_config()["working_memory"]`` and spread over ``n_jobs``.

    **Learned memories.**  With ``prototypes_per_class``, ``beta="learn"`` or
    ``n_components``, :meth:`fit` trains the memory to minimize the mean
    cross-entropy of :meth:`predict_proba` on the training rows,
    ``-1/n sum_i log p_{y_i}(x_i)``, with L-BFGS-B on the analytic gradient
    (``max_fit_iter``, ``fit_tol``): the stored patterns (started at
    per-class k-means centres), ``log beta`` (with ``"learn"``; kept within
    ``[1e-6, 1e6]``) and the map ``W`` (started at the PCA axes), plus the
    L2 penalty of ``alpha`` on learned prototypes.  With
    ``prototypes_per_class=None`` every training row is stored and the loss
    is the leave-one-out one (a row never attends to itself); then only
    ``beta`` and ``W`` are learned, through row chunks cut to
    ``working_memory`` (no ``(n, n)`` matrix in one piece).  The learned
    ``patterns_``, ``pattern_labels_``, ``beta_`` and ``components_`` *are*
    the memory: :meth:`predict_proba`, :meth:`transform`, :meth:`energy`
    and the update steps use them as they use stored rows, at a cost of
    ``C k`` patterns per cue instead of ``n``.

    With euclidean similarity and no map this is robust soft learning vector
    quantization (Seo & Obermayer 2003); with every row stored and ``W``
    learned it is neighbourhood components analysis (Goldberger et al.
    2004) with the soft-vote read-out; in general it is the Hopfield layer
    with learned stored patterns and a learned query/key projection
    (Ramsauer et al.).  With ``n_components`` the states stay in the input
    space and the similarity is taken in the association space: ``z_mu`` is
    the similarity of ``W xi`` to ``W x^mu``, an update step is ``xi <-
    patterns_^T softmax(beta_ z)`` (a convex combination of the stored
    patterns), so :meth:`transform` returns input-space states of shape
    ``(n_samples, n_features)``; :meth:`energy` is
    ``-lse(beta, z) + 1/2 ||W xi - c||^2 + ln(P)/beta + 1/2 M^2`` with
    ``c`` the mean of the ``W x^mu`` for ``"euclidean"`` (the origin
    otherwise) and ``M`` the largest ``||W x^mu - c||`` (``max_norm_``): in
    the association space the step is the plain network's step on the
    mapped patterns, so the CCCP argument holds and no update step raises
    it.  ``tol`` is then compared with the input-space step.  For
    ``"cosine"`` the cue is scaled so that ``W xi`` has unit norm before the
    first step.  Training runs in the batch's own frame (centered for
    ``"euclidean"``, scaled by a power of two, exactly), so data at any
    scale float64 holds train as at scale 1, and ``beta_`` follows the
    scale as ``"auto"`` does.

    :meth:`partial_fit` of a learned memory continues training from the
    current memory on the new batch alone (warm start; ``beta`` and ``W``
    too), after giving classes seen for the first time their own k-means
    prototypes; with ``prototypes_per_class=None`` the batch's rows are
    appended and ``beta``/``W`` trained on their leave-one-out loss against
    everything stored.

    References
    ----------
    H. Ramsauer, B. Schäfl, J. Lehner, P. Seidl, M. Widrich, T. Adler,
    L. Gruber, M. Holzleitner, M. Pavlović, G. K. Sandve, V. Greiff,
    D. Kreil, M. Kopp, G. Klambauer, J. Brandstetter, S. Hochreiter (2020).
    Hopfield Networks is All You Need. arXiv:2008.02217 (ICLR 2021).

    S. Seo, K. Obermayer (2003). Soft learning vector quantization. Neural
    Computation 15(7), 1589-1604.

    J. Goldberger, S. Roweis, G. Hinton, R. Salakhutdinov (2004).
    Neighbourhood components analysis. NeurIPS 17.

    D. Krotov, J. J. Hopfield (2016). Dense associative memory for pattern
    recognition. NeurIPS.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skhopfield import ModernHopfieldClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), ModernHopfieldClassifier())
    >>> clf.fit(X[::2], y[::2]).score(X[1::2], y[1::2]) > 0.9
    True
    >>> proba = clf.predict_proba(X[1::2])
    >>> proba.shape, bool(abs(proba.sum(axis=1) - 1).max() < 1e-12)
    ((75, 3), True)

    A learned memory of two patterns per class:

    >>> learned = make_pipeline(
    ...     StandardScaler(),
    ...     ModernHopfieldClassifier(prototypes_per_class=2, beta="learn", random_state=0),
    ... )
    >>> learned.fit(X[::2], y[::2]).score(X[1::2], y[1::2]) > 0.9
    True
    >>> learned[-1].patterns_.shape
    (6, 4)
    """

    _parameter_constraints: dict = {
        "beta": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto", "learn"}),
        ],
        "similarity": [StrOptions({"dot", "euclidean", "cosine"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "prototypes_per_class": [
            Interval(Integral, 1, None, closed="left"),
            "array-like",
            None,
        ],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_fit_iter": [Interval(Integral, 1, None, closed="left")],
        "fit_tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": VERBOSE_CONSTRAINT,
    }

    def __init__(
        self,
        beta="auto",
        *,
        similarity="euclidean",
        max_iter=1,
        tol=1e-4,
        prototypes_per_class=None,
        n_components=None,
        alpha=3e-3,
        max_fit_iter=200,
        fit_tol=1e-5,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.beta = beta
        self.similarity = similarity
        self.max_iter = max_iter
        self.tol = tol
        self.prototypes_per_class = prototypes_per_class
        self.n_components = n_components
        self.alpha = alpha
        self.max_fit_iter = max_fit_iter
        self.fit_tol = fit_tol
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- storing ----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Store the rows of ``X`` as patterns with labels ``y``, or learn a memory.

        With ``prototypes_per_class``, ``beta="learn"`` or ``n_components``
        the memory is trained on ``(X, y)`` (see *Learned memories* in the
        class notes).

        A failed fit (invalid input or parameters) raises and leaves the
        classifier as it was: fitted with its previous patterns, or unfitted.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_patterns, n_features)
            Patterns (float32 is kept as float32).  A ``scipy.sparse``
            matrix is stored as CSR and stays sparse (see Notes).
        y : array-like of shape (n_patterns,)
            Labels: all numbers or all strings (a mix is refused, as is NaN).
        sample_weight : array-like of shape (n_patterns,), default=None
            Non-negative prior weight of each pattern (``None``: all 1).
            The attention becomes ``w_mu exp(beta z_mu) / sum_nu w_nu
            exp(beta z_nu)``: a weight of 2 attracts exactly as the pattern
            stored twice, and a weight of 0 drops the pattern (it is not
            stored).  ``beta="auto"`` uses the weighted variance.  A learned
            memory takes whole numbers only, counting a row ``k`` times in
            the loss (prototypes train on the rows in a canonical order, so
            the result does not depend on how they were ordered).

        Returns
        -------
        self : object
            The fitted memory.
        """
        with restore_on_error(self):
            # What a learned fit sets beyond the stored memory: gone unless
            # this fit sets it again.
            for attr in ("components_", "_components64", "_learned_mode"):
                if hasattr(self, attr):
                    delattr(self, attr)
            return self._store(
                X, y, classes=None, reset=True, sample_weight=sample_weight
            )

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Store more patterns, keeping those already stored.

        ``fit(A)`` then ``partial_fit(B)`` gives the same memory as
        ``fit(A ∪ B)`` (with ``beta="auto"`` re-resolved over all patterns).
        A learned memory instead continues training from its current state
        on ``(X, y)`` (see *Learned memories* in the class notes).
        Labels must be of the same kind (strings or numbers) as those stored
        before; a failed call raises and leaves the classifier as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_patterns, n_features)
            New patterns.
        y : array-like of shape (n_patterns,)
            Their labels.  New labels add new classes.
        classes : array-like of shape (n_classes,), default=None
            All classes that will ever be seen; optional.  When given, it
            fixes ``classes_`` and every label must belong to it.
        sample_weight : array-like of shape (n_patterns,), default=None
            Prior weights of the new patterns, as in :meth:`fit`.

        Returns
        -------
        self : object
            The updated memory.
        """
        with restore_on_error(self):
            return self._store(
                X,
                y,
                classes=classes,
                reset=not hasattr(self, "patterns_"),
                sample_weight=sample_weight,
            )

    def _store(self, X, y, classes, reset, sample_weight=None):
        # Always, not only on the first call: set_params may have changed a
        # parameter since (partial_fit and retrieval read them).
        self._validate_params()
        start = time.perf_counter()
        # Labels and weights are bookkept on the host (a few numbers per
        # pattern); under array API dispatch the patterns and all the work
        # stay in X's namespace, on its device.
        y, classes, sample_weight = _host(y), _host(classes), _host(sample_weight)
        check_label_types(y)
        xp, _, dev = get_namespace_and_device(X)
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[xp.float64, xp.float32],
            y_numeric=False,
            accept_sparse="csr",
        )
        check_classification_targets(y)
        y = np.asarray(y)
        host = _is_host(X)
        if not reset:
            check_same_label_kind(y, _host(self.pattern_labels_))
        if not host and self._learns():
            raise ValueError(
                "Learned memories (prototypes_per_class, beta='learn', "
                "n_components) train with numpy and scipy only: fit them on "
                "numpy arrays, without array API dispatch."
            )
        X, y, weights = self._positive_rows(X, y, sample_weight, reset)
        if self._learns():
            # Learned memories train on dense rows, and take whole-number
            # weights as repeated rows: the mean loss over the repeated rows
            # is the weighted mean loss.
            if (weights != np.round(weights)).any():
                raise ValueError(
                    "A learned memory (prototypes_per_class, beta='learn' or "
                    "n_components) takes whole-number sample weights only: a "
                    "weight k counts the row k times in the loss. Round the "
                    "weights, or store without learning."
                )
            if not (weights == 1).all():
                copies = whole_copies(weights, X.shape[1], "A learned memory")
                rows = np.repeat(np.arange(X.shape[0]), copies)
                X, y = X[rows], y[rows]
            if sp.issparse(X):
                X = X.toarray()
            if self.prototypes_per_class is not None:
                # Prototypes: train on the rows in one canonical order, so
                # that the k-means start and the loss's sums do not depend on
                # how the rows were ordered (weight k == k copies anywhere).
                _, y_rank = np.unique(y, return_inverse=True)
                order = np.lexsort((*np.asarray(X).T[::-1], y_rank))
                X, y = X[order], y[order]
        patterns = self._stacked(X, reset)
        labels = y if reset else np.concatenate([_host(self.pattern_labels_), y])
        # update_classes reads the fitted classes_: on the host, as the labels
        fitted = SimpleNamespace(
            _classes_fixed=getattr(self, "_classes_fixed", False),
            classes_=_host(getattr(self, "classes_", None)),
        )
        classes, fixed = update_classes(fitted, labels, y, classes, reset)
        self._classes_fixed = fixed
        if self._learns():
            return self._train(X, y, classes, reset, start)
        if not reset:
            weights = np.concatenate([_host(self.pattern_weights_), weights])
        if not host and labels.dtype.kind in "biuf":
            # as scikit-learn's array API classifiers: numeric labels in X's
            # namespace, on its device (strings stay numpy)
            labels = xp.asarray(labels, device=dev)
            classes = xp.asarray(classes, device=dev)
        # The fitted state is plain arrays and builtins (safe to persist with
        # skops.io): the scoring layout is rebuilt from them when needed.
        self._set_memory(
            patterns, weights=weights, pattern_labels_=labels, classes_=classes
        )
        self._report_fit(reset, start, X.shape[0], f"{classes.shape[0]} classes")
        return self

    # -- learning ---------------------------------------------------------------------
    def _learns(self):
        """Whether fit trains the memory (see "Learned memories" in the docstring)."""
        return (
            self.prototypes_per_class is not None
            or self.beta == "learn"
            or self.n_components is not None
        )

    def _mode(self):
        return (self.prototypes_per_class is None, self.n_components, self.similarity)

    def _per_class(self, classes, present):
        """Class index -> prototypes wanted, for the class indices ``present``."""
        k = self.prototypes_per_class
        if isinstance(k, Integral):
            return {int(c): int(k) for c in present}
        k = np.asarray(k)
        if k.shape != (len(classes),) or k.dtype.kind not in "iu" or (k < 1).any():
            raise ValueError(
                "prototypes_per_class must be a positive int or one positive int "
                f"per class ({len(classes)} classes, in the order of classes_), got "
                f"{self.prototypes_per_class!r}."
            )
        return {int(c): int(k[c]) for c in present}

    def _train(self, X, y, classes, reset, start):
        """Fit or continue training a learned memory on the batch ``(X, y)``."""
        label = f"{type(self).__name__}.{'fit' if reset else 'partial_fit'}"

        def progress(iteration, loss):
            if iteration % PROGRESS_EVERY == 0:
                report(
                    self.verbose,
                    label,
                    f"L-BFGS-B iteration {iteration}: loss {loss:.6g}, "
                    f"{time.perf_counter() - start:.2f} s",
                )

        if self.n_components is not None:
            if self.n_components > X.shape[1]:
                raise ValueError(
                    f"n_components={self.n_components} must be at most "
                    f"n_features={X.shape[1]}."
                )
        if not reset and getattr(self, "_learned_mode", None) != self._mode():
            raise ValueError(
                "partial_fit continues training the memory learned by fit with the "
                "same prototypes_per_class (None or not), n_components and "
                "similarity; these changed since. Call fit instead."
            )
        dtype = X.dtype if reset else self.patterns_.dtype
        # Train in the batch's own frame (centered for "euclidean", scaled by
        # a power of two, exactly; see _core.modern.frame), so that data at
        # any scale float64 holds trains as at scale 1; beta scales as 4**k.
        # ("cosine" is scale free: its rows are scaled too, for the PCA and
        # k-means, but its beta is not.)
        cosine = self.similarity == "cosine"
        center0, k = frame(
            np.asarray(X, dtype=np.float64), "dot" if cosine else self.similarity
        )
        kb = 0 if cosine else k
        Xf = learned.to_frame(X, center0, k)
        y_idx = np.searchsorted(classes, y)
        rng = check_random_state(self.random_state)
        store_rows = self.prototypes_per_class is None
        if reset:
            components = (
                None
                if self.n_components is None
                else learned.pca_components(Xf, self.n_components)
            )
            if store_rows:
                V, v_idx = Xf, y_idx
            else:
                per_class = self._per_class(classes, np.unique(y_idx))
                V, v_idx = learned.kmeans_prototypes(Xf, y_idx, per_class, rng)
            if isinstance(self.beta, str):
                mapped = Xf if components is None else Xf @ components.T
                if self.similarity == "cosine":
                    mapped = unit_rows(mapped)
                total_var = float(np.var(mapped, axis=0).sum())
                beta = AUTO_BETA_SCALE / total_var if total_var > 0 else 1.0
            else:
                beta = float(_ldexp(float(self.beta), 2 * kb))
            self_index = np.arange(len(Xf)) if store_rows else None
        else:
            components = getattr(self, "components_", None)
            if components is not None:
                components = components.astype(np.float64)
            V = learned.to_frame(self.patterns_, center0, k)
            v_idx = np.searchsorted(classes, self.pattern_labels_)
            if isinstance(self.beta, str):
                # the current internal beta, moved from the memory's frame
                beta = float(_ldexp(self._scaled_beta, 2 * (kb - self._memory.exponent)))
            else:
                beta = float(_ldexp(float(self.beta), 2 * kb))
            if store_rows:
                self_index = len(V) + np.arange(len(Xf))
                V, v_idx = np.vstack([V, Xf]), np.concatenate([v_idx, y_idx])
            else:
                # Classes seen for the first time get their own prototypes.
                new = np.setdiff1d(np.unique(y_idx), v_idx)
                if new.size:
                    per_class = self._per_class(classes, new)
                    V_new, idx_new = learned.kmeans_prototypes(Xf, y_idx, per_class, rng)
                    V, v_idx = np.vstack([V, V_new]), np.concatenate([v_idx, idx_new])
                self_index = None
        mapped = Xf if components is None else Xf @ components.T
        if self.similarity == "cosine":
            mapped = unit_rows(mapped)
        scale = float(np.var(mapped, axis=0).sum()) if len(Xf) > 1 else 1.0
        V, components, beta, n_iter, converged = learned.train(
            Xf,
            y_idx,
            V,
            v_idx,
            beta,
            components=components,
            similarity=self.similarity,
            learn_patterns=not store_rows,
            learn_beta=self.beta == "learn",
            self_index=self_index,
            max_iter=self.max_fit_iter,
            tol=self.fit_tol,
            alpha=0.0 if store_rows else self.alpha,
            center=Xf.mean(axis=0),
            scale=scale if scale > 0 else 1.0,
            callback=progress if self.verbose >= 2 else None,
        )
        if not converged:
            warnings.warn(
                f"ModernHopfieldClassifier: L-BFGS-B stopped after max_fit_iter="
                f"{self.max_fit_iter} iterations without converging; increase "
                "max_fit_iter.",
                ConvergenceWarning,
            )
        # A copy: patterns_ must not alias the caller's array.
        if store_rows:
            patterns = X.copy() if reset else np.vstack([self.patterns_, X.astype(dtype)])
        else:
            patterns = learned.from_frame(V, center0, k).astype(dtype)
        self._keep_memory(patterns, components, None)
        memory = self._memory
        if components is not None:
            self.components_ = memory.components
        self.pattern_labels_ = classes[v_idx]
        self.classes_ = classes
        # beta in the data's units (inf or 0 beyond float64's range, as for
        # "auto"), and exactly in the memory's frame for the computations
        self.beta_ = float(_ldexp(beta, -2 * kb))
        self._scaled_beta = float(_ldexp(beta, 2 * (memory.exponent - kb)))
        self.max_norm_ = memory.data_max_norm
        _check_magnitude(memory, 1.0, self._scaled_beta, memory.aug)
        self.n_iter_ = max(n_iter, 1)
        self._learned_mode = self._mode()
        report(
            self.verbose,
            label,
            f"learned {len(patterns)} patterns x {patterns.shape[1]} features "
            f"({len(classes)} classes) from {len(X)} samples: {n_iter} L-BFGS-B "
            f"iterations in {time.perf_counter() - start:.2f} s; "
            f"beta_={self.beta_:.4g}",
        )
        return self

    # -- retrieving -------------------------------------------------------------------
    def _class_scores(self, X, normalize):
        check_is_fitted(self)
        labels, classes = self.pattern_labels_, self.classes_
        if isinstance(labels, np.ndarray):
            idx = np.searchsorted(_host(classes), labels)
            onehot = np.zeros((len(idx), len(classes)))
            onehot[np.arange(len(idx)), idx] = 1
        else:  # built where the labels are (the device), no transfer
            xp, dev = _ns(labels), _device(labels)
            idx = xp.searchsorted(_move(classes, labels), labels)
            columns = xp.arange(classes.shape[0], dtype=idx.dtype, device=dev)
            onehot = xp.astype(idx[:, None] == columns[None, :], _hi(labels))
        return self._readout(
            X,
            onehot,
            "sum" if normalize else None,
            "predict_proba" if normalize else "predict",
        )

    def predict_proba(self, X):
        """Hetero-associative retrieval: attention summed per class.

        After ``max_iter - 1`` state updates, the attention
        ``softmax(beta_ z)`` of the final step over the stored patterns,
        summed over the patterns of each class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        return self._class_scores(X, normalize=True)

    def predict(self, X):
        """The class with the largest attention (argmax of :meth:`predict_proba`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Predicted labels, elements of ``classes_``.
        """
        scores = self._class_scores(X, normalize=False)
        if isinstance(scores, np.ndarray):
            return _host(self.classes_)[np.argmax(scores, axis=1)]
        xp = _ns(scores)
        idx = xp.argmax(scores, axis=1)
        classes = self.classes_
        if isinstance(classes, np.ndarray):
            return classes[_host(idx)]  # string labels stay numpy
        return xp.take(_move(classes, scores), idx, axis=0)

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues.
        y : array-like of shape (n_samples,)
            True labels: all numbers or all strings.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy.
        """
        check_label_types(_host(y))
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The learned memories' training (L-BFGS-B, scipy) is numpy only.
        tags.array_api_support = not self._learns()
        return tags


class ModernHopfieldRegressor(RegressorMixin, _BaseModernMemory):
    """Continuous modern Hopfield network recalling real-valued targets.

    Stores pairs ``(x^mu, t^mu)`` of patterns and targets.  A cue ``xi`` is
    answered by the attention over the stored patterns applied to the
    targets, ``softmax(beta z(xi)) T``, ``z_mu`` the similarity of ``xi`` to
    pattern ``mu``: hetero-association with continuous values, the
    scikit-learn counterpart of :class:`~sklearn.neighbors.KNeighborsRegressor`.
    With the euclidean similarity this is Nadaraya-Watson kernel regression
    with the Gaussian kernel ``exp(-beta ||x^mu - xi||^2 / 2)`` (Nadaraya
    1964; Watson 1964); tiny ``beta`` predicts the mean target, huge
    ``beta`` the target of the nearest stored pattern (1-nearest-neighbour).
    Scores, update steps, :meth:`transform` and :meth:`energy` are those of
    :class:`ModernHopfieldClassifier`, whose read-out is the same attention
    applied to one-hot labels.

    Parameters
    ----------
    beta : float, "auto" or "learn", default="auto"
        Inverse temperature, ``> 0``.  ``"auto"`` is the classifier's rule,
        ``20 / v`` with ``v`` the total variance of the stored patterns.
        ``"learn"`` picks, among ``"auto"``'s value times
        ``10**linspace(-3, 3, 41)`` (ratio about 1.41 between neighbours),
        the ``beta`` of least leave-one-out squared error on the stored
        pairs: every stored pattern predicted from all the others (its
        identical copies left out with it), summed over the targets and
        averaged with the sample weights (one pass over the stored patterns in row chunks
        bounded by ``working_memory``, every candidate ``beta`` at once).
        With a single distinct stored pattern ``"learn"`` falls back to
        ``"auto"``.
        The value used is ``beta_``.
    similarity : {"euclidean", "dot", "cosine"}, default="euclidean"
        How a state is compared with the stored patterns, as for
        :class:`ModernHopfieldClassifier`.
    max_iter : int, default=1
        Update steps.  :meth:`predict` runs ``max_iter - 1`` updates of the
        cue in the pattern space, ``xi <- X^T softmax(beta z(xi))``, then
        reads the targets with the attention of the final step; the default
        reads them with the attention of the cue itself (plain kernel
        regression).  :meth:`transform` runs up to ``max_iter`` steps.
    tol : float, default=1e-4
        A row stops early once one update step moves its state by at most
        ``tol * M`` (Euclidean norm, ``M = max_norm_``).
    n_jobs : int, default=None
        Number of joblib workers for batch retrieval; ``None`` means 1 unless
        in a ``joblib.parallel_config`` context, ``-1`` means all processors.
        Results do not depend on it, nor on ``working_memory``, beyond
        floating-point rounding.
    verbose : int, default=0
        Progress messages on standard output; none at 0.  At 1, one line per
        fit and per batch (prediction, retrieval, energy, and the
        leave-one-out pass of ``beta="learn"``) with its size and time.  At 2
        and more, also a line as each chunk of a batch completes (rows done,
        rate, time left), with any ``n_jobs``.

    Attributes
    ----------
    patterns_ : ndarray of shape (n_patterns, n_features)
        The stored patterns, in the dtype they were given (float32 or
        float64).
    targets_ : ndarray of shape (n_patterns,) or (n_patterns, n_outputs)
        The stored targets (float64), as given.
    pattern_weights_ : ndarray of shape (n_patterns,)
        Prior weight of each stored pair (the ``sample_weight`` of
        :meth:`fit`, all 1 without it); see Notes.
    n_outputs_ : int
        Number of targets per pattern.
    beta_ : float
        The inverse temperature used, in the data's units (as for
        :class:`ModernHopfieldClassifier`, the computations run in the
        stored patterns' frame with ``beta_`` rescaled to it).
    max_norm_ : float
        ``M``, as for :class:`ModernHopfieldClassifier`; enters the energy
        and ``tol``.
    n_iter_ : int
        Update steps that the fit self-check needed at most (see
        :class:`ModernHopfieldClassifier`).
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when ``X`` has string
        feature names.

    See Also
    --------
    ModernHopfieldClassifier : The same memory reading out class labels.
    sklearn.neighbors.KNeighborsRegressor : The hard-neighbourhood counterpart.

    Notes
    -----
    Prediction is the classifier's, in the same frame (see its Notes): one
    GEMM ``cues @ patterns^T`` per cache-sized tile of cues, ``exp`` in
    place, one small GEMM with ``[T | 1]`` (the targets and a column of
    ones), and a division by the last column.  float32 input is computed
    and returned in float32.

    Sparse input (``scipy.sparse``, stored as CSR) is accepted for the
    stored patterns and the cues of every method, for the three
    similarities, as for :class:`ModernHopfieldClassifier` (same sparse
    scoring layout, tiles of cues densified within the engine's chunks);
    the results equal the dense computation's up to rounding.

    Sample weights are a prior on the stored pairs: the attention is
    proportional to ``w_mu exp(beta z_mu)``, so the prediction is the
    weighted Nadaraya-Watson estimate ``sum_mu w_mu k_mu t^mu / sum_mu w_mu
    k_mu``.  A weight of 2 is the pair stored twice (equal to rounding, also
    for ``beta="auto"``, which uses the weighted variance), a weight of 0
    drops the pair, and only the ratios of the weights matter to the
    predictions.  ``beta="learn"`` leaves each stored pattern out together
    with its identical copies (otherwise a repeated row would be predicted
    from its own twin at distance zero, which favours the largest
    ``beta``), weights the others' attention by their weights and averages
    the per-pattern losses with the weights: weight ``k`` and ``k``
    identical rows give the same ``beta_``.  (Rows equal only after
    normalization, for ``"cosine"``, are not copies.)

    Under ``sklearn.config_context(array_api_dispatch=True)`` (with
    ``SCIPY_ARRAY_API=1``) fit, predict, transform, energy and score compute
    in the namespace and on the device of ``X`` (torch, CuPy, ...), and
    ``targets_`` and the outputs are arrays of it; the leave-one-out search
    of ``beta="learn"`` runs on a host copy of the stored patterns.  See
    the "Running on a GPU" page of the documentation.

    References
    ----------
    H. Ramsauer et al. (2020). Hopfield Networks is All You Need.
    arXiv:2008.02217 (ICLR 2021).

    E. A. Nadaraya (1964). On estimating regression. Theory of Probability
    and its Applications 9(1), 141-142.

    G. S. Watson (1964). Smooth regression analysis. Sankhya A 26(4),
    359-372.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skhopfield import ModernHopfieldRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = make_pipeline(StandardScaler(), ModernHopfieldRegressor(beta="learn"))
    >>> reg.fit(X[::2], y[::2]).score(X[1::2], y[1::2]) > 0.35
    True
    >>> reg.predict(X[:3]).shape
    (3,)

    A weight of 2 is the pair stored twice:

    >>> import numpy as np
    >>> w = np.where(np.arange(len(X)) < 100, 2.0, 1.0)
    >>> twice = np.r_[np.arange(100), np.arange(len(X))]
    >>> a = ModernHopfieldRegressor().fit(X, y, sample_weight=w)
    >>> b = ModernHopfieldRegressor().fit(X[twice], y[twice])
    >>> bool(np.allclose(a.predict(X[:5]), b.predict(X[:5])))
    True
    """

    _parameter_constraints: dict = {
        **_BaseModernMemory._parameter_constraints,
        "beta": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto", "learn"}),
        ],
    }

    def __init__(
        self,
        beta="auto",
        *,
        similarity="euclidean",
        max_iter=1,
        tol=1e-4,
        n_jobs=None,
        verbose=0,
    ):
        self.beta = beta
        self.similarity = similarity
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- storing ----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Store the pairs ``(X[i], y[i])``.

        A failed fit (invalid input or parameters) raises and leaves the
        regressor as it was: fitted with its previous pairs, or unfitted.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_patterns, n_features)
            Patterns (float32 is kept as float32).  A ``scipy.sparse``
            matrix is stored as CSR and stays sparse (see Notes).
        y : array-like of shape (n_patterns,) or (n_patterns, n_outputs)
            Targets: finite real numbers.
        sample_weight : array-like of shape (n_patterns,), default=None
            Non-negative prior weight of each stored pair (``None``: all 1).
            The attention becomes ``w_mu exp(beta z_mu) / sum_nu w_nu
            exp(beta z_nu)``, so the prediction is the weighted
            Nadaraya-Watson estimate: a weight of 2 is exactly the pair
            stored twice, and a weight of 0 drops the pair (it is not
            stored).  ``beta="auto"`` uses the weighted variance;
            ``beta="learn"`` a weighted leave-one-out loss (see Notes: there
            a weight of 2 is not the same as a duplicated row).

        Returns
        -------
        self : object
            The fitted memory.
        """
        with restore_on_error(self):
            return self._store(X, y, reset=True, sample_weight=sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """Store more pairs, keeping those already stored.

        ``fit(A)`` then ``partial_fit(B)`` gives the same memory as
        ``fit(A ∪ B)`` (``beta="auto"`` and ``"learn"`` re-resolved over all
        pairs).  A failed call raises and leaves the regressor as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_patterns, n_features)
            New patterns.
        y : array-like of shape (n_patterns,) or (n_patterns, n_outputs)
            Their targets, as many per pattern as at the first fit.
        sample_weight : array-like of shape (n_patterns,), default=None
            Prior weights of the new pairs, as in :meth:`fit`.

        Returns
        -------
        self : object
            The updated memory.
        """
        with restore_on_error(self):
            return self._store(
                X,
                y,
                reset=not hasattr(self, "targets_"),
                sample_weight=sample_weight,
            )

    def _store(self, X, y, reset, sample_weight=None):
        self._validate_params()
        start = time.perf_counter()
        # Targets are checked on the host; stored (targets_) and read out in
        # X's namespace, on its device.
        y = _host(y)
        xp, _, dev = get_namespace_and_device(X)
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[xp.float64, xp.float32],
            multi_output=True,
            y_numeric=True,
            accept_sparse="csr",
        )
        y = np.asarray(y, dtype=np.float64)
        X, y, weights = self._positive_rows(X, y, sample_weight, reset)
        if not reset:
            if y.shape[1:] != tuple(self.targets_.shape[1:]):
                raise ValueError(
                    f"y has shape {y.shape[1:]} per pattern, but the memory stores "
                    f"targets of shape {tuple(self.targets_.shape[1:])} "
                    f"({self.n_outputs_} targets)."
                )
        patterns = self._stacked(X, reset)
        targets = y if reset else np.concatenate([_host(self.targets_), y])
        if not reset:
            weights = np.concatenate([_host(self.pattern_weights_), weights])
        n_outputs = 1 if targets.ndim == 1 else targets.shape[1]
        if not _is_host(patterns):
            targets = _ns(patterns).asarray(
                targets, dtype=_hi(patterns), device=_device(patterns)
            )
        self._set_memory(
            patterns, weights=weights, targets_=targets, n_outputs_=n_outputs
        )
        self._report_fit(reset, start, X.shape[0], f"{n_outputs} targets each")
        return self

    def _values(self):
        """The read-out matrix ``[T | 1]`` (P, n_outputs + 1)."""
        T = self.targets_
        if isinstance(T, np.ndarray):
            return _with_ones(T.reshape(len(T), -1))
        return _with_ones(_ns(T).reshape(T, (T.shape[0], -1)))

    def _resolve_beta(self, memory, **fitted):
        if self.beta != "learn":
            return super()._resolve_beta(memory, **fitted)
        auto, scaled_auto = self._auto_beta(memory)
        targets = _host(fitted["targets_"])
        P = len(targets)
        # The leave-one-out pass runs on the host (numpy, the batch engine's
        # joblib chunks) in the same frame: it returns one float.
        memory = memory.host()
        groups, n_groups = duplicate_groups(memory.patterns)
        if n_groups < 2:  # nothing to leave one out against
            return auto, scaled_auto
        T = targets.reshape(P, -1)
        betas = scaled_auto * LEARN_GRID  # in the memory's internal units
        block = partial(loo_block, betas=betas)
        # The memory, targets and copy groups travel to dask workers once
        # (not inside every chunk's task).
        shared = {
            "memory": memory,
            "values": _with_ones(T).astype(memory.aug.dtype),
            "loss": partial(squared_error, targets=T),
        }
        if n_groups < P:
            shared["groups"] = groups
        itemsize = memory.aug.dtype.itemsize
        row_bytes = (
            itemsize * (2 * P + 4 * memory.aug.shape[1]) + 8 * len(betas) + 9 * P
        )
        losses = batch_retrieve(
            block,
            np.arange(P)[:, None],
            row_bytes=row_bytes,
            shared=shared,
            owner=(memory, "loo"),
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            label=f"{type(self).__name__}.fit(beta='learn')",
        )
        scaled = best_beta(losses, betas, memory.weights)[0]
        return memory.unscale_beta(scaled), scaled

    # -- retrieving -------------------------------------------------------------------
    def predict(self, X):
        """Hetero-associative retrieval: the attention-weighted stored targets.

        After ``max_iter - 1`` state updates, ``softmax(beta_ z) T`` with the
        attention of the final step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted targets, in the dtype of ``X`` (float32 or float64);
            1-D when the memory was fitted with 1-D targets.
        """
        check_is_fitted(self)
        values = self._values()
        out = self._readout(X, values, "total", "predict", total=values.shape[1] - 1)
        if self.targets_.ndim != 1:
            return out
        return out.ravel() if isinstance(out, np.ndarray) else _ns(out).reshape(out, (-1,))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
