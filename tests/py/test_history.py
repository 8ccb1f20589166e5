#!/usr/bin/env python3
"""scripts/history.py on SYNTHETIC runs: per-host files, idempotent add, plots."""
import contextlib
import io
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import gplot  # noqa: E402
import history  # noqa: E402
import ktap  # noqa: E402
import synth  # noqa: E402


def quiet(argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        rc = history.main(argv)
    return rc, out.getvalue()


def add_is_per_host_and_idempotent():
    vmx = dict(synth.PLATFORM, hypervisor="VMX", nested=False, cpu_model="Intel Xeon (synthetic)",
               tsc_khz=2100000)
    with tempfile.TemporaryDirectory() as tmp:
        runs = synth.write_side(os.path.join(tmp, "runs"), "r", 3, 1)
        other = synth.write_run(os.path.join(tmp, "runs", "20261122T040000Z-vmx"), platform=vmx)
        hist = os.path.join(tmp, "hist")
        rc, out = quiet(["add", *runs, other, "--dir", hist])
        assert rc == 0, out
        files = sorted(os.listdir(hist))
        assert files == ["PVM-AMD_EPYC_synthetic_-2596MHz-nested.csv",
                         "VMX-Intel_Xeon_synthetic_-2100MHz.csv"], files
        path = os.path.join(hist, files[0])
        n = len(open(path).readlines())
        rc, out = quiet(["add", runs[0], "--dir", hist])
        assert rc == 0 and "already in" in out, out
        assert len(open(path).readlines()) == n


def broken_runs_refused():
    with tempfile.TemporaryDirectory() as tmp:
        cut = synth.write_run(os.path.join(tmp, "cut"), cut_short="SIGINT")
        bad = synth.write_run(os.path.join(tmp, "bad"), crosscheck_fail=True)
        rc, out = quiet(["add", cut, bad, "--dir", os.path.join(tmp, "h")])
        assert rc == 1 and "cut short" in out and "crosscheck FAIL" in out, out


def trend_plots():
    if gplot.unavailable():
        raise ktap.Skip(gplot.unavailable())
    with tempfile.TemporaryDirectory() as tmp:
        runs = synth.write_side(os.path.join(tmp, "runs"), "r", 4, 1)
        hist = os.path.join(tmp, "hist")
        quiet(["add", *runs, "--dir", hist])
        path = os.path.join(hist, os.listdir(hist)[0])
        rc, out = quiet(["plot", path, "--out", tmp, "--metric", "p50_ns",
                         "--metric", "requests_per_s"])
        assert rc == 0, out
        for name in ("history_exit_p50_ns", "history_irq_p50_ns", "history_notify_requests_per_s"):
            assert os.path.getsize(os.path.join(tmp, name + ".png")) > 1000, (name, out)
        assert not os.path.exists(os.path.join(tmp, "history_exit_p99_ns.png"))


if __name__ == "__main__":
    sys.exit(ktap.run([add_is_per_host_and_idempotent, broken_runs_refused, trend_plots]))
