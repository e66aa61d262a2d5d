// SPDX-License-Identifier: GPL-2.0
/*
 * PCI address and ID parsing.  Hand-rolled rather than sscanf(), which
 * accepts signs, spaces, "0x" and over-long fields.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Read 1..maxdigits hex digits from *sp into *val, advancing *sp.
 * Returns 0 or -EINVAL.
 */
static int hexfield(const char **sp, int maxdigits, uint32_t *val)
{
	const char *s = *sp;
	uint32_t v = 0;
	int n = 0, d;

	while ((d = hexval(*s)) >= 0) {
		if (++n > maxdigits)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
		s++;
	}
	if (!n)
		return -EINVAL;
	*sp = s;
	*val = v;
	return 0;
}

int addr_parse(const char *s, struct gpupt_addr *a)
{
	uint32_t f[4], slot, fn;
	const char *p = s;
	int nfields = 0;

	if (!s)
		return -EINVAL;
	/* Up to three colon-separated fields, then ".fn". */
	for (;;) {
		if (nfields == 3)
			return -EINVAL;
		if (hexfield(&p, 8, &f[nfields]))
			return -EINVAL;
		nfields++;
		if (*p != ':')
			break;
		p++;
	}
	if (*p != '.' || nfields < 2)
		return -EINVAL;
	p++;
	if (hexfield(&p, 1, &fn) || *p)
		return -EINVAL;

	/* f = [domain,] bus, slot */
	slot = f[nfields - 1];
	if (f[nfields - 2] > 0xff || slot > 0x1f || fn > 7)
		return -EINVAL;
	/* bus and slot are at most 2 digits; domain at most 8 */
	{
		const char *q = s;
		int i, len;

		for (i = 0; i < nfields; i++) {
			len = (int)strcspn(q, ":.");
			if (i >= nfields - 2 && len > 2)
				return -EINVAL;
			q += len + 1;
		}
	}
	a->domain = nfields == 3 ? f[0] : 0;
	a->bus = (uint8_t)f[nfields - 2];
	a->devfn = (uint8_t)(slot << 3 | fn);
	return 0;
}

void addr_format(const struct gpupt_addr *a, char buf[static GPUPT_ADDR_STRLEN])
{
	snprintf(buf, GPUPT_ADDR_STRLEN, "%04x:%02x:%02x.%x", a->domain, a->bus,
		 a->devfn >> 3, a->devfn & 7);
}

bool addr_equal(const struct gpupt_addr *a, const struct gpupt_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus &&
	       a->devfn == b->devfn;
}

int addr_cmp(const struct gpupt_addr *a, const struct gpupt_addr *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->devfn != b->devfn)
		return a->devfn < b->devfn ? -1 : 1;
	return 0;
}

int id_parse(const char *s, uint16_t *vendor, uint16_t *device)
{
	const char *p = s;
	uint32_t v, d;

	if (!s || hexfield(&p, 4, &v) || *p++ != ':' || hexfield(&p, 4, &d) ||
	    *p)
		return -EINVAL;
	*vendor = (uint16_t)v;
	*device = (uint16_t)d;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

bool driver_is_vfio(const char *drv)
{
	return ends_with(drv, "vfio-pci") || ends_with(drv, "vfio_pci");
}
