#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Offline tests of the VM managers' hooks: no VM, no module, nothing on the
# host touched.  The Proxmox hookscript (`gptctl hook proxmox run
# --dry-run`) reads sample VMID.conf and pci.cfg files in the formats of
# qemu-server and pve-guest-common and a fake sysfs tree (--root):
#
#   ROOT/sys/bus/pci/devices/
#     0000:01:00.0 .1        gpupt      a GPU + HDMI audio
#     0000:02:00.0 .1 .2 .3  gpupt      a GPU with audio, USB, UCSI
#     0000:03:00.0           vfio-pci   in use by another VM
#     0000:04:00.0           gpupt      the second alternative of a mapping
#     0000:05:00.4           gpupt      an mdev parent's function
#
# Checked: the functions each config chooses (whole slots, ';' lists,
# host=, mappings for this node, alternatives, mdev left alone, snapshot
# sections ignored) and the exit codes (0 done or nothing to do, 1 refused
# with a reason, 2 usage); the printed hookscript (sh -n, phases); the
# libvirt hook's refusal of malformed domain XML and its silence for
# domains without gpupt devices, both before any netlink request.
#
# Usage: tests/hooks/run.sh [GPTCTL]   (default: ctl/gptctl of this tree)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
GPTCTL=${1:-${GPTCTL:-$top/ctl/gptctl}}

. "$top/tests/lib/tap.sh"

if [ ! -x "$GPTCTL" ]; then
	echo "1..0 # SKIP $GPTCTL not built"
	exit 0
fi

R=$tmp/root
fn() {	# ADDR DRIVER
	mkdir -p "$R/sys/bus/pci/devices/$1" "$R/sys/bus/pci/drivers/$2"
	ln -s "../../../bus/pci/drivers/$2" "$R/sys/bus/pci/devices/$1/driver"
}
fn 0000:01:00.0 gpupt; fn 0000:01:00.1 gpupt
fn 0000:02:00.0 gpupt; fn 0000:02:00.1 gpupt; fn 0000:02:00.2 gpupt; fn 0000:02:00.3 gpupt
fn 0000:03:00.0 vfio-pci
fn 0000:04:00.0 gpupt
fn 0000:05:00.4 gpupt
mkdir -p "$tmp/qs" "$tmp/mapping"
cat >"$tmp/mapping/pci.cfg" <<'EOC'
gpu-a
	map id=1234:1111,iommugroup=3,node=pve1,path=0000:01:00
	map id=1234:1111,iommugroup=9,node=pve2,path=0000:02:00.0
	mdev 0

pool
	description two alike GPUs: the first one free
	map id=1234:1111,node=pve1,path=0000:03:00.0;0000:04:00.0

broken
	map id=1234:1111,node=pve1,path=01:00.0
EOC

# conf VMID TEXT
conf() { printf '%s\n' "$2" >"$tmp/qs/$1.conf"; }
# run VMID [PHASE] [extra options]: sets OUT, ERR, RC
run() {
	local vmid=$1 phase=${2:-pre-start}
	shift 2 2>/dev/null || shift
	OUT=$("$GPTCTL" hook proxmox run --dry-run --root "$R" --conf-dir "$tmp/qs" \
		--mapping "$tmp/mapping/pci.cfg" --node pve1 "$@" -- "$vmid" "$phase" 2>"$tmp/err")
	RC=$?
	ERR=$(cat "$tmp/err")
}
# expect DESC RC FUNCTIONS [ERR-SUBSTRING]: FUNCTIONS as "ADDR hostpciN" lines joined by ", "
expect() {
	local got
	got=$(tr '\n' ',' <<<"$OUT" | sed 's/,$//; s/,/, /g')
	if [ "$RC" = "$2" ] && [ "$got" = "$3" ] && { [ -z "${4:-}" ] || [[ $ERR == *"$4"* ]]; }; then
		ok "$1"
	else
		not_ok "$1" "exit $RC (want $2)" "functions: '$got'" "want:      '$3'" "stderr: $ERR"
	fi
}

