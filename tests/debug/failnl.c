// SPDX-License-Identifier: GPL-2.0
/*
 * failnl: gpupt's netlink handlers and handoff engine under failslab fault
 * injection, on a debug kernel (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_
 * DEBUG_FS).  Run inside the VM rig by tests/vm/t9x-failslab.sh.
 *
 *   failnl [-n OPS] [-s SEED] [-w BUDGET] [-N] [-v] GPU AUDIO EDU1 EDU2
 *
 * -N runs the same operations and checks without injecting anything (on
 * any kernel: it checks the harness's model of each operation).
 *
 * GPU and AUDIO are two functions of one IOMMU group; EDU1 and EDU2 are
 * single-function groups.  No native driver may be loaded for any of them
 * (bochs, snd-hda-intel): then UNCLAIM and RELEASE leave a function
 * driverless, deterministically, and no foreign probe() runs under fault.
 *
 * Every operation is a template: a fault-free setup that puts the
 * functions into a known state (checked), then one well-formed request
 * with faults armed, then a check of sysfs (driver and driver_override of
 * all four functions) against the outcome:
 *   - the request failed (error ACK, or the send itself failed): nothing
 *     may have changed, i.e. the rollback was complete;
 *   - it succeeded: exactly the template's effect happened;
 *   - the ACK was lost (the socket reported ENOBUFS: the ACK or a dump
 *     part could not be allocated): either of the two.
 * Faults are armed only for this process (failslab task-filter=Y and
 * /proc/self/make-it-fail=1 around the request, or fail-nth), so kernel
 * work done in the context of its sendmsg()/recvmsg() fails, and nothing
 * else on the guest does.  Work a request queues on a workqueue runs in a
 * kworker and is not faulted; gpupt runs the first IOMMU group of a
 * HANDOFF inline and only further groups on its workqueue, so the
 * multi-group templates name the groups in a random order and each
 * group's move is faulted inline in some of them.
 *
 * Two phases:
 *   random  OPS operations with a random template, and failslab
 *           probability 1..100 % and interval 1..8, times=1: at most one
 *           injected failure per request, at a random allocation;
 *   sweep   (-w BUDGET) for each template: one clean request with
 *           fail-nth set far out counts the A slab allocations it makes in
 *           this task; then, with fail-nth = N, the Nth allocation fails,
 *           for N = 1..A (all of them when A <= BUDGET, else BUDGET of
 *           them, evenly spaced from a random start): every allocation
 *           site on the path fails, one at a time.
 *
 * Output: operations run, how many had an injected failure, outcomes by
 * errno, and the extack messages seen.  Exit 0 when every check held, 1
 * when one failed, 2 on a setup error.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/gpupt.h>

#include "pcifn.h"
#include "rawnl.h"
#include "rnd.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define NAMELEN		PCIFN_NAMELEN
#define NDEV		4
#define RXBUF		(256 * 1024)

enum { GPU, AUD, EDU1, EDU2 };

struct fdev {
	char name[16];
	uint32_t domain;
	uint8_t bus, devfn;
};

struct state {
	char drv[NDEV][NAMELEN];
	char ovr[NDEV][NAMELEN];
};

static struct fdev devs[NDEV];
static int verbose;
static unsigned long failures;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "failnl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ------------------------------------------------------------------ */
/* fault injection controls                                            */
/* ------------------------------------------------------------------ */
static int fd_mif = -1, fd_nth = -1;
static int nofaults;		/* -N: no fault injection (checks the model) */

static void wfile(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("%s: %s", path, strerror(errno));
	close(fd);
}

static long rfile(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die("%s: cannot read", path);
	buf[n] = 0;
	return strtol(buf, NULL, 0);
}

static void fs_set(const char *knob, long v)
{
	char path[128], val[32];

	if (nofaults)
		return;
	snprintf(path, sizeof(path), FAILSLAB "/%s", knob);
	snprintf(val, sizeof(val), "%ld", v);
	wfile(path, val);
}

