#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t90-failslab: gpupt's netlink handlers and its handoff engine
# while slab allocations fail.  tests/debug/failnl sends well-formed
# DEV_GET (do and dump), STATS_GET, BARS_GET, CLAIM, UNCLAIM, HANDOFF (one
# function, a group, three groups, dry run), RECLAIM, RELEASE and RESET
# requests with failslab armed for its own task only (task-filter=Y,
# /proc/self/make-it-fail=1 around each request; fail-nth in the sweep),
# so every allocation the kernel makes in its sendmsg()/recvmsg() may fail,
# and nothing else on the guest does.  After every request it compares the
# driver and driver_override of the four functions with the outcome: a
# failed request changed nothing (the rollback was complete), a successful
# one did exactly its job.  Then the module still answers and the console
# shows no report.  Needs a kernel with CONFIG_FAILSLAB (make debug-kernel;
# make check-debug runs it); elsewhere the test is skipped.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 (multifunction)   held (addrs=)  } one
#   │       01:00.1 intel-hda 8086:2668             held (addrs=)  } group
#   ├── 00:02.0 pcie-root-port rp2
#   │   └── 02:00.0 edu 1234:11e8                   held (addrs=)
#   └── 00:03.0 pcie-root-port rp3
#       └── 03:00.0 edu 1234:11e8                   held (addrs=)
#
# bochs and snd-hda-intel stay unloaded: UNCLAIM and RELEASE then leave a
# function driverless, deterministically, and no foreign probe() runs
# under fault.  vfio-pci is loaded before the run (request_module() would
# run modprobe from a kworker, outside the fault filter anyway).
#
# Workqueues: work a request queues runs in a kworker and is not faulted
# (marking kworkers would fail unrelated work sharing their pool).  gpupt
# runs the first IOMMU group of a HANDOFF inline and only further groups on
# its workqueue, so the three-group template names the groups in a random
# order: each group's move is faulted inline in some requests, and a fault
# there rolls back the groups that moved on the workqueue.  RESET's jobs
# run on the workqueue: only its planning and reply are faulted.
#
# FAILNL_OPS (default 200; 2000 with GPUPT_STRESS=1) random operations
# with at most one injected failure each, then a sweep: each template's
# request is run once to count the slab allocations it makes in failnl's
# context (A), then again with the Nth of them failing (fail-nth), for
# FAILNL_SWEEP values of N spread evenly over 1..A (default 30; in stress
# every N).  FAILNL_SEED reproduces a run.
. "$(dirname "$0")/lib.sh"

# Known upstream report, not gpupt's: on 6.1, when an allocation fails in
# vfio_create_group() (dev_set_name() or cdev_device_add(), reached from
# vfio-pci's probe in a HANDOFF), its error path drops the group with
# group->iommu_group still set, and vfio_group_release() says
#   WARNING: CPU: N PID: N at drivers/vfio/vfio_main.c:179 vfio_group_release
# (it also leaks the iommu_group reference taken in vfio_group_alloc()).
# Only that error path can reach the WARN (every other put clears
# iommu_group first).  The fix belongs upstream:
#   err_put: iommu_group_put(group->iommu_group);
#            group->iommu_group = NULL;   (before put_device(&group->dev))
# It is listed in tests/debug/known-upstream, so the rig's console check
# names and counts it on this kernel (t_done prints the count); anything
# else on the console fails as in every test.

rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

GPU=0000:01:00.0 AUD=0000:01:00.1 EDU1=0000:02:00.0 EDU2=0000:03:00.0
FAILNL=$RIG_TOP/tests/debug/failnl

# Skip early (no boot) when the kernel's config says there is no failslab.
rig_resolve_kernel
for cfg in "$RIG_HOST_MODDIR/build/.config" "/boot/config-$RIG_KVER"; do
	[ -r "$cfg" ] || continue
	if ! grep -q '^CONFIG_FAILSLAB=y' "$cfg" && [ "${FAILNL_NOFAULT:-0}" != 1 ]; then
		echo "1..0 # SKIP no failslab (needs make debug-kernel)"
		exit 0
	fi
	break
done
make -s -C "$RIG_TOP/tests/debug" failnl >/dev/null || { echo "Bail out! cannot build tests/debug/failnl"; exit 1; }

if [ "${GPUPT_STRESS:-0}" = 1 ]; then
	OPS=${FAILNL_OPS:-2000} SWEEP=${FAILNL_SWEEP:-100000}
else
	OPS=${FAILNL_OPS:-200} SWEEP=${FAILNL_SWEEP:-30}
fi
SEED=${FAILNL_SEED:-$(date +%s)}

topo_root_port 1
topo_gpu_slot rp1 gpu0
topo_root_port 2
topo_edu rp2 edu2
topo_root_port 3
topo_edu rp3 edu3
vm_boot --gpupt-initramfs "addrs=$GPU,$AUD,$EDU1,$EDU2"

