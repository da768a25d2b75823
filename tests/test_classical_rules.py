"""The classical learning rules and the nearest-pattern read-out, against exact references.

References written independently of the library's formulation:

- Storkey's rule exactly as the literature states it (an explicit sum over
  ``k != i, j`` for every pair), in ``fractions.Fraction`` for small
  memories and in Python integers (scaled by ``N^P``) for long runs far past
  capacity;
- the Hebbian sum in exact integers;
- the pseudo-inverse projection from a ``Fraction`` Gram-Schmidt-free
  formula ``B^T (B B^T)^-1 B`` on an exact basis of the patterns' span;
- nearest-pattern assignment by brute-force Hamming distances.

The library computes each differently (BLAS rank-2 updates up to a positive
factor, SVD), so the comparisons are of weights up to that factor and,
above all, of the dynamics' decisions: a neuron flips iff its exact field
has the opposite sign of its state, and an exact zero field keeps it.
"""

import itertools
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from skhopfield import HopfieldMemory
from skhopfield._core.binary import nearest_pattern
from skhopfield.datasets import make_binary_patterns
from skhopfield.exceptions import CapacityWarning

EXACT = settings(max_examples=25, deadline=None)


# -- exact references ------------------------------------------------------------------
def storkey_fractions(X):
    """Storkey (1997), literally: w_ij += (x_i x_j - x_i h_ji - h_ij x_j) / N."""
    w = [[Fraction(0)] * X.shape[1] for _ in range(X.shape[1])]
    for w in storkey_fraction_steps(X):
        pass
    return w


def storkey_fraction_steps(X):
    """The couplings of :func:`storkey_fractions` after each pattern."""
    P, N = X.shape
    w = [[Fraction(0)] * N for _ in range(N)]
    for x in X.astype(int).tolist():
        h = [
            [sum((w[i][k] * x[k] for k in range(N) if k not in (i, j)), Fraction(0))
             for j in range(N)]
            for i in range(N)
        ]
        w = [
            [
                w[i][j] + Fraction(x[i] * x[j], N) - x[i] * h[j][i] / N - h[i][j] * x[j] / N
                if i != j
                else Fraction(0)
                for j in range(N)
            ]
            for i in range(N)
        ]
        yield w


def storkey_integers(X):
    """The same rule in integers: ``W = M / N^P`` (for long runs).

    ``H_ij = sum_{k != i, j} M_ik x_k`` is the whole sum less its ``k = j``
    and ``k = i`` terms; then ``M <- N M + N^p x x^T - (x_i H_ji) - (H_ij x_j)``
    off the diagonal, which is ``N^(p+1)`` times the rule's update.
    """
    P, N = X.shape
    M = np.zeros((N, N), dtype=object)
    M[:] = 0
    power = 1
    for row in X.astype(int):
        x = np.array([int(v) for v in row], dtype=object)
        H = M.dot(x)[:, None] - M * x[None, :] - (np.diag(M) * x)[:, None]
        M = N * M + power * np.outer(x, x) - x[:, None] * H.T - H * x[None, :]
        for i in range(N):
            M[i, i] = 0
        power *= N
    return M


def hebbian_fractions(X):
    P, N = X.shape
    C = X.astype(int).T @ X.astype(int)  # exact integers
    return [[Fraction(int(C[i, j]), N) if i != j else Fraction(0) for j in range(N)]
            for i in range(N)]


def projection_fractions(X):
    """Orthogonal projection onto the row span of X, diagonal zeroed, exactly."""
    P, N = X.shape
    rows = [[Fraction(int(v)) for v in r] for r in X]
    # An exact basis of the span by Gaussian elimination (row echelon form).
    basis, pivots = [], []
    for r in rows:
        r = list(r)
        for b, p in zip(basis, pivots):
            if r[p] != 0:
                f = r[p] / b[p]
                r = [a - f * c for a, c in zip(r, b)]
        nz = [k for k, v in enumerate(r) if v != 0]
        if nz:
            basis.append(r)
            pivots.append(nz[0])
    rank = len(basis)
    if rank == 0:
        return [[Fraction(0)] * N for _ in range(N)], 0
    G = [[sum(a * c for a, c in zip(bi, bj)) for bj in basis] for bi in basis]
    Ginv = _inverse(G)
    proj = [
        [
            Fraction(0) if i == j else sum(
                basis[a][i] * Ginv[a][b] * basis[b][j]
                for a in range(rank) for b in range(rank)
            )
            for j in range(N)
        ]
        for i in range(N)
    ]
    return proj, rank


