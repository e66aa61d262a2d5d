// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the /etc/default/grub and /etc/kernel/cmdline editors
 * (ctl/cfgparse.c) behind `setup --apply-cmdline`.  When one accepts a
 * file, the result must hold every new word, and applying the same words
 * again must change nothing.
 * The word fixer that drops amd_iommu=on must be idempotent too.
 */
#include "cfgparse.h"
#include <errno.h>

#include "fuzz.h"

static int drop_on(const char *var, const char *w, size_t n, char *buf,
		   size_t len, void *arg)
{
	(void)var;
	(void)arg;
	(void)len;
	if (n != 12 || strncmp(w, "amd_iommu=on", 12))
		return 0;
	buf[0] = 0;
	return 1;
}

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
	out = again = NULL;
	err = kcmdline_set(s, words, &out, &why);
	if (!err) {
		CHECK(out);
		CHECK(strstr(out, "iommu=pt"));
		CHECK(strstr(out, "gpupt.ids=10de:2901"));
		CHECK(strchr(out, '\n') == out + strlen(out) - 1);
		err = kcmdline_set(out, words, &again, &why);
		CHECK(!err);
		CHECK(!strcmp(out, again));
	} else {
		CHECK(!out);
		CHECK(err == -EINVAL && why != NULL);
	}
	free(again);
	free(out);
	out = again = NULL;
	if (!grub_fix_words(s, drop_on, NULL, &out)) {
		CHECK(out);
		CHECK(!grub_fix_words(out, drop_on, NULL, &again));
		CHECK(!strcmp(out, again));
	}
	free(again);
	free(out);
	free(s);
	return 0;
}
