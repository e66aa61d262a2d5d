// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl apply [--config FILE] [--dry-run]
 *
 * Converge the host to /etc/gpupt/devices.conf (devconf.h) with the
 * kernel's transactions: HANDOFF to a vfio driver, RECLAIM or CLAIM to
 * gpupt, RELEASE to the host.  One request per IOMMU group (or per
 * function with `single`), so one group's failure leaves the others
 * converged.  Idempotent: a function already where its rule wants it is
 * not touched.  A function whose vfio device is open (a VM is running) is
 * never touched; the holders are named on stderr.  A function on a host
 * driver moves only when its rule says `force`.
 *
 * A `sriov` line is applied first: the PF gets its VF count (with
 * gpupt holding every new VF, as `gptctl sriov` does); then its VFs are
 * ruled items like any other, each moved alone.  An EBUSY (a VF is open
 * in a VM) leaves the count as it is and reports in_use.
 *
 * After the changes every ruled function is read back from the kernel;
 * any that does not match its rule makes the exit status 1.  A
 * configuration with errors changes nothing (exit 2).  A file without
 * rules (the packaged /etc/gpupt/devices.conf) has nothing to converge: it
 * succeeds whether the module is loaded or not.  Every run that is
 * not --dry-run records "TIME STATUS" in /run/gpupt/last-apply for
 * `gptctl export prometheus`.
 *
 * Output, one entry per ruled function (JSON keys):
 *	address, rule ("id 10de:2330"), line, target, before, after (driver
 *	or null), action (none, handoff, reclaim, release, claim), status
 *	(ok, changed, planned, in_use, blocked, failed), reason (or null)
 * and, before them, one per sriov line ("sriov" array): address, rule,
 * line, numvfs (wanted), numvfs_before, numvfs_after (null on a dry run
 * or when unreadable), status, reason.
 *
 * Then the reset and power policy (policy.h) of every function a line
 * names, written to sysfs where it differs ("policies" in JSON):
 *	address, reset (order or null), reset_from ("devices.conf:N",
 *	"table", "default"), d3cold (bool or null), d3cold_from,
 *	reset_on_handoff, reset_on_handoff_from, status (ok, changed,
 *	planned, failed), reason (or null)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devconf.h"
#include "devrec.h"
#include "fleet.h"
#include "gptctl.h"
#include "moves.h"
#include "holders.h"
#include "nl.h"
#include "policy.h"
#include "print.h"
#include "sriov.h"
#include "sysfile.h"

enum item_status {
	ST_OK,		/* matched before, nothing done */
	ST_CHANGED,	/* moved and now matches */
	ST_PLANNED,	/* dry run: would move */
	ST_IN_USE,	/* vfio device open: not touched */
	ST_BLOCKED,	/* needs `force`, conflicts, ...: not touched */
	ST_FAILED,	/* the kernel refused, or still not matching */
};

static const char *const status_names[] = {
	[ST_OK] = "ok", [ST_CHANGED] = "changed", [ST_PLANNED] = "planned",
	[ST_IN_USE] = "in_use", [ST_BLOCKED] = "blocked", [ST_FAILED] = "failed",
};

struct item {
	const struct devconf_rule *rule;
	struct devrec before, after;
	bool has_after;
	uint8_t cmd;		/* 0: nothing to do */
	uint32_t flags;		/* GPUPT_F_* */
	bool lead;		/* sends the request for its group */
	enum item_status status;
	char reason[512];
};

struct apply_ctx {
	struct item *v;
	size_t n;
	bool dry_run;
};

/* One sriov line. */
struct sriov_item {
	const struct devconf_rule *rule;
	struct sriov_pf st;		/* before */
	bool has_before, has_after;
	unsigned int after;
	enum item_status status;
	char reason[256];
};

/*
 * At boot the PF's own driver (i915, amdgpu, nvme: loaded by udev, often
 * probing asynchronously) may not have bound yet when apply runs: wait
 * for a driver, up to SRIOV_DRIVER_WAIT_MS, before asking it for VFs.
 */
#define SRIOV_DRIVER_WAIT_MS	30000

