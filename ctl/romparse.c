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

#define NV_SIG_EFI_SLOT		0xbb77	/* bytes 77 BB: NVIDIA's EFI slot */
#define NV_SIG_VN		0x4e56	/* bytes "VN": NVIDIA's chained images */

#define PCIR_VENDOR		0x04
#define PCIR_DEVICE		0x06
#define PCIR_DEVLIST		0x08	/* PCI 3.0: device list pointer */
#define PCIR_LENGTH		0x0a	/* u16: structure length */
#define PCIR_REVISION		0x0c
#define PCIR_CLASS		0x0d	/* 3 bytes */
#define PCIR_IMAGE_LEN		0x10	/* u16, units of 512 bytes */
#define PCIR_CODE_REV		0x12
#define PCIR_CODE_TYPE		0x14
#define PCIR_INDICATOR		0x15
#define PCIR_MIN_LEN		0x18	/* PCI 2.2 structure length */
#define PCIR_LAST_IMAGE		0x80

#define NPDE_IMAGE_LEN		0x08	/* u16, units of 512 bytes */
#define NPDE_INDICATOR		0x0a	/* bit 7: last image */
#define NPDE_MIN_LEN		0x0b
#define NPDE_MAX_LEN		0x10	/* header bytes an empty slot may use */

#define ROM_BLOCK		512
#define CHAIN_WALK_MAX		64	/* images in an unrecorded walk */

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

static bool all_ff(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0xff)
			return false;
	return true;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/* The PCIR fields of @img from the structure at @pc (PCIR_MIN_LEN bytes). */
static void fill_pcir(struct rom_image *img, const uint8_t *pc)
{
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
	memcpy(img->structure, pc, 4);
	img->structure[4] = 0;
}

/*
 * NVIDIA's PCI Data Extension: "NPDE" at (PCIR + PCIR length + 0xf) & ~0xf
 * from the image start (nouveau, nvkm/subdev/bios/npde.c).
 */
static void parse_npde(const uint8_t *buf, size_t len, struct rom_image *img)
{
	const uint8_t *pc = buf + img->offset + img->pcir;
	size_t n = align_up((size_t)img->pcir + le16(pc + PCIR_LENGTH), 16);
	const uint8_t *np;

	if (!in_bounds(len, img->offset + n, NPDE_MIN_LEN))
		return;
	np = buf + img->offset + n;
	if (memcmp(np, "NPDE", 4))
		return;
	img->has_npde = true;
	img->npde_offset = n;
	img->npde_length = (size_t)le16(np + NPDE_IMAGE_LEN) * ROM_BLOCK;
	img->npde_last = np[NPDE_INDICATOR] & PCIR_LAST_IMAGE;
}

/*
 * A legacy image whose PCIR length is smaller than its NPDE length, with a
 * valid checksum over the PCIR length: the VBIOS rewrote its own header at
 * POST and the firmware kept only that part (the boot GPU's shadow copy).
 */
static bool is_shadow(const struct rom_image *img)
{
	return img->code_type == ROM_CODE_X86 && img->has_checksum &&
	       !img->checksum && img->has_npde &&
	       img->npde_length > img->length;
}

/*
 * An image of NVIDIA's chain at @off: 0x55AA, 0x77BB or "VN", then a
 * "PCIR", "RGIS" or "NPDS" structure (nouveau, nvkm/subdev/bios/image.c and
 * pcir.c).  Its length and last flag are NVIDIA's: the NPDE's when there is
 * one, except for type 0x70, which is always last.
 */
static bool chained_at(const uint8_t *buf, size_t len, size_t off,
		       struct rom_image *img)
{
	const uint8_t *pc;
	size_t pcir, hdr;
	uint16_t sig;

