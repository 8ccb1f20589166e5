#!/usr/bin/env python3
"""run_tests.py --from-dir: what scripts/svm/ktap-run leaves in the VM's share
is tallied exactly as a local run (passes, skips, a failing exit, a program
the VM was killed in, one it never reached)."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ktap  # noqa: E402

RUNNER = os.path.join(HERE, "..", "..", "scripts", "run_tests.py")


def write(d, n, name, out, rc=None):
    base = os.path.join(d, f"{n:03d}")
    with open(base + ".name", "w") as f:
        f.write(name + "\n")
    with open(base + ".out", "w") as f:
        f.write(out)
    if rc is not None:
        with open(base + ".rc", "w") as f:
            f.write(f"{rc} 1.00 2.50\n")


def tally(d, *programs):
    p = subprocess.run([sys.executable, RUNNER, "--from-dir", d, *programs],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def same_tally_as_a_local_run():
    with tempfile.TemporaryDirectory() as d:
        write(d, 1, "/b/tests/kvm/a", "KTAP version 1\n1..2\nok 1 x\nok 2 y # SKIP no z\n", 0)
        write(d, 2, "/b/tests/kvm/s", "1..0 # SKIP no /dev/kvm\n", 4)
        rc, out = tally(d, "/b/tests/kvm/a", "/b/tests/kvm/s")
        ktap.diag(out)
        assert rc == 0 and out.splitlines()[-1] == "1 passed, 0 failed, 2 skipped", out
        assert "/b/tests/kvm/a: 1 passed, 0 failed, 1 skipped in 1.5 s" in out


def hung_and_unreached_programs_fail():
    with tempfile.TemporaryDirectory() as d:
        write(d, 1, "/b/t/ok", "1..1\nok 1 fine\n", 0)
        write(d, 2, "/b/t/hang", "1..3\nok 1 first\n")  # started, no status
        with open(os.path.join(d, "current"), "w") as f:
            f.write("/b/t/hang\n")
        rc, out = tally(d, "/b/t/ok", "/b/t/hang", "/b/t/later")
        ktap.diag(out)
        assert rc == 1, out
        assert "hung: the VM was killed while it ran" in out
        assert "never ran: the VM ended before it" in out
        assert out.splitlines()[-1] == "2 passed, 3 failed, 0 skipped", out


def in_vm_timeout_is_named():
    with tempfile.TemporaryDirectory() as d:
        write(d, 1, "/b/t/slow", "1..2\nok 1 a\n", 143)
        rc, out = tally(d, "/b/t/slow")
        assert rc == 1 and "killed by the in-VM timeout" in out, out


def retry_after_a_hang_is_named():
    """ktap-run re-runs a program once after a watchdog hang; the tally
    counts the second run and names the retry with the first run's output."""
    with tempfile.TemporaryDirectory() as d:
        write(d, 1, "/b/t/wake", "1..2\nok 1 a\nok 2 b\n", 0)
        base = os.path.join(d, "001")
        with open(base + ".first.out", "w") as f:
            f.write("1..2\nok 1 a\n# FAIL harness/ucall.c:84: watchdog: the guest ran 5000 ms without a ucall\n")
        with open(base + ".first.rc", "w") as f:
            f.write("1\n")
        rc, out = tally(d, "/b/t/wake")
        ktap.diag(out)
        assert rc == 0 and out.splitlines()[-1] == "2 passed, 0 failed, 0 skipped", out
        assert "# retried after a hang: /b/t/wake (first run: exit 1" in out, out
        assert "#   # FAIL harness/ucall.c:84: watchdog" in out, out


if __name__ == "__main__":
    sys.exit(ktap.run([same_tally_as_a_local_run, hung_and_unreached_programs_fail,
                       in_vm_timeout_is_named, retry_after_a_hang_is_named]))
