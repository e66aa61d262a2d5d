#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/kernels/prepare.sh [NAME...]: make each kernel of the matrix ready to
# build gpupt against (and to boot, for the bootable ones), in $GPUPT_KCACHE.
# Without NAME, every entry of tests/kernels/matrix.  A prepared kernel is
# reused (its NAME.env exists); GPUPT_KREFRESH=1 prepares it again.
#
# Where each kernel comes from, all from the mirror the host's apt already uses:
#   6.1      bookworm linux-headers-amd64 / linux-image-amd64, installed on the
#            host (the rig's default kernel).
#   6.1-rt   bookworm linux-headers-<6.1 ABI>-rt-amd64, unpacked (dpkg -x).
#   6.12     bookworm-backports linux-headers-6.12.*+deb12-amd64 and
#            linux-image-6.12.*+deb12-amd64-unsigned, unpacked, depmod'ed.
#   6.12-rt  bookworm-backports linux-headers-6.12.*+deb12-rt-amd64, unpacked.
#   sid      headers installed inside a debootstrap'ed sid chroot (they need
#            gcc-16 and sid's kbuild); linux-binary/-modules/-base unpacked.
#   5.10     bullseye linux-headers-amd64's headers, unpacked: the oldest
#            Debian kernel we can reach, build-only, to keep the floor honest.
#            Fetched with a private apt configuration under the cache (own
#            sources.list, lists and status), so the host's sources never
#            mention bullseye.  Built with the host's gcc-12 (bookworm has
#            no gcc-10): KMAKEFLAGS=CC=gcc.
#
# Only bookworm-backports is ever added to the host's apt sources.  Never add
# trixie or sid there: resolving dependencies would "upgrade" libc and half
# the system to the newer release.  sid is confined to its chroot.
set -eo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || kdie "must run as root (apt-get, dpkg -x, debootstrap, chroot)"
mkdir -p "$GPUPT_KCACHE/debs"
export DEBIAN_FRONTEND=noninteractive

