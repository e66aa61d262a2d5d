#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t75-rollback-fault: a multi-function handoff fails on
# its last function through a real failure, not a mocked return value.
# Every function ends where it started (driver and driver_override), and
# the error names the failing function.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 (multifunction)    held (addrs=)    } one IOMMU
#   │       01:00.1 intel-hda 8086:2668              held (addrs=)    } group,
#   │       01:00.2 edu 1234:11e8                    held (addrs=)    } three functions
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 nvme 1b36:0010 SR-IOV PF         on nvme, 1 VF enabled
#           02:00.1 its VF (sriov_numvfs=1)          no driver (sriov_drivers_autoprobe=0)
#
# A: the last function's bind fails.  gpupt moves a group one function at
#    a time in address order, so with 01:00.2 failing, 01:00.0 and 01:00.1
#    are already bound to the target when it fails.  The failure is a real
#    probe failure in the driver core: the target is failprobe_vfio_pci
#    (tests/vm/failprobe, also used by t33), whose probe returns -EIO for
#    the functions in its fail= list, accepted by gpupt as a vfio-pci
#    variant.  Run from gpupt, then from host-like drivers of mixed origin.
# B: vfio-pci itself refuses: "Cannot bind to PF with SR-IOV enabled"
#    (vfio_pci_core_register_device() returns -EBUSY), in a request moving
#    two groups at once; the GPU group, which could move, is rolled back
#    too.  (QEMU 7.2's nvme writes Function Dependency Link 0, so the PF
#    must be function 0 of its slot: sriov_enable() returns ENOSYS
#    otherwise.  Its VF is then function 1, after it in address order,
#    which is why A needs failprobe to fail on the *last* function.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"

rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

GPU=0000:01:00.0 AUD=0000:01:00.1 EDU=0000:01:00.2 PF=0000:02:00.0 VF=0000:02:00.1
ALL="$GPU $AUD $EDU $PF $VF"
FAILKO=$(h_failprobe_ko) || { echo "Bail out! cannot build the failprobe module"; exit 1; }
topo_root_port 1
topo_gpu_slot rp1 gpu0
topo_edu rp1 gpu0-edu 00.2
topo_root_port 2
VM_DEVS+=(-device nvme-subsys,id=nvsub0
	  -device "nvme,id=nvme0,bus=rp2,addr=00.0,serial=rely0001,subsys=nvsub0,sriov_max_vfs=1,sriov_vq_flexible=2,sriov_vi_flexible=1,max_ioqpairs=4,msix_qsize=3")
vm_boot --gpupt-initramfs "addrs=$GPU,$AUD,$EDU"

setup() {
	vm_run_q "insmod $FAILKO fail=$EDU && modprobe -a nvme vfio-pci && d=/sys/bus/pci/devices/$PF &&
		for i in \$(seq 50); do [ -e \$d/driver ] && break; sleep 0.1; done &&
		echo 0 >\$d/sriov_drivers_autoprobe && echo 1 >\$d/sriov_numvfs" || return 1
	h_drivers_are "gpupt gpupt gpupt nvme -" $ALL
}
t_check "setup: the slot held, nvme on 02:00.0 with one driverless VF, failprobe loaded" setup
t_check "01:00.0, .1, .2 share one IOMMU group" eval '
	g=$(h_group $GPU) && assert_eq "$g $g" "$(h_group $AUD) $(h_group $EDU)" "groups"'

