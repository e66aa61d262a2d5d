// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl bars ADDR...: each BAR of a function (start, size, type, whether
 * the kernel assigned it, which resources sit inside it), its ROM and its
 * upstream bridge's windows, with every problem found next to its remedy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>

#include "bars.h"
#include "devprint.h"
#include "devrec.h"
#include "gptctl.h"
#include "nl.h"
#include "pcinames.h"
#include "print.h"

static struct nla_policy bar_policy[GPUPT_BAR_A_MAX + 1] = {
	[GPUPT_BAR_A_INDEX]		= { .type = NLA_U8 },
	[GPUPT_BAR_A_START]		= { .type = NLA_U64 },
	[GPUPT_BAR_A_SIZE]		= { .type = NLA_U64 },
	[GPUPT_BAR_A_FLAGS]		= { .type = NLA_U32 },
	[GPUPT_BAR_A_RESERVED_BY]	= { .type = NLA_NESTED },
	[GPUPT_BAR_A_NAME]		= { .type = NLA_STRING },
	[GPUPT_BAR_A_REBAR_CUR]		= { .type = NLA_U64 },
	[GPUPT_BAR_A_REBAR_SIZES]	= { .type = NLA_U64 },
};

static int bar_parse(struct nlattr *nest, struct bar_info *b)
{
	struct nlattr *tb[GPUPT_BAR_A_MAX + 1], *pos;
	int rem;

	memset(b, 0, sizeof(*b));
	if (nla_parse_nested(tb, GPUPT_BAR_A_MAX, nest, bar_policy))
		return -EPROTO;
	if (!tb[GPUPT_BAR_A_INDEX])
		return -EPROTO;
	b->present = true;
	b->index = nla_get_u8(tb[GPUPT_BAR_A_INDEX]);
	if (tb[GPUPT_BAR_A_START])
		b->start = nla_get_u64(tb[GPUPT_BAR_A_START]);
	if (tb[GPUPT_BAR_A_SIZE])
		b->size = nla_get_u64(tb[GPUPT_BAR_A_SIZE]);
	if (tb[GPUPT_BAR_A_FLAGS])
		b->flags = nla_get_u32(tb[GPUPT_BAR_A_FLAGS]);
	if (tb[GPUPT_BAR_A_REBAR_CUR]) {
		b->has_rebar_cur = true;
		b->rebar_cur = nla_get_u64(tb[GPUPT_BAR_A_REBAR_CUR]);
	}
	if (tb[GPUPT_BAR_A_REBAR_SIZES])
		b->rebar_sizes = nla_get_u64(tb[GPUPT_BAR_A_REBAR_SIZES]);
	if (tb[GPUPT_BAR_A_RESERVED_BY]) {
		nla_for_each_nested(pos, tb[GPUPT_BAR_A_RESERVED_BY], rem) {
			if (nla_type(pos) != GPUPT_BAR_A_NAME || nla_len(pos) < 1)
				continue;
			if (b->n_reserved == BAR_MAX_RESERVED)
				break;
			snprintf(b->reserved_by[b->n_reserved++], BAR_NAMELEN,
				 "%.*s", nla_len(pos), (const char *)nla_data(pos));
		}
	}
	return 0;
}

static int bar_list_parse(struct nlattr *nest, struct bar_info *v,
			  unsigned int n)
{
	struct nlattr *pos;
	struct bar_info b;
	int rem, err;

	nla_for_each_nested(pos, nest, rem) {
		if (nla_type(pos) != GPUPT_A_BAR)
			continue;
		err = bar_parse(pos, &b);
		if (err)
			return err;
		if (b.index < n)
			v[b.index] = b;
	}
	return 0;
}

int bars_parse(struct nlattr **tb, struct bars_reply *out)
{
	struct devrec br;
	int err;

	memset(out, 0, sizeof(*out));
	if (!tb[GPUPT_A_DEVICE] || !tb[GPUPT_A_BARS])
		return -EPROTO;
	err = devrec_parse(tb[GPUPT_A_DEVICE], &out->dev);
	if (err)
		return err;
	err = bar_list_parse(tb[GPUPT_A_BARS], out->bar, GPUPT_BAR_ROM + 1);
	if (!err && tb[GPUPT_A_WINDOWS])
		err = bar_list_parse(tb[GPUPT_A_WINDOWS], out->win,
				     __GPUPT_WIN_MAX);
	if (!err && tb[GPUPT_A_BRIDGE]) {
		err = devrec_parse(tb[GPUPT_A_BRIDGE], &br);
		if (!err) {
			out->has_bridge = true;
			out->bridge = br.addr;
			devrec_free(&br);
		}
	}
	if (err)
		devrec_free(&out->dev);
	return err;
}

