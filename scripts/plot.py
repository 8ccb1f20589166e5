#!/usr/bin/env python3
"""Draw the plots of one mmiobench results directory (PNG and SVG, gnuplot).

  plot.py RESULTS_DIR [--out DIR]

Reads summary.csv and cdf.csv (schema: results/README.md) and writes, into
RESULTS_DIR (or --out):
  exit_latency.{png,svg}      exit latency by kind: p50 bars, p99 whiskers, per CPL
  exit_latency_net.{png,svg}  the same net of the empty-loop floor
  exit_wakeup_split.*         an ioeventfd write's net p50, stacked: exit + signal
                              (its _nowaiter twin), then what the iothread adds
  cdf_<scenario>_cpl<N>.*     latency CDF per kind (log x), median over reps
  irq_cost.{png,svg}          IRQ cost by stage: p50 bars, p99 whiskers
  throughput_<completion>_cpl<N>.*   requests/s vs queue size (log2 x), a line
                              per notify mode (x batch, event_idx), error bars =
                              95% CI of the median
  cpu_per_req_<completion>_cpl<N>.*  vCPU and iothread CPU ns per request
  ring_floor_<completion>.*   the ring floor's requests/s vs queue size (no VM)
  plots.json                  what was drawn, and why anything was not
A plot whose data is absent is skipped with a note, never an error. The .dat
file next to each plot holds exactly the numbers drawn. Exit status 0 unless
the directory is unusable (no summary.csv) - missing gnuplot is a note too.
A plot holding configurations whose cross-check FAILED says so in its title.
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gplot  # noqa: E402
import mmiores  # noqa: E402

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf"]


def kind_order(kinds, preferred):
    return sorted(kinds, key=lambda k: (preferred.index(k) if k in preferred else len(preferred), k))


def summary_index(rows):
    """{(config key, metric): row}"""
    return {(mmiores.config_key(r), r["metric"]): r for r in rows}


def bars(out_dir, name, title, ylabel, groups, note_if_empty):
    """groups: [(group label, [(series label, p50, p99)])] -> bars with whiskers."""
    base = os.path.join(out_dir, name)
    series = []
    for _, members in groups:
        for s, _, _ in members:
            if s not in series:
                series.append(s)
    data = []
    xt = []
    width = 0.8 / max(1, len(series))
    values = [v for _, m in groups for _, p50, p99 in m for v in (p50, p99) if v and v > 0]
    if not values:
        return dict(name=name, title=title, ok=False, note=note_if_empty)
    low = min(values) / 2
    for gi, (glabel, members) in enumerate(groups):
        xt.append(f"{gplot.quote(glabel)} {gi}")
        for slabel, p50, p99 in members:
            si = series.index(slabel)
            x = gi - 0.4 + width * (si + 0.5)
            ok50 = p50 is not None and p50 > 0
            data.append((x, p50 if ok50 else None, p99 if ok50 and p99 and p99 > 0 else None,
                         x - width * 0.45, x + width * 0.45, low, si))
    gplot.write_data(base + ".dat", data)
    dat = gplot.quote(base + ".dat")
    plots = []
    for si, s in enumerate(series):
        c = COLORS[si % len(COLORS)]
        plots.append(f"{dat} using 1:($7=={si}?$2:NaN):4:5:6:2 with boxxyerror fs solid 0.7 "
                     f"lc rgb '{c}' title {gplot.quote(s + ' p50')}")
        plots.append(f"{dat} using 1:($7=={si}?$2:NaN):2:3 with yerrorbars pt -1 lc rgb '#333333' "
                     + ("title 'p99 whisker'" if si == 0 else "notitle"))
    body = (f"set title {gplot.quote(title)}\nset ylabel {gplot.quote(ylabel)}\n"
            f"set logscale y 10\nset grid y\nset key top left\nset bmargin 11\n"
            f"set xtics rotate by -30 ({', '.join(xt)})\n"
            f"set xrange [-0.6:{len(groups) - 0.4}]\nset yrange [{low}:*]\n"
            f"plot " + ", ".join(plots))
    ok, msg = gplot.render(body, base, width=max(800, 90 * len(groups) + 200))
    return dict(name=name, title=title, ok=ok, note=None if ok else msg)


def latency_groups(summary, scenario, preferred, values, series_field="cpl", hide=()):
    """Bars for one scenario: a group per kind (+ fields that vary, except the
    series field), a bar per series value. values(medians by metric) gives
    (bar, whisker top) for one configuration."""
    medians = {}
    for r in summary:
        if r["scenario"] == scenario:
            medians.setdefault(mmiores.config_key(r), {})[r["metric"]] = \
                mmiores.to_float(r["median"])
    groups = {}
    for key in sorted(medians):
        d = mmiores.config_dict(key)
        glabel = mmiores.config_label(key, skip=("scenario", series_field) + tuple(hide))
        s = f"{series_field} {d[series_field]}" if d[series_field] else "-"
        bar, top = values(medians[key])
        if bar is not None:
            groups.setdefault((d["kind"], glabel), []).append((s, bar, top))
    order = kind_order({k for k, _ in groups}, preferred)
    return [(glabel, groups[(k, glabel)]) for k in order
            for (kk, glabel) in sorted(groups) if kk == k]


def raw_values(m):
    return m.get("p50_ns"), m.get("p99_ns")


def net_values(m):
    """Net of the floor: bar net_p50; whisker p99 - floor, floor = p50 - net_p50."""
    p50, net50, p99 = m.get("p50_ns"), m.get("net_p50_ns"), m.get("p99_ns")
    if net50 is None:
        return None, None
    top = p99 - (p50 - net50) if p50 is not None and p99 is not None else None
    return net50, top


def plot_exit(out_dir, summary, failed=None):
    # Exit kinds already name their mechanism: the notify cell would repeat it.
    raw = latency_groups(summary, "exit", mmiores.scenario_kinds("exit", rows=summary), raw_values, hide=("notify",))
    if not raw:
        note = "no exit-latency rows in summary.csv"
        return [dict(name="exit_latency", title="Exit latency", ok=False, note=note),
                dict(name="exit_latency_net", title="Exit latency net of floor", ok=False,
                     note=note)]
    net = latency_groups(summary, "exit", mmiores.scenario_kinds("exit", rows=summary), net_values, hide=("notify",))
    warn = suspect_note(failed or {}, "exit")
    return [bars(out_dir, "exit_latency", "Exit latency by kind (p50 bar, whisker to p99)" + warn,
                 "ns (log)", raw, "no exit-latency values"),
            bars(out_dir, "exit_latency_net",
                 "Exit latency net of the empty-loop floor (p50 bar, whisker to p99; "
                 "values <= 0 not drawn)" + warn, "ns (log)", net,
                 "no net_p50_ns values (floor not measured)")]


def plot_irq(out_dir, summary, failed=None):
    groups = latency_groups(summary, "irq", mmiores.scenario_kinds("irq", rows=summary), raw_values)
    if not groups:
        return [dict(name="irq_cost", title="IRQ cost by stage", ok=False,
                     note="no irq rows in summary.csv")]
    return [bars(out_dir, "irq_cost", "IRQ cost by stage (p50 bar, whisker to p99)"
                 + suspect_note(failed or {}, "irq"),
                 "ns (log)", groups, "no irq values")]


def plot_cdfs(out_dir, cdf_rows):
    res = []
    lines = {}
    for r in cdf_rows:
        q, ns = mmiores.to_float(r["q"]), mmiores.to_float(r["ns"])
        if q is None or ns is None:
            continue
        lines.setdefault(mmiores.config_key(r), {}).setdefault(q, []).append(ns)
    by_plot = {}
    for key in lines:
        d = mmiores.config_dict(key)
        by_plot.setdefault((d["scenario"], d["cpl"]), []).append(key)
    if not by_plot:
        return [dict(name="cdf", title="Latency CDF", ok=False, note="cdf.csv has no rows")]
    for (scenario, cpl), keys in sorted(by_plot.items()):
        pref = mmiores.scenario_kinds(scenario, rows=cdf_rows)
        keys.sort(key=lambda k: (pref.index(k[1]) if k[1] in pref else len(pref), k))
        name = f"cdf_{scenario}_cpl{cpl or 'na'}"
        base = os.path.join(out_dir, name)
        data = []
        titles = []
        for key in keys:
            pts = sorted((q, statistics.median(v)) for q, v in lines[key].items())
            pts = [(ns, q) for q, ns in pts if ns > 0]	# log x: positive only
            if not pts:
                continue
            data.extend(pts)
            data.append(None)
            titles.append(mmiores.config_label(key, skip=("scenario", "cpl")))
        title = f"{scenario} latency CDF, CPL {cpl or 'n/a'} (median over reps per quantile)"
        if not titles:
            res.append(dict(name=name, title=title, ok=False, note="no positive values"))
            continue
        gplot.write_data(base + ".dat", data)
        dat = gplot.quote(base + ".dat")
        plots = [f"{dat} index {i} using 1:2 with linespoints pt 7 ps 0.4 lc rgb "
                 f"'{COLORS[i % len(COLORS)]}' dt {1 + i // len(COLORS)} title {gplot.quote(t)}"
                 for i, t in enumerate(titles)]
        body = (f"set title {gplot.quote(title)}\nset xlabel 'ns (log)'\nset ylabel 'quantile'\n"
                f"set logscale x 10\nset grid\nset key outside right\nset yrange [0:1]\n"
                f"plot " + ", ".join(plots))
        ok, msg = gplot.render(body, base, width=1000)
        res.append(dict(name=name, title=title, ok=ok, note=None if ok else msg))
    return res


def notify_lines(summary, completion, cpl, metric, kind="throughput"):
    """{line label: [(queue_size, median, lo, hi)]} for one completion mode and CPL."""
    out = {}
    for r in summary:
        if (r["scenario"] != "notify" or r["kind"] != kind or r["completion"] != completion
                or r["cpl"] != cpl or r["metric"] != metric):
            continue
        qs = mmiores.to_float(r["queue_size"])
        med = mmiores.to_float(r["median"])
        if qs is None or med is None:
            continue
        label = mmiores.notify_line_label(
            r, skip=("scenario", "kind", "queue_size", "completion", "cpl"))
        out.setdefault(label, []).append((qs, med, mmiores.to_float(r["ci95_lo"]),
                                          mmiores.to_float(r["ci95_hi"])))
    for v in out.values():
        v.sort()
    return out


def line_plot(out_dir, name, title, ylabel, series, logy=False):
    """series: [(label, dash type, points [(x, y, lo, hi)])]"""
    base = os.path.join(out_dir, name)
    data = []
    plots = []
    dat = gplot.quote(base + ".dat")
    for i, (label, dt, pts) in enumerate(series):
        for x, y, lo, hi in pts:
            data.append((x, y, lo if lo is not None else y, hi if hi is not None else y))
        data.append(None)
        plots.append(f"{dat} index {i} using 1:2:3:4 with yerrorlines pt 7 ps 0.6 "
                     f"lc rgb '{COLORS[(i if dt == 1 else i - len(series) // 2) % len(COLORS)]}' "
                     f"dt {dt} title {gplot.quote(label)}")
    gplot.write_data(base + ".dat", data)
    body = (f"set title {gplot.quote(title)}\nset xlabel 'queue size (log2)'\n"
            f"set ylabel {gplot.quote(ylabel)}\nset logscale x 2\nset format x '%.0f'\n"
            f"set grid\nset key below\n" + ("set logscale y 10\n" if logy else "") +
            "plot " + ", ".join(plots))
    ok, msg = gplot.render(body, base, width=1000)
    return dict(name=name, title=title, ok=ok, note=None if ok else msg)


def suspect_note(failed, scenario, **match):
    """Title suffix when configurations drawn failed their cross-check."""
    n = sum(1 for k in failed if k[0] == scenario and
            all(mmiores.config_dict(k)[f] == v for f, v in match.items()))
    return f" - CROSS-CHECK FAILED in {n} configuration(s): numbers suspect" if n else ""


def plot_notify(out_dir, summary, failed):
    res = []
    variants = sorted({(r["completion"], r["cpl"]) for r in summary
                       if r["scenario"] == "notify" and r["kind"] == "throughput"})
    if not variants:
        res.append(dict(name="throughput", title="Notification throughput", ok=False,
                        note="no notify throughput rows in summary.csv"))
    for comp, cpl in variants:
        tag = f"{comp or 'na'}_cpl{cpl or 'na'}"
        where = f"completion by {comp or 'n/a'}, CPL {cpl or 'n/a'}"
        warn = suspect_note(failed, "notify", completion=comp, cpl=cpl)
        lines = notify_lines(summary, comp, cpl, "requests_per_s")
        title = f"Requests/s vs queue size, {where} (error bars: 95% CI){warn}"
        name = f"throughput_{tag}"
        if lines:
            series = [(lbl, 1, pts) for lbl, pts in sorted(lines.items())]
            res.append(line_plot(out_dir, name, title, "requests/s", series, logy=True))
        else:
            res.append(dict(name=name, title=title, ok=False, note="no requests_per_s values"))
        vcpu = notify_lines(summary, comp, cpl, "vcpu_cpu_ns_per_req")
        io = notify_lines(summary, comp, cpl, "iothread_cpu_ns_per_req")
        name = f"cpu_per_req_{tag}"
        title = (f"CPU time per request vs queue size, {where} "
                 f"(solid: vCPU thread, dashed: iothread){warn}")
        series = [(f"{lbl} vcpu", 1, pts) for lbl, pts in sorted(vcpu.items())]
        series += [(f"{lbl} iothread", 2, pts) for lbl, pts in sorted(io.items())
                   if any(y > 0 for _, y, _, _ in pts)]
        if series:
            res.append(line_plot(out_dir, name, title, "CPU ns per request", series, logy=True))
        else:
            res.append(dict(name=name, title=title, ok=False, note="no CPU-per-request values"))
    for comp in sorted({r["completion"] for r in summary
                        if r["scenario"] == "notify" and r["kind"] == "ring_floor"}):
        lines = notify_lines(summary, comp, "", "requests_per_s", kind="ring_floor")
        name = f"ring_floor_{comp or 'na'}"
        title = (f"Ring floor (no VM): requests/s vs queue size, completion by {comp or 'n/a'} "
                 f"(error bars: 95% CI){suspect_note(failed, 'notify', kind='ring_floor', completion=comp)}")
        if lines:
            res.append(line_plot(out_dir, name, title, "requests/s",
                                 [(lbl, 1, pts) for lbl, pts in sorted(lines.items())], logy=True))
        else:
            res.append(dict(name=name, title=title, ok=False, note="no requests_per_s values"))
    return res


def plot_wakeup_split(out_dir, summary):
    """Stacked bars, linear scale: an ioeventfd write's net p50 as the write
    nobody waits on (exit + signal) and what the waiting iothread adds."""
    name, title = "exit_wakeup_split", ("Where an ioeventfd write's time goes (net p50 medians): "
                                        "exit + signal (nowaiter), then what the waiter adds")
    rows = mmiores.wakeup_split(summary)
    if not rows:
        return [dict(name=name, title=title, ok=False,
                     note="no ioeventfd kind with its nowaiter twin in summary.csv")]
    base = os.path.join(out_dir, name)
    data, xt = [], []
    for i, (kind, cpl, mode, alone, total) in enumerate(rows):
        xt.append(f"{gplot.quote(f'{kind} cpl{cpl} {mode}')} {i}")
        data.append((i, max(alone, 0.0), max(total, alone, 0.0), i - 0.35, i + 0.35))
    gplot.write_data(base + ".dat", data)
    dat = gplot.quote(base + ".dat")
    body = (f"set title {gplot.quote(title)}\nset ylabel 'ns'\nset grid y\nset key outside top center horizontal\n"
            f"set bmargin 11\nset xtics rotate by -30 ({', '.join(xt)})\n"
            f"set xrange [-0.6:{len(rows) - 0.4}]\nset yrange [0:*]\n"
            f"plot {dat} using 1:2:4:5:(0):2 with boxxyerror fs solid 0.7 lc rgb '{COLORS[0]}' "
            f"title 'exit + signal (nowaiter)', "
            f"{dat} using 1:3:4:5:2:3 with boxxyerror fs solid 0.7 lc rgb '{COLORS[1]}' "
            f"title 'added by the waiting iothread'")
    ok, msg = gplot.render(body, base, width=max(800, 90 * len(rows) + 200))
    return [dict(name=name, title=title, ok=ok, note=None if ok else msg)]


def plot_all(run_dir, out_dir=None):
    """Returns the plots.json entries; raises ResultsError without summary.csv."""
    out_dir = out_dir or run_dir
    run = mmiores.Run(run_dir)
    summary = run.summary
    try:
        cdf_rows = run.cdf
    except mmiores.ResultsError as e:
        cdf_rows, cdf_note = [], str(e)
    else:
        cdf_note = None
    os.makedirs(out_dir, exist_ok=True)
    why = gplot.unavailable()
    if why:
        return [dict(name="*", title="all plots", ok=False, note=why)]
    try:
        failed = mmiores.failed_configs(run.samples)
    except mmiores.ResultsError:
        failed = {}
    res = plot_exit(out_dir, summary, failed)
    res += plot_wakeup_split(out_dir, summary)
    if cdf_note:
        res.append(dict(name="cdf", title="Latency CDF", ok=False, note=cdf_note))
    else:
        res += plot_cdfs(out_dir, cdf_rows)
    res += plot_irq(out_dir, summary, failed)
    res += plot_notify(out_dir, summary, failed)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results_dir")
    ap.add_argument("--out", help="where to write the plots (default: RESULTS_DIR)")
    args = ap.parse_args(argv)
    try:
        res = plot_all(args.results_dir, args.out)
    except mmiores.ResultsError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    out_dir = args.out or args.results_dir
    tmp = os.path.join(out_dir, "plots.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1)
    os.replace(tmp, os.path.join(out_dir, "plots.json"))
    for r in res:
        state = "ok" if r["ok"] else f"skipped: {r['note']}"
        print(f"plot {r['name']}: {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
