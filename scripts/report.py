#!/usr/bin/env python3
"""Write report.md for one mmiobench results directory.

  report.py RESULTS_DIR [--no-plots]

The report names the platform (meta.json), gives the key tables from
summary.csv (median over repetitions with its 95% CI), embeds the plots,
shows the cross-check state from samples.csv, and says plainly what could not
be measured and why (meta.json `skipped`, `cut_short`, crosscheck FAIL rows,
too few repetitions for a 95% CI). Plots come from plots.json when plot.py
already ran; otherwise report.py draws them (unless --no-plots).
Exit 2 when the directory lacks summary.csv; anything else missing is said
in the report.
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mmiores  # noqa: E402


MAX_FAIL_LINES = 15


def fmt(v, unit=""):
    if v is None:
        return "—"
    if unit == " ns" and abs(v) >= 1e6:
        return f"{v / 1e6:.3g} ms"
    if unit == " ns" and abs(v) >= 1e4:
        return f"{v / 1e3:.3g} µs"
    if abs(v) >= 1e6:
        s = f"{v / 1e6:.3g} M"
    elif abs(v) >= 1e4:
        s = f"{v / 1e3:.3g} k"
    elif abs(v) >= 100:
        s = f"{v:.0f}"
    else:
        s = f"{v:.3g}"
    return s + unit


def fmt_ci(row, unit=""):
    """'median [lo, hi]' from a summary row."""
    med, lo, hi = (mmiores.to_float(row[c]) for c in ("median", "ci95_lo", "ci95_hi"))
    if med is None:
        return "—"
    if lo is None or hi is None:
        return fmt(med, unit)
    return f"{fmt(med, unit)} [{fmt(lo, unit)}, {fmt(hi, unit)}]"


def fmt_ratio(ratio, lo, hi):
    """A mmiores.ratio_ci() result as a cell: "r [lo, hi]", or "r" alone."""
    return f"{ratio:.3f}" + (f" [{lo:.3f}, {hi:.3f}]" if lo is not None else "")


def fmt_cv(row):
    """The summary's coefficient of variation as a percentage ("—" when absent:
    one rep, or results from before the column)."""
    v = mmiores.to_float(row.get("cv")) if row else None
    return "—" if v is None else f"{100 * v:.1f}%"


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def platform_section(meta):
    p = meta.get("platform") or {}
    out = ["## Platform", ""]
    if not meta:
        return out + ["**meta.json is missing or unreadable: the platform is unknown, so "
                      "these numbers cannot be placed.**", ""]
    rows = [("hypervisor", p.get("hypervisor", "?")), ("nested", p.get("nested", "?")),
            ("outer hypervisor", p.get("outer_hypervisor", "?")),
            ("CPU", p.get("cpu_model", "?")), ("kernel", p.get("kernel", "?")),
            ("TSC", f"{p['tsc_khz'] / 1000:.1f} MHz (KVM_GET_TSC_KHZ)" if isinstance(
                p.get("tsc_khz"), (int, float)) else "?")]
    for key, label in (("kvm_module", "KVM module"), ("microcode", "microcode"),
                       ("kernel_version", "kernel build"), ("online_cpus", "online CPUs"),
                       ("numa_nodes", "NUMA nodes"), ("smt_active", "SMT active"),
                       ("governor", "cpufreq governor")):
        if p.get(key) not in (None, ""):
            rows.append((label, p[key]))
    for k, v in sorted((p.get("kvm_params") or {}).items()):
        rows.append((f"kvm param {k}", v))
    for k, v in sorted((meta.get("placement") or {}).items()):
        rows.append((f"placement {k}", v))
    rows.append(("CPLs measured", ", ".join(str(c) for c in meta.get("cpls", [])) or "?"))
    out += md_table(["", "value"], rows)
    hv = str(p.get("hypervisor", "")).upper()
    if p.get("outer_hypervisor") == "TCG":
        out += [f"**Emulated platform: {hv} runs inside QEMU TCG, so every time here is emulated "
                "and means nothing; only counts (exits, interrupts, notifications) and behaviour "
                "are real.**", ""]
    if hv == "PVM" or p.get("nested"):
        out += ["Absolute numbers from this host say nothing about a VMX/SVM host "
                f"({'PVM: a software hypervisor' if hv == 'PVM' else 'nested virtualization'}); "
                "compare ratios across hosts, absolute numbers only on one host.", ""]
    if meta.get("synthetic"):
        out += ["**SYNTHETIC DATA (test fixture): not a measurement.**", ""]
    return out


def missing_section(meta, samples, summary):
    out = ["## What could not be measured", ""]
    items = []
    for s in meta.get("skipped") or []:
        cpl = s.get("cpl")
        at = f" at CPL {cpl}" if cpl not in (None, "", -1) else ""
        items.append(f"- skipped {s.get('scenario', '?')}/{s.get('kind', '?')}{at}: "
                     f"{s.get('reason', 'no reason given')}")
    for n in meta.get("notes") or []:
        items.append(f"- note: {n}")
    if meta.get("cut_short"):
        items.append(f"- **the run was cut short**: {meta['cut_short']}; configurations after "
                     "that point are absent")
    failed = mmiores.failed_configs(samples)
    first = {}
    for r in samples:
        if r.get("crosscheck") == "FAIL":
            first.setdefault(mmiores.config_key(r), r)
    for key, (n, reps) in sorted(failed.items())[:MAX_FAIL_LINES]:
        r = first[key]
        items.append(f"- **cross-check FAILED** for {key[0]}/{mmiores.config_label(key)} in "
                     f"{n} of {reps} rep(s) (e.g. rep {r['rep']}: KVM exits={r['kvm_exits'] or '?'}, "
                     f"mmio={r['kvm_mmio_exits'] or '?'}, io={r['kvm_io_exits'] or '?'}, "
                     f"irq={r['kvm_irq_injections'] or '?'}; device notifies="
                     f"{r['device_notifies'] or '?'}, irqs={r['device_irqs'] or '?'}): its "
                     "numbers are suspect (a measurement bug, not noise)")
    # Why each failed, in the tool's words (meta.json crosscheck_failed).
    for x in (meta.get("crosscheck_failed") or [])[:MAX_FAIL_LINES]:
        items.append(f"- cross-check failure, {x.get('config', '?')} rep {x.get('rep', '?')}: "
                     f"{x.get('detail', '?')}")
    if len(failed) > MAX_FAIL_LINES:
        items.append(f"- ... and {len(failed) - MAX_FAIL_LINES} more configuration(s) with "
                     "cross-check failures (samples.csv, column crosscheck)")
    few = sorted({int(r["reps"]) for r in summary if r["reps"].isdigit() and int(r["reps"]) < 6})
    if few:
        items.append(f"- configurations with {', '.join(map(str, few))} repetition(s): fewer "
                     "than 6, so no 95% CI of the median exists; the bracket is [min, max] of "
                     "the repetitions (covers 1 - 2^(1-n) only)")
    if not meta:
        items.append("- meta.json missing: skipped scenarios and early stops are unknown")
    return out + (items or ["Nothing: every planned configuration was measured."]) + [""]


def latency_table(summary, scenario, preferred, hide=()):
    by_key = {}
    for r in summary:
        if r["scenario"] == scenario:
            by_key.setdefault(mmiores.config_key(r), {})[r["metric"]] = r
    if not by_key:
        return [f"No {scenario} rows.", ""]
    keys = sorted(by_key, key=lambda k: (preferred.index(k[1]) if k[1] in preferred
                                         else len(preferred), k))
    rows = []
    for k in keys:
        m = by_key[k]
        rows.append((mmiores.config_label(k, skip=("scenario",) + tuple(hide)),
                     fmt_ci(m["p50_ns"], " ns") if "p50_ns" in m else "—",
                     fmt_ci(m["p99_ns"], " ns") if "p99_ns" in m else "—",
                     fmt_ci(m["net_p50_ns"], " ns") if "net_p50_ns" in m else "—",
                     fmt_cv(m.get("p50_ns")),
                     next(iter(m.values()))["reps"]))
    return md_table(["configuration", "p50 [95% CI]", "p99 [95% CI]",
                     "p50 net of floor [95% CI]", "CV of the reps' p50", "reps"], rows)


def notify_tables(summary, failed, kind="throughput"):
    rows = [r for r in summary if r["scenario"] == "notify" and r["kind"] == kind]
    if not rows:
        return ["No notify rows.", ""] if kind == "throughput" else []
    out = [] if kind == "throughput" else [
        "Ring floor (`ring_floor`: the same driver and device with no VM, on the vCPU's "
        "and the iothread's CPUs; `direct` is the floor of trapped, `eventfd` of both "
        "ioeventfd modes):", ""]
    sizes = sorted({int(r["queue_size"]) for r in rows if r["queue_size"].isdigit()})
    for metric, title, unit in (("requests_per_s", "Requests/s", "/s"),
                                ("vcpu_cpu_ns_per_req", "vCPU-thread CPU ns per request", ""),
                                ("iothread_cpu_ns_per_req", "iothread CPU ns per request", "")):
        lines = {}
        for r in rows:
            if r["metric"] != metric:
                continue
            label = mmiores.notify_line_label(r, skip=("scenario", "kind", "queue_size"))
            cell = fmt_ci(r)
            if mmiores.config_key(r) in failed:
                cell += " **(crosscheck FAIL)**"
            lines.setdefault(label, {})[r["queue_size"]] = cell
        if not lines:
            continue
        out += [f"{title} by queue size (median [95% CI]):", ""]
        out += md_table(["configuration"] + [str(s) for s in sizes],
                        [[lbl] + [cells.get(str(s), "—") for s in sizes]
                         for lbl, cells in sorted(lines.items())])
    return out


def iothread_cost_table(summary):
    """What each iothread mode costs in CPU, over the notify throughput rows
    that have an iothread: the share of one core it kept busy (its CPU per
    request times requests/s), median [min, max] over configurations."""
    by = {}
    for r in summary:
        if (r["scenario"], r["kind"]) == ("notify", "throughput") and r["iothread"]:
            by.setdefault(mmiores.config_key(r), {})[r["metric"]] = mmiores.to_float(r["median"])
    per_mode = {}
    for key, m in by.items():
        cpu, rps = m.get("iothread_cpu_ns_per_req"), m.get("requests_per_s")
        if cpu is not None and rps:
            mode = mmiores.config_dict(key)["iothread"]
            per_mode.setdefault(mode, []).append((cpu * rps / 1e9, cpu))
    if not per_mode:
        return []
    rows = []
    for mode, v in sorted(per_mode.items()):
        use = sorted(u for u, _ in v)
        rows.append([mode, len(v), f"{100 * statistics.median(use):.0f}% "
                     f"[{100 * use[0]:.0f}%, {100 * use[-1]:.0f}%]",
                     fmt(statistics.median(c for _, c in v), " ns")])
    out = ["What each iothread mode costs (notify, ioeventfd rows): the share of one core the "
           "iothread kept busy, iothread CPU per request × requests/s. `busy` polls without "
           "sleeping, so it holds a whole core whatever the load:", ""]
    out += md_table(["iothread", "configurations", "core busy, median [min, max]",
                     "iothread CPU per request (median)"], rows)
    return out


def ring_ratio_table(summary, failed):
    """Packed/split requests/s per configuration and queue size: the ratio of
    the medians, with the interval the two 95% CIs allow (packed lo / split
    hi .. packed hi / split lo: conservative, no independence assumed)."""
    pairs = {}
    for r in summary:
        if r["scenario"] != "notify" or r["metric"] != "requests_per_s" or r["ring"] == "":
            continue
        d = mmiores.config_dict(mmiores.config_key(r))
        rest = tuple(v for c, v in d.items() if c != "ring")
        pairs.setdefault(rest, {})[d["ring"]] = r
    cells, sizes = {}, set()
    for rest, by in pairs.items():
        if "split" not in by or "packed" not in by:
            continue
        s, p = by["split"], by["packed"]
        pv, sv = ([mmiores.to_float(x[c]) for c in ("median", "ci95_lo", "ci95_hi")] for x in (p, s))
        if not pv[0] or not sv[0]:
            continue
        cell = fmt_ratio(*mmiores.ratio_ci(pv, sv))
        if mmiores.config_key(p) in failed or mmiores.config_key(s) in failed:
            cell += " **(crosscheck FAIL)**"
        label = mmiores.notify_line_label(p, skip=("scenario", "kind", "queue_size", "ring"))
        if p["kind"] == "ring_floor":
            label = "ring floor: " + label
        cells.setdefault(label, {})[p["queue_size"]] = cell
        sizes.add(int(p["queue_size"]))
    if not cells:
        return []
    sizes = sorted(sizes)
    out = ["Packed/split requests/s (same run, same configuration; ratio of medians "
           "[interval from the two 95% CIs]; > 1: the packed ring is faster):", ""]
    out += md_table(["configuration"] + [str(s) for s in sizes],
                    [[lbl] + [c.get(str(s), "—") for s in sizes] for lbl, c in sorted(cells.items())])
    return out


def floor_ratio_table(summary, failed):
    """Each throughput configuration's requests/s over its ring floor's:
    ratio of medians, with the interval the two 95% CIs allow."""
    floors, cells, sizes = {}, {}, set()
    for r in summary:
        if (r["scenario"], r["kind"], r["metric"]) == ("notify", "ring_floor", "requests_per_s"):
            floors[mmiores.config_key(r)] = r
    for r in summary:
        if (r["scenario"], r["kind"], r["metric"]) != ("notify", "throughput", "requests_per_s"):
            continue
        f = floors.get(mmiores.ring_floor_key(mmiores.config_dict(mmiores.config_key(r))))
        if f is None:
            continue
        vv, fv = ([mmiores.to_float(x[c]) for c in ("median", "ci95_lo", "ci95_hi")] for x in (r, f))
        if not vv[0] or not fv[0]:
            continue
        cell = fmt_ratio(*mmiores.ratio_ci(vv, fv))
        if mmiores.config_key(r) in failed or mmiores.config_key(f) in failed:
            cell += " **(crosscheck FAIL)**"
        label = mmiores.notify_line_label(r, skip=("scenario", "kind", "queue_size"))
        cells.setdefault(label, {})[r["queue_size"]] = cell
        sizes.add(int(r["queue_size"]))
    if not cells:
        return []
    sizes = sorted(sizes)
    out = ["Requests/s as a share of the ring floor (same run; ratio of medians [interval "
           "from the two 95% CIs]; 1.0: the VM costs nothing over the ring itself):", ""]
    out += md_table(["configuration"] + [str(s) for s in sizes],
                    [[lbl] + [c.get(str(s), "—") for s in sizes] for lbl, c in sorted(cells.items())])
    return out


def wakeup_split_table(summary):
    """Where an ioeventfd write's time goes: the net p50 of the same write
    nobody waits on (exit + signal), and what each iothread mode adds on top
    (its wake-up, or none when it does not sleep)."""
    rows = [[kind, cpl, mode, fmt(alone, " ns"), fmt(total - alone, " ns"), fmt(total, " ns")]
            for kind, cpl, mode, alone, total in mmiores.wakeup_split(summary)]
    if not rows:
        return []
    out = ["Where an ioeventfd write's time goes (net p50 medians, same run): the write "
           "to an eventfd nobody waits on, and what the waiting iothread adds (its wake-up "
           "for `block`; plot exit_wakeup_split):", ""]
    out += md_table(["kind", "cpl", "iothread", "exit + signal (nowaiter)", "added by the waiter",
                     "total"], rows)
    return out


def raw_reference_table(summary):
    """Each access kind over the same access in the raw KVM_RUN loop (the
    same guest loop; no device, no bus, re-entered at once)."""
    rows = []
    for kind, cpl, mode, raw, ratio, lo, hi in mmiores.raw_ratios(summary):
        rows.append([kind, cpl, mode or "—", raw, fmt_ratio(ratio, lo, hi)])
    if not rows:
        return []
    out = ["Against the raw KVM_RUN loop (net p50 medians, same run; ratio [interval from the "
           "two 95% CIs]; 1.0: the harness, its device and its iothread add nothing to the "
           "access; for ioeventfd kinds with a waiter the excess is the wake-up, or what a "
           "polling iothread costs the exit):", ""]
    out += md_table(["kind", "cpl", "iothread", "raw reference", "ratio"], rows)
    return out


def crosscheck_section(samples):
    counts = {}
    for r in samples:
        counts.setdefault(r["scenario"], {}).setdefault(r.get("crosscheck") or "(empty)", 0)
        counts[r["scenario"]][r.get("crosscheck") or "(empty)"] += 1
    if not counts:
        return []
    out = ["## Cross-check against KVM's own counters", "",
           "Per repetition the scenario compares KVM binary stats (exits, mmio/io exits, "
           "IRQ injections) with what it did; `FAIL` means a measurement bug.", ""]
    out += md_table(["scenario", "ok", "FAIL", "n/a", "(empty)"],
                    [(s, c.get("ok", 0), c.get("FAIL", 0), c.get("n/a", 0), c.get("(empty)", 0))
                     for s, c in sorted(counts.items())])
    return out


def plots_section(run_dir, plots):
    out = ["## Plots", ""]
    if plots is None:
        return out + ["Plots were not drawn (run scripts/plot.py).", ""]
    for p in plots:
        if p["ok"]:
            out += [f"### {p['title']}", "", f"![{p['title']}]({p['name']}.png) "
                    f"([svg]({p['name']}.svg), [data]({p['name']}.dat))", ""]
        else:
            out.append(f"- {p['title']}: not drawn: {p['note']}")
    return out + [""]


def build_report(run_dir, plots):
    run = mmiores.Run(run_dir)
    summary = run.summary
    meta = run.meta_or_empty()
    try:
        samples = run.samples
        samples_note = None
    except mmiores.ResultsError as e:
        samples, samples_note = [], str(e)
    git = meta.get("git") or {}
    out = [f"# mmiobench report: {run.name}", ""]
    out += [f"- date: {meta.get('date', '?')}; tool {meta.get('tool_version', '?')}; "
            f"git {git.get('rev', '?')}{' (dirty tree)' if git.get('dirty') else ''}; "
            f"{'quick' if (meta.get('options') or {}).get('quick') else 'full-size'} run",
            f"- command: `{meta.get('command_line', '?')}`", ""]
    if samples_note:
        out += [f"**{samples_note}**", ""]
    out += platform_section(meta)
    out += missing_section(meta, samples, summary)
    out += ["## Exit latency", "",
            "Guest-observed round trip of one access, median over repetitions of each "
            "repetition's percentile; 'net' subtracts the empty loop of the same shape and CPL.",
            ""]
    out += latency_table(summary, "exit", mmiores.scenario_kinds("exit", meta, summary), hide=("notify",))
    out += wakeup_split_table(summary)
    out += raw_reference_table(summary)
    out += ["## IRQ injection cost by stage", ""]
    out += latency_table(summary, "irq", mmiores.scenario_kinds("irq", meta, summary))
    out += ["## Notification throughput", ""]
    out += notify_tables(summary, mmiores.failed_configs(samples))
    out += iothread_cost_table(summary)
    out += notify_tables(summary, mmiores.failed_configs(samples), kind="ring_floor")
    out += floor_ratio_table(summary, mmiores.failed_configs(samples))
    out += ring_ratio_table(summary, mmiores.failed_configs(samples))
    out += crosscheck_section(samples)
    out += plots_section(run_dir, plots)
    out += ["## Method", "",
            "- Each repetition runs in a fresh VM; percentiles per repetition use linear "
            "interpolation (numpy's default); the table shows the median over repetitions "
            "with a distribution-free 95% CI from order statistics (results/README.md).",
            "- Latencies are TSC ticks converted with KVM_GET_TSC_KHZ (ns = ticks * 1e6 / kHz).",
            ""]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results_dir")
    ap.add_argument("--no-plots", action="store_true", help="do not draw missing plots")
    args = ap.parse_args(argv)
    plots_json = os.path.join(args.results_dir, "plots.json")
    plots = None
    try:
        if os.path.exists(plots_json):
            with open(plots_json, encoding="utf-8") as f:
                plots = json.load(f)
        elif not args.no_plots:
            import plot
            plots = plot.plot_all(args.results_dir)
        text = build_report(args.results_dir, plots)
    except mmiores.ResultsError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 2
    path = os.path.join(args.results_dir, "report.md")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
