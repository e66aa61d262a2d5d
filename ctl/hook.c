// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl hook libvirt install|uninstall [--root DIR] [--gptctl PATH]
 * gptctl hook libvirt run -- DOMAIN OPERATION SUB-OPERATION [EXTRA]
 * gptctl hook proxmox [--gptctl PATH]
 * gptctl hook proxmox run [OPTIONS] -- VMID PHASE
 *
 * The VM managers' hooks.  Both come down to two steps:
 *
 *  - prepare (libvirt "prepare begin", Proxmox "pre-start"): of the VM's
 *    PCI functions, those gpupt covers (held by gpupt, on vfio and named by
 *    ids=/addrs=, or named by devices.conf) go to vfio-pci in one HANDOFF
 *    transaction, reset and verified first when devices.conf's
 *    reset-on-handoff (or the built-in table) asks it for one of them, as
 *    gptctl handoff does.  A function whose vfio device is already open
 *    elsewhere, or a refused handoff, fails the hook with one line saying
 *    why, so the VM does not start.  What moved is recorded in
 *    /run/gpupt/hooks/KEY ("ADDR FROM" lines).
 *  - release (libvirt "release end", Proxmox "post-stop"): what the record
 *    lists goes back: RECLAIM to gpupt by default, RELEASE to the host's
 *    driver when devices.conf says "host", nothing when devices.conf says
 *    a vfio driver.  The record is removed when that worked.
 *
 * A VM without gpupt functions is left alone (exit 0, no netlink request
 * beyond the lookups).  Every run is bounded (--timeout, 30 s): libvirtd
 * waits for its hooks.  The log is a few lines on stderr, which libvirt
 * puts into its error message when the hook fails.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "devconf.h"
#include "devrec.h"
#include "domxml.h"
#include "fleet.h"
#include "gptctl.h"
#include "moves.h"
#include "holders.h"
#include "nl.h"
#include "policy.h"
#include "print.h"
#include "pveconf.h"
#include "sysfile.h"

#define HOOK_STATE_DIR		"/run/gpupt/hooks"
#define LIBVIRT_HOOK		"/etc/libvirt/hooks/qemu.d/gpupt"
#define LIBVIRT_MARKER		"installed by 'gptctl hook libvirt install'"
#define PVE_CONF_DIR		"/etc/pve/qemu-server"
#define PVE_MAPPING		"/etc/pve/mapping/pci.cfg"
#define HOOK_MAX_FNS		256
#define HOOK_DEFAULT_TIMEOUT	30

struct hook_fn {
	struct gpupt_addr addr;
	char from[DEVREC_NAMELEN];	/* release: the driver before prepare */
};

struct hook_ctx {
	const char *who;		/* "domain NAME", "VM 100" */
	char key[128];			/* the record's file name */
	const char *conf_path;		/* devices.conf */
	struct devconf conf;
	bool have_pslot_rules;
	struct fleet_dev *fdevs;	/* for physical slot names */
	size_t nfdevs;
	struct timespec t0;
};

static void hook_alarm(int sig)
{
	static const char msg[] = PROG_NAME ": hook: timed out, gave up (the kernel finishes or rolls back what it started)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(EXIT_FAIL);
}

static void hook_arm_timeout(unsigned int s)
{
	struct sigaction sa = { .sa_handler = hook_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(s);
}

static long hook_ms(const struct hook_ctx *h)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - h->t0.tv_sec) * 1000 +
	       (t.tv_nsec - h->t0.tv_nsec) / 1000000;
}

static void conf_bad_line(unsigned int line, const char *msg, void *arg)
{
	errmsg("warning: %s:%u: %s (line ignored)", (const char *)arg, line, msg);
}

/* devices.conf if there is one; a missing file is no rules. */
static int hook_load_conf(struct hook_ctx *h)
{
	uint8_t *text = NULL;
	size_t len, i;
	int err;

	err = file_read_all(h->conf_path, 1 << 20, &text, &len);
	if (err == -ENOENT)
		return 0;
	if (err) {
		errmsg("cannot read %s: %s", h->conf_path, strerror(-err));
		return EXIT_FAIL;
	}
	err = devconf_parse((const char *)text, &h->conf, conf_bad_line,
			    (void *)h->conf_path);
	free(text);
	if (err < 0) {
		errmsg("%s: %s", h->conf_path, strerror(-err));
		return EXIT_FAIL;
	}
	for (i = 0; i < h->conf.n; i++)
		h->have_pslot_rules |= h->conf.rules[i].sel == DEVCONF_SEL_PSLOT;
	if (h->have_pslot_rules && fleet_scan(NULL, &h->fdevs, &h->nfdevs))
		h->nfdevs = 0;
	return 0;
}

/* The function's physical slot name (for slot= lines), or NULL. */
static const char *hook_pslot(const struct hook_ctx *h,
			      const struct gpupt_addr *a)
{
	for (size_t i = 0; i < h->nfdevs; i++)
		if (addr_equal(&h->fdevs[i].addr, a))
			return h->fdevs[i].pslot;
	return NULL;
}

