#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Offline tests of the fleet layer (apply, export, nfd, kubevirt, nova):
# no VM, no module, nothing on the host touched.  gptctl reads a fake sysfs
# tree (--root):
#
#   ROOT/sys/bus/pci/devices/
#     0000:00:01.0  8086:29c0 060400 pcieport   (bridge: never counted)
#     0000:01:00.0  10de:2330 030200 vfio-pci   group 12   GH100 (H100 SXM5)
#     0000:01:00.1  10de:22a3 040300 vfio-pci   group 12   its audio
#     0000:02:00.0  10de:2330 030200 vfio-pci   group 13
#     0000:03:00.0  1234:1111 030000 gpupt      group 14   physical slot "7"
#     0000:04:00.0  8086:10d3 020000 e1000e     group 15   (not a GPU)
#   ROOT/sys/module/gpupt, ROOT/run/gpupt/last-apply "1700000000 0"
#
#   1. export prometheus: promtool + node_exporter on loopback (prom.sh),
#      values, no timestamps, names, atomic (strace: rename of a dot file)
#   2. systemd-analyze verify of gpupt-apply.service: nothing on stderr
#   3. nfd: the label checker (Kubernetes' rules, with its negative cases)
#   4. kubevirt: YAML parses, pciHostDevices schema, extended-resource
#      names, --name-style nvidia equals the plugin's algorithm over pci.ids
#   5. nova: Nova's own Whitelist and alias parser accept it, reject a
#      bad line
#   6. apply --dry-run: devices.conf errors are reported by line, exit 2
#   7. SR-IOV VFs (a second tree: an NVMe PF on gpupt, its two VFs on
#      vfio-pci): kubevirt lists their ID; nova gives them a type-VF
#      alias and Nova's Whitelist assigns each VF; sriov lines of
#      devices.conf are parsed, bad ones named by line
#
# Output: TAP-like "ok N - ..." / "not ok N - ...", then a summary line.
# Usage: tests/fleet/run.sh [GPTCTL]   (default: ctl/gptctl of this tree)

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/fleet
GPTCTL=${1:-${GPTCTL:-$top/ctl/gptctl}}
PY=/usr/bin/python3	# Debian's, with python3-yaml/jsonschema/nova
PCI_IDS=/usr/share/misc/pci.ids

. "$top/tests/lib/tap.sh"

# dev ROOT ADDR VENDOR DEVICE CLASS DRIVER GROUP
dev() {
	local d=$1/sys/bus/pci/devices/$2
	mkdir -p "$d" "$1/sys/bus/pci/drivers/$6" "$1/sys/kernel/iommu_groups/$7"
	echo "0x$3" >"$d/vendor"
	echo "0x$4" >"$d/device"
	echo "0x$5" >"$d/class"
	ln -s "../../../bus/pci/drivers/$6" "$d/driver"
	ln -s "../../../kernel/iommu_groups/$7" "$d/iommu_group"
}

# verdict_is DESC WANT [DIAG...]: check.py prints its verdict last; ok
# when the last line of $out is WANT, else not_ok with both and DIAG.
verdict_is() {
	local desc=$1 want=$2 got
	shift 2
	got=$(tail -1 <<<"$out")
	if [ "$got" = "$want" ]; then ok "$desc"; else not_ok "$desc" "expected $want" "got $got" "$@"; fi
}

R=$tmp/root
dev "$R" 0000:00:01.0 8086 29c0 060400 pcieport 1
dev "$R" 0000:01:00.0 10de 2330 030200 vfio-pci 12
dev "$R" 0000:01:00.1 10de 22a3 040300 vfio-pci 12
dev "$R" 0000:02:00.0 10de 2330 030200 vfio-pci 13
dev "$R" 0000:03:00.0 1234 1111 030000 gpupt 14
dev "$R" 0000:04:00.0 8086 10d3 020000 e1000e 15
mkdir -p "$R/sys/bus/pci/slots/7" "$R/sys/module/gpupt" "$R/run/gpupt"
echo 0000:03:00 >"$R/sys/bus/pci/slots/7/address"
echo "1700000000 0" >"$R/run/gpupt/last-apply"

[ -x "$GPTCTL" ] || { echo "not ok 1 - gptctl not built ($GPTCTL)"; exit 1; }

