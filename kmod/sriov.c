// SPDX-License-Identifier: GPL-2.0
/*
 * SR-IOV: gpupt as a PF driver (sriov_configure), GPUPT_CMD_SRIOV, and
 * holding every VF of a managed PF from the moment it is added to the bus.
 *
 * A PF is managed once GPUPT_CMD_SRIOV has run on it (a mark holding a
 * reference, dropped when the PF leaves the bus), or while gpupt holds
 * it.  The bus notifier sees a new VF at BUS_NOTIFY_ADD_DEVICE, from
 * device_add(), before pci_bus_add_device() lets drivers match it; the VF
 * gets driver_override "gpupt" there, so the driver core's first attach
 * binds gpupt and no host driver ever probes it, whatever
 * sriov_drivers_autoprobe says.
 *
 * Rule for enabling VFs with gpupt as the PF driver: gpupt never
 * initialises a device, so it cannot do what a PF driver does for its
 * VFs (firmware provisioning, resource partitioning, mailboxes).  It
 * enables VFs only on a PF the administrator has named with
 * GPUPT_CMD_SRIOV (gptctl sriov), and never on a display-class PF: every
 * SR-IOV GPU (Intel i915/xe, AMD MxGPU, NVIDIA vGPU) sets its VFs up from
 * its own PF driver.  For those, the PF stays on its vendor driver and
 * GPUPT_CMD_SRIOV calls that driver's sriov_configure; gpupt holds the
 * VFs it creates.
 *
 * Locking: GPUPT_CMD_SRIOV holds gpupt_ops_lock, then the PCI
 * rescan/remove lock, then the PF's device_lock, then briefly each VF's.
 * A PF driver's sriov_configure must run under the rescan/remove lock, as
 * sriov_numvfs_store() calls it (upstream a5338e365c45, in 6.1.192,
 * 6.12.117 and 7.2.13; sriov_enable() takes no lock of its own there): a
 * hotplug event's bus rescan (QEMU sends an ACPI Device Check for the slot
 * when it creates the VFs; acpiphp then runs pci_bus_add_devices() on the
 * PF's bus) would otherwise add a VF that pci_iov_add_virtfn() has put on
 * the bus but not added yet, and both create its sysfs resource files: the
 * second fails, and frees the first's attribute while the pci_dev still
 * points at it.  The rescan/remove lock comes first, as wherever the
 * kernel takes both (device removal and addition take device_lock under
 * it); the sysfs write takes them the other way round, so the PF's
 * device_lock is only tried here, for at most GPUPT_SRIOV_LOCK_MS, and a
 * writer waiting for the rescan/remove lock gets it when that time is up.
 * The notifier takes only the marks' spinlock and the new VF's
 * driver_override lock.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "gpupt.h"

#define GPUPT_SRIOV_LOCK_MS	1000
#define GPUPT_SRIOV_VF_LOCK_MS	200

struct gpupt_pf_mark {
	struct list_head node;
	struct pci_dev *pdev;
};

static LIST_HEAD(gpupt_pf_marks);
static DEFINE_SPINLOCK(gpupt_pf_lock);

static struct gpupt_pf_mark *gpupt_pf_find(struct pci_dev *pdev)
{
	struct gpupt_pf_mark *m;

	lockdep_assert_held(&gpupt_pf_lock);
	list_for_each_entry(m, &gpupt_pf_marks, node)
		if (m->pdev == pdev)
			return m;
	return NULL;
}

static bool gpupt_sriov_marked(struct pci_dev *pf)
{
	bool ret;

	spin_lock(&gpupt_pf_lock);
	ret = gpupt_pf_find(pf);
	spin_unlock(&gpupt_pf_lock);
	return ret;
}

static int gpupt_sriov_mark(struct pci_dev *pf)
{
	struct gpupt_pf_mark *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return -ENOMEM;
	spin_lock(&gpupt_pf_lock);
	if (!gpupt_pf_find(pf)) {
		m->pdev = pci_dev_get(pf);
		list_add(&m->node, &gpupt_pf_marks);
		m = NULL;
	}
	spin_unlock(&gpupt_pf_lock);
	kfree(m);
	return 0;
}

/* Bus notifier, BUS_NOTIFY_DEL_DEVICE: a managed PF goes away. */
void gpupt_sriov_del_device(struct pci_dev *pdev)
{
	struct gpupt_pf_mark *m;

	if (!pdev->is_physfn)
		return;
	spin_lock(&gpupt_pf_lock);
	m = gpupt_pf_find(pdev);
	if (m)
		list_del(&m->node);
	spin_unlock(&gpupt_pf_lock);
	if (m) {
		pci_dev_put(m->pdev);
		kfree(m);
	}
}

