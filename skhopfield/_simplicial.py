"""SimplicialHopfieldMemory: Burns & Fukai's simplicial Hopfield network."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseBinaryMemory
from ._batch import CACHE_BYTES
from ._core.simplicial import (
    MAX_DIM,
    SimplicialModel,
    n_all_simplices,
    sample_simplices,
    simplex_sums,
)
from ._validation import whole_copies


def resolve_counts(n_simplices, max_dim, n_features):
    """Number of simplices to keep of each dimension ``1..max_dim``.

    Returns a list of ints; an entry equal to ``C(N, d + 1)`` means every
    ``d``-simplex.  See :class:`SimplicialHopfieldMemory` for the forms.
    """
    totals = [n_all_simplices(n_features, d) for d in range(1, max_dim + 1)]
    if n_simplices is None:
        return totals
    if isinstance(n_simplices, (str, bytes, dict)) or np.ndim(n_simplices) != 1:
        raise ValueError(
            "n_simplices must be None or a sequence with one entry per dimension "
            f"1..max_dim, got {n_simplices!r}."
        )
    entries = list(n_simplices)
    if len(entries) != max_dim:
        raise ValueError(
            f"n_simplices has {len(entries)} entries; max_dim={max_dim} needs one "
            "per dimension 1..max_dim."
        )
    counts = []
    for dim, (entry, total) in enumerate(zip(entries, totals), start=1):
        if entry is None:
            counts.append(total)
        elif isinstance(entry, (bool, np.bool_)):
            raise ValueError(f"n_simplices[{dim - 1}] must not be a bool.")
        elif isinstance(entry, Integral):
            if entry < 0 or entry > total:
                raise ValueError(
                    f"n_simplices[{dim - 1}]={entry}: the count of {dim}-simplices "
                    f"must be in [0, {total}] for {n_features} neurons."
                )
            counts.append(int(entry))
        elif isinstance(entry, Real) and 0.0 <= entry <= 1.0:
            counts.append(int(round(float(entry) * total)))
        else:
            raise ValueError(
                f"n_simplices[{dim - 1}]={entry!r}: expected None, a count (int >= 0) "
                "or a fraction (float in [0, 1])."
            )
    return counts


class SimplicialHopfieldMemory(BaseBinaryMemory):
    """Simplicial Hopfield network (Burns & Fukai 2023).

    A binary Hopfield network whose connections are the simplices of a
    simplicial complex: edges (pairs of neurons, the classical couplings),
    triangles (triples) and tetrahedra (quadruples).  Setwise connections
    raise the capacity; a random, diluted mix of edges and triangles can
    store more than the all-pairs network with the same number of
    connections (Burns & Fukai 2023; see ``benchmarks/README.md`` for what
    this implementation measures).

    A ``d``-simplex ``sigma`` (``d + 1`` neurons) has the Hebbian weight
    ``w_sigma = N^-d sum_mu prod_{i in sigma} x^mu_i`` (or ``N^-1 sum_mu ...``
    with ``normalization="uniform"``), and the energy is
    ``E(s) = -sum_sigma w_sigma prod_{i in sigma} s_i``.

    Parameters
    ----------
    max_dim : int, default=2
        Largest simplex dimension: ``1`` edges only (the classical Hebbian
        network), ``2`` edges and triangles, ``3`` tetrahedra too.
    n_simplices : None or sequence of length max_dim, default=None
        Which simplices to keep, per dimension ``1, ..., max_dim``:

        - ``None``: every simplex up to ``max_dim`` (the full
          ``max_dim``-skeleton);
        - a sequence with one entry per dimension, each ``None`` (every
          simplex of that dimension), an int ``k >= 0`` (``k`` simplices of
          that dimension drawn uniformly at random without replacement,
          at most ``C(N, d + 1)``; ``0`` drops the dimension) or a float in
          ``[0, 1]`` (that fraction of all of them, rounded).  E.g.
          ``n_simplices=(2475, 2475)`` at ``N = 100`` is half the 4950
          connections of the all-pairs network as edges, half as triangles.

        The random simplices are drawn at :term:`fit` from ``random_state``;
        ``partial_fit`` keeps them.
    normalization : {"dimension", "uniform"}, default="dimension"
        Scale of the weight of a ``d``-simplex.

        - ``"dimension"``: ``w_sigma = N^-d sum_mu prod_{i in sigma}
          x^mu_i``: every dimension of the full skeleton contributes a field
          of the same order (a triangle term is ``N`` times smaller, and
          there are ``N`` times more triangles).
        - ``"uniform"``: ``w_sigma = N^-1 sum_mu prod_{i in sigma} x^mu_i``
          for every dimension: a triangle pulls as hard as an edge.  In a
          diluted mix with as many triangles as edges the triangles then
          matter; under ``"dimension"`` they are ``N`` times weaker than the
          edges and the mix behaves like a sparser pairwise network.  The
          full 2-skeleton is then dominated by its triangles (a dense
          associative memory of order 3, ``O(N^2)`` patterns).
    update : {"async", "sync"}, default="async"
        ``"async"``: neurons are updated one at a time in a random order each
        sweep; the energy never rises and a fixed point is always reached.
        ``"sync"``: all neurons at once; may end in a cycle, which is
        detected, stopped and reported with a ``ConvergenceWarning``.
    max_iter : int, default=100
        Maximum number of sweeps (async) or steps (sync) per query.
    threshold : float, default=0.0
        Binarization of every input: ``x > threshold`` is +1, otherwise -1.
        NaN is a missing entry: a cue with one is a partial cue (its missing
        neurons are filled in, its known ones clamped; see the user guide,
        "Partial cues").
    random_state : int, RandomState instance or None, default=None
        Seeds the random choice of simplices (when diluted) and the neuron
        visiting orders of asynchronous updates.  The same order is used for
        every query, so results do not depend on ``n_jobs``, chunking or row
        order.
    n_jobs : int, default=None
        Number of joblib workers for batch retrieval; ``None`` means 1 unless
        in a ``joblib.parallel_config`` context, ``-1`` means all processors.
    verbose : int, default=0
        Progress messages on standard output; none at 0.  At 1, one line per
        fit and per batch (retrieval, energy) with its size and time.  At 2
        and more, also a line as each chunk of a batch completes (rows done,
        rate, time left), with any ``n_jobs``.

    Attributes
    ----------
    packed_patterns_ : ndarray of shape (n_patterns, ceil(n_features / 8)), \
            dtype=uint8
        The stored patterns, one bit per entry (those of positive sample
        weight): ``numpy.packbits(x > 0, axis=1)``, 1 for +1, big bit order,
        the last byte of a row padded with zero bits.  This is what the
        memory keeps, 1/64 of the bytes of float64 patterns (see the user
        guide, "Storage").
    patterns_ : ndarray of shape (n_patterns, n_features)
        The stored +/-1 patterns as float64, unpacked from
        ``packed_patterns_`` at every access (a read-only property: keep the
        array in a variable rather than reading it in a loop).
    pattern_labels_ : ndarray of shape (n_patterns,)
        Labels of the stored patterns; only present when fitted with ``y``.
    pattern_weights_ : ndarray of shape (n_patterns,)
        Sample weight of each stored pattern, a whole number (all 1 when
        fitted without ``sample_weight``); see Notes.
    classes_ : ndarray of shape (n_classes,)
        The sorted labels (or the ``classes`` given to ``partial_fit``);
        fitted without labels, ``arange(n_patterns)``: each pattern is its
        own class, named by its row index.
    n_simplices_ : ndarray of shape (max_dim,)
        Number of simplices kept of each dimension ``1, ..., max_dim``.
    simplices_ : list of length max_dim
        Per dimension ``d``: ``None`` when every ``d``-simplex is kept (they
        are never listed), else an int array of shape ``(n_d, d + 1)``, one
        kept simplex per row (neuron indices, increasing).
    simplex_weights_ : list of length max_dim
        Per dimension: ``None`` when every simplex is kept, else the weights
        ``w_sigma`` of the rows of ``simplices_``.
    stable_patterns_ : ndarray of shape (n_patterns,), dtype=bool
        Which stored patterns are fixed points of the dynamics.
    n_iter_ : int
        Sweeps that the fit self-check needed at most.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when ``X`` has string
        feature names.

    See Also
    --------
    HopfieldMemory : The classical (pairwise) network, ``max_dim=1`` here.
    DenseAssociativeMemory : All-pattern polynomial energies.

    Notes
    -----
    The local field of neuron ``i`` is the sum over the simplices that
    contain it, ``h_i = sum_{sigma containing i} w_sigma prod_{j in sigma, j
    != i} s_j``, and the asynchronous update ``s_i <- sign(h_i)`` (a tie
    keeps the state) never raises the energy.

    Cost.  When every simplex of a dimension is kept, its contribution to
    the field is a polynomial in the pattern overlaps ``m_mu = x^mu . s``
    (elementary symmetric polynomials of ``+/-1`` values, from Newton's
    identities; see :mod:`skhopfield._core.simplicial`): no ``N^3`` weight
    tensor is formed, memory is ``O(N P)`` and a sweep costs ``O(N P)`` per
    query, as for :class:`DenseAssociativeMemory`.  A diluted dimension
    stores its ``n_d`` simplices and weights (a sparse simplex-by-neuron
    incidence matrix) and a sweep costs ``O(sum_d (d + 1) n_d)`` per query.

    Every field is computed exactly in units of ``N^-max_dim`` (integers), so
    ties are exact ties while ``N^(max_dim + 1) P`` stays well below
    ``2^53``.  With triangles the energy is not symmetric, ``E(-s) !=
    E(s)``: sign-reversed patterns are not memories and :meth:`predict`
    does not count them as their patterns.

    Sample weights must be whole numbers (anything else is refused): a
    pattern of weight ``k`` is stored as ``k`` copies, so it enters every
    ``w_sigma`` (and the overlap polynomials of the full skeletons) ``k``
    times, exactly as ``fit(np.repeat(X, k, axis=0))``; weight 0 drops it.
    The copies cost memory and time as stored patterns do.

    References
    ----------
    T. F. Burns, T. Fukai (2023). Simplicial Hopfield networks. ICLR.

    J. J. Hopfield (1982). Neural networks and physical systems with emergent
    collective computational abilities. PNAS 79(8).

    Examples
    --------
    >>> import numpy as np
    >>> from skhopfield import HopfieldMemory, SimplicialHopfieldMemory
    >>> from skhopfield.datasets import flip_bits, make_binary_patterns
    >>> X = make_binary_patterns(25, 100, random_state=0)  # 0.25 N patterns
    >>> cues = flip_bits(X, 0.05, random_state=1)
    >>> pairwise = HopfieldMemory(random_state=0).fit(X)
    >>> simplicial = SimplicialHopfieldMemory(max_dim=2, random_state=0).fit(X)
    >>> float((pairwise.transform(cues) == X).all(axis=1).mean())
    0.04
    >>> float((simplicial.transform(cues) == X).all(axis=1).mean())
    0.88
    >>> diluted = SimplicialHopfieldMemory(n_simplices=(2475, 2475), random_state=0)
    >>> diluted.fit(X).n_simplices_
    array([2475, 2475])
    """

    _parameter_constraints: dict = {
        **BaseBinaryMemory._parameter_constraints,
        "max_dim": [Interval(Integral, 1, MAX_DIM, closed="both")],
        "n_simplices": [None, "array-like"],
        "normalization": [StrOptions({"dimension", "uniform"})],
    }

    def __init__(
        self,
        max_dim=2,
        *,
        n_simplices=None,
        normalization="dimension",
        update="async",
        max_iter=100,
        threshold=0.0,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.max_dim = max_dim
        self.n_simplices = n_simplices
        self.normalization = normalization
        self.update = update
        self.max_iter = max_iter
        self.threshold = threshold
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _capacity_advice(self):
        n = self.n_features_in_
        capacity = (
            f"a simplicial network (max_dim={self.max_dim}) holds a small multiple "
            f"of the classical 0.138 N = {0.138 * n:.0f} random patterns in "
            f"N = {n} neurons (about twice with every triangle, see "
            "benchmarks/README.md), a diluted complex fewer, and correlated "
            "patterns far fewer."
        )
        advice = (
            "every simplex up to max_dim=2 or 3 (n_simplices=None), "
            "normalization='uniform' for a diluted complex, or "
            "DenseAssociativeMemory (a higher order or interaction='exponential') "
            "when only capacity matters"
        )
        return capacity, advice

    def _check_weights(self, sample_weight):
        if (sample_weight != np.round(sample_weight)).any():
            raise ValueError(
                "SimplicialHopfieldMemory takes whole-number sample weights only: "
                "a weight k stores the pattern as k copies (the simplex weights "
                "are sums over stored patterns, which the exact integer fields "
                "need whole). Round the weights."
            )

    def _copies(self, S, weights):
        """``S`` with each row repeated as many times as its weight."""
        if weights is None or (weights == 1).all():
            return S
        return np.repeat(
            S, whole_copies(weights, S.shape[1], "SimplicialHopfieldMemory"), axis=0
        )

    def _learn(self, S, first, weights=None):
        S = self._copies(S, weights)
        n_features = S.shape[1]
        if first:
            counts = resolve_counts(self.n_simplices, self.max_dim, n_features)
            rng = np.random.default_rng(
                check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            )
            self.n_simplices_ = np.array(counts, dtype=np.intp)
            self.simplices_, self._simplex_sums = [], []
            for dim, count in enumerate(counts, start=1):
                if count == n_all_simplices(n_features, dim):
                    self.simplices_.append(None)
                    self._simplex_sums.append(None)
                else:
                    simplices = sample_simplices(n_features, dim, count, rng)
                    self.simplices_.append(simplices)
                    self._simplex_sums.append(simplex_sums(S, simplices))
        else:
            self._simplex_sums = [
                None if s is None else c + simplex_sums(S, s)
                for s, c in zip(self.simplices_, self._simplex_sums)
            ]
        uniform = self.normalization == "uniform"
        self.simplex_weights_ = [
            None if c is None else c / float(n_features) ** (1 if uniform else dim)
            for dim, c in enumerate(self._simplex_sums, start=1)
        ]
        self._uniform = uniform

    def _model(self):
        # set_params after fit must not slip an invalid n_simplices past
        # validation (the fitted simplices are what the model uses).
        resolve_counts(self.n_simplices, self.max_dim, self.n_features_in_)
        full, diluted = [], []
        for dim, (s, c) in enumerate(zip(self.simplices_, self._simplex_sums), start=1):
            if s is None:
                full.append(dim)
            else:
                diluted.append((dim, s, c))
        return SimplicialModel(
            self._copies(self.patterns_, self.pattern_weights_),
            full,
            diluted,
            len(self.simplices_),
            uniform=self._uniform,
        )

    def _n_diluted(self):
        return sum(len(s) for s in self.simplices_ if s is not None)

    def _max_chunk_rows(self):
        # As DenseAssociativeMemory: the per-neuron loop refreshes the
        # (rows x patterns) overlap terms of the rows that flip.
        if any(s is None for s in self.simplices_):
            return max(16, CACHE_BYTES // (8 * self._n_copies()))
        return None

    def _n_copies(self):
        return int(self.pattern_weights_.sum())

    def _row_bytes(self):
        # states (x4 in run_dynamics), overlaps and field terms (x2 with the
        # copies of the active rows) and their refresh temporaries, products
        # of the kept simplices (x2 with the copies, and a gather per neuron)
        n_features, n_patterns = self.n_features_in_, self._n_copies()
        return 8 * (5 * n_features + 8 * n_patterns + 3 * self._n_diluted())
