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
# Then the real vendor ROMs of ../shared/real-roms/ (GPUPT_REAL_ROMS=DIR
# to point elsewhere; skipped when absent; never copied into the
# repository): `rom check`, `rom check -j` and `rom trim` on each, against
# the table tests/rom/real-roms.tsv, and the five findings NVIDIA and AMD
# flash dumps raise (NPDE chains, trailing data next to an error, a
# POSTed shadow copy, named prefixes with second copies, an empty EFI slot).
#
# Output: TAP-like "ok N - ..." / "not ok N - ...", then a summary line.
# Usage: tests/rom/run.sh [GPTCTL]   (default: ctl/gptctl of this tree)

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
GPTCTL=${1:-${GPTCTL:-$top/ctl/gptctl}}
E1000E=/usr/lib/ipxe/qemu/efi-e1000e.rom
STDVGA=/usr/share/seabios/vgabios-stdvga.bin

. "$top/tests/lib/tap.sh"

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
	'^error: 0x400 bytes before the first image at 0x400: an NVIDIA NVGI header' \
	rom check "$tmp/nvhdr.rom"
{ printf 'HDR!'; head -c $((0x400 - 4)) /dev/zero; cat "$E1000E"; } >"$tmp/anyhdr.rom"
expect "data before the first image, not recognised" 1 \
	'^error: 0x400 bytes before the first image at 0x400: not an option ROM image' \
	rom check "$tmp/anyhdr.rom"
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

# --- real vendor ROMs ------------------------------------------------------
#
# Each row of real-roms.tsv is checked three ways: the JSON report (jq), the
# text report (its own parser, severities only), and rom trim (exit status,
# size, and whether the trimmed file passes rom check).

# row_json FILE: images, chained, efi, copies, prefix, findings, e/w.
row_json() {
	"$GPTCTL" -j rom check "$1" 2>/dev/null | jq -r '
	def hex: if . < 16 then "0123456789abcdef"[.:.+1]
		 else ((. / 16 | floor) | hex) + ("0123456789abcdef"[(. % 16):(. % 16) + 1]) end;
	def h2: .code_type_id | hex | if length < 2 then "0" + . else . end;
	def list(f): if length == 0 then "-" else map(f) | join(",") end;
	[ (.images | list("0x\(.offset | hex):\(h2)")),
	  (.chained_images | list("0x\(.offset | hex):\(h2)\(if .empty then "(empty)" else "" end)")),
	  (if any(.images[]; .code_type == "efi") then "yes" else "no" end),
	  (.copies | list("0x\(.offset | hex)\(if .identical then "=" else "!=" end)")),
	  .prefix,
	  (.findings | list("\(.severity):\(.kind)")),
	  "\(.errors)/\(.warnings)"
	] | join("\t")'
}

# row_text FILE: the same from the text report, without the prefix column
# and with severities only (the text does not print kinds).
row_text() {
	"$GPTCTL" rom check "$1" 2>/dev/null | awk '
	/^image [0-9]+ at 0x/ { split($0, a, /[ ,]+/); cur = "img"; off = a[4]; next }
	/^chained image [0-9]+ at 0x/ { split($0, a, /[ ,]+/); cur = "ch"; off = a[5]; next }
	/^\tcode type / {
		t = $3
		if (cur == "img") t = sprintf("%02x", t + 0); else sub(/^0x/, "", t)
		e = ($0 ~ /empty placeholder: yes/) ? "(empty)" : ""
		if (cur == "img") { img = img (img ? "," : "") off ":" t; if (t == "03") efi = 1 }
		else ch = ch (ch ? "," : "") off ":" t e
		next
	}
	/^copy of the images at 0x/ {
		split($0, a, /[ ,]+/)
		cp = cp (cp ? "," : "") a[6] ($0 ~ /identical to the first: yes/ ? "=" : "!=")
		next
	}
	/^(error|warn|info): / { f = f (f ? "," : "") substr($0, 1, index($0, ":") - 1); next }
	/^result: / { split($0, a, /[ ,()]+/); res = a[2] "/" a[5] }
	END {
		printf "%s\t%s\t%s\t%s\t%s\t%s\n", img ? img : "-", ch ? ch : "-",
		       efi ? "yes" : "no", cp ? cp : "-", f ? f : "-", res
	}'
}

