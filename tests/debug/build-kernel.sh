#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) a 6.1 debug kernel from Debian's linux-source-6.1 for the VM
# rig: KASAN (inline), lockdep, UBSAN, KFENCE, failslab, and what the rig
# needs (intel-iommu, pciehp, vfio-pci, 9p over virtio, bochs, snd-hda-intel,
# e1000e as modules).  The result is cached under $GPUPT_DEBUG_DIR and reused
# when present:
#
#   $GPUPT_DEBUG_DIR/vmlinuz                 bootable kernel
#   $GPUPT_DEBUG_DIR/root/lib/modules/KVER   its module tree (modules_install)
#   $GPUPT_DEBUG_DIR/build -> linux-source tree to build gpupt.ko against
#   $GPUPT_DEBUG_DIR/KVER                    the kernel release string
#   $GPUPT_DEBUG_DIR/OPTIONS                 hash of the option list it has
#
# When the option list below changes, `make debug-kernel` applies it to the
# cached tree and rebuilds incrementally.  --if-missing (check-debug) uses
# any cached kernel, and only warns when its options are older.
#
# About 17 minutes on 2 idle cores (60-90 min with 4-6 TCG VMs running).
# NICE=19 (default) keeps it from starving VM tests running at the same time.
set -euo pipefail

DIR=${GPUPT_DEBUG_DIR:-/var/cache/gpupt-kernels/debug-6.1}
NICE=${NICE:-19}
JOBS=${JOBS:-$(nproc)}

# The options on top of defconfig + kvm_guest.config.  What the rig and the
# suite need (t70: user namespaces; t75: nvme with SR-IOV; t57/t73:
# QEMU's q35 keeps PCI hotplug in ACPI (_OSC refuses native PCIe hotplug),
# so device_del needs acpiphp, as in Debian's config; t38: strace decodes a
# generic-netlink message only when sock_diag tells it the socket's
# protocol, so NETLINK_DIAG, as in Debian's config), then the debug
# options (KASAN, lockdep, UBSAN, KFENCE, failslab).
OPTS=(
	-e PCI -e PCIEPORTBUS -e HOTPLUG_PCI -e HOTPLUG_PCI_PCIE
	-e HOTPLUG_PCI_ACPI
	-e PCI_IOV -e PCIE_ECRC
	-e IOMMU_SUPPORT -e INTEL_IOMMU -e INTEL_IOMMU_SVM
	-e IRQ_REMAP -e X86_X2APIC
	-m VFIO -m VFIO_PCI -e VFIO_PCI_VGA -m VFIO_IOMMU_TYPE1
	-e NET_9P -e NET_9P_VIRTIO -e 9P_FS -e 9P_FS_POSIX_ACL
	-e VIRTIO_PCI -e VIRTIO_CONSOLE -e OVERLAY_FS
	-e BLK_DEV_INITRD -e RD_GZIP -e DEVTMPFS -e DEVTMPFS_MOUNT
	-e MODULES -e MODULE_UNLOAD -e MODULE_FORCE_UNLOAD
	-e DRM -m DRM_BOCHS -e FB -e FRAMEBUFFER_CONSOLE
	-e FB_EFI -e SYSFB_SIMPLEFB -e DRM_SIMPLEDRM
	-e SOUND -e SND -m SND_HDA_INTEL
	-m E1000E -e NETDEVICES -e ETHERNET -e NET_VENDOR_INTEL
	-e EFI -e EFI_STUB -e GENERIC_NETLINK
	-e NAMESPACES -e USER_NS -m BLK_DEV_NVME
	-e INET -e UNIX -e NETLINK_DIAG -e UNIX_DIAG -e INET_DIAG
	-d DRM_I915 -d DEBUG_INFO -d DEBUG_INFO_DWARF4
	-d DEBUG_INFO_DWARF5 -e DEBUG_INFO_NONE -d DEBUG_INFO_BTF
	-e KASAN -e KASAN_INLINE -d KASAN_OUTLINE -e KASAN_GENERIC
	-e PROVE_LOCKING -e LOCKDEP -e DEBUG_LOCK_ALLOC
	-e DEBUG_ATOMIC_SLEEP -e DEBUG_LIST
	-e DETECT_HUNG_TASK -e SOFTLOCKUP_DETECTOR
	-e KFENCE -e UBSAN -e UBSAN_BOUNDS -d UBSAN_TRAP
	-e DEBUG_OBJECTS -e DEBUG_OBJECTS_TIMERS -e DEBUG_KOBJECT_RELEASE
	-e FAULT_INJECTION -e FAILSLAB -e FAULT_INJECTION_DEBUG_FS
	-e DEBUG_FS -e FUNCTION_ERROR_INJECTION
	-d SYSTEM_TRUSTED_KEYRING -d MODULE_SIG
	--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS ""
	--set-str LOCALVERSION "-gpupt-debug" -d LOCALVERSION_AUTO
)
opts_hash=$(printf '%s\n' "${OPTS[@]}" | sha256sum | cut -c1-16)
if_missing=0
[ "${1:-}" = --if-missing ] && if_missing=1

