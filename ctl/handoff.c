// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl handoff / reclaim / release: move IOMMU groups between gpupt,
 * vfio-pci and the host's drivers, one kernel transaction per request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "devrec.h"
#include "fleet.h"
#include "gptctl.h"
#include "holders.h"
#include "moves.h"
#include "nl.h"
#include "policy.h"
#include "print.h"
#include "sysfile.h"

static int move_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct move_ctx *m = arg;
	struct group_reply *g;
	int err;

	(void)cmd;
	g = array_grow(m->g, &m->cap, m->n, sizeof(*g), 8);
	if (!g)
		return -ENOMEM;
	m->g = g;
	g = &m->g[m->n];
	memset(g, 0, sizeof(*g));
	if (tb[GPUPT_A_IOMMU_GROUP]) {
		g->has_group = true;
		g->group = nla_get_u32(tb[GPUPT_A_IOMMU_GROUP]);
	}
	if (tb[GPUPT_A_DEVICES]) {
		err = devrec_parse_array(tb[GPUPT_A_DEVICES], &g->devs, &g->n);
		if (err)
			return err;
	} else if (tb[GPUPT_A_DEVICE]) {
		g->devs = calloc(1, sizeof(*g->devs));
		if (!g->devs)
			return -ENOMEM;
		err = devrec_parse(tb[GPUPT_A_DEVICE], g->devs);
		if (err) {
			free(g->devs);
			return err;
		}
		g->n = 1;
	}
	m->n++;
	return 0;
}

void move_ctx_free(struct move_ctx *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		devrec_free_array(m->g[i].devs, m->g[i].n);
	free(m->g);
}

/* Kernel "" means "no driver": JSON null, text "none". */
static const char *drv_name(bool has, const char *s)
{
	if (has && s[0])
		return s;
	return is_json() ? NULL : "none";
}

/* A record's IOMMU group: its own, else its message's.  -1 for none. */
static int64_t rec_group(const struct group_reply *g, const struct devrec *r)
{
	if (r->has_iommu_group)
		return r->iommu_group;
	return g->has_group ? (int64_t)g->group : -1;
}

static void print_move_rec(const struct devrec *r, bool dry_run)
{
	char addr[GPUPT_ADDR_STRLEN];

	addr_format(&r->addr, addr);
	open_json_object(NULL);
	print_string("address", "  %s  ", addr);
	print_string("from", "%s -> ", drv_name(r->has_from, r->from));
	print_string("to", "%s", drv_name(r->has_to, r->to));
	if (!is_json() && r->has_from && r->has_to && !strcmp(r->from, r->to))
		print_text(" (unchanged)");
	if (dry_run || r->has_blocker)
		print_string("blocker", "  BLOCKED: %s",
			     r->has_blocker ? r->blocker : NULL);
	print_text("\n");
	close_json_object();
}

/*
 * The host-side steps of --release-host for the functions of one group
 * (those of h whose function is in the group), in the order they run:
 * consoles (gptctl), then firmware framebuffers (the kernel).
 */
static void print_host_steps(const struct move_ctx *m, int64_t grp,
			     const struct holders *h)
{
	char addr[GPUPT_ADDR_STRLEN];
	size_t i, gj, j;

	open_json_array("release_host");
	for (i = 0; h && i < 2 * h->n; i++) {
		const struct holder *ho = &h->v[i % h->n];
		bool in_group = false;

		if (ho->kind != (i < h->n ? HOLDER_CONSOLE : HOLDER_FIRMWARE_FB))
			continue;
		for (gj = 0; gj < m->n && !in_group; gj++)
			for (j = 0; j < m->g[gj].n && !in_group; j++)
				in_group = addr_equal(&m->g[gj].devs[j].addr,
						      &ho->addr) &&
					   rec_group(&m->g[gj],
						     &m->g[gj].devs[j]) == grp;
		if (!in_group)
			continue;
		addr_format(&ho->addr, addr);
		open_json_object(NULL);
		print_string("address", "  %s  ", addr);
		if (ho->kind == HOLDER_CONSOLE) {
			print_string("action", "%s", "unbind_console");
			print_int("vtcon", " vtcon%lld", ho->vtcon);
		} else {
			print_string("action", "%s", "remove_firmware_framebuffer");
			print_int("bar", " BAR %lld", ho->bar);
		}
		print_string("what", ": %s\n", ho->what);
		close_json_object();
	}
	close_json_array();
}

