// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the Proxmox VE parsers (ctl/pveconf.c) behind `gptctl hook proxmox
 * run`: a VMID.conf's hostpciN lines and a pci.cfg mapping lookup.  Every
 * accepted hostpci names a mapping or 1..PVE_MAX_IDS valid functions, a
 * whole slot is function 0, the bad-line count matches the callbacks, and
 * a lookup only ever returns valid paths.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "pveconf.h"

static void count(unsigned int line, const char *msg, void *arg)
{
	CHECK(line >= 1);
	CHECK(*msg);
	(*(int *)arg)++;
}

static void check_id(const struct pve_pciid *id)
{
	CHECK((id->addr.devfn >> 3) <= 0x1f);
	if (id->all_functions)
		CHECK((id->addr.devfn & 7) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pve_vmconf c;
	struct pve_pciid ids[PVE_MAX_IDS];
	char *s = fuzz_str(data, size), msg[256];
	size_t n, i, j;
	int bad, errs = 0, err;

	bad = pve_vmconf_parse(s, &c, count, &errs);
	CHECK(bad == errs);
	CHECK(c.n <= PVE_MAX_HOSTPCI);
	for (i = 0; i < c.n; i++) {
		const struct pve_hostpci *h = &c.dev[i];

		CHECK(h->index < PVE_MAX_HOSTPCI);
		CHECK(h->mapping[0] ? h->n_ids == 0 :
		      h->n_ids >= 1 && h->n_ids <= PVE_MAX_IDS);
		for (j = 0; j < h->n_ids; j++)
			check_id(&h->ids[j]);
		for (j = 0; j < i; j++)
			CHECK(c.dev[j].index != h->index);
	}

	/* The same bytes as a pci.cfg, looking up a name from the input. */
	msg[0] = '\0';
	err = pve_mapping_lookup(s, size ? (char[]){ (char)(data[0] | 'a'), 0 } : "x",
				 "pve1", ids, PVE_MAX_IDS, &n, msg, sizeof(msg));
	CHECK(err == 0 || err == -ENOENT || err == -ENODEV || err == -EINVAL);
	if (err) {
		CHECK(msg[0]);
	} else {
		CHECK(n >= 1 && n <= PVE_MAX_IDS);
		for (i = 0; i < n; i++)
			check_id(&ids[i]);
	}
	free(s);
	return 0;
}
