// SPDX-License-Identifier: GPL-2.0
/*
 * The transport: every netlink message gptctl sends or reads goes through
 * this file (libnl-3 / libnl-genl-3).  See nl.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "gptctl.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct gpupt_nl {
	struct nl_sock *sk;
	int family;
	int ctrl_grp;		/* nlctrl "notify", when monitoring */
	bool events;
	bool has_extack;
	char extack[DEVREC_MSGLEN];
};

/* Top-level attributes of replies and events. */
static struct nla_policy top_policy[GPUPT_A_MAX + 1] = {
	[GPUPT_A_DEVICE]	= { .type = NLA_NESTED },
	[GPUPT_A_DEVICES]	= { .type = NLA_NESTED },
	[GPUPT_A_FLAGS]		= { .type = NLA_U32 },
	[GPUPT_A_DRIVER]	= { .type = NLA_STRING },
	[GPUPT_A_IOMMU_GROUP]	= { .type = NLA_U32 },
	[GPUPT_A_RESET_METHOD]	= { .type = NLA_U8 },
	[GPUPT_A_BARS]		= { .type = NLA_NESTED },
	[GPUPT_A_BAR]		= { .type = NLA_NESTED },
	[GPUPT_A_WINDOWS]	= { .type = NLA_NESTED },
	[GPUPT_A_BRIDGE]	= { .type = NLA_NESTED },
	[GPUPT_A_STATS]		= { .type = NLA_NESTED },
	[GPUPT_A_GENERATION]	= { .type = NLA_U32 },
	[GPUPT_A_NUM_VFS]	= { .type = NLA_U16 },
};

static struct nla_policy dev_policy[GPUPT_DEV_A_MAX + 1] = {
	[GPUPT_DEV_A_DOMAIN]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_BUS]		= { .type = NLA_U8 },
	[GPUPT_DEV_A_DEVFN]		= { .type = NLA_U8 },
	[GPUPT_DEV_A_VENDOR]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_DEVICE]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_SUBSYS_VENDOR]	= { .type = NLA_U16 },
	[GPUPT_DEV_A_SUBSYS_DEVICE]	= { .type = NLA_U16 },
	[GPUPT_DEV_A_CLASS]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_DRIVER]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_IOMMU_GROUP]	= { .type = NLA_U32 },
	[GPUPT_DEV_A_NUMA_NODE]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_STATE]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_RESET_METHODS]	= { .type = NLA_NESTED },
	[GPUPT_DEV_A_DRIVER_OVERRIDE]	= { .type = NLA_STRING },
	[GPUPT_DEV_A_FROM]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_TO]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_BLOCKER]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_RESET_METHOD]	= { .type = NLA_U8 },
	[GPUPT_DEV_A_DURATION_US]	= { .type = NLA_U64 },
	[GPUPT_DEV_A_ERRNO]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_MESSAGE]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_AFFECTED]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_PHYSFN]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_NUM_VFS]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_TOTAL_VFS]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_CHECKS]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_FAILED_CHECK]	= { .type = NLA_U8 },
	[GPUPT_DEV_A_RUNGS]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_RUNG]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_QUARANTINE]	= { .type = NLA_STRING },
	[GPUPT_DEV_A_QUARANTINE_CHECK]	= { .type = NLA_U8 },
};

static struct nla_policy check_policy[GPUPT_CHECK_MAX + 1] = {
	[GPUPT_CHECK_PRESENT]	= { .type = NLA_U8 },
	[GPUPT_CHECK_CONFIG]	= { .type = NLA_U8 },
	[GPUPT_CHECK_LINK]	= { .type = NLA_U8 },
	[GPUPT_CHECK_BARS]	= { .type = NLA_U8 },
	[GPUPT_CHECK_COMMAND]	= { .type = NLA_U8 },
	[GPUPT_CHECK_POWER]	= { .type = NLA_U8 },
};

