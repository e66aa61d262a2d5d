// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: a fuzzer for the gpupt generic netlink family, run against the
 * real module inside the VM rig (tests/vm/t71-nlfuzz.sh).
 *
 *   nlfuzz -a ADDR[,ADDR...] [-n COUNT] [-s SEED] [-S STATEFILE] [-u] [-v]
 *
 * It talks raw netlink (no libnl; tests/lib/rawnl.c), because most of what
 * it sends is what libnl would refuse to build: random commands, attribute
 * types, lengths and nesting, truncated headers, bad nlmsg_len,
 * out-of-range addresses and flag bits, deep recursive nests.  A share of
 * the messages is well formed, so the handlers run and really move devices.
 *
 * Safety: only the functions given with -a are ever named.  Every message
 * is checked before it is sent (a superset of how the kernel could parse
 * it): if any nest in it could name an existing PCI function that is not
 * in -a, the message is regenerated.  Only one kernel-visible message goes
 * in each datagram, and its type is the gpupt family or a control type.
 *
 * State tracking: after every message the driver and driver_override of
 * each -a function are read from sysfs and compared with what the
 * accepted commands should have done (CLAIM and RECLAIM put the function
 * on gpupt, HANDOFF on its target, UNCLAIM and RELEASE on the native
 * driver the reply names or none; a dry run, a reset and every rejected
 * command change nothing).  The reply of every accepted mutating command
 * is checked against the same expectation.
 *
 * Every message is followed by a ping (STATS_GET with an ACK), so the
 * fuzzer knows when the kernel is done with a message even when nothing
 * answers it (a truncated header is dropped silently) and proves, message
 * by message, that the module still answers.
 *
 * Output: counts of messages sent, rejected by policy (the netlink and
 * genetlink core: header, command, permission and attribute policy),
 * rejected by a gpupt handler, accepted, and ignored (not a request, or
 * dropped by the netlink core without an answer).  Exit status 0 when
 * every check held, 1 when one failed, 2 on a usage or setup error.
 *
 * -u: the caller has no CAP_NET_ADMIN; no mutating command may succeed.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/wait.h>
#include <stddef.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/gpupt.h>

#include "pcifn.h"
#include "rawnl.h"
#include "rnd.h"

#define MAXMSG		RAWNL_MSGMAX
#define RXBUF		(128 * 1024)
#define MAXDEV		32
#define MAXEXIST	1024
#define NAMELEN		PCIFN_NAMELEN

/* ------------------------------------------------------------------ */
/* randomness                                                          */
/* ------------------------------------------------------------------ */
static int chance(unsigned int pct)
{
	return rn(100) < pct;
}

/* ------------------------------------------------------------------ */
/* devices                                                             */
/* ------------------------------------------------------------------ */
struct fdev {
	char name[16];			/* 0000:01:00.0 */
	uint32_t domain;
	uint8_t bus, devfn;
	char drv[NAMELEN];		/* expected driver, "" = none */
	char ovr[NAMELEN];		/* expected driver_override, "" = none */
};

static struct fdev devs[MAXDEV];
static unsigned int ndevs;
static uint64_t exist[MAXEXIST];	/* every function in sysfs */
static unsigned int nexist;

static uint64_t addr_key(uint32_t domain, uint8_t bus, uint8_t devfn)
{
	return (uint64_t)domain << 16 | (unsigned int)bus << 8 | devfn;
}

static struct fdev *dev_find(uint32_t domain, uint8_t bus, uint8_t devfn)
{
	unsigned int i;

	for (i = 0; i < ndevs; i++)
		if (devs[i].domain == domain && devs[i].bus == bus &&
		    devs[i].devfn == devfn)
			return &devs[i];
	return NULL;
}

static int exists(uint32_t domain, uint8_t bus, uint8_t devfn)
{
	uint64_t k = addr_key(domain, bus, devfn);
	unsigned int i;

	for (i = 0; i < nexist; i++)
		if (exist[i] == k)
			return 1;
	return 0;
}

static void scan_sysfs(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	uint32_t dom;
	uint8_t bus, devfn;

	if (!d) {
		perror("nlfuzz: /sys/bus/pci/devices");
		exit(2);
	}
	while ((e = readdir(d)))
		if (!pcifn_parse(e->d_name, &dom, &bus, &devfn) &&
		    nexist < MAXEXIST)
			exist[nexist++] = addr_key(dom, bus, devfn);
	closedir(d);
}

/* sysfs driver and driver_override of @d ("" for none). */
static void sysfs_state(const struct fdev *d, char *drv, char *ovr)
{
	pcifn_driver(d->name, drv, ovr);
}

/* ------------------------------------------------------------------ */
/* message building                                                    */
/* ------------------------------------------------------------------ */
struct msg {
	struct rawnl_msg nl;	/* what was built */
	size_t sendlen;		/* bytes sent (may differ: truncation) */
	int wellformed;		/* built by the grammar, not mutated */
};

static void put_attr(struct msg *m, uint16_t type, const void *p, size_t n)
{
	rawnl_put(&m->nl, type, p, n);
}

static void put_u8(struct msg *m, uint16_t t, uint8_t v) { put_attr(m, t, &v, 1); }
static void put_u16(struct msg *m, uint16_t t, uint16_t v) { put_attr(m, t, &v, 2); }
static void put_u32(struct msg *m, uint16_t t, uint32_t v) { put_attr(m, t, &v, 4); }
static void put_u64(struct msg *m, uint16_t t, uint64_t v) { put_attr(m, t, &v, 8); }

static void put_str(struct msg *m, uint16_t t, const char *s)
{
	put_attr(m, t, s, strlen(s) + 1);
}

static size_t nest_begin(struct msg *m, uint16_t type)
{
	return rawnl_nest_begin(&m->nl, type);
}

static void nest_end(struct msg *m, size_t off)
{
	rawnl_nest_end(&m->nl, off);
}

/* A well-formed address nest of @type naming @d. */
static void put_dev(struct msg *m, uint16_t type, const struct fdev *d)
{
	rawnl_put_addr(&m->nl, type, d->domain, d->bus, d->devfn);
}

/* An address for a request. */
static void gen_addr_vals(uint32_t *dom, uint8_t *bus, uint8_t *devfn)
{
	unsigned int r = rn(100);

	if (r < 65 && ndevs) {
		const struct fdev *d = &devs[rn(ndevs)];

		*dom = d->domain;
		*bus = d->bus;
		*devfn = d->devfn;
		return;
	}
	if (r < 85) {		/* well formed, but no such function */
		*dom = 0;
		*bus = (uint8_t)(0x40 + rn(0xbf));
		*devfn = (uint8_t)rn(256);
		return;
	}
	/* out of range */
	switch (rn(5)) {
	case 0: *dom = 0xffffffffu; break;
	case 1: *dom = 0x80000000u + rn(1000); break;
	case 2: *dom = 0x10000; break;
	case 3: *dom = 1 + rn(0xfffe); break;
	default: *dom = (uint32_t)rnd(); break;
	}
	*bus = chance(50) ? 0xff : (uint8_t)rn(256);
	*devfn = chance(50) ? 0xff : (uint8_t)rn(256);
}

