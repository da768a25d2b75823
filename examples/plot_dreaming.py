"""
=====================================================
Unlearning: dreams remove spurious states
=====================================================

Above its capacity (``P = 0.15 N`` here, past ``0.138 N``) a Hebbian network
has many spurious attractors -- mixtures of patterns -- and random starting
states almost always end in one of them.  Hopfield, Feinstein & Palmer (1983)
let the network "dream": from random states it runs to whatever attractor it
reaches and weakens it a little, ``W -= eps s s^T / N``.  The spurious
attractors, with the largest basins, are reached most often and shrink most.

``HopfieldMemory(n_dreams=D, dream_rate=eps)`` sleeps after learning.  We
count, for a growing number of dreams ``D``, the stored patterns that are
fixed points and the random starts that end in a spurious state (neither a
stored pattern nor its sign-reversed ghost).  Too many dreams erase the
memories as well: the papers warn about it, and it shows.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

from skhopfield import HopfieldMemory
from skhopfield.datasets import make_binary_patterns
from skhopfield.exceptions import CapacityWarning

# Which stored patterns are fixed points is what this example measures: the
# warning fit gives when most are not (CapacityWarning) is silenced.
warnings.filterwarnings("ignore", category=CapacityWarning)

N, P = 100, 15
X = make_binary_patterns(P, N, random_state=0)
starts = make_binary_patterns(200, N, random_state=1)  # random initial states
dreams = [0, 100, 400, 800, 1200, 1600, 2000]

start = time.perf_counter()
fixed, spurious = [], []
for n_dreams in dreams:
    memory = HopfieldMemory(
        random_state=0, n_dreams=n_dreams, dream_rate=0.01, dream_batch=50
    ).fit(X)
    ends = memory.transform(starts)
    fixed.append(memory.stable_patterns_.mean())
    spurious.append((np.abs(ends @ X.T).max(axis=1) < N).mean())
print(f"measured in {time.perf_counter() - start:.1f} s")
for d, f, s in zip(dreams, fixed, spurious):
    print(f"{d:5d} dreams: {f:5.0%} of patterns fixed, {s:5.0%} of starts spurious")

# %%
# Plot
# ----
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(dreams, fixed, "o-", label="stored patterns that are fixed points")
ax.plot(dreams, spurious, "s-", label="random starts ending in a spurious state")
ax.set_xlabel(f"number of dreams D  (rate 0.01, N = {N}, P = {P})")
ax.set_ylabel("fraction")
ax.set_ylim(-0.03, 1.03)
ax.legend(loc="center right", fontsize=8)
ax.set_title("Unlearning: fewer spurious states, until the memories go too")
fig.tight_layout()

# %%
# A few hundred dreams make every stored pattern a fixed point and cut the
# spurious endings by about half.  Past about 1600 dreams -- a total
# unlearning strength ``D eps`` of 16, about ``P``, the strength of the
# Hebbian couplings themselves -- the stored patterns are unlearned as well
# and the random starts end in new, spurious states.  ``benchmarks/README.md``
# has the curves for ``N = 100`` and ``200`` against the load ``P / N``: tuned
# to the load, dreaming raises the capacity for exact recall several-fold.
plt.show()
