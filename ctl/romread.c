// SPDX-License-Identifier: GPL-2.0
/*
 * Option ROM reads through a BAR window; see romread.h for where the NVIDIA
 * sequence comes from.  No I/O here: every access is a struct rom_mmio call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "romread.h"

/* nouveau's card types, by chipset & 0x1f0 (nvkm_device_ctor()). */
static const char *nv_family(unsigned int chipset)
{
	switch (chipset & 0x1f0) {
	case 0x000: return "NV04";
	case 0x010: return "NV10";
	case 0x020: return "NV20";
	case 0x030: return "NV30";
	case 0x040:
	case 0x060: return "NV40";
	case 0x050:
	case 0x080:
	case 0x090:
	case 0x0a0: return "Tesla";
	case 0x0c0:
	case 0x0d0: return "Fermi";
	case 0x0e0:
	case 0x0f0:
	case 0x100: return "Kepler";
	case 0x110:
	case 0x120: return "Maxwell";
	case 0x130: return "Pascal";
	case 0x140: return "Volta";
	case 0x160: return "Turing";
	case 0x170: return "Ampere";
	case 0x180: return "Hopper";
	case 0x190: return "Ada";
	default:    return NULL;
	}
}

int rom_nv_identify(uint32_t boot0, struct rom_nv_gen *g, char *why, size_t n)
{
	memset(g, 0, sizeof(*g));
	g->boot0 = boot0;
	if (boot0 & 0x1f000000) {
		g->chipset = (boot0 & 0x1ff00000) >> 20;
	} else if ((boot0 & 0xff00fff0) == 0x20004000) {
		g->chipset = boot0 & 0x00f00000 ? 0x05 : 0x04;
	} else {
		snprintf(why, n,
			 "PMC_BOOT_0 is 0x%08x, which is no NVIDIA GPU from NV04 on (NV01 and NV03 keep their PROM elsewhere)",
			 boot0);
		return -ENODEV;
	}
	g->family = nv_family(g->chipset);
	if (!g->family) {
		snprintf(why, n,
			 "chipset 0x%x (PMC_BOOT_0 0x%08x) is a generation gptctl does not know; it writes no register it has no source for",
			 g->chipset, boot0);
		return -ENODEV;
	}
	/* nouveau's prom_init(): NV40-family IGPs (0x4c and up) have no PROM. */
	if (!strcmp(g->family, "NV40") && g->chipset >= 0x4c) {
		snprintf(why, n,
			 "chipset 0x%x is an NV40-family IGP, which has no PROM (its VBIOS is in the system firmware)",
			 g->chipset);
		return -ENODEV;
	}
	g->rom_ctl = (g->chipset < 0x40 ? NV04_PBUS_PCI : NV40_PBUS_PCI) +
		     NV_PCI_ROM_SHADOW;
	return 0;
}

void rom_window_read(const struct rom_mmio *m, uint64_t off, uint8_t *buf,
		     size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 4) {
		uint32_t v = m->rd32(m->ctx, off + i);
		size_t k;

		for (k = 0; k < 4 && i + k < len; k++)
			buf[i + k] = (uint8_t)(v >> (8 * k));
	}
}

int rom_nv_prom_read(const struct rom_mmio *m, uint16_t vendor, uint8_t *buf,
		     size_t max, size_t *len, struct rom_nv_gen *gen, char *why,
		     size_t n)
{
	uint32_t boot0, saved;
	size_t size = NV_PROM_SIZE;
	int err;

	*len = 0;
	if (vendor != NV_VENDOR_ID) {
		snprintf(why, n,
			 "vendor %04x is not NVIDIA (10de): the PROM window at BAR0 + 0x300000 is NVIDIA's",
			 vendor);
		return -ENODEV;
	}
	if (m->size < NV_PROM + 4) {
		snprintf(why, n,
			 "BAR0 is 0x%llx bytes, too small to hold the PROM window at 0x300000",
			 (unsigned long long)m->size);
		return -ENODEV;
	}
	boot0 = m->rd32(m->ctx, NV_PMC_BOOT_0);
	if (boot0 == 0xffffffff) {
		snprintf(why, n,
			 "BAR0 reads 0xffffffff: the GPU does not answer (powered down, in reset, or its memory decoding is off)");
		return -EIO;
	}
	err = rom_nv_identify(boot0, gen, why, n);
	if (err)
		return err;
	if (size > max)
		size = max;
	if (size > m->size - NV_PROM)
		size = m->size - NV_PROM;
	size &= ~(size_t)3;

	saved = m->rd32(m->ctx, gen->rom_ctl);
	m->wr32(m->ctx, gen->rom_ctl, saved & ~UINT32_C(1));
	rom_window_read(m, NV_PROM, buf, size);
	m->wr32(m->ctx, gen->rom_ctl, saved);
	*len = size;
	return 0;
}

enum rom_auto rom_auto_pick(uint16_t vendor, bool boot_vga,
			    const struct rom_report *sysfs,
			    const char *sysfs_err, char *reason, size_t n)
{
	const char *err = "no image";
	unsigned int i;
	bool ok;

	ok = sysfs && sysfs->nimages && !sysfs->nerrors && !sysfs->shadow &&
	     !sysfs->lead && !boot_vga;
	if (ok) {
		snprintf(reason, n, "the sysfs copy passes rom check");
		return ROM_AUTO_SYSFS;
	}
	if (vendor != NV_VENDOR_ID) {
		if (!sysfs) {
			snprintf(reason, n, "%s", sysfs_err ? sysfs_err : "");
			return ROM_AUTO_FAIL;
		}
		snprintf(reason, n,
			 "not an NVIDIA GPU, so there is no PROM to fall back to");
		return ROM_AUTO_SYSFS;
	}
	if (!sysfs) {
		snprintf(reason, n, "the sysfs copy could not be read: %s",
			 sysfs_err ? sysfs_err : "");
	} else if (boot_vga) {
		snprintf(reason, n,
			 "the sysfs copy is the firmware's shadow copy (boot VGA device)");
	} else if (sysfs->shadow) {
		snprintf(reason, n,
			 "the sysfs copy is a shadow copy of a POSTed VBIOS");
	} else {
		for (i = 0; i < sysfs->nfindings; i++)
			if (sysfs->finding[i].severity == ROM_ERROR) {
				err = sysfs->finding[i].msg;
				break;
			}
		snprintf(reason, n, "the sysfs copy fails rom check: %s", err);
	}
	return ROM_AUTO_PROM;
}
