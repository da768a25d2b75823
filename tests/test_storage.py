"""Bit-packed storage of the binary memories and the nearest-pattern search.

The binary memories keep their +/-1 patterns one bit per entry
(``packed_patterns_``) and search the nearest stored pattern by unpacking
tiles of patterns into float32.  Checked against what this code did not
compute: exact integer Hamming distances in plain Python, the float64 search
as it was before (copied here verbatim), ``fractions.Fraction`` vote totals,
and ``numpy.unpackbits``.
"""

from fractions import Fraction

import numpy as np
import pytest
from _cases import BINARY_CASES, fit_args, labels_for, patterns
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import config_context

import skhopfield._core.binary as binary
from skhopfield import BidirectionalAssociativeMemory, HopfieldMemory
from skhopfield._batch import chunk_slices
from skhopfield._core.binary import (
    nearest_label,
    nearest_pattern,
    pack_signs,
    packed_width,
    pattern_tile_rows,
    unpack_signs,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::skhopfield.exceptions.CapacityWarning"),
]

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# -- references ------------------------------------------------------------------------
def old_nearest_pattern(states, patterns, ghosts=True):
    """The float64 search before bit-packing, verbatim."""
    overlaps = states @ patterns.T
    if ghosts:
        overlaps *= 2.0
        overlaps += 0.5
        np.abs(overlaps, out=overlaps)
    return np.argmax(overlaps, axis=1)


def old_nearest_label(states, patterns, votes, ghosts=True):
    """The float64 search with votes before bit-packing, verbatim."""
    overlaps = states @ patterns.T
    if ghosts:
        overlaps *= 2.0
        overlaps += 0.5
        np.abs(overlaps, out=overlaps)
    best = overlaps.max(axis=1, keepdims=True)
    tied = np.equal(overlaps, best, out=overlaps)
    return np.argmax(tied @ votes, axis=1)


def _rank(state, pattern, ghosts):
    """Sort key of a pattern for a state, in Python integers: the Hamming
    distance (through the ghost when nearer), then direct before ghost."""
    d = sum(int(a != b) for a, b in zip(state.tolist(), pattern.tolist()))
    if not ghosts:
        return (d, 0)
    ghost_d = len(state) - d
    return (d, 0) if d <= ghost_d else (ghost_d, 1)


def exact_nearest(states, patterns, ghosts):
    return np.array(
        [
            min(range(len(patterns)), key=lambda j: (_rank(s, patterns[j], ghosts), j))
            for s in states
        ]
    )


def exact_label(states, patterns, classes, weights, n_classes, ghosts):
    out = []
    for s in states:
        ranks = [_rank(s, x, ghosts) for x in patterns]
        best = min(ranks)
        totals = [Fraction(0)] * n_classes
        for r, c, w in zip(ranks, classes, weights):
            if r == best:
                totals[c] += Fraction(w)
        out.append(max(range(n_classes), key=lambda c: (totals[c], -c)))
    return np.array(out)