static const struct devconf_rule *hook_rule(const struct hook_ctx *h,
					    const struct devrec *r)
{
	return devconf_match(&h->conf, &r->addr, r->vendor, r->device,
			     hook_pslot(h, &r->addr));
}

/* Does devices.conf (or the table) ask for a reset before handing off? */
static bool hook_handoff_reset(const struct hook_ctx *h,
			       const struct devrec *r)
{
	struct policy p;

	policy_for(&h->conf, &r->addr, r->vendor, r->device, r->class,
		   hook_pslot(h, &r->addr), &p);
	return p.handoff_reset;
}

static void hook_ctx_free(struct hook_ctx *h)
{
	devconf_free(&h->conf);
	free(h->fdevs);
}

/* ---- the record of what prepare moved ---- */

static void record_path(const struct hook_ctx *h, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", HOOK_STATE_DIR, h->key);
}

static int record_write(const struct hook_ctx *h, const struct hook_fn *v,
			size_t n)
{
	char path[PATH_MAX], a[GPUPT_ADDR_STRLEN], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		addr_format(&v[i].addr, a);
		fprintf(f, "%s %s\n", a, v[i].from[0] ? v[i].from : "-");
	}
	fclose(f);
	record_path(h, path, sizeof(path));
	err = file_write_atomic(path, buf, len, 0644);
	free(buf);
	return err;
}

/* -ENOENT when prepare moved nothing. */
static int record_read(const struct hook_ctx *h, struct hook_fn *v, size_t max,
		       size_t *n)
{
	char path[PATH_MAX], *line, *save = NULL;
	uint8_t *text;
	size_t len;
	int err;

	*n = 0;
	record_path(h, path, sizeof(path));
	err = file_read_all(path, 1 << 16, &text, &len);
	if (err)
		return err;
	for (line = strtok_r((char *)text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char addr[64], from[DEVREC_NAMELEN];

		if (*n == max || sscanf(line, "%63s %63s", addr, from) != 2 ||
		    addr_parse(addr, &v[*n].addr)) {
			errmsg("%s: bad line '%s' (ignored)", path, line);
			continue;
		}
		snprintf(v[*n].from, sizeof(v[*n].from), "%s",
			 strcmp(from, "-") ? from : "");
		(*n)++;
	}
	free(text);
	return 0;
}

/* ---- HANDOFF / RECLAIM / RELEASE replies ---- */

struct moved {
	struct devrec *r;
	size_t n;
};

static int moved_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct moved *m = arg;
	struct devrec *v, *nv;
	size_t n = 0;
	int err;

	(void)cmd;
	if (tb[GPUPT_A_DEVICES]) {
		err = devrec_parse_array(tb[GPUPT_A_DEVICES], &v, &n);
	} else if (tb[GPUPT_A_DEVICE]) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		err = devrec_parse(tb[GPUPT_A_DEVICE], v);
		n = 1;
		if (err)
			free(v);
	} else {
		return 0;
	}
	if (err)
		return err;
	nv = realloc(m->r, (m->n + n) * sizeof(*nv));
	if (!nv) {
		devrec_free_array(v, n);
		return -ENOMEM;
	}
	m->r = nv;
	memcpy(m->r + m->n, v, n * sizeof(*v));
	m->n += n;
	free(v);	/* the records' own allocations moved into m->r */
	return 0;
}

static void moved_free(struct moved *m)
{
	devrec_free_array(m->r, m->n);
	m->r = NULL;
	m->n = 0;
}

/* "0000:01:00.0 0000:01:00.1 ..." of a list, for one-line messages. */
static void addr_list(const struct gpupt_addr *v, size_t n, char *buf,
		      size_t len)
{
	char a[GPUPT_ADDR_STRLEN];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		addr_format(&v[i], a);
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? " " : "", a);
	}
}

static void log_moves(const struct hook_ctx *h, const char *what,
		      const struct moved *m)
{
	char a[GPUPT_ADDR_STRLEN];

	for (size_t i = 0; i < m->n; i++) {
		const struct devrec *r = &m->r[i];

		addr_format(&r->addr, a);
		errmsg("hook: %s: %s %s: %s -> %s", h->who, what, a,
		       r->from[0] ? r->from : "none", r->to[0] ? r->to : "none");
	}
}

/* ---- prepare ---- */

/*
 * One function's record: from a single DEV_GET dump of what gpupt covers
 * (one request for the whole VM), else, for a function devices.conf may
 * name that the dump does not list, its own DEV_GET.  0, -ENODEV, -errno.
 */