/* libnl's NLE_* to an errno, for local failures. */
static int nlerr_to_errno(int e)
{
	switch (e < 0 ? -e : e) {
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_INTR:		return -EINTR;
	case NLE_BAD_SOCK:	return -EBADF;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_INVAL:		return -EINVAL;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	case NLE_NODEV:		return -ENODEV;
	case NLE_BUSY:		return -EBUSY;
	case NLE_PROTO_MISMATCH: return -EPROTO;
	default:		return -EIO;
	}
}

int gpupt_nl_open(struct gpupt_nl **out)
{
	struct gpupt_nl *nl;
	int one = 1, err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	/* Replies to requests naming many groups can exceed a page. */
	nl_socket_enable_msg_peek(nl->sk);
	err = genl_connect(nl->sk);
	if (err) {
		err = nlerr_to_errno(err);
		goto fail;
	}
	/* Extended ACKs, without the request echoed back. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, GPUPT_GENL_NAME);
	if (nl->family < 0) {
		err = nl->family == -NLE_OBJ_NOTFOUND ? -ENOENT :
			nlerr_to_errno(nl->family);
		goto fail;
	}
	*out = nl;
	return 0;
fail:
	nl_socket_free(nl->sk);
	free(nl);
	return err;
}

struct gpupt_nl *gpupt_connect(void)
{
	struct gpupt_nl *nl;
	int err = gpupt_nl_open(&nl);

	if (err == -ENOENT) {
		errmsg("gpupt module not loaded (modprobe gpupt)");
		exit(EXIT_NOMOD);
	}
	if (err) {
		errmsg("cannot open generic netlink: %s", strerror(-err));
		exit(EXIT_FAIL);
	}
	return nl;
}

void gpupt_close(struct gpupt_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

const char *gpupt_extack(const struct gpupt_nl *nl)
{
	return nl && nl->has_extack ? nl->extack : NULL;
}

int gpupt_error(const struct gpupt_nl *nl, int err, const char *what_fmt, ...)
{
	const char *ext = gpupt_extack(nl);
	char what[512];
	va_list ap;

	va_start(ap, what_fmt);
	vsnprintf(what, sizeof(what), what_fmt, ap);
	va_end(ap);
	if (ext)
		errmsg("%s: %s (kernel says: %s)", what, strerror(-err), ext);
	else
		errmsg("%s: %s", what, strerror(-err));
	return EXIT_FAIL;
}

/* ---- request / reply ---- */

struct req_ctx {
	struct gpupt_nl *nl;
	gpupt_reply_cb cb;
	void *arg;
	int err;	/* kernel error (ACK / DONE) */
	int cb_err;	/* first error returned by cb */
	bool done;
	bool intr;	/* NLM_F_DUMP_INTR seen */
};

/* Extract NLMSGERR_ATTR_MSG from an ACK or DONE carrying TLVs. */
static void save_extack(struct gpupt_nl *nl, struct nlmsghdr *nlh,
			size_t tlv_off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nlattr *attrs;
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (tlv_off > nlh->nlmsg_len)
		return;
	attrs = (struct nlattr *)((char *)nlh + tlv_off);
	len = (int)(nlh->nlmsg_len - tlv_off);
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, attrs, len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 0) {
		snprintf(nl->extack, sizeof(nl->extack), "%.*s",
			 nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
		/* strip a trailing NUL counted in the length */
		nl->has_extack = nl->extack[0] != '\0';
	}
}

static int error_handler(struct sockaddr_nl *nla, struct nlmsgerr *e,
			 void *arg)
{
	struct req_ctx *ctx = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t off;

	(void)nla;
	ctx->err = e->error;
	ctx->done = true;
	if (nlh->nlmsg_flags & NLM_F_CAPPED)
		off = NLMSG_HDRLEN + sizeof(*e);
	else
		off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(e->error) +
						 e->msg.nlmsg_len);
	save_extack(ctx->nl, nlh, off);
	return NL_STOP;
}

