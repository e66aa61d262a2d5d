#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb/dracut.sh [DEBDIR]: gpupt-dkms's dracut module (90gpupt) with
# Debian's own dracut, in a bookworm chroot (dracut conflicts with
# initramfs-tools, so it is never installed on the host):
#   - the chroot is piuparts' base tarball (tests/deb/piuparts.sh makes it)
#     with dracut installed by apt, and gpupt-dkms from DEBDIR (default
#     build/deb/) unpacked by dpkg;
#   - a kernel module tree for the kernel kmod/gpupt.ko was built for, with
#     gpupt.ko where DKMS puts it (updates/dkms/), depmod'ed;
#   - gptctl setup --root writes the host's configuration as on a dracut
#     host; dracut then builds initramfs images that lsinitrd reads:
#       1. after gptctl setup: gpupt.ko, /etc/modprobe.d/gpupt.conf (equal
#          to the host's) and force_drivers' rd.driver.pre=gpupt are in, and
#          the image's modprobe resolves gpupt with its ids= from them;
#       2. without setup's /etc/dracut.conf.d/gpupt.conf: the module alone
#          still brings gpupt.ko and the conf in (and --omit gpupt leaves
#          them out: it is the module that brings them);
#       3. after gptctl setup --undo: gpupt is in no image;
#       4. configured, but no gpupt.ko for the kernel: dracut warns, names
#          the kernel, and still makes the image.
# Needs root (chroot, mount namespace), the base tarball and a Debian mirror
# (apt installs dracut in the chroot); it skips without them.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
debdir=${1:-$top/build/deb}
cache=${GPUPT_PIUPARTS_CACHE:-/var/cache/gpupt-piuparts}
base=$cache/bookworm.tgz
version=$(cat "$top/VERSION")
. "$top/tests/kernels/lib.sh"	# kmirror: the host's Debian mirror
mirror=$(kmirror)
# $tmp, tap.sh's scratch directory, will hold a whole chroot: in /var/tmp.
TMPDIR=/var/tmp . "$top/tests/lib/tap.sh"	# ok, not_ok, check, tap_plan; $tmp
finish() { tap_plan; exit; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip_all "needs root (chroot)"
for t in unshare chroot depmod; do
	command -v $t >/dev/null || skip_all "$t is not installed"
done
unshare -m true 2>/dev/null || skip_all "cannot unshare a mount namespace"
[ -s "$base" ] || skip_all "no base tarball $base (make deb-piuparts makes it)"
ko=$top/kmod/gpupt.ko
[ -f "$ko" ] || skip_all "kmod/gpupt.ko is not built (make kmod)"
gptctl=$top/ctl/gptctl
[ -x "$gptctl" ] || skip_all "ctl/gptctl is not built (make ctl)"
deb=$debdir/gpupt-dkms_${version}_all.deb
if [ ! -f "$deb" ]; then
	command -v dpkg-buildpackage >/dev/null || skip_all "$deb is not built and dpkg-dev is missing (make deps)"
	"$top/mk/deb.sh" "$debdir" >/dev/null || { echo "1..0 # SKIP make deb failed"; exit 1; }
fi
kver=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)

root=$tmp/root
# Every mount lives in a private mount namespace that ends with its command,
# so nothing is mounted in the chroot when tap.sh removes $tmp.
# INROOT_MODULES=FILE: the chroot's /proc/modules, the list of loaded
# modules dracut's hostonly mode goes by (a host without module support
# has none): its /proc is then a tmpfs of links into the real one at
# /.proc, plus that file.
inroot() {
	unshare -m --propagation private --fork sh -c '
		r=$1 m=$2; shift 2
		p=$r/proc
		if [ -n "$m" ]; then
			mkdir -p "$r/.proc" && mount -t proc proc "$r/.proc" &&
			mount -t tmpfs tmpfs "$p" || exit 1
			for e in "$r"/.proc/*; do
				[ "${e##*/}" = modules ] || ln -s "/.proc/${e##*/}" "$p/${e##*/}"
			done
			cp "$m" "$p/modules"
		else
			mount -t proc proc "$p" || exit 1
		fi
		mount --rbind /dev "$r/dev" && mount -t tmpfs tmpfs "$r/run" &&
			exec chroot "$r" "$@"' _ "$root" "${INROOT_MODULES:-}" "$@"
}

