#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/run.sh: the Debian packages, host only (make check).
#   - `make deb` builds both packages and the source package from this
#     tree, with the network unshared (nothing is fetched);
#   - package versions, dkms.conf's PACKAGE_VERSION, the module source's
#     VERSION and `gptctl --version` all equal VERSION;
#   - each package holds what it must (and gpupt-dkms no build product),
#     the dracut module among it; every man page's .TH says VERSION;
#     devices.conf is a conffile; the maintainer scripts enable
#     gpupt-apply.service without starting it, run DKMS, and the initramfs
#     is rebuilt through the update-initramfs trigger;
#   - the source package unpacks with dpkg-source into a tree with debian/;
#   - lintian: no error and no warning; every override has a comment.
# piuparts (install/upgrade/purge) is tests/deb/piuparts.sh and the dracut
# module at work tests/deb/dracut.sh (make check-slow); DKMS, modprobe and apt purge in a guest are tests/vm/t68-deb-slow.sh and t69-deb-kernel-upgrade-slow.sh.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$top/VERSION")
out=$top/build/deb
for t in dpkg-buildpackage dh dh_dkms; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not installed (make deps)"; exit 0; }
done
. "$top/tests/lib/tap.sh"	# ok, not_ok, check, skip, tap_plan; $tmp
finish() { tap_plan; exit; }

# make deb, without network when we may unshare it (root)
net=()
[ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null && net=(unshare -n)
t0=$SECONDS
if o=$("${net[@]}" make -s -C "$top" deb 2>&1); then
	ok "make deb${net:+ (network unshared)} builds the packages ($((SECONDS - t0)) s)"
else
	not_ok "make deb builds the packages" "$(tail -n 30 <<<"$o")"
	finish
fi
dkms_deb=$out/gpupt-dkms_${version}_all.deb
ctl_deb=$out/gptctl_${version}_amd64.deb
changes=$out/gpupt_${version}_amd64.changes
check "build/deb/ has gpupt-dkms_${version}_all.deb, gptctl_${version}_amd64.deb, gpupt_$version.dsc, .changes" \
	ls "$dkms_deb" "$ctl_deb" "$out/gpupt_$version.dsc" "$changes"
[ -f "$dkms_deb" ] && [ -f "$ctl_deb" ] || finish

dpkg-deb -x "$dkms_deb" "$tmp/dkms"
dpkg-deb -e "$dkms_deb" "$tmp/dkms-ctrl"
dpkg-deb -x "$ctl_deb" "$tmp/ctl"
dpkg-deb -e "$ctl_deb" "$tmp/ctl-ctrl"

# One version everywhere.
src=usr/src/gpupt-$version
dv=$(dpkg-deb -f "$dkms_deb" Version) cv=$(dpkg-deb -f "$ctl_deb" Version)
pv=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$tmp/dkms/$src/dkms.conf" 2>/dev/null)
sv=$(cat "$tmp/dkms/$src/VERSION" 2>/dev/null)
gv=$("$tmp/ctl/usr/sbin/gptctl" --version 2>&1 | grep -o '[0-9][0-9.]*' | head -n1)
check "versions agree: packages $dv/$cv, dkms.conf $pv, module source $sv, gptctl --version $gv = VERSION $version" \
	test "$dv $cv $pv $sv $gv" = "$version $version $version $version $version"

# Contents.
missing=
for f in "$src/dkms.conf" "$src/VERSION" "$src/kmod/Kbuild" "$src/kmod/Makefile" \
	 "$src/kmod/main.c" "$src/include/uapi/linux/gpupt.h" \
	 usr/share/initramfs-tools/hooks/gpupt \
	 usr/share/doc/gpupt-dkms/examples/modprobe.d-gpupt.conf \
	 usr/share/doc/gpupt-dkms/examples/dracut.conf.d-gpupt.conf; do
	[ -f "$tmp/dkms/$f" ] || missing="$missing $f"
done
[ -x "$tmp/dkms/usr/share/initramfs-tools/hooks/gpupt" ] || missing="$missing (hook not executable)"
junk=$(cd "$tmp/dkms" && find usr/src -name '*.o' -o -name '*.ko' -o -name '*.cmd' -o -name '*.mod*' -o -name modules.order)
check "gpupt-dkms: DKMS source tree, initramfs-tools hook, modprobe.d and dracut examples; no build products" \
	test -z "$missing$junk" -a "$(dpkg-deb -f "$dkms_deb" Architecture)" = all
missing=
for f in usr/sbin/gptctl usr/share/man/man8/gptctl.8.gz usr/share/man/man4/gpupt.4.gz \
	 usr/share/bash-completion/completions/gptctl lib/systemd/system/gpupt-apply.service \
	 etc/gpupt/devices.conf; do
	[ -f "$tmp/ctl/$f" ] || missing="$missing $f"
done
check "gptctl: gptctl, both man pages, bash completion, gpupt-apply.service, /etc/gpupt/devices.conf" \
	test -z "$missing" -a "$(dpkg-deb -f "$ctl_deb" Architecture)" = amd64
# The dracut module, as dracut finds it.
check "gpupt-dkms: dracut module /usr/lib/dracut/modules.d/90gpupt/module-setup.sh (executable, bash, with check/depends/installkernel/install)" eval '
	m="$tmp/dkms/usr/lib/dracut/modules.d/90gpupt/module-setup.sh" &&
	[ -x "$m" ] && bash -n "$m" && grep -q "^check() {" "$m" && grep -q "^depends() {" "$m" &&
	grep -q "^installkernel() {" "$m" && grep -q "^install() {" "$m"'

# Every man page (man/NAME.N) is packaged, its .TH saying this VERSION
# (the source says @VERSION@; make install-ctl fills it in).
bad=
for m in "$top"/man/*.[1-9]; do
	f=usr/share/man/man${m##*.}/${m##*/}.gz
	th=$(zcat "$tmp/ctl/$f" 2>/dev/null | sed -n 's/^\.TH [^"]*"[^"]*" "\([^"]*\)".*/\1/p')
	[ "$th" = "gpupt $version" ] || bad="$bad $f: '${th:-no .TH or no file}';"
