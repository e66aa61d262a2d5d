#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t68-deb-slow: the Debian packages on a real host (the guest): `apt install` of
# gpupt-dkms and gptctl from build/deb/ into the guest's root (offline: their
# dependencies, dkms among them, are on the host root the guest sees), DKMS
# builds gpupt.ko for the guest's kernel, `modprobe gpupt ids=` claims the
# GPU stand-in with the packaged gptctl talking to it, gpupt-apply.service is
# enabled and passes systemd-analyze verify, and `apt purge` takes away the
# module from /lib/modules/*/updates/dkms and every file dpkg -L listed.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1
#       └── 01:00.0 VGA 1234:1111   01:00.1 intel-hda 8086:2668
#
# The rig puts no gpupt.ko into the guest's module tree and no gptctl on its
# PATH here: the module is the one DKMS builds, gptctl the packaged one.
# make deb runs first when build/deb/ lacks this VERSION's packages.
# Slow (make check-slow): under TCG, dpkg reading its database over 9p and
# the DKMS build of gpupt.ko take many minutes (see tests/deb/README.md).
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${KVER:-}" ] && [ -f "$top/kmod/gpupt.ko" ]; then
	KVER=$(modinfo -F vermagic "$top/kmod/gpupt.ko" | cut -d' ' -f1)
fi
export GPUPT_KO=/nonexistent/gpupt.ko RIG_GPTCTL=/nonexistent/gptctl
. "$(dirname "$0")/lib.sh"

VERSION=$(cat "$RIG_TOP/VERSION")
DEBDIR=$RIG_TOP/build/deb
DEBS="$DEBDIR/gpupt-dkms_${VERSION}_all.deb $DEBDIR/gptctl_${VERSION}_amd64.deb"
for t in dpkg-buildpackage dh_dkms dkms; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t is not installed (make deps)"; exit 0; }
done
if ! ls $DEBS >/dev/null 2>&1; then
	"$RIG_TOP/mk/deb.sh" "$DEBDIR" >/dev/null || rig_die "make deb failed"
fi
rig_resolve_kernel
[ -e "/lib/modules/$RIG_KVER/build/Makefile" ] ||
	{ echo "1..0 # SKIP no headers for $RIG_KVER (linux-headers-$RIG_KVER)"; exit 0; }

VGA=0000:01:00.0 AUD=0000:01:00.1
topo_root_port 1
topo_gpu_slot rp1 gpu0
vm_boot --mem 2G

t_check "the guest has neither gpupt.ko nor gptctl before the install" \
	vm_run '! modinfo -n gpupt 2>/dev/null && ! command -v gptctl && ! dpkg -s gpupt-dkms gptctl 2>/dev/null'

# The update-initramfs trigger is kept from building a whole initramfs under
# TCG (minutes; what goes into it is t62's subject): it only has to fire.
t_check "guest: update_initramfs=no (update-initramfs -u says so and stops)" \
	vm_run "sed -i 's/^update_initramfs=.*/update_initramfs=no/' /etc/initramfs-tools/update-initramfs.conf"

# apt install: DKMS builds for the guest's kernel in gpupt-dkms's postinst.
T0=$(rig_now)
VM_TIMEOUT=3600 vm_run "mkdir -p /root/debs && cp $DEBS /root/debs/ && cd /root/debs &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y ./*.deb 2>&1" >"$RIG_LOGDIR/$RIG_NAME.apt-install.log" 2>&1
RC=$? SECS=$((($(rig_now) - T0) / 1000000))
t_check "apt install ./gpupt-dkms_${VERSION}_all.deb ./gptctl_${VERSION}_amd64.deb succeeds offline (${SECS} s)" eval '
	assert_eq 0 "$RC" "apt-get exit status (log: $RIG_LOGDIR/$RIG_NAME.apt-install.log)"'
t_check "both packages are installed at $VERSION" eval '
	assert_eq "gptctl $VERSION install ok installed|gpupt-dkms $VERSION install ok installed" \
		"$(vm_run "dpkg-query -W -f \"\\\${Package} \\\${Version} \\\${Status}\\n\" gpupt-dkms gptctl" | sort | paste -sd "|")"'
t_check "dkms status: gpupt/$VERSION, $RIG_KVER, x86_64: installed" eval '
	assert_match "^gpupt/$VERSION, $RIG_KVER, x86_64: installed" "$(vm_run dkms status -m gpupt)"'
t_check "modprobe finds DKMS's module in /lib/modules/$RIG_KVER/updates/dkms, version $VERSION, built for $RIG_KVER" eval '
	assert_match "^/lib/modules/$RIG_KVER/updates/dkms/gpupt\.ko" "$(vm_run modinfo -n gpupt)" &&
	assert_eq "$VERSION" "$(vm_run modinfo -F version gpupt)" "modinfo version" &&
	assert_match "^$RIG_KVER " "$(vm_run modinfo -F vermagic gpupt)" "vermagic"'