/* Per-task switches, opened once: arming and disarming allocates nothing. */
static void mif(int on)
{
	if (nofaults)
		return;
	if (pwrite(fd_mif, on ? "1" : "0", 1, 0) != 1)
		die("/proc/self/make-it-fail: %s", strerror(errno));
}

static void nth_set(unsigned int n)
{
	char val[16];
	int len = snprintf(val, sizeof(val), "%u", n);

	if (nofaults)
		return;
	if (pwrite(fd_nth, val, len, 0) != len)
		die("fail-nth: %s", strerror(errno));
}

static unsigned int nth_get(void)
{
	char buf[16] = "";
	ssize_t n;

	if (nofaults)
		return 1;
	n = pread(fd_nth, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		die("fail-nth: %s", strerror(errno));
	buf[n] = 0;
	return (unsigned int)strtoul(buf, NULL, 0);
}

static void faults_init(void)
{
	char path[64];

	if (nofaults)
		return;
	if (access(FAILSLAB "/probability", W_OK))
		die(FAILSLAB ": %s (needs CONFIG_FAILSLAB and debugfs)",
		    strerror(errno));
	/* off until armed for one request of this task */
	fs_set("probability", 0);
	fs_set("interval", 1);
	fs_set("times", 0);
	fs_set("space", 0);
	wfile(FAILSLAB "/task-filter", "Y");
	/* GFP_KERNEL allocations are the ones that matter */
	wfile(FAILSLAB "/ignore-gfp-wait", "N");
	wfile(FAILSLAB "/cache-filter", "N");
	fs_set("verbose", 1);
	fd_mif = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", getpid());
	fd_nth = open(path, O_RDWR | O_CLOEXEC);
	if (fd_mif < 0 || fd_nth < 0)
		die("/proc/self/make-it-fail or fail-nth: %s", strerror(errno));
	mif(0);
	nth_set(0);
}

static void faults_off(void)
{
	mif(0);
	nth_set(0);
	fs_set("probability", 0);
	fs_set("times", 0);
}

/* ------------------------------------------------------------------ */
/* sysfs                                                               */
/* ------------------------------------------------------------------ */
static void sysfs_state(struct state *s)
{
	unsigned int i;
	int err;

	for (i = 0; i < NDEV; i++) {
		err = pcifn_driver(devs[i].name, s->drv[i], s->ovr[i]);
		if (err)
			die("/sys/bus/pci/devices/%s/driver_override: %s",
			    devs[i].name, strerror(-err));
	}
}

static int state_eq(const struct state *a, const struct state *b)
{
	unsigned int i;

	for (i = 0; i < NDEV; i++)
		if (strcmp(a->drv[i], b->drv[i]) || strcmp(a->ovr[i], b->ovr[i]))
			return 0;
	return 1;
}

static void state_str(const struct state *s, char *buf, size_t len)
{
	size_t o = 0;
	unsigned int i;

	for (i = 0; i < NDEV && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s=%s/%s", i ? " " : "",
			      devs[i].name + 5, s->drv[i][0] ? s->drv[i] : "-",
			      s->ovr[i][0] ? s->ovr[i] : "-");
}

/* ------------------------------------------------------------------ */
/* netlink                                                             */
/* ------------------------------------------------------------------ */
static int nlfd = -1;
static uint16_t family;
static uint32_t seqno = 1;
static uint8_t rxbuf[RXBUF];

static void put_addr(struct rawnl_msg *m, const struct fdev *d)
{
	rawnl_put_addr(m, GPUPT_A_DEVICE, d->domain, d->bus, d->devfn);
}

static void hdr(struct rawnl_msg *m, uint16_t type, uint16_t flags, uint8_t cmd)
{
	rawnl_hdr(m, type, flags, cmd, ++seqno);
}

static void nl_open(void)
{
	if (nlfd >= 0)
		close(nlfd);
	nlfd = rawnl_open(300);
	if (nlfd < 0)
		die("netlink socket: %s", strerror(-nlfd));
}

/* What came back for one request. */
struct outcome {
	int sent;		/* sendto() succeeded */
	int send_err;		/* its errno otherwise */
	int acked;		/* error ACK or NLMSG_DONE seen */
	int err;		/* <= 0 */
	int sock_err;		/* recv() failed before the ACK (errno) */
	int replies;
	char ext[160];
};

/*
 * Send @m and receive until its ACK (a dump: NLMSG_DONE).  A receive
 * error (ENOBUFS: the kernel could not allocate the ACK or the next dump
 * part) ends the exchange; the socket is then replaced, because a dump
 * whose part failed stays stuck on it.
 */
static void transact(struct rawnl_msg *m, struct outcome *o)
{
	uint32_t seq = ((const struct nlmsghdr *)m->d)->nlmsg_seq;
	int err;

	memset(o, 0, sizeof(*o));
	((struct nlmsghdr *)m->d)->nlmsg_len = (uint32_t)m->len;
	err = rawnl_send(nlfd, m->d, m->len);
	if (err) {
		o->send_err = -err;
		return;
	}
	o->sent = 1;
	while (!o->acked) {
		ssize_t len = rawnl_recv(nlfd, rxbuf, sizeof(rxbuf), 0);
		struct nlmsghdr *n;

		if (len < 0) {
			o->sock_err = (int)-len;
			return;
		}
		for (n = (struct nlmsghdr *)rxbuf; NLMSG_OK(n, (size_t)len);
		     n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_seq != seq)
				continue;
			if (n->nlmsg_type == NLMSG_ERROR) {
				o->err = rawnl_err(n, o->ext, sizeof(o->ext));
				o->acked = 1;
			} else if (n->nlmsg_type == NLMSG_DONE) {
				err = rawnl_done(n);
				if (err && !o->err)
					o->err = err;
				o->acked = 1;
			} else {
				o->replies++;
			}
		}
	}
}

