"""Partial cues of the binary memories: missing entries (NaN), clamped known ones.

Checked against references written here from the math, not from the
kernels: plain Python loops of the asynchronous (and synchronous) dynamics
that decide every update by comparing exact energies (integers, ``Fraction``
or 60-digit ``Decimal``) of the two signs, with

- a missing neuron starting at 0 (it drops out of every term),
- the known neurons of a cue with a missing entry clamped, never updated,
- a neuron at 0 taking the sign of the lower energy, +1 on a tie, and a
  +/-1 neuron flipping only where that strictly lowers the energy.

Also: clamped entries never change, the exact energy never rises along the
sweeps, nothing missing gives exactly the results of the whole-cue path,
results do not depend on ``n_jobs`` or ``working_memory``, a cue with every
entry missing has its documented answer, and ``fit`` fills missing pattern
entries with the column's majority sign.
"""

import itertools
import warnings
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joblib import parallel_config
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning

from skhopfield import (
    BidirectionalAssociativeMemory,
    DenseAssociativeMemory,
    HopfieldMemory,
    SimplicialHopfieldMemory,
)
from skhopfield._core.binary import run_dynamics, sweep_order
from skhopfield.datasets import make_binary_patterns

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore::skhopfield.exceptions.CapacityWarning",
)

FAST = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
seeds = st.integers(0, 2**31 - 1)


# -- exact energies, from the definitions ---------------------------------------------
def hebbian_energy(X):
    """``E(s) = -1/2 s^T W s``, ``W = 1/N sum x x^T`` with zero diagonal, exact."""
    P, N = X.shape
    W = [[Fraction(int(X[:, i] @ X[:, j]), N) if i != j else 0 for j in range(N)]
         for i in range(N)]

    def energy(s):
        return -Fraction(1, 2) * sum(
            W[i][j] * s[i] * s[j] for i in range(N) for j in range(N)
        )

    return energy


def dense_energy(X, interaction, order=3, beta=1.0, weights=None):
    """``E(s) = -sum_mu w_mu F(x^mu . s)``: Python integers, or 60-digit decimals."""
    rows = [[int(v) for v in x] for x in X]
    w = [1] * len(rows) if weights is None else [int(v) for v in weights]

    def overlaps(s):
        return [sum(a * b for a, b in zip(x, s)) for x in rows]

    if interaction == "exponential":
        b = Decimal(beta)

        def energy(s):
            with localcontext() as ctx:
                ctx.prec = 60
                return -sum(k * (b * m).exp() for k, m in zip(w, overlaps(s)))

        return energy
    rectified = interaction == "rectified_polynomial"

    def energy(s):
        return -sum(
            k * (max(m, 0) if rectified else m) ** order for k, m in zip(w, overlaps(s))
        )

    # the size of the terms, for the rounding band of a floating-point memory
    energy.scale = lambda s: sum(k * abs(m) ** order for k, m in zip(w, overlaps(s)))
    return energy


def simplicial_energy(X, simplices):
    """``E(s) = -sum_sigma w_sigma prod_sigma s``, ``w_sigma = N^-d sum_mu
    prod_sigma x^mu``, over the given simplices (tuples of neurons), exact."""
    N = X.shape[1]
    terms = [
        (sigma, Fraction(int(np.prod(X[:, sigma], axis=1).sum()), N ** (len(sigma) - 1)))
        for sigma in simplices
    ]

    def energy(s):
        return -sum(w * np.prod([s[i] for i in sigma]) for sigma, w in terms)

    return energy


def all_simplices(N, max_dim):
    return [
        list(sigma)
        for d in range(1, max_dim + 1)
        for sigma in itertools.combinations(range(N), d + 1)
    ]


# -- the reference dynamics ------------------------------------------------------------
class NearTie(Exception):
    """A decision within a relative rounding band of a tie: a memory that
    computes in floating point may take either side (documented), so the
    reference does not decide it."""


def _decide(energy, s, i, tie):
    """The sign of neuron ``i`` after its update: the lower energy; a tie
    keeps a +/-1 neuron and sends a 0 to +1.  ``tie``: the absolute size of
    a tie, or a relative band (a float in a 1-tuple) that raises
    :class:`NearTie` for a nonzero difference inside it (relative to the
    size of the energy's terms, ``energy.scale``)."""
    cur = s[i]
    s[i] = 1
    e_plus = energy(s)
    scale = energy.scale(s) if isinstance(tie, tuple) else 0
    s[i] = -1
    e_minus = energy(s)
    if isinstance(tie, tuple):
        scale = max(scale, energy.scale(s))
    s[i] = cur
    d = e_minus - e_plus  # > 0: +1 has the lower energy
    if isinstance(tie, tuple):
        if d and abs(d) <= tie[0] * scale:
            raise NearTie
        tie = 0
    if cur == -1:
        return 1 if d > tie else -1
    return -1 if d < -tie else 1


