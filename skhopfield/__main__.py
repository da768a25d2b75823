"""Command-line demo: ``python -m skhopfield``.

Two parts, both on built-in data and together well under a minute:

1. Pattern completion.  Five 10x10 glyphs are stored in each memory; one is
   shown as text before and after retrieval from a corrupted cue, then the
   recall rate over many cues is tabulated.
2. Classification.  The memories (the modern one also as a learned memory
   of five patterns per class) and :class:`~sklearn.neighbors.KNeighborsClassifier`
   on a built-in dataset (digits by default): accuracy, fit time and predict
   time on one stratified split.  Features are standardized; the binary
   memories see them binarized at 0 (above or below the feature's mean).

``--mask FRACTION`` hides that share of every cue's pixels as missing
(NaN): the binary memories then complete partial cues, the visible pixels
clamped (see the user guide, "Partial cues"), and the recall table adds the
share of hidden pixels recalled right.

On request (``--estimators``): ``bam``, the bidirectional associative memory
in the completion part (each glyph paired with a code of its name), and
``regressor``, a third part: ModernHopfieldRegressor beside
KNeighborsRegressor on the diabetes data (R^2 on one split).
"""

import argparse
import sys
import textwrap
import time
import warnings

import numpy as np

from . import (
    BidirectionalAssociativeMemory,
    DenseAssociativeMemory,
    HopfieldMemory,
    ModernHopfieldClassifier,
    ModernHopfieldRegressor,
)
from ._glyphs import glyph_patterns, render
from .datasets import flip_bits
from .exceptions import CapacityWarning

