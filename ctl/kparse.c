// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel's parameter parsers accept, and which words of a command
 * line a kernel log says were rejected (kparams.h).  Pure: no I/O, fuzzed
 * by tests/fuzz/cmdline.c.
 *
 * The parsers behind the words, as checked in Debian's 6.1.0-57 (6.1.192),
 * 6.12.117 and 7.2.13 kernels (the strings of each vmlinux) and in the
 * upstream sources:
 *   intel_iommu=  drivers/iommu/intel/iommu.c intel_iommu_setup(): on, off,
 *                 igfx_off, forcedac, strict, sp_off, sm_on, sm_off,
 *                 tboot_noforce, and Debian's intgpu_off; anything else is
 *                 logged as "DMAR: Unknown option - '...'".
 *   amd_iommu=    drivers/iommu/amd/init.c parse_amd_iommu_options():
 *                 fullflush, force_enable, off, force_isolation, pgtbl_v1,
 *                 pgtbl_v2, irtcachedis; since 6.12 also nohugepages and
 *                 v2_pgsizes_only; anything else is logged as "AMD-Vi:
 *                 Unknown option - '...'".  There is no "on": the driver is
 *                 enabled by amd_iommu_detect() whenever the firmware has an
 *                 IVRS table, unless amd_iommu=off or iommu=off.
 *   iommu=        arch/x86/kernel/pci-dma.c iommu_setup(): "pt" makes the
 *                 default domain of host devices identity (passthrough).
 * Every option is matched by strncmp() on its own length, as the parsers
 * do, so "offline" counts as "off" there and here.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse.h"
#include "kparams.h"

/* The options each parser takes; every kernel above takes these. */
static const char *const amd_iommu_opts[] = {
	"fullflush", "force_enable", "off", "force_isolation", "pgtbl_v1",
	"pgtbl_v2", "irtcachedis",
	"nohugepages", "v2_pgsizes_only",	/* 6.12 and later */
	NULL,
};

static const char *const intel_iommu_opts[] = {
	"on", "off", "igfx_off", "intgpu_off", "forcedac", "strict", "sp_off",
	"sm_on", "sm_off", "tboot_noforce",
	NULL,
};

const char kparams_amd_on_reason[] =
	"amd_iommu= has no \"on\" option: parse_amd_iommu_options() in drivers/iommu/amd/init.c "
	"logs \"AMD-Vi: Unknown option - 'on'\" (6.1, 6.12, 7.2); the kernel enables the AMD IOMMU "
	"by itself when the firmware has an IVRS table (amd_iommu_detect())";

/* ---- option lists ---- */

static bool kopt_match(const char *const *opts, const char *o, size_t n)
{
	for (; *opts; opts++) {
		size_t l = strlen(*opts);

		/* The parsers use strncmp(str, name, strlen(name)). */
		if (n >= l && !strncmp(o, *opts, l))
			return true;
	}
	return false;
}

unsigned int kparams_iommu_value_fix(bool intel, const char *value,
				     size_t vlen, char *out, size_t outlen,
				     char *bad, size_t badlen)
{
	const char *const *opts = intel ? intel_iommu_opts : amd_iommu_opts;
	const char *p = value, *end = value + vlen;
	size_t off = 0;
	unsigned int dropped = 0;

	if (outlen)
		*out = 0;
	if (badlen)
		*bad = 0;
	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t n = c ? (size_t)(c - p) : (size_t)(end - p);

		if (n && !kopt_match(opts, p, n)) {
			if (!dropped && badlen)
				snprintf(bad, badlen, "%.*s", (int)n, p);
			dropped++;
		} else if (n && off + n + 2 <= outlen) {
			off += (size_t)snprintf(out + off, outlen - off, "%s%.*s",
						off ? "," : "", (int)n, p);
		}
		p += n;
		if (p < end)
			p++;
	}
	return dropped;
}

/* ---- rejected words ---- */

#define REJ_MAX	64

struct rej {
	const char *cmdline;
	kparams_rejected_cb cb;
	void *arg;
	const char *line;
	size_t llen;
	unsigned int n;
	char *seen[REJ_MAX];
	/* The match: */
	int kind;
	const char *a;	/* a word, a key, or an option */
	size_t alen;
	const char *mod;
	size_t modlen;
};

enum { M_WORD, M_KEY, M_AMD, M_INTEL, M_MODPARAM };

