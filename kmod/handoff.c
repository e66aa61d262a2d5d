// SPDX-License-Identifier: GPL-2.0
/*
 * HANDOFF, RECLAIM and RELEASE: move whole IOMMU groups between gpupt,
 * vfio-pci and the host's drivers as one transaction.
 *
 * A request names one or more functions.  Each becomes a unit: the
 * non-bridge functions of its IOMMU group (or, with GPUPT_F_SINGLE, just
 * the named functions of that group).  Everything is checked before
 * anything is touched; then units run concurrently on gpupt_wq, each one
 * function at a time in address order.  A unit that fails rolls itself
 * back in reverse order; then every other unit is rolled back too, and
 * the request fails naming the function that failed.
 *
 * The rollback is tested against real bind failures in the driver core:
 * tests/vm/t33-handoff-rollback.sh and t75-rollback-fault.sh say how.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>

#include "gpupt.h"

/* At most this many functions may be named in one request. */
#define GPUPT_MAX_REQ	64

struct gpupt_unit {
	struct work_struct work;
	const char *target;		/* NULL: native driver (RELEASE) */
	int group;			/* IOMMU group id, -1 for none */
	struct gpupt_fn *fns;		/* room for cap, sized to the group */
	unsigned int nfns, cap;
	struct pci_dev *slots[GPUPT_MAX_REQ];	/* the named functions */
	unsigned int nslots;
	int failed;			/* index into fns, -1 = ok */
	int err;
};

struct gpupt_req {
	u8 cmd;
	u32 flags;
	const char *target;
	struct gpupt_unit *units;
	unsigned int nunits;
	unsigned int nfns;		/* over all units */
};

static int gpupt_fn_cmp(const void *a, const void *b)
{
	const struct pci_dev *x = ((const struct gpupt_fn *)a)->pdev;
	const struct pci_dev *y = ((const struct gpupt_fn *)b)->pdev;
	u32 kx = (u32)pci_domain_nr(x->bus) << 16 | x->bus->number << 8 |
		 x->devfn;
	u32 ky = (u32)pci_domain_nr(y->bus) << 16 | y->bus->number << 8 |
		 y->devfn;

	return kx < ky ? -1 : kx > ky;
}

struct gpupt_collect {
	struct pci_dev **devs;
	unsigned int n;
};

/*
 * Runs under the group's mutex: only take references here, act later.
 */
static int gpupt_collect_one(struct device *dev, void *data)
{
	struct gpupt_collect *c = data;
	struct pci_dev *pdev;

	if (!dev_is_pci(dev))
		return 0;
	pdev = to_pci_dev(dev);
	if (pci_is_bridge(pdev))
		return 0;
	if (c->n == GPUPT_MAX_GROUP_FNS)
		return -E2BIG;
	c->devs[c->n++] = pci_dev_get(pdev);
	return 0;
}

static bool gpupt_same_slot(struct pci_dev *a, struct pci_dev *b)
{
	return pci_domain_nr(a->bus) == pci_domain_nr(b->bus) &&
	       a->bus->number == b->bus->number &&
	       PCI_SLOT(a->devfn) == PCI_SLOT(b->devfn);
}

static bool gpupt_unit_has_fn(struct gpupt_unit *u, struct pci_dev *pdev)
{
	unsigned int i;

	for (i = 0; i < u->nfns; i++)
		if (u->fns[i].pdev == pdev)
			return true;
	return false;
}

/*
 * Make room for @want functions.  The array is sized to the group, not to
 * GPUPT_MAX_GROUP_FNS: 256 records are ~90 KiB, an order-5 allocation
 * (and its zeroing) per unit, measured at 0.2-1.7 ms each in the rig.
 */
static int gpupt_unit_reserve(struct gpupt_unit *u, unsigned int want)
{
	struct gpupt_fn *fns;

	if (want <= u->cap)
		return 0;
	want = max(want, min(2 * u->cap, (unsigned int)GPUPT_MAX_GROUP_FNS));
	fns = kmalloc_array(want, sizeof(*fns), GFP_KERNEL);
	if (!fns)
		return -ENOMEM;
	if (u->nfns)
		memcpy(fns, u->fns, u->nfns * sizeof(*fns));
	kfree(u->fns);
	u->fns = fns;
	u->cap = want;
	return 0;
}

