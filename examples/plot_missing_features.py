"""
=================================
Classifying with missing features
=================================

:class:`~skhopfield.ModernHopfieldClassifier` takes NaN features as they
are: a cue is scored on its observed coordinates only (the marginal of the
Gaussian kernel), so no imputation step is needed.
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` also handles NaN
natively; :class:`~sklearn.neighbors.KNeighborsClassifier` refuses it and
needs an imputer in front.

The digits are split into train and test sets, and a growing share of the
test features is hidden.  The plot shows the test accuracy of each model.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from skhopfield import ModernHopfieldClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

models = {
    "ModernHopfieldClassifier (NaN native)": ModernHopfieldClassifier(beta=5.0),
    "mean imputation + KNN": make_pipeline(SimpleImputer(), KNeighborsClassifier()),
    "HistGradientBoosting (NaN native)": HistGradientBoostingClassifier(
        max_iter=15, random_state=0
    ),
}
for model in models.values():
    model.fit(X_train, y_train)

rng = np.random.default_rng(0)
shares = [0.0, 0.2, 0.4, 0.6, 0.8]
accuracy = {name: [] for name in models}
for share in shares:
    X_missing = np.where(rng.random(X_test.shape) < share, np.nan, X_test)
    for name, model in models.items():
        accuracy[name].append(model.score(X_missing, y_test))

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, acc in accuracy.items():
    ax.plot(shares, acc, "o-", label=name)
ax.set_xlabel("share of test features missing")
ax.set_ylabel("test accuracy")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
