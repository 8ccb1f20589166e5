#!/usr/bin/env python3
"""Per-host history of mmiobench results, for trend plots (never for gating:
regressions are decided by A/B on one host, scripts/compare.py).

  history.py add RESULTS_DIR... [--dir results/history]
  history.py plot HISTORY_CSV [--out DIR] [--metric p50_ns ...]

add: appends each run's summary medians to <dir>/<host>.csv, where <host>
names the platform (hypervisor, CPU model, TSC MHz, nested) so that numbers
from different machines never share a file. A run already in the file is
not added twice. Runs cut short or with crosscheck failures are refused
(a trend of broken runs misleads).
plot: one plot per scenario and metric: the median of each configuration
with its 95% CI, x = runs in date order labelled by git revision.
"""
import argparse
import csv
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mmiores  # noqa: E402

HIST_COLUMNS = ["run_id", "date_utc", "git_rev", "git_dirty"] + mmiores.CONFIG_COLUMNS + [
    "metric", "unit", "reps", "median", "ci95_lo", "ci95_hi"]


def host_name(meta):
    p = meta.get("platform") or {}
    tsc = p.get("tsc_khz")
    mhz = f"{round(tsc / 1000)}MHz" if isinstance(tsc, (int, float)) else "unknownMHz"
    raw = f"{p.get('hypervisor') or 'unknown'}-{p.get('cpu_model') or 'unknown'}-{mhz}"
    if p.get("nested"):
        raw += "-nested"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("_")


def read_history(path):
    if not os.path.exists(path):
        return []
    return mmiores.read_csv(path, HIST_COLUMNS)[1]


def write_history(path, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=HIST_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in HIST_COLUMNS})
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def add(run_dirs, hist_dir):
    os.makedirs(hist_dir, exist_ok=True)
    rc = 0
    for d in run_dirs:
        run = mmiores.Run(d)
        meta = run.meta
        if meta.get("cut_short"):
            print(f"history: {d}: refused: cut short ({meta['cut_short']})")
            rc = 1
            continue
        if any(r.get("crosscheck") == "FAIL" for r in run.samples):
            print(f"history: {d}: refused: crosscheck FAIL rows")
            rc = 1
            continue
        path = os.path.join(hist_dir, host_name(meta) + ".csv")
        rows = read_history(path)
        if any(r["run_id"] == run.name for r in rows):
            print(f"history: {run.name}: already in {path}")
            continue
        git = meta.get("git") or {}
        for s in run.summary:
            rows.append(dict(s, run_id=run.name, date_utc=meta.get("date") or "",
                             git_rev=git.get("rev") or "",
                             git_dirty="1" if git.get("dirty") else "0"))
        rows.sort(key=lambda r: (r["date_utc"], r["run_id"]))
        write_history(path, rows)
        print(f"history: {run.name}: added {len(run.summary)} row(s) to {path}")
    return rc


def plot(hist_path, out_dir, metrics):
    import gplot
    rows = read_history(hist_path)
    out_dir = out_dir or os.path.dirname(os.path.abspath(hist_path))
    os.makedirs(out_dir, exist_ok=True)
    runs = sorted({(r["date_utc"], r["run_id"], r["git_rev"], r["git_dirty"]) for r in rows})
    x_of = {run_id: i for i, (_, run_id, _, _) in enumerate(runs)}
    host = os.path.splitext(os.path.basename(hist_path))[0]
    why = gplot.unavailable()
    made = []
    groups = {}
    for r in rows:
        if metrics and r["metric"] not in metrics:
            continue
        groups.setdefault((r["scenario"], r["metric"]), {}).setdefault(
            mmiores.config_key(r), []).append(r)
    for (scenario, metric), by_cfg in sorted(groups.items()):
        name = f"history_{scenario}_{metric}"
        if why:
            print(f"history: {name}: not drawn: {why}")
            continue
        base = os.path.join(out_dir, name)
        data, plots = [], []
        dat = gplot.quote(base + ".dat")
        for i, (key, rs) in enumerate(sorted(by_cfg.items())):
            for r in sorted(rs, key=lambda r: x_of[r["run_id"]]):
                med = mmiores.to_float(r["median"])
                lo, hi = mmiores.to_float(r["ci95_lo"]), mmiores.to_float(r["ci95_hi"])
                data.append((x_of[r["run_id"]], med, lo if lo is not None else med,
                             hi if hi is not None else med))
            data.append(None)
            plots.append(f"{dat} index {i} using 1:2:3:4 with yerrorlines pt 7 ps 0.5 "
                         f"title {gplot.quote(mmiores.config_label(key))}")
        gplot.write_data(base + ".dat", data)
        xt = ", ".join(f"{gplot.quote(rev[:8] + ('+' if dirty == '1' else ''))} {i}"
                       for i, (_, _, rev, dirty) in enumerate(runs))
        logy = "set logscale y 10\n" if metric.endswith("_ns") else ""
        body = (f"set title {gplot.quote(f'{host}: {scenario} {metric} per run (95% CI)')}\n"
                f"set xlabel 'run (date order; git revision, + = dirty tree)'\n"
                f"set ylabel {gplot.quote(metric)}\n{logy}set grid\nset key outside right\n"
                f"set xtics rotate by -45 ({xt})\nset xrange [-0.5:{len(runs) - 0.5}]\n"
                "plot " + ", ".join(plots))
        ok, msg = gplot.render(body, base, width=1100)
        print(f"history: {name}: {'ok' if ok else msg}")
        if ok:
            made.append(name)
    return made


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("add", help="append runs to their host's history file")
    a.add_argument("results_dirs", nargs="+")
    a.add_argument("--dir", default=os.path.join("results", "history"))
    p = sub.add_parser("plot", help="trend plots from one history file")
    p.add_argument("history_csv")
    p.add_argument("--out")
    p.add_argument("--metric", action="append", help="only this metric (repeatable)")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "add":
            return add(args.results_dirs, args.dir)
        plot(args.history_csv, args.out, args.metric)
        return 0
    except mmiores.ResultsError as e:
        print(f"history: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
