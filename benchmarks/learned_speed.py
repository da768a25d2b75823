"""Learned memory vs brute KNN (predict) and vs GLVQ (fit), side by side.

10 classes of 5 Gaussian clusters each (centres N(0, 0.2^2) per feature,
unit noise: heavily overlapping, so that the fits have work to do and the
accuracies differ), 10,000 training rows x 200 features
(``--n-train``, ``--n-features``), 2,000 queries, float64.  Fits, once each
(timed): ``ModernHopfieldClassifier(prototypes_per_class=5, beta="learn")``
and ``GLVQClassifier(prototypes_per_class=5)``.  Then every repeat times in
turn (the starting one rotating) ``predict`` of the learned memory, of
``KNeighborsClassifier(algorithm="brute")`` (n_neighbors=5) on the same
training rows, and of the memory that stores every row (defaults).  Reports
medians, the ratio of medians and (in parentheses) the median of the
per-repeat ratios; the accuracies; and the numbers each model holds.
Target set when the learned memories were added: learned predict at least 10x faster than brute KNN.

    PYTHONPATH=.:benchmarks python benchmarks/learned_speed.py [--repeats 7]
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsClassifier

from _common import machine, paired_ratio, paired_times
from skhopfield import ModernHopfieldClassifier
from skhopfield.baselines import GLVQClassifier


def make_data(n_train, n_queries, n_features, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((50, n_features)) * 0.2
    c = rng.integers(0, 50, n_train + n_queries)
    X = centers[c] + rng.standard_normal((len(c), n_features))
    y = c % 10
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-features", type=int, default=200)
    parser.add_argument("--n-queries", type=int, default=2_000)
    args = parser.parse_args()
    print(machine())
    X, y, Q, yq = make_data(args.n_train, args.n_queries, args.n_features)
    ours = ModernHopfieldClassifier(prototypes_per_class=5, beta="learn", random_state=0)
    glvq = GLVQClassifier(prototypes_per_class=5, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t_ours, _ = timed(lambda: ours.fit(X, y))
        t_glvq, _ = timed(lambda: glvq.fit(X, y))
    stopped = sorted({str(w.message).split(":")[0] for w in caught})
    knn = KNeighborsClassifier(algorithm="brute").fit(X, y)
    rows = ModernHopfieldClassifier().fit(X, y)
    print(f"\n{args.n_train} training rows x {args.n_features} features, 10 classes "
          f"(5 clusters each); {args.n_queries} queries; float64")
    print(f"fit: learned memory {t_ours:.2f} s ({ours.n_iter_} L-BFGS-B iterations), "
          f"GLVQ {t_glvq:.2f} s ({glvq.n_iter_} iterations); stopped at the limit: "
          f"{stopped or 'none'}")
    models = {"learned": ours, "knn brute": knn, "all rows": rows}
    times = paired_times({k: (lambda m=m: m.predict(Q)) for k, m in models.items()},
                         args.repeats)
    med = {k: float(np.median(t)) for k, t in times.items()}
    print("| model | predict median (s) | KNN / model | accuracy | numbers held |")
    print("|---|---|---|---|---|")
    held = {"learned": ours.patterns_.size, "knn brute": X.size, "all rows": X.size}
    for k, m in models.items():
        ratio = med["knn brute"] / med[k]
        paired = 1.0 / paired_ratio(times, k, "knn brute")
        print(f"| {k} | {med[k]:.4f} | {ratio:.1f}x ({paired:.1f}x) | "
              f"{m.score(Q, yq):.4f} | {held[k]:,} |")
    print(f"| GLVQ (reference) | - | - | {glvq.score(Q, yq):.4f} | "
          f"{glvq.prototypes_.size:,} |")


if __name__ == "__main__":
    main()
