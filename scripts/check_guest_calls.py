#!/usr/bin/env python3
"""Prove that guest code calls only guest code.

Guest code lives in the ELF section `guest_text` (guest/ objects are moved
there at build time; GUEST_CODE functions are placed there by attribute).
Every direct call or jump in that section must land inside it: a call to
libc, to a PLT stub, to a sanitizer hook or to a host function would run
host-only code inside the VM. Prints KTAP; exit 1 on any violation.
"""
import re
import subprocess
import sys

INSN = re.compile(r"^\s*([0-9a-f]+):\s+(call|jmp|j[a-z]+)\w*\s+([0-9a-f]+)\s+<([^>]+)>")


def main(path):
    print("KTAP version 1\n1..1")
    # The section header, not the __start/__stop symbols: the linker only
    # defines those when something references them.
    hdr = subprocess.run(["objdump", "-h", path], capture_output=True, text=True, check=True).stdout
    lo = hi = None
    for line in hdr.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "guest_text":
            size, vma = int(parts[2], 16), int(parts[3], 16)
            lo, hi = vma, vma + size
    if lo is None:
        print("# no guest_text section: nothing runs in a guest")
        print("ok 1 guest code calls only guest code # SKIP no guest code in " + path)
        return 0
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-j", "guest_text", path],
                         capture_output=True, text=True, check=True).stdout
    bad = []
    for line in dis.splitlines():
        m = INSN.match(line)
        if not m:
            continue
        target = int(m.group(3), 16)
        if not lo <= target < hi:
            bad.append(f"{m.group(1)}: {m.group(2)} {m.group(4)}")
    for b in bad[:20]:
        print(f"# guest code leaves guest_text at {b}")
    print(f"{'not ok' if bad else 'ok'} 1 guest code calls only guest code ({hi - lo} bytes checked)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
