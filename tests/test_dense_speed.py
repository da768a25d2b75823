"""The fast paths of DenseModel against a plain reference of the decision rule.

The asynchronous sweeps decide blocks of neurons with one matrix product,
look the terms up by overlap instead of evaluating ``F``/``exp``, decide the
exponential from one signed product (screened, with the masked sums for
near-ties), and compute the overlaps in float32.  None of that may change a
single state.  The references here are written from the rule itself, one
state and one neuron at a time in plain numpy/Python:

- polynomials on the exact path: the sign of the energy drop in Python
  integers (an exact tie keeps the state);
- exponential: the masked per-pattern sums of the weights
  ``exp(beta_eff (m - max m))``, ``G = e^{2 beta} S_disagree - S_agree``,
  flip iff ``G`` exceeds the documented tolerance
  ``2 u (P + 720) (e^{2 beta} S_disagree + S_agree)``.
"""

import math
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from skhopfield._core.binary import run_dynamics
from skhopfield._core.dense import EXP_FLOOR, DenseModel, _exact_tables

U = 2.0**-53


def _ref_exp_flip(X, s, i, beta):
    P = len(X)
    beta_eff = min(beta, 0.5 * math.log(2 * P + 1) + 20.0)
    m = X @ s
    a = beta_eff * (m - m.max())
    w = np.exp(np.maximum(a, EXP_FLOOR)) * (a >= EXP_FLOOR)
    agree = w[X[:, i] == s[i]].sum()
    disagree = w[X[:, i] != s[i]].sum() * math.exp(2 * beta_eff)
    return disagree - agree > 2 * U * (P + 720) * (disagree + agree)


def _ref_poly_flip(X, s, i, order, rectified):
    def F(z):
        return max(z, 0) ** order if rectified else z**order

    Xi, si = X.astype(int), s.astype(int)
    gain = 0
    for x in Xi:
        m = int(x @ si)
        gain += F(m - 2 * int(x[i] * si[i])) - F(m)
    return gain > 0


def _reference(X, S, visit, rule):
    """Sequential sweep over ``visit`` and one synchronous step, per state."""
    swept, stepped = S.copy(), S.copy()
    for s, t in zip(swept, stepped):
        start = s.copy()
        for i in visit:
            if rule(X, s, i):
                s[i] = -s[i]
        for i in range(len(t)):
            if rule(X, start, i):
                t[i] = -start[i]
    return swept, stepped


def _model_results(model, S, visit, block):
    ST = np.array(S.T, order="C")
    cache = model.init_cache(ST)
    model._block = block  # the first block's size (adapts after it)
    model.async_sweep(ST, cache, visit)
    # overlaps in step, except for rows sent to a dominant pattern at once
    # (the exponential's certificate, flagged in the cache): those are it
    kept = cache[3] < 0 if model._certifiable() else np.ones(len(S), dtype=bool)
    np.testing.assert_array_equal(cache[0][kept], ST.T[kept] @ model.X.T)
    if not kept.all():
        np.testing.assert_array_equal(ST.T[~kept], model.X[cache[3][~kept]])
    return ST.T, model.sync_step(np.array(S.T, order="C")).T


def _case(seed, n_patterns, n_features, n_states, noise):
    rng = np.random.RandomState(seed)
    X = np.where(rng.rand(n_patterns, n_features) < 0.5, -1.0, 1.0)
    S = X[rng.randint(n_patterns, size=n_states)]
    S = S * np.where(rng.rand(*S.shape) < noise, -1.0, 1.0)
    return X, S, rng.permutation(n_features)


