"""The code shown in the documentation's pages runs."""

import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _code_blocks():
    blocks = []
    for page in sorted(DOCS.glob("*.rst")):
        text = page.read_text()
        for i, match in enumerate(
            re.finditer(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
        ):
            blocks.append(
                pytest.param(textwrap.dedent(match.group(1)), id=f"{page.stem}-{i}")
            )
    return blocks


#: Modules of the optional extras: a page showing them (docs/distributed.rst)
#: is skipped where the extra is not installed, as its tests are; likewise
#: the array libraries of docs/gpu.rst (no extra: installed by hand).
OPTIONAL_MODULES = {
    "dask": "distributed",
    "distributed": "distributed",
    "matplotlib": "docs",
    "torch": None,
    "cupy": None,
}


@pytest.mark.parametrize("code", _code_blocks())
def test_documented_code_runs(code, capsys):
    try:
        exec(compile(code, "<docs>", "exec"), {})  # noqa: S102 (our own docs)
    except ModuleNotFoundError as exc:
        if exc.name in OPTIONAL_MODULES:
            extra = OPTIONAL_MODULES[exc.name]
            how = f"pip install '.[{extra}]'" if extra else f"pip install {exc.name}"
            pytest.skip(f"needs the optional {exc.name} ({how})")
        raise
    assert capsys.readouterr().out  # every snippet prints its result


def test_there_is_documented_code():
    assert len(_code_blocks()) >= 3


def _public_objects():
    import inspect

    import skhopfield
    import skhopfield.baselines
    import skhopfield.datasets
    import skhopfield.inspection

    objects = [getattr(skhopfield, name) for name in skhopfield.__all__]
    objects += [
        getattr(skhopfield.inspection, name) for name in skhopfield.inspection.__all__
    ]
    objects += [
        getattr(skhopfield.baselines, name) for name in skhopfield.baselines.__all__
    ]
    objects += [
        obj
        for name, obj in vars(skhopfield.datasets).items()
        if not name.startswith("_")
        and inspect.isfunction(obj)
        and obj.__module__ == "skhopfield.datasets"
    ]
    return objects


@pytest.mark.parametrize("obj", _public_objects(), ids=lambda obj: obj.__name__)
def test_public_objects_have_numpydoc_docstrings_with_examples(obj):
    doc = obj.__doc__ or ""
    for section in ("Parameters", "Examples"):
        assert f"\n    {section}\n    {'-' * len(section)}\n" in doc, section
    assert ">>> " in doc.split("Examples", 1)[1]


def test_api_reference_lists_every_public_object():
    api = (DOCS / "api.rst").read_text()
    for obj in _public_objects():
        assert f"   {obj.__name__}\n" in api


def test_the_gallery_runs_on_every_build():
    # The README says the gallery runs on every build: sphinx-gallery skips
    # an example whose file is unchanged since the last build unless
    # run_stale_examples is set (and runs only the files filename_pattern
    # matches: every example here).
    import ast

    tree = ast.parse((DOCS / "conf.py").read_text())
    (conf,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == "sphinx_gallery_conf"
    ]
    conf = ast.literal_eval(conf)
    assert conf["run_stale_examples"] is True
    examples = sorted((DOCS.parent / "examples").glob("*.py"))
    assert examples and all(re.search(conf["filename_pattern"], f"/{f.name}") for f in examples)
    readme = (DOCS.parent / "README.md").read_text()
    assert "runs on every build" in " ".join(readme.split())