static int gpupt_unit_add_fn(struct gpupt_unit *u, struct pci_dev *pdev,
			     unsigned int max)
{
	struct gpupt_fn *fn;
	int err;

	if (gpupt_unit_has_fn(u, pdev))
		return 0;
	if (u->nfns == max)
		return -E2BIG;
	err = gpupt_unit_reserve(u, min(u->nfns + 1, max));
	if (err)
		return err;
	fn = &u->fns[u->nfns++];
	err = gpupt_fn_prepare(fn, pdev);
	if (err == -EBUSY)
		strscpy(fn->blocker, "busy (its device lock is held)",
			sizeof(fn->blocker));
	return err;
}

/* Fill a new unit for @pdev: its whole group, or only itself. */
static int gpupt_unit_fill(struct gpupt_req *req, struct gpupt_unit *u,
			   struct pci_dev *pdev, struct iommu_group *group,
			   struct netlink_ext_ack *extack)
{
	struct gpupt_collect c = { };
	unsigned int i;
	int err = 0;

	if (!group || (req->flags & GPUPT_F_SINGLE))
		return gpupt_unit_add_fn(u, pdev, GPUPT_MAX_GROUP_FNS);

	c.devs = kcalloc(GPUPT_MAX_GROUP_FNS, sizeof(*c.devs), GFP_KERNEL);
	if (!c.devs)
		return -ENOMEM;
	err = iommu_group_for_each_dev(group, &c, gpupt_collect_one);
	if (err == -E2BIG)
		gpupt_err(extack, "IOMMU group %d has more than %d functions",
			  u->group, GPUPT_MAX_GROUP_FNS);
	if (!err)
		err = gpupt_unit_reserve(u, max(c.n, 1U));
	for (i = 0; i < c.n; i++) {
		if (!err)
			err = gpupt_unit_add_fn(u, c.devs[i],
						GPUPT_MAX_GROUP_FNS);
		pci_dev_put(c.devs[i]);
	}
	kfree(c.devs);
	/* A group of bridges only: move the named function alone. */
	if (!err && !u->nfns)
		err = gpupt_unit_add_fn(u, pdev, GPUPT_MAX_GROUP_FNS);
	return err;
}

/* Find or make the unit for @pdev and add it. */
static int gpupt_req_add(struct gpupt_req *req, struct pci_dev *pdev,
			 struct netlink_ext_ack *extack)
{
	struct iommu_group *group = iommu_group_get(&pdev->dev);
	int id = group ? iommu_group_id(group) : -1;
	struct gpupt_unit *u = NULL;
	unsigned int i;
	int err = 0;

	for (i = 0; id >= 0 && i < req->nunits; i++)
		if (req->units[i].group == id)
			u = &req->units[i];
	if (!u) {
		u = &req->units[req->nunits++];
		u->group = id;
		u->target = req->target;
		u->failed = -1;
		err = gpupt_unit_fill(req, u, pdev, group, extack);
	} else if (req->flags & GPUPT_F_SINGLE) {
		err = gpupt_unit_add_fn(u, pdev, GPUPT_MAX_GROUP_FNS);
	}
	if (!err && u->nslots < GPUPT_MAX_REQ)
		u->slots[u->nslots++] = pdev;
	iommu_group_put(group);
	return err;
}

static bool gpupt_unit_in_slot(struct gpupt_unit *u, struct pci_dev *pdev)
{
	unsigned int i;

	for (i = 0; i < u->nslots; i++)
		if (gpupt_same_slot(u->slots[i], pdev))
			return true;
	return false;
}

