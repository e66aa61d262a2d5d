# SPDX-License-Identifier: GPL-2.0
# tests/kernels/lib.sh: shared by the kernel-matrix scripts (sourced, not run).
#
# Every kernel of the matrix lives under one cache directory, $GPUPT_KCACHE
# (default /var/cache/gpupt-kernels), outside the work tree so that a fresh
# clone (CI) reuses it when the machine still has it and re-creates it when
# it does not.  Layout:
#
#   $GPUPT_KCACHE/
#     debs/                     downloaded .debs (apt-get download)
#     sid/                      debootstrap'ed sid chroot (gcc-16, sid kbuild,
#                               sid's linux-headers installed inside it)
#     KVER/                     one root per kernel: usr/src/linux-headers-*,
#                               lib/modules/KVER/{build,kernel,modules.*},
#                               boot/vmlinuz-KVER or usr/lib/modules/KVER/vmlinuz
#     NAME.env                  what prepare.sh found for matrix entry NAME
#     build/NAME/{kmod,include} copy of the module source built for NAME
#     results/NAME.*            last run: build log, warnings, test results
#
# NAME.env is written last, so its presence means "prepared"; delete it (or
# run with GPUPT_KREFRESH=1) to prepare that kernel again.

: "${GPUPT_KCACHE:=/var/cache/gpupt-kernels}"
KSRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KTESTS=$KSRC/tests/kernels
APT_SID=(-o Acquire::Check-Valid-Until=false)

klog() { echo "kernels: $*" >&2; }
kdie() { echo "kernels: error: $*" >&2; exit 1; }

# The matrix, one entry per line: NAME MODE BOOT
#   MODE  host   = the host's own headers (6.1, installed by the deps)
#         root   = .debs unpacked into $GPUPT_KCACHE/KVER, built on the host
#         chroot = built inside the sid chroot
#   BOOT  yes if the VM tests run on it, no for build-only (PREEMPT_RT)
kmatrix() {
	grep -v '^[[:space:]]*\(#\|$\)' "$KTESTS/matrix"
}

# Mirror and snapshot comment of the host's Debian source, so that every
# suite we add comes from the same (dated) mirror.
kmirror() {
	local m
	m=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }' \
		/etc/apt/sources.list.d/debian.sources 2>/dev/null)
	echo "${m:-http://deb.debian.org/debian}"
}

# Load NAME.env into the environment (KNAME KVER KDIR MODE CHROOT VMLINUZ
# MODROOT BOOT).  Returns 1 when NAME is not prepared.
kenv() {
	local f=$GPUPT_KCACHE/$1.env
	[ -f "$f" ] || return 1
	# shellcheck disable=SC1090
	. "$f"
}
