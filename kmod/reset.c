// SPDX-License-Identifier: GPL-2.0
/*
 * GPUPT_CMD_RESET: reset idle devices, safely and in parallel.
 *
 * Copyright (C) 2026 The gpupt authors.
 *
 * One request runs in three steps, all under gpupt_ops_lock:
 *
 *  1. Plan.  Look every target up (or, without addresses, take every
 *     device gpupt manages), pick its method and group the targets into
 *     jobs.  A bus or slot reset is a job per bus; a bus that lies below
 *     another job's bus joins that job, and so does a function reset of a
 *     device inside such a radius.  The remaining function resets form one
 *     job per bus and run one after the other inside it.  Jobs therefore
 *     never touch the same device.
 *  2. Check.  Every device in a radius (the secondary bus and everything
 *     below it for bus/slot, the device itself otherwise) must be idle:
 *     held by gpupt, or bound to a vfio driver and not open.  Bridges in a
 *     radius are exempt: the PCI core saves and restores them.  FORCE only
 *     lets through devices with no driver at all.
 *  3. Run.  Every job is a work item on gpupt_wq (unbound); the request
 *     waits for all of them, then replies and sends one event per device.
 *
 * Locking.  pci_reset_bus() takes the device lock of everything it resets
 * with trylock and returns EAGAIN on contention, so we call it holding no
 * device lock, and retry for up to a second.  Function resets take the
 * same two locks as pci_dev_trylock() (device, config access), also with
 * trylock and retries (a vfio device being unbound keeps its device lock
 * until the VM lets go), re-check that the device is idle under them, and
 * call
 * pci_reset_function_locked() with dev->reset_methods temporarily narrowed
 * to the one method asked for, as the sysfs reset_method file would.
 * The checks of a bus radius cannot be held across pci_reset_bus() (it
 * needs those locks itself); they are repeated in the work item right
 * before the reset, which leaves a window of microseconds.
 *
 * Lifetime.  Every pci_dev we look at is pinned with pci_dev_get() until
 * the reply has been sent.  A device removed during its reset keeps its
 * memory (and its bus, which the device pins) and fails its health check
 * with ENODEV.
 *
 * Compat: nothing added to compat.h.  We use its
 * GPUPT_HAVE_RESET_METHODS probe and gpupt_reset_methods(); the one
 * version difference of our own, how to run exactly one reset method, is
 * gpupt_reset_one_locked() below, because it is tiny.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>

#include "gpupt.h"

#define GPUPT_RESET_MAX_DEVS	256	/* targets and radius, per request */
#define GPUPT_RESET_TRIES	50	/* lock contention: 50 x 20 ms */
#define GPUPT_RESET_TRY_MS	20
#define GPUPT_RESET_MSGLEN	160
#define GPUPT_NUM_BARS		6

struct gpupt_reset_req;

struct gpupt_rjob {
	struct work_struct work;
	struct gpupt_reset_req *req;
	struct pci_bus *bus;		/* bus/slot reset of this bus; NULL: functions */
	struct pci_dev *rep;		/* bus/slot reset: handed to pci_reset_bus() */
	u8 method;			/* bus/slot reset: GPUPT_RESET_BUS or _SLOT */
	bool dead;			/* merged into another job */
	struct pci_dev **radius;	/* bus/slot reset: every device, refs held */
	unsigned int n_radius;
	int err;			/* job-wide refusal (blocked radius) */
	char msg[GPUPT_RESET_MSGLEN];
};

struct gpupt_rdev {
	struct pci_dev *pdev;		/* reference held */
	struct gpupt_rjob *job;		/* NULL: not reset (planning failed) */
	bool target;			/* asked for, not only inside a radius */
	bool bus_kind;			/* needs a bus/slot reset */
	bool attempted;			/* a reset was tried */
	u8 method;			/* planned, then used */
	int err;			/* 0 or -errno */
	char msg[GPUPT_RESET_MSGLEN];
	u64 duration_us;
	/* config space before the reset, for the health check */
	u32 bar[GPUPT_NUM_BARS];
	u32 rom;
	u16 command;
};

struct gpupt_reset_req {
	struct genl_info *info;
	u8 method;
	u32 flags;
	bool explicit;			/* addresses given */
	unsigned int n_devs, n_jobs;
	struct gpupt_rdev *devs;	/* GPUPT_RESET_MAX_DEVS */
	struct gpupt_rjob *jobs;	/* GPUPT_RESET_MAX_DEVS */
};

