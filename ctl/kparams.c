// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel command line words gptctl writes: which ones, and why
 * (kparams.h).  The parsers' facts are in kparse.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cfgparse.h"
#include "kparams.h"
#include "print.h"
#include "sysfile.h"

#define KV(a, b)	((a) * 1000u + (b))

enum fw_iommu kparams_fw_iommu(void)
{
	if (file_exists("/sys/firmware/acpi/tables/DMAR"))
		return FW_IOMMU_INTEL;
	if (file_exists("/sys/firmware/acpi/tables/IVRS"))
		return FW_IOMMU_AMD;
	return FW_IOMMU_NONE;
}

/* "6.1.0-57-amd64" -> KV(6, 1); 0 if unparsable. */
static unsigned int kernel_version(const char *release)
{
	unsigned int a, b;

	if (sscanf(release, "%u.%u", &a, &b) != 2)
		return 0;
	return KV(a, b);
}

static const char *intel_parser(unsigned int v)
{
	return v && v < KV(5, 8) ? "drivers/iommu/intel-iommu.c intel_iommu_setup()" :
				   "drivers/iommu/intel/iommu.c intel_iommu_setup()";
}

static const char *amd_parser(unsigned int v)
{
	return v && v < KV(5, 8) ? "drivers/iommu/amd_iommu_init.c" :
				   "drivers/iommu/amd/init.c";
}

/* ---- the running kernel ---- */

/* The kernel's build configuration, or NULL. */
static char *kernel_config(const char *release, char *path, size_t len)
{
	static const char *const where[][2] = {
		{ "/boot/config-", "" }, { "/lib/modules/", "/config" },
		{ "/usr/lib/modules/", "/config" }, { NULL, NULL },
	};
	uint8_t *buf;
	size_t n;
	int i;

	for (i = 0; where[i][0]; i++) {
		snprintf(path, len, "%s%s%s", where[i][0], release, where[i][1]);
		if (!file_read_all(path, 1u << 22, &buf, &n))
			return (char *)buf;
	}
	*path = 0;
	return NULL;
}

/* 1 "CONFIG_X=y", 0 "# CONFIG_X is not set" or absent, -1 no config. */
static int config_y(const char *config, const char *sym)
{
	char pat[96];
	const char *p;

	if (!config)
		return -1;
	snprintf(pat, sizeof(pat), "\n%s=y\n", sym);
	p = strstr(config, pat);
	if (!p && !strncmp(config, pat + 1, strlen(pat + 1)))
		p = config;
	return p != NULL;
}

static unsigned int iommu_groups(void)
{
	unsigned int n = 0;
	char p[64];

	while (n < 4096) {
		snprintf(p, sizeof(p), "/sys/kernel/iommu_groups/%u", n);
		if (!file_exists(p))
			break;
		n++;
	}
	return n;
}

static bool cpu_is_intel(void)
{
	char *info = NULL;
	uint8_t *buf;
	size_t len;
	bool intel;

	if (file_read_all("/proc/cpuinfo", 1u << 22, &buf, &len))
		return false;
	info = (char *)buf;
	intel = strstr(info, "GenuineIntel") != NULL;
	free(info);
	return intel;
}

struct ctx {
	char release[65];
	unsigned int ver;
	char *config;
	char config_path[128];
	char *cmdline;
	unsigned int groups;
};

static int kw_add(struct kwords *kw, const char *word, int already,
		  const char *already_detail, const char *reason,
		  const char *source)
{
	struct kword *w;

	if (kw->n == KWORD_MAX)
		return -E2BIG;
	w = &kw->w[kw->n];
	w->word = strdup(word);
	w->reason = strdup(reason);
	w->source = strdup(source);
	w->already = already;
	w->already_detail = strdup(already_detail);
	kw->n++;
	if (!w->word || !w->reason || !w->source || !w->already_detail)
		return -ENOMEM;
	return 0;
}

static int word_intel(struct kwords *kw, const struct ctx *c, bool from_cpu)
{
	char reason[768], source[384], detail[384];
	int on = config_y(c->config, "CONFIG_INTEL_IOMMU_DEFAULT_ON");
	int igpu = config_y(c->config, "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF");
	int already = -1;

	if (from_cpu)
		snprintf(reason, sizeof(reason),
			 "the firmware describes no IOMMU now (no ACPI DMAR or IVRS table: VT-d is off in the firmware setup, or absent); "
			 "this CPU is Intel's, whose IOMMU is VT-d, and intel_iommu=on takes effect once VT-d is enabled there");
	else
		snprintf(reason, sizeof(reason),
			 "the firmware describes an Intel VT-d IOMMU (ACPI DMAR table); intel_iommu=on turns the Intel IOMMU driver on "
			 "whatever the kernel's build default (CONFIG_INTEL_IOMMU_DEFAULT_ON), and vfio-pci needs the IOMMU on");
	snprintf(source, sizeof(source),
		 "%s, option \"on\"; Documentation/admin-guide/kernel-parameters.txt, intel_iommu=; Linux %s",
		 intel_parser(c->ver), c->release);
	if (!from_cpu && c->groups &&
	    !cmdline_get(c->cmdline, "intel_iommu", NULL, 0)) {
		already = 1;
		snprintf(detail, sizeof(detail),
			 "yes: the IOMMU is on (%u IOMMU groups) and /proc/cmdline has no intel_iommu=",
			 c->groups);
	} else if (on == 1) {
		already = 1;
		snprintf(detail, sizeof(detail),
			 "yes: CONFIG_INTEL_IOMMU_DEFAULT_ON=y in %s", c->config_path);
	} else if (igpu == 1) {
		already = 1;
		snprintf(detail, sizeof(detail),
			 "yes, except for integrated Intel GPUs: CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y (Debian) in %s",
			 c->config_path);
	} else if (on == 0) {
		already = 0;
		snprintf(detail, sizeof(detail),
			 "no: this kernel leaves the Intel IOMMU off by default (CONFIG_INTEL_IOMMU_DEFAULT_ON is not set in %s)",
			 c->config_path);
	} else {
		snprintf(detail, sizeof(detail),
			 "unknown: no build configuration of %s found (/boot/config-%s)",
			 c->release, c->release);
	}
	return kw_add(kw, "intel_iommu=on", already, detail, reason, source);
}

