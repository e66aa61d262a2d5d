// SPDX-License-Identifier: GPL-2.0
/* Fuzz the /proc/iomem reader (ctl/cfgparse.c) doctor uses for BARs. */
#include "cfgparse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "efifb", "BOOTFB", NULL };
	char *s = fuzz_str(data, size), buf[16];

	if (iomem_find(s, 0, UINT64_MAX, names, buf, sizeof(buf)))
		CHECK(!strcmp(buf, "efifb") || !strcmp(buf, "BOOTFB"));
	iomem_find(s, 0xc0000000, 0xcfffffff, names, buf, 1);
	free(s);
	return 0;
}
