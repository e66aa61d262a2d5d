#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/kernels/check.sh: `make check-kernels`.  For each kernel of
# tests/kernels/matrix: prepare it (cached in $GPUPT_KCACHE), build gpupt.ko
# against it with W=1 in a copy of the sources, and on the bootable ones run
# the core VM tests of tests/kernels/core-tests with that kernel, its own
# module tree and the gpupt.ko built for it.  Prints one table row per kernel
# and writes the table to tests/kernels/TESTED.md.
#
#   GPUPT_KERNELS="6.12 sid"    only these matrix entries (default: all)
#   GPUPT_KTESTS_ON="6.12 sid"  run the VM tests only on these (default: every
#                               bootable entry; CI runs the full suite on 6.1
#                               already, so it passes "6.12 sid")
#   GPUPT_KTEST_TIMEOUT=900     seconds per test script
#   RIG_TIMEOUT=240             the rig's per-command timeout; raised from the
#                               rig's 120 s because a shared 2-core machine
#                               with several TCG guests was seen to need it
#   RIG_ACCEL=tcg,thread=single QEMU's accelerator for these guests: one
#                               host thread for both vCPUs.  With multi-
#                               threaded TCG, sid's 7.2 kernel now and then
#                               dies in early boot on "Oops: int3" in a
#                               static-key site (code patched while the other
#                               vCPU runs: 2 of 7 boots in one CI run, 1 of
#                               40 in a boot loop); 0 of 24 single-threaded,
#                               at the same boot time.  The rig also retries
#                               a boot that panics before its /init.
#   GPUPT_KWARN_OK=1            W=1 warnings do not fail the run
#   GPUPT_KADVISORY="5.10"      entries whose failures are reported (TAP
#                               "# TODO advisory") but do not fail the run;
#                               default: those marked "advisory" in matrix
#   GPUPT_KCACHE=DIR            the cache (default /var/cache/gpupt-kernels)
#
# Output is TAP (one line per build and per test script per kernel, so that
# tests/run-all can count it), then the table.  Each test's own TAP output
# and guest consoles are in build/kernels/NAME/.  Exit status: 0 when every
# build succeeded without W=1 warnings and every test that ran passed.
set -o pipefail
. "$(dirname "$0")/lib.sh"

names=${GPUPT_KERNELS:-$(kmatrix | awk '{ print $1 }')}
advisory=${GPUPT_KADVISORY-$(kmatrix | awk '$4 == "advisory" { print $1 }')}
res=$GPUPT_KCACHE/results
logs=$KSRC/build/kernels
mkdir -p "$GPUPT_KCACHE" "$res" "$logs"
t_start=$SECONDS
tap_n=0
gate=1
tap() {	# ok|not ok, description
	tap_n=$((tap_n + 1))
	if [ "$1" != ok ] && [ $gate = 0 ]; then
		echo "$1 $tap_n - $2 # TODO advisory kernel, does not fail the run"
	else
		echo "$1 $tap_n - $2"
	fi
}
fail_run() { [ $gate = 0 ] || status=1; }

# One run at a time per cache: another check-kernels (or build.sh) would
# rebuild the same build/NAME copies under our running tests.
exec 8>"$GPUPT_KCACHE/.check.lock"
if ! flock -n 8; then
	klog "another check-kernels holds $GPUPT_KCACHE/.check.lock; waiting for it"
	flock 8
fi
export GPUPT_KLOCKED=1

bash "$KTESTS/prepare.sh" $names || kdie "preparing the kernels failed"

# The userspace tool is the same for every kernel: build it once.
if [ -f "$KSRC/ctl/Makefile" ]; then
	flock /tmp/gpupt-ctl.lock make -C "$KSRC/ctl" >"$logs/ctl.log" 2>&1 ||
		klog "ctl build failed (see $logs/ctl.log); tests needing gptctl will fail"
fi

core_tests() {	# prints the test scripts that exist, one per line
	local pat desc f found
	grep -v '^[[:space:]]*\(#\|$\)' "$KTESTS/core-tests" | while read -r pat desc; do
		found=0
		for f in "$KSRC"/tests/vm/$pat; do
			[ -f "$f" ] || continue
			echo "$f"
			found=1
		done
		[ $found = 1 ] || klog "no core test matches tests/vm/$pat yet ($desc)"
	done | awk '!seen[$0]++'
}

tests_on() {
	local n=$1
	[ -z "${GPUPT_KTESTS_ON+x}" ] && return 0
	[[ " $GPUPT_KTESTS_ON " == *" $n "* ]]
}

