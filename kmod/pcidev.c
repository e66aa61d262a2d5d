// SPDX-License-Identifier: GPL-2.0
/*
 * Facts about one PCI function that every other file asks for: its
 * address as text, whether gpupt holds it, the name of its driver, its
 * device_lock with a deadline, and what gpupt needs to know about vfio (is
 * it bound to vfio-pci or a vfio-pci variant driver, does a user have it
 * or its group open).  Nothing here calls into the rest of gpupt, and
 * nothing calls into vfio, so gpupt loads whether or not vfio is built.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "gpupt.h"

void gpupt_dev_name(struct pci_dev *pdev, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%d", pci_domain_nr(pdev->bus),
		 pdev->bus->number, PCI_SLOT(pdev->devfn),
		 PCI_FUNC(pdev->devfn));
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

static bool gpupt_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* "vfio-pci", or a variant such as "mlx5_vfio_pci", "virtio-vfio-pci". */
bool gpupt_vfio_driver_name_ok(const char *name)
{
	return !strcmp(name, "vfio-pci") ||
	       gpupt_ends_with(name, "vfio_pci") ||
	       gpupt_ends_with(name, "vfio-pci");
}

bool gpupt_dev_is_vfio(struct pci_dev *pdev)
{
	char name[GPUPT_NAME_LEN];

	gpupt_dev_driver_name(pdev, name, sizeof(name));
	return *name && gpupt_vfio_driver_name_ok(name);
}

/*
 * Open: the user holds the device, or owns its group's DMA and is about to
 * (a QEMU between VFIO_GROUP_SET_CONTAINER and VFIO_GROUP_GET_DEVICE_FD).
 * Caller holds device_lock.
 */
bool gpupt_vfio_open_locked(struct pci_dev *pdev)
{
	return gpupt_dev_is_vfio(pdev) &&
	       (gpupt_compat_vfio_open_locked(pdev) ||
		gpupt_compat_group_user_owned(pdev));
}

/*
 * If the device_lock cannot be had within 200 ms, a vfio device counts as
 * open: the usual holder is vfio's unbind waiting for the user to close.
 */
bool gpupt_vfio_open(struct pci_dev *pdev)
{
	bool open;

	if (!gpupt_dev_is_vfio(pdev))
		return false;
	if (gpupt_dev_lock(pdev, 200))
		return true;
	open = gpupt_vfio_open_locked(pdev);
	device_unlock(&pdev->dev);
	return open;
}
