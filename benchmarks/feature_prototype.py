"""Features or prototypes: learned memories as the polynomial order n grows.

After Krotov & Hopfield (2016), Dense associative memory for pattern
recognition (NeurIPS): trained on MNIST with the rectified polynomial
energy ``F(x) = x_+^n``, the memories of a small ``n`` are *features*
(parts and strokes, many of which add up to recognize a digit) and those of
a large ``n`` are *prototypes* (each looks like one whole digit, and only
the few nearest matter for a cue).  Our ``separation="polynomial"`` of
order ``n`` is the normalized rectified power ``[s / n - tau]_+^n``,
``alpha = 1 + 1/n`` entmax, whose ``Omega*`` is that rectified polynomial
(see ``skhopfield/_core/separation.py``).

Here: scikit-learn's digits (8x8, scaled to [0, 1]), a stratified 70/30
split (``--seed``), ``--per-class`` learned memories per class, orders
``--orders``, trained two ways:

- ``learn``: the estimator as a user would call it,
  ``ModernHopfieldClassifier(separation="polynomial", separation_order=n,
  prototypes_per_class=k, beta="learn", random_state=seed)``: k-means
  starting memories, ``beta`` learned;
- ``random``: Krotov & Hopfield's setting as far as it carries over: the
  memories start from Gaussian noise (mean 0, std 0.1 around the training
  mean, not from k-means) and ``beta`` is fixed at ``n c / v`` (``v`` the
  total variance of the training rows, ``c = --c``), which holds the
  distance of the attention's threshold from the best score near ``v / c``
  so that, as in their energy, a larger ``n`` sharpens the weights among
  the memories above it; trained with the same loss and optimizer
  (``skhopfield._core.learned.train``, what ``fit`` calls), then stored in
  a ``ModernHopfieldClassifier`` with that ``beta`` to be scored.

Measured per order:

- ``max_corr``: for each memory, its largest Pearson correlation with a
  training digit (the median over memories, and the fraction of memories
  at or above ``--threshold``).  A prototype resembles one digit: high; a
  feature (a part, or a mixture) resembles none: lower.  For scale, the
  same number for each *test* digit against the training digits (what a
  real digit scores) and for means of 3 random training digits of one
  class (what a blend scores) is recorded once;
- ``outside``: the fraction of the memories' pixels outside the data's
  range [0, 1] by more than 0.05 (features of a linear readout take
  negative values; digit-like prototypes do not);
- ``support``: the mean number of memories with attention above ``1e-3``
  per test cue, and ``nonzero`` those above 0 (the exact support): few
  for prototypes, many for features;
- ``accuracy`` on the test split, and the ``beta`` used.

Then a sweep of ``beta`` at fixed orders (``--sweep-orders``, random
start, ``beta = c / v`` for ``c`` in ``--sweep-c``): in this normalized
memory the sharpness of the attention is set by ``beta``, not by the order.

Last, as a control, Krotov & Hopfield's own model on the same digits
(``kh_train``: a numpy reference written from the paper's equations; 100
memories over pixels and label units, not tied to a class and not
normalized; ``--kh-orders``, ``--kh-epochs`` epochs, temperature ``T = t
(N + C)`` for each ``t`` of ``--kh-t``, keeping the one of best training
accuracy; 0.68 is the ratio of their notebook's ``T = 540`` to MNIST's
794 units): the same correlation measure, and as ``support`` the memories
whose term is above ``1e-3`` of the predicted class's sum of absolute terms.

The memories (to 2 decimals) of the smallest and largest order of each way, and of the
smallest and largest ``c`` of the first sweep order, are kept in the JSON
(``benchmarks/report.py`` draws them).  Writes
``benchmarks/results/feature_prototype.json``; no timing.

    PYTHONPATH=.:benchmarks python benchmarks/feature_prototype.py
"""

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from _common import harness_line, write_results
from skhopfield import ModernHopfieldClassifier
from skhopfield._core import learned
from skhopfield._core.separation import make_separation

HARNESS = (
    "no timing; one training per (way, order) on one split; the learned memories "
    "are measured against the training digits and scored on the test split"
)


def standardized_rows(A):
    A = A - A.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    return A / np.where(norms == 0, 1, norms)


def max_corr(A, reference):
    return (standardized_rows(A) @ standardized_rows(reference).T).max(axis=1)


