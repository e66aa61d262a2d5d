#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t69-deb-kernel-upgrade-slow: with gpupt-dkms installed (apt, offline, in
# the guest's root), installing a second kernel with its headers (6.12 from
# bookworm-backports, as the kernel matrix caches them in
# /var/cache/gpupt-kernels) builds gpupt for that kernel on its own, through
# DKMS's kernel hooks; `dkms status` then shows both kernels installed.
#
#   pcie.0   (no test devices: nothing is loaded, only built)
#
# linux-headers-6.12 depends on its linux-image, so both are installed, as
# apt does on a real host.
# Slow (make check-slow): two DKMS builds under TCG.
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${KVER:-}" ] && [ -f "$top/kmod/gpupt.ko" ]; then
	KVER=$(modinfo -F vermagic "$top/kmod/gpupt.ko" | cut -d' ' -f1)
fi
export GPUPT_KO=/nonexistent/gpupt.ko RIG_GPTCTL=/nonexistent/gptctl
. "$(dirname "$0")/lib.sh"

VERSION=$(cat "$RIG_TOP/VERSION")
DEBDIR=$RIG_TOP/build/deb
DKMS_DEB=$DEBDIR/gpupt-dkms_${VERSION}_all.deb
KCACHE=${GPUPT_KCACHE:-/var/cache/gpupt-kernels}
for t in dpkg-buildpackage dh_dkms dkms; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not installed (make deps)"; exit 0; }
done
# The second kernel: prepared by the kernel matrix (make prepare-kernels).
if [ ! -f "$KCACHE/6.12.env" ] && [ "$(id -u)" = 0 ]; then
	"$RIG_TOP/tests/kernels/prepare.sh" 6.12 >"$RIG_CACHE/t69-prepare.log" 2>&1
fi
[ -f "$KCACHE/6.12.env" ] || { echo "1..0 # SKIP 6.12 is not in $KCACHE (make prepare-kernels)"; exit 0; }
K2=$(. "$KCACHE/6.12.env"; echo "$KVER")
KDEBS=
for p in $(. "$KCACHE/6.12.env"; echo "$PKGS"); do
	f=$(ls "$KCACHE/debs/${p}"_*.deb 2>/dev/null | tail -n1)
	[ -n "$f" ] || { echo "1..0 # SKIP $KCACHE/debs has no $p (make prepare-kernels)"; exit 0; }
	KDEBS="$KDEBS $f"
done
[ -f "$DKMS_DEB" ] || "$RIG_TOP/mk/deb.sh" "$DEBDIR" >/dev/null || rig_die "make deb failed"
rig_resolve_kernel
[ -e "/lib/modules/$RIG_KVER/build/Makefile" ] ||
	{ echo "1..0 # SKIP no headers for $RIG_KVER (linux-headers-$RIG_KVER)"; exit 0; }

vm_boot --mem 3G
vm_run_q "sed -i 's/^update_initramfs=.*/update_initramfs=no/' /etc/initramfs-tools/update-initramfs.conf"
APT="DEBIAN_FRONTEND=noninteractive apt-get install -y"

T0=$(rig_now)
VM_TIMEOUT=3600 vm_run "mkdir -p /root/debs && cp $DKMS_DEB /root/debs/ && cd /root/debs && $APT ./*.deb 2>&1" \
	>"$RIG_LOGDIR/$RIG_NAME.apt-dkms.log"
RC=$? SECS=$((($(rig_now) - T0) / 1000000))
t_check "apt install ./gpupt-dkms_${VERSION}_all.deb: DKMS builds gpupt for $RIG_KVER (${SECS} s)" eval '
	assert_eq 0 "$RC" "apt-get (log: $RIG_LOGDIR/$RIG_NAME.apt-dkms.log)" &&
	assert_match "^gpupt/$VERSION, $RIG_KVER, x86_64: installed" "$(vm_run dkms status -m gpupt)"'
t_check "before the upgrade nothing is built for $K2" vm_run "[ ! -e /lib/modules/$K2 ]"

T0=$(rig_now)
# INITRD=No: the kernel's postinst skips its initramfs (minutes under TCG,
# and not what this test is about); the DKMS hooks run all the same.
# The kernel's .debs are also in the archive's lists, so apt fetches them as
# its sandbox user _apt: they go where _apt can read them.  No Recommends
# (the image recommends apparmor, which the guest would have to download).
VM_TIMEOUT=6000 vm_run "mkdir -p -m 0755 /tmp/k && cp $KDEBS /tmp/k/ && chmod 0644 /tmp/k/*.deb && cd /tmp/k &&
	INITRD=No $APT --no-install-recommends ./*.deb 2>&1" \
	>"$RIG_LOGDIR/$RIG_NAME.apt-kernel.log"
RC=$? SECS=$((($(rig_now) - T0) / 1000000))
t_check "apt install of $K2's image and headers succeeds (${SECS} s)" \
	assert_eq 0 "$RC" "apt-get (log: $RIG_LOGDIR/$RIG_NAME.apt-kernel.log)"
t_check "DKMS's kernel hook built gpupt for $K2 during that install" \
	grep -Eq "dkms: (running auto installation service|autoinstall) for kernel $K2|Building module" "$RIG_LOGDIR/$RIG_NAME.apt-kernel.log"
# The releases and the version as regexes (6.12.117+deb12-amd64 has a '+').
K1_RE=$(re_quote "$RIG_KVER") K2_RE=$(re_quote "$K2") VERSION_RE=$(re_quote "$VERSION")
STATUS=$(vm_run dkms status -m gpupt)
t_check "dkms status shows gpupt/$VERSION installed for both $RIG_KVER and $K2" eval '
	assert_match "(^|
)gpupt/$VERSION_RE, $K1_RE, x86_64: installed" "$STATUS" &&
	assert_match "(^|
)gpupt/$VERSION_RE, $K2_RE, x86_64: installed" "$STATUS"'
t_check "/lib/modules/$K2/updates/dkms/gpupt.ko is built for $K2, version $VERSION" eval '
	ko=$(vm_run "ls /lib/modules/$K2/updates/dkms/gpupt.ko*") &&
	assert_match "^$K2_RE " "$(vm_run modinfo -F vermagic "$ko")" "vermagic" &&
	assert_eq "$VERSION" "$(vm_run modinfo -F version "$ko")" "version"'
t_check "modprobe resolves gpupt for $K2 (depmod ran for it)" eval '
	assert_match "^/lib/modules/$K2_RE/updates/dkms/gpupt\.ko" "$(vm_run modinfo -k $K2 -n gpupt)"'
t_done
