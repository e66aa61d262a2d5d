// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl export prometheus [--output FILE] [--root DIR]
 *
 * node_exporter textfile-collector metrics (text exposition format 0.0.4,
 * no timestamps), written atomically: a dot file in the target directory,
 * then rename(2), so the collector never reads half a file.  Default
 * output: /var/lib/prometheus/node-exporter/gpupt.prom (Debian's
 * --collector.textfile.directory); "-" writes to standard output.
 *
 *	gpupt_info{version}                      1
 *	gpupt_module_loaded                      0/1
 *	gpupt_iommu_enabled                      0/1
 *	gpupt_devices{state,driver}              functions by state and driver
 *	gpupt_claims_total                       \
 *	gpupt_handoffs_total                      | GPUPT_CMD_STATS_GET, since
 *	gpupt_handoff_failures_total              | the module was loaded (only
 *	gpupt_resets_total                        | when it is)
 *	gpupt_reset_failures_total               /
 *	gpupt_last_apply_timestamp_seconds       \ from /run/gpupt/last-apply,
 *	gpupt_last_apply_success                 / when apply has run
 *	gpupt_quarantined_devices                functions quarantined after a
 *	                                         failed post-reset check
 *	gpupt_device_quarantined{address,vendor,device,check}
 *	                                         1 per quarantined function
 *	                                         (both only from the module)
 *
 * state is one of held (gpupt), vfio (a vfio driver, idle), vfio_open (a
 * VM has it), host (another driver), unbound.  The functions counted are
 * the ones `gptctl list` shows (the module's DEV_GET dump); without the
 * module, or with --root, every display-class function and every function
 * on gpupt or a vfio driver, from sysfs.  --root DIR reads sysfs and the
 * last-apply record under DIR and does not ask the module.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "devrec.h"
#include "fleet.h"
#include "gptctl.h"
#include "nl.h"
#include "print.h"
#include "sysfile.h"

#define DEFAULT_PROM	"/var/lib/prometheus/node-exporter/gpupt.prom"

enum dev_state { S_HELD, S_VFIO, S_VFIO_OPEN, S_HOST, S_UNBOUND, S_MAX };

static const char *const state_names[S_MAX] = {
	"held", "vfio", "vfio_open", "host", "unbound",
};

struct bucket {
	enum dev_state state;
	char driver[64];
	unsigned int n;
};

struct quarantined {
	char address[GPUPT_ADDR_STRLEN];
	uint16_t vendor, device;
	const char *check;
};

struct tally {
	struct bucket *b;
	size_t n, cap;
	struct quarantined *q;		/* only from the module */
	size_t nq;
};

static int tally_add(struct tally *t, enum dev_state s, const char *driver)
{
	struct bucket *v;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->b[i].state == s && !strcmp(t->b[i].driver, driver)) {
			t->b[i].n++;
			return 0;
		}
	v = array_grow(t->b, &t->cap, t->n, sizeof(*v), 8);
	if (!v)
		return -ENOMEM;
	t->b = v;
	t->b[t->n].state = s;
	snprintf(t->b[t->n].driver, sizeof(t->b[t->n].driver), "%s", driver);
	t->b[t->n].n = 1;
	t->n++;
	return 0;
}

static int bucket_cmp(const void *a, const void *b)
{
	const struct bucket *x = a, *y = b;

	if (x->state != y->state)
		return (int)x->state - (int)y->state;
	return strcmp(x->driver, y->driver);
}

static enum dev_state state_of(bool has_driver, const char *driver, uint32_t st)
{
	if (!has_driver)
		return S_UNBOUND;
	if (!strcmp(driver, GPUPT_DRIVER_NAME))
		return S_HELD;
	if (driver_is_vfio(driver))
		return (st & GPUPT_DEV_S_OPEN) ? S_VFIO_OPEN : S_VFIO;
	return S_HOST;
}

/* Label values: escape backslash, double quote and newline. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void metric_head(FILE *f, const char *name, const char *type,
			const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

struct stats {
	bool have;
	uint64_t v[GPUPT_STATS_A_MAX + 1];
};

static int stats_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct stats *s = arg;
	struct nlattr *a;
	int rem;

	(void)cmd;
	if (!tb[GPUPT_A_STATS])
		return -EPROTO;
	nla_for_each_nested(a, tb[GPUPT_A_STATS], rem) {
		int t = nla_type(a);

		if (t > GPUPT_STATS_A_UNSPEC && t < GPUPT_STATS_A_PAD &&
		    nla_len(a) == sizeof(uint64_t))
			s->v[t] = nla_get_u64(a);
	}
	s->have = true;
	return 0;
}

/* Devices from the module: the DEV_GET dump, as `list` shows them. */
static int tally_module(struct nlconn *nl, struct tally *t)
{
	struct devrec *d;
	size_t n, i;
	int err = devrec_dump(nl, &d, &n);

	if (err)
		return err;
	t->q = n ? calloc(n, sizeof(*t->q)) : NULL;
	if (n && !t->q)
		err = -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		if (devrec_quarantined(&d[i])) {
			struct quarantined *q = &t->q[t->nq++];
			const char *c = check_name(d[i].quarantine_check);

			addr_format(&d[i].addr, q->address);
			q->vendor = d[i].vendor;
			q->device = d[i].device;
			q->check = c ? c : "unknown";
		}
		if (d[i].state & GPUPT_DEV_S_BRIDGE)
			continue;
		err = tally_add(t, state_of(d[i].has_driver, d[i].driver,
					    d[i].state),
				d[i].has_driver ? d[i].driver : "none");
	}
	devrec_free_array(d, n);
	return err;
}

static int tally_sysfs(const char *root, struct tally *t)
{
	struct fleet_dev *d;
	size_t n, i;
	int err = fleet_scan(root, &d, &n);

	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		enum dev_state s = state_of(d[i].has_driver, d[i].driver, 0);

		if (fleet_is_bridge(&d[i]) ||
		    (!fleet_is_display(&d[i]) && s != S_HELD && s != S_VFIO))
			continue;
		err = tally_add(t, s, d[i].has_driver ? d[i].driver : "none");
	}
	free(d);
	return err;
}

static void write_metrics(FILE *f, bool loaded, bool iommu,
			  const struct tally *t, const struct stats *st,
			  const struct fleet_last_apply *la)
{
	static const struct {
		int attr;
		const char *name, *help;
	} counters[] = {
		{ GPUPT_STATS_A_CLAIMS, "gpupt_claims_total",
		  "Functions bound to gpupt since the module was loaded." },
		{ GPUPT_STATS_A_HANDOFFS, "gpupt_handoffs_total",
		  "Handoff, reclaim and release transactions that succeeded since the module was loaded." },
		{ GPUPT_STATS_A_HANDOFF_FAILURES, "gpupt_handoff_failures_total",
		  "Handoff, reclaim and release transactions that were refused or rolled back since the module was loaded." },
		{ GPUPT_STATS_A_RESETS, "gpupt_resets_total",
		  "Device resets attempted since the module was loaded." },
		{ GPUPT_STATS_A_RESET_FAILURES, "gpupt_reset_failures_total",
		  "Device resets that failed since the module was loaded." },
	};
	size_t i;

	metric_head(f, "gpupt_info", "gauge", "gptctl version that wrote these metrics.");
	fprintf(f, "gpupt_info{version=\"");
	label_value(f, GPTCTL_VERSION);
	fprintf(f, "\"} 1\n");
	metric_head(f, "gpupt_module_loaded", "gauge",
		    "Whether the gpupt kernel module answered (1) or not (0).");
	fprintf(f, "gpupt_module_loaded %d\n", loaded);
	metric_head(f, "gpupt_iommu_enabled", "gauge",
		    "Whether an IOMMU is active (IOMMU groups exist).");
	fprintf(f, "gpupt_iommu_enabled %d\n", iommu);
	metric_head(f, "gpupt_devices", "gauge",
		    "PCI functions gpupt covers, by state and bound driver.");
	for (i = 0; i < t->n; i++) {
		fprintf(f, "gpupt_devices{driver=\"");
		label_value(f, t->b[i].driver);
		fprintf(f, "\",state=\"%s\"} %u\n", state_names[t->b[i].state],
			t->b[i].n);
	}
	if (st->have) {
		for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
			metric_head(f, counters[i].name, "counter", counters[i].help);
			fprintf(f, "%s %llu\n", counters[i].name,
				(unsigned long long)st->v[counters[i].attr]);
		}
		metric_head(f, "gpupt_quarantined_devices", "gauge",
			    "PCI functions quarantined after failing a post-reset check; handoff refuses them.");
		fprintf(f, "gpupt_quarantined_devices %zu\n", t->nq);
	}
	if (t->nq) {
		metric_head(f, "gpupt_device_quarantined", "gauge",
			    "1 for each quarantined PCI function, with the check it failed.");
		for (i = 0; i < t->nq; i++)
			fprintf(f, "gpupt_device_quarantined{address=\"%s\",check=\"%s\",device=\"%04x\",vendor=\"%04x\"} 1\n",
				t->q[i].address, t->q[i].check, t->q[i].device,
				t->q[i].vendor);
	}
	if (la) {
		metric_head(f, "gpupt_last_apply_timestamp_seconds", "gauge",
			    "When gptctl apply last ran, in seconds since the epoch.");
		fprintf(f, "gpupt_last_apply_timestamp_seconds %lld\n", la->time);
		metric_head(f, "gpupt_last_apply_success", "gauge",
			    "Whether the last gptctl apply left the host as configured (1) or not (0).");
		fprintf(f, "gpupt_last_apply_success %d\n", la->status == 0);
	}
}