RULES = ("hebbian", "storkey", "pseudoinverse")
ESTIMATORS = ("hopfield", "dense", "modern", "learned", "bam", "regressor", "knn", "glvq")
DEFAULT_ESTIMATORS = ("hopfield", "dense", "modern", "learned", "knn")
DATASETS = ("digits", "iris", "wine", "breast_cancer")


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m skhopfield",
        description=(
            "Pattern completion with Hopfield memories on built-in glyphs, then a "
            "comparison of the memories with k-nearest neighbours on a built-in "
            "dataset."
        ),
    )
    parser.add_argument(
        "--dataset",
        default="digits",
        choices=DATASETS,
        help="dataset of the classification table (default: digits)",
    )
    parser.add_argument(
        "--estimators",
        default=",".join(DEFAULT_ESTIMATORS),
        metavar="NAMES",
        help=(
            "comma-separated estimators to run, from "
            + ", ".join(ESTIMATORS)
            + " (default: "
            + ",".join(DEFAULT_ESTIMATORS)
            + "); learned, knn and glvq appear in the classification table only; "
            "bam (BidirectionalAssociativeMemory, letters paired with their names) "
            "in the completion part only; regressor (ModernHopfieldRegressor, "
            "beta='learn', beside KNeighborsRegressor) adds a regression table on "
            "the diabetes data"
        ),
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="joblib workers for retrieval (default: 1; -1 for all processors)",
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=0.15,
        help="fraction of pixels flipped in each glyph cue, in [0, 0.5] (default: 0.15)",
    )
    parser.add_argument(
        "--mask",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help=(
            "fraction of each glyph cue's pixels hidden as missing (NaN), in [0, 1] "
            "(default: 0): the binary memories fill them in and keep the visible "
            "ones clamped (flipped visible pixels stay flipped: try --noise 0); "
            "memories that do not take missing values are skipped"
        ),
    )
    parser.add_argument(
        "--n-cues",
        type=int,
        default=200,
        help="cues per glyph for the recall table (default: 200)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser


def _parse(argv):
    parser = _parser()
    args = parser.parse_args(argv)
    if not 0.0 <= args.noise <= 0.5:
        parser.error(f"--noise must be in [0, 0.5], got {args.noise}")
    if not 0.0 <= args.mask <= 1.0:
        parser.error(f"--mask must be in [0, 1], got {args.mask}")
    if args.n_cues < 1:
        parser.error(f"--n-cues must be at least 1, got {args.n_cues}")
    if args.n_jobs == 0:
        parser.error("--n-jobs must be a positive number of workers or negative, not 0")
    names = [n.strip() for n in args.estimators.split(",") if n.strip()]
    unknown = [n for n in names if n not in ESTIMATORS]
    if unknown:
        parser.error(
            f"unknown estimator(s) {', '.join(unknown)} in --estimators; "
            f"choose from {', '.join(ESTIMATORS)}"
        )
    if not names:
        parser.error("--estimators is empty; choose from " + ", ".join(ESTIMATORS))
    args.estimators = list(dict.fromkeys(names))
    return args


def _side_by_side(blocks, titles, gap="  "):
    width = max(max(len(b[0]) for b in blocks), max(len(t) for t in titles))
    lines = [gap.join(t.ljust(width) for t in titles).rstrip()]
    for rows in zip(*blocks):
        lines.append(gap.join(r.ljust(width) for r in rows).rstrip())
    return "\n".join(lines)


# -- part 1: pattern completion ---------------------------------------------------------
def _memories(args):
    """The memories of the completion demo, by row name."""
    memories = {}
    if "hopfield" in args.estimators:
        for rule in RULES:
            memories[rule] = HopfieldMemory(
                rule, random_state=args.seed, n_jobs=args.n_jobs
            )
    if "dense" in args.estimators:
        memories["dense"] = DenseAssociativeMemory(
            interaction="exponential", random_state=args.seed, n_jobs=args.n_jobs
        )
    if "modern" in args.estimators:
        memories["modern"] = ModernHopfieldClassifier(n_jobs=args.n_jobs)
    if "bam" in args.estimators:
        memories["bam"] = BidirectionalAssociativeMemory(
            "pseudoinverse", random_state=args.seed, n_jobs=args.n_jobs
        )
    return memories


def _hide(cues, fraction, seed):
    """The cues with ``round(fraction * n_pixels)`` pixels of each row NaN."""
    n_hidden = int(round(fraction * cues.shape[1]))
    if not n_hidden:
        return cues
    rng = np.random.default_rng([seed, 1])
    hidden = rng.random(cues.shape).argsort(axis=1)[:, :n_hidden]
    cues = cues.copy()
    np.put_along_axis(cues, hidden, np.nan, axis=1)
    return cues


def _takes_missing(memory):
    from sklearn.utils import get_tags

    return get_tags(memory).input_tags.allow_nan


def _states(memory, X):
    """Retrieved states as +/-1 (the modern memory's are continuous: their sign)."""
    S = memory.transform(X)
    return np.where(S > 0, 1.0, -1.0)


def _explanation(memories):
    """What the picture and the table show, for the memories selected only."""
    said = []
    if "hebbian" in memories:
        said.append(
            "hebbian, storkey, pseudoinverse (pinv): HopfieldMemory with that "
            "learning rule."
        )
    if "dense" in memories:
        said.append("dense: DenseAssociativeMemory(interaction='exponential').")
    if "modern" in memories:
        said.append(
            "modern: ModernHopfieldClassifier(), its continuous state shown by sign."
        )
    if "bam" in memories:
        said.append(
            "bam: BidirectionalAssociativeMemory('pseudoinverse'), each glyph paired "
            "with a random code of its name: the letter recalls the name and back."
        )
    why = "The glyphs overlap strongly ('P' and 'F' share 94% of their pixels)"
    if "hebbian" in memories:
        why += (
            ", so the Hebbian rule's cross-talk merges them into a spurious state; "
            "Storkey's and the pseudo-inverse rule subtract that cross-talk"
        )
    sharp = [name for name in ("dense", "modern") if name in memories]
    if sharp:
        why += (
            ("; the " if "hebbian" in memories else ": the ")
            + " and ".join(sharp)
            + (" memories separate" if len(sharp) > 1 else " memory separates")
            + " the patterns with a sharper energy"
        )
    said.append(why + ".")
    return "\n".join(textwrap.fill(text, 78) for text in said)


def completion_demo(args):
    memories = _memories(args)
    if not memories:
        return
    X, names = glyph_patterns()
    warned = []
    for name, memory in memories.items():
        # The Hebbian memory fails on these glyphs on purpose; the table and
        # the text below say so, in place of the warning.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CapacityWarning)
            memory.fit(X, names)
        if any(issubclass(w.category, CapacityWarning) for w in caught):
            warned.append(name)

    print("== Pattern completion")
    print("Five 10x10 glyphs (H O P F X) stored in each memory, one neuron per pixel.")
    hiding = ""
    if args.mask:
        hiding = f" and {args.mask:.0%} hidden ('?': missing, the rest clamped)"
        skipped = [name for name, m in memories.items() if not _takes_missing(m)]
        for name in skipped:
            del memories[name]
        if skipped:
            print(
                f"(skipped with --mask: {', '.join(skipped)}, which does not take "
                "missing values yet)"
            )
    print(f"Cue: the glyph 'P' with {args.noise:.0%} of its pixels flipped{hiding}.\n")
    target = names.index("P")
    cue = flip_bits(X[target : target + 1], args.noise, random_state=args.seed)
    cue = _hide(cue, args.mask, args.seed)
    blocks = [render(X[target]), render(cue[0])]
    titles = ["stored", "cue"]
    shown = {
        "hebbian": "hebbian",
        "storkey": "storkey",
        "pseudoinverse": "pinv",
        "dense": "dense",
        "modern": "modern",
        "bam": "bam",
    }
    for name, title in shown.items():
        if name in memories:
            blocks.append(render(_states(memories[name], cue)[0]))
            titles.append(title)
    print(_side_by_side(blocks, titles))
    print("\n" + _explanation(memories) + "\n")

    truth = np.repeat(X, args.n_cues, axis=0)
    labels = np.repeat(names, args.n_cues)
    cues = _hide(flip_bits(truth, args.noise, random_state=args.seed), args.mask, args.seed)
    hidden = np.isnan(cues)
    print(
        f"Recall over {len(cues)} cues ({args.noise:.0%} flipped pixels"
        + (f", {args.mask:.0%} hidden" if args.mask else "")
        + "):"
    )
    print(
        f"{'memory':<15}{'stable':>8}{'exact recall':>14}{'label acc.':>12}{'time (s)':>10}"
        + (f"{'hidden right':>14}" if args.mask else "")
    )
    for name, memory in memories.items():
        start = time.perf_counter()
        states = _states(memory, cues)
        predicted = memory.predict(cues)
        elapsed = time.perf_counter() - start
        exact = (states == truth).all(axis=1).mean()
        accuracy = (predicted == labels).mean()
        if hasattr(memory, "stable_patterns_"):
            n_stable = int(memory.stable_patterns_.sum())
        else:  # stored patterns that one retrieval step leaves on their own sign
            n_stable = int((_states(memory, X) == X).all(axis=1).sum())
        stable = f"{n_stable}/{len(X)}"
        row = f"{name:<15}{stable:>8}{exact:>14.1%}{accuracy:>12.1%}{elapsed:>10.3f}"
        if args.mask:
            row += f"{(states == truth)[hidden].mean():>14.1%}"
        print(row)
    if warned:
        print(
            "\n"
            + textwrap.fill(
                f"(fit warned with a CapacityWarning for {', '.join(warned)}: more "
                "than half of the stored glyphs are not fixed points.)",
                78,
            )
        )
    print()


# -- part 2: classification -------------------------------------------------------------
def _load(name):
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}")
    return loader(return_X_y=True)


