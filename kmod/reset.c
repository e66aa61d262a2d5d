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
 * Verification.  Every reset is followed by the checks of enum
 * gpupt_check (gpupt_verify()): the vendor ID answers, config space reads
 * back what the PCI core knows, the upstream port reports Data Link Layer
 * Link Active where it is capable of reporting it, the BARs hold the bus
 * addresses of the resources the kernel assigned, the command register's
 * IO/MEM/MASTER bits are what they were, and PMCSR says D0.  A reset that
 * returned 0 but fails a check is a failed reset (EIO).
 *
 * The ladder.  Without GPUPT_A_RESET_METHOD a device whose reset failed
 * (an error, or a failed check) climbs on, one rung at a time, until a
 * rung passes every check: a bus/slot reset (unless that was the first
 * rung; only when everything in the radius is idle, as for a planned
 * one), remove and rescan under the parent bridge (gpupt_rung_rescan():
 * the function comes back at its address, bound to the driver it had, as
 * a new struct pci_dev), and a D3cold power cycle where the platform can
 * cut the device's power (its own ACPI _PR3).  Rungs that do not apply
 * are reported as skipped.  The rungs run one device at a time, after the
 * planned jobs, in the request's own thread.  A device that still fails a
 * check afterwards is quarantined (state.c): HANDOFF and CLAIM refuse it
 * with EIO until a later reset passes every check or the quarantine is
 * lifted with GPUPT_F_CLEAR_QUARANTINE.
 *
 * Compat: compat.h has gpupt_reset_methods(), gpupt_reset_one_locked()
 * (run exactly one reset method, or the kernel's order) and
 * gpupt_pr3_present().
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
#define GPUPT_RESET_RUNGS	4	/* own method, bus, rescan, d3cold */
#define GPUPT_D3COLD_MS		100	/* time without power in the cycle */

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

/* One rung of the ladder, as reported. */
struct gpupt_rung {
	u8 method;
	u8 failed;			/* enum gpupt_check, 0: none failed */
	bool skipped;			/* refused before touching the device */
	int err;
	u64 us;
	u8 check[__GPUPT_CHECK_MAX];	/* enum gpupt_check_result */
	char msg[GPUPT_RESET_MSGLEN];
};

struct gpupt_rdev {
	struct pci_dev *pdev;		/* reference held; replaced by a rescan */
	struct gpupt_rjob *job;		/* NULL: not reset (planning failed) */
	bool target;			/* asked for, not only inside a radius */
	bool bus_kind;			/* needs a bus/slot reset */
	bool rung_only;			/* RESCAN or D3COLD asked for: no job */
	bool attempted;			/* a reset was tried */
	bool gone;			/* removed, or not back from a rescan */
	bool quarantined;		/* quarantined by this request */
	bool lifted;			/* quarantine lifted by this request */
	u8 method;			/* planned, then used */
	int err;			/* 0 or -errno */
	char msg[GPUPT_RESET_MSGLEN];
	u64 duration_us;		/* of the last rung; the reply sums */
	/* the last verification */
	u8 check[__GPUPT_CHECK_MAX];
	u8 failed;			/* enum gpupt_check, 0: none failed */
	char vmsg[GPUPT_RESET_MSGLEN];	/* the failed check, "check X failed: ..." */
	unsigned int n_rungs;
	struct gpupt_rung rungs[GPUPT_RESET_RUNGS];
	/* config space before the reset, for the checks */
	u32 bar[GPUPT_NUM_BARS];
	u32 rom;
	u16 command;
};

struct gpupt_reset_req {
	struct genl_info *info;		/* NULL inside HANDOFF */
	struct netlink_ext_ack *extack;
	u8 method;
	u32 flags;
	bool explicit;			/* addresses given */
	bool forced;			/* a method was asked for: no ladder */
	bool no_rescan;			/* HANDOFF: pci_devs must not change */
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
	[GPUPT_RESET_RESCAN]		= "rescan",
	[GPUPT_RESET_D3COLD]		= "d3cold",
};

static const char *gpupt_reset_name(unsigned int m)
{
	return m < ARRAY_SIZE(gpupt_reset_names) && gpupt_reset_names[m] ?
	       gpupt_reset_names[m] : "?";
}

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

static int gpupt_rung_unsupported(struct pci_dev *pdev, u8 method, char *msg,
				  size_t len);

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
	case GPUPT_RESET_RESCAN:
	case GPUPT_RESET_D3COLD:
		r->rung_only = true;
		return gpupt_rung_unsupported(r->pdev, r->method, r->msg,
					      sizeof(r->msg));
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
		if (r->err || !r->bus_kind || r->rung_only)
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
		if (r->err || r->bus_kind || r->rung_only)
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
		if (r->err || (!r->rung_only && (!r->job || r->job->bus)))
			continue;
		if (gpupt_reset_blocker(r->pdev, force, r->msg, sizeof(r->msg)))
			r->err = -EBUSY;
	}
}

/* ---- verification ---- */

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

static const char * const gpupt_check_names[] = {
	[GPUPT_CHECK_PRESENT]	= "present",
	[GPUPT_CHECK_CONFIG]	= "config",
	[GPUPT_CHECK_LINK]	= "link",
	[GPUPT_CHECK_BARS]	= "bars",
	[GPUPT_CHECK_COMMAND]	= "command",
	[GPUPT_CHECK_POWER]	= "power",
};

