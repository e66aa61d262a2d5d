#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t70-privilege: every command that changes state (claim,
# unclaim, handoff, reclaim, release, reset) fails with EPERM for
#   - an unprivileged uid (nobody),
#   - root with CAP_NET_ADMIN dropped (setpriv: effective, inheritable,
#     bounding),
#   - root of a new user namespace (unshare -r: CAP_NET_ADMIN there, but not
#     in the initial user namespace, which GENL_ADMIN_PERM requires),
# through gptctl and through raw netlink (nlfuzz -u: thousands of random and
# well-formed messages, none of the mutating ones may be accepted).  The
# read-only commands keep working, and nothing changes.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 (multifunction)   held (addrs=)
#   │       01:00.1 intel-hda 8086:2668             held (addrs=)
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 edu 1234:11e8                   no driver: the claim target
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

NLFUZZ=$RIG_TOP/tests/nlfuzz/nlfuzz
make -s -C "$RIG_TOP/tests/nlfuzz" >/dev/null || { echo "Bail out! cannot build tests/nlfuzz"; exit 1; }
GPU=0000:01:00.0 AUD=0000:01:00.1 EDU=0000:02:00.0

topo_root_port 1
topo_gpu_slot rp1 gpu0
topo_root_port 2
topo_edu rp2 edu2
vm_boot --gpupt-initramfs "addrs=$GPU,$AUD"
vm_run_q "modprobe vfio-pci"

declare -A WHO=(
	[nobody]="setpriv --reuid=65534 --regid=65534 --clear-groups --reset-env"
	[nocap]="setpriv --inh-caps=-net_admin --bounding-set=-net_admin"
	[userns]="unshare --user --map-root-user"
)
ORDER="nobody nocap userns"

check_identities() {
	local w eff
	for w in $ORDER; do
		eff=$(vm_run "${WHO[$w]} cat /proc/self/status" | sed -n "s/^CapEff:\s*//p")
		[ -n "$eff" ] || { echo "# $w: no CapEff"; return 1; }
		echo "# $w: CapEff $eff"
		# bit 12 = CAP_NET_ADMIN; userns root has it, but only in its namespace
		case $w in
		userns) [ $(( 0x$eff >> 12 & 1 )) = 1 ] ;;
		*) [ $(( 0x$eff >> 12 & 1 )) = 0 ] ;;
		esac || return 1
	done
}
t_check "the identities are what they claim (CAP_NET_ADMIN only in userns root's own namespace)" check_identities

BEFORE=$(vm_pci_state)
MUTATING=(
	"claim $EDU"
	"claim --force $EDU"
	"unclaim $GPU"
	"handoff $GPU"
	"handoff --dry-run $GPU"
	"reclaim $GPU"
	"release $GPU"
	"reset $GPU"
	"reset --dry-run $GPU"
	"reset"
)
for w in $ORDER; do
	for c in "${MUTATING[@]}"; do
		t_check "$w: gptctl $c fails with \"Operation not permitted\", exit 1" eval '
			out=$(vm_run "${WHO[$w]} gptctl $c 2>&1"); rc=$?
			assert_eq 1 "$rc" "exit status" && assert_contains "Operation not permitted" "$out" "gptctl output"'
	done
	t_check "$w: read-only commands work (list, show, bars, -j list)" eval '
		vm_run_q "${WHO[$w]} gptctl list" && vm_run_q "${WHO[$w]} gptctl show $GPU" &&
		vm_run_q "${WHO[$w]} gptctl bars $GPU" &&
		vm_run "${WHO[$w]} gptctl -j list" | jq -e "map(select(.address == \"$GPU\" and .held)) | length == 1" >/dev/null'
done

# Raw netlink: no mutating command accepted, whatever the message.
for w in nobody nocap; do
	OUT=$(VM_TIMEOUT=600 vm_run "${WHO[$w]} $NLFUZZ -u -a $GPU,$AUD,$EDU -n 3000 2>&1"); RC=$?
	printf '%s\n' "$OUT" | grep -E '^nlfuzz: (sent|accepted|errors|EPERM|PASS|FAIL)' | sed "s/^/# $w: /"
	EPERM=$(printf '%s\n' "$OUT" | sed -n 's/^nlfuzz: EPERM \([0-9]*\),.*/\1/p')
	t_check "$w: nlfuzz -u: 3000 raw messages, no mutating command accepted, EPERM ${EPERM:-?} times" eval '
		assert_eq 0 "$RC" "nlfuzz exit status" &&
		assert_contains "accepted mutating commands 0 " "$OUT" "nlfuzz output" && [ "${EPERM:-0}" -gt 100 ]'
done

t_check "nothing changed: every function keeps its driver and override" eval '
	after=$(vm_pci_state); [ "$BEFORE" = "$after" ] || { diff <(echo "$BEFORE") <(echo "$after") | sed "s/^/#   /"; false; }'
t_check "root (with CAP_NET_ADMIN) can claim 02:00.0 and hand off 01:00.0" eval '
	vm_run_q "gptctl claim $EDU" && vm_driver_is $EDU gpupt &&
	vm_run_q "gptctl handoff $GPU" && vm_driver_is $GPU vfio-pci && vm_driver_is $AUD vfio-pci'
t_done