# ---- 1. export prometheus ------------------------------------------------
PROM=$R/var/lib/prometheus/node-exporter/gpupt.prom
if strace -f -qq -e trace=rename,renameat,renameat2 -o "$tmp/export.strace" \
	"$GPTCTL" export prometheus --root "$R" >"$tmp/out" 2>"$tmp/err"; then
	ok "export prometheus --root writes the default file under ROOT"
else
	not_ok "export prometheus --root writes the default file under ROOT" "$(cat "$tmp/err")"
fi
check "promtool check metrics accepts it; node_exporter serves it with node_textfile_scrape_error 0" \
	"$here/prom.sh" "$PROM"
want='gpupt_devices{driver="gpupt",state="held"} 1
gpupt_devices{driver="vfio-pci",state="vfio"} 3
gpupt_iommu_enabled 1
gpupt_last_apply_success 1
gpupt_last_apply_timestamp_seconds 1700000000
gpupt_module_loaded 0'
got=$(grep -E '^gpupt_(devices|iommu|last_apply|module)' "$PROM" | sort)
if [ "$got" = "$want" ]; then
	ok "export: 3 on vfio (bridge and NIC not counted), 1 held, IOMMU, last apply"
else
	not_ok "export: 3 on vfio (bridge and NIC not counted), 1 held, IOMMU, last apply" \
		"expected:" "$want" "got:" "$got"
fi
bad=$(grep -v '^#' "$PROM" | awk 'NF != 2 || $1 !~ /^gpupt_[a-z0-9_]+(\{.*\})?$/')
if [ -z "$bad" ] && grep -q '^gpupt_' "$PROM"; then
	ok "export: every sample is 'gpupt_name{labels} value': no timestamps"
else
	not_ok "export: every sample is 'gpupt_name{labels} value': no timestamps" "$bad"
fi
if grep -Eq "(^|[0-9] +)rename(at2?)?\(.*\"$(dirname "$PROM")/\.gpupt\.prom\.[A-Za-z0-9]{6}\".*\"$PROM\"" "$tmp/export.strace" &&
   [ "$(ls -A "$(dirname "$PROM")")" = gpupt.prom ]; then
	ok "export: written as a dot file in the same directory, then renamed; nothing left over"
else
	not_ok "export: written as a dot file in the same directory, then renamed; nothing left over" \
		"$(cat "$tmp/export.strace")" "$(ls -A "$(dirname "$PROM")")"
fi
touch "$tmp/afile"
if ! "$GPTCTL" export prometheus --root "$R" --output "$tmp/afile/x.prom" 2>"$tmp/err" &&
   grep -q "cannot write" "$tmp/err"; then
	ok "export: an unwritable output fails with exit 1 and says why"
else
	not_ok "export: an unwritable output fails with exit 1 and says why" "$(cat "$tmp/err")"
fi
rm -f "$R/run/gpupt/last-apply"
"$GPTCTL" export prometheus --root "$R" -o "$tmp/nolast.prom" 2>/dev/null
if ! grep -q last_apply "$tmp/nolast.prom" && "$here/prom.sh" "$tmp/nolast.prom" >/dev/null; then
	ok "export: without an apply record there is no last-apply metric, and the file still passes"
else
	not_ok "export: without an apply record there is no last-apply metric, and the file still passes" \
		"$(cat "$tmp/nolast.prom")"
fi
echo "1700000100 1" >"$R/run/gpupt/last-apply"

# ---- 2. the systemd unit -------------------------------------------------
UNIT=$top/dkms/systemd/gpupt-apply.service
missing=
for l in Type=oneshot RemainAfterExit=yes DefaultDependencies=no \
	 After=systemd-modules-load.service; do
	grep -qx "$l" "$UNIT" || missing="$missing $l"
done
for u in basic.target libvirtd.service kubelet.service nova-compute.service; do
	grep -Eq "^Before=(.* )?$u( |\$)" "$UNIT" || missing="$missing Before=$u"
done
if [ -z "$missing" ]; then
	ok "gpupt-apply.service has the required dependencies"
else
	not_ok "gpupt-apply.service has the required dependencies" "missing:$missing"
