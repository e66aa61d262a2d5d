#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t65-cmdline-words: every word `gptctl cmdline` emits is one the kernel
# takes, chosen by the IOMMU the firmware describes, not by the CPU.
#
#   pcie.0           (1) intel-iommu: ACPI DMAR     (2)(3) amd-iommu: ACPI IVRS
#   └── 00:01.0 pcie-root-port rp1
#       └── 01:00.0 VGA 1234:1111 "gpu0"     gpupt.ids= holds it
#   guest CPU: -cpu max,vendor=AuthenticAMD in every boot
#
# (1) Intel VT-d under a CPU that says AuthenticAMD (the field report: the
#     vendor string gave amd_iommu=on): the rig boots with exactly the words
#     gptctl prints for it (no rig IOMMU word), gptctl prints those same
#     words, intel_iommu=on among them; the kernel logs no unknown option or
#     parameter for any of them, the IOMMU is on, gpupt took gpupt.ids=, and
#     --why gives each word's reason, source and "already".
# (2) AMD-Vi (QEMU's amd-iommu on q35, intremap=on): the same, and the words
#     hold no amd_iommu= at all.
# (3) AMD-Vi booted as the guides say (amd_iommu=on) plus a mistyped gpupt
#     word and an unknown vfio_pci parameter: doctor warns about each, quoting
#     the kernel's log line, with the remedy; the accepted words are not named,
#     among them doctor's own framebuffer remedies (video=efifb:off, and
#     initcall_blacklist=sysfb_init, whose initcall is in kallsyms).
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

IDS=1234:1111
W_INTEL="intel_iommu=on iommu=pt gpupt.ids=$IDS"
W_AMD="iommu=pt gpupt.ids=$IDS"
REJECT_RE='Unknown option|Unknown kernel command line parameters|unknown parameter|Malformed early option|is obsolete, ignored'
topo_root_port 1
topo_vga rp1 gpu0
AMD_CPU=(-cpu max,vendor=AuthenticAMD)

# doctor's initramfs check lists the host's /boot/initrd.img, which takes
# many seconds under TCG and has nothing to do with this test: hide it in
# the guest's overlay (the host's file is untouched).
doctor() {
	local t0=$(rig_now) out
	out=$(vm_run 'rm -f /boot/initrd.img-$(uname -r); gptctl '"$*")
	echo "# gptctl $* took $(( ($(rig_now) - t0) / 1000 )) ms" >&2
	printf '%s\n' "$out"
}

# words_check NAME WORDS: the checks of (1) and (2) in the booted guest.
words_check() {
	local name=$1 words=$2 out
	t_check "$name: the guest CPU says AuthenticAMD" \
		eval 'assert_match "AuthenticAMD" "$(vm_run "grep -m1 vendor_id /proc/cpuinfo")"'
	t_check "$name: booted with exactly the words gptctl cmdline prints for this host" \
		eval 'assert_eq "$words" "$(vm_run "gptctl cmdline --ids $IDS")" "gptctl cmdline"'
	t_check "$name: no amd_iommu= word" \
		eval '! vm_run "gptctl cmdline --ids $IDS" | grep -q amd_iommu'
	t_check "$name: the kernel rejected none of them (no unknown option/parameter in dmesg)" \
		eval 'out=$(vm_run "dmesg | grep -E \"$REJECT_RE\""); [ -z "$out" ] || { echo "$out"; false; }'
	t_check "$name: the IOMMU is on (IOMMU groups exist)" \
		vm_run '[ -n "$(ls /sys/kernel/iommu_groups)" ]'
	t_check "$name: modprobe gpupt takes gpupt.ids= from the command line and holds 01:00.0" \
		eval 'vm_run "modprobe gpupt" && vm_driver_is 0000:01:00.0 gpupt'
	t_check "$name: doctor: the kernel accepted every word (cmdline PASS), iommu PASS" \
		eval 'out=$(doctor doctor); grep -Eq "^PASS +cmdline +the kernel accepted every word" <<<"$out" && grep -Eq "^PASS +iommu " <<<"$out" || { echo "$out"; false; }'
}

# ---- (1) Intel VT-d, AMD CPU ----
vm_boot --iommu intel --iommu-words "" --append "$W_INTEL" -- "${AMD_CPU[@]}"
t_check "intel: the firmware has a DMAR table and no IVRS" \
	vm_run '[ -e /sys/firmware/acpi/tables/DMAR ] && [ ! -e /sys/firmware/acpi/tables/IVRS ]'