def _inverse(G):
    n = len(G)
    A = [list(row) + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(G)]
    for c in range(n):
        p = next(r for r in range(c, n) if A[r][c] != 0)
        A[c], A[p] = A[p], A[c]
        pivot = A[c][c]
        A[c] = [v / pivot for v in A[c]]
        for r in range(n):
            if r != c and A[r][c] != 0:
                f = A[r][c]
                A[r] = [a - f * b for a, b in zip(A[r], A[c])]
    return [row[n:] for row in A]


def exact_next_states(W, states, margin=10**6):
    """One synchronous step from each state with exact couplings ``W``.

    Returns the next states and a mask of the decisions float arithmetic
    can be asked to match: exact ties (zero field, which keeps the state)
    and fields above ``1 / margin`` of the largest possible field (integer
    arithmetic throughout: the integer references outgrow float64).
    """
    N = len(W)
    scale = max((sum(abs(W[i][j]) for i in range(N)) for j in range(N)), default=0)
    fields = [[sum(W[i][j] * s[j] for j in range(N)) for i in range(N)] for s in states]
    nxt = np.array(
        [[-s[i] if f[i] * s[i] < 0 else s[i] for i in range(N)] for s, f in zip(states, fields)],
        dtype=float,
    )
    checkable = np.array(
        [[f[i] == 0 or abs(f[i]) * margin > scale for i in range(N)] for f in fields]
    )
    return nxt, checkable


def one_sync_step(memory, states):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return memory.set_params(update="sync", max_iter=1).transform(states)


def all_states(N):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=N)))


def assert_proportional(W, W_exact, rtol=1e-9):
    """``W = c W_exact`` for some ``c > 0`` (both all-zero counts too)."""
    exact = np.array([[float(v) for v in row] for row in W_exact])
    if not exact.any():
        assert not W.any()
        return
    top = np.unravel_index(np.argmax(np.abs(exact)), exact.shape)
    c = W[top] / exact[top]
    assert c > 0
    np.testing.assert_allclose(W, c * exact, rtol=0, atol=rtol * np.abs(W).max())


patterns_strategy = st.integers(2, 6).flatmap(
    lambda N: st.lists(
        st.lists(st.sampled_from([-1.0, 1.0]), min_size=N, max_size=N),
        min_size=1,
        max_size=3 * N,
    )
)


# -- Storkey ----------------------------------------------------------------------------
@pytest.mark.parametrize("n_patterns", [400, 1500, 5000])
def test_storkey_far_past_capacity_stays_symmetric_finite_and_exact(n_patterns):
    # Issue 17 item 2: at N = 10 the old five-pass update was asymmetric by
    # 3e15 at P = 400 and NaN at P = 5000.  (The rule's own couplings pass
    # 1e300 near P = 4000 here.)
    N = 10
    X = make_binary_patterns(n_patterns, N, random_state=0)
    starts = all_states(N)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning, nor anything else
        # ... but the capacity warning: 40 to 500 patterns per neuron.
        with pytest.warns(CapacityWarning, match="Storkey rule holds about"):
            memory = HopfieldMemory("storkey", random_state=0).fit(X)
        W = memory.weights_
        assert np.isfinite(W).all()
        np.testing.assert_array_equal(W, W.T)
        assert (np.diag(W) == 0).all()
        assert 0.5 <= np.abs(W).max() < 1.0
        result = memory.retrieve(starts)
    assert result.converged.all()
    if n_patterns > 1500:
        return  # the exact reference costs seconds here (5000-digit integers)
    # Decisions against the rule in exact integer arithmetic: every one of
    # the 1024 states, every neuron.
    M = storkey_integers(X)
    nxt, checkable = exact_next_states(M, starts.astype(int).tolist())
    assert checkable.mean() > 0.99
    got = one_sync_step(memory, starts)
    np.testing.assert_array_equal(got[checkable], nxt[checkable])
    # And the weights, up to the positive factor.
    big = max(abs(v) for v in M.flat)
    assert_proportional(W, [[Fraction(v, big) for v in row] for row in M])


