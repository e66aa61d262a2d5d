// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel parameter facts (ctl/kparse.c) and the /etc/default/grub word
 * fixer (ctl/cfgparse.c): which amd_iommu=/intel_iommu= options no parser
 * takes, which words of a command line a kernel log rejected (the log lines
 * are the ones Debian's 6.1 kernel printed in the rig), and the remedies.
 */
#include <stdlib.h>

#include "cfgparse.h"
#include "kparams.h"
#include "unit.h"

/*
 * kparams_iommu_value_fix(intel, value): its result, the value without
 * the options no parser takes (out) and the first of those (bad); NULL:
 * not checked.
 */
static const struct {
	bool intel;
	const char *value;
	int ret;
	const char *out;
	const char *bad;
} value_fixes[] = {
	{ false, "on",			1, "",			"on" },
	{ false, "on,force_isolation",	1, "force_isolation",	NULL },
	{ false, "off",			0, "off",		NULL },
	/* strncmp() on the option's length, as the parser: "offline" is off. */
	{ false, "offline",		0, NULL,		NULL },
	{ false, "pgtbl_v2,nohugepages", 0, NULL,		NULL },
	{ true,  "on",			0, NULL,		NULL },
	{ true,  "on,igfx_off",		0, NULL,		NULL },
	{ true,  "pt",			1, NULL,		"pt" },
	{ false, "",			0, NULL,		NULL },
};

static void t_value_fix(void)
{
	char out[64], bad[16];
	size_t i;

	for (i = 0; i < sizeof(value_fixes) / sizeof(value_fixes[0]); i++) {
		const char *v = value_fixes[i].value;
		int failed = unit_cur_failed;

		CHECK_INT(kparams_iommu_value_fix(value_fixes[i].intel, v, strlen(v),
						  out, sizeof(out), bad, sizeof(bad)),
			  value_fixes[i].ret);
		if (value_fixes[i].out)
			CHECK_STR(out, value_fixes[i].out);
		if (value_fixes[i].bad)
			CHECK_STR(bad, value_fixes[i].bad);
		if (unit_cur_failed != failed)
			printf("#   for %s_iommu=%s\n", value_fixes[i].intel ? "intel" : "amd", v);
	}
}

struct seen {
	unsigned int n;
	char words[8][64];
	char lines[8][128];
};

static void collect(const char *word, size_t wlen, const char *line,
		    size_t llen, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->words[s->n], sizeof(s->words[0]), "%.*s", (int)wlen, word);
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%.*s", (int)llen, line);
	}
	s->n++;
}

static void t_rejected(void)
{
	static const char cmdline[] =
		"console=ttyS0 amd_iommu=on gpupt_ids=1 vfio-pci.bogus=1 "
		"intel_iommu=bogus,on gpupt.ids=1234:1111 iommu=pt "
		"\"video=efifb:off\" nofb\n";
	static const char log[] =
		"<5>[    0.000000] Kernel command line: console=ttyS0 amd_iommu=on ...\n"
		"<5>[    0.000000] AMD-Vi: Unknown option - 'on'\n"
		"<5>[    0.000000] Unknown kernel command line parameters \"gpupt_ids=1 nofb\", will be passed to user space.\n"
		"<6>[    0.140948] DMAR: Unknown option - 'bogus,on'\n"
		"<6>[    0.140949] DMAR: IOMMU enabled\n"
		"<4>[    9.606948] vfio_pci: unknown parameter 'bogus' ignored\n"
		"<4>[    9.700000] vfio_pci: unknown parameter 'bogus' ignored\n"
		"<4>[   10.000000] gpupt: unknown parameter 'foo' ignored\n"
		"[   11.000000] AMD-Vi: Unknown option - 'on'\n";
	struct seen s = { 0 };

	CHECK_INT(kparams_rejected(cmdline, log, collect, &s), 5);
	CHECK_STR(s.words[0], "amd_iommu=on");
	CHECK_STR(s.lines[0], "AMD-Vi: Unknown option - 'on'");
	CHECK_STR(s.words[1], "gpupt_ids=1");
	CHECK_STR(s.words[2], "nofb");
	CHECK_STR(s.words[3], "intel_iommu=bogus,on");
	/* The log names vfio_pci; the command line says vfio-pci. */
	CHECK_STR(s.words[4], "vfio-pci.bogus=1");
	CHECK_STR(s.lines[4], "vfio_pci: unknown parameter 'bogus' ignored");

	/* Nothing rejected: nothing reported. */
	s.n = 0;
	CHECK_INT(kparams_rejected("intel_iommu=on iommu=pt", "DMAR: IOMMU enabled\n", collect, &s), 0);
	CHECK_INT(kparams_rejected(NULL, log, collect, &s), 0);
	CHECK_INT(kparams_rejected(cmdline, "", collect, &s), 0);
	/* Truncated lines match nothing. */
	CHECK_INT(kparams_rejected(cmdline, "AMD-Vi: Unknown option - 'on", collect, &s), 0);
	CHECK_INT(kparams_rejected(cmdline, "Unknown kernel command line parameters \"nofb", collect, &s), 0);
	CHECK_INT(s.n, 0);
}

