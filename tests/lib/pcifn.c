// SPDX-License-Identifier: GPL-2.0
/*
 * pcifn: PCI function addresses and their sysfs driver state (pcifn.h).
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pcifn.h"

int pcifn_parse(const char *s, uint32_t *domain, uint8_t *bus, uint8_t *devfn)
{
	unsigned int d, b, sl, f;
	char end;

	if (sscanf(s, "%x:%x:%x.%x%c", &d, &b, &sl, &f, &end) != 4 ||
	    b > 0xff || sl > 0x1f || f > 7)
		return -1;
	*domain = d;
	*bus = (uint8_t)b;
	*devfn = (uint8_t)(sl << 3 | f);
	return 0;
}

int pcifn_driver(const char *name, char *drv, char *ovr)
{
	char path[128], buf[256];
	ssize_t n;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", name);
	n = readlink(path, buf, sizeof(buf) - 1);
	*drv = 0;
	if (n > 0) {
		buf[n] = 0;
		p = strrchr(buf, '/');
		snprintf(drv, PCIFN_NAMELEN, "%.*s", PCIFN_NAMELEN - 1,
			 p ? p + 1 : buf);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 name);
	*ovr = 0;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		if (strcmp(buf, "(null)"))
			snprintf(ovr, PCIFN_NAMELEN, "%.*s", PCIFN_NAMELEN - 1, buf);
	}
	fclose(f);
	return 0;
}
