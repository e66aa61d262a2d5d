// SPDX-License-Identifier: GPL-2.0
/*
 * gpupt: hold GPUs away from host drivers and hand them to vfio-pci as
 * whole IOMMU groups.  Module init and exit only.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "gpupt.h"

static int __init gpupt_init(void)
{
	int err;

	err = gpupt_state_init();
	if (err)
		goto err_state;
	err = gpupt_ids_init();
	if (err)
		goto err_ids;
	err = gpupt_nl_init();
	if (err)
		goto err_nl;
	/* Last: probe() may run right away and uses everything above. */
	err = gpupt_driver_init();
	if (err)
		goto err_driver;
	pr_info("gpupt " GPUPT_VERSION " loaded\n");
	return 0;

err_driver:
	gpupt_nl_uninit();
err_nl:
	gpupt_ids_exit();
err_ids:
	gpupt_state_exit();
err_state:
	return err;
}

/*
 * Devices gpupt held are left without a driver, as pci-stub leaves them;
 * their remove() sends EVT_REMOVE while the family still exists.
 */
static void __exit gpupt_exit(void)
{
	gpupt_driver_exit();
	gpupt_nl_uninit();
	gpupt_ids_exit();
	gpupt_state_exit();
}

module_init(gpupt_init);
module_exit(gpupt_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The gpupt authors");
MODULE_DESCRIPTION("Hold GPUs for passthrough and hand them to vfio-pci");
MODULE_VERSION(GPUPT_VERSION);
