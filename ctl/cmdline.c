// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl cmdline --ids LIST [--addrs LIST]: print the kernel command line
 * words that enable the IOMMU and hold the listed devices at boot.  Also
 * the helpers setup.c shares (setup.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse.h"
#include "gptctl.h"
#include "print.h"
#include "setup.h"

const char *const setup_default_softdeps[] = {
	"nouveau", "nvidia", "nvidiafb",
	"amdgpu", "radeon",
	"i915", "xe",
	"snd_hda_intel",
	"bochs",
	NULL,
};

bool setup_list_opt(int c, const char *arg, struct setup_list_args *a)
{
	if (c == 'i')
		a->ids = arg;
	else if (c == 'a')
		a->addrs = arg;
	else
		return false;
	return true;
}

int setup_parse_lists(const char *ids, const char *addrs, char **ids_out,
		      char **addrs_out)
{
	struct gpupt_addr av[CFG_MAX_LIST];
	struct pci_id iv[CFG_MAX_LIST];
	const char *bad;
	size_t n;
	int err;

	*ids_out = *addrs_out = NULL;
	if (!ids && !addrs)
		return usage_error("--ids or --addrs is required");
	if (ids) {
		err = idlist_parse(ids, iv, CFG_MAX_LIST, &n, &bad);
		if (err == -E2BIG)
			return usage_error("--ids: more than %d IDs", CFG_MAX_LIST);
		if (err)
			return usage_error("--ids: invalid ID at '%s' (expected VENDOR:DEVICE in hex, comma separated, e.g. 10de:2901,10de:22be)",
					   bad);
		*ids_out = idlist_format(iv, n);
	}
	if (addrs) {
		err = addrlist_parse(addrs, av, CFG_MAX_LIST, &n, &bad);
		if (err == -E2BIG) {
			free(*ids_out);
			return usage_error("--addrs: more than %d addresses", CFG_MAX_LIST);
		}
		if (err) {
			free(*ids_out);
			return usage_error("--addrs: invalid PCI address at '%s' (expected [DOMAIN:]BUS:SLOT.FN, comma separated)",
					   bad);
		}
		*addrs_out = addrlist_format(av, n);
	}
	if ((ids && !*ids_out) || (addrs && !*addrs_out)) {
		free(*ids_out);
		free(*addrs_out);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

const char *setup_iommu_param(void)
{
	const char *param = NULL;
	char line[256];
	FILE *f;

	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "vendor_id", 9))
			continue;
		if (strstr(line, "GenuineIntel"))
			param = "intel_iommu";
		else if (strstr(line, "AuthenticAMD") ||
			 strstr(line, "HygonGenuine"))
			param = "amd_iommu";
		break;
	}
	fclose(f);
	return param;
}

char *setup_cmdline_words(const char *ids, const char *addrs)
{
	const char *iommu = setup_iommu_param();
	char *s = NULL;

	if (asprintf(&s, "%s%s%siommu=pt%s%s%s%s",
		     iommu ? iommu : "", iommu ? "=on" : "", iommu ? " " : "",
		     ids ? " gpupt.ids=" : "", ids ? ids : "",
		     addrs ? " gpupt.addrs=" : "", addrs ? addrs : "") < 0)
		return NULL;
	return s;
}

int cmd_cmdline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ids", required_argument, NULL, 'i' },
		{ "addrs", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct setup_list_args la = { NULL, NULL };
	char *ids, *addrs, *words;
	const char *p;
	int c, ret;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1)
		if (!setup_list_opt(c, optarg, &la))
			return EXIT_USAGE;
	if (optind != argc)
		return usage_error("cmdline: unexpected argument '%s'", argv[optind]);
	ret = setup_parse_lists(la.ids, la.addrs, &ids, &addrs);
	if (ret)
		return ret;
	words = setup_cmdline_words(ids, addrs);
	free(ids);
	free(addrs);
	if (!words) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	if (!setup_iommu_param())
		errmsg("warning: unknown CPU vendor in /proc/cpuinfo: add intel_iommu=on or amd_iommu=on yourself");

	print_begin(gopts.json);
	open_json_array(NULL);
	for (p = words; *p;) {
		size_t n = strcspn(p, " ");
		char w[1024];

		snprintf(w, sizeof(w), "%.*s", (int)n, p);
		print_string(NULL, p == words ? "%s" : " %s", w);
		p += n;
		while (*p == ' ')
			p++;
	}
	print_text("\n");
	close_json_array();
	print_end();
	free(words);
	return EXIT_OK;
}
