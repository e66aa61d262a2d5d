// SPDX-License-Identifier: GPL-2.0
/*
 * failprobe_vfio_pci: a test-only PCI driver for t33-handoff-rollback.
 *
 * Its probe succeeds for every function except those listed in fail=,
 * whose probe returns -EIO: a real bind failure in the driver core, on
 * the function we choose.  gpupt accepts it as a handoff target because
 * its name ends in "vfio_pci" (the rule for vfio-pci variant drivers).
 *
 * Why not vfio-pci itself: its denylist holds only Intel QAT IDs, and
 * QEMU devices' IDs are fixed; its refusal of an SR-IOV PF with VFs
 * enabled needs VFs, and Linux 6.1's nvme driver cannot enable the ones
 * QEMU 7.2's nvme offers (sriov_numvfs: ENOSYS); Debian's 6.1 has no
 * fault injection (CONFIG_FAULT_INJECTION and
 * CONFIG_FUNCTION_ERROR_INJECTION are off).
 *
 * No ID table: it binds only through driver_override, like gpupt.
 */
#include <linux/module.h>
#include <linux/version.h>
#include <linux/pci.h>

static char *fail = "";
module_param(fail, charp, 0644);
MODULE_PARM_DESC(fail, "comma-separated PCI addresses whose probe fails with EIO");

static int failprobe_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	const char *name = pci_name(pdev), *p = fail;
	size_t len = strlen(name);

	while (p && *p) {
		if (!strncmp(p, name, len) && (p[len] == ',' || p[len] == '\0' ||
					       p[len] == '\n')) {
			pci_info(pdev, "failprobe: refusing the bind (fail=%s)\n",
				 fail);
			return -EIO;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	pci_info(pdev, "failprobe: bound\n");
	return 0;
}

static void failprobe_remove(struct pci_dev *pdev)
{
}

static struct pci_driver failprobe_driver = {
	.name		= "failprobe_vfio_pci",
	.probe		= failprobe_probe,
	.remove		= failprobe_remove,
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 19, 0)
	.driver_managed_dma = true,
#endif
};
module_pci_driver(failprobe_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gpupt test: a PCI driver whose probe fails on demand");