static int export_prometheus(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "root", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct fleet_opts o;
	struct fleet_last_apply la;
	struct tally t = { 0 };
	struct stats st = { 0 };
	struct nlconn *nl = NULL;
	bool loaded = false, have_la;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err, ret = EXIT_FAIL;

	err = fleet_getopt(argc, argv, "o:r:", longopts, DEFAULT_PROM, &o, NULL,
			   NULL);
	if (err)
		return err;

	if (!o.root) {
		err = nlconn_open(&nl);
		if (err && err != -ENOENT) {
			errmsg("cannot open generic netlink: %s", strerror(-err));
			return EXIT_FAIL;
		}
		if (err)
			nl = NULL;
	}
	if (nl) {
		struct nlconn_req req = { .cmd = GPUPT_CMD_STATS_GET };

		err = nlconn_request(nl, &req, stats_cb, &st);
		if (err) {
			ret = nlconn_error(nl, err, "cannot read the module's counters");
			goto out;
		}
		loaded = true;
		err = tally_module(nl, &t);
		if (err) {
			ret = nlconn_error(nl, err, "cannot list devices");
			goto out;
		}
	} else {
		err = tally_sysfs(o.root, &t);
		if (err) {
			errmsg("cannot list PCI devices: %s", strerror(-err));
			goto out;
		}
	}
	if (t.n)
		qsort(t.b, t.n, sizeof(*t.b), bucket_cmp);
	have_la = !fleet_last_apply_read(o.root, &la);

	f = open_memstream(&buf, &len);
	if (!f) {
		errmsg("out of memory");
		goto out;
	}
	write_metrics(f, loaded, fleet_iommu_enabled(o.root), &t, &st,
		      have_la ? &la : NULL);
	if (fclose(f)) {
		errmsg("out of memory");
		goto out;
	}

	if (fleet_write_output(&o, buf, len))
		goto out;
	if (is_json()) {
		open_json_object(NULL);
		fleet_print_output(&o, NULL);
		print_bool("module_loaded", NULL, loaded);
		print_string("metrics", NULL, buf);
		close_json_object();
		print_end();
	} else if (!strcmp(o.output, "-")) {
		print_text("%s", buf);
	}
	ret = EXIT_OK;
out:
	free(buf);
	free(t.b);
	free(t.q);
	nlconn_close(nl);
	return ret;
}

int cmd_export(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-')
		return usage_error("expected a format (prometheus)");
	if (strcmp(argv[1], "prometheus"))
		return usage_error("unknown format '%s' (prometheus)", argv[1]);
	return export_prometheus(argc - 1, argv + 1);
}