	memset(img, 0, sizeof(*img));
	if (!in_bounds(len, off, ROM_HDR_LEN))
		return false;
	sig = le16(buf + off);
	if (sig != ROM_SIG && sig != NV_SIG_EFI_SLOT && sig != NV_SIG_VN)
		return false;
	pcir = le16(buf + off + ROM_HDR_PCIR);
	if (!pcir || !in_bounds(len, off + pcir, PCIR_MIN_LEN))
		return false;
	pc = buf + off + pcir;
	if (memcmp(pc, "PCIR", 4) && memcmp(pc, "RGIS", 4) &&
	    memcmp(pc, "NPDS", 4))
		return false;
	img->offset = off;
	img->pcir = (uint16_t)pcir;
	img->signature = sig;
	fill_pcir(img, pc);
	parse_npde(buf, len, img);
	if (img->code_type == ROM_CODE_NV_70) {
		img->last = true;
	} else if (img->has_npde) {
		img->length = img->npde_length;
		img->last = img->npde_last;
	}
	hdr = img->has_npde ? img->npde_offset + NPDE_MAX_LEN :
			      pcir + PCIR_MIN_LEN;
	img->empty = img->length > hdr && in_bounds(len, off, img->length) &&
		     all_ff(buf + off + hdr, img->length - hdr);
	return true;
}

enum chain_stop {
	CHAIN_LAST,		/* an image flagged last */
	CHAIN_EOF,		/* the file ends where the next image starts */
	CHAIN_PAST_EOF,		/* the next image runs past the end */
	CHAIN_NO_IMAGE,		/* no image where the next one should be */
	CHAIN_ZERO,		/* an image of length 0 */
	CHAIN_TOO_MANY,
};

/*
 * Follow NVIDIA's chain from @off.  Complete images go into out[0..max)
 * (not kept when out is NULL); *n is their number.  Returns the end of the
 * last complete image (@off when there is none).
 */
static size_t npde_walk(const uint8_t *buf, size_t len, size_t off,
			struct rom_image *out, unsigned int max,
			unsigned int *n, enum chain_stop *stop)
{
	struct rom_image tmp;

	*n = 0;
	for (;;) {
		struct rom_image *img = out ? &out[*n] : &tmp;

		if (*n == max) {
			*stop = CHAIN_TOO_MANY;
			break;
		}
		if (off == len) {
			*stop = CHAIN_EOF;
			break;
		}
		if (!chained_at(buf, len, off, img)) {
			*stop = CHAIN_NO_IMAGE;
			break;
		}
		if (!img->length) {
			*stop = CHAIN_ZERO;
			break;
		}
		if (!in_bounds(len, off, img->length)) {
			*stop = CHAIN_PAST_EOF;
			break;
		}
		(*n)++;
		off += img->length;
		if (img->last) {
			*stop = CHAIN_LAST;
			break;
		}
	}
	return off;
}

/*
 * Parse the image at off into r->img[r->nimages].  Returns IMG_NEXT if the
 * chain continues after it, IMG_LAST for a complete last image, IMG_BAD
 * when the chain cannot go on.
 */
enum { IMG_BAD = -1, IMG_LAST = 0, IMG_NEXT = 1 };

