#!/usr/bin/env bash
# KERNEL=RELEASE run-scenario.sh NAME WORKDIR
# Boots the lab guest of one lab kernel (dumps/kernels/RELEASE, default 6.1.0-56-amd64)
# for scenario NAME under QEMU (TCG), lets it crash, captures the dump the way the
# scenario says (in-guest kdump + makedumpfile, or QEMU dump-guest-memory -z), and leaves
# in WORKDIR: vmcore, console.log, truth.raw (COM2), qemu.log, run.conf (the scenario's
# configuration as used) and kernel (the release).
#
# The configuration is scenarios/NAME.conf followed by scenarios/SERIES/NAME.conf (the
# kernel's own settings: ACCEPT rule, capture, memory, sysctl names ...; later wins).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KERNEL=${KERNEL:-6.1.0-56-amd64}
[ -f "$here/../kernels/$KERNEL" ] || { echo "run-scenario: no dumps/kernels/$KERNEL" >&2; exit 1; }
KERNEL_ARCH=x86_64
DEB_ARCH=
LAB_SERIES=
. "$here/../kernels/$KERNEL"
LAB_SERIES=${LAB_SERIES:-$KERNEL_SERIES}
name=$1
work=$(realpath -m "$2")
conf="$here/scenarios/$name.conf"
kconf="$here/scenarios/$LAB_SERIES/$name.conf"
[ -f "$conf" ] || { echo "run-scenario: no $conf" >&2; exit 1; }
[ -f "$kconf" ] || { echo "run-scenario: no $kconf: scenario $name is not made for $LAB_SERIES" >&2; exit 1; }
# The kernel image: installed (/boot), or of another architecture, in the cache (fetch-kernel).
kroot=
[ -z "$DEB_ARCH" ] || kroot=$("$here/fetch-kernel" "$KERNEL" | sed -n 's/^KERNEL_ROOT=//p')
build="$here/build/$KERNEL_RELEASE"
timeout_s=${LAB_TIMEOUT:-600}

mkdir -p "$work"
rm -f "$work"/{vmcore,vmcore.raw,vmcore.zlib,console.log,truth.raw,qemu.log,disk.img,mon.sock,initrd.img}
cat "$conf" "$kconf" > "$work/run.conf"
echo "$KERNEL_RELEASE" > "$work/kernel"
. "$work/run.conf"

# The scenario's configuration reaches the guest as a file in a second cpio archive
# appended to the initramfs (the kernel unpacks both), not on the kernel command line:
# the command line is in the dump's log, and nothing there may hint at the ground truth.
initrd="$work/initrd.img"
sdir=$(mktemp -d)
mkdir -p "$sdir/lab"
# Only what the guest needs: no comments, description, verdict or acceptance rule in
# guest memory (a QEMU dump holds the initramfs' files).
grep -vE '^(#|DESCRIPTION=|EXPECT=|ACCEPT=|TRIES=|MAX_VMCORE_MB=|RECOMPRESS=|CRASHKERNEL=)' "$work/run.conf" |
	grep -v '^[[:space:]]*$' > "$sdir/lab/run.conf"
cat "$build/initrd-$CAPTURE.cpio.gz" > "$initrd"
(cd "$sdir" && find . | cpio -o -H newc --quiet | gzip) >> "$initrd"
rm -rf "$sdir"
# Per architecture: the QEMU machine, its console, and the truth channel, a 16550 UART that
# is not the console (labfault.c writes the records to it; QEMU saves them to truth.raw).
case $KERNEL_ARCH in
x86_64)
	qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -vga none)
	console=ttyS0
	truth_uart=(-serial "file:$work/truth.raw") # COM2
	;;
aarch64)
	# virt has one UART (the console): the truth goes to QEMU's PCI 16550.  One vCPU:
	# crash's bt fails on a 2-vCPU dump where the panic stopped the other CPU ("invalid
	# NT_PRSTATUS note").  Cortex-A72 (the Raspberry Pi 4's core): no pointer
	# authentication or MTE to slow TCG down.
	qemu=(qemu-system-aarch64 -M virt -accel tcg -cpu cortex-a72 -smp 1)
	console=ttyAMA0
	truth_uart=(-chardev "file,id=truth,path=$work/truth.raw" -device pci-serial,chardev=truth)
	;;