/*
 * Print the reply as one object per IOMMU group, in the order the kernel
 * reported them.  The grouping uses each record's own group when it has
 * one, so a kernel that batches several groups in one message prints the
 * same.  Returns the number of blocked functions.
 */
static int print_moves_key(const struct move_ctx *m, const char *key,
			   bool to_vfio, bool dry_run, const struct holders *h)
{
	int blockers = 0;
	size_t i, j, gi, gj;

	open_json_array(key);
	for (gi = 0; gi < m->n; gi++) {
		for (i = 0; i < m->g[gi].n; i++) {
			const struct group_reply *g = &m->g[gi];
			int64_t grp = rec_group(g, &g->devs[i]);
			bool seen = false;
			char vfio[32];

			/* printed already with an earlier record's group? */
			for (gj = 0; gj <= gi && !seen; gj++)
				for (j = 0; j < (gj == gi ? i : m->g[gj].n); j++)
					if (rec_group(&m->g[gj],
						      &m->g[gj].devs[j]) == grp) {
						seen = true;
						break;
					}
			if (seen)
				continue;
			open_json_object(NULL);
			if (grp >= 0)
				print_uint("group", "group %llu", (uint64_t)grp);
			else
				print_null("group", "no IOMMU group%.0s");
			if (to_vfio && grp >= 0) {
				snprintf(vfio, sizeof(vfio), "/dev/vfio/%lld",
					 (long long)grp);
				print_string("vfio", " (%s)", vfio);
			} else {
				print_null("vfio", "%.0s");
			}
			print_text("%s\n", dry_run ? ": plan (dry run)" : "");
			if (h)
				print_host_steps(m, grp, h);
			open_json_array("devices");
			for (gj = gi; gj < m->n; gj++)
				for (j = gj == gi ? i : 0; j < m->g[gj].n; j++) {
					const struct devrec *r = &m->g[gj].devs[j];

					if (rec_group(&m->g[gj], r) != grp)
						continue;
					print_move_rec(r, dry_run);
					blockers += r->has_blocker;
				}
			close_json_array();
			close_json_object();
		}
	}
	close_json_array();
	return blockers;
}

int print_moves(const struct move_ctx *m, bool to_vfio, bool dry_run)
{
	return print_moves_key(m, NULL, to_vfio, dry_run, NULL);
}

/* Remove duplicate addresses (order kept). */
static size_t dedup(struct gpupt_addr *v, size_t n)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < k; j++)
			if (addr_equal(&v[i], &v[j]))
				break;
		if (j == k)
			v[k++] = v[i];
	}
	return k;
}

enum move_kind { MOVE_HANDOFF, MOVE_RECLAIM, MOVE_RELEASE };

/*
 * reclaim/release --all (handoff --all is the kernel's GPUPT_F_ALL_HELD):
 * reclaim takes every covered function on a vfio driver; release takes
 * those and every function gpupt holds.  Without --single, one address per
 * IOMMU group is enough: the kernel moves the whole group.
 */
static int select_all(struct nlconn *nl, enum move_kind kind, bool single,
		      struct gpupt_addr **out, size_t *n)
{
	struct gpupt_addr *v;
	struct devrec *d;
	uint32_t *groups;
	size_t nd, ng = 0, i, j, k = 0;
	int err;

	err = devrec_dump(nl, &d, &nd);
	if (err)
		return err;
	v = calloc(nd ? nd : 1, sizeof(*v));
	groups = calloc(nd ? nd : 1, sizeof(*groups));
	if (!v || !groups) {
		free(v);
		free(groups);
		devrec_free_array(d, nd);
		return -ENOMEM;
	}
	for (i = 0; i < nd; i++) {
		uint32_t want = kind == MOVE_RECLAIM ? GPUPT_DEV_S_VFIO :
				GPUPT_DEV_S_VFIO | GPUPT_DEV_S_HELD;

		if (!(d[i].state & want) || (d[i].state & GPUPT_DEV_S_BRIDGE))
			continue;
		if (!single && d[i].has_iommu_group) {
			for (j = 0; j < ng; j++)
				if (groups[j] == d[i].iommu_group)
					break;
			if (j < ng)
				continue;
			groups[ng++] = d[i].iommu_group;
		}
		v[k++] = d[i].addr;
	}
	free(groups);
	devrec_free_array(d, nd);
	*out = v;
	*n = k;
	return 0;
}

