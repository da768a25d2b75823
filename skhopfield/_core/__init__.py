"""Pure-numpy math of the memories: learning rules, energies, update rules.

Nothing in this package knows about estimators; the estimators in
``skhopfield._classical``, ``skhopfield._dense`` and ``skhopfield._modern``
are thin shells that validate input and call into here through the shared
batch engine (``skhopfield._batch``).
"""
