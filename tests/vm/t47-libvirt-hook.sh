#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t47-libvirt-hook: gpupt's libvirt hook against a real libvirtd (Debian's,
# started in the rig's guest without systemd).  The domain is defined from
# `gptctl libvirt` output (<hostdev managed='no'>) and started paused (QEMU
# -S: the nested guest never runs code, its QEMU opens the devices).
#
#   rig guest ("host", libvirtd)             nested q35 domain "gpupt-t47"
#   pcie.0                                   pcie.0
#   └── 00:01.0 pcie-root-port rp1           └── pcie-root-port (index 0x10)
#       ├── 01:00.0 VGA 1234:1111    ==>         ├── 00.0 vfio-pci 1234:1111
#       └── 01:00.1 intel-hda 8086:2668          └── 00.1 vfio-pci 8086:2668
#
# In the order an admin meets it: install the hook, virsh start (the hook
# hands GPU+audio to vfio-pci, QEMU has both), virsh destroy (back on
# gpupt), a second start, then a start while another QEMU holds the GPU:
# refused, and libvirt's error carries gpupt's reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
. "$(dirname "$0")/libvirt-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
lv_require

GPU=0000:01:00.0 AUD=0000:01:00.1
DOM=gpupt-t47 UUID=4a1e0d2c-5b7f-4e43-9c1a-0d0c2f6e7a47
topo_root_port 1
topo_gpu_slot rp1 gpu0
vm_boot --mem 1536M --gpupt-initramfs "addrs=$GPU,$AUD"

# start_destroy: virsh start takes GPU and audio to vfio-pci (the hook's
# prepare), virsh destroy gives them back to gpupt (its release).
start_destroy() {
	lv_virsh "start --paused $DOM" >/dev/null &&
	h_drivers_are "vfio-pci vfio-pci" $GPU $AUD &&
	lv_virsh "destroy $DOM" >/dev/null &&
	h_drivers_are "gpupt gpupt" $GPU $AUD
}

t_check "gptctl hook libvirt install writes an executable qemu.d/gpupt that runs this gptctl" eval '
	vm_run_q "gptctl hook libvirt install" &&
	s=$(vm_run "cat /etc/libvirt/hooks/qemu.d/gpupt; test -x /etc/libvirt/hooks/qemu.d/gpupt") &&
	assert_contains "hook libvirt run -- \"\$@\"" "$s" &&
	assert_contains "$(readlink -f "$RIG_GPTCTL")" "$s"'
t_check "a second install replaces it; a foreign file is not replaced" eval '
	vm_run_q "gptctl hook libvirt install" &&
	! vm_run_q "mkdir -p /tmp/r/etc/libvirt/hooks/qemu.d && echo foreign >/tmp/r/etc/libvirt/hooks/qemu.d/gpupt && gptctl hook libvirt install --root /tmp/r" &&
	assert_contains "not gpupt" "$(cat "$VM_LAST_ERR")" &&
	assert_eq foreign "$(vm_run "cat /tmp/r/etc/libvirt/hooks/qemu.d/gpupt")"'

t_check "libvirtd starts (no systemd) and answers" lv_start
t_check "gptctl libvirt $GPU + a paused q35 domain: virsh define" eval '
	vm_run_q "gptctl libvirt $GPU >/tmp/frag.xml" &&
	lv_domain_xml $DOM $UUID /tmp/frag.xml /tmp/dom.xml &&
	lv_virsh "define /tmp/dom.xml" >/dev/null'

t0=$(rig_now)
t_check "virsh start --paused succeeds" lv_virsh "start --paused $DOM"
t1=$(rig_now)
echo "# virsh start --paused: $(( (t1 - t0) / 1000 )) ms"
t_check "the hook moved GPU and audio to vfio-pci" eval 'h_drivers_are "vfio-pci vfio-pci" $GPU $AUD'
t_check "the domain's QEMU has both functions (info qtree)" eval '
	q=$(lv_virsh "qemu-monitor-command --hmp $DOM info\ qtree") &&
	assert_contains "host = \"$GPU\"" "$q" "info qtree" &&
	assert_contains "host = \"$AUD\"" "$q" "info qtree"'
t_check "the handoff is recorded for the stop hook" eval '
	assert_eq "$GPU gpupt
$AUD gpupt" "$(vm_run "cat /run/gpupt/hooks/libvirt-$UUID")"'

t_check "virsh destroy: the hook puts both back on gpupt" eval '
	lv_virsh "destroy $DOM" >/dev/null &&
	h_drivers_are "gpupt gpupt" $GPU $AUD &&
	vm_run_q "! test -e /run/gpupt/hooks/libvirt-$UUID"'
t_check "a second start and destroy work the same" start_destroy

# Another QEMU (not libvirt's) takes the GPU first.
t_check "another QEMU holds the GPU on vfio-pci" eval '
	vm_run_q "gptctl handoff $GPU" &&
	vm_nested_start other "-device vfio-pci,host=$GPU -device vfio-pci,host=$AUD" >/dev/null'
t_check_rc 1 "virsh start of the domain fails" lv_virsh "start --paused $DOM"
ERR=$(cat "$VM_LAST_ERR")
echo "# libvirt said: $(head -c 600 <<<"$ERR" | tr '\n' ' ')"
t_check "libvirt's error carries gpupt's reason and the holder" eval '
	assert_contains "refusing to start domain $DOM: $GPU $AUD in use: their vfio device is already open" "$ERR" &&
	assert_contains "qemu-system-x86" "$ERR"'
t_check "the domain is not running; the GPU stays with the other QEMU" eval '
	assert_eq "shut off" "$(lv_virsh "domstate $DOM")" &&
	h_drivers_are "vfio-pci vfio-pci" $GPU $AUD &&
	vm_run_q "kill -0 \$(cat /run/rig-other.pid)"'
vm_nested_stop other >/dev/null
t_check "once the other QEMU is gone, reclaim and start work again" eval '
	vm_run_q "gptctl reclaim $GPU" && start_destroy'

t_check "a domain without gpupt devices is left alone (the hook runs, moves nothing)" eval '
	vm_run_q "sed -e \"/<hostdev/,/<\\/hostdev>/d\" -e \"s/$DOM/gpupt-t47-plain/; s/$UUID/4a1e0d2c-5b7f-4e43-9c1a-0d0c2f6e7a48/\" /tmp/dom.xml >/tmp/plain.xml" &&
	lv_virsh "define /tmp/plain.xml" >/dev/null &&
	lv_virsh "start --paused gpupt-t47-plain" >/dev/null &&
	h_drivers_are "gpupt gpupt" $GPU $AUD &&
	lv_virsh "destroy gpupt-t47-plain" >/dev/null'
t_check "gptctl hook libvirt uninstall removes it" eval '
	vm_run_q "gptctl hook libvirt uninstall && ! test -e /etc/libvirt/hooks/qemu.d/gpupt"'
vm_run_q "kill \$(cat /run/libvirtd.pid)"
t_done
