#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t76-valgrind: gptctl under valgrind
# (memcheck, --leak-check=full) for list, bars, qemu, libvirt, doctor and
# rom check (plus rom dump, to have the GPU's own ROM to check) finds 0
# errors and 0 bytes definitely lost.  They run in the guest, against the
# real module and real sysfs, text and JSON.  (The parsers of outside
# input have their libFuzzer harnesses in tests/fuzz, run by make check.)
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 (multifunction)   held (addrs=)
#   │       01:00.1 intel-hda 8086:2668             held (addrs=)
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 edu 1234:11e8                   on vfio-pci (handed off)
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind is not installed (make deps)"; exit 0; }

GPU=0000:01:00.0 EDU=0000:02:00.0
topo_root_port 1
topo_gpu_slot rp1 gpu0
topo_root_port 2
topo_edu rp2 edu2
vm_boot --gpupt-initramfs "addrs=$GPU,0000:01:00.1"
t_check "setup: edu handed off to vfio-pci, the VGA's ROM dumped" eval '
	vm_run_q "modprobe vfio-pci && gptctl claim $EDU && gptctl handoff $EDU" && vm_driver_is $EDU vfio-pci'

VG="valgrind -q --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99 --track-origins=yes"
# memcheck CMD...: gptctl CMD under valgrind exits as it does without
# valgrind (0, or 1 for doctor/rom check findings; 99 = valgrind errors)
# and valgrind reports nothing.
memcheck() {
	local out rc rc0 log
	rc0=$(vm_run "gptctl $* >/dev/null 2>&1; echo \$?")
	out=$(VM_TIMEOUT=300 vm_run "$VG --log-file=/tmp/vg.log gptctl $* >/tmp/vg.out 2>/tmp/vg.err; echo \$?")
	rc=${out##*$'\n'}
	log=$(vm_run "cat /tmp/vg.log")
	if [ -n "$log" ]; then
		echo "# valgrind says:"; printf '%s\n' "$log" | head -40 | sed 's/^/#   /'
	fi
	if [ "$rc" != "$rc0" ] || [ "$rc" -gt 1 ]; then
		echo "# gptctl $* exited $rc under valgrind, $rc0 without (99 = valgrind errors)"
		vm_run "head -5 /tmp/vg.err" | sed 's/^/#   stderr: /'
		return 1
	fi
	[ -z "$log" ]
}
# summary CMD...: the same run without -q, for the figures.
summary() {
	vm_run "valgrind --leak-check=full gptctl $* 2>&1 >/dev/null | grep -E 'ERROR SUMMARY|definitely lost|in use at exit|All heap blocks' | sed 's/^==[0-9]*== //'"
}

vm_run_q "gptctl rom dump $GPU -o /tmp/gpu.rom"
for c in "list" "-j list" "show $GPU" "bars $GPU" "-j bars $GPU" "bars $EDU" \
	 "qemu $GPU" "-j qemu $GPU" "libvirt $GPU" "doctor" "-j doctor" \
	 "rom check /tmp/gpu.rom" "rom check /usr/share/seabios/vgabios-stdvga.bin" \
	 "rom dump $GPU -o /tmp/gpu2.rom"; do
	t_check "valgrind gptctl $c: 0 errors, 0 bytes definitely lost" memcheck "$c"
done
echo "# gptctl list:  $(summary list | tr '\n' ' ')"
echo "# gptctl doctor: $(summary doctor | tr '\n' ' ')"
t_done