@EXACT
@given(X=patterns_strategy)
def test_storkey_matches_the_rule_in_exact_arithmetic(X):
    X = np.array(X)
    W_exact = storkey_fractions(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacityWarning)  # tiny N can cancel to 0
        memory = HopfieldMemory("storkey", random_state=0).fit(X)
    np.testing.assert_array_equal(memory.weights_, memory.weights_.T)
    assert_proportional(memory.weights_, W_exact)
    states = all_states(X.shape[1])
    nxt, checkable = exact_next_states(W_exact, states.astype(int).tolist())
    got = one_sync_step(memory, states)
    np.testing.assert_array_equal(got[checkable], nxt[checkable])


def unit_max(W):
    """``W`` divided by its largest absolute entry (zeros stay zeros)."""
    largest = np.abs(W).max()
    return W / largest if largest else W


@EXACT
@given(X=patterns_strategy, cuts=st.lists(st.integers(1, 17), min_size=1, max_size=3))
def test_storkey_partial_fit_continues_the_sequence(X, cuts):
    # fit(A u B) and fit(A) + partial_fit(B) (+ partial_fit(C) ...) give
    # bitwise the same weights_, scale and energies: the couplings' factor is
    # canonical, whatever the path (it once differed by a power of two, and
    # the energy by exactly 2x).
    X = np.array(X)
    cuts = sorted({min(c, len(X)) for c in cuts})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacityWarning)
        whole = HopfieldMemory("storkey").fit(X)
        parts = HopfieldMemory("storkey").fit(X[: cuts[0]])
        for lo, hi in zip(cuts, cuts[1:] + [len(X)]):
            if lo < hi:
                parts.partial_fit(X[lo:hi])
    states = all_states(X.shape[1])
    steps = list(storkey_fraction_steps(X))
    W_exact = steps[-1]
    if any(not any(map(any, w)) for w in steps[:-1]):
        # The exact couplings cancelled to zero on the way (tiny N): what
        # round-off is left there is cleared when it is noticed, which the
        # split can move; equal to rounding then.
        np.testing.assert_allclose(
            unit_max(parts.weights_), unit_max(whole.weights_), rtol=0, atol=1e-12
        )
    else:
        np.testing.assert_array_equal(parts.weights_, whole.weights_)
        assert parts._weights_scale == whole._weights_scale
        np.testing.assert_array_equal(parts.energy(states), whole.energy(states))
    # Against the rule in exact arithmetic: weights_ times the factor are the
    # rule's couplings (not only proportional to them), and the energy in
    # the units of weights_ is the exact energy divided by the factor.
    exact = np.array([[float(v) for v in row] for row in W_exact])
    factor = np.exp(whole._weights_log_scale)
    tol = 1e-9 * np.abs(exact).max()
    np.testing.assert_allclose(factor * whole.weights_, exact, rtol=0, atol=tol)
    exact_energy = [
        -sum(W_exact[i][j] * int(s[i]) * int(s[j]) for i in range(len(s)) for j in range(len(s)))
        / 2
        for s in states
    ]
    np.testing.assert_allclose(
        factor * whole.energy(states),
        np.array([float(E) for E in exact_energy]),
        rtol=0,
        atol=tol * X.shape[1] ** 2,
    )