void gpupt_sriov_exit(void)
{
	struct gpupt_pf_mark *m, *tmp;

	list_for_each_entry_safe(m, tmp, &gpupt_pf_marks, node) {
		list_del(&m->node);
		pci_dev_put(m->pdev);
		kfree(m);
	}
}

/* Does gpupt hold the VFs of @pf? */
static bool gpupt_sriov_managed(struct pci_dev *pf)
{
	return gpupt_dev_held(pf) || gpupt_sriov_marked(pf);
}

bool gpupt_sriov_covered(struct pci_dev *pdev)
{
	if (pdev->is_virtfn)
		return gpupt_sriov_managed(pci_physfn(pdev));
	return pdev->is_physfn && gpupt_sriov_marked(pdev);
}

/*
 * Bus notifier, BUS_NOTIFY_ADD_DEVICE: a VF of a managed PF gets
 * driver_override "gpupt" before any driver can match it.
 */
void gpupt_sriov_add_device(struct pci_dev *pdev)
{
	int err;

	if (!pdev->is_virtfn || !gpupt_sriov_managed(pci_physfn(pdev)))
		return;
	err = gpupt_override_set(pdev, GPUPT_DRIVER_NAME);
	if (err)
		pci_warn(pdev, "cannot hold this VF (driver_override: %d)\n",
			 err);
}

/*
 * The VFs of @pf in bus order: start with @vf NULL; the reference on the
 * previous VF is dropped, the returned one is held.  (The kernel does
 * not export pci_iov_virtfn_bus() to modules.)
 */
static struct pci_dev *gpupt_sriov_next_vf(struct pci_dev *pf,
					   struct pci_dev *vf)
{
	while ((vf = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, vf)))
		if (vf->is_virtfn && pci_physfn(vf) == pf)
			return vf;
	return NULL;
}

#define gpupt_for_each_vf(pf, vf) \
	for ((vf) = gpupt_sriov_next_vf((pf), NULL); (vf); \
	     (vf) = gpupt_sriov_next_vf((pf), (vf)))

/*
 * Why @pf's VFs may not be disabled now, in @buf, or NULL.  A VF open
 * through vfio always blocks (its removal would wait for the VM); one on
 * a host driver blocks unless @force.
 */
static const char *gpupt_sriov_busy(struct pci_dev *pf, bool force,
				    char *buf, size_t len)
{
	struct pci_dev *vf;

	gpupt_for_each_vf(pf, vf) {
		struct device_driver *drv;
		const char *why = NULL;

		if (gpupt_dev_lock(vf, GPUPT_SRIOV_VF_LOCK_MS)) {
			snprintf(buf, len, "VF %s is locked by another operation",
				 pci_name(vf));
			why = buf;
		} else {
			drv = vf->dev.driver;
			if (drv && gpupt_vfio_driver_name_ok(drv->name)) {
				if (gpupt_vfio_open_locked(vf)) {
					snprintf(buf, len,
						 "VF %s is in use: its vfio device is open",
						 pci_name(vf));
					why = buf;
				}
			} else if (drv && drv != &gpupt_pci_driver.driver &&
				   !force) {
				snprintf(buf, len, "VF %s is bound to %s",
					 pci_name(vf), drv->name);
				why = buf;
			}
			device_unlock(&vf->dev);
		}
		if (why) {
			pci_dev_put(vf);
			return why;
		}
	}
	return NULL;
}

/* A display-class PF: its VFs need its own driver. */
static bool gpupt_sriov_needs_pf_driver(struct pci_dev *pf)
{
	return (pf->class >> 16) == PCI_BASE_CLASS_DISPLAY;
}

/*
 * gpupt's sriov_configure.  The caller (a sysfs sriov_numvfs write, or
 * GPUPT_CMD_SRIOV) holds the PCI rescan/remove lock and the PF's
 * device_lock.
 */
