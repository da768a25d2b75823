"""Nested cross-validated accuracy of every memory beside KNN and GLVQ.

Part 1, classification, on scikit-learn's digits, wine and breast-cancer
data: ``Pipeline(StandardScaler(), clf)`` scored on the same outer folds
(5-fold, stratified, shuffled, seeded) for every model.

- searched (nested): an inner ``GridSearchCV`` (``--inner`` folds) searches
  only ``beta`` for ModernHopfieldClassifier, only ``n_neighbors`` for KNN,
  only ``prototypes_per_class`` for GLVQ; the outer ``cross_val_score`` scores
  the whole search;
- fixed settings, outer folds only (no search, so no inner loop): the binary
  memories as classifiers by nearest stored pattern.  They store every
  training row binarized at 0 after standardization (``x > 0`` is +1) with
  its label; ``predict`` runs the dynamics from the binarized query and
  returns the label of the stored pattern nearest to the final state.
  ``--search-binary`` searches their settings too (slow: minutes per fit
  for the polynomial on digits).

Part 2, pattern completion on binarized digits (pixel > 7 is +1, 64 bits):
on the same outer folds, ``k`` training digits per class are stored (with
labels); from each stored digit with 10% of its bits flipped, the fraction
recalled exactly (``sign`` of the state equal to the stored pattern); and
from each held-out digit with 10% of its bits flipped, the accuracy of the
predicted label.  1-NN (Hamming) is the reference.

    PYTHONPATH=.:benchmarks python benchmarks/accuracy.py [--inner 3]
        [--datasets digits wine breast_cancer] [--similarities] [--separations]
        [--search-binary] [--no-completion]

``--no-binary`` leaves the binary memories out of part 1.
``--similarities`` adds ModernHopfieldClassifier's ``"dot"``,
``"cosine"`` and ``"manhattan"`` similarities (beta searched) to part 1.

``--separations`` adds the separations other than softmax: to part 1,
sparsemax, entmax (alpha 1.5), polynomial (order 3) and the manhattan
similarity with sparsemax (beta searched over a grid reaching 100x smaller
values: a sparse separation keeps the patterns within ``1 / (beta (alpha -
1))`` of the best score, so it needs smaller ``beta`` for the same breadth
of vote) and ``"max"`` (no search: 1-nearest-neighbour); to part 3, learned
memories trained on the sparsemax, entmax 1.5 and polynomial (order 3)
Fenchel-Young losses (prototypes searched, ``beta="learn"``), on the
``"max"`` one (prototypes searched, ``beta="auto"``: for ``"max"`` the loss
only scales with ``beta``, which learning would shrink to its bound), and
the manhattan similarity (softmax; prototypes searched, ``beta="learn"``,
at most ``--manhattan-fit-iter`` L-BFGS-B iterations: its nonsmooth
objective converges slowly, and on digits 150 iterations measured the
accuracy of 300).

``--learned-prototypes`` replaces part 3's grid of ``prototypes_per_class``.
``--merge`` keeps what the existing ``--json`` holds and replaces only the
parts run now (in part 1, only the columns run now: e.g. ``--no-binary``
keeps the binary memories' columns of the earlier run; the earlier run's
date and commit are recorded under ``merged_from``).

Part 3 (``--learned``; ``--learned-only`` runs it alone), learned memories
(prototypes learned by gradient descent), same outer folds and inner search as part 1, on digits, wine,
breast cancer, iris and two synthetic problems with several clusters per
class and label noise (``clusters``: ``make_classification``, 3 classes of
3 clusters in 20 features, 6 informative, 10% of labels flipped;
``blobs_noise``: 12 Gaussian blobs in 8 features dealt round-robin to 4
classes, 10% of labels redrawn at random).  Searched:
``prototypes_per_class`` in {1, 2, 5, 10} with ``beta="learn"`` for ours
(``--map`` adds a column that also searches ``n_components``), the same
counts for GLVQ, ``n_neighbors`` for KNN; "Modern rows, beta learn" stores
every row and learns ``beta`` by leave-one-out (no search).

Writes ``--json`` (default ``benchmarks/results/accuracy.json``; with
``--quick``, ``accuracy_quick.json``): every fold's score of every model,
with the machine, the commit and the harness; ``python
benchmarks/report.py`` draws it.  ``--quick``: digits and wine only, 1 and
10 stored digits per class in part 2 (about a minute on a quiet machine).
"""

