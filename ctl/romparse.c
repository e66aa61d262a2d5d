// SPDX-License-Identifier: GPL-2.0
/*
 * PCI option ROM parser.  Pure: no I/O, no allocation; see romparse.h.
 *
 * Every read goes through in_bounds() first.  Offsets are size_t and are
 * only ever added to values that are at most 16 bits times 512, so they
 * cannot wrap; the checks are written as "n <= len - off" anyway so that
 * they stay correct if that changes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "romparse.h"

#define ROM_SIG			0xaa55	/* bytes 55 AA, little endian */
#define ROM_HDR_PCIR		0x18	/* u16: PCIR offset */
#define ROM_HDR_LEN		0x1a	/* header bytes we read */
#define ROM_HDR_INIT_SIZE	0x02	/* u8, legacy: init size / 512 */

#define EFI_HDR_SIG		0x04	/* u32: 0x0EF1 */
#define EFI_HDR_SUBSYSTEM	0x08
#define EFI_HDR_MACHINE		0x0a
#define EFI_HDR_COMPRESSION	0x0c
#define EFI_HDR_IMAGE_OFFSET	0x16
#define EFI_SIGNATURE		0x0ef1

#define PCIR_VENDOR		0x04
#define PCIR_DEVICE		0x06
#define PCIR_DEVLIST		0x08	/* PCI 3.0: device list pointer */
#define PCIR_REVISION		0x0c
#define PCIR_CLASS		0x0d	/* 3 bytes */
#define PCIR_IMAGE_LEN		0x10	/* u16, units of 512 bytes */
#define PCIR_CODE_REV		0x12
#define PCIR_CODE_TYPE		0x14
#define PCIR_INDICATOR		0x15
#define PCIR_MIN_LEN		0x18	/* PCI 2.2 structure length */
#define PCIR_LAST_IMAGE		0x80

