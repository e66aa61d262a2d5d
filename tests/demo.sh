#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boots the rig's VM as a hypervisor host with two identical GPUs
# (GPU + HDMI audio each) and walks through what gpupt does: the boot claim
# from the initramfs, gptctl list, a refused claim, claim --force and
# unclaim.  Every command is printed before its output, as a user would
# type it on the host.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port ── 01:00.0 VGA 1234:1111   01:00.1 intel-hda   "GPU for VMs"
#   └── 00:02.0 pcie-root-port ── 02:00.0 VGA 1234:1111   02:00.1 intel-hda   "GPU for the host"
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

for f in "$GPUPT_KO" "$RIG_GPTCTL"; do
	[ -e "$f" ] || fail "$f is not built: run make first"
done

topo_root_port 1
topo_gpu_slot rp1 gpu0
topo_root_port 2
topo_gpu_slot rp2 gpu1

say "Booting Debian's kernel in QEMU (TCG, q35, intel-iommu): two identical GPUs"
sed -n '/^#   pcie.0/,/^#   └/p' "$0" | sed 's/^# //'
echo "The initramfs loads gpupt first, with addrs=01:00.0,01:00.1: the first"
echo "GPU and its audio are for VMs, the second stays with the host."
vm_boot --gpupt-initramfs "addrs=01:00.0,01:00.1" || fail "boot failed"

say "1. Boot claim: gpupt took its devices before any driver could"
shell "dmesg | grep -E 'gpupt|rig-init'"
shell "modprobe -a bochs snd-hda-intel   # the host's GPU and audio drivers"
shell "lspci -k -s 01:00; lspci -k -s 02:00"
[ "$(vm_driver 0000:01:00.0)" = gpupt ] || fail "01:00.0 is not held by gpupt"

say "2. gptctl list: every GPU, who holds it, its IOMMU group and reset methods"
shell "gptctl list"
shell "gptctl -j show 01:00.0"

say "3. Claiming the host's GPU: refused while bochs-drm drives it"
shell "gptctl claim 02:00.0" && fail "the claim should have been refused"
say "   ... unless --force is given"
shell "gptctl claim --force 02:00.0" || fail "claim --force failed"
shell "gptctl list -s 02:00.0"

say "4. unclaim: the host driver gets the GPU back"
shell "gptctl unclaim 02:00.0" || fail "unclaim failed"
shell "gptctl list"
[ "$(vm_driver 0000:02:00.0)" = bochs-drm ] || fail "02:00.0 did not go back to bochs-drm"

if vm_console_check >/dev/null; then
	say "Done: no kernel warning on the guest console (${VM_CONSOLE#"$RIG_TOP"/})."
else
	vm_console_check
	fail "the guest kernel logged a warning"
fi
vm_stop
