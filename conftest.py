"""Collection settings shared by the doctests and the tests."""

# The inspection module's examples draw plots: matplotlib is optional (the
# docs extra), so without it they are skipped, as tests/test_inspection.py is.
collect_ignore = []
try:
    import matplotlib
except ImportError:
    collect_ignore.append("skhopfield/inspection.py")
else:
    matplotlib.use("Agg")
