// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the option ROM parser (ctl/romparse.c), which reads files users
 * download from the internet.  Beyond "no crash, no out-of-bounds read"
 * (ASan, UBSan), the report must be consistent with the buffer: the PCIR
 * chain, NVIDIA's NPDE extensions and the images they chain after the last
 * one, further copies of the chain, and the trailing bytes that are none
 * of these.  Seeds: Debian's option ROMs and, when present, the real
 * vendor ROMs of ../shared/real-roms (tests/fuzz/run.sh copies them).
 */
#include <stdio.h>

#include "fuzz.h"
#include "romparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rom_report r;
	unsigned int i, errors;

	errors = rom_parse(data, size, &r);
	CHECK(errors == r.nerrors);
	CHECK(r.size == size);
	CHECK(r.nimages <= ROM_MAX_IMAGES);
	CHECK(r.nfindings <= ROM_MAX_FINDINGS);
	CHECK(r.end <= size);
	CHECK(r.lead <= size);
	CHECK(!r.complete || (r.nimages && r.img[r.nimages - 1].last));
	CHECK(!size || r.nfindings || r.nimages);
	for (i = 0; i < r.nimages; i++) {
		const struct rom_image *img = &r.img[i];

		CHECK(img->offset < size);
		CHECK(img->offset >= r.lead);
		CHECK(data[img->offset] == 0x55 && data[img->offset + 1] == 0xaa);
		CHECK(img->length % 512 == 0);
		CHECK(img->ndevlist <= ROM_MAX_DEVLIST);
		if (i) {
			/* The chain advances strictly, image after image. */
			CHECK(img->offset == r.img[i - 1].offset + r.img[i - 1].length);
			CHECK(!r.img[i - 1].last);
		}
		rom_code_type_name(img->code_type);
		rom_efi_machine_name(img->efi.machine);
		rom_efi_subsystem_name(img->efi.subsystem);
		CHECK(img->signature == 0xaa55);
		CHECK(!strcmp(img->structure, "PCIR"));
		if (img->has_npde) {
			CHECK(img->npde_offset % 16 == 0);
			CHECK(img->offset + img->npde_offset + 11 <= size);
			CHECK(!memcmp(data + img->offset + img->npde_offset, "NPDE", 4));
			CHECK(img->npde_length % 512 == 0);
		}
	}
	/* NVIDIA's chain after the last image: contiguous, inside the file. */
	CHECK(r.chain_end >= r.end && r.chain_end <= size);
	CHECK(r.nchained <= ROM_MAX_CHAINED);
	CHECK(!r.nchained || r.complete);
	for (i = 0; i < r.nchained; i++) {
		const struct rom_image *img = &r.chained[i];

		CHECK(img->length && img->length % 512 == 0);
		CHECK(img->offset + img->length <= r.chain_end);
		CHECK(i ? img->offset == r.chained[i - 1].offset + r.chained[i - 1].length :
			  img->offset >= r.end);
		CHECK(i + 1 == r.nchained || !r.chained[i].last);
		CHECK(img->code_type != 0x70 || img->last);
		CHECK(!strcmp(img->structure, "PCIR") || !strcmp(img->structure, "RGIS") ||
		      !strcmp(img->structure, "NPDS"));
	}
	if (r.nchained)
		CHECK(r.chained[r.nchained - 1].offset + r.chained[r.nchained - 1].length ==
		      r.chain_end);
	/* Copies follow the chain and each other, without overlap. */
	CHECK(r.ncopies <= ROM_MAX_COPIES);
	for (i = 0; i < r.ncopies; i++) {
		const struct rom_copy *c = &r.copy[i];

		CHECK(c->offset >= (i ? r.copy[i - 1].end : r.chain_end));
		CHECK(c->end > c->offset && c->end <= size);
		CHECK(data[c->offset] == 0x55 && data[c->offset + 1] == 0xaa);
		CHECK(r.nimages && c->vendor == r.img[0].vendor);
		CHECK(!c->identical || !memcmp(data + c->offset, data + r.lead, r.end - r.lead));
	}
	CHECK(r.other <= size - r.chain_end);
	CHECK(!r.other || (r.other_offset >= r.chain_end && r.other_offset < size));
	CHECK(!r.lead == (r.prefix == ROM_PREFIX_NONE));
	CHECK(strcmp(rom_prefix_name(r.prefix), "unknown") || r.prefix == ROM_PREFIX_UNKNOWN);
	for (i = 0; i < r.nfindings; i++) {
		CHECK(memchr(r.finding[i].msg, 0, ROM_MSG_LEN));
		CHECK(strcmp(rom_kind_name(r.finding[i].kind), "unknown"));
		CHECK(r.finding[i].offset <= size);
	}
	/* A report without errors describes a complete, terminated chain. */
	if (!r.nerrors) {
		CHECK(r.nimages);
		CHECK(r.img[r.nimages - 1].last);
		CHECK(r.end == r.img[r.nimages - 1].offset + r.img[r.nimages - 1].length);
	}
	return 0;
}
