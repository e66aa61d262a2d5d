#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hook-bench: what gpupt's libvirt hook adds to `virsh start` and
# `virsh destroy`, against `gptctl handoff` / `gptctl reclaim` of the same
# devices.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 ── 01:00.0 VGA 1234:1111 + 01:00.1 intel-hda
#   └── 00:02.0 pcie-root-port rp2 ── 02:00.0 VGA 1234:1111 + 02:00.1 intel-hda
#
# Both slots are held by gpupt from the initramfs.  The hook is installed
# (gptctl hook libvirt install) and run as libvirt runs it: the script
# /etc/libvirt/hooks/qemu.d/gpupt with "DOMAIN prepare begin -" (and
# "release end -") and the domain XML of `gptctl libvirt` on stdin.  Per
# round, timed in the guest with bash's $EPOCHREALTIME:
#   hook-prepare   the hook at prepare/begin (hands off 4 functions)
#   hook-release   the hook at release/end (reclaims them)
#   handoff        gptctl handoff 01:00.0 02:00.0
#   reclaim        gptctl reclaim 01:00.0 02:00.0
#   start          gptctl --version (one process start: binary over 9p, TCG)
# It prints the medians and minima and, from one run, the ratio
# (hook - gptctl) / start for both directions, from the medians and (a
# "best:" line) from the minima.  Goal: <= 1, the hook costs
# at most one gptctl process start more than gptctl alone (the hook is a
# sh script that execs gptctl: one sh start, the XML parse, the lookups).
#
# Environment: BENCH_ROUNDS (7).
. "$(dirname "$0")/../vm/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

ROUNDS=${BENCH_ROUNDS:-7}
for i in 1 2; do
	topo_root_port $i
	topo_gpu_slot rp$i gpu$i
done
vm_boot --gpupt-initramfs "ids=1234:1111,8086:2668"

vm_run_q "modprobe vfio-pci && gptctl hook libvirt install &&
	gptctl libvirt 01:00.0 02:00.0 | awk '/^<!-- gpupt: inside <devices>/ { on = 1; next } /^<!--/ { on = 0; next } on' >/tmp/devs.xml &&
	{ echo \"<domain type='qemu'><name>bench</name><uuid>4a1e0d2c-5b7f-4e43-9c1a-0d0c2f6e7aff</uuid><devices>\"; cat /tmp/devs.xml; echo '</devices></domain>'; } >/tmp/dom.xml" ||
	rig_die "setup failed: $(cat "$VM_LAST_ERR")"

# In the guest: one line per round, "prepare release handoff reclaim start" in µs.
out=$(VM_TIMEOUT=600 vm_run "
	H=/etc/libvirt/hooks/qemu.d/gpupt
	on() { for a in 0000:01:00.0 0000:01:00.1 0000:02:00.0 0000:02:00.1; do
		cd -P /sys/bus/pci/devices/\$a/driver && [ \${PWD##*/} = \$1 ] || { echo \"\$a not on \$1\" >&2; exit 1; }; done; }
	us() { local s=\${1/./} e=\${2/./}; echo \$(( 10#\$e - 10#\$s )); }
	for r in \$(seq $ROUNDS); do
		t0=\$EPOCHREALTIME; \$H bench prepare begin - </tmp/dom.xml 2>/dev/null || exit 1; t1=\$EPOCHREALTIME; on vfio-pci
		t2=\$EPOCHREALTIME; \$H bench release end - </tmp/dom.xml 2>/dev/null || exit 1; t3=\$EPOCHREALTIME; on gpupt
		t4=\$EPOCHREALTIME; gptctl handoff 01:00.0 02:00.0 >/dev/null || exit 1; t5=\$EPOCHREALTIME; on vfio-pci
		t6=\$EPOCHREALTIME; gptctl reclaim 01:00.0 02:00.0 >/dev/null || exit 1; t7=\$EPOCHREALTIME; on gpupt
		t8=\$EPOCHREALTIME; gptctl --version >/dev/null; t9=\$EPOCHREALTIME
		echo \$(us \$t0 \$t1) \$(us \$t2 \$t3) \$(us \$t4 \$t5) \$(us \$t6 \$t7) \$(us \$t8 \$t9)
	done") || rig_die "a round failed: $(cat "$VM_LAST_ERR")"
vm_stop

med() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
col() { awk -v c="$1" '{ print $c }' <<<"$out"; }
min() { sort -n | head -1; }
names=(hook-prepare hook-release handoff reclaim start)
declare -A M B
for c in 1 2 3 4 5; do
	M[${names[c - 1]}]=$(col $c | med)
	B[${names[c - 1]}]=$(col $c | min)
	awk -v n="${names[c - 1]}" -v m="${M[${names[c - 1]}]}" -v b="${B[${names[c - 1]}]}" \
		'BEGIN { printf "# %-13s median %7.1f ms   best %7.1f ms\n", n, m / 1000, b / 1000 }'
done
awk -v hp="${M[hook-prepare]}" -v ho="${M[handoff]}" -v hr="${M[hook-release]}" \
    -v rc="${M[reclaim]}" -v st="${M[start]}" 'BEGIN {
	printf "hook-bench: virsh start: hook %.1f ms vs gptctl handoff %.1f ms: (hook - handoff) / process start (%.1f ms) = %.2f (goal <= 1)\n",
		hp / 1000, ho / 1000, st / 1000, (hp - ho) / st
	printf "hook-bench: virsh destroy: hook %.1f ms vs gptctl reclaim %.1f ms: (hook - reclaim) / process start = %.2f (goal <= 1)\n",
		hr / 1000, rc / 1000, (hr - rc) / st
}'
# The minima: on a shared host a descheduled round says nothing about gpupt.
awk -v hp="${B[hook-prepare]}" -v ho="${B[handoff]}" -v hr="${B[hook-release]}" \
    -v rc="${B[reclaim]}" -v st="${B[start]}" 'BEGIN {
	printf "hook-bench: best: start (hook - handoff) / process start = %.2f, destroy (hook - reclaim) / process start = %.2f\n",
		(hp - ho) / st, (hr - rc) / st
}'
