#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/debug/triage.sh [LOGDIR]: list the kernel reports in every guest
# console of a run (default build/debug-logs), one line per distinct report
# with its kind, how often it appeared and in which tests, then the total:
#
#   reports: 2 (KASAN 1, lockdep 1)
#     KASAN   1x  BUG: KASAN: slab-use-after-free in gpupt_fn_rollback  [t33-handoff-rollback.1]
#
# Kinds: KASAN, KFENCE, UBSAN, lockdep (circular/recursive locking,
# inconsistent lock state, suspicious RCU usage), atomic (sleeping in atomic
# context, scheduling while atomic), hung (hung task), lockup (soft/hard
# lockup, RCU stall), WARNING, BUG, Oops (and general protection fault,
# panic).  Timestamps, CPU and PID numbers and addresses are folded so
# that the same report from several boots is counted as one.
# Reports whose first line is listed in known-upstream are marked KIND/known-upstream.
# Exit status: 0 when there is no report, 1 otherwise.
set -u
dir=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build/debug-logs}
pat='KASAN:|KFENCE:|UBSAN:|WARNING:|BUG:|Oops|general protection fault|Kernel panic|hung task|blocked for more than|possible circular locking|suspicious RCU|sleeping function called|scheduling while atomic|soft lockup|hard LOCKUP|detected stalls'

known=$(dirname "$0")/known-upstream
shopt -s nullglob
tmp=$(mktemp)
for f in "$dir"/*.console.log; do
	name=${f##*/}
	name=${name%.console.log}
	grep -aE -- "$pat" "$f" | tr -d '\r' |
		while IFS= read -r raw; do
			line=$(sed -E 's/^\[ *[0-9]+\.[0-9]+\] //; s/CPU: ?[0-9]+/CPU: N/g; s/PID: ?[0-9]+/PID: N/g;
				s/0x[0-9a-f]+(\/0x[0-9a-f]+)?/0x./g; s/[0-9a-f]{12,16}/X/g;
				s/task [^ ]+:[0-9]+ /task T /; s/for more than [0-9]+ seconds/for more than N seconds/' <<<"$raw")
			case $line in
			*KASAN:*) k=KASAN ;;
			*KFENCE:*) k=KFENCE ;;
			*UBSAN:*) k=UBSAN ;;
			*"circular locking"*|*"recursive locking"*|*"inconsistent lock state"*|*"suspicious RCU"*|*"lock held when returning"*|*"bad unlock balance"*) k=lockdep ;;
			*"sleeping function called"*|*"scheduling while atomic"*) k=atomic ;;
			*"hung task"*|*"blocked for more than"*) k=hung ;;
			*"soft lockup"*|*"hard LOCKUP"*|*"detected stalls"*) k=lockup ;;
			*WARNING:*) k=WARNING ;;
			*BUG:*) k=BUG ;;
			*) k=Oops ;;
			esac
			# first lines listed in known-upstream (the rig's console
			# check also matches the report's stack; this is a listing)
			while IFS=$'\t' read -r kh _; do
				case $kh in '#'*|'') continue ;; esac
				[[ $raw =~ $kh ]] && { k="$k/known-upstream"; break; }
			done <"$known"
			printf '%s\t%s\t%s\n' "$k" "$line" "$name"
		done >>"$tmp"
done

n=$(wc -l <"$tmp")
if [ "$n" = 0 ]; then
	echo "reports: 0 (in $(ls "$dir"/*.console.log 2>/dev/null | wc -l) consoles)"
	rm -f "$tmp"
	exit 0
fi
kinds=$(cut -f1 "$tmp" | sort | uniq -c | awk '{ s = s (NR > 1 ? ", " : "") $2 " " $1 } END { print s }')
echo "reports: $n ($kinds) in $(ls "$dir"/*.console.log | wc -l) consoles"
sort -t"$(printf '\t')" -k1,1 -k2,2 "$tmp" |
	awk -F'\t' '{ key = $1 "\t" $2; c[key]++; if (index(t[key], $3) == 0) t[key] = t[key] (t[key] ? " " : "") $3 }
		END { for (k in c) { split(k, p, "\t"); printf "  %-7s %3dx  %s  [%s]\n", p[1], c[k], p[2], t[k] } }' |
	sort
rm -f "$tmp"
exit 1
