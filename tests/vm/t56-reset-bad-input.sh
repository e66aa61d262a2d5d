#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t56-reset-bad-input: every wrong request is refused with a clear message
# and a non-zero exit status, and nothing is reset.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1, hotplug slot 1)
#   │   └── 01:00.0 VGA 1234:1111  "gpu0"  held by gpupt: no FLR, no PM reset
#   └── 00:09.0 edu 1234:11e8      "edu9"  on the root bus, held by gpupt:
#                                           no bridge above it, no slot
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

topo_root_port 1
topo_vga rp1 gpu0
VM_DEVS+=(-device edu,id=edu9,bus=pcie.0,addr=0x9.0)
vm_boot --gpupt-initramfs "ids=1234:1111,1234:11e8"

# refused CMD EXIT TEXT: gptctl CMD exits with EXIT and stderr contains TEXT
refused() {
	vm_run "$1"; code=$?
	assert_eq "$2" "$code" "exit status of '$1'" &&
	assert_contains "$3" "$(cat "$VM_LAST_ERR")" "stderr of '$1'"
}

t_check "gpupt holds both devices" eval 'vm_driver_is 0000:01:00.0 gpupt && vm_driver_is 0000:00:09.0 gpupt'
t_check "unknown address: exit 1, no such device" \
	refused "gptctl reset 0000:07:00.0" 1 "No such device"
t_check "malformed address: exit 2" \
	refused "gptctl reset 01:00.9" 2 "invalid PCI address"
t_check "unknown method: exit 2, names the methods" \
	refused "gptctl reset 01:00.0 --method warm" 2 "unknown reset method 'warm'"
t_check "flr on a device without FLR: exit 1, lists what it has" \
	refused "gptctl reset 01:00.0 --method flr" 1 "0000:01:00.0 does not support flr (its reset methods: bus)"
t_check "pm on a device without PM reset: exit 1" \
	refused "gptctl reset 01:00.0 --method pm" 1 "does not support pm"
t_check "bus on a root-bus device: exit 1, no bridge above it" \
	refused "gptctl reset 00:09.0 --method bus" 1 "0000:00:09.0 is on a root bus"
t_check "slot on a device outside a hotplug slot: exit 1" \
	refused "gptctl reset 00:09.0 --method slot" 1 "not in a hotplug slot"
t_check "one bad address refuses the whole request" \
	refused "gptctl reset 01:00.0 00:09.0 --method bus" 1 "0000:00:09.0 is on a root bus"
t_check "the errors are ENOTTY, not EINVAL" \
	refused "gptctl reset 01:00.0 --method flr" 1 "Inappropriate ioctl for device"
t_check "nothing was reset" eval 'assert_eq 0 "$(vm_run "dmesg | grep -c \"reset (\" || true")" "resets in dmesg"'
t_check "the dry run names the problem instead of failing" eval '
	res=$(vm_run "gptctl -j reset 01:00.0 --method flr --dry-run") &&
	assert_contains "\"blocker\":\"0000:01:00.0 does not support flr (its reset methods: bus)\"" "$res" "plan"'
t_done
