#!/usr/bin/env bash
# `make bench`: the default sweep (or the quick one), then the per-host
# history row, then where to look. Exit status is mmiobench's: 0 ok,
# 1 a cross-check failed, 2 bad set-up, 130 interrupted (rows kept).
set -u
bin=$1
shift
out=${MMIOBENCH_OUT:-results}
"$bin" sweep --out "$out" "$@"
rc=$?
run=$(readlink -f "$out/latest" 2>/dev/null || true)
if [ -n "$run" ] && [ -d "$run" ]; then
	if [ "$rc" = 0 ]; then
		python3 scripts/history.py add "$run" --dir "$out/history" ||
			echo "bench: could not append to the history (results are intact)" >&2
	fi
	echo "report: $run/report.md"
fi
exit "$rc"
