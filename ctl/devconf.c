// SPDX-License-Identifier: GPL-2.0
/*
 * The devices.conf parser and matcher (see devconf.h).  No I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devconf.h"

#define MAX_WORDS 8

struct pstate {
	struct devconf *c;
	size_t cap;
	devconf_err_cb err;
	void *arg;
	int bad;
};

static void bad_line(struct pstate *p, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad_line(struct pstate *p, unsigned int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	p->bad++;
	if (!p->err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err(line, msg, p->arg);
}

static bool hexword(const char *s, size_t min, size_t max, unsigned long *v)
{
	size_t n = strlen(s), i;

	if (n < min || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	*v = strtoul(s, NULL, 16);
	return true;
}

/* "[domain:]bus:dev", hex, dev <= 0x1f.  0 or -EINVAL. */
static int slot_parse(const char *s, struct gpupt_addr *a)
{
	char buf[32], *f[3], *save = NULL, *tok;
	unsigned long dom = 0, bus, dev;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (buf[0] == ':' || buf[strlen(buf) - 1] == ':' || strstr(buf, "::"))
		return -EINVAL;
	for (tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (n == 3)
			return -EINVAL;
		f[n++] = tok;
	}
	if (n < 2)
		return -EINVAL;
	if (n == 3 && !hexword(f[0], 1, 8, &dom))
		return -EINVAL;
	if (!hexword(f[n - 2], 1, 2, &bus) || !hexword(f[n - 1], 1, 2, &dev) ||
	    dev > 0x1f)
		return -EINVAL;
	a->domain = (uint32_t)dom;
	a->bus = (uint8_t)bus;
	a->devfn = (uint8_t)(dev << 3);
	return 0;
}

static bool slot_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n >= DEVCONF_NAMELEN)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.+-", s[i]))
			return false;
	return true;
}

bool devconf_vfio_name(const char *drv)
{
	size_t n = strlen(drv), i;

	if (!n || n >= DEVCONF_DRVLEN)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)drv[i]) && drv[i] != '_' && drv[i] != '-')
			return false;
	return driver_is_vfio(drv);
}

