"""The estimators under the reliability tests: one table, one line per configuration.

``test_properties.py``, ``test_bad_input.py``, ``test_memory_bounds.py``,
``test_numerics.py`` and ``test_distributed.py`` are all parametrized over
:data:`CASES`; a new estimator (or a configuration of one that takes a
different code path) is one more line here.
"""

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from skhopfield import BidirectionalAssociativeMemory
from skhopfield import DenseAssociativeMemory as Dense
from skhopfield import HopfieldMemory
from skhopfield import ModernHopfieldClassifier as Modern
from skhopfield import ModernHopfieldRegressor as Regressor
from skhopfield import SimplicialHopfieldMemory as Simplicial

#: Public methods that take an ``X``, in the order the bad-input matrix calls them.
BINARY_METHODS = (
    "fit",
    "partial_fit",
    "transform",
    "retrieve",
    "predict",
    "score",
    "energy",
)
MODERN_METHODS = BINARY_METHODS + ("predict_proba",)


@dataclass(frozen=True)
class Case:
    """One estimator configuration.

    make(**params) -> a fresh estimator; binary: states are +/-1 and input is
    binarized at ``threshold`` (else: continuous, real-valued states);
    needs_y: fit requires labels (or, hetero, y-layer patterns); hetero:
    a hetero-associative memory (fit(X, y) with y labels or patterns, no
    ``classes=``; energy(X) is the energy of x with its best y); regressor:
    y are real targets and predict returns real values; asynchronous: retrieval is a sequence of
    sweeps whose energy never rises (binary ``update="async"``) -- modern
    update steps never raise the energy either; bad_params: out-of-range
    parameter values, each with the name the error must carry; sparse:
    accepts ``scipy.sparse`` input (CSR, others converted), with the results
    of the dense computation (the binary memories refuse it); container:
    applied by :func:`patterns` to the arrays it makes (e.g.
    ``scipy.sparse.csr_matrix``), for the cases of :data:`SPARSE_CASES`;
    orthogonal_stable: mutually orthogonal patterns, at most N/4 of them, are
    always fixed points (not so for a randomly diluted network: orthogonality
    over all neurons says nothing about a random subset of connections).
    learned: fit trains the memory (stored patterns are not the training
    rows, or a map and beta are fitted to them), so ``partial_fit``
    continues training instead of equalling ``fit`` on the union, and stored
    patterns are not the training rows.
    """

    id: str
    make: object
    binary: bool
    needs_y: bool = False
    hetero: bool = False
    regressor: bool = False
    asynchronous: bool = True
    methods: tuple = BINARY_METHODS
    orthogonal_stable: bool = True
    bad_params: tuple = field(default_factory=tuple)
    sparse: bool = False
    container: object = None
    learned: bool = False

    def __repr__(self):
        return self.id


_BINARY_BAD = (
    ("update", "parallel"),
    ("update", None),
    ("max_iter", 0),
    ("max_iter", -3),
    ("max_iter", 2.5),
    ("max_iter", np.inf),
    ("threshold", np.nan),
    ("threshold", np.inf),
    ("threshold", "zero"),
    ("random_state", "seed"),
    ("random_state", -1),
    ("n_jobs", 0),
    ("n_jobs", 1.5),
)

_HOPFIELD_BAD = _BINARY_BAD + (("learning_rule", "oja"), ("learning_rule", None))

_HOPFIELD_DREAM_BAD = _HOPFIELD_BAD + (
    ("n_dreams", -1),
    ("n_dreams", 2.5),
    ("dream_rate", 0.0),
    ("dream_rate", np.nan),
    ("dream_batch", 0),
    ("dream_sweeps", 0),
)

_SIMPLICIAL_BAD = _BINARY_BAD + (
    ("max_dim", 0),
    ("max_dim", 4),
    ("max_dim", 1.5),
    ("n_simplices", "all"),
    ("n_simplices", 3),
    ("n_simplices", (0.5,)),
    ("n_simplices", (0.5, 2.0)),
    ("n_simplices", (-1, None)),
    ("normalization", "degree"),
)