static void resolve_family(void)
{
	int id = rawnl_family(nlfd, GPUPT_GENL_NAME, ++seqno, rxbuf, sizeof(rxbuf));

	if (id < 0)
		die("family %s: %s", GPUPT_GENL_NAME, strerror(-id));
	family = (uint16_t)id;
}

/* ------------------------------------------------------------------ */
/* requests                                                            */
/* ------------------------------------------------------------------ */
static void req_dev(struct rawnl_msg *m, uint8_t cmd, int dev, uint32_t flags)
{
	hdr(m, family, NLM_F_REQUEST | NLM_F_ACK, cmd);
	put_addr(m, &devs[dev]);
	if (flags)
		rawnl_put(m, GPUPT_A_FLAGS, &flags, 4);
}

static void req_devs(struct rawnl_msg *m, uint8_t cmd, const int *dv, int n,
		     uint32_t flags)
{
	size_t nest;
	int i;

	hdr(m, family, NLM_F_REQUEST | NLM_F_ACK, cmd);
	nest = rawnl_nest_begin(m, GPUPT_A_DEVICES);
	for (i = 0; i < n; i++)
		put_addr(m, &devs[dv[i]]);
	rawnl_nest_end(m, nest);
	if (flags)
		rawnl_put(m, GPUPT_A_FLAGS, &flags, 4);
}

static const char *const cmd_names[] = {
	"?", "DEV_GET", "CLAIM", "UNCLAIM", "HANDOFF", "RECLAIM", "RELEASE",
	"BARS_GET", "RESET", "STATS_GET",
};

/* A fault-free request that must succeed. */
static void must(uint8_t cmd, int dev)
{
	struct outcome o;
	struct rawnl_msg m;

	req_dev(&m, cmd, dev, 0);
	transact(&m, &o);
	if (!o.sent || o.sock_err || o.err) {
		failures++;
		fprintf(stderr, "failnl: FAIL: setup %s %s without faults: %s %s\n",
			cmd_names[cmd], devs[dev].name,
			strerror(o.send_err ? o.send_err : o.sock_err ? o.sock_err : -o.err),
			o.ext);
		nl_open();
	}
}