def measures(net, X_train, X_test, y_test, threshold):
    V = net.patterns_
    corr = max_corr(V, X_train)
    weights, _ = net.kpatterns(X_test, n_patterns=len(V))
    return {
        "beta": float(net.beta_),
        "accuracy": float(net.score(X_test, y_test)),
        "max_corr_median": float(np.median(corr)),
        "max_corr_q10": float(np.quantile(corr, 0.1)),
        "frac_prototype": float(np.mean(corr >= threshold)),
        "outside": float(np.mean((V < -0.05) | (V > 1.05))),
        "support": float(np.mean((weights > 1e-3).sum(axis=1))),
        "nonzero": float(np.mean((weights > 0).sum(axis=1))),
    }


def pattern_rows(V):
    """The memories for the JSON: one string of 2-decimal pixels per memory
    (enough to draw them; ``report.py`` parses them back)."""
    return [" ".join(f"{v:.2f}" for v in row) for row in V]


def kh_train(X, y, n, T, K=100, m=30, epochs=60, batch=100, eps0=0.04, decay=0.998,
             momentum=0.6, seed=0):
    """Krotov & Hopfield's supervised dense memory, a plain numpy reference.

    Written from their equations (Eqs. 9 and 12-14 of the paper): ``K``
    memories over the pixels and ``C`` label units; with the cue ``v`` on the
    pixels and every label unit at -1 except ``a``, the output of class
    ``a`` is ``tanh(beta sum_mu [F(s_mu + 2 xi_mu,a) - F(s_mu)])``, ``s_mu =
    xi_mu . v - sum_b xi_mu,b`` (all labels at -1), ``F = relu^n``, ``beta =
    1 / T^n``; loss ``sum (t - c)^(2m)`` with targets +-1; minibatch steps
    with momentum, each memory's step scaled so its largest entry is the
    learning rate (annealed by ``decay`` per epoch); entries clipped to
    [-1, 1]; memories start from N(-0.3, 0.3^2) (their public notebook's
    values).  Not library code: no class ties a memory, no normalization.
    Returns the memories (K, N + C).
    """
    rng = np.random.default_rng(seed)
    P, N = X.shape
    C = int(y.max()) + 1
    W = rng.normal(-0.3, 0.3, (K, N + C))
    V = np.zeros_like(W)
    beta = 1.0 / T**n
    target = -np.ones((P, C))
    target[np.arange(P), y] = 1
    for epoch in range(epochs):
        step = eps0 * decay**epoch
        order = rng.permutation(P)
        for start in range(0, P, batch):
            idx = order[start:start + batch]
            base = X[idx] @ W[:, :N].T - W[:, N:].sum(axis=1)          # (b, K)
            plus = np.maximum(base[:, None, :] + 2 * W[:, N:].T[None], 0)  # (b, C, K)
            minus = np.maximum(base, 0)[:, None, :]
            out = np.tanh(beta * (plus**n - minus**n).sum(axis=-1))     # (b, C)
            g = (target[idx] - out) ** (2 * m - 1) * (1 - out) * (1 + out)
            gp = g[:, :, None] * plus ** (n - 1)
            gd = gp - g[:, :, None] * minus ** (n - 1)
            d_pix = np.einsum("bck,bn->kn", gd, X[idx])
            d_lab = 2 * gp.sum(axis=0).T - gd.sum(axis=(0, 1))[:, None]
            V = momentum * V + np.concatenate([d_pix, d_lab], axis=1)
            scale = np.maximum(np.abs(V).max(axis=1, keepdims=True), 1e-30)
            W = np.clip(W + step * V / scale, -1, 1)
    return W


def kh_scores(W, n, X):
    """Per cue, class and memory: ``F(s + 2 xi_a) - F(s)`` (see ``kh_train``)."""
    N = X.shape[1]
    base = X @ W[:, :N].T - W[:, N:].sum(axis=1)
    plus = np.maximum(base[:, None, :] + 2 * W[:, N:].T[None], 0)
    return plus**n - np.maximum(base, 0)[:, None, :] ** n


def kh_measures(W, n, X_train, y_train, X_test, y_test, threshold):
    N = X_train.shape[1]
    terms = kh_scores(W, n, X_test)
    pred = terms.sum(axis=-1).argmax(axis=1)
    own = np.abs(terms[np.arange(len(X_test)), pred])             # (cues, K)
    total = own.sum(axis=1, keepdims=True)
    share = np.divide(own, total, out=np.zeros_like(own), where=total > 0)
    corr = max_corr(W[:, :N], X_train)
    return {
        "train_accuracy": float(np.mean(kh_scores(W, n, X_train).sum(-1).argmax(1)
                                        == y_train)),
        "accuracy": float(np.mean(pred == y_test)),
        "max_corr_median": float(np.median(corr)),
        "frac_prototype": float(np.mean(corr >= threshold)),
        "support": float(np.mean((share > 1e-3).sum(axis=1))),
    }


