// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the PROM read sequence (ctl/romread.c) against a fake
 * BAR0 that records every register access.
 *
 * The expected logs are written out by hand from envytools' nvagetbios
 * (nva/nvagetbios.c, vbios_extract_prom()) and nouveau (shadowrom.c,
 * nvkm_pci_rom_shadow()): read PMC_BOOT_0, read the ROM shadow control at
 * BAR0 + 0x1800 + 0x50 (NV04..NV3x) or BAR0 + 0x88000 + 0x50 (NV40 on),
 * write it back with bit 0 clear, read the PROM window at 0x300000 with
 * 32-bit reads, write the saved value back.  The fake serves the flash only
 * while bit 0 is clear (as the hardware does), so a missing or misplaced
 * enable shows as a wrong buffer, not only as a wrong log.  Nothing may be
 * written to a GPU that is not NVIDIA's, does not answer, or is of a
 * generation without a known sequence.
 *
 * Also `rom dump --source auto`'s choice between the sysfs copy and the
 * PROM (rom_auto_pick()), which the VM rig cannot reach on NVIDIA: there is
 * no emulated NVIDIA GPU.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "romread.h"
#include "unit.h"

#define LOG_MAX	16

struct access {
	char op;		/* 'R' or 'W' */
	uint32_t off;
	uint32_t val;
};

struct fake_gpu {
	uint32_t boot0;
	uint32_t rom_ctl_off;	/* where this generation's control lives */
	uint32_t rom_ctl;
	uint8_t flash[NV_PROM_SIZE];
	/* register accesses outside the PROM window, in order */
	struct access log[LOG_MAX];
	unsigned int nlog;
	unsigned int overflow;
	/* PROM window reads, and those made while the shadow was on */
	unsigned int window_reads, window_shadowed;
	uint64_t window_max;	/* highest offset read in the window */
};

static void log_access(struct fake_gpu *g, char op, uint64_t off, uint32_t val)
{
	if (g->nlog == LOG_MAX) {
		g->overflow++;
		return;
	}
	g->log[g->nlog++] = (struct access){ op, (uint32_t)off, val };
}

static uint32_t fake_rd32(void *ctx, uint64_t off)
{
	struct fake_gpu *g = ctx;
	uint32_t v;

	if (off >= NV_PROM && off < NV_PROM + NV_PROM_SIZE) {
		g->window_reads++;
		if (off > g->window_max)
			g->window_max = off;
		if (g->rom_ctl & 1) {
			g->window_shadowed++;
			return 0xbad0bad0;
		}
		off -= NV_PROM;
		return (uint32_t)g->flash[off] | (uint32_t)g->flash[off + 1] << 8 |
		       (uint32_t)g->flash[off + 2] << 16 |
		       (uint32_t)g->flash[off + 3] << 24;
	}
	if (off == NV_PMC_BOOT_0)
		v = g->boot0;
	else if (off == g->rom_ctl_off)
		v = g->rom_ctl;
	else
		v = 0;
	log_access(g, 'R', off, v);
	return v;
}

static void fake_wr32(void *ctx, uint64_t off, uint32_t val)
{
	struct fake_gpu *g = ctx;

	if (off == g->rom_ctl_off)
		g->rom_ctl = val;
	log_access(g, 'W', off, val);
}

static struct fake_gpu *fake_new(uint32_t boot0, uint32_t rom_ctl_off,
				 uint32_t rom_ctl)
{
	struct fake_gpu *g = calloc(1, sizeof(*g));
	size_t i;

	if (!g)
		abort();
	g->boot0 = boot0;
	g->rom_ctl_off = rom_ctl_off;
	g->rom_ctl = rom_ctl;
	for (i = 0; i < sizeof(g->flash); i++)
		g->flash[i] = (uint8_t)(i * 7 + (i >> 8));
	g->flash[0] = 0x55;
	g->flash[1] = 0xaa;
	return g;
}

static struct rom_mmio bar0(struct fake_gpu *g, uint64_t size)
{
	return (struct rom_mmio){ fake_rd32, fake_wr32, g, size };
}

static void check_log(const struct fake_gpu *g, const struct access *want,
		      unsigned int n)
{
	unsigned int i;

	CHECK_INT(g->overflow, 0);
	CHECK_INT(g->nlog, n);
	for (i = 0; i < n && i < g->nlog; i++) {
		if (g->log[i].op != want[i].op || g->log[i].off != want[i].off ||
		    g->log[i].val != want[i].val) {
			unit_cur_failed++;
			printf("# access %u: %c 0x%06x = 0x%08x, want %c 0x%06x = 0x%08x\n",
			       i, g->log[i].op, g->log[i].off, g->log[i].val,
			       want[i].op, want[i].off, want[i].val);
		}
	}
}

static uint8_t buf[NV_PROM_SIZE];

