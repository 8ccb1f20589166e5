"""SYNTHETIC mmiobench result sets, for tests only (never written to results/).

Values are shaped like the PVM dev machines (results/README.md schema;
docs: /work/shared/design/platform.md) so plots look plausible, but every
number here is made up: meta.json says so ("synthetic": true).
"""
import csv
import json
import math
import os
import random
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import mmiores  # noqa: E402

# p50 ns at (CPL0, CPL3)
EXIT_BASE_NS = {
    "empty_loop": (2700, 0.7), "mmio_write_trapped": (14500, 52000),
    "mmio_read_config": (14800, 51000), "mmio_read_isr": (14900, 51500),
    "mmio_ioeventfd_datamatch": (4150, 5600), "mmio_ioeventfd_zerolen": (4200, 4800),
    "mmio_ioeventfd_nowaiter": (3100, 3600),
    "pio_trapped": (15200, 50000), "pio_ioeventfd": (4000, 5300),
    "pio_ioeventfd_nowaiter": (2900, 3400),
    "cpuid": (5350, 8900), "vmcall": (5000, 8500),
    "raw_mmio_write": (14200, 51000), "raw_mmio_ioeventfd": (3050, 3500),
    "raw_mmio_ioeventfd_zerolen": (3000, 3400), "raw_pio_write": (15000, 49000),
    "raw_pio_ioeventfd": (2850, 3300),
}
IRQ_BASE_NS = {
    "host_irq_line": 1800, "host_irqfd": 900, "host_irqfd_resample": 1100,
    "deliver_running": 12000, "deliver_halted": 25000, "service": 30000, "roundtrip": 95000,
}
QUEUE_SIZES = [16, 256, 4096, 32768]
# meta.json `scenarios`, as mmiobench writes it (`mmiobench list --json`).
SCENARIOS = [{"name": name, "about": "synthetic", "kinds": [{"name": k, "about": "", "metrics": []}
                                                            for k in kinds]}
             for name, kinds in (("exit", list(EXIT_BASE_NS)), ("irq", list(IRQ_BASE_NS)),
                                 ("notify", ["throughput"]))]
PLATFORM = {"hypervisor": "PVM", "nested": True, "cpu_model": "AMD EPYC (synthetic)",
            "kernel": "6.18.44", "tsc_khz": 2596100,
            "kvm_params": {"halt_poll_ns": "200000", "mmio_caching": "N"}}


def scenarios(floors=False):
    """meta.json `scenarios`; with floors, notify lists ring_floor too."""
    out = [dict(s, kinds=list(s["kinds"])) for s in SCENARIOS]
    if floors:
        out[2]["kinds"].append({"name": "ring_floor", "about": "", "metrics": []})
    return out


FLOOR_NS_PER_REQ = 300.0    # the synthetic ring floor, every configuration


def configs(quick=True, floors=False):
    """[(config dict, base values)] for a sweep."""
    out = []
    na = {c: "" for c in mmiores.CONFIG_COLUMNS}
    for kind, (c0, c3) in EXIT_BASE_NS.items():
        for cpl, base in ((0, c0), (3, c3)):
            out.append((dict(na, scenario="exit", kind=kind, cpl=str(cpl)), base))
    for kind, base in IRQ_BASE_NS.items():
        cfg = dict(na, scenario="irq", kind=kind, cpl="3")
        if kind.startswith("host_"):
            cfg["irq"] = kind[len("host_"):]
        if kind == "deliver_halted":
            for hp in ("host", "off"):
                out.append((dict(cfg, halt_poll=hp, irq="irqfd"), base * (0.6 if hp == "host" else 1)))
            continue
        out.append((cfg, base))
    for completion, ring in ((c, r) for c in ("poll", "irq") for r in ("split", "packed")):
        for notify in mmiores.NOTIFY_MODES:
            for qs in QUEUE_SIZES:
                cfg = dict(na, scenario="notify", kind="throughput", cpl="3", notify=notify,
                           queue_size=str(qs), batch="1" if quick else "8", event_idx="1",
                           completion=completion, ring=ring)
                per_req_ns = {"trapped": 52000, "ioeventfd": 6000, "ioeventfd_zerolen": 5200}[notify]
                per_req_ns *= 1.0 + 0.3 / math.log2(qs)  # small queues pay more per request
                if completion == "irq":
                    per_req_ns += 9000
                if ring == "packed":
                    per_req_ns *= 0.8   # a known ratio for the report's packed/split table
                out.append((cfg, per_req_ns))
    if floors:
        keys = {mmiores.ring_floor_key(c) for c, _ in out if c["kind"] == "throughput"}
        out = [(mmiores.config_dict(k), FLOOR_NS_PER_REQ) for k in sorted(keys)] + out
    return out


def _fmt(v):
    return "" if v is None else f"{v:.10g}" if isinstance(v, float) else str(v)