/* Decide what happens to each function and what would block it. */
static void gpupt_req_plan(struct gpupt_req *req)
{
	bool force = req->flags & GPUPT_F_FORCE;
	unsigned int i, j;
	char why[160];

	for (i = 0; i < req->nunits; i++) {
		struct gpupt_unit *u = &req->units[i];

		sort(u->fns, u->nfns, sizeof(*u->fns), gpupt_fn_cmp, NULL);
		for (j = 0; j < u->nfns; j++) {
			struct gpupt_fn *fn = &u->fns[j];
			bool host = fn->from && !fn->vfio &&
				    fn->from != &gpupt_pci_driver.driver;

			if (*fn->blocker)
				continue;
			if (req->cmd == GPUPT_CMD_HANDOFF &&
			    gpupt_quarantined(fn->pdev, why, sizeof(why), NULL)) {
				scnprintf(fn->blocker, sizeof(fn->blocker),
					  "quarantined (%s)", why);
				continue;
			}
			/* RELEASE leaves functions on host drivers alone. */
			if (gpupt_fn_on(fn, req->target) || (!req->target && host))
				continue;
			fn->move = true;
			strscpy(fn->to_name, req->target ? req->target : "",
				sizeof(fn->to_name));
			if (fn->open)
				strscpy(fn->blocker,
					"in use: its vfio device is open",
					sizeof(fn->blocker));
			else if (host && !force && gpupt_unit_in_slot(u, fn->pdev))
				snprintf(fn->blocker, sizeof(fn->blocker),
					 "bound to host driver %s",
					 fn->from_name);
			else if (host && !force)
				snprintf(fn->blocker, sizeof(fn->blocker),
					 "shares IOMMU group %d and is bound to host driver %s",
					 u->group, fn->from_name);
		}
	}
}

static struct gpupt_fn *gpupt_req_blocked(struct gpupt_req *req)
{
	unsigned int i, j;

	for (i = 0; i < req->nunits; i++)
		for (j = 0; j < req->units[i].nfns; j++)
			if (*req->units[i].fns[j].blocker)
				return &req->units[i].fns[j];
	return NULL;
}

static void gpupt_unit_rollback(struct gpupt_unit *u, int from)
{
	int j;

	for (j = from; j >= 0; j--)
		gpupt_fn_rollback(&u->fns[j]);
}

static void gpupt_unit_run(struct gpupt_unit *u)
{
	unsigned int j;

	for (j = 0; j < u->nfns; j++) {
		struct gpupt_fn *fn = &u->fns[j];

		if (!fn->move)
			continue;
		/* RELEASE: gpupt's probe must refuse it from now on. */
		fn->changed = true;
		if (!u->target)
			u->err = gpupt_noretake_set(fn->pdev);
		else if (!strcmp(u->target, GPUPT_DRIVER_NAME))
			gpupt_noretake_clear(fn->pdev);
		if (!u->err)
			u->err = gpupt_fn_move(fn, u->target);
		if (u->err) {
			u->failed = j;
			gpupt_unit_rollback(u, j);
			return;
		}
	}
}

static void gpupt_unit_work(struct work_struct *work)
{
	gpupt_unit_run(container_of(work, struct gpupt_unit, work));
}

/* Run every unit, concurrently; on any failure undo all of them. */
static struct gpupt_unit *gpupt_req_run(struct gpupt_req *req)
{
	struct gpupt_unit *failed = NULL;
	unsigned int i;

	if (!req->nunits)
		return NULL;
	for (i = 1; i < req->nunits; i++) {
		INIT_WORK(&req->units[i].work, gpupt_unit_work);
		queue_work(gpupt_wq, &req->units[i].work);
	}
	gpupt_unit_run(&req->units[0]);
	for (i = 1; i < req->nunits; i++)
		flush_work(&req->units[i].work);

	for (i = 0; i < req->nunits; i++)
		if (req->units[i].failed >= 0 && !failed)
			failed = &req->units[i];
	if (!failed)
		return NULL;
	for (i = req->nunits; i-- > 0;)
		if (req->units[i].failed < 0)
			gpupt_unit_rollback(&req->units[i],
					    req->units[i].nfns - 1);
	return failed;
}

