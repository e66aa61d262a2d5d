#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t55-reset-parallel: eight devices on eight root ports are reset by one
# request, concurrently, and each one reports ok and sends an event.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1) ── 01:00.0 e1000e "nic1"
#   ├── 00:02.0 pcie-root-port rp2 (2.5GT/s x1) ── 02:00.0 e1000e "nic2"
#   ├── ...                                          ...
#   └── 00:08.0 pcie-root-port rp8 (2.5GT/s x1) ── 08:00.0 e1000e "nic8"
#
#   all eight held by gpupt (ids=8086:10d3)
#
# Asserts, in order: `gptctl reset` with no address resets all eight (the
# kernel's method: pm) and each reports ok; a bus reset of all eight runs
# concurrently, as eight jobs (the kernel's time for the whole request is
# under half the sum of the per-device times); every reset is announced on the events group.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

for i in 1 2 3 4 5 6 7 8; do
	topo_root_port $i
	topo_e1000e rp$i nic$i
done
vm_boot --gpupt-initramfs "ids=8086:10d3"

t_check "gpupt holds all eight" eval '
	assert_eq 8 "$(vm_run "ls -d /sys/bus/pci/drivers/gpupt/0000:0[1-8]:00.0 | wc -l")" "devices on gpupt"'

t_check "gptctl reset (no address) resets all eight, each ok" eval '
	res=$(vm_run "gptctl -j reset") &&
	echo "# $res" &&
	assert_eq 8 "$(jq "[.[] | select(.ok)] | length" <<<"$res")" "devices ok" &&
	assert_eq 0 "$(jq "[.[] | select(.ok | not)] | length" <<<"$res")" "devices failed"'

t_check "a bus reset of all eight runs them concurrently" eval '
	res=$(vm_run "gptctl -j reset --method bus") &&
	assert_eq 8 "$(jq "[.[] | select(.method == \"bus\" and .ok)] | length" <<<"$res")" "bus resets ok" &&
	sum=$(jq "[.[].duration_us] | add" <<<"$res") &&
	line=$(vm_run "dmesg | grep \"gpupt: reset 8 devices in\" | tail -1") &&
	assert_match "reset 8 devices in 8 jobs in ([0-9]+) us" "$line" "kernel summary" &&
	wall=${BASH_REMATCH[1]} &&
	echo "# sum of the per-device times ${sum} us, the whole request in the kernel ${wall} us" &&
	{ [ "$wall" -lt $((sum / 2)) ] || { echo "#   not concurrent: ${wall} us >= half of ${sum} us"; false; }; }'

t_check "every reset is announced on the events group" eval '
	vm_run "gptctl -j monitor >/tmp/ev 2>&1 & sleep 1; gptctl reset 01:00.0 02:00.0 03:00.0 >/dev/null; sleep 1; kill \$! || true" &&
	res=$(vm_run "cat /tmp/ev") && echo "# monitor printed: $res" &&
	assert_eq 3 "$(grep -c "\"event\":\"reset\"" <<<"$res")" "reset events" &&
	assert_contains "\"address\":\"0000:02:00.0\"" "$res" "events"'
t_done
