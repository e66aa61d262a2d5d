#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t26-group-viability: a function held by gpupt does not
# make its IOMMU group unviable for vfio (driver_managed_dma): with fn 0 on
# gpupt and fn 1 on vfio-pci, a nested QEMU accepts fn 1.  The control: with
# fn 0 on a host driver (bochs-drm) the same nested QEMU is refused.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1
#       └── 01:00.0 VGA 1234:1111 (multifunction)  "gpu0"        bochs-drm, then gpupt
#           01:00.1 intel-hda 8086:2668            "gpu0-audio"  vfio-pci
#       (one IOMMU group: the two functions have no ACS between them)
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko

topo_root_port 1
topo_gpu_slot rp1 gpu0
vm_boot

t_check "01:00.0 and 01:00.1 share an IOMMU group" vm_run '
	[ "$(readlink /sys/bus/pci/devices/0000:01:00.0/iommu_group)" = "$(readlink /sys/bus/pci/devices/0000:01:00.1/iommu_group)" ]'
t_check "bochs-drm binds 01:00.0, vfio-pci takes 01:00.1 by driver_override" eval '
	vm_run "modprobe -a bochs vfio-pci &&
		echo vfio-pci >/sys/bus/pci/devices/0000:01:00.1/driver_override &&
		echo 0000:01:00.1 >/sys/bus/pci/drivers_probe" &&
	vm_driver_is 0000:01:00.0 bochs-drm && vm_driver_is 0000:01:00.1 vfio-pci'
t_check "control: with a host driver in the group, the nested QEMU is refused" eval '
	! out=$(vm_nested_info_pci "-device vfio-pci,host=0000:01:00.1") &&
	assert_match "not viable|viable|Operation not permitted|EBUSY|busy" "$out" "nested qemu error"'
t_check "unbind bochs-drm, modprobe gpupt addrs=01:00.0: gpupt holds fn 0" eval '
	vm_run "echo 0000:01:00.0 >/sys/bus/pci/drivers/bochs-drm/unbind && modprobe gpupt addrs=01:00.0" &&
	vm_driver_is 0000:01:00.0 gpupt'
t_check "01:00.1 is still on vfio-pci and /dev/vfio/GROUP exists" eval '
	vm_driver_is 0000:01:00.1 vfio-pci &&
	vm_run "g=\$(basename \$(readlink /sys/bus/pci/devices/0000:01:00.1/iommu_group)); [ -c /dev/vfio/\$g ]"'
t_check "a nested qemu -S with -device vfio-pci,host=0000:01:00.1 comes up; info pci shows it" eval '
	out=$(vm_nested_info_pci "-device vfio-pci,host=0000:01:00.1") &&
	assert_contains "PCI device 8086:2668" "$out" "nested info pci"'
t_check "01:00.0 stays on gpupt after the nested QEMU" vm_driver_is 0000:01:00.0 gpupt
t_done
