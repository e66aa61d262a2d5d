#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: build gpupt.ko against the cached debug kernel (see
# build-kernel.sh), then run the whole VM suite on that kernel.  The rig's
# console check (tests/vm/lib.sh, RIG_CONSOLE_BAD) fails a test on any
# BUG:, WARNING:, KASAN, UBSAN, lockdep ("possible circular locking",
# "suspicious RCU"), hung-task or Oops report in any guest console; at the
# end every console is scanned once more (tests/debug/triage.sh) and the
# reports are listed by kind and test.  t90-failslab runs only here: the
# stock kernel has no failslab.
#
# Extra arguments select VM tests by substring, as in tests/run-all.
#
# Output: build/debug-logs/ (one console and dmesg per boot, check-all.log:
# the suite's log of every run since the last full one) and
# build/debug-logs/SUMMARY (the figures tests/debug/RESULTS.md quotes).
#
# Timeouts: KASAN + lockdep under TCG on a loaded host boot and run several
# times slower than the stock kernel.  RIG_BOOT_TIMEOUT and RIG_TIMEOUT are
# raised here (if not set); GPUPT_TEST_TIMEOUT bounds each script.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${GPUPT_DEBUG_DIR:-/var/cache/gpupt-kernels/debug-6.1}

"$top/tests/debug/build-kernel.sh" --if-missing
kver=$(cat "$DIR/KVER")

# Build in a copy: the shared kmod/ tree holds the 6.1 stock objects.
obj="$DIR/gpupt"
rm -rf "$obj"
mkdir -p "$obj"
cp -a "$top/kmod" "$top/include" "$top/VERSION" "$obj/"
make -C "$obj/kmod" KDIR="$DIR/build" clean >/dev/null 2>&1 || true
make -C "$obj/kmod" KDIR="$DIR/build" KVER="$kver" W=1 2>&1 | tee "$obj/build.log"
if grep -q 'warning:' "$obj/build.log"; then
	echo "check-debug: gpupt.ko has W=1 warnings on $kver" >&2
	exit 1
fi
# the shared tree's ctl/ is built under the team's lock (see BRIEF)
if command -v flock >/dev/null; then
	flock /tmp/gpupt-ctl.lock make -C "$top/ctl" >/dev/null
else
	make -C "$top/ctl" >/dev/null
fi

export KVER="$kver"
export RIG_KERNEL="$DIR/vmlinuz"
export RIG_HOST_MODDIR="$DIR/root/lib/modules/$kver"
export GPUPT_KO="$obj/kmod/gpupt.ko"
export RIG_LOGDIR="$top/build/debug-logs"
export RIG_GPTCTL="$top/ctl/gptctl"
export RIG_CACHE="$top/build/vm"
export GPUPT_DEBUG_KERNEL=1
export RIG_BOOT_TIMEOUT=${RIG_BOOT_TIMEOUT:-900}
export RIG_TIMEOUT=${RIG_TIMEOUT:-600}
export GPUPT_TEST_TIMEOUT=${GPUPT_TEST_TIMEOUT:-3600}
# A full run starts from an empty log directory; a run of selected tests
# adds to it (so that t90 first, then the rest, make one SUMMARY).
[ $# = 0 ] && rm -rf "$RIG_LOGDIR"
mkdir -p "$RIG_LOGDIR"

# tests/run-all writes TOP/build/check.log, where a concurrent `make check`
# keeps its own: run it through a tree of symlinks whose build/ is ours.
run="$top/build/debug-run"
rm -rf "$run"
mkdir -p "$run/build"
for d in "$top"/*; do
	[ "${d##*/}" = build ] || ln -s "$d" "$run/${d##*/}"
done

t0=$SECONDS
rc=0
"$run/tests/run-all" --vm-only "$@" || rc=$?
secs=$((SECONDS - t0))
cat "$run/build/check.log" >>"$RIG_LOGDIR/check-all.log"

summary=$RIG_LOGDIR/SUMMARY
set +e
{
	echo "kernel: $kver ($RIG_KERNEL)"
	echo "last run ($*): $(tail -n1 "$run/build/check.log") in $secs s (exit $rc)"
	echo "all runs: $(grep -c '^ok ' "$RIG_LOGDIR/check-all.log") ok, $(grep -c '^not ok ' "$RIG_LOGDIR/check-all.log") not ok, $(grep -c '^== ' "$RIG_LOGDIR/check-all.log") scripts"
	grep -h '^# booted ' "$RIG_LOGDIR/check-all.log" |
		sed -n 's/.* in \([0-9]*\) ms.*/\1/p' | sort -n |
		awk '{ a[NR] = $1 } END { if (NR) printf "boots: %d, median %.0f s, min %.0f s, max %.0f s\n", NR, a[int((NR + 1) / 2)] / 1000, a[1] / 1000, a[NR] / 1000 }'
	echo "early-boot stalls retried (guest halted before /init, see tests/vm/lib.sh vm_boot): $(grep -c '^# boot stalled' "$RIG_LOGDIR/check-all.log")"
	grep -h '^# failnl: operations\|^# failnl: outcomes\|^# failnl: random:\|^# failnl: sweep:' \
		"$RIG_LOGDIR/check-all.log" | sed 's/^# //'
	"$top/tests/debug/triage.sh" "$RIG_LOGDIR"
} | tee "$summary"
exit $rc
