"""
=====================================
Grid search over beta and order
=====================================

The memories are ordinary scikit-learn estimators, so their parameters are
tuned like any other.  Here :class:`~sklearn.model_selection.GridSearchCV`
searches

- ``beta`` and ``similarity`` of a :class:`~skhopfield.ModernHopfieldClassifier`
  behind a :class:`~sklearn.preprocessing.StandardScaler`;
- ``order`` (and the exponential interaction) of a
  :class:`~skhopfield.DenseAssociativeMemory` behind a
  :class:`~sklearn.preprocessing.Binarizer`, which turns each standardized
  feature into "above / below its mean".

on a subset of the handwritten digits.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Binarizer, StandardScaler

from skhopfield import DenseAssociativeMemory, ModernHopfieldClassifier
from skhopfield.exceptions import CapacityWarning

# Some grid points (order 2, the classical energy) store the 600 training
# digits far past capacity; fit warns about it (CapacityWarning) on every
# fold, and the search is what tells the good values from the bad ones.
warnings.filterwarnings("ignore", category=CapacityWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=600, test_size=300, random_state=0, stratify=y
)
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)

# %%
# The modern memory: beta and similarity
# --------------------------------------
modern = Pipeline(
    [("scale", StandardScaler()), ("hopfield", ModernHopfieldClassifier())]
)
modern_search = GridSearchCV(
    modern,
    {
        "hopfield__beta": np.geomspace(0.01, 10, 10),
        "hopfield__similarity": ["euclidean", "dot"],
    },
    cv=cv,
).fit(X_train, y_train)
print("modern:", modern_search.best_params_)
print(
    f"  cross-validated accuracy {modern_search.best_score_:.3f}, "
    f"test accuracy {modern_search.score(X_test, y_test):.3f}"
)

# %%
# The dense memory: order and interaction
# ---------------------------------------
# The dense memory stores each binarized training digit as a pattern and
# predicts the label of the stored pattern its dynamics end nearest to.
dense = Pipeline(
    [
        ("scale", StandardScaler()),
        ("binarize", Binarizer(threshold=0.0)),
        ("hopfield", DenseAssociativeMemory(random_state=0)),
    ]
)
dense_search = GridSearchCV(
    dense,
    [
        {"hopfield__interaction": ["polynomial"], "hopfield__order": [2, 3, 4, 6, 10]},
        {"hopfield__interaction": ["exponential"], "hopfield__beta": [0.1, 1.0]},
    ],
    cv=cv,
).fit(X_train, y_train)
print("dense:", dense_search.best_params_)
print(
    f"  cross-validated accuracy {dense_search.best_score_:.3f}, "
    f"test accuracy {dense_search.score(X_test, y_test):.3f}"
)

# %%
# The search results
# ------------------
# ``cv_results_`` holds the score of every candidate.
results = modern_search.cv_results_
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
for similarity in ("euclidean", "dot"):
    keep = results["param_hopfield__similarity"] == similarity
    axes[0].semilogx(
        np.asarray(results["param_hopfield__beta"][keep], dtype=float),
        results["mean_test_score"][keep],
        "o-",
        label=f'similarity="{similarity}"',
    )
axes[0].set_xlabel("beta")
axes[0].set_ylabel("mean CV accuracy")
axes[0].set_title("ModernHopfieldClassifier")
axes[0].legend(fontsize=8)

results = dense_search.cv_results_
labels = [
    (
        f"order {p['hopfield__order']}"
        if p["hopfield__interaction"] == "polynomial"
        else f"exp, beta {p['hopfield__beta']:g}"
    )
    for p in results["params"]
]
axes[1].bar(labels, results["mean_test_score"], color="C2")
axes[1].set_ylim(0, 1)
axes[1].set_ylabel("mean CV accuracy")
axes[1].set_title("DenseAssociativeMemory (binarized)")
axes[1].tick_params(axis="x", labelrotation=45, labelsize=8)
fig.tight_layout()

# %%
# ``order=2`` is the classical Hebbian network, hopelessly past capacity with
# hundreds of stored digits in 64 neurons: it cannot tell the digits apart.
# Higher orders separate the stored patterns more sharply.  Binarizing the
# pixels costs accuracy that the continuous modern memory keeps.
plt.show()