static void wait_for_driver(const struct gpupt_addr *pf)
{
	struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
	char drv[64], a[GPUPT_ADDR_STRLEN];
	int ms;

	for (ms = 0; ms < SRIOV_DRIVER_WAIT_MS; ms += 100) {
		if (!pci_driver(NULL, pf, drv, sizeof(drv)))
			break;
		nanosleep(&ts, NULL);
	}
	if (ms) {
		addr_format(pf, a);
		errmsg("%s: waited %d ms for a driver to bind it", a, ms);
	}
}

/* Give the PF of @s its VF count (or plan it). */
static void sriov_converge(struct nlconn *nl, struct sriov_item *s,
			   bool dry_run, const char *path)
{
	const struct devconf_rule *r = s->rule;
	enum sriov_target t = r->target == DEVCONF_T_VFIO ? SRIOV_T_VFIO :
			      r->target == DEVCONF_T_GPUPT ? SRIOV_T_GPUPT :
			      SRIOV_T_HOST;
	char what[PATH_MAX + 16];
	uint64_t v;
	int err;

	snprintf(what, sizeof(what), "%s:%u", path, r->line);
	if (sriov_check_pf(&r->addr, r->numvfs, what, &s->st)) {
		s->status = ST_FAILED;
		snprintf(s->reason, sizeof(s->reason),
			 "not a PF that can have %u VFs (see above)", r->numvfs);
		return;
	}
	s->has_before = true;
	if (s->st.num_vfs == r->numvfs) {
		s->status = ST_OK;
	} else if (dry_run) {
		s->status = ST_PLANNED;
	} else {
		wait_for_driver(&r->addr);
		err = sriov_set(nl, &r->addr, r->numvfs, t,
				r->flags & DEVCONF_F_FORCE);
		s->status = !err ? ST_CHANGED : err == -EBUSY ? ST_IN_USE :
			    ST_FAILED;
		if (err)
			snprintf(s->reason, sizeof(s->reason), "%s%s%s",
				 strerror(-err), nlconn_extack(nl) ? ": " : "",
				 nlconn_extack(nl) ? nlconn_extack(nl) : "");
	}
	/* released VFs may only find their host driver with autoprobe on */
	if (!dry_run && t == SRIOV_T_HOST && r->numvfs)
		sriov_autoprobe(&r->addr, true);
	if (!dry_run && !pci_attr_u64(NULL, &r->addr, "sriov_numvfs", &v)) {
		s->has_after = true;
		s->after = (unsigned int)v;
		if (s->after != r->numvfs && s->status != ST_IN_USE &&
		    s->status != ST_FAILED) {
			s->status = ST_FAILED;
			snprintf(s->reason, sizeof(s->reason),
				 "%u VFs afterwards", s->after);
		}
	}
}

static void print_sriov_item(const struct sriov_item *s)
{
	char a[GPUPT_ADDR_STRLEN], sel[96];

	addr_format(&s->rule->addr, a);
	devconf_sel_format(s->rule, sel, sizeof(sel));
	open_json_object(NULL);
	print_string("address", "%s  ", a);
	print_string("rule", NULL, sel);
	print_uint("line", "line %-3llu ", s->rule->line);
	print_uint("numvfs", "numvfs %-4llu ", s->rule->numvfs);
	if (s->has_before)
		print_uint("numvfs_before", "%llu", s->st.num_vfs);
	else
		print_null("numvfs_before", "%s");
	if (s->has_after)
		print_uint("numvfs_after", " -> %-14llu ", s->after);
	else
		print_null("numvfs_after", " -> %-14s ");
	print_string("status", "%s", status_names[s->status]);
	print_string("reason", s->reason[0] ? ": %s" : "%.0s",
		     s->reason[0] ? s->reason : NULL);
	print_text("\n");
	close_json_object();
}

static const char *cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case GPUPT_CMD_HANDOFF:
		return "handoff";
	case GPUPT_CMD_RECLAIM:
		return "reclaim";
	case GPUPT_CMD_RELEASE:
		return "release";
	case GPUPT_CMD_CLAIM:
		return "claim";
	default:
		return "none";
	}
}

static bool is_gpupt(const struct devrec *r)
{
	return r->has_driver && !strcmp(r->driver, GPUPT_DRIVER_NAME);
}

static bool is_vfio(const struct devrec *r)
{
	return r->has_driver && driver_is_vfio(r->driver);
}

/* Does the function's driver satisfy the rule? */
static bool matches(const struct devconf_rule *rule, const struct devrec *r)
{
	switch (rule->target) {
	case DEVCONF_T_VFIO:
		return r->has_driver && !strcmp(r->driver, rule->driver);
	case DEVCONF_T_GPUPT:
		return is_gpupt(r);
	default:
		return !is_gpupt(r) && !is_vfio(r);
	}
}

/* Decide what one function needs (before groups are considered). */
static void plan_item(struct item *it)
{
	const struct devconf_rule *rule = it->rule;
	const struct devrec *r = &it->before;
	bool host = r->has_driver && !is_gpupt(r) && !is_vfio(r);
	bool force = rule->flags & DEVCONF_F_FORCE;

	it->cmd = 0;
	if (matches(rule, r)) {
		it->status = ST_OK;
		return;
	}
	if (r->state & GPUPT_DEV_S_OPEN) {
		it->status = ST_IN_USE;
		snprintf(it->reason, sizeof(it->reason),
			 "in use: its vfio device is open (a VM is running)");
		return;
	}
	if (host && !force) {
		it->status = ST_BLOCKED;
		snprintf(it->reason, sizeof(it->reason),
			 "bound to the host driver %s; add 'force' to line %u to take it",
			 r->driver, rule->line);
		return;
	}
	switch (rule->target) {
	case DEVCONF_T_VFIO:
		it->cmd = GPUPT_CMD_HANDOFF;
		break;
	case DEVCONF_T_GPUPT:
		it->cmd = is_vfio(r) ? GPUPT_CMD_RECLAIM : GPUPT_CMD_CLAIM;
		break;
	default:
		it->cmd = GPUPT_CMD_RELEASE;	/* from gpupt or vfio */
		break;
	}
	it->flags = 0;
	if (force)	/* also lets the group's members leave host drivers */
		it->flags |= GPUPT_F_FORCE;
	if (rule->flags & DEVCONF_F_SINGLE)
		it->flags |= GPUPT_F_SINGLE;
	it->status = ST_PLANNED;
}

static bool same_target(const struct devconf_rule *a, const struct devconf_rule *b)
{
	return a->target == b->target &&
	       (a->target != DEVCONF_T_VFIO || !strcmp(a->driver, b->driver));
}

/*
 * A group transaction moves every function of the IOMMU group: all ruled
 * functions of that group must want the same target, and one request per
 * group is enough (the lead).  CLAIM and `single` work per function.
 */
static void plan_groups(struct apply_ctx *c)
{
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		struct item *it = &c->v[i];
		bool group_op = it->cmd && it->cmd != GPUPT_CMD_CLAIM &&
				!(it->flags & GPUPT_F_SINGLE) &&
				it->before.has_iommu_group;

		if (it->status != ST_PLANNED)
			continue;
		it->lead = true;
		if (!group_op)
			continue;
		for (j = 0; j < c->n; j++) {
			struct item *o = &c->v[j];
			char a[GPUPT_ADDR_STRLEN];

			if (j == i || !o->before.has_iommu_group ||
			    o->before.iommu_group != it->before.iommu_group)
				continue;
			/* the transaction would move o too */
			if (!same_target(o->rule, it->rule)) {
				addr_format(&o->before.addr, a);
				it->status = ST_BLOCKED;
				it->lead = false;
				snprintf(it->reason, sizeof(it->reason),
					 "IOMMU group %u also holds %s, which line %u sends to %s; use 'single' on both lines or make them agree",
					 it->before.iommu_group, a, o->rule->line,
					 devconf_target_name(o->rule));
				break;
			}
			if (o->status == ST_IN_USE) {
				addr_format(&o->before.addr, a);
				it->status = ST_IN_USE;
				it->lead = false;
				snprintf(it->reason, sizeof(it->reason),
					 "in use: %s of its IOMMU group %u is open",
					 a, it->before.iommu_group);
				break;
			}
			/* an earlier function of the group sends the request */
			if (j < i && o->status == ST_PLANNED && o->lead &&
			    o->cmd == it->cmd && o->flags == it->flags)
				it->lead = false;
		}
	}
}

struct dry_ctx {
	struct apply_ctx *c;
	struct item *lead;
};

/*
 * Dry-run replies: copy blockers onto our items; a blocker on a group
 * member no rule names blocks the lead's transaction.
 */
static int dry_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct dry_ctx *x = arg;
	struct apply_ctx *c = x->c;
	struct devrec *d = NULL;
	size_t n = 0, i, j;
	int err;

	(void)cmd;
	if (!tb[GPUPT_A_DEVICES])
		return 0;
	err = devrec_parse_array(tb[GPUPT_A_DEVICES], &d, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (!d[i].has_blocker)
			continue;
		for (j = 0; j < c->n; j++) {
			struct item *it = &c->v[j];

			if (!addr_equal(&it->before.addr, &d[i].addr))
				continue;
			if (it->status == ST_PLANNED) {
				it->status = ST_BLOCKED;
				snprintf(it->reason, sizeof(it->reason),
					 "the kernel would refuse: %.256s", d[i].blocker);
			}
			break;
		}
		if (j == c->n && x->lead->status == ST_PLANNED) {
			char a[GPUPT_ADDR_STRLEN];

			addr_format(&d[i].addr, a);
			x->lead->status = ST_BLOCKED;
			snprintf(x->lead->reason, sizeof(x->lead->reason),
				 "the kernel would refuse: %s of its IOMMU group is %.200s",
				 a, d[i].blocker);
		}
	}
	devrec_free_array(d, n);
	return 0;
}

/* Mark every planned item of the lead's transaction failed. */
static void fail_group(struct apply_ctx *c, const struct item *lead,
		       const char *why)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct item *it = &c->v[i];

		if (it->status != ST_PLANNED || it->cmd != lead->cmd)
			continue;
		if (it != lead &&
		    (lead->flags & GPUPT_F_SINGLE || it->flags & GPUPT_F_SINGLE ||
		     !it->before.has_iommu_group || !lead->before.has_iommu_group ||
		     it->before.iommu_group != lead->before.iommu_group))
			continue;
		it->status = ST_FAILED;
		snprintf(it->reason, sizeof(it->reason), "%s", why);
	}
}

static void run_lead(struct nlconn *nl, struct apply_ctx *c, struct item *it)
{
	struct nlconn_req req = {
		.cmd = it->cmd,
		.addr = &it->before.addr,
		.flags = it->flags,
	};
	char a[GPUPT_ADDR_STRLEN], why[400];
	int err;

	addr_format(&it->before.addr, a);
	if (it->cmd == GPUPT_CMD_HANDOFF)
		req.driver = it->rule->driver;
	if (c->dry_run) {
		struct dry_ctx x = { .c = c, .lead = it };

		if (it->cmd == GPUPT_CMD_CLAIM)
			return;		/* CLAIM has no dry run: plan only */
		req.flags |= GPUPT_F_DRY_RUN;
		err = nlconn_request(nl, &req, dry_cb, &x);
	} else {
		snprintf(why, sizeof(why), "line %u", it->rule->line);
		err = req.cmd == GPUPT_CMD_HANDOFF ?
		      handoff_refuse_holders(nl, &req, why) : 0;
		if (err == -EBUSY) {
			snprintf(why, sizeof(why),
				 "held on the host (the lines above): nothing moved");
			fail_group(c, it, why);
			return;
		}
		if (!err)
			err = nlconn_request(nl, &req, NULL, NULL);
	}
	if (!err)
		return;
	nlconn_error(nl, err, "line %u: %s %s%s%s", it->rule->line,
		     cmd_name(it->cmd), a, req.driver ? " to " : "",
		     req.driver ? req.driver : "");
	if (nlconn_extack(nl))
		snprintf(why, sizeof(why), "%s: %.300s", strerror(-err),
			 nlconn_extack(nl));
	else
		snprintf(why, sizeof(why), "%s", strerror(-err));
	if (err == -EBUSY)
		report_vfio_holders(&it->before.addr);
	fail_group(c, it, why);
}

