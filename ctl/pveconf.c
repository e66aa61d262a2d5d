// SPDX-License-Identifier: GPL-2.0
/*
 * Proxmox VE's hostpciN lines and PCI mappings (see pveconf.h).  No I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pveconf.h"

#define PVE_MAX_LINE	8192

static void say(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

/* Exactly min..max hex digits at s[0..len). */
static bool hexn(const char *s, size_t len, size_t min, size_t max,
		 unsigned long *v)
{
	char buf[16];

	if (len < min || len > max || len >= sizeof(buf))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*v = strtoul(buf, NULL, 16);
	return true;
}

/*
 * [DOMAIN:]BUS:DEV[.FN]: domain 4..8 hex digits, bus and dev 2, fn 1.  A
 * mapping's path always has the domain (pve-guest-common's PCI_RE).
 */
static int pciid_parse(const char *s, size_t len, bool need_domain,
		       struct pve_pciid *id)
{
	const char *c[2], *dot, *end = s + len;
	unsigned long dom = 0, bus, dev, fn = 0;
	size_t nc = 0;

	for (const char *p = s; p < end; p++) {
		if (*p != ':')
			continue;
		if (nc == 2)
			return -EINVAL;
		c[nc++] = p;
	}
	if (nc == 0 || (need_domain && nc != 2))
		return -EINVAL;
	dot = memchr(s, '.', len);
	if (dot && dot < c[nc - 1])
		return -EINVAL;
	if (nc == 2 && !hexn(s, (size_t)(c[0] - s), 4, 8, &dom))
		return -EINVAL;
	s = nc == 2 ? c[0] + 1 : s;
	if (!hexn(s, (size_t)(c[nc - 1] - s), 2, 2, &bus))
		return -EINVAL;
	s = c[nc - 1] + 1;
	if (!hexn(s, (size_t)((dot ? dot : end) - s), 2, 2, &dev) || dev > 0x1f)
		return -EINVAL;
	if (dot && (!hexn(dot + 1, (size_t)(end - dot - 1), 1, 1, &fn) || fn > 7))
		return -EINVAL;
	id->addr.domain = (uint32_t)dom;
	id->addr.bus = (uint8_t)bus;
	id->addr.devfn = (uint8_t)(dev << 3 | fn);
	id->all_functions = !dot;
	return 0;
}