/* One supported generation: the log, the buffer, the restored control. */
static void sequence(uint32_t boot0, uint32_t ctl_off, uint32_t saved,
		     unsigned int chipset, const char *family)
{
	struct fake_gpu *g = fake_new(boot0, ctl_off, saved);
	struct rom_mmio m = bar0(g, 16u << 20);
	const struct access want[] = {
		{ 'R', NV_PMC_BOOT_0, boot0 },
		{ 'R', ctl_off, saved },
		{ 'W', ctl_off, saved & ~1u },
		{ 'W', ctl_off, saved },
	};
	struct rom_nv_gen gen;
	char why[200] = "";
	size_t len = 0;

	memset(buf, 0, sizeof(buf));
	CHECK_INT(rom_nv_prom_read(&m, 0x10de, buf, sizeof(buf), &len, &gen,
				   why, sizeof(why)), 0);
	check_log(g, want, 4);
	CHECK_INT(len, NV_PROM_SIZE);
	CHECK_INT(g->window_reads, NV_PROM_SIZE / 4);
	CHECK_INT(g->window_shadowed, 0);
	CHECK(!memcmp(buf, g->flash, NV_PROM_SIZE));
	CHECK_INT(g->rom_ctl, saved);
	CHECK_INT(gen.chipset, chipset);
	CHECK_STR(gen.family, family);
	CHECK_INT(gen.rom_ctl, ctl_off);
	free(g);
}

static void t_turing(void)	{ sequence(0x164000a1, 0x088050, 0x00000001, 0x164, "Turing"); }
static void t_ampere(void)	{ sequence(0x174000a1, 0x088050, 0x00000001, 0x174, "Ampere"); }
static void t_ada(void)		{ sequence(0x196000a1, 0x088050, 0x00000001, 0x196, "Ada"); }
static void t_kepler(void)	{ sequence(0x0e4000a1, 0x088050, 0x00000001, 0x0e4, "Kepler"); }
static void t_nv43(void)	{ sequence(0x043000a1, 0x088050, 0x00000001, 0x043, "NV40"); }
static void t_nv17(void)	{ sequence(0x017000a1, 0x001850, 0x00000001, 0x017, "NV10"); }
static void t_nv04(void)	{ sequence(0x20004001, 0x001850, 0x00000001, 0x004, "NV04"); }
static void t_nv05(void)	{ sequence(0x20104001, 0x001850, 0x00000001, 0x005, "NV04"); }

/* Only bit 0 changes; the other bits of the control come back as they were. */
static void t_other_bits_kept(void)
{
	sequence(0x164000a1, 0x088050, 0xdeadbee1, 0x164, "Turing");
	/* shadow already off: still the same three accesses, nothing lost */
	sequence(0x164000a1, 0x088050, 0x00000000, 0x164, "Turing");
}

/* No access at all, or only reads: nothing is written. */
static void refused(uint16_t vendor, uint32_t boot0, uint64_t bar_size,
		    int want_err, unsigned int want_reads, const char *why_has)
{
	struct fake_gpu *g = fake_new(boot0, 0x088050, 0x00000001);
	struct rom_mmio m = bar0(g, bar_size);
	struct rom_nv_gen gen;
	char why[200] = "";
	size_t len = 1;
	unsigned int i;

	CHECK_INT(rom_nv_prom_read(&m, vendor, buf, sizeof(buf), &len, &gen,
				   why, sizeof(why)), want_err);
	CHECK_INT(len, 0);
	CHECK_INT(g->nlog, want_reads);
	for (i = 0; i < g->nlog; i++)
		CHECK(g->log[i].op == 'R' && g->log[i].off == NV_PMC_BOOT_0);
	CHECK_INT(g->window_reads, 0);
	CHECK_INT(g->rom_ctl, 0x00000001);
	if (!strstr(why, why_has)) {
		unit_cur_failed++;
		printf("# why = \"%s\", want it to contain \"%s\"\n", why, why_has);
	}
	free(g);
}

static void t_not_nvidia(void)	{ refused(0x1002, 0x164000a1, 16u << 20, -ENODEV, 0, "not NVIDIA"); }
static void t_bar_too_small(void) { refused(0x10de, 0x164000a1, 1u << 20, -ENODEV, 0, "too small"); }
static void t_no_answer(void)	{ refused(0x10de, 0xffffffff, 16u << 20, -EIO, 1, "does not answer"); }
static void t_nv4c_igp(void)	{ refused(0x10de, 0x04c000a1, 16u << 20, -ENODEV, 1, "IGP"); }
static void t_mcp67_igp(void)	{ refused(0x10de, 0x067000a1, 16u << 20, -ENODEV, 1, "IGP"); }
static void t_unknown_gen(void)	{ refused(0x10de, 0x1b2000a1, 16u << 20, -ENODEV, 1, "does not know"); }
static void t_nv03(void)	{ refused(0x10de, 0x00030100, 16u << 20, -ENODEV, 1, "NV03"); }

