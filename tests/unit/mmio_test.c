// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the guest MMIO planner (ctl/mmio.c).
 *
 * Each case is a real GPU's BAR layout as the host reports it, placed on
 * one guest pcie-root-port per GPU.  The expected knob values are not
 * derived from the planner: 524288 is the value that made field report 000
 * work (a B200; 262144 did not), and the others follow from OVMF's rules
 * as quoted at the top of ctl/mmio.c, worked by hand in each case.
 *
 * Also the BAR findings of gptctl bars (ctl/bars.c): each problem comes
 * with its remedy (firmware setting or boot option).
 *
 * Built by tests/unit/Makefile against ctl/libgptctl.a.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/gpupt.h>

#include "bars.h"
#include "mmio.h"

static int failures, checks;

#define CHECK_EQ(what, got, want) do {					\
	uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);		\
	checks++;							\
	if (g_ != w_) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d %s: %s = %" PRIu64		\
			" (0x%" PRIx64 "), want %" PRIu64 "\n",		\
			__FILE__, __LINE__, what, #got, g_, g_, w_);	\
	}								\
} while (0)

#define M32	(GPUPT_BAR_F_MEM)
#define P64	(GPUPT_BAR_F_MEM | GPUPT_BAR_F_MEM64 | GPUPT_BAR_F_PREFETCH)
#define M64	(GPUPT_BAR_F_MEM | GPUPT_BAR_F_MEM64)
#define IO	(GPUPT_BAR_F_IO)

static void add(struct mmio_port *p, uint64_t size, uint32_t flags)
{
	p->bar[p->nbars].size = size;
	p->bar[p->nbars].flags = flags;
	p->nbars++;
}

/* NVIDIA B200 (10de:2901): BAR0 64 MiB 32-bit; BAR2 256 GiB, BAR4 32 MiB
 * 64-bit prefetchable. */
static void b200(struct mmio_port *p)
{
	memset(p, 0, sizeof(*p));
	add(p, 64 * MMIO_MiB, M32);
	add(p, 256 * MMIO_GiB, P64);
	add(p, 32 * MMIO_MiB, P64);
}

/* NVIDIA H100: BAR0 16 MiB; BAR1 128 GiB, BAR3 32 MiB 64-bit pref. */
static void h100(struct mmio_port *p)
{
	memset(p, 0, sizeof(*p));
	add(p, 16 * MMIO_MiB, M32);
	add(p, 128 * MMIO_GiB, P64);
	add(p, 32 * MMIO_MiB, P64);
}

static void test_one_b200(void)
{
	struct mmio_port port;
	struct mmio_window win;
	struct mmio_plan plan;

	b200(&port);
	mmio_port_window(&port, &win);
	/* the window is packed, not rounded to its alignment */
	CHECK_EQ("b200 window", win.pref64, 256 * MMIO_GiB + 32 * MMIO_MiB);
	CHECK_EQ("b200 window align", win.pref64_align, 256 * MMIO_GiB);
	CHECK_EQ("b200 mem32", win.mem32, 64 * MMIO_MiB);

	CHECK_EQ("b200 rc", mmio_plan(&port, 1, NULL, &plan), 0);
	/* the field's value; 262144 (256 GiB) cannot hold 256 GiB + 32 MiB */
	CHECK_EQ("b200 knob", plan.knob_mb, 524288);
	CHECK_EQ("b200 needed", plan.knob_needed, 1);
	CHECK_EQ("b200 largest", plan.largest, 256 * MMIO_GiB);
	/* [512 GiB, 1 TiB): exactly QEMU's default 40 phys-bits */
	CHECK_EQ("b200 min bits", plan.min_phys_bits, 40);
	CHECK_EQ("b200 phys bits", plan.phys_bits, 40);
	CHECK_EQ("b200 fits", plan.fits, 1);
	/* dynamic window at 40 bits is 128 GiB: smaller, so the knob wins */
	CHECK_EQ("b200 dynamic", plan.dynamic, 128 * MMIO_GiB);
	CHECK_EQ("b200 knob ignored", plan.knob_ignored, 0);
}

