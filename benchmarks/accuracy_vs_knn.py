"""Nested cross-validated accuracy of ModernHopfieldClassifier vs KNN.

For each of scikit-learn's digits, wine and breast-cancer data:
``Pipeline(StandardScaler(), clf)``; the inner ``GridSearchCV`` (5-fold)
searches only ``beta`` for ours and only ``n_neighbors`` for KNN; the outer
5-fold ``cross_val_score`` scores the whole search.  Both see the same
(stratified, shuffled, seeded) folds.  Defaults without search are shown too.

    PYTHONPATH=. python benchmarks/accuracy_vs_knn.py
"""

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhopfield import ModernHopfieldClassifier

BETAS = np.logspace(-3, 1, 13).tolist()
# cosine scores live in [-1, 1] whatever the data, so its useful betas are larger
COSINE_BETAS = np.logspace(-1, 3, 13).tolist()
NEIGHBORS = [1, 3, 5, 7, 9, 11, 15, 21]
DATASETS = {"digits": load_digits, "wine": load_wine, "breast_cancer": load_breast_cancer}


def nested(est, grid, X, y, seed=0):
    inner = StratifiedKFold(5, shuffle=True, random_state=seed)
    outer = StratifiedKFold(5, shuffle=True, random_state=seed + 1)
    search = GridSearchCV(make_pipeline(StandardScaler(), est), grid, cv=inner)
    return cross_val_score(search, X, y, cv=outer)


def plain(est, X, y, seed=0):
    outer = StratifiedKFold(5, shuffle=True, random_state=seed + 1)
    return cross_val_score(make_pipeline(StandardScaler(), est), X, y, cv=outer)


def main():
    print(f"beta grid: {['%.3g' % b for b in BETAS]} (cosine: "
          f"{['%.3g' % b for b in COSINE_BETAS]}); n_neighbors grid: {NEIGHBORS}")
    print("| data | n, features | ours nested (beta searched) | KNN nested (k searched) "
          "| diff (points) | ours default (beta='auto') | KNN default (k=5) "
          "| ours 'dot' nested | ours 'cosine' nested |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, load in DATASETS.items():
        X, y = load(return_X_y=True)
        ours = nested(ModernHopfieldClassifier(),
                      {"modernhopfieldclassifier__beta": BETAS}, X, y)
        knn = nested(KNeighborsClassifier(),
                     {"kneighborsclassifier__n_neighbors": NEIGHBORS}, X, y)
        dot = nested(ModernHopfieldClassifier(similarity="dot"),
                     {"modernhopfieldclassifier__beta": BETAS}, X, y)
        cos = nested(ModernHopfieldClassifier(similarity="cosine"),
                     {"modernhopfieldclassifier__beta": COSINE_BETAS}, X, y)
        ours_d = plain(ModernHopfieldClassifier(), X, y)
        knn_d = plain(KNeighborsClassifier(), X, y)
        print(f"| {name} | {X.shape[0]}, {X.shape[1]} | {ours.mean():.4f} ± {ours.std():.4f} "
              f"| {knn.mean():.4f} ± {knn.std():.4f} | {100 * (ours.mean() - knn.mean()):+.2f} "
              f"| {ours_d.mean():.4f} | {knn_d.mean():.4f} | {dot.mean():.4f} "
              f"| {cos.mean():.4f} |", flush=True)


if __name__ == "__main__":
    main()
