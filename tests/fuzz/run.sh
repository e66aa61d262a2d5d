#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every libFuzzer harness for a bounded time (ASan + UBSan).
#   tests/fuzz/run.sh [SECONDS]    default 20 per harness (make check);
#                                  make fuzz passes a longer time.
# Corpora start from the seeds here (and, for ROMs, from the option ROMs
# Debian ships in ipxe-qemu and seabios, and the real vendor ROMs of
# ../shared/real-roms or GPUPT_REAL_ROMS, copied into the scratch corpus at
# run time, never into the repository) and grow in a scratch directory.
# A crash leaves its input in $FUZZ_ARTIFACTS (default
# /tmp/gpupt-fuzz-artifacts) and fails the run.  TAP-like output.

set -u
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-${FUZZ_SECONDS:-20}}
artifacts=${FUZZ_ARTIFACTS:-/tmp/gpupt-fuzz-artifacts}
mkdir -p "$artifacts"

if ! make -s -C "$here" all; then
	echo "not ok 1 - build the fuzzers (clang, libclang-rt-14-dev installed?)"
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

for t in rom cmdline grub modprobe lists iomem devconf pveconf domxml; do
	nseeds=""
	n=$((n + 1))
	corpus=$work/$t
	mkdir -p "$corpus"
	dict=$here/text.dict
	maxlen=4096
	if [ "$t" = rom ]; then
		dict=$here/rom.dict
		# NVIDIA's NPDE chains and second copies lie up to 1 MiB in.
		maxlen=1048576
		real=${GPUPT_REAL_ROMS:-$here/../../../shared/real-roms}
		for f in /usr/share/seabios/vgabios-stdvga.bin \
			 /usr/lib/ipxe/qemu/efi-e1000e.rom "$real"/*.rom; do
			[ -r "$f" ] && cp "$f" "$corpus/"
		done
		nseeds=$(ls "$corpus" | wc -l)
	else
		cp "$here/seeds/$t"/* "$corpus/" 2>/dev/null
		[ "$t" = lists ] && dict=""
	fi
	log=$work/$t.log
	"$here/fuzz-$t" -max_total_time="$secs" -max_len=$maxlen \
		-timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$t-" ${dict:+-dict="$dict"} \
		"$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $rc -eq 0 ]; then
		echo "ok $n - fuzz-$t: ${runs:-?} runs in ${secs}s, no crash${nseeds:+ ($nseeds seed files)}"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz-$t: exit $rc (inputs in $artifacts)"
		grep -E 'ERROR|SUMMARY|artifact|==[0-9]+==' "$log" | head -20 | sed 's/^/#   /'
	fi
done
echo "# fuzz: $((n - failed))/$n passed"
[ $failed -eq 0 ]