/* A well-formed GPUPT_A_DEVICE-style nest (policy-valid). */
static void gen_addr_nest(struct msg *m, uint16_t type)
{
	uint32_t dom;
	uint8_t bus, devfn;
	int order = rn(3);
	size_t n;

	gen_addr_vals(&dom, &bus, &devfn);
	if (order == 0) {
		rawnl_put_addr(&m->nl, type, dom, bus, devfn);
		return;
	}
	n = nest_begin(m, type);
	if (order == 1) {
		put_u8(m, GPUPT_DEV_A_DEVFN, devfn);
		put_u8(m, GPUPT_DEV_A_BUS, bus);
		put_u32(m, GPUPT_DEV_A_DOMAIN, dom);
	} else {
		/* missing or record fields: still policy-valid */
		if (chance(70))
			put_u32(m, GPUPT_DEV_A_DOMAIN, dom);
		if (chance(70))
			put_u8(m, GPUPT_DEV_A_BUS, bus);
		if (chance(70))
			put_u8(m, GPUPT_DEV_A_DEVFN, devfn);
		if (chance(30))
			put_u16(m, GPUPT_DEV_A_VENDOR, (uint16_t)rnd());
		if (chance(30))
			put_u32(m, GPUPT_DEV_A_CLASS, 0x030000);
		if (chance(20))
			put_str(m, GPUPT_DEV_A_DRIVER, "gpupt");
		if (chance(20))
			put_u32(m, GPUPT_DEV_A_STATE, GPUPT_DEV_S_HELD);
	}
	nest_end(m, n);
}

static const char *const driver_names[] = {
	"vfio-pci", "vfio-pci", "vfio-pci", "gpupt", "", "snd_hda_intel",
	"bochs-drm", "-vfio-pci", "vfio-pci ", "a_vfio_pci",
	"nosuch-vfio-pci", "0123456789012345678901234567vfio_pci",
	"vfio_pci", "../vfio-pci", "vfio-pci\nx",
};

static uint32_t gen_flags(void)
{
	if (chance(10))
		return (uint32_t)rnd();
	if (chance(10))
		return 1u << rn(32);
	return rn(__GPUPT_F_ALL + 1);
}

/* Extra attributes that pass the policy and that the handlers ignore. */
static void gen_extra_valid(struct msg *m)
{
	size_t n;

	switch (rn(5)) {
	case 0:
		put_u32(m, GPUPT_A_GENERATION, (uint32_t)rnd());
		break;
	case 1:
		put_u32(m, GPUPT_A_IOMMU_GROUP, rn(64));
		break;
	case 2:
		n = nest_begin(m, GPUPT_A_STATS);
		put_u64(m, GPUPT_STATS_A_CLAIMS, rnd());
		nest_end(m, n);
		break;
	case 3:
		n = nest_begin(m, GPUPT_A_BAR);
		put_u8(m, GPUPT_BAR_A_INDEX, (uint8_t)rn(7));
		put_u64(m, GPUPT_BAR_A_START, rnd());
		nest_end(m, n);
		break;
	default:
		n = nest_begin(m, GPUPT_A_BRIDGE);
		put_u8(m, GPUPT_DEV_A_BUS, 0);
		nest_end(m, n);
		break;
	}
}

static void gen_devices(struct msg *m, unsigned int max)
{
	size_t n = nest_begin(m, GPUPT_A_DEVICES);
	unsigned int i, k = rn(max + 1);

	for (i = 0; i < k; i++)
		gen_addr_nest(m, chance(90) ? GPUPT_A_DEVICE : (uint16_t)rn(20));
	nest_end(m, n);
}

/* The grammar: a request the policy accepts. */
static void gen_wellformed(struct msg *m, uint8_t cmd, uint16_t *nlflags)
{
	switch (cmd) {
	case GPUPT_CMD_DEV_GET:
		if (chance(30))
			*nlflags |= NLM_F_DUMP;
		else
			gen_addr_nest(m, GPUPT_A_DEVICE);
		break;
	case GPUPT_CMD_BARS_GET:
		gen_addr_nest(m, GPUPT_A_DEVICE);
		break;
	case GPUPT_CMD_CLAIM:
	case GPUPT_CMD_UNCLAIM:
		gen_addr_nest(m, GPUPT_A_DEVICE);
		if (chance(cmd == GPUPT_CMD_CLAIM ? 50 : 10))
			put_u32(m, GPUPT_A_FLAGS, chance(80) ?
				GPUPT_F_FORCE : rn(__GPUPT_F_ALL + 1));
		break;
	case GPUPT_CMD_HANDOFF:
	case GPUPT_CMD_RECLAIM:
	case GPUPT_CMD_RELEASE:
		if (chance(60))
			gen_addr_nest(m, GPUPT_A_DEVICE);
		else
			gen_devices(m, 4);
		if (chance(50))
			put_u32(m, GPUPT_A_FLAGS, rn(__GPUPT_F_ALL + 1));
		if (cmd == GPUPT_CMD_HANDOFF ? chance(30) : chance(3))
			put_str(m, GPUPT_A_DRIVER,
				driver_names[rn(sizeof(driver_names) /
						sizeof(driver_names[0]))]);
		break;
	case GPUPT_CMD_RESET:
		/* a real bus reset costs ~150 ms under TCG: mostly dry runs */
		if (chance(85))
			gen_devices(m, 3);
		if (chance(60))
			put_u8(m, GPUPT_A_RESET_METHOD, (uint8_t)rn(GPUPT_RESET_MAX + 1));
		put_u32(m, GPUPT_A_FLAGS, chance(70) ? GPUPT_F_DRY_RUN :
			rn(__GPUPT_F_ALL + 1));
		break;
	default:
		break;
	}
	if (chance(15))
		gen_extra_valid(m);
}

/* Random attributes: any type, length and nesting. */
static void gen_random_attrs(struct msg *m, unsigned int depth, unsigned int maxn)
{
	static const char *const strs[] = {
		"vfio-pci", "gpupt", "", "%s%n%x", "snd_hda_intel",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123",
	};
	unsigned int i, k = rn(maxn + 1);
	uint8_t junk[96];
	size_t n;

	for (i = 0; i < k && m->nl.len < MAXMSG - 256; i++) {
		uint16_t type;

		if (chance(85))
			type = (uint16_t)rn(GPUPT_DEV_A_MAX + 3);
		else
			type = (uint16_t)rnd();
		if (chance(5))
			type |= NLA_F_NET_BYTEORDER;
		switch (rn(10)) {
		case 0: put_u8(m, type, (uint8_t)rnd()); break;
		case 1: put_u16(m, type, (uint16_t)rnd()); break;
		case 2: put_u32(m, type, chance(50) ? gen_flags() : (uint32_t)rnd()); break;
		case 3: put_u64(m, type, rnd()); break;
		case 4:
			if (chance(70)) {
				put_str(m, type, strs[rn(sizeof(strs) / sizeof(strs[0]))]);
			} else {	/* no NUL, or embedded NUL */
				n = rn(sizeof(junk));
				memset(junk, 'A' + rn(26), sizeof(junk));
				if (n && chance(50))
					junk[rn(n)] = 0;
				put_attr(m, type, junk, n);
			}
			break;
		case 5:
		case 6:
			if (depth < 14) {
				size_t o = nest_begin(m, chance(85) ? type & ~NLA_F_NESTED : type);

				if (o != SIZE_MAX && !chance(85))
					((struct nlattr *)(m->nl.d + o))->nla_type &= ~NLA_F_NESTED;
				if (chance(30))
					gen_addr_nest(m, (uint16_t)rn(4));
				gen_random_attrs(m, depth + 1, depth > 4 ? 2 : 4);
				nest_end(m, o);
			}
			break;
		case 7:
			n = rn(sizeof(junk));
			for (size_t j = 0; j < n; j++)
				junk[j] = (uint8_t)rnd();
			put_attr(m, type, junk, n);
			break;
		case 8:
			put_attr(m, type, NULL, 0);
			break;
		default:
			gen_addr_nest(m, type);
			break;
		}
	}
}

/* A deep chain of DEVICE { AFFECTED [ { AFFECTED [ ... ] } ] }. */
static void gen_deep(struct msg *m)
{
	unsigned int depth = 2 + rn(16), i;
	size_t offs[20];

	offs[0] = nest_begin(m, GPUPT_A_DEVICE);
	for (i = 1; i < depth; i++)
		offs[i] = nest_begin(m, i & 1 ? GPUPT_DEV_A_AFFECTED : GPUPT_A_DEVICE);
	put_u8(m, GPUPT_DEV_A_BUS, (uint8_t)rnd());
	while (i--)
		nest_end(m, offs[i]);
}

