"""
=======================================
The role of beta in the modern network
=======================================

The modern Hopfield network retrieves ``xi <- X^T softmax(beta z)``, where
``z_mu`` is the similarity of the cue to stored pattern ``mu`` (here the
default, ``-||x^mu - xi||^2 / 2``).  The inverse temperature ``beta`` sets
how many stored patterns take part:

- small ``beta``: all of them equally, and every cue goes to the global
  average;
- intermediate ``beta``: the few patterns nearest to the cue, a
  *metastable* mixture;
- large ``beta``: the single nearest pattern.

We store 500 handwritten digits (8x8 pixels, scaled to ``[0, 1]``), hide half
of the pixels of some other digits, and retrieve.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from skhopfield import ModernHopfieldClassifier
from skhopfield.datasets import mask_features

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=500, random_state=0, stratify=y
)
# Half of the pixels of every test digit are set to 0 (paper).
X_masked = mask_features(X_test, 0.5, random_state=0)

# %%
# Retrieval at several beta
# -------------------------
# ``transform`` returns the retrieved state; we run up to 20 update steps so
# that each state is the fixed point the dynamics settle in.  The number under
# each image is the *effective number of patterns* in the final attention,
# ``1 / sum_mu p_mu^2``: 500 when all patterns weigh the same, 1 when one
# pattern takes everything.  The middle columns are metastable states:
# blends of a few digits that resemble the visible half of the cue.


def attention(memory, states):
    """Softmax weights over the stored patterns (the formula of the update)."""
    z = -0.5 * ((states[:, None, :] - memory.patterns_[None]) ** 2).sum(axis=-1)
    z = memory.beta_ * z
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


betas = [0.3, 1.5, 2.5, 4.0, 10.0]
cue_rows = [0, 2, 3]
fig, axes = plt.subplots(len(cue_rows), len(betas) + 2, figsize=(9, 4.4))
for i, row in enumerate(cue_rows):
    axes[i, 0].imshow(X_test[row].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    axes[i, 1].imshow(X_masked[row].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    for j, beta in enumerate(betas):
        memory = ModernHopfieldClassifier(beta=beta, max_iter=20).fit(X_train, y_train)
        state = memory.transform(X_masked[row : row + 1])
        n_eff = 1.0 / (attention(memory, state) ** 2).sum()
        ax = axes[i, j + 2]
        ax.imshow(state.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        n_eff = round(n_eff)
        ax.set_xlabel(f"{n_eff} pattern{'' if n_eff == 1 else 's'}", fontsize=7)
        if i == 0:
            ax.set_title(f"beta = {beta:g}", fontsize=8)
axes[0, 0].set_title("digit", fontsize=8)
axes[0, 1].set_title("cue", fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Retrieved state at each beta", fontsize=9)
fig.text(
    0.5,
    0.01,
    "under each state: the effective number of stored patterns in its attention, "
    "1 / sum p_mu^2",
    ha="center",
    fontsize=7,
)
fig.tight_layout(rect=(0, 0.03, 1, 1))

# %%
# One update step is attention over the stored patterns; the helper above
# reproduces it exactly:
memory = ModernHopfieldClassifier(beta=3.0).fit(X_train, y_train)
one_step = attention(memory, X_masked[:5]) @ memory.patterns_
print(
    "formula matches transform:", np.allclose(one_step, memory.transform(X_masked[:5]))
)

# %%
# Accuracy against beta
# ---------------------
# ``predict`` reads the labels with the same attention weights.  Too small a
# beta votes with every stored digit; too large a beta trusts the single
# nearest one, which is what 1-nearest-neighbour does.  On the clean cues any
# beta from about 2 up is as good as 1-NN; on the masked cues a soft vote over
# a handful of patterns, near the ``"auto"`` value, beats both extremes.
grid = np.geomspace(0.03, 300, 17)
clean, masked = [], []
for beta in grid:
    memory = ModernHopfieldClassifier(beta=beta).fit(X_train, y_train)
    clean.append(memory.score(X_test, y_test))
    masked.append(memory.score(X_masked, y_test))

knn = KNeighborsClassifier(n_neighbors=1).fit(X_train, y_train)
auto = ModernHopfieldClassifier().fit(X_train, y_train)

fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.semilogx(grid, clean, "o-", label="modern Hopfield, clean cues")
ax.semilogx(grid, masked, "s-", label="modern Hopfield, half the pixels masked")
ax.axhline(knn.score(X_test, y_test), color="C0", ls=":", label="1-NN, clean")
ax.axhline(knn.score(X_masked, y_test), color="C1", ls=":", label="1-NN, masked")
ax.axvline(auto.beta_, color="gray", ls="--", lw=1, label='beta="auto"')
ax.set_xlabel("beta")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1.02)
ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()

best = grid[int(np.argmax(masked))]
print(f'beta="auto" resolves to {auto.beta_:.2f}; best beta on masked cues: {best:.2f}')
plt.show()