struct bars_ctx {
	struct bars_reply *out;
	bool got;
};

static int bars_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct bars_ctx *ctx = arg;
	int err;

	if (cmd != GPUPT_CMD_BARS_GET || ctx->got)
		return 0;
	err = bars_parse(tb, ctx->out);
	if (err)
		return err;
	ctx->got = true;
	return 0;
}

int bars_get(struct nlconn *nl, const struct gpupt_addr *a,
	     struct bars_reply *out)
{
	struct nlconn_req req = { .cmd = GPUPT_CMD_BARS_GET, .addr = a };
	struct bars_ctx ctx = { .out = out };
	int err;

	memset(out, 0, sizeof(*out));
	err = nlconn_request(nl, &req, bars_cb, &ctx);
	if (err) {
		if (ctx.got)
			devrec_free(&out->dev);
		return err;
	}
	return ctx.got ? 0 : -EPROTO;
}

const char *bars_fb_remedy(const char *name)
{
	if (!strcmp(name, "efifb"))
		return "boot with video=efifb:off";
	if (!strcmp(name, "vesafb"))
		return "boot with video=vesafb:off";
	/* sysfb's simple-framebuffer device ("BOOTFB", sysfb_simplefb.c) and
	 * the drivers that bind it */
	if (!strcmp(name, "BOOTFB") || !strcmp(name, "simple-framebuffer") ||
	    !strcmp(name, "simpledrm") || !strcmp(name, "simplefb"))
		return "boot with initcall_blacklist=sysfb_init";
	return NULL;
}

static void size_str(uint64_t v, char *buf)
{
	mmio_size_str(v, buf);
}

unsigned int bars_findings(const struct bars_reply *r,
			   struct bar_finding *f, unsigned int max)
{
	char sz[MMIO_SIZE_STRLEN];
	unsigned int n = 0;

	for (int i = 0; i <= GPUPT_BAR_ROM && n < max; i++) {
		const struct bar_info *b = &r->bar[i];
		const char *what = i == GPUPT_BAR_ROM ? "ROM" : "BAR";

		if (!b->present || !b->size || (b->flags & GPUPT_BAR_F_IO))
			continue;
		size_str(b->size, sz);
		/*
		 * An unassigned ROM is normal (Linux assigns ROMs lazily) and
		 * vfio-pci reads it on demand: only BARs 0..5 matter.
		 */
		if (!(b->flags & GPUPT_BAR_F_ASSIGNED) && i != GPUPT_BAR_ROM) {
			f[n].bar = i;
			snprintf(f[n].problem, sizeof(f[n].problem),
				 "BAR %d (%s%s) is not assigned", i, sz,
				 b->flags & GPUPT_BAR_F_MEM64 ? ", 64-bit" : "");
			snprintf(f[n].remedy, sizeof(f[n].remedy),
				 "enable Above 4G Decoding / Resizable BAR in the firmware setup, or boot with pci=realloc");
			n++;
			continue;
		}
		for (unsigned int k = 0; k < b->n_reserved && n < max; k++) {
			const char *name = b->reserved_by[k];
			const char *fix = bars_fb_remedy(name);

			f[n].bar = i;
			if (i == GPUPT_BAR_ROM)
				snprintf(f[n].problem, sizeof(f[n].problem),
					 "ROM is reserved by %s", name);
			else
				snprintf(f[n].problem, sizeof(f[n].problem),
					 "%s %d is reserved by %s%s", what, i,
					 name, fix ? " (firmware framebuffer)" : "");
			if (fix)
				snprintf(f[n].remedy, sizeof(f[n].remedy), "%s", fix);
			else
				snprintf(f[n].remedy, sizeof(f[n].remedy),
					 "release it from %s before passthrough (gptctl claim --force, or unbind its driver)",
					 name);
			n++;
		}
	}
	return n;
}

