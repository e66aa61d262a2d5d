/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device-record model: what the kernel says about one PCI function
 * (a GPUPT_A_DEVICE nest) as a struct devrec, its parser, the DEV_GET
 * do/dump helpers built on nl.h's transport, and the names of reset methods
 * and post-reset checks.
 */
#ifndef GPTCTL_DEVREC_H
#define GPTCTL_DEVREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/gpupt.h>
#include <netlink/attr.h>

#include "addr.h"

struct nlconn;

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
int devrec_get(struct nlconn *nl, const struct gpupt_addr *a,
	       struct devrec *out);
/* DEV_GET dump, sorted by address, retried on NLM_F_DUMP_INTR. */
int devrec_dump(struct nlconn *nl, struct devrec **out, size_t *n);

/*
 * Reset method names, as sysfs reset_method spells them, plus "auto" and
 * "slot": "auto", "device_specific", "acpi", "flr", "af_flr", "pm", "bus",
 * "cxl_bus", "slot".  reset_method_name() returns NULL for unknown values;
 * reset_method_parse() returns the enum value or -EINVAL.
 */
const char *reset_method_name(unsigned int m);
int reset_method_parse(const char *s);

#endif /* GPTCTL_DEVREC_H */
