#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t87-sriov: SR-IOV virtual functions.  QEMU's NVMe controller stands in
# for a GPU's physical function (PF): it has the SR-IOV capability with
# three VFs.  gpupt holds the PF; `gptctl sriov` creates the VFs, gpupt
# holds each one as it appears (bus notifier) and hands them to vfio-pci
# while a racer keeps asking nvme to take them.  Then: a VM holding one VF
# blocks `--numvfs 0`; reclaim/handoff/reset/bars of one VF; a bus reset
# of the PF is refused; bad input changes nothing; kubevirt and nova list
# the VFs (checked by KubeVirt's schema and Nova's own parsers on the
# host).  A second boot recreates the VFs from devices.conf with
# `gptctl apply`, the PF on its host driver nvme this time.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#   │   └── 01:00.0 nvme 1b36:0010 SR-IOV PF, sriov_totalvfs 3   "nvme0"
#   │       01:00.1 01:00.2 01:00.3  its VFs, once enabled
#   └── 00:02.0 pcie-root-port rp2 (2.5GT/s x1)
#       └── 02:00.0 edu 1234:11e8 (no SR-IOV capability)          "edu0"
#
#   guest: qemu-system-x86_64 -S -device vfio-pci,host=01:00.1  (holds /dev/vfio/N)
#
# QEMU 7.2's nvme writes Function Dependency Link 0, so the PF must be
# function 0 of its slot (t75 says why).  Its VFs need the PF's NVMe admin
# commands (secondary controller online) before nvme could drive them;
# gpupt only needs the PCI functions, which appear without that.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

PF=0000:01:00.0 VF1=0000:01:00.1 VF2=0000:01:00.2 VF3=0000:01:00.3 EDU=0000:02:00.0
VFS="$VF1 $VF2 $VF3"
SYS=/sys/bus/pci/devices
topo_root_port 1
topo_root_port 2
VM_DEVS+=(-device nvme-subsys,id=nvsub0
	  -device "nvme,id=nvme0,bus=rp1,addr=00.0,serial=sriov0001,subsys=nvsub0,sriov_max_vfs=3,sriov_vq_flexible=6,sriov_vi_flexible=3,max_ioqpairs=8,msix_qsize=8")
topo_edu rp2 edu0

# groups ADDR...: "G G G" IOMMU group numbers.
groups() {
	vm_run 'for a in '"$*"'; do g=$(readlink '$SYS'/$a/iommu_group); printf "%s " ${g##*/}; done; echo'
}
# distinct WORDS: all different and none empty.
distinct() {
	local n u
	n=$(wc -w <<<"$1")
	u=$(tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -u | wc -l)
	[ "$n" = "$2" ] && [ "$u" = "$2" ] || { echo "#   expected $2 distinct values, got '$1'"; return 1; }
}
numvfs() { vm_run "cat $SYS/$PF/sriov_numvfs"; }

vm_boot --gpupt-initramfs "addrs=$PF,$EDU"

t_check "gpupt holds the PF and the edu; nvme and vfio-pci are loaded" eval '
	vm_run_q "modprobe -a nvme vfio-pci" && h_drivers_are "gpupt gpupt" $PF $EDU &&
	assert_eq 3 "$(vm_run cat $SYS/$PF/sriov_totalvfs)" "sriov_totalvfs"'

# ---- bad input: exit 2, nothing changes -------------------------------------
STATE=$(vm_pci_state)
h_gptctl sriov $EDU --numvfs 1
t_check "sriov on a function without SR-IOV: exit 2, says so" eval '
	assert_eq 2 "$H_RC" "exit status" && assert_contains "$EDU has no SR-IOV capability" "$H_ERR" "stderr"'
h_gptctl sriov $PF --numvfs 4
t_check "sriov --numvfs 4 above sriov_totalvfs 3: exit 2, says so" eval '
	assert_eq 2 "$H_RC" "exit status" && assert_contains "supports at most 3 VFs" "$H_ERR" "stderr"'