static int parse_image(const uint8_t *buf, size_t len, size_t off,
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
		return IMG_BAD;
	}
	if (le16(buf + off) != ROM_SIG) {
		add(r, ROM_ERROR, ROM_K_BAD_SIGNATURE, off,
		    "no 0x55AA signature at 0x%zx where image %u should start (found %02x %02x%s)",
		    off, r->nimages, buf[off], buf[off + 1],
		    all_padding(buf + off, len - off) ?
		    "; only padding follows: the image before lacks the last-image flag" : "");
		return IMG_BAD;
	}
	if (!in_bounds(len, off, ROM_HDR_LEN)) {
		add(r, ROM_ERROR, ROM_K_TRUNCATED, off,
		    "truncated: the header of the image at 0x%zx runs past the end of the file (0x%zx bytes)",
		    off, len);
		return IMG_BAD;
	}
	pcir = le16(buf + off + ROM_HDR_PCIR);
	img->pcir = (uint16_t)pcir;
	if (!in_bounds(len, off + pcir, PCIR_MIN_LEN)) {
		add(r, ROM_ERROR, ROM_K_PCIR_RANGE, off,
		    "image at 0x%zx: PCIR offset 0x%zx points past the end of the file (0x%zx bytes)",
		    off, pcir, len);
		return IMG_BAD;
	}
	pc = buf + off + pcir;
	if (!pcir) {
		add(r, ROM_ERROR, ROM_K_PCIR_SIGNATURE, off,
		    "image at 0x%zx: PCIR offset is 0, no PCI data structure (an ISA option ROM, not a PCI one)",
		    off);
		return IMG_BAD;
	}
	if (memcmp(pc, "PCIR", 4)) {
		add(r, ROM_ERROR, ROM_K_PCIR_SIGNATURE, off,
		    "image at 0x%zx: no PCIR signature at PCIR offset 0x%zx (found %02x %02x %02x %02x)",
		    off, pcir, pc[0], pc[1], pc[2], pc[3]);
		return IMG_BAD;
	}

	fill_pcir(img, pc);
	img->signature = ROM_SIG;
	img->init_size = buf[off + ROM_HDR_INIT_SIZE];
	parse_npde(buf, len, img);
	r->nimages++;

	if (!img->length) {
		add(r, ROM_ERROR, ROM_K_ZERO_LENGTH, off,
		    "image at 0x%zx: image length is 0, so the chain cannot advance",
		    off);
		return IMG_BAD;
	}
	if (pcir + PCIR_MIN_LEN > img->length) {
		add(r, ROM_ERROR, ROM_K_PCIR_RANGE, off,
		    "image at 0x%zx: PCIR offset 0x%zx lies outside the image (length 0x%zx)",
		    off, pcir, img->length);
		return IMG_BAD;
	}
	if (!in_bounds(len, off, img->length)) {
		add(r, ROM_ERROR, ROM_K_TRUNCATED, off,
		    "truncated: the image at 0x%zx has length 0x%zx and would end at 0x%zx, past the end of the file (0x%zx bytes)",
		    off, img->length, off + img->length, len);
		return IMG_BAD;
	}

	prev = repeat_of(buf, r, img);
	if (prev) {
		r->nimages--;
		add(r, ROM_ERROR, ROM_K_LOOP, off,
		    "the chain loops back: the image at 0x%zx repeats the image at 0x%zx byte for byte (the image before it lacks the last-image flag, or the ROM BAR mirrors a smaller flash part); the ROM ends at 0x%zx",
		    off, prev->offset, off);
		return IMG_BAD;
	}

	if (img->code_type == ROM_CODE_X86) {
		parse_checksum(buf, img);
		if (img->checksum)
			add(r, ROM_ERROR, ROM_K_CHECKSUM, off,
			    "image at 0x%zx (x86): bad checksum, the bytes sum to 0x%02x instead of 0 (modified or corrupted; the boot GPU's shadow copy looks like this)",
			    off, img->checksum);
		if (is_shadow(img)) {
			r->shadow = true;
			add(r, ROM_ERROR, ROM_K_SHADOW, off,
			    "shadow copy of a POSTed VBIOS: dump it from a GPU that has not been initialised, or with --source prom (gptctl rom dump); the image at 0x%zx is 0x%zx bytes by its PCIR, with a valid checksum, but 0x%zx by NVIDIA's extension (NPDE): the VBIOS shrank itself at POST",
			    off, img->length, img->npde_length);
		}
	} else if (img->code_type == ROM_CODE_EFI) {
		parse_efi(buf, img, r);
	}

	devlist = le16(pc + PCIR_DEVLIST);
	if (img->pcir_revision >= 3 && devlist)
		parse_devlist(buf, img, devlist, r);

	return img->last ? IMG_LAST : IMG_NEXT;
}

/* What the bytes before the first image are. */
static enum rom_prefix prefix_kind(const uint8_t *buf, size_t lead)
{
	if (lead >= 4 && !memcmp(buf, "NVGI", 4))
		return ROM_PREFIX_NVGI;
	if (lead >= 4 && le32(buf) == 0x55aa55aa)
		return ROM_PREFIX_AMD_FLASH;
	return ROM_PREFIX_UNKNOWN;
}

