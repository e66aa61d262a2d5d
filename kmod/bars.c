// SPDX-License-Identifier: GPL-2.0
/*
 * GPUPT_CMD_BARS_GET: what a device's BARs are, whether the kernel could
 * place them, who sits inside them, and what the bridge above offers.
 *
 * Copyright (C) 2026 The gpupt authors.
 *
 * reserved_by.  The names of the resources nested in a BAR live in the
 * kernel's resource tree, whose rwlock is private to kernel/resource.c and
 * whose exported walkers (walk_iomem_res_desc() and friends) hand out
 * copies without names.  So we read the subtree ourselves, under the
 * device lock: it keeps this device's driver from releasing its regions
 * and keeps any driver from probing the device, which is what removes a
 * firmware framebuffer (the DRM driver's aperture takeover unregisters
 * sysfb's platform device from its probe).  What remains is an
 * administrator unbinding efifb/simplefb at that very instant; the walk is
 * bounded and copies each name at once to keep that window small.
 *
 * Resizable BAR is read from the capability itself (PCI_EXT_CAP_ID_REBAR),
 * so it works the same on every kernel whether or not
 * pci_rebar_get_possible_sizes() is exported, and includes the sizes
 * above 128 TB from the control register's upper half.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/pci.h>
#include <net/genetlink.h>

#include "gpupt.h"

#define GPUPT_BARS_LOCK_MS	1000
#define GPUPT_RESV_MAX		16	/* names per BAR */
#define GPUPT_RESV_DEPTH	4	/* levels below the BAR */

/* Resizable BAR, per BAR index. */
struct gpupt_rebar {
	bool present;
	u64 cur;			/* bytes */
	u64 sizes;			/* bit n = 1 MiB << n */
};

static void gpupt_rebar_read(struct pci_dev *pdev, struct gpupt_rebar *rb)
{
	int pos, i, nbars, idx, cur;
	u32 cap, ctrl;

	pos = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_REBAR);
	if (!pos)
		return;
	pci_read_config_dword(pdev, pos + PCI_REBAR_CTRL, &ctrl);
	nbars = (ctrl & PCI_REBAR_CTRL_NBAR_MASK) >> PCI_REBAR_CTRL_NBAR_SHIFT;
	for (i = 0; i < nbars; i++, pos += 8) {
		pci_read_config_dword(pdev, pos + PCI_REBAR_CAP, &cap);
		pci_read_config_dword(pdev, pos + PCI_REBAR_CTRL, &ctrl);
		if (cap == ~0U || ctrl == ~0U)
			return;
		idx = ctrl & PCI_REBAR_CTRL_BAR_IDX;
		if (idx > PCI_STD_RESOURCE_END)
			continue;
		/* BAR size field: bits 8..13 (6 bits since PCIe 6.0). */
		cur = (ctrl >> 8) & 0x3f;
		rb[idx].present = true;
		rb[idx].cur = (u64)SZ_1M << cur;
		/* CAP bits 4..31: 1 MiB .. 128 TiB; CTRL bits 16..31: above. */
		rb[idx].sizes = (u64)((cap & 0xfffffff0) >> 4) |
				((u64)(ctrl >> 16) << 28);
	}
}

/*
 * Names of the resources nested in @res, depth first.  Caller holds the
 * device lock (see the top of the file).
 */
