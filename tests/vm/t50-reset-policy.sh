#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t50-reset-policy: per-device reset/power policy from devices.conf and the
# built-in table, applied by gptctl apply (what gpupt-apply.service runs at
# boot); a policy that keeps pm out makes a plain `gptctl reset` really
# reset the device, while the kernel's default order picks a pm reset that
# says "ok" and resets nothing, which doctor flags.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1) ── 01:00.0 e1000e "nic1"
#   │        devices.conf: addr 0000:01:00.0 reset=bus d3cold=off reset-on-handoff
#   ├── 00:02.0 pcie-root-port rp2 (2.5GT/s x1) ── 02:00.0 e1000e "nic2"
#   │        no line: the kernel's order "pm bus"
#   └── 00:03.0 pcie-root-port rp3 (2.5GT/s x1) ── 03:00.0 e1000e "nic3"
#            devices.conf: addr 0000:03:00.0 gpupt  (reset order from the table)
#
# The libvirt hook (gptctl hook libvirt run, as libvirtd calls it) honours
# reset-on-handoff like gptctl handoff: 01:00.0 is reset first, 02:00.0 not.
#
# All three are held by gpupt (ids=8086:10d3).  RAL0 (BAR0 + 0x5400) comes
# back to its power-on value only after a real reset (t51).
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

N1=0000:01:00.0 N2=0000:02:00.0 N3=0000:03:00.0
topo_root_port 1
topo_e1000e rp1 nic1
topo_root_port 2
topo_e1000e rp2 nic2
topo_root_port 3
topo_e1000e rp3 nic3
vm_boot --gpupt-initramfs "ids=8086:10d3"

attr() { vm_run "cat /sys/bus/pci/devices/$1/$2"; }
ral0() { vm_run "busybox devmem \$(( \$(cut -d' ' -f1 /sys/bus/pci/devices/$1/resource | head -1) + 0x5400 )) 32 ${2:-}"; }

CONF='# reset/power policy
addr 0000:01:00.0 reset=bus d3cold=off reset-on-handoff
addr 0000:03:00.0 gpupt'
t_check "gpupt holds the three e1000e; the kernel's order is \"pm bus\"" eval '
	vm_driver_is $N1 gpupt && vm_driver_is $N2 gpupt && vm_driver_is $N3 gpupt &&
	assert_eq "pm bus" "$(attr $N1 reset_method)" "reset_method"'
t_check "write /etc/gpupt/devices.conf" vm_run "mkdir -p /etc/gpupt && printf '%s\n' $(printf '%q' "$CONF") >/etc/gpupt/devices.conf"

t_check "gptctl -j apply exits 0 and reports both policies changed, with their sources" eval '
	out=$(vm_run "gptctl -j apply") &&
	assert_eq "$N1 bus devices.conf:2 false devices.conf:2 true changed|$N3 bus table null default false changed" \
		"$(jq -r "[.policies[] | \"\(.address) \(.reset) \(.reset_from) \(.d3cold) \(.d3cold_from) \(.reset_on_handoff) \(.status)\"] | join(\"|\")" <<<"$out")" "policies"'
t_check "sysfs: 01:00.0 reset_method bus, d3cold_allowed 0, power/control on" eval '
	assert_eq "bus 0 on" "$(attr $N1 reset_method) $(attr $N1 d3cold_allowed) $(attr $N1 power/control)" "01:00.0"'
t_check "sysfs: 03:00.0 reset_method bus (table); 02:00.0 untouched (pm bus)" eval '
	assert_eq "bus|pm bus" "$(attr $N3 reset_method)|$(attr $N2 reset_method)" "reset_method"'
t_check "a second apply changes nothing" eval '
	out=$(vm_run "gptctl -j apply") &&
	assert_eq "ok ok" "$(jq -r "[.policies[].status] | join(\" \")" <<<"$out")" "statuses"'

DOC=$(vm_run "gptctl doctor $N1 $N2 $N3")
echo "$DOC" | grep reset_policy | sed 's/^/# /'
t_check "doctor: 01:00.0's policy is in force, from devices.conf line 2" eval '
	l=$(grep reset_policy <<<"$DOC" | grep $N1) &&
	assert_contains "PASS" "$l" "line" && assert_contains "reset order \"bus\" (devices.conf:2), d3cold off (devices.conf:2), reset on handoff yes (devices.conf:2)" "$l" "line"'
t_check "doctor: 03:00.0's reset order comes from the table" eval '
	l=$(grep reset_policy <<<"$DOC" | grep $N3) &&
	assert_contains "PASS" "$l" "line" && assert_contains "reset order \"bus\" (table)" "$l" "line"'
t_check "doctor: 02:00.0 WARN: the order in force starts with pm, which does not reset it" eval '
	l=$(grep -A1 reset_policy <<<"$DOC" | grep -A1 $N2) &&
	assert_contains "WARN" "$l" "line" && assert_contains "starts with pm, which does not reset this device" "$l" "line" &&
	assert_contains "reset=bus" "$l" "remedy"'

# --- the RAL0 proof ---
t_check "memory decoding on (setpci), RAL0 of both written" eval '
	vm_run "setpci -s $N1 COMMAND=0006:0006 && setpci -s $N2 COMMAND=0006:0006" &&
	P1=$(ral0 $N1) && P2=$(ral0 $N2) && echo "# power-on RAL0: $P1 $P2" &&
	assert_match "^0x[0-9A-F]{8}$" "$P1" "power-on RAL0" && [ "$P1" != 0x0BADC0DE ] &&
	ral0 $N1 0x0BADC0DE && ral0 $N2 0x0BADC0DE &&
	assert_eq "0x0BADC0DE 0x0BADC0DE" "$(ral0 $N1) $(ral0 $N2)" "RAL0 after the writes"'
