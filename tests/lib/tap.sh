# SPDX-License-Identifier: GPL-2.0
# TAP output for the offline suites (tests/rom, tests/fleet, tests/hooks,
# tests/deb); source it.
#
#   ok DESC                   "ok N - DESC"
#   not_ok DESC [DIAG...]     "not ok N - DESC", then each DIAG line as "#   ..."
#   skip DESC REASON          "ok N - DESC # SKIP REASON"
#   check DESC CMD...         ok when CMD succeeds, else not_ok with its output
#                             (CMD runs in a subshell and sees the suite's
#                             variables)
#   tap_end SUITE             "# SUITE: P/N passed"; fails if anything failed
#   tap_plan                  the plan line "1..N"; fails if anything failed
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
# The locals have names no suite uses: CMD sees the suite's own $out, $name.
check() {
	local _tap_desc=$1 _tap_out
	shift
	if _tap_out=$("$@" 2>&1); then ok "$_tap_desc"; else not_ok "$_tap_desc" "$_tap_out"; fi
}
tap_end() {
	echo "# $1: $((n - failed))/$n passed"
	[ "$failed" -eq 0 ]
}
tap_plan() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