/* ------------------------------------------------------------------ */
/* templates                                                           */
/* ------------------------------------------------------------------ */
struct effect {
	int dev;
	const char *drv, *ovr;	/* NULL: unchanged */
};

struct tmpl {
	const char *name;
	void (*setup)(void);
	void (*build)(struct rawnl_msg *m);
	struct effect eff[NDEV + 1];	/* terminated by .drv == NULL */
};

#define G "gpupt"
#define V "vfio-pci"

static void s_none(void) { }
static void s_gpu_held(void) { must(GPUPT_CMD_RECLAIM, GPU); }
static void s_gpu_vfio(void) { must(GPUPT_CMD_HANDOFF, GPU); }
static void s_gpu_none(void) { must(GPUPT_CMD_RECLAIM, GPU); must(GPUPT_CMD_RELEASE, GPU); }
static void s_edu1_held(void) { must(GPUPT_CMD_CLAIM, EDU1); }
static void s_edu1_none(void) { must(GPUPT_CMD_CLAIM, EDU1); must(GPUPT_CMD_UNCLAIM, EDU1); }
static void s_edu1_vfio(void) { must(GPUPT_CMD_CLAIM, EDU1); must(GPUPT_CMD_HANDOFF, EDU1); }
static void s_all_held(void)
{
	must(GPUPT_CMD_RECLAIM, GPU);
	must(GPUPT_CMD_CLAIM, EDU1);
	must(GPUPT_CMD_CLAIM, EDU2);
}

static void s_edu2_held(void) { must(GPUPT_CMD_CLAIM, EDU2); }

static void b_dev_get(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_DEV_GET, GPU, 0); }
static void b_dump(struct rawnl_msg *m)
{
	hdr(m, family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, GPUPT_CMD_DEV_GET);
}
static void b_stats(struct rawnl_msg *m) { hdr(m, family, NLM_F_REQUEST | NLM_F_ACK, GPUPT_CMD_STATS_GET); }
static void b_bars(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_BARS_GET, GPU, 0); }
static void b_claim(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_CLAIM, EDU1, rn(2) ? GPUPT_F_FORCE : 0); }
static void b_unclaim(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_UNCLAIM, EDU1, 0); }
static void b_handoff(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_HANDOFF, GPU, 0); }
static void b_handoff_edu(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_HANDOFF, EDU1, 0); }
static void b_handoff_single(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_HANDOFF, GPU, GPUPT_F_SINGLE); }
static void b_handoff_dry(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_HANDOFF, GPU, GPUPT_F_DRY_RUN); }
static void b_reclaim(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_RECLAIM, GPU, 0); }
static void b_release(struct rawnl_msg *m) { req_dev(m, GPUPT_CMD_RELEASE, GPU, 0); }

/* Three groups, in a random order: the first runs inline, faulted. */
static void b_handoff_multi(struct rawnl_msg *m)
{
	int dv[3] = { GPU, EDU1, EDU2 }, i, j, t;

	for (i = 2; i > 0; i--) {
		j = (int)rn((unsigned int)i + 1);
		t = dv[i];
		dv[i] = dv[j];
		dv[j] = t;
	}
	req_devs(m, GPUPT_CMD_HANDOFF, dv, 3, 0);
}

static void b_reset(struct rawnl_msg *m)
{
	int dv[1] = { EDU2 };

	req_devs(m, GPUPT_CMD_RESET, dv, 1, 0);
}

static void b_reset_dry(struct rawnl_msg *m)
{
	int dv[2] = { GPU, EDU2 };

	req_devs(m, GPUPT_CMD_RESET, dv, 2, GPUPT_F_DRY_RUN);
}

