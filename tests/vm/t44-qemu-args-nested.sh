#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t44-qemu-args-nested: the QEMU arguments gptctl qemu
# prints for a GPU and its audio function are accepted as printed by a
# nested QEMU, which shows both functions on one root port with the host's
# BAR sizes.  The rig's guest plays the host; the nested QEMU (-S, never
# runs code) is the guest.
#
#   rig guest ("host")                    nested q35 guest (-S)
#   pcie.0                                pcie.0
#   └── 00:01.0 pcie-root-port rp1        └── pcie-root-port gpupt-rp0
#       ├── 01:00.0 VGA 1234:1111   ==>       ├── 00.0 vfio-pci 1234:1111 (multifunction)
#       └── 01:00.1 intel-hda 8086:2668       └── 00.1 vfio-pci 8086:2668
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
h_boot_gpu_slot held

t_check "gptctl handoff $GPU moves GPU and audio to vfio-pci" \
	vm_run "gptctl handoff $GPU >/dev/null && cd -P /sys/bus/pci/devices/$AUD/driver && [ \${PWD##*/} = vfio-pci ]"

# Only the GPU's address is given: the audio function comes along.
t_check "gptctl qemu $GPU" vm_run "gptctl qemu $GPU >/rig/qemu.txt"
TXT=$(cat "$VM_RUN/share/qemu.txt")
ARGS=$(sed '/^#/d; s/ \\$//' <<<"$TXT")

t_check "one root port, function 0 multifunction at 00.0, audio at 00.1 on the same port" eval '
	assert_eq "-device pcie-root-port,id=gpupt-rp0,bus=pcie.0,chassis=64,slot=0
-device vfio-pci,host=$GPU,id=gpupt0,bus=gpupt-rp0,addr=00.0,multifunction=on
-device vfio-pci,host=$AUD,id=gpupt0-1,bus=gpupt-rp0,addr=00.1" "$ARGS" "printed arguments"'
t_check "small BARs: no OVMF knob, and it says why" eval '
	assert_contains "No X-PciMmio64Mb needed" "$TXT" && ! grep -q fw_cfg <<<"$TXT"'

# The nested QEMU gets exactly the printed words.
# The nested QEMU gets exactly the printed words.  Under -S no firmware has
# numbered the root port's secondary bus, so "info pci" (which walks bus
# numbers) cannot see behind it yet: check "info qtree" first, then let
# SeaBIOS enumerate ("cont") and read "info pci".
t_check "a nested qemu -S accepts the printed arguments" \
	vm_nested_start t44 "$(tr "\n" " " <<<"$ARGS")"
QTREE=$(vm_nested_monitor t44 "info qtree")
t_check "stopped (-S): info qtree has both functions on gpupt-rp0" eval '
	assert_contains "pci id 1234:1111" "$QTREE" "info qtree" &&
	assert_contains "pci id 8086:2668" "$QTREE" "info qtree" &&
	assert_match "dev: pcie-root-port, id .gpupt-rp0.*dev: vfio-pci, id .gpupt0-1.*dev: vfio-pci, id .gpupt0\"" "$(tr "\n" " " <<<"$QTREE")" "qtree order"'
vm_nested_monitor t44 "cont" >/dev/null
INFO=
for i in $(seq 1 60); do
	INFO=$(vm_nested_monitor t44 "info pci")
	grep -q "Bus  1, device   0, function 1:" <<<"$INFO" && break
	sleep 1
done

# BAR sizes: host sysfs vs nested "info pci" ("BARn: ... at ADDR [LAST]").
host_sizes() {	# ADDR -> "n:size ..." for BARs 0..5
	local i=0 s e f out=""
	while read -r s e f; do
		[ $i -le 5 ] && [ $((f)) != 0 ] && out+="$i:$((e - s + 1)) "
		i=$((i + 1))
	done < <(vm_run "cat /sys/bus/pci/devices/$1/resource")
	echo "${out% }"
}
nested_sizes() {	# FUNCTION -> "n:size ..." of bus 1 from INFO
	awk -v fn="$1" '
		/^ *Bus / { cur = ($0 ~ ("function " fn ":")) && ($0 ~ /Bus  *1,/) }
		cur && /BAR[0-5]:/ {
			match($0, /BAR[0-5]/); n = substr($0, RSTART + 3, 1)
			match($0, /at 0x[0-9a-f]+/); a = substr($0, RSTART + 3, RLENGTH - 3)
			match($0, /\[0x[0-9a-f]+\]/); l = substr($0, RSTART + 1, RLENGTH - 2)
			print n, a, l
		}' <<<"$INFO" | while read -r n a l; do printf '%s:%s ' "$n" $((l - a + 1)); done
}
t_check "running: info pci shows the GPU (1234:1111) and its audio (8086:2668) at 01:00.0/.1" eval '
	assert_contains "Bus  1, device   0, function 0:" "$INFO" "info pci" &&
	assert_contains "PCI device 1234:1111" "$INFO" "info pci" &&
	assert_contains "Bus  1, device   0, function 1:" "$INFO" "info pci" &&
	assert_contains "PCI device 8086:2668" "$INFO" "info pci"'
t_check "GPU BAR sizes equal the host's" eval \
	'w=$(host_sizes $GPU); g=$(nested_sizes 0); assert_eq "$w" "${g% }" "BAR sizes of $GPU (n:bytes)"'
t_check "audio BAR sizes equal the host's" eval \
	'w=$(host_sizes $AUD); g=$(nested_sizes 1); assert_eq "$w" "${g% }" "BAR sizes of $AUD (n:bytes)"'
vm_nested_stop t44 >/dev/null

t_check "gptctl -j qemu: the same arguments as a JSON array" eval '
	assert_eq "$(tr "\n" " " <<<"$ARGS" | sed "s/ $//")" \
		"$(vm_run "gptctl -j qemu $GPU $AUD" | jq -r ".args | join(\" \")")" "JSON args"'
t_check "--romfile, --x-vga, --hide-kvm" eval '
	out=$(vm_run "gptctl qemu $GPU --romfile /usr/share/qemu/vgabios-stdvga.bin --x-vga --hide-kvm") &&
	assert_contains "addr=00.0,multifunction=on,x-vga=on,romfile=/usr/share/qemu/vgabios-stdvga.bin" "$out" &&
	assert_contains "-vga none" "$out" &&
	assert_contains "-cpu host,kvm=off,hv_vendor_id=gpupt" "$out"'
t_done