static void test_eight_b200(void)
{
	struct mmio_port ports[8];
	struct mmio_guest host_bits = { .phys_bits = 46 };
	struct mmio_guest big_ram = { .phys_bits = 46, .ram_end = 2 * MMIO_TiB + 4 * MMIO_GiB };
	struct mmio_plan plan;

	for (int i = 0; i < 8; i++)
		b200(&ports[i]);
	CHECK_EQ("8xb200 rc", mmio_plan(ports, 8, NULL, &plan), 0);
	/* 7 windows at 512 GiB strides + the last 256 GiB + 32 MiB */
	CHECK_EQ("8xb200 total", plan.pref64_total,
		 7 * 512 * MMIO_GiB + 256 * MMIO_GiB + 32 * MMIO_MiB);
	CHECK_EQ("8xb200 knob", plan.knob_mb, 4 * 1024 * 1024);	/* 4 TiB */
	CHECK_EQ("8xb200 mem32", plan.mem32_total, 8 * 64 * MMIO_MiB);
	/* [4 TiB, 8 TiB) needs 43 bits: QEMU's default 40 cannot hold it */
	CHECK_EQ("8xb200 min bits", plan.min_phys_bits, 43);
	CHECK_EQ("8xb200 fits@40", plan.fits, 0);

	/* host-phys-bits=on on a 46-bit host: dynamic window 8 TiB */
	CHECK_EQ("8xb200 rc@46", mmio_plan(ports, 8, &host_bits, &plan), 0);
	CHECK_EQ("8xb200 dynamic@46", plan.dynamic, 8 * MMIO_TiB);
	CHECK_EQ("8xb200 ignored@46", plan.knob_ignored, 1);
	CHECK_EQ("8xb200 fits@46", plan.fits, 1);
	CHECK_EQ("8xb200 knob@46", plan.knob_mb, 4 * 1024 * 1024);

	/* RAM ending above 2 TiB pushes the aperture base to 4 TiB: same */
	CHECK_EQ("8xb200 rc ram", mmio_plan(ports, 8, &big_ram, &plan), 0);
	CHECK_EQ("8xb200 min bits ram", plan.min_phys_bits, 43);
	big_ram.ram_end = 4 * MMIO_TiB + 1;
	CHECK_EQ("8xb200 rc ram2", mmio_plan(ports, 8, &big_ram, &plan), 0);
	CHECK_EQ("8xb200 min bits ram2", plan.min_phys_bits, 44);
}

static void test_one_h100(void)
{
	struct mmio_port port;
	struct mmio_plan plan;

	h100(&port);
	CHECK_EQ("h100 rc", mmio_plan(&port, 1, NULL, &plan), 0);
	CHECK_EQ("h100 total", plan.pref64_total, 128 * MMIO_GiB + 32 * MMIO_MiB);
	CHECK_EQ("h100 knob", plan.knob_mb, 262144);
	CHECK_EQ("h100 needed", plan.knob_needed, 1);
	CHECK_EQ("h100 min bits", plan.min_phys_bits, 39);
	CHECK_EQ("h100 fits", plan.fits, 1);
}

/* A GTX 750-class card: BAR0 16 MiB, BAR1 256 MiB + BAR3 32 MiB 64-bit
 * pref, an I/O BAR, plus its HDMI audio at .1 on the same port. */
static void test_small_gpu(void)
{
	struct mmio_port port = { 0 };
	struct mmio_plan plan;

	add(&port, 16 * MMIO_MiB, M32);
	add(&port, 256 * MMIO_MiB, P64);
	add(&port, 32 * MMIO_MiB, P64);
	add(&port, 128, IO);
	add(&port, 16 * MMIO_KiB, M32);		/* audio BAR0 */
	CHECK_EQ("small rc", mmio_plan(&port, 1, NULL, &plan), 0);
	CHECK_EQ("small total", plan.pref64_total, 288 * MMIO_MiB);
	CHECK_EQ("small needed", plan.knob_needed, 0);
	CHECK_EQ("small aperture", plan.aperture, 2 * MMIO_GiB);
	CHECK_EQ("small fits", plan.fits, 1);
	/* 16 MiB + 16 KiB (1 MiB granular) */
	CHECK_EQ("small mem32", plan.mem32_total, 17 * MMIO_MiB);
}