static int hook_lookup(const struct hook_ctx *h, struct nlconn *nl,
		       struct devrec **all, size_t *nall,
		       const struct gpupt_addr *a, struct devrec *out)
{
	int err;

	if (!*all) {
		err = devrec_dump(nl, all, nall);
		if (err)
			return err;
	}
	for (size_t i = 0; i < *nall; i++)
		if (addr_equal(&(*all)[i].addr, a)) {
			*out = (*all)[i];
			/* the caller frees its copy: take the array's allocations */
			(*all)[i].affected = NULL;
			(*all)[i].n_affected = 0;
			return 0;
		}
	if (!h->conf.n)
		return -ENODEV;		/* not gpupt's, and no rule can name it */
	return devrec_get(nl, a, out);
}

/*
 * Hand off the VM's functions that gpupt covers.  @n functions from the
 * VM's definition; ENODEV ones are left for the VM manager to report.
 */
static int hook_prepare(struct hook_ctx *h, const struct gpupt_addr *addrs,
			size_t n)
{
	struct gpupt_addr sel[HOOK_MAX_FNS];
	struct hook_fn rec[HOOK_MAX_FNS];
	struct nlconn_req req = { .cmd = GPUPT_CMD_HANDOFF };
	struct moved m = { 0 };
	struct nlconn *nl;
	char a[GPUPT_ADDR_STRLEN], list[1024];
	size_t nsel = 0, nrec = 0, nbusy = 0;
	size_t busy[HOOK_MAX_FNS];
	struct devrec *all = NULL;
	size_t nall = 0;
	int err, ret = EXIT_FAIL;

	if (hook_load_conf(h))
		return EXIT_FAIL;
	err = nlconn_open(&nl);
	if (err) {
		bool named = false;

		/* Without the module, only devices.conf can claim a function. */
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < h->conf.n; j++)
				named |= h->conf.rules[j].sel == DEVCONF_SEL_ADDR &&
					 addr_equal(&h->conf.rules[j].addr, &addrs[i]);
		if (err == -ENOENT && !named) {
			errmsg("hook: %s: gpupt module not loaded, nothing to do", h->who);
			return EXIT_OK;
		}
		errmsg("refusing to start %s: %s", h->who, err == -ENOENT ?
		       "gpupt module not loaded (modprobe gpupt)" : strerror(-err));
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < n && nsel < HOOK_MAX_FNS; i++) {
		const struct devconf_rule *rule;
		struct devrec r;
		bool covered;

		addr_format(&addrs[i], a);
		err = hook_lookup(h, nl, &all, &nall, &addrs[i], &r);
		if (err == -ENODEV)
			continue;	/* the VM manager says it better */
		if (err) {
			nlconn_error(nl, err, "refusing to start %s: cannot look up %s",
				     h->who, a);
			goto out;
		}
		rule = hook_rule(h, &r);
		covered = (r.state & GPUPT_DEV_S_HELD) ||
			  ((r.state & GPUPT_DEV_S_VFIO) &&
			   (r.state & GPUPT_DEV_S_MATCHED)) || rule;
		if (covered && rule && rule->target == DEVCONF_T_VFIO) {
			if (req.driver && strcmp(req.driver, rule->driver)) {
				errmsg("refusing to start %s: devices.conf names two vfio drivers for its functions (%s, %s); the hook moves them in one transaction",
				       h->who, req.driver, rule->driver);
				devrec_free(&r);
				goto out;
			}
			req.driver = rule->driver;
		}
		if (covered && rule && (rule->flags & DEVCONF_F_FORCE))
			req.flags |= GPUPT_F_FORCE;
		if (covered && hook_handoff_reset(h, &r))
			req.flags |= GPUPT_F_RESET;
		if (covered && (r.state & GPUPT_DEV_S_OPEN))
			busy[nbusy++] = nsel;
		if (covered)
			sel[nsel++] = addrs[i];
		devrec_free(&r);
	}
	if (!nsel) {
		errmsg("hook: %s: no function of gpupt's, nothing to do", h->who);
		ret = EXIT_OK;
		goto out;
	}
	if (nbusy) {
		/* Another VM has it: the start would only fail later, less clearly. */
		struct gpupt_addr b[HOOK_MAX_FNS];

		for (size_t i = 0; i < nbusy; i++)
			b[i] = sel[busy[i]];
		addr_list(b, nbusy, list, sizeof(list));
		errmsg("refusing to start %s: %s in use: %s vfio device is already open",
		       h->who, list, nbusy > 1 ? "their" : "its");
		for (size_t i = 0; i < nbusy; i++)
			report_vfio_holders(&sel[busy[i]]);
		goto out;
	}
	addr_list(sel, nsel, list, sizeof(list));
	if (nsel == 1)
		req.addr = &sel[0];
	else {
		req.addrs = sel;
		req.n_addrs = nsel;
	}
	err = handoff_refuse_holders(nl, &req, h->who);
	if (err) {
		errmsg("refusing to start %s: %s %s: %s", h->who, list,
		       err == -EBUSY ? "is held on the host (the lines above)" :
		       "cannot be checked for holders", strerror(-err));
		goto out;
	}
	err = nlconn_request(nl, &req, moved_cb, &m);
	if (err) {
		const char *ext = nlconn_extack(nl);

		errmsg("refusing to start %s: handoff of %s refused: %s%s%s", h->who,
		       list, ext ? ext : strerror(-err), ext ? " " : "",
		       ext ? "(nothing was moved)" : "");
		if (err == -EBUSY)
			for (size_t i = 0; i < nsel; i++)
				report_vfio_holders(&sel[i]);
		goto out;
	}
	if (req.flags & GPUPT_F_RESET)
		errmsg("hook: %s: %s reset and verified before the handoff (reset-on-handoff)",
		       h->who, list);
	log_moves(h, "handoff", &m);
	for (size_t i = 0; i < m.n && nrec < HOOK_MAX_FNS; i++) {
		if (!strcmp(m.r[i].from, m.r[i].to))
			continue;
		rec[nrec].addr = m.r[i].addr;
		snprintf(rec[nrec].from, sizeof(rec[nrec].from), "%s", m.r[i].from);
		nrec++;
	}
	if (nrec) {
		err = record_write(h, rec, nrec);
		if (err)
			errmsg("hook: %s: warning: cannot record the handoff in %s: %s; the stop hook will not put the functions back (gptctl reclaim %s)",
			       h->who, HOOK_STATE_DIR, strerror(-err), list);
	}
	errmsg("hook: %s: %s on vfio (%zu moved, %ld ms)", h->who, list, nrec,
	       hook_ms(h));
	ret = EXIT_OK;
