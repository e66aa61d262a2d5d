#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boots the rig's VM as a hypervisor host and walks through what
# gpupt does, in the order an admin meets it: the boot claim from the
# initramfs, gptctl list and doctor, a refused claim, the handoff of a GPU
# and its audio to vfio-pci while gptctl monitor prints the events, a nested
# QEMU started with gptctl qemu's arguments, gptctl bars and the guest MMIO
# plan for a 256 GiB BAR, a bus reset that really resets a NIC, the
# reclaim, and a single-GPU host's round trip (desktop -> VM -> desktop with
# handoff --release-host and release).  Every command is printed before its real output, as a user
# would type it on the host.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port ── 01:00.0 VGA 1234:1111   01:00.1 intel-hda   "GPU for VMs"
#   ├── 00:02.0 pcie-root-port ── 02:00.0 VGA 1234:1111   02:00.1 intel-hda   "GPU for the host"
#   ├── 00:03.0 pcie-root-port ── 03:00.0 ivshmem 1af4:1110, BAR2 256 GiB      "a large-BAR card"
#   └── 00:04.0 pcie-root-port ── 04:00.0 e1000e 8086:10d3                     "a NIC to reset"
#
# The script is a list of blocks that share one VM.  A block is
#   NAME_topo   (optional) adds its devices to VM_DEVS and its addresses
#               to BOOT_ADDRS, before the boot;
#   NAME_run    prints its commands and their output, after the boot;
# registered with `block NAME` right after its functions.  Blocks run in
# the order they are registered; each one leaves its devices where it
# found them or says where they are.  Root ports 1-4 are taken; a new block
# uses the next free one, draws it above, and is added at the end of the
# blocks, before the run.
set -u
RIG_NAME=demo
. "$(dirname "$0")/vm/lib.sh"

bold= norm=
[ -t 1 ] && { bold=$(tput bold 2>/dev/null) norm=$(tput sgr0 2>/dev/null); }
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$norm"; }
# shell CMD: prints "host# CMD" and runs it in the guest, showing stdout and stderr
shell() {
	local rc
	printf '%shost#%s %s\n' "$bold" "$norm" "$1"
	vm_run "$1"; rc=$?
	cat "$VM_LAST_ERR"
	[ $rc = 0 ] || echo "(exit status $rc)"
	return $rc
}
fail() { echo "demo: $*" >&2; vm_stop; exit 1; }

BLOCKS=()
BOOT_ADDRS=()
block() { BLOCKS+=("$1"); }

# ---------------------------------------------------------------------------
# Boot claim, list, doctor, claim and unclaim: two identical GPUs, one for
# VMs (held from the initramfs by address), one for the host.
claim_topo() {
	topo_root_port 1
	topo_gpu_slot rp1 gpu0
	topo_root_port 2
	topo_gpu_slot rp2 gpu1
	BOOT_ADDRS+=(01:00.0 01:00.1)
}
claim_run() {
	say "1. Boot claim: gpupt took its devices before any driver could"
	shell "dmesg | grep -E 'gpupt|rig-init'"
	shell "modprobe -a bochs snd-hda-intel   # the host's GPU and audio drivers"
	shell "lspci -k -s 01:00; lspci -k -s 02:00"
	[ "$(vm_driver 0000:01:00.0)" = gpupt ] || fail "01:00.0 is not held by gpupt"

	say "2. gptctl list: every GPU, who holds it, its IOMMU group and reset methods"
	shell "gptctl list"
	shell "gptctl -j show 01:00.0"

	say "3. gptctl doctor: what stands between this host and passthrough, with remedies"
	echo "(this VM loads gpupt from the rig's own initramfs, not through the files"
	echo "gptctl setup writes, so doctor reports the boot integration as missing)"
	shell "gptctl doctor"

	say "4. Claiming the host's GPU: refused while bochs-drm drives it"
	shell "gptctl claim 02:00.0" && fail "the claim should have been refused"
	say "   ... unless --force is given (--release-host: fbcon draws on it, unbind it first)"
	shell "gptctl claim --force --release-host 02:00.0" || fail "claim --force failed"
	shell "gptctl list -s 02:00.0"

	say "5. unclaim: the host driver gets the GPU back"
	shell "gptctl unclaim 02:00.0" || fail "unclaim failed"
	shell "gptctl list"
	[ "$(vm_driver 0000:02:00.0)" = bochs-drm ] || fail "02:00.0 did not go back to bochs-drm"
}
block claim