def free_mask(cue):
    missing = np.isnan(cue)
    return missing if missing.any() else np.ones_like(missing)


def start_state(cue, threshold=0.0):
    return [0 if np.isnan(v) else (1 if v > threshold else -1) for v in cue]


def reference_async(energy, cue, seed, max_iter, tie=0):
    """States after asynchronous sweeps in the memory's visiting orders,
    and the exact energy after every sweep (the first: of the start)."""
    s, free = start_state(cue), free_mask(cue)
    energies = [energy(s)]
    for sweep in range(max_iter):
        changed = False
        for i in sweep_order(seed, sweep, len(s)):
            if free[i]:
                new = _decide(energy, s, i, tie)
                changed |= new != s[i]
                s[i] = new
        energies.append(energy(s))
        if not changed:
            break
    return np.array(s, dtype=float), energies


def reference_sync(energy, cue, n_steps, tie=0):
    """States after ``n_steps`` synchronous steps (all neurons from the same state)."""
    s, free = start_state(cue), free_mask(cue)
    for _ in range(n_steps):
        s = [_decide(energy, list(s), i, tie) if free[i] else s[i] for i in range(len(s))]
    return np.array(s, dtype=float)


def partial_cues(X, rng, share):
    """The rows of ``X`` with a share of their entries missing (NaN); some
    rows whole, one with every entry missing."""
    C = X.astype(float).copy()
    C[rng.random(C.shape) < share] = np.nan
    C[0] = np.nan
    if len(C) > 2:
        C[1] = X[1]  # a whole cue among partial ones
    return C


# -- the memories under test -----------------------------------------------------------
MEMORIES = {
    "hebbian": (
        lambda: HopfieldMemory(random_state=3),
        lambda est, X: hebbian_energy(X),
        0,
    ),
    "cubic": (
        lambda: DenseAssociativeMemory("polynomial", order=3, random_state=3),
        lambda est, X: dense_energy(X, "polynomial", 3),
        0,
    ),
    "quartic": (
        lambda: DenseAssociativeMemory("polynomial", order=4, random_state=3),
        lambda est, X: dense_energy(X, "polynomial", 4),
        0,
    ),
    # past exact float64 integers: the masked sums and their tolerances
    "order-25": (
        lambda: DenseAssociativeMemory("polynomial", order=25, random_state=3),
        lambda est, X: dense_energy(X, "polynomial", 25),
        (1e-12,),
    ),
    "rectified": (
        lambda: DenseAssociativeMemory("rectified_polynomial", order=5, random_state=3),
        lambda est, X: dense_energy(X, "rectified_polynomial", 5),
        0,
    ),
    "exponential": (
        lambda: DenseAssociativeMemory("exponential", beta=0.5, random_state=3),
        lambda est, X: dense_energy(X, "exponential", beta=0.5),
        Decimal("1e-40"),
    ),
    # whole-number sample weights: the weighted terms (the exponential's
    # prior in log space, a path of its own)
    "quartic-weighted": (
        lambda: DenseAssociativeMemory("polynomial", order=4, random_state=3),
        lambda est, X: dense_energy(X, "polynomial", 4, weights=_weights(len(X))),
        0,
    ),
    "exponential-weighted": (
        lambda: DenseAssociativeMemory("exponential", beta=0.5, random_state=3),
        lambda est, X: dense_energy(X, "exponential", beta=0.5, weights=_weights(len(X))),
        Decimal("1e-40"),
    ),
    "simplicial": (
        lambda: SimplicialHopfieldMemory(max_dim=3, random_state=3),
        lambda est, X: simplicial_energy(X, all_simplices(X.shape[1], 3)),
        0,
    ),
    "simplicial-diluted": (
        lambda: SimplicialHopfieldMemory(
            max_dim=2, n_simplices=(0.6, 0.5), random_state=3
        ),
        lambda est, X: simplicial_energy(
            X, [list(sigma) for s in est.simplices_ for sigma in s]
        ),
        0,
    ),
}
#: Energies convex in each neuron: filling a missing neuron never raises them
#: (multilinear, or a convex F); the odd plain polynomial only from the
#: first sweep's end.
CONVEX = {"hebbian", "quartic", "rectified", "exponential", "simplicial",
          "simplicial-diluted", "quartic-weighted", "exponential-weighted"}