static const struct tmpl tmpls[] = {
	{ "dev_get", s_none, b_dev_get, { { 0 } } },
	{ "dev_get_dump", s_none, b_dump, { { 0 } } },
	{ "stats_get", s_none, b_stats, { { 0 } } },
	{ "bars_get", s_none, b_bars, { { 0 } } },
	{ "claim", s_edu1_none, b_claim, { { EDU1, G, G }, { 0 } } },
	{ "claim_from_vfio", s_edu1_vfio, b_claim, { { EDU1, G, G }, { 0 } } },
	{ "unclaim", s_edu1_held, b_unclaim, { { EDU1, "", "" }, { 0 } } },
	{ "handoff_group", s_gpu_held, b_handoff, { { GPU, V, V }, { AUD, V, V }, { 0 } } },
	{ "handoff_single", s_gpu_held, b_handoff_single, { { GPU, V, V }, { 0 } } },
	{ "handoff_one_fn", s_edu1_held, b_handoff_edu, { { EDU1, V, V }, { 0 } } },
	{ "handoff_from_none", s_gpu_none, b_handoff, { { GPU, V, V }, { AUD, V, V }, { 0 } } },
	{ "handoff_3_groups", s_all_held, b_handoff_multi,
	  { { GPU, V, V }, { AUD, V, V }, { EDU1, V, V }, { EDU2, V, V }, { 0 } } },
	{ "handoff_dry_run", s_gpu_held, b_handoff_dry, { { 0 } } },
	{ "reclaim", s_gpu_vfio, b_reclaim, { { GPU, G, G }, { AUD, G, G }, { 0 } } },
	{ "release", s_gpu_held, b_release, { { GPU, "", "" }, { AUD, "", "" }, { 0 } } },
	{ "release_from_vfio", s_gpu_vfio, b_release, { { GPU, "", "" }, { AUD, "", "" }, { 0 } } },
	{ "reset", s_edu2_held, b_reset, { { 0 } } },
	{ "reset_dry_run", s_edu2_held, b_reset_dry, { { 0 } } },
};
#define NTMPL (sizeof(tmpls) / sizeof(tmpls[0]))

/* ------------------------------------------------------------------ */
/* running and checking                                                */
/* ------------------------------------------------------------------ */
static unsigned long n_ops, n_faulted, n_injected, n_ok, n_err, n_sendfail,
		     n_lost, n_dump_reopen;
static unsigned long tmpl_ops[NTMPL], tmpl_faulted[NTMPL];
static unsigned long errno_count[256];

static struct rawnl_extc extcs[64];
static unsigned int nextcs;

static void count_ext(const char *s)
{
	char norm[96];
	unsigned int i, j = 0;

	/* fold addresses and numbers */
	for (i = 0; s[i] && j < sizeof(norm) - 1; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			while (s[i + 1] && strchr("0123456789abcdef:.", s[i + 1]))
				i++;
			norm[j++] = '#';
			continue;
		}
		norm[j++] = s[i];
	}
	norm[j] = 0;
	rawnl_extc_add(extcs, &nextcs, sizeof(extcs) / sizeof(extcs[0]), norm, 0);
}

static void apply(const struct tmpl *t, const struct state *before,
		  struct state *want)
{
	const struct effect *e;

	*want = *before;
	for (e = t->eff; e->drv; e++) {
		snprintf(want->drv[e->dev], NAMELEN, "%s", e->drv);
		snprintf(want->ovr[e->dev], NAMELEN, "%s", e->ovr);
	}
}

static void fail(const struct tmpl *t, const char *how, const struct outcome *o,
		 const struct state *before, const struct state *want,
		 const struct state *now)
{
	char b[256], w[256], n[256];

	failures++;
	state_str(before, b, sizeof(b));
	state_str(want, w, sizeof(w));
	state_str(now, n, sizeof(n));
	fprintf(stderr, "failnl: FAIL: op %lu %s (%s): %s\n", n_ops, t->name, how,
		o->ext);
	fprintf(stderr, "failnl:   before   %s\nfailnl:   expected %s\nfailnl:   sysfs    %s\n",
		b, w, n);
	if (failures >= 20) {
		faults_off();
		fprintf(stderr, "failnl: too many failures, stopping\n");
		exit(1);
	}
}

/*
 * One operation.  @armed arms the faults (the caller has set the failslab
 * knobs or fail-nth); @injected is how many failures were injected.
 */