static int ack_handler(struct nl_msg *msg, void *arg)
{
	struct req_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	ctx->done = true;
	/* Warnings can ride on a successful ACK too. */
	save_extack(ctx->nl, nlh, NLMSG_HDRLEN + sizeof(struct nlmsgerr));
	return NL_STOP;
}

static int finish_handler(struct nl_msg *msg, void *arg)
{
	struct req_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	ctx->done = true;
	/* A dump's DONE carries the dump's error (and extack). */
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		int e;

		memcpy(&e, nlmsg_data(nlh), sizeof(e));
		if (e < 0)
			ctx->err = e;
		save_extack(ctx->nl, nlh, NLMSG_HDRLEN + sizeof(int));
	}
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		ctx->intr = true;
	return NL_STOP;
}

static int valid_handler(struct nl_msg *msg, void *arg)
{
	struct req_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[GPUPT_A_MAX + 1];
	int err;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		ctx->intr = true;
	if (nlh->nlmsg_type != ctx->nl->family || ctx->cb_err)
		return NL_SKIP;
	err = genlmsg_parse(nlh, 0, tb, GPUPT_A_MAX, top_policy);
	if (err) {
		ctx->cb_err = -EPROTO;
		return NL_SKIP;
	}
	if (ctx->cb) {
		err = ctx->cb(gnlh->cmd, tb, ctx->arg);
		if (err)
			ctx->cb_err = err;
	}
	return NL_SKIP;
}

static int put_addr(struct nl_msg *msg, int type, const struct gpupt_addr *a)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest || nla_put_u32(msg, GPUPT_DEV_A_DOMAIN, a->domain) ||
	    nla_put_u8(msg, GPUPT_DEV_A_BUS, a->bus) ||
	    nla_put_u8(msg, GPUPT_DEV_A_DEVFN, a->devfn))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int build_request(struct gpupt_nl *nl, const struct gpupt_req *req,
			 struct nl_msg **out)
{
	struct nl_msg *msg;
	struct nlattr *arr;
	size_t i;

	msg = nlmsg_alloc_size(req->n_addrs > 64 ? 65536 : 8192);
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 req->dump ? NLM_F_DUMP : 0, req->cmd,
			 GPUPT_GENL_VERSION))
		goto too_big;
	if (req->addr && put_addr(msg, GPUPT_A_DEVICE, req->addr))
		goto too_big;
	if (req->n_addrs) {
		arr = nla_nest_start(msg, GPUPT_A_DEVICES);
		if (!arr)
			goto too_big;
		for (i = 0; i < req->n_addrs; i++)
			if (put_addr(msg, GPUPT_A_DEVICE, &req->addrs[i]))
				goto too_big;
		nla_nest_end(msg, arr);
	}
	if (req->flags && nla_put_u32(msg, GPUPT_A_FLAGS, req->flags))
		goto too_big;
	if (req->driver && nla_put_string(msg, GPUPT_A_DRIVER, req->driver))
		goto too_big;
	if (req->has_reset_method &&
	    nla_put_u8(msg, GPUPT_A_RESET_METHOD, req->reset_method))
		goto too_big;
	if (req->has_num_vfs && nla_put_u16(msg, GPUPT_A_NUM_VFS, req->num_vfs))
		goto too_big;
	*out = msg;
	return 0;