# -- data ------------------------------------------------------------------------------
@st.composite
def search_cases(draw, max_features=70):
    """Patterns with duplicates and sign-reversed twins, and states that are
    stored patterns, their ghosts, or near them: ties of every kind."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_features = draw(st.integers(1, max_features))  # mostly not a multiple of 8
    n_patterns = draw(st.integers(1, 25))
    n_states = draw(st.integers(1, 12))
    rng = np.random.default_rng(seed)
    P = np.where(rng.random((n_patterns, n_features)) < 0.5, -1.0, 1.0)
    if n_patterns > 2:
        P[rng.integers(0, n_patterns)] = P[0]  # a duplicate
        P[rng.integers(1, n_patterns)] = -P[1]  # a stored ghost
    S = np.where(rng.random((n_states, n_features)) < 0.5, -1.0, 1.0)
    kind = rng.integers(0, 4, n_states)
    picks = P[rng.integers(0, n_patterns, n_states)]
    flips = np.where(rng.random((n_states, n_features)) < 0.1, -1.0, 1.0)
    S = np.where((kind == 1)[:, None], picks, S)
    S = np.where((kind == 2)[:, None], -picks, S)
    S = np.where((kind == 3)[:, None], picks * flips, S)
    tile = draw(st.integers(1, n_patterns + 3))
    return P, S, tile


# -- packing ---------------------------------------------------------------------------
@FAST
@given(
    n_rows=st.integers(0, 20),
    n_features=st.integers(1, 80),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_pack_then_unpack_is_the_identity_at_any_width(n_rows, n_features, dtype, seed):
    rng = np.random.default_rng(seed)
    S = np.where(rng.random((n_rows, n_features)) < 0.5, -1.0, 1.0)
    packed = pack_signs(S)
    assert packed.dtype == np.uint8
    assert packed.shape == (n_rows, packed_width(n_features))
    assert packed_width(n_features) == -(-n_features // 8)
    # numpy's own bits, the padding zero
    bits = np.unpackbits(packed, axis=1)
    np.testing.assert_array_equal(bits[:, :n_features], S > 0)
    assert not bits[:, n_features:].any()
    back = unpack_signs(packed, n_features, dtype)
    assert back.dtype == dtype and back.flags.c_contiguous
    np.testing.assert_array_equal(back, S)
    # into a scratch tile larger than needed
    buf = np.full((n_rows + 2, 8 * packed_width(n_features)), 7, dtype=dtype)
    np.testing.assert_array_equal(unpack_signs(packed, n_features, dtype, buf), S)


def test_unpack_refuses_a_width_the_bytes_cannot_hold():
    packed = pack_signs(np.ones((2, 9)))
    with pytest.raises(ValueError, match="cannot hold"):
        unpack_signs(packed, 17)
    with pytest.raises(ValueError, match="cannot hold"):
        unpack_signs(packed, 8)


# -- the search against exact integers and the float64 search before -------------------
@FAST
@given(case=search_cases(), ghosts=st.booleans())
def test_nearest_pattern_is_the_exact_hamming_nearest(case, ghosts):
    P, S, tile = case
    got = nearest_pattern(S, pack_signs(P), ghosts=ghosts, tile_rows=tile)
    np.testing.assert_array_equal(got, exact_nearest(S, P, ghosts))
    np.testing.assert_array_equal(got, old_nearest_pattern(S, P, ghosts))
    # unpacked +/-1 patterns are packed first: the same answer
    np.testing.assert_array_equal(nearest_pattern(S, P, ghosts=ghosts), got)


@FAST
@given(
    case=search_cases(),
    ghosts=st.booleans(),
    n_classes=st.integers(1, 4),
    whole=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_nearest_label_votes_as_exact_fractions(case, ghosts, n_classes, whole, seed):
    P, S, tile = case
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, n_classes, len(P))
    # dyadic weights: every sum is exact in float64, so the reference in
    # Fractions and the float64 search before must agree with it exactly
    choices = [1, 2, 3] if whole else [0.25, 0.5, 1.5, 3.0]
    weights = rng.choice(choices, len(P))
    votes = np.zeros((len(P), n_classes))
    votes[np.arange(len(P)), classes] = weights
    got = nearest_label(S, pack_signs(P), votes, ghosts=ghosts, tile_rows=tile)
    np.testing.assert_array_equal(
        got, exact_label(S, P, classes, weights, n_classes, ghosts)
    )
    np.testing.assert_array_equal(got, old_nearest_label(S, P, votes, ghosts))


@settings(FAST, max_examples=15)
@given(case=search_cases(max_features=40), ghosts=st.booleans())
def test_search_in_float64_past_the_float32_range_agrees(
    case, ghosts, monkeypatch_module
):
    # Wider patterns than FLOAT32_MAX_FEATURES are searched in float64: make
    # every width "wide" and compare.
    P, S, tile = case
    packed = pack_signs(P)
    f32 = nearest_pattern(S, packed, ghosts=ghosts, tile_rows=tile)
    monkeypatch_module.setattr(binary, "FLOAT32_MAX_FEATURES", 0)
    try:
        assert binary.search_dtype(P.shape[1]) == np.float64
        f64 = nearest_pattern(S, packed, ghosts=ghosts, tile_rows=tile)
        votes = np.ones((len(P), 1))
        lab = nearest_label(S, packed, votes, ghosts=ghosts, tile_rows=tile)
    finally:
        monkeypatch_module.undo()
    np.testing.assert_array_equal(f64, f32)
    np.testing.assert_array_equal(lab, 0)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@FAST
@given(case=search_cases(), split=st.integers(1, 69))
def test_column_blocks_search_as_the_joined_patterns(case, split):
    # a bidirectional memory searches its two layers, each packed on its own
    P, S, tile = case
    n = P.shape[1]
    if n < 2:
        return
    k = 1 + split % (n - 1)
    parts = (pack_signs(P[:, :k]), pack_signs(P[:, k:]))
    got = nearest_pattern(S, parts, widths=(k, n - k), tile_rows=tile)
    np.testing.assert_array_equal(got, exact_nearest(S, P, True))


def test_float32_is_exact_at_the_largest_float32_width():
    # Overlaps near +/-2^21 and keys |2m + 1/2| near 2^22 + 1/2 are exact in
    # float32; one bit less of overlap must still win.
    n = binary.FLOAT32_MAX_FEATURES
    assert binary.search_dtype(n) == np.float32
    assert binary.search_dtype(n + 1) == np.float64
    x = np.ones((1, n))
    P = np.vstack([x, x, -x])
    P[0, 0] = -1.0  # overlap n - 2
    S = x.copy()
    packed = pack_signs(P)
    assert nearest_pattern(S, packed, ghosts=False).tolist() == [1]
    # the ghost of pattern 2 is at distance 0 too: direct match first
    assert nearest_pattern(S, packed[[0, 2, 1]]).tolist() == [2]
    assert nearest_pattern(S, packed[[0, 2]]).tolist() == [1]


def test_no_patterns_is_an_error_not_a_silent_index():
    with pytest.raises(ValueError, match="No stored patterns"):
        nearest_pattern(np.ones((2, 9)), np.zeros((0, 2), dtype=np.uint8))


# -- tiles and the working-memory budget -----------------------------------------------
def test_tiles_follow_working_memory_and_its_scratch_is_taken_off_the_budget():
    n = 1024
    assert pattern_tile_rows(100_000, n, working_memory=1024) == binary.TILE_BYTES // (
        4 * n
    )
    assert pattern_tile_rows(10, n, working_memory=1024) == 10
    # at most a quarter of a small budget, and never zero
    small = pattern_tile_rows(100_000, n, working_memory=1)
    assert binary.tile_bytes(small, n) <= 2**20 / 4
    assert pattern_tile_rows(100_000, n, working_memory=1e-6) == 1
    # the engine cuts the rest of the budget into rows
    fixed = binary.tile_bytes(small, n)
    rows = chunk_slices(10_000, 1000, working_memory=1, fixed_bytes=fixed)[0]
    assert rows.stop == (2**20 - fixed) // 1000


# -- the estimators --------------------------------------------------------------------
@pytest.mark.parametrize("case", BINARY_CASES, ids=repr)
@pytest.mark.parametrize("n_features", [7, 16, 33])
def test_estimators_store_bits_and_search_them_exactly(case, n_features):
    X = patterns(case, 23, n_features, seed=n_features)
    est = case.make().fit(*fit_args(case, X, labeled=True))
    packed = est.packed_patterns_
    assert packed.dtype == np.uint8 and packed.shape == (23, -(-n_features // 8))
    # the compatible accessor: float64 +/-1, a fresh array each time
    assert est.patterns_.dtype == np.float64
    np.testing.assert_array_equal(est.patterns_, X)
    assert est.patterns_ is not est.patterns_
    cues = patterns(case, 9, n_features, seed=n_features + 1)
    cues[:3] = X[:3]
    cues[3:5] = -X[3:5]
    result = est.retrieve(cues)
    if isinstance(est, BidirectionalAssociativeMemory):
        np.testing.assert_array_equal(
            est.targets_, est.codes_[np.searchsorted(est.classes_, labels_for(23))]
        )
        joint = np.hstack([est.patterns_, est.targets_])
        states = np.hstack([result.states, result.targets])
        np.testing.assert_array_equal(
            result.nearest, exact_nearest(states, joint, ghosts=True)
        )
        return
    ghosts = est._model().symmetric
    np.testing.assert_array_equal(
        result.nearest, exact_nearest(result.states, X, ghosts)
    )
    # predict's votes: the labels of the nearest, exact
    classes = np.searchsorted(est.classes_, labels_for(23))
    expected = exact_label(
        result.states, X, classes, np.ones(23), len(est.classes_), ghosts
    )
    np.testing.assert_array_equal(est.predict(cues), est.classes_[expected])


def test_partial_fit_appends_bits_at_a_width_not_a_multiple_of_8():
    rng = np.random.default_rng(0)
    X = np.where(rng.random((30, 13)) < 0.5, -1.0, 1.0)
    whole = HopfieldMemory(random_state=0).fit(X)
    parts = HopfieldMemory(random_state=0).fit(X[:11]).partial_fit(X[11:])
    np.testing.assert_array_equal(parts.packed_patterns_, whole.packed_patterns_)
    np.testing.assert_array_equal(parts.patterns_, X)


def test_a_memory_of_1024_bits_holds_under_a_quarter_of_the_float64_bytes():
    # The target, counted rather than timed: the fitted arrays of a
    # memory of 1,024-bit patterns against the same memory with its patterns
    # as float64 (what was stored before).  At 10,000 patterns to keep the
    # suite fast; the other arrays do not grow with the number of patterns
    # faster than the patterns do, so the ratio only falls at 100,000
    # (benchmarks/storage.py measures that one).  Ten distinct patterns,
    # repeated: every one a fixed point, so fit is one product.
    rng = np.random.default_rng(0)
    n, p = 1024, 10_000
    distinct = np.where(rng.random((10, n)) < 0.5, -1.0, 1.0)
    X = distinct[np.arange(p) % 10]
    est = HopfieldMemory(random_state=0).fit(X, np.arange(p) % 10)
    arrays = {id(v): v for v in vars(est).values() if isinstance(v, np.ndarray)}
    now = sum(a.nbytes for a in arrays.values())
    before = now - est.packed_patterns_.nbytes + 8 * p * n
    assert est.packed_patterns_.nbytes == p * n // 8
    assert now <= before / 4, (now / 2**20, before / 2**20)
    assert est.stable_patterns_.all()