words_check intel "$W_INTEL"
WHY=$(vm_run "gptctl -j cmdline --ids $IDS --why")
t_check "intel: --why JSON: firmware_iommu intel, each word with reason, source and already" \
	eval 'jq -e ".firmware_iommu == \"intel\" and ([.words[].word] | join(\" \")) == \"$W_INTEL\" and
		all(.words[]; (.reason | length) > 40 and (.source | length) > 20 and has(\"already\") and (.already_detail | length) > 5)" <<<"$WHY" >/dev/null || { echo "$WHY"; false; }'
t_check "intel: intel_iommu=on cites its parser; already: the kernel's build default (/boot/config)" \
	eval 'jq -e ".words[0] | (.source | test(\"intel_iommu_setup\")) and (.reason | test(\"DMAR\")) and (.already != null)" <<<"$WHY" >/dev/null || { echo "$WHY"; false; }'
t_check "intel: iommu=pt says why, and that without it host devices are translated (already false)" \
	eval 'jq -e ".words[1] | .word == \"iommu=pt\" and (.reason | test(\"identity\")) and .already == false" <<<"$WHY" >/dev/null || { echo "$WHY"; false; }'
t_check "intel: gpupt.ids= already true: gpupt is loaded with these ids" \
	eval 'jq -e ".words[2].already == true" <<<"$WHY" >/dev/null || { echo "$WHY"; false; }'

# ---- (2) AMD-Vi ----
vm_boot --iommu amd --iommu-words "" --append "$W_AMD" -- "${AMD_CPU[@]}"
t_check "amd: the firmware has an IVRS table and no DMAR" \
	vm_run '[ -e /sys/firmware/acpi/tables/IVRS ] && [ ! -e /sys/firmware/acpi/tables/DMAR ]'
words_check amd "$W_AMD"
t_check "amd: the kernel enabled AMD-Vi by itself" \
	eval 'vm_run "dmesg | grep -q \"AMD-Vi: Interrupt remapping enabled\""'
WHY=$(vm_run "gptctl cmdline --ids $IDS --why")
t_check "amd: --why says why amd_iommu=on is not written, with the parser" \
	eval 'grep -q "^not written: amd_iommu=on" <<<"$WHY" && grep -q "parse_amd_iommu_options" <<<"$WHY" || { echo "$WHY"; false; }'

# ---- (3) AMD-Vi with the guides' words ----
vm_boot --iommu amd --iommu-words "" \
	--append "amd_iommu=on iommu=pt gpupt_ids=$IDS vfio_pci.disable_idle_d3=1 vfio_pci.bogus=1 video=efifb:off initcall_blacklist=sysfb_init" \
	-- "${AMD_CPU[@]}"
vm_run_q 'modprobe vfio-pci'
DOCTOR=$(doctor doctor)
t_check "doctor: WARN amd_iommu=on, quoting the kernel's AMD-Vi: Unknown option line" \
	eval 'grep -Eq "^WARN +cmdline +the kernel rejected amd_iommu=on: \"AMD-Vi: Unknown option - .on.\"" <<<"$DOCTOR" || { echo "$DOCTOR"; false; }'
t_check "... remedy: remove it, the kernel enables AMD-Vi from the IVRS table" \
	eval 'grep -A1 -E "^WARN +cmdline +the kernel rejected amd_iommu=on" <<<"$DOCTOR" | grep -q "remedy: remove amd_iommu=on: amd_iommu= has no \"on\" option.*IVRS" || { echo "$DOCTOR"; false; }'
t_check "doctor: WARN gpupt_ids= (handed to user space), remedy gpupt.ids=" \
	eval 'grep -A1 -E "^WARN +cmdline +the kernel rejected gpupt_ids=$IDS: \"Unknown kernel command line parameters" <<<"$DOCTOR" | grep -q "did you mean gpupt.ids=$IDS?" || { echo "$DOCTOR"; false; }'
t_check "doctor: WARN vfio_pci.bogus=1 (refused when vfio-pci loaded), remedy modinfo -p" \
	eval 'grep -A1 -E "^WARN +cmdline +the kernel rejected vfio_pci.bogus=1: \"vfio_pci: unknown parameter .bogus. ignored\"" <<<"$DOCTOR" | grep -q "modinfo -p vfio_pci" || { echo "$DOCTOR"; false; }'
t_check "doctor: the accepted words (iommu=pt, vfio_pci.disable_idle_d3=1, video=efifb:off, initcall_blacklist=sysfb_init) are not named" \
	eval '! grep -E "^WARN +cmdline" <<<"$DOCTOR" | grep -Eq "iommu=pt|disable_idle_d3|video=|initcall_blacklist"'
t_check "doctor's remedy initcall_blacklist=sysfb_init names an initcall this kernel has" \
	vm_run 'grep -qw sysfb_init /proc/kallsyms'
t_check "doctor -j: the same three, each with a remedy" \
	eval 'doctor -j doctor | jq -e "[.[] | select(.check == \"cmdline\" and .status == \"WARN\" and (.remedy | length) > 10)] | length == 3" >/dev/null'
t_done