# run_tests NAME: runs the core tests on NAME, writes results/NAME.tests.
run_tests() {
	local name=$1 t base rc pass=0 fail=0 skip=0 detail=() out
	local ldir=$logs/$name
	rm -rf "$ldir"
	mkdir -p "$ldir"
	: >"$res/$name.failures"
	for t in $(core_tests); do
		base=$(basename "$t" .sh)
		klog "$name: $base"
		RIG_TIMEOUT=${RIG_TIMEOUT:-240} RIG_BOOT_TIMEOUT=${RIG_BOOT_TIMEOUT:-300} \
		RIG_ACCEL=${RIG_ACCEL:-tcg,thread=single} \
		KVER=$KVER RIG_KVER= RIG_KERNEL=$VMLINUZ RIG_HOST_MODDIR=$MODROOT/lib/modules/$KVER \
			GPUPT_KO=$KO RIG_LOGDIR=$ldir RIG_NAME=$base \
			timeout -k 10 "${GPUPT_KTEST_TIMEOUT:-900}" bash "$t" >"$ldir/$base.tap" 2>&1 </dev/null
		rc=$?
		out=$ldir/$base.tap
		if [ $rc = 0 ] && grep -q '^1\.\.0 # SKIP' "$out"; then
			skip=$((skip + 1)); detail+=("$base:skip")
			tap ok "$name: $base # SKIP $(sed -n 's/^1\.\.0 # SKIP //p' "$out" | head -n1)"
		elif [ $rc = 0 ]; then
			pass=$((pass + 1)); detail+=("$base:pass")
			tap ok "$name: $base ($(grep -c '^ok' "$out") checks)"
		else
			fail=$((fail + 1)); detail+=("$base:FAIL(rc=$rc)")
			grep -E '^(not ok|Bail out)' "$out" | sed "s/^/$base: /" >>"$res/$name.failures"
			tap "not ok" "$name: $base (exit $rc${KO:+, $(grep -c '^not ok' "$out") checks failed})"
			echo "#   ${out#"$KSRC"/}, the failures and the last lines:"
			{ grep -E '^(not ok|Bail out)' "$out" | head -n 10; tail -n 30 "$out"; } | sed 's/^/#   /'
		fi
	done
	printf 'PASS=%s\nFAIL=%s\nSKIP=%s\nDETAIL="%s"\n' "$pass" "$fail" "$skip" "${detail[*]}" \
		>"$res/$name.tests"
}

status=0
rows=()
for name in $names; do
	gate=1
	[[ " $advisory " == *" $name "* ]] && gate=0
	if ! kenv "$name"; then
		fail_run
		rows+=("$name|-|not prepared|-|-")
		tap "not ok" "$name: prepared"
		continue
	fi
	BUILD=fail WARNINGS=- KO=
	rm -f "$res/$name.build"
	bash "$KTESTS/build.sh" "$name" 2>"$logs/$name.build.err" || fail_run
	[ -f "$res/$name.build" ] && . "$res/$name.build"
	if [ "$BUILD" = ok ] && { [ "$WARNINGS" = 0 ] || [ "${GPUPT_KWARN_OK:-0}" = 1 ]; }; then
		tap ok "$name: build against $KVER, W=1 warnings: $WARNINGS"
	else
		fail_run
		tap "not ok" "$name: build against $KVER: $BUILD, W=1 warnings: $WARNINGS"
		echo "#   full log: $LOG"
		grep -E '(error|warning|WARNING|\*\*\*)' "$LOG" | head -n 40 | sed 's/^/#   /'
	fi
	tests="build only"
	rm -f "$res/$name.tests" "$res/$name.failures"
	if [ "$BOOT" = yes ]; then
		if [ "$BUILD" != ok ]; then
			tests="not run (no module)"
		elif ! tests_on "$name"; then
			tests="not run here"
		else
			run_tests "$name"
			. "$res/$name.tests"
			tests="$PASS passed, $FAIL failed"
			[ "$SKIP" = 0 ] || tests="$tests, $SKIP skipped"
			[ "$FAIL" = 0 ] || fail_run
			[ $((PASS + FAIL)) != 0 ] || tests="none exist yet"
		fi
	fi
	rows+=("$name|$KVER|$BUILD|$WARNINGS|$tests")
done

elapsed=$((SECONDS - t_start))
echo
printf '%-8s  %-26s  %-5s  %-12s  %s\n' kernel release build "W=1 warnings" "core VM tests"
printf '%s\n' "${rows[@]}" | awk -F'|' '{ printf "%-8s  %-26s  %-5s  %-12s  %s\n", $1, $2, $3, $4, $5 }'
echo "check-kernels: $((elapsed / 60)) min $((elapsed % 60)) s"
echo "1..$tap_n"

bash "$KTESTS/tested-md.sh" >"$KTESTS/TESTED.md.tmp" && mv "$KTESTS/TESTED.md.tmp" "$KTESTS/TESTED.md"
klog "wrote tests/kernels/TESTED.md"
exit $status