static const char * const gpupt_reset_names[] = {
	[GPUPT_RESET_AUTO]		= "auto",
	[GPUPT_RESET_DEVICE_SPECIFIC]	= "device_specific",
	[GPUPT_RESET_ACPI]		= "acpi",
	[GPUPT_RESET_FLR]		= "flr",
	[GPUPT_RESET_AF_FLR]		= "af_flr",
	[GPUPT_RESET_PM]		= "pm",
	[GPUPT_RESET_BUS]		= "bus",
	[GPUPT_RESET_CXL_BUS]		= "cxl_bus",
	[GPUPT_RESET_SLOT]		= "slot",
};

static const char *gpupt_reset_name(unsigned int m)
{
	return m < ARRAY_SIZE(gpupt_reset_names) && gpupt_reset_names[m] ?
	       gpupt_reset_names[m] : "?";
}

/* ---- compat: run exactly one method (or the kernel's order) ---- */

#ifdef GPUPT_HAVE_RESET_METHODS
/*
 * Caller holds the device and config-access locks.  Tries the device's methods in the kernel's
 * order, restricted to @want unless it is AUTO, each through
 * pci_reset_function_locked() (which saves, disables, resets and restores),
 * and moves on only on ENOTTY, like __pci_reset_function_locked().  *used
 * is the method that ran.
 */
static int gpupt_reset_one_locked(struct pci_dev *pdev, u8 want, u8 *used)
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
/* Before 5.15 only the kernel's own order and a bare FLR can be chosen. */
static int gpupt_reset_one_locked(struct pci_dev *pdev, u8 want, u8 *used)
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

/* ---- idle checks ---- */

/*
 * Why @pdev may not be reset now, as "0000:01:00.1 is bound to
 * snd_hda_intel" in @buf, or NULL when it is idle.  Caller holds
 * device_lock(&pdev->dev).
 */
static const char *gpupt_reset_blocker_locked(struct pci_dev *pdev, bool force,
					      char *buf, size_t len)
{
	struct device_driver *drv = pdev->dev.driver;

	if (!drv) {
		if (force)
			return NULL;
		snprintf(buf, len, "%s has no driver (FORCE lets it through)",
			 pci_name(pdev));
		return buf;
	}
	if (drv == &gpupt_pci_driver.driver)
		return NULL;
	if (gpupt_vfio_driver_name_ok(drv->name)) {
		if (!gpupt_vfio_open_locked(pdev))
			return NULL;
		snprintf(buf, len, "%s is open through %s (a VM is using it)",
			 pci_name(pdev), drv->name);
		return buf;
	}
	snprintf(buf, len, "%s is bound to %s", pci_name(pdev), drv->name);
	return buf;
}

static const char *gpupt_reset_blocker(struct pci_dev *pdev, bool force,
				       char *buf, size_t len)
{
	const char *why;

	if (gpupt_dev_lock(pdev, GPUPT_RESET_TRIES * GPUPT_RESET_TRY_MS)) {
		snprintf(buf, len, "%s is locked by another operation",
			 pci_name(pdev));
		return buf;
	}
	why = gpupt_reset_blocker_locked(pdev, force, buf, len);
	device_unlock(&pdev->dev);
	return why;
}

/* Append "; why" to a job's message (the first blocker comes first). */
static void gpupt_msg_add(char *msg, const char *why)
{
	size_t n = strlen(msg);

	if (n && n + 2 < GPUPT_RESET_MSGLEN)
		n += scnprintf(msg + n, GPUPT_RESET_MSGLEN - n, "; ");
	if (n < GPUPT_RESET_MSGLEN)
		scnprintf(msg + n, GPUPT_RESET_MSGLEN - n, "%s", why);
}

/* ---- planning ---- */

static bool gpupt_bus_below(struct pci_bus *bus, struct pci_bus *top)
{
	for (; bus; bus = bus->parent)
		if (bus == top)
			return true;
	return false;
}

static struct gpupt_rdev *gpupt_rdev_find(struct gpupt_reset_req *req,
					  struct pci_dev *pdev)
{
	unsigned int i;

	for (i = 0; i < req->n_devs; i++)
		if (req->devs[i].pdev == pdev)
			return &req->devs[i];
	return NULL;
}

/* Add @pdev (taking a reference); -E2BIG when the request is full. */
static int gpupt_rdev_add(struct gpupt_reset_req *req, struct pci_dev *pdev,
			  bool target, struct gpupt_rdev **out)
{
	struct gpupt_rdev *r = gpupt_rdev_find(req, pdev);

	if (r) {
		r->target |= target;
		*out = r;
		return 0;
	}
	if (req->n_devs == GPUPT_RESET_MAX_DEVS)
		return -E2BIG;
	r = &req->devs[req->n_devs++];
	r->pdev = pci_dev_get(pdev);
	r->target = target;
	r->method = req->method;
	*out = r;
	return 0;
}

