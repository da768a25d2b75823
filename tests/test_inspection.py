"""Display objects of skhopfield.inspection, drawn with the Agg backend."""

import sys

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skhopfield import DenseAssociativeMemory, HopfieldMemory, ModernHopfieldClassifier  # noqa: E402
from skhopfield.datasets import flip_bits, make_binary_patterns  # noqa: E402
from skhopfield.inspection import (  # noqa: E402
    CapacityDisplay,
    EnergyDisplay,
    RetrievalDisplay,
    theoretical_capacity,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_retrieval_display_binary_any_image_shape():
    X = make_binary_patterns(4, 64, random_state=0)
    memory = HopfieldMemory(random_state=0).fit(X, ["a", "b", "c", "d"])
    cues = flip_bits(X, 0.15, random_state=1)
    d = RetrievalDisplay.from_estimator(memory, cues, image_shape=(4, 16))
    assert d.axes_.shape == (4, 3) and d.images_.shape == (4, 3)
    np.testing.assert_array_equal(d.retrieved, memory.transform(cues))
    np.testing.assert_array_equal(d.nearest, memory.patterns_[memory.retrieve(cues).nearest])
    np.testing.assert_array_equal(d.labels, memory.predict(cues))
    # the images are the rows, reshaped
    np.testing.assert_array_equal(d.images_[2, 1].get_array(), d.retrieved[2].reshape(4, 16))
    np.testing.assert_array_equal(d.images_[0, 0].get_array(), np.where(cues[0] > 0, 1, -1).reshape(4, 16))
    with pytest.raises(ValueError, match="image_shape"):
        RetrievalDisplay.from_estimator(memory, cues, image_shape=(5, 13))


def test_retrieval_display_modern_nearest_is_knn_and_ax_forms():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 9))
    memory = ModernHopfieldClassifier(beta=0.5).fit(X, np.arange(10))
    cues = X[:3] + 0.3 * rng.standard_normal((3, 9))
    fig, ax = plt.subplots()
    d = RetrievalDisplay.from_estimator(memory, cues, ax=ax)  # 3x3 squares
    assert d.figure_ is fig and len(fig.axes) == 1 + 9
    states = memory.transform(cues)
    idx = NearestNeighbors(n_neighbors=1).fit(X).kneighbors(states)[1][:, 0]
    np.testing.assert_allclose(d.nearest, X[idx])
    fig2, axes = plt.subplots(3, 3)
    d2 = d.plot(ax=axes)
    assert d2.axes_[1, 2] is axes[1, 2] and d2.figure_ is fig2
    with pytest.raises(ValueError, match="needs 3 x 3"):
        d.plot(ax=axes[:2])


@pytest.mark.parametrize(
    "memory",
    [
        HopfieldMemory(random_state=None),
        DenseAssociativeMemory(order=3, random_state=0),
        ModernHopfieldClassifier(beta=0.05, similarity="dot"),
        ModernHopfieldClassifier(beta=3.0, similarity="cosine"),
    ],
    ids=["hopfield", "dense", "modern-dot", "modern-cosine"],
)
def test_energy_display_never_rises_and_leaves_estimator_alone(memory):
    X = make_binary_patterns(20, 100, random_state=0)
    memory.fit(X, np.arange(20))
    cues = flip_bits(X[:5], 0.35, random_state=1)
    params = memory.get_params()
    d = EnergyDisplay.from_estimator(memory, cues, n_steps=5)
    assert memory.get_params() == params
    assert d.energies.shape == (6, 5) and len(d.lines_) == 5
    scale = np.abs(d.energies).max()
    assert (np.diff(d.energies, axis=0) <= 1e-12 * scale).all()
    start = cues
    if getattr(memory, "similarity", None) == "cosine":
        start = cues / np.linalg.norm(cues, axis=1, keepdims=True)
    np.testing.assert_allclose(d.energies[0], memory.energy(start))
    np.testing.assert_array_equal(d.lines_[3].get_ydata(), d.energies[:, 3])
    assert d.ax_.get_xlabel() in ("sweeps", "update steps")


