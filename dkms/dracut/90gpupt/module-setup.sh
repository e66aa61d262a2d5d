#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dracut module "gpupt": put gpupt.ko and /etc/modprobe.d/gpupt.conf into
# the initramfs whenever gpupt is configured (an "options gpupt" line in
# that file), whatever dracut's hostonly mode and the drivers dracut picks.
# The conf brings gpupt's options and the "softdep DRIVER pre: gpupt"
# lines along: udev's modprobe of bochs, amdgpu, nouveau ... in the
# initramfs then loads gpupt first, and gpupt holds the listed devices
# before the host driver probes.  It is the dracut counterpart of the
# initramfs-tools hook (/usr/share/initramfs-tools/hooks/gpupt).
#
# `gptctl setup` also writes /etc/dracut.conf.d/gpupt.conf, whose
# force_drivers loads gpupt in the initramfs even when no GPU driver is
# there to pull it in.
#
# Installed to /usr/lib/dracut/modules.d/90gpupt/ by `make install` and the
# gpupt-dkms package.  DKMS builds gpupt.ko for a new kernel before dracut's
# kernel hook makes its initramfs (/etc/kernel/postinst.d/dkms runs before
# .../dracut).

gpupt_conf=/etc/modprobe.d/gpupt.conf

gpupt_configured() {
	grep -Eqs '^[[:space:]]*options[[:space:]]+gpupt[[:space:]]' \
		"${dracutsysrootdir-}$gpupt_conf"
}

# 0: in every initramfs; 255: only when asked for (dracut --add gpupt).
check() {
	gpupt_configured && return 0
	return 255
}

depends() {
	return 0
}

installkernel() {
	# hostonly='': gpupt is wanted whether it is loaded right now or not.
	# $kernel is the kernel dracut builds for.
	# shellcheck disable=SC2154
	hostonly='' instmods -c -s gpupt ||
		dwarn "gpupt: no gpupt.ko for kernel $kernel (see dkms status -m gpupt): the initramfs cannot hold gpupt's devices"
}

install() {
	[[ -e ${dracutsysrootdir-}$gpupt_conf ]] && inst_simple "$gpupt_conf"
	return 0
}
