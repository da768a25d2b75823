"""The README's promises: its commands are the ones CI runs, and the demo works."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands():
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", readme)


def test_readme_gives_the_demo_and_test_commands_that_ci_runs():
    commands = _readme_commands()
    demo = [c for c in commands if "-m skhopfield" in c and "--help" not in c]
    tests = [c for c in commands if "pytest" in c]
    assert len(demo) == 1 and len(tests) == 1
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert demo[0] in ci
    assert tests[0] in ci


def test_demo_runs_and_recalls():
    out = subprocess.run(
        [sys.executable, "-m", "skhopfield", "--n-cues", "20"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "pseudoinverse" in out
    row = next(line for line in out.splitlines() if line.startswith("pseudoinverse "))
    assert float(row.split()[2].rstrip("%")) > 90.0


@pytest.mark.parametrize("args", [["--noise", "0.9"], ["--n-cues", "0"], ["--bogus"]])
def test_demo_rejects_bad_options(args):
    proc = subprocess.run(
        [sys.executable, "-m", "skhopfield", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "error" in proc.stderr


def test_readme_python_examples_run(capsys):
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.+?)```", readme, re.S)
    assert len(blocks) >= 3
    namespace = {}
    for block in blocks:  # the snippets build on each other, as a reader's session
        exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "1.0"  # the Storkey example recalls every pattern
    assert float(printed[3]) >= 0.99  # the exponential memory recalls 1000 patterns