out:
	moved_free(&m);
	if (all)
		devrec_free_array(all, nall);
	nlconn_close(nl);
	return ret;
}

/* ---- release ---- */

static int hook_move_back(struct hook_ctx *h, struct nlconn *nl, uint8_t cmd,
			  const struct gpupt_addr *v, size_t n)
{
	struct nlconn_req req = { .cmd = cmd };
	struct moved m = { 0 };
	const char *what = cmd == GPUPT_CMD_RECLAIM ? "reclaim" : "release";
	char list[1024];
	int err;

	if (!n)
		return 0;
	if (n == 1)
		req.addr = &v[0];
	else {
		req.addrs = v;
		req.n_addrs = n;
	}
	addr_list(v, n, list, sizeof(list));
	err = nlconn_request(nl, &req, moved_cb, &m);
	if (err) {
		const char *ext = nlconn_extack(nl);

		errmsg("hook: %s: %s of %s failed: %s; run 'gptctl %s %s' when it is free",
		       h->who, what, list, ext ? ext : strerror(-err), what, list);
		if (err == -EBUSY)
			for (size_t i = 0; i < n; i++)
				report_vfio_holders(&v[i]);
		return err;
	}
	log_moves(h, what, &m);
	moved_free(&m);
	return 0;
}

static int hook_release(struct hook_ctx *h)
{
	struct hook_fn rec[HOOK_MAX_FNS];
	struct gpupt_addr back[HOOK_MAX_FNS], host[HOOK_MAX_FNS];
	size_t nrec, nback = 0, nhost = 0;
	struct nlconn *nl;
	char path[PATH_MAX], a[GPUPT_ADDR_STRLEN];
	int err;

	err = record_read(h, rec, HOOK_MAX_FNS, &nrec);
	if (err == -ENOENT) {
		errmsg("hook: %s: gpupt handed nothing off at start, nothing to do", h->who);
		return EXIT_OK;
	}
	record_path(h, path, sizeof(path));
	if (err) {
		errmsg("hook: %s: cannot read %s: %s", h->who, path, strerror(-err));
		return EXIT_FAIL;
	}
	if (hook_load_conf(h))
		return EXIT_FAIL;
	err = nlconn_open(&nl);
	if (err) {
		errmsg("hook: %s: cannot put the functions back: %s", h->who,
		       err == -ENOENT ? "gpupt module not loaded" : strerror(-err));
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < nrec; i++) {
		const struct devconf_rule *rule = NULL;
		struct devrec r;

		addr_format(&rec[i].addr, a);
		err = devrec_get(nl, &rec[i].addr, &r);
		if (err) {
			errmsg("hook: %s: %s: %s (skipped)", h->who, a, strerror(-err));
			continue;
		}
		rule = hook_rule(h, &r);
		devrec_free(&r);
		if (rule && rule->target == DEVCONF_T_VFIO)
			errmsg("hook: %s: %s stays on %s (devices.conf line %u)",
			       h->who, a, rule->driver, rule->line);
		else if (rule && rule->target == DEVCONF_T_HOST)
			host[nhost++] = rec[i].addr;
		else
			back[nback++] = rec[i].addr;
	}
	err = hook_move_back(h, nl, GPUPT_CMD_RECLAIM, back, nback);
	if (!err)
		err = hook_move_back(h, nl, GPUPT_CMD_RELEASE, host, nhost);
	nlconn_close(nl);
	if (err)
		return EXIT_FAIL;
	if (unlink(path) && errno != ENOENT)
		errmsg("hook: %s: cannot remove %s: %s", h->who, path, strerror(errno));
	errmsg("hook: %s: %zu function%s put back (%ld ms)", h->who, nback + nhost,
	       nback + nhost == 1 ? "" : "s", hook_ms(h));
	return EXIT_OK;
}

