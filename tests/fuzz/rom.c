// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the option ROM parser (ctl/romparse.c), which reads files users
 * download from the internet.  Beyond "no crash, no out-of-bounds read"
 * (ASan, UBSan), the report must be consistent with the buffer.
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
	}
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
