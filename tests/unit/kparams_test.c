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

static void t_value_fix(void)
{
	char out[64], bad[16];

	CHECK_INT(kparams_iommu_value_fix(false, "on", 2, out, sizeof(out), bad, sizeof(bad)), 1);
	CHECK_STR(out, "");
	CHECK_STR(bad, "on");
	CHECK_INT(kparams_iommu_value_fix(false, "on,force_isolation", 18, out, sizeof(out), bad, sizeof(bad)), 1);
	CHECK_STR(out, "force_isolation");
	CHECK_INT(kparams_iommu_value_fix(false, "off", 3, out, sizeof(out), bad, sizeof(bad)), 0);
	CHECK_STR(out, "off");
	/* strncmp() on the option's length, as the parser: "offline" is off. */
	CHECK_INT(kparams_iommu_value_fix(false, "offline", 7, out, sizeof(out), bad, sizeof(bad)), 0);
	CHECK_INT(kparams_iommu_value_fix(false, "pgtbl_v2,nohugepages", 20, out, sizeof(out), bad, sizeof(bad)), 0);
	CHECK_INT(kparams_iommu_value_fix(true, "on", 2, out, sizeof(out), bad, sizeof(bad)), 0);
	CHECK_INT(kparams_iommu_value_fix(true, "on,igfx_off", 11, out, sizeof(out), bad, sizeof(bad)), 0);
	CHECK_INT(kparams_iommu_value_fix(true, "pt", 2, out, sizeof(out), bad, sizeof(bad)), 1);
	CHECK_STR(bad, "pt");
	CHECK_INT(kparams_iommu_value_fix(false, "", 0, out, sizeof(out), bad, sizeof(bad)), 0);
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

static void t_remedy(void)
{
	char *r;

	r = kparams_remedy("amd_iommu=on", 12);
	CHECK(has(r, "remove amd_iommu=on") && has(r, "IVRS"));
	free(r);
	r = kparams_remedy("amd_iommu=on,force_isolation", 28);
	CHECK(has(r, "remove amd_iommu=on,force_isolation"));
	free(r);
	r = kparams_remedy("amd_iommu=fullflsh,force_isolation", 34);
	CHECK(has(r, "write amd_iommu=force_isolation"));
	free(r);
	r = kparams_remedy("intel_iommu=yes", 15);
	CHECK(has(r, "write intel_iommu=on"));
	free(r);
	r = kparams_remedy("gpupt_ids=1234:1111", 19);
	CHECK(has(r, "did you mean gpupt.ids=1234:1111?"));
	free(r);
	r = kparams_remedy("vfio_pci_ids=10de:2901", 22);
	CHECK(has(r, "did you mean vfio_pci.ids=10de:2901?"));
	free(r);
	r = kparams_remedy("vfio-pci.bogus=1", 16);
	CHECK(has(r, "modinfo -p vfio-pci"));
	free(r);
	r = kparams_remedy("gpupt.id=1", 10);
	CHECK(has(r, "gpupt takes ids= and addrs="));
	free(r);
	r = kparams_remedy("video=efifb:of", 14);
	CHECK(has(r, "video=efifb:off"));
	free(r);
	r = kparams_remedy("nofb", 4);
	CHECK(has(r, "remove nofb"));
	free(r);
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
