"""Tests of ModernHopfieldClassifier and its pure-numpy core."""

import pickle

import numpy as np
import pytest
from scipy.special import logsumexp, softmax
from sklearn import config_context
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import skhopfield._tiles as tiles
from skhopfield import ModernHopfieldClassifier

SIMILARITIES = ["euclidean", "dot", "cosine"]


# -- naive references (float64, no tricks) ------------------------------------------
def _ref_memory(X, similarity):
    X = np.asarray(X, dtype=np.float64)
    if similarity == "cosine":
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
    offset = -0.5 * (X**2).sum(1) if similarity == "euclidean" else np.zeros(len(X))
    return X, offset


def _ref_attention(X, xi, beta, similarity):
    M, o = _ref_memory(X, similarity)
    return softmax(beta * (xi @ M.T + o), axis=1)


def _ref_start(Q, similarity):
    Q = np.asarray(Q, dtype=np.float64)
    if similarity == "cosine":
        return Q / np.linalg.norm(Q, axis=1, keepdims=True)
    return Q


def _ref_energy(X, xi, beta, similarity):
    M, o = _ref_memory(X, similarity)
    lse = logsumexp(beta * (xi @ M.T + o), axis=1) / beta
    # M: the largest pattern norm; for "euclidean" measured from the patterns'
    # mean (documented constant shift: the energy is translation invariant).
    centered = M - M.mean(axis=0) if similarity == "euclidean" else M
    big_m = np.linalg.norm(centered, axis=1).max()
    return -lse + 0.5 * (xi**2).sum(1) + np.log(len(M)) / beta + 0.5 * big_m**2


def _data(n=120, n_features=6, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_classes, n_features)) * 2
    y = rng.integers(0, n_classes, n)
    X = centers[y] + rng.standard_normal((n, n_features))
    return X, y


