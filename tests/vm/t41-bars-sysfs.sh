#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t41-bars-sysfs: gptctl bars reports every BAR, the ROM
# and the upstream bridge's windows exactly as the kernel's sysfs does
# (/sys/bus/pci/devices/*/resource: start, end, flags), sizes as JSON
# numbers, for a GPU with a 256 GiB 64-bit BAR and for a VGA with a ROM.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 ivshmem-plain 1af4:1110  BAR0 256 B, BAR2 256 GiB 64-bit pref
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 VGA 1234:1111  BAR0 16 MiB pref, BAR2 4 KiB, ROM
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

topo_root_port 1
topo_ivshmem rp1 big 256G
topo_root_port 2
topo_vga rp2 vga0
vm_boot

DEVS="0000:01:00.0 0000:02:00.0"
BRIDGES="0000:00:01.0 0000:00:02.0"

t_check "modprobe gpupt" vm_run 'modprobe gpupt'

# One guest round trip: gptctl's JSON and text, then sysfs and /proc/iomem.
collect() {
	vm_run "gptctl -j bars $DEVS >/tmp/bars.json || exit 1
		gptctl bars $DEVS >/tmp/bars.txt || exit 1
		for d in $DEVS $BRIDGES; do
			i=0
			while read -r s e f; do
				echo \"\$d \$i \$s \$e \$f\"
				i=\$((i + 1))
			done </sys/bus/pci/devices/\$d/resource
		done >/tmp/sysfs.txt
		cp /tmp/bars.json /tmp/bars.txt /tmp/sysfs.txt /rig/ || exit 1
		cat /proc/iomem >/rig/iomem"
}
t_check "gptctl -j bars and gptctl bars succeed" collect
S=$VM_RUN/share
JSON=$S/bars.json

t_check "JSON is an array with one object per address" eval \
	'assert_eq "0000:01:00.0 0000:02:00.0" "$(jq -r "[.[].address] | join(\" \")" "$JSON")" addresses'

# compare_bars: every sysfs BAR line (0..5 and ROM) against the JSON.
compare_bars() {
	local d i s e f want got bad=0 n=0
	while read -r d i s e f; do
		case " $DEVS " in *" $d "*) ;; *) continue ;; esac
		[ "$i" -le 6 ] || continue
		if [ $((f)) = 0 ]; then
			# not implemented (or the upper half of a 64-bit BAR)
			if [ "$i" = 6 ]; then
				got=$(jq -r --arg d "$d" '.[] | select(.address == $d) | .rom' "$JSON")
				assert_eq null "$got" "$d ROM" || bad=1
			else
				got=$(jq -r --arg d "$d" --argjson i "$i" \
					'.[] | select(.address == $d) | [.bars[] | select(.index == $i)] | length' "$JSON")
				assert_eq 0 "$got" "$d BAR $i (absent in sysfs)" || bad=1
			fi
			continue
		fi
		n=$((n + 1))
		if [ "$i" = 6 ]; then
			# (a shadow copy at 0xc0000 is not in the resource tree:
			# "assigned" is checked against /proc/iomem below)
			want="$((s)) $((e - s + 1)) $(( (f & 0x2) != 0 ))"
			got=$(jq -r --arg d "$d" '.[] | select(.address == $d) | .rom |
				"\(.start) \(.size) \(if .shadow then 1 else 0 end)"' "$JSON")
		else
			want="$((s)) $((e - s + 1)) $(( (f & 0x100) != 0 )) $(( (f & 0x100000) != 0 )) $(( (f & 0x2000) != 0 )) true"
			got=$(jq -r --arg d "$d" --argjson i "$i" '.[] | select(.address == $d) |
				.bars[] | select(.index == $i) |
				"\(.start) \(.size) \(if .io then 1 else 0 end) \(if .mem64 then 1 else 0 end) \(if .prefetch then 1 else 0 end) \(.assigned)"' "$JSON")
		fi
		assert_eq "$want" "$got" "$d BAR $i (start size io mem64 prefetch assigned; sysfs $s $e $f)" || bad=1
	done <"$S/sysfs.txt"
	[ $n -ge 5 ] || { echo "#   only $n BARs compared"; bad=1; }
	return $bad
}
t_check "every BAR and ROM: start, size, io/mem64/prefetch equal sysfs" compare_bars

t_check "the 256 GiB BAR2 is a JSON number, 274877906944, 64-bit prefetchable" eval \
	'assert_eq "number 274877906944 true true" "$(jq -r ".[0].bars[] | select(.index == 2) |
		\"\(.size | type) \(.size) \(.mem64) \(.prefetch)\"" "$JSON")" "ivshmem BAR2"'

# assigned == the range is claimed by the device in /proc/iomem
compare_iomem() {
	local d bad=0 start size hex
	for d in $DEVS; do
		while read -r start size; do
			printf -v hex '%x-%x' "$start" $((start + size - 1))
			grep -Eq "^ *0*${hex} : $d\$" "$S/iomem" ||
				{ echo "#   $d: $hex not in /proc/iomem"; bad=1; }
		done < <(jq -r --arg d "$d" '.[] | select(.address == $d) | .bars[] |
			select(.assigned and (.io | not)) | "\(.start) \(.size)"' "$JSON")
	done
	return $bad
}
t_check "assigned BARs are the device's ranges in /proc/iomem" compare_iomem

# bridge windows: sysfs lines 13 (io), 14 (mem), 15 (pref) of the root port
compare_windows() {
	local d i s e f k bad=0 br want got
	for k in 0 1; do
		d=${DEVS%% *}; [ $k = 1 ] && d=${DEVS##* }
		br=$(echo $BRIDGES | cut -d' ' -f$((k + 1)))
		got=$(jq -r --arg d "$d" '.[] | select(.address == $d) | .bridge' "$JSON")
		assert_eq "$br" "$got" "$d bridge" || bad=1
		while read -r _ i s e f; do
			[ "$i" -ge 13 ] && [ "$i" -le 15 ] || continue
			[ $((f)) = 0 ] && continue
			local t=(io mem pref)
			want="$((s)) $((e - s + 1))"
			got=$(jq -r --arg d "$d" --arg t "${t[$((i - 13))]}" '.[] | select(.address == $d) |
				.bridge_windows[] | select(.type == $t) | "\(.start) \(.size)"' "$JSON")
			assert_eq "$want" "$got" "$d bridge $br window ${t[$((i - 13))]}" || bad=1
		done < <(grep "^$br " "$S/sysfs.txt")
	done
	return $bad
}
t_check "bridge windows equal the root ports' sysfs windows" compare_windows

t_check "the 256 GiB window is 64-bit" eval \
	'assert_eq true "$(jq -r ".[0].bridge_windows[] | select(.type == \"pref\") | .mem64" "$JSON")" "rp1 pref mem64"'

t_check "text output: a table with the 256 GiB BAR and no findings" eval \
	'txt=$(cat "$S/bars.txt"); assert_contains "256 GiB" "$txt" && assert_contains "mem64 pref" "$txt" &&
	 { ! grep -q "^  ! " "$S/bars.txt" || { echo "#   unexpected finding:"; grep "^  ! " "$S/bars.txt"; false; }; }'

t_check_rc 2 "a malformed address is a usage error (exit 2)" vm_run 'gptctl bars 1:2:3'
t_check_rc 1 "a function that does not exist fails (exit 1)" vm_run 'gptctl bars 0000:05:00.0'
t_done
