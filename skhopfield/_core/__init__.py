"""Pure-numpy math of the memories: learning rules, energies, update rules.

Nothing in this package knows about estimators; the estimators
(``skhopfield._classical``, ``skhopfield._dense``, the modern memories of
``skhopfield._modern_base`` ...) are thin shells that validate input and call into here through the shared
batch engine (``skhopfield._batch``).
"""
