// SPDX-License-Identifier: GPL-2.0
/*
 * rawnl: the gpupt generic netlink family over a raw socket (rawnl.h).
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/gpupt.h>

#include "rawnl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

void rawnl_hdr(struct rawnl_msg *m, uint16_t type, uint16_t flags, uint8_t cmd,
	       uint32_t seq)
{
	struct nlmsghdr *n = (struct nlmsghdr *)m->d;
	struct genlmsghdr *g = (struct genlmsghdr *)(m->d + NLMSG_HDRLEN);

	memset(m->d, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	n->nlmsg_type = type;
	n->nlmsg_flags = flags;
	n->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = GPUPT_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

void rawnl_put(struct rawnl_msg *m, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n),
			    .nla_type = type };
	size_t end;

	if (m->len + NLA_ALIGN(NLA_HDRLEN + n) > RAWNL_MSGMAX)
		return;
	memcpy(m->d + m->len, &a, sizeof(a));
	if (n)
		memcpy(m->d + m->len + NLA_HDRLEN, p, n);
	m->len += NLA_HDRLEN + n;
	end = NLA_ALIGN(m->len);
	memset(m->d + m->len, 0, end - m->len);
	m->len = end;
}

size_t rawnl_nest_begin(struct rawnl_msg *m, uint16_t type)
{
	size_t off = m->len;

	if (m->len + NLA_HDRLEN + 64 > RAWNL_MSGMAX)
		return SIZE_MAX;
	rawnl_put(m, type | NLA_F_NESTED, NULL, 0);
	return off;
}

void rawnl_nest_end(struct rawnl_msg *m, size_t off)
{
	struct nlattr *a;

	if (off == SIZE_MAX)
		return;
	a = (struct nlattr *)(m->d + off);
	a->nla_len = (uint16_t)(m->len - off);
}

void rawnl_put_addr(struct rawnl_msg *m, uint16_t type, uint32_t domain,
		    uint8_t bus, uint8_t devfn)
{
	size_t n = rawnl_nest_begin(m, type);

	rawnl_put(m, GPUPT_DEV_A_DOMAIN, &domain, 4);
	rawnl_put(m, GPUPT_DEV_A_BUS, &bus, 1);
	rawnl_put(m, GPUPT_DEV_A_DEVFN, &devfn, 1);
	rawnl_nest_end(m, n);
}

const struct nlattr *rawnl_next(const uint8_t **p, size_t *rem)
{
	const struct nlattr *a = (const struct nlattr *)*p;
	size_t step;

	if (*rem < NLA_HDRLEN || a->nla_len < NLA_HDRLEN || a->nla_len > *rem)
		return NULL;
	step = NLA_ALIGN(a->nla_len);
	if (step >= *rem) {
		*rem = 0;
	} else {
		*p += step;
		*rem -= step;
	}
	return a;
}

int rawnl_open(int timeout_s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = timeout_s };
	int fd, err, one = 1, rcv = 4 << 20;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

int rawnl_send(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

ssize_t rawnl_recv(int fd, void *buf, size_t size, int flags)
{
	ssize_t len;

	do
		len = recv(fd, buf, size, flags);
	while (len < 0 && errno == EINTR);
	return len < 0 ? -errno : len;
}

int rawnl_family(int fd, const char *name, uint32_t seq, void *buf, size_t size)
{
	struct rawnl_msg m;
	uint16_t id = 0;
	int err;

	rawnl_hdr(&m, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, CTRL_CMD_GETFAMILY,
		  seq);
	rawnl_put(&m, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	((struct nlmsghdr *)m.d)->nlmsg_len = (uint32_t)m.len;
	err = rawnl_send(fd, m.d, m.len);
	if (err)
		return err;
	for (;;) {
		ssize_t len = rawnl_recv(fd, buf, size, 0);
		struct nlmsghdr *n;

		if (len < 0)
			return (int)len;
		for (n = buf; NLMSG_OK(n, (size_t)len); n = NLMSG_NEXT(n, len)) {
			const struct nlattr *a;
			const uint8_t *p;
			size_t rem;

			if (n->nlmsg_seq != seq)
				continue;
			if (n->nlmsg_type == NLMSG_ERROR) {
				err = ((const struct nlmsgerr *)NLMSG_DATA(n))->error;
				return err ? err : id ? id : -ENOENT;
			}
			if (n->nlmsg_type != GENL_ID_CTRL ||
			    n->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
				continue;
			p = (const uint8_t *)NLMSG_DATA(n) + GENL_HDRLEN;
			rem = n->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			while ((a = rawnl_next(&p, &rem)))
				if (a->nla_type == CTRL_ATTR_FAMILY_ID)
					memcpy(&id, (const uint8_t *)a + NLA_HDRLEN, 2);
		}
	}
}

void rawnl_ext(const struct nlmsghdr *n, size_t off, char *ext, size_t len)
{
	const uint8_t *p = (const uint8_t *)n + off;
	size_t rem = n->nlmsg_len > off ? n->nlmsg_len - off : 0;
	const struct nlattr *a;

	*ext = 0;
	if (!(n->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while ((a = rawnl_next(&p, &rem)))
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(ext, len, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
				 (const char *)a + NLA_HDRLEN);
}

int rawnl_err(const struct nlmsghdr *n, char *ext, size_t len)
{
	const struct nlmsgerr *e = NLMSG_DATA(n);
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	/* uncapped, the ACK quotes the whole request before its TLVs */
	if (!(n->nlmsg_flags & NLM_F_CAPPED))
		off = NLMSG_HDRLEN + sizeof(int) + e->msg.nlmsg_len;
	rawnl_ext(n, NLMSG_ALIGN(off), ext, len);
	return e->error;
}

void rawnl_extc_add(struct rawnl_extc *tab, unsigned int *n, unsigned int max,
		    const char *text, int tag)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(tab[i].text, text)) {
			tab[i].count++;
			return;
		}
	if (*n < max) {
		snprintf(tab[*n].text, sizeof(tab[*n].text), "%s", text);
		tab[*n].tag = tag;
		tab[(*n)++].count = 1;
	}
}

int rawnl_done(const struct nlmsghdr *n)
{
	int err = 0;

	if (n->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		memcpy(&err, NLMSG_DATA(n), sizeof(int));
	return err;
}
