#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t32-handoff-from-host-driver: a GPU the host's drivers
# own (bochs-drm, snd_hda_intel) is not taken without --force; --dry-run
# shows why; --force moves the whole group to vfio-pci.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#       └── 01:00.0 VGA 1234:1111 (multifunction)   "gpu0"        bochs-drm
#           01:00.1 intel-hda 8086:2668             "gpu0-audio"  snd_hda_intel
#
# gpupt is loaded by modprobe with no ids=/addrs=: it holds nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
h_boot_gpu_slot

t_check "modprobe gpupt bochs snd-hda-intel" vm_run 'modprobe -a gpupt bochs snd-hda-intel'
t_check "the host drivers own the GPU and its audio" \
	h_drivers_are "bochs-drm snd_hda_intel" $GPU $AUD
GROUP=$(h_group $GPU)

h_gptctl handoff $GPU; OUT=$H_OUT RC=$H_RC
t_check "handoff without --force is refused (exit 1)" assert_eq 1 "$RC" "exit status"
t_check "the refusal names the host driver and says busy" eval '
	assert_match "bochs-drm|snd_hda_intel" "$H_ERR" "stderr" &&
	assert_contains "Device or resource busy" "$H_ERR" "stderr" &&
	assert_contains "kernel says:" "$H_ERR" "stderr"'
t_check "nothing moved" h_drivers_are "bochs-drm snd_hda_intel" $GPU $AUD
t_check "no driver_override was left behind" \
	eval 'assert_eq "(null) (null) " "$(h_overrides $GPU $AUD)" "driver_override"'

h_gptctl -j handoff --dry-run $GPU; OUT=$H_OUT RC=$H_RC
t_check "handoff --dry-run exits 1 (the plan would be refused)" assert_eq 1 "$RC" "exit status (stderr: $H_ERR)"
t_check "the plan lists both functions, their drivers and blockers" eval '
	assert_eq "$GPU bochs-drm vfio-pci true|$AUD snd_hda_intel vfio-pci true" \
		"$(jq -r "[.[].devices[] | \"\(.address) \(.from) \(.to) \(.blocker != null)\"] | join(\"|\")" <<<"$OUT")" "dry-run JSON"'
t_check "the dry run changed nothing" h_drivers_are "bochs-drm snd_hda_intel" $GPU $AUD

# fbcon draws on bochs-drm's framebuffer: --release-host unbinds it first
# (t39 covers the refusal without it).
h_gptctl -j handoff --force --release-host $GPU; OUT=$H_OUT RC=$H_RC
t_check "handoff --force --release-host exits 0" assert_eq 0 "$RC" "exit status (stderr: $H_ERR)"
t_check "both functions are on vfio-pci" h_drivers_are "vfio-pci vfio-pci" $GPU $AUD
t_check "the reply lists what was taken from which driver" eval '
	assert_eq "$GROUP /dev/vfio/$GROUP $GPU:bochs-drm>vfio-pci $AUD:snd_hda_intel>vfio-pci" \
		"$(jq -r ".[] | \"\(.group) \(.vfio) \" + ([.devices[] | \"\(.address):\(.from)>\(.to)\"] | join(\" \"))" <<<"$OUT")" "handoff JSON"'
t_check "/dev/vfio/$GROUP exists" vm_run "[ -c /dev/vfio/$GROUP ]"
t_done