/* Does the comma list val contain option o (as the parser would see it)? */
static bool value_has_opt(const char *val, size_t vlen, const char *o,
			  size_t olen)
{
	const char *p = val, *end = val + vlen;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t n = c ? (size_t)(c - p) : (size_t)(end - p);

		if (n == olen && !memcmp(p, o, n))
			return true;
		p += n + (c ? 1 : 0);
	}
	return false;
}

static int rej_word(const char *key, size_t klen, const char *val,
		    size_t vlen, void *arg)
{
	struct rej *r = arg;
	char w[1100];
	bool hit = false;
	unsigned int i;
	const char *dot;

	snprintf(w, sizeof(w), "%.*s%s%.*s", (int)klen, key, val ? "=" : "",
		 (int)vlen, val ? val : "");
	switch (r->kind) {
	case M_WORD:
		hit = strlen(w) == r->alen && !memcmp(w, r->a, r->alen);
		break;
	case M_KEY:
		hit = param_name_eq(key, klen, r->a, r->alen);
		break;
	case M_AMD:
	case M_INTEL:
		hit = param_name_eq(key, klen,
				    r->kind == M_AMD ? "amd_iommu" : "intel_iommu",
				    r->kind == M_AMD ? 9 : 11) &&
		      val && value_has_opt(val, vlen, r->a, r->alen);
		break;
	case M_MODPARAM:
		dot = memchr(key, '.', klen);
		hit = dot && param_name_eq(key, (size_t)(dot - key), r->mod, r->modlen) &&
		      param_name_eq(dot + 1, klen - (size_t)(dot + 1 - key), r->a, r->alen);
		break;
	}
	if (!hit)
		return 0;
	for (i = 0; i < r->n && i < REJ_MAX; i++)
		if (r->seen[i] && !strcmp(r->seen[i], w))
			return 0;
	if (r->n < REJ_MAX)
		r->seen[r->n] = strdup(w);
	r->n++;
	r->cb(w, strlen(w), r->line, r->llen, r->arg);
	return 0;
}

/*
 * Run a match over the command line.  An empty name (the kernel logs
 * "Malformed early option ''" for a bare '=') names no word.
 */
static void rej_match(struct rej *r, int kind, const char *a, size_t alen)
{
	if (!alen)
		return;
	r->kind = kind;
	r->a = a;
	r->alen = alen;
	cmdline_foreach(r->cmdline, rej_word, r);
}

/* Text between `open` (found in line) and the next `close`. */
static bool between(const char *line, size_t n, const char *open, char close,
		    const char **s, size_t *len)
{
	const char *p = memmem(line, n, open, strlen(open)), *e;

	if (!p)
		return false;
	p += strlen(open);
	e = memchr(p, close, (size_t)(line + n - p));
	if (!e)
		return false;
	*s = p;
	*len = (size_t)(e - p);
	return true;
}

static void rej_line(struct rej *r, const char *l, size_t n)
{
	const char *s, *p, *e;
	size_t len;

	r->line = l;
	r->llen = n;
	if (between(l, n, "Unknown kernel command line parameters \"", '"', &s, &len)) {
		/* Space separated, as init/main.c prints them. */
		for (p = s; p < s + len; p = e) {
			while (p < s + len && *p == ' ')
				p++;
			e = p;
			while (e < s + len && *e != ' ')
				e++;
			if (e > p)
				rej_match(r, M_WORD, p, (size_t)(e - p));
		}
	} else if (between(l, n, "AMD-Vi: Unknown option - '", '\'', &s, &len) ||
		   between(l, n, "DMAR: Unknown option - '", '\'', &s, &len)) {
		/* The parser prints the rest of the value: its first option. */
		p = memchr(s, ',', len);
		rej_match(r, memmem(l, n, "AMD-Vi:", 7) ? M_AMD : M_INTEL, s,
			  p ? (size_t)(p - s) : len);
	} else if (between(l, n, ": unknown parameter '", '\'', &s, &len)) {
		/* "MOD: unknown parameter 'P' ignored" (kernel/module). */
		e = memmem(l, n, ": unknown parameter '", 21);
		for (p = e; p > l && p[-1] != ' ' && p[-1] != ']'; p--)
			;
		r->mod = p;
		r->modlen = (size_t)(e - p);
		rej_match(r, M_MODPARAM, s, len);
	} else if (between(l, n, "Malformed early option '", '\'', &s, &len)) {
		rej_match(r, M_KEY, s, len);
	} else if (between(l, n, "Parameter ", ' ', &s, &len) &&
		   memmem(l, n, " is obsolete, ignored", 21)) {
		if (len && s[len - 1] == '=')
			len--;
		rej_match(r, M_KEY, s, len);
	}
}

