// SPDX-License-Identifier: GPL-2.0
/*
 * The "gpupt" PCI driver.  Like pci-stub it has no static ID table, so
 * udev never autoloads it, and it takes devices through dynamic ids
 * (ids=, addrs=, see ids.c) or through driver_override "gpupt" (CLAIM,
 * RECLAIM).  Dynamic ids also match devices hotplugged later.
 *
 * Probe only records the device: no pci_enable_device(), no power state
 * change, no config space write.  With driver_managed_dma the IOMMU group
 * of a held device stays viable for vfio.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

#include "gpupt.h"

struct gpupt_held {
	/* set under device_lock when gpupt itself releases the device */
	bool quiet;
};

static int gpupt_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	bool claimed = gpupt_override_is_locked(pdev, GPUPT_DRIVER_NAME);
	struct gpupt_held *held;

	if (!claimed) {
		/* UNCLAIM and RELEASE: not again until claimed again */
		if (gpupt_noretake(pdev))
			return -ENODEV;
		/* the addrs= catch-all id: only the listed addresses */
		if (id && id->driver_data == GPUPT_DYNID_ADDRS &&
		    !gpupt_addrs_match(pdev))
			return -ENODEV;
	}

	held = devm_kzalloc(&pdev->dev, sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	pci_set_drvdata(pdev, held);
	pci_info(pdev, "held by gpupt%s\n", claimed ? " (claimed)" : "");
	return 0;
}

/*
 * Event @cmd carrying @pdev's record (remove, add, quarantine).  @locked:
 * the caller holds device_lock (remove()); otherwise the record is read
 * with a deadline.
 */
void gpupt_dev_event(u8 cmd, struct pci_dev *pdev, bool locked)
{
	struct sk_buff *skb;
	struct nlattr *nest;
	void *hdr;

	skb = gpupt_event_new(cmd, &hdr);
	if (!skb)
		return;
	nest = locked ? gpupt_nl_put_dev_locked(skb, GPUPT_A_DEVICE, pdev) :
			gpupt_nl_put_dev(skb, GPUPT_A_DEVICE, pdev);
	if (nest)
		nla_nest_end(skb, nest);
	gpupt_event_send(skb, nest ? hdr : NULL);
}

static void gpupt_remove(struct pci_dev *pdev)
{
	struct gpupt_held *held = pci_get_drvdata(pdev);

	pci_info(pdev, "released by gpupt\n");
	if (held && held->quiet)
		return;

	/* Not our own doing: surprise removal, unbind via sysfs, rmmod. */
	gpupt_dev_event(GPUPT_CMD_EVT_REMOVE, pdev, true);
}

struct pci_driver gpupt_pci_driver = {
	.name		= GPUPT_DRIVER_NAME,
	.id_table	= NULL,
	.probe		= gpupt_probe,
	.remove		= gpupt_remove,
	.sriov_configure = gpupt_sriov_configure,
	GPUPT_DRIVER_MANAGED_DMA
};

int gpupt_driver_init(void)
{
	int err;

	err = pci_register_driver(&gpupt_pci_driver);
	if (err)
		return err;
	gpupt_ids_register(&gpupt_pci_driver);
	return 0;
}

void gpupt_driver_exit(void)
{
	pci_unregister_driver(&gpupt_pci_driver);
}

bool gpupt_dev_held(struct pci_dev *pdev)
{
	return READ_ONCE(pdev->dev.driver) == &gpupt_pci_driver.driver;
}

/*
 * The name is read under RCU without device_lock: a driver's module is
 * freed only after an RCU grace period that follows the unbind, so a
 * driver seen bound here stays readable until rcu_read_unlock().
 */
int gpupt_dev_driver_name(struct pci_dev *pdev, char *buf, size_t len)
{
	struct device_driver *drv;
	ssize_t n;

	if (!len)
		return -EINVAL;
	rcu_read_lock();
	drv = READ_ONCE(pdev->dev.driver);
	n = strscpy(buf, drv ? drv->name : "", len);
	rcu_read_unlock();
	return n < 0 ? (int)len - 1 : (int)n;
}

/*
 * device_lock() with a deadline.  A vfio device being unbound while a VM
 * has it open keeps its device_lock until the VM lets go, so nothing in
 * gpupt waits for a device_lock without a limit.
 */
int gpupt_dev_lock(struct pci_dev *pdev, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (!device_trylock(&pdev->dev)) {
		if (time_after(jiffies, end))
			return -EBUSY;
		usleep_range(1000, 2000);
	}
	return 0;
}

/* Caller holds device_lock: mark a held device as released by gpupt. */
void gpupt_dev_quiet_locked(struct pci_dev *pdev)
{
	struct gpupt_held *held;

	if (!gpupt_dev_held(pdev))
		return;
	held = pci_get_drvdata(pdev);
	if (held)
		held->quiet = true;
}
