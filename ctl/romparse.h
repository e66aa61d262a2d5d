/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI option ROM images: a pure parser (no I/O, no allocation), shared by
 * `gptctl rom check`, `rom trim`, `rom dump` and the fuzzer.
 *
 * An option ROM is a chain of images.  Each image starts with a 0x55AA
 * header whose 16-bit word at 0x18 points to a "PCIR" data structure; the
 * PCIR gives the image length (in 512-byte units), the code type and the
 * last-image flag.  The next image starts where this one ends.  EFI images
 * carry a second header (0x0EF1 signature, subsystem, machine type) after
 * the 0x55AA.
 *
 * rom_parse() walks the chain by image length and checks every offset
 * against the buffer before it reads it.  It never reads outside
 * [buf, buf + len).  The result says which images were found and what is
 * wrong, each finding with a message a user can act on.
 *
 * NVIDIA ROMs carry more images than the ROM BAR shows.  A PCI Data
 * Extension ("NPDE") follows each PCIR at (PCIR + PCIR length + 0xf) & ~0xf:
 * +0x08 is the image length in 512-byte units and +0x0a bit 7 the last-image
 * flag.  NVIDIA's own chain follows NPDE instead of PCIR, except for images
 * of type 0x70, which are always last (nouveau: nvkm/subdev/bios/image.c,
 * npde.c, pcir.c).  The images chained after the PCIR last-image flag
 * (FwSec firmware, type 0xE0; a type 0x70 image; an EFI slot) start with
 * 0x55AA, 0x77BB or "VN" and carry a "PCIR", "RGIS" or "NPDS" structure.
 * rom_parse() reports them as chained images; the ROM BAR, and so a
 * romfile, ends at the PCIR last-image flag.
 *
 * Flash dumps hold more than one copy of the chain (dual-BIOS cards, full
 * flash images) and sometimes a vendor prefix (nvflash's NVGI header, AMD's
 * flash layout); rom_parse() finds and names both.
 */
#ifndef GPTCTL_ROMPARSE_H
#define GPTCTL_ROMPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROM_MAX_IMAGES		16	/* more is reported as an error */
#define ROM_MAX_FINDINGS	24
#define ROM_MSG_LEN		400
#define ROM_MAX_CHAINED		16	/* NPDE-chained images kept */
#define ROM_MAX_COPIES		4	/* further copies of the chain kept */
#define ROM_MAX_DEVLIST		16	/* PCI 3.0 device list entries kept */

/* PCIR code types. */
enum rom_code_type {
	ROM_CODE_X86	= 0x00,	/* Intel x86, PC-AT compatible */
	ROM_CODE_OF	= 0x01,	/* Open Firmware (IEEE 1275) */
	ROM_CODE_HPPA	= 0x02,	/* PA-RISC */
	ROM_CODE_EFI	= 0x03,	/* EFI image */
	ROM_CODE_NV_70	= 0x70,	/* NVIDIA: always the last image */
	ROM_CODE_FWSEC	= 0xe0,	/* NVIDIA FwSec firmware (falcon ucode) */
};

struct rom_efi {
	bool sig_ok;		/* 0x0EF1 at header + 4 */
	uint32_t signature;
	uint16_t subsystem;	/* 10 application, 11 boot driver, 12 runtime */
	uint16_t machine;	/* PE machine type: 0x8664 x64, 0xaa64 ... */
	uint16_t compression;	/* 0 none, 1 EFI compression */
	uint16_t image_offset;	/* of the PE image, from the image start */
};

struct rom_image {
	size_t offset;		/* of the 0x55AA header in the buffer */
	size_t length;		/* bytes: PCIR image length * 512 */
	uint16_t pcir;		/* PCIR offset from the image start */
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;	/* 24 bits: base << 16 | sub << 8 | prog-if */
	uint8_t pcir_revision;	/* 0 = PCI 2.x, 3 = PCI 3.0 */
	uint16_t code_revision;
	uint8_t code_type;	/* enum rom_code_type, or another value */
	bool last;		/* indicator bit 7 */
	uint8_t init_size;	/* header byte 2, legacy images, *512 */
	bool has_checksum;	/* x86 image: byte sum is checked */
	uint8_t checksum;	/* sum of the image's bytes, 0 when valid */
	struct rom_efi efi;	/* code_type == ROM_CODE_EFI only */
	unsigned int ndevlist;	/* PCI 3.0 device list (extra device IDs) */
	uint16_t devlist[ROM_MAX_DEVLIST];
	uint16_t signature;	/* 0xaa55; chained: 0xbb77 or 0x4e56 ("VN") */
	char structure[5];	/* "PCIR"; chained: "RGIS" or "NPDS" too */
	bool has_npde;		/* NVIDIA PCI Data Extension present */
	size_t npde_offset;	/* of the NPDE, from the image start */
	size_t npde_length;	/* bytes: NPDE image length * 512 */
	bool npde_last;		/* NPDE indicator bit 7 */
	bool empty;		/* chained: only headers, the rest all 0xFF */
};

