"""
==================================================
Completing half-masked digits: clamped retrieval
==================================================

Twenty handwritten digits (two of each class, 8x8 pixels, binarized at the
mean intensity) are stored in three binary memories and a continuous modern
one.  Each is then given
back with its bottom half hidden, in two ways:

- **without clamping**, as a whole cue with the hidden pixels set to paper
  (``-1``): the memory has to guess which pixels are wrong, and may
  "correct" the visible half too;
- **with clamping**, the hidden pixels ``NaN``: they start with no evidence
  (state 0), the visible half is clamped, and retrieval fills in the rest.

The digits share most of their pixels, far past what the Hebbian rule can
keep apart: its attractors are spurious states, blends of several digits,
with or without clamping.  The simplicial network (pairs and triangles)
fares little better on such correlated patterns.  The dense associative
memory with the exponential energy and the modern (continuous) memory
complete every digit from its visible half once the half is clamped, and
miss some when the hidden half is filled with paper instead.  The modern
memory's first step from a partial cue attends over the visible pixels only
(the conditional mean of the hidden ones); its states are continuous, and
are read here by their signs.
"""

# %%
# Store the digits
# ----------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skhopfield import (
    DenseAssociativeMemory,
    HopfieldMemory,
    ModernHopfieldClassifier,
    SimplicialHopfieldMemory,
)

digits = load_digits()
binary = np.where(digits.data > digits.data.mean(), 1.0, -1.0)
rows = np.concatenate([np.flatnonzero(digits.target == c)[:2] for c in range(10)])
X, labels = binary[rows], digits.target[rows]

memories = {
    "Hopfield (Hebbian)": HopfieldMemory("hebbian", random_state=0),
    "Simplicial (max_dim=2)": SimplicialHopfieldMemory(max_dim=2, random_state=0),
    "Dense (exponential)": DenseAssociativeMemory("exponential", random_state=0),
    "Modern (beta=1)": ModernHopfieldClassifier(beta=1.0, max_iter=5),
}
for name, memory in memories.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        memory.fit(X, labels)
    for w in caught:  # past capacity: fit says so
        print(f"{name}: {w.category.__name__}: {str(w.message)[:70]}...")

# %%
# Hide the bottom half
# --------------------
hidden = np.zeros(64, dtype=bool)
hidden[32:] = True
masked = X.copy()
masked[:, hidden] = np.nan  # missing: clamped retrieval
paper = X.copy()
paper[:, hidden] = -1.0  # a whole cue, as without missing values

results = {}
for name, memory in memories.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is not the point here
        # continuous states (the modern memory) are read by their signs
        results[name] = tuple(
            np.where(memory.transform(cue) >= 0, 1.0, -1.0) for cue in (paper, masked)
        )
    for how, states in zip(("paper", "NaN, clamped"), results[name]):
        exact = (states == X).all(axis=1).mean()
        filled = (states[:, hidden] == X[:, hidden]).mean()
        kept = (states[:, ~hidden] == X[:, ~hidden]).mean()
        stored = (np.abs(states @ X.T) == 64).any(axis=1).mean()
        print(
            f"{name:24s} {how:13s} exact {exact:4.0%}, hidden pixels right "
            f"{filled:4.0%}, visible kept {kept:4.0%}, ends on a stored digit "
            f"or its ghost {stored:4.0%}"
        )

# %%
# The clamped visible half is never changed: every memory keeps it, and the
# answer is a completion of *this* cue.  Without clamping the dynamics may
# move the visible pixels too.  A state that is neither a stored digit nor
# its negative is a spurious state: the Hebbian network's answer to most
# cues.

# %%
# Show a few
# ----------
show = [0, 5, 9, 13, 16]
columns = ["stored", "cue"] + [
    f"{name.split(' ')[0]}\n{how}"
    for name in memories
    for how in ("paper", "clamped")
]
fig, axes = plt.subplots(
    len(show), len(columns), figsize=(1.2 * len(columns), 1.3 * len(show))
)
for r, k in enumerate(show):
    cue = np.where(hidden, 0.0, X[k])  # hidden pixels in grey
    images = [X[k], cue]
    for name in memories:
        images.extend(results[name][0][k : k + 1])
        images.extend(results[name][1][k : k + 1])
    for c, image in enumerate(images):
        ax = axes[r, c]
        ax.imshow(np.reshape(image, (8, 8)), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        if r == 0:
            ax.set_title(columns[c], fontsize=8)
fig.tight_layout()
plt.show()