int pve_pciid_list_parse(const char *s, bool need_domain,
			 struct pve_pciid *ids, size_t max, size_t *n)
{
	*n = 0;
	for (;;) {
		size_t len = strcspn(s, ";");

		if (*n == max)
			return -E2BIG;
		if (pciid_parse(s, len, need_domain, &ids[*n]))
			return -EINVAL;
		(*n)++;
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

/* One "hostpciN: VALUE".  0 or -EINVAL with a reason. */
static int hostpci_parse(char *value, struct pve_hostpci *h, char *msg,
			 size_t msglen)
{
	char *save = NULL, *kv;
	const char *host = NULL, *mapping = NULL;
	int err;

	for (kv = strtok_r(value, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq) {
			if (host) {
				say(msg, msglen, "two device lists ('%s')", kv);
				return -EINVAL;
			}
			host = kv;	/* the default key */
			continue;
		}
		*eq = '\0';
		if (!strcmp(kv, "host")) {
			if (host) {
				say(msg, msglen, "two device lists");
				return -EINVAL;
			}
			host = eq + 1;
		} else if (!strcmp(kv, "mapping")) {
			mapping = eq + 1;
		} else if (!strcmp(kv, "mdev")) {
			h->mdev = true;
		}
		/* pcie, x-vga, rombar, romfile, ...: QEMU's business */
	}
	if (host && mapping) {
		say(msg, msglen, "both a device list and mapping=%s", mapping);
		return -EINVAL;
	}
	if (mapping) {
		size_t l = strlen(mapping);

		if (!l || l >= sizeof(h->mapping) || strpbrk(mapping, " \t/;")) {
			say(msg, msglen, "bad mapping name '%s'", mapping);
			return -EINVAL;
		}
		memcpy(h->mapping, mapping, l + 1);
		return 0;
	}
	if (!host) {
		say(msg, msglen, "no device (neither a HOSTPCIID nor mapping=)");
		return -EINVAL;
	}
	err = pve_pciid_list_parse(host, false, h->ids, PVE_MAX_IDS, &h->n_ids);
	if (err) {
		if (err == -E2BIG)
			say(msg, msglen, "more than %d devices in '%s'",
			    PVE_MAX_IDS, host);
		else
			say(msg, msglen, "bad HOSTPCIID list '%s' (expected [DOMAIN:]BUS:DEV[.FN][;...], hex)",
			    host);
		return -EINVAL;
	}
	return 0;
}

/* The next line of text into buf (truncated lines are reported as bad). */
static const char *next_line(const char *p, char *buf, size_t len, bool *long_line)
{
	size_t l = strcspn(p, "\n");

	*long_line = l >= len;
	if (l >= len)
		l = len - 1;
	memcpy(buf, p, l);
	buf[l] = '\0';
	if (l && buf[l - 1] == '\r')
		buf[l - 1] = '\0';
	p += strcspn(p, "\n");
	return *p ? p + 1 : p;
}

static char *trim(char *s)
{
	size_t l;

	while (*s == ' ' || *s == '\t')
		s++;
	l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = '\0';
	return s;
}

int pve_vmconf_parse(const char *text, struct pve_vmconf *c, pve_err_cb err,
		     void *arg)
{
	static char line[PVE_MAX_LINE];
	unsigned int lineno = 0;
	const char *p = text;
	int bad = 0;

	memset(c, 0, sizeof(*c));
	while (*p) {
		char msg[256], *colon, *v, *end;
		unsigned long idx;
		bool too_long;

		p = next_line(p, line, sizeof(line), &too_long);
		lineno++;
		if (line[0] == '[')
			break;		/* snapshots, [PENDING]: not this config */
		if (strncmp(line, "hostpci", 7) || !isdigit((unsigned char)line[7]))
			continue;
		errno = 0;
		idx = strtoul(line + 7, &end, 10);
		colon = end;
		if (*colon != ':' || errno || idx >= PVE_MAX_HOSTPCI) {
			if (*colon == ':' || !*colon || isspace((unsigned char)*colon)) {
				snprintf(msg, sizeof(msg), "bad hostpci index");
				goto bad;
			}
			continue;	/* another key, e.g. "hostpci0x" */
		}
		if (too_long) {
			snprintf(msg, sizeof(msg), "line longer than %d bytes", PVE_MAX_LINE);
			goto bad;
		}
		v = trim(colon + 1);
		for (size_t i = 0; i < c->n; i++)
			if (c->dev[i].index == idx) {
				snprintf(msg, sizeof(msg), "hostpci%lu given twice", idx);
				goto bad;
			}
		memset(&c->dev[c->n], 0, sizeof(c->dev[c->n]));
		c->dev[c->n].index = (unsigned int)idx;
		if (hostpci_parse(v, &c->dev[c->n], msg, sizeof(msg)))
			goto bad;
		c->n++;
		continue;
bad:
		bad++;
		if (err)
			err(lineno, msg, arg);
	}
	return bad;
}

/* "key=value" of a map line's property string, into val; true if found. */
static bool prop_get(const char *props, const char *key, char *val, size_t len)
{
	size_t kl = strlen(key);
	const char *p = props;

	while (*p) {
		size_t l = strcspn(p, ",");

		if (l > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = l - kl - 1;

			if (vl >= len)
				return false;
			memcpy(val, p + kl + 1, vl);
			val[vl] = '\0';
			return true;
		}
		p += l;
		if (*p)
			p++;
	}
	return false;
}

int pve_mapping_lookup(const char *cfg, const char *name, const char *node,
		       struct pve_pciid *ids, size_t max, size_t *n,
		       char *msg, size_t msglen)
{
	static char line[PVE_MAX_LINE];
	char val[PVE_MAX_LINE];
	const char *p = cfg;
	bool in = false, found = false;

	*n = 0;
	while (*p) {
		bool too_long;
		char *s;

		p = next_line(p, line, sizeof(line), &too_long);
		if (line[0] && line[0] != ' ' && line[0] != '\t' && line[0] != '#') {
			/* a section header: the mapping's name */
			in = !strcmp(trim(line), name);
			found |= in;
			continue;
		}
		if (!in)
			continue;
		s = trim(line);
		if (strncmp(s, "map", 3) || (s[3] != ' ' && s[3] != '\t'))
			continue;
		s = trim(s + 3);
		if (!prop_get(s, "node", val, sizeof(val)) || strcmp(val, node))
			continue;
		if (too_long || !prop_get(s, "path", val, sizeof(val))) {
			say(msg, msglen, "mapping '%s' for node %s has no path", name, node);
			return -EINVAL;
		}
		if (pve_pciid_list_parse(val, true, ids, max, n)) {
			say(msg, msglen, "mapping '%s' for node %s has a bad path '%s'",
			    name, node, val);
			*n = 0;
			return -EINVAL;
		}
		return 0;
	}
	if (!found) {
		say(msg, msglen, "no mapping '%s' in the PCI mappings", name);
		return -ENOENT;
	}
	say(msg, msglen, "mapping '%s' has no map for node %s", name, node);
	return -ENODEV;
}