def test_energy_display_is_one_trajectory():
    # k sweeps with a fixed seed are the first k of a longer run: the last
    # energy equals that of the plain estimator run for n_steps sweeps
    X = make_binary_patterns(12, 80, random_state=3)
    cues = flip_bits(X[:4], 0.3, random_state=4)
    memory = HopfieldMemory(random_state=7, max_iter=3).fit(X)
    d = EnergyDisplay.from_estimator(memory, cues, n_steps=3)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(d.energies[-1], memory.energy(memory.transform(cues)))


def test_theoretical_capacity_formulas():
    N = 100
    ln = np.log(N)
    assert theoretical_capacity(HopfieldMemory(), N) == pytest.approx(13.8)
    assert theoretical_capacity(HopfieldMemory("storkey"), N) == pytest.approx(N / np.sqrt(2 * ln))
    assert theoretical_capacity(HopfieldMemory("pseudoinverse"), N) == N
    # (2n - 3)!! for n = 4 is 5 * 3 * 1 = 15
    assert theoretical_capacity(DenseAssociativeMemory(order=4), N) == pytest.approx(N**3 / (30 * ln))
    assert theoretical_capacity(DenseAssociativeMemory("exponential"), N) == np.inf
    assert theoretical_capacity(ModernHopfieldClassifier(), N) is None


def test_capacity_display_curves_share_an_ax():
    fig, ax = plt.subplots()
    loads = [2, 6, 40]
    d1 = CapacityDisplay.from_estimator(
        HopfieldMemory(random_state=0), n_features=64, n_patterns=loads, ax=ax
    )
    d2 = CapacityDisplay.from_estimator(
        DenseAssociativeMemory("exponential", random_state=0),
        n_features=64,
        n_patterns=loads,
        ax=ax,
    )
    assert d1.recall[0] == 1.0 and d1.recall[-1] < 0.5  # 40 > 0.138 * 64
    assert (d2.recall == 1.0).all()
    assert d1.theory_line_.get_xdata()[0] == pytest.approx(0.138 * 64)
    assert d1.theory_line_.get_color() == d1.line_.get_color()
    assert d2.theory_line_ is None
    assert len(ax.get_lines()) == 3 and d1.ax_ is d2.ax_ is ax
    np.testing.assert_array_equal(d1.line_.get_xdata(), loads)
    # the modern memory is scored by predict
    d3 = CapacityDisplay.from_estimator(
        ModernHopfieldClassifier(), n_features=32, n_patterns=[4, 16]
    )
    assert d3.theory is None and d3.recall.shape == (2,)


def test_clear_error_without_matplotlib(monkeypatch):
    X = make_binary_patterns(2, 16, random_state=0)
    memory = HopfieldMemory().fit(X)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="requires matplotlib"):
        RetrievalDisplay.from_estimator(memory, X)
    with pytest.raises(ImportError, match="requires matplotlib"):
        EnergyDisplay(np.arange(2), np.zeros((2, 1))).plot()


def test_retrieval_display_nearest_carries_predicted_label():
    # the Hebbian letters fall into a spurious state equally far from two
    # letters: the image shown is a pattern of the label predict gives
    from skhopfield.datasets import load_glyphs

    X, names = load_glyphs(return_X_y=True)
    memory = HopfieldMemory(random_state=0).fit(X, names)
    cues = flip_bits(X, 0.1, random_state=0)
    d = RetrievalDisplay.from_estimator(memory, cues)
    predicted = memory.predict(cues)
    np.testing.assert_array_equal(d.labels, predicted)
    for row, label in zip(d.nearest, predicted):
        assert np.asarray(names)[(X == row).all(axis=1)][0] == label


def test_displays_take_a_sparse_memory_and_cues():
    import scipy.sparse as sp

    rng = np.random.default_rng(2)
    X = rng.random((6, 16)) * (rng.random((6, 16)) < 0.3)
    X[:, 0] = 1
    memory = ModernHopfieldClassifier(beta=2.0).fit(sp.csr_matrix(X), np.arange(6))
    d = RetrievalDisplay.from_estimator(memory, sp.csr_matrix(X[:2]))
    np.testing.assert_allclose(d.retrieved, memory.transform(X[:2]))
    e = EnergyDisplay.from_estimator(memory, sp.csr_matrix(X[:2]), n_steps=2)
    np.testing.assert_allclose(e.energies[0], memory.energy(X[:2]))


# -- capacity criteria, against a slow computation -------------------------------