static void gpupt_methods_str(struct pci_dev *pdev, char *buf, size_t len)
{
	u8 m[GPUPT_NUM_RESET_METHODS];
	int i, n = gpupt_reset_methods(pdev, m, ARRAY_SIZE(m));
	size_t off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += scnprintf(buf + off, len - off, "%s%s", i ? " " : "",
				 gpupt_reset_name(m[i]));
	if (!n)
		scnprintf(buf, len, "none");
}

/*
 * Decide how @r is reset.  Sets r->bus_kind and r->method, or returns
 * -ENOTTY with the reason in r->msg.
 */
static int gpupt_plan_method(struct gpupt_rdev *r)
{
	struct pci_dev *pdev = r->pdev;
	u8 m[GPUPT_NUM_RESET_METHODS];
	char have[64];
	int i, n;

	n = gpupt_reset_methods(pdev, m, ARRAY_SIZE(m));
	switch (r->method) {
	case GPUPT_RESET_AUTO:
		/*
		 * The kernel's order, except that its function-level "bus"
		 * method only works for a function alone on its bus, and is
		 * offered even to function 0 of a multifunction slot (probed
		 * before function 1 was found).  A bus-type first choice
		 * becomes our bus reset, which covers every function.
		 */
		if (n && m[0] != GPUPT_RESET_BUS && m[0] != GPUPT_RESET_CXL_BUS)
			return 0;
		if (!pci_probe_reset_slot(pdev->slot) ||
		    !pci_probe_reset_bus(pdev->bus)) {
			r->bus_kind = true;
			r->method = GPUPT_RESET_BUS;
			return 0;
		}
		snprintf(r->msg, sizeof(r->msg),
			 "%s has no reset method and its bus cannot be reset",
			 pci_name(pdev));
		return -ENOTTY;
	case GPUPT_RESET_BUS:
		r->bus_kind = true;
		if (!pci_probe_reset_slot(pdev->slot) ||
		    !pci_probe_reset_bus(pdev->bus))
			return 0;
		if (pci_is_root_bus(pdev->bus))
			snprintf(r->msg, sizeof(r->msg),
				 "%s is on a root bus: no bridge above it can reset it",
				 pci_name(pdev));
		else
			snprintf(r->msg, sizeof(r->msg),
				 "the bus of %s cannot be reset (a device on it does not allow bus resets)",
				 pci_name(pdev));
		return -ENOTTY;
	case GPUPT_RESET_SLOT:
		r->bus_kind = true;
		if (!pci_probe_reset_slot(pdev->slot))
			return 0;
		snprintf(r->msg, sizeof(r->msg),
			 "%s is not in a hotplug slot that can reset it",
			 pci_name(pdev));
		return -ENOTTY;
	default:
		for (i = 0; i < n; i++)
			if (m[i] == r->method)
				return 0;
		gpupt_methods_str(pdev, have, sizeof(have));
		snprintf(r->msg, sizeof(r->msg),
			 "%s does not support %s (its reset methods: %s)",
			 pci_name(pdev), gpupt_reset_name(r->method), have);
		return -ENOTTY;
	}
}

static struct gpupt_rjob *gpupt_job_new(struct gpupt_reset_req *req)
{
	struct gpupt_rjob *job = &req->jobs[req->n_jobs++];

	job->req = req;
	return job;
}

struct gpupt_walk {
	struct gpupt_rjob *job;
	int err;
};

static int gpupt_radius_cb(struct pci_dev *pdev, void *data)
{
	struct gpupt_walk *w = data;

	if (w->job->n_radius == GPUPT_RESET_MAX_DEVS) {
		w->err = -E2BIG;
		return 1;
	}
	w->job->radius[w->job->n_radius++] = pci_dev_get(pdev);
	return 0;
}