t_check "policy keeps pm out: gptctl -j reset 01:00.0 uses bus and every check passes" eval '
	res=$(vm_run "gptctl -j reset $N1") &&
	assert_eq "bus true pass pass n/a pass pass pass 1" \
		"$(jq -r ".[0] | \"\(.method) \(.ok) \(.checks.present) \(.checks.config) \(.checks.link) \(.checks.bars) \(.checks.command) \(.checks.power) \(.rungs | length)\"" <<<"$res")" "result"'
t_check "... and RAL0 is back at its power-on value: the device really reset" eval '
	assert_eq "$P1" "$(ral0 $N1)" "RAL0 after the reset"'
t_check "default order: gptctl -j reset 02:00.0 uses pm and says ok" eval '
	res=$(vm_run "gptctl -j reset $N2") &&
	assert_eq "pm true" "$(jq -r ".[0] | \"\(.method) \(.ok)\"" <<<"$res")" "result"'
t_check "... but RAL0 is unchanged: pm reset nothing (what doctor warned about)" eval '
	assert_eq 0x0BADC0DE "$(ral0 $N2)" "RAL0 after the pm reset"'

# --- reset-on-handoff from the policy ---
t_check "handoff of 01:00.0 resets it first (reset-on-handoff), then vfio-pci has it" eval '
	vm_run_q "modprobe vfio-pci" && n0=$(vm_run "dmesg | grep -c \"$N1: reset (bus)\"") &&
	vm_run_q "gptctl handoff $N1" && vm_driver_is $N1 vfio-pci &&
	n1=$(vm_run "dmesg | grep -c \"$N1: reset (bus)\"") &&
	assert_eq $((n0 + 1)) "$n1" "bus resets of 01:00.0 in dmesg"'
t_check "reclaim gives it back; its policy survives" eval '
	vm_run_q "gptctl reclaim $N1" && vm_driver_is $N1 gpupt &&
	assert_eq "bus 0" "$(attr $N1 reset_method) $(attr $N1 d3cold_allowed)" "policy"'
t_check "handoff --all resets first too when a held function asks for it, and reclaim --all gives them back" eval '
	n0=$(vm_run "dmesg | grep -c \"$N1: reset (bus)\"") &&
	vm_run_q "gptctl handoff --all" && vm_driver_is $N1 vfio-pci &&
	n1=$(vm_run "dmesg | grep -c \"$N1: reset (bus)\"") &&
	assert_eq $((n0 + 1)) "$n1" "bus resets of 01:00.0 in dmesg" &&
	vm_run_q "gptctl reclaim --all" && vm_driver_is $N1 gpupt'
# --- the same policy through the VM managers' hook ---
domxml() {	# a libvirt domain with one unmanaged PCI hostdev, bus $2
	printf "<domain><name>%s</name><uuid>00000000-0000-0000-0000-0000000000%s</uuid><devices><hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='%s' slot='0x00' function='0x0'/></source></hostdev></devices></domain>" "$1" "$2" "$2"
}
t_check "write two libvirt domains: dom1 has 01:00.0, dom2 02:00.0 (unmanaged hostdevs)" vm_run "
	printf '%s' $(printf '%q' "$(domxml dom1 01)") >/tmp/dom1.xml && printf '%s' $(printf '%q' "$(domxml dom2 02)") >/tmp/dom2.xml"
t_check "libvirt hook, prepare begin of dom1: 01:00.0 is reset first (reset-on-handoff), the log says so, vfio-pci has it" eval '
	n0=$(vm_run "dmesg | grep -c \"$N1: reset (bus)\"") &&
	vm_capture "gptctl hook libvirt run -- dom1 prepare begin - </tmp/dom1.xml" && assert_eq 0 "$VM_RC" "hook exit status" &&
	assert_contains "dom1: $N1 reset and verified before the handoff (reset-on-handoff)" "$VM_ERR" "hook log" &&
	vm_driver_is $N1 vfio-pci && n1=$(vm_run "dmesg | grep -c \"$N1: reset (bus)\"") &&
	assert_eq $((n0 + 1)) "$n1" "bus resets of 01:00.0 in dmesg"'
t_check "... and release end gives it back to gpupt" eval '
	vm_run_q "gptctl hook libvirt run -- dom1 release end - </tmp/dom1.xml" && vm_driver_is $N1 gpupt'
t_check "prepare begin of dom2: 02:00.0 (no reset-on-handoff) is handed off without a reset; release end gives it back" eval '
	n0=$(vm_run "dmesg | grep -c \"$N2: reset (\"") &&
	vm_capture "gptctl hook libvirt run -- dom2 prepare begin - </tmp/dom2.xml" && assert_eq 0 "$VM_RC" "hook exit status" &&
	{ [[ $VM_ERR != *"reset and verified"* ]] || { echo "# hook log: $VM_ERR"; false; }; } && vm_driver_is $N2 vfio-pci &&
	assert_eq "$n0" "$(vm_run "dmesg | grep -c \"$N2: reset (\"")" "resets of 02:00.0 in dmesg" &&
	vm_run_q "gptctl hook libvirt run -- dom2 release end - </tmp/dom2.xml" && vm_driver_is $N2 gpupt'
t_check "a bad policy line is refused with its line number, nothing changed" eval '
	vm_run "printf \"addr 0000:02:00.0 reset=bus,warm\n\" >/tmp/bad.conf" &&
	vm_capture "gptctl apply --config /tmp/bad.conf"; assert_eq 2 "$VM_RC" "exit status" &&
	assert_contains "/tmp/bad.conf:1: invalid reset order" "$VM_ERR" "stderr" &&
	assert_eq "pm bus" "$(attr $N2 reset_method)" "02:00.0 reset_method"'
t_done