static void mutate(struct msg *m)
{
	unsigned int i, k;

	if (m->nl.len <= NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	switch (rn(5)) {
	case 0:		/* flip bytes in the genl header and attributes */
		k = 1 + rn(4);
		for (i = 0; i < k; i++)
			m->nl.d[NLMSG_HDRLEN + rn(m->nl.len - NLMSG_HDRLEN)] ^= (uint8_t)(1 + rn(255));
		break;
	case 1: {	/* a bad nla_len */
		size_t off = NLMSG_HDRLEN + GENL_HDRLEN +
			     4 * rn((m->nl.len - NLMSG_HDRLEN - GENL_HDRLEN) / 4);
		uint16_t v = chance(50) ? (uint16_t)rnd() : (uint16_t)rn(12);

		if (off + 2 <= m->nl.len)
			memcpy(m->nl.d + off, &v, 2);
		break;
	}
	case 2:		/* cut the attributes short */
		m->nl.len = NLMSG_HDRLEN + GENL_HDRLEN +
			 rn(m->nl.len - NLMSG_HDRLEN - GENL_HDRLEN);
		break;
	case 3:		/* trailing garbage */
		k = rn(12);
		for (i = 0; i < k && m->nl.len < MAXMSG; i++)
			m->nl.d[m->nl.len++] = (uint8_t)rnd();
		break;
	default:	/* genl header: cmd, version, reserved */
		m->nl.d[NLMSG_HDRLEN + rn(GENL_HDRLEN)] = (uint8_t)rnd();
		break;
	}
}

/* ------------------------------------------------------------------ */
/* safety guard                                                        */
/* ------------------------------------------------------------------ */
#define CAND 8

/*
 * Could any attribute list in p[0..len), at any depth, name an existing
 * function not in -a?  Every nest is scanned as a possible address with
 * every combination of the values its DOMAIN/BUS/DEVFN-typed children
 * could give, whatever their lengths: a superset of what the kernel reads.
 */
static int list_unsafe(const uint8_t *p, size_t len, unsigned int depth)
{
	uint32_t dom[CAND];
	uint8_t bus[CAND], devfn[CAND];
	unsigned int nd = 0, nb = 0, nf = 0, a, b, c;
	int overflow = 0;

	while (len >= NLA_HDRLEN) {
		struct nlattr at;
		size_t alen, plen;
		const uint8_t *pl;

		memcpy(&at, p, sizeof(at));
		alen = at.nla_len;
		if (alen < NLA_HDRLEN || alen > len)
			break;
		pl = p + NLA_HDRLEN;
		plen = alen - NLA_HDRLEN;
		switch (at.nla_type & NLA_TYPE_MASK) {
		case GPUPT_DEV_A_DOMAIN:
			if (plen >= 4) {
				if (nd < CAND)
					memcpy(&dom[nd++], pl, 4);
				else
					overflow = 1;
			}
			break;
		case GPUPT_DEV_A_BUS:
			if (plen >= 1) {
				if (nb < CAND)
					bus[nb++] = pl[0];
				else
					overflow = 1;
			}
			break;
		case GPUPT_DEV_A_DEVFN:
			if (plen >= 1) {
				if (nf < CAND)
					devfn[nf++] = pl[0];
				else
					overflow = 1;
			}
			break;
		}
		if (plen >= NLA_HDRLEN && depth < 32 &&
		    list_unsafe(pl, plen, depth + 1))
			return 1;
		if (NLA_ALIGN(alen) >= len)
			break;
		p += NLA_ALIGN(alen);
		len -= NLA_ALIGN(alen);
	}
	if (overflow)
		return 1;
	for (a = 0; a < nd; a++)
		for (b = 0; b < nb; b++)
			for (c = 0; c < nf; c++)
				if (exists(dom[a], bus[b], devfn[c]) &&
				    !dev_find(dom[a], bus[b], devfn[c]))
					return 1;
	return 0;
}

static int msg_unsafe(const struct msg *m)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

	if (m->sendlen <= off)
		return 0;
	return list_unsafe(m->nl.d + off, m->sendlen - off, 0);
}

/* ------------------------------------------------------------------ */
/* netlink                                                             */
/* ------------------------------------------------------------------ */
static int nlfd;
static uint16_t family;
static uint32_t seqno = 1000;
static uint8_t rxbuf[RXBUF];

static int nl_open(void)
{
	nlfd = rawnl_open(60);
	return nlfd < 0 ? nlfd : 0;
}

static void hdr(struct msg *m, uint16_t type, uint16_t flags, uint8_t cmd,
		uint32_t seq)
{
	rawnl_hdr(&m->nl, type, flags, cmd, seq);
	m->wellformed = 0;
}

static void finish(struct msg *m)
{
	((struct nlmsghdr *)m->nl.d)->nlmsg_len = (uint32_t)m->nl.len;
	m->sendlen = m->nl.len;
}

static int nl_send(const struct msg *m)
{
	return rawnl_send(nlfd, m->nl.d, m->sendlen);
}

struct outcome {
	int acked;		/* NLMSG_ERROR seen */
	int err;		/* its error (<= 0) */
	char ext[256];		/* its extack message */
	int replies;		/* family messages */
	int done;		/* NLMSG_DONE seen */
	int multi;		/* NLM_F_MULTI parts seen */
	uint8_t reply[16384];	/* the first reply message */
	size_t replylen;
	int dump_intr;
};

static uint32_t ping_seq;
static unsigned long stray;

/* Handle one received message; returns 1 when the ping completed. */
static int rx_one(const struct nlmsghdr *n, uint32_t fseq, struct outcome *o)
{
	if (n->nlmsg_seq == ping_seq) {
		if (n->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(n);

			if (e->error) {
				fprintf(stderr, "nlfuzz: FAIL: ping (STATS_GET) failed: %s\n",
					strerror(-e->error));
				exit(1);
			}
			return 1;
		}
		return 0;
	}
	if (n->nlmsg_seq != fseq) {
		stray++;
		return 0;
	}
	if (n->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(n);

		if (!o->acked || (o->err == 0 && e->error))
			o->err = rawnl_err(n, o->ext, sizeof(o->ext));
		o->acked = 1;
	} else if (n->nlmsg_type == NLMSG_DONE) {
		int err = rawnl_done(n);

		o->done = 1;
		if (err && !o->err) {
			o->err = err;
			o->acked = 1;
			rawnl_ext(n, NLMSG_HDRLEN + sizeof(int), o->ext, sizeof(o->ext));
		}
	} else if (n->nlmsg_type == family) {
		if (n->nlmsg_flags & NLM_F_MULTI)
			o->multi = 1;
		if (n->nlmsg_flags & NLM_F_DUMP_INTR)
			o->dump_intr = 1;
		if (!o->replies && n->nlmsg_len <= sizeof(o->reply)) {
			memcpy(o->reply, n, n->nlmsg_len);
			o->replylen = n->nlmsg_len;
		}
		o->replies++;
	}
	return 0;
}

/*
 * Receive one datagram and hand each message in it to rx_one() (*@ping_done
 * is set when the ping completed).  Returns its length, or -errno; a length
 * beyond rxbuf means it was truncated, and nothing was handled.
 */