/* Group the planned targets into jobs and collect each bus job's radius. */
static int gpupt_plan_jobs(struct gpupt_reset_req *req)
{
	unsigned int i, j, n_targets = req->n_devs;
	struct gpupt_rdev *r;
	struct gpupt_rjob *a, *b;
	int err;

	/* bus/slot targets: one job per distinct bus ... */
	for (i = 0; i < n_targets; i++) {
		r = &req->devs[i];
		if (r->err || !r->bus_kind)
			continue;
		for (j = 0; j < req->n_jobs; j++)
			if (req->jobs[j].bus == r->pdev->bus)
				break;
		if (j < req->n_jobs) {
			r->job = &req->jobs[j];
			continue;
		}
		a = gpupt_job_new(req);
		a->bus = r->pdev->bus;
		a->rep = r->pdev;
		a->method = r->method;
		r->job = a;
	}
	/* ... and a bus below another job's bus joins that job. */
	for (i = 0; i < req->n_jobs; i++) {
		a = &req->jobs[i];
		for (j = 0; j < req->n_jobs && !a->dead; j++) {
			b = &req->jobs[j];
			if (a == b || b->dead || !gpupt_bus_below(a->bus, b->bus))
				continue;
			a->dead = true;
			for (r = req->devs; r < req->devs + n_targets; r++)
				if (r->job == a)
					r->job = b;
		}
	}

	/* Function resets: inside a bus job's radius, or one job per bus. */
	for (i = 0; i < n_targets; i++) {
		r = &req->devs[i];
		if (r->err || r->bus_kind)
			continue;
		for (j = 0; j < req->n_jobs; j++) {
			a = &req->jobs[j];
			if (!a->dead && a->bus &&
			    gpupt_bus_below(r->pdev->bus, a->bus)) {
				r->job = a;
				r->bus_kind = true;
				r->method = a->method;
				break;
			}
		}
		if (r->job)
			continue;
		for (j = 0; j < req->n_jobs; j++) {
			a = &req->jobs[j];
			if (!a->dead && !a->bus && a->rep->bus == r->pdev->bus) {
				r->job = a;
				break;
			}
		}
		if (r->job)
			continue;
		a = gpupt_job_new(req);
		a->rep = r->pdev;
		r->job = a;
	}

	/* The radius of every bus job; its other devices are reset too. */
	for (i = 0; i < req->n_jobs; i++) {
		struct gpupt_walk w = { .job = &req->jobs[i] };

		a = w.job;
		if (a->dead || !a->bus)
			continue;
		a->radius = kcalloc(GPUPT_RESET_MAX_DEVS, sizeof(*a->radius),
				    GFP_KERNEL);
		if (!a->radius)
			return -ENOMEM;
		pci_walk_bus(a->bus, gpupt_radius_cb, &w);
		if (w.err)
			return w.err;
		if (req->flags & GPUPT_F_DRY_RUN)
			continue;
		for (j = 0; j < a->n_radius; j++) {
			if (pci_is_bridge(a->radius[j]))
				continue;
			err = gpupt_rdev_add(req, a->radius[j], false, &r);
			if (err)
				return err;
			if (!r->job) {
				r->job = a;
				r->bus_kind = true;
				r->method = a->method;
			}
		}
	}
	return 0;
}

/*
 * Check every radius.  A blocked bus job records the reasons in job->msg;
 * a blocked function reset in its device's msg.
 */
static void gpupt_plan_check(struct gpupt_reset_req *req)
{
	bool force = req->flags & GPUPT_F_FORCE;
	char why[GPUPT_RESET_MSGLEN];
	struct gpupt_rjob *job;
	struct gpupt_rdev *r;
	unsigned int i;

	for (job = req->jobs; job < req->jobs + req->n_jobs; job++) {
		if (job->dead || !job->bus)
			continue;
		for (i = 0; i < job->n_radius; i++) {
			struct pci_dev *pdev = job->radius[i];

			if (pci_is_bridge(pdev))
				continue;
			if (!gpupt_sriov_reset_blocker(pdev, why, sizeof(why)) &&
			    !gpupt_reset_blocker(pdev, force, why, sizeof(why)))
				continue;
			job->err = -EBUSY;
			gpupt_msg_add(job->msg, why);
		}
	}
	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (!r->job || r->job->bus)
			continue;
		if (gpupt_reset_blocker(r->pdev, force, r->msg, sizeof(r->msg)))
			r->err = -EBUSY;
	}
}

/* ---- running ---- */

static void gpupt_snapshot(struct gpupt_rdev *r)
{
	struct pci_dev *pdev = r->pdev;
	int i;

	pci_read_config_word(pdev, PCI_COMMAND, &r->command);
	for (i = 0; i < GPUPT_NUM_BARS; i++)
		pci_read_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * i,
				      &r->bar[i]);
	pci_read_config_dword(pdev, pdev->hdr_type == PCI_HEADER_TYPE_BRIDGE ?
			      PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS, &r->rom);
}

