"""
============================================================
Imputation: HopfieldImputer, KNNImputer and IterativeImputer
============================================================

:class:`~skhopfield.HopfieldImputer` stores the training rows (with their
own missing entries) in a modern Hopfield memory and fills each missing
entry with the attention-weighted mean of the stored rows, the attention
taken over the observed coordinates: the conditional mean of a Gaussian
mixture of kernel width ``1 / sqrt(beta)``.  It is a soft
:class:`~sklearn.impute.KNNImputer`, with ``beta`` learned by hiding observed
entries of the stored rows.

A third of the entries of two standardized data sets are hidden at random,
and each imputer fills them.  The bars give the RMSE on the hidden entries
(lower is better).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes, load_wine
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.preprocessing import StandardScaler

from skhopfield import HopfieldImputer

imputers = {
    "mean": SimpleImputer(),
    "KNN (k=5, distance)": KNNImputer(weights="distance"),
    "Iterative": IterativeImputer(max_iter=10, random_state=0),
    "Hopfield (learned beta)": HopfieldImputer(),
}
rng = np.random.default_rng(0)
results = {}
for name, loader in [("diabetes", load_diabetes), ("wine", load_wine)]:
    X = StandardScaler().fit_transform(loader().data)
    hidden = rng.random(X.shape) < 0.3
    X_missing = np.where(hidden, np.nan, X)
    results[name] = {
        label: np.sqrt(np.mean((imp.fit_transform(X_missing)[hidden] - X[hidden]) ** 2))
        for label, imp in imputers.items()
    }

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
width = 0.2
for k, label in enumerate(imputers):
    values = [results[d][label] for d in results]
    ax.bar(np.arange(len(results)) + k * width, values, width, label=label)
ax.set_xticks(np.arange(len(results)) + 1.5 * width, list(results))
ax.set_ylabel("RMSE on hidden entries")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