/* ---- common options of "run" ---- */

struct run_opts {
	const char *conf_path;
	unsigned int timeout;
	/* proxmox */
	const char *conf_dir, *mapping, *node, *root;
	bool dry_run;
};

static int parse_timeout(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || end == s || v < 1 || v > 3600)
		return usage_error("--timeout wants seconds, 1..3600, not '%s'", s);
	*out = (unsigned int)v;
	return 0;
}

static int run_getopt(int argc, char **argv, bool pve, struct run_opts *o)
{
	static const struct option longopts[] = {
		{ "devices-conf", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "conf-dir", required_argument, NULL, 'C' },
		{ "mapping", required_argument, NULL, 'm' },
		{ "node", required_argument, NULL, 'N' },
		{ "root", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->conf_path = DEVCONF_PATH;
	o->timeout = HOOK_DEFAULT_TIMEOUT;
	o->conf_dir = PVE_CONF_DIR;
	o->mapping = PVE_MAPPING;
	while ((c = cmd_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'c':
			o->conf_path = optarg;
			break;
		case 't':
			if (parse_timeout(optarg, &o->timeout))
				return EXIT_USAGE;
			break;
		case 'C': case 'm': case 'N': case 'r': case 'n':
			if (!pve)
				return usage_error("--%s is for 'hook proxmox run'",
						   c == 'C' ? "conf-dir" : c == 'm' ? "mapping" :
						   c == 'N' ? "node" : c == 'r' ? "root" : "dry-run");
			if (c == 'C')
				o->conf_dir = optarg;
			else if (c == 'm')
				o->mapping = optarg;
			else if (c == 'N')
				o->node = optarg;
			else if (c == 'r')
				o->root = optarg;
			else
				o->dry_run = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* ---- libvirt ---- */

/* All of stdin (libvirt's pipe; /dev/stdin may not exist without udev). */
static int read_stdin(char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap + 1), *nb;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap >= DOMXML_MAX_BYTES) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

static bool uuid_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 32 || n > 36)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static int libvirt_run(int argc, char **argv)
{
	struct hook_ctx h = { 0 };
	struct run_opts o;
	struct domxml *d = NULL;
	char who[DOMXML_NAMELEN + 16], err_s[256];
	const char *dom, *op, *sub;
	char *xml = NULL;
	size_t len = 0;
	bool prepare, release;
	int err, ret = EXIT_FAIL;

	if (run_getopt(argc, argv, false, &o))
		return EXIT_USAGE;
	if (argc - optind < 3)
		return usage_error("hook libvirt run wants DOMAIN OPERATION SUB-OPERATION [EXTRA], as libvirt calls its hooks");
	dom = argv[optind];
	op = argv[optind + 1];
	sub = argv[optind + 2];
	prepare = !strcmp(op, "prepare") && !strcmp(sub, "begin");
	release = !strcmp(op, "release") && !strcmp(sub, "end");
	if (!prepare && !release)
		return EXIT_OK;		/* every other point of the life cycle */

	hook_arm_timeout(o.timeout);
	clock_gettime(CLOCK_MONOTONIC, &h.t0);
	snprintf(who, sizeof(who), "domain %s", dom);
	h.who = who;
	h.conf_path = o.conf_path;

	err = read_stdin(&xml, &len);
	d = calloc(1, sizeof(*d));
	if (err || !d) {
		errmsg("hook: %s: cannot read the domain XML on stdin: %s", who,
		       strerror(err ? -err : ENOMEM));
		goto out;
	}
	err = domxml_parse(xml, len, d, err_s, sizeof(err_s));
	if (err) {
		errmsg("%s%s: domain XML: %s", prepare ? "refusing to start " : "hook: ",
		       who, err_s);
		goto out;
	}
	if (!uuid_ok(d->uuid)) {
		errmsg("%s%s: the domain XML has no valid <uuid>",
		       prepare ? "refusing to start " : "hook: ", who);
		goto out;
	}
	snprintf(h.key, sizeof(h.key), "libvirt-%s", d->uuid);
	if (prepare) {
		if (!d->n) {
			/* not a single unmanaged PCI hostdev: no netlink at all */
			ret = EXIT_OK;
			goto out;
		}
		ret = hook_prepare(&h, d->devs, d->n);
	} else {
		ret = hook_release(&h);
	}
out:
	hook_ctx_free(&h);
	free(d);
	free(xml);
	return ret;
}

static void self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0) {
		snprintf(buf, len, "/usr/sbin/gptctl");
		return;
	}
	buf[n] = '\0';
}

/* Single quotes for sh. */
static void sh_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static char *libvirt_script(const char *gptctl)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("#!/bin/sh\n"
	      "# gpupt's libvirt hook, " LIBVIRT_MARKER ".\n"
	      "# libvirt (6.5 or later) runs it as: gpupt DOMAIN OPERATION SUB-OPERATION EXTRA,\n"
	      "# with the domain XML on stdin.  At \"prepare begin\" gptctl hands the\n"
	      "# domain's <hostdev managed='no'> PCI functions that gpupt holds (or that\n"
	      "# /etc/gpupt/devices.conf names) to vfio-pci in one transaction; when it\n"
	      "# refuses, libvirt does not start the domain and shows why.  At \"release\n"
	      "# end\" it puts back what it moved (to gpupt, or to the host's driver when\n"
	      "# devices.conf says host).  Every other call returns at once.\n"
	      "case \"$2 $3\" in\n"
	      "\"prepare begin\"|\"release end\")\n"
	      "\texec ", f);
	sh_quote(f, gptctl);
	fputs(" hook libvirt run -- \"$@\" ;;\n"
	      "esac\n"
	      "exit 0\n", f);
	fclose(f);
	return buf;
}

