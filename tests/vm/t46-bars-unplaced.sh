#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t46-bars-unplaced: OVMF's default
# 64-bit aperture (32 GiB) cannot hold a 256 GiB BAR, so the firmware leaves
# it unassigned and Linux cannot place it either: the PCI core clears the
# resource ("BAR 2: failed to assign") and sysfs shows zeros.  gptctl bars
# must still report BAR2 (sized from config space, 256 GiB, 64-bit pref,
# not assigned) and print the firmware remedy next to it.  This is field
# report 000 seen from the host's side.
#
#   OVMF (pflash, no X-PciMmio64Mb)
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1
#       └── 01:00.0 ivshmem-plain 1af4:1110  BAR0 256 B, BAR2 256 GiB 64-bit pref
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
[ -r "${RIG_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}" ] || { echo "1..0 # SKIP no OVMF"; exit 0; }

topo_root_port 1
topo_ivshmem rp1 big 256G
vm_boot --ovmf --append "no_timer_check"
S=$VM_RUN/share

t_check "the kernel could not place BAR2: sysfs shows zeros" eval \
	'assert_eq "0x0000000000000000 0x0000000000000000 0x0000000000000000" \
		"$(vm_run "sed -n 3p /sys/bus/pci/devices/0000:01:00.0/resource")" "sysfs resource line 2"'
t_check "gpupt holds the device (ids=1af4:1110)" eval \
	'vm_run "modprobe gpupt ids=1af4:1110 && readlink /sys/bus/pci/devices/0000:01:00.0/driver" | grep -q "/gpupt$"'
t_check "gptctl bars 01:00.0" vm_run \
	'gptctl -j bars 01:00.0 >/rig/bars.json && gptctl bars 01:00.0 >/rig/bars.txt'
t_check "BAR2 is reported: 256 GiB, 64-bit prefetchable, not assigned" eval \
	'assert_eq "274877906944 true true false 0" \
		"$(jq -r ".[0].bars[] | select(.index == 2) | \"\(.size) \(.mem64) \(.prefetch) \(.assigned) \(.start)\"" "$S/bars.json")" "BAR2"'
t_check "BAR0 stays assigned" eval \
	'assert_eq "256 true" "$(jq -r ".[0].bars[] | select(.index == 0) | \"\(.size) \(.assigned)\"" "$S/bars.json")" "BAR0"'
t_check "the finding for BAR2 gives the firmware remedy" eval \
	'assert_match "Above 4G Decoding" "$(jq -r ".[0].findings[] | select(.bar == 2) | .remedy" "$S/bars.json")"'
t_check "the text output prints it next to the BAR" eval \
	'assert_match "BAR 2 .*not assigned|BAR 2 .*unassigned" "$(cat "$S/bars.txt")"'
t_check "sizing left the device as it was (command register, BAR registers)" eval \
	'assert_eq "$(vm_run "setpci -s 01:00.0 COMMAND BASE_ADDRESS_0 BASE_ADDRESS_2 BASE_ADDRESS_3" | tr "\n" " ")" \
		"$(vm_run "gptctl bars 01:00.0 >/dev/null; setpci -s 01:00.0 COMMAND BASE_ADDRESS_0 BASE_ADDRESS_2 BASE_ADDRESS_3" | tr "\n" " ")" "config space"'
t_done
