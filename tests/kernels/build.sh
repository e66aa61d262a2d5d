#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/kernels/build.sh NAME: build gpupt.ko against matrix kernel NAME with
# W=1, in a copy of kmod/, include/ and VERSION (what kmod/Kbuild reads) under $GPUPT_KCACHE/build/NAME (never
# in the shared kmod/ tree, whose objects are someone else's 6.1 build).
# The sid kernel is built inside the sid chroot, with /proc mounted for objtool.
#
# Writes $GPUPT_KCACHE/results/NAME.build (shell assignments):
#   BUILD=ok|fail  WARNINGS=N  KO=/path/to/gpupt.ko  LOG=/path/to/log
# and exits non-zero when the build failed.  WARNINGS counts compiler
# "warning:" lines and modpost/objtool "WARNING:" lines.
set -eo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:?usage: build.sh NAME}
kenv "$name" || kdie "$name is not prepared (run tests/kernels/prepare.sh $name)"

res=$GPUPT_KCACHE/results
mkdir -p "$res"
# check.sh holds this lock for its whole run (and says so in GPUPT_KLOCKED).
if [ "${GPUPT_KLOCKED:-0}" != 1 ]; then
	exec 8>"$GPUPT_KCACHE/.check.lock"
	flock -n 8 || { klog "waiting for a running check-kernels"; flock 8; }
fi
if [ "$MODE" = chroot ]; then
	top=$CHROOT/build/$name
	intop=/build/$name
else
	top=$GPUPT_KCACHE/build/$name
	intop=$top
fi
log=$res/$name.log
rm -rf "$top"
mkdir -p "$top"
tar -C "$KSRC" --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude='.*.d' --exclude='*.a' --exclude=Module.symvers \
	--exclude=modules.order --exclude='.tmp*' --exclude='.cache.mk' \
	-cf - kmod include $(cd "$KSRC" && ls -d VERSION 2>/dev/null) | tar -C "$top" -xf -

# The module's own Makefile is what dkms and users run; fall back to kbuild
# directly if there is none yet.
if [ -f "$top/kmod/Makefile" ]; then
	cmd=(make -C "$intop/kmod" "KDIR=$KDIR" W=1)
else
	cmd=(make -C "$KDIR" "M=$intop/kmod" W=1 modules)
fi
# Per-kernel make variables from prepare.sh (5.10: CC=gcc, see there).
cmd+=(${KMAKEFLAGS:-})

set +e
if [ "$MODE" = chroot ]; then
	mountpoint -q "$CHROOT/proc" || mount -t proc proc "$CHROOT/proc"
	trap 'umount "$CHROOT/proc" 2>/dev/null' EXIT
	chroot "$CHROOT" "${cmd[@]}" > "$log" 2>&1
else
	"${cmd[@]}" > "$log" 2>&1
fi
rc=$?
set -e

warnings=$(grep -cE '(: warning:|^WARNING: |: WARNING: )' "$log" || true)
ko=$top/kmod/gpupt.ko
if [ $rc = 0 ] && [ -f "$ko" ]; then
	build=ok
else
	build=fail
	ko=
fi
# Which source was built: the commit, and "+" when kmod/ or include/ differ from it.
commit=$(git -C "$KSRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$KSRC" status --porcelain -- kmod include 2>/dev/null | grep -q . && commit=$commit+
printf 'BUILD=%s\nWARNINGS=%s\nKO=%s\nLOG=%s\nCOMMIT=%s\nDATE=%s\n' "$build" "$warnings" "$ko" "$log" \
	"$commit" "$(date -u +%Y-%m-%d)" > "$res/$name.build"
klog "$name ($KVER): build $build, $warnings W=1 warnings, log $log"
if [ "$build" = fail ] || [ "$warnings" != 0 ]; then
	grep -E '(error|warning|WARNING|\*\*\*)' "$log" | head -n 40 >&2 || tail -n 20 "$log" >&2
fi
[ "$build" = ok ]
