#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark hook for tests/vm/t43-field000-ovmf-slow.sh: runs the
# end-to-end test of a 256 GiB BAR under OVMF (two nested OVMF boots under
# TCG-in-TCG) and reports its wall time and the time of each nested boot.
# Exit status is the test's: a benchmark of a broken path is no benchmark.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
t0=${EPOCHREALTIME/./}
out=$("$top/tests/vm/t43-field000-ovmf-slow.sh" 2>&1)
rc=$?
t1=${EPOCHREALTIME/./}
printf '%s\n' "$out"
grep -E '^# (booted|nested OVMF boot)' <<<"$out" | sed 's/^# /bench: ovmf-knob: /'
echo "bench: ovmf-knob: total $(( (t1 - t0) / 1000 )) ms, exit $rc"
exit $rc
