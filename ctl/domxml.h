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

#endif /* GPTCTL_DOMXML_H */