/* A host driver: bound, and neither gpupt nor a vfio driver. */
static bool host_driver(bool has, const char *drv)
{
	return has && drv[0] && strcmp(drv, "gpupt") && !driver_is_vfio(drv);
}

/*
 * Before anything is unbound: what holds the functions the kernel's plan
 * (a dry run of the same request) would move.  Processes are looked for on
 * the functions that leave a host driver (gpupt and vfio functions have
 * none but vfio users, which the kernel refuses itself); the console and
 * firmware framebuffers on every display function that moves, whatever its
 * driver: left in a BAR, a firmware framebuffer keeps vfio-pci from
 * reserving it ("BAR 0: can't reserve").  Processes always refuse the
 * handoff; the console and firmware framebuffers refuse it unless
 * release_host, which adds them to the plan instead.  Returns 0 with the
 * holders in *h, or the dry run's -errno (the real request reports it).
 */
static int preflight(struct nlconn *nl, const struct nlconn_req *req,
		     struct holders *h)
{
	struct nlconn_req pre = *req;
	struct move_ctx mp = { 0 };
	struct gpupt_addr *host = NULL, *disp = NULL;
	size_t nh = 0, nd = 0, total = 0, gi, i;
	int err;

	pre.flags |= GPUPT_F_DRY_RUN;
	err = nlconn_request(nl, &pre, move_cb, &mp);
	if (err)
		goto out;
	for (gi = 0; gi < mp.n; gi++)
		total += mp.g[gi].n;
	host = calloc(total ? total : 1, sizeof(*host));
	disp = calloc(total ? total : 1, sizeof(*disp));
	if (!host || !disp) {
		err = -ENOMEM;
		goto out;
	}
	for (gi = 0; gi < mp.n; gi++)
		for (i = 0; i < mp.g[gi].n; i++) {
			const struct devrec *r = &mp.g[gi].devs[i];
			bool moves = !(r->has_from && r->has_to &&
				       !strcmp(r->from, r->to));

			if (!moves)
				continue;
			if (host_driver(r->has_from, r->from))
				host[nh++] = r->addr;
			else
				disp[nd++] = r->addr;
		}
	err = holders_find(host, nh, HOLDERS_ALL, h);
	if (!err)
		err = holders_find(disp, nd, HOLDERS_HOST, h);
out:
	move_ctx_free(&mp);
	free(host);
	free(disp);
	return err;
}

/* After release: give back the consoles that a --release-host handoff took. */
static void restore_consoles(const struct move_ctx *m)
{
	char addr[GPUPT_ADDR_STRLEN];
	size_t gi, i;
	int vt;

	for (gi = 0; gi < m->n; gi++)
		for (i = 0; i < m->g[gi].n; i++) {
			const struct devrec *r = &m->g[gi].devs[i];

			if (!host_driver(r->has_to, r->to))
				continue;
			vt = holders_console_restore(&r->addr, 5000);
			addr_format(&r->addr, addr);
			if (vt >= 0)
				print_text("console: vtcon%d bound to %s's framebuffer again\n",
					   vt, addr);
			else if (vt != -1)
				errmsg("%s: could not give the console back (%s): echo 1 > /sys/class/vtconsole/vtconN/bind",
				       addr, strerror(-vt));
		}
}

int handoff_refuse_holders(struct nlconn *nl, const struct nlconn_req *req,
			   const char *who)
{
	struct holders h = { 0 };
	char line[1024];
	size_t i;
	int err;

	if (!(req->flags & GPUPT_F_FORCE) && !holders_firmware_fb_present())
		return 0;
	err = preflight(nl, req, &h);
	if (err == -ENOMEM) {
		holders_free(&h);
		return err;
	}
	err = 0;
	for (i = 0; i < h.n; i++) {
		if (h.v[i].kind != HOLDER_PROCESS &&
		    h.v[i].kind != HOLDER_MAPPING)
			continue;
		holder_describe(&h.v[i], line, sizeof(line));
		errmsg("%s: %s", who, line);
		err = -EBUSY;
	}
	holders_free(&h);
	return err;
}

/* checked_request(): refused for holders (listed in *h); nothing changed. */
#define EHOLDERS	10000

/*
 * HANDOFF with the holder check first.  Refused (-EHOLDERS) while a
 * process holds a function that would leave a host driver, or, without
 * release_host, the console or a firmware framebuffer does.  With
 * release_host the consoles are unbound (and bound again if the kernel
 * refuses) and the kernel removes firmware framebuffers from the display
 * functions' BARs (GPUPT_F_RELEASE_HOST) before it moves them.
 */
