#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t63-setup-roundtrip: `gptctl setup` on scratch roots.
#   - --dry-run prints the diff and changes nothing (every file, mode and
#     directory identical; no backup dir);
#   - setup writes modprobe.d/gpupt.conf (options + the softdep list), the
#     initramfs inclusion and, with --apply-cmdline, GRUB_CMDLINE_LINUX;
#   - a second setup keeps the user's edited softdep list;
#   - --undo restores every file byte for byte (and mode), removes what
#     setup created, and a second --undo has nothing to do;
#   - a dracut root gets dkms/dracut/gpupt.conf, byte for byte;
#   - amd_iommu=on (no kernel takes it) in GRUB_CMDLINE_LINUX(_DEFAULT):
#     setup warns without --apply-cmdline, removes it with it (and says
#     why), --undo removes it from a restored file, and reports it gone
#     when an earlier setup had written it;
#   - a Proxmox VE root that boots through proxmox-boot-tool (systemd-boot:
#     /etc/kernel/cmdline, no /etc/default/grub): --apply-cmdline sets the
#     words on that one line, --undo restores it byte for byte; a
#     two-line file is refused, and a root with neither file fails before
#     writing anything.
# Host only, no VM: everything runs with --root on a scratch tree.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
G=${RIG_GPTCTL:-$top/ctl/gptctl}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; printf '%s\n' "$@" | head -40 | sed 's/^/#   /'; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d" "${why:-}"; fi; why=""; }

