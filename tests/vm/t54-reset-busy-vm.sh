#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t54-reset-busy-vm: a device that a running VM holds open is never reset.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1, hotplug slot 1)
#       └── 01:00.0 edu 1234:11e8  "edu0"  matched by gpupt (ids=1234:11e8),
#                                           handed off to vfio-pci
#   inside the guest: a nested qemu -S with -device vfio-pci,host=0000:01:00.0
#
# Asserts, in order: once the nested VM shows the device in "info pci"
# (QEMU's monitor socket appears before its devices are realized), while it
# holds the device open a reset is
# refused (EBUSY, "open"), the dry run names the blocker, a reset of every
# managed device skips it, and the nested VM keeps running; once it is gone,
# the device is idle again and is reset, by address and without one.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

D=0000:01:00.0
topo_root_port 1
topo_edu rp1 edu0
vm_boot --gpupt-initramfs "ids=1234:11e8"

t_check "gpupt holds the edu" vm_driver_is $D gpupt
t_check "gptctl handoff gives it to vfio-pci" eval '
	vm_run "modprobe vfio-pci && gptctl handoff 01:00.0" >/dev/null && vm_driver_is '$D' vfio-pci'
t_check "a nested VM opens it" eval 'vm_nested_start n1 "-device vfio-pci,host='$D'" >/dev/null &&
	assert_contains "1234:11e8" "$(vm_nested_monitor n1 "info pci")" "nested info pci"'

t_check "its reset is refused while the VM runs" eval '
	vm_run "gptctl reset 01:00.0"; code=$?
	assert_eq 1 "$code" "exit status" &&
	assert_contains "$D is open through vfio-pci" "$(cat "$VM_LAST_ERR")" "stderr" &&
	assert_contains "Device or resource busy" "$(cat "$VM_LAST_ERR")" "stderr"'
t_check "a bus reset is refused too" eval '
	vm_run "gptctl reset 01:00.0 --method bus --force"; code=$?
	assert_eq 1 "$code" "exit status" &&
	assert_contains "open through vfio-pci" "$(cat "$VM_LAST_ERR")" "stderr"'
t_check "the dry run names the VM as the blocker" eval '
	res=$(vm_run "gptctl -j reset 01:00.0 --dry-run") &&
	assert_contains "\"blocker\":\"$D is open through vfio-pci (a VM is using it)\"" "$res" "plan"'
t_check "resetting every managed device skips the open one" eval '
	res=$(vm_run "gptctl -j reset") && assert_eq "[]" "$res" "gptctl -j reset"'
t_check "nothing was reset" eval 'assert_eq 0 "$(vm_run "dmesg | grep -c \"reset (\" || true")" "resets in dmesg"'
t_check "the nested VM is still running and still has the device" eval '
	assert_contains "1234:11e8" "$(vm_nested_monitor n1 "info pci")" "nested info pci"'

t_check "the nested VM goes away" vm_nested_stop n1
t_check "closed, the vfio device is idle and is reset" eval '
	res=$(vm_run "gptctl -j reset 01:00.0") &&
	assert_match "^\[\{\"address\":\"$D\",\"method\":\"[a-z_]+\",\"ok\":true," "$res" "result"'
t_check "and a reset of every managed device includes it" eval '
	res=$(vm_run "gptctl -j reset") &&
	assert_eq "$D true 1" "$(jq -r "[.[] | \"\(.address) \(.ok)\"] + [length | tostring] | join(\" \")" <<<"$res")" "result"'
t_check "vfio-pci still has it" vm_driver_is $D vfio-pci
t_done