def fit_learn(n, k, X, y, seed, max_fit_iter):
    return ModernHopfieldClassifier(
        separation="polynomial", separation_order=n, prototypes_per_class=k,
        beta="learn", random_state=seed, max_fit_iter=max_fit_iter,
    ).fit(X, y)


def fit_random(n, k, X, y, seed, max_fit_iter, c, alpha=3e-3):
    """Random starting memories, ``beta = c / v`` fixed; the estimator's loss."""
    classes = np.unique(y)
    y_idx = np.searchsorted(classes, y)
    center = X.mean(axis=0)
    Q = X - center
    v = float(Q.var(axis=0).sum())
    beta = c / v
    rng = np.random.default_rng(seed)
    V0 = 0.1 * rng.standard_normal((len(classes) * k, X.shape[1]))
    pattern_y = np.repeat(np.arange(len(classes)), k)
    V, _, _, _, _ = learned.train(
        Q, y_idx, V0, pattern_y, beta, similarity="euclidean", learn_beta=False,
        max_iter=max_fit_iter, tol=1e-5, alpha=alpha, center=np.zeros(X.shape[1]),
        scale=v, separation=make_separation("polynomial", order=n),
    )
    return ModernHopfieldClassifier(
        beta=beta, separation="polynomial", separation_order=n
    ).fit(V + center, classes[pattern_y])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=float, nargs="+", default=[1, 2, 3, 6, 10, 20, 30])
    parser.add_argument("--per-class", type=int, default=10)
    parser.add_argument("--c", type=float, default=1.0,
                        help="the 'random' way's beta is n c / v")
    parser.add_argument("--sweep-orders", type=float, nargs="+", default=[2, 20],
                        help="orders of the beta sweep (random start, beta = c / v)")
    parser.add_argument("--sweep-c", type=float, nargs="+",
                        default=[0.03, 0.1, 0.3, 1, 3, 10])
    parser.add_argument("--kh-orders", type=float, nargs="*", default=[2, 3, 6, 10, 20, 30],
                        help="orders of Krotov & Hopfield's own model (none: skip)")
    parser.add_argument("--kh-t", type=float, nargs="+", default=[0.68, 1.45],
                        help="its temperatures, in units of the memory width N + C")
    parser.add_argument("--kh-epochs", type=int, default=60)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--max-fit-iter", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default="benchmarks/results/feature_prototype.json")
    parser.add_argument("--quick", action="store_true",
                        help="orders 1 and 20, 3 memories per class (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.orders, args.per_class, args.max_fit_iter = [1, 20], 3, 100
        args.sweep_orders, args.sweep_c = [2], [0.1, 10]
        args.kh_orders, args.kh_t, args.kh_epochs = [2, 20], [0.68], 5
    print(harness_line(HARNESS))
    print(__doc__.split("\n\n")[0])
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=args.seed, stratify=y)
    rng = np.random.default_rng(args.seed)
    blends = np.array([X_train[rng.choice(np.flatnonzero(y_train == c), 3, replace=False)]
                       .mean(axis=0) for c in np.unique(y_train) for _ in range(20)])
    reference = {
        "test_digits_max_corr_median": float(np.median(max_corr(X_test, X_train))),
        "blends_of_3_max_corr_median": float(np.median(max_corr(blends, X_train))),
        "test_digits_frac_above_threshold": float(np.mean(max_corr(X_test, X_train)
                                                         >= args.threshold)),
    }
    print(f"reference: median max correlation with a training digit, test digits "
          f"{reference['test_digits_max_corr_median']:.3f}, means of 3 digits of a class "
          f"{reference['blends_of_3_max_corr_median']:.3f}")
    ways = {
        "learn": lambda n: fit_learn(n, args.per_class, X_train, y_train, args.seed,
                                     args.max_fit_iter),
        "random": lambda n: fit_random(n, args.per_class, X_train, y_train, args.seed,
                                       args.max_fit_iter, n * args.c),
    }
    rows, memories = [], {}
    for way, fit in ways.items():
        print(f"\n{way}: | n | beta | accuracy | median max corr | frac >= "
              f"{args.threshold:g} | outside [0, 1] | support (>1e-3) | nonzero |")
        for n in args.orders:
            net = fit(n)
            m = measures(net, X_train, X_test, y_test, args.threshold)
            rows.append({"way": way, "order": n, **m})
            print(f"| {n:g} | {m['beta']:.3g} | {m['accuracy']:.3f} | "
                  f"{m['max_corr_median']:.3f} | {m['frac_prototype']:.2f} | "
                  f"{m['outside']:.3f} | {m['support']:.1f} | {m['nonzero']:.1f} |",
                  flush=True)
            if n in (min(args.orders), max(args.orders)):
                memories[f"{way} n={n:g}"] = {
                    "labels": net.pattern_labels_.tolist(),
                    "patterns": pattern_rows(net.patterns_),
                }
    print(f"\nbeta sweep, random start, beta = c / v: | n | c | beta | accuracy | "
          f"median max corr | frac >= {args.threshold:g} | outside [0, 1] | support | nonzero |")
    sweep = []
    for n in args.sweep_orders:
        for c in args.sweep_c:
            net = fit_random(n, args.per_class, X_train, y_train, args.seed,
                             args.max_fit_iter, c)
            m = measures(net, X_train, X_test, y_test, args.threshold)
            sweep.append({"order": n, "c": c, **m})
            print(f"| {n:g} | {c:g} | {m['beta']:.3g} | {m['accuracy']:.3f} | "
                  f"{m['max_corr_median']:.3f} | {m['frac_prototype']:.2f} | "
                  f"{m['outside']:.3f} | {m['support']:.1f} | {m['nonzero']:.1f} |",
                  flush=True)
            if n == args.sweep_orders[0] and c in (min(args.sweep_c), max(args.sweep_c)):
                memories[f"random n={n:g} beta={c:g}/v"] = {
                    "labels": net.pattern_labels_.tolist(),
                    "patterns": pattern_rows(net.patterns_),
                }
    kh, kh_memories = [], {}
    if args.kh_orders:
        X2_train, X2_test = 2 * X_train - 1, 2 * X_test - 1
        width = X.shape[1] + 10
        print(f"\nKrotov & Hopfield's own model (numpy reference, pixels in [-1, 1], "
              f"{args.kh_epochs} epochs, T = t x {width}, t in {args.kh_t}, the t of "
              f"best training accuracy kept): | n | t | train acc | test acc | median max "
              f"corr | frac >= {args.threshold:g} | support (share > 1e-3) |")
        for n in args.kh_orders:
            best = None
            for t in args.kh_t:
                W = kh_train(X2_train, y_train, int(n), t * width, epochs=args.kh_epochs,
                             seed=args.seed)
                m = kh_measures(W, int(n), X2_train, y_train, X2_test, y_test,
                                args.threshold)
                m["t"] = t
                if best is None or m["train_accuracy"] > best[0]["train_accuracy"]:
                    best = (m, W)
            m, W = best
            kh.append({"order": n, **m})
            print(f"| {n:g} | {m['t']:g} | {m['train_accuracy']:.3f} | {m['accuracy']:.3f} | "
                  f"{m['max_corr_median']:.3f} | {m['frac_prototype']:.2f} | "
                  f"{m['support']:.1f} |", flush=True)
            kh_memories[n] = W
        trained = [r["order"] for r in kh if r["train_accuracy"] >= 0.5]
        for n in ([min(trained), max(trained)] if trained else []):
            W = kh_memories[n]
            memories[f"Krotov-Hopfield n={n:g}"] = {  # pixel weights, in [-1, 1]
                "labels": [int(v) for v in W[:, X.shape[1]:].argmax(axis=1)],
                "patterns": pattern_rows(W[:, :X.shape[1]]),
            }
    write_results(args.json, "feature_prototype", HARNESS, {
        "krotov_hopfield": kh, "krotov_hopfield_note": (
            "their model (numpy reference of the paper's equations), 100 memories, "
            "m = 30, pixels in [-1, 1]; kept: the memories' pixel weights (in [-1, 1]) "
            "at the smallest and largest order that trained (training accuracy >= 0.5), "
            "labelled by their largest label unit"),
        "sweep": sweep, "sweep_note": "random start, beta = c / v fixed, per order",
        "data": "sklearn digits / 16, stratified 70/30 split",
        "per_class": args.per_class, "c": args.c, "threshold": args.threshold,
        "max_fit_iter": args.max_fit_iter, "seed": args.seed,
        "reference": reference, "rows": rows, "memories": memories,
    })


if __name__ == "__main__":
    main()
