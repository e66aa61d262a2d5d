#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t81-apply: gptctl apply converges three GPU
# stand-ins held by gpupt to /etc/gpupt/devices.conf, which names two of
# them; a second apply changes nothing; a device a nested QEMU holds open
# is reported and left alone.  The export of this guest passes promtool
# and is served by node_exporter (on the host, loopback).
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 ── 01:00.0 VGA 1234:1111       not named: stays on gpupt
#   ├── 00:02.0 pcie-root-port rp2 ── 02:00.0 edu 1234:11e8       "id 1234:11e8 vfio-pci"
#   └── 00:03.0 pcie-root-port rp3 ── 03:00.0 ivshmem 1af4:1110   "slot 0000:03:00 vfio-pci"
#
#   guest: qemu-system-x86_64 -S -device vfio-pci,host=02:00.0   (holds /dev/vfio/N)
#
# gpupt is loaded from the initramfs with ids= naming the three stand-ins
# and addrs= the audio function.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

VGA=0000:01:00.0 AUD=0000:01:00.1 EDU=0000:02:00.0 IVS=0000:03:00.0
topo_root_port 1
topo_root_port 2
topo_root_port 3
topo_gpu_slot rp1 vga0
topo_edu rp2 edu0
topo_ivshmem rp3 ivs0 1G
vm_boot --gpupt-initramfs "ids=1234:1111,1234:11e8,1af4:1110 addrs=$AUD"

CONF='# two of the three stand-ins go to vfio-pci
id    1234:11e8     vfio-pci     # the edu, by ID
slot  0000:03:00    vfio-pci     # the ivshmem, by slot'

# apply_json ARGS: gptctl -j apply ARGS in the guest; OUT/ERR/RC.
apply_json() {
	h_gptctl -j apply "$@"; OUT=$H_OUT ERR=$H_ERR RC=$H_RC
}
# stats: the module's handoff counter, from the guest's export.
handoffs() {
	vm_run "gptctl export prometheus -o - | sed -n 's/^gpupt_handoffs_total //p'"
}

t_check "gpupt holds all four functions at boot" h_drivers_are "gpupt gpupt gpupt gpupt" $VGA $AUD $EDU $IVS
t_check "write /etc/gpupt/devices.conf" vm_run "mkdir -p /etc/gpupt && printf '%s\n' $(printf '%q' "$CONF") >/etc/gpupt/devices.conf"

# --dry-run plans, changes nothing, records nothing
apply_json --dry-run
t_check "apply --dry-run exits 0 and plans exactly the two" eval '
	assert_eq 0 "$RC" "exit status (stderr: $ERR)" &&
	assert_eq "$EDU:handoff:planned $IVS:handoff:planned" \
		"$(jq -r "[.devices[] | .address + \":\" + .action + \":\" + .status] | join(\" \")" <<<"$OUT")" "plan"'
t_check "after --dry-run all four are still on gpupt, no last-apply record" eval '
	h_drivers_are "gpupt gpupt gpupt gpupt" $VGA $AUD $EDU $IVS && vm_run "[ ! -e /run/gpupt/last-apply ]"'

# the real apply
H0=$(handoffs)
T0=$(rig_now)
apply_json
MS=$((($(rig_now) - T0) / 1000))
t_check "apply exits 0 (${MS} ms)" assert_eq 0 "$RC" "exit status (stderr: $ERR)"
t_check "exactly the two named devices moved to vfio-pci, the GPU slot stayed on gpupt" \
	h_drivers_are "gpupt gpupt vfio-pci vfio-pci" $VGA $AUD $EDU $IVS
t_check "the JSON reports both as changed from gpupt to vfio-pci, rule and line named" eval '
	assert_eq "$EDU id 1234:11e8 2 gpupt vfio-pci changed|$IVS slot 0000:03:00 3 gpupt vfio-pci changed" \
		"$(jq -r "[.devices[] | \"\(.address) \(.rule) \(.line) \(.before) \(.after) \(.status)\"] | join(\"|\")" <<<"$OUT")" "apply JSON"'
t_check "/run/gpupt/last-apply records the run with status 0" \
	eval 'assert_match "^[0-9]{10,} 0$" "$(vm_run cat /run/gpupt/last-apply)" "last-apply"'
H1=$(handoffs)
t_check "the module counted two handoffs ($H0 -> $H1)" eval 'assert_eq $((H0 + 2)) "$H1" "gpupt_handoffs_total"'

# idempotent
STATE=$(vm_pci_state)
apply_json
t_check "a second apply exits 0 and reports every device ok, action none" eval '
	assert_eq 0 "$RC" "exit status (stderr: $ERR)" &&
	assert_eq "$EDU:none:ok $IVS:none:ok" \
		"$(jq -r "[.devices[] | .address + \":\" + .action + \":\" + .status] | join(\" \")" <<<"$OUT")" "second apply"'
