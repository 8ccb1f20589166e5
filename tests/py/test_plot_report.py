#!/usr/bin/env python3
"""scripts/plot.py and scripts/report.py on SYNTHETIC result sets."""
import contextlib
import io
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import gplot  # noqa: E402
import mmiores  # noqa: E402
import ktap  # noqa: E402
import plot  # noqa: E402
import report  # noqa: E402
import synth  # noqa: E402


def quiet(fn, argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = fn(argv)
    return rc, out.getvalue(), err.getvalue()


def need_gnuplot():
    why = gplot.unavailable()
    if why:
        raise ktap.Skip(why)


def full_set_plots():
    need_gnuplot()
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"), reps=5, noise=0.03)
        rc, so, se = quiet(plot.main, [d])
        assert rc == 0, (rc, se)
        plots = json.load(open(os.path.join(d, "plots.json")))
        bad = [p for p in plots if not p["ok"]]
        assert not bad, bad
        for name in ("exit_latency", "exit_latency_net", "cdf_exit_cpl0", "cdf_exit_cpl3",
                     "irq_cost", "throughput_poll_cpl3", "throughput_irq_cpl3",
                     "cpu_per_req_poll_cpl3", "cpu_per_req_irq_cpl3"):
            for ext in (".png", ".svg", ".dat"):
                assert os.path.getsize(os.path.join(d, name + ext)) > 100, name + ext
        png = open(os.path.join(d, "exit_latency.png"), "rb").read(8)
        assert png.startswith(b"\x89PNG"), png


def absent_data_is_a_note():
    need_gnuplot()
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"), drop=lambda c: c["scenario"] != "exit")
        os.unlink(os.path.join(d, "cdf.csv"))
        rc, so, se = quiet(plot.main, [d])
        assert rc == 0, (rc, se)
        plots = {p["name"]: p for p in json.load(open(os.path.join(d, "plots.json")))}
        assert plots["exit_latency"]["ok"]
        assert not plots["irq_cost"]["ok"] and "no irq rows" in plots["irq_cost"]["note"]
        assert not plots["throughput"]["ok"]
        assert "cdf.csv: missing" in plots["cdf"]["note"]
        rc, so, se = quiet(report.main, [d])
        assert rc == 0, (rc, se)
        md = open(os.path.join(d, "report.md")).read()
        assert "IRQ cost by stage: not drawn: no irq rows" in md, md[-1500:]


def empty_summary_is_a_note():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"), drop=lambda c: True)
        rc, so, se = quiet(plot.main, [d])
        assert rc == 0, (rc, so, se)
        rc, so, se = quiet(report.main, [d, "--no-plots"])
        assert rc == 0, (rc, se)


def report_contents():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"), reps=3, cut_short="SIGINT after exit scenario",
                            skipped=[{"scenario": "exit", "kind": "vmcall",
                                      "reason": "hangs on PVM (watchdog)"},
                                     {"scenario": "irq", "kind": "deliver_halted",
                                      "reason": "halt polling cannot be disabled"}],
                            crosscheck_fail=True)
        rc, so, se = quiet(report.main, [d])
        assert rc == 0, (rc, se)
        md = open(os.path.join(d, "report.md")).read()
        for want in ("| hypervisor | PVM |", "2596.1 MHz", "skipped exit/vmcall: hangs on PVM",
                     "skipped irq/deliver_halted: halt polling cannot be disabled",
                     "the run was cut short**: SIGINT after exit scenario",
                     "cross-check FAILED** for exit/mmio_write_trapped cpl=0 in 3 of 3 rep(s)",
                     "fewer than 6", "SYNTHETIC DATA", "| mmio_write_trapped cpl=3 |",
                     "Requests/s by queue size", "| 16 | 256 | 4096 | 32768 |"):
            assert want in md, want
        if not gplot.unavailable():
            assert "![Exit latency by kind" in md
        assert not os.path.exists(os.path.join(d, "report.md.tmp"))
        # synth makes packed requests take 0.8x the time: ratio 1.25, per size
        ratios = md.split("Packed/split requests/s", 1)[1].split("\n\n", 2)[1]
        line = next(ln for ln in ratios.splitlines() if ln.startswith("| cpl=3 trapped") and "compl=poll" in ln)
        vals = [float(c.split()[0]) for c in line.strip("|").split("|")[1:]]
        assert len(vals) == 4 and all(abs(v - 1.25) < 0.05 for v in vals), line
        # each kind over its raw twin: nowaiter CPL3 (3600-0.7)/(3500-0.7)
        raw = md.split("Against the raw KVM_RUN loop", 1)[1].split("\n\n", 2)[1]
        line = next(ln for ln in raw.splitlines() if ln.startswith("| mmio_ioeventfd_nowaiter | 3 |"))
        assert "raw_mmio_ioeventfd |" in line and abs(float(line.split("|")[5].split()[0]) - 1.029) < 0.03, line
        zl = next(ln for ln in raw.splitlines() if ln.startswith("| mmio_ioeventfd_zerolen | 0 |"))
        assert zl.split("|")[4].strip() == "raw_mmio_ioeventfd_zerolen", zl
        # the CV column: noise 1% between reps
        row = next(ln for ln in md.splitlines() if ln.startswith("| mmio_write_trapped cpl=3 |"))
        assert 0 < float(row.split("|")[5].strip().rstrip("%")) < 5, row


def iothread_cost_per_mode():
    """The share of a core each iothread mode kept busy: CPU per request x rate."""
    def row(mode, metric, v):
        r = {c: "" for c in mmiores.SUMMARY_COLUMNS}
        r.update(scenario="notify", kind="throughput", cpl="3", notify="ioeventfd",
                 queue_size="256", batch="1", iothread=mode, metric=metric, median=str(v))
        return r
    summary = [row("block", "requests_per_s", 100000), row("block", "iothread_cpu_ns_per_req", 2000),
               row("busy", "requests_per_s", 200000), row("busy", "iothread_cpu_ns_per_req", 5000)]
    md = "\n".join(report.iothread_cost_table(summary))
    assert "| block | 1 | 20% [20%, 20%] | 2000 ns |" in md, md
    assert "| busy | 1 | 100% [100%, 100%] | 5000 ns |" in md, md


def unusable_dir_exit_2():
    with tempfile.TemporaryDirectory() as tmp:
        d = synth.write_run(os.path.join(tmp, "r"))
        os.unlink(os.path.join(d, "summary.csv"))
        rc, _, se = quiet(plot.main, [d])
        assert rc == 2 and "summary.csv: missing" in se, (rc, se)
        rc, _, se = quiet(report.main, [d, "--no-plots"])
        assert rc == 2 and "summary.csv: missing" in se, (rc, se)


if __name__ == "__main__":
    sys.exit(ktap.run([full_set_plots, absent_data_is_a_note, empty_summary_is_a_note,
                       report_contents, iothread_cost_per_mode, unusable_dir_exit_2]))