fi
# verify against a scratch install (gptctl and its man page), not the host
SR=$tmp/sysroot
if make -s -C "$top" install DESTDIR="$SR" >"$tmp/install.log" 2>&1; then
	mkdir -p "$SR/etc/systemd/system"
	cp "$UNIT" "$SR/etc/systemd/system/"
	(cd "$tmp" && MANPATH=$SR/usr/share/man systemd-analyze verify --root="$SR" \
		gpupt-apply.service >"$tmp/verify.out" 2>"$tmp/verify.err")
	rc=$?
	if [ $rc = 0 ] && [ ! -s "$tmp/verify.err" ]; then
		ok "systemd-analyze verify gpupt-apply.service prints nothing on stderr"
	else
		not_ok "systemd-analyze verify gpupt-apply.service prints nothing on stderr" \
			"exit $rc" "$(cat "$tmp/verify.err")"
	fi
else
	not_ok "make install DESTDIR= (for systemd-analyze verify)" "$(tail -5 "$tmp/install.log")"
fi

# ---- 3. nfd ----------------------------------------------------------------
NFD=$R/etc/kubernetes/node-feature-discovery/features.d/gpupt
strace -f -qq -e trace=rename,renameat,renameat2 -o "$tmp/nfd.strace" \
	"$GPTCTL" nfd --root "$R" >/dev/null 2>"$tmp/err"
check "the label checker rejects bad keys and values (kubernetes.io, sizes, ends, characters)" \
	"$PY" "$here/check.py" labels-selftest
if out=$("$PY" "$here/check.py" labels "$NFD" 2>&1); then
	ok "nfd: every label passes Kubernetes' label rules"
else
	not_ok "nfd: every label passes Kubernetes' label rules" "$out" "$(cat "$NFD" "$tmp/err")"
fi
want='{"gpupt.io/gpus": "3", "gpupt.io/healthy-vfio-gpus": "2", "gpupt.io/held-gpus": "1", "gpupt.io/iommu": "true", "gpupt.io/module": "true", "gpupt.io/quarantined": "0", "gpupt.io/vfio-10de-2330": "2", "gpupt.io/vfio-gpus": "2"}'
verdict_is "nfd: labels say 3 GPUs, 2 on vfio (both 10de:2330), 1 held, IOMMU, module" "$want"
d=$(dirname "$NFD")
if grep -Eq "(^|[0-9] +)rename(at2?)?\(.*\"$d/\.gpupt\.[A-Za-z0-9]{6}\".*\"$NFD\"" "$tmp/nfd.strace" &&
   [ "$(ls -A "$d")" = gpupt ]; then
	ok "nfd: written as a dot file in features.d, then renamed; nothing left over"
else
	not_ok "nfd: written as a dot file in features.d, then renamed; nothing left over" \
		"$(cat "$tmp/nfd.strace")" "$(ls -A "$d")"
fi

# ---- 4. kubevirt -----------------------------------------------------------
printf '10de  NVIDIA Corporation\n\t2330  GH100 [H100 SXM5 80GB]\n\t22a3  GH100 High Definition Audio\n1234  Technical Corp.\n' >"$tmp/pci.ids"
"$GPTCTL" kubevirt --root "$R" --pci-ids "$tmp/pci.ids" >"$tmp/kv.yaml" 2>"$tmp/kv.err"
rc1=$?
"$GPTCTL" -j kubevirt --root "$R" --pci-ids "$tmp/pci.ids" >"$tmp/kv.json" 2>/dev/null
if [ $rc1 = 0 ] && out=$("$PY" "$here/check.py" kubevirt "$tmp/kv.yaml" "$tmp/kv.json" 2>&1); then
	ok "kubevirt: the YAML parses, matches the pciHostDevices schema, -j agrees, resource names are extended resources"
else
	not_ok "kubevirt: the YAML parses, matches the pciHostDevices schema, -j agrees, resource names are extended resources" \
		"$out" "$(cat "$tmp/kv.yaml" "$tmp/kv.err")"
fi
want='[["10DE:2330", "gpupt.io/GH100_H100_SXM5_80GB", false], ["10DE:22A3", "gpupt.io/GH100_High_Definition_Audio", false]]'
verdict_is "kubevirt: one entry per ID on vfio, selectors like 10DE:2330, names from pci.ids (gpupt style)" "$want"
if grep -q "restart" "$tmp/kv.err" && grep -q "virt-handler" "$tmp/kv.err"; then
	ok "kubevirt: warns that virt-handler must be restarted to see newly bound devices"