t_check "the second apply changed nothing (drivers, overrides, groups; no transaction)" eval '
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state" && assert_eq "$H1" "$(handoffs)" "gpupt_handoffs_total"'

h_gptctl apply
t_check "the text output: one line per ruled function, rule line, target, driver, status; a summary" eval '
	assert_eq 0 "$H_RC" "exit status" &&
	assert_match "$EDU +line 2 +vfio-pci +vfio-pci +ok" "$H_OUT" "text" &&
	assert_match "$IVS +line 3 +vfio-pci +vfio-pci +ok" "$H_OUT" "text" &&
	assert_contains "2 ok, 0 changed, 0 planned, 0 in use, 0 blocked, 0 failed" "$H_OUT" "text"'

# the export of this guest: promtool and node_exporter on the host
PROM=$RIG_CACHE/run/t81.$$.prom
t_check "gptctl export prometheus writes its file atomically in the guest" eval '
	vm_run "rm -rf /tmp/prom && gptctl export prometheus --output /tmp/prom/gpupt.prom && ls -A /tmp/prom" >"$PROM.ls" &&
	assert_eq "gpupt.prom" "$(cat "$PROM.ls")" "files left in the directory"'
vm_run "cat /tmp/prom/gpupt.prom" >"$PROM"
t_check "the export counts 2 vfio, 2 held, module loaded, IOMMU on, last apply ok" eval '
	grep -qx "gpupt_devices{driver=\"vfio-pci\",state=\"vfio\"} 2" "$PROM" &&
	grep -qx "gpupt_devices{driver=\"gpupt\",state=\"held\"} 2" "$PROM" &&
	grep -qx "gpupt_module_loaded 1" "$PROM" && grep -qx "gpupt_iommu_enabled 1" "$PROM" &&
	grep -qx "gpupt_last_apply_success 1" "$PROM" || { sed "s/^/#   /" "$PROM"; false; }'
t_check "promtool check metrics accepts it; node_exporter serves it, scrape error 0" \
	"$RIG_TOP/tests/fleet/prom.sh" "$PROM"
rm -f "$PROM" "$PROM.ls"

# a device in use is reported and left alone
GROUP=$(h_group $EDU)
PID=$(vm_nested_start n1 "-device vfio-pci,host=$EDU,addr=05.0")
t_check "a nested qemu holds /dev/vfio/$GROUP (pid $PID)" eval '
	assert_match "^[0-9]+$" "$PID" "nested pid" &&
	vm_run "for i in \$(seq 100); do ls -l /proc/$PID/fd | grep -q /dev/vfio/$GROUP && exit 0; sleep 0.1; done; exit 1"'
t_check "the config now sends the edu back to gpupt" vm_run "sed -i 's/^id    1234:11e8     vfio-pci/id 1234:11e8 gpupt/' /etc/gpupt/devices.conf && grep -q '^id 1234:11e8 gpupt' /etc/gpupt/devices.conf"
STATE=$(vm_pci_state)
apply_json
t_check "apply exits 1: the host does not match" assert_eq 1 "$RC" "exit status"
t_check "stderr names the holder: /dev/vfio/$GROUP open in qemu-system-x86 (pid $PID)" eval '
	assert_contains "$EDU is in use: /dev/vfio/$GROUP is open in qemu-system-x86 (pid $PID)" "$ERR" "stderr" &&
	assert_contains "the host does not match" "$ERR" "stderr"'
t_check "the JSON marks the edu in_use with a reason, the ivshmem ok" eval '
	assert_eq "$EDU:in_use:vfio-pci $IVS:ok:vfio-pci" \
		"$(jq -r "[.devices[] | .address + \":\" + .status + \":\" + .after] | join(\" \")" <<<"$OUT")" "apply JSON" &&
	assert_contains "in use" "$(jq -r ".devices[0].reason" <<<"$OUT")" "reason"'
t_check "nothing changed, and the nested VM still runs" eval '
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state" && vm_run "kill -0 $PID" &&
	assert_contains "VM status: paused" "$(vm_nested_monitor n1 "info status")" "nested monitor"'
t_check "last-apply records the failure (status 1)" \
	eval 'assert_match "^[0-9]{10,} 1$" "$(vm_run cat /run/gpupt/last-apply)" "last-apply"'

# once the VM is gone, apply converges
vm_nested_stop n1 >/dev/null
apply_json
t_check "after the nested VM exits, apply moves the edu back to gpupt (exit 0)" eval '
	assert_eq 0 "$RC" "exit status (stderr: $ERR)" && h_drivers_are "gpupt gpupt gpupt vfio-pci" $VGA $AUD $EDU $IVS'
