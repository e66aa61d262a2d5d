#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t64-doctor: gptctl doctor in the rig.
#
#   pcie.0                                     (intel-iommu, intremap=on)
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 "gpu0"        boot VGA, held by gpupt
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 pcie-pci-bridge "br"        conventional PCI below: one group
#           ├── 03:01.0 VGA 1234:1111 "gpu1"    shares its group with ...
#           └── 03:02.0 e1000 8086:100e "nic"   ... a NIC
#
# With the IOMMU: iommu PASS, gpu1's group FAILs naming 03:02.0, gpu0 gets
# the boot_vga warning and a clean group.  Then the same machine with the
# IOMMU switched off (intel_iommu=off intremap=off; QEMU has no switch to
# drop the intel-iommu device in lib.sh yet): iommu FAIL; gpupt.addrs= on
# that command line counts for boot_claim.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

topo_root_port 1
topo_vga rp1 gpu0
topo_root_port 2
VM_DEVS+=(-device pcie-pci-bridge,id=br,bus=rp2,addr=00.0
	  -device VGA,id=gpu1,bus=br,addr=01.0
	  -device e1000,id=nic,bus=br,addr=02.0)
vm_boot --gpupt-initramfs "addrs=0000:01:00.0"

# line STATUS CHECK [DEVICE]: the doctor text line for that check.
doctor_line() {
	grep -E "^$1 +$2 +${3:-}" <<<"$DOCTOR"
}

DOCTOR=$(vm_run 'gptctl doctor; echo "exit=$?"')
t_check "doctor exits 1: something FAILs" \
	eval 'assert_eq "exit=1" "$(tail -n1 <<<"$DOCTOR")" "doctor exit status"' 
t_check "iommu: PASS with intel-iommu" \
	eval 'doctor_line PASS iommu >/dev/null || { echo "$DOCTOR"; false; }'
t_check "irq_remapping: PASS (intremap=on)" \
	eval 'doctor_line PASS irq_remapping >/dev/null || { echo "$DOCTOR"; false; }'
t_check "03:01.0 shares its group: FAIL naming the NIC 03:02.0" \
	eval 'l=$(doctor_line FAIL iommu_group 0000:03:01.0) && assert_contains "0000:03:02.0 [8086:100e]" "$l" || { echo "$DOCTOR"; false; }'
t_check "... with a remedy" \
	eval 'grep -A1 -E "^FAIL +iommu_group +0000:03:01.0" <<<"$DOCTOR" | grep -q "remedy: move the card"'
t_check "01:00.0: its group holds only its own functions (PASS)" \
	eval 'doctor_line PASS iommu_group 0000:01:00.0 >/dev/null || { echo "$DOCTOR"; false; }'
t_check "01:00.0: boot_vga WARN (shadowed ROM)" \
	eval 'l=$(doctor_line WARN boot_vga 0000:01:00.0) && assert_contains "shadow" "$l" || { echo "$DOCTOR"; false; }'
t_check "03:01.0 is not the boot VGA (PASS)" \
	eval 'doctor_line PASS boot_vga 0000:03:01.0 >/dev/null || { echo "$DOCTOR"; false; }'
t_check "01:00.0 is bound to gpupt (driver PASS)" \
	eval 'doctor_line PASS driver 0000:01:00.0 >/dev/null || { echo "$DOCTOR"; false; }'

# JSON: an array of {check, status, detail, remedy}; remedy null on PASS.
t_check "doctor -j: every element has check/status/detail/remedy" \
	eval 'vm_run "gptctl -j doctor" | jq -e "type == \"array\" and length > 5 and
		all(.[]; has(\"check\") and has(\"status\") and has(\"detail\") and has(\"remedy\")) and
		all(.[] | select(.status == \"PASS\"); .remedy == null) and
		any(.[]; .check == \"iommu_group\" and .device == \"0000:03:01.0\" and .status == \"FAIL\")" >/dev/null'

vm_stop
vm_boot --append "intel_iommu=off intremap=off gpupt.addrs=0000:03:01.0"
DOCTOR=$(vm_run 'gptctl doctor')
t_check "03:01.0 in gpupt.addrs= on the command line counts as held at boot" \
	eval 'l=$(doctor_line "[A-Z]+" boot_claim 0000:03:01.0) && assert_contains "listed" "$l" || { echo "$DOCTOR"; false; }'
t_check "iommu: FAIL with the IOMMU off" \
	eval 'l=$(doctor_line FAIL iommu) && assert_contains "IOMMU is off" "$l" || { echo "$DOCTOR"; false; }'
t_check "... and every group check FAILs" \
	eval 'doctor_line FAIL iommu_group 0000:01:00.0 >/dev/null || { echo "$DOCTOR"; false; }'
t_done