_DENSE_BAD = _BINARY_BAD + (
    ("interaction", "cubic"),
    ("order", 1),
    ("order", 2.5),
    ("order", 10**6),
    ("beta", 0.0),
    ("beta", -1.0),
    ("beta", np.nan),
    ("beta", np.inf),
)

_BAM_BAD = (
    ("learning_rule", "hebbian"),
    ("learning_rule", None),
    ("code_length", 0),
    ("code_length", 2.5),
    ("max_iter", 0),
    ("max_iter", 2.5),
    ("threshold", np.nan),
    ("threshold", "zero"),
    ("random_state", "seed"),
    ("n_jobs", 0),
)

_MODERN_BAD = (
    ("beta", 0.0),
    ("beta", -1.0),
    ("beta", np.nan),
    ("beta", np.inf),
    ("beta", "big"),
    ("similarity", "chebyshev"),
    ("separation", "softmin"),
    ("entmax_alpha", 1.0),
    ("entmax_alpha", 2.5),
    ("separation_order", 0.5),
    ("max_iter", 0),
    ("max_iter", 1.5),
    ("tol", -1e-3),
    ("tol", np.nan),
    ("n_jobs", 0),
    ("n_jobs", "all"),
    ("prototypes_per_class", 0),
    ("prototypes_per_class", 1.5),
    ("n_components", 0),
    ("alpha", -1.0),
    ("max_fit_iter", 0),
    ("fit_tol", -1.0),
    ("random_state", "seed"),
)


def _hopfield(rule, update="async"):
    return Case(
        f"hopfield-{rule}-{update}",
        partial(HopfieldMemory, learning_rule=rule, update=update, random_state=0),
        binary=True,
        asynchronous=update == "async",
        bad_params=_HOPFIELD_BAD,
    )


def _hopfield_dreams(rule, **params):
    """HopfieldMemory with unlearning: dreams batched to keep the tests fast."""
    return Case(
        f"hopfield-{rule}-dreams",
        partial(
            HopfieldMemory,
            learning_rule=rule,
            n_dreams=12,
            dream_rate=0.05,
            dream_batch=4,
            random_state=0,
            **params,
        ),
        binary=True,
        bad_params=_HOPFIELD_DREAM_BAD,
    )


def _simplicial(tag, update="async", **params):
    diluted = params.get("n_simplices") is not None
    return Case(
        f"simplicial-{tag}-{update}",
        partial(Simplicial, update=update, random_state=0, **params),
        binary=True,
        asynchronous=update == "async",
        bad_params=_SIMPLICIAL_BAD,
        orthogonal_stable=not diluted,
    )


def _dense(interaction, update="async", **params):
    tag = "-".join(f"{k}{v}" for k, v in params.items())
    return Case(
        f"dense-{interaction}{'-' + tag if tag else ''}-{update}",
        partial(
            Dense, interaction=interaction, update=update, random_state=0, **params
        ),
        binary=True,
        asynchronous=update == "async",
        bad_params=_DENSE_BAD,
    )


def _bam(rule):
    return Case(
        f"bam-{rule}",
        partial(BidirectionalAssociativeMemory, learning_rule=rule, random_state=0),
        binary=True,
        needs_y=True,
        hetero=True,
        bad_params=_BAM_BAD,
    )



def _modern_case(similarity, tag="", container=None, learned=None, **params):
    return Case(
        f"modern-{similarity}{tag}" + ("-csr" if container is not None else ""),
        partial(Modern, similarity=similarity, **params),
        binary=False,
        needs_y=True,
        methods=MODERN_METHODS,
        bad_params=_MODERN_BAD,
        sparse=True,
        container=container,
        learned=bool(tag) if learned is None else learned,
    )


