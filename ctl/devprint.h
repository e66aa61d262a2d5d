/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Printing device records through print.h: the JSON keys of `list` and
 * `show` (the contract in gptctl.8) live only here.
 */
#ifndef GPTCTL_DEVPRINT_H
#define GPTCTL_DEVPRINT_H

#include <stddef.h>

#include "devrec.h"

/*
 * The record's standard fields as JSON members of the currently open
 * object: address, vendor, device, subsystem_vendor, subsystem_device,
 * class, name, driver, driver_override, iommu_group, boot_vga, held,
 * matched, vfio_open, numa_node, reset_methods.  (JSON mode only.)
 */
void print_devrec_fields(const struct devrec *r);

/* `list`: a JSON array of objects, or the aligned text table. */
void print_dev_list(const struct devrec *v, size_t n);

/* `show`: one JSON object, or "key: value" text. */
void print_dev_show(const struct devrec *r);

/* "driver_or_-" for text, NULL for JSON null. */
static inline const char *devrec_driver(const struct devrec *r)
{
	return r->has_driver ? r->driver : NULL;
}

#endif /* GPTCTL_DEVPRINT_H */
