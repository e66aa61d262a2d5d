#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t37-handoff-idempotent: handoff of a group that is
# already on vfio-pci succeeds and changes nothing: no unbind, no event,
# same drivers and overrides.  Same for a second reclaim.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#       └── 01:00.0 VGA 1234:1111 (multifunction)   "gpu0"        } one IOMMU
#           01:00.1 intel-hda 8086:2668             "gpu0-audio"  } group
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
h_boot_gpu_slot held

t_check "first handoff moves the group" eval 'h_gptctl handoff $GPU >/dev/null && h_drivers_are "vfio-pci vfio-pci" $GPU $AUD'
STATE=$(vm_pci_state)
t_check "start gptctl monitor -j" vm_run '
	(gptctl monitor -j >/tmp/events 2>/tmp/monitor.err </dev/null &) ; sleep 1'

h_gptctl -j handoff $GPU; OUT=$H_OUT RC=$H_RC
t_check "handoff again exits 0" assert_eq 0 "$RC" "exit status (stderr: $H_ERR)"
t_check "the reply shows vfio-pci -> vfio-pci for both" eval '
	assert_eq "$GPU:vfio-pci>vfio-pci $AUD:vfio-pci>vfio-pci" \
		"$(jq -r "[.[].devices[] | \"\(.address):\(.from)>\(.to)\"] | join(\" \")" <<<"$OUT")" "handoff JSON"'
h_gptctl -j handoff $AUD; OUT=$H_OUT RC=$H_RC
t_check "handoff by the other function of the group exits 0 too" assert_eq 0 "$RC" "exit status (stderr: $H_ERR)"
t_check "nothing changed (drivers, overrides, groups)" eval 'assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'
t_check "no event was sent" eval 'vm_run_q "sleep 0.5"; assert_eq "" "$(vm_run "cat /tmp/events")" "events"'

t_check "reclaim moves it back" eval 'h_gptctl reclaim $GPU >/dev/null && h_drivers_are "gpupt gpupt" $GPU $AUD'
t_check "the monitor saw that reclaim (2 events): it is listening" eval '
	vm_run_q "sleep 0.5"; assert_eq "reclaim reclaim" "$(vm_run "cat /tmp/events" | jq -r .event | tr "\n" " " | sed "s/ $//")" "events"'
STATE=$(vm_pci_state)
vm_run_q ': >/tmp/events'
h_gptctl reclaim $GPU; OUT=$H_OUT RC=$H_RC
t_check "reclaim again exits 0 and changes nothing" eval '
	assert_eq 0 "$RC" "exit status (stderr: $H_ERR)" && assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'
t_check "no event for the second reclaim" eval 'vm_run_q "sleep 0.5"; assert_eq "" "$(vm_run "cat /tmp/events")" "events"'
t_done