/* Record a failed check; the first failure names the device's problem. */
static __printf(4, 5) int gpupt_check_fail(struct gpupt_rdev *r, u8 check, char *msg,
			    const char *fmt, ...)
{
	va_list ap;
	int n;

	r->check[check] = GPUPT_CHECK_R_FAIL;
	if (r->failed)
		return -EIO;
	r->failed = check;
	n = scnprintf(r->vmsg, sizeof(r->vmsg), "check %s failed: ",
		      gpupt_check_names[check]);
	va_start(ap, fmt);
	vscnprintf(r->vmsg + n, sizeof(r->vmsg) - n, fmt, ap);
	va_end(ap);
	scnprintf(msg, GPUPT_RESET_MSGLEN, "%s: %s", pci_name(r->pdev), r->vmsg);
	return -EIO;
}

/* Class, header type and the PCIe capability read back what we know. */
static void gpupt_verify_config(struct gpupt_rdev *r, char *msg)
{
	struct pci_dev *pdev = r->pdev;
	u32 class;
	u16 flags;
	u8 hdr;

	if (pci_read_config_dword(pdev, PCI_CLASS_REVISION, &class) ||
	    pci_read_config_byte(pdev, PCI_HEADER_TYPE, &hdr)) {
		gpupt_check_fail(r, GPUPT_CHECK_CONFIG, msg,
				 "config space cannot be read");
		return;
	}
	if (class >> 8 != pdev->class || (hdr & 0x7f) != pdev->hdr_type) {
		gpupt_check_fail(r, GPUPT_CHECK_CONFIG, msg,
				 "class %#08x header type %#04x read back, expected %#08x %#04x",
				 class >> 8, hdr & 0x7f, pdev->class,
				 pdev->hdr_type);
		return;
	}
	if (pci_is_pcie(pdev) &&
	    (pci_read_config_word(pdev, pdev->pcie_cap + PCI_EXP_FLAGS,
				  &flags) || flags == 0xffff ||
	     (flags & PCI_EXP_FLAGS_VERS) == 0)) {
		gpupt_check_fail(r, GPUPT_CHECK_CONFIG, msg,
				 "the PCIe capability reads %#06x", flags);
		return;
	}
	r->check[GPUPT_CHECK_CONFIG] = GPUPT_CHECK_R_PASS;
}

/* Where the upstream port can report Data Link Layer Link Active, it must. */
static void gpupt_verify_link(struct gpupt_rdev *r, char *msg)
{
	struct pci_dev *port = pci_upstream_bridge(r->pdev);
	u16 lnksta;

	if (!port || !pci_is_pcie(port) || !port->link_active_reporting) {
		r->check[GPUPT_CHECK_LINK] = GPUPT_CHECK_R_NA;
		return;
	}
	if (pcie_capability_read_word(port, PCI_EXP_LNKSTA, &lnksta) ||
	    lnksta == 0xffff || !(lnksta & PCI_EXP_LNKSTA_DLLLA)) {
		gpupt_check_fail(r, GPUPT_CHECK_LINK, msg,
				 "%s reports the link down (LNKSTA %#06x, no DLLLA)",
				 pci_name(port), lnksta);
		return;
	}
	r->check[GPUPT_CHECK_LINK] = GPUPT_CHECK_R_PASS;
}

/*
 * Every BAR whose resource the kernel placed must hold that resource's bus
 * address; the ROM BAR must read what it read before the reset.  Not
 * applicable to a VF, whose BAR registers are read-only zero.
 */
static void gpupt_verify_bars(struct gpupt_rdev *r, char *msg)
{
	struct pci_dev *pdev = r->pdev;
	int i, nbars = GPUPT_NUM_BARS, checked = 0;
	struct pci_bus_region region;
	struct resource *res;
	u32 lo, hi = 0;
	u64 addr;

	if (pdev->hdr_type == PCI_HEADER_TYPE_BRIDGE)
		nbars = 2;
	else if (pdev->hdr_type == PCI_HEADER_TYPE_CARDBUS)
		nbars = 0;
	/* A VF's BARs read zero: its PF's SR-IOV capability places them. */
	if (pdev->is_virtfn)
		nbars = 0;
	for (i = 0; i < nbars; i++) {
		int bar = i;

		res = &pdev->resource[i];
		if (res->flags & IORESOURCE_MEM_64)
			i++;
		if (!(res->flags & (IORESOURCE_IO | IORESOURCE_MEM)) ||
		    !res->parent || (res->flags & IORESOURCE_UNSET))
			continue;
		pcibios_resource_to_bus(pdev->bus, &region, res);
		pci_read_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * bar, &lo);
		if (res->flags & IORESOURCE_MEM_64)
			pci_read_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * i,
					      &hi);
		if (res->flags & IORESOURCE_IO)
			addr = lo & PCI_BASE_ADDRESS_IO_MASK;
		else
			addr = ((u64)hi << 32) | (lo & PCI_BASE_ADDRESS_MEM_MASK);
		if (res->flags & IORESOURCE_IO)
			region.start &= PCI_BASE_ADDRESS_IO_MASK;
		checked++;
		if (addr == region.start)
			continue;
		gpupt_check_fail(r, GPUPT_CHECK_BARS, msg,
				 "BAR%d reads %#llx, the kernel assigned %#llx",
				 bar, addr, (u64)region.start);
		return;
	}
	if (nbars) {
		pci_read_config_dword(pdev,
				      pdev->hdr_type == PCI_HEADER_TYPE_BRIDGE ?
				      PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS, &lo);
		checked++;
		if (lo != r->rom) {
			gpupt_check_fail(r, GPUPT_CHECK_BARS, msg,
					 "ROM BAR reads %#010x, was %#010x",
					 lo, r->rom);
			return;
		}
	}
	r->check[GPUPT_CHECK_BARS] = checked ? GPUPT_CHECK_R_PASS :
					       GPUPT_CHECK_R_NA;
}

