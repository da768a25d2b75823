"""predict with a sparse separation against softmax's, side by side.

10 classes of 5 Gaussian clusters each (centres N(0, 0.2^2) per feature,
unit noise), 10,000 stored rows x 784 features, 2,000 cues, float64
(``--n-train``, ``--n-queries``, ``--n-features``, ``--dtype``), every
memory with the default ``beta="auto"`` and euclidean similarity.  Every
repeat times ``predict`` of each separation in turn (softmax, sparsemax,
entmax at alpha 1.5 and 1.25 (Newton steps, whole powers) and 1.33
(Newton steps, general powers), the polynomial of order 3, max), the
starting one rotating, in one process, so that load from other
work hits them alike.  Reports medians, the ratio of each median to
softmax's and (in parentheses) the median of the per-repeat ratios, and the
mean support (patterns of nonzero weight per cue, from ``kpatterns``).
Target: sparsemax and entmax at most 1.5x softmax.  Writes
``benchmarks/results/separation_speed.json``.

    PYTHONPATH=.:benchmarks python benchmarks/separation_speed.py [--repeats 7] [--quick]
"""

import argparse
import os

import numpy as np

from _common import harness_line, paired_ratio, paired_times, write_results
from skhopfield import ModernHopfieldClassifier

SEPARATIONS = {
    "softmax": {},
    "sparsemax": {"separation": "sparsemax"},
    "entmax1.5": {"separation": "entmax", "entmax_alpha": 1.5},
    "entmax1.25": {"separation": "entmax", "entmax_alpha": 1.25},
    "entmax1.33": {"separation": "entmax", "entmax_alpha": 1.33},
    "polynomial3": {"separation": "polynomial", "separation_order": 3},
    "max": {"separation": "max"},
}


def make_data(n_train, n_queries, n_features, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((50, n_features)) * 0.2
    c = rng.integers(0, 50, n_train + n_queries)
    X = centers[c] + rng.standard_normal((len(c), n_features))
    y = c % 10
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-queries", type=int, default=2_000)
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--dtype", default="float64")
    parser.add_argument(
        "--json", "--out", dest="out",
        default=os.path.join(os.path.dirname(__file__), "results", "separation_speed.json"),
    )
    parser.add_argument("--quick", action="store_true",
                        help="2,000 stored x 500 cues, 3 repeats (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.n_train, args.n_queries, args.repeats = 2_000, 500, 3
    harness = (
        f"{__doc__.split(chr(10) + chr(10))[0].strip()} {args.n_train} stored x "
        f"{args.n_queries} cues x {args.n_features} features, {args.dtype}, "
        f"{args.repeats} repeats of every separation's predict in turn (interleaved, "
        "the starting one rotating), one process."
    )
    print(harness_line(harness))
    X, y, Q, yq = make_data(args.n_train, args.n_queries, args.n_features)
    X, Q = X.astype(args.dtype), Q.astype(args.dtype)
    models = {
        name: ModernHopfieldClassifier(**params).fit(X, y)
        for name, params in SEPARATIONS.items()
    }
    accuracy = {name: float((m.predict(Q) == yq).mean()) for name, m in models.items()}
    support = {}
    for name, m in models.items():
        w, _ = m.kpatterns(Q[:200], n_patterns=min(200, args.n_train))
        support[name] = float((w > 0).sum(axis=1).mean())
    times = paired_times(
        {name: (lambda m=m: m.predict(Q)) for name, m in models.items()}, args.repeats
    )
    result = {
        "shape": [args.n_train, args.n_queries, args.n_features],
        "dtype": args.dtype,
        "repeats": args.repeats,
        "beta_": models["softmax"].beta_,
        "separations": {},
    }
    base = float(np.median(times["softmax"]))
    print(f"{'separation':<12}{'median s':>10}{'/ softmax':>12}{'support':>10}{'accuracy':>10}")
    for name in SEPARATIONS:
        med = float(np.median(times[name]))
        ratio = paired_ratio(times, name, "softmax")
        print(
            f"{name:<12}{med:>10.3f}{med / base:>7.2f} ({ratio:.2f}){support[name]:>10.1f}"
            f"{accuracy[name]:>10.3f}"
        )
        result["separations"][name] = {
            "median_s": med,
            "ratio_of_medians": med / base,
            "median_ratio": ratio,
            "times_s": times[name].tolist(),
            "mean_support_first_200": support[name],
            "accuracy": accuracy[name],
        }
    write_results(args.out, "separation_speed", harness, result)


if __name__ == "__main__":
    main()