else
	not_ok "kubevirt: warns that virt-handler must be restarted to see newly bound devices" "$(cat "$tmp/kv.err")"
fi
"$GPTCTL" kubevirt --root "$R" --pci-ids "$tmp/pci.ids" --name-style nvidia >"$tmp/kvn.yaml" 2>"$tmp/kvn.err"
"$GPTCTL" -j kubevirt --root "$R" --pci-ids "$tmp/pci.ids" --name-style nvidia >"$tmp/kvn.json" 2>/dev/null
out=$("$PY" "$here/check.py" kubevirt "$tmp/kvn.yaml" "$tmp/kvn.json" 2>&1)
want='[["10DE:2330", "nvidia.com/GH100_H100_SXM5_80GB", true]]'
if [ "$(tail -1 <<<"$out")" = "$want" ] && grep -q "device plugin" "$tmp/kvn.err"; then
	ok "kubevirt --name-style nvidia: nvidia.com/GH100_H100_SXM5_80GB, external provider, one per IOMMU group, plugin restart warned"
else
	not_ok "kubevirt --name-style nvidia: nvidia.com/GH100_H100_SXM5_80GB, external provider, one per IOMMU group, plugin restart warned" \
		"expected $want" "$out" "$(cat "$tmp/kvn.err")"
fi
# The plugin's naming over real pci.ids names: 60 NVIDIA devices spread
# over Debian's pci.ids, each alone in its group on vfio-pci.
if [ -r "$PCI_IDS" ]; then
	RN=$tmp/rootnv
	sed -n '/^10de /,/^[0-9a-f]/p' "$PCI_IDS" | grep -P '^\t[0-9a-f]{4} ' | cut -c2-5 >"$tmp/nvids"
	total=$(wc -l <"$tmp/nvids")
	step=$(( total > 60 ? total / 60 : 1 ))
	awk -v s="$step" 'NR % s == 1 || s == 1' "$tmp/nvids" | head -60 | {
		g=100 i=0
		while read -r id; do
			dev "$RN" "$(printf '0000:%02x:00.0' $((i + 1)))" 10de "$id" 030200 vfio-pci $((g + i))
			i=$((i + 1))
		done
	}
	"$GPTCTL" -j kubevirt --root "$RN" --name-style nvidia >"$tmp/nv.json" 2>"$tmp/nv.err"
	jq -r '.spec.configuration.permittedHostDevices.pciHostDevices[] | .pciVendorSelector + " " + .resourceName' \
		"$tmp/nv.json" | sort >"$tmp/nv.ours"
	cut -d' ' -f1 "$tmp/nv.ours" | tr 'A-F' 'a-f' | "$PY" "$here/check.py" nvidia-names "$PCI_IDS" | sort >"$tmp/nv.theirs"
	cnt=$(wc -l <"$tmp/nv.ours")
	if [ "$cnt" -ge 50 ] && cmp -s "$tmp/nv.ours" "$tmp/nv.theirs"; then
		ok "kubevirt --name-style nvidia reproduces the plugin's names for $cnt NVIDIA devices of pci.ids"
	else
		not_ok "kubevirt --name-style nvidia reproduces the plugin's names for $cnt NVIDIA devices of pci.ids" \
			"$(diff "$tmp/nv.ours" "$tmp/nv.theirs" | head -20)" "$(head -5 "$tmp/nv.err")"
	fi
else
	skip "kubevirt --name-style nvidia over pci.ids" "no $PCI_IDS (package pci.ids)"
fi

