#!/usr/bin/env python3
"""scripts/check_results.py on SYNTHETIC result sets."""
import contextlib
import io
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import check_results  # noqa: E402
import ktap  # noqa: E402
import synth  # noqa: E402


def run(argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        rc = check_results.main(argv)
    return rc, out.getvalue()


def complete_run_passes():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"))
        rc, out = run([d, "--expect", "quick"])
        assert rc == 0, out
        rc, out = run([d, "--expect", "full"])
        assert rc == 0, out


def missing_column_caught():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"), drop_column=("samples.csv", "p99_ns"))
        rc, out = run([d])
        assert rc == 1 and "samples.csv: missing column(s): p99_ns" in out, out


def missing_file_caught():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"))
        os.unlink(os.path.join(d, "cdf.csv"))
        rc, out = run([d])
        assert rc == 1 and "cdf.csv: missing" in out, out
        rc, out = run([os.path.join(tmp, "nope")])
        assert rc == 2, out


def crosscheck_fail_caught():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"), crosscheck_fail=True)
        rc, out = run([d])
        assert rc == 1 and "crosscheck FAIL" in out, out


def missing_configuration_caught():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"),
                            drop=lambda c: c["kind"] == "cpuid" and c["cpl"] == "3")
        rc, out = run([d])
        assert rc == 0, out  # structure alone is fine
        rc, out = run([d, "--expect", "quick"])
        assert rc == 1 and "expected exit/cpuid at CPL 3" in out, out
        # a kind listed in meta.json skipped counts as present
        d2 = synth.write_run(os.path.join(tmp, "r2"), skipped=[
            {"scenario": "exit", "kind": "cpuid", "reason": "test"},
            {"scenario": "exit", "kind": "vmcall", "reason": "test"}])
        rc, out = run([d2, "--expect", "quick"])
        assert rc == 0, out
        # a skip for one CPL exempts only that CPL
        d4 = synth.write_run(os.path.join(tmp, "r4"), drop=lambda c: c["kind"] == "cpuid",
                             skipped=[{"scenario": "exit", "kind": "cpuid", "cpl": 0,
                                       "reason": "test"},
                                      {"scenario": "exit", "kind": "vmcall", "reason": "test"}])
        rc, out = run([d4, "--expect", "quick"])
        assert rc == 1 and "exit/cpuid at CPL 3" in out and "CPL 0" not in out, out
        d3 = synth.write_run(os.path.join(tmp, "r3"),
                             drop=lambda c: c["queue_size"] == "32768")
        rc, out = run([d3, "--expect", "full"])
        assert rc == 1 and "queue_size=32768: absent" in out, out
        rc, out = run([d3, "--expect", "quick"])
        assert rc == 0, out


def ring_floors_checked():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"), floors=True)
        rc, out = run([d, "--expect", "quick"])
        assert rc == 0, out
        # a throughput configuration without its floor
        d2 = synth.write_run(os.path.join(tmp, "r2"), floors=True,
                             drop=lambda c: c["kind"] == "ring_floor" and c["queue_size"] == "256")
        rc, out = run([d2, "--expect", "quick"])
        assert rc == 1 and "expected notify/ring_floor for throughput" in out and "qs=256" in out, out
        # a ratio that is not requests_per_s over the floor
        d3 = synth.write_run(os.path.join(tmp, "r3"), floors=True, floor_ratio_off=1.5)
        rc, out = run([d3])
        assert rc == 1 and "ring_floor_ratio" in out and "is not requests_per_s" in out, out


def inconsistent_summary_caught():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"))
        path = os.path.join(d, "summary.csv")
        lines = open(path).read().splitlines(True)
        kept = [ln for ln in lines if not (ln.startswith("exit,pio_trapped,0,") and ",p99_ns," in ln)]
        assert len(kept) == len(lines) - 1
        open(path, "w").write("".join(kept))
        rc, out = run([d])
        assert rc == 1 and "no p99_ns row for exit/pio_trapped cpl=0" in out, out


def cut_short_caught():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"), cut_short="SIGINT")
        rc, out = run([d])
        assert rc == 1 and "cut short: SIGINT" in out, out


if __name__ == "__main__":
    sys.exit(ktap.run([complete_run_passes, missing_column_caught, missing_file_caught,
                       crosscheck_fail_caught, missing_configuration_caught,
                       ring_floors_checked, inconsistent_summary_caught, cut_short_caught]))