# -- Hebbian ----------------------------------------------------------------------------
@EXACT
@given(X=patterns_strategy)
def test_hebbian_matches_exact_integers(X):
    X = np.array(X)
    W_exact = hebbian_fractions(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacityWarning)
        memory = HopfieldMemory("hebbian", random_state=0).fit(X)
    # One fit: each coupling is the correctly rounded value of k / N.
    expected = np.array([[float(v) for v in row] for row in W_exact])
    np.testing.assert_array_equal(memory.weights_, expected)
    states = all_states(X.shape[1])
    nxt, checkable = exact_next_states(W_exact, states.astype(int).tolist())
    np.testing.assert_array_equal(one_sync_step(memory, states)[checkable], nxt[checkable])


# -- pseudo-inverse -----------------------------------------------------------------------
@EXACT
@given(X=patterns_strategy)
def test_pseudoinverse_matches_the_exact_projection(X):
    X = np.array(X)
    W_exact, rank = projection_fractions(X)
    N = X.shape[1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CapacityWarning)
        memory = HopfieldMemory("pseudoinverse", random_state=0).fit(X)
    warned = any(issubclass(w.category, CapacityWarning) for w in caught)
    # All couplings vanish exactly when the patterns span everything, and
    # that is exactly when fit warns.
    assert warned == (rank == N)
    assert (not memory.weights_.any()) == (rank == N)
    expected = np.array([[float(v) for v in row] for row in W_exact])
    np.testing.assert_allclose(memory.weights_, expected, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(memory.weights_, memory.weights_.T)
    states = all_states(N)
    nxt, checkable = exact_next_states(W_exact, states.astype(int).tolist())
    np.testing.assert_array_equal(one_sync_step(memory, states)[checkable], nxt[checkable])


# -- CapacityWarning ------------------------------------------------------------------------
def test_pseudoinverse_at_n_patterns_is_trivial_and_warns():
    N = 32
    X = make_binary_patterns(N, N, random_state=0)
    assert np.linalg.matrix_rank(X) == N
    with pytest.warns(CapacityWarning, match="span all 32 dimensions"):
        memory = HopfieldMemory("pseudoinverse", random_state=0).fit(X)
    assert not memory.weights_.any()
    cues = make_binary_patterns(20, N, random_state=1)
    np.testing.assert_array_equal(memory.transform(cues), cues)  # nothing moves


def test_pseudoinverse_at_half_n_does_not_warn():
    X = make_binary_patterns(16, 32, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        memory = HopfieldMemory("pseudoinverse", random_state=0).fit(X)
    assert memory.stable_patterns_.all() and memory.weights_.any()


def test_partial_fit_reaching_n_warns():
    X = make_binary_patterns(12, 12, random_state=3)
    assert np.linalg.matrix_rank(X) == 12
    memory = HopfieldMemory("pseudoinverse").fit(X[:11])
    with pytest.warns(CapacityWarning):
        memory.partial_fit(X[11:])


def test_capacity_warning_is_a_filterable_user_warning():
    assert issubclass(CapacityWarning, UserWarning)
    X = np.where(np.eye(8) > 0, 1.0, -1.0)  # 2I - J: full rank
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=CapacityWarning)
        HopfieldMemory("pseudoinverse").fit(X)
    assert not caught
    with warnings.catch_warnings():
        warnings.simplefilter("error", CapacityWarning)
        with pytest.raises(CapacityWarning):
            HopfieldMemory("pseudoinverse").fit(X)


def test_hebbian_couplings_that_cancel_warn():
    # Two orthogonal patterns in two neurons: their Hebbian terms cancel.
    with pytest.warns(CapacityWarning, match="couplings learned are zero"):
        memory = HopfieldMemory().fit([[1.0, 1.0], [1.0, -1.0]])
    assert not memory.weights_.any()


def test_capacity_warning_is_listed_in_the_api_reference():
    from pathlib import Path

    api = (Path(__file__).resolve().parent.parent / "docs" / "api.rst").read_text()
    assert "skhopfield.exceptions" in api and "   CapacityWarning\n" in api


# -- nearest pattern: exact match before ghost -------------------------------------------
@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudoinverse"])
def test_exact_match_beats_a_ghost(rule):
    # Issue 17 item 3: X = [a, b, -a] predicted ['A', 'B', 'A'].
    a, b = make_binary_patterns(2, 64, random_state=0)
    X = np.array([a, b, -a])
    memory = HopfieldMemory(rule, random_state=0).fit(X, ["A", "B", "notA"])
    np.testing.assert_array_equal(memory.transform(X), X)
    assert memory.predict(X).tolist() == ["A", "B", "notA"]
    # Reversed storage order: still each its own label.
    memory.fit(X[::-1], ["notA", "B", "A"])
    assert memory.predict(X).tolist() == ["A", "B", "notA"]


def brute_force_nearest(states, patterns, ghosts):
    out = []
    for s in states:
        keys = []
        for k, x in enumerate(patterns):
            direct = int(np.sum(s != x))
            ghost = int(np.sum(s != -x))
            if ghosts:
                keys.append((min(direct, ghost), 0 if direct <= ghost else 1, k))
            else:
                keys.append((direct, k))
        out.append(min(keys)[-1])
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    N=st.integers(1, 8),
    n_patterns=st.integers(1, 8),
    ghosts=st.booleans(),
)
def test_nearest_pattern_matches_brute_force_hamming(data, N, n_patterns, ghosts):
    pm1 = st.sampled_from([-1.0, 1.0])
    base = np.array(
        data.draw(st.lists(st.lists(pm1, min_size=N, max_size=N), min_size=1, max_size=3))
    )
    # Patterns built from a few base rows, sign-flipped and repeated, so ties
    # between a pattern, its duplicate and its ghost are common.
    picks = data.draw(st.lists(st.integers(0, len(base) - 1), min_size=n_patterns,
                               max_size=n_patterns))
    signs = np.array(data.draw(st.lists(pm1, min_size=n_patterns, max_size=n_patterns)))
    patterns = base[picks] * signs[:, None]
    states = np.vstack([
        patterns,
        -patterns,
        np.array(data.draw(st.lists(st.lists(pm1, min_size=N, max_size=N), max_size=6))
                 ).reshape(-1, N),
    ])
    got = nearest_pattern(states.copy(), patterns, ghosts=ghosts)
    np.testing.assert_array_equal(got, brute_force_nearest(states, patterns, ghosts))
    # A state equal to a stored pattern is always assigned an identical one.
    n = len(patterns)
    np.testing.assert_array_equal(patterns[got[:n]], patterns)


