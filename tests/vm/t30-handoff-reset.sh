#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t30-handoff-reset: `gptctl handoff --reset` gives vfio-pci functions that
# were just reset and verified; when a function fails verification the
# whole transaction is refused and nothing moves.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#   │   └── 01:00.0 e1000e 8086:10d3 "nic1"  held, reset_method "bus"
#   └── 00:02.0 pcie-root-port rp2 (QEMU's default 16GT/s: reports DLLLA
#       │        capability, never sets DLLLA: every reset fails check link)
#       └── 02:00.0 e1000e 8086:10d3 "nic2"  held
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

N1=0000:01:00.0 N2=0000:02:00.0
topo_root_port 1
topo_e1000e rp1 nic1
VM_DEVS+=(-device "pcie-root-port,id=rp2,bus=pcie.0,addr=0x2.0,chassis=2,slot=2")
topo_e1000e rp2 nic2
vm_boot --gpupt-initramfs "ids=8086:10d3"

ral0() { vm_run "busybox devmem \$(( \$(cut -d' ' -f1 /sys/bus/pci/devices/$1/resource | head -1) + 0x5400 )) 32 ${2:-}"; }

t_check "gpupt holds both; 01:00.0's reset_method is bus" eval '
	vm_driver_is $N1 gpupt && vm_driver_is $N2 gpupt &&
	vm_run "echo bus > /sys/bus/pci/devices/$N1/reset_method; modprobe vfio-pci"'
t_check "RAL0 of 01:00.0 written (memory decoding on)" eval '
	vm_run_q "setpci -s $N1 COMMAND=0006:0006" && P1=$(ral0 $N1) &&
	assert_match "^0x[0-9A-F]{8}$" "$P1" "power-on RAL0" && [ "$P1" != 0x0BADC0DE ] &&
	ral0 $N1 0x0BADC0DE &&
	echo "# power-on RAL0 $P1" && assert_eq 0x0BADC0DE "$(ral0 $N1)" "RAL0"'
vm_run_q "gptctl -j monitor >/tmp/mon.json 2>&1 & sleep 0.5"
t_check "gptctl handoff --reset 01:00.0: on vfio-pci" eval '
	vm_run_q "gptctl handoff --reset $N1" && vm_driver_is $N1 vfio-pci'
t_check "RAL0 is back at its power-on value: it arrived freshly reset" eval '
	assert_eq "$P1" "$(ral0 $N1)" "RAL0 on vfio-pci"'
t_check "the reset came before the handoff: events reset (ok, checks passed), then handoff" eval '
	ev=$(vm_run "sleep 0.3; jq -r \"select(.address == \\\"$N1\\\") | .event + \\\" \\\" + ((.errno // 0) | tostring)\" /tmp/mon.json") &&
	assert_eq "reset 0
handoff 0" "$ev" "events"'
t_check "reclaim: back on gpupt" eval 'vm_run_q "gptctl reclaim $N1" && vm_driver_is $N1 gpupt'

t_check "handoff --reset 01:00.0 02:00.0: refused with EIO naming 02:00.0's failed check" eval '
	vm_capture "gptctl handoff --reset $N1 $N2"; assert_eq 1 "$VM_RC" "exit status" &&
	assert_contains "Input/output error" "$VM_ERR" "stderr" &&
	assert_contains "reset before handoff: $N2" "$VM_ERR" "stderr" &&
	assert_contains "check link failed" "$VM_ERR" "stderr"'
t_check "nothing moved: both still on gpupt, no handoff event" eval '
	vm_driver_is $N1 gpupt && vm_driver_is $N2 gpupt &&
	assert_eq 1 "$(vm_run "jq -r \"select(.event == \\\"handoff\\\") | .address\" /tmp/mon.json" | wc -l)" "handoff events (the first one only)"'
t_check "02:00.0 is quarantined now; 01:00.0 (reset fine) is not" eval '
	out=$(vm_run "gptctl list") && assert_match "$N2 .*QUARANTINED" "$out" "list" &&
	! grep -q "$N1 .*QUARANTINED" <<<"$out"'
t_check "the module counted one failed handoff" eval '
	assert_contains "gpupt_handoff_failures_total 1" "$(vm_run "gptctl export prometheus --output -")" "export"'
t_done
