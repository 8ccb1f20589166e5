"""Reading mmiobench results directories (schema: results/README.md).

Standard library only. Every script reads results through this module, so
the column lists live here once on the Python side; tests/py/test_schema.py
checks them against bench/results_schema.c.
"""
import csv
import json
import math
import os
import subprocess

CONFIG_COLUMNS = ["scenario", "kind", "cpl", "notify", "irq", "queue_size",
                  "batch", "event_idx", "completion", "halt_poll", "ring", "iothread",
                  "notification_data"]
IOTHREAD_KINDS = ("mmio_ioeventfd_datamatch", "mmio_ioeventfd_zerolen")


def _legacy_iothread(row):
    """Before `iothread`, every ioeventfd kick woke a blocking iothread."""
    if "iothread" in row:
        return row["iothread"]
    if row.get("notify", "").startswith("ioeventfd") or row.get("kind") in IOTHREAD_KINDS:
        return "block"
    return ""


# Columns that results written before they existed lack, with the value
# those results meant: notify and irq roundtrip rows before `ring` were
# all split rings; ioeventfd rows before `iothread` had a blocking one;
# none of them negotiated notification data.
LEGACY_COLUMNS = {"ring": lambda row: "split" if row.get("scenario") == "notify" or
                  (row.get("scenario"), row.get("kind")) == ("irq", "roundtrip") else "",
                  "iothread": _legacy_iothread,
                  "notification_data": lambda row: "0" if (row.get("scenario"), row.get("kind")) in
                  (("notify", "throughput"), ("irq", "roundtrip")) else "",
                  "eventfd_kicks": lambda row: "", "iothread_wakeups": lambda row: "",
                  "poll_hit_rate": lambda row: "", "poll_window_ns": lambda row: "",
                  "ring_floor_requests_per_s": lambda row: "", "ring_floor_ratio": lambda row: "",
                  "cv": lambda row: ""}
# Kinds whose name changed meaning, by results written before `iothread`:
# pio_ioeventfd had no waiter then (it is pio_ioeventfd_nowaiter now).
LEGACY_KINDS = {"pio_ioeventfd": "pio_ioeventfd_nowaiter"}
SAMPLES_COLUMNS = CONFIG_COLUMNS + [
    "rep", "samples",
    "min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "mean_ns", "stddev_ns",
    "floor_p50_ns", "net_p50_ns", "net_p99_ns", "host_user_p50_ns",
    "duration_s", "requests", "requests_per_s", "notifies_per_s", "exits_per_s",
    "irqs_per_s", "vcpu_cpu_ns_per_req", "iothread_cpu_ns_per_req",
    "kvm_exits", "kvm_mmio_exits", "kvm_io_exits", "kvm_irq_injections",
    "device_notifies", "device_irqs", "eventfd_kicks", "iothread_wakeups", "poll_hit_rate",
    "poll_window_ns", "ring_floor_requests_per_s", "ring_floor_ratio", "crosscheck"]
SUMMARY_COLUMNS = CONFIG_COLUMNS + ["metric", "unit", "reps", "median", "ci95_lo",
                                    "ci95_hi", "min_rep", "max_rep", "cv"]
CDF_COLUMNS = CONFIG_COLUMNS + ["rep", "q", "ns"]

LATENCY_SCENARIOS = ("exit", "irq")
LATENCY_METRICS = ["p50_ns", "p99_ns", "net_p50_ns"]
THROUGHPUT_METRICS = ["requests_per_s", "notifies_per_s", "exits_per_s", "irqs_per_s",
                      "vcpu_cpu_ns_per_req", "iothread_cpu_ns_per_req"]
NOTIFY_MODES = ["trapped", "ioeventfd", "ioeventfd_zerolen"]
FILES = ["samples.csv", "summary.csv", "cdf.csv", "meta.json"]


class ResultsError(Exception):
    """Input that cannot be used: missing file, bad header, bad JSON."""


def metric_direction(metric):
    """-1 when lower is better (_ns, ns per request), +1 when higher is better."""
    if metric.endswith("_per_s"):
        return +1
    if metric.endswith("_ns") or metric.endswith("_ns_per_req"):
        return -1
    raise ValueError(f"metric {metric!r}: no known direction (want _ns or _per_s)")


