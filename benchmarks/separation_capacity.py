"""Similarity x separation: retrieval capacity on images as P grows.

After Universal Hopfield Networks (Millidge et al. 2022, ICML), whose
figures compare, on MNIST, CIFAR-10 and Tiny ImageNet, the fraction of
stored images retrieved from corrupted cues for the dot, euclidean and
manhattan similarities with several separations: the distances beat the
dot product, manhattan slightly ahead, and sharper separations (softmax at
a large beta, max) hold up longest as P grows.

Here: scikit-learn's digits (8x8, scaled to [0, 1]) and a larger generated
set, ``--blocks`` random 16x16 images made of 4x4 blocks of random grey
levels (smooth, correlated like natural images' pixels, 256 features).  P
stored images (``--sizes``), each queried by itself with half its pixels
set to 0 (``mask``) or with Gaussian noise of std 0.3 added (``noise``); one
update step (``max_iter=1``).  A retrieval counts as correct when the
state's root-mean-square difference from the stored image is below 0.05 (a
fraction of the pixel range; UHN count a summed squared error below a
threshold).  ``beta`` is fixed per similarity (``--beta``, in the units of
scores of unit-range images: 3 for dot and euclidean, 1 for manhattan,
whose scores are not squared): there softmax still blends the near images
into metastable states and the separations differ (at ``--beta 1000 300``
every separation is the max); "max" ignores it.  Prints one
table per data set and corruption: rows P, columns similarity x separation,
and writes them to ``benchmarks/results/separation_capacity.json``
(``--json``).

    PYTHONPATH=.:benchmarks python benchmarks/separation_capacity.py
"""

import argparse

import numpy as np
from sklearn.datasets import load_digits

from _common import harness_line, write_results
from skhopfield import ModernHopfieldClassifier
from skhopfield.datasets import mask_features

SEPARATIONS = {
    "softmax": {},
    "sparsemax": {"separation": "sparsemax"},
    "entmax": {"separation": "entmax"},
    "max": {"separation": "max"},
}
SIMILARITIES = ("dot", "euclidean", "manhattan")

HARNESS = (
    "no timing; per (data, corruption, P) one random subset of P images "
    "(seeded by P), one fit and one transform (max_iter=1) per similarity x separation"
)


def blocks(n, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.random((n, 4, 4))
    return np.kron(small, np.ones((4, 4))).reshape(n, 256)


def corrupt(X, kind, seed=0):
    if kind == "mask":
        return mask_features(X, 0.5, random_state=seed)
    rng = np.random.default_rng(seed)
    return X + 0.3 * rng.standard_normal(X.shape)


def retrieved(X, cues, similarity, params, beta):
    y = np.zeros(len(X), dtype=int)
    net = ModernHopfieldClassifier(beta=beta, similarity=similarity, **params).fit(X, y)
    states = net.transform(cues)
    rms = np.sqrt(np.mean((states - X) ** 2, axis=1))
    return float(np.mean(rms < 0.05))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100, 300, 1000])
    parser.add_argument("--blocks", type=int, default=3000)
    parser.add_argument("--beta", type=float, nargs=2, default=[3.0, 1.0],
                        help="beta for dot/euclidean, and for manhattan")
    parser.add_argument("--json", default="benchmarks/results/separation_capacity.json")
    parser.add_argument("--quick", action="store_true",
                        help="P = 10 and 100, 300 blocks (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.blocks = [10, 100], 300
    print(harness_line(HARNESS))
    print(__doc__.split("\n\n")[0])
    digits = load_digits().data / 16.0
    data = {"digits": digits, f"blocks ({args.blocks} x 256)": blocks(args.blocks)}
    tables = []
    for name, X_all in data.items():
        for kind in ("mask", "noise"):
            print(f"\n{name}, {kind}: fraction retrieved (rms < 0.05)")
            cols = [(s, p) for s in SIMILARITIES for p in SEPARATIONS]
            print("| P | " + " | ".join(f"{s} {p}" for s, p in cols) + " |")
            print("|---" * (len(cols) + 1) + "|")
            table = {"data": name, "corruption": kind,
                     "columns": [f"{s} {p}" for s, p in cols], "rows": []}
            tables.append(table)
            for P in args.sizes:
                if P > len(X_all):
                    continue
                X = X_all[np.random.default_rng(P).permutation(len(X_all))[:P]]
                cues = corrupt(X, kind)
                cells = []
                for s, p in cols:
                    beta = args.beta[1] if s == "manhattan" else args.beta[0]
                    cells.append(retrieved(X, cues, s, SEPARATIONS[p], beta))
                table["rows"].append({"P": P, "retrieved": cells})
                print(f"| {P} | " + " | ".join(f"{c:.2f}" for c in cells) + " |", flush=True)
    write_results(args.json, "separation_capacity", HARNESS, {
        "sizes": args.sizes, "blocks": args.blocks,
        "beta": {"dot": args.beta[0], "euclidean": args.beta[0],
                 "manhattan": args.beta[1]},
        "criterion": "rms difference from the stored image < 0.05",
        "corruptions": {"mask": "half the pixels set to 0",
                        "noise": "Gaussian noise of std 0.3 added"},
        "max_iter": 1, "tables": tables,
    })


if __name__ == "__main__":
    main()
