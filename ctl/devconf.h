/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /etc/gpupt/devices.conf, the declarative file `gptctl apply` converges
 * the host to.  Pure parser and matcher: no I/O (fuzzed by
 * tests/fuzz/devconf.c).
 *
 * One rule per line, '#' starts a comment, words are separated by blanks:
 *
 *	SELECTOR VALUE TARGET [OPTION...]
 *	SELECTOR VALUE POLICY...
 *
 *	id    10de:2330      vfio-pci
 *	addr  0000:41:00.0   nvgrace_gpu_vfio_pci
 *	slot  0000:81:00     gpupt            # every function of 81:00
 *	slot  3              vfio-pci force   # physical slot "3"
 *	id    1234:1111      host
 *	id    10de:2330      reset=bus,flr d3cold=off reset-on-handoff
 *
 * SELECTOR is id (VENDOR:DEVICE, as id_parse() takes it), addr (a PCI
 * address, as addr_parse() takes it) or slot ([DOMAIN:]BUS:DEV, hex, or
 * the name of a physical slot as /sys/bus/pci/slots names it, which has no
 * colon).  TARGET is vfio-pci, a vfio variant driver (a name ending in
 * "vfio_pci" or "vfio-pci"), gpupt, or host (the host's own driver, or
 * none).  OPTIONs: force (a function bound to a host driver, or another
 * function of its IOMMU group, may be taken from it), single (move only
 * this function, not its IOMMU group), and the POLICY options:
 *
 *	reset=M[,M...]       the kernel's reset method order (sysfs
 *	                     reset_method): device_specific, acpi, flr,
 *	                     af_flr, pm, bus, cxl_bus; "default" puts the
 *	                     kernel's own order back
 *	d3cold=off|on        sysfs d3cold_allowed; off also pins runtime PM
 *	                     on (power/control "on"), on lets it go ("auto")
 *	reset-on-handoff[=yes|no]
 *	                     gptctl handoff resets (verified) before moving
 *
 * A line whose third word is a POLICY option has no TARGET: it sets policy
 * and leaves the binding to other lines.
 *
 * When several rules match a function, the most specific kind wins (addr,
 * then slot, then id); among rules of the same kind the later line wins.
 * The binding comes from the best line with a TARGET; each policy setting
 * from the best line that sets it.
 *
 * SR-IOV: a line
 *
 *	sriov 0000:01:00.0 numvfs=3 vf-driver=vfio-pci
 *
 * asks for that many VFs on the physical function (PF) at ADDR (apply
 * creates them with `gptctl sriov`'s kernel request, gpupt holding each)
 * and names the target of each of its VFs: vf-driver= takes the targets
 * above (default gpupt); `force` may follow.  VFs move one at a time
 * (`single` is implied).  An addr rule naming a VF itself wins over its
 * PF's sriov line, which wins over slot and id rules.  One sriov line per
 * PF.
 */
#ifndef GPTCTL_DEVCONF_H
#define GPTCTL_DEVCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/gpupt.h>

#include "addr.h"

#define DEVCONF_PATH		"/etc/gpupt/devices.conf"
#define DEVCONF_MAX_RULES	4096
#define DEVCONF_MAX_LINE	1024
#define DEVCONF_NAMELEN		64	/* physical slot names */
#define DEVCONF_DRVLEN		GPUPT_DRIVER_NAME_MAX

enum devconf_sel {
	DEVCONF_SEL_ID,
	DEVCONF_SEL_ADDR,
	DEVCONF_SEL_SLOT,	/* [domain:]bus:dev */
	DEVCONF_SEL_PSLOT,	/* physical slot name */
	DEVCONF_SEL_SRIOV,	/* a PF's VFs: addr is the PF */
};

enum devconf_target {
	DEVCONF_T_VFIO,		/* driver[] holds vfio-pci or a variant */
	DEVCONF_T_GPUPT,
	DEVCONF_T_HOST,
	DEVCONF_T_NONE,		/* policy only: the binding is not this line's */
};

/* Which policy settings a line makes (devconf_policy.set). */
enum {
	DEVCONF_P_RESET		= 1U << 0,
	DEVCONF_P_D3COLD	= 1U << 1,
	DEVCONF_P_HANDOFF_RESET	= 1U << 2,
};

#define DEVCONF_RESET_LEN	96	/* "device_specific acpi flr ..." */

struct devconf_policy {
	unsigned int set;			/* DEVCONF_P_* */
	char reset[DEVCONF_RESET_LEN];		/* sysfs form: "bus flr", "default" */
	bool d3cold;				/* d3cold=on */
	bool handoff_reset;
	unsigned int line[3];			/* the line of each setting */
};

enum {
	DEVCONF_F_FORCE		= 1U << 0,
	DEVCONF_F_SINGLE	= 1U << 1,
};

struct devconf_rule {
	unsigned int line;		/* 1-based */
	enum devconf_sel sel;
	uint16_t vendor, device;	/* SEL_ID */
	struct gpupt_addr addr;		/* SEL_ADDR; SEL_SLOT with fn 0 */
	char slot_name[DEVCONF_NAMELEN];	/* SEL_PSLOT */
	enum devconf_target target;
	char driver[DEVCONF_DRVLEN];	/* T_VFIO: the vfio driver */
	unsigned int flags;		/* DEVCONF_F_* */
	unsigned int numvfs;		/* SEL_SRIOV */
	struct devconf_policy policy;	/* this line's POLICY options */
};

struct devconf {
	struct devconf_rule *rules;
	size_t n;
};

/* Called once per malformed line; msg is a complete sentence fragment. */
typedef void (*devconf_err_cb)(unsigned int line, const char *msg, void *arg);

/*
 * Parse the whole text.  Every malformed line is reported through err (may
 * be NULL) and skipped.  Returns the number of malformed lines (0 = the
 * file is good), or -ENOMEM / -E2BIG (more than DEVCONF_MAX_RULES rules).
 * out is filled with the good rules either way; devconf_free() it.
 */
int devconf_parse(const char *text, struct devconf *out, devconf_err_cb err,
		  void *arg);
void devconf_free(struct devconf *c);

/*
 * The rule that decides a function's binding, or NULL.  pslot is the
 * function's physical slot name (NULL or "" when it has none).  Policy-only
 * lines never decide a binding.
 */
const struct devconf_rule *devconf_match(const struct devconf *c,
					 const struct gpupt_addr *a,
					 uint16_t vendor, uint16_t device,
					 const char *pslot);

/* The sriov rule of the PF at @pf, or NULL. */
const struct devconf_rule *devconf_sriov_rule(const struct devconf *c,
					      const struct gpupt_addr *pf);

/*
 * The policy for a function: each setting from the best matching line that
 * makes it (out->line[] says which).  out->set is 0 when no line does.
 */
void devconf_policy(const struct devconf *c, const struct gpupt_addr *a,
		    uint16_t vendor, uint16_t device, const char *pslot,
		    struct devconf_policy *out);

/* "vfio-pci", the variant's name, "gpupt" or "host". */
const char *devconf_target_name(const struct devconf_rule *r);

/*
 * "id 10de:2330", "addr 0000:01:00.0", "slot 0000:81:00", "slot 3",
 * "sriov 0000:01:00.0".
 */
void devconf_sel_format(const struct devconf_rule *r, char *buf, size_t len);

/* Is drv a vfio driver name a rule may name (vfio-pci or *vfio[_-]pci)? */
bool devconf_vfio_name(const char *drv);

#endif /* GPTCTL_DEVCONF_H */
