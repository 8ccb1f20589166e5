#!/usr/bin/env python3
"""The results schema is written once per language: C (bench/results_schema.c)
and Python (scripts/mmiores.py). They must agree, and results/README.md must
name every column."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import ktap  # noqa: E402
import mmiores  # noqa: E402


def c_arrays():
    src = open(os.path.join(ROOT, "bench", "results_schema.c")).read()
    cfg = re.search(r"#define CONFIG_COLUMNS (.*?)\n\n", src, re.S).group(1)
    cfg_cols = re.findall(r'"([a-z0-9_]+)"', cfg)
    out = {}
    for name in ("samples", "summary", "cdf"):
        body = re.search(r"results_%s_columns\[\] = \{(.*?)\};" % name, src, re.S).group(1)
        cols = []
        for m in re.finditer(r'CONFIG_COLUMNS|"([a-z0-9_]+)"', body):
            cols.extend(cfg_cols if m.group(0) == "CONFIG_COLUMNS" else [m.group(1)])
        out[name] = cols
    return out


def c_matches_python():
    c = c_arrays()
    assert c["samples"] == mmiores.SAMPLES_COLUMNS, (c["samples"], mmiores.SAMPLES_COLUMNS)
    assert c["summary"] == mmiores.SUMMARY_COLUMNS
    assert c["cdf"] == mmiores.CDF_COLUMNS


def readme_names_every_column():
    text = open(os.path.join(ROOT, "results", "README.md")).read()
    for col in set(mmiores.SAMPLES_COLUMNS + mmiores.SUMMARY_COLUMNS + mmiores.CDF_COLUMNS):
        assert f"`{col}`" in text, col
    listing = mmiores.registry()
    if listing is None:
        raise ktap.Skip("no mmiobench binary to list the kinds (set MMIOBENCH_BIN)")
    for s in listing:
        for kind in mmiores.listed_kinds(listing, s["name"]):
            assert f"`{kind}`" in text, kind


def registry_lists_what_exists():
    """`mmiobench list --json`: every scenario once, kinds unique, each with
    the metrics its summary rows carry. The scripts read kind names from
    here and from meta.json, never from a copy of their own."""
    listing = mmiores.registry()
    if listing is None:
        raise ktap.Skip("no mmiobench binary (set MMIOBENCH_BIN)")
    assert [s["name"] for s in listing] == ["exit", "irq", "notify"], listing
    names = [k["name"] for s in listing for k in s["kinds"]]
    assert len(names) == len(set(names)), names
    assert mmiores.listed_kinds(listing, "exit")[0] == "empty_loop"
    for s in listing:
        for k in s["kinds"]:
            assert k["metrics"], k
            for m in k["metrics"]:
                mmiores.metric_direction(m)
    assert not hasattr(mmiores, "EXIT_KINDS") and not hasattr(mmiores, "IRQ_KINDS")


def metric_directions():
    assert mmiores.metric_direction("p50_ns") == -1
    assert mmiores.metric_direction("vcpu_cpu_ns_per_req") == -1
    assert mmiores.metric_direction("requests_per_s") == +1
    for m in mmiores.LATENCY_METRICS + mmiores.THROUGHPUT_METRICS:
        mmiores.metric_direction(m)


def results_before_a_column_still_read():
    """A notify row written before `ring` existed is a split-ring row, so an
    A/B against an old baseline compares like with like; other rows leave
    it empty. Such a file still passes the column check."""
    import tempfile
    old = {"scenario": "notify", "kind": "throughput", "queue_size": "256"}
    assert mmiores.config_dict(mmiores.config_key(old))["ring"] == "split"
    assert mmiores.config_dict(mmiores.config_key(dict(old, ring="packed")))["ring"] == "packed"
    assert mmiores.config_dict(mmiores.config_key({"scenario": "exit", "kind": "cpuid"}))["ring"] == ""
    rt = {"scenario": "irq", "kind": "roundtrip"}
    assert mmiores.config_dict(mmiores.config_key(rt))["ring"] == "split"
    # Before `iothread`: ioeventfd rows had a blocking iothread, and the old
    # pio_ioeventfd (nobody read its eventfd) is today's nowaiter kind.
    assert mmiores.config_dict(mmiores.config_key(dict(old, notify="ioeventfd")))["iothread"] == "block"
    assert mmiores.config_dict(mmiores.config_key(dict(old, notify="trapped")))["iothread"] == ""
    dm = {"scenario": "exit", "kind": "mmio_ioeventfd_datamatch"}
    assert mmiores.config_dict(mmiores.config_key(dm))["iothread"] == "block"
    pio = mmiores.config_dict(mmiores.config_key({"scenario": "exit", "kind": "pio_ioeventfd"}))
    assert (pio["kind"], pio["iothread"]) == ("pio_ioeventfd_nowaiter", "")
    new = {"scenario": "exit", "kind": "pio_ioeventfd", "iothread": "busy"}
    assert mmiores.config_dict(mmiores.config_key(new))["kind"] == "pio_ioeventfd"
    cols = [c for c in mmiores.SUMMARY_COLUMNS if c not in mmiores.LEGACY_COLUMNS]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(",".join(cols) + "\n")
        path = f.name
    try:
        mmiores.read_csv(path, mmiores.SUMMARY_COLUMNS)
    finally:
        os.unlink(path)


if __name__ == "__main__":
    sys.exit(ktap.run([c_matches_python, readme_names_every_column, registry_lists_what_exists,
                       metric_directions, results_before_a_column_still_read]))
