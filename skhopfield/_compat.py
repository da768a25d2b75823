"""What differs between the supported versions of the dependencies.

pyproject.toml declares the oldest versions that CI tests (``.ci/run``);
the differences between those and the newest are absorbed here.
"""

from scipy.optimize import OptimizeResult


def minimize_callback(progress, fun):
    """A ``scipy.optimize.minimize`` callback that calls ``progress(x, loss)``.

    SciPy 1.11 and newer pass an :class:`~scipy.optimize.OptimizeResult`
    (``x`` and ``fun``) to a callback whose one parameter is named
    ``intermediate_result``, the documented signature; older SciPy (1.10,
    still supported) passes the current point as a plain array, and the loss
    is then evaluated here.  ``fun`` is the objective given to ``minimize``
    with ``jac=True``: it returns ``(loss, gradient)``.
    """

    def callback(intermediate_result):
        if isinstance(intermediate_result, OptimizeResult):
            x, loss = intermediate_result.x, intermediate_result.fun
        else:  # SciPy < 1.11: callback(xk)
            x = intermediate_result
            loss = fun(x)[0]
        progress(x, float(loss))

    return callback
