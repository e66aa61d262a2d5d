#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t66-rom-dump: gptctl rom dump through sysfs.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 "gpu0"  boot VGA (SeaBIOS ran its ROM) -> gpupt
#   ├── 00:02.0 pcie-root-port rp2
#   │   └── 02:00.0 VGA 1234:1111 "gpu1"  second VGA, ROM untouched     -> gpupt
#   └── 00:03.0 pcie-root-port rp3
#       └── 03:00.0 VGA 1234:1111 "gpu2"  not held                     -> bochs-drm
#
# QEMU's VGA carries vgabios-stdvga.bin as its ROM BAR.  The second VGA's
# dump equals that file and passes `rom check --for`; the boot VGA's dump
# is the firmware's shadow copy (it differs) and gptctl says "shadow"; a
# device under a host driver is refused unless --force.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

STDVGA=/usr/share/seabios/vgabios-stdvga.bin
topo_root_port 1
topo_vga rp1 gpu0
topo_root_port 2
topo_vga rp2 gpu1
topo_root_port 3
topo_vga rp3 gpu2
vm_boot --gpupt-initramfs "addrs=0000:01:00.0,0000:02:00.0"

t_check "01:00.0 is the boot VGA, 02:00.0 is not" \
	eval 'assert_eq "1 0" "$(vm_run "echo \$(cat /sys/bus/pci/devices/0000:01:00.0/boot_vga) \$(cat /sys/bus/pci/devices/0000:02:00.0/boot_vga)")" "boot_vga of 01:00.0 and 02:00.0"'
t_check "gpupt holds both" eval 'vm_driver_is 0000:01:00.0 gpupt && vm_driver_is 0000:02:00.0 gpupt'

# The second VGA: a clean image, equal to the file QEMU loaded.
t_check "rom dump of the second VGA succeeds" \
	vm_run 'gptctl rom dump 02:00.0 -o /tmp/gpu1.rom'
t_check "... and equals vgabios-stdvga.bin byte for byte" \
	vm_run "cmp /tmp/gpu1.rom $STDVGA"
t_check "... and passes rom check --for 02:00.0" \
	eval 'out=$(vm_run "gptctl rom check /tmp/gpu1.rom --for 02:00.0") &&
	      assert_contains "matches the device: yes" "$out" &&
	      assert_contains "result: 0 error(s)" "$out"'
t_check "rom check --for fails when no image is for the device (virtio-vga ROM vs 1234:1111)" \
	eval 'vm_run "gptctl rom check /usr/share/seabios/vgabios-virtio.bin --for 02:00.0"; [ $? = 1 ] &&
	      assert_contains "no image is for 0000:02:00.0 (1234:1111)" "$(cat "$VM_LAST_OUT")"'

# The boot VGA: the kernel hands out the shadow copy.
t_check "rom dump of the boot VGA succeeds and says shadow" \
	eval 'out=$(vm_run "gptctl rom dump 01:00.0 -o /tmp/gpu0.rom 2>&1") &&
	      assert_contains "shadow copy: 0000:01:00.0 is the boot VGA device" "$out" &&
	      assert_contains "shadow copy of its ROM" "$out"'
t_check "... JSON says \"shadow\": true" \
	eval 'assert_contains "\"shadow\":true" "$(vm_run "gptctl -j rom dump 01:00.0 -o /tmp/gpu0.rom 2>/dev/null")"'
t_check "... and the shadow differs from vgabios-stdvga.bin" \
	eval 'out=$(vm_run "cmp /tmp/gpu0.rom '"$STDVGA"' 2>&1; echo rc=\$?"); assert_match "differ: (byte|char) [0-9]+.*rc=1" "$out"'

# A device under a host driver is refused.
vm_run_q 'modprobe bochs'
t_check "03:00.0 is bound to bochs-drm" vm_driver_is 0000:03:00.0 bochs-drm
t_check "rom dump refuses a device bound to a host driver (exit 1, names it)" \
	eval 'vm_run "gptctl rom dump 03:00.0 -o /tmp/gpu2.rom"; [ $? = 1 ] &&
	      assert_contains "is bound to bochs-drm" "$(cat "$VM_LAST_ERR")" &&
	      ! vm_run "test -e /tmp/gpu2.rom"'
t_check "rom dump --force reads it anyway" \
	vm_run 'gptctl rom dump 03:00.0 -o /tmp/gpu2.rom --force && gptctl rom check /tmp/gpu2.rom >/dev/null'
t_check "the ROM is disabled again after every dump" \
	vm_run 'for a in 01 02 03; do v=$(setpci -s $a:00.0 ROM_ADDRESS) || exit 1; [ $((0x$v & 1)) = 0 ] || { echo "$a ROM still enabled: $v"; exit 1; }; done'
t_done