t_check "'host' releases: the edu (no native driver) ends unbound, exit 0" eval '
	vm_run "sed -i \"s/^id 1234:11e8 gpupt/id 1234:11e8 host/\" /etc/gpupt/devices.conf" &&
	apply_json && assert_eq 0 "$RC" "exit status (stderr: $ERR)" &&
	assert_eq "" "$(vm_driver $EDU)" "driver of the edu" && h_drivers_are "gpupt vfio-pci" $VGA $IVS'

# one IOMMU group, two functions: rules must agree
conf() { vm_run "printf '%s\n' $(printf '%q' "$1") >/etc/gpupt/devices.conf"; }
GGROUP=$(h_group $VGA)
conf "addr $VGA vfio-pci
addr $AUD host"
STATE=$(vm_pci_state)
apply_json
t_check "rules that split IOMMU group $GGROUP are refused: exit 1, both blocked, nothing changed" eval '
	assert_eq 1 "$RC" "exit status" &&
	assert_eq "$VGA:blocked $AUD:blocked" "$(jq -r "[.devices[] | .address + \":\" + .status] | join(\" \")" <<<"$OUT")" "statuses" &&
	assert_contains "IOMMU group $GGROUP also holds $AUD, which line 2 sends to host" "$(jq -r ".devices[0].reason" <<<"$OUT")" "reason" &&
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'
conf "slot 0000:01:00 vfio-pci"
H0=$(handoffs)
apply_json
t_check "a slot rule moves the GPU and its audio to vfio-pci in one transaction" eval '
	assert_eq 0 "$RC" "exit status (stderr: $ERR)" && h_drivers_are "vfio-pci vfio-pci" $VGA $AUD &&
	assert_eq $((H0 + 1)) "$(handoffs)" "gpupt_handoffs_total"'

# host drivers: taken only with force
t_check "modprobe bochs snd-hda-intel; 'host' releases the slot to them" eval '
	vm_run "modprobe -a bochs snd-hda-intel" && conf "slot 0000:01:00 host" && apply_json &&
	assert_eq 0 "$RC" "exit status (stderr: $ERR)" && h_drivers_are "bochs-drm snd_hda_intel" $VGA $AUD'
conf "slot 0000:01:00 vfio-pci"
apply_json
t_check "without force, functions on host drivers are left alone: exit 1, the reason says to add force" eval '
	assert_eq 1 "$RC" "exit status" && h_drivers_are "bochs-drm snd_hda_intel" $VGA $AUD &&
	R0=$(jq -r ".devices[0].reason" <<<"$OUT") &&
	assert_contains "bound to the host driver bochs-drm; add" "$R0" "reason" &&
	assert_contains "force" "$R0" "reason" && assert_contains "to line 1 to take it" "$R0" "reason"'
conf "slot 0000:01:00 vfio-pci force"
# A process with the GPU's DRM node open would make the unbind wait: apply
# finds it first, names it and moves nothing, as gptctl handoff does.
CARD=$(vm_run "ls /sys/bus/pci/devices/$VGA/drm | grep -m1 '^card'")
vm_run_q "sleep 3600 </dev/dri/$CARD & echo \$! >/tmp/drm-holder.pid"
HPID=$(vm_run "cat /tmp/drm-holder.pid")
STATE=$(vm_pci_state)
apply_json
t_check "with force but /dev/dri/$CARD open (pid $HPID): exit 1, the holder named, nothing moved" eval '
	assert_eq 1 "$RC" "exit status" &&
	assert_contains "line 1: " "$ERR" "stderr" && assert_contains "(pid $HPID)" "$ERR" "stderr" &&
	assert_contains "/dev/dri/$CARD" "$ERR" "stderr" &&
	assert_contains "held on the host" "$(jq -r ".devices[0].reason" <<<"$OUT")" "reason" &&
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'
vm_run_q "kill $HPID; while kill -0 $HPID 2>/dev/null; do sleep 0.1; done"
apply_json
t_check "with force the slot goes to vfio-pci, and the JSON says from where" eval '
	assert_eq 0 "$RC" "exit status (stderr: $ERR)" && h_drivers_are "vfio-pci vfio-pci" $VGA $AUD &&
	assert_eq "bochs-drm>vfio-pci snd_hda_intel>vfio-pci" "$(jq -r "[.devices[] | .before + \">\" + .after] | join(\" \")" <<<"$OUT")" "JSON"'
conf "addr $VGA vfio-pci single
addr $AUD gpupt single"
apply_json
t_check "'single' on both lines splits the group: the audio alone goes back to gpupt" eval '
	assert_eq 0 "$RC" "exit status (stderr: $ERR)" && h_drivers_are "vfio-pci gpupt" $VGA $AUD &&
	assert_eq "$VGA:ok $AUD:changed" "$(jq -r "[.devices[] | .address + \":\" + .status] | join(\" \")" <<<"$OUT")" "statuses"'
t_done