REAL=${GPUPT_REAL_ROMS:-$top/../shared/real-roms}
TABLE=$here/real-roms.tsv
real_ok=0
if [ ! -d "$REAL" ]; then
	skip "real vendor ROMs" "$REAL is absent"
elif ! command -v jq >/dev/null; then
	skip "real vendor ROMs" "jq is not installed"
else
	real_ok=1
fi

if [ $real_ok = 1 ]; then
	rows=0
	while IFS=$'\t' read -r file want_rc images chained efi copies prefix \
			findings ew want_trim want_size want_trimmed; do
		case $file in '#'* | '') continue ;; esac
		rows=$((rows + 1))
		f=$REAL/$file
		if [ ! -r "$f" ]; then
			not_ok "$file: in the table but not in $REAL"
			continue
		fi
		sum=$(awk -F'\t' -v f="$file" '$1 == f { print $6 }' "$REAL/SOURCES.tsv" 2>/dev/null)
		if [ -n "$sum" ] && [ "$(sha256sum <"$f" | cut -d' ' -f1)" != "$sum" ]; then
			not_ok "$file: sha256 differs from SOURCES.tsv (not the file the table describes)"
			continue
		fi

		want=$(printf '%s\t' "$images" "$chained" "$efi" "$copies" "$prefix" "$findings" "$ew")
		want=${want%$'\t'}
		got=$(row_json "$f")
		run -j rom check "$f"
		if [ "$rc" = "$want_rc" ] && [ "$got" = "$want" ]; then
			ok "$file: rom check -j: exit $rc, $images | $chained | efi $efi | copies $copies | $prefix | $findings"
		else
			not_ok "$file: rom check -j" "exit $rc, expected $want_rc" \
				"expected: $want" "got:      $got"
		fi

		want=$(printf '%s\t' "$images" "$chained" "$efi" "$copies" \
			"$(sed 's/:[a-z_]*//g' <<<"$findings")" "$ew")
		want=${want%$'\t'}
		got=$(row_text "$f")
		run rom check "$f"
		if [ "$rc" = "$want_rc" ] && [ "$got" = "$want" ]; then
			ok "$file: rom check (text) agrees"
		else
			not_ok "$file: rom check (text)" "exit $rc, expected $want_rc" \
				"expected: $want" "got:      $got"
		fi

		rm -f "$tmp/real-trim.rom"
		run rom trim "$f" "$tmp/real-trim.rom"
		size=-
		trimmed=-
		if [ -e "$tmp/real-trim.rom" ]; then
			size=$(stat -c %s "$tmp/real-trim.rom")
			"$GPTCTL" rom check "$tmp/real-trim.rom" >/dev/null 2>&1
			trimmed=$?
		fi
		if [ "$rc/$size/$trimmed" = "$want_trim/$want_size/$want_trimmed" ]; then
			ok "$file: rom trim: exit $rc, $size bytes, trimmed file's check exit $trimmed"
		else
			not_ok "$file: rom trim" \
				"exit/size/check of the trimmed file: $rc/$size/$trimmed, expected $want_trim/$want_size/$want_trimmed" "$out"
		fi
	done <"$TABLE"

	# Every ROM there is in the table.
	missing=""
	for f in "$REAL"/*.rom; do
		grep -q "^$(basename "$f")	" "$TABLE" || missing="$missing $(basename "$f")"
	done
	if [ -z "$missing" ] && [ "$rows" -gt 0 ]; then
		ok "every ROM of $REAL is in real-roms.tsv ($rows rows)"
	else
		not_ok "every ROM of $REAL is in real-roms.tsv" "not in the table:${missing:- (table empty)}"
	fi

	# The table's chain columns against a walk written apart from gptctl.
	if command -v python3 >/dev/null; then
		got=$(python3 "$here/walk.py" "$REAL"/*.rom)
		want=$(awk -F'\t' '!/^#/ { gsub(/\(empty\)/, "", $4); print $1 "\t" $3 "\t" $4 "\t" $6 }' "$TABLE")
		if [ "$got" = "$want" ]; then
			ok "an independent walk (tests/rom/walk.py) agrees with the table's images, chained images and copies"
		else
			not_ok "an independent walk (tests/rom/walk.py) agrees with the table" \
				"$(diff <(echo "$want") <(echo "$got"))"
		fi
	fi

	# The five findings, each on the file that shows it.

	# An NPDE whose image length points past the end of the file (found by
	# fuzz-rom): reported, every finding's offset inside the file.
	python3 -c "import sys; d = bytearray(open(sys.argv[1], 'rb').read())
o = 0xee00 + 0x40 + 8; d[o:o + 2] = b'\\xff\\xff'; open(sys.argv[2], 'wb').write(d)" \
		"$REAL/nv_tu104_rtx2070s.rom" "$tmp/npde-past-eof.rom"
	run -j rom check "$tmp/npde-past-eof.rom"
	if [ "$rc" = 0 ] &&
	   jq -e --argjson size "$(stat -c %s "$tmp/npde-past-eof.rom")" \
		'([.findings[] | select(.kind == "npde_end")] | length == 1) and
		 all(.findings[]; .offset <= $size)' >/dev/null <<<"$out"; then
		ok "NPDE past the end of the file: one npde_end finding, every offset inside the file"
	else
		not_ok "NPDE past the end of the file" "exit $rc" "$out"
	fi

	# 1. NVIDIA's NPDE-chained images are named, not called junk.
	f=$REAL/nv_tu104_rtx2070s.rom
	run rom check "$f"
	if [ "$rc" = 0 ] &&
	   grep -q "^info: NVIDIA chains 3 more image(s) after the last one through its PCI Data Extension (NPDE), from 0x1fe00 to 0x4f600: FwSec (0xE0) at 0x1fe00, FwSec (0xE0) at 0x2b200, type 0x70 at 0x4da00;" <<<"$out" &&
	   grep -q "^info: the file holds another copy of the images at 0x4fa00 to 0x9f000, identical to the first: 'gptctl rom trim' keeps the first, at 0x0" <<<"$out" &&
	   ! grep -q "0x8f000 bytes\|after the last image (at 0x1fe00)" <<<"$out"; then
		ok "NPDE chain: nv_tu104_rtx2070s.rom names 2 FwSec images, the type 0x70 image and the second VBIOS copy; no 'data after the last image' at 0x1fe00"
	else
		not_ok "NPDE chain: nv_tu104_rtx2070s.rom" "exit $rc" "$out"
	fi
	run rom trim "$f" "$tmp/tu104.rom"
	if [ "$rc" = 0 ] && [ "$(stat -c %s "$tmp/tu104.rom")" = $((0x1fe00)) ] &&
	   grep -q "dropped 0x1fe00-0x4f600: 3 image(s) NVIDIA chains through NPDE (fwsec, fwsec, nvidia_70)" <<<"$out" &&
	   grep -q "dropped 0x4fa00-0x9f000: another copy of the images" <<<"$out"; then
		ok "NPDE chain: rom trim ends at the PCIR last-image flag (0x1fe00) and says what it drops"
	else
		not_ok "NPDE chain: rom trim ends at the PCIR last-image flag" "exit $rc" "$out"
	fi

	# 2. Trailing data is reported next to an error, and trim names what it drops.
	f=$REAL/nv_tu106_rtx2060_tpu_nvgi.rom
	run rom check "$f"
	if [ "$rc" = 1 ] && grep -q '^error: 0x28600 bytes before the first image' <<<"$out" &&
	   grep -q '^info: NVIDIA chains 3 more image(s)' <<<"$out" &&
	   grep -q '^info: the file holds another copy of the images at 0xa1600 to 0xf1200' <<<"$out" &&
	   grep -q '^warn: 0x37c00 bytes of data after the last image (at 0x78200) that are not an image' <<<"$out"; then
		ok "trailing data with an error: nv_tu106_rtx2060_tpu_nvgi.rom reports the prefix and everything after the images"
	else
		not_ok "trailing data with an error: nv_tu106_rtx2060_tpu_nvgi.rom" "exit $rc" "$out"
	fi
	run rom trim "$f" "$tmp/tpu.rom"
	if [ "$rc" = 0 ] && grep -q 'dropped 0xa1600-0xf1200: another copy of the images (identical to the one kept: yes)' <<<"$out" &&
	   cmp -s "$tmp/tpu.rom" <(tail -c +$((0x28600 + 1)) "$f" | head -c $((0x48000 - 0x28600))); then
		ok "trailing data with an error: rom trim keeps the first copy (0x28600-0x48000) and says it drops the second"
	else
		not_ok "trailing data with an error: rom trim keeps the first copy" "exit $rc" "$out"
	fi

	# 3. A POSTed VBIOS's shadow copy is called that, not "truncated".
	f=$REAL/nv_tu106_rtx2060_shadow_dump.rom
	run -j rom check "$f"
	if [ "$rc" = 1 ] &&
	   [ "$(jq -r '[.findings[] | select(.severity == "error") | .kind] | join(",")' <<<"$out")" = shadow ] &&
	   [ "$(jq -r .shadow <<<"$out")" = true ] &&
	   jq -r '.findings[0].message' <<<"$out" | grep -q '^shadow copy of a POSTed VBIOS: dump it from a GPU that has not been initialised, or with --source prom' &&
	   jq -r '.findings[0].message' <<<"$out" | grep -q '0xdc00 bytes by its PCIR, with a valid checksum, but 0xec00 by NVIDIA.s extension (NPDE)' &&
	   ! grep -q truncated <<<"$out"; then
		ok "shadow copy: nv_tu106_rtx2060_shadow_dump.rom is a shadow of a POSTed VBIOS (PCIR 0xdc00 < NPDE 0xec00), not truncated"
	else
		not_ok "shadow copy: nv_tu106_rtx2060_shadow_dump.rom" "exit $rc" "$out"
	fi

	# 4. The prefix is named, with the copy trim keeps.
	run rom check "$REAL/amd_navi31_rx7900xtx_2mb.rom"
	if [ "$rc" = 1 ] &&
	   grep -q "^error: 0x40000 bytes before the first image at 0x40000: an AMD GPU flash layout (AA55AA55 signature) with a \$PSP firmware directory; firmware expects the image at offset 0: use 'gptctl rom trim'; the file holds an identical copy of the images at 0x120000: 'gptctl rom trim' keeps the first, at 0x40000" <<<"$out"; then
		ok "prefix: the 7900 XTX's 256 KiB prefix is an AMD flash layout; the copy at 0x120000 is named and trim keeps 0x40000"
	else
		not_ok "prefix: the 7900 XTX's prefix" "exit $rc" "$out"
	fi
	run rom check "$REAL/nv_gp106_nvflash.rom"
	if [ "$rc" = 1 ] && grep -q '^error: 0xa00 bytes before the first image at 0xa00: an NVIDIA NVGI header' <<<"$out" &&
	   ! grep -q 'copy of the images' <<<"$out"; then
		ok "prefix: nv_gp106_nvflash.rom's prefix is an NVGI header, and no second copy is claimed"
	else
		not_ok "prefix: nv_gp106_nvflash.rom's NVGI header" "exit $rc" "$out"
	fi

	# 5. An empty EFI slot.
	run rom check "$REAL/nv_gk104_gtx680_efi_nvgi.rom"
	if grep -q '^warn: no EFI image: .*; the slot at 0x10000 is an empty placeholder (signature 77BB, the rest 0xFF)$' <<<"$out" &&
	   grep -q 'an empty EFI slot at 0x10000' <<<"$out"; then
		ok "empty EFI slot: nv_gk104_gtx680_efi_nvgi.rom has no EFI image and its slot at 0x10000 is an empty placeholder"
	else
		not_ok "empty EFI slot: nv_gk104_gtx680_efi_nvgi.rom" "exit $rc" "$out"
	fi

	# Under valgrind too, on the files with the most structure.
	if command -v valgrind >/dev/null; then
		bad=""
		for b in nv_tu104_rtx2070s nv_tu106_rtx2060_tpu_nvgi nv_tu106_rtx2060_shadow_dump \
			 amd_navi31_rx7900xtx_2mb nv_gk104_gtx680_efi_nvgi; do
			valgrind -q --error-exitcode=99 --leak-check=full \
				--errors-for-leak-kinds=definite \
				"$GPTCTL" -j rom check "$REAL/$b.rom" >/dev/null 2>"$tmp/vg.log"
			[ $? -eq 99 ] && bad="$bad $b"
		done
		if [ -z "$bad" ]; then
			ok "valgrind: 0 errors, 0 bytes definitely lost on 5 real ROMs"
		else
			not_ok "valgrind on real ROMs" "$bad" "$(cat "$tmp/vg.log")"
		fi
	fi
fi

tap_end rom
