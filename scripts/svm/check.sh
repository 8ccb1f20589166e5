#!/usr/bin/env bash
# `make check-svm`: every KVM test of a build, run inside the SVM test VM
# (real kvm_amd under QEMU TCG) by scripts/svm/ktap-run, tallied on the host
# by scripts/run_tests.py --from-dir (the same tally as `make check`).
#   scripts/svm/check.sh [--build DIR] [--timeout S] [PROGRAM...]
# PROGRAMs default to every binary in DIR/tests/kvm. Exit 0 all passed,
# 1 something failed, 77 skipped (the platform cannot be had here).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../../build
per_test=${SVM_TEST_TIMEOUT:-300}
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--timeout) per_test=$2; shift 2 ;;
	*) break ;;
	esac
done
build=$(cd "$build" && pwd)
progs=("$@")
if [ ${#progs[@]} -eq 0 ]; then
	for f in "$build"/tests/kvm/*; do
		[ -f "$f" ] && [ -x "$f" ] && progs+=("$f")
	done
fi
[ ${#progs[@]} -gt 0 ] || { echo "svm check: no KVM test binaries in $build/tests/kvm (run make)" >&2; exit 1; }
for i in "${!progs[@]}"; do progs[$i]=$(readlink -f "${progs[$i]}"); done
out=$build/svm-check
rm -rf "$out"
mkdir -p "$out"
# The whole VM run is bounded: every test's own bound, plus boot time.
vm_timeout=${SVM_TIMEOUT:-$(( ${#progs[@]} * per_test + 120 ))}
"$here/run.sh" --build "$build" --out "$out" --timeout "$vm_timeout" -- \
	ktap-run "$out/tests" "$per_test" "${progs[@]}" >"$out/vm.log" 2>&1
rc=$?
if [ $rc = 77 ]; then
	grep '^svm: skip' "$out/vm.log" >&2
	echo "0 passed, 0 failed, 0 skipped (check-svm skipped: the SVM platform cannot be had here)"
	exit 77
fi
# The runner's own lines (download, hang, the VM's wall time) for the log.
grep '^svm:' "$out/vm.log" >&2
[ -d "$out/tests" ] || mkdir -p "$out/tests"
[ -s "$out/.svm/current" ] && cp "$out/.svm/current" "$out/tests/current"
python3 "$here/../run_tests.py" --from-dir "$out/tests" "${progs[@]}"
trc=$?
[ $rc = 0 ] || [ $trc != 0 ] || { echo "svm check: the VM run failed (status $rc)" >&2; exit 1; }
exit $trc
