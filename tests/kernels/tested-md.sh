#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/kernels/tested-md.sh [NAME...]: print the README's "Tested kernels"
# section (markdown) from the results of the last `make check-kernels` run in
# $GPUPT_KCACHE/results.  check.sh writes it to tests/kernels/TESTED.md.
. "$(dirname "$0")/lib.sh"

names=${*:-$(kmatrix | awk '{ print $1 }')}
res=$GPUPT_KCACHE/results

from() {
	case $1 in
	6.1) echo "Debian 12 bookworm" ;;
	6.1-rt) echo "Debian 12 bookworm, PREEMPT_RT" ;;
	6.12) echo "bookworm-backports" ;;
	6.12-rt) echo "bookworm-backports, PREEMPT_RT" ;;
	sid) echo "Debian unstable (sid), built in a sid chroot with gcc-16" ;;
	5.10) echo "Debian 11 bullseye headers, built with gcc-12 (the floor side; advisory)" ;;
	*) echo "$1" ;;
	esac
}

echo "## Tested kernels"
echo
echo "gpupt is written for kernels 5.4 and newer. \`make check-kernels\` builds it against each kernel"
echo "below with \`W=1\` and boots the bootable ones in the QEMU rig to run the core VM tests (boot claim,"
echo "list against sysfs, handoff round trip with a nested qemu, bus reset, privilege and netlink fuzz)."
# Which source each row was built from (build.sh records it; "+" = with
# uncommitted kmod/ or include/ changes).
runs=$(for n in $names; do
	COMMIT= DATE=
	[ -f "$res/$n.build" ] && . "$res/$n.build"
	[ -n "$COMMIT" ] && echo "$DATE, commit $COMMIT:$n"
done | awk -F: '{ k[$1] = k[$1] (k[$1] ? ", " : "") $2 } END { for (i in k) print i " (" k[i] ")" }' | sort)
if [ "$(echo "$runs" | grep -c .)" -le 1 ]; then
	echo "Last run: ${runs% (*}."
else
	echo "Last runs: $(echo "$runs" | paste -sd ';' | sed 's/;/; /g')."
fi
echo
echo "| kernel | from | build | W=1 warnings | core VM tests |"
echo "|---|---|---|---|---|"
for n in $names; do
	KVER= BUILD= WARNINGS= PASS= FAIL= SKIP= DETAIL= BOOT=
	kenv "$n" || continue
	[ -f "$res/$n.build" ] && . "$res/$n.build"
	tests="build only"
	if [ "$BOOT" = yes ]; then
		if [ -f "$res/$n.tests" ]; then
			. "$res/$n.tests"
			tests="$PASS passed, $FAIL failed"
			[ "$SKIP" = 0 ] || tests="$tests, $SKIP skipped"
			[ $((PASS + FAIL)) != 0 ] || tests="none run"
		else
			tests="not run"
		fi
	fi
	echo "| $KVER | $(from "$n") | ${BUILD:-not built} | ${WARNINGS:--} | $tests |"
done
echo
tested=
for n in $names; do
	[ -f "$res/$n.tests" ] || continue
	. "$res/$n.tests"
	[ -n "$DETAIL" ] || continue
	tested=1
	echo "- $n: $(echo "$DETAIL" | sed 's/\([^ ]*\):\([^ ]*\)/`\1` \2/g; s/ `/, `/g')"
	[ -s "$res/$n.failures" ] && sed 's/^\([^:]*\): \(.*\)$/  - `\1`: \2/' "$res/$n.failures"
done
[ -n "$tested" ] && echo
echo "Reproduce with \`make check-kernels\` (as root; the first run downloads the kernels into"
echo "\`/var/cache/gpupt-kernels\`, about 1.5 GB, and needs a Debian 12 host)."
