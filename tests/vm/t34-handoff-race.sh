#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t34-handoff-race: while a loop keeps asking the host
# drivers to take the functions (snd_hda_intel's bind file, bochs-drm's
# bind file, drivers_probe), gpupt moves the group back and forth; no
# function ever ends on a host driver, not even for an instant a sampler
# could see.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#       └── 01:00.0 VGA 1234:1111 (multifunction)   "gpu0"        } one IOMMU
#           01:00.1 intel-hda 8086:2668             "gpu0-audio"  } group
#
# gpupt holds both from the initramfs; bochs and snd-hda-intel are loaded.
# Guest processes: a racer (bind/drivers_probe writes, shell builtins) and a
# sampler (reads both driver links in a loop, logs anything that is neither
# gpupt nor vfio-pci).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

GPU=0000:01:00.0 AUD=0000:01:00.1
ROUNDS=${GPUPT_STRESS:+20}
ROUNDS=${ROUNDS:-5}
topo_root_port 1
topo_gpu_slot rp1 gpu0
vm_boot --gpupt-initramfs "addrs=$GPU,$AUD"

t_check "bochs and snd-hda-intel load; gpupt keeps both functions" eval '
	vm_run_q "modprobe -a bochs snd-hda-intel" && h_drivers_are "gpupt gpupt" $GPU $AUD'

t_check "start the racer and the sampler" h_racer_start snd_hda_intel=$AUD bochs-drm=$GPU

fails=0
for i in $(seq 1 "$ROUNDS"); do
	h_gptctl handoff $GPU >/dev/null || { fails=$((fails + 1)); echo "# round $i handoff: $H_ERR"; }
	h_drivers_are "vfio-pci vfio-pci" $GPU $AUD >/dev/null || { fails=$((fails + 1)); echo "# round $i after handoff: $(h_drivers $GPU $AUD)"; }
	h_gptctl reclaim $GPU >/dev/null || { fails=$((fails + 1)); echo "# round $i reclaim: $H_ERR"; }
	h_drivers_are "gpupt gpupt" $GPU $AUD >/dev/null || { fails=$((fails + 1)); echo "# round $i after reclaim: $(h_drivers $GPU $AUD)"; }
done
t_check "$ROUNDS handoff/reclaim rounds under the racer all succeed" assert_eq 0 "$fails" "failed steps"

h_racer_stop
h_racer_checks
t_check "the host drivers never probed the functions (kernel log)" eval '
	log=$(vm_run "dmesg | grep -E \"(snd_hda_intel|bochs-drm) ($GPU|$AUD)\"" ); assert_eq "" "$log" "host driver messages"'
t_check "both functions end on gpupt" h_drivers_are "gpupt gpupt" $GPU $AUD
t_done
