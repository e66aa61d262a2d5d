#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# reset-bench: gptctl reset of 8 devices against the serial sysfs loop that
# libvirt and Proxmox effectively run, in one VM boot.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 (2.5GT/s x1) ── 01:00.0 e1000e
#   ├── ...
#   └── 00:08.0 pcie-root-port rp8 (2.5GT/s x1) ── 08:00.0 e1000e
#   all eight held by gpupt (ids=8086:10d3)
#
# Measured inside the guest with bash $EPOCHREALTIME (no fork for the sysfs
# writes; gptctl's own exec, ~50-100 ms under TCG, is included in its time):
#   serial     for d in 8 devices: echo 1 >reset (reset_method = bus)
#   background the same 8 writes started at once, then wait (reference)
#   gptctl     gptctl reset --method bus (no address: all 8 managed devices)
#   curve      gptctl reset --method bus of the first N = 1, 2, 4, 8
# Each figure is the best of RUNS (default 3) runs.  "slowest device" is the
# longest per-device duration the kernel reported (best run); "starting
# gptctl" is the time of `gptctl --version`, the part no kernel work can save.  Goal: gptctl
# takes at most 0.35 of the serial time.
RIG_NAME=reset-bench
. "$(dirname "$0")/../vm/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl
RUNS=${RUNS:-3}

for i in 1 2 3 4 5 6 7 8; do
	topo_root_port $i
	topo_e1000e rp$i nic$i
done
vm_boot --gpupt-initramfs "ids=8086:10d3" >/dev/null

# Everything in one guest command; prints "name microseconds" lines.
res=$(VM_TIMEOUT=600 vm_run '
	runs='"$RUNS"'
	devs=$(for i in 1 2 3 4 5 6 7 8; do echo 0000:0$i:00.0; done)
	now() { local t=$EPOCHREALTIME; echo ${t/./}; }
	best() { local b=$1; shift; for v; do [ $v -lt $b ] && b=$v; done; echo $b; }
	for d in $devs; do echo bus >/sys/bus/pci/devices/$d/reset_method || exit 1; done
	gptctl reset --method bus >/dev/null || exit 1		# warm the page cache
	s=(); b=(); g=(); k=(); v=()
	for r in $(seq $runs); do
		t0=$(now); for d in $devs; do echo 1 >/sys/bus/pci/devices/$d/reset || exit 1; done; t1=$(now)
		s+=($((t1 - t0)))
		t0=$(now); for d in $devs; do echo 1 >/sys/bus/pci/devices/$d/reset & done; wait; t1=$(now)
		b+=($((t1 - t0)))
		t0=$(now); gptctl -j reset --method bus >/tmp/r.json || exit 1; t1=$(now)
		g+=($((t1 - t0)))
		k+=($(grep -o "\"duration_us\":[0-9]*" /tmp/r.json | cut -d: -f2 | sort -n | tail -1))
		t0=$(now); gptctl --version >/dev/null; t1=$(now)
		v+=($((t1 - t0)))
	done
	echo "serial $(best ${s[@]})"
	echo "background $(best ${b[@]})"
	echo "gptctl $(best ${g[@]})"
	echo "kernel $(best ${k[@]})"
	echo "exec $(best ${v[@]})"
	for n in 1 2 4 8; do
		set -- $devs; a=$(echo "$@" | cut -d" " -f1-$n); c=()
		for r in $(seq $runs); do
			t0=$(now); gptctl reset --method bus $a >/dev/null || exit 1; t1=$(now)
			c+=($((t1 - t0)))
		done
		echo "curve$n $(best ${c[@]})"
	done
	for d in $devs; do echo default >/sys/bus/pci/devices/$d/reset_method; done
') || { echo "reset-bench: guest run failed (rc=$?): $(cat "$VM_LAST_ERR")"; vm_fail_diag; vm_stop; exit 1; }
vm_stop

get() { sed -n "s/^$1 //p" <<<"$res"; }
ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
serial=$(get serial) bg=$(get background) gp=$(get gptctl) kern=$(get kernel) ex=$(get exec)
echo "reset-bench: 8 x e1000e on 8 root ports (x-speed=2_5,x-width=1), $RIG_KVER, TCG, best of $RUNS"
printf '  %-44s %10s ms\n' "serial sysfs loop (reset_method=bus)" "$(ms "$serial")"
printf '  %-44s %10s ms\n' "8 background sysfs writes (reference)" "$(ms "$bg")"
printf '  %-44s %10s ms   (slowest device in the kernel: %s ms)\n' "gptctl reset --method bus, all 8" "$(ms "$gp")" "$(ms "$kern")"
printf '  %-44s %10s ms\n' "(of which starting gptctl: gptctl --version)" "$(ms "$ex")"
ratio=$(echo "scale=3; $gp / $serial" | bc)
printf '  ratio gptctl/serial: %s (goal <= 0.35)\n' "$ratio"
echo "  curve, gptctl reset --method bus of N devices:"
for n in 1 2 4 8; do
	c=$(get curve$n)
	printf '    N=%d  %10s ms  (%s ms per device)\n' $n "$(ms "$c")" "$(ms $((c / n)))"
done
[ "$(echo "$ratio <= 0.35" | bc)" = 1 ] && echo "  goal met" || echo "  goal NOT met"