static int gpupt_put_reserved(struct sk_buff *skb, struct resource *res)
{
	struct resource *stack[GPUPT_RESV_DEPTH], *p;
	char names[GPUPT_RESV_MAX][GPUPT_NAME_LEN];
	int depth = 0, n = 0, i, j;
	struct nlattr *nest;

	p = READ_ONCE(res->child);
	while (p && n < GPUPT_RESV_MAX) {
		const char *name = READ_ONCE(p->name);

		strscpy(names[n], name ? name : "?", GPUPT_NAME_LEN);
		for (j = 0; j < n && strcmp(names[j], names[n]); j++)
			;
		if (j == n)
			n++;
		if (READ_ONCE(p->child) && depth < GPUPT_RESV_DEPTH) {
			stack[depth++] = p;
			p = READ_ONCE(p->child);
			continue;
		}
		/* Next sibling, climbing back up as far as needed. */
		while (!READ_ONCE(p->sibling) && depth)
			p = stack[--depth];
		p = READ_ONCE(p->sibling);
	}
	if (!n)
		return 0;

	nest = nla_nest_start(skb, GPUPT_BAR_A_RESERVED_BY);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++)
		if (nla_put_string(skb, GPUPT_BAR_A_NAME, names[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static u32 gpupt_res_flags(const struct resource *res)
{
	u32 f = 0;

	if (res->flags & IORESOURCE_IO)
		f |= GPUPT_BAR_F_IO;
	if (res->flags & IORESOURCE_MEM)
		f |= GPUPT_BAR_F_MEM;
	if (res->flags & IORESOURCE_MEM_64)
		f |= GPUPT_BAR_F_MEM64;
	if (res->flags & IORESOURCE_PREFETCH)
		f |= GPUPT_BAR_F_PREFETCH;
	if (res->parent && !(res->flags & IORESOURCE_UNSET))
		f |= GPUPT_BAR_F_ASSIGNED;
	return f;
}

static int gpupt_put_res(struct sk_buff *skb, u8 index, struct resource *res,
			 u32 extra)
{
	u64 size = res->flags ? resource_size(res) : 0;
	u64 start = res->flags ? res->start : 0;

	if (nla_put_u8(skb, GPUPT_BAR_A_INDEX, index) ||
	    nla_put_u64_64bit(skb, GPUPT_BAR_A_START, start, GPUPT_BAR_A_PAD) ||
	    nla_put_u64_64bit(skb, GPUPT_BAR_A_SIZE, size, GPUPT_BAR_A_PAD) ||
	    nla_put_u32(skb, GPUPT_BAR_A_FLAGS, gpupt_res_flags(res) | extra))
		return -EMSGSIZE;
	return 0;
}

static int gpupt_put_bar(struct sk_buff *skb, struct pci_dev *pdev, int i,
			 const struct gpupt_rebar *rb)
{
	struct resource *res = &pdev->resource[i];
	struct nlattr *bar;
	u32 extra = 0;

	if (i == PCI_ROM_RESOURCE && (res->flags & IORESOURCE_ROM_SHADOW))
		extra |= GPUPT_BAR_F_ROM_SHADOW;
	if (i <= PCI_STD_RESOURCE_END && rb[i].present)
		extra |= GPUPT_BAR_F_REBAR;

	bar = nla_nest_start(skb, GPUPT_A_BAR);
	if (!bar)
		return -EMSGSIZE;
	if (gpupt_put_res(skb, i == PCI_ROM_RESOURCE ? GPUPT_BAR_ROM : i, res,
			  extra) ||
	    gpupt_put_reserved(skb, res))
		return -EMSGSIZE;
	if (extra & GPUPT_BAR_F_REBAR &&
	    (nla_put_u64_64bit(skb, GPUPT_BAR_A_REBAR_CUR, rb[i].cur,
			       GPUPT_BAR_A_PAD) ||
	     nla_put_u64_64bit(skb, GPUPT_BAR_A_REBAR_SIZES, rb[i].sizes,
			       GPUPT_BAR_A_PAD)))
		return -EMSGSIZE;
	nla_nest_end(skb, bar);
	return 0;
}

/*
 * A BAR the PCI core failed to place (no room in the bridge window, e.g.
 * Above 4G Decoding off, or OVMF's 64-bit aperture too small) has had its
 * resource cleared by reset_resource(): flags 0, so neither sysfs nor the
 * resource tells that it exists.  Size such BARs from config space the way
 * __pci_read_base() does, so that the report can say "this BAR exists and
 * was not assigned".  Only for a normal header, only while no driver but
 * gpupt owns the device (the caller holds the device lock, so none can
 * bind meanwhile), with decoding off and userspace config access blocked.
 */
struct gpupt_rawbar {
	u64 size;
	u32 flags;		/* GPUPT_BAR_F_*, never ASSIGNED */
};

static void gpupt_size_unplaced(struct pci_dev *pdev,
				struct gpupt_rawbar *raw)
{
	u16 cmd;
	int i;

	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL ||
	    (pdev->dev.driver && !gpupt_dev_held(pdev)))
		return;
	for (i = 0; i <= PCI_STD_RESOURCE_END; i++)
		if (!pdev->resource[i].flags)
			break;
	if (i > PCI_STD_RESOURCE_END)
		return;

	pci_cfg_access_lock(pdev);
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO))
		pci_write_config_word(pdev, PCI_COMMAND,
				      cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO));
	for (i = 0; i <= PCI_STD_RESOURCE_END; i++) {
		int reg = PCI_BASE_ADDRESS_0 + 4 * i;
		u32 l, sz, h = 0, hsz = 0;
		bool io, is64;
		u64 mask;

		if (pdev->resource[i].flags) {
			/* a placed 64-bit BAR: skip its upper half */
			if (pdev->resource[i].flags & IORESOURCE_MEM_64)
				i++;
			continue;
		}
		pci_read_config_dword(pdev, reg, &l);
		pci_write_config_dword(pdev, reg, ~0U);
		pci_read_config_dword(pdev, reg, &sz);
		pci_write_config_dword(pdev, reg, l);
		if (sz == ~0U || !sz)
			continue;	/* gone, or not implemented */
		io = l & PCI_BASE_ADDRESS_SPACE_IO;
		is64 = !io && (l & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
			      PCI_BASE_ADDRESS_MEM_TYPE_64 &&
		       i < PCI_STD_RESOURCE_END;
		if (is64) {
			pci_read_config_dword(pdev, reg + 4, &h);
			pci_write_config_dword(pdev, reg + 4, ~0U);
			pci_read_config_dword(pdev, reg + 4, &hsz);
			pci_write_config_dword(pdev, reg + 4, h);
		}
		mask = io ? (sz & PCI_BASE_ADDRESS_IO_MASK & 0xffff) :
			    ((u64)hsz << 32 | (sz & PCI_BASE_ADDRESS_MEM_MASK));
		/* the size is the lowest writable address bit */
		raw[i].size = mask & -mask;
		raw[i].flags = io ? GPUPT_BAR_F_IO : GPUPT_BAR_F_MEM;
		if (is64)
			raw[i].flags |= GPUPT_BAR_F_MEM64;
		if (!io && (l & PCI_BASE_ADDRESS_MEM_PREFETCH))
			raw[i].flags |= GPUPT_BAR_F_PREFETCH;
		if (is64)
			i++;
	}
	if (cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO))
		pci_write_config_word(pdev, PCI_COMMAND, cmd);
	pci_cfg_access_unlock(pdev);
}

static int gpupt_put_unplaced(struct sk_buff *skb, int i,
			      const struct gpupt_rawbar *raw)
{
	struct nlattr *bar;

	bar = nla_nest_start(skb, GPUPT_A_BAR);
	if (!bar ||
	    nla_put_u8(skb, GPUPT_BAR_A_INDEX, i) ||
	    nla_put_u64_64bit(skb, GPUPT_BAR_A_START, 0, GPUPT_BAR_A_PAD) ||
	    nla_put_u64_64bit(skb, GPUPT_BAR_A_SIZE, raw->size,
			      GPUPT_BAR_A_PAD) ||
	    nla_put_u32(skb, GPUPT_BAR_A_FLAGS, raw->flags))
		return -EMSGSIZE;
	nla_nest_end(skb, bar);
	return 0;
}

static int gpupt_put_windows(struct sk_buff *skb, struct pci_dev *bridge)
{
	static const u32 type[__GPUPT_WIN_MAX] = {
		[GPUPT_WIN_IO]		= GPUPT_BAR_F_IO,
		[GPUPT_WIN_MEM]		= GPUPT_BAR_F_MEM,
		[GPUPT_WIN_PREF]	= GPUPT_BAR_F_MEM | GPUPT_BAR_F_PREFETCH,
	};
	struct nlattr *wins, *win;
	int w;

	wins = nla_nest_start(skb, GPUPT_A_WINDOWS);
	if (!wins)
		return -EMSGSIZE;
	for (w = 0; w < __GPUPT_WIN_MAX; w++) {
		struct resource *res = &bridge->resource[PCI_BRIDGE_RESOURCES + w];

		win = nla_nest_start(skb, GPUPT_A_BAR);
		if (!win ||
		    gpupt_put_res(skb, w, res, res->flags ? 0 : type[w]))
			return -EMSGSIZE;
		nla_nest_end(skb, win);
	}
	nla_nest_end(skb, wins);
	return gpupt_nl_put_addr(skb, GPUPT_A_BRIDGE, bridge);
}

static int gpupt_bars_fill(struct sk_buff *skb, struct genl_info *info,
			   struct pci_dev *pdev)
{
	struct gpupt_rawbar raw[PCI_STD_RESOURCE_END + 1] = {};
	struct gpupt_rebar rb[PCI_STD_RESOURCE_END + 1] = {};
	struct pci_dev *bridge = pci_upstream_bridge(pdev);
	struct nlattr *dev, *bars;
	void *hdr;
	int i;

	hdr = genlmsg_put(skb, info->snd_portid, info->snd_seq,
			  &gpupt_genl_family, 0, GPUPT_CMD_BARS_GET);
	if (!hdr)
		return -EMSGSIZE;
	dev = gpupt_nl_put_dev_locked(skb, GPUPT_A_DEVICE, pdev);
	if (!dev)
		return -EMSGSIZE;
	nla_nest_end(skb, dev);

	gpupt_rebar_read(pdev, rb);
	gpupt_size_unplaced(pdev, raw);
	bars = nla_nest_start(skb, GPUPT_A_BARS);
	if (!bars)
		return -EMSGSIZE;
	for (i = 0; i <= PCI_ROM_RESOURCE; i++) {
		/*
		 * The upper half of a 64-bit BAR has no resource of its own;
		 * a BAR the core could not place has one with no flags.
		 */
		if (!pdev->resource[i].flags) {
			if (i <= PCI_STD_RESOURCE_END && raw[i].size &&
			    gpupt_put_unplaced(skb, i, &raw[i]))
				return -EMSGSIZE;
			continue;
		}
		if (gpupt_put_bar(skb, pdev, i, rb))
			return -EMSGSIZE;
	}
	nla_nest_end(skb, bars);

	if (bridge && gpupt_put_windows(skb, bridge))
		return -EMSGSIZE;
	genlmsg_end(skb, hdr);
	return 0;
}

int gpupt_nl_bars_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pci_dev *pdev;
	struct sk_buff *msg;
	int err;

	if (!info->attrs[GPUPT_A_DEVICE]) {
		NL_SET_ERR_MSG(info->extack, "GPUPT_A_DEVICE is required");
		return -EINVAL;
	}
	err = gpupt_nl_get_dev(info, info->attrs[GPUPT_A_DEVICE], &pdev);
	if (err)
		return err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	if (gpupt_dev_lock(pdev, GPUPT_BARS_LOCK_MS)) {
		gpupt_err(info->extack,
			  "%s is locked by another operation, try again",
			  pci_name(pdev));
		nlmsg_free(msg);
		err = -EBUSY;
		goto out;
	}
	err = gpupt_bars_fill(msg, info, pdev);
	device_unlock(&pdev->dev);
	if (err) {
		nlmsg_free(msg);
		goto out;
	}
	err = genlmsg_reply(msg, info);
out:
	pci_dev_put(pdev);
	return err;
}