/* The rig's stand-in: ivshmem-plain, BAR0 256 B, BAR1 4 KiB, BAR2 256 GiB
 * 64-bit pref.  A lone 256 GiB window still gets the reserve on top. */
static void test_ivshmem(void)
{
	struct mmio_port port = { 0 };
	struct mmio_plan plan;

	add(&port, 256, M32);
	add(&port, 256 * MMIO_GiB, P64);
	CHECK_EQ("ivshmem rc", mmio_plan(&port, 1, NULL, &plan), 0);
	CHECK_EQ("ivshmem knob", plan.knob_mb, 524288);
}

/* 64-bit non-prefetchable BARs cannot go in a bridge's prefetchable window:
 * they are degraded below 4 GiB. */
static void test_degrade(void)
{
	struct mmio_port port = { 0 };
	struct mmio_window win;

	add(&port, 64 * MMIO_MiB, M64);
	add(&port, 8 * MMIO_GiB, P64);
	mmio_port_window(&port, &win);
	CHECK_EQ("degrade mem32", win.mem32, 64 * MMIO_MiB);
	CHECK_EQ("degrade pref64", win.pref64, 8 * MMIO_GiB);
}

/* Windows of unequal alignment pack largest first, with no holes. */
static void test_mixed(void)
{
	struct mmio_port ports[2];
	struct mmio_plan plan;

	h100(&ports[0]);
	b200(&ports[1]);
	CHECK_EQ("mixed rc", mmio_plan(ports, 2, NULL, &plan), 0);
	/* b200 window at 0 (256G + 32M), h100 at 384 GiB (aligned 128G) */
	CHECK_EQ("mixed total", plan.pref64_total,
		 384 * MMIO_GiB + 128 * MMIO_GiB + 32 * MMIO_MiB);
	CHECK_EQ("mixed knob", plan.knob_mb, 1024 * 1024);
}

static void test_errors(void)
{
	struct mmio_port port = { 0 };
	struct mmio_plan plan;
	struct mmio_port many[33];

	add(&port, 3 * MMIO_MiB, P64);
	CHECK_EQ("non-pow2", mmio_plan(&port, 1, NULL, &plan), -EINVAL);

	/* 32 B200s: 16 TiB exactly, the largest knob OVMF accepts */
	for (int i = 0; i < 33; i++)
		b200(&many[i]);
	CHECK_EQ("16T rc", mmio_plan(many, 32, NULL, &plan), 0);
	CHECK_EQ("16T knob", plan.knob_mb, MMIO_KNOB_MAX_MB);
	/* 33: 32 TiB, beyond it */
	CHECK_EQ("too big", mmio_plan(many, 33, NULL, &plan), -E2BIG);
}

static void test_helpers(void)
{
	char buf[MMIO_SIZE_STRLEN];

	CHECK_EQ("log2 1", mmio_log2_up(1), 0);
	CHECK_EQ("log2 1T", mmio_log2_up(MMIO_TiB), 40);
	CHECK_EQ("log2 1T+1", mmio_log2_up(MMIO_TiB + 1), 41);
	CHECK_EQ("dyn 52", mmio_dynamic_window(52), 8 * MMIO_TiB);
	CHECK_EQ("dyn 39", mmio_dynamic_window(39), 64 * MMIO_GiB);

	checks++;
	if (strcmp(mmio_size_str(256 * MMIO_GiB + 32 * MMIO_MiB, buf),
		   "256 GiB + 32 MiB")) {
		failures++;
		fprintf(stderr, "FAIL size_str: '%s'\n", buf);
	}
	checks++;
	if (strcmp(mmio_size_str(16 * MMIO_KiB, buf), "16 KiB")) {
		failures++;
		fprintf(stderr, "FAIL size_str: '%s'\n", buf);
	}
}