void bars_to_port(const struct bars_reply *r, struct mmio_port *port)
{
	for (int i = 0; i <= GPUPT_BAR_ROM; i++) {
		const struct bar_info *b = &r->bar[i];
		uint32_t flags = b->flags;

		if (!b->present || !b->size || (flags & GPUPT_BAR_F_IO) ||
		    port->nbars >= MMIO_PORT_MAX_BARS)
			continue;
		if (i == GPUPT_BAR_ROM)	/* a 32-bit memory BAR in the guest */
			flags = GPUPT_BAR_F_MEM;
		port->bar[port->nbars].size = b->size;
		port->bar[port->nbars].flags = flags | GPUPT_BAR_F_MEM;
		port->nbars++;
	}
}

/* ---- printing ---- */

static const char *bar_type(const struct bar_info *b, bool rom, char *buf,
			    size_t len)
{
	if (rom)
		snprintf(buf, len, "rom%s",
			 b->flags & GPUPT_BAR_F_ROM_SHADOW ? " (shadow copy)" : "");
	else if (b->flags & GPUPT_BAR_F_IO)
		snprintf(buf, len, "io");
	else
		snprintf(buf, len, "mem%s%s",
			 b->flags & GPUPT_BAR_F_MEM64 ? "64" : "32",
			 b->flags & GPUPT_BAR_F_PREFETCH ? " pref" : "");
	return buf;
}

static void print_reserved(const struct bar_info *b)
{
	char buf[BAR_MAX_RESERVED * (BAR_NAMELEN + 1)];
	size_t off = 0;

	open_json_array("reserved_by");
	buf[0] = '\0';
	for (unsigned int k = 0; k < b->n_reserved; k++) {
		print_string(NULL, NULL, b->reserved_by[k]);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					k ? "," : "", b->reserved_by[k]);
	}
	close_json_array();
	print_text("%s", b->n_reserved ? buf : "-");
}

static void print_rebar(const struct bar_info *b)
{
	char sz[MMIO_SIZE_STRLEN];

	if (b->has_rebar_cur)
		print_uint("rebar_current", NULL, b->rebar_cur);
	else
		print_null("rebar_current", NULL);
	open_json_array("rebar_sizes");
	for (int n = 0; n < 64; n++) {
		if (!(b->rebar_sizes & (UINT64_C(1) << n)) || n > 43)
			continue;
		print_uint(NULL, NULL, MMIO_MiB << n);
	}
	close_json_array();
	if (b->rebar_sizes) {
		int hi = 63 - __builtin_clzll(b->rebar_sizes);
		int lo = __builtin_ctzll(b->rebar_sizes);

		print_text("  rebar %s", mmio_size_str(MMIO_MiB << lo, sz));
		print_text("..%s", mmio_size_str(MMIO_MiB << (hi > 43 ? 43 : hi), sz));
		if (b->has_rebar_cur)
			print_text(" (now %s)", mmio_size_str(b->rebar_cur, sz));
	}
}

static void print_bar_row(const struct bar_info *b, bool rom)
{
	char sz[MMIO_SIZE_STRLEN], type[32];

	if (rom)
		print_text("  ROM ");
	else
		print_uint("index", "  %-3llu ", b->index);
	print_uint("start", "0x%016llx  ", b->start);
	print_uint("size", NULL, b->size);
	print_text("%-18s ", mmio_size_str(b->size, sz));
	print_text("%-17s ", bar_type(b, rom, type, sizeof(type)));
	if (rom) {
		print_bool("shadow", NULL, b->flags & GPUPT_BAR_F_ROM_SHADOW);
	} else {
		print_bool("io", NULL, b->flags & GPUPT_BAR_F_IO);
		print_bool("mem64", NULL, b->flags & GPUPT_BAR_F_MEM64);
		print_bool("prefetch", NULL, b->flags & GPUPT_BAR_F_PREFETCH);
	}
	print_bool("assigned", "%-9s", b->flags & GPUPT_BAR_F_ASSIGNED);
	print_reserved(b);
	if (!rom)
		print_rebar(b);
	print_text("\n");
}

static const char *const win_name[__GPUPT_WIN_MAX] = {
	[GPUPT_WIN_IO] = "io",
	[GPUPT_WIN_MEM] = "mem",
	[GPUPT_WIN_PREF] = "pref",
};

