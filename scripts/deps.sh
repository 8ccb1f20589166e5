#!/usr/bin/env bash
# Check (and, as root, install) what mmiobench needs to build, test and plot.
# Fast when everything is present: it only looks for files and commands.
set -euo pipefail
missing=()
command -v gcc >/dev/null || missing+=(gcc)
command -v make >/dev/null || missing+=(make)
command -v objcopy >/dev/null || missing+=(binutils)
command -v python3 >/dev/null || missing+=(python3)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
[ -e /usr/include/numa.h ] || missing+=(libnuma-dev)
[ -e /usr/include/linux/kvm.h ] || missing+=(linux-libc-dev)
if [ "${SAN:-0}" = 1 ] || [ "${NEED_CLANG:-0}" = 1 ]; then
	command -v clang >/dev/null || missing+=(clang)
fi
# SVM=1: what the SVM test platform (scripts/svm/) needs; the kernel itself
# comes from scripts/svm/kernel.sh. Its targets skip when these are absent,
# so a failure to install them is not an error for them (the Makefile
# ignores this script's status for SVM=1).
if [ "${SVM:-0}" = 1 ]; then
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	file -L "$(command -v busybox || echo /nonexistent)" 2>/dev/null | grep -q 'statically linked' ||
		missing+=(busybox-static)
	command -v cpio >/dev/null || missing+=(cpio)
	command -v file >/dev/null || missing+=(file)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	apt-get install -y -qq "${missing[@]}" >/dev/null
else
	echo "deps: missing ${missing[*]}. Run as root:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi
