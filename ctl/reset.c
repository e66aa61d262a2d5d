// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl reset [ADDR...] [--method M] [--dry-run] [--force]
 *
 * One RESET request: the kernel plans, checks the blast radius, resets
 * independent buses concurrently and reports per device.  Without an
 * address it resets every idle device gpupt manages.
 *
 * JSON: an array of {"address", "method", "ok", "duration_ms",
 * "duration_us", "error"}; with --dry-run {"address", "method",
 * "affected": [{"address", "driver"}...], "blocker"}.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gptctl.h"
#include "nl.h"
#include "print.h"

struct reset_ctx {
	struct devrec *v;
	size_t n;
};

static int reset_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct reset_ctx *c = arg;
	struct devrec *v;
	size_t n;
	int err;

	if (cmd != GPUPT_CMD_RESET || !tb[GPUPT_A_DEVICES])
		return 0;
	err = devrec_parse_array(tb[GPUPT_A_DEVICES], &v, &n);
	if (err)
		return err;
	devrec_free_array(c->v, c->n);
	c->v = v;
	c->n = n;
	return 0;
}

static const char *method_str(const struct devrec *r)
{
	const char *s = r->has_reset_method ?
			reset_method_name(r->reset_method) : NULL;

	return s ? s : "?";
}

static void print_result(const struct devrec *r)
{
	char addr[GPUPT_ADDR_STRLEN];
	bool ok = r->has_errno && !r->err;
	uint64_t us = r->has_duration_us ? r->duration_us : 0;

	addr_format(&r->addr, addr);
	open_json_object(NULL);
	print_string("address", "%s  ", addr);
	print_string("method", "%-6s ", method_str(r));
	if (is_json()) {
		print_bool("ok", "%s", ok);
		print_uint("duration_ms", "%llu", (us + 500) / 1000);
		print_uint("duration_us", "%llu", us);
	} else {
		print_text("%-6s %5llu.%03llu ms", ok ? "ok" : "FAILED",
			   (unsigned long long)(us / 1000),
			   (unsigned long long)(us % 1000));
	}
	if (ok) {
		print_null("error", "%.0s");
	} else if (r->has_message) {
		print_string("error", "  %s", r->message);
	} else {
		print_string("error", "  %s",
			     strerror(r->has_errno ? (int)r->err : EIO));
	}
	print_text("\n");
	close_json_object();
}

static void print_plan(const struct devrec *r)
{
	char addr[GPUPT_ADDR_STRLEN];
	size_t i;

	addr_format(&r->addr, addr);
	open_json_object(NULL);
	print_string("address", "%s  ", addr);
	print_string("method", "%s\n", method_str(r));
	print_text("    blast radius:");
	open_json_array("affected");
	for (i = 0; i < r->n_affected; i++) {
		const struct devrec *a = &r->affected[i];

		addr_format(&a->addr, addr);
		open_json_object(NULL);
		print_string("address", " %s", addr);
		print_string("driver", " (%s)", a->has_driver ? a->driver :
			     is_json() ? NULL : "no driver");
		close_json_object();
	}
	close_json_array();
	print_text("\n");
	print_string("blocker", "    blocked by: %s\n",
		     r->has_blocker ? r->blocker : NULL);
	close_json_object();
}

int cmd_reset(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct gpupt_req req = { .cmd = GPUPT_CMD_RESET };
	struct reset_ctx ctx = { 0 };
	struct gpupt_addr *addrs = NULL;
	bool dry_run = false;
	struct gpupt_nl *nl;
	int c, m, i, err, ret = EXIT_OK;
	size_t k;

	while ((c = cmd_getopt(argc, argv, "m:nfj", longopts)) != -1) {
		switch (c) {
		case 'm':
			m = reset_method_parse(optarg);
			if (m < 0)
				return usage_error("unknown reset method '%s' (auto, flr, pm, bus, slot, af_flr, acpi, device_specific, cxl_bus)",
						   optarg);
			req.has_reset_method = true;
			req.reset_method = (uint8_t)m;
			break;
		case 'n':
			dry_run = true;
			req.flags |= GPUPT_F_DRY_RUN;
			break;
		case 'f':
			req.flags |= GPUPT_F_FORCE;
			break;
		case 'j':
			gopts.json = true;
			print_begin(true);
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc > optind) {
		addrs = calloc(argc - optind, sizeof(*addrs));
		if (!addrs) {
			errmsg("out of memory");
			return EXIT_FAIL;
		}
		for (i = optind; i < argc; i++) {
			if (addr_arg(argv[i], &addrs[i - optind])) {
				free(addrs);
				return EXIT_USAGE;
			}
		}
		req.addrs = addrs;
		req.n_addrs = argc - optind;
	}

	nl = gpupt_connect();
	err = gpupt_request(nl, &req, reset_cb, &ctx);

	open_json_array(NULL);
	for (k = 0; k < ctx.n; k++) {
		if (dry_run)
			print_plan(&ctx.v[k]);
		else
			print_result(&ctx.v[k]);
		if (!dry_run && (!ctx.v[k].has_errno || ctx.v[k].err))
			ret = EXIT_FAIL;
	}
	close_json_array();
	if (!is_json() && !ctx.n && !err)
		print_text("nothing to reset\n");
	print_end();

	if (err) {
		gpupt_error(nl, err, "reset");
		ret = EXIT_FAIL;
	}
	gpupt_close(nl);
	devrec_free_array(ctx.v, ctx.n);
	free(addrs);
	return ret;
}