if ! vm_run_q "[ -w /sys/kernel/debug/failslab/probability ]" && [ "${FAILNL_NOFAULT:-0}" != 1 ]; then
	vm_stop
	echo "1..0 # SKIP no failslab (needs make debug-kernel)"
	exit 0
fi

t_check "gpupt holds the four functions; no native driver for them is loaded" eval '
	vm_run_q "modprobe vfio-pci && ! grep -qE \"^(bochs|snd_hda_intel) \" /proc/modules" &&
	vm_driver_is $GPU gpupt && vm_driver_is $AUD gpupt &&
	vm_driver_is $EDU1 gpupt && vm_driver_is $EDU2 gpupt'
FOUR="$GPU|$AUD|$EDU1|$EDU2"
t_check "01:00.0 and 01:00.1 share an IOMMU group; 02:00.0 and 03:00.0 have their own" eval '
	g=$(vm_run "cd /sys/bus/pci/devices; for a in $GPU $AUD $EDU1 $EDU2; do g=\$(readlink \$a/iommu_group); printf \"%s \" \${g##*/}; done")
	set -- $g
	[ "$1" = "$2" ] && [ "$1" != "$3" ] && [ "$3" != "$4" ] && [ "$1" != "$4" ] ||
		{ echo "#   groups: $g"; false; }'

others() { vm_pci_state | grep -Ev "^($FOUR) "; }
BEFORE=$(others)
vm_run_q "dmesg -C"

ARGS="-n $OPS -w $SWEEP -s $SEED"
[ "${FAILNL_NOFAULT:-0}" = 1 ] && ARGS="$ARGS -N"
echo "# failnl $ARGS (reproduce: FAILNL_SEED=$SEED FAILNL_OPS=$OPS FAILNL_SWEEP=$SWEEP $0)"
T0=$(rig_now)
OUT=$(VM_TIMEOUT=${FAILNL_TIMEOUT:-$(( (OPS + 40 * SWEEP) * 10 + 600 ))} vm_run "$FAILNL $ARGS $GPU $AUD $EDU1 $EDU2 2>&1")
RC=$?
T1=$(rig_now)
printf '%s\n' "$OUT" | sed 's/^/# /'
echo "# failnl run: $(((T1 - T0) / 1000)) ms"
FAULTED=$(printf '%s\n' "$OUT" | sed -n 's/^failnl: operations \([0-9]*\), with an injected failure \([0-9]*\).*/\1 \2/p')

t_check "failnl: every request under fault ended in a clean error and a full rollback, or did its job (exit 0)" \
	assert_eq 0 "$RC" "failnl exit status"
if [ "${FAILNL_NOFAULT:-0}" = 1 ]; then
	t_skip "failures were really injected" "FAILNL_NOFAULT=1"
else
	t_check "failures were really injected (operations, faulted: ${FAULTED:-none})" eval '
		set -- $FAULTED
		[ -n "${2:-}" ] && [ "$2" -gt 0 ] && [ "$2" -ge $(($1 / 4)) ] ||
			{ echo "#   too few injected failures: ${FAULTED:-no summary line}"; false; }'
	DMESG=$(vm_run dmesg)
	t_check "the kernel log shows the injected failures (FAULT_INJECTION) and gpupt's rollbacks" eval '
		assert_contains "FAULT_INJECTION: forcing a failure" "$DMESG" "dmesg" &&
		assert_contains "rolled back to" "$DMESG" "dmesg"'
	echo "# dmesg: $(grep -c 'FAULT_INJECTION: forcing a failure' <<<"$DMESG") FAULT_INJECTION lines (rate-limited), $(grep -c 'rolled back to' <<<"$DMESG") rollbacks, $(grep -c 'rollback: wanted' <<<"$DMESG") failed rollbacks"
fi
t_check "the module still answers: gptctl -j list agrees with sysfs for the four functions" eval '
	want=$(vm_run "for a in $GPU $AUD $EDU1 $EDU2; do d=/sys/bus/pci/devices/\$a
		if [ -e \$d/driver ]; then cd -P \$d/driver; echo \$a \${PWD##*/}; else echo \$a -; fi; done") &&
	got=$(vm_run "gptctl -j list | jq -r '"'"'.. | objects | select(.address?) | \"\\(.address) \\(.driver // \"-\")\"'"'"' | grep -E \"^($FOUR) \" | sort -u") &&
	assert_eq "$want" "$got" "gptctl -j list vs sysfs"'
t_check "no other PCI function changed" eval 'assert_eq "$BEFORE" "$(others)" "other functions"'
t_check "after the run, RECLAIM and CLAIM without faults bring all four back to gpupt" eval '
	vm_run_q "gptctl reclaim $GPU && gptctl claim $EDU1 && gptctl claim $EDU2" &&
	vm_driver_is $GPU gpupt && vm_driver_is $AUD gpupt &&
	vm_driver_is $EDU1 gpupt && vm_driver_is $EDU2 gpupt'
t_done