too_big:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int gpupt_request(struct gpupt_nl *nl, const struct gpupt_req *req,
		  gpupt_reply_cb cb, void *arg)
{
	struct req_ctx ctx = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_msg *msg;
	struct nl_cb *ncb;
	int err;

	nl->has_extack = false;
	nl->extack[0] = '\0';
	err = build_request(nl, req, &msg);
	if (err)
		return err;
	ncb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ncb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, valid_handler, &ctx);
	nl_cb_set(ncb, NL_CB_FINISH, NL_CB_CUSTOM, finish_handler, &ctx);
	nl_cb_set(ncb, NL_CB_ACK, NL_CB_CUSTOM, ack_handler, &ctx);
	nl_cb_err(ncb, NL_CB_CUSTOM, error_handler, &ctx);

	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(ncb);
		return nlerr_to_errno(err);
	}
	while (!ctx.done) {
		err = nl_recvmsgs(nl->sk, ncb);
		if (err < 0 && !ctx.done) {
			nl_cb_put(ncb);
			return nlerr_to_errno(err);
		}
	}
	nl_cb_put(ncb);
	if (ctx.err)
		return ctx.err;
	if (ctx.cb_err)
		return ctx.cb_err;
	return ctx.intr ? -EINTR : 0;
}

/* ---- events ---- */

int gpupt_events_subscribe(struct gpupt_nl *nl)
{
	int grp, err;

	grp = genl_ctrl_resolve_grp(nl->sk, GPUPT_GENL_NAME,
				    GPUPT_GENL_MCGRP_EVENTS);
	if (grp < 0)
		return grp == -NLE_OBJ_NOTFOUND ? -ENOENT : nlerr_to_errno(grp);
	/* nlctrl's notifications tell us when the family goes away. */
	nl->ctrl_grp = genl_ctrl_resolve_grp(nl->sk, "nlctrl", "notify");
	err = nl_socket_add_membership(nl->sk, grp);
	if (err)
		return nlerr_to_errno(err);
	if (nl->ctrl_grp >= 0 &&
	    nl_socket_add_membership(nl->sk, nl->ctrl_grp))
		nl->ctrl_grp = -1;
	nl_socket_disable_seq_check(nl->sk);
	/* room for bursts (a handoff --all of 16 functions is 16 events) */
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);
	nl->events = true;
	return 0;
}

int gpupt_nl_fd(const struct gpupt_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

struct evt_ctx {
	struct gpupt_nl *nl;
	gpupt_reply_cb cb;
	void *arg;
	int err;
};

static int event_handler(struct nl_msg *msg, void *arg)
{
	struct evt_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	int err;

	if (ctx->err)
		return NL_SKIP;
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		struct nlattr *tb[CTRL_ATTR_MAX + 1];

		if (gnlh->cmd != CTRL_CMD_DELFAMILY ||
		    genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL))
			return NL_SKIP;
		if ((tb[CTRL_ATTR_FAMILY_NAME] &&
		     !strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]),
			     GPUPT_GENL_NAME)) ||
		    (tb[CTRL_ATTR_FAMILY_ID] &&
		     nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]) == ctx->nl->family))
			ctx->err = -ESHUTDOWN;
		return NL_SKIP;
	}
	if (nlh->nlmsg_type == ctx->nl->family) {
		struct nlattr *tb[GPUPT_A_MAX + 1];

		if (genlmsg_parse(nlh, 0, tb, GPUPT_A_MAX, top_policy))
			return NL_SKIP;
		err = ctx->cb(gnlh->cmd, tb, ctx->arg);
		if (err)
			ctx->err = err;
	}
	return NL_SKIP;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

int gpupt_events_recv(struct gpupt_nl *nl, gpupt_reply_cb cb, void *arg)
{
	struct evt_ctx ctx = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_cb *ncb;
	int err;

	ncb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ncb)
		return -ENOMEM;
	/* Notifications carry sequence number 0: no sequence check. */
	nl_cb_set(ncb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, event_handler, &ctx);
	err = nl_recvmsgs(nl->sk, ncb);
	nl_cb_put(ncb);
	if (ctx.err)
		return ctx.err;
	return err < 0 ? nlerr_to_errno(err) : 0;
}

int gpupt_family_present(struct gpupt_nl *nl)
{
	struct gpupt_nl *tmp;
	int err;

	(void)nl;
	err = gpupt_nl_open(&tmp);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	gpupt_close(tmp);
	return 1;
}

/* ---- device records ---- */

