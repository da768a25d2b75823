"""
=====================================================
Simplicial Hopfield networks: capacity
=====================================================

A simplicial Hopfield network (Burns & Fukai 2023) connects sets of neurons,
not only pairs: a triangle ``{i, j, k}`` has the weight
``sum_mu x^mu_i x^mu_j x^mu_k`` (scaled), and the energy adds
``-w_ijk s_i s_j s_k`` to the pairwise terms.  Here ``N = 100`` neurons store
``P`` random patterns, each cued with 5% of its bits flipped, and we count
the patterns recalled exactly:

- all pairs: the classical network, ``C(100, 2) = 4950`` connections;
- the full 2-skeleton: every pair and every triangle (166,650 connections,
  computed from the pattern overlaps without listing them);
- diluted mixes at the all-pairs connection count: 2475 random edges and
  2475 random triangles, under both weight scales of
  ``SimplicialHopfieldMemory`` -- ``normalization="dimension"`` (a triangle
  weighs ``N^-2 sum_mu ...``, an edge ``N^-1 sum_mu ...``) and ``"uniform"``
  (every simplex ``N^-1 sum_mu ...``).
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

from skhopfield import SimplicialHopfieldMemory
from skhopfield.datasets import flip_bits, make_binary_patterns
from skhopfield.exceptions import CapacityWarning

# Going past capacity is the point here: silence the warning fit gives when
# more than half of the stored patterns are not fixed points.
warnings.filterwarnings("ignore", category=CapacityWarning)

N = 100
loads = [4, 6, 8, 10, 12, 15, 18, 22, 27, 33]
n_cues = 60  # patterns cued per point

memories = {
    "all pairs (4950)": dict(max_dim=1),
    "full 2-skeleton (166650)": dict(max_dim=2),
    "2475 edges + 2475 triangles, uniform": dict(
        n_simplices=(2475, 2475), normalization="uniform"
    ),
    "2475 edges + 2475 triangles, dimension": dict(n_simplices=(2475, 2475)),
}


def recalled_fraction(params, P, seed):
    X = make_binary_patterns(P, N, random_state=seed)
    memory = SimplicialHopfieldMemory(random_state=seed, **params).fit(X)
    reps = -(-n_cues // P)  # cue every pattern, a few times when P is small
    targets = np.tile(X, (reps, 1))
    cues = flip_bits(targets, 0.05, random_state=seed + 1)
    return (memory.transform(cues) == targets).all(axis=1).mean()


start = time.perf_counter()
recall = {
    name: [recalled_fraction(params, P, seed=P) for P in loads]
    for name, params in memories.items()
}
print(f"measured in {time.perf_counter() - start:.1f} s")
print("P:" + "".join(f"{P:6d}" for P in loads))
for name, values in recall.items():
    print("".join(f"{v:6.2f}" for v in values), " ", name)

# %%
# Plot
# ----
fig, ax = plt.subplots(figsize=(7, 4))
for (name, values), marker in zip(recall.items(), "os^v"):
    ax.plot(loads, values, marker + "-", label=name)
ax.axhline(0.99, color="gray", linewidth=0.8, linestyle=":")
ax.set_xlabel(f"patterns stored, P  (N = {N} neurons)")
ax.set_ylabel("fraction recalled exactly\n(from 5% flipped bits)")
ax.set_title("Simplicial vs pairwise; in brackets: number of connections")
ax.legend(loc="lower left", fontsize=8)
fig.tight_layout()

# %%
# Every triangle on top of every pair stores about twice as many patterns as
# the pairs alone.  At the *same* connection count the outcome depends on
# the weight scale: with every simplex weighted like an edge (``"uniform"``)
# the diluted mix of edges and triangles beats the all-pairs network -- the
# ordering Burns & Fukai report -- while with triangles ``N`` times lighter
# than edges (``"dimension"``) the triangles hardly count and the mix is a
# sparser pairwise network, worse than all pairs.  ``benchmarks/README.md``
# has the capacities (``benchmarks/capacity_recall.py --simplicial``).
plt.show()