/* The firmware framebuffers' resource names (sysfb, efifb, vesafb). */
static bool gpupt_is_firmware_fb(const char *name)
{
	static const char *const fbs[] = {
		"efifb", "vesafb", "BOOTFB", "simple-framebuffer", "simpledrm",
		"simplefb",
	};
	unsigned int i;

	for (i = 0; name && i < ARRAY_SIZE(fbs); i++)
		if (!strncmp(name, fbs[i], strlen(fbs[i])))
			return true;
	return false;
}

/*
 * The first firmware framebuffer found directly inside one of the
 * function's memory BARs (or one level below), and its BAR; as in
 * bars.c, the tree is read without the resource lock, which is private.
 */
static const char *gpupt_firmware_fb(struct pci_dev *pdev, int *bar)
{
	struct resource *p, *q;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!(pci_resource_flags(pdev, i) & IORESOURCE_MEM))
			continue;
		for (p = READ_ONCE(pdev->resource[i].child); p;
		     p = READ_ONCE(p->sibling)) {
			if (gpupt_is_firmware_fb(READ_ONCE(p->name)))
				goto found;
			for (q = READ_ONCE(p->child); q; q = READ_ONCE(q->sibling))
				if (gpupt_is_firmware_fb(READ_ONCE(q->name))) {
					p = q;
					goto found;
				}
		}
	}
	return NULL;
found:
	*bar = i;
	return READ_ONCE(p->name);
}

/*
 * GPUPT_F_RELEASE_HOST: remove the firmware framebuffers in the BARs of
 * every display function that moves, whatever its display class: vfio-pci
 * does it when it binds only for VGA (0x0300) and leaves 3D (0x0302) and
 * other display controllers (0x0380) with a framebuffer inside their BAR.
 */
static int gpupt_req_release_host(struct gpupt_req *req,
				  struct netlink_ext_ack *extack)
{
	unsigned int i, j;
	char name[24];
	int err, bar;

	for (i = 0; i < req->nunits; i++) {
		for (j = 0; j < req->units[i].nfns; j++) {
			struct gpupt_fn *fn = &req->units[i].fns[j];
			struct pci_dev *pdev = fn->pdev;
			char fb[GPUPT_NAME_LEN];
			const char *found;

			if (!fn->move ||
			    (pdev->class >> 16) != PCI_BASE_CLASS_DISPLAY)
				continue;
			found = gpupt_firmware_fb(pdev, &bar);
			if (!found)
				continue;
			strscpy(fb, found, sizeof(fb));
			gpupt_dev_name(pdev, name, sizeof(name));
			err = gpupt_compat_remove_firmware_fb(pdev);
			if (err == -EOPNOTSUPP) {
				gpupt_err(extack, "%s: this kernel cannot remove the firmware framebuffer %s from BAR %d: boot without it",
					  name, fb, bar);
				return err;
			}
			if (err) {
				gpupt_err(extack, "%s: removing the firmware framebuffer %s failed (%d)",
					  name, fb, err);
				return err;
			}
			if (gpupt_firmware_fb(pdev, &bar)) {
				gpupt_err(extack, "%s: the firmware framebuffer %s is still in BAR %d",
					  name, fb, bar);
				return -EBUSY;
			}
			pci_info(pdev, "removed the firmware framebuffer %s from BAR %d\n",
				 fb, bar);
		}
	}
	return 0;
}

/*
 * The reply is allocated before anything moves, so that running out of
 * memory can only fail a request that changed nothing.
 */
static struct sk_buff *gpupt_req_reply_new(struct genl_info *info,
					   struct gpupt_req *req)
{
	size_t size = max_t(size_t, NLMSG_GOODSIZE,
			    req->nfns * (size_t)GPUPT_REPLY_FN_SIZE);
	struct sk_buff *msg = genlmsg_new(size, GFP_KERNEL);

	if (!msg)
		NL_SET_ERR_MSG(info->extack, "out of memory");
	return msg;
}