static int libvirt_install(int argc, char **argv, bool install)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "gptctl", required_argument, NULL, 'g' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char *root = NULL;
	char path[PATH_MAX], gptctl[PATH_MAX] = "";
	uint8_t *old = NULL;
	size_t oldlen;
	bool force = false, ours;
	char *script;
	int c, err;

	while ((c = cmd_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'g':
			if (optarg[0] != '/')
				return usage_error("--gptctl wants an absolute path");
			snprintf(gptctl, sizeof(gptctl), "%s", optarg);
			break;
		case 'f':
			force = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	root_path(root, LIBVIRT_HOOK, path, sizeof(path));
	err = file_read_all(path, 1 << 20, &old, &oldlen);
	ours = !err && strstr((char *)old, LIBVIRT_MARKER);
	free(old);
	if (!install) {
		if (err == -ENOENT) {
			print_string("removed", "%s: not installed\n", NULL);
			print_end();
			return EXIT_OK;
		}
		if (!ours && !force) {
			errmsg("%s is not gpupt's hook (no '%s' line); not removed (--force removes it)",
			       path, LIBVIRT_MARKER);
			return EXIT_FAIL;
		}
		if (unlink(path)) {
			errmsg("cannot remove %s: %s", path, strerror(errno));
			return EXIT_FAIL;
		}
		open_json_object(NULL);
		print_string("removed", "removed %s\n", path);
		close_json_object();
		print_end();
		return EXIT_OK;
	}
	if (!err && !ours && !force) {
		errmsg("%s exists and is not gpupt's hook; not replaced (--force replaces it)", path);
		return EXIT_FAIL;
	}
	if (!gptctl[0])
		self_path(gptctl, sizeof(gptctl));
	script = libvirt_script(gptctl);
	if (!script) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	err = file_write_atomic(path, script, strlen(script), 0755);
	free(script);
	if (err) {
		errmsg("cannot write %s: %s", path, strerror(-err));
		return EXIT_FAIL;
	}
	open_json_object(NULL);
	print_string("installed", "installed %s\n", path);
	print_string("gptctl", "  it runs %s at prepare/begin and release/end\n", gptctl);
	print_text("  libvirt looks for hooks when it starts: restart libvirtd (or virtqemud), or send it SIGHUP, once\n");
	close_json_object();
	print_end();
	return EXIT_OK;
}

/* ---- Proxmox VE ---- */

static int pve_print(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "gptctl", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 }
	};
	char gptctl[PATH_MAX] = "";
	int c;

	while ((c = cmd_getopt(argc, argv, "", longopts)) != -1) {
		if (c != 'g')
			return EXIT_USAGE;
		if (optarg[0] != '/')
			return usage_error("--gptctl wants an absolute path");
		snprintf(gptctl, sizeof(gptctl), "%s", optarg);
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!gptctl[0])
		self_path(gptctl, sizeof(gptctl));
	if (is_json()) {
		errmsg("hook proxmox prints a shell script; -j has no meaning here");
		return EXIT_USAGE;
	}
	fflush(stdout);
	printf("#!/bin/sh\n"
	       "# gpupt's hookscript for Proxmox VE, printed by 'gptctl hook proxmox'.\n"
	       "#   gptctl hook proxmox >/var/lib/vz/snippets/gpupt-hook.sh\n"
	       "#   chmod 0755 /var/lib/vz/snippets/gpupt-hook.sh\n"
	       "#   qm set VMID --hookscript local:snippets/gpupt-hook.sh\n"
	       "# Proxmox runs it as: gpupt-hook.sh VMID PHASE.  At pre-start gptctl reads\n"
	       "# the hostpciN lines of /etc/pve/qemu-server/VMID.conf (mapped devices through\n"
	       "# /etc/pve/mapping/pci.cfg) and hands the functions that gpupt holds to\n"
	       "# vfio-pci in one transaction; when it refuses, the VM does not start.  At\n"
	       "# post-stop it puts back what it moved.  Other phases return at once.\n"
	       "case \"$2\" in\n"
	       "pre-start|post-stop)\n"
	       "\texec ");
	sh_quote(stdout, gptctl);
	printf(" hook proxmox run -- \"$1\" \"$2\" ;;\n"
	       "esac\n"
	       "exit 0\n");
	return EXIT_OK;
}

