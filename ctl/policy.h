/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-device reset and power policy: the built-in table of known reset
 * behaviour (policy.c, one source per entry) and the POLICY options of
 * /etc/gpupt/devices.conf (devconf.h), merged per setting (a devices.conf
 * line wins over the table), and written to sysfs by `gptctl apply`:
 *
 *	reset order       /sys/bus/pci/devices/ADDR/reset_method (5.15+)
 *	d3cold=off|on     d3cold_allowed 0|1; off also power/control "on"
 *	reset-on-handoff  gptctl handoff adds --reset for the device
 *
 * The table only supplies a setting for a function that some
 * devices.conf line names (the user put it under gptctl's management);
 * for the others doctor says what the table knows.
 */
#ifndef GPTCTL_POLICY_H
#define GPTCTL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "devconf.h"

/* A known reset behaviour. */
struct reset_quirk {
	uint16_t vendor;
	const uint16_t *devices;	/* 0-terminated; NULL: see mask */
	uint16_t device, device_mask;	/* (device & mask) == device */
	uint32_t class_code;		/* class >> 8 must match, 0: any */
	const char *avoid;		/* methods that do not reset it, or NULL */
	const char *order;		/* reset_method order to use, or NULL */
	bool handoff_reset;		/* reset before every handoff */
	const char *what;		/* the behaviour, one sentence */
};

/* The quirk for a function, or NULL. */
const struct reset_quirk *quirk_find(uint16_t vendor, uint16_t device,
				     uint32_t class_code);

#define POLICY_SRCLEN	64

struct policy {
	const struct reset_quirk *quirk;	/* NULL: none known */
	bool ruled;				/* a devices.conf line names it */
	bool has_reset, has_d3cold;
	char reset[DEVCONF_RESET_LEN];		/* sysfs form */
	bool d3cold;
	bool handoff_reset;
	/* where each came from: "devices.conf:3", "table" or "default" */
	char reset_src[POLICY_SRCLEN];
	char d3cold_src[POLICY_SRCLEN];
	char handoff_src[POLICY_SRCLEN];
};

/*
 * Read devices.conf (a missing file is an empty one).  0, or -errno /
 * the number of bad lines (reported on stderr with the path).
 */
int policy_conf_load(const char *path, struct devconf *conf);

/* The policy in force for one function. */
void policy_for(const struct devconf *conf, const struct gpupt_addr *a,
		uint16_t vendor, uint16_t device, uint32_t class_code,
		const char *pslot, struct policy *out);

/* Same, reading the function's IDs and slot from sysfs.  0 or -ENODEV. */
int policy_for_addr(const struct devconf *conf, const struct gpupt_addr *a,
		    struct policy *out);

/*
 * Write the policy's reset order and d3cold setting to sysfs, where they
 * differ.  *changed says whether anything was written.  0, or -errno with
 * the reason in @why.
 */
int policy_apply(const struct gpupt_addr *a, const struct policy *p,
		 bool *changed, char *why, size_t len);

/*
 * Does the order in force (sysfs reset_method, space-separated) use a
 * method the table says does not reset the device?  Returns it, or NULL.
 */
const char *policy_bad_method(const struct policy *p, const char *in_force);

#endif /* GPTCTL_POLICY_H */