static ssize_t rx_datagram(uint32_t fseq, struct outcome *o, int *ping_done)
{
	ssize_t len = rawnl_recv(nlfd, rxbuf, sizeof(rxbuf), MSG_TRUNC);
	ssize_t rem = len;
	struct nlmsghdr *n;

	if (len < 0 || (size_t)len > sizeof(rxbuf))
		return len;
	for (n = (struct nlmsghdr *)rxbuf; NLMSG_OK(n, (size_t)rem);
	     n = NLMSG_NEXT(n, rem))
		*ping_done |= rx_one(n, fseq, o);
	return len;
}

/*
 * Receive until the ping in flight (send_ping()) is answered and any dump
 * of @fseq is done; with no ping (ping_seq 0), until @fseq's ACK or
 * NLMSG_DONE.  Silence is a failure.
 */
static void rx_until(uint32_t fseq, struct outcome *o)
{
	int ping = ping_seq != 0, ping_done = 0;

	for (;;) {
		ssize_t len = rx_datagram(fseq, o, &ping_done);

		if (len < 0) {
			fprintf(stderr, "nlfuzz: FAIL: no answer from the kernel: %s\n",
				len == -EAGAIN ? "timed out after 60 s" : strerror((int)-len));
			exit(1);
		}
		if ((size_t)len > sizeof(rxbuf)) {
			fprintf(stderr, "nlfuzz: FAIL: reply of %zd bytes truncated\n", len);
			exit(1);
		}
		if (ping ? ping_done && !(o->multi && !o->done) :
		    o->acked || o->done)
			return;
	}
}

static void send_ping(void)
{
	static struct msg p;

	ping_seq = ++seqno;
	hdr(&p, family, NLM_F_REQUEST | NLM_F_ACK, GPUPT_CMD_STATS_GET, ping_seq);
	finish(&p);
	if (nl_send(&p)) {
		fprintf(stderr, "nlfuzz: FAIL: cannot send the ping: %s\n", strerror(errno));
		exit(1);
	}
}

static int resolve_family(void)
{
	int id = rawnl_family(nlfd, GPUPT_GENL_NAME, ++seqno, rxbuf, sizeof(rxbuf));

	if (id < 0)
		return id;
	family = (uint16_t)id;
	return 0;
}

/* ------------------------------------------------------------------ */
/* parsing replies                                                     */
/* ------------------------------------------------------------------ */
struct attrs {
	const struct nlattr *tb[64];
};

static void parse_attrs(const uint8_t *p, size_t rem, struct attrs *t)
{
	const struct nlattr *a;

	memset(t, 0, sizeof(*t));
	while ((a = rawnl_next(&p, &rem)))
		if ((a->nla_type & NLA_TYPE_MASK) < 64)
			t->tb[a->nla_type & NLA_TYPE_MASK] = a;
}

static const uint8_t *nla_payload(const struct nlattr *a) { return (const uint8_t *)a + NLA_HDRLEN; }
static size_t nla_plen(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }

static void nla_str(const struct nlattr *a, char *out)
{
	size_t n;

	*out = 0;
	if (!a)
		return;
	n = nla_plen(a);
	if (n >= NAMELEN)
		n = NAMELEN - 1;
	memcpy(out, nla_payload(a), n);
	out[n] = 0;
}

/* The top-level attributes of the request, as the kernel parsed them. */
struct req {
	uint8_t cmd;
	uint32_t flags;
	char driver[NAMELEN];
	int has_driver;
};

static void parse_req(const struct msg *m, struct req *r)
{
	const struct nlmsghdr *n = (const struct nlmsghdr *)m->nl.d;
	size_t end = n->nlmsg_len < m->sendlen ? n->nlmsg_len : m->sendlen;
	struct attrs t;

	memset(r, 0, sizeof(*r));
	r->cmd = m->nl.d[NLMSG_HDRLEN];
	if (end <= NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	parse_attrs(m->nl.d + NLMSG_HDRLEN + GENL_HDRLEN,
		    end - NLMSG_HDRLEN - GENL_HDRLEN, &t);
	if (t.tb[GPUPT_A_FLAGS] && nla_plen(t.tb[GPUPT_A_FLAGS]) == 4)
		memcpy(&r->flags, nla_payload(t.tb[GPUPT_A_FLAGS]), 4);
	if (t.tb[GPUPT_A_DRIVER]) {
		r->has_driver = 1;
		nla_str(t.tb[GPUPT_A_DRIVER], r->driver);
	}
}

/* ------------------------------------------------------------------ */
/* checks and counters                                                 */
/* ------------------------------------------------------------------ */
static int unprivileged, verbose;
static unsigned long n_sent, n_policy, n_handler, n_accepted, n_ignored;
static unsigned long n_wellformed, n_guarded, n_mut_accepted, n_dry;
static unsigned long acc_cmd[GPUPT_CMD_MAX + 1], n_eperm, n_intr;
static unsigned long errno_count[256];
static unsigned long failures;
static char last_msg_hex[2 * MAXMSG + 1];

static struct rawnl_extc extcs[256];	/* tagged 1: a handler's */
static unsigned int nextcs;

static const char *const core_msgs[] = {
	"Unknown attribute type",
	"invalid attribute length",
	"NLA_F_NESTED is missing",
	"NLA_F_NESTED not expected",
	"Unsupported attribute",
	"Attribute failed policy validation",
	"integer out of range",
	"reserved bit set",
	"bytes leftover after parsing attributes",
	"allowed policy recursion depth exceeded",
	"Unknown attribute",
	"Array element too short",
	"Missing required attribute",
	/* genetlink core */
	"ambiguous or reserved bits set in nlmsg_flags",
	"genlmsghdr.reserved field is not",
};

static int is_core_msg(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(core_msgs) / sizeof(core_msgs[0]); i++)
		if (!strncmp(s, core_msgs[i], strlen(core_msgs[i])))
			return 1;
	return 0;
}

static void count_ext(const char *s, int handler)
{
	char norm[96];
	unsigned int i, j = 0;

	/* fold addresses and numbers so that messages group */
	for (i = 0; s[i] && j < sizeof(norm) - 1; i++) {
		if ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f' &&
		    i && s[i - 1] >= '0' && s[i - 1] <= '9')) {
			if (!j || norm[j - 1] != '#')
				norm[j++] = '#';
			continue;
		}
		norm[j++] = s[i];
	}
	norm[j] = 0;
	rawnl_extc_add(extcs, &nextcs, sizeof(extcs) / sizeof(extcs[0]), norm,
		       handler);
}

static void hexdump(const struct msg *m)
{
	size_t i;

	for (i = 0; i < m->sendlen && i < MAXMSG; i++)
		sprintf(last_msg_hex + 2 * i, "%02x", m->nl.d[i]);
	last_msg_hex[2 * i] = 0;
}

static void fail(const struct msg *m, const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stderr, "nlfuzz: FAIL (message %lu): ", n_sent);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (m) {
		hexdump(m);
		fprintf(stderr, "nlfuzz:   message (%zu bytes): %s\n", m->sendlen,
			last_msg_hex);
	}
	if (failures >= 20) {
		fprintf(stderr, "nlfuzz: too many failures, stopping\n");
		exit(1);
	}
}

static int is_mutating(uint8_t cmd)
{
	return cmd == GPUPT_CMD_CLAIM || cmd == GPUPT_CMD_UNCLAIM ||
	       cmd == GPUPT_CMD_HANDOFF || cmd == GPUPT_CMD_RECLAIM ||
	       cmd == GPUPT_CMD_RELEASE || cmd == GPUPT_CMD_RESET;
}

static int abi_errno(int e)
{
	switch (e) {
	case EINVAL: case ENODEV: case EPERM: case EBUSY: case ENOENT:
	case ENOTTY: case EIO: case E2BIG: case EOPNOTSUPP:
		return 1;
	}
	return 0;
}

static int is_vfio_name(const char *s)
{
	size_t n = strlen(s);

	return !strcmp(s, "vfio-pci") ||
	       (n >= 8 && (!strcmp(s + n - 8, "vfio_pci") || !strcmp(s + n - 8, "vfio-pci")));
}