conf 100 'boot: order=scsi0
cores: 4
hostpci0: 0000:01:00,pcie=1,x-vga=1
machine: q35
name: win11'
run 100
expect "hostpci0: 0000:01:00 (no function) is every function of the slot" 0 \
	"0000:01:00.0 hostpci0, 0000:01:00.1 hostpci0"

conf 101 'hostpci0: 02:00.0;02:00.1,pcie=1
hostpci1: host=0000:02:00.3,rombar=0'
run 101
expect "';' lists and host= choose exactly the functions named (domain optional)" 0 \
	"0000:02:00.0 hostpci0, 0000:02:00.1 hostpci0, 0000:02:00.3 hostpci1"

conf 102 'hostpci0: mapping=gpu-a,pcie=1'
run 102
expect "mapping=gpu-a resolves through pci.cfg for this node (a whole slot)" 0 \
	"0000:01:00.0 hostpci0, 0000:01:00.1 hostpci0"
run 102 pre-start --node pve2
expect "the same mapping on node pve2 is its own map line" 0 "0000:02:00.0 hostpci0"
run 102 pre-start --node pve3
expect "a mapping without a map for this node is refused, naming both" 1 "" \
	"mapping 'gpu-a' has no map for node pve3"

conf 103 'hostpci0: mapping=pool'
run 103
expect "a mapping's alternatives: the first one gpupt holds (03:00.0 is in use on vfio-pci)" 0 \
	"0000:04:00.0 hostpci0"

conf 104 'hostpci0: mapping=nosuch,pcie=1'
run 104
expect "an unknown mapping is refused clearly" 1 "" "no mapping 'nosuch' in the PCI mappings"
run 104 pre-start --mapping "$tmp/none.cfg"
expect "a mapping without pci.cfg is refused, naming the file" 1 "" "$tmp/none.cfg cannot be read"

conf 105 'hostpci0: mapping=broken'
run 105
expect "a mapping with a malformed path is refused" 1 "" "bad path '01:00.0'"

conf 106 'hostpci0: 0000:05:00.4,mdev=nvidia-63
hostpci1: 01:00.0'
run 106
expect "a mediated device (mdev=) is left alone, and said so" 0 "0000:01:00.0 hostpci1" \
	"mediated device"

conf 107 'hostpci0: 0000:01:00.0
[snap1]
hostpci1: 0000:02:00.0
[PENDING]
hostpci2: 0000:04:00.0'
run 107
expect "snapshot and [PENDING] sections are not the running config" 0 "0000:01:00.0 hostpci0"

conf 108 'hostpci0: 0000:09:00,pcie=1'
run 108
expect "a slot that does not exist is refused before the VM starts" 1 "" \
	"no PCI slot 0000:09:00 on this host"

for bad in '0000:01:00.9' '1:0.0' '0000:01:00.0;' 'zz:00.0' '0000:01:20.0' 'pcie=1' \
	    '0000:01:00.0,mapping=gpu-a'; do
	conf 109 "hostpci0: $bad"
	run 109
	expect "malformed hostpci0: $bad: refused with the line number" 1 "" "109.conf:1:"
done

conf 110 'name: no-passthrough
memory: 2048'
run 110
expect "a VM without hostpci lines: nothing to do" 0 ""

"$GPTCTL" hook proxmox run --root "$R" --conf-dir "$tmp/qs" -- 100 post-start >/dev/null 2>&1
rc=$?
[ $rc = 0 ] && ok "other phases (post-start) return 0 at once" || not_ok "post-start" "exit $rc"
for v in 99 abc 0100 1234567890; do
	"$GPTCTL" hook proxmox run --dry-run --conf-dir "$tmp/qs" -- "$v" pre-start >/dev/null 2>&1
	rc=$?
	[ $rc = 2 ] && ok "VMID '$v' is a usage error (2)" || not_ok "VMID '$v'" "exit $rc"
done
run 111
expect "a VM without a config file is refused" 1 "" "111.conf"

json=$("$GPTCTL" -j hook proxmox run --dry-run --root "$R" --conf-dir "$tmp/qs" \
	--mapping "$tmp/mapping/pci.cfg" --node pve1 -- 100 pre-start 2>&1)
