// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl monitor: one line (or one JSON object) per gpupt event, until
 * interrupted or until the module goes away.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devrec.h"
#include "gptctl.h"
#include "nl.h"
#include "print.h"

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case GPUPT_CMD_EVT_CLAIM:	return "claim";
	case GPUPT_CMD_EVT_UNCLAIM:	return "unclaim";
	case GPUPT_CMD_EVT_HANDOFF:	return "handoff";
	case GPUPT_CMD_EVT_RECLAIM:	return "reclaim";
	case GPUPT_CMD_EVT_RELEASE:	return "release";
	case GPUPT_CMD_EVT_RESET:	return "reset";
	case GPUPT_CMD_EVT_REMOVE:	return "remove";
	case GPUPT_CMD_EVT_QUARANTINE:	return "quarantine";
	case GPUPT_CMD_EVT_ADD:		return "add";
	default:			return NULL;
	}
}

static const char *drv(bool has, const char *s)
{
	if (has && s[0])
		return s;
	return is_json() ? NULL : "none";
}

static int event_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	const char *name = event_name(cmd);
	char addr[GPUPT_ADDR_STRLEN];
	struct devrec r;
	bool has_dev = false;

	(void)arg;
	if (!name)
		return 0;	/* a newer module's event: skip it */
	if (tb[GPUPT_A_DEVICE] && !devrec_parse(tb[GPUPT_A_DEVICE], &r))
		has_dev = true;

	print_begin(gopts.json);
	open_json_object(NULL);
	print_string("event", "%-8s", name);
	if (has_dev) {
		addr_format(&r.addr, addr);
		print_string("address", " %s", addr);
	} else {
		print_null("address", " %s");
	}
	if (tb[GPUPT_A_GENERATION])
		print_uint("generation", NULL,
			   nla_get_u32(tb[GPUPT_A_GENERATION]));
	if (cmd == GPUPT_CMD_EVT_RESET) {
		const char *m = has_dev && r.has_reset_method ?
				reset_method_name(r.reset_method) : NULL;

		print_string("method", " %s", m);
		if (has_dev && r.has_duration_us)
			print_uint("duration_us", " %lluus", r.duration_us);
		else
			print_null("duration_us", " %s");
		print_uint("errno", NULL, has_dev ? r.err : 0);
		if (!is_json())
			print_text(" %s", has_dev && r.err ?
				   strerror((int)r.err) : "ok");
		print_string("message", has_dev && r.has_message ? " (%s)" : NULL,
			     has_dev && r.has_message ? r.message : NULL);
		print_string("failed_check", NULL,
			     has_dev && r.failed_check ?
			     check_name(r.failed_check) : NULL);
	} else if (cmd == GPUPT_CMD_EVT_QUARANTINE) {
		bool q = has_dev && devrec_quarantined(&r);

		print_bool("quarantined", NULL, q);
		print_text(" %s", q ? "quarantined" : "lifted");
		print_string("quarantine", q && r.has_quarantine ? " (%s)" : NULL,
			     q && r.has_quarantine ? r.quarantine : NULL);
	} else if (cmd == GPUPT_CMD_EVT_ADD) {
		print_string("to", " -> %s", has_dev ? drv(r.has_driver, r.driver) :
			     drv(false, ""));
	} else {
		print_string("from", " %s ->", has_dev ? drv(r.has_from, r.from) :
			     drv(false, ""));
		print_string("to", " %s", has_dev ? drv(r.has_to, r.to) :
			     drv(false, ""));
	}
	if (has_dev && r.has_iommu_group)
		print_uint("group", " group %llu", r.iommu_group);
	else if (tb[GPUPT_A_IOMMU_GROUP])
		print_uint("group", " group %llu",
			   nla_get_u32(tb[GPUPT_A_IOMMU_GROUP]));
	else
		print_null("group", NULL);
	print_text("\n");
	close_json_object();
	print_end();
	if (has_dev)
		devrec_free(&r);
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct nlconn *nl;
	int c, err;

	while ((c = cmd_getopt(argc, argv, "j", longopts)) != -1) {
		if (c != 'j')
			return EXIT_USAGE;
		gopts.json = true;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	err = nlconn_connect(&nl);
	if (err)
		return err;
	err = nlconn_events_subscribe(nl);
	if (err) {
		nlconn_close(nl);
		if (err == -ENOENT) {
			errmsg("gpupt module not loaded (modprobe gpupt)");
			return EXIT_NOMOD;
		}
		errmsg("cannot subscribe to gpupt events: %s", strerror(-err));
		return EXIT_FAIL;
	}
	for (;;) {
		err = nlconn_events_recv(nl, event_cb, NULL);
		if (!err)
			continue;
		if (err == -ESHUTDOWN) {
			errmsg("gpupt module unloaded, no more events");
			nlconn_close(nl);
			return EXIT_NOMOD;
		}
		if (err == -ENOMEM || err == -ENOBUFS) {
			/* receive queue overrun: say so, keep going */
			errmsg("warning: events were lost (receive buffer overrun)");
			continue;
		}
		if (err == -EINTR || err == -EAGAIN)
			continue;
		errmsg("receiving events: %s", strerror(-err));
		nlconn_close(nl);
		return EXIT_FAIL;
	}
}