# ---------------------------------------------------------------------------
# Handoff of the VM GPU's IOMMU group to vfio-pci, watched by gptctl
# monitor; a nested QEMU started with gptctl qemu's arguments sees both
# functions; reclaim is refused while it runs.  The group stays on vfio-pci
# (and the monitor running) for the reclaim block.
handoff_run() {
	say "6. gptctl monitor: one line per event (running in the background)"
	shell "gptctl monitor >/tmp/monitor.log 2>&1 &" || fail "monitor did not start"
	vm_run_q "sleep 1"

	say "7. gptctl handoff: the GPU and its audio go to vfio-pci as one IOMMU group"
	shell "gptctl handoff 01:00.0" || fail "handoff failed"
	vm_run_q "sleep 1"
	shell "cat /tmp/monitor.log   # what gptctl monitor printed"
	[ "$(vm_driver 0000:01:00.1)" = vfio-pci ] || fail "01:00.1 is not on vfio-pci"

	say "8. gptctl qemu: the arguments for a q35 guest, audio function included"
	shell "gptctl qemu 01:00.0" || fail "gptctl qemu failed"
	echo "A guest (a nested QEMU in this VM) started with exactly those arguments:"
	shell "mapfile -t args <<<\"\$(gptctl -j qemu 01:00.0 | jq -r '.args[]')\"
qemu-system-x86_64 -nodefaults -no-user-config -display none -machine q35 -m 64 \\
    -monitor unix:/run/vm1.mon,server=on,wait=off -pidfile /run/vm1.pid -daemonize \"\${args[@]}\"" ||
		fail "the nested QEMU refused gptctl qemu's arguments"
	# SeaBIOS numbers the root port's bus after a moment (TCG in TCG)
	vm_run_q "for i in \$(seq 60); do echo 'info pci' | socat -t 5 - UNIX-CONNECT:/run/vm1.mon |
		grep -q 'Bus  1, device   0, function 1:' && exit 0; sleep 1; done; exit 1" ||
		fail "the nested guest does not show the audio function"
	shell "echo 'info pci' | socat - UNIX-CONNECT:/run/vm1.mon | tr -d '\\r' | grep -A2 'Bus  1,'"

	say "9. reclaim while the guest runs: refused at once, naming the holder"
	shell "gptctl reclaim 01:00.0" && fail "reclaim should have been refused"
	shell "kill \$(cat /run/vm1.pid)   # the guest shuts down"
	vm_run_q "p=\$(cat /run/vm1.pid); for i in \$(seq 50); do kill -0 \$p 2>/dev/null || exit 0; sleep 0.1; done; exit 1" ||
		fail "the nested QEMU did not exit"
}
block handoff

# ---------------------------------------------------------------------------
# A card with a 256 GiB BAR: what the host gave it, and the guest MMIO plan.
bars_topo() {
	topo_root_port 3
	topo_ivshmem rp3 big 256G
}
bars_run() {
	say "10. gptctl bars: a 256 GiB BAR, where the kernel put it, the bridge window above"
	shell "gptctl bars 03:00.0" || fail "gptctl bars failed"
	echo "OVMF's default 64-bit window is too small for it; gptctl qemu says so and sizes it:"
	shell "gptctl qemu 03:00.0" || fail "gptctl qemu failed"
}
block bars

# ---------------------------------------------------------------------------
# A bus reset that really resets the device: the e1000e's RAL0 register
# (BAR0 + 0x5400) returns to its power-on value only after a reset.
reset_topo() {
	topo_root_port 4
	topo_e1000e rp4 nic0
}
reset_run() {
	local ral0='busybox devmem $(cat /tmp/ral0) 32' before after

	say "11. gptctl reset: a device that really resets"
	shell "gptctl claim 04:00.0" || fail "claim of the NIC failed"
	shell "setpci -s 04:00.0 COMMAND=0006:0006   # memory decoding on, to reach BAR0"
	shell "printf '0x%x\\n' \$(( \$(head -1 /sys/bus/pci/devices/0000:04:00.0/resource | cut -d' ' -f1) + 0x5400 )) | tee /tmp/ral0   # RAL0 = BAR0 + 0x5400" ||
		fail "cannot find BAR0"
	shell "$ral0   # RAL0 at its power-on value" || fail "cannot read RAL0"
	before=$(vm_run "$ral0")
	shell "busybox devmem \$(cat /tmp/ral0) 32 0x0BADC0DE; $ral0" || fail "cannot write RAL0"
	echo "(--method bus: QEMU's e1000e also offers pm, whose reset reports success and resets nothing)"
	shell "gptctl reset 04:00.0 --method bus" || fail "reset failed"
	shell "$ral0   # RAL0 after the reset" || fail "cannot read RAL0"
	after=$(vm_run "$ral0")
	[ "$after" = "$before" ] || fail "RAL0 is $after after the reset, not its power-on value $before"
	echo "RAL0 is back at its power-on value $before: the device was reset."
}
block reset

