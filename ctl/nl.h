/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The narrow transport between gptctl's handlers and the gpupt
 * generic-netlink family (libnl-3 / libnl-genl-3).  Handlers fill a
 * struct gpupt_req, call gpupt_request() and get each reply message's
 * top-level attributes (already parsed against a policy) in a callback.
 * Nobody else builds or parses netlink messages.
 *
 *	struct gpupt_nl *nl = gpupt_connect();	// exits 3 if no module
 *	struct gpupt_req req = { .cmd = GPUPT_CMD_CLAIM, .addr = &a,
 *				 .flags = GPUPT_F_FORCE };
 *	int err = gpupt_request(nl, &req, my_cb, &ctx);
 *	if (err)
 *		return gpupt_error(nl, err, "claim %s", buf);	// EXIT_FAIL
 *	gpupt_close(nl);
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

struct gpupt_nl;	/* opaque: libnl socket, family id, last extack */

/*
 * Open a socket and resolve the family by name.  0 or -errno; a missing
 * family gives -ENOENT (the module is not loaded).
 */
int gpupt_nl_open(struct gpupt_nl **out);

/*
 * gpupt_nl_open() for handlers: on a missing family prints
 * "gptctl: gpupt module not loaded (modprobe gpupt)" and exits EXIT_NOMOD;
 * on other errors prints the reason and exits EXIT_FAIL.
 */
struct gpupt_nl *gpupt_connect(void);

void gpupt_close(struct gpupt_nl *nl);