static int add_rule(struct pstate *p, const struct devconf_rule *r)
{
	struct devconf *c = p->c;

	if (c->n == DEVCONF_MAX_RULES)
		return -E2BIG;
	if (c->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct devconf_rule *v = realloc(c->rules, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->rules = v;
		p->cap = cap;
	}
	c->rules[c->n++] = *r;
	return 0;
}

static int parse_target(const char *w, struct devconf_rule *r)
{
	if (!strcmp(w, "gpupt")) {
		r->target = DEVCONF_T_GPUPT;
	} else if (!strcmp(w, "host")) {
		r->target = DEVCONF_T_HOST;
	} else if (devconf_vfio_name(w)) {
		r->target = DEVCONF_T_VFIO;
		strcpy(r->driver, w);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* "sriov ADDR numvfs=N [vf-driver=TARGET] [force]" */
static int parse_sriov(struct pstate *p, unsigned int line, char **w, int n)
{
	struct devconf_rule r;
	bool have_num = false;
	size_t j;
	int i;

	memset(&r, 0, sizeof(r));
	r.line = line;
	r.sel = DEVCONF_SEL_SRIOV;
	r.target = DEVCONF_T_GPUPT;
	r.flags = DEVCONF_F_SINGLE;
	if (n < 3) {
		bad_line(p, line, "expected sriov ADDR numvfs=N [vf-driver=TARGET] [force]");
		return 0;
	}
	if (addr_parse(w[1], &r.addr)) {
		bad_line(p, line, "invalid PCI address '%s'", w[1]);
		return 0;
	}
	for (i = 2; i < n; i++) {
		if (!strncmp(w[i], "numvfs=", 7)) {
			const char *v = w[i] + 7;
			char *end;
			unsigned long x;

			errno = 0;
			x = strtoul(v, &end, 10);
			if (!isdigit((unsigned char)*v) || *end || errno ||
			    x > 65535) {
				bad_line(p, line, "invalid numvfs '%s' (0..65535)", v);
				return 0;
			}
			r.numvfs = (unsigned int)x;
			have_num = true;
		} else if (!strncmp(w[i], "vf-driver=", 10)) {
			if (parse_target(w[i] + 10, &r)) {
				bad_line(p, line, "unknown vf-driver '%s' (vfio-pci, a vfio variant driver, gpupt or host)",
					 w[i] + 10);
				return 0;
			}
		} else if (!strcmp(w[i], "force")) {
			r.flags |= DEVCONF_F_FORCE;
		} else {
			bad_line(p, line, "unknown option '%s' (numvfs=N, vf-driver=TARGET or force)",
				 w[i]);
			return 0;
		}
	}
	if (!have_num) {
		bad_line(p, line, "sriov needs numvfs=N");
		return 0;
	}
	for (j = 0; j < p->c->n; j++)
		if (p->c->rules[j].sel == DEVCONF_SEL_SRIOV &&
		    addr_equal(&p->c->rules[j].addr, &r.addr)) {
			bad_line(p, line, "%s already has a sriov line (line %u)",
				 w[1], p->c->rules[j].line);
			return 0;
		}
	return add_rule(p, &r);
}

/* One line, NUL-terminated and writable, comment already cut. */
static int parse_line(struct pstate *p, unsigned int line, char *s)
{
	char *w[MAX_WORDS + 1], *save = NULL, *tok;
	struct devconf_rule r;
	int n = 0, i;

	for (tok = strtok_r(s, " \t\r\f\v", &save); tok;
	     tok = strtok_r(NULL, " \t\r\f\v", &save)) {
		if (n == MAX_WORDS) {
			bad_line(p, line, "too many words");
			return 0;
		}
		w[n++] = tok;
	}
	if (!n)
		return 0;
	if (!strcmp(w[0], "sriov"))
		return parse_sriov(p, line, w, n);
	if (n < 3) {
		bad_line(p, line, "expected SELECTOR VALUE TARGET [force] [single]");
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.line = line;

	if (!strcmp(w[0], "id")) {
		unsigned long v, d;
		char *colon = strchr(w[1], ':');

		r.sel = DEVCONF_SEL_ID;
		if (!colon) {
			bad_line(p, line, "invalid ID '%s' (VENDOR:DEVICE, hex)", w[1]);
			return 0;
		}
		*colon = '\0';
		if (!hexword(w[1], 1, 4, &v) || !hexword(colon + 1, 1, 4, &d)) {
			*colon = ':';
			bad_line(p, line, "invalid ID '%s' (VENDOR:DEVICE, hex)", w[1]);
			return 0;
		}
		r.vendor = (uint16_t)v;
		r.device = (uint16_t)d;
	} else if (!strcmp(w[0], "addr")) {
		r.sel = DEVCONF_SEL_ADDR;
		if (addr_parse(w[1], &r.addr)) {
			bad_line(p, line, "invalid PCI address '%s'", w[1]);
			return 0;
		}
	} else if (!strcmp(w[0], "slot")) {
		if (strchr(w[1], ':')) {
			r.sel = DEVCONF_SEL_SLOT;
			if (slot_parse(w[1], &r.addr)) {
				bad_line(p, line, "invalid slot '%s' ([DOMAIN:]BUS:DEV, hex)", w[1]);
				return 0;
			}
		} else {
			r.sel = DEVCONF_SEL_PSLOT;
			if (!slot_name_ok(w[1])) {
				bad_line(p, line, "invalid physical slot name '%s'", w[1]);
				return 0;
			}
			strcpy(r.slot_name, w[1]);
		}
	} else {
		bad_line(p, line, "unknown selector '%s' (id, addr, slot or sriov)", w[0]);
		return 0;
	}

	if (parse_target(w[2], &r)) {
		bad_line(p, line, "unknown target '%s' (vfio-pci, a vfio variant driver, gpupt or host)",
			 w[2]);
		return 0;
	}

	for (i = 3; i < n; i++) {
		if (!strcmp(w[i], "force")) {
			r.flags |= DEVCONF_F_FORCE;
		} else if (!strcmp(w[i], "single")) {
			r.flags |= DEVCONF_F_SINGLE;
		} else {
			bad_line(p, line, "unknown option '%s' (force or single)", w[i]);
			return 0;
		}
	}
	return add_rule(p, &r);
}

int devconf_parse(const char *text, struct devconf *out, devconf_err_cb err,
		  void *arg)
{
	struct pstate p = { .c = out, .err = err, .arg = arg };
	char buf[DEVCONF_MAX_LINE + 1];
	unsigned int line = 0;
	const char *s = text;
	int ret;

	out->rules = NULL;
	out->n = 0;
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);
		char *hash;

		line++;
		if (len > DEVCONF_MAX_LINE) {
			bad_line(&p, line, "line longer than %d characters",
				 DEVCONF_MAX_LINE);
		} else {
			memcpy(buf, s, len);
			buf[len] = '\0';
			hash = strchr(buf, '#');
			if (hash)
				*hash = '\0';
			ret = parse_line(&p, line, buf);
			if (ret < 0) {
				devconf_free(out);
				return ret;
			}
		}
		s += len;
		if (*s == '\n')
			s++;
	}
	return p.bad;
}

void devconf_free(struct devconf *c)
{
	free(c->rules);
	c->rules = NULL;
	c->n = 0;
}

static int sel_rank(enum devconf_sel s)
{
	switch (s) {
	case DEVCONF_SEL_ADDR:
		return 3;
	case DEVCONF_SEL_SLOT:
	case DEVCONF_SEL_PSLOT:
		return 2;
	default:
		return 1;
	}
}

const struct devconf_rule *devconf_match(const struct devconf *c,
					 const struct gpupt_addr *a,
					 uint16_t vendor, uint16_t device,
					 const char *pslot)
{
	const struct devconf_rule *best = NULL;
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct devconf_rule *r = &c->rules[i];
		bool m;

		switch (r->sel) {
		case DEVCONF_SEL_ID:
			m = r->vendor == vendor && r->device == device;
			break;
		case DEVCONF_SEL_ADDR:
			m = addr_equal(&r->addr, a);
			break;
		case DEVCONF_SEL_SLOT:
			m = r->addr.domain == a->domain && r->addr.bus == a->bus &&
			    (r->addr.devfn >> 3) == (a->devfn >> 3);
			break;
		case DEVCONF_SEL_SRIOV:
			m = false;	/* see devconf_sriov_rule() */
			break;
		default:
			m = pslot && !strcmp(pslot, r->slot_name);
			break;
		}
		if (m && (!best || sel_rank(r->sel) >= sel_rank(best->sel)))
			best = r;
	}
	return best;
}

const struct devconf_rule *devconf_sriov_rule(const struct devconf *c,
					      const struct gpupt_addr *pf)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->rules[i].sel == DEVCONF_SEL_SRIOV &&
		    addr_equal(&c->rules[i].addr, pf))
			return &c->rules[i];
	return NULL;
}

const char *devconf_target_name(const struct devconf_rule *r)
{
	switch (r->target) {
	case DEVCONF_T_VFIO:
		return r->driver;
	case DEVCONF_T_GPUPT:
		return "gpupt";
	default:
		return "host";
	}
}

void devconf_sel_format(const struct devconf_rule *r, char *buf, size_t len)
{
	char a[GPUPT_ADDR_STRLEN];

	switch (r->sel) {
	case DEVCONF_SEL_ID:
		snprintf(buf, len, "id %04x:%04x", r->vendor, r->device);
		break;
	case DEVCONF_SEL_ADDR:
		addr_format(&r->addr, a);
		snprintf(buf, len, "addr %s", a);
		break;
	case DEVCONF_SEL_SLOT:
		snprintf(buf, len, "slot %04x:%02x:%02x", r->addr.domain,
			 r->addr.bus, r->addr.devfn >> 3);
		break;
	case DEVCONF_SEL_SRIOV:
		addr_format(&r->addr, a);
		snprintf(buf, len, "sriov %s", a);
		break;
	default:
		snprintf(buf, len, "slot %s", r->slot_name);
		break;
	}
}
