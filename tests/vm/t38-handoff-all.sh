#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t38-handoff-all: gptctl handoff --all sends GPUPT_F_ALL_HELD and the
# kernel picks the functions itself: every function gpupt holds moves, a
# function on a host driver is left alone, nothing held is an empty
# success, --single and --dry-run still apply.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 ── 01:00.0 VGA + 01:00.1 intel-hda  held (addrs=)
#   ├── 00:02.0 pcie-root-port rp2 ── 02:00.0 VGA + 02:00.1 intel-hda  held (addrs=)
#   └── 00:03.0 pcie-root-port rp3 ── 03:00.0 VGA                      bochs (host)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

G1=0000:01:00.0 A1=0000:01:00.1 G2=0000:02:00.0 A2=0000:02:00.1 G3=0000:03:00.0
for i in 1 2 3; do topo_root_port $i; done
topo_gpu_slot rp1 gpu1
topo_gpu_slot rp2 gpu2
topo_vga rp3 gpu3
vm_boot --gpupt-initramfs "addrs=$G1,$A1,$G2,$A2"
vm_run_q 'modprobe vfio-pci; modprobe bochs 2>/dev/null; echo 0000:03:00.0 >/sys/bus/pci/drivers_probe 2>/dev/null; true'
H3=$(vm_driver $G3)

STATE=$(vm_pci_state)
# One gpupt request, no DEV_GET dump before it: the kernel selects.
t_check "--all sends one gpupt request (no dump first)" eval '
	assert_eq 1 "$(vm_run "strace -f -e trace=sendmsg gptctl handoff --all --dry-run 2>&1 >/dev/null |
		grep -c nlmsg_type=gpupt")" "gpupt requests sent"'
h_gptctl -j handoff --all --dry-run; OUT=$H_OUT RC=$H_RC
t_check "--all --dry-run exits 0" assert_eq 0 "$RC" "exit status (stderr: $H_ERR)"
t_check "--all --dry-run plans the four held functions, not $G3" eval '
	assert_eq "$G1 $A1 $G2 $A2" "$(jq -r "[.[].devices[].address] | join(\" \")" <<<"$OUT")" "planned"'
t_check "--dry-run changed nothing" eval 'assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'

h_gptctl -j handoff --all; OUT=$H_OUT RC=$H_RC
t_check "handoff --all exits 0" assert_eq 0 "$RC" "exit status (stderr: $H_ERR)"
t_check "both groups are on vfio-pci" h_drivers_are "vfio-pci vfio-pci vfio-pci vfio-pci" $G1 $A1 $G2 $A2
t_check "the reply has two groups of two" eval '
	assert_eq "2 2" "$(jq -r "[.[].devices | length] | join(\" \")" <<<"$OUT")" "group sizes"'
t_check "$G3 kept its driver (${H3:-none})" eval 'assert_eq "$H3" "$(vm_driver $G3)" "driver of $G3"'

h_gptctl -j handoff --all; OUT=$H_OUT RC=$H_RC
t_check "with nothing held, handoff --all exits 0 with an empty list" eval '
	assert_eq 0 "$RC" "exit status (stderr: $H_ERR)" && assert_eq "[]" "$OUT" "reply"'

t_check "reclaim --all (still a dump) brings both back" eval '
	h_gptctl reclaim --all >/dev/null && h_drivers_are "gpupt gpupt gpupt gpupt" $G1 $A1 $G2 $A2'

h_gptctl -j handoff --all --single; OUT=$H_OUT RC=$H_RC
t_check "handoff --all --single moves each held function" eval '
	assert_eq 0 "$RC" "exit status (stderr: $H_ERR)" &&
	h_drivers_are "vfio-pci vfio-pci vfio-pci vfio-pci" $G1 $A1 $G2 $A2'
t_check "$G3 still kept its driver" eval 'assert_eq "$H3" "$(vm_driver $G3)" "driver of $G3"'
t_done