static void gpupt_verify_command(struct gpupt_rdev *r, char *msg)
{
	u16 cmd, mask = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	pci_read_config_word(r->pdev, PCI_COMMAND, &cmd);
	if ((cmd & mask) != (r->command & mask)) {
		gpupt_check_fail(r, GPUPT_CHECK_COMMAND, msg,
				 "command register reads %#06x, was %#06x",
				 cmd, r->command);
		return;
	}
	r->check[GPUPT_CHECK_COMMAND] = GPUPT_CHECK_R_PASS;
}

static void gpupt_verify_power(struct gpupt_rdev *r, char *msg)
{
	struct pci_dev *pdev = r->pdev;
	u16 pmcsr;

	if (!pdev->pm_cap) {
		r->check[GPUPT_CHECK_POWER] = GPUPT_CHECK_R_NA;
		return;
	}
	pci_read_config_word(pdev, pdev->pm_cap + PCI_PM_CTRL, &pmcsr);
	if (pmcsr & PCI_PM_CTRL_STATE_MASK) {
		gpupt_check_fail(r, GPUPT_CHECK_POWER, msg,
				 "PMCSR %#06x: in D%u, not D0", pmcsr,
				 pmcsr & PCI_PM_CTRL_STATE_MASK);
		return;
	}
	r->check[GPUPT_CHECK_POWER] = GPUPT_CHECK_R_PASS;
}

/*
 * Run every check on @r after a reset.  Fills r->check[] and r->failed;
 * returns 0, -EIO (a check failed) or -ENODEV (the device was removed),
 * with the first failure in @msg (GPUPT_RESET_MSGLEN bytes).
 */
static int gpupt_verify(struct gpupt_rdev *r, char *msg)
{
	struct pci_dev *pdev = r->pdev;

	memset(r->check, 0, sizeof(r->check));
	r->failed = 0;
	if (!pci_device_is_present(pdev)) {
		if (!device_is_registered(&pdev->dev)) {
			r->gone = true;
			gpupt_check_fail(r, GPUPT_CHECK_PRESENT, msg,
					 "removed during the reset");
			return -ENODEV;
		}
		return gpupt_check_fail(r, GPUPT_CHECK_PRESENT, msg,
					"vendor ID reads 0xffff");
	}
	r->check[GPUPT_CHECK_PRESENT] = GPUPT_CHECK_R_PASS;
	gpupt_verify_config(r, msg);
	gpupt_verify_link(r, msg);
	gpupt_verify_bars(r, msg);
	gpupt_verify_command(r, msg);
	gpupt_verify_power(r, msg);
	return r->failed ? -EIO : 0;
}

/*
 * The outcome of one attempt: @rc is what the reset returned.  A reset
 * that failed is verified too (a half-done reset can leave anything), but
 * its error stays the result.  Refusals (EBUSY) touched nothing.
 */
static void gpupt_conclude(struct gpupt_rdev *r, int rc)
{
	char vmsg[GPUPT_RESET_MSGLEN];
	int v;

	r->attempted = true;
	if (rc == -EBUSY) {
		r->err = rc;
		return;
	}
	v = gpupt_verify(r, vmsg);
	if (rc) {
		r->err = rc;
		if (r->msg[0])
			return;
		snprintf(r->msg, sizeof(r->msg),
			 "%s: %s reset failed: error %d", pci_name(r->pdev),
			 gpupt_reset_name(r->method), rc);
		if (r->failed)
			scnprintf(r->msg + strlen(r->msg),
				  sizeof(r->msg) - strlen(r->msg),
				  "; check %s failed",
				  gpupt_check_names[r->failed]);
		return;
	}
	r->err = v;
	if (v)
		strscpy(r->msg, vmsg, sizeof(r->msg));
	else
		r->msg[0] = '\0';
}

/*
 * A device that does not answer before its reset is not reset: the kernel
 * would wait up to a minute for it after every method (pci_dev_wait()).
 * Its verification fails check present, so the ladder climbs straight on
 * to the rungs that can help (rescan).  True when @r was concluded here.
 */
static bool gpupt_absent(struct gpupt_rdev *r)
{
	char vmsg[GPUPT_RESET_MSGLEN];

	if (pci_device_is_present(r->pdev))
		return false;
	r->attempted = true;
	r->duration_us = 0;
	r->err = gpupt_verify(r, vmsg);
	scnprintf(r->msg, sizeof(r->msg), "%s before the reset; not reset",
		  vmsg);
	return true;
}

/* ---- running ---- */

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

/* Both locks within 1 s, or -EBUSY with the reason in r->msg. */
static int gpupt_pci_lock(struct gpupt_rdev *r)
{
	int i;

	for (i = 0; !gpupt_pci_trylock(r->pdev); i++) {
		if (i == GPUPT_RESET_TRIES) {
			snprintf(r->msg, sizeof(r->msg),
				 "%s is locked by another operation",
				 pci_name(r->pdev));
			return -EBUSY;
		}
		msleep(GPUPT_RESET_TRY_MS);
	}
	return 0;
}

static int gpupt_reset_function(struct gpupt_rdev *r, bool force)
{
	struct pci_dev *pdev = r->pdev;
	u8 used = r->method;
	int rc;

	rc = gpupt_pci_lock(r);
	if (rc)
		return rc;
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
		    (!gpupt_sriov_reset_blocker(job->radius[i], why,
						sizeof(why)) &&
		     !gpupt_reset_blocker(job->radius[i], force, why,
					  sizeof(why))))
			continue;
		job->err = -EBUSY;
		gpupt_msg_add(job->msg, why);
	}
	if (job->err)
		return;

	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (r->job != job)
			continue;
		gpupt_snapshot(r);
		if (!gpupt_absent(r))
			continue;
		job->err = -EIO;
		snprintf(job->msg, sizeof(job->msg),
			 "%s does not answer: a bus reset would wait a minute for it",
			 pci_name(r->pdev));
	}
	if (job->err) {
		for (r = req->devs; r < req->devs + req->n_devs; r++) {
			if (r->job != job || r->attempted)
				continue;
			r->err = job->err;
			strscpy(r->msg, job->msg, sizeof(r->msg));
		}
		return;
	}
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
		r->duration_us = us;
		r->method = job->method;
		r->msg[0] = '\0';
		if (rc && job->msg[0])
			strscpy(r->msg, job->msg, sizeof(r->msg));
		gpupt_conclude(r, rc);
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
		if (gpupt_absent(r))
			continue;
		t0 = ktime_get();
		rc = gpupt_reset_function(r, req->flags & GPUPT_F_FORCE);
		r->duration_us = ktime_us_delta(ktime_get(), t0);
		gpupt_conclude(r, rc);
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

/* ---- the ladder ---- */

/* Append the attempt just made to r's rungs. */
static void gpupt_rung_push(struct gpupt_rdev *r)
{
	struct gpupt_rung *g;

	if (r->n_rungs == GPUPT_RESET_RUNGS)
		return;
	g = &r->rungs[r->n_rungs++];
	g->method = r->method;
	g->err = r->err;
	g->us = r->duration_us;
	g->failed = r->failed;
	memcpy(g->check, r->check, sizeof(g->check));
	strscpy(g->msg, r->msg, sizeof(g->msg));
}

/* A rung that does not apply: reported, the device's result unchanged. */
static void gpupt_rung_skip(struct gpupt_rdev *r, u8 method, int err,
			    const char *msg)
{
	struct gpupt_rung *g;

	if (r->n_rungs == GPUPT_RESET_RUNGS)
		return;
	g = &r->rungs[r->n_rungs++];
	memset(g, 0, sizeof(*g));
	g->method = method;
	g->err = err;
	g->skipped = true;
	strscpy(g->msg, msg, sizeof(g->msg));
}

/*
 * Can @method (RESCAN or D3COLD) be used on @pdev at all?  0, or -ENOTTY
 * with the reason in @msg.
 */
static int gpupt_rung_unsupported(struct pci_dev *pdev, u8 method, char *msg,
				  size_t len)
{
	if (method == GPUPT_RESET_RESCAN) {
		if (pdev->is_virtfn || pci_is_bridge(pdev)) {
			snprintf(msg, len, "%s: a %s cannot be removed and rescanned alone",
				 pci_name(pdev),
				 pdev->is_virtfn ? "virtual function" : "bridge");
			return -ENOTTY;
		}
		if (pci_num_vf(pdev)) {
			snprintf(msg, len,
				 "%s has %d VFs enabled: removing it would remove them",
				 pci_name(pdev), pci_num_vf(pdev));
			return -ENOTTY;
		}
		return 0;
	}
	if (!gpupt_pr3_present(pdev)) {
		snprintf(msg, len,
			 "%s: the platform cannot cut its power (no ACPI _PR3 power resources)",
			 pci_name(pdev));
		return -ENOTTY;
	}
	return 0;
}

/* Time one rung and conclude it; the caller set r->method. */
static void gpupt_rung_done(struct gpupt_rdev *r, ktime_t t0, int rc)
{
	r->duration_us = ktime_us_delta(ktime_get(), t0);
	gpupt_conclude(r, rc);
}

/*
 * Bus/slot reset of @r's bus, everything in its radius idle.  The other
 * devices it hits become records of the request (or get another rung).
 */
static void gpupt_rung_bus(struct gpupt_reset_req *req, struct gpupt_rdev *r)
{
	struct gpupt_rjob job = { .req = req, .bus = r->pdev->bus,
				  .rep = r->pdev, .method = GPUPT_RESET_BUS };
	struct gpupt_walk w = { .job = &job };
	struct gpupt_rdev *x;
	char msg[GPUPT_RESET_MSGLEN];
	unsigned int i, n = req->n_devs;

	if (pci_probe_reset_slot(r->pdev->slot) &&
	    pci_probe_reset_bus(r->pdev->bus)) {
		snprintf(msg, sizeof(msg), "the bus of %s cannot be reset",
			 pci_name(r->pdev));
		gpupt_rung_skip(r, GPUPT_RESET_BUS, -ENOTTY, msg);
		return;
	}
	job.radius = kcalloc(GPUPT_RESET_MAX_DEVS, sizeof(*job.radius),
			     GFP_KERNEL);
	if (!job.radius) {
		gpupt_rung_skip(r, GPUPT_RESET_BUS, -ENOMEM, "out of memory");
		return;
	}
	pci_walk_bus(job.bus, gpupt_radius_cb, &w);
	for (i = 0; i < job.n_radius && !w.err; i++)
		if (!pci_is_bridge(job.radius[i]))
			w.err = gpupt_rdev_add(req, job.radius[i], false, &x);
	if (w.err) {
		gpupt_rung_skip(r, GPUPT_RESET_BUS, w.err,
				"too many devices below its bus");
		goto out;
	}
	/* gpupt_job_run() resets and concludes every record of this job */
	for (x = req->devs; x < req->devs + req->n_devs; x++)
		if (!pci_is_bridge(x->pdev) &&
		    gpupt_bus_below(x->pdev->bus, job.bus))
			x->job = &job;
	gpupt_job_run(&job.work);
	if (job.err) {
		gpupt_rung_skip(r, GPUPT_RESET_BUS, job.err, job.msg);
	} else {
		for (x = req->devs; x < req->devs + req->n_devs; x++) {
			if (x->job != &job)
				continue;
			gpupt_rung_push(x);
			/* a neighbour new to the request: its first rung */
			if (x - req->devs >= n)
				x->target = false;
		}
	}
	for (x = req->devs; x < req->devs + req->n_devs; x++) {
		if (x->job != &job)
			continue;
		x->job = NULL;
		if (x - req->devs >= n && !x->attempted) {
			/* refused before anything was touched */
			x->err = 0;
			x->msg[0] = '\0';
		}
	}
out:
	for (i = 0; i < job.n_radius; i++)
		pci_dev_put(job.radius[i]);
	kfree(job.radius);
}