/* A smaller buffer reads only as much of the window. */
static void t_bounded(void)
{
	struct fake_gpu *g = fake_new(0x164000a1, 0x088050, 1);
	struct rom_mmio m = bar0(g, 16u << 20);
	struct rom_nv_gen gen;
	char why[200];
	size_t len;

	CHECK_INT(rom_nv_prom_read(&m, 0x10de, buf, 0x10000, &len, &gen, why,
				   sizeof(why)), 0);
	CHECK_INT(len, 0x10000);
	CHECK_INT(g->window_reads, 0x4000);
	CHECK_INT(g->window_max, NV_PROM + 0x10000 - 4);
	CHECK_INT(g->rom_ctl, 1);
	free(g);
}

/* The generic window read: little-endian bytes, a length not a multiple of 4. */
static void t_window(void)
{
	struct fake_gpu *g = fake_new(0, 0, 0);
	struct rom_mmio m = bar0(g, 16u << 20);
	uint8_t b[7];

	memset(b, 0, sizeof(b));
	rom_window_read(&m, NV_PROM, b, sizeof(b));
	CHECK(!memcmp(b, g->flash, sizeof(b)));
	CHECK_INT(g->window_reads, 2);
	CHECK_INT(g->nlog, 0);
	free(g);
}

/* --source auto's choice, from the sysfs copy's report. */
static void auto_case(uint16_t vendor, bool boot_vga, int kind,
		      enum rom_auto want, const char *reason_has)
{
	struct rom_report *r = calloc(1, sizeof(*r));
	char reason[ROM_MSG_LEN + 64] = "";
	enum rom_auto got;

	if (!r)
		abort();
	r->nimages = 1;
	switch (kind) {
	case 1:		/* a POSTed VBIOS's shadow */
		r->shadow = true;
		r->nerrors = 1;
		r->nfindings = 1;
		r->finding[0].severity = ROM_ERROR;
		strcpy(r->finding[0].msg, "shadow copy of a POSTed VBIOS");
		break;
	case 2:		/* another error */
		r->nerrors = 1;
		r->nfindings = 2;
		r->finding[0].severity = ROM_WARN;
		strcpy(r->finding[0].msg, "a warning");
		r->finding[1].severity = ROM_ERROR;
		strcpy(r->finding[1].msg, "image at 0x0 (x86): bad checksum");
		break;
	}
	got = rom_auto_pick(vendor, boot_vga, kind == 3 ? NULL : r,
			    kind == 3 ? "reading rom failed: Input/output error" : NULL,
			    reason, sizeof(reason));
	CHECK_INT(got, want);
	if (!strstr(reason, reason_has)) {
		unit_cur_failed++;
		printf("# reason = \"%s\", want it to contain \"%s\"\n", reason, reason_has);
	}
	free(r);
}

static void t_auto(void)
{
	/* kind: 0 clean, 1 POSTed shadow, 2 bad checksum, 3 unreadable */
	auto_case(0x10de, false, 0, ROM_AUTO_SYSFS, "passes rom check");
	auto_case(0x10de, true, 0, ROM_AUTO_PROM, "shadow copy (boot VGA device)");
	auto_case(0x10de, false, 1, ROM_AUTO_PROM, "shadow copy of a POSTed VBIOS");
	auto_case(0x10de, false, 2, ROM_AUTO_PROM, "fails rom check: image at 0x0 (x86): bad checksum");
	auto_case(0x10de, false, 3, ROM_AUTO_PROM, "could not be read: reading rom failed");
	auto_case(0x1002, false, 0, ROM_AUTO_SYSFS, "passes rom check");
	auto_case(0x1002, true, 0, ROM_AUTO_SYSFS, "not an NVIDIA GPU");
	auto_case(0x1002, false, 2, ROM_AUTO_SYSFS, "not an NVIDIA GPU");
	auto_case(0x1002, false, 3, ROM_AUTO_FAIL, "reading rom failed");
}

int main(void)
{
	RUN(t_turing);
	RUN(t_ampere);
	RUN(t_ada);
	RUN(t_kepler);
	RUN(t_nv43);
	RUN(t_nv17);
	RUN(t_nv04);
	RUN(t_nv05);
	RUN(t_other_bits_kept);
	RUN(t_not_nvidia);
	RUN(t_bar_too_small);
	RUN(t_no_answer);
	RUN(t_nv4c_igp);
	RUN(t_mcp67_igp);
	RUN(t_unknown_gen);
	RUN(t_nv03);
	RUN(t_bounded);
	RUN(t_window);
	RUN(t_auto);
	return unit_done();
}
