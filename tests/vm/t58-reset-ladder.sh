#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t58-reset-ladder: a reset whose method really fails climbs the escalation
# ladder; the remove/rescan rung brings the device back at its address as a
# new pci_dev held by gpupt; a device still failing a check afterwards is
# quarantined, and every surface shows it until it is lifted.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1, hotplug slot 1)
#   │   └── 01:00.0 e1000e 8086:10d3  "nic1"  held by gpupt (ids=)
#   └── 00:02.0 pcie-root-port rp2 (QEMU's default 16GT/s x32, slot 2)
#       └── 02:00.0 e1000e 8086:10d3  "nic2"  held by gpupt, reset_method "bus"
#
# rp2 reports Data Link Layer Link Active capability (LnkCap LLActRep+) and
# QEMU never sets DLLLA on it: the kernel's bus reset there waits 1 s for
# the link and fails with ENOTTY ("Data Link Layer Link Active not set"),
# and gpupt's link check fails for the same reason.  With reset_method
# "bus" the device's own method is that failing bus reset, so the ladder
# goes on: bus (ENOTTY) -> rescan (comes back, link still down) -> d3cold
# (skipped: no ACPI _PR3 in QEMU) -> quarantined, check "link".
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

N1=0000:01:00.0 N2=0000:02:00.0
DIR2=/sys/devices/pci0000:00/0000:00:02.0/$N2
topo_root_port 1
topo_e1000e rp1 nic1
VM_DEVS+=(-device "pcie-root-port,id=rp2,bus=pcie.0,addr=0x2.0,chassis=2,slot=2")
topo_e1000e rp2 nic2
vm_boot --gpupt-initramfs "ids=8086:10d3"

t_check "gpupt holds both e1000e" eval 'vm_driver_is $N1 gpupt && vm_driver_is $N2 gpupt'
vm_run_q "modprobe vfio-pci; gptctl -j monitor >/tmp/mon.json 2>/tmp/mon.err & sleep 0.5"
t_check "reset_method of 02:00.0 set to bus only (as devices.conf would)" eval '
	vm_run "echo bus > /sys/bus/pci/devices/$N2/reset_method" &&
	assert_eq bus "$(vm_run "cat /sys/bus/pci/devices/$N2/reset_method")" "reset_method"'
INO=$(vm_run "stat -c %i $DIR2")

# --- the ladder ---
t_check "gptctl -j reset 02:00.0 fails (exit 1) after climbing the ladder" eval '
	vm_capture "gptctl -j reset $N2"; assert_eq 1 "$VM_RC" "exit status" &&
	echo "$VM_OUT" >/dev/null'
RES=$VM_OUT
jqr() { jq -r "$1" <<<"$RES"; }
echo "# $(jq -c '.[0] | {method, failed_check, quarantined, rungs: [.rungs[] | {method, ok, skipped, error}]}' <<<"$RES")"
t_check "rung 1: the device's own method, bus, failed with ENOTTY" eval '
	assert_eq "bus false false" "$(jqr ".[0].rungs[0] | \"\(.method) \(.ok) \(.skipped)\"")" "rung 1" &&
	assert_contains "bus reset failed: error -25" "$(jqr ".[0].rungs[0].error")" "rung 1 error"'
t_check "the kernel itself gave up waiting for the link" eval '
	assert_contains "Data Link Layer Link Active not set" "$(vm_run "dmesg | grep 0000:00:02.0")" "dmesg"'
t_check "rung 2: remove and rescan ran, and verification failed check link" eval '
	assert_eq "rescan false false link" "$(jqr ".[0].rungs[1] | \"\(.method) \(.ok) \(.skipped) \(.failed_check)\"")" "rung 2" &&
	assert_eq "pass pass fail pass pass pass" "$(jqr ".[0].rungs[1].checks | \"\(.present) \(.config) \(.link) \(.bars) \(.command) \(.power)\"")" "rung 2 checks"'
t_check "rung 3: d3cold skipped, the platform cannot cut the power" eval '
	assert_eq "d3cold true" "$(jqr ".[0].rungs[2] | \"\(.method) \(.skipped)\"")" "rung 3" &&
	assert_contains "no ACPI _PR3" "$(jqr ".[0].rungs[2].error")" "rung 3 error" &&
	assert_eq 3 "$(jqr ".[0].rungs | length")" "rungs"'
t_check "the result names the failed check and the device is quarantined" eval '
	assert_eq "false link true" "$(jqr ".[0] | \"\(.ok) \(.failed_check) \(.quarantined)\"")" "result" &&
	assert_contains "check link failed" "$(jqr ".[0].quarantine")" "quarantine reason"'

