// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl list / show.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devprint.h"
#include "devrec.h"
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
	struct nlconn *nl;
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
	ret = nlconn_connect(&nl);
	if (ret)
		goto out;
	err = devrec_dump(nl, &v, &n);
	if (err) {
		ret = nlconn_error(nl, err, "cannot list devices");
		nlconn_close(nl);
		goto out;
	}
	nlconn_close(nl);
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
	struct nlconn *nl;
	struct devrec r;
	char buf[GPUPT_ADDR_STRLEN];
	int c, err, ret;

	while ((c = cmd_getopt(argc, argv, "", longopts)) != -1)
		return EXIT_USAGE;
	if (argc - optind != 1)
		return usage_error("expected one address");
	if (addr_arg(argv[optind], &a))
		return EXIT_USAGE;
	addr_format(&a, buf);
	ret = nlconn_connect(&nl);
	if (ret)
		return ret;
	err = devrec_get(nl, &a, &r);
	if (err) {
		if (err == -ENODEV && !nlconn_extack(nl))
			errmsg("%s: no such PCI function", buf);
		else
			nlconn_error(nl, err, "%s", buf);
		nlconn_close(nl);
		return EXIT_FAIL;
	}
	nlconn_close(nl);
	print_dev_show(&r);
	print_end();
	devrec_free(&r);
	return EXIT_OK;
}