static void pve_bad_line(unsigned int line, const char *msg, void *arg)
{
	errmsg("%s:%u: %s", (const char *)arg, line, msg);
}

/* This host's Proxmox node name: the host name up to the first dot. */
static void pve_nodename(char *buf, size_t len)
{
	if (gethostname(buf, len))
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	buf[strcspn(buf, ".")] = '\0';
}

/*
 * The functions of one HOSTPCIID under root's sysfs: the function itself,
 * or every function of the slot.  Returns how many were added, or -ENODEV.
 */
static int pve_expand(const char *root, const struct pve_pciid *id,
		      struct gpupt_addr *out, size_t max, size_t *n)
{
	char dir[PATH_MAX];
	int added = 0;

	for (unsigned int fn = 0; fn < 8; fn++) {
		struct gpupt_addr f = id->addr;

		if (!id->all_functions && fn)
			break;
		if (id->all_functions)
			f.devfn = (uint8_t)((f.devfn & ~7) | fn);
		pci_sysfs_path(root, &f, NULL, dir, sizeof(dir));
		if (!file_exists(dir))
			continue;
		if (*n == max)
			return -E2BIG;
		out[(*n)++] = f;
		added++;
	}
	return added ? added : -ENODEV;
}

/* Are all functions of the alternative held by gpupt (per sysfs)? */
static bool pve_alt_free(const char *root, const struct pve_pciid *id)
{
	struct gpupt_addr v[8];
	char drv[64];
	size_t n = 0;

	if (pve_expand(root, id, v, 8, &n) <= 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pci_driver(root, &v[i], drv, sizeof(drv)) ||
		    strcmp(drv, "gpupt"))
			return false;
	return true;
}

static bool vmid_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 9 || s[0] == '0')
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return strtoul(s, NULL, 10) >= 100;
}

struct pve_fn {
	struct gpupt_addr addr;
	unsigned int hostpci;
};

/*
 * The VM's functions from its config: every hostpciN, slots expanded,
 * mappings resolved for this node.  EXIT_OK or EXIT_FAIL (said why).
 */
static int pve_functions(const struct run_opts *o, const char *vmid,
			 struct pve_fn *fns, size_t max, size_t *nfns)
{
	struct pve_vmconf *vc = calloc(1, sizeof(*vc));
	char path[PATH_MAX], node[256], msg[512], *mapcfg = NULL;
	uint8_t *text = NULL;
	size_t len;
	int err, ret = EXIT_FAIL;

	*nfns = 0;
	if (!vc) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/%s.conf", o->conf_dir, vmid);
	err = file_read_all(path, 1 << 20, &text, &len);
	if (err) {
		errmsg("VM %s: cannot read %s: %s", vmid, path, strerror(-err));
		goto out;
	}
	err = pve_vmconf_parse((char *)text, vc, pve_bad_line, path);
	if (err) {
		errmsg("refusing to start VM %s: %d bad hostpci line%s in %s", vmid,
		       err, err == 1 ? "" : "s", path);
		goto out;
	}
	if (o->node)
		snprintf(node, sizeof(node), "%s", o->node);
	else
		pve_nodename(node, sizeof(node));
	for (size_t i = 0; i < vc->n; i++) {
		const struct pve_hostpci *hp = &vc->dev[i];
		struct pve_pciid alt[PVE_MAX_IDS];
		const struct pve_pciid *ids = hp->ids;
		size_t nids = hp->n_ids;

		if (hp->mdev) {
			errmsg("VM %s: hostpci%u is a mediated device (mdev=): the host driver keeps the function, left alone",
			       vmid, hp->index);
			continue;
		}
		if (hp->mapping[0]) {
			size_t chosen = 0;

			if (!mapcfg) {
				uint8_t *m;

				err = file_read_all(o->mapping, 1 << 20, &m, &len);
				if (err) {
					errmsg("refusing to start VM %s: hostpci%u: mapping=%s, but %s cannot be read: %s",
					       vmid, hp->index, hp->mapping, o->mapping, strerror(-err));
					goto out;
				}
				mapcfg = (char *)m;
			}
			err = pve_mapping_lookup(mapcfg, hp->mapping, node, alt,
						 PVE_MAX_IDS, &nids, msg, sizeof(msg));
			if (err) {
				errmsg("refusing to start VM %s: hostpci%u: %s (%s)", vmid,
				       hp->index, msg, o->mapping);
				goto out;
			}
			/*
			 * Alternatives: Proxmox takes the first one not in use;
			 * gpupt hands off the first one it holds whole.
			 */
			for (size_t k = 0; k < nids; k++)
				if (pve_alt_free(o->root, &alt[k])) {
					chosen = k;
					break;
				}
			ids = &alt[chosen];
			nids = 1;
		}
		for (size_t k = 0; k < nids; k++) {
			struct gpupt_addr v[8];
			size_t nv = 0;
			char s[GPUPT_ADDR_STRLEN];

			err = pve_expand(o->root, &ids[k], v, 8, &nv);
			addr_format(&ids[k].addr, s);
			if (err < 0) {
				errmsg("refusing to start VM %s: hostpci%u: no PCI %s %.*s on this host",
				       vmid, hp->index, ids[k].all_functions ? "slot" : "function",
				       ids[k].all_functions ? (int)strlen(s) - 2 : (int)strlen(s), s);
				goto out;
			}
			for (size_t j = 0; j < nv && *nfns < max; j++) {
				bool dup = false;

				for (size_t q = 0; q < *nfns; q++)
					dup |= addr_equal(&fns[q].addr, &v[j]);
				if (dup)
					continue;
				fns[*nfns].addr = v[j];
				fns[*nfns].hostpci = hp->index;
				(*nfns)++;
			}
		}
	}
	ret = EXIT_OK;
out:
	free(mapcfg);
	free(text);
	free(vc);
	return ret;
}

