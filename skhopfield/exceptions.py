"""Warnings specific to skhopfield.

Each class subclasses a standard Python warning, so the usual
:mod:`warnings` filters select it, alone or with its base class.
"""

__all__ = ["CapacityWarning"]


class CapacityWarning(UserWarning):
    """A memory was asked to store more than it can retrieve.

    Raised (as a warning) by ``fit`` and ``partial_fit`` when the learned
    parameters cannot retrieve what was stored:

    - when more than half of the stored patterns are not fixed points
      (``stable_patterns_``) of :class:`~skhopfield.HopfieldMemory` or
      :class:`~skhopfield.DenseAssociativeMemory`; the message names the
      capacity of the rule or energy at that number of neurons and what to
      try instead (Storkey's or the pseudo-inverse rule, a dense energy, a
      higher order, a larger ``beta``);
    - when more than half of the stored pairs of
      :class:`~skhopfield.BidirectionalAssociativeMemory` are not fixed
      points of the alternation; the message names the capacity of the
      rule at that layer size (``min(N, M)``) and what to try (the
      pseudo-inverse rule, fewer pairs, more units, a longer code);
    - when the couplings of :class:`~skhopfield.HopfieldMemory` are all
      zero: with the pseudo-inverse rule this happens as soon as the stored
      patterns span all ``N`` dimensions (``N`` of them linearly
      independent), where the projection is the identity and every state
      is a fixed point.

    It is
    a :class:`UserWarning`, so it can be silenced or turned into an error
    with :func:`warnings.filterwarnings` (or pytest's ``filterwarnings``).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skhopfield import HopfieldMemory
    >>> from skhopfield.exceptions import CapacityWarning
    >>> X = np.where(np.eye(4) > 0, 1.0, -1.0)  # 4 independent patterns, N = 4
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", CapacityWarning)
    ...     memory = HopfieldMemory("pseudoinverse").fit(X)
    >>> [w.category.__name__ for w in caught]
    ['CapacityWarning']
    >>> bool((memory.weights_ == 0).all())
    True
    >>> rng = np.random.default_rng(0)
    >>> X = np.where(rng.random((60, 32)) < 0.5, -1.0, 1.0)  # 60 patterns, N = 32
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", CapacityWarning)
    ...     memory = HopfieldMemory().fit(X)
    >>> print(str(caught[0].message)[:60])
    Only 0 of the 60 stored patterns (0.0%) are fixed points, so
    """