def test_storkey_exact_cancellation_gives_zero_couplings_in_fit_and_partial_fit():
    # Regression (found by the fit-then-partial_fit property test): with N = 2
    # these six patterns make the exact Storkey couplings cancel to zero
    # (checked in Fractions below).  Round-off left after the cancellation
    # must not be rescaled into unit-size couplings.
    X = np.array([[1, -1], [1, -1], [1, 1], [1, -1], [-1, -1], [1, 1]], dtype=float)
    w = [[Fraction(0)] * 2 for _ in range(2)]
    for x in X.astype(int):
        h = [sum(w[i][k] * x[k] for k in range(2)) for i in range(2)]
        w = [
            [
                Fraction(0)
                if i == j
                else w[i][j]
                + Fraction(
                    x[i] * x[j] - x[i] * (h[j] - w[j][i] * x[i]) - (h[i] - w[i][j] * x[j]) * x[j],
                    2,
                )
                for j in range(2)
            ]
            for i in range(2)
        ]
    assert w == [[0, 0], [0, 0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CapacityWarning)
        whole = HopfieldMemory("storkey").fit(X)
        parts = HopfieldMemory("storkey").fit(X[:4]).partial_fit(X[4:])
    np.testing.assert_array_equal(whole.weights_, np.zeros((2, 2)))
    np.testing.assert_array_equal(parts.weights_, np.zeros((2, 2)))
