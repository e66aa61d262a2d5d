/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading an option ROM through a BAR window instead of the ROM BAR: the
 * register sequences, with no I/O of their own.  Every access goes through
 * struct rom_mmio, which rom.c backs with an mmap of the device's sysfs
 * resourceN file and tests/unit/romread_test.c with a recorded register
 * log.
 *
 * NVIDIA GPUs from NV04 on show their flash (the "PROM") at BAR0 + 0x300000,
 * up to 1 MiB, once the PCI ROM shadow is disabled: bit 0 of register 0x50
 * of the GPU's PCI config mirror, at BAR0 + 0x1800 on NV04..NV3x and at
 * BAR0 + 0x88000 from NV40 on.  This is what envytools' nvagetbios does
 * (nva/nvagetbios.c, vbios_extract_prom(): pbus_offset 0x1800 below
 * chipset 0x40, else 0x88000; save 0x50, clear it, read 0x300000 with
 * 32-bit reads, restore it) and nouveau's PROM shadow method
 * (nvkm/subdev/bios/shadowrom.c and nvkm/subdev/pci/base.c,
 * nvkm_pci_rom_shadow(): only bit 0 is cleared, and NV40-family chipsets
 * from 0x4c on, the IGPs, have no PROM).  gptctl clears only bit 0, as
 * nouveau does, and restores the saved value.  The generation comes from
 * PMC_BOOT_0 (BAR0 + 0) the way nouveau's nvkm_device_ctor() decodes it.
 */
#ifndef GPTCTL_ROMREAD_H
#define GPTCTL_ROMREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "romparse.h"

#define NV_VENDOR_ID		0x10de
#define NV_PMC_BOOT_0		0x000000
#define NV_PROM			0x300000	/* the flash window in BAR0 */
#define NV_PROM_SIZE		0x100000
#define NV04_PBUS_PCI		0x001800	/* PCI config mirror, NV04..NV3x */
#define NV40_PBUS_PCI		0x088000	/* from NV40 on */
#define NV_PCI_ROM_SHADOW	0x50		/* bit 0: the ROM shadow is on */

/* 32-bit register access to one BAR, offsets from its start. */
struct rom_mmio {
	uint32_t (*rd32)(void *ctx, uint64_t off);
	void (*wr32)(void *ctx, uint64_t off, uint32_t val);
	void *ctx;
	uint64_t size;		/* bytes of the BAR that may be accessed */
};

/* An NVIDIA GPU's generation, as the PROM sequence needs it. */
struct rom_nv_gen {
	uint32_t boot0;		/* PMC_BOOT_0 */
	unsigned int chipset;	/* nouveau's numbering: 0x04, 0x43, 0x164 ... */
	const char *family;	/* "NV04", "NV40", "Turing" ... */
	uint32_t rom_ctl;	/* BAR0 offset of the ROM shadow control */
};

/*
 * Decode PMC_BOOT_0.  0 with *g filled, or -ENODEV when the GPU has no PROM
 * window gptctl knows how to open (NV01/NV03, NV40-family IGPs, unknown
 * values), with the reason in why[n].
 */
int rom_nv_identify(uint32_t boot0, struct rom_nv_gen *g, char *why, size_t n);

/*
 * Read NVIDIA's PROM through BAR0 @m into buf (up to @max bytes, at most
 * NV_PROM_SIZE): check the vendor ID before any access, read PMC_BOOT_0,
 * save the ROM shadow control, clear its bit 0, read the window with 32-bit
 * reads, write the saved value back.  Returns 0, *len and *gen, or -ENODEV (not an
 * NVIDIA GPU, no PROM, BAR0 too small: nothing was written) or -EIO (BAR0
 * does not answer: nothing was written), with the reason in why[n].
 */
int rom_nv_prom_read(const struct rom_mmio *m, uint16_t vendor, uint8_t *buf,
		     size_t max, size_t *len, struct rom_nv_gen *gen, char *why,
		     size_t n);

/* Read [off, off + len) of @m with 32-bit reads (no register writes). */
void rom_window_read(const struct rom_mmio *m, uint64_t off, uint8_t *buf,
		     size_t len);

/* What `rom dump --source auto` reads. */
enum rom_auto {
	ROM_AUTO_SYSFS,		/* keep the sysfs copy */
	ROM_AUTO_PROM,		/* read NVIDIA's PROM instead */
	ROM_AUTO_FAIL,		/* nothing to fall back to: sysfs_err says why */
};

/*
 * auto's choice from the sysfs copy: keep it when it passes rom check and
 * is not the boot VGA device's shadow; else the PROM on an NVIDIA GPU; else
 * keep it anyway (no PROM elsewhere), or fail when it could not be read.
 * @sysfs is NULL and @sysfs_err says why when the copy could not be read.
 * The reason goes to reason[n].
 */
enum rom_auto rom_auto_pick(uint16_t vendor, bool boot_vga,
			    const struct rom_report *sysfs,
			    const char *sysfs_err, char *reason, size_t n);

#endif /* GPTCTL_ROMREAD_H */
