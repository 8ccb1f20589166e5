#!/usr/bin/env python3
"""Run test programs that print KTAP, and sum them up.

Each argument is a test program (an ELF binary, or a .py file run with
python3). A program's cases are its top-level `ok`/`not ok` lines; cases it
planned but never reported count as failed, and so does a non-zero exit
that no `not ok` line explains. Exit status 4 with `1..0 # SKIP` is a skip.
With --guest-check, every ELF binary is also checked by
check_guest_calls.py (guest code calls only guest code); an argument
guestcheck:BINARY gets only that check (for a binary that is not a test).

With --from-dir DIR, nothing is run: DIR holds the output (NNN.out), exit
status and times (NNN.rc: "status start end") and name (NNN.name) of each
program that scripts/svm/ktap-run ran inside the SVM test VM, and they are
tallied exactly as a local run is (a program named in DIR/current was
running when the VM ended: it is reported as hung).

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


def report(name, out, rc, secs, total, failed_programs):
    """Print one program's output and tally, and add it to the totals."""
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


RETRIED = []  # programs ktap-run ran twice because the first run hung


def read_dir(d):
    """The programs ktap-run ran in the VM, as run_one would have returned them."""
    def text(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return None
    try:
        hung = (text(os.path.join(d, "current")) or "").strip()
    except OSError:
        hung = ""
    for n in sorted(f[:-5] for f in os.listdir(d) if f.endswith(".name")):
        base = os.path.join(d, n)
        name = text(base + ".name").strip()
        out = text(base + ".out") or ""
        st = (text(base + ".rc") or "").split()
        if not st:  # started, never finished: the VM ended (or was killed) inside it
            why = "hung: the VM was killed while it ran" if name == hung else "never finished"
            yield name, out + f"\n# runner: {why}\n", -9, 0.0
            continue
        rc = int(st[0])
        if rc in (124, 143):  # ktap-run's `timeout` ended it
            out += "\n# runner: killed by the in-VM timeout\n"
        secs = float(st[2]) - float(st[1]) if len(st) >= 3 else 0.0
        first = text(base + ".first.out")
        if first is not None:  # ktap-run re-ran it after a hang: say so, loudly
            first_rc = (text(base + ".first.rc") or "?").strip()
            RETRIED.append(f"{name} (first run: exit {first_rc}, watchdog/timeout; "
                           f"second run: exit {rc})")
            out = ("# runner: the first run hung (exit " + first_rc + "); its output:\n" +
                   "".join("#   " + l + "\n" for l in first.splitlines()) +
                   "# runner: the second run follows\n" + out)
        yield name, out, rc, secs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", help="build directory (informational)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per program")
    ap.add_argument("--guest-check", action="store_true")
    ap.add_argument("--from-dir", help="tally what scripts/svm/ktap-run left in this directory")
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
    if args.from_dir:
        results = list(read_dir(args.from_dir))
        ran = {r[0] for r in results}
        # Programs the VM never reached (it hung or ended before them) fail.
        results += [(p, "# runner: never ran: the VM ended before it\n", -9, 0.0)
                    for p in args.programs if p not in ran]
    else:
        results = (((name,) + run_one(cmd, args.timeout)) for name, cmd in cmds)
    for name, out, rc, secs in results:
        report(name, out, rc, secs, total, failed_programs)
    for r in RETRIED:
        print("# retried after a hang: " + r)
    if failed_programs:
        print("# failing programs: " + " ".join(failed_programs))
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
