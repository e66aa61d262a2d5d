// SPDX-License-Identifier: GPL-2.0
/*
 * The ids= and addrs= module parameters: which devices gpupt takes when
 * they appear, at load or when hotplugged.  Both lists are parsed once, at
 * load.  A malformed entry is logged with its text and skipped; it never
 * fails the load.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "gpupt.h"

static char *ids;
module_param(ids, charp, 0444);
MODULE_PARM_DESC(ids,
		 "Devices to hold, comma separated, in pci-stub's format vendor:device[:subvendor:subdevice[:class:class_mask]] (hex; omitted fields match anything). Matching devices that have no driver when gpupt loads, or that appear later, are held so no host driver can bind them. Read once at load; malformed entries are logged and skipped.");

static char *addrs;
module_param(addrs, charp, 0444);
MODULE_PARM_DESC(addrs,
		 "PCI addresses to hold whatever their ID, comma separated, [domain:]bus:dev.fn in hex (e.g. 0000:01:00.0,02:00.1). Use it to keep one of several identical GPUs for the host. Read once at load; malformed entries are logged and skipped.");

struct gpupt_addr {
	u32 domain;
	u8 bus;
	u8 devfn;
};

static struct pci_device_id *gpupt_ids;
static unsigned int gpupt_nids;
static struct gpupt_addr *gpupt_addrs;
static unsigned int gpupt_naddrs;

static unsigned int gpupt_count_entries(const char *s)
{
	unsigned int n = 1;

	for (; *s; s++)
		n += *s == ',';
	return n;
}

/* Split @s at @sep into at most @max fields; returns the number found. */
static int gpupt_split(char *s, char sep, char **f, int max)
{
	int n = 0;

	while (s) {
		if (n == max)
			return max + 1;
		f[n++] = strsep(&s, (char[]){ sep, '\0' });
	}
	return n;
}