*)
	echo "run-scenario: no QEMU machine for $KERNEL_ARCH" >&2
	exit 1
	;;
esac
append="console=$console oops=panic"
extra=()
if [ "$CAPTURE" = kdump ]; then
	append="$append crashkernel=${CRASHKERNEL:-192}M panic=1"
	truncate -s 128M "$work/disk.img"
	extra+=(-drive "file=$work/disk.img,format=raw,if=virtio")
else
	append="$append panic=0"
fi
victim_dev=$VICTIM_NIC${VICTIM_OPTS:+,$VICTIM_OPTS}

"${qemu[@]}" -m "$MEM" \
	-kernel "$kroot/boot/vmlinuz-$KERNEL_RELEASE" -initrd "$initrd" -append "$append" \
	-device vmcoreinfo \
	-netdev hubport,hubid=0,id=n0 -device "$victim_dev,netdev=n0,mac=$VICTIM_MAC" \
	-netdev hubport,hubid=0,id=n1 -device "$PEER_NIC,netdev=n1,mac=$PEER_MAC" \
	"${extra[@]}" \
	-display none -serial "file:$work/console.log" "${truth_uart[@]}" \
	-monitor "unix:$work/mon.sock,server,nowait" -no-reboot >"$work/qemu.log" 2>&1 &
qpid=$!

mon() { # send one monitor command, print the answer
	python3 - "$work/mon.sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(2)
def drain():
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
    except socket.timeout:
        pass
    return out
drain(); s.sendall(sys.argv[2].encode() + b"\n"); time.sleep(0.5)
sys.stdout.write(drain().decode(errors="replace"))
PY
}

start=$(date +%s)
state=boot
while kill -0 $qpid 2>/dev/null; do
	sleep 1
	now=$(date +%s)
	if [ $((now - start)) -gt "$timeout_s" ]; then
		echo "run-scenario: $name timed out after ${timeout_s}s" >&2
		kill $qpid; wait $qpid || true
		exit 1
	fi
	if [ "$CAPTURE" = qemu ] && [ $state = boot ] && grep -q "Kernel panic - not syncing" "$work/console.log" 2>/dev/null; then
		sleep 2 # let the panic path finish printing
		mon "dump-guest-memory -z $work/vmcore.raw" >/dev/null
		state=dumping
	fi
	if [ $state = dumping ] && mon "info dump" | grep -q completed; then
		mon quit >/dev/null || true
		state=done
	fi
done
wait $qpid || true

if [ "$CAPTURE" = kdump ]; then
	grep -q "capture: makedumpfile exit 0" "$work/console.log" ||
		{ echo "run-scenario: $name: in-guest makedumpfile did not finish" >&2; exit 1; }
	makedumpfile -R "$work/vmcore.zlib" < "$work/disk.img" >/dev/null
	rm -f "$work/disk.img"
else
	[ -s "$work/vmcore.raw" ] || { echo "run-scenario: $name: no QEMU dump" >&2; exit 1; }
	if [ "${RECOMPRESS:-}" = zstd ]; then
		makedumpfile -R "$work/vmcore.zlib" < "$work/vmcore.raw" >/dev/null
		rm -f "$work/vmcore.raw"
	else
		mv "$work/vmcore.raw" "$work/vmcore"
	fi
fi
if [ -f "$work/vmcore.zlib" ]; then
	if [ "${RECOMPRESS:-}" = zstd ]; then
		# makedumpfile and QEMU compress with zlib at its fastest level: store every
		# page with zstd -19 instead (same pages, ~11% smaller).
		python3 "$here/kdump-recompress.py" "$work/vmcore.zlib" "$work/vmcore" 19
		rm -f "$work/vmcore.zlib"
	else
		mv "$work/vmcore.zlib" "$work/vmcore"
	fi
fi
rm -f "$initrd"
[ -s "$work/vmcore" ] || { echo "run-scenario: $name: no vmcore" >&2; exit 1; }
echo "run-scenario: $name: $(du -h "$work/vmcore" | cut -f1) in $(( $(date +%s) - start ))s"
