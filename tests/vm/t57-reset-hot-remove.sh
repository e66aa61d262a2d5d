#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t57-reset-hot-remove: resets keep running while a device is hot-removed
# under them; the kernel neither hangs nor warns, the removed device is
# reported as gone, and its neighbour is unaffected.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1, hotplug slot 1)
#   │   └── 01:00.0 e1000e 8086:10d3  "nic0"  held by gpupt, device_del'ed
#   └── 00:02.0 pcie-root-port rp2 (2.5GT/s x1, hotplug slot 2)
#       └── 02:00.0 e1000e 8086:10d3  "nic1"  held by gpupt
#
# A loop in the guest resets both devices back to back with --method bus
# while the host removes nic0 through the QEMU monitor (a real surprise
# removal for the guest once QEMU drops it).
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

topo_root_port 1
topo_e1000e rp1 nic0
topo_root_port 2
topo_e1000e rp2 nic1
vm_boot --gpupt-initramfs "ids=8086:10d3"

t_check "gpupt holds both NICs" eval 'vm_driver_is 0000:01:00.0 gpupt && vm_driver_is 0000:02:00.0 gpupt'
t_check "a reset loop runs in the guest" vm_run '
	( n=0; while [ $n -lt 400 ]; do
		gptctl reset 01:00.0 02:00.0 --method bus >>/tmp/loop.log 2>&1
		echo "rc=$?" >>/tmp/loop.log
		[ -e /sys/bus/pci/devices/0000:01:00.0 ] || { n=$((n + 1)); [ $n -ge 5 ] && break; }
	  done; echo LOOP-DONE >>/tmp/loop.log ) >/dev/null 2>&1 &
	# the first reset may take seconds on a loaded host: wait for it
	for i in $(seq 600); do grep -q "ok" /tmp/loop.log 2>/dev/null && exit 0; sleep 0.1; done
	exit 1'
t_check "device_del removes nic0 while the resets run" eval '
	vm_monitor "device_del nic0" >/dev/null && vm_qmp_wait_event DEVICE_DELETED 60 >/dev/null &&
	vm_run "for i in \$(seq 100); do [ -e /sys/bus/pci/devices/0000:01:00.0 ] || exit 0; sleep 0.1; done; exit 1"'
t_check "the loop finishes (nothing hangs)" vm_run '
	for i in $(seq 600); do grep -q LOOP-DONE /tmp/loop.log && exit 0; sleep 0.1; done
	tail -5 /tmp/loop.log >&2; exit 1'
t_check "resets succeeded before the removal and 01:00.0 is reported gone after it" eval '
	res=$(vm_run "cat /tmp/loop.log") &&
	echo "# $(grep -c "^rc=0" <<<"$res") requests ok, $(grep -c "^rc=1" <<<"$res") refused" &&
	assert_contains "0000:02:00.0  bus    ok" "$res" "loop log" &&
	assert_contains "no PCI device 0000:01:00.0" "$(tail -3 <<<"$res")" "loop log tail"'
t_check "the neighbour still resets and is healthy" eval '
	res=$(vm_run "gptctl -j reset 02:00.0 --method bus") &&
	assert_match "^\[\{\"address\":\"0000:02:00.0\",\"method\":\"bus\",\"ok\":true," "$res" "result"'
t_done