/* Fill and send @msg; consumes it. */
static int gpupt_req_reply(struct genl_info *info, struct gpupt_req *req,
			   struct sk_buff *msg)
{
	struct nlattr *devs;
	unsigned int i, j;
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &gpupt_genl_family, 0, req->cmd);
	if (!hdr)
		goto free;
	if (req->nunits == 1 && req->units[0].group >= 0 &&
	    nla_put_u32(msg, GPUPT_A_IOMMU_GROUP, req->units[0].group))
		goto free;
	devs = nla_nest_start(msg, GPUPT_A_DEVICES);
	if (!devs)
		goto free;
	for (i = 0; i < req->nunits; i++) {
		for (j = 0; j < req->units[i].nfns; j++) {
			if (gpupt_fn_put(msg, &req->units[i].fns[j]))
				goto free;
		}
	}
	nla_nest_end(msg, devs);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
free:
	return gpupt_nl_reply_full(info, msg);
}

static void gpupt_req_events(struct gpupt_req *req)
{
	u8 evt = req->cmd == GPUPT_CMD_HANDOFF ? GPUPT_CMD_EVT_HANDOFF :
		 req->cmd == GPUPT_CMD_RECLAIM ? GPUPT_CMD_EVT_RECLAIM :
		 GPUPT_CMD_EVT_RELEASE;
	unsigned int i, j;

	for (i = 0; i < req->nunits; i++)
		for (j = 0; j < req->units[i].nfns; j++)
			if (req->units[i].fns[j].move)
				gpupt_fn_event(evt, &req->units[i].fns[j],
					       req->units[i].group);
}

static void gpupt_req_free(struct gpupt_req *req)
{
	unsigned int i, j;

	for (i = 0; i < req->nunits; i++) {
		for (j = 0; j < req->units[i].nfns; j++)
			gpupt_fn_cleanup(&req->units[i].fns[j]);
		kfree(req->units[i].fns);
	}
	kfree(req->units);
}

/* Collect the named functions: GPUPT_A_DEVICE and/or GPUPT_A_DEVICES. */
static int gpupt_req_parse(struct genl_info *info, struct pci_dev **devs,
			   unsigned int *n)
{
	struct nlattr *nla;
	int rem, err;

	*n = 0;
	if (info->attrs[GPUPT_A_DEVICE]) {
		err = gpupt_nl_get_dev(info, info->attrs[GPUPT_A_DEVICE],
				       &devs[(*n)++]);
		if (err) {
			(*n)--;
			return err;
		}
	}
	if (info->attrs[GPUPT_A_DEVICES]) {
		nla_for_each_nested(nla, info->attrs[GPUPT_A_DEVICES], rem) {
			if (*n == GPUPT_MAX_REQ) {
				NL_SET_ERR_MSG_ATTR(info->extack, nla,
						    "too many devices in one request");
				return -E2BIG;
			}
			err = gpupt_nl_get_dev(info, nla, &devs[(*n)++]);
			if (err) {
				(*n)--;
				return err;
			}
		}
	}
	if (!*n) {
		NL_SET_ERR_MSG(info->extack, "no device given");
		return -EINVAL;
	}
	return 0;
}

/*
 * GPUPT_F_ALL_HELD: every non-bridge function gpupt holds, one per IOMMU
 * group (the unit takes the rest of the group), or each one with
 * GPUPT_F_SINGLE.  Zero functions is not an error.
 */
static int gpupt_req_select_held(struct genl_info *info, u32 flags,
				 struct pci_dev **devs, unsigned int *n)
{
	int groups[GPUPT_MAX_REQ];
	struct pci_dev *pdev = NULL;
	unsigned int i;

