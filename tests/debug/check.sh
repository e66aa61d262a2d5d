#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: build gpupt.ko against the cached debug kernel (see
# build-kernel.sh), then run the whole VM suite on that kernel.  The rig's
# console check (tests/vm/lib.sh, RIG_CONSOLE_BAD) fails a test on any
# BUG:, WARNING:, KASAN, UBSAN, lockdep ("possible circular locking",
# "suspicious RCU"), hung-task or Oops report in any guest console.
#
# Extra arguments select VM tests by substring, as in tests/run-all.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${GPUPT_DEBUG_DIR:-/var/cache/gpupt-kernels/debug-6.1}

"$top/tests/debug/build-kernel.sh"
kver=$(cat "$DIR/KVER")

# Build in a copy: the shared kmod/ tree holds the 6.1 stock objects.
obj="$DIR/gpupt"
rm -rf "$obj"
mkdir -p "$obj"
cp -a "$top/kmod" "$top/include" "$obj/"
make -C "$obj/kmod" clean >/dev/null 2>&1 || true
make -C "$obj/kmod" KDIR="$DIR/build" KVER="$kver" W=1 2>&1 | tee "$obj/build.log"
if grep -q 'warning:' "$obj/build.log"; then
	echo "check-debug: gpupt.ko has W=1 warnings on $kver" >&2
	exit 1
fi
$(command -v make) -C "$top/ctl" >/dev/null

export KVER="$kver"
export RIG_KERNEL="$DIR/vmlinuz"
export RIG_HOST_MODDIR="$DIR/root/lib/modules/$kver"
export GPUPT_KO="$obj/kmod/gpupt.ko"
export RIG_LOGDIR="$top/build/debug-logs"
export GPUPT_DEBUG_KERNEL=1
# KASAN and lockdep under TCG are several times slower than the stock kernel.
export GPUPT_TEST_TIMEOUT=${GPUPT_TEST_TIMEOUT:-3600}
rm -rf "$RIG_LOGDIR"
exec "$top/tests/run-all" --vm-only "$@"