def _regressor(similarity, container=None, **params):
    tag = "-".join(f"{k}{v}" for k, v in params.items())
    return Case(
        f"modern-regressor-{similarity}{'-' + tag if tag else ''}"
        + ("-csr" if container is not None else ""),
        partial(Regressor, similarity=similarity, **params),
        binary=False,
        needs_y=True,
        regressor=True,
        sparse=True,
        container=container,
        # the classifier's bad values of the parameters the regressor has
        bad_params=tuple(
            (name, value)
            for name, value in _MODERN_BAD
            if name in Regressor().get_params()
        ),
    )
# Learned memories: few optimizer iterations keep the tables fast; the
# dynamics and the engine are what these rows test (tests/test_learned.py
# tests the training).  n_components=1 so that one-feature data fits too.
_LEARNED = dict(random_state=0, max_fit_iter=15)


CASES = [
    _hopfield("hebbian"),
    _hopfield("storkey"),
    _hopfield("pseudoinverse"),
    _hopfield("hebbian", "sync"),
    _hopfield_dreams("hebbian"),
    _dense("polynomial", order=3),
    _dense("rectified_polynomial", order=4),
    _dense("exponential", beta=1.0),
    _dense("polynomial", "sync", order=3),
    # High order and large beta: decisions from per-pattern changes
    # (issue 17); ties here are round-off ties, not exact ones.
    _dense("rectified_polynomial", "sync", order=200),
    _dense("exponential", beta=30.0),
    # The hetero-associative memories before the classifier's cases, so that
    # the indices of the cases above and the last ones stay what they were.
    _bam("correlation"),
    _bam("pseudoinverse"),
    _regressor("euclidean"),  # beta="auto"
    _regressor("dot", beta="learn"),
    _simplicial("full2", max_dim=2),
    # Fractions: the counts follow n_features, which the tests vary.
    _simplicial("diluted12", max_dim=2, n_simplices=(0.5, 0.2)),
    # every edge (overlap polynomial) + diluted triangles and tetrahedra
    _simplicial(
        "mixed3-uniform",
        max_dim=3,
        n_simplices=(None, 0.2, 0.05),
        normalization="uniform",
    ),
    _simplicial("full2", "sync", max_dim=2),
    _modern_case("dot", beta=1.0),
    _modern_case("euclidean"),  # beta="auto", the default
    _modern_case("cosine", beta=4.0),
    # A beta at which the bound b(q) is loose for most rows: the exact
    # (row-maximum) path of the predict kernel (issue 13).
    _modern_case("euclidean", "-large-beta", learned=False, beta=1000.0),
    _modern_case("euclidean", "-prototypes", prototypes_per_class=2, beta="learn", **_LEARNED),
    _modern_case("dot", "-prototypes-map", prototypes_per_class=2, n_components=1, **_LEARNED),
    _modern_case("euclidean", "-rows-map", beta="learn", n_components=1, **_LEARNED),
    _modern_case(
        "cosine", "-prototypes-map", prototypes_per_class=1, n_components=1, **_LEARNED
    ),
    # The separations other than softmax: the exact sort-based sparsemax and
    # 1.5-entmax (as polynomial of order 2), the Newton steps of other alphas,
    # the hard max; and a learned memory trained on a Fenchel-Young loss.
    _modern_case("euclidean", "-sparsemax", learned=False, separation="sparsemax"),
    _modern_case(
        # (beta 16: at 4 some cues of the no-hang test pass near saddles,
        # geometric but slow convergence, up to 134 steps)
        "cosine", "-entmax1.3", learned=False, beta=16.0, separation="entmax",
        entmax_alpha=1.3,
    ),
    _modern_case("dot", "-polynomial2", learned=False, beta=1.0, separation="polynomial"),
    _modern_case("euclidean", "-max", learned=False, separation="max"),
    _modern_case(
        "euclidean", "-prototypes-sparsemax", prototypes_per_class=2, beta="learn",
        separation="sparsemax", **_LEARNED
    ),
    _regressor("euclidean", separation="entmax"),
]