need_tools() {
	local missing=() t
	for t in debootstrap:debootstrap pahole:dwarves xz:xz-utils depmod:kmod; do
		command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
	done
	[ ${#missing[@]} = 0 ] && return
	klog "installing ${missing[*]}"
	apt-get install -y --no-install-recommends "${missing[@]}" >&2
}

# Add bookworm-backports on the host's own mirror, same snapshot comment.
need_backports() {
	local f=/etc/apt/sources.list.d/gpupt-bookworm-backports.sources
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		grep -qs '^VERSION_CODENAME=bookworm' /etc/os-release ||
			kdie "6.12 comes from bookworm-backports, but this host is not Debian 12"
		klog "adding bookworm-backports ($(kmirror)) as $f"
		{
			echo "Types: deb"
			grep -m1 '^# .*snapshot' /etc/apt/sources.list.d/debian.sources || true
			echo "URIs: $(kmirror)"
			echo "Suites: bookworm-backports"
			echo "Components: main"
			echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		} > "$f"
		apt-get update >&2
	fi
}

# Extra apt options (the private bullseye configuration); empty = host's apt.
APT_OPTS=()

# First "Depends: PATTERN" of a package's candidate version.
dep_of() {
	apt-cache "${APT_OPTS[@]}" depends "$1" | awk -v re="$2" '$1 == "Depends:" && $2 ~ re { print $2; exit }'
}

# apt-get download PKG... into DIR, skipping what is already there.
fetch() {
	local dir=$1 p todo=()
	shift
	for p in "$@"; do
		compgen -G "$dir/${p}_*.deb" >/dev/null || todo+=("$p")
	done
	[ ${#todo[@]} = 0 ] && return
	klog "downloading ${todo[*]}"
	(cd "$dir" && apt-get "${APT_OPTS[@]}" download "${todo[@]}" 2>&1 | grep -v 'unsandboxed' >&2) || true
	for p in "${todo[@]}"; do
		compgen -G "$dir/${p}_*.deb" >/dev/null || kdie "could not download $p"
	done
}

# Unpack a headers package plus its linux-headers-*/linux-kbuild-* deps into
# ROOT and make the tree self-contained: Debian's Makefile includes the common
# headers by absolute path, and lib/modules/KVER/{build,source} are absolute.
unpack_headers() {
	local root=$1 kver=$2 hdr=$3 pkgs p
	pkgs=("$hdr" $(apt-cache "${APT_OPTS[@]}" depends "$hdr" |
		awk '$1 ~ /^\|?Depends:$/ && $2 ~ /^linux-(headers|kbuild)-/ { print $2 }'))
	fetch "$GPUPT_KCACHE/debs" "${pkgs[@]}"
	for p in "${pkgs[@]}"; do
		dpkg -x "$(ls "$GPUPT_KCACHE/debs/${p}"_*.deb | tail -n1)" "$root"
	done
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$root/usr/src/linux-headers-$kver/Makefile"
	for p in build source; do
		local t
		t=$(readlink "$root/lib/modules/$kver/$p") || continue
		case $t in /*) ln -sfn "../../..$t" "$root/lib/modules/$kver/$p" ;; esac
	done
	echo "${pkgs[*]}"
}

write_env() {
	local name=$1
	shift
	printf '%s\n' "$@" > "$GPUPT_KCACHE/$name.env.tmp"
	mv "$GPUPT_KCACHE/$name.env.tmp" "$GPUPT_KCACHE/$name.env"
	klog "$name ready: $(grep '^KVER=' "$GPUPT_KCACHE/$name.env")"
}

prep_6_1() {
	local kver
	kver=$(dpkg-query -W -f '${Depends}' linux-headers-amd64 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p')
	if [ -z "$kver" ] || [ ! -e "/lib/modules/$kver/build" ] || [ ! -e "/boot/vmlinuz-$kver" ]; then
		klog "installing bookworm's linux-headers-amd64 linux-image-amd64"
		apt-get install -y --no-install-recommends linux-headers-amd64 linux-image-amd64 >&2
		kver=$(dpkg-query -W -f '${Depends}' linux-headers-amd64 |
			sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p')
	fi
	write_env 6.1 KNAME=6.1 "KVER=$kver" MODE=host BOOT=yes "KDIR=/lib/modules/$kver/build" \
		CHROOT= "VMLINUZ=/boot/vmlinuz-$kver" MODROOT=/ \
		"PKGS='linux-headers-$kver linux-image-$kver'"
}

# 6.1 PREEMPT_RT at the same ABI as the host's 6.1.
prep_6_1_rt() {
	local abi kver root pkgs
	kenv 6.1 || prep_6_1
	kenv 6.1
	abi=${KVER%-amd64}
	kver=$abi-rt-amd64
	root=$GPUPT_KCACHE/$kver
	pkgs=$(unpack_headers "$root" "$kver" "linux-headers-$kver")
	write_env 6.1-rt KNAME=6.1-rt "KVER=$kver" MODE=root BOOT=no \
		"KDIR=$root/usr/src/linux-headers-$kver" CHROOT= VMLINUZ= "MODROOT=$root" "PKGS='$pkgs'"
}

# bookworm-backports; META is linux-headers-6.12-amd64 or -6.12-rt-amd64.
prep_bpo() {
	local name=$1 meta=$2 boot=$3 hdr kver root pkgs vmlinuz=
	need_backports
	hdr=$(dep_of "$meta" '^linux-headers-')
	[ -n "$hdr" ] || { apt-get update >&2; hdr=$(dep_of "$meta" '^linux-headers-'); }
	[ -n "$hdr" ] || kdie "$meta not found in bookworm-backports"
	kver=${hdr#linux-headers-}
	root=$GPUPT_KCACHE/$kver
	pkgs=$(unpack_headers "$root" "$kver" "$hdr")
	if [ "$boot" = yes ]; then
		fetch "$GPUPT_KCACHE/debs" "linux-image-$kver-unsigned"
		dpkg -x "$(ls "$GPUPT_KCACHE/debs/linux-image-$kver-unsigned"_*.deb | tail -n1)" "$root"
		klog "depmod $kver"
		depmod -b "$root" "$kver"
		vmlinuz=$root/boot/vmlinuz-$kver
		pkgs="$pkgs linux-image-$kver-unsigned"
	fi
	write_env "$name" "KNAME=$name" "KVER=$kver" MODE=root "BOOT=$boot" \
		"KDIR=$root/usr/src/linux-headers-$kver" CHROOT= "VMLINUZ=$vmlinuz" "MODROOT=$root" \
		"PKGS='$pkgs'"
}

# Newest kernel: sid's, headers built in a sid chroot, kernel and modules
# unpacked with dpkg -x (usr/lib/modules/KVER/vmlinuz, .ko.xz modules).
prep_sid() {
	local c=$GPUPT_KCACHE/sid hdr kver root p
	if [ ! -x "$c/usr/bin/gcc-16" ]; then
		klog "debootstrap sid into $c ($(kmirror))"
		rm -rf "$c.tmp"
		debootstrap --variant=minbase --include=gcc-16,make,libelf-dev,bc,kmod \
			sid "$c.tmp" "$(kmirror)" > "$GPUPT_KCACHE/debootstrap.log" 2>&1 ||
			{ tail -n 20 "$GPUPT_KCACHE/debootstrap.log" >&2; kdie "debootstrap sid failed"; }
		rm -rf "$c"
		mv "$c.tmp" "$c"
	fi
	chroot "$c" apt-get "${APT_SID[@]}" update >&2
	hdr=$(chroot "$c" apt-cache depends linux-headers-amd64 |
		awk '$1 == "Depends:" && $2 ~ /^linux-headers-[0-9]/ { print $2; exit }')
	[ -n "$hdr" ] || kdie "sid: linux-headers-amd64 does not name a linux-headers-KVER"
	kver=${hdr#linux-headers-}
	klog "sid: $kver"
	chroot "$c" apt-get "${APT_SID[@]}" install -y --no-install-recommends "$hdr" 2>&1 |
		grep -v 'Can not write log' >&2 || true
	[ -f "$c/usr/src/$hdr/Makefile" ] || kdie "sid: installing $hdr failed"
	chroot "$c" apt-get clean
	mkdir -p "$c/debs"
	for p in linux-binary linux-modules linux-base; do
		compgen -G "$c/debs/$p-${kver}_*.deb" >/dev/null ||
			chroot "$c" sh -c "cd /debs && apt-get -o Acquire::Check-Valid-Until=false download $p-$kver" \
				2>&1 | grep -v unsandboxed >&2 || true
		compgen -G "$c/debs/$p-${kver}_*.deb" >/dev/null || kdie "sid: could not download $p-$kver"
	done
	root=$GPUPT_KCACHE/$kver
	mkdir -p "$root"
	for p in "$c"/debs/linux-{binary,modules,base}-"$kver"_*.deb; do
		dpkg -x "$p" "$root"
	done
	# sid is merged-/usr; give the tree the lib/modules path every tool expects.
	[ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
	klog "depmod $kver"
	depmod -b "$root" "$kver"
	write_env sid KNAME=sid "KVER=$kver" MODE=chroot BOOT=yes "KDIR=/usr/src/linux-headers-$kver" \
		"CHROOT=$c" "VMLINUZ=$root/usr/lib/modules/$kver/vmlinuz" "MODROOT=$root" \
		"PKGS='$hdr linux-binary-$kver linux-modules-$kver'"
}

prep_bullseye() {
	local d=$GPUPT_KCACHE/apt-bullseye hdr kver root pkgs
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	echo "deb $(kmirror) bullseye main" > "$d/sources.list"
	APT_OPTS=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o Dir::State::Status=/dev/null)
	apt-get "${APT_OPTS[@]}" update >&2
	hdr=$(dep_of linux-headers-amd64 '^linux-headers-')
	[ -n "$hdr" ] || kdie "bullseye: linux-headers-amd64 does not name a linux-headers-KVER"
	kver=${hdr#linux-headers-}
	root=$GPUPT_KCACHE/$kver
	pkgs=$(unpack_headers "$root" "$kver" "$hdr")
	APT_OPTS=()
	write_env 5.10 KNAME=5.10 "KVER=$kver" MODE=root BOOT=no \
		"KDIR=$root/usr/src/linux-headers-$kver" CHROOT= VMLINUZ= "MODROOT=$root" \
		"PKGS='$pkgs'" "KMAKEFLAGS='CC=gcc'"
}

prepare() {
	local name=$1
	if [ "${GPUPT_KREFRESH:-0}" != 1 ] && kenv "$name"; then
		klog "$name: cached ($KVER)"
		return
	fi
	case $name in
	6.1) prep_6_1 ;;
	6.1-rt) prep_6_1_rt ;;
	6.12) prep_bpo 6.12 linux-headers-6.12-amd64 yes ;;
	6.12-rt) prep_bpo 6.12-rt linux-headers-6.12-rt-amd64 no ;;
	sid) prep_sid ;;
	5.10) prep_bullseye ;;
	*) kdie "unknown kernel '$name' (see tests/kernels/matrix)" ;;
	esac
}

exec 9> "$GPUPT_KCACHE/.lock"
flock 9
need_tools
if [ $# = 0 ]; then
	set -- $(kmatrix | awk '{ print $1 }')
fi
for n in "$@"; do
	prepare "$n"
done
