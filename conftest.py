"""Test-session setup shared by ``tests/`` and the doctests in ``skhopfield/``.

scikit-learn's array API estimator checks (run by ``parametrize_with_checks``
for every estimator whose tags declare ``array_api_support``) refuse to run
unless ``SCIPY_ARRAY_API=1``, and SciPy reads that variable once, when it is
first imported.  pytest imports this file before any test module (so before
SciPy), which makes ``python -m pytest`` run those checks as CI does, with no
environment to set by hand.  SciPy's array API mode changes nothing for numpy
inputs.
"""

import importlib.util
import os

import pytest

os.environ["SCIPY_ARRAY_API"] = "1"

# The inspection module's examples draw plots: matplotlib is optional (the
# docs extra), so without it they are skipped, as tests/test_inspection.py is.
collect_ignore = []
try:
    import matplotlib
except ImportError:
    collect_ignore.append("skhopfield/inspection.py")
else:
    matplotlib.use("Agg")

# dask.distributed is in the test extra; installed without it (``pip install .``
# and pytest by hand), the tests and examples that need a cluster skip with
# a reason instead of stopping the collection: tests/test_distributed.py skips
# itself, and these are its helper module (imported for its doctests) and
# the one docstring example that starts a cluster.
HAS_DISTRIBUTED = all(
    importlib.util.find_spec(name) is not None for name in ("dask", "distributed")
)
if not HAS_DISTRIBUTED:
    collect_ignore.append("tests/_scheduler_bytes.py")

#: Doctests that need dask.distributed.
DISTRIBUTED_DOCTESTS = {"skhopfield._batch.sharded_memory"}


def _array_api_missing():
    """Why the array API path cannot run here, or None.

    The package's floors (pyproject.toml) cover everything else; scikit-learn's
    array API dispatch needs SciPy 1.14 (it raises below), and moving arrays
    between array_api_strict's devices needs NumPy 2.1.  Below those, the
    array API tests (test_array_api.py and scikit-learn's check_array_api_*
    estimator checks) skip with this reason; CI's main job runs them.
    """
    import numpy
    import scipy

    def release(module):
        return tuple(int(p) for p in module.__version__.split(".")[:2])

    if release(scipy) < (1, 14) or release(numpy) < (2, 1):
        return (
            "the array API path needs SciPy >= 1.14 and NumPy >= 2.1 "
            f"(found SciPy {scipy.__version__}, NumPy {numpy.__version__})"
        )
    return None


def pytest_collection_modifyitems(config, items):
    missing = _array_api_missing()
    if missing:
        skip_array_api = pytest.mark.skip(reason=missing)
        for item in items:
            if "array_api" in item.nodeid:
                item.add_marker(skip_array_api)
    if not HAS_DISTRIBUTED:
        skip = pytest.mark.skip(
            reason="needs dask.distributed (pip install '.[test]' or '.[distributed]')"
        )
        for item in items:
            if item.name in DISTRIBUTED_DOCTESTS:
                item.add_marker(skip)