static int word_pt(struct kwords *kw, const struct ctx *c)
{
	char source[384], detail[384], type[32] = "";
	int pt = config_y(c->config, "CONFIG_IOMMU_DEFAULT_PASSTHROUGH");
	bool on_cmdline = cmdline_get(c->cmdline, "iommu", type, sizeof(type)) &&
			  !strncmp(type, "pt", 2);
	int already = -1;
	FILE *f;

	snprintf(source, sizeof(source),
		 "arch/x86/kernel/pci-dma.c iommu_setup(), option \"pt\"; Documentation/admin-guide/kernel-parameters.txt, iommu=; Linux %s",
		 c->release);
	type[0] = 0;
	f = c->groups ? fopen("/sys/kernel/iommu_groups/0/type", "re") : NULL;
	if (f) {
		if (!fgets(type, sizeof(type), f))
			type[0] = 0;
		fclose(f);
		type[strcspn(type, "\n")] = 0;
	}
	if (*type && !on_cmdline &&
	    !cmdline_get(c->cmdline, "iommu.passthrough", NULL, 0)) {
		already = !strcmp(type, "identity");
		snprintf(detail, sizeof(detail),
			 "%s: without it, host devices are in %s domains (/sys/kernel/iommu_groups/0/type)",
			 already ? "yes" : "no", type);
	} else if (pt >= 0) {
		already = pt;
		snprintf(detail, sizeof(detail),
			 "%s: CONFIG_IOMMU_DEFAULT_PASSTHROUGH %s in %s",
			 pt ? "yes" : "no", pt ? "=y" : "is not set",
			 c->config_path);
	} else {
		snprintf(detail, sizeof(detail),
			 "unknown: no build configuration of %s found", c->release);
	}
	return kw_add(kw, "iommu=pt", already, detail,
		      "host devices keep an identity (passthrough) DMA mapping instead of IOMMU translation, "
		      "so the host's own I/O (NICs, NVMe) pays no map/unmap cost; a device handed to vfio-pci "
		      "gets its own translated domain either way, so the guest's isolation does not change "
		      "(leave it out with --no-pt to keep translation for host devices)",
		      source);
}

static int word_gpupt(struct kwords *kw, const char *param, const char *list)
{
	char word[1100], cur[1100] = "", detail[1300], path[96];
	int already = 0;
	uint8_t *buf;
	size_t len;

	snprintf(word, sizeof(word), "gpupt.%s=%s", param, list);
	snprintf(path, sizeof(path), "/sys/module/gpupt/parameters/%s", param);
	if (!file_read_all(path, sizeof(cur) - 1, &buf, &len)) {
		snprintf(cur, sizeof(cur), "%.*s", (int)len, (char *)buf);
		free(buf);
		cur[strcspn(cur, "\n")] = 0;
		already = !strcmp(cur, list);
		snprintf(detail, sizeof(detail),
			 "%s: gpupt is loaded with %s=%s", already ? "yes" : "no",
			 param, *cur && strcmp(cur, "(null)") ? cur : "(none)");
	} else {
		snprintf(detail, sizeof(detail), "no: gpupt is not loaded");
	}
	return kw_add(kw, word, already, detail,
		      !strcmp(param, "ids") ?
		      "gpupt holds the devices with these vendor:device IDs from the moment it loads; on the "
		      "command line the list reaches it from any initramfs, even one built without "
		      "/etc/modprobe.d/gpupt.conf (modprobe applies MODULE.PARAM= words of /proc/cmdline)" :
		      "gpupt holds the devices at these PCI addresses from the moment it loads; on the command "
		      "line the list reaches it from any initramfs, even one built without "
		      "/etc/modprobe.d/gpupt.conf (modprobe applies MODULE.PARAM= words of /proc/cmdline)",
		      !strcmp(param, "ids") ?
		      "gpupt module parameter ids (modinfo gpupt, gpupt(4)); modprobe(8) and "
		      "Documentation/admin-guide/kernel-parameters.rst, \"module.parameter\"" :
		      "gpupt module parameter addrs (modinfo gpupt, gpupt(4)); modprobe(8) and "
		      "Documentation/admin-guide/kernel-parameters.rst, \"module.parameter\"");
}