/*
 * Remove @r's function and scan its address again, so that it comes back
 * as a new struct pci_dev bound to the driver it had: gpupt or an idle
 * vfio driver.  Its driver_override is set to that driver before the new
 * device can be matched, and put back as it was once it is bound; its
 * reset_method order, d3cold_allowed and runtime PM setting (power/control)
 * are copied from the old one, as the sysfs writes of gptctl apply would
 * otherwise be lost.  The
 * removal sends GPUPT_CMD_EVT_REMOVE (driver.c, state.c), the return
 * GPUPT_CMD_EVT_ADD.
 */
static int gpupt_rescan(struct gpupt_reset_req *req, struct gpupt_rdev *r)
{
	struct pci_dev *old = r->pdev, *new;
	struct pci_bus *bus = old->bus;
	char drv[GPUPT_NAME_LEN], got[GPUPT_NAME_LEN];
	unsigned int devfn = old->devfn;
	char *ovr = NULL;
	int err;

	err = gpupt_pci_lock(r);
	if (err)
		return err;
	if (gpupt_reset_blocker_locked(old, false, r->msg, sizeof(r->msg))) {
		gpupt_pci_unlock(old);
		return -EBUSY;
	}
	err = gpupt_override_dup_locked(old, &ovr);
	gpupt_dev_driver_name(old, drv, sizeof(drv));
	gpupt_pci_unlock(old);
	if (err)
		return err;

	pci_lock_rescan_remove();
	pci_stop_and_remove_bus_device(old);
	new = pci_scan_single_device(bus, devfn);
	if (!new) {
		pci_unlock_rescan_remove();
		kfree(ovr);
		r->gone = true;
		memset(r->check, 0, sizeof(r->check));
		r->check[GPUPT_CHECK_PRESENT] = GPUPT_CHECK_R_FAIL;
		r->failed = GPUPT_CHECK_PRESENT;
		strscpy(r->vmsg,
			"check present failed: nothing answers at its address after remove and rescan",
			sizeof(r->vmsg));
		snprintf(r->msg, sizeof(r->msg), "%s: %s", pci_name(old),
			 r->vmsg);
		return -ENODEV;
	}
	pci_dev_get(new);
	err = gpupt_override_set(new, drv);
	/* what the user set in sysfs (gptctl apply) carries over */
	gpupt_reset_methods_copy(new, old);
	new->d3cold_allowed = old->d3cold_allowed;
	pci_assign_unassigned_bus_resources(bus);
	pci_bus_add_devices(bus);
	pci_unlock_rescan_remove();
	if (old->dev.power.runtime_auto)
		pm_runtime_allow(&new->dev);
	if (!err && !ovr)
		err = gpupt_override_set(new, NULL);
	else if (!err && strcmp(ovr, drv))
		err = gpupt_override_set(new, ovr);
	kfree(ovr);

	r->pdev = new;
	pci_dev_put(old);
	gpupt_dev_event(GPUPT_CMD_EVT_ADD, new, false);
	gpupt_dev_driver_name(new, got, sizeof(got));
	if (strcmp(got, drv)) {
		scnprintf(r->msg, sizeof(r->msg),
			  "%s came back from the rescan on %s, not %s",
			  pci_name(new), *got ? got : "no driver", drv);
		return -EIO;
	}
	if (err)
		snprintf(r->msg, sizeof(r->msg),
			 "%s: cannot restore its driver_override", pci_name(new));
	return err;
}

static void gpupt_rung_rescan(struct gpupt_reset_req *req,
			      struct gpupt_rdev *r)
{
	char msg[GPUPT_RESET_MSGLEN];
	ktime_t t0 = ktime_get();
	int rc;

	if (gpupt_rung_unsupported(r->pdev, GPUPT_RESET_RESCAN, msg,
				   sizeof(msg))) {
		gpupt_rung_skip(r, GPUPT_RESET_RESCAN, -ENOTTY, msg);
		return;
	}
	r->method = GPUPT_RESET_RESCAN;
	r->msg[0] = '\0';
	rc = gpupt_rescan(req, r);
	if (rc == -EBUSY) {
		gpupt_rung_skip(r, GPUPT_RESET_RESCAN, rc, r->msg);
		return;
	}
	if (r->gone) {
		r->attempted = true;
		r->err = rc;
		r->duration_us = ktime_us_delta(ktime_get(), t0);
	} else {
		pm_runtime_get_sync(&r->pdev->dev);
		gpupt_rung_done(r, t0, rc);
		pm_runtime_put(&r->pdev->dev);
	}
	gpupt_rung_push(r);
}

/* D3cold and back, through the platform's power resources. */
static void gpupt_rung_d3cold(struct gpupt_reset_req *req,
			      struct gpupt_rdev *r)
{
	struct pci_dev *pdev = r->pdev;
	char msg[GPUPT_RESET_MSGLEN];
	ktime_t t0;
	int rc;

	if (gpupt_rung_unsupported(pdev, GPUPT_RESET_D3COLD, msg,
				   sizeof(msg))) {
		gpupt_rung_skip(r, GPUPT_RESET_D3COLD, -ENOTTY, msg);
		return;
	}
	pm_runtime_get_sync(&pdev->dev);
	r->method = GPUPT_RESET_D3COLD;
	r->msg[0] = '\0';
	t0 = ktime_get();
	rc = gpupt_pci_lock(r);
	if (!rc && gpupt_reset_blocker_locked(pdev, req->flags & GPUPT_F_FORCE,
					      r->msg, sizeof(r->msg))) {
		gpupt_pci_unlock(pdev);
		rc = -EBUSY;
	}
	if (rc) {
		pm_runtime_put(&pdev->dev);
		gpupt_rung_skip(r, GPUPT_RESET_D3COLD, rc, r->msg);
		return;
	}
	pci_save_state(pdev);
	rc = pci_set_power_state(pdev, PCI_D3cold);
	if (!rc) {
		msleep(GPUPT_D3COLD_MS);
		rc = pci_set_power_state(pdev, PCI_D0);
	}
	pci_restore_state(pdev);
	gpupt_pci_unlock(pdev);
	gpupt_rung_done(r, t0, rc);
	pm_runtime_put(&pdev->dev);
	gpupt_rung_push(r);
}

