#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# gptctl rom check / rom trim on option ROMs shipped by Debian, and on
# corrupted copies of them.  No VM, no root: pure file checks.
#
#   /usr/lib/ipxe/qemu/efi-e1000e.rom     (ipxe-qemu)
#       0x00000  x86 image, 8086:10d3, length 0x12600, not last
#       0x12600  EFI image, 8086:10d3, boot service driver, x64, last
#   /usr/share/seabios/vgabios-stdvga.bin  (seabios)
#       0x00000  x86 image, 1234:1111, class 030000, length 0x9c00, last
#                PCIR at +0x99dc, no EFI image
#
# Every corrupted copy must fail (exit 1) with its own message, and no
# copy may crash gptctl (exit status > 2 or a signal is a failure).
#
# Output: TAP-like "ok N - ..." / "not ok N - ...", then a summary line.
# Usage: tests/rom/run.sh [GPTCTL]   (default: ctl/gptctl of this tree)

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
GPTCTL=${1:-${GPTCTL:-$top/ctl/gptctl}}
E1000E=/usr/lib/ipxe/qemu/efi-e1000e.rom
STDVGA=/usr/share/seabios/vgabios-stdvga.bin

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	# What we saw, indented, so a failure explains itself.
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
}

# run ARGS...: sets $out (stdout+stderr) and $rc.
run() {
	out=$("$GPTCTL" "$@" 2>&1)
	rc=$?
}

# expect NAME RC REGEX ARGS...: gptctl ARGS exits RC and prints REGEX.
expect() {
	local name=$1 want_rc=$2 re=$3
	shift 3
	run "$@"
	if [ "$rc" -ne "$want_rc" ]; then
		not_ok "$name" "exit $rc, expected $want_rc: gptctl $*" "$out"
	elif ! grep -Eq -- "$re" <<<"$out"; then
		not_ok "$name" "output lacks /$re/: gptctl $*" "$out"
	else
		ok "$name"
	fi
}

# poke FILE OFFSET HEXBYTES: overwrite bytes in place ("ff ff").
poke() {
	local f=$1 off=$2 hex
	shift 2
	hex=$(printf '\\x%s' "$@")
	# shellcheck disable=SC2059
	printf "$hex" | dd of="$f" bs=1 seek=$((off)) conv=notrunc status=none
}

# peek FILE OFFSET: one byte as a decimal number.
peek() {
	od -An -tu1 -j $(($2)) -N1 "$1" | tr -d ' '
}

if [ ! -x "$GPTCTL" ]; then
	echo "not ok 1 - no gptctl at $GPTCTL (build ctl first)"
	exit 1
fi
for f in "$E1000E" "$STDVGA"; do
	if [ ! -r "$f" ]; then
		echo "not ok 1 - $f missing (apt-get install ipxe-qemu seabios)"
		exit 1
	fi
done

# --- the real ROMs -------------------------------------------------------

run rom check "$E1000E"
if [ "$rc" -eq 0 ] &&
   grep -q '^image 0 at 0x0, length 0x12600$' <<<"$out" &&
   grep -q '^image 1 at 0x12600, length 0x2aa00$' <<<"$out" &&
   [ "$(grep -c 'vendor 8086 device 10d3 class 020000' <<<"$out")" -eq 2 ] &&
   grep -q 'code type 0 (x86 PC-AT), checksum ok: yes' <<<"$out" &&
   grep -q 'code type 3 (EFI)' <<<"$out" &&
   grep -q 'EFI: signature 0x0ef1 ok: yes, subsystem boot_service_driver (11), machine x64 (0x8664)' <<<"$out" &&
   [ "$(grep -c 'last image: yes' <<<"$out")" -eq 1 ] &&
   ! grep -q 'no EFI image' <<<"$out"; then
	ok "efi-e1000e.rom: x86 at 0, EFI at 0x12600, 8086:10d3, exit 0"
else
	not_ok "efi-e1000e.rom: x86 at 0, EFI at 0x12600, 8086:10d3, exit 0" "exit $rc" "$out"
fi

run -j rom check "$E1000E"
if [ "$rc" -eq 0 ] &&
   grep -q '"images":\[{"index":0,"offset":0,' <<<"$out" &&
   grep -q '{"index":1,"offset":75264,' <<<"$out" &&
   grep -q '"code_type":"efi"' <<<"$out" &&
   grep -q '"machine":"x64"' <<<"$out" &&
   grep -q '"findings":\[\],"errors":0' <<<"$out"; then
	ok "efi-e1000e.rom: JSON has both images and an empty findings array"