static void print_item(const struct item *it)
{
	char a[GPUPT_ADDR_STRLEN], sel[96];
	const struct devrec *after = it->has_after ? &it->after : &it->before;

	addr_format(&it->before.addr, a);
	devconf_sel_format(it->rule, sel, sizeof(sel));
	open_json_object(NULL);
	print_string("address", "%s  ", a);
	print_string("rule", NULL, sel);
	print_uint("line", "line %-3llu ", it->rule->line);
	print_string("target", "%-10s ", devconf_target_name(it->rule));
	if (is_json()) {
		print_string("before", NULL, it->before.has_driver ?
			     it->before.driver : NULL);
		print_string("after", NULL, after->has_driver ? after->driver : NULL);
	} else if (it->status == ST_OK) {
		print_text("%-24s ", it->before.has_driver ? it->before.driver : "none");
	} else {
		char buf[160];

		snprintf(buf, sizeof(buf), "%s -> %s",
			 it->before.has_driver ? it->before.driver : "none",
			 it->status == ST_PLANNED ? devconf_target_name(it->rule) :
			 after->has_driver ? after->driver : "none");
		print_text("%-24s ", buf);
	}
	print_string("action", NULL, cmd_name(it->status == ST_OK ? 0 : it->cmd));
	print_string("status", "%s", status_names[it->status]);
	print_string("reason", it->reason[0] ? ": %s" : "%.0s",
		     it->reason[0] ? it->reason : NULL);
	print_text("\n");
	close_json_object();
}

/*
 * The reset/power policy of every function a line names.  Returns the
 * number that failed.
 */
static size_t apply_policies(const struct devconf *conf,
			     const struct fleet_dev *devs, size_t ndev,
			     bool dry_run)
{
	size_t i, failed = 0;
	char a[GPUPT_ADDR_STRLEN], why[320], d3[32];

	open_json_array("policies");
	for (i = 0; i < ndev; i++) {
		struct policy p;
		const char *st = "ok";
		bool changed = false;

		if (fleet_is_bridge(&devs[i]))
			continue;
		policy_for(conf, &devs[i].addr, devs[i].vendor, devs[i].device,
			   devs[i].class, devs[i].pslot, &p);
		if (!p.ruled || (!p.has_reset && !p.has_d3cold &&
				 !strcmp(p.handoff_src, "default")))
			continue;
		why[0] = '\0';
		if (dry_run) {
			st = "planned";
		} else if (policy_apply(&devs[i].addr, &p, &changed, why,
					sizeof(why))) {
			st = "failed";
			failed++;
			errmsg("%s", why);
		} else if (changed) {
			st = "changed";
		}
		addr_format(&devs[i].addr, a);
		snprintf(d3, sizeof(d3), "d3cold=%s", p.d3cold ? "on" : "off");
		open_json_object(NULL);
		print_string("address", "%s  policy ", a);
		print_string("reset", p.has_reset ? "reset=%s " : NULL,
			     p.has_reset ? p.reset : NULL);
		print_string("reset_from", p.has_reset ? "(%s) " : NULL,
			     p.reset_src);
		if (p.has_d3cold)
			print_bool("d3cold", NULL, p.d3cold);
		else
			print_null("d3cold", NULL);
		print_text("%s", p.has_d3cold ? d3 : "");
		print_string("d3cold_from", p.has_d3cold ? " (%s) " : NULL,
			     p.d3cold_src);
		print_bool("reset_on_handoff", p.handoff_reset ?
			   "reset-on-handoff " : NULL, p.handoff_reset);
		print_string("reset_on_handoff_from", p.handoff_reset ?
			     "(%s) " : NULL, p.handoff_src);
		print_string("status", " %s", st);
		print_string("reason", why[0] ? ": %s" : NULL,
			     why[0] ? why : NULL);
		print_text("\n");
		close_json_object();
	}
	close_json_array();
	return failed;
}

