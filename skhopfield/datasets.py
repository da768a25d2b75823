"""Pattern generators and corruptions for associative-memory experiments."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ._glyphs import glyph_patterns


@validate_params(
    {
        "n_patterns": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_binary_patterns(n_patterns, n_features, *, random_state=None):
    """Random +/-1 patterns, each bit +1 with probability 1/2.

    Parameters
    ----------
    n_patterns : int
        Number of patterns (rows).
    n_features : int
        Number of neurons (columns).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_patterns, n_features)
        Patterns with values in {-1.0, +1.0}.

    Examples
    --------
    >>> from skhopfield.datasets import make_binary_patterns
    >>> import numpy as np
    >>> X = make_binary_patterns(3, 4, random_state=0)
    >>> X.shape, np.unique(X).tolist()
    ((3, 4), [-1.0, 1.0])
    """
    rng = check_random_state(random_state)
    return np.where(rng.random_sample((n_patterns, n_features)) < 0.5, -1.0, 1.0)


@validate_params(
    {
        "X": ["array-like"],
        "rate": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def flip_bits(X, rate, *, random_state=None):
    """Flip the sign of exactly ``round(rate * n_features)`` entries per row.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        +/-1 patterns.
    rate : float in [0, 1]
        Fraction of entries flipped in each row.
    random_state : int, RandomState instance or None, default=None
        Seed for the choice of entries.

    Returns
    -------
    X_noisy : ndarray of shape (n_samples, n_features)
        A corrupted copy; each row differs from its original in exactly
        ``round(rate * n_features)`` positions.

    Examples
    --------
    >>> import numpy as np
    >>> from skhopfield.datasets import flip_bits
    >>> X = np.ones((2, 10))
    >>> (flip_bits(X, 0.3, random_state=0) == -1).sum(axis=1)
    array([3, 3])
    """
    X = np.array(X, dtype=float, copy=True)
    rng = check_random_state(random_state)
    n_flip = int(round(rate * X.shape[1]))
    for row in X:
        idx = rng.choice(X.shape[1], size=n_flip, replace=False)
        row[idx] = -row[idx]
    return X


@validate_params(
    {
        "X": ["array-like"],
        "fraction": [Interval(Real, 0, 1, closed="both")],
        "value": [Real],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def mask_features(X, fraction, *, value=0.0, random_state=None):
    """Overwrite a random ``fraction`` of the entries of each row with ``value``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Patterns (binary or continuous).
    fraction : float in [0, 1]
        Fraction of entries masked in each row.
    value : float, default=0.0
        What a masked entry becomes.  For binary memories note that the
        default threshold maps 0 to -1.
    random_state : int, RandomState instance or None, default=None
        Seed for the choice of entries.

    Returns
    -------
    X_masked : ndarray of shape (n_samples, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from skhopfield.datasets import mask_features
    >>> (mask_features(np.ones((2, 8)), 0.5, random_state=0) == 0).sum(axis=1)
    array([4, 4])
    """
    X = np.array(X, dtype=float, copy=True)
    rng = check_random_state(random_state)
    n_mask = int(round(fraction * X.shape[1]))
    for row in X:
        row[rng.choice(X.shape[1], size=n_mask, replace=False)] = value
    return X


def _image_bunch(images, target, target_names, descr, return_X_y):
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target, target_names=target_names, images=images, DESCR=descr
    )


@validate_params({"return_X_y": ["boolean"]}, prefer_skip_nested_validation=True)
def load_glyphs(*, return_X_y=False):
    """Five 10x10 letters (H, O, P, F, X) as +/-1 pixel patterns.

    Small, strongly correlated binary images ('P' and 'F' share 94% of their
    pixels): the patterns of the pattern-completion examples and of the
    command-line demo.  Ink is ``+1``, paper ``-1``, row by row.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes

        data : ndarray of shape (5, 100)
            The letters, one row of 100 pixels each, in ``{-1.0, +1.0}``.
        target : ndarray of shape (5,)
            Each letter's name (``'H'``, ``'O'``, ``'P'``, ``'F'``, ``'X'``).
        target_names : ndarray of shape (5,)
            The names, in the order of the rows.
        images : ndarray of shape (5, 10, 10)
            The letters as images (``images[i].ravel()`` is ``data[i]``).
        DESCR : str
            A description of the set.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    load_binary_digits : Handwritten digits as +/-1 images.

    Examples
    --------
    >>> from skhopfield.datasets import load_glyphs
    >>> glyphs = load_glyphs()
    >>> glyphs.data.shape, glyphs.target.tolist()
    ((5, 100), ['H', 'O', 'P', 'F', 'X'])
    >>> print("\\n".join("".join("#" if v > 0 else "." for v in row) for row in glyphs.images[0]))
    #........#
    #........#
    #........#
    #........#
    ##########
    ##########
    #........#
    #........#
    #........#
    #........#
    """
    X, names = glyph_patterns()
    names = np.array(names)
    return _image_bunch(
        X.reshape(-1, 10, 10),
        names,
        names.copy(),
        "Five 10x10 binary letters (H, O, P, F, X), ink +1 and paper -1.",
        return_X_y,
    )


@validate_params(
    {
        "n_class": [Interval(Integral, 1, 10, closed="both")],
        "threshold": [Interval(Real, 0, 16, closed="left")],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_binary_digits(*, n_class=10, threshold=8.0, return_X_y=False):
    """scikit-learn's handwritten digits as +/-1 images (8x8 pixels).

    :func:`sklearn.datasets.load_digits` gives 1797 grey images with pixel
    values ``0`` to ``16``; here a pixel is ``+1`` (ink) where its value is
    above ``threshold`` and ``-1`` (paper) elsewhere, the binary patterns a
    Hopfield memory stores, with the digits as labels.  Masking or flipping
    pixels (:func:`mask_features`, :func:`flip_bits`) gives cues to
    complete.

    Parameters
    ----------
    n_class : int, default=10
        Number of classes: the digits ``0`` to ``n_class - 1``.
    threshold : float in [0, 16), default=8.0
        Grey value above which a pixel is ink.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes

        data : ndarray of shape (n_samples, 64)
            The images, one row of 64 pixels each, in ``{-1.0, +1.0}``.
        target : ndarray of shape (n_samples,)
            The digit of each image.
        target_names : ndarray of shape (n_class,)
            The digits.
        images : ndarray of shape (n_samples, 8, 8)
            The images (``images[i].ravel()`` is ``data[i]``).
        DESCR : str
            A description of the set.

    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    sklearn.datasets.load_digits : The grey images.
    load_glyphs : Five 10x10 letters.

    Examples
    --------
    >>> import numpy as np
    >>> from skhopfield.datasets import load_binary_digits
    >>> digits = load_binary_digits(n_class=3)
    >>> digits.data.shape, np.unique(digits.data).tolist(), digits.target_names.tolist()
    ((537, 64), [-1.0, 1.0], [0, 1, 2])
    """
    from sklearn.datasets import load_digits

    digits = load_digits(n_class=n_class)
    images = np.where(digits.images > threshold, 1.0, -1.0)
    return _image_bunch(
        images,
        digits.target,
        np.arange(n_class),
        f"scikit-learn's handwritten digits 0 to {n_class - 1}, 8x8 pixels, "
        f"binarized: +1 where the grey value (0 to 16) is above {threshold:g}, "
        "else -1.\n\n" + digits.DESCR,
        return_X_y,
    )
