// SPDX-License-Identifier: GPL-2.0
/*
 * The transport: every netlink message gptctl sends or reads goes through
 * this file (libnl-3 / libnl-genl-3).  See nl.h; the device records in the
 * replies are devrec.c's.
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

struct nlconn {
	struct nl_sock *sk;
	int family;
	int ctrl_grp;		/* nlctrl "notify", when monitoring */
	bool events;
	bool has_extack;
	char extack[256];	/* the kernel's NLMSGERR_ATTR_MSG */
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

int nlconn_open(struct nlconn **out)
{
	struct nlconn *nl;
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

int nlconn_connect(struct nlconn **out)
{
	int err = nlconn_open(out);

	if (err == -ENOENT) {
		errmsg("gpupt module not loaded (modprobe gpupt)");
		return EXIT_NOMOD;
	}
	if (err) {
		errmsg("cannot open generic netlink: %s", strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

void nlconn_close(struct nlconn *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

const char *nlconn_extack(const struct nlconn *nl)
{
	return nl && nl->has_extack ? nl->extack : NULL;
}

int nlconn_error(const struct nlconn *nl, int err, const char *what_fmt, ...)
{
	const char *ext = nlconn_extack(nl);
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
	struct nlconn *nl;
	nlconn_reply_cb cb;
	void *arg;
	int err;	/* kernel error (ACK / DONE) */
	int cb_err;	/* first error returned by cb */
	bool done;
	bool intr;	/* NLM_F_DUMP_INTR seen */
};

/* Extract NLMSGERR_ATTR_MSG from an ACK or DONE carrying TLVs. */
static void save_extack(struct nlconn *nl, struct nlmsghdr *nlh,
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

static int build_request(struct nlconn *nl, const struct nlconn_req *req,
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

int nlconn_request(struct nlconn *nl, const struct nlconn_req *req,
		   nlconn_reply_cb cb, void *arg)
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

int nlconn_events_subscribe(struct nlconn *nl)
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

int nlconn_fd(const struct nlconn *nl)
{
	return nl_socket_get_fd(nl->sk);
}

struct evt_ctx {
	struct nlconn *nl;
	nlconn_reply_cb cb;
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

int nlconn_events_recv(struct nlconn *nl, nlconn_reply_cb cb, void *arg)
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

int nlconn_family_present(struct nlconn *nl)
{
	struct nlconn *tmp;
	int err;

	(void)nl;
	err = nlconn_open(&tmp);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	nlconn_close(tmp);
	return 1;
}
