"""Nested cross-validated R^2 of ModernHopfieldRegressor beside a tuned KNN.

On scikit-learn's diabetes data (442 x 10), ``make_friedman1`` (500 x 10,
noise 1, seed 0) and the multi-output linnerud data (20 x 3, 3 targets):
``Pipeline(StandardScaler(), reg)`` scored by R^2 (uniform average over the
targets) on the same outer folds (5-fold ``KFold``, shuffled, seeded; 4-fold
leave-5-out on linnerud's 20 rows) for every model.

- searched (nested): an inner ``GridSearchCV`` (``--inner`` folds) searches
  ``beta`` for ModernHopfieldRegressor and ``n_neighbors`` and ``weights``
  for ``KNeighborsRegressor``; the outer ``cross_val_score`` scores the whole
  search;
- no search: ModernHopfieldRegressor with ``beta="learn"`` (leave-one-out
  squared error inside each outer training set), ``beta="auto"``, and
  KNN's defaults (k = 5).

The goal set when the regressor was added: ModernHopfieldRegressor at least as good as the tuned
KNN on the mean over the data sets.

    PYTHONPATH=.:benchmarks python benchmarks/regression.py [--inner 5] [--seed 0]
"""

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_linnerud, make_friedman1
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _common import machine
from skhopfield import ModernHopfieldRegressor

BETAS = np.logspace(-3, 1, 25).tolist()
NEIGHBORS = [1, 2, 3, 5, 7, 9, 11, 15, 21, 31]


def datasets():
    X, y = make_friedman1(500, noise=1.0, random_state=0)
    return {
        "diabetes": load_diabetes(return_X_y=True),
        "friedman1": (X, y),
        "linnerud": load_linnerud(return_X_y=True),
    }


def folds(n, seed):
    return KFold(5 if n > 50 else 4, shuffle=True, random_state=seed + 1)


def nested(est, grid, X, y, seed, inner):
    if "n_neighbors" in grid:  # at most the rows of an inner training set
        n_fit = len(X) * (folds(len(X), seed).n_splits - 1) // folds(len(X), seed).n_splits
        n_fit = n_fit * (inner - 1) // inner
        grid = {**grid, "n_neighbors": [k for k in grid["n_neighbors"] if k <= n_fit]}
    step = est.__class__.__name__.lower()
    grid = {f"{step}__{k}": v for k, v in grid.items()}
    inner_cv = KFold(inner, shuffle=True, random_state=seed)
    search = GridSearchCV(make_pipeline(StandardScaler(), est), grid, cv=inner_cv)
    return cross_val_score(search, X, y, cv=folds(len(X), seed))


def plain(est, X, y, seed):
    return cross_val_score(make_pipeline(StandardScaler(), est), X, y, cv=folds(len(X), seed))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inner", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)  # sklearn's notes on tiny folds
    print(machine())
    print(f"beta grid: 25 values log-spaced over [1e-3, 10]; n_neighbors grid: {NEIGHBORS} "
          "(those at most the inner training size) x weights (uniform, distance); "
          f"inner folds: {args.inner}; seed {args.seed}\n")
    models = {
        "Modern (beta searched)": lambda X, y: nested(
            ModernHopfieldRegressor(), {"beta": BETAS}, X, y, args.seed, args.inner),
        "KNN (k, weights searched)": lambda X, y: nested(
            KNeighborsRegressor(), {"n_neighbors": NEIGHBORS,
                                    "weights": ["uniform", "distance"]},
            X, y, args.seed, args.inner),
        'Modern beta="learn"': lambda X, y: plain(
            ModernHopfieldRegressor(beta="learn"), X, y, args.seed),
        'Modern beta="auto"': lambda X, y: plain(ModernHopfieldRegressor(), X, y, args.seed),
        "KNN default (k=5)": lambda X, y: plain(KNeighborsRegressor(), X, y, args.seed),
    }
    means = {name: [] for name in models}
    print("| data | n, features, targets | " + " | ".join(models) + " |")
    print("|---" * (len(models) + 2) + "|")
    for name, (X, y) in datasets().items():
        cells = []
        for model, run in models.items():
            scores = run(X, y)
            means[model].append(scores.mean())
            cells.append(f"{scores.mean():.4f} ± {scores.std():.4f}")
        k = 1 if y.ndim == 1 else y.shape[1]
        print(f"| {name} | {X.shape[0]}, {X.shape[1]}, {k} | " + " | ".join(cells) + " |",
              flush=True)
    print("| **mean** | | " + " | ".join(f"{np.mean(v):.4f}" for v in means.values()) + " |")


if __name__ == "__main__":
    main()
