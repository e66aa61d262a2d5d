#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t21-boot-claim: gpupt loaded from the initramfs, before
# any other module, holds a GPU and its audio function; the display and
# audio drivers loaded afterwards leave them alone and take only the GPU
# gpupt does not hold.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 class 0300 (multifunction)  "gpu0"   held
#   │       01:00.1 intel-hda 8086:2668 class 0403           "gpu0-audio" held
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 secondary-vga 1234:1111 class 0380        "gpu1"   -> bochs-drm
#
# Both GPUs are 1234:1111; the ids= entry selects the held one by class
# (pci-stub's full vendor:device:subvendor:subdevice:class:class_mask form).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
rig_require "$GPUPT_KO" gpupt.ko

topo_vga_by_class
vm_boot --gpupt-initramfs "ids=$IDS"

t_check "the initramfs loaded gpupt before any other module" \
	eval 'assert_match "rig-init: gpupt loaded from the initramfs: ids=" \
		"$(vm_run "dmesg | grep rig-init: | grep -v rig-init:.started | head -1")" "first rig-init message"'
t_check "no display or audio driver is loaded yet" \
	eval 'assert_eq "" "$(vm_run "grep -E \"^(bochs|snd_hda_intel) \" /proc/modules")" "loaded drivers"'
t_check "gpupt holds 01:00.0 (VGA)" vm_driver_is 0000:01:00.0 gpupt
t_check "gpupt holds 01:00.1 (intel-hda)" vm_driver_is 0000:01:00.1 gpupt
t_check "gpupt leaves 02:00.0 (class 0380) alone" vm_driver_is 0000:02:00.0 ""
t_check "gpupt's probe left 01:00.0 disabled (no pci_enable_device)" \
	eval 'assert_eq 0 "$(vm_run "cat /sys/bus/pci/devices/0000:01:00.0/enable")" "enable count"'

t_check "modprobe -a bochs snd-hda-intel" vm_run 'modprobe -a bochs snd-hda-intel'
t_check "01:00.0 stays on gpupt" vm_driver_is 0000:01:00.0 gpupt
t_check "01:00.1 stays on gpupt" vm_driver_is 0000:01:00.1 gpupt
t_check "bochs-drm takes the GPU gpupt does not hold (02:00.0)" vm_driver_is 0000:02:00.0 bochs-drm
t_check "bochs-drm registered exactly one DRM card" \
	eval 'assert_eq "card0" "$(vm_run "cd /sys/class/drm && echo card[0-9]")" "DRM cards"'

if [ -x "$RIG_GPTCTL" ]; then
	t_check "gptctl list shows 01:00.0 and 01:00.1 held, 02:00.0 on bochs-drm" eval '
		js=$(vm_run "gptctl -j list") &&
		assert_eq "0000:01:00.0 true gpupt
0000:01:00.1 true gpupt
0000:02:00.0 false bochs-drm" "$(jq -r ".[] | select(.address | test(\"^0000:0[12]:\")) | \"\(.address) \(.held) \(.driver)\"" <<<"$js" | sort)" "gptctl -j list"'
else
	t_skip "gptctl list shows the held functions" "ctl/gptctl not built"
fi
t_done
