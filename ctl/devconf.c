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

#include "array.h"
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

/* The method names sysfs reset_method takes. */
static const char *const reset_names[] = {
	"device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus",
};

/* "bus,flr" into "bus flr"; false (with @bad) on an unknown name. */
static bool reset_order_parse(const char *s, char *out, size_t len,
			      const char **bad)
{
	char buf[DEVCONF_RESET_LEN], *save = NULL, *tok;
	size_t off = 0, i, n = 0;

	*bad = s;
	if (!strcmp(s, "default")) {
		snprintf(out, len, "default");
		return true;
	}
	if (!*s || strlen(s) >= sizeof(buf) || s[strlen(s) - 1] == ',' ||
	    strstr(s, ",,") || *s == ',')
		return false;
	strcpy(buf, s);
	out[0] = '\0';
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(reset_names) / sizeof(reset_names[0]); i++)
			if (!strcmp(tok, reset_names[i]))
				break;
		if (i == sizeof(reset_names) / sizeof(reset_names[0])) {
			*bad = s + (tok - buf);
			return false;
		}
		if (++n > sizeof(reset_names) / sizeof(reset_names[0]))
			return false;
		off += (size_t)snprintf(out + off, len - off, "%s%s",
					off ? " " : "", tok);
	}
	return off < len;
}

/*
 * A POLICY option into r->policy: 1 when @w is one, 0 when it is not a
 * policy word, -1 when it is a malformed one (reported).
 */
static int policy_word(struct pstate *p, unsigned int line, const char *w,
		       struct devconf_rule *r)
{
	struct devconf_policy *pol = &r->policy;
	const char *bad;

	if (!strncmp(w, "reset=", 6)) {
		if (!reset_order_parse(w + 6, pol->reset, sizeof(pol->reset),
				       &bad)) {
			bad_line(p, line, "invalid reset order '%s' (device_specific, acpi, flr, af_flr, pm, bus, cxl_bus, joined by commas, or default)",
				 w + 6);
			return -1;
		}
		pol->set |= DEVCONF_P_RESET;
		pol->line[0] = line;
		return 1;
	}
	if (!strncmp(w, "d3cold=", 7)) {
		if (strcmp(w + 7, "on") && strcmp(w + 7, "off")) {
			bad_line(p, line, "invalid '%s' (d3cold=on or d3cold=off)", w);
			return -1;
		}
		pol->d3cold = !strcmp(w + 7, "on");
		pol->set |= DEVCONF_P_D3COLD;
		pol->line[1] = line;
		return 1;
	}
	if (!strncmp(w, "reset-on-handoff", 16) &&
	    (!w[16] || w[16] == '=')) {
		if (w[16] && strcmp(w + 17, "yes") && strcmp(w + 17, "no")) {
			bad_line(p, line, "invalid '%s' (reset-on-handoff, =yes or =no)", w);
			return -1;
		}
		pol->handoff_reset = !w[16] || !strcmp(w + 17, "yes");
		pol->set |= DEVCONF_P_HANDOFF_RESET;
		pol->line[2] = line;
		return 1;
	}
	return 0;
}

static int add_rule(struct pstate *p, const struct devconf_rule *r)
{
	struct devconf *c = p->c;
	struct devconf_rule *v;

	if (c->n == DEVCONF_MAX_RULES)
		return -E2BIG;
	v = array_grow(c->rules, &p->cap, c->n, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	c->rules = v;
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
		bad_line(p, line, "expected SELECTOR VALUE TARGET [OPTION...] or SELECTOR VALUE POLICY...");
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

	i = 3;
	if (strchr(w[2], '=') || !strcmp(w[2], "reset-on-handoff")) {
		r.target = DEVCONF_T_NONE;
		i = 2;
	} else if (parse_target(w[2], &r)) {
		bad_line(p, line, "unknown target '%s' (vfio-pci, a vfio variant driver, gpupt or host)",
			 w[2]);
		return 0;
	}

	for (; i < n; i++) {
		int pw = policy_word(p, line, w[i], &r);

		if (pw < 0)
			return 0;
		if (pw)
			continue;
		if (r.target != DEVCONF_T_NONE && !strcmp(w[i], "force")) {
			r.flags |= DEVCONF_F_FORCE;
		} else if (r.target != DEVCONF_T_NONE && !strcmp(w[i], "single")) {
			r.flags |= DEVCONF_F_SINGLE;
		} else {
			bad_line(p, line, r.target == DEVCONF_T_NONE ?
				 "unknown policy option '%s' (reset=, d3cold=, reset-on-handoff)" :
				 "unknown option '%s' (force, single, reset=, d3cold=, reset-on-handoff)",
				 w[i]);
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

static bool rule_matches(const struct devconf_rule *r,
			 const struct gpupt_addr *a, uint16_t vendor,
			 uint16_t device, const char *pslot)
{
	switch (r->sel) {
	case DEVCONF_SEL_ID:
		return r->vendor == vendor && r->device == device;
	case DEVCONF_SEL_ADDR:
		return addr_equal(&r->addr, a);
	case DEVCONF_SEL_SLOT:
		return r->addr.domain == a->domain && r->addr.bus == a->bus &&
		       (r->addr.devfn >> 3) == (a->devfn >> 3);
	case DEVCONF_SEL_SRIOV:
		return false;	/* see devconf_sriov_rule() */
	default:
		return pslot && !strcmp(pslot, r->slot_name);
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

		if (r->target == DEVCONF_T_NONE || !rule_matches(r, a, vendor,
								 device, pslot))
			continue;
		if (!best || sel_rank(r->sel) >= sel_rank(best->sel))
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

void devconf_policy(const struct devconf *c, const struct gpupt_addr *a,
		    uint16_t vendor, uint16_t device, const char *pslot,
		    struct devconf_policy *out)
{
	const struct devconf_rule *best[3] = { NULL, NULL, NULL };
	static const unsigned int bits[3] = {
		DEVCONF_P_RESET, DEVCONF_P_D3COLD, DEVCONF_P_HANDOFF_RESET,
	};
	size_t i, k;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < c->n; i++) {
		const struct devconf_rule *r = &c->rules[i];

		if (!r->policy.set || !rule_matches(r, a, vendor, device, pslot))
			continue;
		for (k = 0; k < 3; k++)
			if ((r->policy.set & bits[k]) &&
			    (!best[k] || sel_rank(r->sel) >= sel_rank(best[k]->sel)))
				best[k] = r;
	}
	if (best[0]) {
		out->set |= DEVCONF_P_RESET;
		strcpy(out->reset, best[0]->policy.reset);
		out->line[0] = best[0]->line;
	}
	if (best[1]) {
		out->set |= DEVCONF_P_D3COLD;
		out->d3cold = best[1]->policy.d3cold;
		out->line[1] = best[1]->line;
	}
	if (best[2]) {
		out->set |= DEVCONF_P_HANDOFF_RESET;
		out->handoff_reset = best[2]->policy.handoff_reset;
		out->line[2] = best[2]->line;
	}
}

const char *devconf_target_name(const struct devconf_rule *r)
{
	switch (r->target) {
	case DEVCONF_T_VFIO:
		return r->driver;
	case DEVCONF_T_GPUPT:
		return "gpupt";
	case DEVCONF_T_HOST:
		return "host";
	default:
		return "-";
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
