#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t61-dkms: `make dkms-install` builds and installs
# gpupt.ko through DKMS against Debian's 6.1 headers, `dkms status` shows
# it installed, and the versions agree: dkms.conf's PACKAGE_VERSION (as
# installed), MODULE_VERSION and `gptctl --version` all equal VERSION.
# `make install DESTDIR=` puts every file in place.
#
# Host only, no VM: DKMS runs in a scratch tree (DKMS_TREE=) so the
# installed module never shadows the gpupt.ko the VM rig loads.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# The kernel the top Makefile builds for: the running one if its headers
# are installed, else the newest /lib/modules/*/build.
KVER=${KVER:-$(make -s -C "$top" --no-print-directory print-kver 2>/dev/null)}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; printf '%s\n' "$@" | tail -25 | sed 's/^/#   /'; }

if ! command -v dkms >/dev/null || [ ! -d "/lib/modules/$KVER/build" ]; then
	echo "1..0 # SKIP needs dkms and linux-headers-$KVER"
	exit 0
fi
version=$(cat "$top/VERSION")
tree=$(mktemp -d /tmp/gpupt-t61.XXXXXX)
trap 'rm -rf "$tree"' EXIT

out=$(make -C "$top" dkms-install KVER="$KVER" \
	DKMS_TREE="$tree" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then ok "make dkms-install KVER=$KVER succeeds"; else not_ok "make dkms-install KVER=$KVER succeeds" "exit $rc" "$out"; fi

dk="dkms --sourcetree $tree/src --dkmstree $tree/dkms --installtree $tree/modules"
status=$($dk status -m gpupt 2>&1)
if grep -Eq "^gpupt/$version, $KVER, x86_64: installed" <<<"$status"; then
	ok "dkms status: gpupt/$version, $KVER: installed"
else
	not_ok "dkms status: gpupt/$version, $KVER: installed" "$status"
fi

ko=$(find "$tree/modules/$KVER" -name 'gpupt.ko*' | head -1)
if [ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$KVER "; then
	ok "the installed gpupt.ko is built for $KVER"
else
	not_ok "the installed gpupt.ko is built for $KVER" "ko=$ko" "$(modinfo "$ko" 2>&1)"
fi

mv=$(modinfo -F version "$ko" 2>/dev/null)
pv=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$tree/src/gpupt-$version/dkms.conf")
cv=$("$top/ctl/gptctl" --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1)
if [ "$mv" = "$version" ] && [ "$pv" = "$version" ] && [ "$cv" = "$version" ]; then
	ok "MODULE_VERSION, dkms.conf and gptctl --version all equal VERSION ($version)"
else
	not_ok "MODULE_VERSION, dkms.conf and gptctl --version all equal VERSION ($version)" \
		"MODULE_VERSION=$mv dkms.conf=$pv gptctl=$cv"
fi

if grep -q '^AUTOINSTALL="yes"' "$tree/src/gpupt-$version/dkms.conf" &&
   grep -q 'floor: Linux 5.4' "$tree/src/gpupt-$version/dkms.conf"; then
	ok "dkms.conf: AUTOINSTALL=yes, kernel floor 5.4 stated"
else
	not_ok "dkms.conf: AUTOINSTALL=yes, kernel floor 5.4 stated"
fi

# The floor regex: 5.4 and later build, 5.3 and earlier do not, no ceiling.
re=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$top/dkms/dkms.conf")
bad=""
for k in 5.4.0-1 5.10.0-28-amd64 5.15.0 6.1.0-56-amd64 6.12.9 7.0.0 10.1.0 12.0; do
	[[ $k =~ $re ]] || bad="$bad $k(rejected)"
done
for k in 4.19.0-27-amd64 5.3.18 5.0.0 3.10.0 2.6.32; do
	[[ $k =~ $re ]] && bad="$bad $k(accepted)"
done
if [ -z "$bad" ]; then ok "BUILD_EXCLUSIVE_KERNEL: floor 5.4, no ceiling"; else not_ok "BUILD_EXCLUSIVE_KERNEL: floor 5.4, no ceiling" "$bad"; fi

out=$(make -C "$top" dkms-uninstall DKMS_TREE="$tree" 2>&1)
if [ ! -e "$tree/src/gpupt-$version" ] && ! $dk status -m gpupt 2>/dev/null | grep -q installed; then
	ok "make dkms-uninstall removes it"
else
	not_ok "make dkms-uninstall removes it" "$out"
fi

# make install: gptctl, both man pages, the completion, the hook, examples.
dest=$tree/destdir
out=$(make -C "$top" install DESTDIR="$dest" 2>&1)
missing=""
for f in usr/sbin/gptctl usr/share/man/man8/gptctl.8 usr/share/man/man4/gpupt.4 \
	 usr/share/bash-completion/completions/gptctl \
	 usr/share/initramfs-tools/hooks/gpupt lib/systemd/system/gpupt-apply.service \
	 usr/lib/dracut/modules.d/90gpupt/module-setup.sh etc/gpupt/devices.conf; do
	[ -s "$dest/$f" ] || missing="$missing $f"
done
[ -x "$dest/usr/share/initramfs-tools/hooks/gpupt" ] || missing="$missing (hook not executable)"
[ -x "$dest/usr/lib/dracut/modules.d/90gpupt/module-setup.sh" ] || missing="$missing (dracut module not executable)"
for f in usr/share/man/man8/gptctl.8 usr/share/man/man4/gpupt.4; do
	grep -q "^\.TH [A-Z]* [0-9] \"[^\"]*\" \"gpupt $version\"" "$dest/$f" 2>/dev/null ||
		missing="$missing ($f: .TH does not say gpupt $version)"
done
what="make install DESTDIR=: gptctl, man pages (.TH gpupt $version), completion, initramfs hook, dracut module, unit, devices.conf"
if [ -z "$missing" ]; then ok "$what"; else not_ok "$what" "missing:$missing" "$out"; fi

echo "1..$n"
[ $failed -eq 0 ]
