"""Sphinx configuration of the skhopfield documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` from the
repository root (or ``make -C docs html``).  The gallery in ``examples/``
is executed on every build.
"""

import os
import re
import warnings

# The imputation example compares with IterativeImputer, experimental in
# scikit-learn: enabled here too, so that the gallery resolves its name.
from sklearn.experimental import enable_iterative_imputer  # noqa: F401

import skhopfield

project = "skhopfield"
author = "The skhopfield developers"
copyright = "2026, The skhopfield developers"
release = skhopfield.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "sg_execution_times.rst"]
templates_path = ["_templates"]

# -- API reference ----------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
# Methods are listed by numpydoc's own tables from the class docstrings, not as
# separate autosummary stubs.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- Gallery ----------------------------------------------------------------------
os.environ.setdefault("MPLBACKEND", "Agg")
# The examples must stay quiet: any warning they raise is a bug in them.
warnings.filterwarnings("error", category=RuntimeWarning)

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    # Run every example on every build, not only those changed since the
    # last one (sphinx-gallery's default skips an unchanged example and
    # reuses its old output, which would hide a change in the package).
    "run_stale_examples": True,
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skhopfield",),
    "reference_url": {"skhopfield": None},
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "show_memory": False,
}

# -- HTML -------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skhopfield {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path = []
html_show_sourcelink = False


# -- Inherited scikit-learn docstrings -----------------------------------------------
# Methods such as ``ClassifierMixin.score`` are documented with scikit-learn's own
# docstrings, which cross-reference labels of scikit-learn's user guide.  There is
# no network at build time (no intersphinx), so those references become plain
# text instead of broken links.
_SKLEARN_REF = re.compile(r":(ref|term):`([^`<]*?)\s*(?:<[^`]*>)?`")


def _unlink_sklearn_refs(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", "") or ""
    if module.startswith("sklearn"):
        lines[:] = [_SKLEARN_REF.sub(lambda m: m.group(2), line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_sklearn_refs)
