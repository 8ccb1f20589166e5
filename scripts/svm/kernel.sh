#!/usr/bin/env bash
# Fetch and unpack the Debian kernel that kvm_amd runs in (under QEMU TCG),
# into a cache that every worktree can share: $MMIOBENCH_SVM_CACHE, default
# build/svm of the worktree this script is in. Nothing is installed on the
# host. Prints the unpacked module directory's kernel version on success.
# Exit 0 ready, 77 cannot (the reason on stderr: no apt-get, no network ...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${MMIOBENCH_SVM_CACHE:-$here/../../build/svm}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
skip() { echo "svm: skip: $*" >&2; exit 77; }

# A finished unpack leaves kernel/READY naming its version: reuse it.
if [ -r "$cache/kernel/READY" ]; then
	cat "$cache/kernel/READY"
	exit 0
fi
command -v apt-get >/dev/null || skip "no apt-get to download the kernel package"
command -v dpkg >/dev/null || skip "no dpkg to unpack the kernel package"
# The version the distribution's meta package points at (as a new user gets).
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
[ -n "$pkg" ] || skip "apt-cache knows no linux-image-amd64 (run apt-get update?)"
ver=${pkg#linux-image-}
# One writer at a time: two worktrees may ask for the same cache at once.
exec 9>"$cache/.lock"
flock 9
if [ -r "$cache/kernel/READY" ]; then
	cat "$cache/kernel/READY"
	exit 0
fi
mkdir -p "$cache/dl"
if ! ls "$cache/dl/${pkg}_"*.deb >/dev/null 2>&1; then
	echo "svm: downloading $pkg into $cache/dl" >&2
	(cd "$cache/dl" && apt-get download "$pkg" >/dev/null 2>"$cache/dl/apt.log") ||
		skip "could not download $pkg (network?): $(tail -1 "$cache/dl/apt.log")"
fi
rm -rf "$cache/kernel.tmp"
dpkg -x "$cache/dl/${pkg}_"*.deb "$cache/kernel.tmp"
[ -e "$cache/kernel.tmp/boot/vmlinuz-$ver" ] || skip "$pkg has no boot/vmlinuz-$ver"
rm -rf "$cache/kernel"
mv "$cache/kernel.tmp" "$cache/kernel"
echo "$ver" >"$cache/kernel/READY"
echo "$ver"
