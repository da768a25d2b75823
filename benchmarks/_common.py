"""Helpers shared by the benchmark scripts: paired timing, slopes, machine."""

import datetime
import importlib.util
import os
import platform
import sys
import time

import numpy as np


def paired_times(funcs, repeats, rotate=True):
    """Wall times of each function, run in turn ``repeats`` times.

    The functions are interleaved (a, b, c, a, b, c, ...) so that load from
    other work on a shared machine hits them alike; with ``rotate`` the
    starting function moves by one each repeat (b, c, a, ...), so none
    always runs first.

    Parameters
    ----------
    funcs : dict of str -> callable
    repeats : int
    rotate : bool

    Returns
    -------
    times : dict of str -> ndarray of shape (repeats,) (seconds)
    """
    names = list(funcs)
    times = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names) if rotate else 0
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            funcs[name]()
            times[name].append(time.perf_counter() - start)
    return {name: np.array(t) for name, t in times.items()}


def paired_medians(funcs, repeats):
    """Median wall time of each function, interleaved as in ``paired_times``.

    Ratios of the medians are what to quote.

    Returns
    -------
    medians : dict of str -> float (seconds)
    """
    times = paired_times(funcs, repeats, rotate=False)
    return {name: float(np.median(t)) for name, t in times.items()}


def paired_ratio(times, num, den):
    """Median over repeats of the ratio of two functions' times in one repeat.

    Runs of one repeat are made back to back, so this cancels the slow drift
    of the load on a shared machine better than the ratio of medians.
    """
    return float(np.median(times[num] / times[den]))


def load_baseline(path, name="skhopfield_baseline"):
    """The ``skhopfield`` package found under ``path``, imported as ``name``.

    Lets a benchmark time another version of the code (say ``main`` before a
    change) side by side with the working tree's, in one process: make a
    copy of that version's package first, e.g.
    ``mkdir -p /tmp/base && git archive main skhopfield | tar -x -C /tmp/base``
    (or a ``git worktree``), then pass ``/tmp/base``.  The package imports
    its own modules relatively, so the copy is self-contained; its module
    state (caches, BLAS limiter) is its own.
    """
    init = os.path.join(path, "skhopfield", "__init__.py")
    if not os.path.isfile(init):
        raise FileNotFoundError(f"no skhopfield package under {path!r}")
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[os.path.dirname(init)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def loglog_slope(xs, ys):
    """Least-squares slope of log(y) against log(x)."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def machine():
    """One line describing where the numbers were taken."""
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
            for i in threadpool_info()
            if i["user_api"] == "blas"
        )
    except Exception:  # pragma: no cover - informational only
        blas = "unknown BLAS"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{datetime.date.today()} | {os.cpu_count()} cores, load {load:.1f} | "
        f"Python {platform.python_version()}, numpy {np.__version__}, {blas}"
    )


def cpu_model():
    """The CPU model named in ``/proc/cpuinfo`` (or ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or platform.machine()


def git_commit():
    """``(commit, dirty)`` of the repository the benchmarks run from."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = bool(subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
            capture_output=True, text=True, check=True,
        ).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown", None
    return commit, dirty


_ENVIRONMENT = {}


def environment():
    """Where and on what the numbers were taken, as a dict (for the JSON).

    Taken once, at the first call (a benchmark's ``harness_line``, before it
    measures anything): the commit and the load are those at the start.
    """
    if not _ENVIRONMENT:
        _ENVIRONMENT.update(_environment_now())
    return dict(_ENVIRONMENT)


def _environment_now():
    import scipy
    import sklearn

    import skhopfield

    try:
        from threadpoolctl import threadpool_info

        blas = [
            f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
            for i in threadpool_info()
            if i["user_api"] == "blas"
        ]
    except Exception:  # pragma: no cover - informational only
        blas = []
    commit, dirty = git_commit()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_average_1_5_15": None if load is None else [round(v, 2) for v in load],
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "skhopfield": skhopfield.__version__,
        "blas": blas,
        "commit": commit,
        "uncommitted_changes": dirty,
        "command": "PYTHONPATH=.:benchmarks python " + " ".join(sys.argv),
    }


def harness_line(harness):
    """The first lines a benchmark prints: the machine and how it measures."""
    env = environment()
    return (
        f"# {env['date_utc']} UTC | {env['cpu']}, {env['cores']} cores, load "
        f"{env['load_average_1_5_15']} | Python {env['python']}, numpy {env['numpy']}, "
        f"scipy {env['scipy']}, scikit-learn {env['scikit-learn']} | commit "
        f"{env['commit']}{' (+ uncommitted changes)' if env['uncommitted_changes'] else ''}\n"
        f"# harness: {harness}"
    )


def write_results(path, name, harness, data):
    """Write a benchmark's machine-readable results (read by ``report.py``).

    The file holds ``name``, the ``environment()`` (machine, load, library
    versions, commit, command), the ``harness`` (how it measures and what
    runs in between) and the benchmark's own ``data``.
    """
    import json

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    env = environment()
    if hasattr(os, "getloadavg"):
        env["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    record = {"benchmark": name, "environment": env, "harness": harness,
              "source": "measured", "data": data}
    with open(path, "w") as f:
        json.dump(record, f, indent=1, default=float)
        f.write("\n")
    print(f"# results written to {path}")
