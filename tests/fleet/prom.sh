#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/fleet/prom.sh FILE.prom: is FILE what node_exporter's textfile
# collector wants?
#   1. promtool check metrics (package prometheus) accepts it (lint too);
#   2. prometheus-node-exporter, on 127.0.0.1 with only the textfile
#      collector pointed at a copy of FILE's directory, serves every gpupt_
#      sample of FILE unchanged, and node_textfile_scrape_error is 0.
# Prints what it saw on failure; exit 0 only if both hold.  Used by the
# offline suite (tests/fleet/run.sh) and by the VM test t81-apply.
set -u
file=$1
[ -s "$file" ] || { echo "# prom.sh: $file is missing or empty"; exit 1; }

out=$(promtool check metrics <"$file" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	echo "# promtool check metrics (exit $rc):"
	printf '%s\n' "$out" | sed 's/^/#   /'
	exit 1
fi

dir=$(mktemp -d)
ne_pid=
trap '[ -n "$ne_pid" ] && kill "$ne_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
mkdir "$dir/textfile"
cp "$file" "$dir/textfile/gpupt.prom"
port=$((20000 + RANDOM % 20000))
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$dir/textfile" >"$dir/ne.log" 2>&1 &
ne_pid=$!
got=
for _ in $(seq 1 100); do
	got=$(curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null) && break
	kill -0 "$ne_pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$got" ]; then
	echo "# node_exporter did not serve on 127.0.0.1:$port:"
	tail -5 "$dir/ne.log" | sed 's/^/#   /'
	exit 1
fi
fail=0
if ! grep -qx 'node_textfile_scrape_error 0' <<<"$got"; then
	echo "# node_textfile_scrape_error is not 0:"
	grep -E '^node_textfile' <<<"$got" | sed 's/^/#   /'
	grep -i error "$dir/ne.log" | tail -3 | sed 's/^/#   /'
	fail=1
fi
# node_exporter re-renders numbers (1700000000 -> 1.7e+09): compare values
norm() { awk '/^gpupt_/ { printf "%s %.17g\n", $1, $2 }' | sort; }
want=$(norm <"$file")
served=$(norm <<<"$got")
if [ -z "$want" ] || [ "$want" != "$served" ]; then
	echo "# node_exporter serves other gpupt_ samples than the file has:"
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$served") | head -20 | sed 's/^/#   /'
	fail=1
fi
exit $fail
