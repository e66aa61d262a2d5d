#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t45-libvirt-validate: every snippet gptctl libvirt prints,
# wrapped in a minimal q35 domain at the place its comment names, passes
# virt-xml-validate (libvirt's own RNG schema), and so does the domain with
# all of them at once.  The GPUs are chosen so that every kind of snippet
# appears: a 256 GiB BAR (the OVMF knob, as <sysinfo> and as
# <qemu:commandline>), --phys-bits 36 (too few: <maxphysaddr>), --romfile
# (<rom file>), --hide-kvm (<features>), a GPU with its audio function.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 ivshmem-plain 1af4:1110, BAR2 256 GiB 64-bit pref
#   └── 00:02.0 pcie-root-port rp2
#       ├── 02:00.0 VGA 1234:1111 (multifunction)
#       └── 02:00.1 intel-hda 8086:2668
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
command -v virt-xml-validate >/dev/null ||
	{ echo "1..0 # SKIP virt-xml-validate missing (apt-get install libvirt-clients)"; exit 0; }

topo_root_port 1
topo_ivshmem rp1 big 256G
topo_root_port 2
topo_gpu_slot rp2 gpu0
vm_boot

ROM=/usr/share/qemu/vgabios-stdvga.bin
S=$VM_RUN/share
t_check "gptctl libvirt (all options) and gptctl libvirt (GPU+audio only)" vm_run "modprobe gpupt &&
	gptctl libvirt 01:00.0 02:00.0 --romfile $ROM --hide-kvm --phys-bits 36 >/rig/all.xml &&
	gptctl -j libvirt 01:00.0 02:00.0 --romfile $ROM --hide-kvm --phys-bits 36 >/rig/all.json &&
	gptctl libvirt 02:00.0 >/rig/small.xml"

HEAD="<name>gpupt-t45</name><memory unit='KiB'>1048576</memory>
<os><type arch='x86_64' machine='q35'>hvm</type>
<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader></os>"
QNS="http://libvirt.org/schemas/domain/qemu/1.0"
WORK=$(mktemp -d "$RIG_CACHE/t45.XXXXXX")

# split FILE PREFIX: one file per snippet, PREFIX.N.PARENT-WORD
split_snippets() {
	awk -v p="$2" '
		/^<!-- gpupt: inside </ {
			n++; parent = $0; sub(/^<!-- gpupt: inside </, "", parent)
			sub(/[ >].*/, "", parent)
			if ($0 ~ /xmlns:qemu/) parent = "qemu"
			f = p "." n "." parent; next
		}
		/^<!--/ { next }
		f { print > f }' "$1"
}

# wrap PARENT SNIPPET-FILE -> a minimal domain on stdout
wrap() {
	case $1 in
	devices) echo "<domain type='kvm'>$HEAD<devices>$(cat "$2")</devices></domain>" ;;
	domain) echo "<domain type='kvm'>$HEAD$(cat "$2")<devices/></domain>" ;;
	qemu) echo "<domain type='kvm' xmlns:qemu='$QNS'>$HEAD<devices/>$(cat "$2")</domain>" ;;
	features) echo "<domain type='kvm'>$HEAD<features>$(cat "$2")</features><devices/></domain>" ;;
	*) echo "unknown parent '$1'" >&2; return 1 ;;
	esac
}

validate_each() {	# FILE: every snippet on its own
	local f parent bad=0 n=0 kinds=""
	rm -f "$WORK"/s.*
	split_snippets "$1" "$WORK/s"
	for f in "$WORK"/s.*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		parent=${f##*.}
		kinds+="$parent "
		wrap "$parent" "$f" >"$f.domain.xml" || { bad=1; continue; }
		if ! out=$(virt-xml-validate "$f.domain.xml" domain 2>&1); then
			echo "#   snippet $n (inside <$parent>) does not validate: $out"
			sed 's/^/#     /' "$f.domain.xml" | head -30
			bad=1
		fi
	done
	echo "#   $n snippets: $kinds"
	[ $n -gt 0 ] && return $bad
}
t_check "every snippet validates on its own (all options)" validate_each "$S/all.xml"
t_check "the options produce every kind of snippet" eval '
	assert_eq "devices domain domain features qemu" \
		"$(ls "$WORK"/s.*.* | grep -v domain.xml | sed "s/.*\.//" | sort | tr "\n" " " | sed "s/ $//")" "snippet parents"'
t_check "every snippet validates on its own (GPU+audio, no options)" validate_each "$S/small.xml"

validate_all() {	# all.xml's snippets in one domain, as a user would merge them
	local feat="" dom="" dev="" q=""
	rm -f "$WORK"/s.*
	split_snippets "$S/all.xml" "$WORK/s"
	for f in "$WORK"/s.*; do
		case ${f##*.} in
		devices) dev+=$(cat "$f") ;;
		domain) dom+=$(cat "$f") ;;
		features) feat+=$(cat "$f") ;;
		qemu) q+=$(cat "$f") ;;
		esac
	done
	echo "<domain type='kvm' xmlns:qemu='$QNS'>$HEAD$dom<features>$feat</features><devices>$dev</devices>$q</domain>" \
		>"$WORK/merged.xml"
	virt-xml-validate "$WORK/merged.xml" domain 2>&1 | sed 's/^/#   /'
	return "${PIPESTATUS[0]}"
}
t_check "all snippets together in one domain validate" validate_all

t_check "the knob is 524288 in both forms, the ROM and both functions are there" eval '
	x=$(cat "$S/all.xml") &&
	assert_contains "<entry name='\''opt/ovmf/X-PciMmio64Mb'\''>524288</entry>" "$x" &&
	assert_contains "<qemu:arg value='\''name=opt/ovmf/X-PciMmio64Mb,string=524288'\''/>" "$x" &&
	assert_contains "<maxphysaddr mode='\''passthrough'\''/>" "$x" &&
	assert_eq 1 "$(grep -c "<rom file='\''$ROM'\''/>" <<<"$x")" "<rom> count (the VGA only, not the ivshmem)" &&
	assert_contains "<address domain='\''0x0000'\'' bus='\''0x02'\'' slot='\''0x00'\'' function='\''0x1'\''/>" "$x" &&
	assert_contains "function='\''0x0'\'' multifunction='\''on'\''/>" "$x"'
t_check "no knob for the small GPU, and it says why" eval '
	x=$(cat "$S/small.xml") && assert_contains "No X-PciMmio64Mb needed" "$x" && ! grep -q sysinfo <<<"$x"'
t_check "JSON snippets are the text ones" eval '
	assert_eq "$(grep -v "^<!--" "$S/all.xml")" "$(jq -r ".snippets[].xml" "$S/all.json")" "snippets"'
rm -rf "$WORK"
t_done
