"""Helpers shared by the benchmark scripts: paired timing, slopes, machine."""

import datetime
import os
import platform
import time

import numpy as np


def paired_medians(funcs, repeats):
    """Median wall time of each function, run in turn ``repeats`` times.

    The functions are interleaved (a, b, c, a, b, c, ...) so that load from
    other work on a shared machine hits them alike; ratios of the medians
    are what to quote.

    Parameters
    ----------
    funcs : dict of str -> callable
    repeats : int

    Returns
    -------
    medians : dict of str -> float (seconds)
    """
    times = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


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