/* The vendor ID must read back and the BARs must be what they were. */
static int gpupt_health(struct gpupt_rdev *r)
{
	struct pci_dev *pdev = r->pdev;
	int i, nbars = GPUPT_NUM_BARS;
	u16 cmd, mask = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	u32 v;

	if (!pci_device_is_present(pdev)) {
		if (!device_is_registered(&pdev->dev)) {
			snprintf(r->msg, sizeof(r->msg),
				 "%s was removed during the reset", pci_name(pdev));
			return -ENODEV;
		}
		snprintf(r->msg, sizeof(r->msg),
			 "%s does not answer after the reset (vendor ID reads 0xffff)",
			 pci_name(pdev));
		return -EIO;
	}
	if (pdev->hdr_type == PCI_HEADER_TYPE_BRIDGE)
		nbars = 2;
	else if (pdev->hdr_type == PCI_HEADER_TYPE_CARDBUS)
		nbars = 0;
	for (i = 0; i < nbars; i++) {
		pci_read_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * i, &v);
		if (v == r->bar[i])
			continue;
		snprintf(r->msg, sizeof(r->msg),
			 "%s: BAR%d reads %#010x after the reset, was %#010x",
			 pci_name(pdev), i, v, r->bar[i]);
		return -EIO;
	}
	pci_read_config_dword(pdev, pdev->hdr_type == PCI_HEADER_TYPE_BRIDGE ?
			      PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS, &v);
	if (v != r->rom) {
		snprintf(r->msg, sizeof(r->msg),
			 "%s: ROM BAR reads %#010x after the reset, was %#010x",
			 pci_name(pdev), v, r->rom);
		return -EIO;
	}
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if ((cmd & mask) != (r->command & mask)) {
		snprintf(r->msg, sizeof(r->msg),
			 "%s: command register reads %#06x after the reset, was %#06x",
			 pci_name(pdev), cmd, r->command);
		return -EIO;
	}
	return 0;
}

static int gpupt_reset_bus_retry(struct pci_dev *rep)
{
	int i, rc;

	for (i = 0;; i++) {
		rc = pci_reset_bus(rep);
		if (rc != -EAGAIN || i == GPUPT_RESET_TRIES)
			return rc;
		msleep(GPUPT_RESET_TRY_MS);
	}
}

/*
 * pci_dev_trylock() spelled out: the same two locks, with helpers that
 * every kernel we support exports.
 */
static bool gpupt_pci_trylock(struct pci_dev *pdev)
{
	if (!device_trylock(&pdev->dev))
		return false;
	if (pci_cfg_access_trylock(pdev))
		return true;
	device_unlock(&pdev->dev);
	return false;
}

static void gpupt_pci_unlock(struct pci_dev *pdev)
{
	pci_cfg_access_unlock(pdev);
	device_unlock(&pdev->dev);
}

static int gpupt_reset_function(struct gpupt_rdev *r, bool force)
{
	struct pci_dev *pdev = r->pdev;
	u8 used = r->method;
	int i, rc;

	for (i = 0; !gpupt_pci_trylock(pdev); i++) {
		if (i == GPUPT_RESET_TRIES) {
			snprintf(r->msg, sizeof(r->msg),
				 "%s is locked by another operation",
				 pci_name(pdev));
			return -EBUSY;
		}
		msleep(GPUPT_RESET_TRY_MS);
	}
	if (gpupt_reset_blocker_locked(pdev, force, r->msg, sizeof(r->msg))) {
		rc = -EBUSY;
		goto out;
	}
	rc = gpupt_reset_one_locked(pdev, r->method, &used);
	r->method = used;
out:
	gpupt_pci_unlock(pdev);
	return rc;
}

static void gpupt_reset_failed(struct gpupt_rdev *r, int rc, const char *what)
{
	if (r->msg[0])
		return;
	snprintf(r->msg, sizeof(r->msg), "%s: %s reset failed: error %d",
		 pci_name(r->pdev), what, rc);
}

static void gpupt_job_bus(struct gpupt_rjob *job)
{
	struct gpupt_reset_req *req = job->req;
	bool force = req->flags & GPUPT_F_FORCE;
	char why[GPUPT_RESET_MSGLEN];
	struct gpupt_rdev *r;
	unsigned int i;
	ktime_t t0;
	u64 us;
	int rc;

	/* Things may have been bound since the plan: check again. */
	for (i = 0; i < job->n_radius; i++) {
		if (pci_is_bridge(job->radius[i]) ||
		    !gpupt_reset_blocker(job->radius[i], force, why, sizeof(why)))
			continue;
		job->err = -EBUSY;
		gpupt_msg_add(job->msg, why);
	}
	if (job->err)
		return;

	for (r = req->devs; r < req->devs + req->n_devs; r++)
		if (r->job == job)
			gpupt_snapshot(r);
	t0 = ktime_get();
	rc = gpupt_reset_bus_retry(job->rep);
	us = ktime_us_delta(ktime_get(), t0);
	if (rc == -EAGAIN) {
		snprintf(job->msg, sizeof(job->msg),
			 "the bus of %s stayed locked by another operation",
			 pci_name(job->rep));
		rc = -EBUSY;
	}
	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (r->job != job)
			continue;
		r->attempted = true;
		r->duration_us = us;
		r->err = rc;
		if (rc && job->msg[0])
			strscpy(r->msg, job->msg, sizeof(r->msg));
		else if (rc)
			gpupt_reset_failed(r, rc, gpupt_reset_name(r->method));
		else
			r->err = gpupt_health(r);
	}
}