def _weights(P):
    return np.arange(P) % 3 + 1


def _fit(name, P, N, seed):
    make, reference_energy, tie = MEMORIES[name]
    X = make_binary_patterns(P, N, random_state=seed)
    weights = _weights(P) if name.endswith("-weighted") else None
    est = make().fit(X, sample_weight=weights)
    return est, X, reference_energy(est, X), tie


@pytest.mark.parametrize("name", MEMORIES)
@FAST
@given(seed=seeds, P=st.integers(1, 5), N=st.integers(3, 9),
       share=st.floats(0.1, 0.9))
def test_async_retrieval_equals_the_reference(name, seed, P, N, share):
    est, X, energy, tie = _fit(name, P, N, seed)
    C = partial_cues(X, np.random.default_rng(seed), share)
    result = est.retrieve(C)
    dyn_seed = est._dynamics_seed()
    for cue, got, n_iter in zip(C, result.states, result.n_iter):
        try:
            expected, energies = reference_async(
                energy, cue, dyn_seed, est.max_iter, tie
            )
        except NearTie:
            continue
        np.testing.assert_array_equal(got, expected)
        assert n_iter == len(energies) - 1
        # clamped entries unchanged, none left at 0
        known = ~np.isnan(cue)
        if not known.all():
            np.testing.assert_array_equal(got[known], np.sign(cue[known]))
        assert np.isin(got, (-1.0, 1.0)).all()
        # the exact energy never rises, from the partial state with its
        # zeros (convex energies) or from the end of the first sweep
        tail = energies if name in CONVEX else energies[1:]
        slack = 0 if isinstance(tie, tuple) else tie
        assert all(b - a <= slack for a, b in zip(tail, tail[1:]))


@pytest.mark.parametrize("name", MEMORIES)
@FAST
@given(seed=seeds, P=st.integers(2, 8), share=st.floats(0.2, 0.8))
def test_exact_energy_of_the_retrieved_states_never_rises(name, seed, P, share):
    # The memory's own states after 1, 2, ... sweeps (the sweep orders
    # depend on the sweep number alone), scored by the exact energy.
    est, X, energy, tie = _fit(name, P, 10, seed)
    C = partial_cues(X, np.random.default_rng(seed), share)
    trail = [[energy(start_state(cue))] for cue in C]
    for k in range(1, 6):
        states = est.set_params(max_iter=k).transform(C)
        for t, state in zip(trail, states):
            t.append(energy([int(v) for v in state]))
    for t in trail:
        t = t if name in CONVEX else t[1:]
        slack = 0 if isinstance(tie, tuple) else tie
        assert all(b - a <= slack for a, b in zip(t, t[1:]))


@pytest.mark.parametrize("name", MEMORIES)
@FAST
@given(seed=seeds, P=st.integers(1, 5), N=st.integers(3, 8),
       share=st.floats(0.1, 0.9), n_steps=st.integers(1, 3))
def test_sync_steps_equal_the_reference(name, seed, P, N, share, n_steps):
    est, X, energy, tie = _fit(name, P, N, seed)
    est.set_params(update="sync", max_iter=n_steps)
    C = partial_cues(X, np.random.default_rng(seed), share)
    # the driver stops a row at a fixed point or a cycle: compare the rows
    # that ran all n_steps, and the fixed points
    result = est.retrieve(C)
    for cue, got, n_iter, cycled in zip(C, result.states, result.n_iter, result.cycled):
        if cycled:
            continue
        try:
            expected = reference_sync(energy, cue, n_iter, tie)
        except NearTie:
            continue
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", MEMORIES)
@FAST
@given(seed=seeds, share=st.floats(0.0, 0.9))
def test_energy_of_a_partial_state_is_that_of_its_zeros(name, seed, share):
    est, X, energy, _ = _fit(name, 4, 7, seed)
    C = partial_cues(X, np.random.default_rng(seed), share)
    got = est.energy(C)
    for cue, e in zip(C, got):
        exact = energy(start_state(cue))
        # float64 sums of the terms: within rounding of their size
        atol = 1e-12 * float(energy.scale(start_state(cue))) if name == "order-25" else 1e-12
        if name.startswith("exponential"):
            # reported as -(1/beta) log(mean exp(beta m)), a monotone map
            # (the weighted mean with weights)
            total = 4 if name == "exponential" else int(_weights(4).sum())
            exact = -(Decimal(2) * (-exact / total).ln())
        np.testing.assert_allclose(e, float(exact), rtol=1e-12, atol=atol)