#define ROM_BLOCK		512

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* [off, off + n) lies inside [0, len). */
static bool in_bounds(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

static void add(struct rom_report *r, enum rom_severity sev,
		enum rom_kind kind, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add(struct rom_report *r, enum rom_severity sev,
		enum rom_kind kind, size_t off, const char *fmt, ...)
{
	struct rom_finding *f;
	va_list ap;

	if (sev == ROM_ERROR)
		r->nerrors++;
	else if (sev == ROM_WARN)
		r->nwarnings++;
	if (r->nfindings == ROM_MAX_FINDINGS) {
		r->findings_dropped = true;
		return;
	}
	f = &r->finding[r->nfindings++];
	f->severity = sev;
	f->kind = kind;
	f->offset = off;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

/* A 0x55AA header at off whose PCIR pointer lands on "PCIR" in bounds. */
static bool image_at(const uint8_t *buf, size_t len, size_t off)
{
	size_t pcir;

	if (!in_bounds(len, off, ROM_HDR_LEN) || le16(buf + off) != ROM_SIG)
		return false;
	pcir = le16(buf + off + ROM_HDR_PCIR);
	return in_bounds(len, off + pcir, PCIR_MIN_LEN) &&
	       !memcmp(buf + off + pcir, "PCIR", 4);
}

static bool all_padding(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0xff && p[i] != 0x00)
			return false;
	return true;
}

static uint8_t byte_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/*
 * PCI 3.0 device list: u16 device IDs terminated by 0, at an offset from the
 * PCIR structure, inside the image.
 */
static void parse_devlist(const uint8_t *buf, struct rom_image *img,
			  uint16_t ptr, struct rom_report *r)
{
	size_t pos = (size_t)img->pcir + ptr;

	for (;;) {
		uint16_t id;

		if (!in_bounds(img->length, pos, 2)) {
			add(r, ROM_WARN, ROM_K_DEVLIST, img->offset,
			    "image at 0x%zx: PCI 3.0 device list at PCIR+0x%x runs past the end of the image",
			    img->offset, ptr);
			return;
		}
		id = le16(buf + img->offset + pos);
		if (!id)
			return;
		if (img->ndevlist < ROM_MAX_DEVLIST)
			img->devlist[img->ndevlist++] = id;
		pos += 2;
	}
}

/* Is the image just parsed a byte-for-byte repeat of an earlier one? */
static const struct rom_image *repeat_of(const uint8_t *buf,
					 const struct rom_report *r,
					 const struct rom_image *img)
{
	unsigned int i;

	/* img is r->img[r->nimages - 1]; compare with those before it. */
	for (i = 0; i + 1 < r->nimages; i++) {
		const struct rom_image *p = &r->img[i];

		if (p->length == img->length &&
		    !memcmp(buf + p->offset, buf + img->offset, img->length))
			return p;
	}
	return NULL;
}

static void parse_checksum(const uint8_t *buf, struct rom_image *img)
{
	const uint8_t *p = buf + img->offset;
	size_t init = (size_t)img->init_size * ROM_BLOCK;

	img->has_checksum = true;
	img->checksum = byte_sum(p, img->length);
	/*
	 * The legacy BIOS sums the initialisation size (header byte 2); for
	 * most ROMs it equals the image length.  Accept either.
	 */
	if (img->checksum && init && init < img->length && !byte_sum(p, init))
		img->checksum = 0;
}

static void parse_efi(const uint8_t *buf, struct rom_image *img,
		      struct rom_report *r)
{
	const uint8_t *h = buf + img->offset;
	struct rom_efi *e = &img->efi;

	e->signature = le32(h + EFI_HDR_SIG);
	e->sig_ok = e->signature == EFI_SIGNATURE;
	e->subsystem = le16(h + EFI_HDR_SUBSYSTEM);
	e->machine = le16(h + EFI_HDR_MACHINE);
	e->compression = le16(h + EFI_HDR_COMPRESSION);
	e->image_offset = le16(h + EFI_HDR_IMAGE_OFFSET);
	if (!e->sig_ok)
		add(r, ROM_ERROR, ROM_K_EFI_SIGNATURE, img->offset,
		    "image at 0x%zx: EFI image without the 0x0EF1 signature (found 0x%08x)",
		    img->offset, e->signature);
	else if (!in_bounds(img->length, e->image_offset, 2))
		add(r, ROM_ERROR, ROM_K_EFI_OFFSET, img->offset,
		    "image at 0x%zx: EFI image offset +0x%x is outside the image (length 0x%zx)",
		    img->offset, e->image_offset, img->length);
}

/*
 * Parse the image at off into r->img[r->nimages].  Returns true if the
 * chain may continue after it (the image is complete and not last).
 */
static bool parse_image(const uint8_t *buf, size_t len, size_t off,
			struct rom_report *r)
{
	struct rom_image *img = &r->img[r->nimages];
	const struct rom_image *prev;
	const uint8_t *pc;
	uint16_t devlist;
	size_t pcir;

	memset(img, 0, sizeof(*img));
	img->offset = off;
	if (!in_bounds(len, off, 2)) {
		add(r, ROM_ERROR, ROM_K_TRUNCATED, off,
		    "truncated: only %zu byte(s) at 0x%zx, where an image header should start",
		    len - off, off);
		return false;
	}
	if (le16(buf + off) != ROM_SIG) {
		add(r, ROM_ERROR, ROM_K_BAD_SIGNATURE, off,
		    "no 0x55AA signature at 0x%zx where image %u should start (found %02x %02x%s)",
		    off, r->nimages, buf[off], buf[off + 1],
		    all_padding(buf + off, len - off) ?
		    "; only padding follows: the image before lacks the last-image flag" : "");
		return false;
	}
	if (!in_bounds(len, off, ROM_HDR_LEN)) {
		add(r, ROM_ERROR, ROM_K_TRUNCATED, off,
		    "truncated: the header of the image at 0x%zx runs past the end of the file (0x%zx bytes)",
		    off, len);
		return false;
	}
	pcir = le16(buf + off + ROM_HDR_PCIR);
	img->pcir = (uint16_t)pcir;
	if (!in_bounds(len, off + pcir, PCIR_MIN_LEN)) {
		add(r, ROM_ERROR, ROM_K_PCIR_RANGE, off,
		    "image at 0x%zx: PCIR offset 0x%zx points past the end of the file (0x%zx bytes)",
		    off, pcir, len);
		return false;
	}
	pc = buf + off + pcir;
	if (!pcir) {
		add(r, ROM_ERROR, ROM_K_PCIR_SIGNATURE, off,
		    "image at 0x%zx: PCIR offset is 0, no PCI data structure (an ISA option ROM, not a PCI one)",
		    off);
		return false;
	}
	if (memcmp(pc, "PCIR", 4)) {
		add(r, ROM_ERROR, ROM_K_PCIR_SIGNATURE, off,
		    "image at 0x%zx: no PCIR signature at PCIR offset 0x%zx (found %02x %02x %02x %02x)",
		    off, pcir, pc[0], pc[1], pc[2], pc[3]);
		return false;
	}

	img->vendor = le16(pc + PCIR_VENDOR);
	img->device = le16(pc + PCIR_DEVICE);
	img->pcir_revision = pc[PCIR_REVISION];
	img->class_code = (uint32_t)pc[PCIR_CLASS] |
			  (uint32_t)pc[PCIR_CLASS + 1] << 8 |
			  (uint32_t)pc[PCIR_CLASS + 2] << 16;
	img->length = (size_t)le16(pc + PCIR_IMAGE_LEN) * ROM_BLOCK;
	img->code_revision = le16(pc + PCIR_CODE_REV);
	img->code_type = pc[PCIR_CODE_TYPE];
	img->last = pc[PCIR_INDICATOR] & PCIR_LAST_IMAGE;
	img->init_size = buf[off + ROM_HDR_INIT_SIZE];
	r->nimages++;

	if (!img->length) {
		add(r, ROM_ERROR, ROM_K_ZERO_LENGTH, off,
		    "image at 0x%zx: image length is 0, so the chain cannot advance",
		    off);
		return false;
	}
	if (pcir + PCIR_MIN_LEN > img->length) {
		add(r, ROM_ERROR, ROM_K_PCIR_RANGE, off,
		    "image at 0x%zx: PCIR offset 0x%zx lies outside the image (length 0x%zx)",
		    off, pcir, img->length);
		return false;
	}
	if (!in_bounds(len, off, img->length)) {
		add(r, ROM_ERROR, ROM_K_TRUNCATED, off,
		    "truncated: the image at 0x%zx has length 0x%zx and would end at 0x%zx, past the end of the file (0x%zx bytes)",
		    off, img->length, off + img->length, len);
		return false;
	}

	prev = repeat_of(buf, r, img);
	if (prev) {
		r->nimages--;
		add(r, ROM_ERROR, ROM_K_LOOP, off,
		    "the chain loops back: the image at 0x%zx repeats the image at 0x%zx byte for byte (the image before it lacks the last-image flag, or the ROM BAR mirrors a smaller flash part); the ROM ends at 0x%zx",
		    off, prev->offset, off);
		return false;
	}

	if (img->code_type == ROM_CODE_X86) {
		parse_checksum(buf, img);
		if (img->checksum)
			add(r, ROM_ERROR, ROM_K_CHECKSUM, off,
			    "image at 0x%zx (x86): bad checksum, the bytes sum to 0x%02x instead of 0 (modified or corrupted; the boot GPU's shadow copy looks like this)",
			    off, img->checksum);
	} else if (img->code_type == ROM_CODE_EFI) {
		parse_efi(buf, img, r);
	}

	devlist = le16(pc + PCIR_DEVLIST);
	if (img->pcir_revision >= 3 && devlist)
		parse_devlist(buf, img, devlist, r);

	return !img->last;
}

unsigned int rom_parse(const uint8_t *buf, size_t len, struct rom_report *r)
{
	size_t off = 0;
	bool efi = false;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->size = len;
	if (!len) {
		add(r, ROM_ERROR, ROM_K_EMPTY, 0, "the file is empty");
		return r->nerrors;
	}

	/*
	 * A file that starts with 0x55AA is walked from 0, so that a broken
	 * first image is reported as such.  Otherwise look for the first
	 * image: some dumps (NVIDIA's flash tools) put a header in front.
	 */
	if (!(len >= 2 && le16(buf) == ROM_SIG)) {
		for (off = 1; off < len && !image_at(buf, len, off); off++)
			;
		if (off >= len) {
			add(r, ROM_ERROR, ROM_K_NO_IMAGE, 0,
			    "no option ROM image (0x55AA followed by a PCIR structure) anywhere in the file");
			return r->nerrors;
		}
		r->lead = off;
		add(r, ROM_ERROR, ROM_K_LEADING_DATA, 0,
		    "0x%zx bytes before the first image at 0x%zx (a vendor flash header, as in some NVIDIA dumps); firmware expects the image at offset 0: use 'gptctl rom trim'",
		    off, off);
	}

	for (;;) {
		struct rom_image *img;

		if (r->nimages == ROM_MAX_IMAGES) {
			add(r, ROM_ERROR, ROM_K_TOO_MANY, off,
			    "more than %d images: giving up at 0x%zx",
			    ROM_MAX_IMAGES, off);
			break;
		}
		if (!parse_image(buf, len, off, r)) {
			if (r->nimages) {
				img = &r->img[r->nimages - 1];
				if (img->last && img->length &&
				    in_bounds(len, img->offset, img->length))
					r->end = img->offset + img->length;
			}
			break;
		}
		img = &r->img[r->nimages - 1];
		off += img->length;
		r->end = off;
		if (off == len) {
			add(r, ROM_ERROR, ROM_K_TRUNCATED, img->offset,
			    "truncated: the image at 0x%zx is not marked last, but the file ends where the next image should start (0x%zx)",
			    img->offset, off);
			break;
		}
	}

	for (i = 0; i < r->nimages; i++)
		if (r->img[i].code_type == ROM_CODE_EFI)
			efi = true;
	if (r->nimages && !efi)
		add(r, ROM_WARN, ROM_K_NO_EFI, r->img[0].offset,
		    "no EFI image: UEFI guests (OVMF) cannot run this ROM; legacy BIOS guests (SeaBIOS) can");

	if (!r->nerrors && r->end < len && !all_padding(buf + r->end, len - r->end))
		add(r, ROM_WARN, ROM_K_TRAILING_DATA, r->end,
		    "0x%zx bytes of data after the last image (at 0x%zx); 'gptctl rom trim' drops them",
		    len - r->end, r->end);
	return r->nerrors;
}

bool rom_image_matches(const struct rom_image *img, uint16_t vendor,
		       uint16_t device)
{
	unsigned int i;

	if (img->vendor != vendor)
		return false;
	if (img->device == device)
		return true;
	for (i = 0; i < img->ndevlist; i++)
		if (img->devlist[i] == device)
			return true;
	return false;
}

const char *rom_code_type_name(uint8_t type)
{
	switch (type) {
	case ROM_CODE_X86:	return "x86";
	case ROM_CODE_OF:	return "openfirmware";
	case ROM_CODE_HPPA:	return "pa-risc";
	case ROM_CODE_EFI:	return "efi";
	default:		return "unknown";
	}
}

const char *rom_code_type_desc(uint8_t type)
{
	switch (type) {
	case ROM_CODE_X86:	return "x86 PC-AT";
	case ROM_CODE_OF:	return "Open Firmware";
	case ROM_CODE_HPPA:	return "PA-RISC";
	case ROM_CODE_EFI:	return "EFI";
	default:		return "unknown";
	}
}

const char *rom_efi_subsystem_name(uint16_t subsystem)
{
	switch (subsystem) {
	case 10:	return "application";
	case 11:	return "boot_service_driver";
	case 12:	return "runtime_driver";
	default:	return "unknown";
	}
}

const char *rom_efi_machine_name(uint16_t machine)
{
	switch (machine) {
	case 0x014c:	return "ia32";
	case 0x0200:	return "ia64";
	case 0x0ebc:	return "ebc";
	case 0x8664:	return "x64";
	case 0x01c2:	return "arm";
	case 0xaa64:	return "aarch64";
	case 0x5032:	return "riscv32";
	case 0x5064:	return "riscv64";
	case 0x6264:	return "loongarch64";
	default:	return "unknown";
	}
}

const char *rom_severity_name(enum rom_severity s)
{
	switch (s) {
	case ROM_INFO:	return "info";
	case ROM_WARN:	return "warn";
	case ROM_ERROR:	return "error";
	}
	return "unknown";
}

const char *rom_kind_name(enum rom_kind k)
{
	switch (k) {
	case ROM_K_EMPTY:		return "empty";
	case ROM_K_NO_IMAGE:		return "no_image";
	case ROM_K_LEADING_DATA:	return "leading_data";
	case ROM_K_TRUNCATED:		return "truncated";
	case ROM_K_BAD_SIGNATURE:	return "bad_signature";
	case ROM_K_PCIR_RANGE:		return "pcir_range";
	case ROM_K_PCIR_SIGNATURE:	return "pcir_signature";
	case ROM_K_ZERO_LENGTH:		return "zero_length";
	case ROM_K_LOOP:		return "loop";
	case ROM_K_CHECKSUM:		return "checksum";
	case ROM_K_EFI_SIGNATURE:	return "efi_signature";
	case ROM_K_TOO_MANY:		return "too_many";
	case ROM_K_NO_EFI:		return "no_efi";
	case ROM_K_TRAILING_DATA:	return "trailing_data";
	case ROM_K_EFI_OFFSET:		return "efi_offset";
	case ROM_K_DEVLIST:		return "devlist";
	}
	return "unknown";
}