static void check(const struct tmpl *t, const struct outcome *o,
		  const struct state *before, unsigned long injected)
{
	struct state now, want;
	int e;

	sysfs_state(&now);
	apply(t, before, &want);
	n_ops++;
	tmpl_ops[t - tmpls]++;
	if (injected) {
		n_faulted++;
		n_injected += injected;
		tmpl_faulted[t - tmpls]++;
	}
	if (!o->sent) {
		n_sendfail++;
		e = o->send_err;
		if (e > 0 && e < 256)
			errno_count[e]++;
		if (!state_eq(&now, before))
			fail(t, "send failed, yet something changed", o, before, before, &now);
		return;
	}
	if (o->sock_err) {
		/* the ACK (or a dump part) was lost: either outcome is fine */
		n_lost++;
		if (o->sock_err < 256)
			errno_count[o->sock_err]++;
		if (!state_eq(&now, before) && !state_eq(&now, &want))
			fail(t, "ACK lost, and the state is neither before nor after",
			     o, before, &want, &now);
		nl_open();
		if (t->build == b_dump)
			n_dump_reopen++;
		return;
	}
	if (o->err) {
		n_err++;
		/*
		 * A dump whose first part could not be allocated answers with
		 * an error ACK but stays open on the socket: start afresh.
		 */
		if (t->build == b_dump) {
			n_dump_reopen++;
			nl_open();
		}
		if (-o->err < 256)
			errno_count[-o->err]++;
		if (o->ext[0])
			count_ext(o->ext);
		if (!injected)
			fail(t, "failed without an injected fault", o, before, &want, &now);
		else if (!state_eq(&now, before))
			fail(t, "failed, but not rolled back", o, before, before, &now);
		return;
	}
	n_ok++;
	if (!state_eq(&now, &want))
		fail(t, "succeeded, but the state is not its effect", o, before,
		     &want, &now);
}

/* Random phase: one op, at most one failure at a random allocation. */
static void one_random(void)
{
	const struct tmpl *t = &tmpls[rn(NTMPL)];
	struct state before;
	struct outcome o;
	struct rawnl_msg m;
	long left;

	t->setup();
	sysfs_state(&before);
	t->build(&m);
	fs_set("interval", 1 + rn(8));
	fs_set("probability", 1 + rn(100));
	fs_set("times", 1);
	mif(1);
	transact(&m, &o);
	mif(0);
	left = nofaults ? 1 : rfile(FAILSLAB "/times");
	fs_set("probability", 0);
	fs_set("times", 0);
	check(t, &o, &before, left == 0);
	if (verbose > 1)
		fprintf(stderr, "failnl: %s: %s err %d sock %d %s\n", t->name,
			left == 0 ? "faulted" : "clean", o.err, o.sock_err, o.ext);
}

/* One request with fail-nth = @n (0: none); returns fail-nth afterwards. */
static unsigned int nth_op(const struct tmpl *t, unsigned int n, struct outcome *o,
			   struct state *before)
{
	struct rawnl_msg m;
	unsigned int left;

	t->setup();
	sysfs_state(before);
	t->build(&m);
	nth_set(n);
	transact(&m, o);
	left = nth_get();
	nth_set(0);
	return left;
}

/*
 * Sweep phase: count the allocations A the request makes in this task
 * (fail-nth set far out: A = how far it got), then fail the Nth one for
 * N = 1..A, every one if A <= @budget, else with a stride from a random
 * start so that @budget requests spread over the whole path.
 */
static void sweep(const struct tmpl *t, unsigned int budget, unsigned int *allocs,
		  unsigned int *swept)
{
	const unsigned int far = 1000000;
	struct state before;
	struct outcome o;
	unsigned int n, left, stride;

	left = nth_op(t, far, &o, &before);
	check(t, &o, &before, left == 0);
	*allocs = nofaults || !left ? 0 : far - left;
	*swept = 0;
	if (!*allocs)
		return;
	stride = (*allocs + budget - 1) / budget;
	for (n = 1 + rn(stride); n <= *allocs; n += stride) {
		left = nth_op(t, n, &o, &before);
		check(t, &o, &before, left == 0);
		++*swept;
	}
}