static void copy_str(char *dst, size_t len, struct nlattr *a)
{
	snprintf(dst, len, "%.*s", nla_len(a), (const char *)nla_data(a));
}

static int devrec_parse_depth(struct nlattr *nest, struct devrec *r, int depth);

/* GPUPT_DEV_A_CHECKS (+ FAILED_CHECK) into @checks; false when absent. */
static bool parse_checks(struct nlattr **tb, uint8_t *checks, uint8_t *failed)
{
	struct nlattr *c[GPUPT_CHECK_MAX + 1];
	int i;

	if (!tb[GPUPT_DEV_A_CHECKS] ||
	    nla_parse_nested(c, GPUPT_CHECK_MAX, tb[GPUPT_DEV_A_CHECKS],
			     check_policy))
		return false;
	for (i = 1; i <= GPUPT_CHECK_MAX; i++)
		checks[i] = c[i] ? nla_get_u8(c[i]) : GPUPT_CHECK_R_NOT_RUN;
	if (tb[GPUPT_DEV_A_FAILED_CHECK])
		*failed = nla_get_u8(tb[GPUPT_DEV_A_FAILED_CHECK]);
	return true;
}

static int parse_rungs(struct nlattr *nest, struct devrec *r)
{
	struct nlattr *tb[GPUPT_DEV_A_MAX + 1];
	struct nlattr *pos;
	struct devrung *g;
	size_t cnt = 0;
	int rem;

	nla_for_each_nested(pos, nest, rem)
		cnt++;
	if (!cnt)
		return 0;
	r->rungs = calloc(cnt, sizeof(*r->rungs));
	if (!r->rungs)
		return -ENOMEM;
	nla_for_each_nested(pos, nest, rem) {
		if (nla_parse_nested(tb, GPUPT_DEV_A_MAX, pos, dev_policy))
			return -EINVAL;
		g = &r->rungs[r->n_rungs++];
		if (tb[GPUPT_DEV_A_RESET_METHOD])
			g->method = nla_get_u8(tb[GPUPT_DEV_A_RESET_METHOD]);
		if (tb[GPUPT_DEV_A_ERRNO])
			g->err = nla_get_u32(tb[GPUPT_DEV_A_ERRNO]);
		if (tb[GPUPT_DEV_A_DURATION_US])
			g->duration_us = nla_get_u64(tb[GPUPT_DEV_A_DURATION_US]);
		if (tb[GPUPT_DEV_A_MESSAGE]) {
			g->has_message = true;
			copy_str(g->message, sizeof(g->message),
				 tb[GPUPT_DEV_A_MESSAGE]);
		}
		g->has_checks = parse_checks(tb, g->checks, &g->failed_check);
	}
	return 0;
}

static int parse_array(struct nlattr *nest, struct devrec **out, size_t *n,
		       int depth)
{
	struct devrec *v;
	struct nlattr *pos;
	size_t cnt = 0, i = 0;
	int rem, err;

	nla_for_each_nested(pos, nest, rem)
		cnt++;
	*out = NULL;
	*n = 0;
	if (!cnt)
		return 0;
	v = calloc(cnt, sizeof(*v));
	if (!v)
		return -ENOMEM;
	nla_for_each_nested(pos, nest, rem) {
		err = devrec_parse_depth(pos, &v[i], depth + 1);
		if (err) {
			devrec_free_array(v, i);
			return err;
		}
		i++;
	}
	*out = v;
	*n = i;
	return 0;
}

