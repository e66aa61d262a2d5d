// SPDX-License-Identifier: GPL-2.0
/*
 * Device addresses in, device records out: the two halves of every
 * netlink message that names a PCI function.  A record of a moved
 * function also carries where it came from and where it went.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/vgaarb.h>

#include "gpupt.h"

int gpupt_nl_get_dev(struct genl_info *info, const struct nlattr *nest,
		     struct pci_dev **pdev)
{
	struct nlattr *tb[GPUPT_DEV_A_MAX + 1];
	u32 domain;
	u8 bus, devfn;
	int err;

	*pdev = NULL;
	if (!nest) {
		NL_SET_ERR_MSG(info->extack, "missing device address");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, GPUPT_DEV_A_MAX, nest, gpupt_dev_policy,
			       info->extack);
	if (err)
		return err;
	if (!tb[GPUPT_DEV_A_DOMAIN] || !tb[GPUPT_DEV_A_BUS] ||
	    !tb[GPUPT_DEV_A_DEVFN]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "device address needs domain, bus and devfn");
		return -EINVAL;
	}
	domain = nla_get_u32(tb[GPUPT_DEV_A_DOMAIN]);
	bus = nla_get_u8(tb[GPUPT_DEV_A_BUS]);
	devfn = nla_get_u8(tb[GPUPT_DEV_A_DEVFN]);

	if (domain <= INT_MAX)
		*pdev = pci_get_domain_bus_and_slot(domain, bus, devfn);
	if (!*pdev) {
		gpupt_err(info->extack, "no PCI device %04x:%02x:%02x.%d",
			  domain, bus, PCI_SLOT(devfn), PCI_FUNC(devfn));
		return -ENODEV;
	}
	return 0;
}

int gpupt_nl_put_addr(struct sk_buff *skb, int attrtype, struct pci_dev *pdev)
{
	struct nlattr *nest = nla_nest_start(skb, attrtype);

	if (!nest ||
	    nla_put_u32(skb, GPUPT_DEV_A_DOMAIN, pci_domain_nr(pdev->bus)) ||
	    nla_put_u8(skb, GPUPT_DEV_A_BUS, pdev->bus->number) ||
	    nla_put_u8(skb, GPUPT_DEV_A_DEVFN, pdev->devfn)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Mirrors the sysfs boot_vga attribute, which only VGA devices have. */
static bool gpupt_boot_vga(struct pci_dev *pdev)
{
	struct pci_dev *vga;

	if ((pdev->class >> 8) != PCI_CLASS_DISPLAY_VGA)
		return false;
	vga = vga_default_device();
	if (vga)
		return vga == pdev;
	return pdev->resource[PCI_ROM_RESOURCE].flags & IORESOURCE_ROM_SHADOW;
}