static void bad_line(unsigned int line, const char *msg, void *arg)
{
	errmsg("%s:%u: %s", (const char *)arg, line, msg);
}

static void record(bool dry_run, int status)
{
	struct fleet_last_apply la = { .time = (long long)time(NULL),
				       .status = status };
	int err;

	if (dry_run)
		return;
	err = fleet_last_apply_write(&la);
	if (err)
		errmsg("warning: cannot record the run in %s: %s",
		       FLEET_LAST_APPLY, strerror(-err));
}

int cmd_apply(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = DEVCONF_PATH;
	struct apply_ctx c = { 0 };
	struct devconf conf = { 0 };
	struct fleet_dev *devs = NULL;
	struct nlconn *nl = NULL;
	struct sriov_item *sv = NULL;
	size_t nsv = 0;
	size_t ndev = 0, i, j, counts[ST_FAILED + 1] = { 0 }, pfail;
	uint8_t *text = NULL;
	size_t len;
	int opt, err, ret = EXIT_FAIL, bad;

	while ((opt = cmd_getopt(argc, argv, "c:n", longopts)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			c.dry_run = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	err = file_read_all(path, 1 << 20, &text, &len);
	if (err) {
		errmsg("cannot read %s: %s", path, strerror(-err));
		record(c.dry_run, EXIT_FAIL);
		return EXIT_FAIL;
	}
	bad = devconf_parse((const char *)text, &conf, bad_line, (void *)path);
	free(text);
	if (bad) {
		if (bad < 0)
			errmsg("%s: %s", path, strerror(-bad));
		else
			errmsg("%s: %d bad line%s: nothing changed", path, bad,
			       bad == 1 ? "" : "s");
		devconf_free(&conf);
		record(c.dry_run, EXIT_USAGE);
		return EXIT_USAGE;
	}

	err = nlconn_open(&nl);
	if (err == -ENOENT && !conf.n) {
		/* No rules (the file as packaged): nothing to converge, so
		 * nothing needs the module either. */
		nl = NULL;
	} else if (err) {
		if (err == -ENOENT) {
			errmsg("gpupt module not loaded (modprobe gpupt)");
			ret = EXIT_NOMOD;
		} else {
			errmsg("cannot open generic netlink: %s", strerror(-err));
		}
		nl = NULL;
		goto out;
	}
	/* sriov lines first: their VFs are ruled below */
	sv = calloc(conf.n ? conf.n : 1, sizeof(*sv));
	if (!sv) {
		errmsg("out of memory");
		goto out;
	}
	for (j = 0; j < conf.n; j++) {
		if (conf.rules[j].sel != DEVCONF_SEL_SRIOV)
			continue;
		sv[nsv].rule = &conf.rules[j];
		sriov_converge(nl, &sv[nsv++], c.dry_run, path);
	}
	err = fleet_scan(NULL, &devs, &ndev);
	if (err) {
		errmsg("cannot list PCI devices: %s", strerror(-err));
		goto out;
	}

	c.v = calloc(ndev ? ndev : 1, sizeof(*c.v));
	if (!c.v) {
		errmsg("out of memory");
		goto out;
	}
	for (i = 0; i < ndev; i++) {
		const struct devconf_rule *rule;
		struct item *it = &c.v[c.n];
		char a[GPUPT_ADDR_STRLEN];

		if (fleet_is_bridge(&devs[i]))
			continue;
		rule = devconf_match(&conf, &devs[i].addr, devs[i].vendor,
				     devs[i].device, devs[i].pslot);
		/* a VF: its PF's sriov line, unless an addr rule names it */
		if (devs[i].is_vf && (!rule || rule->sel != DEVCONF_SEL_ADDR) &&
		    devconf_sriov_rule(&conf, &devs[i].physfn))
			rule = devconf_sriov_rule(&conf, &devs[i].physfn);
		if (!rule)
			continue;
		it->rule = rule;
		err = devrec_get(nl, &devs[i].addr, &it->before);
		if (err == -ENODEV)
			continue;	/* removed meanwhile */
		if (err) {
			addr_format(&devs[i].addr, a);
			nlconn_error(nl, err, "cannot read %s", a);
			goto out;
		}
		c.n++;
		plan_item(it);
	}
	/* Rules that name something absent: say so, it is not an error. */
	for (j = 0; j < conf.n; j++) {
		char sel[96];

		for (i = 0; i < c.n; i++)
			if (c.v[i].rule == &conf.rules[j])
				break;
		if (i < c.n || conf.rules[j].sel == DEVCONF_SEL_ID ||
		    conf.rules[j].sel == DEVCONF_SEL_SRIOV ||

		    conf.rules[j].target == DEVCONF_T_NONE)
			continue;
		devconf_sel_format(&conf.rules[j], sel, sizeof(sel));
		errmsg("%s:%u: %s: no such device here (or another rule wins)",
		       path, conf.rules[j].line, sel);
	}

	plan_groups(&c);
	for (i = 0; i < c.n; i++)
		if (c.v[i].status == ST_PLANNED && c.v[i].lead)
			run_lead(nl, &c, &c.v[i]);

	for (i = 0; i < c.n; i++) {
		struct item *it = &c.v[i];
		char a[GPUPT_ADDR_STRLEN];

		addr_format(&it->before.addr, a);
		if (it->status == ST_IN_USE)
			report_vfio_holders(&it->before.addr);
		if (c.dry_run)
			continue;
		err = devrec_get(nl, &it->before.addr, &it->after);
		if (err) {
			it->status = ST_FAILED;
			snprintf(it->reason, sizeof(it->reason),
				 "cannot read it back: %s", strerror(-err));
			continue;
		}
		it->has_after = true;
		if (it->status == ST_PLANNED)
			it->status = ST_CHANGED;
		if (!matches(it->rule, &it->after) &&
		    (it->status == ST_CHANGED || it->status == ST_OK)) {
			it->status = ST_FAILED;
			snprintf(it->reason, sizeof(it->reason),
				 "on %s afterwards, not %s",
				 it->after.has_driver ? it->after.driver : "no driver",
				 devconf_target_name(it->rule));
		}
	}

	open_json_object(NULL);
	print_string("config", NULL, path);
	print_bool("dry_run", NULL, c.dry_run);
	open_json_array("sriov");
	for (i = 0; i < nsv; i++) {
		print_sriov_item(&sv[i]);
		counts[sv[i].status]++;
	}
	close_json_array();
	open_json_array("devices");
	for (i = 0; i < c.n; i++) {
		print_item(&c.v[i]);
		counts[c.v[i].status]++;
	}
	close_json_array();
	print_text("%zu ok, %zu changed, %zu planned, %zu in use, %zu blocked, %zu failed\n",
		   counts[ST_OK], counts[ST_CHANGED], counts[ST_PLANNED],
		   counts[ST_IN_USE], counts[ST_BLOCKED], counts[ST_FAILED]);
	pfail = apply_policies(&conf, devs, ndev, c.dry_run);
	close_json_object();
	print_end();

	ret = counts[ST_IN_USE] + counts[ST_BLOCKED] + counts[ST_FAILED] ?
	      EXIT_FAIL : EXIT_OK;
	if (pfail) {
		errmsg("%zu reset/power polic%s could not be applied", pfail,
		       pfail == 1 ? "y" : "ies");
		ret = EXIT_FAIL;
	}
	if (ret)
		errmsg("the host does not match %s: %zu function%s not as configured",
		       path, counts[ST_IN_USE] + counts[ST_BLOCKED] + counts[ST_FAILED],
		       counts[ST_IN_USE] + counts[ST_BLOCKED] + counts[ST_FAILED] == 1 ?
		       "" : "s");
out:
	record(c.dry_run, ret);
	for (i = 0; i < c.n; i++) {
		devrec_free(&c.v[i].before);
		devrec_free(&c.v[i].after);
	}
	free(c.v);
	free(sv);
	free(devs);
	devconf_free(&conf);
	nlconn_close(nl);
	return ret;
}
