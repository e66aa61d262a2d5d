#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t88-sriov-hotplug: `gptctl sriov` while the PF's bus is rescanned.  Two
# rescanners run during the rounds: the platform's hotplug handler (QEMU
# sends an ACPI Device Check for the slot each time it creates the VFs,
# and the guest's acpiphp runs pci_bus_add_devices() on the PF's bus from
# its workqueue) and a loop of `echo 1 >/sys/bus/pci/rescan`.  Both run
# under the PCI rescan/remove lock.  Without that lock around the PF
# driver's sriov_configure, a rescan adds a VF that pci_iov_add_virtfn()
# has put on the bus but not added yet: sysfs warns "cannot create
# duplicate filename .../resource0", the VF is left without its resource
# files and with a stale pointer to a freed attribute, and disabling the
# VFs later ends in a general protection fault.  Each round enables 3 VFs
# through GPUPT_CMD_SRIOV and disables them again.  One more round through
# a bare sriov_numvfs write, where the kernel itself holds the
# rescan/remove lock around gpupt's sriov_configure.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (ACPI hotplug slot)
#       └── 01:00.0 nvme 1b36:0010 SR-IOV PF held by gpupt, sriov_totalvfs 3
#           01:00.1 01:00.2 01:00.3  its VFs, once enabled
#
# Rounds: 6 (5-7 s each on a loaded host); 40 with GPUPT_STRESS=1, or
# T88_ROUNDS=N.  Without the lock round 1 failed in both runs (all three
# VFs without resource0); with acpiphp alone it was about 1 round in 10.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

PF=0000:01:00.0 VF1=0000:01:00.1 VF2=0000:01:00.2 VF3=0000:01:00.3
VFS="$VF1 $VF2 $VF3"
SYS=/sys/bus/pci/devices
ROUNDS=${T88_ROUNDS:-${GPUPT_STRESS:+40}}
ROUNDS=${ROUNDS:-6}
topo_root_port 1
VM_DEVS+=(-device nvme-subsys,id=nvsub0
	  -device "nvme,id=nvme0,bus=rp1,addr=00.0,serial=sriov0001,subsys=nvsub0,sriov_max_vfs=3,sriov_vq_flexible=6,sriov_vi_flexible=3,max_ioqpairs=8,msix_qsize=8")

vm_boot --gpupt-initramfs "addrs=$PF"

# resources: "VF:resource0 ..." for each VF, "VF:none" when it has no resource0.
resources() {
	vm_run 'for v in '"$VFS"'; do if [ -e '$SYS'/$v/resource0 ]; then printf "%s:resource0 " $v; else printf "%s:none " $v; fi; done; echo'
}
WANT="$VF1:resource0 $VF2:resource0 $VF3:resource0 "
SLOTS=$(vm_run "dmesg | grep -c 'acpiphp: Slot .* registered'")
t_check "gpupt holds the PF; acpiphp's debug messages are on" eval '
	h_drivers_are gpupt $PF &&
	vm_run_q "echo \"file acpiphp_glue.c +p\" >/sys/kernel/debug/dynamic_debug/control && dmesg -C"'

# a second rescanner: the PCI core's own bus rescan, from sysfs, in a loop
t_check "start a loop of bus rescans (echo 1 >/sys/bus/pci/rescan)" vm_run "
	rm -f /tmp/stop /tmp/rescans
	rescanner() {
		local n=0
		while [ ! -e /tmp/stop ]; do echo 1 >/sys/bus/pci/rescan; n=\$((n + 1)); done
		echo \$n >/tmp/rescans
	}
	rescanner </dev/null >/dev/null 2>&1 &"
bad= n=0 T0=$(rig_now)
while [ $n -lt "$ROUNDS" ]; do
	n=$((n + 1))
	h_gptctl sriov $PF --numvfs 3 --vf-driver gpupt
	[ "$H_RC" = 0 ] || { bad="round $n: enabling failed (exit $H_RC): $H_ERR"; break; }
	r=$(resources)
	dup=$(vm_run "dmesg | grep -m1 'cannot create duplicate filename'")
	# a VF with a stale resource attribute would fault when it is removed
	[ "$r" = "$WANT" ] && [ -z "$dup" ] || { bad="round $n: $r${dup:+; $dup}"; break; }
	h_gptctl sriov $PF --numvfs 0
	[ "$H_RC" = 0 ] || { bad="round $n: disabling failed (exit $H_RC): $H_ERR"; break; }
done
MS=$((($(rig_now) - T0) / 1000))
RESCANS=$(vm_run 'touch /tmp/stop; for i in $(seq 100); do [ -s /tmp/rescans ] && break; sleep 0.1; done; cat /tmp/rescans')
LOG=$(vm_run dmesg)
t_check "$n rounds of sriov --numvfs 3 and 0 through gptctl (${MS} ms): each VF came up with its resource files, no duplicate" \
	eval 'assert_eq "" "$bad" "first bad round"'
CHECKS=$(grep -c 'acpiphp_glue: Device check in hotplug_event' <<<"$LOG")
if [ "$CHECKS" = 0 ] && [ "${SLOTS:-0}" = 0 ]; then
	t_skip "acpiphp handled Device Checks of the PF's slot" "no ACPI hotplug slot in this guest (QEMU without ACPI PCI hotplug): nothing rescanned concurrently"
else
	t_check "acpiphp handled a Device Check of the PF's slot in the rounds ($CHECKS of them): the concurrent rescans ran" \
		eval '[ "$CHECKS" -ge 1 ] || { echo "#   acpiphp has slots but logged no Device Check"; false; }'
fi
t_check "the sysfs rescan loop ran ($RESCANS rescans)" eval '[ "${RESCANS:-0}" -gt 0 ] 2>/dev/null'
t_check "each VF was held by gpupt in every round" eval '
	for v in $VFS; do
		c=$(grep -c "gpupt $v: held by gpupt (claimed)" <<<"$LOG")
		assert_eq "$n" "$c" "rounds in which gpupt claimed $v" || return 1
	done'

# the kernel's own path: sriov_numvfs_store() holds the rescan/remove lock
# and the PF's device_lock around gpupt_sriov_configure()
t_check "a bare sriov_numvfs write of 3 and of 0 to the PF (kernel holds the rescan/remove lock)" eval '
	vm_run_q "echo 3 >$SYS/$PF/sriov_numvfs" && assert_eq "$WANT" "$(resources)" "VF resources" &&
	h_drivers_are "gpupt gpupt gpupt" $VFS &&
	vm_run_q "echo 0 >$SYS/$PF/sriov_numvfs" && assert_eq 0 "$(vm_run cat $SYS/$PF/sriov_numvfs)" "sriov_numvfs"'
t_check "no sysfs duplicate or warning in the kernel log" vm_dmesg_clean
t_done
