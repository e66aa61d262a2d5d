#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t36-handoff-events: `gptctl monitor -j` receives one
# event per function per transition, in order; it exits cleanly when the
# module goes away.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#       └── 01:00.0 VGA 1234:1111 (multifunction)   "gpu0"        } one IOMMU
#           01:00.1 intel-hda 8086:2668             "gpu0-audio"  } group
#
# Transitions: handoff, reclaim, release (to bochs-drm/snd_hda_intel),
# claim --force of 01:00.0, unclaim of 01:00.0, then rmmod gpupt.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
h_boot_gpu_slot held

t_check "modprobe bochs snd-hda-intel" vm_run 'modprobe -a bochs snd-hda-intel'
t_check "start gptctl monitor -j" vm_run '
	rm -f /tmp/monitor.rc
	(gptctl monitor -j >/tmp/events 2>/tmp/monitor.err </dev/null; echo $? >/tmp/monitor.rc) &
	sleep 1; [ ! -e /tmp/monitor.rc ]'

t_check "handoff, reclaim, release, claim --force, unclaim" eval '
	h_gptctl handoff $GPU >/dev/null && h_gptctl reclaim $GPU >/dev/null &&
	h_gptctl release $GPU >/dev/null && h_gptctl claim --force --release-host $GPU >/dev/null &&
	h_gptctl unclaim $GPU >/dev/null'
vm_run_q 'sleep 1'
EV=$(vm_run 'cat /tmp/events')
GROUP=$(h_group $GPU)

# one line per event, each a JSON object
t_check "every event line is one JSON object" eval '
	jq -e -s "length > 0 and all(.[]; type == \"object\")" <<<"$EV" >/dev/null ||
	{ echo "# events: $EV"; false; }'
t_check "one event per function per transition, in order" eval '
	assert_eq "handoff $GPU gpupt vfio-pci
handoff $AUD gpupt vfio-pci
reclaim $GPU vfio-pci gpupt
reclaim $AUD vfio-pci gpupt
release $GPU gpupt bochs-drm
release $AUD gpupt snd_hda_intel
claim $GPU bochs-drm gpupt
unclaim $GPU gpupt bochs-drm" \
	"$(jq -r "\"\(.event) \(.address) \(.from) \(.to)\"" <<<"$EV")" "events (event address from to)"'
t_check "handoff/reclaim/release events carry the IOMMU group" eval '
	assert_eq "$GROUP $GROUP $GROUP $GROUP $GROUP $GROUP" \
		"$(jq -r "select(.event | test(\"handoff|reclaim|release\")) | .group" <<<"$EV" | tr "\n" " " | sed "s/ $//")" "groups"'
# GENERATION is read when the event is sent: the events of one transition
# may share it, but each later transition has a larger one.
t_check "generations never go back, and grow with each of the 5 transitions" eval '
	jq -e -s "[.[].generation] as \$g | all(range(1; \$g | length); \$g[.] >= \$g[. - 1]) and
		([.[] | [.event, .generation]] | unique_by(.[1]) | length) == 5" <<<"$EV" >/dev/null ||
	{ echo "# generations: $(jq -c -s "[.[] | [.event, .generation]]" <<<"$EV")"; false; }'
t_check "rmmod gpupt ends the monitor with exit status 3 and a message" eval '
	vm_run "rmmod gpupt" &&
	assert_eq 3 "$(vm_run "for i in \$(seq 50); do [ -s /tmp/monitor.rc ] && break; sleep 0.1; done; cat /tmp/monitor.rc")" "monitor exit status" &&
	assert_contains "gpupt module unloaded" "$(vm_run "cat /tmp/monitor.err")" "monitor stderr"'
t_done
