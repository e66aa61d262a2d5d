#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t59-reset-dead: a device that stops answering is never reported healthy:
# the reply names the failed check, nothing hangs or oopses, the device is
# reported gone or quarantined, and handoff refuses it.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1, hotplug slot 1)
#   │   └── 01:00.0 e1000e 8086:10d3  "nic1"  held; unreachable (round A)
#   └── 00:02.0 pcie-root-port rp2 (2.5GT/s x1, hotplug slot 2)
#       └── 02:00.0 edu 1234:11e8     "edu2"  held; device_del'ed (round B)
#
# Round A: setpci moves rp1's secondary bus number away from bus 1, so
#   every config read of 01:00.0 returns all ones, as from a GPU that fell
#   off the bus, while the kernel still has it.  A reset sees vendor ID
#   0xffff, does not wait a minute per method for it, removes and rescans
#   it (nothing answers: gone) and quarantines its address.  Once rp1 is
#   repaired and the bus rescanned, the device is back, held by gpupt and
#   still quarantined, until a reset passes every check.
# Round B: the t57 pattern: a reset loop while QEMU's device_del removes
#   the edu (pciehp surprise removal).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
boot_nic_edu

t_check "gpupt holds the e1000e and the edu" eval 'vm_driver_is $NIC gpupt && vm_driver_is $EDU gpupt'
vm_run_q "modprobe vfio-pci"

# no_dstate: no task in uninterruptible sleep (a hung reset would be one)
no_dstate() {
	local d
	d=$(vm_diag "for s in /proc/[0-9]*/stat; do read -r l <\$s 2>/dev/null && set -- \$l && [ \"\$3\" = D ] && echo \"\$l\"; done; true")
	[ -z "$d" ] || { echo "# D state: $d"; return 1; }
}

# --- round A: the device stops answering ---
t_check "A: rp1's secondary bus moved: 01:00.0 reads all ones" eval '
	vm_run_q "setpci -s 00:01.0 SECONDARY_BUS=20" &&
	assert_eq ffffffff "$(vm_run "setpci -s $NIC 0.l")" "vendor/device dword"'
t_check "A: gptctl -j reset 01:00.0 fails (exit 1) within seconds" eval '
	t0=$(rig_now); vm_capture "gptctl -j reset $NIC"; rc=$VM_RC
	ms=$(( ($(rig_now) - t0) / 1000 )); echo "# took $ms ms"
	assert_eq 1 "$rc" "exit status" && [ "$ms" -lt 30000 ]'
RES=$VM_OUT
echo "# $(jq -c '.[0] | {method, failed_check, quarantined, rungs: [.rungs[] | {method, skipped, error}]}' <<<"$RES")"
t_check "A: the reply names the failed check: present" eval '
	assert_eq "false present fail" "$(jq -r ".[0] | \"\(.ok) \(.failed_check) \(.checks.present)\"" <<<"$RES")" "result" &&
	assert_contains "check present failed" "$(jq -r ".[0].error" <<<"$RES")" "error"'
t_check "A: rungs: own method (auto) not run on a dead device, bus skipped, rescan found nothing" eval '
	assert_eq "auto bus rescan" "$(jq -r "[.[0].rungs[].method] | join(\" \")" <<<"$RES")" "rungs" &&
	assert_contains "not reset" "$(jq -r ".[0].rungs[0].error" <<<"$RES")" "rung 1" &&
	assert_eq true "$(jq -r ".[0].rungs[1].skipped" <<<"$RES")" "rung 2 skipped" &&
	assert_contains "nothing answers at its address" "$(jq -r ".[0].rungs[2].error" <<<"$RES")" "rung 3"'
t_check "A: the device is gone from sysfs and from gptctl list; its address is quarantined" eval '
	vm_run_q "[ ! -e /sys/bus/pci/devices/$NIC ]" && ! vm_run "gptctl list" | grep -q "$NIC" &&
	assert_eq true "$(jq -r ".[0].quarantined" <<<"$RES")" "quarantined"'
