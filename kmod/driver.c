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

#include <linux/module.h>

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
