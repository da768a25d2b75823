"""Rerun the benchmarks of the documentation and render their plots and tables.

    python benchmarks/report.py                 # render only, from the JSON
    python benchmarks/report.py --run           # rerun accuracy and capacity, render
    python benchmarks/report.py --run --timings # also rerun the timing benchmarks
    python benchmarks/report.py --run --quick   # reduced sizes, into benchmarks/results/quick/

Every benchmark script writes its results as JSON (``benchmarks/results/
<name>.json``: the data, the machine and its load, the library versions,
the commit, the command and the harness).  This script reads them and
writes, into ``--out`` (default ``docs/benchmark_results/``, which the
documentation page "Benchmarks" includes): a PNG plot and a CSV table per
result, and a ``<name>_env.txt`` fragment naming where and how the numbers
were taken.  The documentation build runs no benchmark: commit the rendered
files.

``--run`` reruns the benchmarks whose results do not depend on the load of
the machine (``accuracy.py``, ``capacity.py``, and the reproductions of the
page "Reproductions": ``feature_prototype.py``, ``exact_retrieval.py``,
``separation_capacity.py``) first.  The timing
benchmarks (``predict_vs_knn.py``, ``dense_vs_knn.py``) are rerun only with
``--timings``: run that on a quiet machine (nothing else running), or their
figures will say more about the load than about the code.  ``--quick``
passes ``--quick`` to each (fewer sizes, see each script's ``--help``) and
keeps its JSON and renders under ``benchmarks/results/quick/``, leaving the
documentation's files alone.
"""

import argparse
import csv
import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOAD_FREE = ["accuracy", "capacity"]
#: The reproductions of papers' results (the page "Reproductions"): no timing.
REPRODUCTIONS = ["feature_prototype", "exact_retrieval", "separation_capacity"]
TIMINGS = ["predict_vs_knn", "dense_vs_knn", "separation_speed"]
#: Drawn from their JSON, not rerun by ``--run``:
#: ``imputation.py --separations --no-timing`` writes imputation_separations.
RENDER_ONLY = ["imputation_separations"]
#: The arguments ``--run`` passes, beyond ``--json`` (and ``--quick``): what
#: the documentation's tables show.
RUN_ARGS = {
    "accuracy": ["--separations", "--learned", "--learned-datasets", "digits", "wine",
                 "breast_cancer", "--learned-prototypes", "1", "5"],
}


def run(names, results_dir, quick):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT, os.path.join(ROOT, "benchmarks"), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    for name in names:
        cmd = [sys.executable, os.path.join("benchmarks", f"{name}.py"),
               "--json", os.path.relpath(os.path.join(results_dir, f"{name}.json"), ROOT)]
        cmd += RUN_ARGS.get(name, [])
        if quick:
            cmd.append("--quick")
        print("$", " ".join(cmd), flush=True)
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def load(results_dir, name):
    path = os.path.join(results_dir, f"{name}.json")
    if not os.path.exists(path):
        print(f"no {path}: skipped")
        return None
    with open(path) as f:
        return json.load(f)


def rst_escape(text):
    return "".join("\\" + c if c in "\\*`_|" else c for c in str(text))


