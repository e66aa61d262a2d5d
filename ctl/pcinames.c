// SPDX-License-Identifier: GPL-2.0
/*
 * libpci: names from pci.ids and lspci's -s/-d filters.  libpci is
 * initialised on first use and without pci_init(): names and filters need
 * no access method, so this works even where sysfs is unreadable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "gptctl.h"
#include "pcinames.h"

static struct pci_access *pacc;

static struct pci_access *access_get(void)
{
	if (!pacc) {
		pacc = pci_alloc();
		if (!pacc) {
			errmsg("out of memory");
			exit(EXIT_FAIL);
		}
		/* pci.ids only: no udev hwdb, no DNS */
		pacc->id_lookup_mode = PCI_LOOKUP_NO_HWDB;
	}
	return pacc;
}

const char *pci_device_name(uint16_t vendor, uint16_t device,
			    char *buf, size_t len)
{
	const char *n;

	n = pci_lookup_name(access_get(), buf, (int)len,
			    PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE |
			    PCI_LOOKUP_NO_HWDB, vendor, device);
	if (!n) {
		snprintf(buf, len, "Device %04x:%04x", vendor, device);
		return buf;
	}
	if (n != buf)
		snprintf(buf, len, "%s", n);
	return buf;
}

const char *pci_class_name(uint32_t class24, char *buf, size_t len)
{
	const char *n;

	n = pci_lookup_name(access_get(), buf, (int)len,
			    PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_HWDB,
			    (class24 >> 8) & 0xffff);
	if (!n) {
		snprintf(buf, len, "Class %04x", (class24 >> 8) & 0xffff);
		return buf;
	}
	if (n != buf)
		snprintf(buf, len, "%s", n);
	return buf;
}

struct dev_filter {
	struct pci_filter f;
};

struct dev_filter *filter_new(void)
{
	struct dev_filter *f = calloc(1, sizeof(*f));

	if (!f) {
		errmsg("out of memory");
		exit(EXIT_FAIL);
	}
	pci_filter_init(access_get(), &f->f);
	return f;
}

int filter_set_slot(struct dev_filter *f, const char *s)
{
	char *copy = strdup(s), *err;

	if (!copy)
		return -ENOMEM;
	err = pci_filter_parse_slot(&f->f, copy);
	free(copy);
	if (err) {
		errmsg("-s %s: %s", s, err);
		return -EINVAL;
	}
	return 0;
}

int filter_set_id(struct dev_filter *f, const char *s)
{
	char *copy = strdup(s), *err;

	if (!copy)
		return -ENOMEM;
	err = pci_filter_parse_id(&f->f, copy);
	free(copy);
	if (err) {
		errmsg("-d %s: %s", s, err);
		return -EINVAL;
	}
	return 0;
}

/* pci_filter_match() without a struct pci_dev: same rules, our fields. */
bool filter_match(struct dev_filter *df, const struct gpupt_addr *a,
		  uint16_t vendor, uint16_t device, uint32_t class24)
{
	const struct pci_filter *f = &df->f;

	if ((f->domain >= 0 && (unsigned int)f->domain != a->domain) ||
	    (f->bus >= 0 && f->bus != a->bus) ||
	    (f->slot >= 0 && f->slot != a->devfn >> 3) ||
	    (f->func >= 0 && f->func != (a->devfn & 7)))
		return false;
	if ((f->vendor >= 0 && f->vendor != vendor) ||
	    (f->device >= 0 && f->device != device))
		return false;
	if (f->device_class >= 0 &&
	    ((unsigned int)f->device_class ^ (class24 >> 8)) &
	    f->device_class_mask)
		return false;
	if (f->prog_if >= 0 && (unsigned int)f->prog_if != (class24 & 0xff))
		return false;
	return true;
}

void filter_free(struct dev_filter *f)
{
	free(f);
}

void pcinames_cleanup(void)
{
	if (pacc)
		pci_cleanup(pacc);
	pacc = NULL;
}
