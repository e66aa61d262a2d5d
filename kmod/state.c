// SPDX-License-Identifier: GPL-2.0
/*
 * Module-wide state: the operations lock, counters, the generation number
 * dumps use to detect races, and the "do not retake" marks UNCLAIM and
 * RELEASE leave on a device.  A PCI bus notifier keeps the generation
 * current for every bind, unbind, addition and removal on the system,
 * forgets a mark when its device goes away, and brings functions that
 * ids=/addrs= name back to gpupt when someone else's tool unbinds them
 * from vfio (gpupt_unbinding_vfio()).
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "gpupt.h"

/* Serialises every mutating command; see gpupt.h. */
DEFINE_MUTEX(gpupt_ops_lock);
struct workqueue_struct *gpupt_wq;

static atomic64_t gpupt_stats[__GPUPT_STATS_A_MAX];
static atomic_t gpupt_gen = ATOMIC_INIT(1);

/*
 * A mark holds a reference on its pci_dev and is dropped from the bus
 * notifier on BUS_NOTIFY_DEL_DEVICE.  The reference means a stale pointer
 * can never match a new device that reuses the memory, even if a mark
 * races with the removal (it is then freed at module exit).  A device
 * plugged in later is a new device and ids=/addrs= apply to it again.
 */
struct gpupt_mark {
	struct list_head node;
	struct pci_dev *pdev;
};

static LIST_HEAD(gpupt_marks);
static DEFINE_SPINLOCK(gpupt_marks_lock);

void gpupt_stats_inc(enum gpupt_stats_attr which)
{
	if (which > GPUPT_STATS_A_UNSPEC && which < __GPUPT_STATS_A_MAX)
		atomic64_inc(&gpupt_stats[which]);
}

u64 gpupt_stats_read(enum gpupt_stats_attr which)
{
	if (which > GPUPT_STATS_A_UNSPEC && which < __GPUPT_STATS_A_MAX)
		return atomic64_read(&gpupt_stats[which]);
	return 0;
}

void gpupt_generation_bump(void)
{
	/* 0 means "no sequence" to genl_dump_check_consistent(): skip it. */
	if (unlikely(!atomic_inc_return(&gpupt_gen)))
		atomic_inc(&gpupt_gen);
}

u32 gpupt_generation(void)
{
	return atomic_read(&gpupt_gen);
}

static struct gpupt_mark *gpupt_mark_find(struct pci_dev *pdev)
{
	struct gpupt_mark *m;

	lockdep_assert_held(&gpupt_marks_lock);
	list_for_each_entry(m, &gpupt_marks, node)
		if (m->pdev == pdev)
			return m;
	return NULL;
}

int gpupt_noretake_set(struct pci_dev *pdev)
{
	struct gpupt_mark *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return -ENOMEM;
	spin_lock(&gpupt_marks_lock);
	if (!gpupt_mark_find(pdev)) {
		m->pdev = pci_dev_get(pdev);
		list_add(&m->node, &gpupt_marks);
		m = NULL;
	}
	spin_unlock(&gpupt_marks_lock);
	kfree(m);
	return 0;
}

void gpupt_noretake_clear(struct pci_dev *pdev)
{
	struct gpupt_mark *m;

	spin_lock(&gpupt_marks_lock);
	m = gpupt_mark_find(pdev);
	if (m)
		list_del(&m->node);
	spin_unlock(&gpupt_marks_lock);
	if (m) {
		pci_dev_put(m->pdev);
		kfree(m);
	}
}

bool gpupt_noretake(struct pci_dev *pdev)
{
	bool ret;

	spin_lock(&gpupt_marks_lock);
	ret = gpupt_mark_find(pdev);
	spin_unlock(&gpupt_marks_lock);
	return ret;
}

/*
 * Quarantine marks.  Kept by address, not by pci_dev: the rescan rung of
 * a reset replaces the pci_dev, and a device that did not come back from
 * it must still be held back if it ever answers again.  Only a reset that
 * passes every check, CLEAR_QUARANTINE or module unload forget a mark.
 */
struct gpupt_quarantine {
	struct list_head node;
	int domain;
	unsigned int bus, devfn;
	u8 check;
	char why[160];
};

static LIST_HEAD(gpupt_quarantines);
static DEFINE_SPINLOCK(gpupt_quarantine_lock);

static struct gpupt_quarantine *gpupt_quarantine_find(struct pci_dev *pdev)
{
	struct gpupt_quarantine *q;

	lockdep_assert_held(&gpupt_quarantine_lock);
	list_for_each_entry(q, &gpupt_quarantines, node)
		if (q->domain == pci_domain_nr(pdev->bus) &&
		    q->bus == pdev->bus->number && q->devfn == pdev->devfn)
			return q;
	return NULL;
}

int gpupt_quarantine_set(struct pci_dev *pdev, u8 check, const char *why)
{
	struct gpupt_quarantine *q, *new = kzalloc(sizeof(*new), GFP_KERNEL);
	int ret = 0;

	if (!new)
		return -ENOMEM;
	spin_lock(&gpupt_quarantine_lock);
	q = gpupt_quarantine_find(pdev);
	if (!q) {
		q = new;
		new = NULL;
		q->domain = pci_domain_nr(pdev->bus);
		q->bus = pdev->bus->number;
		q->devfn = pdev->devfn;
		list_add(&q->node, &gpupt_quarantines);
		ret = 1;
	}
	q->check = check;
	strscpy(q->why, why, sizeof(q->why));
	spin_unlock(&gpupt_quarantine_lock);
	kfree(new);
	return ret;
}

