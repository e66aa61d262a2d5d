/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference gpupt cares about, in one place.  Kbuild
 * force-includes this header into every file and passes GPUPT_HAVE_* for
 * features found by grepping the target kernel's headers (so distribution
 * backports are honoured).  Version numbers are only a last resort, and
 * only here.  The rest of the module reads as if written for the newest
 * kernel.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#ifndef _GPUPT_COMPAT_H
#define _GPUPT_COMPAT_H

/* Force-included first, so it sets every file's pr_fmt. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/version.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
/* The protocol's enums (reset methods) */
#include <linux/gpupt.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 4, 0)
#error "gpupt needs Linux 5.4 or newer"
#endif

/* 5.19: pci_driver.driver_managed_dma keeps a group viable for vfio. */
#ifdef GPUPT_HAVE_DRIVER_MANAGED_DMA
#define GPUPT_DRIVER_MANAGED_DMA	.driver_managed_dma = true,
#else
#define GPUPT_DRIVER_MANAGED_DMA
#endif

/*
 * driver_override.  Up to 7.x PCI keeps it in pci_dev (set with
 * driver_set_override() since 5.19, by hand before); newer kernels move it
 * into struct device.  All readers and writers go through these two.
 * gpupt_override_dup_locked() copies the string (or NULL when none is set);
 * the caller must hold device_lock.
 */
static inline int gpupt_override_dup_locked(struct pci_dev *pdev, char **out)
{
#if defined(GPUPT_HAVE_PCI_DRIVER_OVERRIDE)
	const char *s = pdev->driver_override;

	*out = s ? kstrdup(s, GFP_KERNEL) : NULL;
#elif defined(GPUPT_HAVE_DEVICE_DRIVER_OVERRIDE)
	const char *s;

	spin_lock(&pdev->dev.driver_override.lock);
	s = pdev->dev.driver_override.name;
	*out = s ? kstrdup(s, GFP_ATOMIC) : NULL;
	spin_unlock(&pdev->dev.driver_override.lock);
#else
#error "gpupt: cannot find driver_override in this kernel"
#endif
	return s && !*out ? -ENOMEM : 0;
}

/* Is the override exactly @name?  Caller holds device_lock. */
static inline bool gpupt_override_is_locked(struct pci_dev *pdev,
					    const char *name)
{
#if defined(GPUPT_HAVE_PCI_DRIVER_OVERRIDE)
	return pdev->driver_override && !strcmp(pdev->driver_override, name);
#else
	bool ret;

	spin_lock(&pdev->dev.driver_override.lock);
	ret = pdev->dev.driver_override.name &&
	      !strcmp(pdev->dev.driver_override.name, name);
	spin_unlock(&pdev->dev.driver_override.lock);
	return ret;
#endif
}

/*
 * Set (or with NULL clear) the override.  Takes device_lock itself, so the
 * caller must not hold it.  Also called from the PCI bus notifier at
 * BUS_NOTIFY_ADD_DEVICE for a new VF (sriov.c), which runs in process
 * context inside device_add(), before the driver core may match the
 * device: 6.1's driver_set_override() takes the VF's device_lock, which
 * nobody holds yet; 6.12+'s device_set_driver_override() only a spinlock;
 * pci_device_can_probe() lets a VF with an override probe even when
 * sriov_drivers_autoprobe is 0 (pdev->driver_override on 6.1,
 * device_has_driver_override() from 6.12 and on 7.x).
 */
static inline int gpupt_override_set(struct pci_dev *pdev, const char *name)
{
#if defined(GPUPT_HAVE_DEVICE_DRIVER_OVERRIDE) && \
	!defined(GPUPT_HAVE_PCI_DRIVER_OVERRIDE)
	return device_set_driver_override(&pdev->dev, name ? name : "");
#elif defined(GPUPT_HAVE_DRIVER_SET_OVERRIDE) && \
	defined(GPUPT_HAVE_PCI_DRIVER_OVERRIDE_CONST)
	return driver_set_override(&pdev->dev, &pdev->driver_override,
				   name ? name : "", name ? strlen(name) : 0);
#else
	const char *old;
	char *new = NULL;

	if (name && *name) {
		new = kstrdup(name, GFP_KERNEL);
		if (!new)
			return -ENOMEM;
	}
	device_lock(&pdev->dev);
	old = pdev->driver_override;
	pdev->driver_override = new;
	device_unlock(&pdev->dev);
	kfree(old);
	return 0;
#endif
}

/*
 * Set the override to @name while the caller already holds device_lock
 * (a bus notifier inside the driver core's unbind).  The swap is what
 * driver_set_override() does, without taking device_lock again.
 */