static bool has(const char *s, const char *needle)
{
	bool r = s && strstr(s, needle);

	if (!r)
		printf("# \"%s\" lacks \"%s\"\n", s ? s : "(null)", needle);
	return r;
}

/* kparams_remedy(word): what the remedy must say (one or two phrases). */
static const struct {
	const char *word;
	const char *says[2];
} remedies[] = {
	{ "amd_iommu=on",			{ "remove amd_iommu=on", "IVRS" } },
	{ "amd_iommu=on,force_isolation",	{ "remove amd_iommu=on,force_isolation" } },
	{ "amd_iommu=fullflsh,force_isolation",	{ "write amd_iommu=force_isolation" } },
	{ "intel_iommu=yes",			{ "write intel_iommu=on" } },
	{ "gpupt_ids=1234:1111",		{ "did you mean gpupt.ids=1234:1111?" } },
	{ "vfio_pci_ids=10de:2901",		{ "did you mean vfio_pci.ids=10de:2901?" } },
	{ "vfio-pci.bogus=1",			{ "modinfo -p vfio-pci" } },
	{ "gpupt.id=1",				{ "gpupt takes ids= and addrs=" } },
	{ "video=efifb:of",			{ "video=efifb:off" } },
	{ "nofb",				{ "remove nofb" } },
};

static void t_remedy(void)
{
	size_t i, j;

	for (i = 0; i < sizeof(remedies) / sizeof(remedies[0]); i++) {
		char *r = kparams_remedy(remedies[i].word, strlen(remedies[i].word));

		for (j = 0; j < 2 && remedies[i].says[j]; j++)
			CHECK(has(r, remedies[i].says[j]));
		free(r);
	}
}

struct fixctx {
	unsigned int calls;
};

/* Drop amd_iommu=on, rename foo to bar. */
static int fix(const char *var, const char *w, size_t n, char *buf,
	       size_t len, void *arg)
{
	struct fixctx *c = arg;

	(void)var;
	c->calls++;
	if (n == 12 && !strncmp(w, "amd_iommu=on", 12)) {
		buf[0] = 0;
		return 1;
	}
	if (n == 3 && !strncmp(w, "foo", 3)) {
		snprintf(buf, len, "bar");
		return 1;
	}
	return 0;
}

static void t_grub_fix(void)
{
	static const char in[] =
		"# GRUB_CMDLINE_LINUX=\"amd_iommu=on\" in a comment\n"
		"GRUB_DEFAULT=0\n"
		"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet  amd_iommu=on iommu=pt\"\n"
		"export GRUB_CMDLINE_LINUX='amd_iommu=on foo'  # trailing\n"
		"GRUB_CMDLINE_LINUX=amd_iommu=on\n"
		"GRUB_CMDLINE_LINUX=\"$X amd_iommu=on\"\n"
		"GRUB_CMDLINE_LINUX=\"console=ttyS0   quiet\"\n"
		"GRUB_CMDLINE_LINUX_DEFAULTS=\"amd_iommu=on\"";
	static const char want[] =
		"# GRUB_CMDLINE_LINUX=\"amd_iommu=on\" in a comment\n"
		"GRUB_DEFAULT=0\n"
		"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt\"\n"
		"export GRUB_CMDLINE_LINUX=\"bar\"  # trailing\n"
		"GRUB_CMDLINE_LINUX=\"\"\n"
		"GRUB_CMDLINE_LINUX=\"$X amd_iommu=on\"\n"
		"GRUB_CMDLINE_LINUX=\"console=ttyS0   quiet\"\n"
		"GRUB_CMDLINE_LINUX_DEFAULTS=\"amd_iommu=on\"";
	struct fixctx c = { 0 };
	char *out = NULL;

	CHECK_INT(grub_fix_words(in, fix, &c, &out), 0);
	CHECK_STR(out, want);
	/* 3 + 2 + 1 + 2 words; the shell-syntax line is not split. */
	CHECK_INT(c.calls, 8);
	free(out);
	CHECK_INT(grub_fix_words("", fix, &c, &out), 0);
	CHECK_STR(out, "");
	free(out);
}

int main(void)
{
	RUN(t_value_fix);
	RUN(t_rejected);
	RUN(t_remedy);
	RUN(t_grub_fix);
	return unit_done();
}
