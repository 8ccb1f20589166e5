#!/usr/bin/env python3
"""A/A control on this machine with real runs: the same mmiobench binary on
both sides, interleaved A B B A ..., must not be flagged as a regression by
scripts/compare.py. Small on purpose (two exit kinds and a notify point, few
samples) so that `make check` stays short; `make ab A=HEAD B=HEAD` is the
full-size version."""
import os
import subprocess
import sys
import tempfile

import ktap

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("MMIOBENCH_BIN", os.path.join(ROOT, "build", "mmiobench"))
ROUNDS = 4  # per side


def kvm_usable():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def run_once(out, tag):
    argv = [BIN, "sweep", "--quick", "--no-plots", "--reps", "2", "--iterations", "200",
            "--kinds", "mmio_write_trapped,mmio_ioeventfd_datamatch,throughput",
            "--queue-sizes", "256", "--batches", "8", "--completion", "poll",
            "--requests", "400", "--out", os.path.join(out, tag)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    return os.path.realpath(os.path.join(out, tag, "latest"))


def test_aa_quick_sweep_is_clean():
    if not kvm_usable():
        raise ktap.Skip("/dev/kvm is not usable here")
    if not os.access(BIN, os.X_OK):
        raise ktap.Skip(f"{BIN} is not built")
    with tempfile.TemporaryDirectory() as out:
        a, b = [], []
        for r in range(ROUNDS):  # A B B A: drift hits both sides alike
            order = ("a", "b") if r % 2 == 0 else ("b", "a")
            for side in order:
                (a if side == "a" else b).append(run_once(out, side))
        p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "compare.py"),
                            "--a", *a, "--b", *b, "--out", os.path.join(out, "cmp"), "--quiet"],
                           capture_output=True, text=True, timeout=600)
        ktap.diag(p.stdout[-1500:])
        assert p.returncode == 0, f"A/A flagged (exit {p.returncode}): {p.stderr[-1500:]}"


if __name__ == "__main__":
    sys.exit(ktap.run([test_aa_quick_sweep_is_clean]))
