"""The public data sets: glyphs and binarized digits."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skhopfield import HopfieldMemory
from skhopfield.datasets import load_binary_digits, load_glyphs, mask_features


def test_glyphs_are_five_letters_of_plus_minus_one_pixels():
    glyphs = load_glyphs()
    assert glyphs.data.shape == (5, 100) and glyphs.images.shape == (5, 10, 10)
    assert set(np.unique(glyphs.data)) == {-1.0, 1.0}
    assert glyphs.target.tolist() == glyphs.target_names.tolist() == list("HOPFX")
    np.testing.assert_array_equal(glyphs.images.reshape(5, -1), glyphs.data)
    # what the docs and the demo say of them: 'P' and 'F' share 94% of their
    # pixels, and 'X' is symmetric under both mirrors
    P, F = glyphs.data[2], glyphs.data[3]
    assert (P == F).mean() == 0.94
    X = glyphs.images[4]
    np.testing.assert_array_equal(X, X[::-1])
    np.testing.assert_array_equal(X, X[:, ::-1])
    data, target = load_glyphs(return_X_y=True)
    np.testing.assert_array_equal(data, glyphs.data)
    np.testing.assert_array_equal(target, glyphs.target)
    # a fresh copy each call: editing one does not change the next
    data[:] = 0
    assert set(np.unique(load_glyphs().data)) == {-1.0, 1.0}


@pytest.mark.parametrize("n_class, threshold", [(10, 8.0), (3, 0.0), (1, 15.5)])
def test_binary_digits_are_scikit_learns_digits_thresholded(n_class, threshold):
    digits = load_binary_digits(n_class=n_class, threshold=threshold)
    grey = load_digits(n_class=n_class)
    # a plain loop over the grey pixels
    expected = np.array(
        [[1.0 if v > threshold else -1.0 for v in row] for row in grey.data]
    )
    np.testing.assert_array_equal(digits.data, expected)
    np.testing.assert_array_equal(digits.target, grey.target)
    np.testing.assert_array_equal(digits.target_names, np.arange(n_class))
    np.testing.assert_array_equal(digits.images.reshape(len(expected), -1), expected)
    X, y = load_binary_digits(n_class=n_class, threshold=threshold, return_X_y=True)
    np.testing.assert_array_equal(X, expected)
    np.testing.assert_array_equal(y, grey.target)


def test_binary_digits_serve_a_masked_image_experiment():
    # what they are for: store a few, erase part of each, complete
    X, y = load_binary_digits(n_class=4, return_X_y=True)
    stored = np.vstack([X[y == d][:1] for d in range(4)])
    memory = HopfieldMemory("pseudoinverse", random_state=0).fit(stored, np.arange(4))
    cues = mask_features(stored, 0.2, value=-1.0, random_state=0)
    assert (memory.predict(cues) == np.arange(4)).mean() >= 0.75


@pytest.mark.parametrize(
    "kwargs", [{"n_class": 0}, {"n_class": 11}, {"threshold": 16}, {"threshold": -1}]
)
def test_binary_digits_validate_their_parameters(kwargs):
    with pytest.raises(ValueError, match="parameter"):
        load_binary_digits(**kwargs)
