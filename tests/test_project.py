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


def _demo(*args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "skhopfield", *args],
        capture_output=True,
        text=True,
        check=check,
        cwd=ROOT,
    )


def _table(out, header):
    """Rows of the table whose header line starts with ``header``, split in cells."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(line)
    return rows


def _percent(cell):
    return float(cell.rstrip("%"))


def test_readme_gives_the_demo_test_and_docs_commands_that_ci_runs():
    commands = _readme_commands()
    demo = [c for c in commands if "-m skhopfield" in c and "--help" not in c]
    tests = [c for c in commands if "pytest" in c]
    docs = [c for c in commands if "sphinx" in c]
    assert len(demo) == 1 and len(tests) == 1 and len(docs) == 1
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert demo[0] in ci
    assert tests[0] in ci
    assert docs[0] in ci
    assert "-W" in docs[0].split()  # warnings are errors


def test_ci_runs_exactly_the_readme_commands_in_order_then_the_oldest_versions():
    # The README's commands, in the README's order, in one fresh venv, with
    # nothing installed in between: the first "pip install" of .ci/run is the
    # demo's, and every one up to the docs build is a README command.  What
    # comes after (the oldest-versions job) runs in a second venv.
    commands = [c for c in _readme_commands() if "--help" not in c]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    installs = [line for line in ci if "pip install" in line and "--upgrade pip" not in line]
    assert installs[: len(commands)] == commands
    last = ci.index(commands[-1])
    assert "deactivate" in ci[last:]
    assert ci.index("deactivate", last) < ci.index(installs[len(commands)])
    # the temporary directory (both venvs) goes, whatever happens
    assert any(line.startswith("trap ") and "rm -rf" in line for line in ci)


@pytest.fixture(scope="module")
def demo_run():
    return _demo("--n-cues", "20")


@pytest.fixture(scope="module")
def demo_output(demo_run):
    return demo_run.stdout


def test_demo_runs_clean(demo_run):
    # the first thing a new user runs: no warning of any kind on stderr
    # (the learned memory's training converges within max_fit_iter)
    assert "Warning" not in demo_run.stderr, demo_run.stderr


def test_demo_runs_and_recalls(demo_output):
    out = demo_output
    assert "pseudoinverse" in out
    row = next(line for line in out.splitlines() if line.startswith("pseudoinverse "))
    assert float(row.split()[2].rstrip("%")) > 90.0


def test_demo_recall_table_covers_the_three_memories(demo_output):
    rows = {r.split()[0]: r.split() for r in _table(demo_output, "memory ")}
    assert set(rows) == {"hebbian", "storkey", "pseudoinverse", "dense", "modern"}
    assert rows["hebbian"][1] == "0/5"  # the correlated glyphs defeat the Hebbian rule
    for name in ("pseudoinverse", "dense", "modern"):
        assert rows[name][1] == "5/5"
        assert _percent(rows[name][2]) > 90.0  # exact recall
        assert _percent(rows[name][3]) > 90.0  # label accuracy
    assert _percent(rows["hebbian"][2]) < 10.0


def test_demo_picture_shows_cue_and_completions(demo_output):
    lines = demo_output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("stored"))
    titles = lines[start].split()
    # one column per row of the recall table (storkey included)
    assert titles == ["stored", "cue", "hebbian", "storkey", "pinv", "dense", "modern"]
    width = lines[start + 1].index(" ") + 2  # one 10-pixel block plus the gap
    block = [line for line in lines[start + 1 : start + 11]]
    columns = [
        ["".join(row[k * width : k * width + 10]) for row in block]
        for k in range(len(titles))
    ]
    stored, cue = columns[0], columns[1]
    assert all(set(r) <= {"#", "."} and len(r) == 10 for c in columns for r in c)
    assert stored[0] == "########.." and stored != cue  # the glyph P, corrupted
    for name in ("pinv", "dense", "modern"):
        assert columns[titles.index(name)] == stored
    assert columns[titles.index("hebbian")] != stored


def test_demo_compares_with_knn_on_binarized_digits(demo_output):
    out = demo_output
    assert "== Classification on digits" in out
    assert "binarized at 0" in out
    rows = {
        r[:36].strip(): [float(x.rstrip("%")) for x in r[36:].split()]
        for r in _table(out, "estimator ")
    }
    assert set(rows) == {
        "HopfieldMemory (binarized)",
        "DenseAssociativeMemory (binarized)",
        "ModernHopfieldClassifier",
        "ModernHopfield, learned 5/class",
        "KNeighborsClassifier",
    }
    for accuracy, fit_time, predict_time in rows.values():
        assert 0.0 <= accuracy <= 100.0 and fit_time >= 0.0 and predict_time >= 0.0
    assert rows["KNeighborsClassifier"][0] > 90.0
    assert rows["ModernHopfieldClassifier"][0] > 90.0
    assert rows["ModernHopfield, learned 5/class"][0] > 90.0
    assert rows["DenseAssociativeMemory (binarized)"][0] > 80.0


def test_demo_explains_only_the_memories_it_shows(demo_output):
    assert "CapacityWarning for hebbian" in demo_output  # said, not a traceback
    for selected, absent in [
        ("dense", ("HopfieldMemory", "hebbian", "Storkey", "modern")),
        ("modern", ("HopfieldMemory", "Hebbian", "dense", "Dense")),
        ("hopfield", ("dense", "Dense", "modern", "Modern")),
    ]:
        proc = _demo("--n-cues", "2", "--estimators", selected, "--dataset", "iris")
        part = proc.stdout.split("== Classification")[0]
        assert proc.stderr == ""
        text = part.split("\n\n")[2]  # the paragraph under the picture
        assert selected in text or "HopfieldMemory" in text
        for word in absent:
            assert word not in text, (selected, word, text)


def test_demo_selects_dataset_and_estimators():
    out = _demo("--dataset", "iris", "--estimators", "knn,glvq").stdout
    assert "Pattern completion" not in out  # no memory selected
    assert "binarized" not in out
    rows = [r[:36].strip() for r in _table(out, "estimator ")]
    assert rows == ["KNeighborsClassifier", "GLVQClassifier"]
    assert "== Classification on iris" in out


def test_demo_shows_the_bidirectional_memory_on_request():
    out = _demo("--estimators", "bam", "--n-cues", "20").stdout
    assert "Classification" not in out  # bam is in the completion part only
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("stored"))
    assert lines[start].split() == ["stored", "cue", "bam"]
    stored, recalled = (
        [line.split()[k] for line in lines[start + 1 : start + 11]] for k in (0, 2)
    )
    assert recalled == stored  # the corrupted P completed
    row = next(r.split() for r in _table(out, "memory ") if r.startswith("bam"))
    assert _percent(row[2]) > 80.0 and _percent(row[3]) > 90.0


def test_demo_mask_hides_pixels_that_the_memories_fill_in():
    out = _demo(
        "--estimators", "hopfield,dense,modern", "--mask", "0.5", "--noise", "0",
        "--n-cues", "10",
    ).stdout
    assert "skipped with --mask" not in out  # every memory takes missing values
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("stored"))
    assert lines[start].split() == [
        "stored", "cue", "hebbian", "storkey", "pinv", "dense", "modern"
    ]
    picture = [line.split() for line in lines[start + 1 : start + 11]]
    cue = "".join(row[1] for row in picture)
    assert cue.count("?") == 50  # half of the 100 pixels hidden
    stored = "".join(row[0] for row in picture)
    for k in range(2, 7):  # every visible pixel clamped
        shown = "".join(row[k] for row in picture)
        assert all(c == s for c, s in zip(cue, shown) if c != "?")
    rows = {r.split()[0]: r.split() for r in _table(out, "memory ")}
    assert set(rows) == {"hebbian", "storkey", "pseudoinverse", "dense", "modern"}
    assert "hidden right" in next(line for line in lines if line.startswith("memory "))
    # the dense memory completes the hidden half; the Hebbian one cannot
    assert _percent(rows["dense"][-1]) > 95.0 and _percent(rows["dense"][2]) > 90.0
    assert _percent(rows["modern"][-1]) > 95.0 and _percent(rows["modern"][2]) > 90.0
    assert _percent(rows["hebbian"][2]) < _percent(rows["dense"][2])
    assert "".join(row[5] for row in picture) == stored


def test_demo_help_lists_the_options():
    out = _demo("--help").stdout
    for option in (
        "--dataset",
        "--estimators",
        "--n-jobs",
        "--noise",
        "--mask",
        "--n-cues",
        "--seed",
    ):
        assert option in out
    assert "BidirectionalAssociativeMemory" in out
    assert "ModernHopfieldRegressor" in out


def test_demo_regression_table_on_request():
    out = _demo("--estimators", "regressor").stdout
    assert "Classification" not in out and "Pattern completion" not in out
    rows = {r[:40].strip(): r[40:].split() for r in _table(out, "estimator ")}
    assert set(rows) == {
        "ModernHopfieldRegressor(beta='learn')",
        "KNeighborsRegressor (k=5)",
        "KNeighborsRegressor (k=20)",
    }
    # the kernel regression is no worse than plain 5-NN on this split
    r2 = {name: float(cells[0]) for name, cells in rows.items()}
    assert r2["ModernHopfieldRegressor(beta='learn')"] >= r2["KNeighborsRegressor (k=5)"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--noise", "0.9"], "--noise"),
        (["--mask", "1.5"], "--mask"),
        (["--mask", "-0.1"], "--mask"),
        (["--n-cues", "0"], "--n-cues"),
        (["--bogus"], "unrecognized arguments"),
        (["--dataset", "mnist"], "invalid choice"),
        (["--estimators", "hopfield,foo"], "unknown estimator(s) foo"),
        (["--estimators", ","], "--estimators is empty"),
        (["--n-jobs", "0"], "--n-jobs"),
        (["--n-jobs", "two"], "invalid int value"),
    ],
)
def test_demo_rejects_bad_options(args, message):
    proc = _demo(*args, check=False)
    assert proc.returncode == 2
    assert "error" in proc.stderr and message in proc.stderr
    assert proc.stdout == ""


def _readme_python_blocks():
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.+?)```", readme, re.S)


@pytest.fixture(scope="module")
def readme_runs():
    """Each README Python block run alone, in a fresh namespace (a reader may
    copy any one of them): ``(namespace, printed lines)`` per block."""
    import contextlib
    import io

    runs = []
    for block in _readme_python_blocks():
        namespace, out = {}, io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
        runs.append((namespace, out.getvalue().splitlines()))
    return runs


def test_readme_python_examples_each_run_alone(readme_runs):
    assert len(readme_runs) >= 3
    printed = [lines for _, lines in readme_runs]
    assert printed[0][0] == "1.0"  # the Storkey example recalls every pattern
    assert float(printed[1][0]) >= 0.99  # the exponential memory recalls 1000 patterns
    learned = next(ns for ns, _ in readme_runs if "learned" in ns)
    shape = learned["learned"][-1].patterns_.shape
    assert f"{shape}" == printed[3][0] == "(50, 64)"  # 5 learned patterns per class
    assert printed[4][0] == "1.0"  # half-masked cues completed, the rest clamped


def test_readme_beta_grid_brackets_the_optimum(readme_runs):
    # The grid-search block picks a value inside its grid (not an edge, which
    # would say the optimum may lie outside) that scores at least as well as
    # the untuned default, on the same folds.
    from sklearn.model_selection import cross_val_score

    namespace = next(ns for ns, _ in readme_runs if "search" in ns)
    search = namespace["search"]
    ((name, values),) = namespace["grid"].items()
    best = search.best_params_[name]
    assert values[0] < best < values[-1], (best, values)
    default = cross_val_score(namespace["pipe"], namespace["X"], namespace["y"])
    assert search.best_score_ >= default.mean()


def test_readme_names_every_interaction_of_the_dense_memory():
    from skhopfield._dense import INTERACTIONS

    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `DenseAssociativeMemory`"))
    assert set(re.findall(r'`"(\w+)"`', row)) == set(INTERACTIONS)
