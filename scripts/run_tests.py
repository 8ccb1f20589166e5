#!/usr/bin/env python3
"""Run test programs that print KTAP, and sum them up.

Each argument is a test program (an ELF binary, or a .py file run with
python3). A program's cases are its top-level `ok`/`not ok` lines; cases it
planned but never reported count as failed, and so does a non-zero exit
that no `not ok` line explains. Exit status 4 with `1..0 # SKIP` is a skip.
With --guest-check, every ELF binary is also checked by
check_guest_calls.py (guest code calls only guest code); an argument
guestcheck:BINARY gets only that check (for a binary that is not a test).

The last line is `N passed, N failed, N skipped`; the exit status is 1 if
anything failed.
"""
import argparse
import os
import re
import subprocess
import sys
import time

RESULT = re.compile(r"^(not ok|ok) (\d+)\b(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)(.*)$")
HERE = os.path.dirname(os.path.abspath(__file__))


def run_one(cmd, timeout_s):
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout_s, text=True, errors="replace")
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        out += f"\n# runner: killed after {timeout_s} s\n"
        rc = -9
    return out, rc, time.monotonic() - start


def tally(name, out, rc):
    passed = failed = skipped = 0
    planned = None
    reported = 0
    skip_all = False
    for line in out.splitlines():
        m = PLAN.match(line)
        if m and planned is None:
            planned = int(m.group(1))
            if planned == 0 and "SKIP" in m.group(2):
                skip_all = True
            continue
        m = RESULT.match(line)
        if not m:
            continue
        reported += 1
        if m.group(1) == "not ok":
            failed += 1
        elif "# SKIP" in m.group(3):
            skipped += 1
        else:
            passed += 1
    notes = []
    if skip_all and rc == 4:
        return 0, 0, 1, ["skipped"]
    if planned is not None and reported < planned:
        failed += planned - reported
        notes.append(f"{planned - reported} planned case(s) never reported")
    if rc != 0 and failed == 0:
        failed += 1
        notes.append(f"exit status {rc} with no failing case")
    if planned is None and reported == 0 and rc == 0:
        failed += 1
        notes.append("printed no KTAP plan or result")
    return passed, failed, skipped, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", help="build directory (informational)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per program")
    ap.add_argument("--guest-check", action="store_true")
    ap.add_argument("programs", nargs="*")
    args = ap.parse_args()

    total = [0, 0, 0]
    failed_programs = []
    cmds = []
    for prog in args.programs:
        if prog.startswith("guestcheck:"):  # a non-test binary: only its guest calls
            prog = prog[len("guestcheck:"):]
            cmds.append((prog + " [guest calls]",
                         [sys.executable, os.path.join(HERE, "check_guest_calls.py"), prog]))
            continue
        if prog.endswith(".py"):
            cmds.append((prog, [sys.executable, prog]))
        else:
            cmds.append((prog, [prog]))
            if args.guest_check:
                cmds.append((prog + " [guest calls]",
                             [sys.executable, os.path.join(HERE, "check_guest_calls.py"), prog]))
    for name, cmd in cmds:
        out, rc, secs = run_one(cmd, args.timeout)
        print(f"# ---- {name}")
        sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
        p, f, s, notes = tally(name, out, rc)
        for n in notes:
            print(f"# runner: {name}: {n}")
        print(f"# runner: {name}: {p} passed, {f} failed, {s} skipped in {secs:.1f} s")
        sys.stdout.flush()
        total[0] += p
        total[1] += f
        total[2] += s
        if f:
            failed_programs.append(name)
    if failed_programs:
        print("# failing programs: " + " ".join(failed_programs))
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