static int devrec_parse_depth(struct nlattr *nest, struct devrec *r, int depth)
{
	struct nlattr *tb[GPUPT_DEV_A_MAX + 1];
	struct nlattr *pos;
	int rem, err;

	memset(r, 0, sizeof(*r));
	if (!nest || depth > 2)
		return -EINVAL;
	if (nla_parse_nested(tb, GPUPT_DEV_A_MAX, nest, dev_policy))
		return -EINVAL;
	if (!tb[GPUPT_DEV_A_DOMAIN] || !tb[GPUPT_DEV_A_BUS] ||
	    !tb[GPUPT_DEV_A_DEVFN])
		return -EINVAL;
	r->addr.domain = nla_get_u32(tb[GPUPT_DEV_A_DOMAIN]);
	r->addr.bus = nla_get_u8(tb[GPUPT_DEV_A_BUS]);
	r->addr.devfn = nla_get_u8(tb[GPUPT_DEV_A_DEVFN]);
	if (tb[GPUPT_DEV_A_VENDOR])
		r->vendor = nla_get_u16(tb[GPUPT_DEV_A_VENDOR]);
	if (tb[GPUPT_DEV_A_DEVICE])
		r->device = nla_get_u16(tb[GPUPT_DEV_A_DEVICE]);
	if (tb[GPUPT_DEV_A_SUBSYS_VENDOR])
		r->subsys_vendor = nla_get_u16(tb[GPUPT_DEV_A_SUBSYS_VENDOR]);
	if (tb[GPUPT_DEV_A_SUBSYS_DEVICE])
		r->subsys_device = nla_get_u16(tb[GPUPT_DEV_A_SUBSYS_DEVICE]);
	if (tb[GPUPT_DEV_A_CLASS])
		r->class = nla_get_u32(tb[GPUPT_DEV_A_CLASS]) & 0xffffff;
	if (tb[GPUPT_DEV_A_STATE])
		r->state = nla_get_u32(tb[GPUPT_DEV_A_STATE]);
	if (tb[GPUPT_DEV_A_DRIVER]) {
		copy_str(r->driver, sizeof(r->driver), tb[GPUPT_DEV_A_DRIVER]);
		r->has_driver = r->driver[0] != '\0';
	}
	if (tb[GPUPT_DEV_A_IOMMU_GROUP]) {
		r->has_iommu_group = true;
		r->iommu_group = nla_get_u32(tb[GPUPT_DEV_A_IOMMU_GROUP]);
	}
	if (tb[GPUPT_DEV_A_NUMA_NODE]) {
		r->has_numa_node = true;
		r->numa_node = nla_get_u32(tb[GPUPT_DEV_A_NUMA_NODE]);
	}
	if (tb[GPUPT_DEV_A_RESET_METHODS]) {
		nla_for_each_nested(pos, tb[GPUPT_DEV_A_RESET_METHODS], rem) {
			if (nla_type(pos) != GPUPT_RM_A_METHOD ||
			    nla_len(pos) < 1)
				continue;
			if (r->n_reset_methods < DEVREC_MAX_METHODS)
				r->reset_methods[r->n_reset_methods++] =
					nla_get_u8(pos);
		}
	}
	if (tb[GPUPT_DEV_A_DRIVER_OVERRIDE]) {
		r->has_driver_override = true;
		copy_str(r->driver_override, sizeof(r->driver_override),
			 tb[GPUPT_DEV_A_DRIVER_OVERRIDE]);
	}
	if (tb[GPUPT_DEV_A_FROM]) {
		r->has_from = true;
		copy_str(r->from, sizeof(r->from), tb[GPUPT_DEV_A_FROM]);
	}
	if (tb[GPUPT_DEV_A_TO]) {
		r->has_to = true;
		copy_str(r->to, sizeof(r->to), tb[GPUPT_DEV_A_TO]);
	}
	if (tb[GPUPT_DEV_A_BLOCKER]) {
		r->has_blocker = true;
		copy_str(r->blocker, sizeof(r->blocker), tb[GPUPT_DEV_A_BLOCKER]);
	}
	if (tb[GPUPT_DEV_A_RESET_METHOD]) {
		r->has_reset_method = true;
		r->reset_method = nla_get_u8(tb[GPUPT_DEV_A_RESET_METHOD]);
	}
	if (tb[GPUPT_DEV_A_DURATION_US]) {
		r->has_duration_us = true;
		r->duration_us = nla_get_u64(tb[GPUPT_DEV_A_DURATION_US]);
	}
	if (tb[GPUPT_DEV_A_ERRNO]) {
		r->has_errno = true;
		r->err = nla_get_u32(tb[GPUPT_DEV_A_ERRNO]);
	}
	if (tb[GPUPT_DEV_A_MESSAGE]) {
		r->has_message = true;
		copy_str(r->message, sizeof(r->message), tb[GPUPT_DEV_A_MESSAGE]);
	}
	if (tb[GPUPT_DEV_A_AFFECTED]) {
		err = parse_array(tb[GPUPT_DEV_A_AFFECTED], &r->affected,
				  &r->n_affected, depth);
		if (err)
			return err;
	}
	if (tb[GPUPT_DEV_A_PHYSFN]) {
		struct nlattr *pf[GPUPT_DEV_A_MAX + 1];

		if (nla_parse_nested(pf, GPUPT_DEV_A_MAX, tb[GPUPT_DEV_A_PHYSFN],
				     dev_policy) ||
		    !pf[GPUPT_DEV_A_DOMAIN] || !pf[GPUPT_DEV_A_BUS] ||
		    !pf[GPUPT_DEV_A_DEVFN])
			return -EINVAL;
		r->has_physfn = true;
		r->physfn.domain = nla_get_u32(pf[GPUPT_DEV_A_DOMAIN]);
		r->physfn.bus = nla_get_u8(pf[GPUPT_DEV_A_BUS]);
		r->physfn.devfn = nla_get_u8(pf[GPUPT_DEV_A_DEVFN]);
	}
	if (tb[GPUPT_DEV_A_NUM_VFS] && tb[GPUPT_DEV_A_TOTAL_VFS]) {
		r->has_num_vfs = true;
		r->num_vfs = nla_get_u16(tb[GPUPT_DEV_A_NUM_VFS]);
		r->total_vfs = nla_get_u16(tb[GPUPT_DEV_A_TOTAL_VFS]);
	}
	r->has_checks = parse_checks(tb, r->checks, &r->failed_check);
	if (tb[GPUPT_DEV_A_RUNGS]) {
		err = parse_rungs(tb[GPUPT_DEV_A_RUNGS], r);
		if (err)
			return err;
	}
	if (tb[GPUPT_DEV_A_QUARANTINE]) {
		r->has_quarantine = true;
		copy_str(r->quarantine, sizeof(r->quarantine),
			 tb[GPUPT_DEV_A_QUARANTINE]);
	}
	if (tb[GPUPT_DEV_A_QUARANTINE_CHECK])
		r->quarantine_check = nla_get_u8(tb[GPUPT_DEV_A_QUARANTINE_CHECK]);
	return 0;
}

