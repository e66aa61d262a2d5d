#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t48-libvirt-managed: libvirt's own managed mode keeps working on a gpupt
# host.  A real libvirtd (in the rig's guest, no systemd) detaches and
# re-attaches functions itself (driver_override, unbind, drivers_probe):
# `virsh nodedev-detach` of a function gpupt holds takes it to vfio-pci,
# `virsh nodedev-reattach` brings it back to gpupt (ids=/addrs= name it),
# never to the host driver, while a racer keeps asking the host drivers to
# take it (as t34; the kernel log must not show a host driver probing).  A function gpupt does not cover goes back to its host
# driver, as libvirt intends.  Then the same through a domain with
# <hostdev managed='yes'>: start takes GPU and audio to vfio-pci, destroy
# brings them back to gpupt.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   ├── 01:00.0 VGA 1234:1111        } addrs=: gpupt's (bochs-drm would take it)
#   │   └── 01:00.1 intel-hda 8086:2668  } (snd_hda_intel would take it)
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 intel-hda 8086:2668    not gpupt's: snd_hda_intel has it
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
. "$(dirname "$0")/libvirt-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
lv_require

GPU=0000:01:00.0 AUD=0000:01:00.1 OTHER=0000:02:00.0
ROUNDS=${GPUPT_STRESS:+10}
ROUNDS=${ROUNDS:-2}
topo_root_port 1
topo_gpu_slot rp1 gpu0
topo_root_port 2
topo_hda rp2 hda2 00.0
vm_boot --mem 1536M --gpupt-initramfs "addrs=$GPU,$AUD"

nd() { echo "pci_${1//[:.]/_}"; }

t_check "host drivers loaded: gpupt keeps 01:00.*, snd_hda_intel has $OTHER" eval '
	vm_run_q "modprobe -a bochs snd-hda-intel vfio-pci; for i in \$(seq 50); do [ -e /sys/bus/pci/devices/$OTHER/driver ] && break; sleep 0.1; done" &&
	h_drivers_are "gpupt gpupt snd_hda_intel" $GPU $AUD $OTHER'
t_check "libvirtd starts and lists the functions as node devices" eval '
	lv_start && assert_contains "$(nd $GPU)" "$(lv_virsh "nodedev-list --cap pci")"'

t_check "start the racer (host drivers' bind, drivers_probe) and the sampler" h_racer_start snd_hda_intel=$AUD bochs-drm=$GPU

fails=0
for i in $(seq 1 "$ROUNDS"); do
	for a in $AUD $GPU; do
		lv_virsh "nodedev-detach $(nd $a)" >/dev/null || { fails=$((fails + 1)); echo "# round $i detach $a: $(cat "$VM_LAST_ERR")"; }
	done
	h_drivers_are "vfio-pci vfio-pci" $GPU $AUD >/dev/null || { fails=$((fails + 1)); echo "# round $i after detach: $(h_drivers $GPU $AUD)"; }
	for a in $AUD $GPU; do
		lv_virsh "nodedev-reattach $(nd $a)" >/dev/null || { fails=$((fails + 1)); echo "# round $i reattach $a: $(cat "$VM_LAST_ERR")"; }
	done
	h_drivers_are "gpupt gpupt" $GPU $AUD >/dev/null || { fails=$((fails + 1)); echo "# round $i after reattach: $(h_drivers $GPU $AUD)"; }
done
t_check "$ROUNDS rounds of nodedev-detach (-> vfio-pci) and nodedev-reattach (-> gpupt) under the racer" \
	assert_eq 0 "$fails" "failed steps"

h_racer_stop
h_racer_checks
t_check "the host drivers never probed them (kernel log); gpupt said why it took them back" eval '
	assert_eq "" "$(vm_run "dmesg | grep -E \"(snd_hda_intel|bochs-drm) ($GPU|$AUD)\"")" "host driver messages" &&
	assert_contains "driver_override cleared: back to gpupt" "$(vm_run "dmesg | grep $AUD")"'

t_check "a domain with managed='yes' hostdevs: start takes both to vfio-pci, destroy gives them back to gpupt" eval '
	vm_run_q "gptctl libvirt $GPU | sed \"s/managed='\''no'\''/managed='\''yes'\''/\" >/tmp/frag.xml" &&
	lv_domain_xml gpupt-t48 4a1e0d2c-5b7f-4e43-9c1a-0d0c2f6e7a48 /tmp/frag.xml /tmp/dom.xml &&
	lv_virsh "define /tmp/dom.xml" >/dev/null &&
	VM_TIMEOUT=400 lv_virsh "start --paused gpupt-t48" >/dev/null &&
	h_drivers_are "vfio-pci vfio-pci" $GPU $AUD &&
	VM_TIMEOUT=400 lv_virsh "destroy gpupt-t48" >/dev/null &&
	h_drivers_are "gpupt gpupt" $GPU $AUD'

t_check "a function gpupt does not cover: nodedev-reattach returns it to snd_hda_intel" eval '
	lv_virsh "nodedev-detach $(nd $OTHER)" >/dev/null &&
	h_drivers_are vfio-pci $OTHER &&
	lv_virsh "nodedev-reattach $(nd $OTHER)" >/dev/null &&
	h_drivers_are snd_hda_intel $OTHER'
t_check "gptctl list agrees: both functions held by gpupt" eval '
	assert_eq "$GPU gpupt
$AUD gpupt" "$(vm_run "gptctl -j list" | jq -r ".[] | select(.address == \"$GPU\" or .address == \"$AUD\") | .address + \" \" + .driver")"'
vm_run_q "kill \$(cat /run/libvirtd.pid)"
t_done