static void gpupt_job_functions(struct gpupt_rjob *job)
{
	struct gpupt_reset_req *req = job->req;
	struct gpupt_rdev *r;
	ktime_t t0;
	int rc;

	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (r->job != job || r->err)
			continue;
		gpupt_snapshot(r);
		t0 = ktime_get();
		rc = gpupt_reset_function(r, req->flags & GPUPT_F_FORCE);
		r->duration_us = ktime_us_delta(ktime_get(), t0);
		r->attempted = true;
		r->err = rc;
		if (rc)
			gpupt_reset_failed(r, rc, gpupt_reset_name(r->method));
		else
			r->err = gpupt_health(r);
	}
}

static void gpupt_job_run(struct work_struct *work)
{
	struct gpupt_rjob *job = container_of(work, struct gpupt_rjob, work);
	struct gpupt_reset_req *req = job->req;
	struct gpupt_rdev *r;
	unsigned int i;

	/*
	 * Wake everything up first, as the sysfs reset file does: vfio-pci
	 * puts idle devices into D3hot, and a reset needs D0.  Resuming a
	 * device resumes its parents, so the bridge doing a bus reset is
	 * awake too.
	 */
	if (job->bus)
		for (i = 0; i < job->n_radius; i++)
			pm_runtime_get_sync(&job->radius[i]->dev);
	else
		for (r = req->devs; r < req->devs + req->n_devs; r++)
			if (r->job == job)
				pm_runtime_get_sync(&r->pdev->dev);

	if (job->bus)
		gpupt_job_bus(job);
	else
		gpupt_job_functions(job);

	if (job->bus)
		for (i = 0; i < job->n_radius; i++)
			pm_runtime_put(&job->radius[i]->dev);
	else
		for (r = req->devs; r < req->devs + req->n_devs; r++)
			if (r->job == job)
				pm_runtime_put(&r->pdev->dev);
}

static void gpupt_run_jobs(struct gpupt_reset_req *req)
{
	struct gpupt_rjob *job;

	for (job = req->jobs; job < req->jobs + req->n_jobs; job++) {
		if (job->dead || job->err)
			continue;
		INIT_WORK(&job->work, gpupt_job_run);
		queue_work(gpupt_wq, &job->work);
	}
	for (job = req->jobs; job < req->jobs + req->n_jobs; job++)
		if (!job->dead && !job->err)
			flush_work(&job->work);
}

/* ---- reply and events ---- */

static int gpupt_put_result(struct sk_buff *skb, struct gpupt_rdev *r)
{
	if (nla_put_u8(skb, GPUPT_DEV_A_RESET_METHOD, r->method) ||
	    nla_put_u64_64bit(skb, GPUPT_DEV_A_DURATION_US, r->duration_us,
			      GPUPT_DEV_A_PAD) ||
	    nla_put_u32(skb, GPUPT_DEV_A_ERRNO, -r->err))
		return -EMSGSIZE;
	if (r->err && r->msg[0] &&
	    nla_put_string(skb, GPUPT_DEV_A_MESSAGE, r->msg))
		return -EMSGSIZE;
	return 0;
}

static int gpupt_put_plan(struct sk_buff *skb, struct gpupt_rdev *r)
{
	struct gpupt_rjob *job = r->job;
	struct nlattr *aff, *dev;
	const char *blocker = NULL;
	unsigned int i;

	if (nla_put_u8(skb, GPUPT_DEV_A_RESET_METHOD, r->method))
		return -EMSGSIZE;
	aff = nla_nest_start(skb, GPUPT_DEV_A_AFFECTED);
	if (!aff)
		return -EMSGSIZE;
	if (job && job->bus) {
		for (i = 0; i < job->n_radius; i++) {
			dev = gpupt_nl_put_dev(skb, GPUPT_A_DEVICE,
					       job->radius[i]);
			if (!dev)
				return -EMSGSIZE;
			nla_nest_end(skb, dev);
		}
	} else {
		dev = gpupt_nl_put_dev(skb, GPUPT_A_DEVICE, r->pdev);
		if (!dev)
			return -EMSGSIZE;
		nla_nest_end(skb, dev);
	}
	nla_nest_end(skb, aff);

	if (r->err)
		blocker = r->msg;
	else if (job && job->err)
		blocker = job->msg;
	if (blocker && nla_put_string(skb, GPUPT_DEV_A_BLOCKER, blocker))
		return -EMSGSIZE;
	return 0;
}