#: The modern memories on sparse CSR input (patterns with about 70% zeros),
#: for the tests of the engine's invariances; kept apart from CASES, whose
#: tests edit their inputs as dense arrays.
SPARSE_CASES = []
if Modern is not None:
    import scipy.sparse as sp

    SPARSE_CASES = [
        _modern_case("dot", container=sp.csr_matrix, beta=1.0),
        _modern_case("euclidean", container=sp.csr_matrix),
        _modern_case("cosine", container=sp.csr_matrix, beta=4.0),
        _regressor("euclidean", container=sp.csr_matrix),
        _regressor("dot", container=sp.csr_matrix, beta="learn"),
        _regressor("cosine", container=sp.csr_matrix, beta=4.0),
    ]

BINARY_CASES = [c for c in CASES if c.binary]
MODERN_CASES = [c for c in CASES if not c.binary]


def one_per_estimator():
    """The first case of each estimator class (for the expensive tests)."""
    seen, out = set(), []
    for case in CASES:
        cls = case.make.func
        if cls not in seen:
            seen.add(cls)
            out.append(case)
    return out


def patterns(case, n_patterns, n_features, seed, dtype=np.float64):
    """Random patterns of the right kind for ``case``: +/-1 or Gaussian."""
    rng = np.random.default_rng(seed)
    if case.binary:
        return np.where(rng.random((n_patterns, n_features)) < 0.5, -1.0, 1.0)
    X = rng.standard_normal((n_patterns, n_features)).astype(dtype)
    if case.container is not None:
        X[rng.random(X.shape) < 0.7] = 0
        return case.container(X)
    return X


def labels_for(n, kind="int", case=None):
    """Labels of ``n`` patterns: a few classes, every class used when n allows.

    A regressor ``case`` gets the integer labels as its (real) targets
    whatever ``kind`` asks.
    """
    if case is not None and case.regressor:
        kind = "int"
    base = np.arange(n) % 3
    if kind == "str":
        return np.array(["cat", "dog", "eel"])[base]
    return base * 10 + 1


def fit_args(case, X, labeled=None):
    """``(X,)`` or ``(X, y)`` as ``case`` needs (or ``labeled`` asks)."""
    if case.needs_y or labeled:
        return (X, labels_for(X.shape[0]))
    return (X,)


def outputs(est, X):
    """Everything a fitted estimator says about ``X``, as a dict of arrays."""
    out = {
        "transform": est.transform(X),
        "predict": est.predict(X),
        "energy": est.energy(X),
    }
    result = est.retrieve(X)
    for key, value in result.items():
        out[f"retrieve.{key}"] = value
    if hasattr(est, "predict_proba"):
        out["predict_proba"] = est.predict_proba(X)
    return out


def assert_same(a, b, perm=None, binary=True, exact=False):
    """Discrete outputs identical; real-valued ones equal up to rounding.

    ``exact=True`` asks for bitwise-identical real values too (for two runs
    that cut the batch into the same chunks).

    States of the binary memories, labels, iteration counts and convergence
    flags must be identical.  Energies, continuous states and probabilities
    are sums computed by BLAS, whose summation order depends on the shape of
    the block a row is computed in (even on the row's position in it), so
    they may differ in the last bits between chunkings -- never by more.
    """
    assert a.keys() == b.keys()
    for key in a:
        expected = a[key] if perm is None else a[key][perm]
        real = key in ("energy", "predict_proba") or (
            not binary and key in ("transform", "retrieve.states")
        )
        # a regressor's predictions are real-valued too
        real = real or (key == "predict" and np.asarray(expected).dtype.kind == "f")
        if real and not exact:
            scale = max(1.0, float(np.abs(expected).max()))
            np.testing.assert_allclose(
                b[key], expected, rtol=1e-12, atol=1e-12 * scale, err_msg=key
            )
        else:
            np.testing.assert_array_equal(b[key], expected, err_msg=key)
