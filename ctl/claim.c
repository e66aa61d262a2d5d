// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl claim / unclaim.
 */
#include <errno.h>
#include <string.h>

#include "devprint.h"
#include "gptctl.h"
#include "nl.h"
#include "print.h"

static int record_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct devrec *r = arg;

	(void)cmd;
	if (!tb[GPUPT_A_DEVICE])
		return 0;
	devrec_free(r);
	return devrec_parse(tb[GPUPT_A_DEVICE], r) ? -EPROTO : 0;
}

static int claim_common(int argc, char **argv, uint8_t gcmd, bool allow_force)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct gpupt_req req = { .cmd = gcmd };
	char buf[GPUPT_ADDR_STRLEN];
	struct gpupt_addr a;
	struct gpupt_nl *nl;
	struct devrec r;
	int c, err;

	while ((c = cmd_getopt(argc, argv, allow_force ? "f" : "",
			       allow_force ? longopts : longopts + 1)) != -1) {
		if (c != 'f')
			return EXIT_USAGE;
		req.flags |= GPUPT_F_FORCE;
	}
	if (argc - optind != 1)
		return usage_error("expected one address");
	if (addr_arg(argv[optind], &a))
		return EXIT_USAGE;
	addr_format(&a, buf);
	req.addr = &a;
	memset(&r, 0, sizeof(r));
	nl = gpupt_connect();
	err = gpupt_request(nl, &req, record_cb, &r);
	if (err) {
		gpupt_error(nl, err, "%s %s", argv[0], buf);
		gpupt_close(nl);
		devrec_free(&r);
		return EXIT_FAIL;
	}
	gpupt_close(nl);
	if (is_json()) {
		print_dev_show(&r);
	} else {
		print_text("%s: %s\n", buf,
			   r.has_driver ? r.driver : "no driver bound");
	}
	print_end();
	devrec_free(&r);
	return EXIT_OK;
}

int cmd_claim(int argc, char **argv)
{
	return claim_common(argc, argv, GPUPT_CMD_CLAIM, true);
}

int cmd_unclaim(int argc, char **argv)
{
	return claim_common(argc, argv, GPUPT_CMD_UNCLAIM, false);
}