cached() {
	[ -s "$DIR/KVER" ] && [ -f "$DIR/vmlinuz" ] || return 1
	if [ "$(cat "$DIR/OPTIONS" 2>/dev/null)" = "$opts_hash" ]; then
		echo "debug-kernel: cached: $(cat "$DIR/KVER") in $DIR"
		return 0
	fi
	if [ $if_missing = 1 ]; then
		echo "debug-kernel: cached: $(cat "$DIR/KVER") in $DIR, built with an older option list (make debug-kernel updates it)"
		return 0
	fi
	return 1
}
cached && exit 0

# One build at a time: a second make in the same tree would corrupt it.
# A build started without this lock (an older copy of this script, or by
# hand) shows as a make running in the tree: wait for it as well.
mkdir -p "$DIR"
exec 9>"$DIR/.build.lock"
if ! flock -n 9; then
	echo "debug-kernel: another build holds $DIR/.build.lock; waiting for it"
	flock 9
fi
other_build() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		if [ "$(readlink "$p/cwd" 2>/dev/null)" = "$DIR/linux" ] &&
		   grep -qa '^make' "$p/cmdline" 2>/dev/null; then
			return 0
		fi
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q '^/bin/bash [^ ]*tests/debug/build-kernel\.sh' &&
			return 0
	done
	return 1
}
if other_build; then
	echo "debug-kernel: another build is running in $DIR/linux; waiting for it"
	while other_build; do sleep 30; done
fi
cached && exit 0

need=()
for p in linux-source-6.1 flex bison bc libssl-dev libelf-dev dwarves \
	 build-essential kmod cpio xz-utils; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "debug-kernel: installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${need[@]}" >/dev/null
fi

src=$(ls -1 /usr/src/linux-source-6.1*.tar.xz | sort -V | tail -n1)
tree="$DIR/linux"
if [ ! -f "$tree/Makefile" ]; then
	echo "debug-kernel: unpacking $src"
	rm -rf "$tree" "$DIR/unpack"
	mkdir -p "$DIR/unpack"
	tar -C "$DIR/unpack" -xf "$src"
	mv "$DIR"/unpack/linux-source-6.1* "$tree"
	rmdir "$DIR/unpack"
fi

cd "$tree"
if [ ! -f .config.gpupt ]; then
	make -s defconfig
	make -s kvm_guest.config
	scripts/config "${OPTS[@]}"
	make -s olddefconfig
	cp .config .config.gpupt
elif [ "$(cat "$DIR/OPTIONS" 2>/dev/null)" != "$opts_hash" ]; then
	echo "debug-kernel: the option list changed: applying it to the cached tree"
	scripts/config "${OPTS[@]}"
	make -s olddefconfig
	cp .config .config.gpupt
fi
for o in KASAN KASAN_INLINE PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_LIST \
	 DETECT_HUNG_TASK SOFTLOCKUP_DETECTOR KFENCE UBSAN UBSAN_BOUNDS \
	 DEBUG_KOBJECT_RELEASE FAULT_INJECTION FAILSLAB \
	 FAULT_INJECTION_DEBUG_FS INTEL_IOMMU IRQ_REMAP HOTPLUG_PCI_PCIE \
	 9P_FS NET_9P_VIRTIO USER_NS HOTPLUG_PCI_ACPI NETLINK_DIAG; do
	grep -q "^CONFIG_$o=y" .config || { echo "debug-kernel: CONFIG_$o not set" >&2; exit 1; }
done
for o in VFIO_PCI DRM_BOCHS SND_HDA_INTEL E1000E BLK_DEV_NVME; do
	grep -q "^CONFIG_$o=m" .config || { echo "debug-kernel: CONFIG_$o not =m" >&2; exit 1; }
done

echo "debug-kernel: building with -j$JOBS at nice $NICE (about 17 min on 2 idle cores)"
t0=$EPOCHREALTIME
nice -n "$NICE" make -s -j"$JOBS" bzImage modules
rm -rf "$DIR/root"
nice -n "$NICE" make -s INSTALL_MOD_PATH="$DIR/root" modules_install
kver=$(make -s kernelrelease)
cp arch/x86/boot/bzImage "$DIR/vmlinuz"
ln -sfn "$tree" "$DIR/build"
echo "$kver" > "$DIR/KVER"
echo "$opts_hash" > "$DIR/OPTIONS"
printf 'debug-kernel: %s built in %.0f s\n' "$kver" "$(echo "$EPOCHREALTIME - $t0" | bc)"
