#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t62-initramfs: `gptctl setup --ids 1234:1111` on a
# Debian host, then the real Debian initrd it regenerated holds the VGA.
#
# Host part, in a private mount namespace so that nothing leaks to the
# machine or to other tests' guests (which see the host's /): overlays on
# /etc, /var/lib, /boot and /usr/lib/modules/KVER (with gpupt.ko installed
# in updates/ and depmod run), then setup as a user would run it, which
# writes /etc/modprobe.d/gpupt.conf and /etc/initramfs-tools/modules and
# runs update-initramfs.  The host lists bochs in its initramfs modules, as
# a host with early KMS does.  lsinitramfs: gpupt.ko, its options, bochs.
# Then the same host laid out as a Proxmox VE host that boots through
# proxmox-boot-tool: setup --apply-cmdline edits /etc/kernel/cmdline and
# runs proxmox-boot-tool refresh (a stand-in), and --undo reverts both.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1
#       └── 01:00.0 VGA 1234:1111 "gpu0"   -> gpupt (bochs is in the initrd)
#
# Guest part: that initrd, break=premount, driven over the serial console.
# udev has coldplugged and the modules list was loaded by then: the modprobe
# of bochs pulled gpupt in first (softdep), and gpupt holds the VGA.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
rig_resolve_kernel
command -v unshare >/dev/null && command -v update-initramfs >/dev/null ||
	{ echo "1..0 # SKIP needs unshare and initramfs-tools"; exit 0; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/gpupt-t62.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
moddir=$(readlink -f /lib/modules)/$RIG_KVER

# A kernel that is not installed on the host (the debug kernel, the kernel
# matrix) is installed into the overlays as a package would: its module
# tree, /boot/config-KVER, and a vmlinuz and an initrd in /boot for
# update-initramfs -u -k all to find and update.
unshare -m --propagation private bash -c '
	set -e
	s=$1 kver=$2 moddir=$3 ko=$4 gptctl=$5 rigmods=$6
	for d in /etc /var/lib /boot "${moddir%/*}"; do
		n=$(echo "$d" | tr / _)
		mkdir -p "$s/ov/$n/u" "$s/ov/$n/w"
		mount -t overlay overlay -o "lowerdir=$d,upperdir=$s/ov/$n/u,workdir=$s/ov/$n/w" "$d"
	done
	if [ ! -e "$moddir/modules.dep" ]; then
		mkdir -p "$moddir"
		cp -a "$rigmods"/. "$moddir"/
		[ -e "/boot/config-$kver" ] || cp "$rigmods/build/.config" "/boot/config-$kver"
		# linux-version list (update-initramfs -k all) goes by
		# /boot/vmlinuz-*; -u updates only an initrd that exists
		[ -e "/boot/vmlinuz-$kver" ] || : >"/boot/vmlinuz-$kver"
		[ -e "/boot/initrd.img-$kver" ] || : >"/boot/initrd.img-$kver"
	fi
	mkdir -p "$moddir/updates"
	cp "$ko" "$moddir/updates/gpupt.ko"
	depmod "$kver"
	# A host whose initrd carries its GPU driver (early KMS): bochs here.
	echo bochs >>/etc/initramfs-tools/modules
	"$gptctl" setup --ids 1234:1111 >"$s/setup.out" 2>"$s/setup.err"
	echo $? >"$s/setup.rc"
	cp "/boot/initrd.img-$kver" "$s/initrd.img"

	# Then the same host as a Proxmox VE host that boots through
	# proxmox-boot-tool: no /etc/default/grub, the command line in
	# /etc/kernel/cmdline, and a stand-in proxmox-boot-tool (in an overlay
	# on /usr/sbin) that logs its arguments and the line it would copy to
	# the ESPs.
	mkdir -p "$s/ov/sbin/u" "$s/ov/sbin/w" /etc/kernel
	mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=$s/ov/sbin/u,workdir=$s/ov/sbin/w" /usr/sbin
	printf "#!/bin/sh\necho \"\$* | \$(cat /etc/kernel/cmdline)\" >>%s/pbt.log\n" "$s" >/usr/sbin/proxmox-boot-tool
	chmod +x /usr/sbin/proxmox-boot-tool
	rm -f /etc/default/grub
	echo "root=ZFS=rpool/ROOT/pve-1 boot=zfs" >/etc/kernel/cmdline
	cp /etc/kernel/cmdline "$s/kcmdline.before"
	"$gptctl" setup --ids 1234:1111 --apply-cmdline >"$s/pve.out" 2>"$s/pve.err"
	echo $? >"$s/pve.rc"
	"$gptctl" setup --undo >"$s/pveundo.out" 2>"$s/pveundo.err"
	echo $? >"$s/pveundo.rc"
	cp /etc/kernel/cmdline "$s/kcmdline.after"
' _ "$scratch" "$RIG_KVER" "$moddir" "$GPUPT_KO" "$RIG_GPTCTL" "$RIG_HOST_MODDIR" >"$scratch/ns.log" 2>&1

t_check "setup --ids 1234:1111 (update-initramfs included) exits 0" \
	eval '[ "$(cat "$scratch/setup.rc" 2>/dev/null)" = 0 ] ||
	      { cat "$scratch/ns.log" "$scratch/setup.out" "$scratch/setup.err" 2>/dev/null | tail -20; false; }'
t_check "... and printed the command line to add" \
	eval 'grep -Eq "add to the kernel command line: (intel|amd)_iommu=on iommu=pt gpupt.ids=1234:1111" "$scratch/setup.out" || cat "$scratch/setup.out"'
t_check "nothing leaked to the host's /etc" \
	eval '[ ! -e /etc/modprobe.d/gpupt.conf ] && ! grep -qx gpupt /etc/initramfs-tools/modules'

t_check "Proxmox layout: setup --apply-cmdline exits 0 and ran proxmox-boot-tool refresh once, with the words already in /etc/kernel/cmdline" \
	eval '[ "$(cat "$scratch/pve.rc" 2>/dev/null)" = 0 ] &&
	      sed -n 1p "$scratch/pbt.log" | grep -Eqx "refresh \| root=ZFS=rpool/ROOT/pve-1 boot=zfs ((intel|amd)_iommu=on )?iommu=pt gpupt.ids=1234:1111" ||
	      { cat "$scratch/ns.log" "$scratch/pve.out" "$scratch/pve.err" "$scratch/pbt.log" 2>/dev/null | tail -20; false; }'
t_check "... and setup --undo put the line back byte for byte and refreshed again" \
	eval '[ "$(cat "$scratch/pveundo.rc" 2>/dev/null)" = 0 ] && cmp -s "$scratch/kcmdline.before" "$scratch/kcmdline.after" &&
	      [ "$(sed -n 2p "$scratch/pbt.log")" = "refresh | root=ZFS=rpool/ROOT/pve-1 boot=zfs" ] &&
	      [ "$(wc -l <"$scratch/pbt.log")" = 2 ] ||
	      { cat "$scratch/pveundo.out" "$scratch/pveundo.err" "$scratch/pbt.log" 2>/dev/null | tail -20; false; }'

lsinitramfs "$scratch/initrd.img" >"$scratch/list" 2>/dev/null
t_check "lsinitramfs: the initrd contains gpupt.ko" \
	eval 'grep -E "/gpupt\.ko(\.(xz|zst|gz))?$" "$scratch/list" || { echo "no gpupt.ko in the initrd"; false; }'
t_check "lsinitramfs: ... and etc/modprobe.d/gpupt.conf" \
	grep -qx 'etc/modprobe.d/gpupt.conf' "$scratch/list"
t_check "lsinitramfs: ... and bochs" \
	eval 'grep -Eq "/bochs\.ko" "$scratch/list" || { echo "no bochs.ko in the initrd"; false; }'
mkdir -p "$scratch/x"
unmkinitramfs "$scratch/initrd.img" "$scratch/x" 2>/dev/null
conf=$(find "$scratch/x" -path '*etc/modprobe.d/gpupt.conf' | head -1)
t_check "the initrd's gpupt.conf has the options and the bochs softdep" \
	eval 'grep -qx "options gpupt ids=1234:1111" "$conf" && grep -qx "softdep bochs pre: gpupt" "$conf" || cat "$conf"'

topo_root_port 1
topo_vga rp1 gpu0
vm_boot --initrd "$scratch/initrd.img" --no-agent --append "break=premount"
t_check "the Debian initrd stops at break=premount with a shell" \
	vm_console_wait '^\(initramfs\) ' 240
n=$(vm_console_lines)
vm_console_send 'echo DRV=$(basename $(readlink /sys/bus/pci/devices/0000:01:00.0/driver)) IDS=$(cat /sys/module/gpupt/parameters/ids) BOCHS=$(test -d /sys/module/bochs && echo loaded)'
t_check "the VGA is held by gpupt, with ids=1234:1111 from the initrd" \
	vm_console_wait '^DRV=gpupt IDS=1234:1111 ' 60 "$n"
t_check "... although bochs was loaded too (it found nothing to bind)" \
	vm_console_wait '^DRV=gpupt IDS=1234:1111 BOCHS=loaded' 5 "$n"
t_done
