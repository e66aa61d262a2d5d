/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest MMIO planner: how much 64-bit MMIO aperture a q35 guest's OVMF needs
 * for the devices gpupt passes through, and whether the X-PciMmio64Mb knob
 * must be given.  Pure functions, no I/O (unit-tested in
 * tests/unit/mmio_test.c).
 *
 * The model is OVMF's (edk2) and is explained, with the code it follows, at
 * the top of mmio.c.  In short: each GPU slot gets its own pcie-root-port;
 * the port's prefetchable window holds the slot's 64-bit prefetchable BARs,
 * each aligned to its size; OVMF's 64-bit aperture must hold all those
 * windows plus the guest's other 64-bit devices.
 */
#ifndef GPTCTL_MMIO_H
#define GPTCTL_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#define MMIO_KiB		(UINT64_C(1) << 10)
#define MMIO_MiB		(UINT64_C(1) << 20)
#define MMIO_GiB		(UINT64_C(1) << 30)
#define MMIO_TiB		(UINT64_C(1) << 40)

/* OVMF's classic 64-bit aperture when no knob is given (PcdPciMmio64Size). */
#define MMIO_OVMF_CLASSIC	(32 * MMIO_GiB)
/* QEMU's default guest phys-bits (TCG_PHYS_ADDR_BITS, and KVM without
 * host-phys-bits). */
#define MMIO_QEMU_PHYS_BITS	40
/* OVMF never uses more than 46 phys-bits (no 5-level paging). */
#define MMIO_OVMF_MAX_PHYS_BITS	46
/* Room left in the aperture for the guest's other 64-bit windows (virtio
 * devices on their own root ports, hotplug padding). */
#define MMIO_RESERVE		(1 * MMIO_GiB)
/* X-PciMmio64Mb values above this are "malformed" to OVMF (16 TiB). */
#define MMIO_KNOB_MAX_MB	UINT64_C(0x1000000)

/* One BAR of a function placed on a guest root port. */
struct mmio_bar {
	uint64_t size;		/* bytes, a power of two; 0 = not implemented */
	uint32_t flags;		/* GPUPT_BAR_F_IO/MEM/MEM64/PREFETCH */
};

/* One guest pcie-root-port: every BAR of every function on it. */
#define MMIO_PORT_MAX_BARS	48	/* 8 functions x 6 BARs */
struct mmio_port {
	unsigned int nbars;
	struct mmio_bar bar[MMIO_PORT_MAX_BARS];
};

/* What the plan assumes about the guest. */
struct mmio_guest {
	unsigned int phys_bits;	/* guest CPU phys-bits; 0 = QEMU's default */
	uint64_t ram_end;	/* end of guest RAM (and hotplug area); 0 = 4 GiB */
};

/* Per-port result. */
struct mmio_window {
	uint64_t pref64;	/* prefetchable window: size (1 MiB granular) */
	uint64_t pref64_align;	/* its alignment: the port's largest BAR */
	uint64_t mem32;		/* non-prefetchable window below 4 GiB */
};

struct mmio_plan {
	uint64_t pref64_total;	/* the ports' windows packed, no reserve */
	uint64_t largest;	/* the largest 64-bit BAR */
	uint64_t mem32_total;	/* below-4G MMIO the ports need */
	uint64_t aperture;	/* recommended aperture: pow2, >= 1 GiB */
	uint64_t knob_mb;	/* X-PciMmio64Mb = aperture / 1 MiB */
	bool knob_needed;	/* aperture > OVMF's classic 32 GiB */
	unsigned int phys_bits;	/* the guest's phys-bits the plan assumed */
	unsigned int min_phys_bits; /* what the aperture needs */
	bool fits;		/* min_phys_bits <= phys_bits */
	uint64_t dynamic;	/* OVMF's dynamic window for phys_bits */
	bool knob_ignored;	/* dynamic >= knob: OVMF uses dynamic instead */
};

/* Size and alignment of one port's windows. */
void mmio_port_window(const struct mmio_port *port, struct mmio_window *win);

/*
 * Plan the aperture for nports ports given to one guest.  Returns 0, or
 * -EINVAL for a BAR size that is not a power of two or a port with too many
 * BARs, or -E2BIG when the aperture is beyond anything OVMF accepts (16 TiB).
 */
int mmio_plan(const struct mmio_port *ports, unsigned int nports,
	      const struct mmio_guest *guest, struct mmio_plan *plan);

/*
 * OVMF's dynamic 64-bit window for a guest with phys_bits it trusts:
 * 2^(min(phys_bits, 46) - 3).  0 for phys_bits < 4.
 */
uint64_t mmio_dynamic_window(unsigned int phys_bits);

/* Smallest n with 2^n >= v (v > 0). */
unsigned int mmio_log2_up(uint64_t v);

/*
 * Human size, exact when possible: "256 GiB", "256 GiB + 32 MiB", "16 KiB",
 * "4 B".  Returns buf.
 */
#define MMIO_SIZE_STRLEN	48
char *mmio_size_str(uint64_t v, char buf[static MMIO_SIZE_STRLEN]);

#endif /* GPTCTL_MMIO_H */
