"""
=====================================================
Regression: attention over stored targets
=====================================================

:class:`~skhopfield.ModernHopfieldRegressor` stores pairs ``(x, t)`` and
answers a cue with ``softmax(beta z) T``: the modern network's attention over
the stored patterns, applied to their targets.  With the euclidean
similarity this is Nadaraya-Watson kernel regression with a Gaussian kernel
of width ``1 / sqrt(beta)``.

Forty noisy samples of a sine are stored.  A tiny ``beta`` averages every
target (the global fixed point of the network: a flat line at the mean); a
huge one copies the target of the nearest stored sample (1-nearest-neighbour,
a staircase through the noise); ``beta="learn"`` picks the value of least
leave-one-out error, a smooth curve in between.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.neighbors import KNeighborsRegressor

from skhopfield import ModernHopfieldRegressor

rng = np.random.default_rng(0)
x = np.sort(rng.uniform(0, 2 * np.pi, 40))[:, None]
t = np.sin(x[:, 0]) + 0.3 * rng.standard_normal(40)
grid = np.linspace(0, 2 * np.pi, 400)[:, None]

models = {
    "beta = 1e-4 (mean)": ModernHopfieldRegressor(beta=1e-4),
    "beta = 1e4 (nearest pair)": ModernHopfieldRegressor(beta=1e4),
    'beta = "learn"': ModernHopfieldRegressor(beta="learn"),
}
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(x[:, 0], t, "k.", label="stored pairs")
ax.plot(grid[:, 0], np.sin(grid[:, 0]), color="0.7", linewidth=3, label="sin(x)")
for name, model in models.items():
    model.fit(x, t)
    ax.plot(grid[:, 0], model.predict(grid), label=name)
    print(f"{name:>26}: beta_ = {model.beta_:.3g}")
ax.set_xlabel("x")
ax.set_ylabel("predicted target")
ax.legend(fontsize=8)
ax.set_title("ModernHopfieldRegressor: three regimes of beta")
fig.tight_layout()

# %%
# The learned ``beta`` against k-nearest neighbours on fresh samples of the
# same curve:
x_test = rng.uniform(0, 2 * np.pi, 200)[:, None]
t_test = np.sin(x_test[:, 0]) + 0.3 * rng.standard_normal(200)
learned = models['beta = "learn"']
print(f"R^2, learned beta: {learned.score(x_test, t_test):.3f}")
for k in (1, 5, 10):
    knn = KNeighborsRegressor(n_neighbors=k).fit(x, t)
    print(f"R^2, {k:>2}-NN:         {knn.score(x_test, t_test):.3f}")
plt.show()
