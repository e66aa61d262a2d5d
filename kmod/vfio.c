// SPDX-License-Identifier: GPL-2.0
/*
 * What gpupt needs to know about vfio: is a device bound to vfio-pci (or
 * a vfio-pci variant driver), and does a user have it (or its group) open.  Nothing here
 * calls into vfio, so gpupt loads whether or not vfio is built.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/string.h>

#include "gpupt.h"

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
