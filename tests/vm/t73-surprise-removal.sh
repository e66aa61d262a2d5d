#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t73-surprise-removal: while a loop works on a device,
# its slot is hot-unplugged through the QEMU monitor (device_del on the
# device under a hotplug-capable pcie-root-port: pciehp removes it, a real
# surprise removal for the driver).  No oops, the device leaves gptctl
# list, `gptctl monitor` gets a "remove" event; then device_add puts it
# back and gpupt claims it again by ids=.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (hotplug)
#   │   └── 01:00.0 e1000e 8086:10d3 "nic1"   held (ids=); round B: handoff/reset/reclaim loop
#   └── 00:02.0 pcie-root-port rp2 (hotplug)
#       └── 02:00.0 edu 1234:11e8 "edu2"      held (ids=); round A: reset loop
#
# Round A: the loop resets the held edu (bus reset, dry-run plan, show):
#   it is on gpupt when it goes, so a "remove" event is promised.
# Round B: the loop hands the e1000e to vfio-pci, resets it, reclaims it,
#   resets it: it goes while on gpupt or on vfio-pci, or mid-move.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
boot_nic_edu

t_check "gpupt holds the e1000e and the edu" eval 'vm_driver_is $NIC gpupt && vm_driver_is $EDU gpupt'
vm_run_q "modprobe vfio-pci"
vm_run_q "gptctl -j monitor >/tmp/monitor.json 2>/tmp/monitor.err & echo \$! >/tmp/monitor.pid; sleep 0.5"

# start_loop NAME ADDR CMDS...: a background loop in the guest running the
# gptctl commands in turn on ADDR; one line per command: "rc command".
start_loop() {
	local name=$1 addr=$2 cmds
	shift 2
	cmds=$(printf '"%s" ' "$@")
	vm_run_q "(while :; do for c in $cmds; do
			timeout 60 gptctl \$c $addr >/dev/null 2>>/tmp/$name.err; echo \"\$? \$c\"
		done; done >/tmp/$name.log) & echo \$! >/tmp/$name.pid"
}
stop_loop() {
	vm_run_q "kill \$(cat /tmp/$1.pid); sleep 0.2"
}
# unplug ID ADDR: device_del and wait for QEMU's DEVICE_DELETED.
unplug() {
	vm_monitor "device_del $1" >/dev/null || return 1
	vm_qmp_wait_event DEVICE_DELETED 60 >/dev/null || { echo "# no DEVICE_DELETED for $1"; return 1; }
	for i in $(seq 1 50); do
		vm_run_q "[ ! -e /sys/bus/pci/devices/$2 ]" && return 0
		sleep 0.2
	done
	echo "# $2 is still in sysfs"; return 1
}
# loop_ok NAME: the loop ran commands, and every one exited 0 or 1 (no
# crash, no usage error, no 60 s timeout: a hang)
loop_ok() {
	local log
	log=$(vm_run "cat /tmp/$1.log") || return 1
	echo "# $1: $(wc -l <<<"$log") commands; exit codes: $(cut -d' ' -f1 <<<"$log" | sort | uniq -c | tr '\n' ' ')"
	[ "$(wc -l <<<"$log")" -gt 3 ] || { echo "# too few commands ran"; return 1; }
	! grep -Ev '^[01] ' <<<"$log" | sed 's/^/#   /' | grep .
}
remove_event() {	# ADDR: a "remove" event for ADDR arrived
	vm_run "jq -c 'select(.event == \"remove\" and .address == \"$1\")' /tmp/monitor.json" | grep -q .
}
held_when_removed() {	# ADDR: the last transition before "remove" left it on gpupt
	vm_run "jq -r 'select(.address == \"$1\" and .event != \"reset\") | .event + \" \" + (.to // \"none\")' /tmp/monitor.json" |
		grep -v '^remove' | tail -1
}

# --- round A: a held edu, reset in a loop ---
start_loop edu $EDU "reset --method bus" "reset --dry-run" "show"
sleep 3
t_check "A: device_del edu2 during the reset loop: DEVICE_DELETED, gone from sysfs" unplug edu2 $EDU
sleep 2
stop_loop edu
t_check "A: the loop ran and every command exited 0 or 1" loop_ok edu
t_check "A: $EDU is gone from gptctl -j list" eval '
	json=$(vm_run "gptctl -j list") && ! jq -e --arg a $EDU "map(select(.address == \$a)) | length > 0" <<<"$json" >/dev/null'
t_check "A: gptctl monitor got a remove event for $EDU" remove_event $EDU

# --- round B: the e1000e moving between gpupt and vfio-pci ---
start_loop nic $NIC "handoff" "reset" "reclaim" "reset --method bus"
sleep 4
t_check "B: device_del nic1 during the handoff/reset loop: DEVICE_DELETED, gone from sysfs" unplug nic1 $NIC
sleep 2
stop_loop nic
t_check "B: the loop ran and every command exited 0 or 1" loop_ok nic
t_check "B: $NIC is gone from gptctl -j list" eval '
	json=$(vm_run "gptctl -j list") && ! jq -e --arg a $NIC "map(select(.address == \$a)) | length > 0" <<<"$json" >/dev/null'
LAST=$(held_when_removed $NIC)
echo "# B: last transition before the removal: ${LAST:-none (held since boot)}"
# gpupt_remove() reports a held device; the bus notifier reports one it
# handed off to vfio (its driver_override names the vfio driver).
t_check "B: gptctl monitor got a remove event (it was ${LAST:-held since boot})" remove_event $NIC
no_dstate() {
	local d
	d=$(vm_run "ps -eo stat=,pid=,comm=,wchan:32= | awk '\$1 ~ /^D/'")
	[ -z "$d" ] || { printf "#   %s\n" "$d"; return 1; }
}
t_check "no task stuck in D state" no_dstate
t_check "the monitor is still running" vm_run "kill -0 \$(cat /tmp/monitor.pid)"

# --- hot-plug both back: ids= claims them again ---
wait_driver() {	# ADDR DRIVER
	for i in $(seq 1 75); do
		[ "$(vm_driver "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.2
	done
	vm_driver_is "$1" "$2"
}
t_check "device_add edu2 back: gpupt claims $EDU again by ids=" eval '
	vm_monitor "device_add edu,id=edu2,bus=rp2,addr=00.0" >/dev/null && wait_driver $EDU gpupt'
t_check "device_add nic1 back: gpupt claims $NIC again by ids=" eval '
	vm_monitor "device_add e1000e,id=nic1,bus=rp1,addr=00.0" >/dev/null && wait_driver $NIC gpupt'
t_check "and it works: handoff, reset and reclaim of the re-added e1000e" eval '
	vm_run_q "gptctl handoff $NIC" && vm_driver_is $NIC vfio-pci &&
	vm_run_q "gptctl reset $NIC" && vm_run_q "gptctl reclaim $NIC" && vm_driver_is $NIC gpupt'
echo "# monitor events: $(vm_run "jq -r .event /tmp/monitor.json | sort | uniq -c | tr '\n' ' '")"
vm_run_q "kill \$(cat /tmp/monitor.pid)"
t_done
