#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t01-rig-initrd-slow: the rig boots a foreign initrd (Debian's own, made by
# initramfs-tools) without its agent and drives it over the serial console,
# as the initramfs tests do.  Slow (udev in the initrd: 40-100 s under TCG),
# so make check-slow only; t62-initramfs covers it in make check.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1
#       └── 01:00.0 VGA 1234:1111
. "$(dirname "$0")/lib.sh"
rig_resolve_kernel
rig_require "/boot/initrd.img-$RIG_KVER" "Debian's initrd"

topo_root_port 1
topo_vga rp1 gpu0
vm_boot --initrd "/boot/initrd.img-$RIG_KVER" --no-agent --append "break=premount"
t_check "Debian's initrd stops at break=premount with a shell on the console" \
	vm_console_wait '^\(initramfs\) ' 240
n=$(vm_console_lines)
vm_console_send 'echo rig-$((6 * 7))'
t_check "a command typed on the serial console runs" vm_console_wait '^rig-42' 60 "$n"
t_done
