/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libpci helpers shared by subcommands: names from pci.ids and lspci's
 * -s/-d filters.  libpci is initialised on first use; its error callback
 * exits the process, so these are only called from handlers.
 */
#ifndef GPTCTL_PCINAMES_H
#define GPTCTL_PCINAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* "Vendor Device" from pci.ids (numbers if unknown), into buf. */
const char *pci_device_name(uint16_t vendor, uint16_t device,
			    char *buf, size_t len);

/* Device class name ("VGA compatible controller"), into buf. */
const char *pci_class_name(uint32_t class24, char *buf, size_t len);

/*
 * lspci-compatible -s / -d filter.  filter_set_slot()/filter_set_id()
 * return 0, or -EINVAL after printing libpci's complaint with errmsg().
 */
struct dev_filter;
struct dev_filter *filter_new(void);
int filter_set_slot(struct dev_filter *f, const char *s);
int filter_set_id(struct dev_filter *f, const char *s);
bool filter_match(struct dev_filter *f, const struct gpupt_addr *a,
		  uint16_t vendor, uint16_t device, uint32_t class24);
void filter_free(struct dev_filter *f);

/* Release libpci (for valgrind-clean exits). */
void pcinames_cleanup(void);

#endif /* GPTCTL_PCINAMES_H */
