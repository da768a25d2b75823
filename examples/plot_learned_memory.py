"""
=========================================================
A learned memory: a few stored patterns per class
=========================================================

:class:`~skhopfield.ModernHopfieldClassifier` with ``prototypes_per_class``
does not store the training digits: it learns ``k`` patterns per class (and,
with ``beta="learn"``, the inverse temperature) by minimizing the
cross-entropy of its own ``predict_proba``, the soft learning vector
quantization of Seo & Obermayer (2003) read out by Hopfield attention.

First the learned patterns of each digit, shown beside the class mean; then
the held-out accuracy against the number of patterns per class, for the
learned memory, :class:`~skhopfield.baselines.GLVQClassifier` (hard
prototypes) and k-nearest neighbours (which keeps every training digit).
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from skhopfield import ModernHopfieldClassifier
from skhopfield.baselines import GLVQClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
Z_train, Z_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Learned patterns beside the class means
# ---------------------------------------
# Three patterns per class, learned on standardized pixels and mapped back to
# pixel values for display (all on the same 0-16 grey scale as the means).
# They are not averages: the loss moves each pattern towards the digits it
# wins and away from those of other classes it attracts, so the patterns
# keep the strokes that tell a digit from its neighbours and differ from one
# another where the class is written in different ways.
k = 3
memory = ModernHopfieldClassifier(prototypes_per_class=k, beta="learn", random_state=0)
memory.fit(Z_train, y_train)
print(f"learned beta_ = {memory.beta_:.3g} after {memory.n_iter_} L-BFGS-B iterations")
print(f"stored numbers: {memory.patterns_.size} (the training set: {Z_train.size})")
print(f"held-out accuracy: {memory.score(Z_test, y_test):.3f}")

images = scaler.inverse_transform(memory.patterns_)
fig, axes = plt.subplots(k + 1, 10, figsize=(10, 4.4))
for c in range(10):
    mean = X_train[y_train == c].mean(axis=0).reshape(8, 8)
    axes[0, c].imshow(mean, cmap="gray_r", vmin=0, vmax=16)
    axes[0, c].set_title(str(c))
    for j, image in enumerate(images[memory.pattern_labels_ == c]):
        axes[j + 1, c].imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("mean")
for j in range(k):
    axes[j + 1, 0].set_ylabel(f"learned {j + 1}")
fig.tight_layout()

# %%
# Accuracy against patterns per class
# -----------------------------------
# The same split for all.  k-NN keeps every training digit (about 90 per
# class); it is drawn as a line at its accuracy with ``n_neighbors=5``.
counts = [1, 2, 5, 10]
ours, glvq = [], []
with warnings.catch_warnings():
    # short optimizer budgets keep the example fast; a stop at the limit is fine here
    warnings.simplefilter("ignore", ConvergenceWarning)
    for n in counts:
        est = ModernHopfieldClassifier(
            prototypes_per_class=n, beta="learn", random_state=0, max_fit_iter=100
        )
        ours.append(est.fit(Z_train, y_train).score(Z_test, y_test))
        ref = GLVQClassifier(n, random_state=0, max_iter=300)
        glvq.append(ref.fit(Z_train, y_train).score(Z_test, y_test))
knn = KNeighborsClassifier().fit(Z_train, y_train).score(Z_test, y_test)
for n, a, b in zip(counts, ours, glvq):
    print(f"{n:>2} per class: learned memory {a:.3f}, GLVQ {b:.3f}")
print(f"k-NN (every training digit): {knn:.3f}")

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(counts, ours, "o-", label="learned memory (beta learned)")
ax.plot(counts, glvq, "s--", label="GLVQ")
ax.axhline(knn, color="gray", linestyle=":", label="k-NN, every training digit")
ax.set_xscale("log")
ax.set_xticks(counts, [str(n) for n in counts])
ax.set_xlabel("stored patterns (prototypes) per class")
ax.set_ylabel("held-out accuracy")
ax.set_ylim(min(ours + glvq + [knn]) - 0.02, 1.0)
ax.legend(loc="lower right")
ax.set_title("digits, half held out")
fig.tight_layout()
plt.show()
