#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t22-cmdline-ids: the same boot claim, but the ids come
# from the kernel command line (gpupt.ids=) and the module from modprobe,
# as on a host whose initramfs does not carry gpupt.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 class 0300 (multifunction)  "gpu0"   held
#   │       01:00.1 intel-hda 8086:2668 class 0403           "gpu0-audio" held
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 secondary-vga 1234:1111 class 0380        "gpu1"   -> bochs-drm
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
rig_require "$GPUPT_KO" gpupt.ko

topo_vga_by_class
vm_boot --append "gpupt.ids=$IDS"

t_check "gpupt is not loaded at boot" vm_run '! grep -q "^gpupt " /proc/modules'
t_check "01:00.0 has no driver before modprobe" vm_driver_is 0000:01:00.0 ""
t_check "modprobe gpupt (no options: ids come from the command line)" vm_run 'modprobe gpupt'
t_check "the module saw ids= from the command line" \
	eval 'assert_eq "$IDS" "$(vm_run "cat /sys/module/gpupt/parameters/ids")" "parameters/ids"'
t_check "gpupt holds 01:00.0 (VGA)" vm_driver_is 0000:01:00.0 gpupt
t_check "gpupt holds 01:00.1 (intel-hda)" vm_driver_is 0000:01:00.1 gpupt
t_check "gpupt leaves 02:00.0 alone" vm_driver_is 0000:02:00.0 ""
t_check "modprobe -a bochs snd-hda-intel" vm_run 'modprobe -a bochs snd-hda-intel'
t_check "01:00.0 stays on gpupt" vm_driver_is 0000:01:00.0 gpupt
t_check "01:00.1 stays on gpupt" vm_driver_is 0000:01:00.1 gpupt
t_check "bochs-drm takes 02:00.0" vm_driver_is 0000:02:00.0 bochs-drm
t_done