static inline int gpupt_override_set_locked(struct pci_dev *pdev,
					    const char *name)
{
	char *new = kstrdup(name, GFP_KERNEL);
	const char *old;

	if (!new)
		return -ENOMEM;
#if defined(GPUPT_HAVE_PCI_DRIVER_OVERRIDE)
	old = pdev->driver_override;
	pdev->driver_override = new;
#else
	spin_lock(&pdev->dev.driver_override.lock);
	old = pdev->dev.driver_override.name;
	pdev->dev.driver_override.name = new;
	spin_unlock(&pdev->dev.driver_override.lock);
#endif
	kfree(old);
	return 0;
}

/*
 * Reset methods.  Since 5.15 pci_dev.reset_methods[] holds indices into
 * the kernel's pci_reset_fn_methods[], in priority order, 0-terminated;
 * those indices are exactly enum gpupt_reset_method (cxl_bus from 6.2).
 * Older kernels only tell us about FLR and bus resets, and only let us
 * choose the kernel's own order or a bare FLR.
 *
 * gpupt_reset_one_locked(): caller holds the device and config-access
 * locks.  Tries the device's methods in the kernel's order, restricted to
 * @want unless it is GPUPT_RESET_AUTO, each through
 * pci_reset_function_locked() (which saves, disables, resets and
 * restores), and moves on only on ENOTTY, like
 * __pci_reset_function_locked().  *used is the method that ran.
 */
#ifdef GPUPT_HAVE_RESET_METHODS
#define GPUPT_NUM_RESET_METHODS	PCI_NUM_RESET_METHODS
static inline int gpupt_reset_methods(struct pci_dev *pdev, u8 *m, int n)
{
	int i;

	for (i = 0; i < n && i < PCI_NUM_RESET_METHODS; i++) {
		m[i] = READ_ONCE(pdev->reset_methods[i]);
		if (!m[i])
			break;
	}
	return i;
}

/* A rescanned function keeps the order the user set in reset_method. */
static inline void gpupt_reset_methods_copy(struct pci_dev *to,
					    struct pci_dev *from)
{
	memcpy(to->reset_methods, from->reset_methods,
	       sizeof(to->reset_methods));
}

static inline int gpupt_reset_one_locked(struct pci_dev *pdev, u8 want,
					 u8 *used)
{
	u8 saved[PCI_NUM_RESET_METHODS];
	int i, rc = -ENOTTY;

	memcpy(saved, pdev->reset_methods, sizeof(saved));
	for (i = 0; i < PCI_NUM_RESET_METHODS && saved[i]; i++) {
		if (want != GPUPT_RESET_AUTO && saved[i] != want)
			continue;
		memset(pdev->reset_methods, 0, sizeof(saved));
		pdev->reset_methods[0] = saved[i];
		rc = pci_reset_function_locked(pdev);
		if (rc != -ENOTTY) {
			*used = saved[i];
			break;
		}
	}
	memcpy(pdev->reset_methods, saved, sizeof(saved));
	return rc;
}
#else
#define GPUPT_NUM_RESET_METHODS	8
static inline void gpupt_reset_methods_copy(struct pci_dev *to,
					    struct pci_dev *from)
{
}

static inline int gpupt_reset_methods(struct pci_dev *pdev, u8 *m, int n)
{
	int i = 0;

	if (i < n && pcie_has_flr(pdev))
		m[i++] = GPUPT_RESET_FLR;
	if (i < n && !pci_is_root_bus(pdev->bus) &&
	    !(pdev->dev_flags & PCI_DEV_FLAGS_NO_BUS_RESET))
		m[i++] = GPUPT_RESET_BUS;
	return i;
}

static inline int gpupt_reset_one_locked(struct pci_dev *pdev, u8 want,
					 u8 *used)
{
	int rc;

	if (want == GPUPT_RESET_AUTO) {
		*used = GPUPT_RESET_AUTO;
		return pci_reset_function_locked(pdev);
	}
	if (want != GPUPT_RESET_FLR || !pcie_has_flr(pdev))
		return -ENOTTY;
	pci_save_state(pdev);
	rc = pcie_flr(pdev);
	pci_restore_state(pdev);
	*used = GPUPT_RESET_FLR;
	return rc;
}
#endif

/*
 * pci_pr3_present() (5.6): does the platform have ACPI power resources to
 * put @pdev into D3cold?  Without it, assume not.
 */
#ifdef GPUPT_HAVE_PCI_PR3_PRESENT
static inline bool gpupt_pr3_present(struct pci_dev *pdev)
{
	return pci_pr3_present(pdev);
}
#else
static inline bool gpupt_pr3_present(struct pci_dev *pdev)
{
	return false;
}
#endif

/*
 * Policies.  NLA_POLICY_MASK arrived in 5.10; before it only the handlers
 * reject unknown flag bits (each handler that takes GPUPT_A_FLAGS rejects
 * the bits its command does not take).
 */
#ifdef GPUPT_HAVE_NLA_POLICY_MASK
#define GPUPT_POLICY_MASK_U32(mask)	NLA_POLICY_MASK(NLA_U32, mask)
#else
#define GPUPT_POLICY_MASK_U32(mask)	{ .type = NLA_U32 }
#endif