/* Another copy of the image chain later in the file. */
struct rom_copy {
	size_t offset;		/* of its first image */
	size_t end;		/* end of its chain, NPDE-chained images included */
	uint16_t vendor;	/* of its first image */
	uint16_t device;
	bool identical;		/* its PCIR images equal the first copy's */
};

/* What the bytes before the first image are. */
enum rom_prefix {
	ROM_PREFIX_NONE,	/* the first image is at 0 */
	ROM_PREFIX_UNKNOWN,
	ROM_PREFIX_NVGI,	/* "NVGI": nvflash / GPU-Z dump header */
	ROM_PREFIX_AMD_FLASH,	/* AA55AA55 + $PSP: AMD GPU flash layout */
};

enum rom_severity {
	ROM_INFO,
	ROM_WARN,
	ROM_ERROR,
};

/* What a finding is about; stable for tests and JSON ("kind"). */
enum rom_kind {
	ROM_K_EMPTY,		/* no bytes at all */
	ROM_K_NO_IMAGE,		/* no 0x55AA + PCIR anywhere */
	ROM_K_LEADING_DATA,	/* bytes before the first image */
	ROM_K_TRUNCATED,	/* a structure or image runs past the end */
	ROM_K_BAD_SIGNATURE,	/* next image has no 0x55AA */
	ROM_K_PCIR_RANGE,	/* PCIR offset past the image / file */
	ROM_K_PCIR_SIGNATURE,	/* no "PCIR" where the header points */
	ROM_K_ZERO_LENGTH,	/* image length 0: the chain cannot advance */
	ROM_K_LOOP,		/* the chain comes back to an image seen */
	ROM_K_CHECKSUM,		/* legacy image byte sum != 0 */
	ROM_K_EFI_SIGNATURE,	/* EFI image without 0x0EF1 */
	ROM_K_TOO_MANY,		/* more than ROM_MAX_IMAGES */
	ROM_K_NO_EFI,		/* no EFI image: OVMF guests need one */
	ROM_K_TRAILING_DATA,	/* non-padding bytes after the last image */
	ROM_K_EFI_OFFSET,	/* EFI PE image offset outside the image */
	ROM_K_DEVLIST,		/* PCI 3.0 device list outside the image */
	ROM_K_NPDE_CHAIN,	/* NVIDIA images chained after the last one */
	ROM_K_NPDE_END,		/* NVIDIA's chain stops short of its promise */
	ROM_K_SHADOW,		/* shadow copy of a POSTed VBIOS */
	ROM_K_SECOND_COPY,	/* another copy of the chain follows */
};

struct rom_finding {
	enum rom_severity severity;
	enum rom_kind kind;
	size_t offset;		/* where in the buffer */
	char msg[ROM_MSG_LEN];
};

struct rom_report {
	size_t size;		/* buffer length */
	size_t lead;		/* bytes before the first image */
	enum rom_prefix prefix;	/* what they are */
	size_t end;		/* end of the last complete image */
	bool complete;		/* the chain reached a last image in the file */
	bool shadow;		/* an image is a POSTed VBIOS's shadow copy */
	unsigned int nimages;
	struct rom_image img[ROM_MAX_IMAGES];
	size_t chain_end;	/* end of NVIDIA's NPDE chain (>= end) */
	unsigned int nchained;	/* images NVIDIA chains after the last one */
	struct rom_image chained[ROM_MAX_CHAINED];
	unsigned int ncopies;
	struct rom_copy copy[ROM_MAX_COPIES];
	size_t other;		/* trailing bytes that belong to no image */
	size_t other_offset;	/* where the first of them are */
	unsigned int nfindings;
	unsigned int nerrors;
	unsigned int nwarnings;
	bool findings_dropped;	/* more than ROM_MAX_FINDINGS */
	struct rom_finding finding[ROM_MAX_FINDINGS];
};

/* Walk buf[0..len) and fill *r.  Returns the number of ROM_ERROR findings. */
unsigned int rom_parse(const uint8_t *buf, size_t len, struct rom_report *r);

/* Names for output; never NULL. */
const char *rom_code_type_name(uint8_t type);		/* "x86", "efi", ... */
const char *rom_code_type_desc(uint8_t type);		/* "x86 PC-AT", ... */
const char *rom_efi_subsystem_name(uint16_t subsystem);
const char *rom_efi_machine_name(uint16_t machine);
const char *rom_severity_name(enum rom_severity s);	/* "info", "warn", "error" */
const char *rom_kind_name(enum rom_kind k);		/* "leading_data", ... */
const char *rom_prefix_name(enum rom_prefix p);		/* "nvgi", ... */
const char *rom_prefix_desc(enum rom_prefix p);		/* a phrase */

/* True if the image (or its PCI 3.0 device list) names vendor:device. */
bool rom_image_matches(const struct rom_image *img, uint16_t vendor,
		       uint16_t device);

#endif /* GPTCTL_ROMPARSE_H */