/* Climb on while the device fails: an error, or a failed check. */
static bool gpupt_climbs(struct gpupt_rdev *r)
{
	return r->attempted && r->err && r->err != -EBUSY && !r->gone;
}

static void gpupt_ladder(struct gpupt_reset_req *req)
{
	unsigned int i, n = req->n_devs;
	struct gpupt_rdev *r;

	for (i = 0; i < n; i++) {
		r = &req->devs[i];
		if (!r->attempted || r->n_rungs)
			continue;
		gpupt_rung_push(r);
		if (req->forced)
			continue;
		if (gpupt_climbs(r) && r->method != GPUPT_RESET_BUS &&
		    r->method != GPUPT_RESET_SLOT)
			gpupt_rung_bus(req, r);
		if (gpupt_climbs(r) && !req->no_rescan)
			gpupt_rung_rescan(req, r);
		if (gpupt_climbs(r))
			gpupt_rung_d3cold(req, r);
	}
}

/* RESCAN or D3COLD asked for: one rung, run here, no job. */
static void gpupt_run_rungs(struct gpupt_reset_req *req)
{
	struct gpupt_rdev *r;

	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (!r->rung_only || r->err)
			continue;
		gpupt_snapshot(r);
		if (r->method == GPUPT_RESET_RESCAN)
			gpupt_rung_rescan(req, r);
		else
			gpupt_rung_d3cold(req, r);
		if (!r->attempted) {
			/* refused: report the rung's reason as the result */
			r->err = r->rungs[0].err;
			strscpy(r->msg, r->rungs[0].msg, sizeof(r->msg));
		}
	}
}

/* ---- quarantine ---- */

/*
 * A device that failed a check after its last rung is quarantined (also
 * when the rescan found nothing: if it ever answers again it is held
 * back); one that passed every check is released from quarantine.
 * Devices removed under the reset are gone, not quarantined.
 */
static void gpupt_quarantine_update(struct gpupt_reset_req *req)
{
	struct gpupt_rdev *r;
	int err;

	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (!r->attempted)
			continue;
		if (!r->err) {
			r->lifted = gpupt_quarantine_clear(r->pdev);
			continue;
		}
		if (!r->failed || (r->gone && r->method != GPUPT_RESET_RESCAN))
			continue;
		err = gpupt_quarantine_set(r->pdev, r->failed, r->vmsg);
		if (err < 0) {
			pci_err(r->pdev, "cannot quarantine: error %d\n", err);
			continue;
		}
		r->quarantined = true;
		pci_warn(r->pdev, "quarantined: %s\n", r->vmsg);
	}
}

/* ---- reply and events ---- */

