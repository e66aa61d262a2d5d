// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MMIO planner (see mmio.h).  Pure functions, no I/O.
 *
 * The model follows OVMF (tianocore/edk2) as QEMU's q35 guests run it:
 *
 * 1. Where the 64-bit aperture comes from:
 *    OvmfPkg/Library/PlatformInitLib/MemDetect.c, PlatformGetFirstNonAddress():
 *    the aperture size is PcdPciMmio64Size, 32 GiB by default
 *    (OvmfPkgX64.dsc: PcdPciMmio64Size|0x800000000), replaced by
 *    "opt/ovmf/X-PciMmio64Mb" (in MiB, accepted up to 0x1000000 = 16 TiB,
 *    else "ignoring malformed 64-bit PCI host aperture size").  The size is
 *    aligned up to 1 GiB and the base, placed after RAM (and the memory
 *    hotplug area, "etc/reserved-memory-end"), is aligned to 1 GiB and then
 *    to GetPowerOfTwo64(size): a power-of-two aperture is naturally aligned.
 *
 * 2. The dynamic window: same file, PlatformAddressWidthFromCpuid() and
 *    PlatformDynamicMmioWindow() (edk2-stable202211 and later).  When OVMF
 *    trusts the CPU's phys-bits (41 or more; or 36/39 on Intel, 40 on AMD;
 *    capped at 46, and at 40 without 1 GiB pages), it computes
 *    MmioSpace = 2^(PhysBits - 3) and uses [2^PhysBits - MmioSpace,
 *    2^PhysBits) *only if* the classic size (default or knob) is smaller
 *    than MmioSpace.  So the knob is ignored when it is smaller than the
 *    dynamic window, and wins when it is larger.
 *
 * 3. How a root port's window is sized: MdeModulePkg/Bus/Pci/PciBusDxe/
 *    PciResourceSupport.c, CalculateResourceAperture(): children are kept
 *    in descending alignment (InsertResourceNode), each placed at
 *    ALIGN_VALUE(offset, its alignment), the total aligned to the bridge's
 *    own granularity (1 MiB for memory windows), and the bridge's alignment
 *    becomes its largest child's.  The root bridge packs the ports' windows
 *    the same way.  64-bit non-prefetchable BARs, and 32-bit prefetchable
 *    ones next to 64-bit prefetchable ones, are degraded to the 32-bit
 *    non-prefetchable window (PciLib.c, DegradeResource()).  OVMF's
 *    PciHotPlugInitDxe pads a hotplug port's non-prefetchable window to
 *    2 MiB and, unless QEMU's pref64-reserve says otherwise, does not pad
 *    the prefetchable one.
 *
 * 4. When the root bridge's 64-bit request does not fit the aperture,
 *    PciBusDxe drops the largest consumer and retries: the GPU's big BAR
 *    is left unassigned, which is field report 000 ("NVRM: BAR0 is 0M @
 *    0x0").
 *
 * Measured on this project's rig (QEMU 7.2, Debian's OVMF 2022.11, TCG,
 * phys-bits 40, q35, one pcie-root-port holding a 256 GiB ivshmem at .0 and
 * a 32 MiB ivshmem at .1, which is a B200's prefetchable layout):
 * X-PciMmio64Mb=262144 leaves the 256 GiB BAR unassigned; 263168 (257 GiB,
 * the packed window rounded up to OVMF's 1 GiB) assigns it; 524288 assigns
 * it.  A lone 256 GiB BAR fits 262144, until one virtio-net-pci on another
 * root port takes a 1 MiB window and OVMF drops the 256 GiB BAR again.
 * Hence the plan: pack the windows exactly as PciBusDxe does, add
 * MMIO_RESERVE for the guest's other devices, and round up to a power of
 * two (what users and the field report use, and naturally aligned so the
 * aperture's base is never forced higher than its size).  One B200 gives
 * 256 GiB + 32 MiB + 1 GiB -> 512 GiB = 524288, the value that worked in
 * the field.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/gpupt.h>

#include "mmio.h"

#define BRIDGE_GRANULE		MMIO_MiB	/* memory window granularity */
#define HOTPLUG_MEM32_PAD	(2 * MMIO_MiB)	/* PciHotPlugInitDxe default */
#define OVMF_APERTURE_ALIGN	MMIO_GiB

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

unsigned int mmio_log2_up(uint64_t v)
{
	unsigned int n = 0;

	while (n < 64 && (UINT64_C(1) << n) < v)
		n++;
	return n;
}

uint64_t mmio_dynamic_window(unsigned int phys_bits)
{
	if (phys_bits > MMIO_OVMF_MAX_PHYS_BITS)
		phys_bits = MMIO_OVMF_MAX_PHYS_BITS;
	if (phys_bits < 4)
		return 0;
	return UINT64_C(1) << (phys_bits - 3);
}

/* Place items (sizes with alignments) in descending alignment order. */
struct item {
	uint64_t size;
	uint64_t align;
};

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->align != y->align)
		return x->align < y->align ? 1 : -1;
	/* among equals, larger first (InsertResourceNode keeps the bigger
	 * remainder first; the total is the same either way) */
	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return 0;
}

static void sort_items(struct item *it, unsigned int n)
{
	/* insertion sort: n is small, and qsort's instability is irrelevant */
	for (unsigned int i = 1; i < n; i++) {
		struct item t = it[i];
		unsigned int j = i;

		while (j > 0 && cmp_item(&it[j - 1], &t) > 0) {
			it[j] = it[j - 1];
			j--;
		}
		it[j] = t;
	}
}

static uint64_t pack(struct item *it, unsigned int n, uint64_t *max_align)
{
	uint64_t off = 0;

	sort_items(it, n);
	*max_align = n ? it[0].align : 0;
	for (unsigned int i = 0; i < n; i++) {
		off = align_up(off, it[i].align);
		off += it[i].size;
	}
	return off;
}

static bool in_pref64(uint32_t flags)
{
	return (flags & GPUPT_BAR_F_MEM) && (flags & GPUPT_BAR_F_MEM64) &&
	       (flags & GPUPT_BAR_F_PREFETCH);
}

void mmio_port_window(const struct mmio_port *port, struct mmio_window *win)
{
	struct item p[MMIO_PORT_MAX_BARS], m[MMIO_PORT_MAX_BARS];
	unsigned int np = 0, nm = 0;
	uint64_t a;

	memset(win, 0, sizeof(*win));
	for (unsigned int i = 0; i < port->nbars && i < MMIO_PORT_MAX_BARS; i++) {
		const struct mmio_bar *b = &port->bar[i];

		if (!b->size || !(b->flags & GPUPT_BAR_F_MEM))
			continue;
		if (in_pref64(b->flags))
			p[np++] = (struct item){ b->size, b->size };
		else
			m[nm++] = (struct item){ b->size, b->size };
	}

	if (np) {
		win->pref64 = align_up(pack(p, np, &a), BRIDGE_GRANULE);
		win->pref64_align = a > BRIDGE_GRANULE ? a : BRIDGE_GRANULE;
	}
	win->mem32 = align_up(pack(m, nm, &a), BRIDGE_GRANULE);
	if (win->mem32 < HOTPLUG_MEM32_PAD)
		win->mem32 = HOTPLUG_MEM32_PAD;
}

int mmio_plan(const struct mmio_port *ports, unsigned int nports,
	      const struct mmio_guest *guest, struct mmio_plan *plan)
{
	struct item w[256];
	unsigned int nw = 0;
	uint64_t need, base, end, ram_end, classic, a;

	memset(plan, 0, sizeof(*plan));
	if (nports > 256)
		return -E2BIG;

	for (unsigned int i = 0; i < nports; i++) {
		const struct mmio_port *port = &ports[i];
		struct mmio_window win;

		if (port->nbars > MMIO_PORT_MAX_BARS)
			return -EINVAL;
		for (unsigned int j = 0; j < port->nbars; j++) {
			const struct mmio_bar *b = &port->bar[j];

			if (b->size && !is_pow2(b->size))
				return -EINVAL;
			if (in_pref64(b->flags) && b->size > plan->largest)
				plan->largest = b->size;
		}
		mmio_port_window(port, &win);
		plan->mem32_total += win.mem32;
		if (win.pref64)
			w[nw++] = (struct item){ win.pref64, win.pref64_align };
	}
	plan->pref64_total = pack(w, nw, &a);

	need = align_up(plan->pref64_total + MMIO_RESERVE, OVMF_APERTURE_ALIGN);
	plan->aperture = UINT64_C(1) << mmio_log2_up(need);
	plan->knob_mb = plan->aperture / MMIO_MiB;
	if (plan->knob_mb > MMIO_KNOB_MAX_MB)
		return -E2BIG;
	plan->knob_needed = plan->aperture > MMIO_OVMF_CLASSIC;

	plan->phys_bits = guest && guest->phys_bits ? guest->phys_bits
						    : MMIO_QEMU_PHYS_BITS;
	ram_end = guest && guest->ram_end > 4 * MMIO_GiB ? guest->ram_end
							  : 4 * MMIO_GiB;

	/* The window OVMF places with our arguments (classic mode). */
	classic = plan->knob_needed ? plan->aperture : MMIO_OVMF_CLASSIC;
	base = align_up(align_up(ram_end, OVMF_APERTURE_ALIGN), classic);
	end = base + classic;
	plan->min_phys_bits = mmio_log2_up(end);

	plan->dynamic = mmio_dynamic_window(plan->phys_bits);
	plan->knob_ignored = plan->knob_needed && plan->aperture < plan->dynamic;
	/*
	 * The dynamic window sits at the top of the address space and always
	 * fits; it is used only when it is bigger than the classic size.
	 */
	if (plan->knob_ignored)
		plan->fits = true;
	else
		plan->fits = plan->min_phys_bits <= plan->phys_bits &&
			     plan->min_phys_bits <= MMIO_OVMF_MAX_PHYS_BITS;
	return 0;
}

char *mmio_size_str(uint64_t v, char buf[static MMIO_SIZE_STRLEN])
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	size_t len = 0;
	int parts = 0;

	buf[0] = '\0';
	if (!v) {
		snprintf(buf, MMIO_SIZE_STRLEN, "0 B");
		return buf;
	}
	/* at most two terms, largest units first; otherwise the exact MiB */
	for (int u = 6; u >= 0 && v; u--) {
		uint64_t scale = UINT64_C(1) << (10 * u);
		uint64_t q = v / scale;

		if (!q)
			continue;
		if (parts == 2)
			break;
		len += snprintf(buf + len, MMIO_SIZE_STRLEN - len, "%s%llu %s",
				parts ? " + " : "", (unsigned long long)q,
				unit[u]);
		v -= q * scale;
		parts++;
	}
	if (v) {
		/* a third term: say it as bytes, exactly */
		snprintf(buf + len, MMIO_SIZE_STRLEN - len, " + %llu B",
			 (unsigned long long)v);
	}
	return buf;
}