def to_float(s):
    """A CSV cell as a float, None when empty or not a finite number."""
    if s is None or s == "":
        return None
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_csv(path, want_columns=None):
    """(header, rows as dicts). Raises ResultsError on a missing file or, with
    want_columns, a header that lacks any of them."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            r = csv.reader(f)
            try:
                header = next(r)
            except StopIteration:
                raise ResultsError(f"{path}: empty file (no header)") from None
            rows = [dict(zip(header, row)) for row in r if row]
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing") from None
    if want_columns:
        missing = [c for c in want_columns if c not in header and c not in LEGACY_COLUMNS]
        if missing:
            raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}")
    return header, rows


def read_meta(run_dir):
    path = os.path.join(run_dir, "meta.json")
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing") from None
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(meta, dict):
        raise ResultsError(f"{path}: not a JSON object")
    return normalize_meta(meta)


def normalize_meta(meta):
    """Adds the canonical keys the scripts read (results/README.md) from the
    names bench/runner.c writes, keeping every original key."""
    m = dict(meta)
    opts = m.get("options") if isinstance(m.get("options"), dict) else {}
    m.setdefault("tool_version", m.get("version"))
    m.setdefault("date", m.get("date_utc"))
    if not isinstance(m.get("git"), dict):
        m["git"] = {"rev": m.get("git_rev"), "dirty": m.get("git_dirty")}
    if "cpls" not in m and isinstance(opts.get("cpl"), list):
        m["cpls"] = opts["cpl"]
    if "sweep" not in m and "quick" in opts:
        m["sweep"] = "quick" if opts["quick"] else "full"
    plat = dict(m.get("platform") or {})
    plat.setdefault("kernel", plat.get("kernel_release"))
    if "kvm_params" not in plat and isinstance(plat.get("params"), dict):
        plat["kvm_params"] = plat["params"]
    m["platform"] = plat
    return m


def listed_kinds(listing, scenario):
    """Kind names of scenario in a `mmiobench list --json` listing (also what
    meta.json `scenarios` holds), in registry order; None if not listed."""
    for s in listing or []:
        if isinstance(s, dict) and s.get("name") == scenario:
            return [k.get("name") for k in s.get("kinds") or [] if isinstance(k, dict)]
    return None


def scenario_kinds(scenario, meta=None, rows=()):
    """The kinds of a scenario in mmiobench's order, read from the results:
    meta.json `scenarios` when the run wrote it, then any other kind the
    rows hold in the order they first appear (mmiobench writes rows in
    registry order, so that order is the same for older results)."""
    out = list(listed_kinds((meta or {}).get("scenarios"), scenario) or [])
    for r in rows:
        if r.get("scenario") == scenario and r.get("kind") and r["kind"] not in out:
            out.append(r["kind"])
    return out


_REGISTRY = {}


def registry(binary=None):
    """`mmiobench list --json` of the binary (MMIOBENCH_BIN, else
    build/mmiobench): the scenarios that exist. Only for results written
    before meta.json listed them; None when no binary answers."""
    here = os.path.dirname(os.path.abspath(__file__))
    binary = binary or os.environ.get("MMIOBENCH_BIN") or os.path.join(here, "..", "build", "mmiobench")
    if binary not in _REGISTRY:
        try:
            p = subprocess.run([binary, "list", "--json"], capture_output=True, text=True, timeout=30)
            _REGISTRY[binary] = json.loads(p.stdout)["scenarios"] if p.returncode == 0 else None
        except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
            _REGISTRY[binary] = None
    return _REGISTRY[binary]


def config_key(row):
    key = tuple(row[c] if c in row else LEGACY_COLUMNS[c](row) if c in LEGACY_COLUMNS else ""
                for c in CONFIG_COLUMNS)
    if "iothread" not in row and row.get("kind") in LEGACY_KINDS:
        key = (key[0], LEGACY_KINDS[row["kind"]]) + key[2:]
    return key


def ring_floor_key(cfg):
    """The config key of the ring_floor row a notify throughput row is a
    ratio to (bench/notify_floor.c): no CPL, no irq method, the kick as a
    direct call (trapped) or an eventfd (either ioeventfd mode)."""
    d = dict(cfg)
    d["kind"] = "ring_floor"
    d["cpl"] = ""
    d["irq"] = ""
    d["notify"] = "direct" if d["notify"] == "trapped" else "eventfd"
    d["notification_data"] = ""
    return tuple(d[c] for c in CONFIG_COLUMNS)


WAKEUP_PAIRS = (("mmio_ioeventfd_datamatch", "mmio_ioeventfd_nowaiter"),
                ("pio_ioeventfd", "pio_ioeventfd_nowaiter"))


def wakeup_split(summary):
    """[(kind, cpl, iothread, nowaiter net p50, waited net p50)]: each exit
    ioeventfd kind with a waiter next to its nowaiter twin at the same CPL."""
    med = {}
    for r in summary:
        if r["scenario"] == "exit" and r["metric"] == "net_p50_ns":
            d = config_dict(config_key(r))
            med[(d["kind"], d["cpl"], d["iothread"])] = to_float(r["median"])
    out = []
    for waited, alone in WAKEUP_PAIRS:
        for (kind, cpl, mode), v in sorted(med.items()):
            base = med.get((alone, cpl, ""))
            if kind == waited and v is not None and base is not None:
                out.append((kind, cpl, mode, base, v))
    return out


# Each exit kind next to the raw KVM_RUN loop's kind of the same access.
RAW_REFERENCE = {"mmio_write_trapped": "raw_mmio_write",
                 "mmio_ioeventfd_datamatch": "raw_mmio_ioeventfd",
                 "mmio_ioeventfd_zerolen": "raw_mmio_ioeventfd_zerolen",
                 "mmio_ioeventfd_nowaiter": "raw_mmio_ioeventfd",
                 "pio_trapped": "raw_pio_write",
                 "pio_ioeventfd": "raw_pio_ioeventfd",
                 "pio_ioeventfd_nowaiter": "raw_pio_ioeventfd"}


def ratio_ci(num, den):
    """num / den for two (median, ci95_lo, ci95_hi) triples: the ratio of the
    medians and the interval the two CIs allow (num lo / den hi .. num hi /
    den lo: conservative, no independence assumed); lo, hi None when a CI is
    missing or den's is not positive."""
    (m, lo, hi), (dm, dlo, dhi) = num, den
    if None in (lo, hi, dlo, dhi) or dlo <= 0 or dhi <= 0:
        return m / dm, None, None
    return m / dm, lo / dhi, hi / dlo