t_check "a bare sriov_numvfs write to the held PF is refused (EPERM): gpupt enables VFs only after gptctl sriov" eval '
	! vm_run "echo 3 >$SYS/$PF/sriov_numvfs" && assert_contains "Operation not permitted" "$(cat "$VM_LAST_ERR")" "write error" &&
	assert_contains "gptctl sriov $PF --numvfs 3" "$(vm_run dmesg)" "kernel log"'
t_check "nothing changed (drivers, overrides, groups; no VF)" eval 'assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'

# ---- a real fault while the VFs move: everything is put back -------------------
# failprobe_vfio_pci (tests/vm/failprobe, also t33/t75) binds like vfio-pci
# but fails the probe of the functions in fail=: here the last VF.
if FAILKO=$(h_failprobe_ko 2>/dev/null); then
	vm_run_q "insmod $FAILKO fail=$VF3 && dmesg -C"
	h_gptctl sriov $PF --numvfs 3 --vf-driver failprobe_vfio_pci
	LOG=$(vm_run dmesg)
	t_check "sriov --vf-driver failprobe_vfio_pci (probe of $VF3 fails): exit 1, the error names $VF3, the count goes back to 0" eval '
		assert_eq 1 "$H_RC" "exit status" && assert_contains "$VF3" "$H_ERR" "stderr" &&
		assert_contains "VF count put back to 0" "$H_ERR" "stderr" && assert_eq 0 "$(numvfs)" "sriov_numvfs"'
	t_check "the fault was real: $VF1 and $VF2 were bound and rolled back to gpupt, $VF3 refused (kernel log)" eval '
		assert_contains "failprobe_vfio_pci $VF3: failprobe: refusing the bind" "$LOG" "kernel log" &&
		assert_contains "gpupt $VF1: rolled back to \"gpupt\"" "$LOG" "kernel log" &&
		assert_contains "gpupt $VF2: rolled back to \"gpupt\"" "$LOG" "kernel log"'
	t_check "nothing changed (drivers, overrides, groups; no VF; autoprobe back to 1)" eval '
		assert_eq "$STATE" "$(vm_pci_state)" "PCI state" &&
		assert_eq 1 "$(vm_run cat $SYS/$PF/sriov_drivers_autoprobe)" "autoprobe"'
	vm_run_q "rmmod failprobe_vfio_pci"
else
	t_skip "a real fault while the VFs move" "cannot build tests/vm/failprobe for this kernel"
fi

# ---- 1. create and claim, under a racer ------------------------------------
t_check "start the racer (nvme bind, drivers_probe on the VF addresses) and the sampler" \
	h_racer_start nvme=$VF1 nvme=$VF2 nvme=$VF3
T0=$(rig_now)
h_gptctl -j sriov $PF --numvfs 3 --vf-driver vfio-pci
MS=$((($(rig_now) - T0) / 1000))
SRIOV_OUT=$H_OUT
t_check "sriov $PF --numvfs 3 --vf-driver vfio-pci exits 0 (${MS} ms)" assert_eq 0 "$H_RC" "exit status (stderr: $H_ERR)"
h_racer_stop
t_check "three VFs, each on vfio-pci" eval '
	assert_eq 3 "$(numvfs)" "sriov_numvfs" && h_drivers_are "vfio-pci vfio-pci vfio-pci" $VFS'
G=$(groups $PF $VFS)
t_check "each VF in its own IOMMU group (PF and VFs: $G)" distinct "$G" 4
t_check "the JSON names the PF (gpupt, 3 of 3) and each VF with its group and /dev/vfio node" eval '
	assert_eq "$PF gpupt 3 3|$VF1 vfio-pci $(cut -d" " -f2 <<<"$G")|$VF2 vfio-pci $(cut -d" " -f3 <<<"$G")|$VF3 vfio-pci $(cut -d" " -f4 <<<"$G")" \
		"$(jq -r "\"\(.address) \(.driver) \(.num_vfs) \(.total_vfs)|\" + ([.vfs[] | \"\(.address) \(.driver) \(.iommu_group)\"] | join(\"|\"))" <<<"$SRIOV_OUT")" "sriov JSON" &&
	assert_eq "/dev/vfio/$(cut -d" " -f2 <<<"$G")" "$(jq -r ".vfs[0].vfio" <<<"$SRIOV_OUT")" "vfio node"'
