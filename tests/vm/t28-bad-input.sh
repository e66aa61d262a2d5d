#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t28-bad-input: an unknown address, a malformed address,
# and a claim of a device bound to another driver without --force each give
# gptctl's documented exit status (1 failed, 2 usage) and a message that
# says what and why, with no kernel warning.  Then the way it is meant to
# be used: claim --force, and unclaim giving the device back to its driver.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111   bochs-drm (the "other driver")
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 edu 1234:11e8   held (addrs=), keeps the module busy
#   (no device at 05:00.0)
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

topo_root_port 1
topo_vga rp1 gpu0
topo_root_port 2
topo_edu rp2 edu2
vm_boot --gpupt-initramfs "addrs=02:00.0"

t_check "modprobe bochs: bochs-drm binds 01:00.0" eval 'vm_run "modprobe bochs" && vm_driver_is 0000:01:00.0 bochs-drm'

vm_capture "gptctl show 0000:05:00.0"
t_check "show of an unknown address exits 1" assert_eq 1 "$VM_RC" "exit status"
t_check "... and stderr names the address and says it does not exist" eval '
	assert_contains "0000:05:00.0" "$VM_ERR" "stderr" && assert_match "[Nn]o such device|not found|does not exist" "$VM_ERR" "stderr"'
vm_capture "gptctl claim 05:00.0"
t_check "claim of an unknown address exits 1 with a message" eval '
	assert_eq 1 "$VM_RC" "exit status" && assert_match "05:00.0" "$VM_ERR" "stderr"'

for bad in "0000:zz:00.0" "1:2:3:4" "01:00.9" "01:00"; do
	vm_capture "gptctl claim $bad"
	t_check "claim '$bad' (malformed) exits 2 and names the argument" eval '
		assert_eq 2 "$VM_RC" "exit status" && assert_contains "$bad" "$VM_ERR" "stderr"'
done
vm_capture "gptctl show nonsense"
t_check "show 'nonsense' exits 2" assert_eq 2 "$VM_RC" "exit status"
t_check "usage errors changed nothing" vm_driver_is 0000:01:00.0 bochs-drm

vm_capture "gptctl claim 01:00.0"
t_check "claim of a device bound to bochs-drm without --force exits 1" assert_eq 1 "$VM_RC" "exit status"
t_check "... stderr names the driver (the kernel's extack) and the busy error" eval '
	assert_contains "bochs-drm" "$VM_ERR" "stderr" && assert_match "[Bb]usy|in use" "$VM_ERR" "stderr"'
t_check "... and the device stays on bochs-drm, driver_override untouched" eval '
	vm_driver_is 0000:01:00.0 bochs-drm &&
	assert_eq "(null)" "$(vm_run "cat /sys/bus/pci/devices/0000:01:00.0/driver_override")" "driver_override"'

t_check "claim --force takes it from bochs-drm" eval '
	vm_run "gptctl claim --force --release-host 01:00.0" >/dev/null && vm_driver_is 0000:01:00.0 gpupt'
t_check "claim again (already held) succeeds and changes nothing" eval '
	vm_run "gptctl claim 01:00.0" >/dev/null && vm_driver_is 0000:01:00.0 gpupt'
t_check "unclaim gives it back to bochs-drm" eval '
	vm_run "gptctl unclaim 01:00.0" >/dev/null && vm_driver_is 0000:01:00.0 bochs-drm'
vm_capture "gptctl unclaim 01:00.0"
t_check "unclaim of a device gpupt does not hold exits 1 with a message" eval '
	assert_eq 1 "$VM_RC" "exit status" && [ -n "$VM_ERR" ]'
t_done