static int checked_request(struct nlconn *nl, struct nlconn_req *req,
			   struct move_ctx *m, bool release_host,
			   struct holders *h)
{
	bool dry_run = req->flags & GPUPT_F_DRY_RUN;
	size_t refusing;
	int err;

	if (release_host)
		req->flags |= GPUPT_F_RELEASE_HOST;
	/*
	 * Only a function leaving a host driver (--force) can have process
	 * holders or a console on its own framebuffer; any other function
	 * only a firmware framebuffer (and the console on it).  Without
	 * either, skip the dry run: it would cost a handoff of many
	 * functions a second round trip.
	 */
	if ((req->flags & GPUPT_F_FORCE) || release_host ||
	    holders_firmware_fb_present()) {
		err = preflight(nl, req, h);
		if (err == -ENOMEM)
			return err;
	}
	refusing = holders_count(h, HOLDER_PROCESS) +
		   holders_count(h, HOLDER_MAPPING);
	if (!release_host)
		refusing = h->n;
	if (refusing) {
		if (release_host) {	/* list only what refuses */
			size_t i, k = 0;

			for (i = 0; i < h->n; i++)
				if (h->v[i].kind == HOLDER_PROCESS ||
				    h->v[i].kind == HOLDER_MAPPING)
					h->v[k++] = h->v[i];
			h->n = k;
		}
		if (is_json())
			open_json_object(NULL);
		return -EHOLDERS;
	}
	if (!dry_run && release_host) {
		err = holders_consoles_release(h);
		if (err)
			return err;
	}
	err = nlconn_request(nl, req, move_cb, m);
	if (err && !dry_run && release_host)
		holders_consoles_undo(h);
	return err;
}

/*
 * Does devices.conf (or the table) ask for a reset before handing off one
 * of @addrs, or, with @held, one of the functions bound to gpupt (what
 * handoff --all moves: the kernel picks them, so that --all stays one
 * netlink request)?  One sysfs scan gives every function's IDs and slot.
 */
static bool policy_handoff_reset(const struct gpupt_addr *addrs, size_t n,
				 bool held)
{
	struct fleet_dev *d;
	struct devconf conf;
	struct policy p;
	bool reset = false;
	size_t nd, i, j;

	if (policy_conf_load(DEVCONF_PATH, &conf) < 0)
		return false;
	if (fleet_scan(NULL, &d, &nd)) {
		devconf_free(&conf);
		return false;
	}
	for (i = 0; i < nd && !reset; i++) {
		bool sel = held && d[i].has_driver &&
			   !strcmp(d[i].driver, GPUPT_DRIVER_NAME);

		for (j = 0; j < n && !sel; j++)
			sel = addr_equal(&addrs[j], &d[i].addr);
		if (!sel)
			continue;
		policy_for(&conf, &d[i].addr, d[i].vendor, d[i].device,
			   d[i].class, d[i].pslot, &p);
		reset = p.handoff_reset;
	}
	free(d);
	devconf_free(&conf);
	return reset;
}

