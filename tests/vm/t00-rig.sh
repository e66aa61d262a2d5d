#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t00-rig: the rig itself works, so that a failure elsewhere is gpupt's.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#   │   └── 01:00.0 VGA 1234:1111 (multifunction)   "gpu0"
#   │       01:00.1 intel-hda 8086:2668             "gpu0-audio"
#   ├── 00:02.0 pcie-root-port rp2 (hotplug slot 2)
#   │   └── 02:00.0 edu 1234:11e8                   "edu0"
#   ├── 00:18.0 / 00:19.0 virtio-9p (host root, rig share)   } rig
#   └── 00:1a.0 virtio-serial (guest agent)                  } plumbing
#
# Asserts, in order: the guest is a writable overlay of the host root, Debian's
# modules load by modprobe, the IOMMU gives groups, vfio-pci takes a device and
# a nested QEMU accepts it, and a QEMU monitor device_del removes a device.
# (t01-rig-initrd-slow drives a foreign initrd over the serial console.)
. "$(dirname "$0")/lib.sh"

topo_root_port 1
topo_gpu_slot rp1 gpu0
topo_root_port 2
topo_edu rp2 edu0
vm_boot

t_check "guest root is an overlay on the host's 9p root" \
	eval 'assert_match "^overlay / overlay " "$(vm_run "grep \" / \" /proc/mounts")"'
t_check "guest root is writable" vm_run 'echo x >/etc/rig-written && [ "$(cat /etc/rig-written)" = x ]'
t_check "guest runs the kernel under test" eval 'assert_eq "$RIG_KVER" "$(vm_run "uname -r")" "uname -r"'
t_check "intel-iommu gives IOMMU groups" vm_run '[ -e /sys/bus/pci/devices/0000:01:00.0/iommu_group ]'
t_check "modprobe -a bochs snd-hda-intel loads Debian's modules" \
	vm_run 'modprobe -a bochs snd-hda-intel'
t_check "bochs-drm binds the VGA" vm_driver_is 0000:01:00.0 bochs-drm
t_check "snd_hda_intel binds the intel-hda" vm_driver_is 0000:01:00.1 snd_hda_intel
t_check "vfio-pci takes the edu through driver_override" vm_run '
	modprobe vfio-pci &&
	echo vfio-pci >/sys/bus/pci/devices/0000:02:00.0/driver_override &&
	echo 0000:02:00.0 >/sys/bus/pci/drivers_probe &&
	g=$(basename $(readlink /sys/bus/pci/devices/0000:02:00.0/iommu_group)) &&
	[ -c /dev/vfio/$g ]'
t_check "a nested qemu -S accepts -device vfio-pci and lists it in info pci" \
	eval 'out=$(vm_nested_info_pci "-device vfio-pci,host=0000:02:00.0") &&
	      assert_contains "PCI device 1234:11e8" "$out" "nested info pci"'
t_check "a nested qemu keeps the vfio group open in the background" \
	eval 'pid=$(vm_nested_start n1 "-device vfio-pci,host=0000:02:00.0") &&
	      assert_contains "1234:11e8" "$(vm_nested_monitor n1 "info pci")" "nested monitor" &&
	      vm_nested_stop n1'
t_check "device_del through the QEMU monitor removes the edu" \
	eval 'vm_monitor "device_del edu0" && vm_qmp_wait_event DEVICE_DELETED 30 >/dev/null &&
	      vm_run "for i in \$(seq 50); do [ -e /sys/bus/pci/devices/0000:02:00.0 ] || exit 0; sleep 0.1; done; exit 1"'
t_check "device_add plugs it back" \
	eval 'vm_monitor "device_add edu,id=edu0,bus=rp2,addr=00.0" &&
	      vm_run "for i in \$(seq 100); do [ -e /sys/bus/pci/devices/0000:02:00.0 ] && exit 0; sleep 0.1; done; exit 1"'

t_done
