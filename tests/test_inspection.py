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
