"""The oldest supported versions: what differs from the newest still works.

``.ci/run`` runs the suite on the floors of pyproject.toml (SciPy 1.10, ...);
here the differences are also checked on whatever SciPy is installed, by
giving the code what the older version gives it.
"""

import inspect
import re

import numpy as np
import pytest
import scipy.optimize
from sklearn.datasets import load_iris

import skhopfield._core.learned as learned
import skhopfield.baselines as baselines
from skhopfield import ModernHopfieldClassifier
from skhopfield._compat import minimize_callback
from skhopfield.baselines import GLVQClassifier


def _quadratic(x):
    return float(((x - 3.0) ** 2).sum()), 2.0 * (x - 3.0)


def test_callback_has_scipys_documented_signature():
    # SciPy >= 1.11 passes an OptimizeResult to a callback whose single
    # parameter is named ``intermediate_result``; anything else gets ``xk``.
    callback = minimize_callback(lambda x, loss: None, _quadratic)
    assert list(inspect.signature(callback).parameters) == ["intermediate_result"]


@pytest.mark.parametrize("kind", ["OptimizeResult", "array"])
def test_callback_takes_a_result_or_a_plain_array(kind):
    seen = []
    callback = minimize_callback(lambda x, loss: seen.append((x, loss)), _quadratic)
    x = np.array([1.0, -2.0, 0.5])
    if kind == "OptimizeResult":
        callback(scipy.optimize.OptimizeResult(x=x, fun=_quadratic(x)[0]))
    else:  # what SciPy < 1.11 passes
        callback(x)
    ((got_x, loss),) = seen
    np.testing.assert_array_equal(got_x, x)
    assert loss == 4 + 25 + 6.25  # (x - 3)^2 summed, exactly
    assert type(loss) is float


def _minimize_passing_arrays(*args, callback=None, **kwargs):
    """``scipy.optimize.minimize`` as SciPy 1.10 calls the callback: ``callback(xk)``."""
    if callback is not None:
        inner = callback

        def callback(intermediate_result):  # noqa: F811 (the documented name)
            x = getattr(intermediate_result, "x", intermediate_result)  # SciPy < 1.11
            inner(np.copy(x))

    return scipy.optimize.minimize(*args, callback=callback, **kwargs)


@pytest.mark.parametrize("scipy_passes", ["OptimizeResult", "array"])
def test_callback_losses_are_the_objective_at_each_iterate(monkeypatch, scipy_passes):
    # The loss reported at each iteration is the objective at that point,
    # whichever way SciPy hands the iterate over.
    minimize = (
        _minimize_passing_arrays if scipy_passes == "array" else scipy.optimize.minimize
    )
    seen = []
    minimize(
        _quadratic,
        np.zeros(4),
        jac=True,
        method="L-BFGS-B",
        callback=minimize_callback(lambda x, loss: seen.append((x.copy(), loss)), _quadratic),
    )
    assert seen
    for x, loss in seen:
        assert loss == pytest.approx(float(((x - 3.0) ** 2).sum()), rel=1e-12, abs=1e-300)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("scipy_passes", ["OptimizeResult", "array"])
@pytest.mark.parametrize(
    "make, module",
    [
        (lambda: ModernHopfieldClassifier(prototypes_per_class=2, verbose=2, random_state=0),
         learned),
        (lambda: GLVQClassifier(verbose=2, random_state=0), baselines),
    ],
    ids=["learned-memory", "glvq"],
)
def test_verbose_training_reports_with_either_callback_style(
    monkeypatch, capsys, make, module, scipy_passes
):
    # SciPy < 1.11 passes a plain array to the callback: verbose=2 training
    # crashed there ('numpy.ndarray' object has no attribute 'fun').
    if scipy_passes == "array":
        monkeypatch.setattr(module, "minimize", _minimize_passing_arrays)
    X, y = load_iris(return_X_y=True)
    est = make().fit(X, y)
    out = capsys.readouterr().out
    costs = [float(c) for c in re.findall(r"iteration \d+: (?:loss|cost) ([-+0-9.e]+)", out)]
    assert costs, out
    assert all(np.isfinite(costs))
    assert est.score(X, y) > 0.8
