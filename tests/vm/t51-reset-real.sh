#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t51-reset-real: a bus reset through gptctl really resets the device, and
# the PCI core's save/restore puts its config space back.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1, hotplug slot 1)
#       └── 01:00.0 e1000e 8086:10d3   "nic0"   held by gpupt (ids=8086:10d3)
#
# The e1000e's RAL0 register (BAR0 + 0x5400, the low half of receive address
# 0) survives nothing but a device reset: we write it through BAR0, reset
# with --method bus, and expect its power-on value back, with the BARs and
# the command register as they were.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

D=0000:01:00.0
S=/sys/bus/pci/devices/$D

topo_root_port 1
topo_e1000e rp1 nic0
vm_boot --gpupt-initramfs "ids=8086:10d3"

# config space words that must survive: command, BAR0..5, ROM
cfg() { vm_run "setpci -s $D COMMAND BASE_ADDRESS_0 BASE_ADDRESS_1 BASE_ADDRESS_2 BASE_ADDRESS_3 BASE_ADDRESS_4 BASE_ADDRESS_5 ROM_ADDRESS | tr '\n' ' '"; }
ral0() { vm_run "busybox devmem \$(( \$(cut -d' ' -f1 $S/resource | head -1) + 0x5400 )) 32"; }

t_check "gpupt holds the e1000e" vm_driver_is $D gpupt

# gpupt never enables a device; a user poking BAR0 does, with the memory bit.
t_check "memory decoding enabled by hand (setpci COMMAND |= MEM|MASTER)" \
	vm_run "setpci -s $D COMMAND=0006:0006"
POWERON=$(ral0)
CFG_BEFORE=$(cfg)
RES_BEFORE=$(vm_run "cat $S/resource")
echo "# RAL0 at power-on: $POWERON; config before: $CFG_BEFORE"
t_check "RAL0 reads a power-on value" assert_match '^0x[0-9A-Fa-f]{8}$' "$POWERON" "RAL0"

t_check "RAL0 takes a new value written through BAR0" eval '
	vm_run "busybox devmem \$(( \$(cut -d\" \" -f1 '$S'/resource | head -1) + 0x5400 )) 32 0x0BADC0DE" &&
	assert_eq 0x0BADC0DE "$(ral0)" "RAL0 after the write"'

# At 2.5 GT/s QEMU's root port cannot report Data Link Layer Link Active
# (LnkCap LLActRep-), so the link check does not apply.
CHECKS='"checks":\{"present":"pass","config":"pass","link":"n/a","bars":"pass","command":"pass","power":"pass"\}'
t_check "gptctl -j reset --method bus reports ok, every check passed, one rung" eval '
	res=$(vm_run "gptctl -j reset '$D' --method bus") &&
	assert_match "^\[\{\"address\":\"'$D'\",\"method\":\"bus\",\"ok\":true,\"duration_ms\":[0-9]+,\"duration_us\":[0-9]+,\"error\":null,$CHECKS,\"failed_check\":null,\"quarantined\":false,\"quarantine\":null,\"rungs\":\[\{\"method\":\"bus\",\"ok\":true,\"skipped\":false,\"duration_us\":[0-9]+,\"error\":null,$CHECKS,\"failed_check\":null\}\]\}\]$" "$res" "gptctl output"'

t_check "RAL0 is back at its power-on value" eval 'assert_eq "$POWERON" "$(ral0)" "RAL0 after the reset"'
t_check "command register and BARs are restored" eval 'assert_eq "$CFG_BEFORE" "$(cfg)" "config space"'
t_check "sysfs resources are unchanged" eval 'assert_eq "$RES_BEFORE" "$(vm_run "cat '$S'/resource")" "resource"'
t_check "gpupt still holds the e1000e" vm_driver_is $D gpupt
t_check "the kernel logged the reset" eval 'assert_match "$D: reset \(bus\) in [0-9]+ us" "$(vm_run "dmesg | grep gpupt")" "dmesg"'
t_done
