// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the kernel command line splitter (ctl/cfgparse.c) that doctor runs
 * over /proc/cmdline and modprobe.d option lines.
 */
#include "cfgparse.h"
#include "fuzz.h"

struct ctx {
	const char *s;
	size_t len;
	unsigned int words;
};

static int one(const char *key, size_t klen, const char *val, size_t vlen,
	       void *arg)
{
	struct ctx *c = arg;

	/* Every span lies inside the string. */
	CHECK(key >= c->s && key + klen <= c->s + c->len);
	if (val)
		CHECK(val >= c->s && val + vlen <= c->s + c->len);
	else
		CHECK(!vlen);
	c->words++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), v[64];
	struct ctx c = { s, strlen(s), 0 };

	cmdline_foreach(s, one, &c);
	CHECK(c.words <= c.len);
	if (cmdline_get(s, "intel_iommu", v, sizeof(v)))
		CHECK(strlen(v) < sizeof(v));
	cmdline_get(s, "gpupt.ids", v, 1);
	cmdline_get(s, "iommu", NULL, 0);
	free(s);
	return 0;
}