static int gpupt_reset_fill(struct sk_buff *skb, struct gpupt_reset_req *req)
{
	struct genl_info *info = req->info;
	bool dry = req->flags & GPUPT_F_DRY_RUN;
	struct nlattr *devs, *dev;
	struct gpupt_rdev *r;
	void *hdr;
	int err;

	hdr = genlmsg_put(skb, info->snd_portid, info->snd_seq,
			  &gpupt_genl_family, 0, GPUPT_CMD_RESET);
	if (!hdr)
		return -EMSGSIZE;
	devs = nla_nest_start(skb, GPUPT_A_DEVICES);
	if (!devs)
		return -EMSGSIZE;
	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (!dry && !r->target && !r->attempted)
			continue;
		dev = gpupt_nl_put_dev(skb, GPUPT_A_DEVICE, r->pdev);
		if (!dev)
			return -EMSGSIZE;
		err = dry ? gpupt_put_plan(skb, r) : gpupt_put_result(skb, r);
		if (err)
			return err;
		nla_nest_end(skb, dev);
	}
	nla_nest_end(skb, devs);
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * @skb: a first NLMSG_GOODSIZE message, allocated before any device was
 * reset, so that a reply that fits cannot fail after the fact.  Consumed.
 */
static int gpupt_reset_reply(struct gpupt_reset_req *req, struct sk_buff *skb)
{
	size_t size = NLMSG_GOODSIZE;
	int err;

	for (;;) {
		if (!skb)
			skb = genlmsg_new(size, GFP_KERNEL);
		if (!skb)
			return -ENOMEM;
		err = gpupt_reset_fill(skb, req);
		if (!err)
			return genlmsg_reply(skb, req->info);
		nlmsg_free(skb);
		skb = NULL;
		if (err != -EMSGSIZE || size >= SZ_4M)
			return err == -EMSGSIZE ? -E2BIG : err;
		size *= 4;
	}
}

static void gpupt_reset_event(struct gpupt_rdev *r)
{
	struct sk_buff *skb;
	struct nlattr *dev;
	void *hdr;

	skb = gpupt_event_new(GPUPT_CMD_EVT_RESET, &hdr);
	if (!skb)
		return;
	dev = gpupt_nl_put_dev(skb, GPUPT_A_DEVICE, r->pdev);
	if (!dev || gpupt_put_result(skb, r)) {
		nlmsg_free(skb);
		return;
	}
	nla_nest_end(skb, dev);
	gpupt_event_send(skb, hdr);
}

/* ---- the request ---- */

static int gpupt_reset_targets(struct gpupt_reset_req *req)
{
	struct genl_info *info = req->info;
	struct pci_dev *pdev = NULL;
	struct gpupt_rdev *r;
	struct nlattr *nla;
	int rem, err;

	if (!info->attrs[GPUPT_A_DEVICES]) {
		/* Every idle device gpupt manages. */
		for_each_pci_dev(pdev) {
			if (pci_is_bridge(pdev))
				continue;
			if (!gpupt_dev_held(pdev) &&
			    !(gpupt_dev_is_vfio(pdev) && gpupt_ids_match(pdev) &&
			      !gpupt_vfio_open(pdev)))
				continue;
			err = gpupt_rdev_add(req, pdev, true, &r);
			if (err) {
				pci_dev_put(pdev);
				gpupt_err(info->extack,
					  "more than %d devices to reset",
					  GPUPT_RESET_MAX_DEVS);
				return err;
			}
		}
		return 0;
	}

	req->explicit = true;
	nla_for_each_nested(nla, info->attrs[GPUPT_A_DEVICES], rem) {
		if (nla_type(nla) != GPUPT_A_DEVICE) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "GPUPT_A_DEVICES holds only GPUPT_A_DEVICE nests");
			return -EINVAL;
		}
		err = gpupt_nl_get_dev(info, nla, &pdev);
		if (err)
			return err;
		err = gpupt_rdev_add(req, pdev, true, &r);
		pci_dev_put(pdev);
		if (err) {
			gpupt_err(info->extack, "more than %d devices to reset",
				  GPUPT_RESET_MAX_DEVS);
			return err;
		}
	}
	if (!req->n_devs) {
		NL_SET_ERR_MSG(info->extack, "GPUPT_A_DEVICES is empty");
		return -EINVAL;
	}
	return 0;
}

