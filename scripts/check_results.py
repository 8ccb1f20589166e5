#!/usr/bin/env python3
"""Check that a results directory is complete and sane (CI runs this after a sweep).

  check_results.py RESULTS_DIR [--expect quick|full]

Always: samples.csv, summary.csv, cdf.csv and meta.json exist; each CSV has
exactly the schema's columns in order (results/README.md); every
configuration in samples.csv has its summary rows (one per metric of its
scenario, `reps` equal to its sample rows) and, for latency scenarios, cdf
rows for every repetition; latency percentiles are ordered (min <= p50 <=
p99 <= max); crosscheck is ok, FAIL or n/a and never FAIL; meta.json names
the platform and TSC frequency and is not cut short.

--expect adds the sweep's configurations (the defaults of `mmiobench
sweep`). A kind listed in meta.json `skipped` for its scenario counts as
present (only at its `cpl` when the entry has one); kind "*" skips a whole
scenario:
  quick: exit: every exit kind at every CPL in meta.json `cpls`;
         irq: every irq kind; notify: trapped and ioeventfd, at least one
         queue size each; every --iothread mode in meta.json options on
         some ioeventfd row; every throughput configuration's ring_floor.
  full:  quick, plus notify: trapped and ioeventfd x completion (poll, irq)
         x queue sizes 16, 256, 4096 and 32768.

Exit 0 when all holds, 1 with one line per problem otherwise, 2 when the
directory does not exist.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mmiores  # noqa: E402

FULL_QUEUE_SIZES = ["16", "256", "4096", "32768"]


def metrics_for(scenario, rows):
    if scenario in mmiores.LATENCY_SCENARIOS:
        ms = ["p50_ns", "p99_ns"]
        if any(r.get("net_p50_ns") for r in rows):
            ms.append("net_p50_ns")
        return ms
    if scenario == "notify":
        return ["requests_per_s"]  # the one rate every notify row must have
    return []


def check_columns(run_dir, name, want, problems):
    try:
        header, rows = mmiores.read_csv(os.path.join(run_dir, name))
    except mmiores.ResultsError as e:
        problems.append(str(e))
        return None
    missing = [c for c in want if c not in header]
    extra = [c for c in header if c not in want]
    if missing:
        problems.append(f"{name}: missing column(s): {', '.join(missing)}")
    if extra:
        problems.append(f"{name}: unknown column(s): {', '.join(extra)}")
    if not missing and not extra and header != want:
        problems.append(f"{name}: columns out of schema order")
    return rows if not missing else None


def check_samples(samples, problems):
    for i, r in enumerate(samples, 2):
        where = f"samples.csv line {i} ({r['scenario']}/{r['kind']})"
        if r["crosscheck"] not in ("ok", "FAIL", "n/a"):
            problems.append(f"{where}: crosscheck {r['crosscheck']!r} not in ok/FAIL/n/a")
        if r["scenario"] in mmiores.LATENCY_SCENARIOS:
            v = [mmiores.to_float(r[c]) for c in ("min_ns", "p50_ns", "p99_ns", "max_ns")]
            if None in v:
                problems.append(f"{where}: latency percentiles missing")
            elif not v[0] <= v[1] <= v[2] <= v[3]:
                problems.append(f"{where}: percentiles out of order: min/p50/p99/max = {v}")
        elif r["scenario"] == "notify" and mmiores.to_float(r["requests_per_s"]) is None:
            problems.append(f"{where}: requests_per_s missing")


def check_floor_ratios(samples, problems):
    """A throughput row whose ring floor was measured carries its ratio."""
    floors = {mmiores.config_key(r) for r in samples if r["kind"] == "ring_floor"
              and r["scenario"] == "notify"}
    for i, r in enumerate(samples, 2):
        if (r["scenario"], r["kind"]) != ("notify", "throughput"):
            continue
        rps, fl, ratio = (mmiores.to_float(r.get(c, "")) for c in
                          ("requests_per_s", "ring_floor_requests_per_s", "ring_floor_ratio"))
        key = mmiores.ring_floor_key(mmiores.config_dict(mmiores.config_key(r)))
        if key in floors and (fl is None or ratio is None):
            problems.append(f"samples.csv line {i} (notify/throughput): its ring floor was "
                            "measured but ring_floor_ratio is empty")
        elif ratio is not None and (not fl or rps is None or
                                    abs(ratio - rps / fl) > 1e-6 * max(1.0, ratio)):
            problems.append(f"samples.csv line {i} (notify/throughput): ring_floor_ratio "
                            f"{ratio} is not requests_per_s / ring_floor_requests_per_s")


def check_crosscheck(samples, problems):
    """One line per configuration whose cross-check failed."""
    first = {}
    for r in samples:
        if r["crosscheck"] == "FAIL":
            first.setdefault(mmiores.config_key(r), r)
    for key, (n, reps) in sorted(mmiores.failed_configs(samples).items()):
        r = first[key]
        problems.append(f"crosscheck FAIL in {n} of {reps} rep(s) of {key[0]}/"
                        f"{mmiores.config_label(key)} (e.g. rep {r['rep']}: kvm_exits="
                        f"{r['kvm_exits']}, kvm_mmio_exits={r['kvm_mmio_exits']}, device_notifies="
                        f"{r['device_notifies']}): the measurement disagrees with KVM's counters")


def check_consistency(samples, summary, cdf, problems):
    by_cfg = {}
    for r in samples:
        by_cfg.setdefault(mmiores.config_key(r), []).append(r)
    summ = {(mmiores.config_key(r), r["metric"]): r for r in summary}
    cdf_reps = {}
    for r in cdf or []:
        cdf_reps.setdefault(mmiores.config_key(r), set()).add(r["rep"])
    for key, rows in sorted(by_cfg.items()):
        label = f"{key[0]}/{mmiores.config_label(key)}"
        for m in metrics_for(key[0], rows):
            s = summ.get((key, m))
            if s is None:
                problems.append(f"summary.csv: no {m} row for {label}")
            elif s["reps"] != str(len(rows)):
                problems.append(f"summary.csv: {label} {m}: reps={s['reps']} but samples.csv "
                                f"has {len(rows)} row(s)")
        if key[0] in mmiores.LATENCY_SCENARIOS and cdf is not None:
            missing = {r["rep"] for r in rows} - cdf_reps.get(key, set())
            if missing:
                problems.append(f"cdf.csv: {label}: no rows for rep(s) {', '.join(sorted(missing))}")


def skipped_set(meta):
    """{(scenario, kind, cpl as str or None for every CPL)}"""
    out = set()
    for s in meta.get("skipped") or []:
        cpl = s.get("cpl")
        out.add((s.get("scenario"), s.get("kind"),
                 None if cpl is None or cpl == "" or cpl == -1 else str(cpl)))
    return out


def is_skipped(skipped, scenario, kind, cpl=None):
    for sc, k, c in skipped:
        # A skip may name the kind with its variant ("deliver_halted irqfd
        # halt_poll=off"): it covers the kind.
        if sc == scenario and (k == "*" or k == kind or str(k).startswith(kind + " ")) and \
                (c is None or cpl is None or c == cpl):
            return True
    return False


def check_expected(samples, meta, expect, problems):
    skipped = skipped_set(meta)
    have = {mmiores.config_key(r) for r in samples}
    cfgs = [mmiores.config_dict(k) for k in have]
    cpls = [str(c) for c in meta.get("cpls") or [0, 3]]
    # What exists: the run says (meta.json scenarios); older runs did not,
    # so ask the mmiobench binary then.
    listing = meta.get("scenarios") or mmiores.registry()
    if listing is None:
        problems.append("cannot tell which kinds to expect: meta.json has no scenarios list "
                        "(written before mmiobench recorded it) and no mmiobench binary "
                        "answers `list --json` (set MMIOBENCH_BIN)")
        return
    for kind in mmiores.listed_kinds(listing, "exit") or []:
        for cpl in cpls:
            if is_skipped(skipped, "exit", kind, cpl):
                continue
            if not any(c["scenario"] == "exit" and c["kind"] == kind and c["cpl"] == cpl
                       for c in cfgs):
                problems.append(f"expected exit/{kind} at CPL {cpl}: absent and not in "
                                "meta.json skipped")
    for kind in mmiores.listed_kinds(listing, "irq") or []:
        if not is_skipped(skipped, "irq", kind) and not any(
                c["scenario"] == "irq" and c["kind"] == kind for c in cfgs):
            problems.append(f"expected irq/{kind}: absent and not in meta.json skipped")
    if is_skipped(skipped, "notify", "throughput") or is_skipped(skipped, "notify", "*"):
        return
    notify = [c for c in cfgs if c["scenario"] == "notify" and c["kind"] == "throughput"]
    # Every iothread mode the run asked for, on some ioeventfd row, unless
    # its configurations were skipped (busy with one CPU says so).
    for io in (meta.get("options") or {}).get("iothread") or []:
        if not any(c["notify"].startswith("ioeventfd") and c["iothread"] == io for c in notify) and \
                not any(s.get("scenario") == "notify" and f"/{io} " in str(s.get("kind"))
                        for s in meta.get("skipped") or []):
            problems.append(f"expected notify/throughput with iothread={io}: absent and not in "
                            "meta.json skipped")
    # Every throughput configuration's ring floor, once the tool has them.
    floors = {mmiores.config_key(r) for r in samples if r["kind"] == "ring_floor"}
    has_floors = "ring_floor" in (mmiores.listed_kinds(listing, "notify") or [])
    floor_skips = [str(s.get("kind")) for s in meta.get("skipped") or []
                   if s.get("scenario") == "notify" and str(s.get("kind")).startswith("ring floor ")]
    for c in notify if has_floors else []:
        fk = mmiores.ring_floor_key(c)
        # A skip names its floor by label: "ring floor qs Q batch B NOTIFY[/IO] COMPL RING".
        want = (f"ring floor qs {c['queue_size']} batch {c['batch']} "
                f"{'direct' if c['notify'] == 'trapped' else 'eventfd'}"
                f"{'/' + c['iothread'] if c['notify'] != 'trapped' else ''} {c['completion']} {c['ring']}")
        if fk not in floors and want not in floor_skips:
            problems.append(f"expected notify/ring_floor for "
                            f"{mmiores.config_label(tuple(c.values()))}: absent and not skipped")
    for mode in ("trapped", "ioeventfd"):
        if expect == "quick":
            if not any(c["notify"] == mode for c in notify):
                problems.append(f"expected notify/throughput with notify={mode}: absent")
            continue
        for comp in ("poll", "irq"):
            for qs in FULL_QUEUE_SIZES:
                if not any(c["notify"] == mode and c["completion"] == comp and
                           c["queue_size"] == qs for c in notify):
                    problems.append(f"expected notify/throughput notify={mode} completion={comp} "
                                    f"queue_size={qs}: absent")


def check(run_dir, expect=None):
    problems = []
    try:
        meta = mmiores.read_meta(run_dir)
    except mmiores.ResultsError as e:
        problems.append(str(e))
        meta = {}
    samples = check_columns(run_dir, "samples.csv", mmiores.SAMPLES_COLUMNS, problems)
    summary = check_columns(run_dir, "summary.csv", mmiores.SUMMARY_COLUMNS, problems)
    cdf = check_columns(run_dir, "cdf.csv", mmiores.CDF_COLUMNS, problems)
    if meta:
        plat = meta.get("platform") or {}
        for k in ("hypervisor", "tsc_khz"):
            if plat.get(k) in (None, "", 0):
                problems.append(f"meta.json: platform.{k} missing")
        if "skipped" not in meta:
            problems.append("meta.json: no 'skipped' list (say [] when nothing was skipped)")
        if meta.get("cut_short"):
            problems.append(f"meta.json: run cut short: {meta['cut_short']}")
    if samples is not None:
        if not samples:
            problems.append("samples.csv: no rows")
        check_samples(samples, problems)
        check_crosscheck(samples, problems)
        check_floor_ratios(samples, problems)
        if summary is not None:
            check_consistency(samples, summary, cdf, problems)
        if expect:
            check_expected(samples, meta, expect, problems)
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results_dir")
    ap.add_argument("--expect", choices=("quick", "full"))
    args = ap.parse_args(argv)
    if not os.path.isdir(args.results_dir):
        print(f"check_results: {args.results_dir}: not a directory", file=sys.stderr)
        return 2
    problems = check(args.results_dir, args.expect)
    for p in problems:
        print(f"check_results: {p}")
    if problems:
        print(f"check_results: {args.results_dir}: {len(problems)} problem(s)")
        return 1
    print(f"check_results: {args.results_dir}: ok"
          + (f" (expect {args.expect})" if args.expect else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