/* A request.  Zero-initialise and set what the command needs. */
struct gpupt_req {
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
 * continue, or a negative errno to stop (gpupt_request() then returns it).
 */
typedef int (*gpupt_reply_cb)(uint8_t cmd, struct nlattr **tb, void *arg);

/*
 * Send req and process every reply until the ACK / end of dump.  Returns 0,
 * the kernel's error as -errno (its extack text is then available from
 * gpupt_extack()), or -errno for local failures.  A dump that raced a bind
 * (NLM_F_DUMP_INTR) returns -EINTR after delivering its messages; use
 * gpupt_dev_dump(), which retries.  cb may be NULL.
 */
int gpupt_request(struct gpupt_nl *nl, const struct gpupt_req *req,
		  gpupt_reply_cb cb, void *arg);

/* The kernel's extack message from the last request, or NULL. */
const char *gpupt_extack(const struct gpupt_nl *nl);

/*
 * Print "gptctl: WHAT: strerror(-err)" and, if the kernel said something,
 * " (kernel says: MSG)" on one line to stderr.  Returns EXIT_FAIL
 * (EXIT_NOMOD for -ENOENT from gpupt_nl_open is the caller's business).
 */
int gpupt_error(const struct gpupt_nl *nl, int err, const char *what_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Events: join the "events" group, then block in gpupt_events_recv(). */
int gpupt_events_subscribe(struct gpupt_nl *nl);
/*
 * Receive and dispatch pending event messages (blocks until at least one
 * arrives).  Returns 0, a negative errno from cb, or -errno on socket
 * failure.
 */
int gpupt_events_recv(struct gpupt_nl *nl, gpupt_reply_cb cb, void *arg);
/* The socket's fd, for poll(). */
int gpupt_nl_fd(const struct gpupt_nl *nl);
/* Is the family still registered?  1 yes, 0 no (module unloaded), -errno. */
int gpupt_family_present(struct gpupt_nl *nl);

/* ---- device records (GPUPT_A_DEVICE nest) ---- */

#define DEVREC_NAMELEN		64
#define DEVREC_MSGLEN		256
#define DEVREC_MAX_METHODS	16

struct devrec {
	struct gpupt_addr addr;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint32_t class;				/* 24-bit */
	uint32_t state;				/* GPUPT_DEV_S_* */

	bool has_driver;			/* else: no driver bound */
	char driver[DEVREC_NAMELEN];
	bool has_iommu_group;
	uint32_t iommu_group;
	bool has_numa_node;
	uint32_t numa_node;
	unsigned int n_reset_methods;		/* kernel's priority order */
	uint8_t reset_methods[DEVREC_MAX_METHODS];
	bool has_driver_override;
	char driver_override[DEVREC_NAMELEN];

	/* HANDOFF/RECLAIM/RELEASE replies and events */
	bool has_from, has_to;
	char from[DEVREC_NAMELEN];		/* "" = none */
	char to[DEVREC_NAMELEN];
	bool has_blocker;
	char blocker[DEVREC_MSGLEN];

	/* RESET replies and events */
	bool has_reset_method;
	uint8_t reset_method;
	bool has_duration_us;
	uint64_t duration_us;
	bool has_errno;
	uint32_t err;				/* positive errno, 0 = ok */
	bool has_message;
	char message[DEVREC_MSGLEN];
	size_t n_affected;			/* DRY_RUN blast radius */
	struct devrec *affected;		/* malloc'd; devrec_free() */

	/* SR-IOV */
	bool has_physfn;			/* a VF: its PF */
	struct gpupt_addr physfn;
	bool has_num_vfs;			/* a PF: NUM_VFS, TOTAL_VFS */
	uint16_t num_vfs, total_vfs;
	/* verified resets */
	bool has_checks;			/* checks were run */
	uint8_t checks[GPUPT_CHECK_MAX + 1];	/* enum gpupt_check_result */
	uint8_t failed_check;			/* enum gpupt_check, 0: none */
	size_t n_rungs;
	struct devrung *rungs;			/* malloc'd; devrec_free() */
	bool has_quarantine;			/* GPUPT_DEV_S_QUARANTINED */
	char quarantine[DEVREC_MSGLEN];		/* why */
	uint8_t quarantine_check;		/* enum gpupt_check, 0: unknown */
};

/* One rung of a reset's escalation ladder (GPUPT_DEV_A_RUNG). */
struct devrung {
	uint8_t method;				/* enum gpupt_reset_method */
	uint32_t err;				/* positive errno, 0 = ok */
	uint64_t duration_us;
	bool has_message;
	char message[DEVREC_MSGLEN];
	bool has_checks;
	uint8_t checks[GPUPT_CHECK_MAX + 1];
	uint8_t failed_check;
};

/*
 * Names of the post-reset checks ("present", "config", "link", "bars",
 * "command", "power") and of their results ("pass", "fail", "n/a",
 * "not_run"); NULL for unknown values.
 */
const char *check_name(unsigned int c);
const char *check_result_name(unsigned int r);

/*
 * Parse a GPUPT_A_DEVICE nest (or an element of GPUPT_A_DEVICES /
 * GPUPT_DEV_A_AFFECTED).  DOMAIN, BUS and DEVFN are required.  Strings are
 * truncated to the buffers.  Returns 0 or -EINVAL / -ENOMEM; on error r is
 * left freed (safe to devrec_free() again).
 */
int devrec_parse(struct nlattr *nest, struct devrec *r);
void devrec_free(struct devrec *r);

/*
 * Parse every GPUPT_A_DEVICE nest inside a GPUPT_A_DEVICES (or
 * GPUPT_DEV_A_AFFECTED) nest into a malloc'd array.  0 or -errno.
 */
int devrec_parse_array(struct nlattr *nest, struct devrec **out, size_t *n);
void devrec_free_array(struct devrec *v, size_t n);

static inline bool devrec_held(const struct devrec *r)
{
	return r->state & GPUPT_DEV_S_HELD;
}

static inline bool devrec_boot_vga(const struct devrec *r)
{
	return r->state & GPUPT_DEV_S_BOOT_VGA;
}

static inline bool devrec_quarantined(const struct devrec *r)
{
	return r->state & GPUPT_DEV_S_QUARANTINED;
}

/* DEV_GET do.  0, -ENODEV for no such function, or -errno. */
int gpupt_dev_get(struct gpupt_nl *nl, const struct gpupt_addr *a,
		  struct devrec *out);
/* DEV_GET dump, sorted by address, retried on NLM_F_DUMP_INTR. */
int gpupt_dev_dump(struct gpupt_nl *nl, struct devrec **out, size_t *n);

/*
 * Reset method names, as sysfs reset_method spells them, plus "auto" and
 * "slot": "auto", "device_specific", "acpi", "flr", "af_flr", "pm", "bus",
 * "cxl_bus", "slot".  reset_method_name() returns NULL for unknown values;
 * reset_method_parse() returns the enum value or -EINVAL.
 */
const char *reset_method_name(unsigned int m);
int reset_method_parse(const char *s);

#endif /* GPTCTL_NL_H */