static int gpupt_hex(const char *s, u32 max, u32 *out)
{
	unsigned int v;

	if (!*s || kstrtouint(s, 16, &v) || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* One id: 2, 4 or 6 hex fields; ffffffff (PCI_ANY_ID) means any. */
static int gpupt_parse_id(char *s, struct pci_device_id *id)
{
	u32 v[6] = { PCI_ANY_ID, PCI_ANY_ID, PCI_ANY_ID, PCI_ANY_ID, 0, 0 };
	char *f[6];
	int n, i;

	n = gpupt_split(s, ':', f, 6);
	if (n != 2 && n != 4 && n != 6)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		u32 max = i < 4 ? 0xffff : 0xffffff;

		if (i < 4 && !strcasecmp(f[i], "ffffffff"))
			continue;
		if (gpupt_hex(f[i], max, &v[i]))
			return -EINVAL;
	}
	id->vendor = v[0];
	id->device = v[1];
	id->subvendor = v[2];
	id->subdevice = v[3];
	id->class = v[4];
	id->class_mask = v[5];
	return 0;
}

/* One address: [domain:]bus:dev.fn. */
static int gpupt_parse_addr(char *s, struct gpupt_addr *a)
{
	char *f[3], *fn;
	u32 dom = 0, bus, dev, func;
	int n;

	n = gpupt_split(s, ':', f, 3);
	if (n != 2 && n != 3)
		return -EINVAL;
	if (n == 3 && gpupt_hex(f[0], 0x7fffffff, &dom))
		return -EINVAL;
	fn = strchr(f[n - 1], '.');
	if (!fn)
		return -EINVAL;
	*fn++ = '\0';
	if (gpupt_hex(f[n - 2], 0xff, &bus) ||
	    gpupt_hex(f[n - 1], 0x1f, &dev) || gpupt_hex(fn, 7, &func))
		return -EINVAL;
	a->domain = dom;
	a->bus = bus;
	a->devfn = PCI_DEVFN(dev, func);
	return 0;
}

/*
 * Parse a comma separated list with @parse into @out (elements of @size
 * bytes).  Returns the number of good entries.
 */
static unsigned int gpupt_parse_list(const char *param, const char *what,
				     void *out, size_t size,
				     int (*parse)(char *, void *))
{
	char *copy, *cur, *entry, *text;
	unsigned int n = 0;

	copy = kstrdup(param, GFP_KERNEL);
	text = kmalloc(strlen(param) + 1, GFP_KERNEL);
	if (!copy || !text) {
		pr_warn("out of memory parsing %s=, ignoring it\n", what);
		goto out;
	}
	cur = copy;
	while ((entry = strsep(&cur, ","))) {
		entry = strim(entry);
		if (!*entry)
			continue;
		strcpy(text, entry);	/* parse() cuts the entry up */
		if (parse(entry, (char *)out + n * size)) {
			pr_warn("%s: malformed entry \"%s\" skipped\n", what,
				text);
			continue;
		}
		n++;
	}
out:
	kfree(text);
	kfree(copy);
	return n;
}

static int gpupt_parse_id_cb(char *s, void *out)
{
	return gpupt_parse_id(s, out);
}

static int gpupt_parse_addr_cb(char *s, void *out)
{
	return gpupt_parse_addr(s, out);
}

int gpupt_ids_init(void)
{
	unsigned int i;

	if (ids && *ids) {
		gpupt_ids = kcalloc(gpupt_count_entries(ids),
				    sizeof(*gpupt_ids), GFP_KERNEL);
		if (gpupt_ids)
			gpupt_nids = gpupt_parse_list(ids, "ids", gpupt_ids,
						      sizeof(*gpupt_ids),
						      gpupt_parse_id_cb);
		else
			pr_warn("out of memory parsing ids=, ignoring it\n");
	}
	if (addrs && *addrs) {
		gpupt_addrs = kcalloc(gpupt_count_entries(addrs),
				      sizeof(*gpupt_addrs), GFP_KERNEL);
		if (gpupt_addrs)
			gpupt_naddrs = gpupt_parse_list(addrs, "addrs",
							gpupt_addrs,
							sizeof(*gpupt_addrs),
							gpupt_parse_addr_cb);
		else
			pr_warn("out of memory parsing addrs=, ignoring it\n");
	}

	for (i = 0; i < gpupt_nids; i++)
		pr_info("holding %04x:%04x sub %04x:%04x class %06x/%06x\n",
			gpupt_ids[i].vendor & 0xffff,
			gpupt_ids[i].device & 0xffff,
			gpupt_ids[i].subvendor & 0xffff,
			gpupt_ids[i].subdevice & 0xffff,
			gpupt_ids[i].class, gpupt_ids[i].class_mask);
	for (i = 0; i < gpupt_naddrs; i++)
		pr_info("holding %04x:%02x:%02x.%d\n", gpupt_addrs[i].domain,
			gpupt_addrs[i].bus, PCI_SLOT(gpupt_addrs[i].devfn),
			PCI_FUNC(gpupt_addrs[i].devfn));
	return 0;
}

void gpupt_ids_exit(void)
{
	kfree(gpupt_ids);
	gpupt_ids = NULL;
	gpupt_nids = 0;
	kfree(gpupt_addrs);
	gpupt_addrs = NULL;
	gpupt_naddrs = 0;
}

/*
 * Register the lists with the PCI core as dynamic ids, as pci-stub does,
 * so that devices hotplugged later match too.  addrs= needs one catch-all
 * id; gpupt_probe() then checks the address (GPUPT_DYNID_ADDRS).  A
 * failure here only loses hotplug matching for that entry.
 */
void gpupt_ids_register(struct pci_driver *drv)
{
	unsigned int i;
	int err;

	for (i = 0; i < gpupt_nids; i++) {
		const struct pci_device_id *id = &gpupt_ids[i];

		err = pci_add_dynid(drv, id->vendor, id->device,
				    id->subvendor, id->subdevice, id->class,
				    id->class_mask, 0);
		if (err)
			pr_warn("cannot add id %04x:%04x: %d\n",
				id->vendor & 0xffff, id->device & 0xffff, err);
	}
	if (gpupt_naddrs) {
		err = pci_add_dynid(drv, PCI_ANY_ID, PCI_ANY_ID, PCI_ANY_ID,
				    PCI_ANY_ID, 0, 0, GPUPT_DYNID_ADDRS);
		if (err)
			pr_warn("cannot watch for addrs= devices: %d\n", err);
	}
}

bool gpupt_addrs_match(struct pci_dev *pdev)
{
	unsigned int i;

	for (i = 0; i < gpupt_naddrs; i++)
		if (gpupt_addrs[i].domain == pci_domain_nr(pdev->bus) &&
		    gpupt_addrs[i].bus == pdev->bus->number &&
		    gpupt_addrs[i].devfn == pdev->devfn)
			return true;
	return false;
}

static bool gpupt_id_match(const struct pci_device_id *id,
			   const struct pci_dev *pdev)
{
	return (id->vendor == PCI_ANY_ID || id->vendor == pdev->vendor) &&
	       (id->device == PCI_ANY_ID || id->device == pdev->device) &&
	       (id->subvendor == PCI_ANY_ID ||
		id->subvendor == pdev->subsystem_vendor) &&
	       (id->subdevice == PCI_ANY_ID ||
		id->subdevice == pdev->subsystem_device) &&
	       !((id->class ^ pdev->class) & id->class_mask);
}

bool gpupt_ids_match(struct pci_dev *pdev)
{
	unsigned int i;

	for (i = 0; i < gpupt_nids; i++)
		if (gpupt_id_match(&gpupt_ids[i], pdev))
			return true;
	return gpupt_addrs_match(pdev);
}