unsigned int kparams_rejected(const char *cmdline, const char *log,
			      kparams_rejected_cb cb, void *arg)
{
	struct rej r = { .cmdline = cmdline, .cb = cb, .arg = arg };
	const char *p = log;
	unsigned int i;

	while (p && *p) {
		size_t n = strcspn(p, "\n");
		const char *l = p, *ts;

		p += n;
		if (*p)
			p++;
		/* Drop "<6>" and "[    0.000000] ". */
		if (n > 2 && *l == '<' && (ts = memchr(l, '>', n < 6 ? n : 6))) {
			n -= (size_t)(ts + 1 - l);
			l = ts + 1;
		}
		if (n && *l == '[' && (ts = memchr(l, ']', n))) {
			n -= (size_t)(ts + 1 - l);
			l = ts + 1;
			while (n && *l == ' ') {
				l++;
				n--;
			}
		}
		rej_line(&r, l, n);
	}
	for (i = 0; i < r.n && i < REJ_MAX; i++)
		free(r.seen[i]);
	return r.n;
}

/* ---- remedies ---- */

static const char amd_opts_text[] =
	"fullflush, force_enable, off, force_isolation, pgtbl_v1, pgtbl_v2, irtcachedis "
	"(6.12 and later also nohugepages, v2_pgsizes_only)";

static const char *const module_prefixes[] = {
	"gpupt", "vfio_pci", "vfio_iommu_type1", "vfio", NULL,
};

char *kparams_remedy(const char *word, size_t wlen)
{
	const char *eq = memchr(word, '=', wlen), *dot;
	size_t klen = eq ? (size_t)(eq - word) : wlen;
	char fixed[256], bad[64], *s = NULL;
	int i, r = -1;

	dot = memchr(word, '.', klen);
	if (param_name_eq(word, klen, "amd_iommu", 9) && eq) {
		kparams_iommu_value_fix(false, eq + 1, wlen - klen - 1, fixed,
					sizeof(fixed), bad, sizeof(bad));
		if (!strcmp(bad, "on"))
			r = asprintf(&s, "remove %.*s: %s; gptctl setup --apply-cmdline removes it from /etc/default/grub",
				     (int)wlen, word, kparams_amd_on_reason);
		else if (*fixed)
			r = asprintf(&s, "write amd_iommu=%s: amd_iommu= takes %s; passthrough needs none of them",
				     fixed, amd_opts_text);
		else
			r = asprintf(&s, "remove %.*s: amd_iommu= takes %s; passthrough needs none of them",
				     (int)wlen, word, amd_opts_text);
	} else if (param_name_eq(word, klen, "intel_iommu", 11)) {
		r = asprintf(&s, "write intel_iommu=on: intel_iommu= takes on, off, igfx_off, forcedac, strict, sp_off, sm_on, sm_off, tboot_noforce (%s)",
			     "drivers/iommu/intel/iommu.c intel_iommu_setup()");
	} else if (dot) {
		r = asprintf(&s, "%.*s has no parameter %.*s: modinfo -p %.*s lists those it has; correct or remove %.*s%s",
			     (int)(dot - word), word, (int)(klen - (size_t)(dot + 1 - word)),
			     dot + 1, (int)(dot - word), word, (int)wlen, word,
			     param_name_eq(word, (size_t)(dot - word), "gpupt", 5) ?
			     " (gpupt takes ids= and addrs=; gptctl cmdline prints them)" : "");
	} else {
		for (i = 0; module_prefixes[i]; i++) {
			size_t ml = strlen(module_prefixes[i]);

			if (klen > ml + 1 && param_name_eq(word, ml, module_prefixes[i], ml) &&
			    (word[ml] == '_' || word[ml] == '-')) {
				r = asprintf(&s, "a module parameter is written MODULE.PARAM=: did you mean %s.%.*s?",
					     module_prefixes[i], (int)(wlen - ml - 1), word + ml + 1);
				break;
			}
		}
		if (r < 0 && param_name_eq(word, klen, "video", 5))
			r = asprintf(&s, "remove or correct %.*s: the framebuffer drivers read video=DRIVER:OPTIONS, e.g. video=efifb:off",
				     (int)wlen, word);
		if (r < 0)
			r = asprintf(&s, "remove %.*s from the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub): this kernel does not know it",
				     (int)wlen, word);
	}
	return r < 0 ? NULL : s;
}
