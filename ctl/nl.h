/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The narrow transport between gptctl's handlers and the gpupt
 * generic-netlink family (libnl-3 / libnl-genl-3).  Handlers fill a
 * struct nlconn_req, call nlconn_request() and get each reply message's
 * top-level attributes (already parsed against a policy) in a callback.
 * Nobody else builds or parses netlink messages.
 *
 *	struct nlconn *nl;
 *	struct nlconn_req req = { .cmd = GPUPT_CMD_CLAIM, .addr = &a,
 *				  .flags = GPUPT_F_FORCE };
 *	int err, ret = nlconn_connect(&nl);	// EXIT_NOMOD if no module
 *
 *	if (ret)
 *		return ret;
 *	err = nlconn_request(nl, &req, my_cb, &ctx);
 *	if (err)
 *		ret = nlconn_error(nl, err, "claim %s", buf);	// EXIT_FAIL
 *	nlconn_close(nl);
 *	return ret;
 */
#ifndef GPTCTL_NL_H
#define GPTCTL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/gpupt.h>
/*
 * Callbacks read attributes with libnl's accessors (nla_get_u32(),
 * nla_for_each_nested(), nla_parse_nested(), ...); they never build
 * messages.
 */
#include <netlink/attr.h>

#include "addr.h"

struct nlconn;	/* opaque: libnl socket, family id, last extack */

/*
 * Open a socket and resolve the family by name.  0 or -errno; a missing
 * family gives -ENOENT (the module is not loaded).
 */
int nlconn_open(struct nlconn **out);

/*
 * nlconn_open() for handlers: EXIT_OK with *out set; on a missing family
 * prints "gptctl: gpupt module not loaded (modprobe gpupt)" and returns
 * EXIT_NOMOD; on other errors prints the reason and returns EXIT_FAIL.
 * The handler returns that code.
 */
int nlconn_connect(struct nlconn **out);

void nlconn_close(struct nlconn *nl);

/* A request.  Zero-initialise and set what the command needs. */
struct nlconn_req {
	uint8_t cmd;			/* GPUPT_CMD_* */
	bool dump;			/* NLM_F_DUMP (DEV_GET only) */
	const struct gpupt_addr *addr;	/* GPUPT_A_DEVICE if non-NULL */
	const struct gpupt_addr *addrs;	/* GPUPT_A_DEVICES if n_addrs > 0 */
	size_t n_addrs;
	uint32_t flags;			/* GPUPT_A_FLAGS if non-zero */
	const char *driver;		/* GPUPT_A_DRIVER if non-NULL */
	bool has_reset_method;		/* send GPUPT_A_RESET_METHOD ... */
	uint8_t reset_method;		/* ... enum gpupt_reset_method */
	bool has_num_vfs;		/* send GPUPT_A_NUM_VFS ... */
	uint16_t num_vfs;		/* ... (SRIOV) */
};

/*
 * Reply callback: cmd is the genl command of the message (the request's
 * command for replies, GPUPT_CMD_EVT_* for events); tb is indexed by
 * GPUPT_A_* (size GPUPT_A_MAX + 1), entries NULL when absent.  Return 0 to
 * continue, or a negative errno to stop (nlconn_request() then returns it).
 */
typedef int (*nlconn_reply_cb)(uint8_t cmd, struct nlattr **tb, void *arg);

/*
 * Send req and process every reply until the ACK / end of dump.  Returns 0,
 * the kernel's error as -errno (its extack text is then available from
 * nlconn_extack()), or -errno for local failures.  A dump that raced a bind
 * (NLM_F_DUMP_INTR) returns -EINTR after delivering its messages; use
 * devrec_dump(), which retries.  cb may be NULL.
 */
int nlconn_request(struct nlconn *nl, const struct nlconn_req *req,
		   nlconn_reply_cb cb, void *arg);

/* The kernel's extack message from the last request, or NULL. */
const char *nlconn_extack(const struct nlconn *nl);

/*
 * Print "gptctl: WHAT: strerror(-err)" and, if the kernel said something,
 * " (kernel says: MSG)" on one line to stderr.  Returns EXIT_FAIL
 * (EXIT_NOMOD for -ENOENT from nlconn_open is the caller's business).
 */
int nlconn_error(const struct nlconn *nl, int err, const char *what_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Events: join the "events" group, then block in nlconn_events_recv(). */
int nlconn_events_subscribe(struct nlconn *nl);
/*
 * Receive and dispatch pending event messages (blocks until at least one
 * arrives).  Returns 0, a negative errno from cb, or -errno on socket
 * failure.
 */
int nlconn_events_recv(struct nlconn *nl, nlconn_reply_cb cb, void *arg);
/* The socket's fd, for poll(). */
int nlconn_fd(const struct nlconn *nl);
/* Is the family still registered?  1 yes, 0 no (module unloaded), -errno. */
int nlconn_family_present(struct nlconn *nl);

#endif /* GPTCTL_NL_H */