static int move_common(int argc, char **argv, enum move_kind kind)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "single", no_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "driver", required_argument, NULL, 'D' },
		{ "release-host", no_argument, NULL, 'H' },
		{ "reset", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	static const uint8_t gcmds[] = {
		[MOVE_HANDOFF] = GPUPT_CMD_HANDOFF,
		[MOVE_RECLAIM] = GPUPT_CMD_RECLAIM,
		[MOVE_RELEASE] = GPUPT_CMD_RELEASE,
	};
	struct nlconn_req req = { .cmd = gcmds[kind] };
	struct move_ctx m = { 0 };
	struct gpupt_addr *addrs = NULL;
	struct holders h = { 0 };
	struct nlconn *nl;
	size_t n = 0, i;
	bool all = false, release_host = false;
	int c, err, blockers, ret = EXIT_USAGE;

	while ((c = cmd_getopt(argc, argv, kind == MOVE_HANDOFF ? "ansfD:R" :
			       "ans", longopts)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'n':
			req.flags |= GPUPT_F_DRY_RUN;
			break;
		case 's':
			req.flags |= GPUPT_F_SINGLE;
			break;
		case 'f':
			if (kind != MOVE_HANDOFF)
				return usage_error("--force is for handoff");
			req.flags |= GPUPT_F_FORCE;
			break;
		case 'D':
			if (kind != MOVE_HANDOFF)
				return usage_error("--driver is for handoff");
			if (!optarg[0] ||
			    strlen(optarg) >= GPUPT_DRIVER_NAME_MAX)
				return usage_error("invalid driver name '%s'",
						   optarg);
			req.driver = optarg;
			break;
		case 'H':
			if (kind != MOVE_HANDOFF)
				return usage_error("--release-host is for handoff");
			release_host = true;
			break;
		case 'R':
			if (kind != MOVE_HANDOFF)
				return usage_error("--reset is for handoff");
			req.flags |= GPUPT_F_RESET;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (all && optind < argc)
		return usage_error("--all takes no addresses");
	if (!all && optind == argc)
		return usage_error("expected at least one address (or --all)");
	if (!all) {
		addrs = calloc((size_t)(argc - optind), sizeof(*addrs));
		if (!addrs) {
			errmsg("out of memory");
			return EXIT_FAIL;
		}
		for (i = 0; optind < argc; optind++, i++)
			if (addr_arg(argv[optind], &addrs[i]))
				goto out;
		n = dedup(addrs, i);
	}

	if (kind == MOVE_HANDOFF && !(req.flags & GPUPT_F_RESET) &&
	    policy_handoff_reset(addrs, n, all))
		req.flags |= GPUPT_F_RESET;
	ret = nlconn_connect(&nl);
	if (ret)
		goto out;
	if (all && kind == MOVE_HANDOFF) {
		/* The kernel picks every function gpupt holds itself. */
		req.flags |= GPUPT_F_ALL_HELD;
	} else if (all) {
		err = select_all(nl, kind, req.flags & GPUPT_F_SINGLE,
				 &addrs, &n);
		if (err) {
			ret = nlconn_error(nl, err, "cannot list devices");
			goto close;
		}
		if (!n) {
			/* Nothing to move is success, and an empty list. */
			print_moves(&m, false, false);
			print_end();
			ret = EXIT_OK;
			goto close;
		}
	}
	if (n == 1) {
		req.addr = &addrs[0];
	} else {
		req.addrs = addrs;
		req.n_addrs = n;
	}
	if (kind == MOVE_HANDOFF)
		err = checked_request(nl, &req, &m, release_host, &h);
	else
		err = nlconn_request(nl, &req, move_cb, &m);
	if (err == -EHOLDERS) {
		holders_print(&h);
		if (is_json())
			close_json_object();
		print_end();
		errmsg("%s: %s: %zu holder%s; nothing was changed", argv[0],
		       strerror(EBUSY), h.n, h.n == 1 ? "" : "s");
		ret = EXIT_FAIL;
		goto close;
	}
	if (err) {
		char a0[GPUPT_ADDR_STRLEN] = "--all";

		if (n)
			addr_format(&addrs[0], a0);
		nlconn_error(nl, err, "%s %s%s", argv[0], a0,
			     n > 1 ? " ..." : "");
		if (err == -EBUSY)
			for (i = 0; i < n; i++)
				report_vfio_holders(&addrs[i]);
		ret = EXIT_FAIL;
		goto close;
	}
	blockers = print_moves_key(&m, NULL, kind == MOVE_HANDOFF &&
				   !(req.driver && !strstr(req.driver, "vfio")),
				   req.flags & GPUPT_F_DRY_RUN,
				   release_host ? &h : NULL);
	if (kind == MOVE_RELEASE && !(req.flags & GPUPT_F_DRY_RUN))
		restore_consoles(&m);
	print_end();
	ret = EXIT_OK;
	if (blockers && (req.flags & GPUPT_F_DRY_RUN)) {
		errmsg("%s would be refused: %d function%s blocked", argv[0],
		       blockers, blockers == 1 ? "" : "s");
		ret = EXIT_FAIL;
	}
close:
	nlconn_close(nl);
out:
	holders_free(&h);
	move_ctx_free(&m);
	free(addrs);
	return ret;
}

int cmd_handoff(int argc, char **argv)
{
	return move_common(argc, argv, MOVE_HANDOFF);
}

int cmd_reclaim(int argc, char **argv)
{
	return move_common(argc, argv, MOVE_RECLAIM);
}

int cmd_release(int argc, char **argv)
{
	return move_common(argc, argv, MOVE_RELEASE);
}