#define CHECK_STR(what, got, want) do {					\
	checks++;							\
	if (!(got) || !strstr((got), (want))) {				\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d %s: '%s' lacks '%s'\n",	\
			__FILE__, __LINE__, what, (got) ? (got) : "(null)", want); \
	}								\
} while (0)

static void bar(struct bars_reply *r, int i, uint64_t size, uint32_t flags)
{
	r->bar[i].present = true;
	r->bar[i].index = (uint8_t)i;
	r->bar[i].size = size;
	r->bar[i].flags = flags;
}

static void test_findings(void)
{
	struct bars_reply r;
	struct bar_finding f[8];
	struct mmio_port port = { 0 };
	unsigned int n;

	/* a host with Above 4G Decoding off: BAR2 left unassigned */
	memset(&r, 0, sizeof(r));
	bar(&r, 0, 64 * MMIO_MiB, M32 | GPUPT_BAR_F_ASSIGNED);
	bar(&r, 2, 256 * MMIO_GiB, P64);
	bar(&r, GPUPT_BAR_ROM, 128 * MMIO_KiB, M32);	/* unassigned ROM: fine */
	n = bars_findings(&r, f, 8);
	CHECK_EQ("unassigned: one finding", n, 1);
	CHECK_EQ("unassigned: BAR 2", f[0].bar, 2);
	CHECK_STR("unassigned problem", f[0].problem, "BAR 2 (256 GiB, 64-bit) is not assigned");
	CHECK_STR("unassigned remedy", f[0].remedy,
		  "enable Above 4G Decoding / Resizable BAR in the firmware setup, or boot with pci=realloc");

	/* framebuffers, by holder */
	memset(&r, 0, sizeof(r));
	bar(&r, 0, 16 * MMIO_MiB, M32 | GPUPT_BAR_F_PREFETCH | GPUPT_BAR_F_ASSIGNED);
	bar(&r, 1, 16 * MMIO_MiB, M32 | GPUPT_BAR_F_ASSIGNED);
	bar(&r, 3, 32 * MMIO_MiB, P64 | GPUPT_BAR_F_ASSIGNED);
	r.bar[0].n_reserved = 1;
	strcpy(r.bar[0].reserved_by[0], "efifb");
	r.bar[1].n_reserved = 1;
	strcpy(r.bar[1].reserved_by[0], "nvidia");
	r.bar[3].n_reserved = 1;
	strcpy(r.bar[3].reserved_by[0], "BOOTFB");
	n = bars_findings(&r, f, 8);
	CHECK_EQ("fb: three findings", n, 3);
	CHECK_STR("efifb problem", f[0].problem, "BAR 0 is reserved by efifb");
	CHECK_STR("efifb remedy", f[0].remedy, "boot with video=efifb:off");
	CHECK_STR("driver remedy", f[1].remedy, "nvidia");
	CHECK_STR("BOOTFB remedy", f[2].remedy, "boot with initcall_blacklist=sysfb_init");
	CHECK_STR("vesafb", bars_fb_remedy("vesafb"), "video=vesafb:off");
	CHECK_STR("simpledrm", bars_fb_remedy("simpledrm"), "initcall_blacklist=sysfb_init");
	CHECK_EQ("a driver is no framebuffer", bars_fb_remedy("nvidia") == NULL, 1);

	/* the guest sees the ROM as a 32-bit BAR; I/O BARs are not MMIO */
	memset(&r, 0, sizeof(r));
	bar(&r, 0, 16 * MMIO_MiB, M32);
	bar(&r, 1, 128 * MMIO_GiB, P64);
	bar(&r, 4, 128, IO);
	bar(&r, GPUPT_BAR_ROM, 512 * MMIO_KiB, M32 | GPUPT_BAR_F_ROM_SHADOW);
	bars_to_port(&r, &port);
	CHECK_EQ("port bars", port.nbars, 3);
	CHECK_EQ("rom flags", port.bar[2].flags, M32);
}

int main(void)
{
	test_one_b200();
	test_eight_b200();
	test_one_h100();
	test_small_gpu();
	test_ivshmem();
	test_degrade();
	test_mixed();
	test_errors();
	test_helpers();
	test_findings();
	printf("mmio_test: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