# -- nothing missing: the whole-cue path, bit for bit ---------------------------------
@pytest.mark.parametrize("name", MEMORIES)
@pytest.mark.parametrize("update", ["async", "sync"])
@FAST
@given(seed=seeds, share=st.floats(0.0, 0.5))
def test_all_free_is_the_whole_cue_path(name, update, seed, share):
    est, X, _, _ = _fit(name, 5, 24, seed)
    rng = np.random.default_rng(seed)
    S = np.where(rng.random((7, 24)) < 0.5, -1.0, 1.0)
    model = est._model()
    kw = dict(update=update, max_iter=20, seed=seed)
    plain = run_dynamics(model, S, **kw)
    every = run_dynamics(model, S, free=np.ones(S.shape, dtype=bool), **kw)
    for a, b in zip(plain, every):
        np.testing.assert_array_equal(a, b)
    # whole cues among partial ones answer as alone
    C = np.vstack([S, partial_cues(S, rng, max(share, 0.1))[2:]])
    est.set_params(update=update)
    np.testing.assert_array_equal(est.transform(C)[:7], est.transform(S))


@pytest.mark.parametrize("name", MEMORIES)
def test_independent_of_n_jobs_and_working_memory(name):
    est, X, _, _ = _fit(name, 6, 30, 0)
    rng = np.random.default_rng(1)
    C = partial_cues(np.repeat(X, 20, axis=0), rng, 0.5)
    base = est.retrieve(C)
    with config_context(working_memory=0.05), parallel_config(n_jobs=2):
        est.set_params(n_jobs=2)
        other = est.retrieve(C)
    for key in ("states", "n_iter", "converged", "nearest"):
        np.testing.assert_array_equal(base[key], other[key])


# -- all missing, predict, fit --------------------------------------------------------
@pytest.mark.parametrize("name", MEMORIES)
@pytest.mark.parametrize("update", ["async", "sync"])
def test_a_cue_with_every_entry_missing(name, update):
    est, X, energy, tie = _fit(name, 4, 8, 0)
    est.set_params(update=update)
    result = est.retrieve(np.full((3, 8), np.nan))
    assert np.isin(result.states, (-1.0, 1.0)).all()
    # every row the same answer: the dynamics from the zero state
    assert (result.states == result.states[0]).all()
    if update == "async":
        try:
            expected, _ = reference_async(
                energy, np.full(8, np.nan), est._dynamics_seed(), est.max_iter, tie
            )
        except NearTie:
            return
        np.testing.assert_array_equal(result.states[0], expected)
        assert result.converged.all()


@pytest.mark.parametrize("name", MEMORIES)
def test_predict_is_the_pattern_nearest_the_retrieved_state(name):
    est, X, _, _ = _fit(name, 5, 12, 0)
    y = np.array(list("abcde"))
    est.fit(X, y)
    C = partial_cues(X, np.random.default_rng(0), 0.4)
    states = est.transform(C)
    d = (states[:, None, :] != X[None]).sum(axis=2)
    if est._model().symmetric:
        d = np.minimum(d, (states[:, None, :] != -X[None]).sum(axis=2))
    pred = est.predict(C)
    assert all(d[k, list(y).index(p)] == d[k].min() for k, p in enumerate(pred))
    assert est.score(C, pred) == 1.0


@pytest.mark.parametrize("make", [HopfieldMemory, DenseAssociativeMemory,
                                  SimplicialHopfieldMemory])
def test_fit_fills_missing_pattern_entries_with_the_column_majority(make):
    X = np.array([[1, 1, -1, 1], [1, -1, -1, 1], [-1, -1, 1, 1]], dtype=float)
    Xm = X.copy()
    Xm[0, 1] = Xm[1, 2] = Xm[2, 0] = np.nan
    Xm[:, 3] = np.nan  # a column with no entry: +1
    est = make(random_state=0).fit(Xm, sample_weight=[1, 1, 3])
    # column 0: +1 +1 (weights 1, 1); column 1: -1 (1) -1 (3); column 2: -1 (1) +1 (3)
    expected = np.array([[1, -1, -1, 1], [1, -1, 1, 1], [1, -1, 1, 1]], dtype=float)
    np.testing.assert_array_equal(est.patterns_, expected)
    ref = make(random_state=0).fit(expected, sample_weight=[1, 1, 3])
    Q = make_binary_patterns(6, 4, random_state=1)
    np.testing.assert_array_equal(est.transform(Q), ref.transform(Q))