	*n = 0;
	if (info->attrs[GPUPT_A_DEVICE] || info->attrs[GPUPT_A_DEVICES]) {
		NL_SET_ERR_MSG(info->extack,
			       "ALL_HELD selects the devices itself: name none");
		return -EINVAL;
	}
	for_each_pci_dev(pdev) {
		struct iommu_group *group;
		int id = -1;

		if (!gpupt_dev_held(pdev) || pci_is_bridge(pdev))
			continue;
		group = iommu_group_get(&pdev->dev);
		if (group) {
			id = iommu_group_id(group);
			iommu_group_put(group);
		}
		for (i = 0; id >= 0 && !(flags & GPUPT_F_SINGLE) && i < *n; i++)
			if (groups[i] == id)
				break;
		if (id >= 0 && !(flags & GPUPT_F_SINGLE) && i < *n)
			continue;
		if (*n == GPUPT_MAX_REQ) {
			pci_dev_put(pdev);
			gpupt_err(info->extack,
				  "gpupt holds more than %d groups: name them",
				  GPUPT_MAX_REQ);
			return -E2BIG;
		}
		groups[*n] = id;
		devs[(*n)++] = pci_dev_get(pdev);
	}
	return 0;
}

/*
 * GPUPT_F_RESET: a verified reset of every function of the transaction
 * before any of them moves, so a failure leaves everything where it was.
 */
static int gpupt_req_reset(struct gpupt_req *req,
			   struct netlink_ext_ack *extack)
{
	struct pci_dev **devs;
	unsigned int i, j, n = 0;
	int err;

