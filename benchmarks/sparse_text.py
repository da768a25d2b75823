"""Sparse (tf-idf) input: ModernHopfieldClassifier next to brute k-NN.

    PYTHONPATH=.:benchmarks python benchmarks/sparse_text.py
        [--docs 20000] [--queries 2000] [--vocabulary 50000] [--repeats 5]
        [--no-timing]

A corpus is made up locally (no download): ``--docs`` documents of 60 words
drawn from a Zipf-like vocabulary of ``--vocabulary`` words, each document
with a topic (20 topics) that adds its own words.  ``TfidfVectorizer`` gives
CSR matrices; the classifiers see the same matrices.

Reported:

- *agreement*: ``predict`` on the CSR input equals ``predict`` on the same
  data densified (a smaller slice: ``--dense-docs`` stored, 500 queries,
  where the dense arrays fit), and the largest difference of
  ``predict_proba`` between the two;
- *accuracy* on held-out queries of ModernHopfieldClassifier (cosine,
  ``beta`` 20) and ``KNeighborsClassifier(metric="cosine",
  algorithm="brute")`` with k = 5 and 25;
- *peak traced memory* of ``predict`` (``tracemalloc``), against the
  ``working_memory`` budget and the dense ``queries x docs`` score matrix;
- *time* of ``predict`` of both (interleaved repeats, medians); skipped with
  ``--no-timing`` (timings on a shared machine are noise).
"""

import argparse
import time
import tracemalloc

import numpy as np
from sklearn import config_context
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import KNeighborsClassifier

from _common import machine, paired_medians
from skhopfield import ModernHopfieldClassifier

MIB = 2**20


def corpus(n_docs, vocabulary, seed=0, n_topics=20, length=60):
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocabulary + 1)
    common = 1.0 / ranks
    common /= common.sum()
    topics = rng.integers(0, n_topics, n_docs)
    topic_words = [rng.choice(vocabulary, 50, replace=False) for _ in range(n_topics)]
    docs = []
    for t in topics:
        n_topic = rng.binomial(length, 0.15)
        words = np.concatenate(
            [rng.choice(vocabulary, length - n_topic, p=common), rng.choice(topic_words[t], n_topic)]
        )
        docs.append(" ".join(f"w{w}" for w in words))
    return docs, topics


def peak_mib(func, *args):
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = func(*args)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / MIB, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--vocabulary", type=int, default=50_000)
    parser.add_argument("--dense-docs", type=int, default=2_000)
    parser.add_argument("--working-memory", type=float, default=256.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    print(machine())

    docs, topics = corpus(args.docs + args.queries, args.vocabulary)
    vec = TfidfVectorizer().fit(docs[: args.docs])
    X, Q = vec.transform(docs[: args.docs]), vec.transform(docs[args.docs :])
    y, yq = topics[: args.docs], topics[args.docs :]
    print(
        f"\n{X.shape[0]} stored x {X.shape[1]} words ({X.nnz / np.prod(X.shape):.3%} "
        f"non-zero), {Q.shape[0]} queries; working_memory {args.working_memory:g} MiB"
    )

    # agreement with the dense computation, on a slice that fits densified
    n = args.dense_docs
    params = dict(similarity="cosine", beta=20.0)
    sparse_small = ModernHopfieldClassifier(**params).fit(X[:n], y[:n])
    dense_small = ModernHopfieldClassifier(**params).fit(X[:n].toarray(), y[:n])
    Qs = Q[:500]
    same = (sparse_small.predict(Qs) == dense_small.predict(Qs.toarray())).mean()
    diff = np.abs(sparse_small.predict_proba(Qs) - dense_small.predict_proba(Qs.toarray())).max()
    print(f"\nsparse vs dense ({n} stored, 500 queries): predict equal on {same:.1%}, "
          f"max |proba difference| {diff:.2e}")

    models = {
        "ModernHopfieldClassifier (cosine, beta 20)": ModernHopfieldClassifier(**params),
        "KNN brute cosine, k=5": KNeighborsClassifier(5, metric="cosine", algorithm="brute"),
        "KNN brute cosine, k=25": KNeighborsClassifier(25, metric="cosine", algorithm="brute"),
    }
    full = 8 * Q.shape[0] * X.shape[0] / MIB
    print(f"\n| model | accuracy | predict peak traced MiB (dense scores: {full:.0f}) |")
    print("|---|---|---|")
    with config_context(working_memory=args.working_memory):
        for name, model in models.items():
            model.fit(X, y)
            peak, pred = peak_mib(model.predict, Q)
            print(f"| {name} | {(pred == yq).mean():.3f} | {peak:.0f} |")
        if not args.no_timing:
            funcs = {name: (lambda m=m: m.predict(Q)) for name, m in models.items()}
            start = time.perf_counter()
            medians = paired_medians(funcs, args.repeats)
            print(f"\npredict, median of {args.repeats} interleaved repeats "
                  f"({time.perf_counter() - start:.0f} s in all):\n")
            print("| model | seconds |")
            print("|---|---|")
            for name, t in medians.items():
                print(f"| {name} | {t:.3f} |")


if __name__ == "__main__":
    main()