def test_an_odd_polynomial_may_rise_when_a_missing_neuron_is_filled():
    # Documented: F(z) = z^3 is not convex.  Both known overlaps are -2, and
    # the missing neuron agrees with one pattern and not the other: either
    # sign gives -((-1)^3 + (-3)^3) = 28 > 16 = -((-2)^3 + (-2)^3).
    X = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 1, -1]], dtype=float)
    est = DenseAssociativeMemory("polynomial", order=3, random_state=0).fit(X)
    cue = np.array([[-1, -1, -1, 1, np.nan]])
    done = est.transform(cue)
    np.testing.assert_array_equal(done, [[-1, -1, -1, 1, 1]])  # the tie: +1
    assert est.energy(cue)[0] == 16.0 and est.energy(done)[0] == 28.0
    # an even order fills it without a rise (convex)
    even = DenseAssociativeMemory("polynomial", order=4, random_state=0).fit(X)
    assert even.energy(even.transform(cue))[0] <= even.energy(cue)[0]


def test_inf_is_still_refused():
    est = HopfieldMemory().fit(make_binary_patterns(3, 6, random_state=0))
    bad = np.full((1, 6), np.nan)
    bad[0, 2] = np.inf
    for method in ("transform", "predict", "energy", "retrieve"):
        with pytest.raises(ValueError, match="infinity"):
            getattr(est, method)(bad)


# -- bidirectional memory -------------------------------------------------------------
def reference_bam(W, cue, given, max_iter):
    """Kosko's alternation from a partial cue of one layer, exact integers."""
    W = [[int(v) for v in row] for row in W]
    N, M = len(W), len(W[0])
    s, free = start_state(cue), free_mask(cue)

    def field_y(x):
        return [sum(W[i][j] * x[i] for i in range(N)) for j in range(M)]

    def field_x(y):
        return [sum(W[i][j] * y[j] for j in range(M)) for i in range(N)]

    def settle(h, cur, free):
        out = []
        for hv, c, f in zip(h, cur, free):
            if not f:
                out.append(c)
            elif c == 0:
                out.append(-1 if hv < 0 else 1)
            else:
                out.append(-c if hv * c < 0 else c)
        return out

    everything = [True] * max(N, M)
    if given == "x":
        x = s
        y = [1 if h > 0 else -1 for h in field_y(x)]  # the other layer: tie -1
    else:
        y = s
        x = [1 if h > 0 else -1 for h in field_x(y)]
    for _ in range(max_iter):
        if given == "x":
            y2 = settle(field_y(x), y, everything)
            x2 = settle(field_x(y2), x, free)
        else:
            x2 = settle(field_x(y), x, everything)
            y2 = settle(field_y(x2), y, free)
        if (x2, y2) == (x, y):
            break
        x, y = x2, y2
    return np.array(x, dtype=float), np.array(y, dtype=float)


@FAST
@given(seed=seeds, P=st.integers(1, 6), N=st.integers(2, 12), M=st.integers(2, 8),
       share=st.floats(0.1, 0.9))
def test_bam_both_directions_equal_the_reference(seed, P, N, M, share):
    X = make_binary_patterns(P, N, random_state=seed)
    Y = make_binary_patterns(P, M, random_state=seed + 1)
    bam = BidirectionalAssociativeMemory().fit(X, Y)
    rng = np.random.default_rng(seed)
    for given, cues in (("x", partial_cues(X, rng, share)),
                        ("y", partial_cues(Y, rng, share))):
        result = bam.retrieve(cues) if given == "x" else bam.retrieve_backward(cues)
        for k, cue in enumerate(cues):
            x, y = reference_bam(bam.weights_, cue, given, bam.max_iter)
            np.testing.assert_array_equal(result.states[k], x)
            np.testing.assert_array_equal(result.targets[k], y)
            known = ~np.isnan(cue)
            if not known.all():
                got = result.states[k] if given == "x" else result.targets[k]
                np.testing.assert_array_equal(got[known], np.sign(cue[known]))
        if given == "x":
            np.testing.assert_array_equal(bam.transform(cues), result.states)
            np.testing.assert_array_equal(bam.predict(cues), result.targets)
        else:
            np.testing.assert_array_equal(bam.predict_backward(cues), result.states)
    # energies: of the partial states, missing units at 0
    Cx = partial_cues(X, rng, share)
    Z = np.nan_to_num(np.sign(Cx), nan=0.0)
    np.testing.assert_array_equal(bam.energy(Cx), -np.abs(Z @ bam.weights_).sum(axis=1))