def write_env(out, name, record):
    """An rst field list: where, on what and how the numbers were taken."""
    if "environment" not in record:  # older records: a machine line and the commit
        lines = [
            f":Command: ``PYTHONPATH=. python {record.get('harness', '')}``",
            f":Machine: {rst_escape(record.get('machine', ''))}",
            f":Commit: ``{record.get('commit', 'unknown')}``",
        ]
        with open(os.path.join(out, f"{name}_env.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        return
    env = record["environment"]
    load = env.get("load_average_1_5_15")
    load_text = "not recorded" if not load else ", ".join(
        "-" if v is None else f"{v:g}" for v in load)
    end = env.get("load_average_at_end")
    if end:
        load_text += " at the start; " + ", ".join(f"{v:g}" for v in end) + " at the end"
    commit = env.get("commit", "unknown")
    if env.get("uncommitted_changes"):
        commit += " (with uncommitted changes; the library code is that commit's)"
    blas = "; ".join(env.get("blas") or []) or "not recorded"
    lines = [
        f":Command: ``{env.get('command', '')}``",
        f":Date (UTC): {rst_escape(env.get('date_utc', ''))}",
        f":Machine: {rst_escape(env.get('cpu', ''))}, {env.get('cores')} cores; load "
        f"average (1, 5, 15 min): {load_text}",
        f":Libraries: Python {env.get('python')}, numpy {env.get('numpy')}, scipy "
        f"{rst_escape(env.get('scipy'))}, scikit-learn {env.get('scikit-learn')}, "
        f"skhopfield {rst_escape(env.get('skhopfield'))}; BLAS: {rst_escape(blas)}",
        f":Commit: ``{commit}``" if " " not in commit else f":Commit: {rst_escape(commit)}",
        f":Harness: {rst_escape(record.get('harness', ''))}",
        f":Source: {rst_escape(record.get('source', 'measured'))}",
    ]
    with open(os.path.join(out, f"{name}_env.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def mean_std(scores):
    n = len(scores)
    m = sum(scores) / n
    return m, math.sqrt(sum((s - m) ** 2 for s in scores) / n)


ACCURACY_SHOWN = [
    ("Modern (beta)", "ModernHopfieldClassifier, beta searched"),
    ("Modern default", "ModernHopfieldClassifier, beta='auto'"),
    ("KNN (k)", "KNN, k searched"),
    ("KNN default (k=5)", "KNN, k=5"),
    ("GLVQ (prototypes)", "GLVQ, prototypes searched"),
    ("Dense exp beta=1", "DenseAssociativeMemory, exponential (binarized)"),
    ("Hopfield pseudoinverse", "HopfieldMemory, pseudo-inverse (binarized)"),
    ("Dense poly n=3", "DenseAssociativeMemory, order 3 (binarized)"),
    ("Hopfield hebbian", "HopfieldMemory, Hebbian (binarized)"),
]

# Table only (not drawn): the other separations and similarities, when run
# (``accuracy.py --separations`` / ``--similarities``).
ACCURACY_TABLE_ONLY = [
    ("Modern sparsemax (beta)", "ModernHopfieldClassifier, sparsemax, beta searched"),
    ("Modern entmax 1.5 (beta)", "ModernHopfieldClassifier, entmax 1.5, beta searched"),
    ("Modern polynomial 3 (beta)",
     "ModernHopfieldClassifier, polynomial order 3, beta searched"),
    ("Modern max (1-NN)", "ModernHopfieldClassifier, max (1-nearest neighbour)"),
    ("Modern manhattan sparsemax (beta)",
     "ModernHopfieldClassifier, manhattan, sparsemax, beta searched"),
    ("Modern dot (beta)", "ModernHopfieldClassifier, dot, beta searched"),
    ("Modern cosine (beta)", "ModernHopfieldClassifier, cosine, beta searched"),
    ("Modern manhattan (beta)", "ModernHopfieldClassifier, manhattan, beta searched"),
]

# Part 3 (learned memories), in this order when present.
LEARNED_SHOWN = [
    ("Modern learned (k, beta learn)", "learned prototypes, softmax"),
    ("Modern learned sparsemax (k, beta learn)", "learned prototypes, sparsemax"),
    ("Modern learned entmax 1.5 (k, beta learn)", "learned prototypes, entmax 1.5"),
    ("Modern learned polynomial 3 (k, beta learn)",
     "learned prototypes, polynomial order 3"),
    ("Modern learned max (k, beta auto)", "learned prototypes, max (beta auto)"),
    ("Modern learned manhattan (k, beta learn)", "learned prototypes, manhattan, softmax"),
    ("Modern learned + map (k, n_components)", "learned prototypes and map, softmax"),
    ("Modern all rows (beta grid)", "every row stored, beta searched"),
    ("Modern all rows, beta learn (LOO)", "every row stored, beta learned (leave one out)"),
    ("GLVQ (k)", "GLVQ, prototypes searched"),
    ("KNN (n_neighbors)", "KNN, k searched"),
]


def write_summary(out, name, lines):
    """An rst bullet list of what the figure shows, written from the numbers."""
    with open(os.path.join(out, f"{name}_summary.txt"), "w") as f:
        f.write("\n".join(f"- {line}" for line in lines) + "\n")


def points(a, b):
    return f"{100 * (a - b):+.1f}"


def render_accuracy(plt, record, out):
    data = record["data"]
    cls = data.get("classification")
    if cls:
        summary = []
        for d, entry in cls["datasets"].items():
            sc = {k: mean_std(v)[0] for k, v in entry["scores"].items()}
            best = max(sc, key=sc.get)
            summary.append(
                f"{d}: ModernHopfieldClassifier (beta searched) {100 * sc['Modern (beta)']:.1f}%, "
                f"{points(sc['Modern (beta)'], sc['KNN (k)'])} points against KNN (k "
                f"searched, {100 * sc['KNN (k)']:.1f}%) and "
                f"{points(sc['Modern (beta)'], sc['GLVQ (prototypes)'])} against GLVQ "
                f"({100 * sc['GLVQ (prototypes)']:.1f}%); ``beta='auto'`` without search "
                f"{100 * sc['Modern default']:.1f}%; best of all: {rst_escape(best)} "
                f"({100 * sc[best]:.1f}%)."
            )
        seps = [(k, v) for k, v in ACCURACY_TABLE_ONLY if k in cls["models"]]
        if seps:
            for d, entry in cls["datasets"].items():
                sc = {k: mean_std(v)[0] for k, v in entry["scores"].items()}
                summary.append(
                    f"{d}, other separations and similarities against softmax "
                    f"({100 * sc['Modern (beta)']:.1f}%): "
                    + ", ".join(f"{rst_escape(k[len('Modern '):])} {100 * sc[k]:.1f}%"
                                for k, _ in seps) + ".")
        write_summary(out, "accuracy", summary)
        datasets = list(cls["datasets"])
        shown = [(k, v) for k, v in ACCURACY_SHOWN if k in cls["models"]]
        cells = {}
        for key, label in seps:
            cells[label] = [
                "{:.3f} ± {:.3f}".format(*mean_std(cls["datasets"][d]["scores"][key]))
                for d in datasets]
        fig, ax = plt.subplots(figsize=(8, 5.4))
        width = 0.8 / len(shown)
        for j, (key, label) in enumerate(shown):
            means, stds = [], []
            for d in datasets:
                m, s = mean_std(cls["datasets"][d]["scores"][key])
                means.append(m)
                stds.append(s)
                cells.setdefault(label, []).append(f"{m:.3f} ± {s:.3f}")
            xs = [i + (j - (len(shown) - 1) / 2) * width for i in range(len(datasets))]
            ax.bar(xs, means, width, yerr=stds, label=label, capsize=2)
        ax.set_xticks(range(len(datasets)), datasets)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("accuracy (mean of 5 outer folds)")
        ax.set_title("Nested cross-validated accuracy; bars: std over the folds",
                     fontsize=9)
        fig.tight_layout(rect=(0, 0.22, 1, 1))
        fig.legend(*ax.get_legend_handles_labels(), fontsize=7, ncol=2, loc="lower center")
        fig.savefig(os.path.join(out, "accuracy.png"), dpi=110)
        plt.close(fig)
        order = [v for _, v in shown] + [v for _, v in seps]
        write_csv(os.path.join(out, "accuracy.csv"), ["model"] + datasets,
                  [[label] + cells[label] for label in order])
    lrn = data.get("learned")
    if lrn:
        render_learned(lrn, data.get("grids", {}), out)
    comp = data.get("completion")
    if comp:
        ks = comp["per_class"]
        fig, axes = plt.subplots(1, 2, figsize=(8, 4.0), sharex=True)
        rows = []
        for m in comp["models"]:
            axes[0].plot([10 * k for k in ks], comp["recall"][m], marker="o", label=m)
            axes[1].plot([10 * k for k in ks], comp["label"][m], marker="o", label=m)
            rows.append([m] + [f"{r:.3f} / {a:.3f}"
                               for r, a in zip(comp["recall"][m], comp["label"][m])])
        axes[0].set_ylabel("stored digits recalled exactly")
        axes[1].set_ylabel("held-out digits labelled")
        for ax in axes:
            ax.set_xscale("log")
            ax.set_xlabel("digits stored (10 classes)")
            ax.set_ylim(-0.03, 1.03)
        fig.suptitle("Binarized digits (64 bits), cues with 10% of the bits flipped",
                     fontsize=9)
        fig.tight_layout(rect=(0, 0.14, 1, 1))
        fig.legend(*axes[1].get_legend_handles_labels(), fontsize=7, ncol=4,
                   loc="lower center")
        fig.savefig(os.path.join(out, "completion.png"), dpi=110)
        plt.close(fig)
        write_csv(os.path.join(out, "completion.csv"),
                  ["model"] + [f"{10 * k} stored" for k in ks], rows)
        last = 10 * ks[-1]
        rec = {m: comp["recall"][m][-1] for m in comp["models"]}
        lab = {m: comp["label"][m][-1] for m in comp["models"]}
        good = sorted((m for m in rec if rec[m] >= 0.9), key=lambda m: -rec[m])
        none = [m for m in rec if rec[m] == 0.0]
        summary = [
            f"at {last} stored digits, recalled exactly: "
            + ", ".join(f"{rst_escape(m)} {rec[m]:.3f}" for m in good)
            + (f"; none at all: {', '.join(rst_escape(m) for m in none)}" if none else ""),
            f"labels of held-out digits at {last} stored: "
            + ", ".join(f"{rst_escape(m)} {lab[m]:.3f}"
                        for m in sorted(lab, key=lambda m: -lab[m])),
        ]
        write_summary(out, "completion", summary)


def render_learned(lrn, grids, out):
    """Part 3 of accuracy.py: a table (``learned.csv``) and a summary."""
    datasets = list(lrn)
    models = [(k, v) for k, v in LEARNED_SHOWN if all(k in lrn[d] for d in datasets)]
    rows = [[label] + ["{:.3f} ± {:.3f}".format(*mean_std(lrn[d][key])) for d in datasets]
            for key, label in models]
    write_csv(os.path.join(out, "learned.csv"), ["model"] + datasets, rows)
    summary = []
    grid = grids.get("learned_prototypes_per_class")
    if grid:
        summary.append(f"prototypes per class searched over {grid}.")
    for d in datasets:
        sc = {k: mean_std(lrn[d][k])[0] for k, _ in models}
        best = max(sc, key=sc.get)
        label = dict(models)[best]
        summary.append(f"{d}: best {rst_escape(label)} ({100 * sc[best]:.1f}%); "
                       + "; ".join(f"{rst_escape(v)} {100 * sc[k]:.1f}%"
                                   for k, v in models if k != best) + ".")
    write_summary(out, "learned", summary)


def render_speed(plt, record, out):
    rows = record["data"]["rows"]
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.0), sharex=True)
    styles = {"float64": "-", "float32": "--"}
    colors = {("clustered", "auto"): "C0", ("gaussian", "auto"): "C1",
              ("clustered", "1.0"): "C2", ("gaussian", "1.0"): "C3"}
    groups = {}
    for r in rows:
        groups.setdefault((r["dtype"], r["data"], str(r["beta"])), []).append(r)
    for (dtype, kind, beta), rs in sorted(groups.items()):
        rs = sorted(rs, key=lambda r: r["stored"])
        label = f"{dtype}, {kind}, beta={beta}"
        kw = dict(marker="o", linestyle=styles.get(dtype, "-"),
                  color=colors.get((kind, beta), None), label=label)
        if "ours_over_knn_paired" in rs[0]:
            axes[0].plot([r["stored"] for r in rs],
                         [r["ours_over_knn_paired"] for r in rs], **kw)
        axes[1].plot([r["stored"] for r in rs],
                     [r["ours_over_gemm_paired"] for r in rs], **kw)
    axes[0].set_ylabel("predict time / brute KNN predict")
    axes[1].set_ylabel("predict time / bare GEMM Q @ X.T")
    for ax in axes:
        ax.axhline(1.0, color="gray", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("stored patterns (784 features, 2,000 queries)")
        ax.set_ylim(bottom=0)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.suptitle("ModernHopfieldClassifier.predict, paired time ratios (below 1: faster)",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    fig.legend(handles, labels, fontsize=7, ncol=4, loc="lower center")
    fig.savefig(os.path.join(out, "speed.png"), dpi=110)
    plt.close(fig)
    header = ["stored", "dtype", "data", "beta", "ours (s)", "KNN (s)", "GEMM (s)",
              "ours/KNN", "ours/KNN paired", "ours/GEMM", "ours/GEMM paired",
              "accuracy ours", "accuracy KNN"]
    table = []
    for r in sorted(rows, key=lambda r: (r["stored"], r["dtype"], r["data"], str(r["beta"]))):
        def g(key, fmt="{:.3f}"):
            return fmt.format(r[key]) if key in r else "-"
        table.append([r["stored"], r["dtype"], r["data"], r["beta"], g("ours_s"),
                      g("knn_s"), g("gemm_s"), g("ours_over_knn", "{:.2f}"),
                      g("ours_over_knn_paired", "{:.2f}"), g("ours_over_gemm", "{:.2f}"),
                      g("ours_over_gemm_paired", "{:.2f}"), g("accuracy_ours"),
                      g("accuracy_knn")])
    write_csv(os.path.join(out, "speed.csv"), header, table)
    env = record["environment"]
    if record.get("source", "measured") != "measured":
        where = (f"These figures were measured on a quiet machine on {env['date_utc']} UTC, "
                 f"at commit ``{env['commit']}``, and are {rst_escape(record['source'])}.")
    else:
        load = env.get("load_average_1_5_15") or ["?"]
        where = (f"These figures were measured on {env['date_utc']} UTC at commit "
                 f"``{env['commit']}``, load average {load[0]} on {env['cores']} cores "
                 "(a load above the number of cores makes the ratios noisy).")
    summary = [where]
    for dtype in sorted({r["dtype"] for r in rows}):
        rs = [r for r in rows if r["dtype"] == dtype and "ours_over_knn_paired" in r]
        if rs:
            by = {}
            for r in rs:
                by.setdefault(r["stored"], []).append(r["ours_over_knn_paired"])
            summary.append(f"{dtype}, predict time over brute KNN (paired; range over "
                           "the data and beta): " + "; ".join(
                f"{min(v):.2f}-{max(v):.2f} at {n:,} stored" for n, v in sorted(by.items())))
        by = {}
        for r in rows:
            if r["dtype"] == dtype:
                by.setdefault(r["stored"], []).append(r["ours_over_gemm_paired"])
        summary.append(f"{dtype}, over the bare product: " + "; ".join(
            f"{min(v):.2f}-{max(v):.2f} at {n:,} stored" for n, v in sorted(by.items())))
    write_summary(out, "speed", summary)


def render_dense_speed(record, out):
    rows = record["data"]["rows"]
    header = ["interaction", "transform (s)", "1-NN predict (s)", "transform / 1-NN",
              "transform / 1-NN paired", "fit (s)", "GEMM X @ X.T (s)", "fit / GEMM",
              "cues recalled exactly"]
    write_csv(os.path.join(out, "dense_speed.csv"), header, [
        [r["interaction"], f"{r['transform_s']:.3f}", f"{r['knn_1nn_s']:.3f}",
         f"{r['transform_over_knn']:.2f}", f"{r['transform_over_knn_paired']:.2f}",
         f"{r['fit_s']:.3f}", f"{r['gemm_s']:.3f}", f"{r['fit_over_gemm']:.2f}",
         f"{r['recalled_exactly']:.3f}"] for r in rows])
    write_summary(out, "dense_speed", [
        f"{r['interaction']}: ``transform`` takes {r['transform_over_knn_paired']:.1f} times "
        f"the 1-NN ``predict`` (it runs sweeps of the dynamics, not one product) and "
        f"``fit`` {r['fit_over_gemm_paired']:.2f} times the product ``X @ X.T``; "
        f"{r['recalled_exactly']:.1%} of the cues recalled exactly." for r in rows])


def render_separation_speed(record, out):
    """predict with each separation against softmax's, side by side."""
    data = record["data"]
    seps = data["separations"]
    header = ["separation", "predict (s)", "/ softmax (ratio of medians)",
              "/ softmax (median of paired ratios)", "mean support", "accuracy"]
    write_csv(os.path.join(out, "separation_speed.csv"), header, [
        [name, f"{r['median_s']:.3f}", f"{r['ratio_of_medians']:.2f}",
         f"{r['median_ratio']:.2f}", f"{r['mean_support_first_200']:.1f}",
         f"{r['accuracy']:.3f}"] for name, r in seps.items()])
    n, q, f = data["shape"]
    within = [k for k, r in seps.items() if k != "softmax" and r["ratio_of_medians"] <= 1.5]
    over = [f"{k} ({r['ratio_of_medians']:.2f})" for k, r in seps.items()
            if r["ratio_of_medians"] > 1.5]
    write_summary(out, "separation_speed", [
        f"{n:,} stored x {q:,} cues x {f} features, {data['dtype']}: within 1.5 times "
        f"softmax's ``predict``: {', '.join(within) or 'none'}; above: "
        f"{', '.join(over) or 'none'}.",
        "The support is the mean number of stored patterns of nonzero weight per cue "
        "(of the first 200 cues, at most 200 counted); accuracy is on this synthetic "
        "problem at ``beta=\"auto\"``, which is tuned for softmax (a sparse separation "
        "wants a smaller ``beta``).",
    ])


IMPUTERS_SHOWN = [
    ("knn_tuned", "KNN (tuned)"), ("iterative", "iterative"),
    ("hopfield_learn", "softmax"), ("hopfield_sparsemax", "sparsemax"),
    ("hopfield_entmax", "entmax 1.5"), ("hopfield_max", "max (1-NN)"),
    ("hopfield_manhattan", "manhattan softmax"),
    ("hopfield_manhattan_sparsemax", "manhattan sparsemax"),
]


def render_imputation_separations(record, out):
    """HopfieldImputer's separations and similarities: RMSE per data set
    (averaged over the missingness patterns) and downstream accuracy."""
    rows = record["rmse"]
    names = list(dict.fromkeys(r["dataset"] for r in rows))
    header = ["data"] + [label for _, label in IMPUTERS_SHOWN]
    table = []
    for name in names:
        mine = [r for r in rows if r["dataset"] == name]
        table.append([name] + [
            f"{sum(r[key] for r in mine) / len(mine):.3f}" for key, _ in IMPUTERS_SHOWN])
    table.append([f"all {len(rows)} cases"] + [
        f"{record['mean_rmse'][key]:.3f}" for key, _ in IMPUTERS_SHOWN])
    write_csv(os.path.join(out, "imputation_separations.csv"), header, table)
    acc = record.get("downstream_accuracy") or []
    write_csv(os.path.join(out, "imputation_separations_accuracy.csv"), header, [
        [r["dataset"]] + [f"{r[key]:.3f}" for key, _ in IMPUTERS_SHOWN] for r in acc])
    best = min(IMPUTERS_SHOWN[2:], key=lambda kv: record["mean_rmse"][kv[0]])
    wins = {label: sum(r[key] < r["knn_tuned"] for r in rows) for key, label in IMPUTERS_SHOWN[2:]}
    write_summary(out, "imputation_separations", [
        f"Lowest mean RMSE of the Hopfield imputers over the {len(rows)} cases: "
        f"{best[1]} ({record['mean_rmse'][best[0]]:.3f}; the tuned KNN imputer "
        f"{record['mean_rmse']['knn_tuned']:.3f}, IterativeImputer "
        f"{record['mean_rmse']['iterative']:.3f}).",
        "Cases where each beats the tuned KNN imputer: "
        + ", ".join(f"{label} {n}" for label, n in wins.items()) + ".",
    ])


def render_capacity(plt, record, out):
    theories = record["data"]["theories"]
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    rows = []
    markers = "osD^vP*X"
    all_n = set()
    for i, (key, entry) in enumerate(theories.items()):
        pts = [r for r in entry["rows"] if r["ratio"] is not None]
        if key == "demircigil":  # a lower bound far below: its own figure
            pts = []
        all_n.update(r["n_features"] for r in pts)
        label = f"{entry['label']} [{entry['criterion']}]"
        line, = ax.plot([r["n_features"] for r in pts], [r["ratio"] for r in pts],
                        marker=markers[i % len(markers)], label=label)
        bounds = [r for r in pts if r["status"] == "above"]
        if bounds:  # lower bounds: open markers
            ax.plot([r["n_features"] for r in bounds], [r["ratio"] for r in bounds],
                    linestyle="none", marker="^", markersize=10, markerfacecolor="none",
                    color=line.get_color())
        if not pts:
            line.remove()
        for r in entry["rows"]:
            m = "" if r["measured"] is None else f"{r['measured']:.1f}"
            rows.append([entry["label"], entry["criterion"], entry["level"],
                         r["n_features"], f"{r['theory']:.1f}",
                         (">= " if r["status"] == "above" else "") + m,
                         "" if r["ratio"] is None else f"{r['ratio']:.2f}"])
    ax.axhline(1.0, color="gray", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("neurons N")
    ax.set_ylabel("measured capacity / predicted capacity")
    ticks = []
    for n in sorted(all_n):  # none closer than 25% to the previous one
        if not ticks or n >= 1.25 * ticks[-1]:
            ticks.append(n)
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks([0.5, 0.7, 1.0, 1.5, 2.0, 3.0])
    ax.set_title("Each theory under its own criterion (open triangles: lower bounds)",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    fig.legend(*ax.get_legend_handles_labels(), fontsize=7, ncol=2, loc="lower center")
    fig.savefig(os.path.join(out, "capacity.png"), dpi=110)
    plt.close(fig)
    write_csv(os.path.join(out, "capacity.csv"),
              ["theory", "criterion", "level", "N", "predicted", "measured",
               "measured / predicted"], rows)
    summary = []
    for key, entry in theories.items():
        pts = [r for r in entry["rows"] if r["ratio"] is not None]
        if not pts:
            continue
        bound = " (lower bounds)" if all(r["status"] == "above" for r in pts) else ""
        summary.append(
            f"{rst_escape(entry['label'])}: measured / predicted "
            + ", ".join(f"{r['ratio']:.2f}" for r in pts)
            + f" at N = {', '.join(str(r['n_features']) for r in pts)}{bound}."
        )
    write_summary(out, "capacity", summary)
    exp = theories.get("demircigil")
    if exp:
        pts = [r for r in exp["rows"] if r["measured"] is not None]
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        ns = [r["n_features"] for r in pts]
        ax.plot(ns, [r["measured"] for r in pts], marker="o",
                label="measured P* (50% recalled exactly)")
        ax.plot(ns, [r["theory"] for r in pts], linestyle="--",
                label=f"exp(alpha N), alpha = {exp['alpha_theory']:.3f} (lower bound)")
        ax.plot(ns, [math.exp(2 * exp["alpha_theory"] * n) for n in ns], linestyle=":",
                color="k", label="exp(2 alpha N): one pattern at a time")
        if "alpha_measured" in exp and len(pts) >= 2:
            ax.lines[0].set_label(f"measured P* (50% recalled exactly); slope of ln P*: "
                                  f"{exp['alpha_measured']:.3f}")
        ax.set_yscale("log")
        ax.set_xlabel("neurons N")
        ax.set_ylabel("patterns stored")
        ax.set_title(f"Exponential dense memory, cues with {record['data']['flip']:.0%} "
                     "wrong bits", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "capacity_exponential.png"), dpi=110)
        plt.close(fig)
        lines = [
            "measured P*: " + ", ".join(f"{r['measured']:.0f} at N = {r['n_features']}"
                                        for r in pts)
            + f"; the lower bound exp(alpha N) with alpha = {exp['alpha_theory']:.3f}: "
            + ", ".join(f"{r['theory']:.0f}" for r in pts) + "."
        ]
        if "alpha_measured" in exp:
            lines.append(
                f"ln P* grows by {exp['alpha_measured']:.3f} per neuron (least-squares "
                f"slope): exponential growth, as predicted, at a rate above alpha = "
                f"{exp['alpha_theory']:.3f}, the rate of the bound for *every* pattern "
                f"at once, and near 2 alpha = {2 * exp['alpha_theory']:.3f}, the rate one "
                "expects for one pattern at a time, which is what P* measures (the "
                "union bound over all P patterns halves the exponent, as it halves "
                "McEliece et al.'s N / (2 ln N) to N / (4 ln N)).")
        write_summary(out, "capacity_exponential", lines)


def render_feature_prototype(plt, record, out):
    """Krotov & Hopfield's feature-to-prototype transition: curves, memories, table."""
    import numpy as np

    data = record["data"]
    rows = data["rows"]
    ways = list(dict.fromkeys(r["way"] for r in rows))
    ref = data["reference"]
    thr = data["threshold"]
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    panels = [
        ("frac_prototype", f"memories with max correlation >= {thr:g}"),
        ("outside", "memory pixels outside [0, 1]"),
        ("support", "memories with weight > 1e-3, per cue"),
    ]
    for ax, (key, label) in zip(axes, panels):
        for way in ways:
            pts = [r for r in rows if r["way"] == way]
            ax.plot([r["order"] for r in pts], [r[key] for r in pts], marker="o", label=way)
        ax.set_xscale("log")
        ax.set_xlabel("polynomial order n")
        ax.set_title(label, fontsize=9)
    kh = data.get("krotov_hopfield") or []
    trained = [r for r in kh if r["train_accuracy"] >= 0.5]
    if trained:
        for ax, key in ((axes[0], "frac_prototype"), (axes[2], "support")):
            ax.plot([r["order"] for r in trained], [r[key] for r in trained], marker="s",
                    color="k", label="their model (trained orders)")
    axes[0].axhline(ref["test_digits_frac_above_threshold"], color="grey", linestyle=":",
                    label="test digits")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "feature_prototype.png"), dpi=110)
    plt.close(fig)

    mem = data["memories"]
    ncols = int(np.ceil(len(mem) / 2)) if len(mem) > 4 else len(mem)
    nrows = int(np.ceil(len(mem) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.8 * ncols, 3.0 * nrows))
    for ax in np.ravel(axes)[len(mem):]:
        ax.axis("off")
    for ax, (name, entry) in zip(np.ravel(axes), mem.items()):
        V = np.array([[float(v) for v in row.split()] if isinstance(row, str) else row
                      for row in entry["patterns"]])
        side = int(round(np.sqrt(V.shape[1])))
        labels = np.asarray(entry["labels"])
        order = np.argsort(labels, kind="stable")
        V = V[order]
        cols = int(np.ceil(len(V) / 10))
        rows_ = int(np.ceil(len(V) / cols))
        grid = np.full((rows_ * (side + 1), cols * (side + 1)), np.nan)
        for i, v in enumerate(V):
            r, c = divmod(i, cols)
            grid[r * (side + 1): r * (side + 1) + side,
                 c * (side + 1): c * (side + 1) + side] = v.reshape(side, side)
        lim = np.nanmax(np.abs(grid))
        ax.imshow(grid, cmap="bwr", vmin=-lim, vmax=lim)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    fig.suptitle("Learned memories, one row per class (blue < 0 < red)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "feature_prototype_memories.png"), dpi=110)
    plt.close(fig)

    write_csv(os.path.join(out, "feature_prototype.csv"),
              ["way", "n", "beta", "test accuracy", "median max corr",
               f"memories with max corr >= {thr:g}", "pixels outside [0, 1]",
               "support (> 1e-3)", "nonzero weights"],
              [[r["way"], f"{r['order']:g}", f"{r['beta']:.3g}", f"{r['accuracy']:.3f}",
                f"{r['max_corr_median']:.3f}", f"{r['frac_prototype']:.2f}",
                f"{r['outside']:.3f}", f"{r['support']:.1f}", f"{r['nonzero']:.1f}"]
               for r in rows])
    sweep = data.get("sweep")
    if sweep:
        orders = list(dict.fromkeys(r["order"] for r in sweep))
        fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
        panels = [
            ("frac_prototype", f"memories with max correlation >= {thr:g}"),
            ("outside", "memory pixels outside [0, 1]"),
            ("accuracy", "test accuracy"),
        ]
        for ax, (key, label) in zip(axes, panels):
            for n in orders:
                pts = [r for r in sweep if r["order"] == n]
                ax.plot([r["c"] for r in pts], [r[key] for r in pts], marker="o",
                        label=f"n = {n:g}")
            ax.set_xscale("log")
            ax.set_xlabel("beta x v (v: total variance of the data)")
            ax.set_title(label, fontsize=9)
        axes[0].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "feature_prototype_beta.png"), dpi=110)
        plt.close(fig)
        write_csv(os.path.join(out, "feature_prototype_beta.csv"),
                  ["n", "beta x v", "beta", "test accuracy", "median max corr",
                   f"memories with max corr >= {thr:g}", "pixels outside [0, 1]",
                   "support (> 1e-3)", "nonzero weights"],
                  [[f"{r['order']:g}", f"{r['c']:g}", f"{r['beta']:.3g}",
                    f"{r['accuracy']:.3f}", f"{r['max_corr_median']:.3f}",
                    f"{r['frac_prototype']:.2f}", f"{r['outside']:.3f}",
                    f"{r['support']:.1f}", f"{r['nonzero']:.1f}"] for r in sweep])
    lines = []
    for way in ways:
        pts = [r for r in rows if r["way"] == way]
        lo, hi = pts[0], pts[-1]
        lines.append(
            f"{way}: from n = {lo['order']:g} to n = {hi['order']:g} the memories resembling "
            f"one training digit (max correlation >= {thr:g}) go from "
            f"{lo['frac_prototype']:.0%} to {hi['frac_prototype']:.0%}, the pixels outside "
            f"the data range from {lo['outside']:.1%} to {hi['outside']:.1%}, and the "
            f"memories weighing above 1e-3 per test cue from {lo['support']:.1f} to "
            f"{hi['support']:.1f}; test accuracy {lo['accuracy']:.3f} to {hi['accuracy']:.3f}.")
    lines.append(
        f"for scale: {ref['test_digits_frac_above_threshold']:.0%} of the test digits "
        f"correlate >= {thr:g} with a training digit (median "
        f"{ref['test_digits_max_corr_median']:.3f}); means of 3 digits of a class: "
        f"median {ref['blends_of_3_max_corr_median']:.3f}.")
    if kh:
        write_csv(os.path.join(out, "feature_prototype_kh.csv"),
                  ["n", "T / (N + C)", "train accuracy", "test accuracy", "median max corr",
                   f"memories with max corr >= {thr:g}", "support (share > 1e-3)"],
                  [[f"{r['order']:g}", f"{r['t']:g}", f"{r['train_accuracy']:.3f}",
                    f"{r['accuracy']:.3f}", f"{r['max_corr_median']:.3f}",
                    f"{r['frac_prototype']:.2f}", f"{r['support']:.1f}"] for r in kh])
        failed = [f"{r['order']:g}" for r in kh if r["train_accuracy"] < 0.5]
        if trained:
            lo, hi = trained[0], trained[-1]
            lines.append(
                f"Krotov & Hopfield's own model on the same digits, orders that trained "
                f"(training accuracy >= 0.5): from n = {lo['order']:g} to n = {hi['order']:g} "
                f"the median max correlation goes from {lo['max_corr_median']:.2f} to "
                f"{hi['max_corr_median']:.2f} and the memories with a term above 1e-3 of "
                f"the winning class's per test cue from {lo['support']:.1f} to "
                f"{hi['support']:.1f}; test accuracy {lo['accuracy']:.3f} to "
                f"{hi['accuracy']:.3f}"
                + (f"; did not train at n = {', '.join(failed)} with the temperatures tried."
                   if failed else "."))
    for n in (list(dict.fromkeys(r["order"] for r in sweep)) if sweep else []):
        pts = [r for r in sweep if r["order"] == n]
        lo, hi = pts[0], pts[-1]
        lines.append(
            f"beta sweep at n = {n:g} (random start), beta x v from {lo['c']:g} to "
            f"{hi['c']:g}: memories resembling one digit {lo['frac_prototype']:.0%} to "
            f"{hi['frac_prototype']:.0%} (median max correlation {lo['max_corr_median']:.2f} "
            f"to {hi['max_corr_median']:.2f}), pixels outside the data range "
            f"{lo['outside']:.0%} to {hi['outside']:.0%}; test accuracy "
            f"{lo['accuracy']:.3f} to {hi['accuracy']:.3f}.")
    write_summary(out, "feature_prototype", lines)


def render_exact_retrieval(plt, record, out):
    """Santos et al.'s exact retrieval against softmax: fractions and supports."""
    data = record["data"]
    rows = data["rows"]
    seps = list(dict.fromkeys(r["separation"] for r in rows))
    cases = list(dict.fromkeys((r["data"], r["corruption"]) for r in rows))
    fig, axes = plt.subplots(2, len(cases), figsize=(3.2 * len(cases), 5.6), sharex=True)
    for j, case in enumerate(cases):
        for k, sep in enumerate(seps):
            pts = [r for r in rows if (r["data"], r["corruption"]) == case
                   and r["separation"] == sep]
            betas = [r["beta"] for r in pts]
            color = f"C{k}"
            axes[0, j].plot(betas, [r["one_step"]["exact"] for r in pts], marker="o",
                            color=color, label=f"{sep}, 1 step")
            axes[0, j].plot(betas, [r["converged"]["exact"] for r in pts], linestyle="--",
                            color=color, label=f"{sep}, converged")
            axes[1, j].plot(betas, [r["one_step"]["support"] for r in pts], marker="o",
                            color=color, label=sep)
        axes[0, j].set_title(f"{case[0]}, {case[1]} (P={pts[0]['patterns']})", fontsize=9)
        axes[0, j].set_ylim(-0.03, 1.03)
        axes[1, j].set_yscale("log")
        for ax in axes[:, j]:
            ax.set_xscale("log")
        axes[1, j].set_xlabel("beta")
    axes[0, 0].set_ylabel("state = a stored pattern (1e-12)")
    axes[1, 0].set_ylabel("weights > 1e-3, one step")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(*axes[0, 0].get_legend_handles_labels(), fontsize=7, ncol=4,
               loc="lower center")
    fig.savefig(os.path.join(out, "exact_retrieval.png"), dpi=110)
    plt.close(fig)
    header = ["data", "cues", "beta"] + seps
    table = []
    for case in cases:
        for beta in data["betas"]:
            cells = []
            for sep in seps:
                r = next(r for r in rows if (r["data"], r["corruption"]) == case
                         and r["separation"] == sep and r["beta"] == beta)
                cells.append(f"{r['one_step']['exact']:.2f} / {r['converged']['exact']:.2f}"
                             f" ({r['one_step']['support']:.1f})")
            table.append([case[0], case[1], f"{beta:g}"] + cells)
    write_csv(os.path.join(out, "exact_retrieval.csv"), header, table)
    sparse = [r for r in rows if r["margin_holds"] is not None]
    worst = max(r["margin_holds"] - r["one_step"]["exact"] for r in sparse)
    agree = sum(abs(r["margin_holds"] - r["one_step"]["correct"]) < 1e-12 for r in sparse)
    soft = [r for r in rows if r["separation"] == "softmax"]
    first_soft = {}
    for r in soft:
        key = (r["data"], r["corruption"])
        if r["one_step"]["exact"] >= 0.5 and key not in first_soft:
            first_soft[key] = r["beta"]
    lines = [
        "Santos et al.'s margin condition is sufficient in every cell: the fraction of "
        "cues meeting it never exceeds the fraction retrieved exactly in one step "
        f"(largest excess {worst:+.3f}); it equals the fraction landing exactly on the "
        f"cued pattern in {agree} of {len(sparse)} (sparse separation, beta, data) cells.",
        "softmax reaches a stored pattern to 1e-12 in one step for half the cues only at "
        + ", ".join(f"beta = {b:g} ({d}, {c})" for (d, c), b in first_soft.items())
        + ": there its other weights fall below 1e-12 (rounding, not sparsity).",
    ]
    meta = data.get("metastable")
    if meta:
        n = len(meta["rows"][0]["percent_by_size"])
        write_csv(os.path.join(out, "exact_retrieval_metastable.csv"),
                  ["beta", "separation"] + [str(k) for k in range(n)] + [f">{n - 1}"],
                  [[f"{r['beta']:g}", r["separation"]]
                   + [f"{v:.1f}" for v in r["percent_by_size"]]
                   + [f"{r['percent_larger']:.1f}"] for r in meta["rows"]])
    write_summary(out, "exact_retrieval", lines)


def render_separation_capacity(plt, record, out):
    """Universal Hopfield Networks: retrieval against P, similarity x separation."""
    data = record["data"]
    tables = data["tables"]
    fig, axes = plt.subplots(1, len(tables), figsize=(3.1 * len(tables), 3.6), sharey=True)
    styles = {"softmax": "-", "sparsemax": "--", "entmax": "-.", "max": ":"}
    csv_rows = []
    for ax, t in zip(axes, tables):
        Ps = [r["P"] for r in t["rows"]]
        for i, col in enumerate(t["columns"]):
            sim, sep = col.split(" ", 1)
            color = {"dot": "C0", "euclidean": "C1", "manhattan": "C2"}[sim]
            ax.plot(Ps, [r["retrieved"][i] for r in t["rows"]], color=color,
                    linestyle=styles.get(sep, "-"), marker="o", markersize=3, label=col)
        ax.set_xscale("log")
        ax.set_xlabel("P stored")
        ax.set_title(f"{t['data']}, {t['corruption']}", fontsize=8)
        for r in t["rows"]:
            csv_rows.append([t["data"], t["corruption"], r["P"]]
                            + [f"{v:.2f}" for v in r["retrieved"]])
    axes[0].set_ylabel("fraction retrieved (rms < 0.05)")
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize=7, ncol=6, loc="lower center")
    fig.savefig(os.path.join(out, "separation_capacity.png"), dpi=110)
    plt.close(fig)
    write_csv(os.path.join(out, "separation_capacity.csv"),
              ["data", "cues", "P"] + tables[0]["columns"], csv_rows)
    lines = []
    for t in tables:
        last = t["rows"][-1]
        best = max(range(len(t["columns"])), key=lambda i: last["retrieved"][i])
        by_sim = {}
        for i, col in enumerate(t["columns"]):
            sim = col.split(" ", 1)[0]
            by_sim[sim] = max(by_sim.get(sim, 0.0), last["retrieved"][i])
        lines.append(
            f"{t['data']}, {t['corruption']}, P = {last['P']}: best "
            f"{rst_escape(t['columns'][best])} ({last['retrieved'][best]:.2f}); best per "
            "similarity " + ", ".join(f"{k} {v:.2f}" for k, v in by_sim.items()) + ".")
    write_summary(out, "separation_capacity", lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true",
                        help="rerun accuracy.py, capacity.py and the reproductions first")
    parser.add_argument("--timings", action="store_true",
                        help="with --run: also rerun the timing benchmarks (quiet machine!)")
    parser.add_argument("--quick", action="store_true",
                        help="with --run: reduced sizes, under benchmarks/results/quick/")
    parser.add_argument("--only", nargs="+",
                        choices=LOAD_FREE + REPRODUCTIONS + TIMINGS + RENDER_ONLY,
                        default=None)
    parser.add_argument("--results", default=None, help="JSON directory")
    parser.add_argument("--out", default=None, help="where the PNG/CSV/txt go")
    args = parser.parse_args()
    quick_dir = os.path.join(ROOT, "benchmarks", "results", "quick")
    results = args.results or (quick_dir if args.quick
                               else os.path.join(ROOT, "benchmarks", "results"))
    out = args.out or (quick_dir if args.quick
                       else os.path.join(ROOT, "docs", "benchmark_results"))
    os.makedirs(results, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    if args.run:
        names = LOAD_FREE + REPRODUCTIONS + (TIMINGS if args.timings else [])
        if args.only:
            names = [n for n in names if n in args.only]
        run(names, results, args.quick)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    renderers = {
        "accuracy": lambda r: render_accuracy(plt, r, out),
        "capacity": lambda r: render_capacity(plt, r, out),
        "predict_vs_knn": lambda r: render_speed(plt, r, out),
        "dense_vs_knn": lambda r: render_dense_speed(r, out),
        "separation_speed": lambda r: render_separation_speed(r, out),
        "imputation_separations": lambda r: render_imputation_separations(r, out),
        "feature_prototype": lambda r: render_feature_prototype(plt, r, out),
        "exact_retrieval": lambda r: render_exact_retrieval(plt, r, out),
        "separation_capacity": lambda r: render_separation_capacity(plt, r, out),
    }
    for name, render in renderers.items():
        if args.only and name not in args.only:
            continue
        record = load(results, name)
        if record is None:
            continue
        render(record)
        write_env(out, name, record)
        print(f"rendered {name} into {out}")


if __name__ == "__main__":
    main()
