/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI addresses: "[domain:]bus:slot.fn", all hex.  Pure functions, no I/O
 * (unit-tested and fuzzed).
 */
#ifndef GPTCTL_ADDR_H
#define GPTCTL_ADDR_H

#include <stdint.h>
#include <stdbool.h>

struct gpupt_addr {
	uint32_t domain;	/* 0..0xffffffff, printed with at least 4 digits */
	uint8_t bus;
	uint8_t devfn;		/* PCI_DEVFN(slot, fn) = slot << 3 | fn */
};

/*
 * Buffer size for addr_format(): "0000:01:00.0" is 12 characters, but VMD
 * domains are 0x10000 and up, so room for an 8-digit domain.
 */
#define GPUPT_ADDR_STRLEN	17

/*
 * Parse "0000:01:00.0" or "01:00.0" (case-insensitive hex).  Strict: domain
 * 1..8 hex digits (<= 0xffffffff), bus 1..2 digits, slot 1..2 digits
 * (<= 0x1f), function exactly 1 digit (<= 7); nothing else, no spaces, no
 * sign, no "0x".  Returns 0 or -EINVAL (a is untouched on error).
 */
int addr_parse(const char *s, struct gpupt_addr *a);

/* "dddd:bb:ss.f", lower-case hex, domain with at least 4 digits. */
void addr_format(const struct gpupt_addr *a, char buf[static GPUPT_ADDR_STRLEN]);

bool addr_equal(const struct gpupt_addr *a, const struct gpupt_addr *b);
int addr_cmp(const struct gpupt_addr *a, const struct gpupt_addr *b);

/*
 * Parse a "VENDOR:DEVICE" ID as -d accepts it for exact matches
 * ("10de:2901"; 1..4 hex digits each).  Returns 0 or -EINVAL.  (list's -d
 * itself uses libpci's pci_filter_parse_id so that wildcards work as in
 * lspci; this is for options that need a concrete ID.)
 */
int id_parse(const char *s, uint16_t *vendor, uint16_t *device);

/*
 * Is drv vfio-pci or a vfio-pci variant driver (a name ending in "vfio_pci"
 * or "vfio-pci", such as "mlx5_vfio_pci")?  The one rule of gptctl; the
 * module's is gpupt_vfio_driver_name_ok().
 */
bool driver_is_vfio(const char *drv);

#endif /* GPTCTL_ADDR_H */