bool gpupt_quarantine_clear(struct pci_dev *pdev)
{
	struct gpupt_quarantine *q;

	spin_lock(&gpupt_quarantine_lock);
	q = gpupt_quarantine_find(pdev);
	if (q)
		list_del(&q->node);
	spin_unlock(&gpupt_quarantine_lock);
	kfree(q);
	return q;
}

bool gpupt_quarantined(struct pci_dev *pdev, char *buf, size_t len, u8 *check)
{
	struct gpupt_quarantine *q;

	spin_lock(&gpupt_quarantine_lock);
	q = gpupt_quarantine_find(pdev);
	if (q && buf)
		strscpy(buf, q->why, len);
	if (q && check)
		*check = q->check;
	spin_unlock(&gpupt_quarantine_lock);
	return q;
}

/*
 * A function handed off to vfio (its driver_override names a vfio driver,
 * as HANDOFF leaves it) is going away.  Held functions report from
 * gpupt_remove(); these would vanish silently.  PCI removal has already
 * unbound the driver by now (pci_stop_dev() runs before device_del()),
 * so the override is what tells.
 */
static void gpupt_removed_vfio(struct pci_dev *pdev)
{
	char *ovr = NULL;
	bool vfio;

	if (gpupt_dev_lock(pdev, 200))
		return;
	if (gpupt_override_dup_locked(pdev, &ovr)) {
		device_unlock(&pdev->dev);
		return;
	}
	device_unlock(&pdev->dev);
	vfio = ovr && gpupt_vfio_driver_name_ok(ovr);
	kfree(ovr);
	if (vfio)
		gpupt_dev_event(GPUPT_CMD_EVT_REMOVE, pdev, false);
}

/*
 * A function ids=/addrs= name is being unbound from a vfio driver, with
 * driver_override cleared: libvirt's nodedev-reattach (and managed='yes'
 * at domain stop) writes "\n" to driver_override, unbinds vfio-pci and
 * writes drivers_probe, so that "the preferred driver" binds.  For a
 * function gpupt holds that is gpupt, never the host driver: point the
 * override at gpupt now, while the driver core holds device_lock for the
 * unbind, so that no bind or drivers_probe that follows, whoever writes
 * it, can match anything else.  gpupt's own moves always set the override
 * before they unbind, and RELEASE/UNCLAIM leave a no-retake mark first,
 * so none of them comes through here.
 */
static void gpupt_unbinding_vfio(struct pci_dev *pdev)
{
	struct device_driver *drv = pdev->dev.driver;
	char *ovr = NULL;

	if (!drv || !gpupt_vfio_driver_name_ok(drv->name) ||
	    !gpupt_ids_match(pdev) || gpupt_noretake(pdev))
		return;
	if (gpupt_override_dup_locked(pdev, &ovr))
		return;
	if (!ovr || !*ovr) {
		if (gpupt_override_set_locked(pdev, GPUPT_DRIVER_NAME))
			pci_warn(pdev, "cannot point driver_override at gpupt: a host driver may take it\n");
		else
			pci_info(pdev, "leaving %s with driver_override cleared: back to gpupt\n",
				 drv->name);
	}
	kfree(ovr);
}

static int gpupt_bus_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct device *dev = data;

	if (action == BUS_NOTIFY_ADD_DEVICE)
		gpupt_sriov_add_device(to_pci_dev(dev));
	switch (action) {
	case BUS_NOTIFY_UNBIND_DRIVER:
		/* the driver core holds device_lock here */
		gpupt_unbinding_vfio(to_pci_dev(dev));
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		gpupt_removed_vfio(to_pci_dev(dev));
		gpupt_noretake_clear(to_pci_dev(dev));
		gpupt_sriov_del_device(to_pci_dev(dev));
		fallthrough;
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_BOUND_DRIVER:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		gpupt_generation_bump();
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block gpupt_bus_nb = {
	.notifier_call = gpupt_bus_notify,
};

int gpupt_state_init(void)
{
	int err;

	gpupt_wq = alloc_workqueue("gpupt", WQ_UNBOUND, 0);
	if (!gpupt_wq)
		return -ENOMEM;
	err = bus_register_notifier(&pci_bus_type, &gpupt_bus_nb);
	if (err)
		destroy_workqueue(gpupt_wq);
	return err;
}

void gpupt_state_exit(void)
{
	struct gpupt_quarantine *q, *qtmp;
	struct gpupt_mark *m, *tmp;

	bus_unregister_notifier(&pci_bus_type, &gpupt_bus_nb);
	destroy_workqueue(gpupt_wq);
	gpupt_sriov_exit();
	list_for_each_entry_safe(m, tmp, &gpupt_marks, node) {
		list_del(&m->node);
		pci_dev_put(m->pdev);
		kfree(m);
	}
	list_for_each_entry_safe(q, qtmp, &gpupt_quarantines, node) {
		list_del(&q->node);
		kfree(q);
	}
}