int kparams_words(const char *ids, const char *addrs, bool pt,
		  struct kwords *kw)
{
	struct ctx c = { 0 };
	struct utsname u;
	uint8_t *buf;
	size_t len;
	int err = 0;

	memset(kw, 0, sizeof(*kw));
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	snprintf(c.release, sizeof(c.release), "%s", u.release);
	snprintf(kw->kernel, sizeof(kw->kernel), "%s", u.release);
	c.ver = kernel_version(c.release);
	c.config = kernel_config(c.release, c.config_path, sizeof(c.config_path));
	if (!file_read_all("/proc/cmdline", 1u << 16, &buf, &len))
		c.cmdline = (char *)buf;
	c.groups = iommu_groups();
	kw->fw = kparams_fw_iommu();

	if (kw->fw == FW_IOMMU_INTEL) {
		err = word_intel(kw, &c, false);
	} else if (kw->fw == FW_IOMMU_NONE && cpu_is_intel()) {
		err = word_intel(kw, &c, true);
		if (asprintf(&kw->note, "warning: the firmware describes no IOMMU (no ACPI DMAR or IVRS table): enable VT-d in the firmware setup; intel_iommu=on then turns it on") < 0)
			kw->note = NULL;
	} else if (kw->fw == FW_IOMMU_NONE) {
		if (asprintf(&kw->note, "warning: the firmware describes no IOMMU (no ACPI DMAR or IVRS table): enable the IOMMU (AMD-Vi, VT-d) in the firmware setup; no kernel parameter can turn on an IOMMU the firmware hides") < 0)
			kw->note = NULL;
	}
	/* AMD-Vi: nothing; the kernel enables it from the IVRS table. */
	if (!err && pt)
		err = word_pt(kw, &c);
	if (!err && ids)
		err = word_gpupt(kw, "ids", ids);
	if (!err && addrs)
		err = word_gpupt(kw, "addrs", addrs);
	free(c.config);
	free(c.cmdline);
	return err == -E2BIG ? 0 : err;
}

void kwords_free(struct kwords *kw)
{
	unsigned int i;

	for (i = 0; i < kw->n; i++) {
		free(kw->w[i].word);
		free(kw->w[i].reason);
		free(kw->w[i].source);
		free(kw->w[i].already_detail);
	}
	free(kw->note);
	memset(kw, 0, sizeof(*kw));
}

char *kwords_join(const struct kwords *kw)
{
	size_t len = 1, off = 0;
	unsigned int i;
	char *s;

	for (i = 0; i < kw->n; i++)
		len += strlen(kw->w[i].word) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	*s = 0;
	for (i = 0; i < kw->n; i++)
		off += (size_t)sprintf(s + off, "%s%s", i ? " " : "",
				       kw->w[i].word);
	return s;
}

static const char *fw_name(enum fw_iommu fw)
{
	switch (fw) {
	case FW_IOMMU_INTEL:	return "intel";
	case FW_IOMMU_AMD:	return "amd";
	default:		return "none";
	}
}

void kwords_print(const struct kwords *kw, const char *key)
{
	unsigned int i, v = kernel_version(kw->kernel);
	char src[384];

	print_string("firmware_iommu", "firmware IOMMU: %s", fw_name(kw->fw));
	print_text(" (%s)\n", kw->fw == FW_IOMMU_INTEL ? "ACPI DMAR table: Intel VT-d" :
		   kw->fw == FW_IOMMU_AMD ? "ACPI IVRS table: AMD-Vi" :
		   "no ACPI DMAR or IVRS table");
	print_string("kernel", "kernel: %s\n", kw->kernel);
	open_json_array(key);
	for (i = 0; i < kw->n; i++) {
		const struct kword *w = &kw->w[i];

		open_json_object(NULL);
		print_string("word", "%s\n", w->word);
		print_string("reason", "    reason:  %s\n", w->reason);
		print_string("source", "    source:  %s\n", w->source);
		if (w->already < 0)
			print_null("already", NULL);
		else
			print_bool("already", NULL, w->already);
		print_string("already_detail", "    without it: %s\n",
			     w->already_detail);
		close_json_object();
	}
	close_json_array();
	/* What gptctl leaves out on purpose, so nobody adds it back. */
	open_json_array("omitted");
	if (kw->fw != FW_IOMMU_INTEL) {
		snprintf(src, sizeof(src),
			 "%s parse_amd_iommu_options() and amd_iommu_detect(); Documentation/admin-guide/kernel-parameters.txt, amd_iommu=; Linux %s",
			 amd_parser(v), kw->kernel);
		open_json_object(NULL);
		print_string("word", "not written: %s\n", "amd_iommu=on");
		print_string("reason", "    reason:  %s\n", kparams_amd_on_reason);
		print_string("source", "    source:  %s\n", src);
		close_json_object();
	}
	close_json_array();
}