import argparse
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_blobs,
    make_classification,
)
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _common import harness_line, write_results
from skhopfield import DenseAssociativeMemory, HopfieldMemory, ModernHopfieldClassifier
from skhopfield.baselines import GLVQClassifier
from skhopfield.datasets import flip_bits

BETAS = np.logspace(-3, 1, 13).tolist()
# cosine scores live in [-1, 1] whatever the data, so its useful betas are larger
COSINE_BETAS = np.logspace(-1, 3, 13).tolist()
# sparse separations: the support is the scores within 1 / (beta (alpha - 1))
SPARSE_BETAS = np.logspace(-5, 1, 13).tolist()
MANHATTAN_BETAS = np.logspace(-3, 1, 13).tolist()
NEIGHBORS = [1, 3, 5, 7, 9, 11, 15, 21]
PROTOTYPES = [1, 2, 3]
DATASETS = {"digits": load_digits, "wine": load_wine, "breast_cancer": load_breast_cancer}
MAX_ITER = 20  # sweeps of the binary memories
LEARNED_PROTOTYPES = [1, 2, 5, 10]


def load_clusters(return_X_y=True):
    """3 classes x 3 clusters in 20 features (6 informative), 10% labels flipped."""
    return make_classification(n_samples=900, n_features=20, n_informative=6,
                               n_redundant=2, n_classes=3, n_clusters_per_class=3,
                               flip_y=0.1, class_sep=1.5, random_state=0)


def load_blobs_noise(return_X_y=True):
    """12 blobs in 8 features dealt to 4 classes; 10% of labels redrawn at random."""
    X, c = make_blobs(n_samples=1200, centers=12, n_features=8, cluster_std=2.0,
                      random_state=0)
    rng = np.random.RandomState(0)
    y = c % 4
    noisy = rng.rand(len(y)) < 0.1
    y[noisy] = rng.randint(0, 4, noisy.sum())
    return X, y


LEARNED_DATASETS = {"digits": load_digits, "wine": load_wine,
                    "breast_cancer": load_breast_cancer, "iris": load_iris,
                    "clusters": load_clusters, "blobs_noise": load_blobs_noise}

# name -> (estimator, grid searched with --search-binary)
BINARY = {
    "Hopfield hebbian": (HopfieldMemory(max_iter=MAX_ITER, random_state=0),
                         {"learning_rule": ["hebbian", "storkey"]}),
    "Hopfield pseudoinverse": (HopfieldMemory("pseudoinverse", max_iter=MAX_ITER,
                                              random_state=0), {}),
    "Dense poly n=3": (DenseAssociativeMemory(order=3, max_iter=MAX_ITER, random_state=0),
                       {"order": [2, 3, 4]}),
    "Dense exp beta=1": (DenseAssociativeMemory(interaction="exponential", max_iter=MAX_ITER,
                                                random_state=0), {"beta": [0.1, 0.3, 1.0, 3.0]}),
}


def outer_folds(seed=0):
    return StratifiedKFold(5, shuffle=True, random_state=seed + 1)


def nested(est, grid, X, y, seed=0, inner=5):
    inner_cv = StratifiedKFold(inner, shuffle=True, random_state=seed)
    step = est.__class__.__name__.lower()
    grid = {f"{step}__{k}": v for k, v in grid.items()}
    search = GridSearchCV(make_pipeline(StandardScaler(), est), grid, cv=inner_cv)
    return cross_val_score(search, X, y, cv=outer_folds(seed))


def plain(est, X, y, seed=0):
    return cross_val_score(make_pipeline(StandardScaler(), est), X, y, cv=outer_folds(seed))


def fmt(scores):
    return f"{scores.mean():.4f} ± {scores.std():.4f}"