# ---------------------------------------------------------------------------
# Reclaim: the GPU group comes back to gpupt, ready for the next VM.
reclaim_run() {
	say "12. gptctl reclaim: the GPU group back from vfio-pci to gpupt"
	shell "gptctl reclaim 01:00.0" || fail "reclaim failed"
	vm_run_q "sleep 1"
	shell "grep reclaim /tmp/monitor.log   # what gptctl monitor printed"
	shell "gptctl list"
	[ "$(vm_driver 0000:01:00.0)" = gpupt ] || fail "01:00.0 is not back on gpupt"
}
block reclaim

# ---------------------------------------------------------------------------
# Single-GPU host: the host's own GPU (02:00.0, bochs-drm with fbcon's
# console on its framebuffer, from the claim block) goes to a VM and comes
# back with its console: desktop -> VM -> desktop.  Uses only the claim
# block's devices and leaves 02:00.0 on bochs-drm with fbcon bound.
single_gpu_run() {
	local vt='for v in /sys/class/vtconsole/vtcon*; do echo "${v##*/}: $(cat $v/name), bind=$(cat $v/bind)"; done'

	say "13. Single-GPU host: the desktop's GPU goes to a VM and comes back"
	echo "02:00.0 carries the host's console (bochs-drm's fb0, fbcon bound):"
	shell "$vt"
	shell "gptctl doctor 02:00.0 | grep -A1 holders"
	say "    A plain handoff --force is refused at once: it names the console, moves nothing"
	shell "gptctl handoff --force 02:00.0" && fail "the handoff should have been refused"
	say "    --release-host unbinds the console (and removes firmware framebuffers) first"
	shell "gptctl handoff --force --release-host --dry-run 02:00.0" || fail "dry run failed"
	shell "gptctl handoff --force --release-host 02:00.0" || fail "handoff --release-host failed"
	shell "$vt"
	say "    The VM opens the GPU (a nested QEMU, paused, lists its PCI devices)"
	printf '%shost#%s %s\n' "$bold" "$norm" \
		"qemu-system-x86_64 -S ... -device vfio-pci,host=02:00.0 -device vfio-pci,host=02:00.1"
	vm_nested_info_pci "-device vfio-pci,host=0000:02:00.0,addr=05.0,multifunction=on -device vfio-pci,host=0000:02:00.1,addr=05.1" |
		grep -A1 -E "Bus +0, device +5," || fail "the nested VM could not open the GPU"
	say "    The VM is gone: back to the desktop, with its console"
	shell "gptctl reclaim 02:00.0 && gptctl release 02:00.0" || fail "release failed"
	shell "$vt; ls -l /dev/fb0"
	[ "$(vm_driver 0000:02:00.0)" = bochs-drm ] || fail "02:00.0 did not go back to bochs-drm"
	vm_run 'for v in /sys/class/vtconsole/vtcon*; do grep -q "frame buffer" $v/name && grep -qx 1 $v/bind && exit 0; done; exit 1' ||
		fail "fbcon is not bound again"
}
block single_gpu

# ---------------------------------------------------------------------------
# The run: build the machine from every block, boot, run every block, then
# the console check.
for f in "$GPUPT_KO" "$RIG_GPTCTL"; do
	[ -e "$f" ] || fail "$f is not built: run make first"
done
for b in "${BLOCKS[@]}"; do
	! declare -F "${b}_topo" >/dev/null || "${b}_topo"
done

say "Booting Debian's kernel in QEMU (TCG, q35, intel-iommu)"
sed -n '/^#   pcie.0/,/^#   └/p' "$0" | sed 's/^# //'
addrs=$(IFS=,; echo "${BOOT_ADDRS[*]}")
echo "The initramfs loads gpupt first, with addrs=$addrs: the first"
echo "GPU and its audio are for VMs, the second stays with the host."
vm_boot --gpupt-initramfs "addrs=$addrs" || fail "boot failed"

for b in "${BLOCKS[@]}"; do
	"${b}_run"
done

if vm_console_check >/dev/null; then
	say "Done: no kernel warning on the guest console (${VM_CONSOLE#"$RIG_TOP"/})."
else
	vm_console_check
	fail "the guest kernel logged a warning"
fi
vm_stop