t_check "gpupt-dkms's update-initramfs trigger fired (initramfs-tools processed it)" eval '
	grep -A1 "^Processing triggers for initramfs-tools" "$RIG_LOGDIR/$RIG_NAME.apt-install.log" |
		grep -q "^update-initramfs: Not updating initramfs"'

# The module at work, with the packaged gptctl.
t_check "modprobe gpupt ids=1234:1111,8086:2668 (the DKMS build) loads" \
	vm_run modprobe gpupt ids=1234:1111,8086:2668
t_check "gpupt claims the GPU stand-in and its audio function" eval '
	vm_driver_is $VGA gpupt && vm_driver_is $AUD gpupt'
t_check "gptctl is the packaged /usr/sbin/gptctl; gptctl --version and the loaded module say $VERSION" eval '
	assert_eq /usr/sbin/gptctl "$(vm_run command -v gptctl)" "gptctl on PATH" &&
	assert_match "$VERSION" "$(vm_run gptctl --version)" "gptctl --version" &&
	assert_eq "$VERSION" "$(vm_run cat /sys/module/gpupt/version)" "/sys/module/gpupt/version"'
t_check "gptctl -j list shows both functions held by gpupt" eval '
	assert_eq "$VGA gpupt $AUD gpupt" \
		"$(vm_run "gptctl -j list | jq -r \"[.[] | select(.address == \\\"$VGA\\\" or .address == \\\"$AUD\\\") | .address + \\\" \\\" + .driver] | join(\\\" \\\")\"")"'

# gpupt-apply.service
t_check "gpupt-apply.service is enabled (basic.target.wants), as dh_installsystemd does it" \
	vm_run '[ "$(readlink /etc/systemd/system/basic.target.wants/gpupt-apply.service)" = /lib/systemd/system/gpupt-apply.service ]'
t_check "systemd-analyze verify gpupt-apply.service: exit 0, nothing on stderr" eval '
	vm_run "cd /tmp && systemd-analyze verify /lib/systemd/system/gpupt-apply.service" &&
	assert_eq "" "$(cat "$VM_LAST_ERR")" "stderr"'
t_check "the service's command (gptctl apply) with the packaged devices.conf changes nothing and exits 0" eval '
	vm_run "gptctl apply" >/dev/null && vm_driver_is $VGA gpupt && vm_driver_is $AUD gpupt'

# apt purge: nothing dpkg -L listed stays, nor DKMS's module and state.
vm_run_q 'dpkg -L gpupt-dkms gptctl | sort -u >/root/listed'
t_check "dpkg -L lists the module source, gptctl, the unit and devices.conf" eval '
	vm_run "grep -qx /usr/src/gpupt-$VERSION/kmod/main.c /root/listed && grep -qx /usr/sbin/gptctl /root/listed &&
		grep -qx /lib/systemd/system/gpupt-apply.service /root/listed && grep -qx /etc/gpupt/devices.conf /root/listed"'
T0=$(rig_now)
VM_TIMEOUT=1800 vm_run "DEBIAN_FRONTEND=noninteractive apt-get purge -y gpupt-dkms gptctl 2>&1" >"$RIG_LOGDIR/$RIG_NAME.apt-purge.log" 2>&1
RC=$? SECS=$((($(rig_now) - T0) / 1000000))
t_check "apt purge gpupt-dkms gptctl succeeds (${SECS} s)" assert_eq 0 "$RC" "apt-get exit status"
t_check "dpkg knows neither package any more" \
	vm_run '! dpkg -s gpupt-dkms 2>/dev/null && ! dpkg -s gptctl 2>/dev/null'
t_check "no gpupt.ko left in /lib/modules/*/updates/dkms, no DKMS state, modprobe no longer finds it" eval '
	assert_eq "" "$(vm_run "ls /lib/modules/*/updates/dkms/gpupt.ko* 2>/dev/null; ls -d /var/lib/dkms/gpupt 2>/dev/null; modinfo -n gpupt 2>/dev/null")"'
t_check "no file that dpkg -L listed is left (directories shared with other packages aside)" eval '
	assert_eq "" "$(vm_run "while read -r f; do [ -e \"\$f\" ] && [ ! -d \"\$f\" ] && echo \"\$f\"; done </root/listed;
		ls -d /usr/src/gpupt-* /etc/gpupt /usr/share/doc/gpupt-dkms /usr/share/doc/gptctl 2>/dev/null")"'
t_check "the service's enablement link is gone" \
	vm_run '[ ! -e /etc/systemd/system/basic.target.wants/gpupt-apply.service ] && [ ! -L /etc/systemd/system/basic.target.wants/gpupt-apply.service ]'
t_done