def classification(args):
    searched = {
        "Modern (beta)": (ModernHopfieldClassifier(), {"beta": BETAS}),
        "KNN (k)": (KNeighborsClassifier(), {"n_neighbors": NEIGHBORS}),
        "GLVQ (prototypes)": (GLVQClassifier(random_state=0),
                              {"prototypes_per_class": PROTOTYPES}),
    }
    if args.similarities:
        searched["Modern dot (beta)"] = (ModernHopfieldClassifier(similarity="dot"),
                                         {"beta": BETAS})
        searched["Modern cosine (beta)"] = (ModernHopfieldClassifier(similarity="cosine"),
                                            {"beta": COSINE_BETAS})
        searched["Modern manhattan (beta)"] = (
            ModernHopfieldClassifier(similarity="manhattan"), {"beta": MANHATTAN_BETAS})
    if args.separations:
        for label, params in (
            ("sparsemax", {"separation": "sparsemax"}),
            ("entmax 1.5", {"separation": "entmax"}),
            ("polynomial 3", {"separation": "polynomial", "separation_order": 3}),
            ("manhattan sparsemax", {"separation": "sparsemax", "similarity": "manhattan"}),
        ):
            searched[f"Modern {label} (beta)"] = (
                ModernHopfieldClassifier(**params), {"beta": SPARSE_BETAS})
    print(f"beta grid: {['%.3g' % b for b in BETAS]}; n_neighbors grid: {NEIGHBORS}; "
          f"prototypes_per_class grid: {PROTOTYPES}; inner folds: {args.inner}; "
          f"binary memories: max_iter={MAX_ITER}, "
          + ("settings searched" if args.search_binary else "fixed settings, no search"))
    plain_models = {"Modern default": ModernHopfieldClassifier(),
                    "KNN default (k=5)": KNeighborsClassifier()}
    if args.separations:
        plain_models["Modern max (1-NN)"] = ModernHopfieldClassifier(separation="max")
    binary = {} if args.no_binary else BINARY
    names = list(searched) + list(binary) + list(plain_models)
    out = {"models": names, "searched": list(searched), "datasets": {}}
    print("| data | n, features | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 2) + "|")
    for name in args.datasets:
        X, y = DATASETS[name](return_X_y=True)
        cells = [nested(est, grid, X, y, inner=args.inner) for est, grid in searched.values()]
        for est, grid in binary.values():
            if args.search_binary and grid:
                cells.append(nested(clone(est), grid, X, y, inner=args.inner))
            else:
                cells.append(plain(clone(est), X, y))
        cells.extend(plain(clone(est), X, y) for est in plain_models.values())
        print(f"| {name} | {X.shape[0]}, {X.shape[1]} | "
              + " | ".join(fmt(c) for c in cells) + " |", flush=True)
        out["datasets"][name] = {
            "n_samples": int(X.shape[0]), "n_features": int(X.shape[1]),
            "scores": {m: [float(v) for v in c] for m, c in zip(names, cells)},
        }
    return out


def learned(args):
    grid = {"prototypes_per_class": args.learned_prototypes}
    searched = {
        "Modern learned (k, beta learn)": (
            ModernHopfieldClassifier(beta="learn", prototypes_per_class=1, random_state=0),
            grid),
        "GLVQ (k)": (GLVQClassifier(random_state=0), grid),
        "KNN (n_neighbors)": (KNeighborsClassifier(), {"n_neighbors": NEIGHBORS}),
        "Modern all rows (beta grid)": (ModernHopfieldClassifier(), {"beta": BETAS}),
    }
    if args.separations:
        for label, params in (
            ("sparsemax", {"separation": "sparsemax", "beta": "learn"}),
            ("entmax 1.5", {"separation": "entmax", "beta": "learn"}),
            ("polynomial 3", {"separation": "polynomial", "separation_order": 3,
                              "beta": "learn"}),
            ("max", {"separation": "max"}),
            ("manhattan", {"similarity": "manhattan", "beta": "learn",
                           "max_fit_iter": args.manhattan_fit_iter}),
        ):
            beta = "beta learn" if params.get("beta") == "learn" else "beta auto"
            searched[f"Modern learned {label} (k, {beta})"] = (
                ModernHopfieldClassifier(prototypes_per_class=1, random_state=0, **params),
                grid)
    if args.map:
        searched["Modern learned + map (k, n_components)"] = (
            ModernHopfieldClassifier(beta="learn", prototypes_per_class=1, random_state=0),
            {**grid, "n_components": ["half", None]})
    print(f"\nlearned memories: prototypes_per_class grid {args.learned_prototypes} (ours, "
          f"beta='learn'; GLVQ), n_neighbors grid {NEIGHBORS}; inner folds {args.inner}; "
          "mean ± std over the 5 outer folds")
    names = list(searched) + ["Modern all rows, beta learn (LOO)"]
    out = {}
    print("| data | n, features | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 2) + "|")
    for name in args.learned_datasets:
        X, y = LEARNED_DATASETS[name](return_X_y=True)
        cells = []
        for est, grid in searched.values():
            grid = dict(grid)
            if grid.get("n_components") == ["half", None]:
                grid["n_components"] = [max(1, X.shape[1] // 2), None]
            cells.append(nested(clone(est), grid, X, y, inner=args.inner))
        cells.append(plain(ModernHopfieldClassifier(beta="learn"), X, y))
        print(f"| {name} | {X.shape[0]}, {X.shape[1]} | "
              + " | ".join(fmt(c) for c in cells) + " |", flush=True)
        out[name] = {m: [float(v) for v in c] for m, c in zip(names, cells)}
    return out


def completion(args):
    X, y = load_digits(return_X_y=True)
    S = np.where(X > 7, 1.0, -1.0)
    models = {name: est for name, (est, _) in BINARY.items()}
    models["Hopfield storkey"] = HopfieldMemory("storkey", max_iter=MAX_ITER, random_state=0)
    models["Modern (beta auto)"] = ModernHopfieldClassifier()
    models["Modern (beta 1)"] = ModernHopfieldClassifier(beta=1.0)
    models["1-NN"] = KNeighborsClassifier(n_neighbors=1)
    print(f"\nbinarized digits (64 bits, {S.shape[0]} digits), 10% of bits flipped "
          "(6 bits); mean over the 5 outer folds. recall: stored digit recalled exactly; "
          "label: held-out digit's label predicted")
    header = "| per class (P) | " + " | ".join(f"{m} recall / label" for m in models) + " |"
    print(header)
    print("|---" * (len(models) + 1) + "|")
    out = {"models": list(models), "per_class": list(args.per_class), "recall": {},
           "label": {}}
    for k in args.per_class:
        res = {m: ([], []) for m in models}
        for fold, (train, test) in enumerate(outer_folds().split(S, y)):
            rng = np.random.RandomState(fold)
            store = np.concatenate([rng.permutation(train[y[train] == c])[:k]
                                    for c in np.unique(y)])
            Xs, ys = S[store], y[store]
            cues = flip_bits(Xs, 0.1, random_state=fold)
            held = flip_bits(S[test], 0.1, random_state=fold + 100)
            for m, est in models.items():
                est = clone(est)
                if isinstance(est, KNeighborsClassifier):
                    est.fit(Xs, np.arange(len(Xs)))
                    states = Xs[est.predict(cues)]
                    est.fit(Xs, ys)
                else:
                    est.fit(Xs, ys)
                    states = np.sign(est.transform(cues))
                res[m][0].append(np.mean((states == Xs).all(axis=1)))
                res[m][1].append(np.mean(est.predict(held) == y[test]))
        print(f"| {k} ({10 * k}) | " + " | ".join(
            f"{np.mean(r):.3f} / {np.mean(a):.3f}" for r, a in res.values()) + " |",
            flush=True)
        for m, (r, a) in res.items():
            out["recall"].setdefault(m, []).append(float(np.mean(r)))
            out["label"].setdefault(m, []).append(float(np.mean(a)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inner", type=int, default=3)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--similarities", action="store_true")
    parser.add_argument("--separations", action="store_true")
    parser.add_argument("--search-binary", action="store_true")
    parser.add_argument("--no-binary", action="store_true")
    parser.add_argument("--no-completion", action="store_true")
    parser.add_argument("--no-classification", action="store_true")
    parser.add_argument("--per-class", type=int, nargs="+", default=[1, 3, 10, 30])
    parser.add_argument("--learned", action="store_true")
    parser.add_argument("--learned-only", action="store_true")
    parser.add_argument("--map", action="store_true")
    parser.add_argument("--learned-datasets", nargs="+", default=list(LEARNED_DATASETS))
    parser.add_argument("--learned-prototypes", type=int, nargs="+",
                        default=LEARNED_PROTOTYPES)
    parser.add_argument("--manhattan-fit-iter", type=int, default=150)
    parser.add_argument("--merge", action="store_true",
                        help="keep the parts (and part 1 columns) of --json not run now")
    parser.add_argument("--quick", action="store_true",
                        help="digits and wine; 1 and 10 digits per class in part 2")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.quick:
        args.datasets = [d for d in args.datasets if d in ("digits", "wine")]
        args.per_class = [k for k in args.per_class if k in (1, 10)]
    # binary memories over capacity report non-convergence; counted, not shown
    warnings.simplefilter("ignore")
    harness = (
        f"Pipeline(StandardScaler(), model) scored by cross_val_score on the same 5 "
        f"outer folds (StratifiedKFold, shuffled, random_state=1); searched models "
        f"wrapped in GridSearchCV with {args.inner} inner folds; binary memories with "
        f"fixed settings (max_iter={MAX_ITER}) unless --search-binary; no timing"
    )
    if args.learned or args.learned_only:
        harness += (
            f"; part 3 on {', '.join(args.learned_datasets)}: prototypes_per_class "
            f"searched over {list(args.learned_prototypes)}"
            + (f", the manhattan memory trained for at most {args.manhattan_fit_iter} "
               "L-BFGS-B iterations" if args.separations else "")
        )
    print(harness_line(harness))
    data = {"inner_folds": args.inner, "grids": {
        "beta": BETAS, "n_neighbors": NEIGHBORS, "prototypes_per_class": PROTOTYPES}}
    if args.separations:
        data["grids"]["beta_sparse"] = SPARSE_BETAS
    if args.learned or args.learned_only:
        data["grids"]["learned_prototypes_per_class"] = list(args.learned_prototypes)
        if args.separations:
            data["grids"]["manhattan_max_fit_iter"] = args.manhattan_fit_iter
    if args.learned_only:
        data["learned"] = learned(args)
    else:
        if not args.no_classification:
            data["classification"] = classification(args)
        if not args.no_completion:
            data["completion"] = completion(args)
        if args.learned:
            data["learned"] = learned(args)
    path = args.json or ("benchmarks/results/accuracy_quick.json" if args.quick
                         else "benchmarks/results/accuracy.json")
    if args.merge:
        harness, data = merge(path, harness, data)
    write_results(path, "accuracy", harness, data)


def merge(path, harness, data):
    """``(harness, data)`` with what ``path`` already holds and this run did
    not redo: whole parts, and in part 1 the columns not run now (the outer
    folds are seeded, so the columns are scored on the same folds)."""
    import json
    import os

    if not os.path.exists(path):
        return harness, data
    with open(path) as f:
        old = json.load(f)
    prev, env = old["data"], old["environment"]
    kept = [k for k in prev if k not in data and k != "merged_from"]
    for key in kept:
        data[key] = prev[key]
    data["grids"] = {**prev.get("grids", {}), **data["grids"]}
    new, before = data.get("classification"), prev.get("classification")
    columns = []
    if new and before and "classification" not in kept:
        columns = [m for m in before["models"] if m not in new["models"]]
        new["models"] += columns
        for d, entry in new["datasets"].items():
            old_scores = before["datasets"].get(d, {}).get("scores", {})
            for m in columns:
                if m in old_scores:
                    entry["scores"][m] = old_scores[m]
    parts = [k for k in ("classification", "completion", "learned") if k in kept]
    if parts or columns:
        data["merged_from"] = {"date_utc": env.get("date_utc"), "commit": env.get("commit"),
                               "parts": parts, "classification_columns": columns,
                               "harness": old.get("harness"),
                               "earlier": prev.get("merged_from")}
        harness += ("; merged with the run of " + str(env.get("date_utc")) + " (commit "
                    + str(env.get("commit")) + "): "
                    + ", ".join(parts + [f"part 1 column {c!r}" for c in columns]))
        earlier = prev.get("merged_from")
        if earlier and (parts or columns):
            harness += ("; that run kept from the run of " + str(earlier["date_utc"])
                        + " (commit " + str(earlier["commit"]) + "): "
                        + ", ".join(earlier["parts"] + [
                            f"part 1 column {c!r}" for c in earlier["classification_columns"]]))
    return harness, data


if __name__ == "__main__":
    main()
