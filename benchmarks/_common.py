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
