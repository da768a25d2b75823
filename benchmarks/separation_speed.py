"""predict with a sparse separation against softmax's, side by side.

10 classes of 5 Gaussian clusters each (centres N(0, 0.2^2) per feature,
unit noise), 10,000 stored rows x 784 features, 2,000 cues, float64
(``--n-train``, ``--n-queries``, ``--n-features``, ``--dtype``), every
memory with the default ``beta="auto"`` and euclidean similarity.  Every
repeat times ``predict`` of each separation in turn (softmax, sparsemax,
entmax at alpha 1.5 and 1.25 (Newton steps, whole powers) and 1.33
(Newton steps, general powers), max), the
starting one rotating, in one process, so that load from other
work hits them alike.  Reports medians, the ratio of each median to
softmax's and (in parentheses) the median of the per-repeat ratios, and the
mean support (patterns of nonzero weight per cue, from ``kpatterns``).
Target: sparsemax and entmax at most 1.5x softmax.  Writes
``benchmarks/results/separation_speed.json``.

    PYTHONPATH=.:benchmarks python benchmarks/separation_speed.py [--repeats 7]
"""

import argparse
import json
import os

import numpy as np

from _common import machine, paired_ratio, paired_times
from skhopfield import ModernHopfieldClassifier

SEPARATIONS = {
    "softmax": {},
    "sparsemax": {"separation": "sparsemax"},
    "entmax1.5": {"separation": "entmax", "entmax_alpha": 1.5},
    "entmax1.25": {"separation": "entmax", "entmax_alpha": 1.25},
    "entmax1.33": {"separation": "entmax", "entmax_alpha": 1.33},
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
        "--out",
        default=os.path.join(os.path.dirname(__file__), "results", "separation_speed.json"),
    )
    args = parser.parse_args()
    print(__doc__.split("\n\n")[0])
    print(machine())
    print(
        f"{args.n_train} stored x {args.n_queries} cues x {args.n_features} features, "
        f"{args.dtype}, {args.repeats} repeats (interleaved, rotating start)"
    )
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
        "harness": __doc__.split("\n\n")[0].strip(),
        "machine": machine(),
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
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
