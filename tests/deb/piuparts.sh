#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/piuparts.sh [DEBDIR]: Debian's piuparts over gpupt's two packages
# (DEBDIR, default build/deb/, as `make deb` leaves it), in a bookworm
# chroot.  One piuparts run does both of its tests:
#   - install and purge: both packages installed with their dependencies,
#     then purged; nothing may be left behind or changed;
#   - upgrade: the previous release (this tree built as version PREV, one
#     below VERSION: 0.1.0 -> 0.0.99, 1.2.3 -> 1.2.2) installed with apt from
#     a local repository, upgraded to DEBDIR's packages, then purged.
# TAP output, one line per test.  Log: build/deb/piuparts.log.
#
# The chroot comes from a base tarball, $GPUPT_PIUPARTS_CACHE/bookworm.tgz
# (default /var/cache/gpupt-piuparts): debootstrap'ed (minbase) from the
# mirror the host's apt uses, the first time, and reused after that.
# Delete it to get a fresh one; a clean machine (CI) creates it.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
debdir=$(cd "${1:-$top/build/deb}" && pwd) || exit 1
cache=${GPUPT_PIUPARTS_CACHE:-/var/cache/gpupt-piuparts}
base=$cache/bookworm.tgz
log=$top/build/deb/piuparts.log
version=$(cat "$top/VERSION")
. "$top/tests/kernels/lib.sh"	# kmirror: the host's Debian mirror
mirror=$(kmirror)

for t in piuparts debootstrap dpkg-scanpackages; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not installed (make deps)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP piuparts needs root"; exit 0; }
new=("$debdir/gpupt-dkms_${version}_all.deb" "$debdir/gptctl_${version}_amd64.deb")
for f in "${new[@]}"; do
	[ -f "$f" ] || { echo "1..0 # SKIP $f is not built (make deb)"; exit 0; }
done
mkdir -p "$top/build/deb"
: >"$log"
. "$top/tests/lib/tap.sh"	# ok, not_ok, tap_plan
finish() { tap_plan; exit; }

# prev VERSION: one below it (the last non-zero component minus one, the
# ones after it 99).
prev_version() {
	local IFS=. v i j
	read -ra v <<<"$1"
	for ((i = ${#v[@]} - 1; i >= 0; i--)); do
		if [ "${v[i]}" -gt 0 ] 2>/dev/null; then
			v[i]=$((v[i] - 1))
			for ((j = i + 1; j < ${#v[@]}; j++)); do v[j]=99; done
			echo "${v[*]}"
			return 0
		fi
	done
	return 1
}

# The base tarball, created once (under a lock: two runs may race).
t0=$SECONDS
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -s "$base" ]; then
	chroot=$(mktemp -d "$cache/chroot.XXXXXX")
	echo "piuparts: debootstrap bookworm ($mirror) into $chroot" >>"$log"
	if debootstrap --variant=minbase bookworm "$chroot" "$mirror" >>"$log" 2>&1 &&
	   tar -C "$chroot" -czf "$base.tmp" . && mv "$base.tmp" "$base"; then
		ok "base tarball $base created ($((SECONDS - t0)) s)"
	else
		not_ok "base tarball $base created" "$(tail -n 20 "$log")"
	fi
	rm -rf "$chroot" "$base.tmp"
fi
flock -u 9
[ -s "$base" ] || finish

# The previous release, from a copy of this tree, in a local repository.
prev=$(prev_version "$version") || { not_ok "a version below $version" "cannot lower $version"; finish; }
repo=$top/build/deb/prev
t0=$SECONDS
if out=$(GPUPT_DEB_VERSION=$prev "$top/mk/deb.sh" "$repo" 2>&1) &&
   (cd "$repo" && dpkg-scanpackages --multiversion . >Packages 2>/dev/null); then
	ok "previous release $prev built into a local repository ($((SECONDS - t0)) s)"
else
	not_ok "previous release $prev built into a local repository" "$(tail -n 30 <<<"$out")"
	finish
fi

# piuparts: install+purge of the new packages, then the upgrade from $prev.
t0=$SECONDS
piuparts --basetgz="$base" --distribution=bookworm --mirror="$mirror" \
	--bindmount="$repo" --extra-repo="deb [trusted=yes] file://$repo ./" \
	"${new[@]}" >>"$log" 2>&1
rc=$?
secs=$((SECONDS - t0))
if [ $rc = 0 ] && grep -q 'PASS: Installation and purging test' "$log"; then
	ok "piuparts: install and purge of gpupt-dkms and gptctl $version ($secs s)"
else
	not_ok "piuparts: install and purge of gpupt-dkms and gptctl $version" \
		"exit $rc" "$(grep -E '^[0-9:.]+ (ERROR|FAIL)|FAIL:' "$log" | head -20)" "$(tail -n 15 "$log")"
fi
if [ $rc = 0 ] && grep -q 'PASS: Installation, upgrade and purging tests' "$log" &&
   grep -Eq "gptctl.*$prev|$prev.*gptctl" "$log"; then
	ok "piuparts: upgrade from $prev to $version, then purge"
else
	not_ok "piuparts: upgrade from $prev to $version, then purge" "exit $rc" \
		"$(grep -E 'PASS|FAIL|ERROR' "$log" | tail -n 10)"
fi
finish