# -- scikit-learn conventions --------------------------------------------------------
@parametrize_with_checks(
    [
        ModernHopfieldClassifier(),
        ModernHopfieldClassifier(beta=0.5, similarity="dot"),
        ModernHopfieldClassifier(similarity="cosine", max_iter=3),
        ModernHopfieldClassifier(separation="sparsemax"),
        ModernHopfieldClassifier(separation="entmax", entmax_alpha=1.3, max_iter=2),
        ModernHopfieldClassifier(beta=0.5, separation="polynomial", separation_order=2),
        ModernHopfieldClassifier(separation="max", similarity="cosine"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_is_classifier_and_transformer():
    from sklearn.base import is_classifier

    X, y = _data()
    clf = ModernHopfieldClassifier().fit(X, y)
    assert is_classifier(clf)
    assert clf.transform(X).shape == X.shape


# -- correctness against the naive formulas ------------------------------------------
@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("beta", [0.05, 1.0, 20.0])
def test_matches_reference(similarity, beta):
    X, y = _data()
    Q = _data(n=40, seed=1)[0]
    clf = ModernHopfieldClassifier(beta=beta, similarity=similarity).fit(X, y)
    xi0 = _ref_start(Q, similarity)
    A = _ref_attention(X, xi0, beta, similarity)
    onehot = (y[:, None] == clf.classes_[None, :]).astype(float)
    np.testing.assert_allclose(clf.predict_proba(Q), A @ onehot, rtol=1e-9, atol=1e-12)
    M, _ = _ref_memory(X, similarity)
    np.testing.assert_allclose(clf.transform(Q), A @ M, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(
        clf.energy(Q), _ref_energy(X, np.asarray(Q), beta, similarity), rtol=1e-9
    )


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_max_iter_semantics(similarity):
    """transform runs max_iter steps; predict_proba reads labels at the last one."""
    X, y = _data()
    Q = _data(n=30, seed=2)[0]
    beta, k = 0.7, 4
    clf = ModernHopfieldClassifier(
        beta=beta, similarity=similarity, max_iter=k, tol=0
    ).fit(X, y)
    M, _ = _ref_memory(X, similarity)
    xi = _ref_start(Q, similarity)
    states = [xi]
    for _ in range(k):
        xi = _ref_attention(X, xi, beta, similarity) @ M
        states.append(xi)
    np.testing.assert_allclose(clf.transform(Q), states[k], rtol=1e-9, atol=1e-10)
    onehot = (y[:, None] == clf.classes_[None, :]).astype(float)
    expected = _ref_attention(X, states[k - 1], beta, similarity) @ onehot
    np.testing.assert_allclose(clf.predict_proba(Q), expected, rtol=1e-9, atol=1e-12)
    res = clf.retrieve(Q)
    assert (res.n_iter == k).all()


def test_tol_stops_early():
    X, y = _data()
    Q = _data(n=20, seed=9)[0]
    tol = 1e-6
    clf = ModernHopfieldClassifier(beta=50.0, max_iter=50, tol=tol).fit(X, y)
    res = clf.retrieve(Q)
    assert res.converged.all()
    assert (res.n_iter < 50).all()
    assert res.n_iter.max() > 1
    # Each row stopped at the first step that moved it by at most tol * M.
    for k in np.unique(res.n_iter):
        rows = res.n_iter == k
        before = clf.set_params(max_iter=int(k) - 1, tol=0).transform(Q[rows]) if k > 1 \
            else Q[rows]
        after = clf.set_params(max_iter=int(k), tol=0).transform(Q[rows])
        np.testing.assert_array_equal(after, res.states[rows])
        assert (np.linalg.norm(after - before, axis=1) <= tol * clf.max_norm_).all()
        if k > 1:
            prev = clf.set_params(max_iter=int(k) - 2, tol=0).transform(Q[rows]) if k > 2 \
                else Q[rows]
            assert (np.linalg.norm(before - prev, axis=1) > tol * clf.max_norm_).all()


# -- the required behaviours --------------------------------------------------
@pytest.mark.filterwarnings("ignore:The number of unique classes:UserWarning")
def test_exponential_storage_half_masked_cues():
    """5000 random continuous patterns in 64 dims, cues with half the features masked."""
    rng = np.random.default_rng(0)
    P, N = 5000, 64
    X = rng.standard_normal((P, N))
    cues = X.copy()
    mask = np.zeros((P, N), dtype=bool)
    for i in range(P):
        mask[i, rng.choice(N, N // 2, replace=False)] = True
    cues[mask] = 0.0
    # Visible half: overlap ~32 with the right pattern, a max of ~21 with the
    # 4999 others (so ~0.5% of cues are ambiguous even for an exact argmax);
    # beta=16 turns the gap into a factor e^170: one step retrieves.
    clf = ModernHopfieldClassifier(beta=16.0, similarity="dot").fit(X, np.arange(P))
    assert P > 0.138 * N * 100  # far past classical capacity (about 9 patterns)
    retrieved = clf.transform(cues)
    rel_err = np.linalg.norm(retrieved - X, axis=1) / np.linalg.norm(X, axis=1)
    assert np.mean(rel_err < 0.01) >= 0.99
    assert np.mean(clf.predict(cues) == np.arange(P)) >= 0.99
    # The masked features were restored, not just the visible ones.
    assert np.abs(retrieved[mask] - X[mask]).mean() < 0.05 * np.abs(X[mask]).mean()


@pytest.mark.parametrize("similarity", ["euclidean", "dot"])
def test_beta_regimes(similarity):
    X, y = _data(n=200)
    Q = _data(n=50, seed=3)[0]
    # Tiny beta: every cue retrieves the global average (metastable state).
    tiny = ModernHopfieldClassifier(beta=1e-6, similarity=similarity).fit(X, y)
    np.testing.assert_allclose(
        tiny.transform(Q), np.broadcast_to(X.mean(0), Q.shape), atol=1e-3
    )
    class_freq = np.bincount(y) / len(y)
    np.testing.assert_allclose(
        tiny.predict_proba(Q), np.broadcast_to(class_freq, (len(Q), 3)), atol=1e-3
    )
    # Huge beta: the single nearest pattern, i.e. 1-nearest-neighbour.
    huge = ModernHopfieldClassifier(beta=1e6, similarity=similarity).fit(X, y)
    if similarity == "euclidean":
        nn = KNeighborsClassifier(n_neighbors=1).fit(X, y)
        idx = nn.kneighbors(Q, return_distance=False)[:, 0]
        np.testing.assert_array_equal(huge.predict(Q), nn.predict(Q))
    else:
        idx = np.argmax(Q @ X.T, axis=1)
    np.testing.assert_allclose(huge.transform(Q), X[idx], atol=1e-9)
    proba = huge.predict_proba(Q)
    np.testing.assert_allclose(proba.max(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_finite_for_every_beta(similarity, dtype):
    """beta from 1e-6 to 1e6: no overflow, NaN or RuntimeWarning (pytest errors on it)."""
    X, y = _data(n=150, n_features=8)
    X = (X * 30).astype(dtype)  # large scale makes beta * z huge
    Q = (_data(n=40, n_features=8, seed=4)[0] * 30).astype(dtype)
    for beta in np.logspace(-6, 6, 13):
        clf = ModernHopfieldClassifier(beta=beta, similarity=similarity, max_iter=2)
        clf.fit(X, y)
        proba = clf.predict_proba(Q)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
        assert np.isfinite(clf.transform(Q)).all()
        assert np.isfinite(clf.energy(Q)).all()


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("beta", [1e-3, 0.1, 1.0, 10.0, 1e3])
def test_energy_never_rises(similarity, beta):
    """CCCP: no update step increases the energy, on many random queries."""
    rng = np.random.default_rng(int(beta * 1000) % 97)
    X = rng.standard_normal((60, 10)) * rng.uniform(0.5, 2, (60, 1))
    Q = rng.standard_normal((500, 10)) * rng.uniform(0.1, 3, (500, 1))
    clf = ModernHopfieldClassifier(beta=beta, similarity=similarity, max_iter=1)
    clf.fit(X, np.zeros(60, dtype=int))
    memory = clf._memory
    # The core works in internal coordinates (centered and scaled by a power
    # of two, beta scaled to match); the public energy takes data coordinates.
    xi = memory.start(Q)
    energies = [clf.energy(memory.external(xi.copy()))]
    for _ in range(6):
        # One update step from the state; the public transform would
        # renormalize the cue for "cosine", so step with the core directly.
        xi = memory.update(xi, clf._scaled_beta)
        energies.append(clf.energy(memory.external(xi.copy())))
    E = np.array(energies)
    slack = 1e-9 * (1 + np.abs(E[:-1]))
    assert (np.diff(E, axis=0) <= slack).all()
    # The energy is bounded below: it is finite and decreases somewhere.
    assert np.isfinite(E).all()
    assert (E[-1] < E[0] - 1e-12).any()
    # For dot/euclidean the public transform is exactly these steps.
    if similarity != "cosine":
        clf.set_params(max_iter=6, tol=0).fit(X, np.zeros(60, dtype=int))
        np.testing.assert_allclose(clf.energy(clf.transform(Q)), E[-1], rtol=1e-9)


@pytest.mark.parametrize("max_iter", [1, 3])
def test_predict_proba_sums_to_one_and_argmax_is_predict(max_iter):
    X, y = _data(n=300)
    Q = _data(n=200, seed=5)[0] * 1.5
    clf = ModernHopfieldClassifier(max_iter=max_iter).fit(X, y)
    proba = clf.predict_proba(Q)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert (proba >= 0).all()
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(Q))
    assert clf.score(X, y) == np.mean(clf.predict(X) == y)


def test_string_labels():
    X, y = _data()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = ModernHopfieldClassifier().fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    pred = clf.predict(X)
    assert pred.dtype.kind == "U"
    assert set(pred) <= set(names)
    int_pred = ModernHopfieldClassifier().fit(X, y).predict(X)
    np.testing.assert_array_equal(pred, np.array(["setosa", "versicolor", "virginica"])[int_pred])
    assert clf.score(X, names) > 0.9


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_float32_preserved(similarity):
    X, y = _data()
    Q = _data(n=30, seed=6)[0]
    c32 = ModernHopfieldClassifier(similarity=similarity, max_iter=2)
    c32.fit(X.astype(np.float32), y)
    assert c32.patterns_.dtype == np.float32
    for out in (c32.predict_proba(Q.astype(np.float32)), c32.transform(Q.astype(np.float32)),
                c32.energy(Q.astype(np.float32))):
        assert out.dtype == np.float32
    c64 = ModernHopfieldClassifier(similarity=similarity, max_iter=2).fit(X, y)
    assert c64.transform(Q).dtype == np.float64
    assert c64.predict_proba(Q).dtype == np.float64
    # float32 cues on a float64 memory are computed in float32 as well
    assert c64.transform(Q.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(
        c32.predict_proba(Q.astype(np.float32)), c64.predict_proba(Q), atol=1e-4
    )
    np.testing.assert_allclose(c32.transform(Q.astype(np.float32)), c64.transform(Q), atol=1e-4)


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_n_jobs_and_chunk_invariance(similarity, monkeypatch):
    X, y = _data(n=400)
    Q = _data(n=250, seed=7)[0]
    ref = ModernHopfieldClassifier(similarity=similarity, max_iter=3, tol=0).fit(X, y)
    expected = (ref.predict(Q), ref.predict_proba(Q), ref.transform(Q), ref.energy(Q))
    perm = np.random.default_rng(0).permutation(len(Q))
    # ~0.02 MiB: chunks of a few rows; tiles of 3 rows inside each chunk
    monkeypatch.setattr(tiles, "TILE_BYTES", 3 * 400 * 8)
    for n_jobs in (1, 2):
        clf = ModernHopfieldClassifier(
            similarity=similarity, max_iter=3, tol=0, n_jobs=n_jobs
        ).fit(X, y)
        with config_context(working_memory=0.02):
            got = (clf.predict(Q), clf.predict_proba(Q), clf.transform(Q), clf.energy(Q))
            shuffled = clf.predict_proba(Q[perm])
        np.testing.assert_array_equal(got[0], expected[0])
        for g, e in zip(got[1:], expected[1:]):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(shuffled, expected[1][perm], rtol=1e-12, atol=1e-14)


def test_fast_path_falls_back_exactly():
    """Rows whose bound-shifted exp underflows are recomputed with the row max."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((100, 5))
    Q = X[:10] + 50.0  # far from every pattern: exp(-beta d^2 / 2) underflows
    clf = ModernHopfieldClassifier(beta=10.0).fit(X, np.arange(100) % 4)
    A = _ref_attention(X, Q, 10.0, "euclidean")
    onehot = (np.arange(100)[:, None] % 4 == np.arange(4)).astype(float)
    np.testing.assert_allclose(clf.predict_proba(Q), A @ onehot, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(clf.transform(Q), A @ X, rtol=1e-9, atol=1e-9)


def test_partial_fit_equals_fit():
    X, y = _data(n=200)
    Q = _data(n=40, seed=8)[0]
    full = ModernHopfieldClassifier().fit(X, y)
    part = ModernHopfieldClassifier().fit(X[:120], y[:120]).partial_fit(X[120:], y[120:])
    assert part.beta_ == pytest.approx(full.beta_)
    np.testing.assert_allclose(part.predict_proba(Q), full.predict_proba(Q), rtol=1e-10)
    # New labels add classes; fixed classes reject unknown labels.
    grown = ModernHopfieldClassifier().partial_fit(X[y < 2], y[y < 2])
    assert list(grown.classes_) == [0, 1]
    grown.partial_fit(X[y == 2], y[y == 2])
    assert list(grown.classes_) == [0, 1, 2]
    fixed = ModernHopfieldClassifier().partial_fit(X[:10], y[:10], classes=[0, 1, 2, 3])
    assert list(fixed.classes_) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="not in classes"):
        fixed.partial_fit(X[:2], [7, 7])


def test_auto_beta_scale_invariant_and_grid_searchable():
    X, y = load_iris(return_X_y=True)
    a = ModernHopfieldClassifier().fit(X, y)
    b = ModernHopfieldClassifier().fit(X * 1000, y)
    assert a.beta_ == pytest.approx(b.beta_ * 1e6)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X * 1000), atol=1e-9)
    grid = GridSearchCV(ModernHopfieldClassifier(), {"beta": [0.01, 1.0, 100.0]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["beta"] in (0.01, 1.0, 100.0)
    assert grid.best_estimator_.beta_ == grid.best_params_["beta"]


@pytest.mark.parametrize(
    "params, match",
    [({"beta": 0}, "beta"), ({"beta": -1.0}, "beta"), ({"similarity": "chebyshev"}, "similarity")],
)
def test_bad_parameters(params, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        ModernHopfieldClassifier(**params).fit(X, y)


@pytest.mark.parametrize("bad, match", [(np.inf, "infinity"), (-np.inf, "infinity")])
def test_bad_values(bad, match):
    # (NaN is a missing entry: tests/test_partial_modern.py)
    X, y = _data()
    clf = ModernHopfieldClassifier().fit(X, y)
    Xbad = X.copy()
    Xbad[3, 2] = bad
    with pytest.raises(ValueError, match=match):
        ModernHopfieldClassifier().fit(Xbad, y)
    for method in (clf.predict, clf.predict_proba, clf.transform, clf.energy):
        with pytest.raises(ValueError, match=match):
            method(Xbad)


def test_wrong_width():
    X, y = _data()
    clf = ModernHopfieldClassifier().fit(X, y)
    for method in (clf.predict, clf.predict_proba, clf.transform, clf.energy):
        with pytest.raises(ValueError, match="features"):
            method(X[:, :-1])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :-1], y)


def test_pickling():
    X, y = _data()
    names = np.array(["a", "b", "c"])[y]
    for sim in SIMILARITIES:
        clf = ModernHopfieldClassifier(similarity=sim, max_iter=2).fit(X, names)
        blob = pickle.dumps(clf)
        back = pickle.loads(blob)
        np.testing.assert_array_equal(back.predict(X), clf.predict(X))
        np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
        np.testing.assert_array_equal(back.transform(X), clf.transform(X))
        np.testing.assert_array_equal(back.patterns_, X)
        # The patterns are pickled once (twice for cosine: raw and unit rows).
        copies = 2 if sim == "cosine" else 1
        assert len(blob) < (copies + 0.5) * X.nbytes + 20_000


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_pattern_blocks_match_whole_rows(similarity, monkeypatch):
    # Tiles too small for MIN_TILE_ROWS whole rows: predict walks the stored
    # patterns in blocks (here of 7) and must agree with the whole-row path.
    X, y = _data(n=400)
    Q = _data(n=300, seed=7)[0]
    clf = ModernHopfieldClassifier(similarity=similarity).fit(X, y)
    expected = clf.predict(Q), clf.predict_proba(Q)
    monkeypatch.setattr(tiles, "MIN_TILE_ROWS", 16)
    monkeypatch.setattr(tiles, "TILE_BYTES", 16 * 7 * 8)
    assert tiles.tile_shape(400, 8) == (16, 7)
    # the blocks are as few as fit and the patterns shared evenly among them
    # (no thin last block: 101 patterns in blocks of at most 100 are 51 + 50)
    for P in (101, 250, 1000, 1234):
        rows, width = tiles.tile_shape(P, 8, tile_bytes=16 * 100 * 8)
        n_blocks = -(-P // width)
        assert rows == 16 and width <= 100 and n_blocks == -(-P // 100)
        assert P - (n_blocks - 1) * width >= width - n_blocks + 1
    np.testing.assert_array_equal(clf.predict(Q), expected[0])
    np.testing.assert_allclose(clf.predict_proba(Q), expected[1], rtol=1e-12, atol=1e-15)
    with config_context(working_memory=0.02):
        np.testing.assert_allclose(clf.predict_proba(Q), expected[1], rtol=1e-12, atol=1e-15)