static int pve_run(int argc, char **argv)
{
	struct pve_fn fns[HOOK_MAX_FNS];
	struct gpupt_addr addrs[HOOK_MAX_FNS];
	struct hook_ctx h = { 0 };
	struct run_opts o;
	const char *vmid, *phase;
	char who[32], a[GPUPT_ADDR_STRLEN];
	size_t n;
	int ret;

	if (run_getopt(argc, argv, true, &o))
		return EXIT_USAGE;
	if (argc - optind != 2)
		return usage_error("hook proxmox run wants VMID PHASE, as Proxmox calls hookscripts");
	vmid = argv[optind];
	phase = argv[optind + 1];
	if (!vmid_ok(vmid))
		return usage_error("'%s' is not a Proxmox VMID (100..999999999)", vmid);
	if (strcmp(phase, "pre-start") && strcmp(phase, "post-stop"))
		return EXIT_OK;		/* post-start, pre-stop */

	hook_arm_timeout(o.timeout);
	clock_gettime(CLOCK_MONOTONIC, &h.t0);
	snprintf(who, sizeof(who), "VM %s", vmid);
	h.who = who;
	h.conf_path = o.conf_path;
	snprintf(h.key, sizeof(h.key), "pve-%s", vmid);

	if (!strcmp(phase, "post-stop") && !o.dry_run) {
		ret = hook_release(&h);
		hook_ctx_free(&h);
		return ret;
	}
	ret = pve_functions(&o, vmid, fns, HOOK_MAX_FNS, &n);
	if (ret != EXIT_OK)
		return ret;
	if (o.dry_run) {
		open_json_object(NULL);
		print_uint("vmid", NULL, strtoul(vmid, NULL, 10));
		print_string("phase", NULL, phase);
		open_json_array("functions");
		for (size_t i = 0; i < n; i++) {
			open_json_object(NULL);
			addr_format(&fns[i].addr, a);
			print_string("address", "%s", a);
			print_uint("hostpci", " hostpci%llu\n", fns[i].hostpci);
			close_json_object();
		}
		close_json_array();
		close_json_object();
		print_end();
		return EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		addrs[i] = fns[i].addr;
	ret = n ? hook_prepare(&h, addrs, n) : EXIT_OK;
	hook_ctx_free(&h);
	return ret;
}

int cmd_hook(int argc, char **argv)
{
	const char *mgr = argc > 1 ? argv[1] : "";
	const char *act = argc > 2 ? argv[2] : "";

	if (!strcmp(mgr, "libvirt")) {
		if (!strcmp(act, "install") || !strcmp(act, "uninstall"))
			return libvirt_install(argc - 2, argv + 2, act[0] == 'i');
		if (!strcmp(act, "run"))
			return libvirt_run(argc - 2, argv + 2);
		return usage_error("hook libvirt wants install, uninstall or run");
	}
	if (!strcmp(mgr, "proxmox")) {
		if (!strcmp(act, "run"))
			return pve_run(argc - 2, argv + 2);
		if (act[0] && act[0] != '-')
			return usage_error("hook proxmox wants no argument (prints the hookscript) or run");
		return pve_print(argc - 1, argv + 1);
	}
	return usage_error("hook wants libvirt or proxmox");
}
