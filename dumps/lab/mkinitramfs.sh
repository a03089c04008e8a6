#!/usr/bin/env bash
# KERNEL=RELEASE mkinitramfs.sh OUT.cpio.gz LABFAULT.KO [--kdump]
# Builds the lab guest's initramfs for one lab kernel (dumps/kernels/RELEASE, default
# 6.1.0-56-amd64): static busybox, labctl, that kernel's NIC and virtio modules (with
# their dependencies, decompressed), the labfault module built for it, the flow files and
# guest/init.  With --kdump it also carries the capture side: the kernel image, kexec, and a nested capture
# initramfs (busybox, makedumpfile, virtio_blk) that writes /proc/vmcore to /dev/vda.
# A kernel of another architecture (DEB_ARCH in its manifest, e.g. arm64) comes from
# KERNEL_ROOT (dumps/lab/fetch-kernel: modules and a static busybox of that architecture);
# LABCTL is the static labctl built for it (dumps/lab/Makefile).  No kdump there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KERNEL=${KERNEL:-6.1.0-56-amd64}
[ -f "$here/../kernels/$KERNEL" ] || { echo "mkinitramfs: no dumps/kernels/$KERNEL" >&2; exit 1; }
CROSS_COMPILE=
. "$here/../kernels/$KERNEL"
out=$(realpath -m "$1")
ko=$(realpath -m "$2")
kdump=${3:-}
kroot=${KERNEL_ROOT:-}
moddir=$kroot/lib/modules/$KERNEL_RELEASE
labctl=${LABCTL:-$here/tools/labctl}
case $labctl in /*) ;; *) labctl=$here/$labctl ;; esac
if [ -n "$kroot" ] && [ "$kdump" = --kdump ]; then
	echo "mkinitramfs: no kdump initramfs for $KERNEL_RELEASE (the host's kexec and makedumpfile are of another architecture)" >&2
	exit 1
fi

# The modules the guest wants, by name; their dependencies come from modules.dep and
# are loaded first.  What the kernel has built in (modules.builtin: e.g. virtio,
# virtio_ring, virtio_pci on 6.12) is skipped.  qemu_fw_cfg: as on any distro guest, it
# tells QEMU where VMCOREINFO is, so that `dump-guest-memory` dumps carry it
# (OSRELEASE, BUILD-ID, KASLR offset).
WANT="qemu_fw_cfg virtio_pci virtio_net e1000 e1000e"
WANT_CAPTURE="virtio_pci virtio_blk"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# modpath NAME: the module's path in modules.dep (relative to moddir), or nothing.
modpath() {
	awk -F: -v n="$1" '{ p = $1; sub(/.*\//, "", p); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", p)
		if (p == n) { print $1; exit } }' "$moddir/modules.dep"
}

# modorder NAME...: NAME and its dependencies, dependencies first, each once.
modorder() {
	local seen=" " n
	visit() {
		local p deps d
		p=$(modpath "$1")
		if [ -z "$p" ]; then
			grep -q "/$1\.ko\$" "$moddir/modules.builtin" ||
				{ echo "mkinitramfs: no module $1 for $KERNEL_RELEASE" >&2; exit 1; }
			return 0 # built in
		fi
		case $seen in *" $p "*) return 0 ;; esac
		deps=$(awk -F: -v p="$p" '$1 == p { print $2; exit }' "$moddir/modules.dep")
		# modules.dep lists every dependency, the one to load first last.
		for d in $(echo $deps | tr ' ' '\n' | tac); do
			visit "$(basename "${d%%.ko*}")"
		done
		seen="$seen$p "
		echo "$p"
	}
	for n in "$@"; do visit "$n"; done
}

# addmods ROOT NAME...: copy the modules (decompressed) to ROOT/lib/modules/ and write
# their load order to ROOT/lib/modules/order.
addmods() {
	local root=$1 p b order
	shift
	order=$(modorder "$@")
	: > "$root/lib/modules/order"
	for p in $order; do
		b=$(basename "${p%%.ko*}")
		case $p in
		*.ko.xz) xz -dc "$moddir/$p" > "$root/lib/modules/$b.ko" ;;
		*.ko.zst) zstd -qdc "$moddir/$p" > "$root/lib/modules/$b.ko" ;;
		*.ko.gz) gzip -dc "$moddir/$p" > "$root/lib/modules/$b.ko" ;;
		*) cp "$moddir/$p" "$root/lib/modules/$b.ko" ;;
		esac
		echo "$b" >> "$root/lib/modules/order"
	done
}

add_bin() { # copy a dynamic binary and the libraries ldd names
	local root=$1 bin=$2
	mkdir -p "$root/bin"
	cp -L "$bin" "$root/bin/"
	ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

base() { # a root with busybox and the init script
	local root=$1
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,run,tmp,lib/modules,lab,boot}
	cp "$kroot/bin/busybox" "$root/bin/busybox"
	cp "$here/guest/init" "$root/init"
	chmod +x "$root/init"
}

mkcpio() { (cd "$1" && find . | cpio -o -H newc --quiet | gzip -6) > "$2"; }

# The capture initramfs (used by the kdump kernel).
if [ "$kdump" = --kdump ]; then
	cap="$tmp/capture"
	base "$cap"
	# MAKEDUMPFILE: the one the capture kernel runs (default: the system's).  6.12 needs a
	# newer one than bookworm's 1.7.2, which drops 6.12's slab pages with -d 31.
	mdf=${MAKEDUMPFILE:-$(command -v makedumpfile)}
	mdf_v=$("$mdf" -v 2>&1 | sed -n 's/.*version \([0-9.]*[0-9]\).*/\1/p' | head -n1)
	if [ -n "${MAKEDUMPFILE_MIN:-}" ] &&
		[ "$(printf '%s\n%s\n' "$MAKEDUMPFILE_MIN" "$mdf_v" | sort -V | head -n1)" != "$MAKEDUMPFILE_MIN" ]; then
		echo "mkinitramfs: $KERNEL_RELEASE needs makedumpfile >= $MAKEDUMPFILE_MIN;" \
			"$mdf is ${mdf_v:-of unknown version} (make ... MAKEDUMPFILE=PATH)" >&2
		exit 1
	fi
	add_bin "$cap" "$mdf"
	[ "$(basename "$mdf")" = makedumpfile ] || mv "$cap/bin/$(basename "$mdf")" "$cap/bin/makedumpfile"
	addmods "$cap" $WANT_CAPTURE
fi

root="$tmp/root"
base "$root"
cp "$labctl" "$root/bin/labctl"
addmods "$root" $WANT
# Without its debug info (~0.8 MB of rootfs pages that would end up in QEMU dumps).
"${CROSS_COMPILE}strip" --strip-debug -o "$root/lib/modules/labfault.ko" "$ko"
# Flow files only: the scenario's configuration comes with each run (run-scenario.sh).
cp "$here"/scenarios/*.flows "$root/lab/"
if [ "$kdump" = --kdump ]; then
	add_bin "$root" "$(command -v kexec)"
	cp "/boot/vmlinuz-$KERNEL_RELEASE" "$root/boot/vmlinuz"
	mkcpio "$cap" "$root/boot/capture.img"
fi
mkcpio "$root" "$out"