int devrec_parse(struct nlattr *nest, struct devrec *r)
{
	int err = devrec_parse_depth(nest, r, 0);

	if (err)
		devrec_free(r);
	return err;
}

void devrec_free(struct devrec *r)
{
	if (!r)
		return;
	devrec_free_array(r->affected, r->n_affected);
	r->affected = NULL;
	r->n_affected = 0;
	free(r->rungs);
	r->rungs = NULL;
	r->n_rungs = 0;
}

int devrec_parse_array(struct nlattr *nest, struct devrec **out, size_t *n)
{
	return parse_array(nest, out, n, 0);
}

void devrec_free_array(struct devrec *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		devrec_free(&v[i]);
	free(v);
}

/* ---- DEV_GET ---- */

static int dev_get_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct devrec *out = arg;

	(void)cmd;
	if (!tb[GPUPT_A_DEVICE])
		return -EPROTO;
	devrec_free(out);
	return devrec_parse(tb[GPUPT_A_DEVICE], out) ? -EPROTO : 0;
}

int gpupt_dev_get(struct gpupt_nl *nl, const struct gpupt_addr *a,
		  struct devrec *out)
{
	struct gpupt_req req = { .cmd = GPUPT_CMD_DEV_GET, .addr = a };

	memset(out, 0, sizeof(*out));
	return gpupt_request(nl, &req, dev_get_cb, out);
}

