#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t25-list-sysfs: `gptctl -j list` agrees with sysfs in
# the same guest for every key, covers exactly the devices the dump promises
# (display class, held, asked for, and their slot siblings), and uses the
# JSON types of the contract.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 (boot VGA)     held (ids=, class 0300)
#   │       01:00.1 intel-hda 8086:2668          held (ids=)
#   ├── 00:02.0 pcie-root-port rp2
#   │   └── 02:00.0 secondary-vga 1234:1111 0380 bochs-drm   listed: display class
#   ├── 00:03.0 pcie-root-port rp3
#   │   └── 03:00.0 edu 1234:11e8                held (addrs=)
#   └── 00:04.0 pcie-root-port rp4
#       └── 04:00.0 edu 1234:11e8                not listed
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

topo_root_port 1
topo_gpu_slot rp1 gpu0
topo_root_port 2
VM_DEVS+=(-device secondary-vga,id=gpu1,bus=rp2,addr=00.0)
topo_root_port 3
topo_edu rp3 edu3
topo_root_port 4
topo_edu rp4 edu4
vm_boot

t_check "modprobe gpupt ids=... addrs=03:00.0; modprobe bochs" vm_run '
	modprobe gpupt ids=1234:1111:ffffffff:ffffffff:030000:ffffff,8086:2668 addrs=03:00.0 &&
	modprobe bochs'

# One guest command: the JSON and sysfs, read back to back.
sysfs_dump='
for d in /sys/bus/pci/devices/*; do
	a=${d##*/}
	v=$(<$d/vendor) dv=$(<$d/device) sv=$(<$d/subsystem_vendor) sd=$(<$d/subsystem_device) c=$(<$d/class)
	drv=null g=null bv=false n=$(<$d/numa_node) rm=
	[ -e $d/driver ] && { cd -P $d/driver; drv=${PWD##*/}; }
	[ -e $d/iommu_group ] && { cd -P $d/iommu_group; g=${PWD##*/}; }
	[ -e $d/boot_vga ] && [ "$(<$d/boot_vga)" = 1 ] && bv=true
	[ "$n" = -1 ] && n=null
	[ -e $d/reset_method ] && { rm=$(<$d/reset_method); rm=${rm// /,}; }
	held=false; [ "$drv" = gpupt ] && held=true
	echo "$a ${v#0x} ${dv#0x} ${sv#0x} ${sd#0x} ${c#0x} $drv $g $bv $held $n $rm"
done'
JS=$(vm_run 'gptctl -j list')
js_rc=$?
SYSFS=$(vm_run "$sysfs_dump")
t_check "gptctl -j list succeeds" eval 'assert_eq 0 "$js_rc" "exit status"'
t_check "gptctl -j list prints a JSON array" eval 'jq -e "type == \"array\"" <<<"$JS" >/dev/null'

listed=$(jq -r '.[].address' <<<"$JS" 2>/dev/null | sort | tr '\n' ' ')
t_check "the list covers display class, held and asked-for devices and their slot siblings, nothing else" \
	assert_eq "0000:01:00.0 0000:01:00.1 0000:02:00.0 0000:03:00.0 " "$listed" "listed addresses"

t_check "every key agrees with sysfs" eval '
	json_rows=$(jq -r ".[] | [.address, .vendor, .device, .subsystem_vendor, .subsystem_device, .class,
		(.driver // \"null\"), (.iommu_group // \"null\" | tostring), (.boot_vga | tostring),
		(.held | tostring), (.numa_node // \"null\" | tostring), (.reset_methods | join(\",\"))]
		| join(\" \")" <<<"$JS" | sed "s/ \$//")
	ok=0
	while read -r row; do
		a=${row%% *}
		want=$(grep "^$a " <<<"$SYSFS" | sed "s/ \$//")
		assert_eq "$want" "$row" "$a (addr vendor device subvendor subdevice class driver group boot_vga held numa reset_methods)" || ok=1
	done <<<"$json_rows"
	[ $ok = 0 ]'

t_check "JSON types: ids are 4 lowercase hex digits, class 6, name a non-empty string" \
	jq -e 'all(.[]; (.vendor, .device, .subsystem_vendor, .subsystem_device | test("^[0-9a-f]{4}$"))
		and (.class | test("^[0-9a-f]{6}$")) and (.name | type == "string" and length > 0)
		and (.address | test("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$")))' <<<"$JS"
t_check "JSON types: driver string|null, iommu_group and numa_node number|null, booleans, reset_methods array" \
	jq -e 'all(.[]; (.driver | type == "string" or type == "null")
		and (.iommu_group | type == "number" or type == "null")
		and (.numa_node | type == "number" or type == "null")
		and (.boot_vga | type == "boolean") and (.held | type == "boolean")
		and (.reset_methods | type == "array"))' <<<"$JS"
t_check "the boot VGA is 01:00.0 and only it" \
	assert_eq "0000:01:00.0" "$(jq -r '.[] | select(.boot_vga) | .address' <<<"$JS")" "boot_vga devices"
t_check "gptctl -j show 01:00.0 prints the same object as list" eval '
	show=$(vm_run "gptctl -j show 01:00.0") &&
	assert_eq "$(jq -S ".[] | select(.address == \"0000:01:00.0\")" <<<"$JS")" "$(jq -S . <<<"$show")" "show vs list"'
t_check "gptctl list -d 8086:2668 filters like lspci -d" \
	eval 'assert_eq "0000:01:00.1" "$(vm_run "gptctl -j list -d 8086:2668" | jq -r ".[].address" | tr "\n" " " | sed "s/ \$//")" "list -d"'
t_check "gptctl list -s 02:00.0 filters like lspci -s" \
	eval 'assert_eq "0000:02:00.0" "$(vm_run "gptctl -j list -s 02:00.0" | jq -r ".[].address" | tr "\n" " " | sed "s/ \$//")" "list -s"'
t_check "the text table has a header and one row per device" eval '
	txt=$(vm_run "gptctl list") &&
	assert_eq 5 "$(grep -c . <<<"$txt")" "lines of gptctl list"'
t_done
