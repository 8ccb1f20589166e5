#!/usr/bin/env bash
# `make bench-svm`: the sweep on the real kvm_amd inside QEMU TCG. The VM
# writes the run into the host's results directory (a 9p share); plots and
# report are made here on the host, as for `make bench`.
#   scripts/svm/bench.sh BUILD [sweep options, e.g. --quick]
# Exit status is mmiobench's (0 ok, 1 a cross-check failed, 2 bad set-up,
# 130 interrupted), 77 skipped (no SVM platform here), 124 the VM hung.
# Times measured there are emulated: counts and behaviour are what matter.
# No history row: results/history is per-host and these times are not
# this host's.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
shift
out=${MMIOBENCH_OUT:-results}
mkdir -p "$out"
out=$(cd "$out" && pwd)
"$here/run.sh" --build "$build" --out "$out" --timeout "${SVM_TIMEOUT:-1500}" -- \
	"$build/mmiobench" sweep --out "$out" --no-plots "$@"
rc=$?
if [ $rc = 77 ]; then
	echo "bench-svm: skipped: the SVM platform cannot be had here (reason above)"
	exit 77
fi
run=$(readlink -f "$out/latest" 2>/dev/null || true)
if [ -n "$run" ] && [ -d "$run" ] && [ -e "$run/meta.json" ]; then
	cp "$out/.svm/platform.txt" "$run/svm-platform.txt" 2>/dev/null || true
	python3 "$here/../plot.py" "$run" >/dev/null &&
		python3 "$here/../report.py" "$run" >/dev/null ||
		echo "bench-svm: plots or report failed (data is intact)" >&2
	echo "report: $run/report.md"
fi
exit $rc