def raw_ratios(summary):
    """[(kind, cpl, iothread, raw kind, ratio, lo, hi)]: each exit kind's net
    p50 median over its raw reference's at the same CPL, with the interval the
    two 95% CIs allow (lo, hi None when a CI is missing)."""
    net = {}
    for r in summary:
        if r["scenario"] == "exit" and r["metric"] == "net_p50_ns":
            d = config_dict(config_key(r))
            net[(d["kind"], d["cpl"], d["iothread"])] = [to_float(r[c]) for c in
                                                         ("median", "ci95_lo", "ci95_hi")]
    out = []
    for (kind, cpl, mode), v in sorted(net.items()):
        raw = RAW_REFERENCE.get(kind)
        ref = net.get((raw, cpl, ""))
        if ref is None or ref[0] is None or ref[0] <= 0 or v[0] is None:
            continue
        out.append((kind, cpl, mode, raw) + ratio_ci(v, ref))
    return out


def config_dict(key):
    return dict(zip(CONFIG_COLUMNS, key))


def config_label(key, skip=("scenario",)):
    """Short human label: kind, then every other non-empty field."""
    d = config_dict(key)
    parts = [d["kind"]] if "kind" not in skip and d["kind"] else []
    short = {"cpl": "cpl", "notify": "", "irq": "", "queue_size": "qs", "batch": "batch",
             "event_idx": "event_idx", "completion": "compl", "halt_poll": "halt_poll",
             "ring": "", "iothread": "iothread", "notification_data": "notification_data"}
    for c in CONFIG_COLUMNS[2:]:
        if c in skip or d[c] == "":
            continue
        if short[c] == "" and d[c] in d["kind"]:
            continue    # mmio_write_trapped needs no "trapped", host_irqfd no "irqfd"
        if c == "notification_data":
            if d[c] == "1":
                parts.append("notification_data")
            continue    # 0, the default, says nothing
        parts.append(d[c] if short[c] == "" else f"{short[c]}={d[c]}")
    return " ".join(parts)