want='{"vmid":100,"phase":"pre-start","functions":[{"address":"0000:01:00.0","hostpci":0},{"address":"0000:01:00.1","hostpci":0}]}'
[ "$json" = "$want" ] && ok "-j: the same choice as JSON" || not_ok "-j output" "$json" "want $want"

# The printed hookscript.
"$GPTCTL" hook proxmox --gptctl /usr/sbin/gptctl >"$tmp/hook.sh"
rc=$?
if [ $rc = 0 ] && sh -n "$tmp/hook.sh" && grep -q "^	exec '/usr/sbin/gptctl' hook proxmox run -- \"\$1\" \"\$2\" ;;\$" "$tmp/hook.sh"; then
	ok "gptctl hook proxmox prints a shell script (sh -n) that execs gptctl for its phases"
else
	not_ok "hookscript" "exit $rc" "$(cat "$tmp/hook.sh")"
fi
# Run the script itself with a stand-in gptctl that records its arguments.
cat >"$tmp/fake-gptctl" <<EOS
#!/bin/sh
echo "\$*" >>"$tmp/calls"
EOS
chmod +x "$tmp/fake-gptctl"
"$GPTCTL" hook proxmox --gptctl "$tmp/fake-gptctl" >"$tmp/hook2.sh"
: >"$tmp/calls"
for ph in pre-start post-start pre-stop post-stop; do sh "$tmp/hook2.sh" 100 "$ph" || echo "rc $?" >>"$tmp/calls"; done
want='hook proxmox run -- 100 pre-start
hook proxmox run -- 100 post-stop'
[ "$(cat "$tmp/calls")" = "$want" ] && ok "the hookscript calls gptctl for pre-start and post-stop only, exit 0 for the rest" ||
	not_ok "hookscript phases" "$(cat "$tmp/calls")"

# libvirt hook: what is decided before any netlink request.
lv() {	# PHASE-OP PHASE-SUB XML -> RC, ERR
	ERR=$(printf '%s' "$3" | "$GPTCTL" hook libvirt run --devices-conf "$tmp/none.conf" -- dom "$1" "$2" - 2>&1 >/dev/null)
	RC=$?
}
lv prepare begin "<domain><name>dom</name><uuid>00000000-0000-0000-0000-000000000001</uuid><devices><disk/></devices></domain>"
[ $RC = 0 ] && [ -z "$ERR" ] && ok "libvirt prepare: a domain without hostdevs exits 0, silently" || not_ok "no hostdevs" "exit $RC" "$ERR"
lv prepare begin "<domain><uuid>00000000-0000-0000-0000-000000000001</uuid><devices><hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev></devices></domain>"
[ $RC = 0 ] && ok "libvirt prepare: managed='yes' hostdevs are libvirt's own business" || not_ok "managed=yes" "exit $RC" "$ERR"
lv prepare begin "<domain><devices><hostdev type='pci'>"
[ $RC = 1 ] && [[ $ERR == *"refusing to start domain dom: domain XML: not well-formed"* ]] &&
	ok "libvirt prepare: malformed XML refuses the start, one line" || not_ok "malformed XML" "exit $RC" "$ERR"
lv prepare begin "<domain><uuid>00000000-0000-0000-0000-000000000001</uuid><devices><hostdev type='pci'><source><address bus='0x100' slot='0' function='0'/></source></hostdev></devices></domain>"
[ $RC = 1 ] && [[ $ERR == *"bad or missing bus/slot/function"* ]] &&
	ok "libvirt prepare: an out-of-range address is refused" || not_ok "bus 0x100" "exit $RC" "$ERR"
lv started begin "not xml at all"
[ $RC = 0 ] && ok "libvirt: other operations exit 0 without reading the XML" || not_ok "started begin" "exit $RC" "$ERR"
lv release end "<domain><uuid>00000000-0000-0000-0000-0000000000ff</uuid><devices/></domain>"
[ $RC = 0 ] && [[ $ERR == *"handed nothing off"* ]] && ok "libvirt release: nothing recorded, nothing to do" || not_ok "release" "exit $RC" "$ERR"

echo "1..$n"
tap_end tests/hooks
