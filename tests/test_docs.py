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


@pytest.mark.parametrize("code", _code_blocks())
def test_documented_code_runs(code, capsys):
    exec(compile(code, "<docs>", "exec"), {})  # noqa: S102 (our own docs)
    assert capsys.readouterr().out  # every snippet prints its result


def test_there_is_documented_code():
    assert len(_code_blocks()) >= 3
