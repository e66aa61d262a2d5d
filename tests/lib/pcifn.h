/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcifn: the PCI functions the test tools name, as addresses and as sysfs
 * sees them.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#ifndef GPUPT_TESTS_PCIFN_H
#define GPUPT_TESTS_PCIFN_H

#include <stddef.h>
#include <stdint.h>

#define PCIFN_NAMELEN	64	/* a driver name, with its NUL */

/* "DDDD:BB:SS.F" (hex; nothing after it): 0, or -1 when malformed. */
int pcifn_parse(const char *s, uint32_t *domain, uint8_t *bus, uint8_t *devfn);

/*
 * The driver of function @name ("" when none) and its driver_override (""
 * when "(null)"), each PCIFN_NAMELEN bytes: 0, or -errno when
 * driver_override cannot be opened (@ovr is then "").
 */
int pcifn_driver(const char *name, char *drv, char *ovr);

#endif
