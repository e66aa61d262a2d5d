// SPDX-License-Identifier: GPL-2.0
/*
 * The rebind engine shared by CLAIM, UNCLAIM, HANDOFF, RECLAIM and
 * RELEASE: move one function from its driver to a target driver (or, with
 * a NULL target, to whatever native driver wants it) and put it back.
 *
 * Every move sets driver_override *before* the current driver lets go, so
 * from then on only the target can match the function: a racing write to
 * another driver's bind file or to drivers_probe fails or binds the
 * target.  device_attach() then binds it, synchronously, honouring the
 * override; we never call device_driver_attach() so the same code works
 * on every kernel.  A rollback points the override at the old driver,
 * attaches it the same way, then restores the old override.
 *
 * Locking: callers hold gpupt_ops_lock.  device_lock is only taken inside
 * the driver core calls and, with a deadline, for snapshots; it is never
 * held across a call that takes it again.  probe()/remove() never take
 * gpupt_ops_lock, so no cycle exists.  pci_dev_lock() (config access lock
 * plus device_lock) is what resets need; binding needs only device_lock,
 * which the driver core takes itself.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "gpupt.h"

/* How long a snapshot waits for device_lock before calling it busy. */
#define GPUPT_LOCK_MS	1000

int gpupt_fn_prepare(struct gpupt_fn *fn, struct pci_dev *pdev)
{
	struct device_driver *drv;
	int err;

	memset(fn, 0, sizeof(*fn));
	fn->pdev = pci_dev_get(pdev);
	fn->noretake = gpupt_noretake(pdev);

	err = gpupt_dev_lock(pdev, GPUPT_LOCK_MS);
	if (err)
		return err;
	drv = pdev->dev.driver;
	/* A module reference keeps the old driver around for a rollback. */
	if (drv && !try_module_get(drv->owner)) {
		err = -EBUSY;
		goto unlock;
	}
	fn->from = drv;
	err = gpupt_override_dup_locked(pdev, &fn->from_override);
	if (err)
		goto unlock;
	if (drv)
		strscpy(fn->from_name, drv->name, sizeof(fn->from_name));
	fn->vfio = drv && gpupt_vfio_driver_name_ok(drv->name);
	fn->open = fn->vfio && gpupt_vfio_open_locked(pdev);
unlock:
	device_unlock(&pdev->dev);
	strscpy(fn->to_name, fn->from_name, sizeof(fn->to_name));
	return err;
}

void gpupt_fn_cleanup(struct gpupt_fn *fn)
{
	if (fn->from)
		module_put(fn->from->owner);
	fn->from = NULL;
	kfree(fn->from_override);
	fn->from_override = NULL;
	pci_dev_put(fn->pdev);
	fn->pdev = NULL;
}

/*
 * Is the function already where @target would put it?  A NULL target
 * (RELEASE, UNCLAIM) means "on a host driver": neither gpupt nor vfio.
 */
bool gpupt_fn_on(const struct gpupt_fn *fn, const char *target)
{
	if (target)
		return fn->from && !strcmp(fn->from->name, target);
	return fn->from && !fn->vfio && fn->from != &gpupt_pci_driver.driver;
}

/* Let go of the current driver; gpupt's own remove() stays quiet. */
static void gpupt_fn_unbind(struct pci_dev *pdev)
{
	device_lock(&pdev->dev);
	gpupt_dev_quiet_locked(pdev);
	device_unlock(&pdev->dev);
	device_release_driver(&pdev->dev);
}

int gpupt_fn_move(struct gpupt_fn *fn, const char *target)
{
	struct pci_dev *pdev = fn->pdev;
	int err;

	fn->changed = true;
	err = gpupt_override_set(pdev, target);
	if (err)
		return err;
	gpupt_fn_unbind(pdev);
	err = device_attach(&pdev->dev);
	gpupt_dev_driver_name(pdev, fn->to_name, sizeof(fn->to_name));
	strscpy(fn->got_name, fn->to_name, sizeof(fn->got_name));
	if (err < 0)
		return err;
	if (target && strcmp(fn->to_name, target))
		return -EIO;
	return 0;
}

int gpupt_fn_rollback(struct gpupt_fn *fn)
{
	struct pci_dev *pdev = fn->pdev;
	char now[GPUPT_NAME_LEN];
	int err = 0;

	if (!fn->changed)
		return 0;
	fn->changed = false;

	if (READ_ONCE(pdev->dev.driver) != fn->from) {
		/* Only the old driver may bind while it is put back. */
		err = gpupt_override_set(pdev, fn->from ? fn->from->name :
					 fn->from_override);
		gpupt_fn_unbind(pdev);
		if (!err && fn->from)
			err = device_attach(&pdev->dev);
	}
	if (gpupt_override_set(pdev, fn->from_override))
		pci_warn(pdev, "could not restore driver_override \"%s\"\n",
			 fn->from_override);
	if (fn->noretake)
		gpupt_noretake_set(pdev);	/* it had one: best effort */
	else
		gpupt_noretake_clear(pdev);

	/* Never leave a function driverless that had a driver. */
	if (fn->from && !READ_ONCE(pdev->dev.driver))
		err = device_attach(&pdev->dev);

	gpupt_dev_driver_name(pdev, now, sizeof(now));
	strscpy(fn->to_name, now, sizeof(fn->to_name));
	if (READ_ONCE(pdev->dev.driver) != fn->from) {
		pci_warn(pdev, "rollback: wanted driver \"%s\", got \"%s\"\n",
			 fn->from_name, now);
		return err < 0 ? err : -EIO;
	}
	pci_info(pdev, "rolled back to \"%s\"\n", fn->from_name);
	return 0;
}

static bool gpupt_driver_registered(const char *name)
{
	return driver_find(name, &pci_bus_type);
}

/*
 * Load the target driver's module if it is not registered yet.  The name
 * was checked by the caller (gpupt_driver_name_valid()), so it can only be
 * a module name, never a modprobe option.
 */
int gpupt_target_load(const char *target, struct netlink_ext_ack *extack)
{
	if (gpupt_driver_registered(target))
		return 0;
	request_module("%s", target);
	if (gpupt_driver_registered(target))
		return 0;
	gpupt_err(extack, "driver %s is not available", target);
	return -ENOENT;
}

/*
 * A driver name: [A-Za-z0-9][A-Za-z0-9_-]*, shorter than
 * GPUPT_DRIVER_NAME_MAX bytes.
 */
bool gpupt_driver_name_valid(const char *name)
{
	const char *p;

	if (!isalnum(*name) || strlen(name) >= GPUPT_DRIVER_NAME_MAX)
		return false;
	for (p = name; *p; p++)
		if (!isalnum(*p) && *p != '_' && *p != '-')
			return false;
	return true;
}
