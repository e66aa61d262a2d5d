/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proxmox VE configuration the hookscript reads: the hostpciN lines of
 * /etc/pve/qemu-server/VMID.conf and the PCI resource mappings of
 * /etc/pve/mapping/pci.cfg, in the formats of qemu-server and
 * pve-guest-common.  Pure parsers, no I/O (fuzzed by tests/fuzz/pveconf.c).
 *
 * VMID.conf: "key: value" lines; '#' lines are the description; the
 * current configuration ends at the first "[SECTION]" line (snapshots,
 * [PENDING], [special:cloudinit]).  A hostpci value is a property string,
 * "host" being its default key:
 *
 *	hostpci0: 0000:01:00,pcie=1,x-vga=1        every function of 01:00
 *	hostpci1: host=02:00.0;02:00.1,pcie=1       a ';' list of functions
 *	hostpci2: mapping=gpu-a,pcie=1              a resource mapping
 *	hostpci3: 0000:03:00.4,mdev=nvidia-63       a mediated device
 *
 * HOSTPCIID is [DOMAIN:]BUS:DEV[.FN], hex; without .FN the whole slot.
 *
 * pci.cfg (a PVE section config): a mapping starts with its name at the
 * start of a line; its properties follow on indented lines, among them
 * one "map" line per cluster node:
 *
 *	gpu-a
 *		map id=10de:2204,iommugroup=12,node=pve1,path=0000:01:00
 *		map id=10de:2204,node=pve2,path=0000:41:00.0;0000:42:00.0
 *		mdev 0
 *
 * path is a ';' list of alternatives: the guest gets the first available.
 */
#ifndef GPTCTL_PVECONF_H
#define GPTCTL_PVECONF_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define PVE_MAX_HOSTPCI		32	/* qemu-server allows hostpci0..15 */
#define PVE_MAX_IDS		16
#define PVE_NAMELEN		128

/* One HOSTPCIID: a function, or a whole slot (all_functions, fn 0). */
struct pve_pciid {
	struct gpupt_addr addr;
	bool all_functions;
};

struct pve_hostpci {
	unsigned int index;		/* N of hostpciN */
	struct pve_pciid ids[PVE_MAX_IDS];
	size_t n_ids;			/* 0 with a mapping */
	char mapping[PVE_NAMELEN];	/* "" without */
	bool mdev;			/* a mediated device: not passed whole */
};

struct pve_vmconf {
	struct pve_hostpci dev[PVE_MAX_HOSTPCI];
	size_t n;
};

/* Called once per bad hostpci line (line is 1-based). */
typedef void (*pve_err_cb)(unsigned int line, const char *msg, void *arg);

/*
 * Parse a VMID.conf.  Returns the number of bad hostpci lines (each
 * reported through err, which may be NULL, and skipped); other keys are
 * not looked at.
 */
int pve_vmconf_parse(const char *text, struct pve_vmconf *c, pve_err_cb err,
		     void *arg);

/*
 * Parse a ';' list of HOSTPCIIDs (need_domain: a mapping's path, where the
 * domain is required).  0 or -EINVAL (-E2BIG: too many).
 */
int pve_pciid_list_parse(const char *s, bool need_domain,
			 struct pve_pciid *ids, size_t max, size_t *n);

/*
 * The path alternatives of mapping @name for node @node in a pci.cfg.
 * 0; -ENOENT (no mapping of that name: msg says so), -ENODEV (the mapping
 * has no map for the node), -EINVAL (its map line is malformed).  msg gets
 * a sentence fragment for the error.
 */
int pve_mapping_lookup(const char *cfg, const char *name, const char *node,
		       struct pve_pciid *ids, size_t max, size_t *n,
		       char *msg, size_t msglen);

#endif /* GPTCTL_PVECONF_H */
