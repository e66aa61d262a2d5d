/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hooks need from a libvirt domain XML (as libvirt hands it to
 * the scripts in /etc/libvirt/hooks/qemu.d on stdin): the name, the UUID and the host
 * address of every PCI <hostdev> that libvirt does not manage itself
 * (managed='no' or no managed attribute, libvirt's default):
 *
 *	<hostdev mode='subsystem' type='pci' managed='no'>
 *	  <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>
 *
 * Parsed with libxml2 (no network, no entity substitution, no DTD
 * loading); no other I/O (fuzzed by tests/fuzz/domxml.c).
 */
#ifndef GPTCTL_DOMXML_H
#define GPTCTL_DOMXML_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define DOMXML_MAX_BYTES	(16U << 20)
#define DOMXML_MAX_DEVS		256
#define DOMXML_NAMELEN		256

struct domxml {
	char name[DOMXML_NAMELEN];	/* "" when missing */
	char uuid[64];			/* "" when missing */
	struct gpupt_addr devs[DOMXML_MAX_DEVS];
	size_t n;			/* unmanaged PCI hostdevs, in order */
	size_t n_managed;		/* managed='yes' PCI hostdevs (left to libvirt) */
};

/*
 * Parse len bytes of XML.  0, or -EINVAL with a reason in err (not XML,
 * the root is not <domain>, a hostdev address out of range or missing,
 * more than DOMXML_MAX_DEVS), -E2BIG above DOMXML_MAX_BYTES, -ENOMEM.
 */
int domxml_parse(const char *xml, size_t len, struct domxml *d,
		 char *err, size_t errlen);

/*
 * The NUMA layout of a domain, for `gptctl doctor --domain-xml`: PCI
 * controllers (index, expander bus node, the bus they sit on), every PCI
 * hostdev's host address and guest bus, <cpu><numa> cells and
 * <cputune><vcpupin>s.
 */
#define DOMXML_MAX_CTRL		256
#define DOMXML_MAX_CELLS	64
#define DOMXML_MAX_PINS		1024
#define DOMXML_LISTLEN		256

struct domxml_ctrl {
	unsigned int index;
	bool expander;			/* pcie-expander-bus / pci-expander-bus */
	int node;			/* <target><node>, or -1 */
	int bus;			/* its own <address bus>, or -1 */
};

struct domxml_hostdev {
	struct gpupt_addr src;
	int bus;			/* guest <address bus>, or -1 */
};

struct domxml_cell {
	unsigned int id;
	char cpus[DOMXML_LISTLEN];
};

struct domxml_pin {
	unsigned int vcpu;
	char cpuset[DOMXML_LISTLEN];
};

struct domxml_topo {
	struct domxml_ctrl ctrl[DOMXML_MAX_CTRL];
	size_t nctrl;
	struct domxml_hostdev hd[DOMXML_MAX_DEVS];
	size_t nhd;
	struct domxml_cell cell[DOMXML_MAX_CELLS];
	size_t ncell;
	struct domxml_pin pin[DOMXML_MAX_PINS];
	size_t npin;
};

/* Parse as domxml_parse(); 0 or -EINVAL/-E2BIG with a reason in err. */
int domxml_topo_parse(const char *xml, size_t len, struct domxml_topo *t,
		      char *err, size_t errlen);

#endif /* GPTCTL_DOMXML_H */