@settings(max_examples=30, deadline=None)
@given(
    log10_beta=st.one_of(st.floats(-15, 3), st.sampled_from([1e-300, 1e300])),
    n_features=st.integers(1, 40),
    n_patterns=st.integers(1, 50),
    noise=st.sampled_from([0.0, 0.05, 0.2, 0.5]),
    block=st.sampled_from([1, 3, 64]),
    float32=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_exponential_sweeps_match_the_masked_rule(
    log10_beta, n_features, n_patterns, noise, block, float32, seed
):
    beta = log10_beta if log10_beta in (1e-300, 1e300) else 10.0**log10_beta
    X, S, visit = _case(seed, n_patterns, n_features, 5, noise)
    model = DenseModel(X.astype(np.float32) if float32 else X, "exponential", beta=beta)
    swept, stepped = _model_results(model, S, visit, block)
    ref_swept, ref_stepped = _reference(X, S, visit, lambda X, s, i: _ref_exp_flip(X, s, i, beta))
    np.testing.assert_array_equal(swept, ref_swept)
    np.testing.assert_array_equal(stepped, ref_stepped)


@settings(max_examples=30, deadline=None)
@given(
    order=st.integers(2, 8),
    rectified=st.booleans(),
    n_features=st.integers(1, 30),
    n_patterns=st.integers(1, 40),
    noise=st.sampled_from([0.0, 0.05, 0.2, 0.5]),
    block=st.sampled_from([1, 3, 64]),
    float32=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_exact_polynomial_sweeps_match_integer_arithmetic(
    order, rectified, n_features, n_patterns, noise, block, float32, seed
):
    X, S, visit = _case(seed, n_patterns, n_features, 5, noise)
    interaction = "rectified_polynomial" if rectified else "polynomial"
    model = DenseModel(X.astype(np.float32) if float32 else X, interaction, order)
    if not model.exact:
        return  # past 2^53: the masked path, tested in test_dense_exact.py
    swept, stepped = _model_results(model, S, visit, block)
    ref_swept, ref_stepped = _reference(
        X, S, visit, lambda X, s, i: _ref_poly_flip(X, s, i, order, rectified)
    )
    np.testing.assert_array_equal(swept, ref_swept)
    np.testing.assert_array_equal(stepped, ref_stepped)


@settings(max_examples=15, deadline=None)
@given(
    log10_beta=st.floats(-3, 2.5),
    n_features=st.integers(1, 300),
    seed=st.integers(0, 2**16),
)
def test_exponential_weight_lookup_is_bit_for_bit_exp(log10_beta, n_features, seed):
    # The weights looked up by level must be exactly those of exp.
    beta = 10.0**log10_beta
    X, S, _ = _case(seed, 200, n_features, 30, 0.3)
    model = DenseModel(X, "exponential", beta=beta)
    M = S @ X.T
    w, T = model._terms(M)
    a = model._beta_eff * (M - M.max(axis=1, keepdims=True))
    expected = np.exp(np.maximum(a, EXP_FLOOR)) * (a >= EXP_FLOOR)
    np.testing.assert_array_equal(w, expected)
    np.testing.assert_array_equal(T, w.sum(axis=1))


def test_blocks_grow_on_a_quiet_sweep_and_the_states_do_not_depend_on_them():
    # Near a stored pattern the later sweeps flip nothing: the blocks grow to
    # the largest size; retrieval matches block-free sweeps state for state.
    X, S, _ = _case(0, 300, 200, 40, 0.15)
    results = []
    for block, max_block in ((1, 64), (1, 1)):
        import skhopfield._core.dense as dense

        default = dense.MAX_BLOCK
        dense.MAX_BLOCK = max_block
        try:
            for interaction in ("exponential", "polynomial"):
                model = DenseModel(X, interaction, 3)
                model._dominance = False  # every row through the blocks
                out = run_dynamics(model, S, update="async", max_iter=20, seed=3)
                results.append(out)
                if max_block == 64:
                    assert model._block > 8
        finally:
            dense.MAX_BLOCK = default
    for fast, plain in zip(results[:2], results[2:]):
        for a, b in zip(fast, plain):
            np.testing.assert_array_equal(a, b)


@settings(max_examples=20, deadline=None)
@given(order=st.integers(2, 12), n_features=st.integers(1, 400), rectified=st.booleans())
def test_exact_tables_match_python_integers(order, n_features, rectified):
    model = DenseModel(np.ones((1, n_features)), "polynomial", order)
    if not model.exact:
        return

    def F(z):
        return max(z, 0) ** order if rectified else z**order

    V, C = _exact_tables(n_features, order, rectified)
    for k, m in enumerate(range(-n_features, n_features + 1)):
        assert Fraction(V[k]) == Fraction(F(m - 2) - F(m + 2), 2)
        assert Fraction(C[k]) == Fraction(F(m - 2) + F(m + 2), 2) - F(m)
