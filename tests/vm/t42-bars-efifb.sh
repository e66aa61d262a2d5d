#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t42-bars-efifb: with OVMF as the firmware, the boot VGA's
# BAR0 holds the firmware framebuffer (OVMF's GOP, handed to efifb by the
# kernel's EFI stub).  gptctl bars reports BAR0 reserved by efifb (or by
# sysfb's BOOTFB on kernels that use simpledrm) and names the boot option
# that frees it; booted with that option, the reservation and the finding
# are gone.
#
#   OVMF (pflash)
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1
#       └── 01:00.0 VGA 1234:1111  BAR0 16 MiB pref = GOP framebuffer
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
[ -r "${RIG_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}" ] || { echo "1..0 # SKIP no OVMF"; exit 0; }

topo_root_port 1
topo_vga rp1 vga0
vm_boot --ovmf --append "no_timer_check"

bars() {	# -> $S/bars.json, $S/bars.txt
	vm_run 'modprobe gpupt && gptctl -j bars 01:00.0 >/rig/bars.json && gptctl bars 01:00.0 >/rig/bars.txt'
}
S=$VM_RUN/share

# Which firmware-framebuffer driver holds it depends on the kernel's
# config: Debian's 6.1 registers an efi-framebuffer for efifb; kernels with
# CONFIG_SYSFB_SIMPLEFB (defconfig, hence the debug kernel; newer distros)
# register sysfb's "BOOTFB" simple-framebuffer, taken by simpledrm or
# simplefb.  Each has its own remedy, and gptctl must name the right one.
FB=$(vm_run "grep -o -m1 -E 'efifb|BOOTFB' /proc/iomem")
case $FB in
efifb) OPT=video=efifb:off ;;
BOOTFB) OPT=initcall_blacklist=sysfb_init ;;
*) OPT= ;;
esac
t_check "a firmware framebuffer holds the OVMF framebuffer (efifb or sysfb's BOOTFB): '$FB'" \
	eval '[ -n "$OPT" ] || { vm_run "cat /proc/iomem"; false; }'
t_check "gptctl bars 01:00.0" bars
t_check "BAR0 is reported reserved by $FB" eval \
	'assert_match "^$FB(,|$)" "$(jq -r ".[0].bars[] | select(.index == 0) | .reserved_by | join(\",\")" "$S/bars.json")" "BAR0 reserved_by"'
t_check "the finding names the boot option: $OPT" eval \
	'assert_eq "0 boot with $OPT" "$(jq -r "[.[0].findings[] | \"\(.bar) \(.remedy)\"] | unique | .[]" "$S/bars.json")" findings'
t_check "the text output says it next to the BAR" eval \
	'assert_match "! BAR 0 is reserved by $FB \(firmware framebuffer\): boot with $OPT" "$(cat "$S/bars.txt")"'

# The remedy works: boot again with it.
vm_boot --ovmf --append "no_timer_check $OPT"
S=$VM_RUN/share
t_check "booted with $OPT: gptctl bars 01:00.0" bars
t_check "BAR0 is no longer reserved" eval \
	'assert_eq "" "$(jq -r ".[0].bars[] | select(.index == 0) | .reserved_by | join(\",\")" "$S/bars.json")" "BAR0 reserved_by"'
t_check "and there is nothing to fix" eval \
	'assert_eq 0 "$(jq -r ".[0].findings | length" "$S/bars.json")" findings'
t_done
