#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t31-handoff-roundtrip: a GPU and its audio function,
# held by gpupt, go to vfio-pci as one group, come back to gpupt, and are
# then released to their host drivers.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#       └── 01:00.0 VGA 1234:1111 (multifunction)   "gpu0"        } one IOMMU
#           01:00.1 intel-hda 8086:2668             "gpu0-audio"  } group
#
# gpupt is loaded from the initramfs with addrs= naming both functions.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
h_boot_gpu_slot held

t_check "gpupt holds both functions at boot" h_drivers_are "gpupt gpupt" $GPU $AUD
GROUP=$(h_group $GPU)
t_check "both functions share IOMMU group $GROUP" \
	eval 'assert_eq "$GROUP" "$(h_group $AUD)" "group of $AUD"'

# handoff: one transaction, JSON per group
h_gptctl -j handoff $GPU; OUT=$H_OUT RC=$H_RC
t_check "gptctl handoff $GPU exits 0" assert_eq 0 "$RC" "exit status (stderr: $H_ERR)"
t_check "both functions end on vfio-pci" h_drivers_are "vfio-pci vfio-pci" $GPU $AUD
t_check "the JSON names the group, its /dev/vfio node and each move" eval '
	assert_eq "[{\"group\":$GROUP,\"vfio\":\"/dev/vfio/$GROUP\",\"devices\":[{\"address\":\"$GPU\",\"from\":\"gpupt\",\"to\":\"vfio-pci\"},{\"address\":\"$AUD\",\"from\":\"gpupt\",\"to\":\"vfio-pci\"}]}]" \
		"$(jq -c "[.[] | {group, vfio, devices: [.devices[] | {address, from, to}]}]" <<<"$OUT")" "handoff JSON"'
t_check "/dev/vfio/$GROUP is a character device" vm_run "[ -c /dev/vfio/$GROUP ]"
t_check "driver_override pins both functions to vfio-pci" \
	eval 'assert_eq "vfio-pci vfio-pci " "$(h_overrides $GPU $AUD)" "driver_override"'
t_check "gptctl list shows both on vfio-pci, not held" eval '
	h_gptctl -j list && out=$H_OUT &&
	assert_eq "vfio-pci false vfio-pci false" \
		"$(jq -r "[.[] | select(.address == \"$GPU\" or .address == \"$AUD\") | .driver, .held] | join(\" \")" <<<"$out")" "list"'
t_check "a nested qemu -S with both functions lists both in info pci" eval '
	out=$(vm_nested_info_pci "-device vfio-pci,host=$GPU,addr=05.0,multifunction=on -device vfio-pci,host=$AUD,addr=05.1") &&
	assert_match "device +5, function 0:.{0,20}VGA controller: PCI device 1234:1111" "$(tr "\n" " " <<<"$out")" "nested info pci" &&
	assert_match "device +5, function 1:.{0,20}Audio controller: PCI device 8086:2668" "$(tr "\n" " " <<<"$out")" "nested info pci"'

# reclaim: back to gpupt
h_gptctl reclaim $GPU; OUT=$H_OUT RC=$H_RC
t_check "gptctl reclaim $GPU exits 0" assert_eq 0 "$RC" "exit status (stderr: $H_ERR)"
t_check "both functions are back on gpupt" h_drivers_are "gpupt gpupt" $GPU $AUD
t_check "reclaim's text output shows vfio-pci -> gpupt for both" eval '
	assert_contains "$GPU  vfio-pci -> gpupt" "$OUT" "reclaim output" &&
	assert_contains "$AUD  vfio-pci -> gpupt" "$OUT" "reclaim output"'

# release: back to the desktop
t_check "modprobe bochs snd-hda-intel (they must not take held functions)" \
	vm_run 'modprobe -a bochs snd-hda-intel'
t_check "still on gpupt after the host drivers load" h_drivers_are "gpupt gpupt" $GPU $AUD
h_gptctl -j release $GPU; OUT=$H_OUT RC=$H_RC
t_check "gptctl release $GPU exits 0" assert_eq 0 "$RC" "exit status (stderr: $H_ERR)"
t_check "bochs-drm and snd_hda_intel bind" h_drivers_are "bochs-drm snd_hda_intel" $GPU $AUD
t_check "release's JSON reports the drivers that bound" eval '
	assert_eq "gpupt>bochs-drm gpupt>snd_hda_intel" \
		"$(jq -r "[.[].devices[] | .from + \">\" + .to] | join(\" \")" <<<"$OUT")" "release JSON"'
t_check "driver_override is cleared on both" \
	eval 'assert_eq "(null) (null) " "$(h_overrides $GPU $AUD)" "driver_override"'
t_done