static int gpupt_put_checks(struct sk_buff *skb, const u8 *check, u8 failed)
{
	struct nlattr *nest;
	int i;

	if (!check[GPUPT_CHECK_PRESENT])
		return 0;	/* never verified */
	nest = nla_nest_start(skb, GPUPT_DEV_A_CHECKS);
	if (!nest)
		return -EMSGSIZE;
	for (i = GPUPT_CHECK_UNSPEC + 1; i < __GPUPT_CHECK_MAX; i++)
		if (nla_put_u8(skb, i, check[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	if (failed && nla_put_u8(skb, GPUPT_DEV_A_FAILED_CHECK, failed))
		return -EMSGSIZE;
	return 0;
}

static int gpupt_put_rungs(struct sk_buff *skb, const struct gpupt_rdev *r)
{
	struct nlattr *rungs, *nest;
	unsigned int i;

	rungs = nla_nest_start(skb, GPUPT_DEV_A_RUNGS);
	if (!rungs)
		return -EMSGSIZE;
	for (i = 0; i < r->n_rungs; i++) {
		const struct gpupt_rung *g = &r->rungs[i];

		nest = nla_nest_start(skb, GPUPT_DEV_A_RUNG);
		if (!nest ||
		    nla_put_u8(skb, GPUPT_DEV_A_RESET_METHOD, g->method) ||
		    nla_put_u64_64bit(skb, GPUPT_DEV_A_DURATION_US, g->us,
				      GPUPT_DEV_A_PAD) ||
		    nla_put_u32(skb, GPUPT_DEV_A_ERRNO, -g->err) ||
		    (g->msg[0] && nla_put_string(skb, GPUPT_DEV_A_MESSAGE,
						 g->msg)) ||
		    gpupt_put_checks(skb, g->check, g->failed))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	nla_nest_end(skb, rungs);
	return 0;
}

static int gpupt_put_result(struct sk_buff *skb, const struct gpupt_rdev *r)
{
	u64 us = 0;
	unsigned int i;

	for (i = 0; i < r->n_rungs; i++)
		us += r->rungs[i].us;
	if (!r->n_rungs)
		us = r->duration_us;
	if (nla_put_u8(skb, GPUPT_DEV_A_RESET_METHOD, r->method) ||
	    nla_put_u64_64bit(skb, GPUPT_DEV_A_DURATION_US, us,
			      GPUPT_DEV_A_PAD) ||
	    nla_put_u32(skb, GPUPT_DEV_A_ERRNO, -r->err))
		return -EMSGSIZE;
	if (r->err && r->msg[0] &&
	    nla_put_string(skb, GPUPT_DEV_A_MESSAGE, r->msg))
		return -EMSGSIZE;
	if (r->attempted && gpupt_put_checks(skb, r->check, r->failed))
		return -EMSGSIZE;
	if (r->n_rungs && gpupt_put_rungs(skb, r))
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

/* A record for every device reset (or asked for); see the UAPI header. */
static bool gpupt_reported(struct gpupt_reset_req *req, struct gpupt_rdev *r)
{
	if (req->flags & (GPUPT_F_DRY_RUN | GPUPT_F_CLEAR_QUARANTINE))
		return r->target;
	return r->target || r->attempted;
}

static int gpupt_reset_fill(struct sk_buff *skb, struct gpupt_reset_req *req)
{
	struct genl_info *info = req->info;
	bool dry = req->flags & GPUPT_F_DRY_RUN;
	struct nlattr *devs, *dev;
	struct gpupt_rdev *r;
	void *hdr;
	int err = 0;

	hdr = genlmsg_put(skb, info->snd_portid, info->snd_seq,
			  &gpupt_genl_family, 0, GPUPT_CMD_RESET);
	if (!hdr)
		return -EMSGSIZE;
	devs = nla_nest_start(skb, GPUPT_A_DEVICES);
	if (!devs)
		return -EMSGSIZE;
	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (!gpupt_reported(req, r))
			continue;
		dev = gpupt_nl_put_dev(skb, GPUPT_A_DEVICE, r->pdev);
		if (!dev)
			return -EMSGSIZE;
		if (dry)
			err = gpupt_put_plan(skb, r);
		else if (!(req->flags & GPUPT_F_CLEAR_QUARANTINE))
			err = gpupt_put_result(skb, r);
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

static int gpupt_put_result_event(struct sk_buff *skb, const void *r)
{
	return gpupt_put_result(skb, r);
}

static void gpupt_reset_event(struct gpupt_rdev *r)
{
	gpupt_dev_event_extras(GPUPT_CMD_EVT_RESET, r->pdev,
			       gpupt_put_result_event, r);
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
				gpupt_err(req->extack,
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
			NL_SET_ERR_MSG_ATTR(req->extack, nla,
					    "GPUPT_A_DEVICES holds only GPUPT_A_DEVICE nests");
			return -EINVAL;
		}
		err = gpupt_nl_get_dev(info, nla, &pdev);
		if (err)
			return err;
		err = gpupt_rdev_add(req, pdev, true, &r);
		pci_dev_put(pdev);
		if (err) {
			gpupt_err(req->extack, "more than %d devices to reset",
				  GPUPT_RESET_MAX_DEVS);
			return err;
		}
	}
	if (!req->n_devs) {
		NL_SET_ERR_MSG(req->extack, "GPUPT_A_DEVICES is empty");
		return -EINVAL;
	}
	return 0;
}

/* Plan and check req->devs; an explicit request is refused as a whole. */
static int gpupt_reset_plan(struct gpupt_reset_req *req)
{
	bool dry = req->flags & GPUPT_F_DRY_RUN;
	struct gpupt_rjob *job;
	struct gpupt_rdev *r;
	int err;

	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		r->err = gpupt_plan_method(r);
		if (r->err && req->explicit && !dry) {
			gpupt_err(req->extack, "%s", r->msg);
			return r->err;
		}
	}
	err = gpupt_plan_jobs(req);
	if (err) {
		if (err == -E2BIG)
			gpupt_err(req->extack,
				  "more than %d devices would be reset",
				  GPUPT_RESET_MAX_DEVS);
		return err;
	}
	gpupt_plan_check(req);

	/* Explicit requests are all or nothing when something blocks. */
	if (req->explicit && !dry) {
		for (job = req->jobs; job < req->jobs + req->n_jobs; job++) {
			if (!job->dead && job->err) {
				gpupt_err(req->extack, "%s", job->msg);
				return job->err;
			}
		}
		for (r = req->devs; r < req->devs + req->n_devs; r++) {
			if (r->err) {
				gpupt_err(req->extack, "%s", r->msg);
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
	return 0;
}

/* Reset, climb the ladder, update quarantines. */
static void gpupt_reset_run(struct gpupt_reset_req *req)
{
	ktime_t t0 = ktime_get();
	unsigned int n = 0, jobs = 0;
	struct gpupt_rjob *job;
	struct gpupt_rdev *r;

	gpupt_run_jobs(req);
	gpupt_run_rungs(req);
	gpupt_ladder(req);
	gpupt_quarantine_update(req);
	for (job = req->jobs; job < req->jobs + req->n_jobs; job++)
		jobs += !job->dead && !job->err;
	for (r = req->devs; r < req->devs + req->n_devs; r++)
		n += r->attempted;
	if (n)
		pr_info("reset %u devices in %u jobs in %lld us\n", n, jobs,
			ktime_us_delta(ktime_get(), t0));
}

/* Log, count and announce every result; the first failure, or NULL. */
static struct gpupt_rdev *gpupt_reset_report(struct gpupt_reset_req *req)
{
	struct gpupt_rdev *r, *first = NULL;

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
		if (r->quarantined || r->lifted)
			gpupt_dev_event(GPUPT_CMD_EVT_QUARANTINE, r->pdev, false);
	}
	return first;
}

/* GPUPT_F_CLEAR_QUARANTINE: lift the named devices' quarantine only. */
static int gpupt_reset_clear(struct gpupt_reset_req *req, struct sk_buff *skb)
{
	struct gpupt_rdev *r;
	int err;

	if (!req->explicit) {
		nlmsg_free(skb);
		NL_SET_ERR_MSG(req->extack,
			       "CLEAR_QUARANTINE needs the devices named");
		return -EINVAL;
	}
	for (r = req->devs; r < req->devs + req->n_devs; r++)
		r->lifted = gpupt_quarantine_clear(r->pdev);
	err = gpupt_reset_reply(req, skb);
	for (r = req->devs; r < req->devs + req->n_devs; r++) {
		if (!r->lifted)
			continue;
		pci_info(r->pdev, "quarantine lifted by request\n");
		gpupt_dev_event(GPUPT_CMD_EVT_QUARANTINE, r->pdev, false);
	}
	return err;
}

static int gpupt_reset_do(struct gpupt_reset_req *req)
{
	bool dry = req->flags & GPUPT_F_DRY_RUN;
	struct gpupt_rdev *first;
	struct sk_buff *skb;
	int err;

	err = gpupt_reset_targets(req);
	if (err)
		return err;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb) {
		NL_SET_ERR_MSG(req->extack, "out of memory");
		return -ENOMEM;
	}
	if (req->flags & GPUPT_F_CLEAR_QUARANTINE)
		return gpupt_reset_clear(req, skb);
	err = gpupt_reset_plan(req);
	if (err) {
		nlmsg_free(skb);
		return err;
	}
	if (!dry)
		gpupt_reset_run(req);

	err = gpupt_reset_reply(req, skb);
	if (err || dry)
		return err;
	first = gpupt_reset_report(req);
	if (first) {
		gpupt_err(req->extack, "%s", first->msg[0] ? first->msg :
			  pci_name(first->pdev));
		return first->err;
	}
	return 0;
}

static struct gpupt_reset_req *gpupt_reset_req_new(void)
{
	struct gpupt_reset_req *req = kzalloc(sizeof(*req), GFP_KERNEL);

	if (!req)
		return NULL;
	req->devs = kvcalloc(GPUPT_RESET_MAX_DEVS, sizeof(*req->devs),
			     GFP_KERNEL);
	req->jobs = kvcalloc(GPUPT_RESET_MAX_DEVS, sizeof(*req->jobs),
			     GFP_KERNEL);
	if (req->devs && req->jobs)
		return req;
	kvfree(req->jobs);
	kvfree(req->devs);
	kfree(req);
	return NULL;
}

static void gpupt_reset_req_free(struct gpupt_reset_req *req)
{
	unsigned int i, j;

	for (i = 0; i < req->n_jobs; i++) {
		for (j = 0; j < req->jobs[i].n_radius; j++)
			pci_dev_put(req->jobs[i].radius[j]);
		kfree(req->jobs[i].radius);
	}
	for (i = 0; i < req->n_devs; i++)
		pci_dev_put(req->devs[i].pdev);
	kvfree(req->jobs);
	kvfree(req->devs);
	kfree(req);
}

int gpupt_nl_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	u32 allowed = GPUPT_F_FORCE | GPUPT_F_DRY_RUN | GPUPT_F_CLEAR_QUARANTINE;
	struct gpupt_reset_req *req;
	int err;

	req = gpupt_reset_req_new();
	if (!req)
		return -ENOMEM;
	req->info = info;
	req->extack = info->extack;

	if (info->attrs[GPUPT_A_FLAGS])
		req->flags = nla_get_u32(info->attrs[GPUPT_A_FLAGS]);
	if (req->flags & ~allowed) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_FLAGS],
				    "RESET takes only the FORCE, DRY_RUN and CLEAR_QUARANTINE flags");
		err = -EINVAL;
		goto out;
	}
	if (info->attrs[GPUPT_A_RESET_METHOD]) {
		req->method = nla_get_u8(info->attrs[GPUPT_A_RESET_METHOD]);
		req->forced = req->method != GPUPT_RESET_AUTO;
	}
	if (req->method > GPUPT_RESET_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[GPUPT_A_RESET_METHOD],
				    "unknown reset method");
		err = -EINVAL;
		goto out;
	}
	if ((req->flags & GPUPT_F_CLEAR_QUARANTINE) &&
	    ((req->flags & ~GPUPT_F_CLEAR_QUARANTINE) ||
	     info->attrs[GPUPT_A_RESET_METHOD])) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_FLAGS],
				    "CLEAR_QUARANTINE resets nothing: it takes no method and no other flag");
		err = -EINVAL;
		goto out;
	}

	mutex_lock(&gpupt_ops_lock);
	err = gpupt_reset_do(req);
	mutex_unlock(&gpupt_ops_lock);
