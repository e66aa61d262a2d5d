#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t35-handoff-busy: while a nested QEMU holds the vfio
# group open, reclaim and release are refused quickly, name the QEMU's pid,
# leave the nested VM running and change nothing; the same while a process
# has only attached the group to a container, before opening any device.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#       └── 01:00.0 VGA 1234:1111 (multifunction)   "gpu0"        } one IOMMU
#           01:00.1 intel-hda 8086:2668             "gpu0-audio"  } group
#
#   guest: qemu-system-x86_64 -S -device vfio-pci,host=01:00.0
#                                -device vfio-pci,host=01:00.1   (holds /dev/vfio/N)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
h_boot_gpu_slot held

t_check "handoff to vfio-pci" eval 'h_gptctl handoff $GPU >/dev/null && h_drivers_are "vfio-pci vfio-pci" $GPU $AUD'
GROUP=$(h_group $GPU)
PID=$(vm_nested_start n1 "-device vfio-pci,host=$GPU,addr=05.0,multifunction=on -device vfio-pci,host=$AUD,addr=05.1")
t_check "a nested qemu holds /dev/vfio/$GROUP (pid $PID)" eval '
	assert_match "^[0-9]+$" "$PID" "nested pid" &&
	vm_run "for i in \$(seq 100); do ls -l /proc/$PID/fd | grep -q /dev/vfio/$GROUP && exit 0; sleep 0.1; done; exit 1"'
STATE=$(vm_pci_state)

# The time is taken inside the guest, around gptctl alone: what a user
# waits for, without the rig's agent round trip (seconds on a loaded host).
for cmd in reclaim release; do
	vm_run "t0=\${EPOCHREALTIME/./}; gptctl $cmd $AUD; rc=\$?
		echo \$(( (\${EPOCHREALTIME/./} - t0) / 1000 )) >/tmp/busy-ms; exit \$rc" >/dev/null
	RC=$?
	H_ERR=$(cat "$VM_LAST_ERR" 2>/dev/null)
	MS=$(vm_run "cat /tmp/busy-ms")
	t_check "$cmd is refused with exit 1 in ${MS} ms (< 2000)" eval '
		assert_eq 1 "$RC" "exit status" && [ "$MS" -lt 2000 ]'
	t_check "$cmd: stderr says busy and names qemu's pid" eval '
		assert_contains "Device or resource busy" "$H_ERR" "stderr" &&
		assert_contains "is in use: /dev/vfio/$GROUP is open in qemu-system-x86 (pid $PID)" "$H_ERR" "stderr"'
done
t_check "the nested VM is still running and answers its monitor" eval '
	vm_run "kill -0 $PID" && assert_contains "VM status: paused" "$(vm_nested_monitor n1 "info status")" "nested monitor"'
t_check "nothing changed (drivers, overrides, groups)" eval 'assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'
t_check "after the VM exits, reclaim works" eval '
	vm_nested_stop n1 >/dev/null && h_gptctl reclaim $GPU >/dev/null && h_drivers_are "gpupt gpupt" $GPU $AUD'

# A QEMU that has attached the group to a container (VFIO_GROUP_SET_CONTAINER,
# VFIO_SET_IOMMU) owns the group's DMA before it opens any device file.
# Unbinding in that window left its type1 ioctls on freed memory (a GPF in
# vfio_iommu_type1_ioctl on 6.1), so that state is "open" too.  A python
# holder stops right there, deterministically.
h_gptctl handoff $GPU >/dev/null
vm_run_q "cat >/tmp/group-owner.py <<'PY'
import fcntl, os, struct, sys, time
c = os.open('/dev/vfio/vfio', os.O_RDWR)
g = os.open('/dev/vfio/' + sys.argv[1], os.O_RDWR)
fcntl.ioctl(g, 0x3B68, struct.pack('i', c))	# VFIO_GROUP_SET_CONTAINER
fcntl.ioctl(c, 0x3B66, 3)			# VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU
open('/tmp/group-owner.ready', 'w').close()
time.sleep(3600)
PY
rm -f /tmp/group-owner.ready; /usr/bin/python3 /tmp/group-owner.py $GROUP >/tmp/group-owner.log 2>&1 &
echo \$! >/tmp/group-owner.pid
for i in \$(seq 200); do [ -e /tmp/group-owner.ready ] && exit 0; sleep 0.1; done; exit 1"
OWNER=$(vm_run "cat /tmp/group-owner.pid")
t_check "a process owns group $GROUP's DMA without opening a device (pid $OWNER)" \
	vm_run "test -e /tmp/group-owner.ready && kill -0 $OWNER"
vm_run "gptctl reclaim $AUD" >/dev/null
RC=$?
H_ERR=$(cat "$VM_LAST_ERR" 2>/dev/null)
t_check "reclaim is refused while the group is attached to a container" eval '
	assert_eq 1 "$RC" "exit status" &&
	assert_contains "Device or resource busy" "$H_ERR" "stderr" &&
	assert_contains "(pid $OWNER)" "$H_ERR" "stderr" &&
	h_drivers_are "vfio-pci vfio-pci" $GPU $AUD'
t_check "once the owner exits, reclaim works" eval '
	vm_run "kill $OWNER; while kill -0 $OWNER 2>/dev/null; do sleep 0.1; done" &&
	h_gptctl reclaim $GPU >/dev/null && h_drivers_are "gpupt gpupt" $GPU $AUD'
t_done
