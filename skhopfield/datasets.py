"""Pattern generators and corruptions for associative-memory experiments."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params


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