t_check "A: handoff refuses it (no such device)" eval '
	vm_capture "gptctl handoff $NIC"; assert_eq 1 "$VM_RC" "exit status" &&
	assert_contains "no PCI device $NIC" "$VM_ERR" "stderr"'
t_check "A: no task in D state" no_dstate
t_check "A: rp1 repaired and the bus rescanned: 01:00.0 is back, held by gpupt, still quarantined" eval '
	vm_run_q "setpci -s 00:01.0 SECONDARY_BUS=01 && echo 1 > /sys/bus/pci/rescan" &&
	vm_driver_is $NIC gpupt &&
	assert_match "$NIC .*\[QUARANTINED\]" "$(vm_run "gptctl list")" "list"'
t_check "A: handoff refuses it with EIO naming the check; nothing moved" eval '
	vm_capture "gptctl handoff $NIC"; assert_eq 1 "$VM_RC" "exit status" &&
	assert_contains "Input/output error" "$VM_ERR" "stderr" &&
	assert_contains "check present failed" "$VM_ERR" "stderr" && vm_driver_is $NIC gpupt'
t_check "A: a reset that passes every check lifts the quarantine; handoff then works" eval '
	res=$(vm_run "gptctl -j reset $NIC") &&
	assert_eq "true false" "$(jq -r ".[0] | \"\(.ok) \(.quarantined)\"" <<<"$res")" "result" &&
	! vm_run "gptctl list" | grep -q QUARANTINED &&
	vm_run_q "gptctl handoff $NIC" && vm_driver_is $NIC vfio-pci && vm_run_q "gptctl reclaim $NIC"'

# --- round B: device_del under a reset loop ---
t_check "B: a reset loop runs in the guest" vm_run '
	( n=0; while [ $n -lt 400 ]; do
		gptctl -j reset '$EDU' >>/tmp/loop.json 2>>/tmp/loop.err; echo "rc=$?" >>/tmp/loop.log
		[ -e /sys/bus/pci/devices/'$EDU' ] || { n=$((n + 1)); [ $n -ge 5 ] && break; }
	  done; echo LOOP-DONE >>/tmp/loop.log ) >/dev/null 2>&1 &
	for i in $(seq 600); do grep -q "rc=0" /tmp/loop.log 2>/dev/null && exit 0; sleep 0.1; done
	exit 1'
t_check "B: device_del removes the edu while the resets run" eval '
	vm_monitor "device_del edu2" >/dev/null && vm_qmp_wait_event DEVICE_DELETED 60 >/dev/null &&
	vm_run "for i in \$(seq 100); do [ -e /sys/bus/pci/devices/$EDU ] || exit 0; sleep 0.1; done; exit 1"'
t_check "B: the loop finishes (nothing hangs), no task in D state" eval '
	vm_run "for i in \$(seq 600); do grep -q LOOP-DONE /tmp/loop.log && exit 0; sleep 0.1; done; tail -5 /tmp/loop.log >&2; exit 1" &&
	no_dstate'
t_check "B: every failed reply names check present; the last ones say the device is gone" eval '
	res=$(vm_run "jq -c \".[] | select(.ok == false) | .failed_check\" /tmp/loop.json | sort | uniq -c; cat /tmp/loop.err | sort | uniq -c") &&
	echo "$res" | sed "s/^/#   /" &&
	! vm_run "jq -c \".[] | select(.ok == false and .failed_check != \\\"present\\\")\" /tmp/loop.json" | grep -q . &&
	assert_contains "no PCI device $EDU" "$(vm_run "tail -1 /tmp/loop.err")" "last error"'
t_check "B: handoff refuses the removed edu" eval '
	vm_capture "gptctl handoff $EDU"; assert_eq 1 "$VM_RC" "exit status"'
t_done