# ---- 5. nova -----------------------------------------------------------------
if "$PY" -c 'import nova.pci.whitelist' 2>/dev/null; then
	for by in addr id; do
		"$GPTCTL" nova --root "$R" --pci-ids "$tmp/pci.ids" --by $by >"$tmp/nova-$by.conf" 2>"$tmp/nova.err"
		if out=$("$PY" "$here/check.py" nova "$tmp/nova-$by.conf" 2>&1); then
			ok "nova --by $by: Nova's Whitelist and alias parser accept the [pci] snippet"
		else
			not_ok "nova --by $by: Nova's Whitelist and alias parser accept the [pci] snippet" \
				"$out" "$(cat "$tmp/nova-$by.conf")"
		fi
	done
	nspec=$(grep -c '^device_spec = ' "$tmp/nova-addr.conf")
	nalias=$(grep -c '^alias = ' "$tmp/nova-addr.conf")
	if [ "$nspec" = 3 ] && [ "$nalias" = 2 ] &&
	   grep -q '"address": "0000:01:00.1"' "$tmp/nova-addr.conf" &&
	   grep -q '"managed": "no"' "$tmp/nova-addr.conf" &&
	   grep -q '"name": "gh100-h100-sxm5-80gb"' "$tmp/nova-addr.conf" &&
	   grep -q 'before 2024.1' "$tmp/nova.err"; then
		ok "nova: 3 device_spec (one per function on vfio, managed no), 2 aliases, the managed-tag warning"
	else
		not_ok "nova: 3 device_spec (one per function on vfio, managed no), 2 aliases, the managed-tag warning" \
			"$(cat "$tmp/nova-addr.conf" "$tmp/nova.err")"
	fi
	{ echo '[pci]'; echo 'device_spec = {"vendor_id": "10dx", "product_id": "2330", "managed": "no"}'; } >"$tmp/bad1.conf"
	{ grep -v '^alias' "$tmp/nova-addr.conf"; echo 'alias = {"name": "x", "vendor_id": "10de", "product_id": "2330", "device_type": "type-GPU"}'; } >"$tmp/bad2.conf"
	check "nova: Nova rejects a deliberately bad device_spec line (vendor_id 10dx)" \
		"$PY" "$here/check.py" nova "$tmp/bad1.conf" --bad
	check "nova: Nova rejects a deliberately bad alias line (device_type type-GPU)" \
		"$PY" "$here/check.py" nova "$tmp/bad2.conf" --bad
else
	skip "nova: Nova's own parsers" "python3-nova is not installed"
fi

# ---- 6. devices.conf through apply --dry-run -------------------------------------
printf '# ok\nid 10de:2330 vfio-pci\nid 10de:zz vfio-pci\nslot 01:00.0 gpupt\naddr 0000:01:00.0 nouveau\nid 10de:2330 vfio-pci sometimes\nslot 7 host force single\n' >"$tmp/bad.conf"
"$GPTCTL" apply --dry-run --config "$tmp/bad.conf" >"$tmp/out" 2>"$tmp/err"
rc=$?
want="$tmp/bad.conf:3: invalid ID '10de:zz' (VENDOR:DEVICE, hex)
$tmp/bad.conf:4: invalid slot '01:00.0' ([DOMAIN:]BUS:DEV, hex)
$tmp/bad.conf:5: unknown target 'nouveau' (vfio-pci, a vfio variant driver, gpupt or host)
$tmp/bad.conf:6: unknown option 'sometimes' (force, single, reset=, d3cold=, reset-on-handoff)"
if [ $rc = 2 ] && [ "$(grep -E "bad\.conf:[0-9]+: " "$tmp/err" | sed 's/^gptctl: //')" = "$want" ] &&
   grep -q "nothing changed" "$tmp/err" && [ ! -s "$tmp/out" ]; then
	ok "apply: every bad devices.conf line is named by FILE:LINE, exit 2, nothing done"
else
	not_ok "apply: every bad devices.conf line is named by FILE:LINE, exit 2, nothing done" "exit $rc" "$(cat "$tmp/err")"
fi
printf 'id 10de:2330 vfio-pci\naddr 0000:41:00.0 nvgrace_gpu_vfio_pci single\nslot 0000:81:00 gpupt\nslot 7 host force\n' >"$tmp/good.conf"
"$GPTCTL" apply --dry-run --config "$tmp/good.conf" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc != 2 ] && ! grep -q "good.conf:" "$tmp/err"; then
	ok "apply: a good devices.conf parses (then needs the module: exit $rc)"
else
	not_ok "apply: a good devices.conf parses" "exit $rc" "$(cat "$tmp/err")"
fi