static void print_windows(const struct bars_reply *r)
{
	char addr[GPUPT_ADDR_STRLEN], sz[MMIO_SIZE_STRLEN];

	if (r->has_bridge) {
		addr_format(&r->bridge, addr);
		print_string("bridge", "  bridge %s windows:", addr);
	} else {
		print_null("bridge", NULL);
		print_text("  on a root bus (no bridge windows)");
	}
	open_json_array("bridge_windows");
	for (int i = 0; i < __GPUPT_WIN_MAX; i++) {
		const struct bar_info *w = &r->win[i];

		if (!w->present)
			continue;
		open_json_object(NULL);
		print_string("type", " %s", win_name[i]);
		print_uint("start", " 0x%llx", w->start);
		print_uint("size", NULL, w->size);
		print_text(" (%s%s)", w->size ? mmio_size_str(w->size, sz) : "closed",
			   w->flags & GPUPT_BAR_F_MEM64 ? ", 64-bit" : "");
		print_bool("mem64", NULL, w->flags & GPUPT_BAR_F_MEM64);
		print_bool("prefetch", NULL, i == GPUPT_WIN_PREF);
		close_json_object();
	}
	close_json_array();
	print_text("\n");
}

static void print_bars_reply(const struct bars_reply *r)
{
	struct bar_finding f[16];
	unsigned int nf;
	char addr[GPUPT_ADDR_STRLEN], name[256];
	const struct devrec *d = &r->dev;

	open_json_object(NULL);
	if (is_json()) {
		print_devrec_fields(d);
	} else {
		addr_format(&d->addr, addr);
		print_text("%s %04x:%04x %s (driver %s)\n", addr, d->vendor,
			   d->device, pci_device_name(d->vendor, d->device,
						      name, sizeof(name)),
			   d->has_driver ? d->driver : "none");
		print_text("  BAR START               SIZE               TYPE              ASSIGNED RESERVED BY\n");
	}

	open_json_array("bars");
	for (int i = 0; i < GPUPT_BAR_ROM; i++) {
		if (!r->bar[i].present)
			continue;
		open_json_object(NULL);
		print_bar_row(&r->bar[i], false);
		close_json_object();
	}
	close_json_array();

	if (r->bar[GPUPT_BAR_ROM].present && r->bar[GPUPT_BAR_ROM].size) {
		open_json_object("rom");
		print_bar_row(&r->bar[GPUPT_BAR_ROM], true);
		close_json_object();
	} else {
		print_null("rom", NULL);
	}
	print_windows(r);

	nf = bars_findings(r, f, sizeof(f) / sizeof(f[0]));
	open_json_array("findings");
	for (unsigned int i = 0; i < nf; i++) {
		open_json_object(NULL);
		print_int("bar", NULL, f[i].bar);
		print_string("problem", "  ! %s", f[i].problem);
		print_string("remedy", ": %s\n", f[i].remedy);
		close_json_object();
	}
	close_json_array();
	close_json_object();
}

int cmd_bars(int argc, char **argv)
{
	static const struct option longopts[] = { { NULL, 0, NULL, 0 } };
	struct gpupt_addr *addrs;
	struct nlconn *nl;
	int c, n, ret = EXIT_OK;

	while ((c = cmd_getopt(argc, argv, "", longopts)) != -1)
		return EXIT_USAGE;
	n = argc - optind;
	if (n < 1)
		return usage_error("missing PCI address");
	addrs = calloc((size_t)n, sizeof(*addrs));
	if (!addrs) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		if (addr_arg(argv[optind + i], &addrs[i])) {
			free(addrs);
			return EXIT_USAGE;
		}
	}

	ret = nlconn_connect(&nl);
	if (ret) {
		free(addrs);
		return ret;
	}
	open_json_array(NULL);
	for (int i = 0; i < n; i++) {
		struct bars_reply r;
		int err = bars_get(nl, &addrs[i], &r);

		if (err) {
			ret = nlconn_error(nl, err, "cannot read the BARs of %s",
					   argv[optind + i]);
			continue;
		}
		if (i)
			print_text("\n");
		print_bars_reply(&r);
		devrec_free(&r.dev);
	}
	close_json_array();
	print_end();
	nlconn_close(nl);
	free(addrs);
	return ret;
}
