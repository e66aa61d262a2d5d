/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BARS_GET for gptctl bars / qemu / libvirt: one function's BARs, ROM and
 * upstream bridge windows, plus the findings (problem + remedy) a user acts
 * on.  The reply parser and bars_findings() are pure (no I/O).
 */
#ifndef GPTCTL_BARS_H
#define GPTCTL_BARS_H

#include <stdbool.h>
#include <stdint.h>

#include "mmio.h"
#include "devrec.h"
#include "nl.h"

#define BAR_MAX_RESERVED	8
#define BAR_NAMELEN		64

struct bar_info {
	bool present;
	uint8_t index;			/* 0..5, GPUPT_BAR_ROM, or GPUPT_WIN_* */
	uint64_t start;
	uint64_t size;
	uint32_t flags;			/* GPUPT_BAR_F_* */
	unsigned int n_reserved;
	char reserved_by[BAR_MAX_RESERVED][BAR_NAMELEN];
	bool has_rebar_cur;
	uint64_t rebar_cur;
	uint64_t rebar_sizes;		/* bit n: 1 MiB << n; 0 if none */
};

struct bars_reply {
	struct devrec dev;
	struct bar_info bar[GPUPT_BAR_ROM + 1];	/* [GPUPT_BAR_ROM] = ROM */
	struct bar_info win[__GPUPT_WIN_MAX];
	bool has_bridge;
	struct gpupt_addr bridge;
};

/*
 * BARS_GET for one function: 0, or the kernel's/local -errno (the caller
 * reports it with nlconn_error()).  out->dev must be devrec_free()d.
 */
int bars_get(struct nlconn *nl, const struct gpupt_addr *a,
	     struct bars_reply *out);

/* Parse a reply's top-level attributes (tb[GPUPT_A_MAX + 1]).  0 or -errno. */
int bars_parse(struct nlattr **tb, struct bars_reply *out);

/* A finding: what is wrong with one BAR and how to fix it. */
struct bar_finding {
	int bar;			/* BAR index, GPUPT_BAR_ROM */
	char problem[160];
	char remedy[160];
};

/* Up to max findings for r; returns how many. */
unsigned int bars_findings(const struct bars_reply *r,
			   struct bar_finding *f, unsigned int max);

/*
 * The remedy for a BAR reserved by a resource named name, or NULL if the
 * name is not a firmware framebuffer's: efifb -> video=efifb:off,
 * vesafb -> video=vesafb:off, BOOTFB / simple-framebuffer / simpledrm ->
 * initcall_blacklist=sysfb_init.
 */
const char *bars_fb_remedy(const char *name);

/* Append r's memory BARs (0..5 and the ROM, which the guest sees too) to
 * port, as the guest will see them. */
void bars_to_port(const struct bars_reply *r, struct mmio_port *port);

#endif /* GPTCTL_BARS_H */