t0=$SECONDS
mkdir "$root" && tar -C "$root" -xzf "$base" || { not_ok "unpack $base"; finish; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf 'deb %s bookworm main\n' "$mirror" >"$root/etc/apt/sources.list"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
if ! o=$(inroot apt-get -q update 2>&1) || grep -q '^[WE]: Failed to fetch' <<<"$o"; then
	echo "1..0 # SKIP apt-get update in the chroot failed (no network to $mirror?)"
	printf '%s\n' "$o" | tail -5 | sed 's/^/# /'
	exit 0
fi
if o=$(inroot apt-get -q install -y --no-install-recommends dracut 2>&1); then
	ok "bookworm chroot with dracut $(inroot dpkg-query -W -f '${Version}' dracut) ($((SECONDS - t0)) s)"
else
	not_ok "apt-get install dracut in the chroot" "$(tail -n 30 <<<"$o")"
	finish
fi

# gpupt-dkms unpacked by dpkg (its postinst would run DKMS: not here).
cp "$deb" "$root/tmp/"
mod=/usr/lib/dracut/modules.d/90gpupt/module-setup.sh
check "dpkg --unpack gpupt-dkms_${version}_all.deb puts $mod (dpkg -S) into dracut's tree" eval '
	inroot dpkg --unpack --force-depends "/tmp/${deb##*/}" &&
	inroot dpkg -S $mod | grep -qx "gpupt-dkms: $mod" && [ -x "$root$mod" ]'

# The kernel's module tree, with gpupt.ko where DKMS installs it.
md=$root/lib/modules/$kver
mkdir -p "$md/updates/dkms"
cp "$ko" "$md/updates/dkms/gpupt.ko"
: >"$md/modules.order"
: >"$md/modules.builtin"
check "/lib/modules/$kver/updates/dkms/gpupt.ko, depmod'ed in the chroot" eval '
	inroot depmod -a "$kver" 2>/dev/null &&
	grep -q "^updates/dkms/gpupt.ko:" "$md/modules.dep"'

# gptctl setup on this (dracut) host.
ids=1234:1111,8086:2668
check "gptctl setup --root CHROOT --ids $ids writes /etc/modprobe.d/gpupt.conf and /etc/dracut.conf.d/gpupt.conf" eval '
	"$gptctl" setup --root "$root" --ids $ids &&
	grep -Eq "^options gpupt .*ids=$ids" "$root/etc/modprobe.d/gpupt.conf" &&
	[ -f "$root/etc/dracut.conf.d/gpupt.conf" ]'

# dracut IMAGE [ARGS...] for $kver, its output in $tmp/IMAGE.log.
# Uncompressed: what is inside is the subject, and gzip under load takes
# longer than the rest of dracut's run.
img() {
	local i=$1; shift
	inroot dracut --force --no-early-microcode --no-compress "$@" "/tmp/$i.img" "$kver" >"$tmp/$i.log" 2>&1 &&
		! grep -i gpupt "$tmp/$i.log" | grep -Ei 'error|fail'
}
lsi() { inroot lsinitrd "/tmp/$1.img" "${@:2}" 2>/dev/null; }
# has_gpupt IMAGE: the image has the dracut module gpupt, gpupt.ko (the one
# built) in modules.dep, and /etc/modprobe.d/gpupt.conf equal to the
# host's; the image's own modprobe loads gpupt with the conf's ids= and
# knows the GPU drivers' softdeps.
has_gpupt() {
	inroot sh -c 'mkdir "/tmp/x-$1" && cd "/tmp/x-$1" && lsinitrd --unpack "/tmp/$1.img"' _ "$1" ||
		return 1
	local d=$root/tmp/x-$1 k
	k=$d/usr/lib/modules/$kver
	[ -d "$k" ] || k=$d/lib/modules/$kver
	lsi "$1" -m | grep -qx gpupt &&
		cmp "$ko" "$k/updates/dkms/gpupt.ko" &&
		grep -q "^updates/dkms/gpupt.ko:" "$k/modules.dep" &&
		cmp "$root/etc/modprobe.d/gpupt.conf" "$d/etc/modprobe.d/gpupt.conf" &&
		modprobe -n -v -d "$d" -C "$d/etc/modprobe.d" -S "$kver" gpupt |
			grep -Eq "^insmod .*/updates/dkms/gpupt\.ko +ids=$ids( |\$)" &&
		modprobe -c -d "$d" -C "$d/etc/modprobe.d" -S "$kver" | grep -qx "softdep bochs pre: gpupt"
}
no_conf() { ! lsi "$1" | grep 'modprobe\.d/gpupt\.conf' && ! lsi "$1" -m | grep -x gpupt; }

# 1. The host as gptctl setup leaves it, dracut's defaults.
t0=$SECONDS
img setup
rc=$? secs=$((SECONDS - t0))
check "1. after gptctl setup: dracut ($secs s) puts in gpupt.ko, /etc/modprobe.d/gpupt.conf, rd.driver.pre=gpupt; the image's modprobe loads gpupt ids=$ids" eval '
	[ $rc = 0 ] && has_gpupt setup &&
	lsi setup -f etc/cmdline.d/20-force_drivers.conf | grep -qx "rd.driver.pre=gpupt" ||
	{ tail -n 20 "$tmp/setup.log"; false; }'

# 2. The module alone: no /etc/dracut.conf.d/gpupt.conf, and without
# kernel-modules-extra, which (non-hostonly) takes every module under
# updates/, DKMS's among them; a hostonly image leaves out modules that are
# not loaded while dracut runs, as gpupt is not when a new kernel comes.
mv "$root/etc/dracut.conf.d/gpupt.conf" "$tmp/dracut-gpupt.conf"
t0=$SECONDS
img module --omit kernel-modules-extra
rc=$? secs=$((SECONDS - t0))
check "2. the dracut module alone (no dracut.conf.d snippet, no kernel-modules-extra): dracut ($secs s) includes module gpupt, gpupt.ko and the conf" eval '
	[ $rc = 0 ] && grep -q "Including module: gpupt" "$tmp/module.log" && has_gpupt module ||
	{ tail -n 20 "$tmp/module.log"; false; }'
img omit --omit "kernel-modules-extra gpupt"
rc=$?
check "2. the same with --omit gpupt: neither gpupt.ko nor its conf (nothing else brings them in)" eval '
	[ $rc = 0 ] && no_conf omit && ! lsi omit | grep "gpupt\.ko"'

# 2b. A hostonly image (Fedora's and RHEL's default), built while gpupt is
# not loaded, as when a new kernel comes: dracut's hostonly mode leaves out
# every module that /proc/modules does not list (here a list without gpupt,
# with a module the image does not need), and the gpupt module must still
# put gpupt.ko in.  In this chroot the image held gpupt.ko also with the
# module's hostonly='' taken out (tried by hand; the chroot's module tree
# holds gpupt.ko alone and no /sys): this case shows that a strict hostonly
# image carries gpupt, not that hostonly='' is what keeps it there.
printf 'e1000e 327680 0 - Live 0x0000000000000000\n' >"$tmp/modules.loaded"
t0=$SECONDS
INROOT_MODULES=$tmp/modules.loaded img hostonly --hostonly --hostonly-mode strict --omit kernel-modules-extra
rc=$? secs=$((SECONDS - t0))
check "2b. --hostonly --hostonly-mode strict, gpupt not loaded: dracut ($secs s) includes module gpupt, gpupt.ko and the conf" eval '
	[ $rc = 0 ] && grep -q "Including module: gpupt" "$tmp/hostonly.log" && has_gpupt hostonly ||
	{ tail -n 20 "$tmp/hostonly.log"; false; }'
mv "$tmp/dracut-gpupt.conf" "$root/etc/dracut.conf.d/gpupt.conf"

# 3. Unconfigured.
check "gptctl setup --root CHROOT --undo removes both files" eval '
	"$gptctl" setup --root "$root" --undo &&
	[ ! -e "$root/etc/modprobe.d/gpupt.conf" ] && [ ! -e "$root/etc/dracut.conf.d/gpupt.conf" ]'
img undone
rc=$?
check "3. after gptctl setup --undo: dracut leaves the module gpupt and the conf out (check(): only on request)" eval '
	[ $rc = 0 ] && ! grep -q "Including module: gpupt" "$tmp/undone.log" && no_conf undone'

# 4. Configured, but DKMS did not build gpupt for this kernel.
printf 'options gpupt ids=%s\n' "$ids" >"$root/etc/modprobe.d/gpupt.conf"
rm "$md/updates/dkms/gpupt.ko"
inroot depmod -a "$kver" 2>/dev/null
inroot dracut --force --no-early-microcode --no-compress /tmp/nomod.img "$kver" >"$tmp/nomod.log" 2>&1
rc=$?
check "4. configured, no gpupt.ko for $kver: dracut exits 0 and warns, naming the kernel and dkms status" eval '
	[ $rc = 0 ] && grep -q "gpupt: no gpupt.ko for kernel $kver (see dkms status -m gpupt)" "$tmp/nomod.log" ||
	{ tail -n 20 "$tmp/nomod.log"; false; }'
finish
