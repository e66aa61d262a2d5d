#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mk/deb.sh [OUTDIR]: `make deb`.  Builds the source package and both
# binary packages (gpupt-dkms_VERSION_all.deb, gptctl_VERSION_amd64.deb)
# with dpkg-buildpackage into OUTDIR (default build/deb/).
#
# It builds in OUTDIR/gpupt-VERSION, a copy of the files git does not ignore
# (tracked or new, as they are on disk), so a developer's build products
# and caches never reach the source package; outside a git checkout, the
# tree less build/ and build products.  The log is OUTDIR/build.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
die() { echo "deb: $*" >&2; exit 1; }

version=$(cat "$top/VERSION") || die "no VERSION file"
clver=$(dpkg-parsechangelog -l "$top/debian/changelog" -SVersion) ||
	die "cannot read debian/changelog"
[ "$clver" = "$version" ] ||
	die "debian/changelog's version is $clver, VERSION says $version: add a changelog entry for $version (dch -v $version)"
command -v dpkg-buildpackage >/dev/null || die "dpkg-dev is not installed (make deps)"
missing=$(cd "$top" && dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p') || true
[ -z "$missing" ] || die "missing build dependencies: $missing (make deps installs them)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/gpupt-$version
rm -rf "$src"
rm -f "$out"/gpupt_* "$out"/gpupt-dkms_* "$out"/gptctl_* "$out"/gptctl-dbgsym_*
mkdir -p "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# tracked and new files that are not ignored, as they are on disk (a
	# deleted one is not an error)
	git -C "$top" ls-files -z --cached --others --exclude-standard | (cd "$top" &&
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
		tar -C "$top" --null -T - -cf - | tar -C "$src" -xf -
else
	tar -C "$top" --exclude=./build --exclude-vcs --exclude='*.o' \
		--exclude='*.ko' --exclude='*.a' --exclude=ctl/gptctl \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude='./ctl/*.d' --exclude='./tests/*.d' --exclude=modules.order --exclude=Module.symvers \
		--exclude='tests/unit/*_test' --exclude='tests/fuzz/fuzz_*[!c]' \
		-cf - . | tar -C "$src" -xf -
fi

# GPUPT_DEB_VERSION=X builds the copy as version X (VERSION and a changelog
# entry rewritten): the "previous release" of the piuparts upgrade test.
if [ -n "${GPUPT_DEB_VERSION:-}" ] && [ "$GPUPT_DEB_VERSION" != "$version" ]; then
	rm -rf "$out/gpupt-$GPUPT_DEB_VERSION"
	mv "$src" "$out/gpupt-$GPUPT_DEB_VERSION"
	version=$GPUPT_DEB_VERSION src=$out/gpupt-$GPUPT_DEB_VERSION
	echo "$version" >"$src/VERSION"
	{
		echo "gpupt ($version) unstable; urgency=medium"
		echo
		echo "  * Test build of this tree as version $version."
		echo
		echo " -- $(dpkg-parsechangelog -l "$top/debian/changelog" -SMaintainer)  $(date -R)"
		echo
		cat "$top/debian/changelog"
	} >"$src/debian/changelog"
fi

echo "deb: building gpupt $version in $src (log: $out/build.log)"
# noddebs: OUTDIR holds exactly the two packages `apt install ./*.deb` wants
if ! (cd "$src" && DEB_BUILD_OPTIONS="noddebs ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage --build=full -us -uc) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	die "dpkg-buildpackage failed (full log: $out/build.log)"
fi
rm -rf "$src"
ls -1 "$out"/gpupt-dkms_"$version"_all.deb "$out"/gptctl_"$version"_amd64.deb \
	"$out"/gpupt_"$version".dsc "$out"/gpupt_"$version"_*.changes