static int gpupt_reset_do(struct gpupt_reset_req *req)
{
	struct genl_info *info = req->info;
	bool dry = req->flags & GPUPT_F_DRY_RUN;
	struct gpupt_rdev *r, *first = NULL;
	struct gpupt_rjob *job;
	struct sk_buff *skb;
	int err;

	err = gpupt_reset_targets(req);
	if (err)
		return err;

	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		r->err = gpupt_plan_method(r);
		if (r->err && req->explicit && !dry) {
			gpupt_err(info->extack, "%s", r->msg);
			return r->err;
		}
	}
	err = gpupt_plan_jobs(req);
	if (err) {
		if (err == -E2BIG)
			gpupt_err(info->extack,
				  "more than %d devices would be reset",
				  GPUPT_RESET_MAX_DEVS);
		return err;
	}
	gpupt_plan_check(req);

	/* Explicit requests are all or nothing when something blocks. */
	if (req->explicit && !dry) {
		for (job = req->jobs; job < req->jobs + req->n_jobs; job++) {
			if (!job->dead && job->err) {
				gpupt_err(info->extack, "%s", job->msg);
				return job->err;
			}
		}
		for (r = req->devs; r < req->devs + req->n_devs; r++) {
			if (r->err) {
				gpupt_err(info->extack, "%s", r->msg);
				return r->err;
			}
		}
	}
	/* A blocked job of an implicit request fails its devices. */
	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (!r->err && r->job && r->job->err) {
			r->err = r->job->err;
			strscpy(r->msg, r->job->msg, sizeof(r->msg));
		}
	}

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb) {
		NL_SET_ERR_MSG(info->extack, "out of memory");
		return -ENOMEM;
	}
	if (!dry) {
		ktime_t t0 = ktime_get();
		unsigned int n = 0, jobs = 0;

		gpupt_run_jobs(req);
		for (job = req->jobs; job < req->jobs + req->n_jobs; job++)
			jobs += !job->dead && !job->err;
		for (r = req->devs; r < req->devs + req->n_devs; r++)
			n += r->attempted;
		if (n)
			pr_info("reset %u devices in %u jobs in %lld us\n", n, jobs,
				ktime_us_delta(ktime_get(), t0));
	}

	err = gpupt_reset_reply(req, skb);
	if (err)
		return err;
	if (dry)
		return 0;

	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (!r->attempted) {
			if (r->err && !first)
				first = r;
			continue;
		}
		gpupt_stats_inc(GPUPT_STATS_A_RESETS);
		if (r->err) {
			gpupt_stats_inc(GPUPT_STATS_A_RESET_FAILURES);
			if (!first)
				first = r;
			pci_warn(r->pdev, "reset (%s) failed: %s\n",
				 gpupt_reset_name(r->method), r->msg);
		} else {
			pci_info(r->pdev, "reset (%s) in %llu us\n",
				 gpupt_reset_name(r->method), r->duration_us);
		}
		gpupt_reset_event(r);
	}
	if (first) {
		gpupt_err(info->extack, "%s", first->msg[0] ? first->msg :
			  pci_name(first->pdev));
		return first->err;
	}
	return 0;
}

int gpupt_nl_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct gpupt_reset_req *req;
	unsigned int i, j;
	int err;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->info = info;
	req->devs = kvcalloc(GPUPT_RESET_MAX_DEVS, sizeof(*req->devs),
			     GFP_KERNEL);
	req->jobs = kvcalloc(GPUPT_RESET_MAX_DEVS, sizeof(*req->jobs),
			     GFP_KERNEL);
	if (!req->devs || !req->jobs) {
		err = -ENOMEM;
		goto out;
	}

	if (info->attrs[GPUPT_A_FLAGS])
		req->flags = nla_get_u32(info->attrs[GPUPT_A_FLAGS]);
	if (req->flags & ~(GPUPT_F_FORCE | GPUPT_F_DRY_RUN)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_FLAGS],
				    "RESET takes only the FORCE and DRY_RUN flags");
		err = -EINVAL;
		goto out;
	}
	if (info->attrs[GPUPT_A_RESET_METHOD])
		req->method = nla_get_u8(info->attrs[GPUPT_A_RESET_METHOD]);
	if (req->method > GPUPT_RESET_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[GPUPT_A_RESET_METHOD],
				    "unknown reset method");
		err = -EINVAL;
		goto out;
	}

	mutex_lock(&gpupt_ops_lock);
	err = gpupt_reset_do(req);
	mutex_unlock(&gpupt_ops_lock);

out:
	if (req->jobs) {
		for (i = 0; i < req->n_jobs; i++) {
			for (j = 0; j < req->jobs[i].n_radius; j++)
				pci_dev_put(req->jobs[i].radius[j]);
			kfree(req->jobs[i].radius);
		}
	}
	if (req->devs)
		for (i = 0; i < req->n_devs; i++)
			pci_dev_put(req->devs[i].pdev);
	kvfree(req->jobs);
	kvfree(req->devs);
	kfree(req);
	return err;
}
