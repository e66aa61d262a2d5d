#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t40-release-host-efifb-slow: a firmware framebuffer inside the BAR of a
# display controller that is not a VGA controller (class 0x0380, which
# upstream vfio-pci leaves alone: it removes firmware framebuffers only for
# 0x0300).  Under OVMF, QEMU's secondary-vga carries the GOP framebuffer;
# the kernel hands it to efifb (or sysfb's BOOTFB) and fbcon draws on it.
# gptctl bars names it; a plain handoff is refused naming it and the
# console; handoff --release-host unbinds the console, the kernel removes
# the framebuffer from the BAR, vfio-pci takes the function and a nested
# QEMU opens it; /proc/iomem no longer shows it inside the BAR.  Then
# release: bochs-drm binds, fbcon is bound again.
#
#   OVMF (pflash)
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1
#       └── 01:00.0 secondary-vga 1234:1111, class 0380 (gpupt from boot)
#                   BAR0 16 MiB = GOP framebuffer -> efifb/BOOTFB -> fbcon
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
[ -r "${RIG_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}" ] || { echo "1..0 # SKIP no OVMF"; exit 0; }

GPU=0000:01:00.0
topo_root_port 1
VM_DEVS+=(-device "secondary-vga,id=sv0,bus=rp1,addr=00.0")
vm_boot --ovmf --gpupt-initramfs "ids=1234:1111"

# fbcon's vtcon: "vtconN BIND"
fbcon() {
	vm_run 'for v in /sys/class/vtconsole/vtcon*; do
		grep -q "frame buffer" $v/name && echo "${v##*/} $(cat $v/bind)"; done'
}
# The firmware framebuffer resources inside BAR0, from /proc/iomem.
fb_in_bar() {
	vm_run "read s e f </sys/bus/pci/devices/$GPU/resource; s=\$((s)) e=\$((e))
		while IFS= read -r l; do
			l=\${l#\"\${l%%[! ]*}\"}; r=\${l%% : *} n=\${l#* : }
			case \$n in efifb*|vesafb*|BOOTFB*|simple-framebuffer*|simpledrm*|simplefb*) ;; *) continue ;; esac
			a=\$((16#\${r%-*})) b=\$((16#\${r#*-}))
			[ \$a -ge \$s ] && [ \$b -le \$e ] && echo \"\$n\"
		done </proc/iomem; true"
}

t_check "gpupt holds the 0x0380 display controller" eval '
	vm_driver_is $GPU gpupt && assert_eq 0x038000 "$(vm_run "cat /sys/bus/pci/devices/$GPU/class")" class'
FB=$(fb_in_bar | head -n1)
t_check "a firmware framebuffer lies in its BAR0: '$FB'" eval '[ -n "$FB" ] || { vm_run "cat /proc/iomem" | sed "s/^/# /"; false; }'
t_check "fbcon draws on it (vtcon bound)" eval 'assert_match "^vtcon[0-9]+ 1$" "$(fbcon)" fbcon'
t_check "gptctl bars names it in BAR0" eval '
	vm_run "gptctl -j bars $GPU" >/dev/null &&
	assert_contains "$FB" "$(jq -r ".[0].bars[] | select(.index == 0) | .reserved_by | join(\",\")" "$VM_LAST_OUT")" reserved_by'
STATE=$(vm_pci_state)

h_gptctl handoff $GPU
t_check "a plain handoff is refused, naming the firmware framebuffer and the console" eval '
	assert_eq 1 "$H_RC" "exit status" &&
	assert_match "$GPU is in use: firmware framebuffer $FB \[mem 0x[0-9a-f]+-0x[0-9a-f]+\] lies in BAR 0; remedy: gptctl handoff --release-host $GPU, or boot with " "$H_ERR" stderr &&
	assert_contains "$GPU is in use: the console vtcon" "$H_ERR" stderr &&
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'
h_gptctl -j handoff --release-host --dry-run $GPU
t_check "--dry-run: the plan is unbind the console, remove $FB, move to vfio-pci" eval '
	assert_eq 0 "$H_RC" "exit status: $H_ERR" &&
	assert_eq "unbind_console remove_firmware_framebuffer" "$(jq -r "[.[0].release_host[].action] | join(\" \")" <<<"$H_OUT")" plan &&
	assert_eq "gpupt vfio-pci" "$(jq -r ".[0].devices[0] | \"\(.from) \(.to)\"" <<<"$H_OUT")" move &&
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state" && [ -n "$(fb_in_bar)" ]'
h_gptctl handoff --release-host $GPU
t_check "handoff --release-host succeeds: vfio-pci" eval '
	assert_eq 0 "$H_RC" "exit status: $H_ERR" && vm_driver_is $GPU vfio-pci'
t_check "gpupt removed the framebuffer (its own kernel message)" eval '
	assert_match "gpupt $GPU: removed the firmware framebuffer $FB from BAR 0" "$(vm_run dmesg)" dmesg'
t_check "/proc/iomem no longer shows it inside the BAR" eval 'assert_eq "" "$(fb_in_bar)" "firmware framebuffers in BAR0"'
t_check "the console is unbound" eval 'b=$(fbcon | cut -d" " -f2); [ "${b:-0}" = 0 ]'
t_check "a nested QEMU opens it, and vfio-pci reserved every BAR" eval '
	out=$(vm_nested_info_pci "-device vfio-pci,host=$GPU,addr=05.0") &&
	assert_contains "1234:1111" "$out" "nested info pci" &&
	! vm_run "dmesg | grep -i \"can.t reserve\""'

t_check "reclaim, then release: bochs-drm binds" eval '
	vm_run "modprobe bochs" && h_gptctl reclaim $GPU >/dev/null &&
	h_gptctl release $GPU && vm_driver_is $GPU bochs-drm'
t_check "release gives the console back: /dev/fb0, fbcon bound" eval '
	assert_match "console: vtcon[0-9]+ bound to $GPU" "$H_OUT" stdout &&
	vm_run "[ -c /dev/fb0 ]" && assert_match "^vtcon[0-9]+ 1$" "$(fbcon)" fbcon'
t_done
