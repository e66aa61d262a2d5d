// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl cmdline --ids LIST [--addrs LIST] [--why] [--no-pt]: print the
 * kernel command line words that enable the IOMMU and hold the listed
 * devices at boot (kparams.c chooses them; --why prints each word's reason,
 * source and whether the running kernel already behaves that way).  Also
 * the helpers setup.c shares (setup.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse.h"
#include "gptctl.h"
#include "kparams.h"
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

int cmd_cmdline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ids", required_argument, NULL, 'i' },
		{ "addrs", required_argument, NULL, 'a' },
		{ "why", no_argument, NULL, 'w' },
		{ "no-pt", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct setup_list_args la = { NULL, NULL };
	bool why = false, pt = true;
	struct kwords kw;
	char *ids, *addrs, *words;
	unsigned int i;
	int c, ret;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (c == 'w')
			why = true;
		else if (c == 'P')
			pt = false;
		else if (!setup_list_opt(c, optarg, &la))
			return EXIT_USAGE;
	}
	if (optind != argc)
		return usage_error("cmdline: unexpected argument '%s'", argv[optind]);
	ret = setup_parse_lists(la.ids, la.addrs, &ids, &addrs);
	if (ret)
		return ret;
	ret = kparams_words(ids, addrs, pt, &kw);
	free(ids);
	free(addrs);
	words = ret ? NULL : kwords_join(&kw);
	if (!words) {
		kwords_free(&kw);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	if (kw.note)
		errmsg("%s", kw.note);

	print_begin(gopts.json);
	if (why) {
		/* JSON: {"words": [{word, reason, source, already...}], ...} */
		open_json_object(NULL);
		print_string("cmdline", "%s\n\n", words);
		kwords_print(&kw, "words");
		close_json_object();
	} else {
		/* JSON: a plain array of the words. */
		open_json_array(NULL);
		for (i = 0; i < kw.n; i++)
			print_string(NULL, i ? " %s" : "%s", kw.w[i].word);
		print_text("\n");
		close_json_array();
	}
	print_end();
	free(words);
	kwords_free(&kw);
	return EXIT_OK;
}