out:
	gpupt_reset_req_free(req);
	return err;
}

int gpupt_reset_verified(struct pci_dev **devs, unsigned int n,
			 struct netlink_ext_ack *extack)
{
	struct gpupt_reset_req *req;
	struct gpupt_rdev *r, *first;
	unsigned int i;
	int err = 0;

	lockdep_assert_held(&gpupt_ops_lock);
	req = gpupt_reset_req_new();
	if (!req) {
		NL_SET_ERR_MSG(extack, "out of memory");
		return -ENOMEM;
	}
	req->extack = extack;
	req->explicit = true;
	req->no_rescan = true;
	for (i = 0; i < n && !err; i++) {
		err = gpupt_rdev_add(req, devs[i], true, &r);
		if (err)
			gpupt_err(extack, "more than %d devices to reset",
				  GPUPT_RESET_MAX_DEVS);
	}
	if (!err)
		err = gpupt_reset_plan(req);
	if (!err) {
		gpupt_reset_run(req);
		first = gpupt_reset_report(req);
		if (first) {
			gpupt_err(extack, "reset before handoff: %s",
				  first->msg[0] ? first->msg :
				  pci_name(first->pdev));
			err = first->err == -ENODEV ? -ENODEV :
			      first->err == -EBUSY ? -EBUSY : -EIO;
		}
	}
	gpupt_reset_req_free(req);
	return err;
}