def _classifiers(args):
    from sklearn.neighbors import KNeighborsClassifier

    from .baselines import GLVQClassifier

    makers = {
        "hopfield": (
            "HopfieldMemory (binarized)",
            True,
            lambda: HopfieldMemory(random_state=args.seed, n_jobs=args.n_jobs),
        ),
        "dense": (
            "DenseAssociativeMemory (binarized)",
            True,
            lambda: DenseAssociativeMemory(
                interaction="exponential", random_state=args.seed, n_jobs=args.n_jobs
            ),
        ),
        "modern": (
            "ModernHopfieldClassifier",
            False,
            lambda: ModernHopfieldClassifier(n_jobs=args.n_jobs),
        ),
        "learned": (
            "ModernHopfield, learned 5/class",
            False,
            lambda: ModernHopfieldClassifier(
                prototypes_per_class=5,
                beta="learn",
                random_state=args.seed,
                n_jobs=args.n_jobs,
            ),
        ),
        "knn": (
            "KNeighborsClassifier",
            False,
            lambda: KNeighborsClassifier(n_jobs=args.n_jobs),
        ),
        "glvq": (
            "GLVQClassifier",
            False,
            lambda: GLVQClassifier(random_state=args.seed),
        ),
    }
    return [makers[name] for name in args.estimators if name in makers]


