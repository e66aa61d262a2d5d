// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl list / show.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devprint.h"
#include "gptctl.h"
#include "nl.h"
#include "pcinames.h"
#include "print.h"

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "slot", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct dev_filter *f = filter_new();
	struct gpupt_nl *nl;
	struct devrec *v;
	size_t n, i, k;
	int c, err, ret = EXIT_USAGE;

	while ((c = cmd_getopt(argc, argv, "d:s:", longopts)) != -1) {
		switch (c) {
		case 'd':
			if (filter_set_id(f, optarg))
				goto out;
			break;
		case 's':
			if (filter_set_slot(f, optarg))
				goto out;
			break;
		default:
			goto out;
		}
	}
	if (optind < argc) {
		usage_error("unexpected argument '%s'", argv[optind]);
		goto out;
	}
	nl = gpupt_connect();
	err = gpupt_dev_dump(nl, &v, &n);
	if (err) {
		ret = gpupt_error(nl, err, "cannot list devices");
		gpupt_close(nl);
		goto out;
	}
	gpupt_close(nl);
	for (i = k = 0; i < n; i++) {
		if (filter_match(f, &v[i].addr, v[i].vendor, v[i].device,
				 v[i].class)) {
			if (k != i) {
				struct devrec t = v[k];

				v[k] = v[i];
				v[i] = t;
			}
			k++;
		}
	}
	print_dev_list(v, k);
	print_end();
	devrec_free_array(v, n);
	ret = EXIT_OK;
out:
	filter_free(f);
	return ret;
}

int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = { { NULL, 0, NULL, 0 } };
	struct gpupt_addr a;
	struct gpupt_nl *nl;
	struct devrec r;
	char buf[GPUPT_ADDR_STRLEN];
	int c, err;

	while ((c = cmd_getopt(argc, argv, "", longopts)) != -1)
		return EXIT_USAGE;
	if (argc - optind != 1)
		return usage_error("expected one address");
	if (addr_arg(argv[optind], &a))
		return EXIT_USAGE;
	addr_format(&a, buf);
	nl = gpupt_connect();
	err = gpupt_dev_get(nl, &a, &r);
	if (err) {
		if (err == -ENODEV && !gpupt_extack(nl))
			errmsg("%s: no such PCI function", buf);
		else
			gpupt_error(nl, err, "%s", buf);
		gpupt_close(nl);
		return EXIT_FAIL;
	}
	gpupt_close(nl);
	print_dev_show(&r);
	print_end();
	devrec_free(&r);
	return EXIT_OK;
}
