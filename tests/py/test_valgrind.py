#!/usr/bin/env python3
"""The VM life cycle is valgrind-clean: VMs, vCPUs, memslots, the watchdog
timer, irqfds, ioeventfds and the virtio iothread are all torn down without
a leak or an invalid access. Runs a few KVM selftests under memcheck."""
import os
import shutil
import subprocess
import sys

import ktap

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("MMIOBENCH_BUILD", os.path.join(ROOT, "build"))
TESTS = ["hello", "watchdog", "irq_inject", "virtio_guest_drv"]


def make_case(name):
    def case():
        binary = os.path.join(BUILD, "tests", "kvm", name)
        if not shutil.which("valgrind"):
            raise ktap.Skip("valgrind is not installed")
        if not os.access("/dev/kvm", os.R_OK | os.W_OK):
            raise ktap.Skip("/dev/kvm is not usable here")
        if "san" in os.path.basename(BUILD):
            raise ktap.Skip("sanitizer builds do not run under valgrind")
        if not os.access(binary, os.X_OK):
            raise ktap.Skip(f"{binary} is not built")
        p = subprocess.run(["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
                            "--error-exitcode=99", "-q", binary],
                           capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, MMIOBENCH_WATCHDOG_MS="60000"))
        errors = [l for l in p.stderr.splitlines() if l.startswith("==") and "ioctl" not in l
                  and "README_MISSING" not in l and "spurious value" not in l]
        if p.returncode == 99 or errors:
            ktap.diag("\n".join(errors[-40:]))
        assert p.returncode != 99, f"valgrind found errors or leaks in {name}"
        assert p.returncode in (0, 4), f"{name} failed under valgrind (exit {p.returncode})"
    case.__name__ = f"valgrind_clean_{name}"
    return case


if __name__ == "__main__":
    sys.exit(ktap.run([make_case(t) for t in TESTS]))
