// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the kernel command line splitter (ctl/cfgparse.c) that doctor runs
 * over /proc/cmdline and modprobe.d option lines, and the rejected-word
 * scan (ctl/kparse.c) doctor runs over /proc/cmdline and the kernel log:
 * the first line of the input is the command line, the rest the log.
 */
#include "cfgparse.h"
#include "kparams.h"
#include "fuzz.h"

struct ctx {
	const char *s;
	size_t len;
	unsigned int words;
};

static void rejected(const char *word, size_t wlen, const char *line,
		     size_t llen, void *arg)
{
	unsigned int *n = arg;
	char *r = kparams_remedy(word, wlen);

	CHECK(wlen && line);
	CHECK(strlen(word) >= wlen);
	CHECK(strnlen(line, llen) == llen);
	CHECK(r);
	free(r);
	(*n)++;
}

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
	{
		/* cmdline = the first line, log = the rest (or all of it). */
		char *nl = strchr(s, '\n'), out[64], bad[16];
		unsigned int n = 0, r;

		if (nl)
			*nl = 0;
		r = kparams_rejected(s, nl ? nl + 1 : s, rejected, &n);
		CHECK(r == n);
		r = kparams_iommu_value_fix(false, s, strlen(s), out, sizeof(out),
					    bad, sizeof(bad));
		CHECK(strlen(out) < sizeof(out) && strlen(bad) < sizeof(bad));
		CHECK(!r || *bad);
	}
	free(s);
	return 0;
}
