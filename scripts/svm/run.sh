#!/usr/bin/env bash
# Run a command inside a QEMU TCG VM whose /dev/kvm is the real kvm_amd
# (emulated SVM with nested paging): the SVM test platform.
#
#   scripts/svm/run.sh [--build DIR] [--out DIR] [--timeout S] [--share DIR]
#                      [--append ARGS] [-v] -- COMMAND...
#
# --build DIR (default: build of this worktree) is shared read-only at its
# own absolute path, so COMMAND names binaries as on the host. --out DIR
# (default: DIR/svm-run) is shared read-write at its own path; the VM writes
# there, and run.sh reads COMMAND's output (OUT/.svm/output) and exit status
# (OUT/.svm/rc) from it. --share DIR adds more read-only shares. The kernel
# comes from the cache scripts/svm/kernel.sh fills ($MMIOBENCH_SVM_CACHE).
# Exit status: COMMAND's; 77 the platform cannot be had here (reason on
# stderr); 124 the VM ran out of --timeout (default 1200 s) and was killed;
# 125 the VM ended without COMMAND's status (see OUT/.svm/console.log).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build
out=
timeout_s=${SVM_TIMEOUT:-1200}
append=${SVM_APPEND:-}
verbose=0
shares=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--share) shares+=("$2"); shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	-v) verbose=1; shift ;;
	--) shift; break ;;
	*) echo "svm run: unknown option $1 (see the top of $0)" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "svm run: no command (… -- COMMAND)" >&2; exit 2; }
skip() { echo "svm: skip: $*" >&2; exit 77; }
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	skip "no static busybox (apt-get install busybox-static)"
command -v cpio >/dev/null || skip "no cpio (apt-get install cpio)"
build=$(cd "$build" && pwd)
out=${out:-$build/svm-run}
mkdir -p "$out"
out=$(cd "$out" && pwd)
ver=$("$here/kernel.sh") || exit $?
cache=${MMIOBENCH_SVM_CACHE:-$root/build/svm}
cache=$(cd "$cache" && pwd)
kdir=$cache/kernel
mdir=$kdir/lib/modules/$ver/kernel

ctl=$out/.svm
rm -rf "$ctl"
mkdir -p "$ctl"
img=$(mktemp -d "${TMPDIR:-/tmp}/svm-initrd.XXXXXX")
trap 'rm -rf "$img"' EXIT
mkdir -p "$img"/{bin,sbin,proc,sys,dev,tmp,modules,svm,etc}
cp "$busybox" "$img/bin/busybox"
cp "$here/init" "$img/init"
cp "$here/ktap-run" "$img/bin/ktap-run"
# Modules in dependency order (each one's depends= in .modinfo): virtio
# and 9p for the shares, then what kvm-amd needs.
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
	drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci fs/netfs/netfs \
	fs/fscache/fscache net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p virt/lib/irqbypass \
	drivers/crypto/ccp/ccp arch/x86/kvm/kvm arch/x86/kvm/kvm-amd; do
	f=$(ls "$mdir/$m.ko"* 2>/dev/null | head -1)
	[ -n "$f" ] || skip "kernel $ver has no module $m"
	case $f in
	*.xz) xz -dc "$f" >"$img/modules/${m##*/}.ko" ;;	# busybox insmod takes plain .ko
	*.zst) zstd -qdc "$f" >"$img/modules/${m##*/}.ko" ;;
	*) cp "$f" "$img/modules/" ;;
	esac
	echo "${m##*/}.ko" >>"$img/modules/order"
done
# Module parameters (SVM_MODPARAMS="kvm_amd avic=0;kvm ..."), default none.
: >"$img/modules/params"
IFS=';' read -ra mp <<<"${SVM_MODPARAMS:-}"
for p in "${mp[@]}"; do [ -n "$p" ] && echo "${p/kvm_amd/kvm-amd}" >>"$img/modules/params"; done
# The shared libraries every ELF program in the build needs, at their paths.
find "$build" \( -name svm -o -name svm-run \) -prune -o -type f -perm -u+x -size -64M -print 2>/dev/null | while read -r f; do
	head -c4 "$f" | grep -q ELF && ldd "$f" 2>/dev/null
