"""
==================================================
Pattern completion: classical, dense and modern
==================================================

Five 10x10 letters are stored in each memory.  Each is then corrupted (10% of
its pixels flipped, its bottom two rows erased) and given back as a cue.
The classical Hebbian network cannot tell the letters apart: they share most
of their pixels, so their cross-talk builds a *spurious state*, a blend of
``P`` and ``F`` that every cue falls into.  The dense associative memory and
the modern Hopfield network retrieve every letter.

A second experiment starts from the sign-reversed letters.  The classical
energy is symmetric, so it sends such a cue to the *ghost* of the letter, its
negative image; the dense and modern memories have no ghosts.
"""

# %%
# Store the letters
# -----------------
# The letters are ``+1`` (ink) and ``-1`` (paper) rows of 100 pixels.
import warnings

import matplotlib.pyplot as plt
import numpy as np

from skhopfield import DenseAssociativeMemory, HopfieldMemory, ModernHopfieldClassifier
from skhopfield.datasets import flip_bits, load_glyphs
from skhopfield.inspection import RetrievalDisplay

X, names = load_glyphs(return_X_y=True)  # H O P F X
memories = {
    "Hopfield (Hebbian)": HopfieldMemory("hebbian", random_state=0),
    "Dense (order 5)": DenseAssociativeMemory(order=5, random_state=0),
    "Modern": ModernHopfieldClassifier(),
}
for name, memory in memories.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        memory.fit(X, names)
    for w in caught:  # the Hebbian memory's fit says it is past capacity
        print(f"{name}: {w.category.__name__}: {str(w.message)[:72]}...")

overlap = (X @ X.T) / X.shape[1]
print("pixel agreement between letters (2 * fraction - 1):")
print(np.round(overlap, 2))

# %%
# Corrupt and erase
# -----------------
# Flip 10% of the pixels, then erase the bottom two rows (set them to paper).
cues = flip_bits(X, 0.10, random_state=0)
cues[:, 80:] = -1.0

# %%
# :class:`~skhopfield.inspection.RetrievalDisplay` shows, for each cue, the
# cue, the state retrieved from it and the stored letter nearest that state
# (named on the right).  One panel per memory, side by side.


def show_retrieval(memories, cues, title):
    fig, axes = plt.subplots(1, len(memories), figsize=(3.4 * len(memories), 7.5))
    for ax, memory in zip(axes, memories.values()):
        RetrievalDisplay.from_estimator(memory, cues, image_shape=(10, 10), ax=ax)
    fig.suptitle(title, fontsize=10)


show_retrieval(memories, cues, "Corrupted and erased cues")
columns = {name: memory.transform(cues) for name, memory in memories.items()}

# %%
# Every cue sends the Hebbian network to the same state, which is none of the
# letters.  ``predict`` names the stored pattern nearest to what was
# retrieved, and ``energy`` shows the spurious state lies *below* the stored
# letters: the letters are not even fixed points of the Hebbian network.
for name, memory in memories.items():
    print(f"{name:>20}: predicted {memory.predict(cues)}")
hebbian = memories["Hopfield (Hebbian)"]
print("Hebbian energy of the letters:   ", np.round(hebbian.energy(X), 1))
print(
    "Hebbian energy of what it found: ",
    np.round(hebbian.energy(columns["Hopfield (Hebbian)"]), 1),
)
print("letters that are fixed points:   ", hebbian.stable_patterns_)

# %%
# The modern memory's states are continuous: one attention step returns an
# average of the stored letters weighted by their similarity to the cue, here
# concentrated almost entirely on the right letter.

# %%
# Ghost states
# ------------
# The pseudo-inverse rule stores the correlated letters exactly, so it is the
# fair classical contender here.  Start every memory from the *negative* of a
# letter with 10% of its pixels flipped.
classical = HopfieldMemory("pseudoinverse", random_state=0).fit(X, names)
inverted = flip_bits(-X, 0.10, random_state=2)
contenders = {
    "Hopfield (pseudo-inverse)": classical,
    "Dense (order 5)": memories["Dense (order 5)"],
    "Modern": memories["Modern"],
}
show_retrieval(contenders, inverted, "Sign-reversed cues")

ghosts = (classical.transform(inverted) == -X).all(axis=1)
print(
    "classical network retrieved the ghost of:", names[ghosts]
)
print("dense memory retrieved:", memories["Dense (order 5)"].predict(inverted))

# %%
# The classical network completes each negative image into an exact negative
# letter, a ghost with the same energy as the letter itself.  The odd-order
# dense memory has no such symmetry: it answers with the stored letter that
# best matches the cue as given.  The modern memory, whose cue is far from
# every letter, returns a blend of the letters least unlike it, weighted by
# its attention; it never produces a state that was not stored or mixed from
# stored ones.
plt.show()