else
	not_ok "efi-e1000e.rom: JSON has both images and an empty findings array" "exit $rc" "$out"
fi

run rom check "$STDVGA"
if [ "$rc" -eq 0 ] &&
   [ "$(grep -c '^image ' <<<"$out")" -eq 1 ] &&
   grep -q '^image 0 at 0x0, length 0x9c00$' <<<"$out" &&
   grep -q 'PCIR at +0x99dc' <<<"$out" &&
   grep -q 'vendor 1234 device 1111 class 030000' <<<"$out" &&
   grep -q 'code type 0 (x86 PC-AT), checksum ok: yes' <<<"$out" &&
   grep -q 'last image: yes' <<<"$out" &&
   grep -q '^warn: no EFI image' <<<"$out"; then
	ok "vgabios-stdvga.bin: one x86 image, 1234:1111, warns no EFI, exit 0"
else
	not_ok "vgabios-stdvga.bin: one x86 image, 1234:1111, warns no EFI, exit 0" "exit $rc" "$out"
fi

# --- corrupted copies: each fails with its own message -------------------

# Truncated inside the EFI image.
head -c $((0x13000)) "$E1000E" >"$tmp/trunc.rom"
expect "truncated inside the second image" 1 \
	'^error: truncated: the image at 0x12600 has length 0x2aa00 and would end at 0x3d000, past the end of the file \(0x13000 bytes\)' \
	rom check "$tmp/trunc.rom"

# Truncated exactly where the second image should start.
head -c $((0x12600)) "$E1000E" >"$tmp/trunc2.rom"
expect "truncated at an image boundary" 1 \
	'^error: truncated: the image at 0x0 is not marked last, but the file ends where the next image should start \(0x12600\)' \
	rom check "$tmp/trunc2.rom"

# Truncated inside the header.
head -c 16 "$STDVGA" >"$tmp/trunc3.rom"
expect "truncated inside the header" 1 \
	'^error: truncated: the header of the image at 0x0 runs past the end of the file \(0x10 bytes\)' \
	rom check "$tmp/trunc3.rom"

# PCIR offset past the end of the file.
cp "$STDVGA" "$tmp/pcir.rom"
poke "$tmp/pcir.rom" 0x18 ff ff
expect "PCIR offset past the end" 1 \
	'^error: image at 0x0: PCIR offset 0xffff points past the end of the file \(0x9c00 bytes\)' \
	rom check "$tmp/pcir.rom"

# PCIR offset in bounds but not at a PCIR structure.
cp "$STDVGA" "$tmp/pcirsig.rom"
poke "$tmp/pcirsig.rom" 0x18 00 01
expect "PCIR offset at no PCIR signature" 1 \
	'^error: image at 0x0: no PCIR signature at PCIR offset 0x100' \
	rom check "$tmp/pcirsig.rom"

# Image length 0 (PCIR + 0x10).
cp "$STDVGA" "$tmp/zero.rom"
poke "$tmp/zero.rom" $((0x99dc + 0x10)) 00 00
expect "image length 0" 1 \
	'^error: image at 0x0: image length is 0, so the chain cannot advance' \
	rom check "$tmp/zero.rom"

# Image length that loops back: the last-image flag of the first image is
# cleared (checksum kept valid) and its length leads to a copy of itself,
# as a ROM BAR twice the size of its flash part reads.
cp "$STDVGA" "$tmp/one.rom"
poke "$tmp/one.rom" $((0x99dc + 0x15)) 00
last=$(( $(stat -c %s "$tmp/one.rom") - 1 ))
poke "$tmp/one.rom" $last "$(printf %02x $(( ($(peek "$tmp/one.rom" $last) + 0x80) & 0xff )))"
cat "$tmp/one.rom" "$tmp/one.rom" >"$tmp/loop.rom"
expect "image length loops back" 1 \
	'^error: the chain loops back: the image at 0x9c00 repeats the image at 0x0 byte for byte' \
	rom check "$tmp/loop.rom"
