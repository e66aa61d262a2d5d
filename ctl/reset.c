// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl reset [ADDR...] [--method M] [--dry-run] [--force]
 * gptctl reset --clear-quarantine ADDR...
 *
 * One RESET request: the kernel plans, checks the blast radius, resets
 * independent buses concurrently, verifies every device, climbs the
 * escalation ladder for those that fail (unless --method names one
 * method) and reports per device.  Without an address it resets every
 * idle device gpupt manages.
 *
 * JSON: an array of {"address", "method", "ok", "duration_ms",
 * "duration_us", "error", "checks": {"present", "config", "link", "bars",
 * "command", "power"} (each "pass", "fail", "n/a" or "not_run"; null when
 * the device was not verified), "failed_check", "quarantined",
 * "quarantine", "rungs": [{"method", "ok", "skipped", "duration_us",
 * "error", "checks", "failed_check"}...]}; with --dry-run {"address",
 * "method", "affected": [{"address", "driver"}...], "blocker"}; with
 * --clear-quarantine {"address", "quarantined"}.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devrec.h"
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

/* "checks": {...} or null; in text "    checks: present pass, ..." */
static void print_checks(bool has, const uint8_t *checks, uint8_t failed,
			 const char *indent)
{
	unsigned int i;

	if (!has) {
		print_null("checks", "%.0s");
		print_null("failed_check", "%.0s");
		return;
	}
	print_text("%schecks:", indent);
	open_json_object("checks");
	for (i = 1; i <= GPUPT_CHECK_MAX; i++) {
		const char *res = check_result_name(checks[i]);

		print_text("%s %s ", i > 1 ? "," : "", check_name(i));
		print_string(check_name(i), "%s", res ? res : "unknown");
	}
	close_json_object();
	print_text("\n");
	print_string("failed_check", NULL, failed ? check_name(failed) : NULL);
}

static void print_error(bool ok, bool has_msg, const char *msg, uint32_t err)
{
	if (ok)
		print_null("error", "%.0s");
	else if (has_msg)
		print_string("error", "  %s", msg);
	else
		print_string("error", "  %s", strerror(err ? (int)err : EIO));
}

static void print_rungs(const struct devrec *r)
{
	size_t i;

	open_json_array("rungs");
	for (i = 0; i < r->n_rungs; i++) {
		const struct devrung *g = &r->rungs[i];
		const char *m = reset_method_name(g->method);
		bool skipped = g->err && !g->has_checks;

		open_json_object(NULL);
		print_text("    rung %zu: ", i + 1);
		print_string("method", "%-7s", m ? m : "?");
		print_bool("ok", NULL, !g->err);
		print_bool("skipped", NULL, skipped);
		print_text("%-7s %5llu.%03llu ms", !g->err ? "ok" :
			   skipped ? "skipped" : "FAILED",
			   (unsigned long long)(g->duration_us / 1000),
			   (unsigned long long)(g->duration_us % 1000));
		print_uint("duration_us", NULL, g->duration_us);
		print_error(!g->err, g->has_message, g->message, g->err);
		print_text("\n");
		if (g->has_checks)
			print_checks(true, g->checks, g->failed_check,
				     "            ");
		else if (is_json())
			print_checks(false, NULL, 0, "");
		close_json_object();
	}
	close_json_array();
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
	print_error(ok, r->has_message, r->message,
		    r->has_errno ? r->err : EIO);
	print_text("\n");
	print_checks(r->has_checks, r->checks, r->failed_check, "    ");
	print_bool("quarantined", NULL, devrec_quarantined(r));
	print_string("quarantine", r->has_quarantine ?
		     "    quarantined: %s\n" : NULL,
		     r->has_quarantine ? r->quarantine : NULL);
	if (is_json() || r->n_rungs > 1)
		print_rungs(r);
	close_json_object();
}

static void print_cleared(const struct devrec *r)
{
	char addr[GPUPT_ADDR_STRLEN];

	addr_format(&r->addr, addr);
	open_json_object(NULL);
	print_string("address", "%s  ", addr);
	print_bool("quarantined", NULL, devrec_quarantined(r));
	print_text("%s\n", devrec_quarantined(r) ? "still quarantined" :
		   "not quarantined");
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
		{ "clear-quarantine", no_argument, NULL, 'Q' },
		{ NULL, 0, NULL, 0 }
	};
	struct nlconn_req req = { .cmd = GPUPT_CMD_RESET };
	struct reset_ctx ctx = { 0 };
	struct gpupt_addr *addrs = NULL;
	bool dry_run = false, clear = false;
	struct nlconn *nl;
	int c, m, i, err, ret = EXIT_OK;
	size_t k;

	while ((c = cmd_getopt(argc, argv, "m:nfj", longopts)) != -1) {
		switch (c) {
		case 'm':
			m = reset_method_parse(optarg);
			if (m < 0)
				return usage_error("unknown reset method '%s' (auto, flr, pm, bus, slot, af_flr, acpi, device_specific, cxl_bus, rescan, d3cold)",
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
		case 'Q':
			clear = true;
			req.flags |= GPUPT_F_CLEAR_QUARANTINE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (clear && (argc == optind || dry_run || req.has_reset_method ||
		      (req.flags & GPUPT_F_FORCE)))
		return usage_error("--clear-quarantine takes addresses and no other option");
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

	ret = nlconn_connect(&nl);
	if (ret) {
		free(addrs);
		return ret;
	}
	err = nlconn_request(nl, &req, reset_cb, &ctx);

	open_json_array(NULL);
	for (k = 0; k < ctx.n; k++) {
		if (clear)
			print_cleared(&ctx.v[k]);
		else if (dry_run)
			print_plan(&ctx.v[k]);
		else
			print_result(&ctx.v[k]);
		if (!dry_run && !clear &&
		    (!ctx.v[k].has_errno || ctx.v[k].err))
			ret = EXIT_FAIL;
	}
	close_json_array();
	if (!is_json() && !ctx.n && !err)
		print_text("nothing to reset\n");
	print_end();

	if (err) {
		nlconn_error(nl, err, "reset");
		ret = EXIT_FAIL;
	}
	nlconn_close(nl);
	devrec_free_array(ctx.v, ctx.n);
	free(addrs);
	return ret;
}