# run_a LABEL FLAGS: the handoff to failprobe_vfio_pci fails on 01:00.2
run_a() {
	local label=$1 flags=$2 before ovr rc dmesg
	before=$(h_drivers $ALL); ovr=$(h_overrides $ALL)
	echo "# $label: before: drivers $before; overrides $ovr"
	vm_run_q "dmesg -C"
	h_gptctl handoff $flags --driver failprobe_vfio_pci $GPU >/dev/null; rc=$?
	echo "# $label: gptctl: ${H_ERR//$'\n'/ }"
	t_check "$label: handoff of the 3-function group fails with exit 1" assert_eq 1 "$rc" "exit status"
	t_check "$label: the error names the failing (last) function, $EDU" eval '
		assert_contains "$EDU" "$H_ERR" "stderr" && assert_contains "kernel says:" "$H_ERR" "stderr"'
	dmesg=$(vm_run dmesg)
	t_check "$label: the fault is real: 01:00.0 and 01:00.1 bound, then 01:00.2 refused (kernel log)" eval '
		assert_contains "$GPU: failprobe: bound" "$dmesg" "dmesg" &&
		assert_contains "$AUD: failprobe: bound" "$dmesg" "dmesg" &&
		assert_contains "$EDU: failprobe: refusing" "$dmesg" "dmesg"'
	t_check "$label: every function ends on the driver it started on" eval '
		assert_eq "$before" "$(h_drivers $ALL)" "drivers"'
	t_check "$label: and with the driver_override it started with" eval '
		assert_eq "$ovr" "$(h_overrides $ALL)" "driver_override"'
}

run_a "A1 (from gpupt)" ""
# Mixed origins: 01:00.0 on vfio-pci (handed off alone), 01:00.1 on
# snd_hda_intel (a host driver: needs --force), 01:00.2 on gpupt.
t_check "A2 setup: 01:00.0 on vfio-pci, 01:00.1 on snd_hda_intel, 01:00.2 on gpupt" eval '
	vm_run_q "gptctl handoff --single $GPU && gptctl release --single $AUD && modprobe snd-hda-intel" &&
	for i in $(seq 30); do [ "$(vm_driver $AUD)" = snd_hda_intel ] && break; sleep 0.2; done;
	h_drivers_are "vfio-pci snd_hda_intel gpupt nvme -" $ALL'
run_a "A2 (mixed)" "--force"

# B: real vfio-pci refusal, two groups in one request
t_check "B setup: back to gpupt" eval '
	vm_run_q "gptctl claim --force $AUD && gptctl reclaim $GPU" && h_drivers_are "gpupt gpupt gpupt nvme -" $ALL'
BEFORE=$(h_drivers $ALL) OVR=$(h_overrides $ALL)
vm_run_q "dmesg -C"
h_gptctl handoff --force $GPU $PF >/dev/null; RC=$?
echo "# B: gptctl: ${H_ERR//$'\n'/ }"
t_check "B: handoff --force 01:00.0 02:00.0 (two groups) fails with exit 1, naming $PF" eval '
	assert_eq 1 "$RC" "exit status" && assert_contains "$PF" "$H_ERR" "stderr"'
t_check "B: the fault is real: vfio-pci refused $PF (kernel log)" eval '
	assert_contains "$PF: Cannot bind to PF with SR-IOV enabled" "$(vm_run dmesg)" "dmesg"'
t_check "B: every function of both groups ends where it started" eval '
	assert_eq "$BEFORE" "$(h_drivers $ALL)" "drivers" &&
	assert_eq "$OVR" "$(h_overrides $ALL)" "driver_override"'
t_check "B: the nvme controller is back with its VF (sriov_numvfs 1)" eval '
	assert_eq 1 "$(vm_run cat /sys/bus/pci/devices/$PF/sriov_numvfs)" "sriov_numvfs"'

# the faults removed, the same requests go through
t_check "without the faults, both groups move to vfio-pci in one request" eval '
	vm_run_q "echo 0 >/sys/bus/pci/devices/$PF/sriov_numvfs" &&
	h_gptctl handoff --force $GPU $PF >/dev/null &&
	h_drivers_are "vfio-pci vfio-pci vfio-pci vfio-pci" $GPU $AUD $EDU $PF'
t_check "dmesg: no warning beyond the refusals and the SR-IOV note" eval '
	bad=$(vm_run "dmesg --level=emerg,alert,crit,err,warn" | grep -v "Cannot bind to PF with SR-IOV enabled\|driver left SR-IOV enabled after remove\|probe of $PF failed with error -16")
	[ -z "$bad" ] || { printf "#   %s\n" "$bad" | head -20; false; }'
t_done