/* One device record of an accepted mutating command's reply. */
static void apply_record(const struct msg *m, const struct req *r,
			 const struct nlattr *rec)
{
	struct attrs t;
	uint32_t dom = 0;
	uint8_t bus = 0, devfn = 0;
	char drv[NAMELEN], to[NAMELEN], ovr[NAMELEN], want[NAMELEN];
	char from[NAMELEN];
	struct fdev *d;
	int moved;
	int dry = r->flags & GPUPT_F_DRY_RUN;

	parse_attrs(nla_payload(rec), nla_plen(rec), &t);
	if (!t.tb[GPUPT_DEV_A_DOMAIN] || !t.tb[GPUPT_DEV_A_BUS] ||
	    !t.tb[GPUPT_DEV_A_DEVFN]) {
		fail(m, "reply record without an address");
		return;
	}
	memcpy(&dom, nla_payload(t.tb[GPUPT_DEV_A_DOMAIN]), 4);
	bus = *nla_payload(t.tb[GPUPT_DEV_A_BUS]);
	devfn = *nla_payload(t.tb[GPUPT_DEV_A_DEVFN]);
	d = dev_find(dom, bus, devfn);
	if (!d) {
		fail(m, "reply names %04x:%02x:%02x.%d, which nlfuzz never named",
		     dom, bus, devfn >> 3, devfn & 7);
		return;
	}
	nla_str(t.tb[GPUPT_DEV_A_DRIVER], drv);
	nla_str(t.tb[GPUPT_DEV_A_TO], to);
	nla_str(t.tb[GPUPT_DEV_A_DRIVER_OVERRIDE], ovr);

	if (dry || r->cmd == GPUPT_CMD_RESET) {
		if (strcmp(drv, d->drv))
			fail(m, "%s: a %s changed its driver from \"%s\" to \"%s\"",
			     d->name, dry ? "dry run" : "reset", d->drv, drv);
		return;
	}
	switch (r->cmd) {
	case GPUPT_CMD_CLAIM:
	case GPUPT_CMD_RECLAIM:
		snprintf(want, sizeof(want), "%s", GPUPT_DRIVER_NAME);
		break;
	case GPUPT_CMD_HANDOFF:
		snprintf(want, sizeof(want), "%s", r->has_driver ? r->driver : "vfio-pci");
		break;
	default:		/* UNCLAIM, RELEASE: the native driver or none */
		if (!strcmp(drv, GPUPT_DRIVER_NAME) || is_vfio_name(drv))
			fail(m, "%s: still on \"%s\" after %s", d->name, drv,
			     r->cmd == GPUPT_CMD_UNCLAIM ? "UNCLAIM" : "RELEASE");
		snprintf(want, sizeof(want), "%s", drv);
		break;
	}
	nla_str(t.tb[GPUPT_DEV_A_FROM], from);
	if (strcmp(drv, want))
		fail(m, "%s: reply says driver \"%s\", the command puts it on \"%s\"",
		     d->name, drv, want);
	if (!t.tb[GPUPT_DEV_A_FROM])
		fail(m, "%s: reply record without FROM", d->name);
	if (strcmp(from, d->drv))
		fail(m, "%s: reply FROM \"%s\", but it was on \"%s\"", d->name,
		     from, d->drv);
	moved = strcmp(from, want) || r->cmd == GPUPT_CMD_UNCLAIM ||
		r->cmd == GPUPT_CMD_RELEASE;
	if (moved && t.tb[GPUPT_DEV_A_TO] && strcmp(to, drv))
		fail(m, "%s: reply TO \"%s\" but DRIVER \"%s\"", d->name, to, drv);
	snprintf(d->drv, sizeof(d->drv), "%s", want);
	/*
	 * The override follows the move.  An operation whose result already
	 * holds changes nothing (gpupt.h), except CLAIM, which makes a held
	 * function's claim stick with driver_override "gpupt".
	 */
	if (r->cmd == GPUPT_CMD_UNCLAIM || r->cmd == GPUPT_CMD_RELEASE)
		d->ovr[0] = 0;
	else if (moved || r->cmd == GPUPT_CMD_CLAIM)
		snprintf(d->ovr, sizeof(d->ovr), "%s", want);
	if (strcmp(ovr, d->ovr))
		fail(m, "%s: reply says driver_override \"%s\", expected \"%s\"",
		     d->name, ovr, d->ovr);
}

static void apply_accepted(const struct msg *m, const struct outcome *o)
{
	const struct nlmsghdr *n = (const struct nlmsghdr *)o->reply;
	const struct nlattr *a;
	struct attrs t;
	struct req r;

	parse_req(m, &r);
	if (!is_mutating(r.cmd))
		return;
	n_mut_accepted++;
	if (r.flags & GPUPT_F_DRY_RUN)
		n_dry++;
	if (unprivileged)
		fail(m, "command %u accepted without CAP_NET_ADMIN", r.cmd);
	if (!o->replylen) {
		fail(m, "accepted command %u sent no reply", r.cmd);
		return;
	}
	parse_attrs(o->reply + NLMSG_HDRLEN + GENL_HDRLEN,
		    n->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, &t);
	if (t.tb[GPUPT_A_DEVICE])
		apply_record(m, &r, t.tb[GPUPT_A_DEVICE]);
	if (t.tb[GPUPT_A_DEVICES]) {
		const uint8_t *p = nla_payload(t.tb[GPUPT_A_DEVICES]);
		size_t rem = nla_plen(t.tb[GPUPT_A_DEVICES]);

		while ((a = rawnl_next(&p, &rem)))
			apply_record(m, &r, a);
	}
	if (!t.tb[GPUPT_A_DEVICE] && !t.tb[GPUPT_A_DEVICES] && r.cmd != GPUPT_CMD_RESET)
		fail(m, "reply to command %u has no device record", r.cmd);
}

/* sysfs against the expected state of every -a function. */
static void check_sysfs(const struct msg *m)
{
	char drv[NAMELEN], ovr[NAMELEN];
	unsigned int i;

	for (i = 0; i < ndevs; i++) {
		sysfs_state(&devs[i], drv, ovr);
		if (strcmp(drv, devs[i].drv) || strcmp(ovr, devs[i].ovr)) {
			fail(m, "%s is on \"%s\" (override \"%s\"), the accepted commands put it on \"%s\" (override \"%s\")",
			     devs[i].name, drv, ovr, devs[i].drv, devs[i].ovr);
			/* resynchronise so that one fault is reported once */
			snprintf(devs[i].drv, NAMELEN, "%s", drv);
			snprintf(devs[i].ovr, NAMELEN, "%s", ovr);
		}
	}
}

static void classify(const struct msg *m, const struct outcome *o)
{
	const struct nlmsghdr *n = (const struct nlmsghdr *)m->nl.d;
	uint8_t cmd = m->nl.d[NLMSG_HDRLEN];
	int is_req = m->sendlen >= NLMSG_HDRLEN && n->nlmsg_type == family &&
		     (n->nlmsg_flags & NLM_F_REQUEST) &&
		     n->nlmsg_len >= NLMSG_HDRLEN && n->nlmsg_len <= m->sendlen;
	int e = -o->err;

	if (o->dump_intr)
		n_intr++;
	if (!is_req) {
		n_ignored++;
		if (o->replies)
			fail(m, "the kernel answered a message it should have ignored");
		return;
	}
	if (o->acked && o->err) {
		int core = !o->ext[0] || is_core_msg(o->ext);

		if (e > 0 && e < 256)
			errno_count[e]++;
		if (e == EPERM)
			n_eperm++;
		if (e == EALREADY)
			fail(m, "EALREADY returned (the protocol says never)");
		if (m->wellformed && !o->ext[0] && e != EPERM && e != EOPNOTSUPP)
			fail(m, "well-formed command %u failed with %s and no extack message",
			     cmd, strerror(e));
		if (core) {
			n_policy++;
		} else {
			n_handler++;
			if (!abi_errno(e))
				fail(m, "handler error %d (%s) is not in the protocol's list: %s",
				     e, strerror(e), o->ext);
		}
		if (o->ext[0])
			count_ext(o->ext, !core);
		if (unprivileged && is_mutating(cmd) && e != EPERM &&
		    n->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN && !core)
			fail(m, "command %u without CAP_NET_ADMIN reached its handler (%s)",
			     cmd, o->ext);
		return;
	}
	if (o->acked || o->replies || o->done) {
		n_accepted++;
		if (cmd <= GPUPT_CMD_MAX)
			acc_cmd[cmd]++;
		apply_accepted(m, o);
		return;
	}
	n_ignored++;
	if ((n->nlmsg_flags & NLM_F_ACK) && n->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN)
		fail(m, "no ACK for a request that asked for one");
}