/* The module still answers, and agrees with sysfs. */
static void final_checks(void)
{
	struct outcome o;
	struct rawnl_msg m;

	b_stats(&m);
	transact(&m, &o);
	if (!o.sent || o.sock_err || o.err) {
		failures++;
		fprintf(stderr, "failnl: FAIL: final STATS_GET: %s\n",
			strerror(o.send_err ? o.send_err : o.sock_err ? o.sock_err : -o.err));
	}
	b_dump(&m);
	transact(&m, &o);
	if (!o.sent || o.sock_err || o.err || o.replies < NDEV) {
		failures++;
		fprintf(stderr, "failnl: FAIL: final dump: err %d, %d records\n",
			o.err, o.replies);
	}
}

static int parse_addr(const char *s, struct fdev *d)
{
	if (pcifn_parse(s, &d->domain, &d->bus, &d->devfn))
		return -1;
	snprintf(d->name, sizeof(d->name), "%04x:%02x:%02x.%u", d->domain,
		 d->bus, d->devfn >> 3, d->devfn & 7);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long count = 300, i;
	unsigned int maxnth = 0;
	double t0;
	int c;

	rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((c = getopt(argc, argv, "n:s:w:vN")) != -1) {
		switch (c) {
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 's': rng = strtoull(optarg, NULL, 0); break;
		case 'w': maxnth = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'v': verbose++; break;
		case 'N': nofaults = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != NDEV)
		goto usage;
	for (i = 0; i < NDEV; i++)
		if (parse_addr(argv[optind + i], &devs[i]))
			die("bad address %s", argv[optind + i]);
	if (!rng)
		rng = 1;
	printf("failnl: seed %llu\n", (unsigned long long)rng);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* fault the receive buffer in now: no page fault while armed */
	memset(rxbuf, 0, sizeof(rxbuf));
	faults_init();
	nl_open();
	resolve_family();

	t0 = now_s();
	for (i = 0; i < count; i++)
		one_random();
	printf("failnl: random: %lu operations in %.0f s, %lu with an injected failure\n",
	       n_ops, now_s() - t0, n_faulted);

	if (maxnth) {
		unsigned long ops0 = n_ops, f0 = n_faulted;
		unsigned int allocs, swept;

		t0 = now_s();
		for (i = 0; i < NTMPL; i++) {
			sweep(&tmpls[i], maxnth, &allocs, &swept);
			printf("failnl: sweep %-18s %4u allocations in this task, %4u of them failed one at a time\n",
			       tmpls[i].name, allocs, swept);
		}
		printf("failnl: sweep: %lu operations in %.0f s, %lu with an injected failure\n",
		       n_ops - ops0, now_s() - t0, n_faulted - f0);
	}
	faults_off();
	final_checks();

	printf("failnl: operations %lu, with an injected failure %lu (failures injected %lu)\n",
	       n_ops, n_faulted, n_injected);
	printf("failnl: outcomes: succeeded %lu, error ACK %lu, send failed %lu, ACK lost %lu (dumps abandoned %lu)\n",
	       n_ok, n_err, n_sendfail, n_lost, n_dump_reopen);
	printf("failnl: errors:");
	for (i = 1; i < 256; i++)
		if (errno_count[i])
			printf(" %s %lu", strerrorname_np((int)i) ?: "?", errno_count[i]);
	printf("\n");
	for (i = 0; i < NTMPL; i++)
		printf("failnl:   %-18s ops %5lu faulted %5lu\n", tmpls[i].name,
		       tmpl_ops[i], tmpl_faulted[i]);
	for (i = 0; i < nextcs; i++)
		printf("failnl:   extack %5lu  %s\n", extcs[i].count, extcs[i].text);
	printf("failnl: %s (%lu failures)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
usage:
	fprintf(stderr, "usage: failnl [-n OPS] [-s SEED] [-w BUDGET] [-N] [-v] GPU AUDIO EDU1 EDU2\n");
	return 2;
}
