"""Test-session setup shared by ``tests/`` and the doctests in ``skhopfield/``.

scikit-learn's array API estimator checks (run by ``parametrize_with_checks``
for every estimator whose tags declare ``array_api_support``) refuse to run
unless ``SCIPY_ARRAY_API=1``, and SciPy reads that variable once, when it is
first imported.  pytest imports this file before any test module (so before
SciPy), which makes ``python -m pytest`` run those checks as CI does, with no
environment to set by hand.  SciPy's array API mode changes nothing for numpy
inputs.
"""

import os

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