def _hebbian_fields_exact(X, state):
    """N times the Hebbian field of ``state``, in exact integers (plain loops)."""
    P, N = X.shape
    X = [[int(v) for v in row] for row in X]
    s = [int(v) for v in state]
    h = []
    for i in range(N):
        total = 0
        for j in range(N):
            if j != i:
                total += sum(X[mu][i] * X[mu][j] for mu in range(P)) * s[j]
        h.append(total)
    return h


def _storkey_weights_slow(X):
    """Storkey's rule (1997) as stated, one pattern and one coupling at a time."""
    P, N = X.shape
    W = [[0.0] * N for _ in range(N)]
    for x in X:
        def local(i, j):
            return sum(W[i][k] * x[k] for k in range(N) if k != i and k != j)

        H = [[local(i, j) for j in range(N)] for i in range(N)]
        W = [
            [
                0.0 if i == j else W[i][j] + (x[i] * x[j] - x[i] * H[j][i] - H[i][j] * x[j]) / N
                for j in range(N)
            ]
            for i in range(N)
        ]
    return np.array(W)


def _slow_draws(loads, trials, n_features, random_state=0):
    """The patterns ``from_estimator`` draws: one seed per clone, in order."""
    rng = np.random.RandomState(random_state)
    for P in loads:
        seeds = [int(rng.randint(np.iinfo(np.int32).max)) for _ in range(trials)]
        yield P, [make_binary_patterns(P, n_features, random_state=s) for s in seeds]


@pytest.mark.parametrize("criterion", ["stable", "all_stable"])
def test_capacity_stability_criteria_match_exact_fields(criterion):
    # a pattern is a fixed point when no neuron's field strictly disagrees
    # with it (a zero field keeps the state): exact integer fields
    N, loads, trials = 24, [2, 4, 5, 7], 6
    d = CapacityDisplay.from_estimator(
        HopfieldMemory(), n_features=N, n_patterns=loads, n_cues=100,
        criterion=criterion, n_trials=trials,
    )
    expected = []
    for P, draws in _slow_draws(loads, trials, N):
        per_memory = []
        for X in draws:
            stable = [
                all(h * x >= 0 for h, x in zip(_hebbian_fields_exact(X, xi), xi)) for xi in X
            ]
            per_memory.append(stable)
        if criterion == "stable":
            expected.append(np.mean([s for m in per_memory for s in m]))
        else:
            expected.append(np.mean([all(m) for m in per_memory]))
    np.testing.assert_allclose(d.recall, expected)
    assert d.criterion == criterion
    # the case is not trivial: the fraction falls, through values in (0, 1)
    assert expected[-1] < expected[0] and any(0 < e < 1 for e in expected)


def test_capacity_storkey_all_stable_matches_slow_rule():
    N, loads, trials = 16, [4, 10], 3
    d = CapacityDisplay.from_estimator(
        HopfieldMemory("storkey"), n_features=N, n_patterns=loads, n_trials=trials
    )
    assert d.criterion == "all_stable"  # Storkey's own
    expected = []
    for P, draws in _slow_draws(loads, trials, N):
        ok = []
        for X in draws:
            W = _storkey_weights_slow(X)
            H = X @ W.T
            assert np.abs(H).min() > 1e-9  # no ties to argue about
            ok.append(bool((H * X > 0).all()))
        expected.append(np.mean(ok))
    np.testing.assert_allclose(d.recall, expected)
    assert d.theory == pytest.approx(N / np.sqrt(2 * np.log(N)))


def test_capacity_overlap_criterion_matches_slow_sync_dynamics():
    # synchronous dynamics are deterministic: x <- x flipped where the field
    # strictly disagrees, until nothing changes or max_iter steps
    N, loads, trials, max_iter = 20, [2, 5, 11], 3, 30
    d = CapacityDisplay.from_estimator(
        HopfieldMemory(update="sync", max_iter=max_iter), n_features=N,
        n_patterns=loads, n_trials=trials, n_cues=100,
    )
    assert d.criterion == "overlap"
    expected = []
    for P, draws in _slow_draws(loads, trials, N):
        kept = []
        for X in draws:
            for xi in X:
                s = [int(v) for v in xi]
                for _ in range(max_iter):
                    h = _hebbian_fields_exact(X, s)
                    new = [-v if hv * v < 0 else v for hv, v in zip(h, s)]
                    if new == s:
                        break
                    s = new
                overlap = sum(a * int(b) for a, b in zip(s, xi)) / N
                kept.append(overlap >= 0.95)
        expected.append(np.mean(kept))
    np.testing.assert_allclose(d.recall, expected)
    assert expected[0] == 1.0 and expected[-1] < 1.0


