#!/usr/bin/env bash
# mkinitramfs.sh OUT.cpio.gz [--kdump]
# Builds the lab guest's initramfs: static busybox, labctl, the pinned kernel's NIC and
# virtio modules, the labfault module, the scenario files and guest/init.  With --kdump
# it also carries the capture side: the kernel image, kexec, and a nested capture
# initramfs (busybox, makedumpfile, virtio_blk) that writes /proc/vmcore to /dev/vda.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../KERNEL"
out=$(realpath -m "$1")
kdump=${2:-}
mods=/lib/modules/$KERNEL_RELEASE/kernel

# Modules in load order (the kernel under test has virtio and these NICs as modules).
VIRTIO="drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko drivers/virtio/virtio_pci_modern_dev.ko
 drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci.ko"
# qemu_fw_cfg: as on any distro guest, it tells QEMU where VMCOREINFO is, so that
# `dump-guest-memory` dumps carry it (OSRELEASE, BUILD-ID, KASLR offset).
FWCFG="drivers/firmware/qemu_fw_cfg.ko"
NET="net/core/failover.ko drivers/net/net_failover.ko drivers/net/virtio_net.ko
 drivers/net/ethernet/intel/e1000/e1000.ko drivers/net/ethernet/intel/e1000e/e1000e.ko"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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
	cp /bin/busybox "$root/bin/busybox"
	cp "$here/guest/init" "$root/init"
	chmod +x "$root/init"
}

mkcpio() { (cd "$1" && find . | cpio -o -H newc --quiet | gzip -6) > "$2"; }

# The capture initramfs (used by the kdump kernel).
if [ "$kdump" = --kdump ]; then
	cap="$tmp/capture"
	base "$cap"
	add_bin "$cap" "$(command -v makedumpfile)"
	for m in $VIRTIO drivers/block/virtio_blk.ko; do
		cp "$mods/$m" "$cap/lib/modules/"
	done
fi

root="$tmp/root"
base "$root"
cp "$here/tools/labctl" "$root/bin/labctl"
cp "$here/module/labfault.ko" "$root/lib/modules/"
for m in $FWCFG $VIRTIO $NET; do
	cp "$mods/$m" "$root/lib/modules/"
done
cp "$here"/scenarios/*.conf "$here"/scenarios/*.flows "$root/lab/"
if [ "$kdump" = --kdump ]; then
	add_bin "$root" "$(command -v kexec)"
	cp "/boot/vmlinuz-$KERNEL_RELEASE" "$root/boot/vmlinuz"
	mkcpio "$cap" "$root/boot/capture.img"
fi
mkcpio "$root" "$out"
