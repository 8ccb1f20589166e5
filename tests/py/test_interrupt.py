#!/usr/bin/env python3
"""Ctrl-C in the middle of a sweep: mmiobench stops, exits 130, and leaves a
results directory whose files are whole (no .tmp), whose samples.csv keeps
every row measured before the signal, and whose meta.json says the run was
cut short. Also: a bad option value is refused without writing anything."""
import csv
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import ktap

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("MMIOBENCH_BIN", os.path.join(ROOT, "build", "mmiobench"))


def need_kvm():
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise ktap.Skip("/dev/kvm is not usable here")
    if not os.access(BIN, os.X_OK):
        raise ktap.Skip(f"{BIN} is not built")


def rows(path):
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except FileNotFoundError:
        return []


def test_sigint_keeps_rows():
    need_kvm()
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.Popen([BIN, "sweep", "--quick", "--no-plots", "--out", out],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        run = None
        while time.monotonic() < deadline:
            dirs = [d for d in glob.glob(os.path.join(out, "2*")) if os.path.isdir(d)]
            if dirs and len(rows(os.path.join(dirs[0], "samples.csv"))) >= 3:
                run = dirs[0]
                break
            time.sleep(0.05)
        assert run, "no rows appeared within 120 s"
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        assert p.returncode == 130, f"exit {p.returncode}, expected 130: {err[-800:]}"
        kept = rows(os.path.join(run, "samples.csv"))
        assert len(kept) >= 3, f"only {len(kept)} rows kept"
        assert not glob.glob(os.path.join(run, "*.tmp")), "a .tmp file was left behind"
        meta = json.load(open(os.path.join(run, "meta.json")))
        assert meta.get("cut_short"), f"meta.json does not say the run was cut short: {meta.get('cut_short')}"
        assert meta.get("complete") is False
        ktap.diag(f"{len(kept)} rows kept; cut_short: {meta['cut_short']}")


def test_bad_option_writes_nothing():
    if not os.access(BIN, os.X_OK):
        raise ktap.Skip(f"{BIN} is not built")
    with tempfile.TemporaryDirectory() as out:
        for args, opt in ((["--queue-sizes", "100"], "--queue-sizes"), (["--reps", "0"], "--reps"),
                          (["--cpl", "1"], "--cpl"), (["--notify", "mmio"], "--notify"),
                          (["--iterations", "-5"], "--iterations"), (["--frobnicate"], "--frobnicate")):
            p = subprocess.run([BIN, "exit", "--out", out, *args], capture_output=True, text=True)
            assert p.returncode == 2, f"{args}: exit {p.returncode}"
            assert opt in p.stderr, f"{args}: message does not name {opt}: {p.stderr}"
        assert os.listdir(out) == [], f"something was written: {os.listdir(out)}"


def test_missing_value_is_named():
    """An option without its value says so; it is not an unknown option."""
    if not os.access(BIN, os.X_OK):
        raise ktap.Skip(f"{BIN} is not built")
    with tempfile.TemporaryDirectory() as out:
        for opt in ("--iterations", "--kinds", "--out"):
            p = subprocess.run([BIN, "exit", "--out", out, opt] if opt != "--out" else [BIN, "exit", opt],
                               capture_output=True, text=True)
            assert p.returncode == 2, f"{opt}: exit {p.returncode}"
            assert f"{opt} needs a value" in p.stderr, f"{opt}: {p.stderr}"
            assert "unknown option" not in p.stderr, f"{opt}: {p.stderr}"
        assert os.listdir(out) == [], f"something was written: {os.listdir(out)}"


def test_unknown_kind_refused():
    """A kind that does not exist (or not in this command's scenarios) is
    refused naming the valid ones, before anything is written. It used to
    select nothing but the floor and exit 0."""
    if not os.access(BIN, os.X_OK):
        raise ktap.Skip(f"{BIN} is not built")
    with tempfile.TemporaryDirectory() as out:
        for cmd, kinds, bad in (("sweep", "mmio_write_trap", "mmio_write_trap"),
                                ("exit", "mmio_write_trapped,roundtrip", "roundtrip"),
                                ("notify", "throughput,cpuid", "cpuid")):
            p = subprocess.run([BIN, cmd, "--out", out, "--kinds", kinds], capture_output=True, text=True)
            assert p.returncode == 2, f"{cmd} --kinds {kinds}: exit {p.returncode}: {p.stderr}"
            assert f"'{bad}'" in p.stderr and "--kinds" in p.stderr, p.stderr
            assert ("mmio_write_trapped" if cmd != "notify" else "throughput") in p.stderr, p.stderr
        assert os.listdir(out) == [], f"something was written: {os.listdir(out)}"


if __name__ == "__main__":
    sys.exit(ktap.run([test_sigint_keeps_rows, test_bad_option_writes_nothing,
                       test_missing_value_is_named, test_unknown_kind_refused]))
