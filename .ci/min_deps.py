"""The oldest supported versions, read from pyproject.toml (used by .ci/run).

``python``: the oldest Python that ``requires-python`` allows (``3.11``).
``constraints``: pip constraints pinning every runtime dependency to its
declared floor (``scipy>=1.10`` gives ``scipy==1.10``).
``check``: fail unless the installed versions are exactly those floors.
``pytest-args``: what the oldest-versions job leaves out (see .ci/run).
"""

import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Left out of the oldest-versions run, to keep it short: parts of the suite
#: that the main job runs and that exercise no version-dependent code of
#: their own -- the demo and docs (subprocesses and README snippets), the
#: dask cluster tests (dask is not pinned here), and the engine's invariance
#: sweeps (n_jobs, chunk sizes, row order, peak memory, BLAS threads), which
#: repeat the same kernels the remaining tests cover.  Everything else runs:
#: every estimator's scikit-learn checks, the exact-arithmetic references,
#: the numerics, sparse input, sample weights, the learned memories'
#: L-BFGS-B (the SciPy 1.10 callback), bad input and persistence.
SKIPPED = [
    "tests/test_project.py",
    "tests/test_docs.py",
    "tests/test_distributed.py",
    "tests/test_properties.py",
    "tests/test_memory_bounds.py",
    "tests/test_shell.py",
]


def floors():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        name, floor = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement).groups()
        pins[name] = floor
    python = re.fullmatch(r">=(\d+\.\d+)", project["requires-python"]).group(1)
    return python, pins


def _release(text):
    parts = [int(part) for part in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def main(what):
    python, pins = floors()
    if what == "python":
        print(python)
    elif what == "constraints":
        for name, floor in pins.items():
            print(f"{name}=={floor}")
    elif what == "check":
        have = ".".join(map(str, sys.version_info[:2]))
        wrong = [f"python {have} (wants {python})"] if have != python else []
        for name, floor in pins.items():
            if _release(version(name)) != _release(floor):
                wrong.append(f"{name} {version(name)} (wants {floor})")
        if wrong:
            sys.exit("not the oldest supported versions: " + ", ".join(wrong))
        print("oldest supported versions:", f"python {have},",
              ", ".join(f"{name} {version(name)}" for name in pins))
    elif what == "pytest-args":
        print(" ".join(f"--deselect={test}" if "::" in test else f"--ignore={test}"
                       for test in SKIPPED))
    else:
        sys.exit(f"unknown command {what!r}")


if __name__ == "__main__":
    main(sys.argv[1])
