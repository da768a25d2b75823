"""HopfieldImputer against scikit-learn's imputers at the limits, a plain loop,
and scikit-learn's estimator checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.metrics.pairwise import nan_euclidean_distances
from sklearn.utils.estimator_checks import parametrize_with_checks

from skhopfield import HopfieldImputer
from skhopfield.impute import HopfieldImputer as FromModule

LD = np.longdouble


@parametrize_with_checks(
    [
        HopfieldImputer(),
        HopfieldImputer(beta=0.5, max_iter=3, add_indicator=True),
        HopfieldImputer(beta="auto", keep_empty_features=True),
        HopfieldImputer(separation="sparsemax"),
        HopfieldImputer(separation="max", beta="auto", max_iter=2),
        HopfieldImputer(similarity="manhattan"),
        HopfieldImputer(
            similarity="manhattan", separation="sparsemax", beta="auto", max_iter=2
        ),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _data(seed, n=60, N=5, share=0.25):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N)) @ rng.normal(size=(N, N))
    Xm = X.copy()
    Xm[rng.random(X.shape) < share] = np.nan
    Xm[np.isnan(Xm).all(1), 0] = X[np.isnan(Xm).all(1), 0]
    return rng, X, Xm


def test_public_name():
    assert HopfieldImputer is FromModule


def test_beta_to_infinity_is_knn_with_one_neighbour():
    _, _, Xm = _data(0, n=80)
    Q = _data(1, n=30)[2]
    ours = HopfieldImputer(beta=1e7).fit(Xm).transform(Q)
    knn = KNNImputer(n_neighbors=1).fit(Xm).transform(Q)
    np.testing.assert_allclose(ours, knn, rtol=1e-9, atol=1e-12)


def test_beta_to_zero_is_the_column_mean():
    _, X, Xm = _data(2)
    Q = _data(3, n=20)[2]
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=len(Xm))
    ours = HopfieldImputer(beta=1e-12).fit(X).transform(Q)
    simple = SimpleImputer().fit(X).transform(Q)
    np.testing.assert_allclose(ours, simple, rtol=1e-9, atol=1e-12)
    # stored rows with missing entries, weighted: the weighted mean of the
    # present entries of each column, over the stored rows that share an
    # observed coordinate with the cue (the others have no score)
    ours_w = HopfieldImputer(beta=1e-12).fit(Xm, sample_weight=w).transform(Q)
    present = ~np.isnan(Xm)
    for q, g in zip(Q, ours_w):
        o = ~np.isnan(q)
        usable = (present & o).any(axis=1)
        for j in np.flatnonzero(~o):
            r = usable & present[:, j]
            np.testing.assert_allclose(g[j], w[r] @ Xm[r, j] / w[r].sum(), rtol=1e-9, atol=1e-10)


def test_fill_matches_a_loop_over_stored_rows():
    _, _, Xm = _data(5, n=40)
    Q = _data(6, n=15)[2]
    beta = 0.3
    got = HopfieldImputer(beta=beta).fit(Xm).transform(Q)
    N = Xm.shape[1]
    D2 = nan_euclidean_distances(Q, Xm, squared=True)
    for i, q in enumerate(Q):
        o = ~np.isnan(q)
        if o.all():
            assert np.array_equal(got[i], q)
            continue
        z = -0.5 * D2[i] * o.sum() / N  # the squared distance over the observed share
        ok = np.isfinite(z)
        a = np.where(ok, np.exp(beta * (np.where(ok, z, 0) - z[ok].max())), 0)
        for j in np.flatnonzero(~o):
            p = ~np.isnan(Xm[:, j])
            np.testing.assert_allclose(got[i, j], a[p] @ Xm[p, j] / a[p].sum(), rtol=1e-9)
        assert np.array_equal(got[i, o], q[o])


def test_missing_values_placeholder_indicator_and_empty_features():
    _, X, Xm = _data(7)
    Xm[:, 2] = np.nan  # an empty feature
    imp = HopfieldImputer(beta=1.0, add_indicator=True).fit(Xm)
    out = imp.transform(Xm)
    assert out.shape[1] == 4 + imp.indicator_.features_.size
    assert list(imp.get_feature_names_out()) == [
        "x0", "x1", "x3", "x4",
        *[f"missingindicator_x{j}" for j in imp.indicator_.features_],
    ]
    keep = HopfieldImputer(beta=1.0, keep_empty_features=True).fit(Xm)
    full = keep.transform(Xm)
    assert np.all(full[:, 2] == 0)
    np.testing.assert_array_equal(np.delete(full, 2, axis=1), out[:, :4])
    # another placeholder: the same fill
    Xp = np.where(np.isnan(Xm), -1.0, Xm)
    other = HopfieldImputer(beta=1.0, missing_values=-1.0).fit(Xp).transform(Xp)
    np.testing.assert_allclose(other, out[:, :4])
    assert not np.isnan(out).any()


def test_set_output_pandas():
    pd = pytest.importorskip("pandas")
    _, _, Xm = _data(8)
    df = pd.DataFrame(Xm, columns=list("abcde"))
    out = HopfieldImputer(beta=1.0).set_output(transform="pandas").fit_transform(df)
    assert list(out.columns) == list("abcde")
    assert not out.isna().any().any()


def test_weight_two_is_two_copies_and_learn_groups_copies():
    _, _, Xm = _data(9, n=50)
    w = np.ones(len(Xm))
    w[:10] = 2
    twice = np.vstack([Xm, Xm[:10]])
    Q = _data(10, n=10)[2]
    a = HopfieldImputer(beta=0.7).fit(Xm, sample_weight=w).transform(Q)
    b = HopfieldImputer(beta=0.7).fit(twice).transform(Q)
    np.testing.assert_allclose(a, b, rtol=1e-9)
    # learn: a row is never filled from itself nor its copy, so storing every
    # row twice learns the same beta as storing it once
    once = HopfieldImputer().fit(Xm)
    double = HopfieldImputer().fit(np.vstack([Xm, Xm]))
    assert once.beta_ == pytest.approx(double.beta_, rel=1e-9)


def test_learned_beta_minimizes_the_hidden_entry_error():
    """The learned beta is at least as good on hidden entries as its grid
    neighbours, by a loop that hides the same entries."""
    from skhopfield._core.masked import HIDE_EVERY

    _, X, _ = _data(11, n=60, N=6, share=0.0)
    imp = HopfieldImputer().fit(X)
    auto = HopfieldImputer(beta="auto").fit(X).beta_

    def hidden_error(beta):
        err = 0.0
        for i in range(len(X)):
            hide = (np.arange(6) - i) % HIDE_EVERY == 0
            q = X[i].copy()
            q[hide] = np.nan
            others = np.delete(X, i, axis=0)
            d = ((others[:, ~hide] - q[~hide]) ** 2).sum(1)
            a = np.exp(-0.5 * beta * (d - d.min()))
            err += np.sum((a @ others[:, hide] / a.sum() - X[i, hide]) ** 2)
        return err

    best = hidden_error(imp.beta_)
    for factor in (0.5, 2.0, 0.1, 10.0):
        assert best <= hidden_error(imp.beta_ * factor) * (1 + 1e-9)
    assert 1e-3 * auto * 0.99 <= imp.beta_ <= 1e3 * auto * 1.01


def test_results_do_not_depend_on_chunks_or_jobs():
    _, _, Xm = _data(12, n=200, N=6)
    ref = HopfieldImputer(beta=0.5, max_iter=3).fit(Xm).transform(Xm)
    with config_context(working_memory=0.001):
        got = HopfieldImputer(beta=0.5, max_iter=3, n_jobs=2).fit(Xm).transform(Xm)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


def test_more_steps_complete_towards_a_stored_row():
    rng = np.random.default_rng(13)
    centers = rng.normal(size=(4, 8)) * 4
    X = centers[rng.integers(0, 4, 200)] + 0.05 * rng.normal(size=(200, 8))
    Q = centers[[0, 1, 2, 3]].copy()
    Q[:, 4:] = np.nan
    one = HopfieldImputer(beta=0.05).fit(X).transform(Q)
    many = HopfieldImputer(beta=0.05, max_iter=50).fit(X).transform(Q)
    err = lambda S: np.abs(S[:, 4:] - centers[:, 4:]).max()  # noqa: E731
    assert err(many) < err(one)
    np.testing.assert_array_equal(many[:, :4], Q[:, :4])


def test_transform_memory_is_bounded_by_working_memory():
    """Filling 4000 rows against 4000 stored ones never builds the 128 MB
    rows x patterns matrix: the peak stays near the 8 MiB budget and does
    not grow with the number of rows (tracemalloc sees numpy's arrays)."""
    import tracemalloc

    rng = np.random.default_rng(14)
    X = rng.normal(size=(4000, 16))
    X[rng.random(X.shape) < 0.2] = np.nan
    imp = HopfieldImputer(beta=1.0).fit(X)
    peaks = []
    for n in (1000, 4000):
        with config_context(working_memory=8):
            tracemalloc.start()
            try:
                tracemalloc.reset_peak()
                before, _ = tracemalloc.get_traced_memory()
                imp.transform(X[:n])
                peaks.append(tracemalloc.get_traced_memory()[1] - before)
            finally:
                tracemalloc.stop()
    assert max(peaks) < 2 * 8 * 2**20
    assert peaks[1] < 1.5 * peaks[0] + 2**20


# -- separations ----------------------------------------------------------------------

from test_partial_modern import (  # noqa: E402
    ALL_IDS,
    ALL_SEPARATIONS,
    _alpha,
    _fill_loop,
    _scores_loop,
    _sep_ref,
)


@pytest.mark.parametrize("beta", ["auto", "learn", 1e-3, 1e3])
def test_max_is_knn_with_one_neighbour_at_any_beta(beta):
    """separation="max" is KNNImputer(n_neighbors=1): the nearest stored row
    on the observed coordinates (nan_euclidean's ranking), per column the
    nearest where that column is present."""
    _, _, Xm = _data(0, n=80)
    Q = _data(1, n=30)[2]
    ours = HopfieldImputer(separation="max", beta=beta).fit(Xm).transform(Q)
    knn = KNNImputer(n_neighbors=1).fit(Xm).transform(Q)
    # (the memory's frame, centered and scaled, rounds a value by an ulp)
    np.testing.assert_allclose(ours, knn, rtol=1e-14, atol=1e-15)


_DISTANCES = {
    "euclidean": lambda d: np.sum(d**2),
    "manhattan": lambda d: np.sum(np.abs(d)),
}


@pytest.mark.parametrize("similarity", ["euclidean", "manhattan"])
def test_max_is_a_plain_one_nearest_neighbour_loop(similarity):
    """separation="max" fills from the nearest stored row by the squared (or
    the L1) distance over the observed coordinates, a plain loop."""
    rng, X, _ = _data(15, n=50, N=6, share=0.0)
    Q = X[:20] + 0.3 * rng.normal(size=(20, 6))
    for q in Q:
        q[rng.choice(6, rng.integers(1, 5), replace=False)] = np.nan
    got = HopfieldImputer(separation="max", similarity=similarity).fit(X).transform(Q)
    dist = _DISTANCES[similarity]
    for q, g in zip(Q, got):
        o = ~np.isnan(q)
        best = min(range(len(X)), key=lambda mu: dist(X[mu, o] - q[o]))
        np.testing.assert_allclose(g, np.where(o, q, X[best]), rtol=1e-14, atol=1e-15)
        assert np.array_equal(g[o], q[o])


@pytest.mark.parametrize("name, params", ALL_SEPARATIONS, ids=ALL_IDS)
@pytest.mark.parametrize("similarity", ["euclidean", "manhattan"])
def test_every_separation_fills_as_a_loop(name, params, similarity):
    _, _, Xm = _data(16, n=40)
    Q = _data(17, n=15)[2]
    beta = 0.3
    kw = dict(beta=beta, similarity=similarity, separation=name, **params)
    imp = HopfieldImputer(**kw).fit(Xm)
    got = imp.transform(Q)
    alpha = _alpha(name, params)
    for q, g in zip(Q, got):
        if not np.isnan(q).any():
            assert np.array_equal(g, q)
            continue
        s = LD(beta) * _scores_loop(Xm, q, similarity)
        want = _fill_loop(Xm, q, s, _sep_ref(s, alpha), alpha)
        np.testing.assert_allclose(g, want.astype(float), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize(
    "name, params, similarity",
    [
        ("sparsemax", {}, "euclidean"),
        ("entmax", {"entmax_alpha": 1.5}, "euclidean"),
        ("softmax", {}, "manhattan"),
        ("sparsemax", {}, "manhattan"),
        ("entmax", {"entmax_alpha": 1.5}, "manhattan"),
    ],
)
def test_learned_beta_minimizes_the_hidden_entry_error_of_the_separation(
    name, params, similarity
):
    """As for softmax: the learned beta is at least as good on hidden entries
    as its grid neighbours, by a loop with the reference separation (and the
    squared or the L1 distance over the entries left)."""
    from skhopfield._core.masked import HIDE_EVERY

    _, X, _ = _data(18, n=40, N=6, share=0.0)
    imp = HopfieldImputer(separation=name, similarity=similarity, **params).fit(X)
    alpha = _alpha(name, params)

    def hidden_error(beta):
        err = LD(0)
        for i in range(len(X)):
            hide = (np.arange(6) - i) % HIDE_EVERY == 0
            others = np.delete(X, i, axis=0).astype(LD)
            diff = others[:, ~hide] - X[i, ~hide]
            if similarity == "manhattan":
                s = -LD(beta) * np.abs(diff).sum(1)
            else:
                s = -0.5 * LD(beta) * (diff**2).sum(1)
            p = _sep_ref(s, alpha)
            err += np.sum((p @ others[:, hide] - X[i, hide]) ** 2)
        return err

    best = hidden_error(imp.beta_)
    for factor in (0.5, 2.0, 0.1, 10.0):
        assert best <= hidden_error(imp.beta_ * factor) * (1 + 1e-9)


@pytest.mark.parametrize("name", ["sparsemax", "max"])
def test_separation_results_do_not_depend_on_chunks_or_jobs(name):
    _, _, Xm = _data(19, n=200, N=6)
    ref = HopfieldImputer(beta=0.5, max_iter=3, separation=name).fit(Xm).transform(Xm)
    with config_context(working_memory=0.001):
        imp = HopfieldImputer(beta=0.5, max_iter=3, separation=name, n_jobs=2)
        got = imp.fit(Xm).transform(Xm)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_separation_parameters_reach_the_memory_and_are_validated():
    _, _, Xm = _data(20)
    imp = HopfieldImputer(separation="polynomial", separation_order=3, beta=1.0).fit(Xm)
    assert imp.memory_.separation == "polynomial"
    assert imp.memory_.separation_order == 3
    imp = HopfieldImputer(separation="entmax", entmax_alpha=1.2, beta=1.0).fit(Xm)
    assert imp.memory_.entmax_alpha == 1.2
    for bad in ({"separation": "hardmax"}, {"entmax_alpha": 2.5}, {"separation_order": 0.5}):
        with pytest.raises(ValueError):
            HopfieldImputer(**bad).fit(Xm)


# -- similarity="manhattan" ---------------------------------------------------------


def test_manhattan_learned_beta_with_stored_missing_entries_is_the_loop_minimum():
    """Stored rows with missing entries: the L1 distance over the coordinates
    present in both, scaled up by the share (``_scores_loop``), each hidden
    column averaged over the other rows that have it (``_fill_loop``); the
    learned beta beats its grid neighbours on that loop's error."""
    from skhopfield._core.masked import HIDE_EVERY

    _, _, Xm = _data(21, n=40, N=6, share=0.15)
    imp = HopfieldImputer(similarity="manhattan").fit(Xm)
    N = Xm.shape[1]

    def hidden_error(beta):
        err = LD(0)
        for i in range(len(Xm)):
            hide = ((np.arange(N) - i) % HIDE_EVERY == 0) & ~np.isnan(Xm[i])
            if not hide.any():
                continue
            q = Xm[i].copy()
            q[hide] = np.nan
            others = np.delete(Xm, i, axis=0)
            s = LD(beta) * _scores_loop(others, q, "manhattan")
            if not np.isfinite(s).any():
                continue  # nothing in common with any other row: no evidence
            filled = _fill_loop(others, q, s, _sep_ref(s, 1.0), 1.0)
            err += np.sum((filled[hide] - Xm[i, hide]) ** 2)
        return err

    best = hidden_error(imp.beta_)
    for factor in (0.5, 2.0, 0.1, 10.0):
        assert best <= hidden_error(imp.beta_ * factor) * (1 + 1e-9)
    # a point of the grid around manhattan's "auto": 10**(k / 20 * 3), k integer
    auto = HopfieldImputer(similarity="manhattan", beta="auto").fit(Xm).beta_
    k = np.log10(imp.beta_ / auto) * 20 / 3
    assert abs(k - round(k)) < 1e-9 and abs(k) <= 20


def test_manhattan_auto_beta_is_in_the_data_units():
    """``"auto"``: 20 over twice the total mean absolute deviation of the
    stored rows (numpy, weighted); beta_ scales as 1 / data (``"learn"``
    too) and the fill with the data."""
    rng, X, _ = _data(22, n=50, N=4, share=0.0)
    w = rng.uniform(0.5, 2.0, size=len(X))
    imp = HopfieldImputer(similarity="manhattan", beta="auto").fit(X, sample_weight=w)
    mad = np.average(np.abs(X - np.average(X, axis=0, weights=w)).sum(1), weights=w)
    assert imp.beta_ == pytest.approx(20.0 / (2.0 * mad), rel=1e-12)
    euclid = HopfieldImputer(beta="auto").fit(X, sample_weight=w)
    assert euclid.beta_ != pytest.approx(imp.beta_, rel=1e-3)
    Q = _data(23, n=10, N=4)[2]
    for beta in ("auto", "learn"):
        a = HopfieldImputer(similarity="manhattan", beta=beta).fit(X)
        b = HopfieldImputer(similarity="manhattan", beta=beta).fit(X * 1024.0)
        assert b.beta_ == pytest.approx(a.beta_ / 1024.0, rel=1e-12)
        np.testing.assert_allclose(
            b.transform(Q * 1024.0), a.transform(Q) * 1024.0, rtol=1e-10, atol=1e-10
        )


@pytest.mark.parametrize("name", ["softmax", "sparsemax", "max"])
def test_manhattan_results_do_not_depend_on_chunks_or_jobs(name):
    _, _, Xm = _data(24, n=200, N=6)
    kw = dict(similarity="manhattan", separation=name, max_iter=3)
    ref = HopfieldImputer(**kw).fit(Xm)
    with config_context(working_memory=0.001):
        imp = HopfieldImputer(**kw, n_jobs=2).fit(Xm)
        got = imp.transform(Xm)
    assert imp.beta_ == ref.beta_  # the learned beta: the same grid point
    np.testing.assert_allclose(got, ref.transform(Xm), rtol=1e-10, atol=1e-12)


def test_manhattan_is_more_robust_to_an_outlying_coordinate():
    """One corrupted coordinate in the cue: the L1 kernel still fills from
    the right cluster where the squared distance is pulled to the wrong one
    (the point of a Laplace kernel)."""
    rng = np.random.default_rng(25)
    centers = np.array([[0.0] * 6, [3.0] * 6])
    X = np.vstack([c + 0.3 * rng.normal(size=(50, 6)) for c in centers])
    q = np.array([[0.0, 0.0, 0.0, 0.0, 12.0, np.nan]])  # cluster 0, one outlier
    l1 = HopfieldImputer(similarity="manhattan", separation="max").fit(X).transform(q)
    l2 = HopfieldImputer(separation="max").fit(X).transform(q)
    assert abs(l1[0, 5]) < 1.5 < abs(l2[0, 5])


def test_similarity_reaches_the_memory_and_is_validated():
    _, _, Xm = _data(26)
    imp = HopfieldImputer(similarity="manhattan", beta=1.0).fit(Xm)
    assert imp.memory_.similarity == "manhattan"
    assert HopfieldImputer(beta=1.0).fit(Xm).memory_.similarity == "euclidean"
    for bad in ("cosine", "dot", "l1"):
        with pytest.raises(ValueError, match="similarity"):
            HopfieldImputer(similarity=bad).fit(Xm)


@pytest.mark.parametrize("name, params", [("softmax", {}), ("sparsemax", {})])
def test_manhattan_second_step_is_the_clamped_loop_step(name, params):
    """``max_iter=2``: the first fill (marginal L1 scores), then one step
    scored by the L1 distance over every coordinate of the filled row, only
    the missing entries replaced; a loop over the stored rows."""
    rng, X, _ = _data(27, n=40, N=5, share=0.0)
    Q = X[:12] + 0.5 * rng.normal(size=(12, 5))
    for q in Q:
        q[rng.choice(5, 2, replace=False)] = np.nan
    beta = 0.4
    kw = dict(similarity="manhattan", separation=name, beta=beta, tol=0.0, **params)
    got = HopfieldImputer(max_iter=2, **kw).fit(X).transform(Q)
    assert not np.allclose(got, HopfieldImputer(max_iter=1, **kw).fit(X).transform(Q))
    alpha = _alpha(name, params)
    for q, g in zip(Q, got):
        m = np.isnan(q)
        s = LD(beta) * _scores_loop(X, q, "manhattan")
        state = _fill_loop(X, q, s, _sep_ref(s, alpha), alpha)
        s2 = -LD(beta) * np.abs(X.astype(LD) - state).sum(1)
        want = np.where(m, _sep_ref(s2, alpha) @ X.astype(LD), state)
        np.testing.assert_allclose(g, want.astype(float), rtol=1e-9, atol=1e-11)
        assert np.array_equal(g[~m], q[~m])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    log_scale=st.integers(-30, 30),
    beta=st.sampled_from(["auto", "learn", 1e-3, 1e3, 1e8]),
    sep=st.sampled_from(["softmax", "sparsemax", "max"]),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_manhattan_any_scale_beta_and_dtype(seed, log_scale, beta, sep, dtype):
    """At any data scale and ``beta``, in float32 too: finite fills in the
    given dtype, each a convex combination of its column's stored values,
    observed entries bit for bit; ``"auto"`` and ``"learn"`` follow the
    scale (beta_ as 1 / scale)."""
    _, _, Xm = _data(seed, n=30, N=4, share=0.2)
    Q = _data(seed + 1, n=8, N=4, share=0.4)[2]
    scale = 2.0**log_scale
    Xs, Qs = (Xm * scale).astype(dtype), (Q * scale).astype(dtype)
    kw = dict(similarity="manhattan", separation=sep)
    b = beta if isinstance(beta, str) else beta / scale
    imp = HopfieldImputer(beta=b, **kw).fit(Xs)
    got = imp.transform(Qs)
    assert got.dtype == dtype and np.isfinite(got).all()
    o = ~np.isnan(Qs)
    assert np.array_equal(got[o], Qs[o])
    lo, hi = np.nanmin(Xs, axis=0), np.nanmax(Xs, axis=0)
    slack = 1e-5 * (hi - lo) + 4 * np.finfo(dtype).eps * np.maximum(abs(lo), abs(hi))
    assert ((got >= lo - slack) & (got <= hi + slack))[~o].all()
    if isinstance(beta, str):
        ref = HopfieldImputer(beta=beta, **kw).fit(Xm.astype(dtype))
        assert imp.beta_ == pytest.approx(ref.beta_ / scale, rel=1e-12)