t_check "sriov_drivers_autoprobe is 0" eval 'assert_eq 0 "$(vm_run cat $SYS/$PF/sriov_drivers_autoprobe)" "autoprobe"'
h_racer_checks "the sampler never saw a VF on a host driver"
t_check "nvme never probed a VF (kernel log), gpupt held each one first" eval '
	log=$(vm_run dmesg) &&
	assert_eq "" "$(grep -E "nvme ($VF1|$VF2|$VF3)" <<<"$log")" "nvme messages about a VF" &&
	for v in $VFS; do assert_contains "gpupt $v: held by gpupt (claimed)" "$log" "kernel log" || return 1; done'

# gptctl list: each VF with its PF, the PF with its count
h_gptctl list
LIST=$H_OUT
h_gptctl -j list
t_check "list shows the PF with its VF count and each VF with its PF" eval '
	assert_match "$PF .*\[PF, 3 of 3 VFs\]" "$LIST" "list" &&
	for v in $VFS; do assert_match "$v .*vfio-pci.*\[VF of $PF\]" "$LIST" "list" || return 1; done &&
	assert_eq "$PF null 3 3|$VF1 $PF null null|$VF2 $PF null null|$VF3 $PF null null" \
		"$(jq -r "[.[] | select(.address | startswith(\"0000:01:\")) | \"\(.address) \(.physfn) \(.num_vfs) \(.total_vfs)\"] | join(\"|\")" <<<"$H_OUT")" "list -j"'

STATE=$(vm_pci_state)
h_gptctl sriov $VF2 --numvfs 1
t_check "sriov on a VF: exit 2, names its PF" eval '
	assert_eq 2 "$H_RC" "exit status" && assert_contains "$VF2 is a virtual function (of $PF)" "$H_ERR" "stderr"'
t_check "nothing changed" eval 'assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'

# ---- 2. busy: a VM holds one VF ---------------------------------------------
G1=$(cut -d" " -f2 <<<"$G")
PID=$(vm_nested_start n1 "-device vfio-pci,host=$VF1")
t_check "a nested qemu holds /dev/vfio/$G1 of $VF1 (pid $PID)" eval '
	assert_match "^[0-9]+$" "$PID" "nested pid" &&
	vm_run "for i in \$(seq 100); do ls -l /proc/$PID/fd | grep -q /dev/vfio/$G1 && exit 0; sleep 0.1; done; exit 1" &&
	assert_contains "PCI device 1b36:0010" "$(vm_nested_monitor n1 "info pci")" "the nested guest'"'"'s info pci"'
STATE=$(vm_pci_state)
h_gptctl sriov $PF --numvfs 0
t_check "--numvfs 0 is refused with exit 1, busy, naming qemu's pid" eval '
	assert_eq 1 "$H_RC" "exit status" && assert_contains "Device or resource busy" "$H_ERR" "stderr" &&
	assert_contains "VF $VF1 is in use" "$H_ERR" "stderr" &&
	assert_contains "$VF1 is in use: /dev/vfio/$G1 is open in qemu-system-x86 (pid $PID)" "$H_ERR" "stderr"'
t_check "a bare sriov_numvfs write of 0 is refused too (EBUSY)" eval '
	! vm_run "echo 0 >$SYS/$PF/sriov_numvfs" && assert_contains "busy" "$(cat "$VM_LAST_ERR")" "write error"'
t_check "the VFs stay: nothing changed, the nested VM still runs" eval '
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state" && vm_run "kill -0 $PID" &&
	assert_contains "VM status: paused" "$(vm_nested_monitor n1 "info status")" "nested monitor"'
vm_nested_stop n1 >/dev/null

# ---- 3. round trip: reclaim, handoff, reset, bars of one VF --------------------
t_check "reclaim $VF2 alone: back on gpupt, the other VFs untouched" eval '
	h_gptctl reclaim $VF2 >/dev/null && h_drivers_are "vfio-pci gpupt vfio-pci" $VFS'
t_check "handoff $VF2: on vfio-pci again" eval '
	h_gptctl handoff $VF2 >/dev/null && h_drivers_are "vfio-pci vfio-pci vfio-pci" $VFS'
h_gptctl -j reset $VF2 --dry-run
t_check "reset --dry-run of a VF: the kernel's choice, FLR first; the blast radius is the VF alone" eval '
	assert_eq 0 "$H_RC" "exit status (stderr: $H_ERR)" &&
	assert_eq "auto $VF2" "$(jq -r ".[0].method + \" \" + ([.[0].affected[].address] | join(\" \"))" <<<"$H_OUT")" "plan" &&
	assert_eq flr "$(vm_run gptctl -j show $VF2 | jq -r ".reset_methods[0]")" "first reset method"'
h_gptctl -j reset $VF2
t_check "reset of a VF runs an FLR of that VF only" eval '
	assert_eq 0 "$H_RC" "exit status (stderr: $H_ERR)" &&
	assert_eq "$VF2 flr true" "$(jq -r "[.[] | \"\(.address) \(.method) \(.ok)\"] | join(\"|\")" <<<"$H_OUT")" "reset"'
STATE=$(vm_pci_state)
h_gptctl reset $PF --method bus
t_check "a bus reset of the PF is refused while it has VFs (exit 1, says why)" eval '
	assert_eq 1 "$H_RC" "exit status" && assert_contains "$PF has 3 VFs enabled" "$H_ERR" "stderr"'
t_check "nothing changed" eval 'assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'
h_gptctl -j bars $VF3
t_check "bars of a VF: BAR0 assigned, its size from the PF's VF BAR" eval '
	assert_eq 0 "$H_RC" "exit status (stderr: $H_ERR)" &&
	assert_match "^[1-9][0-9]*$" "$(jq -r ".[0].bars[] | select(.index == 0) | .size" <<<"$H_OUT")" "BAR0 size"'

# ---- 6. fleet outputs, validated on the host -----------------------------------
PY=/usr/bin/python3 CHECK=$RIG_TOP/tests/fleet/check.py
vm_run gptctl kubevirt >"$VM_RUN/kv.yaml" 2>/dev/null
vm_run gptctl -j kubevirt >"$VM_RUN/kv.json" 2>/dev/null
KV=$("$PY" "$CHECK" kubevirt "$VM_RUN/kv.yaml" "$VM_RUN/kv.json" 2>&1)
t_check "kubevirt: the VFs' ID 1B36:0010 is a permitted host device (KubeVirt's schema, extended-resource name)" eval '
	assert_match "^\[\[\"1B36:0010\", \"gpupt.io/[A-Za-z0-9_]+\", false\]\]$" "$(tail -1 <<<"$KV")" "kubevirt check ($KV)"'
if "$PY" -c 'import nova.pci.whitelist' 2>/dev/null; then
	vm_run gptctl nova >"$VM_RUN/nova.conf" 2>/dev/null
	NOVA=$("$PY" "$CHECK" nova "$VM_RUN/nova.conf" $(for v in $VFS; do printf -- '--vf %s,%s,1b36,0010 ' $v $PF; done) 2>&1)
	NOVA_RC=$?
	t_check "nova: Nova's own parsers accept the snippet; its Whitelist assigns each VF as type-VF, a type-VF alias requests them" eval '
		assert_eq 0 "$NOVA_RC" "check.py nova ($NOVA)" &&
		assert_eq 3 "$(grep -c "^device_spec = " "$VM_RUN/nova.conf")" "device_spec lines" &&
		assert_contains "\"device_type\": \"type-VF\"" "$(cat "$VM_RUN/nova.conf")" "alias"'
else
	t_skip "nova: Nova's own parsers" "python3-nova is not installed on the host"
fi

# ---- VFs off again -------------------------------------------------------------
h_gptctl sriov $PF --numvfs 0
t_check "with no VM left, --numvfs 0 removes the VFs" eval '
	assert_eq 0 "$H_RC" "exit status (stderr: $H_ERR)" && assert_eq 0 "$(numvfs)" "sriov_numvfs" &&
	vm_run "! ls -d $SYS/$VF1 $SYS/$VF2 $SYS/$VF3 2>/dev/null"'

# ---- 4. boot: devices.conf, the PF on its host driver ---------------------------
# As at boot: udev loads nvme, which takes the PF (probing asynchronously),
# while gpupt-apply.service runs `gptctl apply`, which waits for the PF's
# driver.  nvme's own sriov_configure creates the VFs here, and gpupt holds
# each as it appears.
vm_boot --gpupt-initramfs "addrs=$EDU"
t_check "boot 2: devices.conf has one sriov line; no VF yet" eval '
	vm_run_q "mkdir -p /etc/gpupt && echo \"sriov $PF numvfs=3 vf-driver=vfio-pci   # the NVMe stand-in\" >/etc/gpupt/devices.conf" &&
	assert_eq 0 "$(numvfs)" "sriov_numvfs"'
T0=$(rig_now)
vm_run "modprobe nvme & gptctl -j apply; rc=\$?; wait; exit \$rc" >"$VM_RUN/apply.json"
H_RC=$?
MS=$((($(rig_now) - T0) / 1000))
APPLY=$(cat "$VM_RUN/apply.json") H_ERR=$(cat "$VM_LAST_ERR")
echo "# apply: ${H_ERR:-nothing on stderr}" | grep -m1 'waited\|nothing' || true
t_check "gptctl apply, started with modprobe nvme, exits 0 (${MS} ms): the sriov line changed 0 -> 3, each VF gpupt -> vfio-pci" eval '
	assert_eq 0 "$H_RC" "exit status (stderr: $H_ERR)" &&
	assert_eq "sriov $PF 1 0 3 changed" "$(jq -r ".sriov[] | \"\(.rule) \(.line) \(.numvfs_before) \(.numvfs_after) \(.status)\"" <<<"$APPLY")" "sriov result" &&
	assert_eq "$VF1 gpupt vfio-pci changed|$VF2 gpupt vfio-pci changed|$VF3 gpupt vfio-pci changed" \
		"$(jq -r "[.devices[] | \"\(.address) \(.before) \(.after) \(.status)\"] | join(\"|\")" <<<"$APPLY")" "devices"'