	devs = kcalloc(max(req->nfns, 1U), sizeof(*devs), GFP_KERNEL);
	if (!devs) {
		NL_SET_ERR_MSG(extack, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < req->nunits; i++)
		for (j = 0; j < req->units[i].nfns; j++)
			devs[n++] = req->units[i].fns[j].pdev;
	err = gpupt_reset_verified(devs, n, extack);
	kfree(devs);
	return err;
}

static const char *gpupt_req_target(struct genl_info *info, u8 cmd)
{
	struct nlattr *nla = info->attrs[GPUPT_A_DRIVER];
	const char *target;

	if (cmd == GPUPT_CMD_RECLAIM)
		return GPUPT_DRIVER_NAME;
	if (cmd == GPUPT_CMD_RELEASE)
		return NULL;
	if (!nla)
		return "vfio-pci";
	target = nla_data(nla);
	if (!gpupt_driver_name_valid(target) ||
	    !gpupt_vfio_driver_name_ok(target)) {
		NL_SET_ERR_MSG_ATTR(info->extack, nla,
				    "target must be vfio-pci or a vfio-pci variant driver");
		return ERR_PTR(-EINVAL);
	}
	return target;
}

static int gpupt_req_doit(struct genl_info *info, u8 cmd)
{
	struct gpupt_req req = { .cmd = cmd };
	struct pci_dev *devs[GPUPT_MAX_REQ];
	struct sk_buff *msg = NULL;
	struct gpupt_unit *failed;
	struct gpupt_fn *fn;
	unsigned int n = 0, i;
	char name[24];
	int err;

	req.flags = gpupt_nl_flags(info);
	if (req.flags & ~(u32)__GPUPT_F_ALL) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_FLAGS],
				    "unknown flag bits");
		return -EINVAL;
	}
	if (cmd != GPUPT_CMD_HANDOFF && (req.flags & GPUPT_F_RELEASE_HOST)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_FLAGS],
				    "only HANDOFF takes RELEASE_HOST");
		return -EINVAL;
	}
	if (req.flags & GPUPT_F_CLEAR_QUARANTINE ||
	    (cmd != GPUPT_CMD_HANDOFF && (req.flags & GPUPT_F_RESET))) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_FLAGS],
				    "only RESET takes CLEAR_QUARANTINE, only HANDOFF takes RESET");
		return -EINVAL;
	}
	if (cmd != GPUPT_CMD_HANDOFF && info->attrs[GPUPT_A_DRIVER]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_DRIVER],
				    "only HANDOFF takes a driver");
		return -EINVAL;
	}
	req.target = gpupt_req_target(info, cmd);
	if (IS_ERR(req.target))
		return PTR_ERR(req.target);

	if (!(req.flags & GPUPT_F_ALL_HELD)) {
		err = gpupt_req_parse(info, devs, &n);
	} else if (cmd != GPUPT_CMD_HANDOFF) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_FLAGS],
				    "only HANDOFF takes ALL_HELD");
		err = -EINVAL;
	} else {
		err = gpupt_req_select_held(info, req.flags, devs, &n);
	}
	if (err)
		goto put;
	req.units = kcalloc(max(n, 1U), sizeof(*req.units), GFP_KERNEL);
	if (!req.units) {
		err = -ENOMEM;
		NL_SET_ERR_MSG(info->extack, "out of memory");
		goto put;
	}

	mutex_lock(&gpupt_ops_lock);
	for (i = 0; i < n && !err; i++)
		err = gpupt_req_add(&req, devs[i], info->extack);
	for (i = 0; i < req.nunits; i++)
		req.nfns += req.units[i].nfns;
	if (err) {
		fn = gpupt_req_blocked(&req);
		if (fn) {
			gpupt_dev_name(fn->pdev, name, sizeof(name));
			gpupt_err(info->extack, "%s is %s", name, fn->blocker);
		} else if (err != -E2BIG) {
			NL_SET_ERR_MSG(info->extack,
				       "cannot collect the IOMMU group");
		}
		goto unlock;
	}
	gpupt_req_plan(&req);

	msg = gpupt_req_reply_new(info, &req);
	if (!msg) {
		err = -ENOMEM;
		goto unlock;
	}
	if (req.flags & GPUPT_F_DRY_RUN) {
		err = gpupt_req_reply(info, &req, msg);
		msg = NULL;
		goto unlock;
	}
	fn = gpupt_req_blocked(&req);
	if (fn) {
		gpupt_dev_name(fn->pdev, name, sizeof(name));
		gpupt_err(info->extack, "%s is %s", name, fn->blocker);
		err = gpupt_quarantined(fn->pdev, NULL, 0, NULL) ? -EIO : -EBUSY;
		goto fail;
	}
	if (req.target && strcmp(req.target, GPUPT_DRIVER_NAME)) {
		err = gpupt_target_load(req.target, info->extack);
		if (err)
			goto fail;
	}
	if (req.flags & GPUPT_F_RESET) {
		err = gpupt_req_reset(&req, info->extack);
		if (err)
			goto fail;
	}

	if (req.flags & GPUPT_F_RELEASE_HOST) {
		err = gpupt_req_release_host(&req, info->extack);
		if (err)
			goto fail;
	}

	failed = gpupt_req_run(&req);
	if (failed) {
		fn = &failed->fns[failed->failed];
		gpupt_dev_name(fn->pdev, name, sizeof(name));
		gpupt_err(info->extack, "%s: bind to %s failed (%s%s%s), rolled back",
			  name, req.target ? req.target : "host driver",
			  *fn->got_name ? "got \"" : "left with no driver",
			  fn->got_name, *fn->got_name ? "\"" : "");
		err = failed->err;
		goto fail;
	}
	gpupt_stats_inc(GPUPT_STATS_A_HANDOFFS);
	gpupt_req_events(&req);
	err = gpupt_req_reply(info, &req, msg);
	msg = NULL;
	goto unlock;

fail:
	gpupt_stats_inc(GPUPT_STATS_A_HANDOFF_FAILURES);
unlock:
	mutex_unlock(&gpupt_ops_lock);
	nlmsg_free(msg);
	gpupt_req_free(&req);
put:
	for (i = 0; i < n; i++)
		pci_dev_put(devs[i]);
	return err;
}

int gpupt_nl_handoff_doit(struct sk_buff *skb, struct genl_info *info)
{
	return gpupt_req_doit(info, GPUPT_CMD_HANDOFF);
}

int gpupt_nl_reclaim_doit(struct sk_buff *skb, struct genl_info *info)
{
	return gpupt_req_doit(info, GPUPT_CMD_RECLAIM);
}

int gpupt_nl_release_doit(struct sk_buff *skb, struct genl_info *info)
{
	return gpupt_req_doit(info, GPUPT_CMD_RELEASE);
}