# ---- 7. SR-IOV VFs ----------------------------------------------------------------
RV=$tmp/rootvf
dev "$RV" 0000:05:00.0 1b36 0010 010802 gpupt 20
dev "$RV" 0000:05:00.1 1b36 0010 010802 vfio-pci 21
dev "$RV" 0000:05:00.2 1b36 0010 010802 vfio-pci 22
for v in 0000:05:00.1 0000:05:00.2; do ln -s ../0000:05:00.0 "$RV/sys/bus/pci/devices/$v/physfn"; done
printf '1b36  Red Hat, Inc.\n\t0010  QEMU NVM Express Controller\n' >"$tmp/pci-vf.ids"
"$GPTCTL" kubevirt --root "$RV" --pci-ids "$tmp/pci-vf.ids" >"$tmp/kvvf.yaml" 2>/dev/null
"$GPTCTL" -j kubevirt --root "$RV" --pci-ids "$tmp/pci-vf.ids" >"$tmp/kvvf.json" 2>/dev/null
out=$("$PY" "$here/check.py" kubevirt "$tmp/kvvf.yaml" "$tmp/kvvf.json" 2>&1)
verdict_is "kubevirt: the VFs on vfio-pci are offered (schema, names), the PF on gpupt is not" \
	'[["1B36:0010", "gpupt.io/QEMU_NVM_Express_Controller", false]]' "$out" "$(cat "$tmp/kvvf.yaml")"
if "$PY" -c 'import nova.pci.whitelist' 2>/dev/null; then
	"$GPTCTL" nova --root "$RV" --pci-ids "$tmp/pci-vf.ids" >"$tmp/novavf.conf" 2>/dev/null
	if out=$("$PY" "$here/check.py" nova "$tmp/novavf.conf" --vf 0000:05:00.1,0000:05:00.0,1b36,0010 \
		--vf 0000:05:00.2,0000:05:00.0,1b36,0010 2>&1) &&
	   grep -q '"name": "qemu-nvm-express-controller-vf", .*"device_type": "type-VF"' "$tmp/novavf.conf" &&
	   [ "$(grep -c '^device_spec = ' "$tmp/novavf.conf")" = 2 ]; then
		ok "nova: one device_spec per VF, a type-VF alias; Nova's Whitelist assigns both VFs as type-VF"
	else
		not_ok "nova: one device_spec per VF, a type-VF alias; Nova's Whitelist assigns both VFs as type-VF" \
			"$out" "$(cat "$tmp/novavf.conf")"
	fi
	sed 's/type-VF/type-PCI/' "$tmp/novavf.conf" >"$tmp/novavf-pci.conf"
	check "nova: the checker refuses a type-PCI alias for VFs (Nova would never give them out)" \
		eval '! "$PY" "$here/check.py" nova "$tmp/novavf-pci.conf" --vf 0000:05:00.1,0000:05:00.0,1b36,0010 >/dev/null'
else
	skip "nova: VFs through Nova's own parsers" "python3-nova is not installed"
fi
printf 'sriov 0000:05:00.0 numvfs=2 vf-driver=vfio-pci\nsriov 05:00.0 numvfs=1\nsriov 0000:06:00.0 numvfs=x\nsriov 0000:07:00.0 vf-driver=vfio-pci\nsriov 0000:08:00.0 numvfs=1 vf-driver=nouveau\nsriov 0000:09:00.0 numvfs=1 sometimes\n' >"$tmp/sriov.conf"
"$GPTCTL" apply --dry-run --config "$tmp/sriov.conf" >"$tmp/out" 2>"$tmp/err"
rc=$?
want="$tmp/sriov.conf:2: 05:00.0 already has a sriov line (line 1)
$tmp/sriov.conf:3: invalid numvfs 'x' (0..65535)
$tmp/sriov.conf:4: sriov needs numvfs=N
$tmp/sriov.conf:5: unknown vf-driver 'nouveau' (vfio-pci, a vfio variant driver, gpupt or host)
$tmp/sriov.conf:6: unknown option 'sometimes' (numvfs=N, vf-driver=TARGET or force)"
if [ $rc = 2 ] && [ "$(grep -E "sriov\.conf:[0-9]+: " "$tmp/err" | sed 's/^gptctl: //')" = "$want" ]; then
	ok "apply: bad sriov lines are named by FILE:LINE (duplicate PF, numvfs, vf-driver, options), exit 2"
else
	not_ok "apply: bad sriov lines are named by FILE:LINE (duplicate PF, numvfs, vf-driver, options), exit 2" \
		"exit $rc" "$(cat "$tmp/err")"
fi

tap_end fleet
