"""Tiny KTAP writer for Python test programs (see include/test_util.h).

    cases = [test_a, test_b]
    sys.exit(ktap.run(cases))

A case fails on any exception (AssertionError included: use plain assert or
check()); raise ktap.Skip("reason") to skip it.
"""
import sys
import traceback


class Skip(Exception):
    pass


def diag(msg):
    for line in str(msg).splitlines() or [""]:
        print(f"# {line}")
    sys.stdout.flush()


def run(cases):
    print("KTAP version 1")
    print(f"1..{len(cases)}")
    sys.stdout.flush()
    failed = 0
    for i, fn in enumerate(cases, 1):
        name = fn.__name__
        try:
            fn()
        except Skip as e:
            print(f"ok {i} {name} # SKIP {e}")
        except Exception:  # noqa: BLE001 (a test case reports, never crashes the run)
            failed += 1
            diag(traceback.format_exc())
            print(f"not ok {i} {name}")
        else:
            print(f"ok {i} {name}")
        sys.stdout.flush()
    return 1 if failed else 0
