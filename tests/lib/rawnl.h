/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rawnl: the gpupt generic netlink family over a raw socket, without libnl,
 * for the test tools that must build messages libnl never would
 * (tests/nlfuzz/nlfuzz) or must know every allocation a request makes
 * (tests/debug/failnl).  Nothing here prints or exits: errors come back as
 * -errno, and each tool reports them in its own words.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#ifndef GPUPT_TESTS_RAWNL_H
#define GPUPT_TESTS_RAWNL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>

#define RAWNL_MSGMAX	8192

/* One message: netlink header, genl header, attributes. */
struct rawnl_msg {
	uint8_t d[RAWNL_MSGMAX];
	size_t len;		/* bytes built */
};

/* Start @m: the two headers (nlmsg_len is left for the sender to set). */
void rawnl_hdr(struct rawnl_msg *m, uint16_t type, uint16_t flags, uint8_t cmd,
	       uint32_t seq);
/* Append an attribute, zero-padded; one that does not fit is left out. */
void rawnl_put(struct rawnl_msg *m, uint16_t type, const void *p, size_t n);
/* Open a nest (NLA_F_NESTED); SIZE_MAX when @m is nearly full. */
size_t rawnl_nest_begin(struct rawnl_msg *m, uint16_t type);
/* Close the nest rawnl_nest_begin() returned @off for. */
void rawnl_nest_end(struct rawnl_msg *m, size_t off);
/* A GPUPT_A_DEVICE-style nest of @type: DOMAIN, BUS, DEVFN. */
void rawnl_put_addr(struct rawnl_msg *m, uint16_t type, uint32_t domain,
		    uint8_t bus, uint8_t devfn);

/*
 * The next attribute of the list at *@p (*@rem bytes), or NULL at its end or
 * at a malformed one; moves *@p and *@rem past it.
 */
const struct nlattr *rawnl_next(const uint8_t **p, size_t *rem);

/*
 * A NETLINK_GENERIC socket with extended and capped ACKs, a 4 MiB receive
 * buffer and a receive timeout of @timeout_s: its descriptor, or -errno.
 */
int rawnl_open(int timeout_s);
/* Send @len bytes of @buf to the kernel: 0 or -errno (errno is kept). */
int rawnl_send(int fd, const void *buf, size_t len);
/* recv(), retried on EINTR: the length (with MSG_TRUNC, the full one), or -errno. */
ssize_t rawnl_recv(int fd, void *buf, size_t size, int flags);
/*
 * Resolve the generic netlink family @name with a request of sequence number
 * @seq, receiving into @buf: the family id, or -errno (-ENOENT when the
 * answer names none).
 */
int rawnl_family(int fd, const char *name, uint32_t seq, void *buf,
		 size_t size);

/* Extack messages seen (folded by the caller), each once with a count. */
struct rawnl_extc {
	char text[96];
	int tag;		/* the caller's, from the first one seen */
	unsigned long count;
};

/*
 * Count @text in @tab, which holds *@n of at most @max entries; a text not
 * seen before starts an entry tagged @tag, or is dropped when @tab is full.
 */
void rawnl_extc_add(struct rawnl_extc *tab, unsigned int *n, unsigned int max,
		    const char *text, int tag);

/* An NLMSG_ERROR: its error (<= 0); its extack message into @ext ("" if none). */
int rawnl_err(const struct nlmsghdr *n, char *ext, size_t len);
/* An NLMSG_DONE: its error (<= 0). */
int rawnl_done(const struct nlmsghdr *n);
/* The extack message in the ACK TLVs from offset @off of @n into @ext. */
void rawnl_ext(const struct nlmsghdr *n, size_t off, char *ext, size_t len);

#endif
