#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t52-reset-blast-slot: a bus reset of function 0 also hits function 1, so
# it is refused while function 1 belongs to a host driver.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1, hotplug slot 1)
#       └── 01:00.0 VGA 1234:1111        "gpu0"        held by gpupt (ids=1234:1111)
#           01:00.1 intel-hda 8086:293e  "gpu0-audio"  snd_hda_intel, later none, later gpupt
#
# Asserts, in order: refused with EBUSY naming 01:00.1 and snd_hda_intel and
# nothing reset; --force does not help against a host driver; the dry-run
# plan shows the blast radius and the blocker; once the audio function has
# no driver, --force lets it through; once gpupt holds both, one bus reset
# covers both functions.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

topo_root_port 1
topo_gpu_slot rp1 gpu0
vm_boot --gpupt-initramfs "ids=1234:1111"

t_check "gpupt holds the VGA" vm_driver_is 0000:01:00.0 gpupt
t_check "snd_hda_intel binds the audio function" eval '
	vm_run "modprobe snd-hda-intel && for i in \$(seq 50); do
		[ -e /sys/bus/pci/devices/0000:01:00.1/driver ] && break; sleep 0.1; done" &&
	vm_driver_is 0000:01:00.1 snd_hda_intel'

t_check "a bus reset of 01:00.0 is refused, naming 01:00.1 and snd_hda_intel" eval '
	vm_run "gptctl reset 01:00.0 --method bus"; code=$?
	err=$(cat "$VM_LAST_ERR")
	assert_eq 1 "$code" "exit status" &&
	assert_contains "0000:01:00.1 is bound to snd_hda_intel" "$err" "stderr" &&
	assert_contains "Device or resource busy" "$err" "stderr"'
t_check "nothing was reset" eval 'assert_eq 0 "$(vm_run "dmesg | grep -c \"reset (\" || true")" "resets in dmesg"'
t_check "--force does not take a device from a host driver" eval '
	vm_run "gptctl reset 01:00.0 --method bus --force"; code=$?
	assert_eq 1 "$code" "exit status" &&
	assert_contains "snd_hda_intel" "$(cat "$VM_LAST_ERR")" "stderr"'

t_check "the dry-run plan lists both functions and the blocker" eval '
	res=$(vm_run "gptctl -j reset 01:00.0 --method bus --dry-run") &&
	assert_contains "\"address\":\"0000:01:00.0\",\"method\":\"bus\"" "$res" "plan" &&
	assert_contains "\"affected\":[{\"address\":\"0000:01:00.0\",\"driver\":\"gpupt\"},{\"address\":\"0000:01:00.1\",\"driver\":\"snd_hda_intel\"}]" "$res" "plan" &&
	assert_contains "\"blocker\":\"0000:01:00.1 is bound to snd_hda_intel\"" "$res" "plan"'

t_check "unbound from its driver, the audio function still blocks without --force" eval '
	vm_run "echo 0000:01:00.1 >/sys/bus/pci/drivers/snd_hda_intel/unbind" &&
	{ vm_run "gptctl reset 01:00.0 --method bus"; code=$?; } ;
	assert_eq 1 "$code" "exit status" &&
	assert_contains "0000:01:00.1 has no driver" "$(cat "$VM_LAST_ERR")" "stderr"'
t_check "--force lets a driverless function through; both are reported" eval '
	res=$(vm_run "gptctl -j reset 01:00.0 --method bus --force") &&
	assert_match "^\[\{\"address\":\"0000:01:00.0\",\"method\":\"bus\",\"ok\":true,.*\},\{\"address\":\"0000:01:00.1\",\"method\":\"bus\",\"ok\":true,.*\}\]$" "$res" "result"'

t_check "gptctl claim 01:00.1 gives the audio function to gpupt" eval '
	vm_run "gptctl claim 01:00.1" >/dev/null && vm_driver_is 0000:01:00.1 gpupt'
t_check "held by gpupt, both functions go through one bus reset" eval '
	res=$(vm_run "gptctl -j reset 01:00.0 01:00.1 --method bus") &&
	assert_match "^\[\{\"address\":\"0000:01:00.0\",\"method\":\"bus\",\"ok\":true,\"duration_ms\":[0-9]+,\"duration_us\":([0-9]+),\"error\":null,.*\},\{\"address\":\"0000:01:00.1\",\"method\":\"bus\",\"ok\":true,\"duration_ms\":[0-9]+,\"duration_us\":([0-9]+),\"error\":null,.*\]$" "$res" "result" &&
	assert_eq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "both durations (one reset)" &&
	assert_eq 4 "$(vm_run "dmesg | grep -c \"reset (bus)\"")" "resets in dmesg (2 forced + 2)"'
t_done