def classification_demo(args):
    if not _classifiers(args):  # bam alone: nothing to classify
        return
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = _load(args.dataset)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    print(f"== Classification on {args.dataset}")
    print(
        f"{len(X_train)} training and {len(X_test)} test samples, {X.shape[1]} features, "
        f"{len(np.unique(y))} classes; features standardized."
    )
    if {"hopfield", "dense"} & set(args.estimators):
        print(
            "(binarized): a binary memory, given the standardized features binarized at 0\n"
            "(+1 above the feature's mean, -1 otherwise); it stores every training sample\n"
            "and predicts the label of the stored pattern nearest to the retrieved state."
        )
    print()
    print(f"{'estimator':<36}{'accuracy':>9}{'fit (s)':>10}{'predict (s)':>13}")
    for title, binary, make in _classifiers(args):
        model = make()
        start = time.perf_counter()
        with warnings.catch_warnings():
            # said below, once, in place of the warning's text
            warnings.simplefilter("ignore", CapacityWarning)
            model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        predicted = model.predict(X_test)
        predict_time = time.perf_counter() - start
        accuracy = (predicted == y_test).mean()
        print(f"{title:<36}{accuracy:>9.1%}{fit_time:>10.3f}{predict_time:>13.3f}")
    if "learned" in args.estimators:
        print(
            "\nlearned 5/class: ModernHopfieldClassifier(prototypes_per_class=5, "
            "beta='learn')\nstores 5 learned patterns per class instead of every "
            "training sample."
        )
    if "hopfield" in args.estimators:
        n = X.shape[1]
        print(
            f"\nHopfieldMemory (Hebbian) holds about 0.138 N = {0.138 * n:.0f} patterns in "
            f"N = {n} neurons;\nwith {len(X_train)} stored samples it is far past "
            "capacity (its fit warns with a\nCapacityWarning): shown as a warning, "
            "not as a classifier."
        )


# -- part 3: regression -----------------------------------------------------------------
def regression_demo(args):
    """ModernHopfieldRegressor beside k-nearest neighbours on the diabetes data."""
    if "regressor" not in args.estimators:
        return
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=args.seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    print("\n== Regression on diabetes")
    print(
        f"{len(X_train)} training and {len(X_test)} test samples, {X.shape[1]} features; "
        "features standardized; R^2 on the test samples."
    )
    models = {
        "ModernHopfieldRegressor(beta='learn')": ModernHopfieldRegressor(
            beta="learn", n_jobs=args.n_jobs
        ),
        "KNeighborsRegressor (k=5)": KNeighborsRegressor(n_jobs=args.n_jobs),
        "KNeighborsRegressor (k=20)": KNeighborsRegressor(20, n_jobs=args.n_jobs),
    }
    print(f"\n{'estimator':<40}{'R^2':>7}{'fit (s)':>10}{'predict (s)':>13}")
    for title, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        r2 = model.score(X_test, y_test)
        predict_time = time.perf_counter() - start
        print(f"{title:<40}{r2:>7.3f}{fit_time:>10.3f}{predict_time:>13.3f}")


def main(argv=None):
    args = _parse(argv)
    start = time.perf_counter()
    completion_demo(args)
    classification_demo(args)
    regression_demo(args)
    print(f"\n(demo ran in {time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
