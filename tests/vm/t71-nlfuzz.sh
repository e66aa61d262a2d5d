#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t71-nlfuzz: tests/nlfuzz/nlfuzz sends 10,000 messages
# (200,000 with GPUPT_STRESS=1) to the real gpupt family: random commands,
# attribute types, lengths and nesting, truncated headers, out-of-range
# addresses and flags, and well-formed requests that really claim, hand off,
# reclaim, release and reset the four functions below.  After every message
# it compares sysfs with what the accepted commands did.  Then: dmesg is
# clean, the module still answers, every fuzzed function is on the driver
# the accepted commands put it on, and no other function changed.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 (multifunction)   held (addrs=)  } one
#   │       01:00.1 intel-hda 8086:2668             held (addrs=)  } group
#   ├── 00:02.0 pcie-root-port rp2
#   │   └── 02:00.0 edu 1234:11e8                   held (addrs=)
#   └── 00:03.0 pcie-root-port rp3
#       └── 03:00.0 e1000e 8086:10d3                no driver
#   (00:18.0, 00:19.0, 00:1a.0: the rig's virtio devices; nlfuzz never
#    names them, nor the root ports: its guard regenerates any message
#    that could)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
nlfuzz_machine

if [ "${GPUPT_STRESS:-0}" = 1 ]; then COUNT=${NLFUZZ_COUNT:-200000}; else COUNT=${NLFUZZ_COUNT:-10000}; fi
SEED=${NLFUZZ_SEED:-$(date +%s)}
FUZZED=0000:01:00.0,0000:01:00.1,0000:02:00.0,0000:03:00.0

vm_boot --gpupt-initramfs "addrs=0000:01:00.0,0000:01:00.1,0000:02:00.0"

t_check "gpupt holds 01:00.0, 01:00.1 and 02:00.0" eval '
	vm_driver_is 0000:01:00.0 gpupt && vm_driver_is 0000:01:00.1 gpupt && vm_driver_is 0000:02:00.0 gpupt'
vm_run_q "modprobe vfio-pci"

# Everything but the fuzzed functions must come out unchanged.
others() { vm_pci_state | grep -Ev "^(${FUZZED//,/|}) "; }
BEFORE=$(others)
vm_run_q "dmesg -C"

echo "# nlfuzz -n $COUNT -s $SEED (reproduce: NLFUZZ_SEED=$SEED NLFUZZ_COUNT=$COUNT $0)"
T0=$(rig_now)
OUT=$(VM_TIMEOUT=$((COUNT / 10 + 600)) vm_run "$NLFUZZ -a $FUZZED -n $COUNT -s $SEED -S /tmp/nlfuzz.state -v 2>&1")
RC=$?
T1=$(rig_now)
printf '%s\n' "$OUT" | grep -v '^nlfuzz:   ' | sed 's/^/# /'
printf '%s\n' "$OUT" | grep '^nlfuzz:   ' | sort -k3 -n -r | head -25 | sed 's/^/# /'
echo "# fuzz run: $(((T1 - T0) / 1000)) ms"

t_check "nlfuzz sent $COUNT messages and every check it makes held (exit 0)" eval '
	assert_eq 0 "$RC" "nlfuzz exit status" &&
	assert_contains "nlfuzz: PASS" "$OUT" "nlfuzz output"'
COUNTS=$(printf '%s\n' "$OUT" | sed -n 's/^nlfuzz: sent \([0-9]*\), rejected by policy \([0-9]*\), rejected by handler \([0-9]*\), accepted \([0-9]*\), ignored \([0-9]*\)$/\1 \2 \3 \4 \5/p')
read -r SENT POLICY HANDLER ACCEPTED IGNORED <<<"${COUNTS:-0 0 0 0 0}"
MUT=$(printf '%s\n' "$OUT" | sed -n 's/^nlfuzz: accepted mutating commands \([0-9]*\) (\([0-9]*\) dry runs).*/\1 \2/p')
read -r MUT DRY <<<"${MUT:-0 0}"
t_check "all three outcomes happened: policy $POLICY, handler $HANDLER, accepted $ACCEPTED of $SENT" eval '
	assert_eq "$COUNT" "$SENT" "messages sent" && [ "$POLICY" -gt 0 ] && [ "$HANDLER" -gt 0 ] && [ "$ACCEPTED" -gt 0 ]'
t_check "accepted commands really moved devices ($MUT mutating, $DRY of them dry runs)" eval '
	[ "$MUT" -gt "$DRY" ] || { echo "# no real (non-dry-run) mutating command was accepted"; false; }'

# dmesg: nothing at warning level or above, except the netlink core's own
# rate-limited notes about the malformed attributes it rejected, the PCI
# core's "resetting"/"reset done" lines around a bus reset (warning level
# since 6.12-ish, absent on 6.1) and the rig's TCG timing noise
# (RIG_DMESG_NOISE in lib.sh: hrtimer, clocksource watchdog).
NETLINK_NOTE='Zero length message leads to an empty skb|netlink: .*(has an invalid length|bytes leftover after parsing attributes)|(validate_nla|__nla_validate_parse): [0-9]+ callbacks suppressed|^\[[ 0-9.]+\] [a-z0-9_-]+ [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]: (resetting|reset done)$|clocksource: Long readout interval'
t_check "dmesg is clean (no warning from gpupt or anything else)" vm_dmesg_clean "$NETLINK_NOTE"
t_check "the module still answers: gptctl list exits 0 and lists 01:00.0" eval '
	out=$(vm_run "gptctl list") && assert_contains "01:00.0" "$out" "gptctl list"'

# The expected state nlfuzz tracked, read back independently from sysfs.
check_state() {
	local state addr drv ovr got o
	state=$(vm_run "cat /tmp/nlfuzz.state") || return 1
	[ "$(printf "%s\n" "$state" | wc -l)" = 4 ] || { echo "# state: $state"; return 1; }
	while read -r addr drv ovr; do
		got=$(vm_driver "$addr"); [ -n "$got" ] || got=-
		o=$(vm_run "cat /sys/bus/pci/devices/$addr/driver_override"); [ "$o" = "(null)" ] && o=-
		echo "# $addr: expected $drv (override $ovr), sysfs $got (override $o)"
		assert_eq "$drv" "$got" "driver of $addr" || return 1
		assert_eq "$ovr" "$o" "driver_override of $addr" || return 1
	done <<<"$state"
}
check_list() {
	local json a want got
	json=$(vm_run "gptctl -j list") || return 1
	for a in $(jq -r ".[].address" <<<"$json"); do
		want=$(vm_driver "$a")
		got=$(jq -r --arg a "$a" '.[] | select(.address == $a) | .driver // ""' <<<"$json")
		assert_eq "$want" "$got" "gptctl driver of $a" || return 1
	done
}
t_check "every fuzzed function is on the driver the accepted commands put it on" check_state
t_check "gptctl -j list agrees with sysfs on every function it lists" check_list
t_check "no other PCI function changed driver or override" eval '
	after=$(others); [ "$BEFORE" = "$after" ] || { diff <(echo "$BEFORE") <(echo "$after") | sed "s/^/#   /"; false; }'
t_done
