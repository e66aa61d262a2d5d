#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t33-handoff-rollback: the second function's bind fails
# for real; the first function, already moved, goes back to its original
# driver, nothing is left driverless, and the error names the function.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#       └── 01:00.0 VGA 1234:1111 (multifunction)   "gpu0"        } one IOMMU
#           01:00.1 intel-hda 8086:2668             "gpu0-audio"  } group
#
# How the bind fails: the target is failprobe_vfio_pci (tests/vm/failprobe),
# a real PCI driver whose probe returns -EIO for the functions in its fail=
# parameter, so really_probe() fails in the driver core on 01:00.1 only.
# gpupt accepts it as a target by the variant-driver rule (name ends in
# "vfio_pci").  vfio-pci itself cannot fail on a group's second function
# here: no QEMU device is on its denylist (Intel QAT IDs), Debian's 6.1 has
# no fault injection, and its refusal of a PF with SR-IOV enabled hits the
# PF, which QEMU 7.2's nvme needs as function 0 (sriov_numvfs gives ENOSYS
# otherwise), so it fails first; t75 uses that refusal across two groups.
# The kernel log proves 01:00.0 really bound to failprobe first.
#
# Case A: from gpupt (held from boot).  Case B: from bochs-drm and
# snd_hda_intel (--force).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

GPU=0000:01:00.0 AUD=0000:01:00.1
FAILKO=$(h_failprobe_ko) || { echo "Bail out! cannot build the failprobe module"; exit 1; }
topo_root_port 1
topo_gpu_slot rp1 gpu0
vm_boot --gpupt-initramfs "addrs=$GPU,$AUD"

t_check "insmod failprobe_vfio_pci fail=$AUD" vm_run "insmod $FAILKO fail=$AUD"
t_check "gpupt holds both functions" h_drivers_are "gpupt gpupt" $GPU $AUD
OVR=$(h_overrides $GPU $AUD)

# Case A: gpupt -> failprobe_vfio_pci, 01:00.1 refuses
vm_run_q 'dmesg -C'
h_gptctl handoff --driver failprobe_vfio_pci $GPU; OUT=$H_OUT RC=$H_RC
t_check "A: handoff fails with exit 1" assert_eq 1 "$RC" "exit status"
t_check "A: the error names the function that failed ($AUD)" eval '
	assert_contains "$AUD" "$H_ERR" "stderr" && assert_contains "kernel says:" "$H_ERR" "stderr"'
t_check "A: 01:00.0 really moved first (kernel log)" eval '
	assert_contains "$GPU: failprobe: bound" "$(vm_run dmesg)" "dmesg" &&
	assert_contains "$AUD: failprobe: refusing" "$(vm_run dmesg)" "dmesg"'
t_check "A: both functions are back on gpupt" h_drivers_are "gpupt gpupt" $GPU $AUD
t_check "A: driver_override is restored" eval 'assert_eq "$OVR" "$(h_overrides $GPU $AUD)" "driver_override"'

# Case B: host drivers -> failprobe_vfio_pci (--force), 01:00.1 refuses
t_check "B: release to the host drivers" eval '
	vm_run_q "modprobe -a bochs snd-hda-intel" && h_gptctl release $GPU >/dev/null &&
	h_drivers_are "bochs-drm snd_hda_intel" $GPU $AUD'
OVR=$(h_overrides $GPU $AUD)
vm_run_q 'dmesg -C'
h_gptctl handoff --force --release-host --driver failprobe_vfio_pci $GPU; OUT=$H_OUT RC=$H_RC
t_check "B: handoff --force fails with exit 1" assert_eq 1 "$RC" "exit status"
t_check "B: the error names $AUD" assert_contains "$AUD" "$H_ERR" "stderr"
t_check "B: 01:00.0 really moved first (kernel log)" \
	eval 'assert_contains "$GPU: failprobe: bound" "$(vm_run dmesg)" "dmesg"'
t_check "B: bochs-drm and snd_hda_intel have their functions back" \
	h_drivers_are "bochs-drm snd_hda_intel" $GPU $AUD
t_check "B: driver_override is restored" eval 'assert_eq "$OVR" "$(h_overrides $GPU $AUD)" "driver_override"'
t_check "B: the console --release-host unbound is bound again" vm_run \
	'for v in /sys/class/vtconsole/vtcon*; do grep -q "frame buffer" $v/name && grep -qx 1 $v/bind && exit 0; done; exit 1'

# and the group still moves normally afterwards
t_check "a normal handoff --force still works after the rollbacks" eval '
	h_gptctl handoff --force --release-host $GPU >/dev/null && h_drivers_are "vfio-pci vfio-pci" $GPU $AUD'
t_done