run rom check "$tmp/loop.rom"
if grep -q 'bad checksum' <<<"$out"; then
	not_ok "loop copy keeps a valid checksum (the test corrupts only the chain)" "$out"
else
	ok "loop copy keeps a valid checksum (the test corrupts only the chain)"
fi

# Bad checksum: one code byte changed.
cp "$STDVGA" "$tmp/cksum.rom"
poke "$tmp/cksum.rom" 0x100 "$(printf %02x $(( $(peek "$tmp/cksum.rom" 0x100) ^ 0x01 )))"
expect "bad checksum" 1 \
	'^error: image at 0x0 \(x86\): bad checksum, the bytes sum to 0x(01|ff) instead of 0' \
	rom check "$tmp/cksum.rom"

# Bad EFI signature in the second image.
cp "$E1000E" "$tmp/efisig.rom"
poke "$tmp/efisig.rom" $((0x12600 + 4)) 00 00
expect "EFI image without 0x0EF1" 1 \
	'^error: image at 0x12600: EFI image without the 0x0EF1 signature' \
	rom check "$tmp/efisig.rom"

# Not an option ROM at all.
head -c 4096 /dev/zero >"$tmp/zero4k.rom"
expect "no image anywhere" 1 '^error: no option ROM image' rom check "$tmp/zero4k.rom"
: >"$tmp/empty.rom"
expect "empty file" 1 '^error: the file is empty' rom check "$tmp/empty.rom"
expect "missing file" 1 'No such file or directory' rom check "$tmp/nonexistent.rom"

# --- data before the first image, and rom trim ---------------------------

# A vendor flash header in front, as NVIDIA's tools write.
{ printf 'NVGI'; head -c $((0x400 - 4)) /dev/zero; cat "$E1000E"; } >"$tmp/nvhdr.rom"
expect "data before the first image" 1 \
	'^error: 0x400 bytes before the first image at 0x400 \(a vendor flash header' \
	rom check "$tmp/nvhdr.rom"
expect "rom trim drops the header" 0 \
	'wrote 249856 bytes \(2 image\(s\)\), dropped 1024 leading and 0 trailing bytes' \
	rom trim "$tmp/nvhdr.rom" "$tmp/trimmed.rom"
if cmp -s "$tmp/trimmed.rom" "$E1000E"; then
	ok "trimmed ROM equals the original byte for byte"
else
	not_ok "trimmed ROM equals the original byte for byte" "$(cmp "$tmp/trimmed.rom" "$E1000E" 2>&1)"
fi
expect "trimmed ROM passes rom check" 0 'result: 0 error' rom check "$tmp/trimmed.rom"

# Trailing junk after the last image is a warning; trim drops it.
{ cat "$STDVGA"; printf 'junk'; } >"$tmp/tail.rom"
expect "data after the last image warns" 0 \
	'^warn: 0x4 bytes of data after the last image \(at 0x9c00\)' \
	rom check "$tmp/tail.rom"
run rom trim "$tmp/tail.rom" "$tmp/tail-trimmed.rom"
if [ "$rc" -eq 0 ] && cmp -s "$tmp/tail-trimmed.rom" "$STDVGA"; then
	ok "rom trim drops trailing data"
else
	not_ok "rom trim drops trailing data" "exit $rc" "$out"
fi

# trim refuses to "repair" a broken chain.
expect "rom trim refuses a broken chain" 1 'cannot repair' \
	rom trim "$tmp/trunc.rom" "$tmp/never.rom"
if [ -e "$tmp/never.rom" ]; then
	not_ok "rom trim wrote nothing for a broken chain"
else
	ok "rom trim wrote nothing for a broken chain"
fi

# --- no crash on any corrupted copy, under valgrind when present ----------
if command -v valgrind >/dev/null; then
	bad=""
	for f in "$tmp"/*.rom; do
		valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite \
			"$GPTCTL" rom check "$f" >/dev/null 2>"$tmp/vg.log"
		[ $? -eq 99 ] && bad="$bad $(basename "$f")"
	done
	if [ -z "$bad" ]; then
		ok "valgrind: 0 errors, 0 bytes definitely lost on every file"
	else
		not_ok "valgrind: 0 errors, 0 bytes definitely lost on every file" "$bad" "$(cat "$tmp/vg.log")"
	fi
fi

echo "# rom: $((n - failed))/$n passed"
[ "$failed" -eq 0 ]
