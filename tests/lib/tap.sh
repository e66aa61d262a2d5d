# SPDX-License-Identifier: GPL-2.0
# TAP output for the offline suites (tests/rom, tests/fleet); source it.
#
#   ok DESC                   "ok N - DESC"
#   not_ok DESC [DIAG...]     "not ok N - DESC", then each DIAG line as "#   ..."
#   skip DESC REASON          "ok N - DESC # SKIP REASON"
#   check DESC CMD...         ok when CMD succeeds, else not_ok with its output
#   tap_end SUITE             "# SUITE: P/N passed"; fails if anything failed
#
# $tmp is a scratch directory, removed when the suite exits.

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	# What we saw, indented, so a failure explains itself.
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
tap_end() {
	echo "# $1: $((n - failed))/$n passed"
	[ "$failed" -eq 0 ]
}