done
check "every man page in man/ is packaged with .TH \"gpupt $version\"" \
	eval '[ -z "$bad" ] || { echo "$bad"; false; }'
check "/etc/gpupt/devices.conf is a conffile" grep -qx /etc/gpupt/devices.conf "$tmp/ctl-ctrl/conffiles"
check "the packaged devices.conf has no rule (only comments and blank lines)" \
	eval '! grep -Ev "^[[:space:]]*(#|$)" "$tmp/ctl/etc/gpupt/devices.conf"'
check "gptctl apply --dry-run accepts the packaged devices.conf: no rules, nothing to do, exit 0" \
	"$tmp/ctl/usr/sbin/gptctl" apply --dry-run --config "$tmp/ctl/etc/gpupt/devices.conf"

# Maintainer scripts.
check "gptctl postinst enables gpupt-apply.service (WantedBy=basic.target) and never starts it" eval '
	grep -q "deb-systemd-helper enable .gpupt-apply.service." "$tmp/ctl-ctrl/postinst" &&
	! grep -q "deb-systemd-invoke.*start" "$tmp/ctl-ctrl/postinst" &&
	grep -qx "WantedBy=basic.target" "$tmp/ctl/lib/systemd/system/gpupt-apply.service"'
check "gpupt-dkms postinst runs DKMS (common.postinst gpupt $version), prerm removes it, depends on dkms" eval '
	grep -q "^DKMS_NAME=gpupt$" "$tmp/dkms-ctrl/postinst" &&
	grep -q "^DKMS_VERSION=$version$" "$tmp/dkms-ctrl/postinst" &&
	grep -q "/usr/lib/dkms/common.postinst" "$tmp/dkms-ctrl/postinst" &&
	grep -q "dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all" "$tmp/dkms-ctrl/prerm" &&
	dpkg-deb -f "$dkms_deb" Depends | grep -q "^dkms"'
check "gpupt-dkms activates the update-initramfs trigger" grep -qx "activate-noawait update-initramfs" "$tmp/dkms-ctrl/triggers"

# Build-Depends covers every library gptctl builds against (ctl/Makefile's
# pkg-config list, each mapped to the -dev package that ships its .pc).
bd=$(sed -n '/^Build-Depends:/,/^[A-Z][a-z-]*: /p' "$top/debian/control")
missing=
for p in $(sed -n 's/^PKGS := //p' "$top/ctl/Makefile"); do
	pc=$(pkg-config --variable=pcfiledir "$p" 2>/dev/null)/$p.pc
	dev=$(dpkg -S "$pc" 2>/dev/null | head -n1 | cut -d: -f1)
	grep -Eq "(^|[ ,])${dev:-?}([ ,(]|\$)" <<<"$bd" || missing="$missing $p(${dev:-no package})"
done
check "debian/control's Build-Depends lists the -dev package of every library in ctl/Makefile" \
	eval '[ -z "$missing" ] || { echo "missing:$missing"; false; }'

# The source package.
check "the source package unpacks (dpkg-source -x) into a tree with debian/rules and VERSION $version" eval '
	(cd "$tmp" && dpkg-source -x "$out/gpupt_$version.dsc" srcpkg >/dev/null) &&
	[ -x "$tmp/srcpkg/debian/rules" ] && [ "$(cat "$tmp/srcpkg/VERSION")" = "$version" ] &&
	[ ! -e "$tmp/srcpkg/build" ]'

# lintian
if command -v lintian >/dev/null; then
	t0=$SECONDS
	lint=$(lintian -I --pedantic --fail-on error,warning "$changes" 2>&1)
	rc=$?
	bad=$(grep -E '^[EW]: ' <<<"$lint")
	if [ $rc = 0 ] && [ -z "$bad" ]; then
		ok "lintian --pedantic: 0 errors, 0 warnings ($((SECONDS - t0)) s)"
	else
		not_ok "lintian --pedantic: 0 errors, 0 warnings" "exit $rc" "$(tail -n 30 <<<"$lint")"
	fi
	grep -E '^[IPX]: ' <<<"$lint" | sed 's/^/# lintian: /'
	nocomment=$(awk 'FNR == 1 { prev = "" } /^[^#[:space:]]/ && prev !~ /^#/ { print FILENAME ": " $0 } { prev = $0 }' \
		"$top"/debian/*lintian-overrides 2>/dev/null)
	check "every lintian override comes after a comment saying why" test -z "$nocomment"
else
	skip lintian "lintian is not installed (make deps)"
fi
finish
