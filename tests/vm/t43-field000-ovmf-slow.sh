#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t43-field000-ovmf-slow (make check-slow and make bench):
# a 256 GiB BAR under OVMF, end to end.  A GPU with a 256 GiB BAR2 is handed to
# vfio-pci, gptctl qemu prints the arguments, and a nested q35 guest booted
# with OVMF and exactly those arguments sees BAR2 assigned; the same guest
# without the printed -fw_cfg argument sees BAR2 unassigned (OVMF's window
# is too small and it drops the largest BAR), which is what the field saw.
#
#   rig guest ("host"), SeaBIOS              nested guest: OVMF + tiny initramfs
#   pcie.0                                   pcie.0
#   └── 00:01.0 pcie-root-port rp1           └── pcie-root-port gpupt-rp0
#       └── 01:00.0 ivshmem-plain   ==vfio==>    └── 00.0 vfio-pci 1af4:1110
#           BAR2 256 GiB 64-bit pref                  BAR2: assigned or not?
#
# Two nested OVMF boots under TCG-in-TCG: a few minutes.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
OVMF=${RIG_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
[ -r "$OVMF" ] || { echo "1..0 # SKIP no OVMF"; exit 0; }

GPU=0000:01:00.0
topo_root_port 1
topo_ivshmem rp1 big 256G
vm_boot --mem 1536M --gpupt-initramfs "addrs=$GPU"

# The nested guest's initramfs: busybox, prints BAR2 of the 1af4:1110
# function from sysfs and the kernel's view of it, then powers off.  Built on
# the host; the rig guest reads it over 9p at the same path.
TINY=$RIG_CACHE/t43-tiny-$RIG_KVER.cpio.gz
build_tiny() {
	local d bb
	bb=$(rig_busybox) || return 1
	d=$(mktemp -d "$RIG_CACHE/t43.XXXXXX")
	mkdir -p "$d/bin" "$d/proc" "$d/sys"
	cp "$bb" "$d/bin/busybox"
	cat >"$d/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for f in /sys/bus/pci/devices/*; do
	[ "$(cat $f/vendor):$(cat $f/device)" = 0x1af4:0x1110 ] || continue
	echo "T43-BAR2 ${f##*/} $(sed -n 3p $f/resource)"
done
dmesg | grep -E 'root bus resource \[mem|1af4|BAR 2' | sed 's/^/T43-DMESG /'
echo T43-DONE
poweroff -f
EOF
	chmod 0755 "$d/init"
	(cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) >"$TINY.tmp" && mv "$TINY.tmp" "$TINY"
	rm -rf "$d"
}
t_check "tiny initramfs for the nested guest" build_tiny

t_check "gptctl handoff $GPU (to vfio-pci)" \
	vm_run "gptctl handoff $GPU >/dev/null && cd -P /sys/bus/pci/devices/$GPU/driver && [ \${PWD##*/} = vfio-pci ]"
t_check "gptctl qemu $GPU" vm_run "gptctl qemu $GPU >/rig/qemu.txt"
TXT=$(cat "$VM_RUN/share/qemu.txt")
ARGS=$(sed '/^#/d; s/ \\$//' <<<"$TXT" | tr '\n' ' ')
KNOB="-fw_cfg name=opt/ovmf/X-PciMmio64Mb,string=524288"
t_check "the printed arguments carry the knob, 524288 (field report 000's value)" \
	assert_contains "$KNOB" "$ARGS" "gptctl qemu arguments"
t_check "and say why" assert_contains "OVMF's classic 64-bit MMIO window is 32 GiB" "$TXT" "comments"

# nested ARGS... -> the T43 lines of the nested guest's console
nested() {
	VM_TIMEOUT=1800 vm_run "timeout 1700 qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-accel tcg -machine q35 -m 256 -no-reboot -serial stdio \
		-drive if=pflash,format=raw,readonly=on,file=$OVMF \
		-kernel $RIG_VMLINUZ -initrd $TINY \
		-append 'console=ttyS0 no_timer_check loglevel=4 panic=-1' $*" | tr -d '\r' | grep '^T43-'
}
bar2_assigned() {	# T43 output -> 0 if BAR2 has a non-zero start and 256 GiB
	local s e
	read -r _ _ s e _ < <(grep '^T43-BAR2 ' <<<"$1")
	[ -n "${s:-}" ] && [ $((s)) != 0 ] && [ $((e - s + 1)) = $((256 << 30)) ]
}

t0=$SECONDS
OUT=$(nested "$ARGS")
echo "# nested OVMF boot with the printed arguments: $((SECONDS - t0)) s"
t_check "nested guest, printed arguments: BAR2 is assigned (256 GiB)" eval \
	'bar2_assigned "$OUT" || { echo "#   nested console:"; sed "s/^/#     /" <<<"$OUT"; false; }'

t0=$SECONDS
OUT=$(nested "${ARGS/"$KNOB"/}")
echo "# nested OVMF boot without the knob: $((SECONDS - t0)) s"
t_check "nested guest, -fw_cfg removed: BAR2 is unassigned, as in the field" eval '
	grep -q "^T43-BAR2 " <<<"$OUT" && ! bar2_assigned "$OUT" ||
	{ echo "#   nested console:"; sed "s/^/#     /" <<<"$OUT"; false; }'
t_done