def write_run(run_dir, factor=lambda cfg, metric: 1.0, noise=0.01, seed=0, reps=3,
              drop=None, platform=None, drop_column=None, skipped=None, cut_short=None,
              crosscheck_fail=False, quick=True, floors=False, floor_ratio_off=1.0):
    """Writes one synthetic run. factor(cfg, metric) scales the metric's true
    value (>1 = larger number); noise is the relative sd between reps."""
    rng = random.Random(seed)
    os.makedirs(run_dir, exist_ok=True)
    if skipped is None:
        skipped = [{"scenario": "exit", "kind": "vmcall", "reason": "synthetic: hangs on PVM"}]
    skipped_kinds = {(s["scenario"], s["kind"]) for s in skipped}
    samples, summary, cdf = [], [], []
    for cfg, base in configs(quick, floors):
        if (drop and drop(cfg)) or (cfg["scenario"], cfg["kind"]) in skipped_kinds:
            continue
        per_rep = {}
        for rep in range(reps):
            row = dict(cfg, rep=str(rep), crosscheck="ok")
            jitter = lambda: 1.0 + rng.gauss(0, noise)  # noqa: E731
            if cfg["scenario"] in mmiores.LATENCY_SCENARIOS:
                p50 = base * factor(cfg, "p50_ns") * jitter()
                p99 = p50 * 1.6 * factor(cfg, "p99_ns") / factor(cfg, "p50_ns")
                floor = EXIT_BASE_NS["empty_loop"][0 if cfg["cpl"] == "0" else 1]
                vals = {"min_ns": p50 * 0.8, "p50_ns": p50, "p90_ns": p50 * 1.2, "p99_ns": p99,
                        "p999_ns": p99 * 1.5, "max_ns": p99 * 4, "mean_ns": p50 * 1.05,
                        "stddev_ns": p50 * 0.15, "floor_p50_ns": floor,
                        "net_p50_ns": p50 - floor, "net_p99_ns": p99 - floor,
                        "host_user_p50_ns": p50 * 0.4 if "trapped" in cfg["kind"] else None}
                n = 20000
                row.update({k: _fmt(v) for k, v in vals.items()}, samples=str(n))
                exits = n + 200 if "trapped" in cfg["kind"] else 200
                row.update(kvm_exits=str(exits), kvm_mmio_exits=str(n if "mmio" in cfg["kind"]
                                                                   and "trapped" in cfg["kind"] else 0))
                for q in (0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999):
                    # log-normal-ish shape around p50
                    z = statistics.NormalDist().inv_cdf(q)
                    cdf.append(dict(cfg, rep=str(rep), q=f"{q:g}", ns=_fmt(p50 * math.exp(0.25 * z))))
                for m in mmiores.LATENCY_METRICS:
                    per_rep.setdefault(m, []).append(vals[m])
            else:
                ns_req = base * factor(cfg, "vcpu_cpu_ns_per_req") * jitter()
                rps = 1e9 / base / factor(cfg, "requests_per_s") * jitter()
                vals = {"duration_s": 2.0, "requests": int(rps * 2), "requests_per_s": rps,
                        "notifies_per_s": rps * factor(cfg, "notifies_per_s"),
                        "exits_per_s": rps * (1.0 if cfg["notify"] == "trapped" else 0.02),
                        "irqs_per_s": rps if cfg["completion"] == "irq" else 0.0,
                        "vcpu_cpu_ns_per_req": ns_req,
                        "iothread_cpu_ns_per_req": 0.0 if cfg["notify"] == "trapped"
                        else 2500.0 * factor(cfg, "iothread_cpu_ns_per_req") * jitter()}
                if floors and cfg["kind"] == "throughput":
                    fl = 1e9 / FLOOR_NS_PER_REQ
                    vals.update(ring_floor_requests_per_s=fl,
                                ring_floor_ratio=rps / fl * floor_ratio_off)
                row.update({k: _fmt(v) for k, v in vals.items()})
                for m in mmiores.THROUGHPUT_METRICS:
                    per_rep.setdefault(m, []).append(vals[m])
            if crosscheck_fail and cfg["kind"] == "mmio_write_trapped":
                row["crosscheck"] = "FAIL"
            samples.append(row)
        for metric, vals in per_rep.items():
            s = sorted(vals)
            unit = "ns" if metric.endswith("_ns") or metric.endswith("_ns_per_req") else "1/s"
            summary.append(dict(cfg, metric=metric, unit=unit, reps=str(len(s)),
                                median=_fmt(statistics.median(s)), ci95_lo=_fmt(s[0]),
                                ci95_hi=_fmt(s[-1]), min_rep=_fmt(s[0]), max_rep=_fmt(s[-1]),
                                cv=_fmt(statistics.stdev(s) / abs(statistics.mean(s))
                                        if len(s) > 1 and statistics.mean(s) else None)))
    for name, cols, rows in (("samples.csv", mmiores.SAMPLES_COLUMNS, samples),
                             ("summary.csv", mmiores.SUMMARY_COLUMNS, summary),
                             ("cdf.csv", mmiores.CDF_COLUMNS, cdf)):
        if drop_column and drop_column[0] == name:
            cols = [c for c in cols if c != drop_column[1]]
        with open(os.path.join(run_dir, name), "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({c: r.get(c, "") for c in cols})
    # The key names bench/runner.c writes (results/README.md, meta.json).
    plat = dict(platform or PLATFORM)
    plat["kernel_release"] = plat.pop("kernel", "6.18.44")
    plat["params"] = {f"kvm.{k}": v for k, v in plat.pop("kvm_params", {}).items()}
    meta = {"synthetic": True, "tool": "mmiobench", "version": "test",
            "git_rev": "0000000", "git_dirty": False, "command_line": "synthetic",
            "date_utc": "2026-11-22T03:15:00Z", "complete": cut_short is None,
            "platform": plat,
            "options": {"reps": reps, "quick": quick, "cpl": [0, 3]},
            "placement": {"vcpu_cpu": 0, "vcpu_pinned": True, "iothread_cpu": 1,
                          "numa_node": 0},
            "scenarios": scenarios(floors),
            "skipped": skipped, "cut_short": cut_short,
            "crosscheck_failures": 1 if crosscheck_fail else 0}
    with open(os.path.join(run_dir, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
    return run_dir


def write_side(root, label, n_runs, seed0, **kw):
    """n_runs runs named like run-ids (time-ordered) under root; returns paths."""
    out = []
    for i in range(n_runs):
        d = os.path.join(root, f"20261122T03{i:02d}00Z-{label}{i}")
        out.append(write_run(d, seed=seed0 + i, **kw))
    return out
