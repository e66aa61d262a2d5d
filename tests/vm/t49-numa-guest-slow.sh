#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t49-numa-guest-slow: the nested guest that gptctl qemu --numa describes
# really boots, and inside it each passed-through function's numa_node is
# the guest node gptctl chose for it, the node that belongs to its host
# node.  (t49 checks the arguments with a nested QEMU that never runs; this
# one boots Debian's kernel in it, TCG inside TCG: 20 minutes on a loaded
# 2-core host, which is why make check-slow allows a script an hour.)
#
#   rig guest (host): node 0 = CPU 0, node 1 = CPU 1, a GPU behind a pxb per node
#   pcie.0
#   ├── pxb-pcie bus_nr=0x20 numa_node=0 ── rp1 ── 21:00.0 VGA + 21:00.1 hda
#   └── pxb-pcie bus_nr=0x40 numa_node=1 ── rp2 ── 41:00.0 VGA + 41:00.1 hda
#
#   nested guest (gptctl qemu --numa --vcpus 2 --memory 256M 21:00.0 41:00.0,
#   booted with -kernel and a busybox initramfs that prints every PCI
#   function's numa_node on the serial console):
#   pcie.0
#   ├── pxb-pcie bus_nr=0x80 numa_node=0 ── rp0 ── 81:00.0 (host 21:00.0) + .1
#   └── pxb-pcie bus_nr=0x90 numa_node=1 ── rp1 ── 91:00.0 (host 41:00.0) + .1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
BB=$(command -v busybox || echo /bin/busybox)
[ -x "$BB" ] || { echo "1..0 # SKIP busybox missing (apt-get install busybox-static)"; exit 0; }
boot_numa

# The nested guest's initramfs: busybox and an init that reports and powers off.
INITRD=$VM_RUN/share/nested
mkdir -p "$INITRD/bin"
cp "$BB" "$INITRD/bin/busybox"
cat >"$INITRD/init" <<'EOI'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for d in /sys/bus/pci/devices/*; do
	echo "NESTED ${d##*/} $(cat $d/vendor):$(cat $d/device) node $(cat $d/numa_node)"
done
echo "NESTED nodes $(ls -d /sys/devices/system/node/node* | wc -l)"
echo NESTED-DONE
poweroff -f
EOI
chmod +x "$INITRD/init"
(cd "$INITRD" && find . | cpio -o -H newc 2>/dev/null | gzip) >"$VM_RUN/share/nested.cpio.gz"
KIMG=$(vm_run 'ls /boot/vmlinuz-$(uname -r)')

t_check "GPUs on host nodes 0 and 1; gptctl qemu --numa for both" eval '
	assert_eq "0000:21:00.0 0 0000:41:00.0 1" "$(vm_run "for a in 0000:21:00.0 0000:41:00.0; do echo \$a \$(cat /sys/bus/pci/devices/\$a/numa_node); done" | tr "\n" " " | sed "s/ $//")" &&
	vm_run_q "gptctl handoff 21:00.0 41:00.0 && gptctl -j qemu --numa --vcpus 2 --memory 256M 21:00.0 41:00.0 >/rig/numa.json"'
ARGS=$(jq -r ".args | map(@sh) | join(\" \")" "$VM_RUN/share/numa.json")
t0=$(rig_now)
t_check "the nested guest boots with those arguments and reports (TCG in TCG)" eval '
	VM_TIMEOUT=3300 vm_run "timeout 3200 qemu-system-x86_64 -nodefaults -no-user-config -display none -accel tcg -machine q35 \
		$ARGS -kernel $KIMG -initrd /rig/nested.cpio.gz -append \"console=ttyS0 panic=-1 quiet\" \
		-serial file:/rig/nested.console -no-reboot" >/dev/null;
	grep -q NESTED-DONE "$VM_RUN/share/nested.console"'
echo "# nested boot: $(( ($(rig_now) - t0) / 1000000 )) s"
CON=$(tr -d '\r' <"$VM_RUN/share/nested.console" | grep "^NESTED")
echo "$CON" | sed 's/^/# /'
t_check "the nested guest has two NUMA nodes" eval 'assert_contains "NESTED nodes 2" "$CON"'
t_check "host node 0's GPU and audio are on guest node 0, host node 1's on guest node 1" eval '
	assert_contains "NESTED 0000:81:00.0 0x1234:0x1111 node 0" "$CON" &&
	assert_contains "NESTED 0000:81:00.1 0x8086:0x2668 node 0" "$CON" &&
	assert_contains "NESTED 0000:91:00.0 0x1234:0x1111 node 1" "$CON" &&
	assert_contains "NESTED 0000:91:00.1 0x8086:0x2668 node 1" "$CON"'
t_done