def test_capacity_criterion_theory_and_validation():
    N = 100
    ln = np.log(N)
    hebb = HopfieldMemory()
    assert theoretical_capacity(hebb, N, criterion="overlap") == pytest.approx(13.8)
    assert theoretical_capacity(hebb, N, criterion="all_stable") == pytest.approx(N / (4 * ln))
    assert theoretical_capacity(hebb, N, criterion="stable") == pytest.approx(N / (2 * ln))
    assert theoretical_capacity(hebb, N, criterion="recall") is None
    assert theoretical_capacity(HopfieldMemory("storkey"), N, criterion="stable") is None
    poly = DenseAssociativeMemory(order=3)
    assert theoretical_capacity(poly, N, criterion="stable") == pytest.approx(N**2 / (6 * ln))
    # Demircigil et al.: exp(alpha N), alpha = I(1 - 2 rho) / 2
    exp_memory = DenseAssociativeMemory("exponential")
    rho = 0.1
    x = 1 - 2 * rho
    alpha = ((1 + x) * np.log(1 + x) + (1 - x) * np.log(1 - x)) / 4
    assert theoretical_capacity(exp_memory, 30, criterion="recall", noise=rho) == pytest.approx(
        np.exp(alpha * 30)
    )
    assert theoretical_capacity(exp_memory, 30, criterion="stable") == pytest.approx(2.0**15)
    with pytest.raises(ValueError, match="criterion must be"):
        theoretical_capacity(hebb, N, criterion="half")
    with pytest.raises(ValueError, match="criterion must be"):
        CapacityDisplay.from_estimator(hebb, n_features=16, n_patterns=[2], criterion="half")
    with pytest.raises(ValueError, match="needs a binary memory"):
        CapacityDisplay.from_estimator(
            ModernHopfieldClassifier(), n_features=16, n_patterns=[2], criterion="stable"
        )
    with pytest.raises(ValueError, match="n_trials"):
        CapacityDisplay.from_estimator(hebb, n_features=16, n_patterns=[2], n_trials=0)


def test_capacity_measured_capacity_interpolates_in_log_load():
    d = CapacityDisplay([10, 20, 40], np.array([1.0, 0.75, 0.25]), n_features=50,
                        criterion="overlap")
    assert d.measured_capacity() == pytest.approx(np.sqrt(20 * 40))
    # "stable" is measured at the 90% level
    d.criterion = "stable"
    assert d.measured_capacity() == pytest.approx(np.exp(np.log(10) + 0.4 * np.log(2)))
    d.recall = np.array([0.2, 0.1, 0.0])
    assert d.measured_capacity() is None
    d.recall = np.ones(3)
    assert d.measured_capacity() == 40


def test_display_labels_name_the_non_default_parameters():
    fig, ax = plt.subplots()
    loads = [2, 4]
    d1 = CapacityDisplay.from_estimator(
        HopfieldMemory(random_state=0), n_features=16, n_patterns=loads, ax=ax
    )
    d2 = CapacityDisplay.from_estimator(
        HopfieldMemory("storkey", random_state=0, n_jobs=1), n_features=16,
        n_patterns=loads, ax=ax,
    )
    assert d1.estimator_name == "HopfieldMemory()"
    assert d2.estimator_name == "HopfieldMemory(learning_rule='storkey')"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["HopfieldMemory()", "HopfieldMemory(learning_rule='storkey')"]
    X = make_binary_patterns(3, 16, random_state=0)
    memory = DenseAssociativeMemory("exponential", beta=0.5, random_state=0).fit(X)
    e = EnergyDisplay.from_estimator(memory, X, n_steps=1)
    assert e.ax_.get_title() == "DenseAssociativeMemory(interaction='exponential', beta=0.5)"
    r = RetrievalDisplay.from_estimator(memory, X)
    assert r.estimator_name == e.ax_.get_title()
    assert r.figure_._suptitle.get_text() == r.estimator_name