int gpupt_sriov_configure(struct pci_dev *pdev, int num_vfs)
{
	char why[96];
	int err;

	if (!num_vfs) {
		if (gpupt_sriov_busy(pdev, true, why, sizeof(why))) {
			pci_warn(pdev, "VFs not disabled: %s\n", why);
			return -EBUSY;
		}
		pci_disable_sriov(pdev);
		return 0;
	}
	if (gpupt_sriov_needs_pf_driver(pdev)) {
		pci_warn(pdev, "VFs not enabled: a GPU's VFs are set up by its own driver; bind it to that driver\n");
		return -EOPNOTSUPP;
	}
	if (!gpupt_sriov_marked(pdev)) {
		pci_warn(pdev, "VFs not enabled: gpupt cannot set up a device's VFs; if this one needs no driver for that, run: gptctl sriov %s --numvfs %d\n",
			 pci_name(pdev), num_vfs);
		return -EPERM;
	}
	err = pci_enable_sriov(pdev, num_vfs);
	if (err) {
		pci_warn(pdev, "enabling %d VFs failed: %d\n", num_vfs, err);
		return err;
	}
	return num_vfs;
}

/* Every VF must have come up on gpupt.  Caller holds the PF's lock. */
static int gpupt_sriov_check_held(struct genl_info *info, struct pci_dev *pf,
				  const char *name, int want)
{
	char drv[GPUPT_NAME_LEN];
	struct pci_dev *vf;
	int n = 0;

	gpupt_for_each_vf(pf, vf) {
		n++;
		if (gpupt_dev_held(vf))
			continue;
		gpupt_dev_driver_name(vf, drv, sizeof(drv));
		gpupt_err(info->extack, "%s: VF %s came up on %s, not gpupt",
			  name, pci_name(vf), *drv ? drv : "no driver");
		pci_dev_put(vf);
		return -EIO;
	}
	if (n != want) {
		gpupt_err(info->extack, "%s: %d of %d VFs appeared", name, n,
			  want);
		return -EIO;
	}
	return 0;
}

static int gpupt_sriov_set_locked(struct genl_info *info, struct pci_dev *pf,
				  const char *name, int want, u32 flags)
{
	struct pci_driver *drv = pf->dev.driver ?
				 to_pci_driver(pf->dev.driver) : NULL;
	int have = pci_num_vf(pf), ret, err;
	char why[96];

	if (!drv) {
		gpupt_err(info->extack,
			  "%s has no driver to enable VFs: claim it for gpupt or bind its own driver",
			  name);
		return -ENOENT;
	}
	if (!drv->sriov_configure) {
		gpupt_err(info->extack, "%s: %s cannot enable VFs (no sriov_configure)",
			  name, drv->name);
		return -ENOENT;
	}
	if (have == want)
		return 0;
	if (want && drv == &gpupt_pci_driver &&
	    gpupt_sriov_needs_pf_driver(pf)) {
		gpupt_err(info->extack,
			  "%s is a GPU: its VFs are set up by its own driver; bind it to that driver first",
			  name);
		return -EOPNOTSUPP;
	}
	if (have && gpupt_sriov_busy(pf, flags & GPUPT_F_FORCE, why,
				     sizeof(why))) {
		gpupt_err(info->extack, "%s: %s", name, why);
		return -EBUSY;
	}
	err = gpupt_sriov_mark(pf);
	if (err) {
		gpupt_err(info->extack, "%s: out of memory", name);
		return err;
	}
	if (have) {
		ret = drv->sriov_configure(pf, 0);
		if (ret < 0) {
			gpupt_err(info->extack, "%s: %s could not disable its VFs (%d)",
				  name, drv->name, ret);
			return ret;
		}
	}
	if (!want)
		return 0;
	ret = drv->sriov_configure(pf, want);
	if (ret < 0) {
		gpupt_err(info->extack, "%s: %s could not enable %d VFs (%d)%s",
			  name, drv->name, want, ret,
			  have ? "; its VFs are now disabled" : "");
		return ret;
	}
	err = gpupt_sriov_check_held(info, pf, name, want);
	if (err) {
		drv->sriov_configure(pf, 0);
		return err;
	}
	pci_info(pf, "%d VFs enabled through %s, held by gpupt\n", want,
		 drv->name);
	return 0;
}