struct dump_ctx {
	struct devrec *v;
	size_t n, cap;
};

static int dump_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct dump_ctx *d = arg;

	(void)cmd;
	if (!tb[GPUPT_A_DEVICE])
		return -EPROTO;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct devrec *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	if (devrec_parse(tb[GPUPT_A_DEVICE], &d->v[d->n]))
		return -EPROTO;
	d->n++;
	return 0;
}

static int devrec_cmp(const void *a, const void *b)
{
	const struct devrec *x = a, *y = b;

	return addr_cmp(&x->addr, &y->addr);
}

int gpupt_dev_dump(struct gpupt_nl *nl, struct devrec **out, size_t *n)
{
	struct gpupt_req req = { .cmd = GPUPT_CMD_DEV_GET, .dump = true };
	struct dump_ctx d;
	int err, tries;

	for (tries = 0; tries < 5; tries++) {
		memset(&d, 0, sizeof(d));
		err = gpupt_request(nl, &req, dump_cb, &d);
		if (!err)
			break;
		devrec_free_array(d.v, d.n);
		if (err != -EINTR)
			return err;
	}
	if (err)
		return err;
	if (d.n)
		qsort(d.v, d.n, sizeof(*d.v), devrec_cmp);
	*out = d.v;
	*n = d.n;
	return 0;
}

/* ---- reset method names ---- */

static const char *const rm_names[] = {
	[GPUPT_RESET_AUTO]		= "auto",
	[GPUPT_RESET_DEVICE_SPECIFIC]	= "device_specific",
	[GPUPT_RESET_ACPI]		= "acpi",
	[GPUPT_RESET_FLR]		= "flr",
	[GPUPT_RESET_AF_FLR]		= "af_flr",
	[GPUPT_RESET_PM]		= "pm",
	[GPUPT_RESET_BUS]		= "bus",
	[GPUPT_RESET_CXL_BUS]		= "cxl_bus",
	[GPUPT_RESET_SLOT]		= "slot",
	[GPUPT_RESET_RESCAN]		= "rescan",
	[GPUPT_RESET_D3COLD]		= "d3cold",
};

static const char *const check_names[] = {
	[GPUPT_CHECK_PRESENT]	= "present",
	[GPUPT_CHECK_CONFIG]	= "config",
	[GPUPT_CHECK_LINK]	= "link",
	[GPUPT_CHECK_BARS]	= "bars",
	[GPUPT_CHECK_COMMAND]	= "command",
	[GPUPT_CHECK_POWER]	= "power",
};

static const char *const check_result_names[] = {
	[GPUPT_CHECK_R_NOT_RUN]	= "not_run",
	[GPUPT_CHECK_R_PASS]	= "pass",
	[GPUPT_CHECK_R_FAIL]	= "fail",
	[GPUPT_CHECK_R_NA]	= "n/a",
};

const char *check_name(unsigned int c)
{
	return c < sizeof(check_names) / sizeof(check_names[0]) ?
	       check_names[c] : NULL;
}

const char *check_result_name(unsigned int r)
{
	return r < sizeof(check_result_names) / sizeof(check_result_names[0]) ?
	       check_result_names[r] : NULL;
}

const char *reset_method_name(unsigned int m)
{
	return m < sizeof(rm_names) / sizeof(rm_names[0]) ? rm_names[m] : NULL;
}

int reset_method_parse(const char *s)
{
	unsigned int i;

	for (i = 0; s && i < sizeof(rm_names) / sizeof(rm_names[0]); i++)
		if (rm_names[i] && !strcmp(s, rm_names[i]))
			return (int)i;
	return -EINVAL;
}