/*
 * Formatted extack messages.  6.2+ (NL_SET_ERR_MSG_FMT) keeps the text in
 * the extack's own 80-byte buffer and warns in dmesg when a message does
 * not fit; gpupt_err() cuts long messages itself, visibly ("..."), so
 * a user's error never turns into a kernel warning.  Older kernels only
 * carry a pointer to a string that must outlive the handler (the ACK is
 * built after it returns), so there the text goes into a small static
 * ring; a slot is reused only after 64 later messages.  The text is
 * informational, never ABI.
 */
__printf(2, 3)
void gpupt_err(struct netlink_ext_ack *extack, const char *fmt, ...);

/*
 * Is a vfio-pci (or variant) device open?  With the vfio_pci_core API
 * (include/linux/vfio_pci_core.h, 5.19+ headers) a bound device's drvdata
 * is its struct vfio_pci_core_device, whose vfio_device counts opens.
 * Older kernels keep that private: fall back to the enable count, which
 * vfio-pci raises on open and drops on close.  Caller holds device_lock
 * and has checked that a vfio-pci driver is bound.
 */
#if defined(GPUPT_HAVE_VFIO_PCI_CORE) && defined(GPUPT_HAVE_VFIO_OPEN_COUNT)
#include <linux/vfio_pci_core.h>
static inline bool gpupt_compat_vfio_open_locked(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (!vdev || vdev->pdev != pdev || vdev->vdev.dev != &pdev->dev)
		return atomic_read(&pdev->enable_cnt) > 0;
	return READ_ONCE(vdev->vdev.open_count) > 0;
}
#else
static inline bool gpupt_compat_vfio_open_locked(struct pci_dev *pdev)
{
	return atomic_read(&pdev->enable_cnt) > 0;
}
#endif

/*
 * Has userspace taken DMA ownership of @pdev's IOMMU group?  vfio claims
 * it when a group is attached to a container (or a device is bound to an
 * iommufd), which comes before the user opens the device itself; a device
 * unbound in that window leaves the owner's type1 ioctls on freed state.
 * Kernel drivers without driver_managed_dma also count as owners, so the
 * claim is the user's only when every bound member manages its own DMA
 * (vfio-pci, pcieport, gpupt).  5.19+: iommu_group_dma_owner_claimed().
 */
#ifdef GPUPT_HAVE_DRIVER_MANAGED_DMA
#include <linux/iommu.h>
static inline int gpupt_compat_kernel_dma_user(struct device *dev, void *data)
{
	struct device_driver *drv = READ_ONCE(dev->driver);

	if (!drv)
		return 0;
	return !dev_is_pci(dev) || !to_pci_driver(drv)->driver_managed_dma;
}

static inline bool gpupt_compat_group_user_owned(struct pci_dev *pdev)
{
	struct iommu_group *group = iommu_group_get(&pdev->dev);
	bool owned;

	if (!group)
		return false;
	owned = iommu_group_dma_owner_claimed(group) &&
		!iommu_group_for_each_dev(group, NULL,
					  gpupt_compat_kernel_dma_user);
	iommu_group_put(group);
	return owned;
}
#else
static inline bool gpupt_compat_group_user_owned(struct pci_dev *pdev)
{
	return false;
}
#endif

/*
 * Firmware framebuffers (efifb, vesafb, sysfb's simple-framebuffer and
 * simpledrm/simplefb on it) and the VGA console using a PCI function's
 * memory: linux/aperture.h since 6.0.  aperture_remove_conflicting_pci_devices
 * (pdev, name) has kept its signature through 6.1, 6.12 and 7.x (6.8 only
 * dropped the "primary" argument of the range variant, which gpupt does not
 * call); it also stops sysfb from registering its device later.  Before
 * 6.0 gpupt cannot do it: the caller names the boot option instead.  A
 * kernel without CONFIG_APERTURE_HELPERS gets the header's stub (returns 0),
 * so the caller checks the BARs again afterwards.
 */
#ifdef GPUPT_HAVE_APERTURE
#include <linux/aperture.h>
static inline int gpupt_compat_remove_firmware_fb(struct pci_dev *pdev)
{
	return aperture_remove_conflicting_pci_devices(pdev, KBUILD_MODNAME);
}
#else
static inline int gpupt_compat_remove_firmware_fb(struct pci_dev *pdev)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * Also probed, deliberately unused: GPUPT_HAVE_GENL_SPLIT_OPS (6.2) and
 * GPUPT_HAVE_GENL_INFO_DUMP (6.6).  Classic struct genl_ops with a family
 * policy is still accepted by every kernel we target, and the dump reads
 * nothing from its request, so neither move needs code here.
 */

#endif /* _GPUPT_COMPAT_H */