[ -x "$G" ] || { echo "1..0 # SKIP gptctl not built"; exit 0; }
tmp=$(mktemp -d /tmp/gpupt-t63.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# A Debian-like root: initramfs-tools, GRUB, an unrelated modprobe file.
root=$tmp/root
mkdir -p "$root"/etc/initramfs-tools "$root"/etc/default "$root"/etc/modprobe.d "$root"/var/lib
printf '# List of modules that you want to include in your initramfs.\nloop\n' >"$root/etc/initramfs-tools/modules"
chmod 0640 "$root/etc/initramfs-tools/modules"
cat >"$root/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=ttyS0 iommu=soft"
GRUB
printf 'blacklist pcspkr\n' >"$root/etc/modprobe.d/local.conf"
cp -a "$root" "$tmp/orig"

# state DIR: every path with its mode and checksum, for exact comparisons.
state() { (cd "$1" && find . -printf '%M %p\n' | sort && find . -type f -exec sha256sum {} + | sort -k2); }

out=$("$G" setup --ids 1234:1111 --apply-cmdline --dry-run --root "$root" 2>&1); rc=$?
why="exit $rc: $out"
check "setup --dry-run exits 0" [ $rc -eq 0 ]
why="$out"
check "--dry-run prints the diff of each file" eval 'grep -q "^+options gpupt ids=1234:1111$" <<<"$out" && grep -q "^+gpupt$" <<<"$out" && grep -q "^+GRUB_CMDLINE_LINUX=\"console=ttyS0 iommu=pt .*gpupt.ids=1234:1111\"$" <<<"$out"'
why=$(diff <(state "$tmp/orig") <(state "$root"))
check "--dry-run changes nothing" [ -z "$why" ]

out=$("$G" setup --ids 1234:1111 --apply-cmdline --root "$root" 2>&1); rc=$?
why="exit $rc: $out"
check "setup --ids 1234:1111 --apply-cmdline exits 0" [ $rc -eq 0 ]
conf=$root/etc/modprobe.d/gpupt.conf
why=$(cat "$conf" 2>&1)
check "modprobe.d/gpupt.conf: options gpupt ids=1234:1111" grep -qx 'options gpupt ids=1234:1111' "$conf"
check "modprobe.d/gpupt.conf: softdeps for every default driver" eval \
	'for m in nouveau nvidia nvidiafb amdgpu radeon i915 xe snd_hda_intel bochs; do grep -qx "softdep $m pre: gpupt" "$conf" || exit 1; done'
why=$(cat "$root/etc/initramfs-tools/modules")
check "initramfs-tools modules lists gpupt once" [ "$(grep -cx gpupt "$root/etc/initramfs-tools/modules")" = 1 ]
why=$(stat -c %a "$root/etc/initramfs-tools/modules")
check "the modules file keeps its mode (0640)" [ "$why" = 640 ]
why=$(grep CMDLINE "$root/etc/default/grub")
check "GRUB_CMDLINE_LINUX: iommu=soft replaced, words appended, _DEFAULT untouched" eval \
	'grep -Eqx "GRUB_CMDLINE_LINUX=\"console=ttyS0 iommu=pt( intel_iommu=on)? gpupt.ids=1234:1111\"" "$root/etc/default/grub" && grep -qx "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"" "$root/etc/default/grub"'
why=$(cat "$root/var/lib/gpupt/backup/manifest" 2>&1)
check "backups: a manifest line per changed file" [ "$(wc -l <"$root/var/lib/gpupt/backup/manifest")" = 3 ]

# The user trims the softdep list and changes IDs: the list survives.
sed -i '/^softdep /d' "$conf"
printf 'softdep amdgpu pre: gpupt\nsoftdep snd-hda-intel pre: gpupt\n' >>"$conf"
out=$("$G" setup --ids 10de:2901,10de:22be --addrs 01:00.0 --root "$root" 2>&1); rc=$?
why="exit $rc: $out $(cat "$conf")"
check "setup again keeps the user's softdep list" eval \
	'[ $rc -eq 0 ] && [ "$(grep -c "^softdep " "$conf")" = 2 ] && grep -qx "options gpupt ids=10de:2901,10de:22be addrs=0000:01:00.0" "$conf"'

out=$("$G" setup --undo --root "$root" 2>&1); rc=$?
why="exit $rc: $out"
check "setup --undo exits 0" [ $rc -eq 0 ]
why=$(diff <(state "$tmp/orig") <(state "$root"))
check "--undo restores every file byte for byte, modes too, and removes what setup made" [ -z "$why" ]
out=$("$G" setup --undo --root "$root" 2>&1); rc=$?
why="exit $rc: $out"
check "a second --undo has nothing to undo (exit 1)" eval '[ $rc -eq 1 ] && grep -q "nothing to undo" <<<"$out"'

# Input checks: nothing written on a bad ID.
out=$("$G" setup --ids 1234:xyz --root "$root" 2>&1); rc=$?
why="exit $rc: $out"
check "a malformed ID is a usage error (exit 2) naming the element" eval '[ $rc -eq 2 ] && grep -q "1234:xyz" <<<"$out"'
why=$(diff <(state "$tmp/orig") <(state "$root"))
check "... and writes nothing" [ -z "$why" ]

# A dracut host.
droot=$tmp/droot
mkdir -p "$droot/etc/dracut.conf.d" "$droot/var/lib"
out=$("$G" setup --ids 1234:1111 --root "$droot" 2>&1); rc=$?
why="exit $rc: $out"
check "dracut root: setup writes dracut.conf.d/gpupt.conf = dkms/dracut/gpupt.conf" \
	eval '[ $rc -eq 0 ] && cmp -s "$droot/etc/dracut.conf.d/gpupt.conf" "$top/dkms/dracut/gpupt.conf"'
"$G" setup --undo --root "$droot" >/dev/null 2>&1
why=$(find "$droot")
check "dracut root: --undo removes both files" eval '[ ! -e "$droot/etc/dracut.conf.d/gpupt.conf" ] && [ ! -e "$droot/etc/modprobe.d/gpupt.conf" ]'

out=$("$G" -j cmdline --ids 1234:1111 2>&1)
why=$out
check "gptctl -j cmdline: a JSON array of words, never amd_iommu=on" eval 'grep -Eq "^\[(\"intel_iommu=on\",)?\"iommu=pt\",\"gpupt.ids=1234:1111\"\]$" <<<"$out"'

# A GRUB file as the guides leave it: amd_iommu=on, which no kernel takes.
groot=$tmp/groot
mkdir -p "$groot/etc/initramfs-tools" "$groot/etc/default" "$groot/var/lib"
cat >"$groot/etc/default/grub" <<'GRUB'
GRUB_DEFAULT=0
GRUB_CMDLINE_LINUX_DEFAULT="quiet amd_iommu=on iommu=pt"
GRUB_CMDLINE_LINUX="console=ttyS0 amd_iommu=on,force_isolation"
GRUB
cp "$groot/etc/default/grub" "$tmp/grub.guide"
out=$("$G" setup --ids 1234:1111 --root "$groot" 2>&1); rc=$?
why="exit $rc: $out"
check "amd_iommu=on in GRUB: setup without --apply-cmdline warns, naming the word, the variable and the remedy" eval \
	'[ $rc -eq 0 ] && grep -q "warning: amd_iommu=on in GRUB_CMDLINE_LINUX_DEFAULT of /etc/default/grub: amd_iommu= has no \"on\" option.*--apply-cmdline removes it" <<<"$out"'
why=$(diff "$tmp/grub.guide" "$groot/etc/default/grub")
check "... and leaves /etc/default/grub alone" [ -z "$why" ]
out=$("$G" setup --ids 1234:1111 --apply-cmdline --dry-run --root "$groot" 2>&1); rc=$?
why="exit $rc: $out"
check "--apply-cmdline --dry-run: the diff drops amd_iommu=on, 'would fix' says why" eval \
	'[ $rc -eq 0 ] && grep -qx "+GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt\"" <<<"$out" && grep -q "^would fix: amd_iommu=on removed from GRUB_CMDLINE_LINUX_DEFAULT (/etc/default/grub): amd_iommu= has no \"on\" option" <<<"$out"'
out=$("$G" setup --ids 1234:1111 --apply-cmdline --root "$groot" 2>&1); rc=$?
why="exit $rc: $out
$(cat "$groot/etc/default/grub")"
check "--apply-cmdline removes amd_iommu=on from both variables, keeps the other option" eval \
	'[ $rc -eq 0 ] && ! grep -q "amd_iommu=on" "$groot/etc/default/grub" && grep -qx "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt\"" "$groot/etc/default/grub" && grep -Eqx "GRUB_CMDLINE_LINUX=\"console=ttyS0 amd_iommu=force_isolation( intel_iommu=on)? iommu=pt gpupt.ids=1234:1111\"" "$groot/etc/default/grub"'
check "... and reports each removal as a fix, with the reason" eval \
	'grep -q "^fixed: amd_iommu=on removed from GRUB_CMDLINE_LINUX_DEFAULT (/etc/default/grub): amd_iommu= has no \"on\" option: parse_amd_iommu_options() in drivers/iommu/amd/init.c" <<<"$out" && grep -q "^fixed: amd_iommu=on,force_isolation replaced by amd_iommu=force_isolation in GRUB_CMDLINE_LINUX" <<<"$out"'
out=$("$G" -j setup --undo --dry-run --root "$groot" 2>&1); rc=$?
why="exit $rc: $out"
check "setup -j --undo --dry-run: restoring the guide's file would fix amd_iommu=on again (JSON: fixed[])" eval \
	'[ $rc -eq 0 ] && jq -e "[.fixed[] | select(.word == \"amd_iommu=on\" and .action == \"removed\" and .variable == \"GRUB_CMDLINE_LINUX_DEFAULT\" and (.reason | test(\"IVRS\")))] | length == 1" <<<"$out" >/dev/null'
out=$("$G" setup --undo --root "$groot" 2>&1); rc=$?
why="exit $rc: $out
$(diff "$tmp/grub.guide" "$groot/etc/default/grub")"
check "--undo restores the file as it was, less amd_iommu=on, and says so" eval \
	'[ $rc -eq 0 ] && [ "$(sed "s/amd_iommu=on,/amd_iommu=/; s/ amd_iommu=on / /" "$tmp/grub.guide")" = "$(cat "$groot/etc/default/grub")" ] && grep -q "^fixed: amd_iommu=on removed from GRUB_CMDLINE_LINUX_DEFAULT" <<<"$out"'

# An earlier setup wrote amd_iommu=on itself: --undo reports it gone.
printf 'GRUB_CMDLINE_LINUX="console=ttyS0"\n' >"$groot/etc/default/grub"
"$G" setup --ids 1234:1111 --apply-cmdline --root "$groot" >/dev/null 2>&1
sed -i 's/^GRUB_CMDLINE_LINUX="/&amd_iommu=on /' "$groot/etc/default/grub"
out=$("$G" setup --undo --root "$groot" 2>&1); rc=$?
why="exit $rc: $out
$(cat "$groot/etc/default/grub")"
check "--undo after a setup that wrote amd_iommu=on: back to the original, the removal reported" eval \
	'[ $rc -eq 0 ] && [ "$(cat "$groot/etc/default/grub")" = "GRUB_CMDLINE_LINUX=\"console=ttyS0\"" ] && grep -q "^fixed: amd_iommu=on removed from GRUB_CMDLINE_LINUX (/etc/default/grub)" <<<"$out"'

# Proxmox VE booting through proxmox-boot-tool: the command line is the one
# line of /etc/kernel/cmdline.
proot=$tmp/proot
mkdir -p "$proot/etc/initramfs-tools" "$proot/etc/kernel" "$proot/var/lib"
printf 'root=ZFS=rpool/ROOT/pve-1 boot=zfs iommu=soft\n' >"$proot/etc/kernel/cmdline"
cp "$proot/etc/kernel/cmdline" "$tmp/kcmdline.orig"
out=$("$G" setup --ids 1234:1111 --apply-cmdline --root "$proot" 2>&1); rc=$?
why="exit $rc: $out
$(cat "$proot/etc/kernel/cmdline")"
check "Proxmox (/etc/kernel/cmdline, no GRUB): --apply-cmdline sets the words on its line, iommu=soft replaced" eval \
	'[ $rc -eq 0 ] && [ "$(wc -l <"$proot/etc/kernel/cmdline")" = 1 ] && grep -Eqx "root=ZFS=rpool/ROOT/pve-1 boot=zfs iommu=pt( (intel|amd)_iommu=on)? gpupt.ids=1234:1111" "$proot/etc/kernel/cmdline"'
check "... says where: kernel command line (in /etc/kernel/cmdline)" eval \
	'grep -q "^kernel command line (in /etc/kernel/cmdline): " <<<"$out" && [ ! -e "$proot/etc/default/grub" ]'
out=$("$G" setup --undo --root "$proot" 2>&1); rc=$?
why="exit $rc: $out
$(diff "$tmp/kcmdline.orig" "$proot/etc/kernel/cmdline")"
check "... and --undo restores /etc/kernel/cmdline byte for byte" eval \
	'[ $rc -eq 0 ] && cmp -s "$tmp/kcmdline.orig" "$proot/etc/kernel/cmdline"'
printf 'root=/dev/sda1\nquiet\n' >"$proot/etc/kernel/cmdline"
out=$("$G" setup --ids 1234:1111 --apply-cmdline --root "$proot" 2>&1); rc=$?
why="exit $rc: $out"
check "a two-line /etc/kernel/cmdline is refused (exit 1, says why), nothing written" eval \
	'[ $rc -eq 1 ] && grep -q "/etc/kernel/cmdline: it has more than one line; edit it by hand; add these words yourself: " <<<"$out" && [ ! -e "$proot/etc/modprobe.d/gpupt.conf" ]'
rm "$proot/etc/kernel/cmdline"
out=$("$G" setup --ids 1234:1111 --apply-cmdline --root "$proot" 2>&1); rc=$?
why="exit $rc: $out"
check "neither /etc/default/grub nor /etc/kernel/cmdline: exit 1 naming both, nothing written" eval \
	'[ $rc -eq 1 ] && grep -q "neither .*/etc/default/grub (GRUB) nor .*/etc/kernel/cmdline (systemd-boot, proxmox-boot-tool); add these words to the kernel command line yourself: " <<<"$out" && [ ! -e "$proot/etc/modprobe.d/gpupt.conf" ] && [ ! -e "$proot/var/lib/gpupt" ]'

echo "1..$n"
[ $failed -eq 0 ]