static int gpupt_put_reset_methods(struct sk_buff *skb, struct pci_dev *pdev)
{
	u8 m[GPUPT_NUM_RESET_METHODS];
	struct nlattr *nest;
	int i, n;

	n = gpupt_reset_methods(pdev, m, ARRAY_SIZE(m));
	nest = nla_nest_start(skb, GPUPT_DEV_A_RESET_METHODS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++)
		if (nla_put_u8(skb, GPUPT_RM_A_METHOD, m[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* What must be read under device_lock. */
struct gpupt_rec_locked {
	char *override;
	bool open;
};

static void gpupt_rec_read_locked(struct pci_dev *pdev,
				  struct gpupt_rec_locked *rl)
{
	if (gpupt_override_dup_locked(pdev, &rl->override))
		rl->override = NULL;	/* out of memory: leave it out */
	rl->open = gpupt_vfio_open_locked(pdev);
}

static struct nlattr *gpupt_put_dev(struct sk_buff *skb, int attrtype,
				    struct pci_dev *pdev,
				    const struct gpupt_rec_locked *rl)
{
	char driver[GPUPT_NAME_LEN], why[160];
	u8 check = 0;
	struct iommu_group *group;
	struct nlattr *nest;
	int node = dev_to_node(&pdev->dev);
	u32 state = 0;

	gpupt_dev_driver_name(pdev, driver, sizeof(driver));
	if (gpupt_dev_held(pdev))
		state |= GPUPT_DEV_S_HELD;
	if (gpupt_boot_vga(pdev))
		state |= GPUPT_DEV_S_BOOT_VGA;
	if (gpupt_ids_match(pdev))
		state |= GPUPT_DEV_S_MATCHED;
	if (*driver && gpupt_vfio_driver_name_ok(driver))
		state |= GPUPT_DEV_S_VFIO;
	if (rl->open)
		state |= GPUPT_DEV_S_OPEN;
	if (pci_is_bridge(pdev))
		state |= GPUPT_DEV_S_BRIDGE;
	if (gpupt_quarantined(pdev, why, sizeof(why), &check))
		state |= GPUPT_DEV_S_QUARANTINED;

	nest = nla_nest_start(skb, attrtype);
	if (!nest)
		return NULL;
	if (nla_put_u32(skb, GPUPT_DEV_A_DOMAIN, pci_domain_nr(pdev->bus)) ||
	    nla_put_u8(skb, GPUPT_DEV_A_BUS, pdev->bus->number) ||
	    nla_put_u8(skb, GPUPT_DEV_A_DEVFN, pdev->devfn) ||
	    nla_put_u16(skb, GPUPT_DEV_A_VENDOR, pdev->vendor) ||
	    nla_put_u16(skb, GPUPT_DEV_A_DEVICE, pdev->device) ||
	    nla_put_u16(skb, GPUPT_DEV_A_SUBSYS_VENDOR,
			pdev->subsystem_vendor) ||
	    nla_put_u16(skb, GPUPT_DEV_A_SUBSYS_DEVICE,
			pdev->subsystem_device) ||
	    nla_put_u32(skb, GPUPT_DEV_A_CLASS, pdev->class) ||
	    (*driver && nla_put_string(skb, GPUPT_DEV_A_DRIVER, driver)) ||
	    (node != NUMA_NO_NODE &&
	     nla_put_u32(skb, GPUPT_DEV_A_NUMA_NODE, node)) ||
	    nla_put_u32(skb, GPUPT_DEV_A_STATE, state) ||
	    gpupt_put_reset_methods(skb, pdev) ||
	    (rl->override && nla_put_string(skb, GPUPT_DEV_A_DRIVER_OVERRIDE,
					     rl->override)) ||
	    gpupt_sriov_put_attrs(skb, pdev) ||
	    ((state & GPUPT_DEV_S_QUARANTINED) &&
	     (nla_put_string(skb, GPUPT_DEV_A_QUARANTINE, why) ||
	      (check && nla_put_u8(skb, GPUPT_DEV_A_QUARANTINE_CHECK,
				  check)))))
		goto full;

	group = iommu_group_get(&pdev->dev);
	if (group) {
		int err = nla_put_u32(skb, GPUPT_DEV_A_IOMMU_GROUP,
				      iommu_group_id(group));

		iommu_group_put(group);
		if (err)
			goto full;
	}
	return nest;

full:
	nla_nest_cancel(skb, nest);
	return NULL;
}

struct nlattr *gpupt_nl_put_dev_locked(struct sk_buff *skb, int attrtype,
				       struct pci_dev *pdev)
{
	struct gpupt_rec_locked rl;
	struct nlattr *nest;

	device_lock_assert(&pdev->dev);
	gpupt_rec_read_locked(pdev, &rl);
	nest = gpupt_put_dev(skb, attrtype, pdev, &rl);
	kfree(rl.override);
	return nest;
}

/*
 * If device_lock stays busy for 200 ms the record goes out without the
 * override, and a vfio device is reported open (see gpupt_vfio_open()).
 */
struct nlattr *gpupt_nl_put_dev(struct sk_buff *skb, int attrtype,
				struct pci_dev *pdev)
{
	struct gpupt_rec_locked rl = { };
	struct nlattr *nest;

	if (!gpupt_dev_lock(pdev, 200)) {
		gpupt_rec_read_locked(pdev, &rl);
		device_unlock(&pdev->dev);
	} else {
		rl.open = gpupt_dev_is_vfio(pdev);
	}
	nest = gpupt_put_dev(skb, attrtype, pdev, &rl);
	kfree(rl.override);
	return nest;
}

int gpupt_fn_put_extras(struct sk_buff *skb, const struct gpupt_fn *fn)
{
	if (nla_put_string(skb, GPUPT_DEV_A_FROM, fn->from_name) ||
	    nla_put_string(skb, GPUPT_DEV_A_TO, fn->to_name) ||
	    (*fn->blocker &&
	     nla_put_string(skb, GPUPT_DEV_A_BLOCKER, fn->blocker)))
		return -EMSGSIZE;
	return 0;
}

int gpupt_fn_put(struct sk_buff *skb, const struct gpupt_fn *fn)
{
	struct nlattr *nest = gpupt_nl_put_dev(skb, GPUPT_A_DEVICE, fn->pdev);

	if (!nest || gpupt_fn_put_extras(skb, fn))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}