# --- the rescan rung: same address, new pci_dev, held, events ---
t_check "02:00.0 is back at its address, held by gpupt, as a new pci_dev" eval '
	vm_driver_is $N2 gpupt && ino=$(vm_run "stat -c %i $DIR2") &&
	echo "# sysfs inode before $INO, after $ino" && [ -n "$ino" ] && [ "$ino" != "$INO" ]'
t_check "its reset_method and driver_override survive the rescan" eval '
	assert_eq bus "$(vm_run "cat /sys/bus/pci/devices/$N2/reset_method")" "reset_method" &&
	assert_eq "(null)" "$(vm_run "cat /sys/bus/pci/devices/$N2/driver_override")" "driver_override"'
t_check "events: remove, add (to gpupt), reset (failed_check link), quarantine" eval '
	ev=$(vm_run "sleep 0.3; jq -r \"select(.address == \\\"$N2\\\") | .event + \\\" \\\" + (.to // .failed_check // (.quarantined | tostring))\" /tmp/mon.json") &&
	assert_eq "remove null
add gpupt
reset link
quarantine true" "$ev" "events"'

# --- quarantine everywhere ---
t_check "gptctl list marks 02:00.0 QUARANTINED, not 01:00.0" eval '
	out=$(vm_run "gptctl list") &&
	assert_match "$N2 .*\[QUARANTINED\]" "$out" "list" && ! grep -q "$N1 .*QUARANTINED" <<<"$out"'
t_check "gptctl -j list: quarantined true with the reason" eval '
	assert_eq "true false" "$(vm_run "gptctl -j list" | jq -r "[.[] | select(.address == \"$N2\" or .address == \"$N1\")] | sort_by(.address) | reverse | map(.quarantined | tostring) | join(\" \")")" "quarantined"'
PROM=$RIG_CACHE/run/t58.$$.prom
vm_run "gptctl export prometheus --output -" >"$PROM"
t_check "export prometheus: gpupt_quarantined_devices 1, the device with check link" eval '
	grep -qx "gpupt_quarantined_devices 1" "$PROM" &&
	grep -qx "gpupt_device_quarantined{address=\"$N2\",check=\"link\",device=\"10d3\",vendor=\"8086\"} 1" "$PROM" ||
	{ sed "s/^/#   /" "$PROM"; false; }'
t_check "promtool check metrics accepts it; node_exporter serves it" \
	"$RIG_TOP/tests/fleet/prom.sh" "$PROM"
rm -f "$PROM"
t_check "nfd: gpupt.io/quarantined=1" eval '
	assert_contains "gpupt.io/quarantined=1" "$(vm_run "gptctl nfd --output -")" "nfd"'
t_check "handoff refuses it with EIO naming the check; nothing moved" eval '
	vm_capture "gptctl handoff $N1 $N2"; assert_eq 1 "$VM_RC" "exit status" &&
	assert_contains "Input/output error" "$VM_ERR" "stderr" &&
	assert_contains "quarantined (check link failed" "$VM_ERR" "stderr" &&
	vm_driver_is $N1 gpupt && vm_driver_is $N2 gpupt'
t_check "claim refuses it with EIO too" eval '
	vm_capture "gptctl claim $N2"; assert_eq 1 "$VM_RC" "exit status" &&
	assert_contains "quarantined" "$VM_ERR" "stderr"'

# --- lifting it ---
t_check "gptctl reset --clear-quarantine 02:00.0 lifts it" eval '
	out=$(vm_run "gptctl reset --clear-quarantine $N2") &&
	assert_eq "$N2  not quarantined" "$out" "output" &&
	! vm_run "gptctl list" | grep -q QUARANTINED'
t_check "a quarantine event says it was lifted" eval '
	assert_eq "false" "$(vm_run "sleep 0.3; jq -r \"select(.event == \\\"quarantine\\\") | .quarantined\" /tmp/mon.json | tail -1")" "last quarantine event"'
t_check "handoff of 02:00.0 now succeeds, and it comes back" eval '
	vm_run_q "gptctl handoff $N2" && vm_driver_is $N2 vfio-pci &&
	vm_run_q "gptctl reclaim $N2" && vm_driver_is $N2 gpupt'
t_check "--method forces one method: a failing bus reset climbs no ladder" eval '
	vm_capture "gptctl -j reset $N2 --method bus"; assert_eq 1 "$VM_RC" "exit status" &&
	assert_eq "bus 1" "$(jq -r ".[0] | \"\(.rungs[0].method) \(.rungs | length)\"" <<<"$VM_OUT")" "rungs"'
t_done