def notify_line_label(row, skip=("scenario", "kind", "queue_size", "completion")):
    """Label of a notify line across queue sizes: a batch equal to the queue
    size (mmiobench --batches q) reads "batch=q", so it stays one line."""
    d = dict(config_dict(config_key(row)))
    if d["batch"] and d["batch"] == d["queue_size"]:
        d["batch"] = "q"
    return config_label(tuple(d[c] for c in CONFIG_COLUMNS), skip=skip)


def failed_configs(samples):
    """{config key: (failed reps, reps)} for configurations with crosscheck FAIL."""
    reps, fails = {}, {}
    for r in samples:
        k = config_key(r)
        reps[k] = reps.get(k, 0) + 1
        if r.get("crosscheck") == "FAIL":
            fails[k] = fails.get(k, 0) + 1
    return {k: (n, reps[k]) for k, n in fails.items()}


def platform_identity(meta):
    """What must match for absolute numbers to be comparable."""
    p = meta.get("platform") or {}
    return {k: p.get(k) for k in ("hypervisor", "nested", "cpu_model", "tsc_khz")}


TSC_TOLERANCE = 0.001   # the kernel recalibrates the TSC at boot: kHz differ a little


def same_platform(a, b):
    """platform_identity() dicts equal, TSC frequency within TSC_TOLERANCE."""
    for k in ("hypervisor", "nested", "cpu_model"):
        if a.get(k) != b.get(k):
            return False
    ta, tb = a.get("tsc_khz"), b.get("tsc_khz")
    if isinstance(ta, (int, float)) and isinstance(tb, (int, float)) and ta > 0:
        return abs(ta - tb) / ta <= TSC_TOLERANCE
    return ta == tb


def run_problems(run):
    """Why a run's numbers must not be used for a verdict, or []."""
    out = []
    meta = run.meta
    if meta.get("cut_short"):
        out.append(f"{run.path}: cut short: {meta['cut_short']}")
    fails = [r for r in run.samples if r.get("crosscheck") == "FAIL"]
    if fails:
        r = fails[0]
        out.append(f"{run.path}: {len(fails)} samples row(s) with crosscheck FAIL (e.g. "
                   f"{r['scenario']}/{config_label(config_key(r))} rep {r['rep']}): the "
                   "measurement disagrees with KVM's counters")
    return out


class Run:
    """One results directory, read lazily."""

    def __init__(self, path):
        self.path = path
        if not os.path.isdir(path):
            raise ResultsError(f"{path}: not a directory")
        self._meta = self._summary = self._samples = self._cdf = None

    @property
    def name(self):
        return os.path.basename(os.path.normpath(os.path.realpath(self.path)))

    @property
    def meta(self):
        if self._meta is None:
            self._meta = read_meta(self.path)
        return self._meta

    def meta_or_empty(self):
        try:
            return self.meta
        except ResultsError:
            return {}

    @property
    def summary(self):
        if self._summary is None:
            self._summary = read_csv(os.path.join(self.path, "summary.csv"), SUMMARY_COLUMNS)[1]
        return self._summary

    @property
    def samples(self):
        if self._samples is None:
            self._samples = read_csv(os.path.join(self.path, "samples.csv"), SAMPLES_COLUMNS)[1]
        return self._samples

    @property
    def cdf(self):
        if self._cdf is None:
            self._cdf = read_csv(os.path.join(self.path, "cdf.csv"), CDF_COLUMNS)[1]
        return self._cdf

    def summary_values(self):
        """{(config key, metric): median over this run's repetitions}."""
        out = {}
        for row in self.summary:
            v = to_float(row["median"])
            if v is not None:
                out[(config_key(row), row["metric"])] = v
        return out