/* ------------------------------------------------------------------ */
/* one message                                                         */
/* ------------------------------------------------------------------ */
static uint8_t pick_cmd(void)
{
	unsigned int r = rn(100);

	if (r < 86)
		return (uint8_t)(1 + rn(GPUPT_CMD_STATS_GET));
	if (r < 94)
		return (uint8_t)(chance(20) ? 0 : GPUPT_CMD_EVT_CLAIM + rn(7));
	return (uint8_t)rnd();
}

static void gen_message(struct msg *m, uint32_t seq)
{
	uint8_t cmd = pick_cmd();
	uint16_t type = family, flags = NLM_F_REQUEST | NLM_F_ACK;
	unsigned int mode = rn(100);

	if (chance(4))
		type = (uint16_t)rn(NLMSG_MIN_TYPE);	/* control: skipped by the core */
	hdr(m, type, flags, cmd, seq);
	if (mode < 45) {
		gen_wellformed(m, cmd, &flags);
		m->wellformed = type == family;
	} else if (mode < 60) {
		gen_wellformed(m, cmd, &flags);
		mutate(m);
		if (chance(50))
			mutate(m);
	} else if (mode < 70) {
		gen_deep(m);
		if (chance(30))
			mutate(m);
	} else {
		gen_random_attrs(m, 0, 6);
		if (chance(30))
			mutate(m);
	}
	if (!m->wellformed && chance(10)) {
		/* random netlink flags: no REQUEST, no ACK, DUMP, ECHO, ... */
		flags = (uint16_t)(chance(50) ? rnd() : rn(0x400));
		if (chance(50))
			flags |= NLM_F_REQUEST;
	}
	if (!m->wellformed && chance(5) && cmd == GPUPT_CMD_DEV_GET)
		flags |= NLM_F_DUMP;
	((struct nlmsghdr *)m->nl.d)->nlmsg_flags = flags;
	finish(m);

	if (!m->wellformed && chance(8)) {
		struct nlmsghdr *n = (struct nlmsghdr *)m->nl.d;

		switch (rn(5)) {
		case 0:		/* a datagram shorter than a netlink header */
			m->sendlen = rn(NLMSG_HDRLEN);
			break;
		case 1:		/* a genl header cut short */
			n->nlmsg_len = NLMSG_HDRLEN + rn(GENL_HDRLEN);
			m->sendlen = n->nlmsg_len;
			break;
		case 2:		/* nlmsg_len beyond the datagram */
			n->nlmsg_len = (uint32_t)(m->sendlen + 1 + rn(4096));
			break;
		case 3:		/* nlmsg_len below the header size */
			n->nlmsg_len = rn(NLMSG_HDRLEN);
			break;
		default:	/* nlmsg_len shorter than the message */
			n->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + rn(m->sendlen - NLMSG_HDRLEN + 1));
			break;
		}
		/* one kernel-visible message per datagram: a rest < 16 bytes */
		if (n->nlmsg_len >= NLMSG_HDRLEN && n->nlmsg_len <= m->sendlen &&
		    m->sendlen - NLMSG_ALIGN(n->nlmsg_len) >= NLMSG_HDRLEN &&
		    NLMSG_ALIGN(n->nlmsg_len) <= m->sendlen)
			m->sendlen = NLMSG_ALIGN(n->nlmsg_len) + rn(NLMSG_HDRLEN);
	}
	if (m->wellformed && cmd == GPUPT_CMD_DEV_GET && (flags & NLM_F_DUMP))
		m->wellformed = 1;
}

/*
 * Will the kernel answer @m for sure?  netlink_rcv_skb() processes a
 * message whose nlmsg_len fits the datagram, and then acks it when
 * NLM_F_ACK is set or it failed; a dump ends with NLMSG_DONE or an error.
 * Anything else (a dropped datagram, a silent success) needs the ping.
 */