done | grep -o '/[^ ]*' | sort -u | while read -r lib; do
	mkdir -p "$img$(dirname "$lib")"
	cp -L "$lib" "$img$lib"
done
[ -e "$img/lib64" ] || ln -s lib "$img/lib64" 2>/dev/null || true

# The shares: tag:path:mode, mounted inside at the same path.
qshares=()
sharelist="build:$build:ro out:$out:rw"
qshares+=(-virtfs "local,path=$build,mount_tag=build,security_model=none,readonly=on")
qshares+=(-virtfs "local,path=$out,mount_tag=out,security_model=none")
i=0
for s in "${shares[@]+"${shares[@]}"}"; do
	s=$(cd "$s" && pwd)
	sharelist="$sharelist x$i:$s:ro"
	qshares+=(-virtfs "local,path=$s,mount_tag=x$i,security_model=none,readonly=on")
	i=$((i + 1))
done
q() { printf "%q" "$1"; }
cmd=
for a in "$@"; do cmd="$cmd $(q "$a")"; done
{
	echo "SVM_SHARES=$(q "$sharelist")"
	echo "SVM_CTL=$(q "$ctl")"
	echo "SVM_CWD=$(q "$(pwd)")"
	echo "SVM_CMD=$(q "$cmd")"
	# The environment a test may read, passed through when set.
	for v in MMIOBENCH_WATCHDOG_MS MMIOBENCH_BUILD MMIOBENCH_BIN MMIOBENCH_SCRIPTS MMIOBENCH_OUT; do
		[ -n "${!v:-}" ] && echo "export $v=$(q "${!v}")"
	done
} >"$img/svm/env"
(cd "$img" && find . | cpio -o -H newc --quiet) >"$ctl/initrd"

# -accel tcg,thread=single: thread=multi hung silently inside tests in
# two of three full runs (issue 8); single-threaded TCG did not.
qemu=(qemu-system-x86_64 -accel tcg,thread=single -smp 2 -m 1024
	-cpu "${SVM_CPU:-EPYC-v3,+svm,+npt}" -machine q35 -nographic -no-reboot
	-kernel "$kdir/boot/vmlinuz-$ver" -initrd "$ctl/initrd"
	-append "console=ttyS0 panic=-1 quiet loglevel=4 $append"
	-serial "file:$ctl/console.log" -monitor none -display none -nic none
	"${qshares[@]}")
[ "$verbose" = 1 ] && echo "svm: ${qemu[*]}" >&2
# Several worktrees on one small machine: MMIOBENCH_SVM_LOCK names a file
# whose lock serialises the VMs (two TCG guests on two cores starve each
# other into watchdog timeouts). Unset: no lock.
if [ -n "${MMIOBENCH_SVM_LOCK:-}" ]; then
	exec 8>"$MMIOBENCH_SVM_LOCK"
	flock 8
fi
t0=$(date +%s)
: >"$ctl/output"
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$ctl/qemu.log" 2>&1 &
qpid=$!
# Follow COMMAND's output as the VM writes it into the share.
tail -n +1 -f --pid=$qpid "$ctl/output" 2>/dev/null &
tpid=$!
qrc=0
wait $qpid || qrc=$?
wait $tpid 2>/dev/null || true
secs=$(( $(date +%s) - t0 ))
[ "$verbose" = 1 ] && cat "$ctl/console.log" >&2
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	running=$(cat "$ctl/current" 2>/dev/null | head -1 || true)
	echo "svm: the VM did not finish in $timeout_s s and was killed;" \
		"running: ${running:-(the command itself: $cmd)}; console: $ctl/console.log" >&2
	echo "${running:-$cmd}" >"$ctl/hung"
	exit 124
fi
if [ -s "$ctl/init-error" ]; then
	echo "svm: the VM could not run the command: $(cat "$ctl/init-error")" >&2
	exit 125
fi
if [ ! -s "$ctl/rc" ]; then
	echo "svm: the VM ended (qemu status $qrc) without the command's exit status;" \
		"console: $ctl/console.log" >&2
	tail -5 "$ctl/console.log" >&2
	exit 125
fi
echo "svm: done in $secs s (VM with kvm_amd, kernel $ver)" >&2
exit "$(cat "$ctl/rc")"
