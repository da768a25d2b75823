"""
=====================================================
Hetero-association: letters to pictures and back
=====================================================

A :class:`~skhopfield.BidirectionalAssociativeMemory` (Kosko 1988) stores
*pairs*: here five 10x10 letters (the ``x`` layer, 100 units) each paired
with an 8x8 picture (the ``y`` layer, 64 units) -- the "name <-> face"
association of the textbooks.  A corrupted letter recalls its picture, and a
corrupted picture recalls its letter, through the same coupling matrix.

Then the capacity: how many pairs fit, for orthogonal and for random
patterns.
"""

# %%
# Store the pairs
# ---------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.linalg import hadamard

from skhopfield import BidirectionalAssociativeMemory
from skhopfield.datasets import flip_bits, load_glyphs, make_binary_patterns
from skhopfield.exceptions import CapacityWarning

# The correlation rule on these overlapping letters, and the capacity curve
# below, store past capacity on purpose (stable_patterns_ shows by how
# much); the warning fit gives then (CapacityWarning) is silenced.
warnings.filterwarnings("ignore", category=CapacityWarning)

PICTURES = {
    "smile": ["..####..", ".#....#.", "#.#..#.#", "#......#",
              "#.#..#.#", "#..##..#", ".#....#.", "..####.."],
    "heart": [".##..##.", "########", "########", "########",
              ".######.", "..####..", "...##...", "........"],
    "house": ["...##...", "..####..", ".######.", "########",
              ".#....#.", ".#.##.#.", ".#.##.#.", ".######."],
    "tree": ["...##...", "..####..", ".######.", "..####..",
             ".######.", "########", "...##...", "...##..."],
    "moon": ["..###...", ".##.....", "##......", "##......",
             "##......", "##......", ".##.....", "..###..."],
}  # fmt: skip
X, letters = load_glyphs(return_X_y=True)  # H O P F X
Y = np.array([[1.0 if c == "#" else -1.0 for row in pic for c in row] for pic in PICTURES.values()])

memories = {
    rule: BidirectionalAssociativeMemory(rule).fit(X, Y)
    for rule in ("correlation", "pseudoinverse")
}
for rule, memory in memories.items():
    print(f"{rule:>14}: pairs that are fixed points {memory.stable_patterns_.astype(int)}")

# %%
# The letters overlap strongly (``P`` and ``F`` share 94% of their pixels).
# Kosko's correlation rule ``W = sum x y^T`` adds up their cross-talk and
# keeps only one pair of the five; the pseudo-inverse rule maps every
# letter to its picture and back.
#
# Recall both ways
# ----------------
# Forward: a letter with 15% of its pixels flipped recalls the picture (and
# the clean letter).  Backward: a picture with 15% flipped recalls the letter.
memory = memories["pseudoinverse"]
x_cues = flip_bits(X, 0.15, random_state=0)
y_cues = flip_bits(Y, 0.15, random_state=1)
forward = memory.retrieve(x_cues)
backward = memory.retrieve_backward(y_cues)

fig, axes = plt.subplots(4, 5, figsize=(7, 6))
rows = [
    (x_cues, 10, "letter cue"),
    (forward.targets, 8, "recalled picture"),
    (y_cues, 8, "picture cue"),
    (backward.states, 10, "recalled letter"),
]
for r, (images, width, title) in enumerate(rows):
    for c in range(5):
        ax = axes[r, c]
        ax.imshow(images[c].reshape(width, width), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[r, 0].set_ylabel(title, fontsize=8)
fig.suptitle("BidirectionalAssociativeMemory('pseudoinverse'), 15% flipped cues")
fig.tight_layout()

n_rep = 40
truth_x, truth_y = np.repeat(X, n_rep, axis=0), np.repeat(Y, n_rep, axis=0)
for rule, memory in memories.items():
    fwd = memory.predict(flip_bits(truth_x, 0.15, random_state=2))
    bwd = memory.predict_backward(flip_bits(truth_y, 0.15, random_state=3))
    print(
        f"{rule:>14}: letter -> picture {(fwd == truth_y).all(axis=1).mean():.0%}, "
        f"picture -> letter {(bwd == truth_x).all(axis=1).mean():.0%} exact"
    )

# %%
# Names instead of pictures
# -------------------------
# Given 1-D labels, each label gets a random +/-1 code (``code_length``
# units, seeded by ``random_state``) as its ``y`` pattern; ``predict`` decodes
# the recalled code to the nearest label, and ``predict_backward`` takes
# labels to their letters.
named = BidirectionalAssociativeMemory("pseudoinverse", random_state=0).fit(X, letters)
print("noisy letters read as:", named.predict(x_cues))
print("'F' drawn back:", bool((named.predict_backward(["F"]) == X[3]).all()))

# %%
# Capacity
# --------
# N = 64 ``x`` units, M = 32 ``y`` units, correlation rule.  Kosko: every
# pair of an orthogonal set (rows of a Hadamard matrix) is a fixed point as
# long as both sides can be orthogonal, up to ``min(N, M) = 32`` pairs; noisy
# cues need a margin, so recall from 10% flipped units fails earlier.
# Random pairs suffer cross-talk and hold only a handful (about ``min(N, M)
# / (2 ln min(N, M))``, the BAM's counterpart of the Hopfield ``N / (4 ln
# N)``).  ``benchmarks/bam_capacity.py`` measures more sizes and both rules.
N, M = 64, 32
loads = [1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 28, 32, 40, 48]


def orthogonal(P, n, rng):
    k = min(P, n)
    H = hadamard(n).astype(float)[rng.choice(n, k, replace=False)]
    H = H[:, rng.permutation(n)] * rng.choice([-1.0, 1.0], n)
    return np.vstack([H, rng.choice([-1.0, 1.0], (P - k, n))])


def measure(kind, P, n_draws=4):
    stable = recalled = 0
    for seed in range(n_draws):
        rng = np.random.default_rng(1000 * P + seed)
        if kind == "orthogonal":
            Xs, Ys = orthogonal(P, N, rng), orthogonal(P, M, rng)
        else:
            Xs = make_binary_patterns(P, N, random_state=rng.integers(2**31))
            Ys = make_binary_patterns(P, M, random_state=rng.integers(2**31))
        bam = BidirectionalAssociativeMemory().fit(Xs, Ys)
        stable += bam.stable_patterns_.mean()
        out = bam.predict(flip_bits(Xs, 0.1, random_state=seed))
        recalled += (out == Ys).all(axis=1).mean()
    return stable / n_draws, recalled / n_draws


fig, ax = plt.subplots(figsize=(7, 4))
for kind, color in (("orthogonal", "C0"), ("random", "C1")):
    results = np.array([measure(kind, P) for P in loads])
    ax.plot(loads, results[:, 0], "o-", color=color, label=f"{kind}: fixed points")
    ax.plot(loads, results[:, 1], "s--", color=color, label=f"{kind}: recalled from 10% flips")
ax.axvline(min(N, M), color="C0", linewidth=1, linestyle=":")
ax.axvline(min(N, M) / (2 * np.log(min(N, M))), color="C1", linewidth=1, linestyle=":")
ax.set_xscale("log")
ax.set_xlabel(f"pairs stored, P  (N = {N}, M = {M})")
ax.set_ylabel("fraction of pairs")
ax.set_title("BAM capacity, correlation rule; dotted: theory")
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()
plt.show()