t_check "the state of test 1: three VFs on vfio-pci, the PF still on nvme, autoprobe 0" eval '
	assert_eq 3 "$(numvfs)" "sriov_numvfs" && h_drivers_are "nvme vfio-pci vfio-pci vfio-pci" $PF $VFS &&
	assert_eq 0 "$(vm_run cat $SYS/$PF/sriov_drivers_autoprobe)" "autoprobe"'
G=$(groups $PF $VFS)
t_check "each VF in its own IOMMU group ($G)" distinct "$G" 4
t_check "nvme never probed a VF; gpupt held each one first (kernel log)" eval '
	log=$(vm_run dmesg) &&
	assert_eq "" "$(grep -E "nvme ($VF1|$VF2|$VF3)" <<<"$log")" "nvme messages about a VF" &&
	for v in $VFS; do assert_contains "gpupt $v: held by gpupt (claimed)" "$log" "kernel log" || return 1; done'
h_gptctl list
t_check "list shows the PF on nvme with 3 of 3 VFs" eval 'assert_match "$PF .*nvme.*\[PF, 3 of 3 VFs\]" "$H_OUT" "list"'
STATE=$(vm_pci_state)
h_gptctl -j apply
t_check "a second apply reports everything ok and changes nothing" eval '
	assert_eq 0 "$H_RC" "exit status (stderr: $H_ERR)" &&
	assert_eq "ok|ok ok ok" "$(jq -r "[.sriov[].status] + [([.devices[].status] | join(\" \"))] | join(\"|\")" <<<"$H_OUT")" "statuses" &&
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'

t_done