/* "FwSec (0xE0)", "type 0x70", "an empty EFI slot", ... */
static const char *chained_desc(const struct rom_image *img, char *b, size_t n)
{
	switch (img->code_type) {
	case ROM_CODE_FWSEC:
		return "FwSec (0xE0)";
	case ROM_CODE_NV_70:
		return "type 0x70";
	case ROM_CODE_EFI:
		return img->empty ? "an empty EFI slot" : "EFI";
	case ROM_CODE_X86:
		return "x86";
	default:
		snprintf(b, n, "type 0x%02X", img->code_type);
		return b;
	}
}

/* Append to a message buffer, never past its end. */
static void cat(char *b, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cat(char *b, size_t n, const char *fmt, ...)
{
	size_t used = strlen(b);
	va_list ap;

	if (used + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(b + used, n - used, fmt, ap);
	va_end(ap);
}

/* NVIDIA's images after the PCIR last-image flag, and how the chain ends. */
static void parse_chained(const uint8_t *buf, size_t len, struct rom_report *r)
{
	const struct rom_image *last = &r->img[r->nimages - 1];
	char list[240] = "", b[16];
	enum chain_stop stop;
	size_t off, end;
	unsigned int i;

	if (!last->has_npde || last->npde_last ||
	    last->code_type == ROM_CODE_NV_70 || !last->npde_length)
		return;
	off = last->offset + last->npde_length;
	if (off > len) {
		add(r, ROM_INFO, ROM_K_NPDE_END, len,
		    "NVIDIA's extension (NPDE) makes the last image end at 0x%zx, past the end of the file (0x%zx bytes): the images it chains after it are not in this file",
		    off, len);
		return;
	}
	if (off < r->end)	/* NPDE shorter than PCIR: nothing follows it */
		return;
	end = npde_walk(buf, len, off, r->chained, ROM_MAX_CHAINED,
			&r->nchained, &stop);
	r->chain_end = end;

	for (i = 0; i < r->nchained; i++)
		cat(list, sizeof(list), "%s%s at 0x%zx", i ? ", " : "",
		    chained_desc(&r->chained[i], b, sizeof(b)),
		    r->chained[i].offset);
	if (r->nchained)
		add(r, ROM_INFO, ROM_K_NPDE_CHAIN, off,
		    "NVIDIA chains %u more image(s) after the last one through its PCI Data Extension (NPDE), from 0x%zx to 0x%zx: %s; the ROM BAR ends at the last-image flag, so 'gptctl rom trim' drops them, as a romfile should",
		    r->nchained, off, end, list);

	switch (stop) {
	case CHAIN_LAST:
		break;
	case CHAIN_EOF:
		add(r, ROM_INFO, ROM_K_NPDE_END, end,
		    "the file ends at 0x%zx, where NVIDIA's extension (NPDE) says another image follows: it holds only the images the ROM BAR shows (trimmed; fine for a romfile)",
		    end);
		break;
	case CHAIN_NO_IMAGE:
		add(r, ROM_INFO, ROM_K_NPDE_END, end,
		    "NVIDIA's extension (NPDE) says another image follows at 0x%zx, but there is none",
		    end);
		break;
	case CHAIN_PAST_EOF:
		add(r, ROM_INFO, ROM_K_NPDE_END, end,
		    "the image NVIDIA chains at 0x%zx runs past the end of the file (0x%zx bytes): the dump was cut short",
		    end, len);
		break;
	case CHAIN_ZERO:
		add(r, ROM_INFO, ROM_K_NPDE_END, end,
		    "NVIDIA's chain stops at 0x%zx: an image of length 0", end);
		break;
	case CHAIN_TOO_MANY:
		add(r, ROM_INFO, ROM_K_NPDE_END, end,
		    "NVIDIA's chain has more than %d images: not followed past 0x%zx",
		    ROM_MAX_CHAINED, end);
		break;
	}
}

/*
 * Further copies of the chain after it: an image for the same vendor at a
 * 512-byte step from the first image, and NVIDIA's chain from there.
 */
static void find_copies(const uint8_t *buf, size_t len, struct rom_report *r)
{
	size_t first = r->end - r->lead;
	size_t off = r->lead + align_up(r->chain_end - r->lead, ROM_BLOCK);

	while (off < len && r->ncopies < ROM_MAX_COPIES) {
		struct rom_copy *c = &r->copy[r->ncopies];
		enum chain_stop stop;
		unsigned int n;
		size_t end, pcir;

		if (!image_at(buf, len, off)) {
			off += ROM_BLOCK;
			continue;
		}
		pcir = le16(buf + off + ROM_HDR_PCIR);
		end = npde_walk(buf, len, off, NULL, CHAIN_WALK_MAX, &n, &stop);
		if (!n || le16(buf + off + pcir + PCIR_VENDOR) != r->img[0].vendor) {
			off += ROM_BLOCK;
			continue;
		}
		c->offset = off;
		c->end = end;
		c->vendor = le16(buf + off + pcir + PCIR_VENDOR);
		c->device = le16(buf + off + pcir + PCIR_DEVICE);
		c->identical = in_bounds(len, off, first) &&
			       !memcmp(buf + off, buf + r->lead, first);
		r->ncopies++;
		off = r->lead + align_up(end - r->lead, ROM_BLOCK);
	}
}

/* Bytes after the chain that are neither padding, nor chained, nor a copy. */
static void find_other(const uint8_t *buf, size_t len, struct rom_report *r)
{
	size_t from = r->chain_end;
	unsigned int i;

	for (i = 0; i <= r->ncopies; i++) {
		size_t to = i < r->ncopies ? r->copy[i].offset : len;

		if (to > from && !all_padding(buf + from, to - from)) {
			if (!r->other)
				r->other_offset = from;
			r->other += to - from;
		}
		if (i < r->ncopies)
			from = r->copy[i].end;
	}
}

/* The leading-data finding, once the copies are known. */
static void leading_msg(const uint8_t *buf, struct rom_report *r, char *m,
			size_t n)
{
	snprintf(m, n, "0x%zx bytes before the first image at 0x%zx: %s",
		 r->lead, r->lead, rom_prefix_desc(r->prefix));
	if (r->prefix == ROM_PREFIX_AMD_FLASH &&
	    memmem(buf, r->lead, "$PSP", 4))
		cat(m, n, " with a $PSP firmware directory");
	cat(m, n, "; firmware expects the image at offset 0: use 'gptctl rom trim'");
	if (r->ncopies)
		cat(m, n, "; the file holds %s copy of the images at 0x%zx: 'gptctl rom trim' keeps the first, at 0x%zx",
		    r->copy[0].identical ? "an identical" : "a different",
		    r->copy[0].offset, r->lead);
}

unsigned int rom_parse(const uint8_t *buf, size_t len, struct rom_report *r)
{
	const struct rom_image *slot = NULL;
	size_t off = 0;
	bool efi = false;
	unsigned int i;
	int rc;

	memset(r, 0, sizeof(*r));
	r->size = len;
	if (!len) {
		add(r, ROM_ERROR, ROM_K_EMPTY, 0, "the file is empty");
		return r->nerrors;
	}

	/*
	 * A file that starts with 0x55AA is walked from 0, so that a broken
	 * first image is reported as such.  Otherwise look for the first
	 * image: flash dumps put a header or a flash layout in front.  Its
	 * message is written once the rest of the file is known.
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
		r->prefix = prefix_kind(buf, off);
		add(r, ROM_ERROR, ROM_K_LEADING_DATA, 0, "leading data");
	}

	for (;;) {
		struct rom_image *img;

		if (r->nimages == ROM_MAX_IMAGES) {
			add(r, ROM_ERROR, ROM_K_TOO_MANY, off,
			    "more than %d images: giving up at 0x%zx",
			    ROM_MAX_IMAGES, off);
			break;
		}
		rc = parse_image(buf, len, off, r);
		if (rc == IMG_LAST) {
			img = &r->img[r->nimages - 1];
			r->end = img->offset + img->length;
			r->complete = true;
			break;
		}
		if (rc == IMG_BAD) {
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
			/* A shadow copy is reported as such, not as truncated. */
			if (!is_shadow(img))
				add(r, ROM_ERROR, ROM_K_TRUNCATED, img->offset,
				    "truncated: the image at 0x%zx is not marked last, but the file ends where the next image should start (0x%zx)",
				    img->offset, off);
			break;
		}
	}
	r->chain_end = r->end;

	for (i = 0; i < r->nimages; i++)
		if (r->img[i].code_type == ROM_CODE_EFI)
			efi = true;
	if (r->complete)
		parse_chained(buf, len, r);
	for (i = 0; i < r->nchained && !slot; i++)
		if (r->chained[i].code_type == ROM_CODE_EFI)
			slot = &r->chained[i];
	if (r->nimages && !efi) {
		char extra[120] = "";

		if (slot && slot->empty)
			snprintf(extra, sizeof(extra),
				 "; the slot at 0x%zx is an empty placeholder (signature %02X%02X, the rest 0xFF)",
				 slot->offset, slot->signature & 0xff,
				 slot->signature >> 8);
		else if (slot)
			snprintf(extra, sizeof(extra),
				 "; NVIDIA chains an EFI image at 0x%zx after the last one, which the ROM BAR does not show",
				 slot->offset);
		add(r, ROM_WARN, ROM_K_NO_EFI, r->img[0].offset,
		    "no EFI image: UEFI guests (OVMF) cannot run this ROM; legacy BIOS guests (SeaBIOS) can%s",
		    extra);
	}

	/* After a complete chain, say what every trailing byte is. */
	if (r->complete) {
		find_copies(buf, len, r);
		for (i = 0; i < r->ncopies; i++) {
			const struct rom_copy *c = &r->copy[i];

			if (c->identical)
				add(r, ROM_INFO, ROM_K_SECOND_COPY, c->offset,
				    "the file holds another copy of the images at 0x%zx to 0x%zx, identical to the first: 'gptctl rom trim' keeps the first, at 0x%zx",
				    c->offset, c->end, r->lead);
			else
				add(r, ROM_WARN, ROM_K_SECOND_COPY, c->offset,
				    "the file holds a different VBIOS at 0x%zx to 0x%zx (first image for %04x:%04x): 'gptctl rom trim' keeps the first, at 0x%zx; for this one instead, cut the file first: tail -c +%zu FILE >OUT, then trim OUT",
				    c->offset, c->end, c->vendor, c->device,
				    r->lead, c->offset + 1);
		}
		find_other(buf, len, r);
		if (r->other)
			add(r, ROM_WARN, ROM_K_TRAILING_DATA, r->other_offset,
			    "0x%zx bytes of data after the last image (at 0x%zx) that are not an image; 'gptctl rom trim' drops them",
			    r->other, r->other_offset);
	}

	if (r->lead)
		leading_msg(buf, r, r->finding[0].msg, sizeof(r->finding[0].msg));
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
	case ROM_CODE_NV_70:	return "nvidia_70";
	case ROM_CODE_FWSEC:	return "fwsec";
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
	case ROM_CODE_NV_70:	return "NVIDIA type 0x70, always last";
	case ROM_CODE_FWSEC:	return "NVIDIA FwSec firmware";
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
	case ROM_K_NPDE_CHAIN:		return "npde_chain";
	case ROM_K_NPDE_END:		return "npde_end";
	case ROM_K_SHADOW:		return "shadow";
	case ROM_K_SECOND_COPY:		return "second_copy";
	}
	return "unknown";
}

const char *rom_prefix_name(enum rom_prefix p)
{
	switch (p) {
	case ROM_PREFIX_NONE:		return "none";
	case ROM_PREFIX_UNKNOWN:	return "unknown";
	case ROM_PREFIX_NVGI:		return "nvgi";
	case ROM_PREFIX_AMD_FLASH:	return "amd_flash";
	}
	return "unknown";
}

const char *rom_prefix_desc(enum rom_prefix p)
{
	switch (p) {
	case ROM_PREFIX_NONE:
		return "none";
	case ROM_PREFIX_NVGI:
		return "an NVIDIA NVGI header (written by nvflash and GPU-Z dumps)";
	case ROM_PREFIX_AMD_FLASH:
		return "an AMD GPU flash layout (AA55AA55 signature)";
	case ROM_PREFIX_UNKNOWN:
		break;
	}
	return "not an option ROM image (a vendor flash header or other firmware)";
}
