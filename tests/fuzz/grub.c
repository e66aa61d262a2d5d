// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the /etc/default/grub editor (ctl/cfgparse.c) behind
 * `setup --apply-cmdline`.  When it accepts a file, the result must hold
 * every new word, and applying the same words again must change nothing.
 */
#include "cfgparse.h"
#include <errno.h>

#include "fuzz.h"

static const char words[] = "intel_iommu=on iommu=pt gpupt.ids=10de:2901";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *out = NULL, *again = NULL;
	const char *why;
	int err;

	err = grub_set_cmdline(s, words, &out, &why);
	if (!err) {
		CHECK(out);
		CHECK(strstr(out, "intel_iommu=on"));
		CHECK(strstr(out, "gpupt.ids=10de:2901"));
		err = grub_set_cmdline(out, words, &again, &why);
		CHECK(!err);
		CHECK(!strcmp(out, again));
	} else {
		CHECK(!out);
		CHECK(err == -EINVAL ? why != NULL : 1);
	}
	free(again);
	free(out);
	free(s);
	return 0;
}