static int answer_certain(const struct msg *m)
{
	const struct nlmsghdr *n = (const struct nlmsghdr *)m->nl.d;

	if (m->sendlen < NLMSG_HDRLEN || n->nlmsg_len < NLMSG_HDRLEN ||
	    n->nlmsg_len > m->sendlen)
		return 0;
	if (n->nlmsg_flags & NLM_F_ACK)
		return 1;
	return n->nlmsg_type == family && (n->nlmsg_flags & NLM_F_REQUEST) &&
	       (n->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

static void one_message(void)
{
	static struct msg m;
	static struct outcome o;
	uint32_t seq = ++seqno;
	int tries = 0;

	do {
		gen_message(&m, seq);
		if (!msg_unsafe(&m))
			break;
		n_guarded++;
	} while (++tries < 1000);
	if (tries == 1000) {
		fprintf(stderr, "nlfuzz: the guard rejected 1000 messages in a row\n");
		exit(2);
	}
	memset(&o, 0, offsetof(struct outcome, reply));
	o.replylen = 0;
	o.dump_intr = 0;
	if (m.wellformed)
		n_wellformed++;
	n_sent++;
	if (nl_send(&m)) {
		/* a datagram the socket layer refuses never reaches gpupt */
		n_ignored++;
		send_ping();
		rx_until(seq, &o);
		check_sysfs(&m);
		return;
	}
	if (answer_certain(&m)) {
		/* an ACK or NLMSG_DONE ends it: no ping needed */
		ping_seq = 0;
		rx_until(seq, &o);
	} else {
		send_ping();
		rx_until(seq, &o);
	}
	classify(&m, &o);
	/*
	 * Only a mutating command can move a device; every 64th message
	 * checks anyway, in case something else does.
	 */
	if (is_mutating(m.sendlen > NLMSG_HDRLEN ? m.nl.d[NLMSG_HDRLEN] : 0) ||
	    !(n_sent % 64))
		check_sysfs(&m);
	if (verbose > 1) {
		hexdump(&m);
		fprintf(stderr, "nlfuzz: #%lu cmd %u wf %d err %d ext \"%s\" replies %d: %s\n",
			n_sent, m.nl.d[NLMSG_HDRLEN], m.wellformed, o.err, o.ext,
			o.replies, last_msg_hex);
	}
}

/* ------------------------------------------------------------------ */
/* final checks                                                        */
/* ------------------------------------------------------------------ */
/* DEV_GET of every -a function: the module answers and agrees with sysfs. */
static void final_dev_get(void)
{
	static struct msg m;
	static struct outcome o;
	char drv[NAMELEN], sdrv[NAMELEN], sovr[NAMELEN];
	unsigned int i;

	for (i = 0; i < ndevs; i++) {
		uint32_t seq = ++seqno;
		struct attrs t, d;

		hdr(&m, family, NLM_F_REQUEST | NLM_F_ACK, GPUPT_CMD_DEV_GET, seq);
		put_dev(&m, GPUPT_A_DEVICE, &devs[i]);
		finish(&m);
		memset(&o, 0, offsetof(struct outcome, reply));
		o.replylen = 0;
		if (nl_send(&m)) {
			fail(NULL, "final DEV_GET %s: send: %s", devs[i].name, strerror(errno));
			continue;
		}
		send_ping();
		rx_until(seq, &o);
		if (o.err || !o.replylen) {
			fail(NULL, "final DEV_GET %s: %s %s", devs[i].name,
			     o.err ? strerror(-o.err) : "no reply", o.ext);
			continue;
		}
		parse_attrs(o.reply + NLMSG_HDRLEN + GENL_HDRLEN,
			    ((struct nlmsghdr *)o.reply)->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, &t);
		if (!t.tb[GPUPT_A_DEVICE]) {
			fail(NULL, "final DEV_GET %s: no record", devs[i].name);
			continue;
		}
		parse_attrs(nla_payload(t.tb[GPUPT_A_DEVICE]),
			    nla_plen(t.tb[GPUPT_A_DEVICE]), &d);
		nla_str(d.tb[GPUPT_DEV_A_DRIVER], drv);
		sysfs_state(&devs[i], sdrv, sovr);
		if (strcmp(drv, sdrv) || strcmp(drv, devs[i].drv))
			fail(NULL, "final: %s: DEV_GET says \"%s\", sysfs \"%s\", expected \"%s\"",
			     devs[i].name, drv, sdrv, devs[i].drv);
	}
}


/* ------------------------------------------------------------------ */
/* storm: N processes hammering the family with well-formed commands   */
/* ------------------------------------------------------------------ */
enum { OP_CLAIM, OP_UNCLAIM, OP_HANDOFF, OP_RECLAIM, OP_RESET, OP_LIST,
       OP_GET, OP_N };
static const char *const op_names[OP_N] = {
	"claim", "unclaim", "handoff", "reclaim", "reset", "list", "show",
};

struct storm_stats {
	unsigned long ops[OP_N], ok[OP_N];
	unsigned long err[256];
	unsigned long intr, bad, hung;
};

static int storm_readonly;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void storm_build(struct msg *m, int op, uint32_t seq)
{
	const struct fdev *d = &devs[rn(ndevs)];
	size_t n;

	switch (op) {
	case OP_CLAIM:
		hdr(m, family, NLM_F_REQUEST | NLM_F_ACK, GPUPT_CMD_CLAIM, seq);
		put_dev(m, GPUPT_A_DEVICE, d);
		if (chance(50))
			put_u32(m, GPUPT_A_FLAGS, GPUPT_F_FORCE);
		break;
	case OP_UNCLAIM:
		hdr(m, family, NLM_F_REQUEST | NLM_F_ACK, GPUPT_CMD_UNCLAIM, seq);
		put_dev(m, GPUPT_A_DEVICE, d);
		break;
	case OP_HANDOFF:
	case OP_RECLAIM:
		hdr(m, family, NLM_F_REQUEST | NLM_F_ACK, op == OP_HANDOFF ?
		    GPUPT_CMD_HANDOFF : GPUPT_CMD_RECLAIM, seq);
		if (chance(70)) {
			put_dev(m, GPUPT_A_DEVICE, d);
		} else {	/* several groups in one transaction */
			n = nest_begin(m, GPUPT_A_DEVICES);
			put_dev(m, GPUPT_A_DEVICE, d);
			put_dev(m, GPUPT_A_DEVICE, &devs[rn(ndevs)]);
			nest_end(m, n);
		}
		if (chance(20))
			put_u32(m, GPUPT_A_FLAGS, GPUPT_F_SINGLE);
		else if (op == OP_HANDOFF && chance(20))
			put_u32(m, GPUPT_A_FLAGS, GPUPT_F_FORCE);
		break;
	case OP_RESET:
		hdr(m, family, NLM_F_REQUEST | NLM_F_ACK, GPUPT_CMD_RESET, seq);
		if (chance(85)) {
			n = nest_begin(m, GPUPT_A_DEVICES);
			put_dev(m, GPUPT_A_DEVICE, d);
			nest_end(m, n);
		}
		if (chance(30))
			put_u32(m, GPUPT_A_FLAGS, GPUPT_F_DRY_RUN);
		break;
	case OP_LIST:
		hdr(m, family, NLM_F_REQUEST | NLM_F_DUMP, GPUPT_CMD_DEV_GET, seq);
		break;
	default:
		hdr(m, family, NLM_F_REQUEST | NLM_F_ACK, chance(70) ?
		    GPUPT_CMD_DEV_GET : GPUPT_CMD_BARS_GET, seq);
		put_dev(m, GPUPT_A_DEVICE, d);
		break;
	}
	finish(m);
}

/* Receive until the ACK (or, for a dump, NLMSG_DONE) of @seq. */
static int storm_rx(uint32_t seq, int dump, struct outcome *o)
{
	int ping_done = 0;

	for (;;) {
		ssize_t len = rx_datagram(seq, o, &ping_done);

		if (len < 0)
			return (int)len;
		if ((size_t)len > sizeof(rxbuf))
			return -EMSGSIZE;
		if (dump ? (o->done || o->acked) : o->acked)
			return 0;
	}
}

static void storm_worker(unsigned int id, double secs, int out)
{
	static struct msg m;
	static struct outcome o;
	struct storm_stats st;
	double end = now_s() + secs;
	int err;

	memset(&st, 0, sizeof(st));
	rng ^= (id + 1) * 0x9e3779b97f4a7c15ull;
	if (!rng)
		rng = 1;
	ping_seq = 0;
	err = nl_open();
	if (!err)
		err = resolve_family();
	if (err) {
		fprintf(stderr, "storm %u: family: %s\n", id, strerror(-err));
		_exit(2);
	}
	while (now_s() < end) {
		static const unsigned int w[OP_N] = { 18, 14, 18, 14, 10, 16, 10 };
		unsigned int r = rn(100), op = 0, acc = 0;
		uint32_t seq = ++seqno;

		for (op = 0; op < OP_N - 1; op++) {
			acc += w[op];
			if (r < acc)
				break;
		}
		/*
		 * Read-only: DEV_GET and BARS_GET do-requests.  No dumps: a dump
		 * in flight holds a module reference (netlink_dump_start()),
		 * so rmmod would just say "in use"; a do-request races the
		 * family's unregistration instead, which is what t74 wants.
		 */
		if (storm_readonly)
			op = OP_GET;
		storm_build(&m, op, seq);
		memset(&o, 0, offsetof(struct outcome, reply));
		o.replylen = 0;
		st.ops[op]++;
		if (nl_send(&m)) {
			fprintf(stderr, "storm %u: send: %s\n", id, strerror(errno));
			st.bad++;
			break;
		}
		err = storm_rx(seq, op == OP_LIST, &o);
		if (err) {
			fprintf(stderr, "storm %u: %s: no answer: %s\n", id, op_names[op],
				err == -EAGAIN ? "nothing within 60 s (hung?)" : strerror(-err));
			st.hung++;
			break;
		}
		if (o.dump_intr)
			st.intr++;
		if (!o.err) {
			st.ok[op]++;
			continue;
		}
		if (-o.err < 256)
			st.err[-o.err]++;
		if (!abi_errno(-o.err) || -o.err == EALREADY || !o.ext[0]) {
			fprintf(stderr, "storm %u: %s: unexpected error %d (%s), \"%s\"\n",
				id, op_names[op], o.err, strerror(-o.err), o.ext);
			st.bad++;
		}
	}
	if (write(out, &st, sizeof(st)) != (ssize_t)sizeof(st))
		_exit(2);
	_exit(0);
}

static int storm(unsigned int workers, double secs)
{
	struct storm_stats sum, st;
	unsigned int i, k, done = 0;
	int fds[2], status, ret = 0;
	double t0 = now_s();
	pid_t pids[64];

	if (workers > 64)
		workers = 64;
	memset(&sum, 0, sizeof(sum));
	if (pipe(fds))
		return 2;
	fflush(stdout);
	for (i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return 2;
		if (!pids[i]) {
			close(fds[0]);
			storm_worker(i, secs, fds[1]);
		}
	}
	close(fds[1]);
	/* every worker reports once; a worker stuck in the kernel never does */
	alarm((unsigned int)secs + 120);
	while (done < workers && read(fds[0], &st, sizeof(st)) == (ssize_t)sizeof(st)) {
		for (k = 0; k < OP_N; k++) {
			sum.ops[k] += st.ops[k];
			sum.ok[k] += st.ok[k];
		}
		for (k = 0; k < 256; k++)
			sum.err[k] += st.err[k];
		sum.intr += st.intr;
		sum.bad += st.bad;
		sum.hung += st.hung;
		done++;
	}
	alarm(0);
	for (i = 0; i < workers; i++) {
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			ret = 1;
	}
	{
		unsigned long total = 0, ok = 0;

		for (k = 0; k < OP_N; k++) {
			total += sum.ops[k];
			ok += sum.ok[k];
		}
		printf("storm: %u processes x %.0f s on %u functions: %lu operations in %.1f s, %lu succeeded\n",
		       workers, secs, ndevs, total, now_s() - t0, ok);
	}
	printf("storm: by operation (succeeded/sent):");
	for (k = 0; k < OP_N; k++)
		printf(" %s %lu/%lu", op_names[k], sum.ok[k], sum.ops[k]);
	printf("\nstorm: errors:");
	for (k = 1; k < 256; k++)
		if (sum.err[k])
			printf(" %s %lu", strerrorname_np((int)k) ? strerrorname_np((int)k) : "?",
			       sum.err[k]);
	printf("\nstorm: dumps interrupted by a bind/unbind (NLM_F_DUMP_INTR) %lu, unexpected errors %lu, unanswered %lu\n",
	       sum.intr, sum.bad, sum.hung);
	if (done < workers || sum.bad || sum.hung)
		ret = 1;
	printf("storm: %s\n", ret ? "FAIL" : "PASS");
	return ret;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nlfuzz -a ADDR[,ADDR...] [-n COUNT] [-s SEED] [-S STATEFILE] [-u] [-v]\n"
		"       nlfuzz -a ADDR[,ADDR...] -T SECONDS [-j PROCESSES] [-r] [-s SEED]\n"
		"  -a  the PCI functions messages may name (and so move); no other\n"
		"  -n  messages to send (default 10000)\n"
		"  -s  seed (default: time)\n"
		"  -S  write the final expected state (ADDR DRIVER OVERRIDE, '-' = none)\n"
		"  -u  caller lacks CAP_NET_ADMIN: no mutating command may succeed\n"
		"  -v  print extack message counts (-vv: every message)\n"
		"  -T  storm: PROCESSES (default 8) send well-formed claim, unclaim,\n"
		"      handoff, reclaim, reset, list and show requests for SECONDS\n"
		"  -r  storm with read-only do-requests only (show, bars; no dumps)\n");
	exit(2);
}

static const char *const cmd_names[] = {
	"unspec", "dev_get", "claim", "unclaim", "handoff", "reclaim",
	"release", "bars_get", "reset", "stats_get",
};

int main(int argc, char **argv)
{
	unsigned long count = 10000, i;
	unsigned int storm_procs = 8;
	double storm_secs = 0;
	const char *statefile = NULL;
	struct timespec t0, t1;
	char *addrs = NULL, *tok, *save;
	double secs;
	int c, err;

	rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((c = getopt(argc, argv, "a:n:s:S:uvhT:j:r")) != -1) {
		switch (c) {
		case 'a': addrs = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 's': rng = strtoull(optarg, NULL, 0); break;
		case 'S': statefile = optarg; break;
		case 'u': unprivileged = 1; break;
		case 'v': verbose++; break;
		case 'T': storm_secs = strtod(optarg, NULL); break;
		case 'r': storm_readonly = 1; break;
		case 'j': storm_procs = (unsigned int)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!addrs || optind != argc)
		usage();
	if (!rng)
		rng = 1;
	printf("nlfuzz: seed %llu\n", (unsigned long long)rng);

	scan_sysfs();
	for (tok = strtok_r(addrs, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct fdev *d = &devs[ndevs];

		if (ndevs == MAXDEV || pcifn_parse(tok, &d->domain, &d->bus, &d->devfn)) {
			fprintf(stderr, "nlfuzz: bad address '%s'\n", tok);
			return 2;
		}
		if (!exists(d->domain, d->bus, d->devfn)) {
			fprintf(stderr, "nlfuzz: no PCI function %s\n", tok);
			return 2;
		}
		snprintf(d->name, sizeof(d->name), "%04x:%02x:%02x.%d", d->domain,
			 d->bus, d->devfn >> 3, d->devfn & 7);
		sysfs_state(d, d->drv, d->ovr);
		ndevs++;
	}
	err = nl_open();
	if (!err)
		err = resolve_family();
	if (err) {
		fprintf(stderr, "nlfuzz: generic netlink family \"%s\": %s\n",
			GPUPT_GENL_NAME, strerror(-err));
		return 2;
	}

	if (storm_secs > 0)
		return storm(storm_procs, storm_secs);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++)
		one_message();
	final_dev_get();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("nlfuzz: %lu messages in %.1f s (%.0f/s), %lu well formed, %lu regenerated by the guard\n",
	       n_sent, secs, n_sent / (secs > 0 ? secs : 1), n_wellformed, n_guarded);
	printf("nlfuzz: sent %lu, rejected by policy %lu, rejected by handler %lu, accepted %lu, ignored %lu\n",
	       n_sent, n_policy, n_handler, n_accepted, n_ignored);
	printf("nlfuzz: accepted by command:");
	for (i = 1; i <= GPUPT_CMD_STATS_GET; i++)
		printf(" %s %lu", cmd_names[i], acc_cmd[i]);
	printf("\nnlfuzz: accepted mutating commands %lu (%lu dry runs)%s\n",
	       n_mut_accepted, n_dry, unprivileged ? ", unprivileged run" : "");
	printf("nlfuzz: errors:");
	for (i = 1; i < 256; i++)
		if (errno_count[i])
			printf(" %s %lu", strerrorname_np((int)i) ? strerrorname_np((int)i) : "?",
			       errno_count[i]);
	printf("\nnlfuzz: EPERM %lu, dumps interrupted %lu, stray replies %lu\n",
	       n_eperm, n_intr, stray);
	if (verbose)
		for (i = 0; i < nextcs; i++)
			printf("nlfuzz:   %-7s %6lu  %s\n", extcs[i].tag ? "handler" : "policy",
			       extcs[i].count, extcs[i].text);
	for (i = 0; i < ndevs; i++)
		printf("nlfuzz: %s driver %s override %s\n", devs[i].name,
		       devs[i].drv[0] ? devs[i].drv : "-", devs[i].ovr[0] ? devs[i].ovr : "-");
	if (statefile) {
		FILE *f = fopen(statefile, "w");

		if (!f) {
			perror(statefile);
			return 2;
		}
		for (i = 0; i < ndevs; i++)
			fprintf(f, "%s %s %s\n", devs[i].name,
				devs[i].drv[0] ? devs[i].drv : "-",
				devs[i].ovr[0] ? devs[i].ovr : "-");
		fclose(f);
	}
	if (n_policy + n_handler + n_accepted + n_ignored != n_sent)
		fail(NULL, "counts do not add up");
	printf("nlfuzz: %s (%lu failures)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