int gpupt_sriov_put_attrs(struct sk_buff *skb, struct pci_dev *pdev)
{
	if (pdev->is_virtfn)
		return gpupt_nl_put_addr(skb, GPUPT_DEV_A_PHYSFN,
					 pci_physfn(pdev));
	if (!pdev->is_physfn)
		return 0;
	if (nla_put_u16(skb, GPUPT_DEV_A_NUM_VFS, pci_num_vf(pdev)) ||
	    nla_put_u16(skb, GPUPT_DEV_A_TOTAL_VFS,
			pci_sriov_get_totalvfs(pdev)))
		return -EMSGSIZE;
	return 0;
}

/*
 * Blocker of a bus or slot reset: a PF in its radius with VFs enabled.
 * NULL when there is none.
 */
const char *gpupt_sriov_reset_blocker(struct pci_dev *pdev, char *buf,
				      size_t len)
{
	int n;

	if (!pdev->is_physfn)
		return NULL;
	n = pci_num_vf(pdev);
	if (!n)
		return NULL;
	snprintf(buf, len, "%s has %d VFs enabled (a bus reset would drop them)",
		 pci_name(pdev), n);
	return buf;
}

/* Reply: the PF's record and one per VF.  About 300 bytes a record. */
static int gpupt_sriov_reply(struct genl_info *info, struct pci_dev *pf)
{
	int n = pci_num_vf(pf);
	struct nlattr *nest, *arr;
	struct pci_dev *vf;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(max_t(size_t, NLMSG_GOODSIZE, (n + 2) * 512),
			  GFP_KERNEL);
	if (!msg)
		goto nomem;
	hdr = genlmsg_put_reply(msg, info, &gpupt_genl_family, 0,
				GPUPT_CMD_SRIOV);
	if (!hdr)
		goto full;
	nest = gpupt_nl_put_dev(msg, GPUPT_A_DEVICE, pf);
	if (!nest)
		goto full;
	nla_nest_end(msg, nest);
	if (n) {
		arr = nla_nest_start(msg, GPUPT_A_DEVICES);
		if (!arr)
			goto full;
		gpupt_for_each_vf(pf, vf) {
			nest = gpupt_nl_put_dev(msg, GPUPT_A_DEVICE, vf);
			if (!nest) {
				pci_dev_put(vf);
				goto full;
			}
			nla_nest_end(msg, nest);
		}
		nla_nest_end(msg, arr);
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

full:
	return gpupt_nl_reply_full(info, msg);
nomem:
	NL_SET_ERR_MSG(info->extack, "out of memory");
	return -ENOMEM;
}

int gpupt_nl_sriov_doit(struct sk_buff *skb, struct genl_info *info)
{
	u32 flags = gpupt_nl_flags(info);
	struct pci_dev *pdev;
	char name[24];
	int want, total, err;

	if (flags & ~(u32)GPUPT_F_FORCE) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_FLAGS],
				    "unsupported flag for this command");
		return -EINVAL;
	}
	if (!info->attrs[GPUPT_A_NUM_VFS]) {
		NL_SET_ERR_MSG(info->extack, "missing number of VFs");
		return -EINVAL;
	}
	want = nla_get_u16(info->attrs[GPUPT_A_NUM_VFS]);
	err = gpupt_nl_get_dev(info, info->attrs[GPUPT_A_DEVICE], &pdev);
	if (err)
		return err;
	gpupt_dev_name(pdev, name, sizeof(name));

	err = -EINVAL;
	if (pdev->is_virtfn) {
		gpupt_err(info->extack, "%s is a VF of %s: give its PF",
			  name, pci_name(pci_physfn(pdev)));
		goto out;
	}
	total = pci_sriov_get_totalvfs(pdev);
	if (!pdev->is_physfn || total <= 0) {
		gpupt_err(info->extack, "%s has no SR-IOV capability", name);
		err = -EOPNOTSUPP;
		goto out;
	}
	if (want > total) {
		gpupt_err(info->extack, "%s supports at most %d VFs", name,
			  total);
		goto out;
	}

	mutex_lock(&gpupt_ops_lock);
	pci_lock_rescan_remove();
	err = gpupt_dev_lock(pdev, GPUPT_SRIOV_LOCK_MS);
	if (err) {
		gpupt_err(info->extack, "%s is locked by another operation",
			  name);
	} else {
		err = gpupt_sriov_set_locked(info, pdev, name, want, flags);
		device_unlock(&pdev->dev);
	}
	pci_unlock_rescan_remove();
	if (!err)
		err = gpupt_sriov_reply(info, pdev);
	mutex_unlock(&gpupt_ops_lock);
out:
	pci_dev_put(pdev);
	return err;
}
