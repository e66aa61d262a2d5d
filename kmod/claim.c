// SPDX-License-Identifier: GPL-2.0
/*
 * CLAIM and UNCLAIM: bind one function to gpupt at runtime and let it go.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "gpupt.h"

/* Fill and send the reply: the record after the operation, FROM and TO. */
static int gpupt_claim_reply(struct genl_info *info, u8 cmd,
			     const struct gpupt_fn *fn, struct sk_buff *msg)
{
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &gpupt_genl_family, 0, cmd);
	if (!hdr)
		goto free;
	if (gpupt_fn_put(msg, fn))
		goto free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
free:
	return gpupt_nl_reply_full(info, msg);
}

static int gpupt_claim(struct genl_info *info, struct gpupt_fn *fn,
		       const char *name, u32 flags)
{
	char why[160];
	int err;

	if (gpupt_quarantined(fn->pdev, why, sizeof(why), NULL)) {
		gpupt_err(info->extack, "%s is quarantined (%s)", name, why);
		return -EIO;
	}

	if (gpupt_dev_held(fn->pdev)) {
		/* Already ours: make it stick, change nothing else. */
		gpupt_noretake_clear(fn->pdev);
		err = gpupt_override_set(fn->pdev, GPUPT_DRIVER_NAME);
		if (err)
			gpupt_err(info->extack, "%s: cannot set driver_override",
				  name);
		return err;
	}
	if (fn->open) {
		gpupt_err(info->extack, "%s is in use: its vfio device is open",
			  name);
		return -EBUSY;
	}
	if (fn->from && !fn->vfio && !(flags & GPUPT_F_FORCE)) {
		gpupt_err(info->extack, "%s is bound to %s", name,
			  fn->from_name);
		return -EBUSY;
	}

	gpupt_noretake_clear(fn->pdev);
	err = gpupt_fn_move(fn, GPUPT_DRIVER_NAME);
	if (err) {
		gpupt_err(info->extack, "%s: bind to gpupt failed (%s%s%s)",
			  name, *fn->got_name ? "got \"" : "left with no driver",
			  fn->got_name, *fn->got_name ? "\"" : "");
		gpupt_fn_rollback(fn);
		return err;
	}
	gpupt_stats_inc(GPUPT_STATS_A_CLAIMS);
	gpupt_fn_event(GPUPT_CMD_EVT_CLAIM, fn, -1);
	return 0;
}

static int gpupt_unclaim(struct genl_info *info, struct gpupt_fn *fn,
			 const char *name)
{
	int err;

	if (!gpupt_dev_held(fn->pdev)) {
		gpupt_err(info->extack, "%s is not held by gpupt", name);
		return -EINVAL;
	}
	/* Not again by ids=/addrs= until claimed again. */
	fn->changed = true;
	err = gpupt_noretake_set(fn->pdev);
	if (!err)
		err = gpupt_fn_move(fn, NULL);
	if (err) {
		gpupt_err(info->extack, "%s: re-probe failed", name);
		gpupt_fn_rollback(fn);
		return err;
	}
	gpupt_fn_event(GPUPT_CMD_EVT_UNCLAIM, fn, -1);
	return 0;
}

static int gpupt_claim_doit(struct genl_info *info, u8 cmd)
{
	struct sk_buff *msg;
	char name[24];
	struct gpupt_fn fn;
	struct pci_dev *pdev;
	u32 flags = gpupt_nl_flags(info);
	int err;

	if (flags & ~(u32)GPUPT_F_FORCE ||
	    (cmd == GPUPT_CMD_UNCLAIM && flags)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GPUPT_A_FLAGS],
				    "unsupported flag for this command");
		return -EINVAL;
	}
	err = gpupt_nl_get_dev(info, info->attrs[GPUPT_A_DEVICE], &pdev);
	if (err)
		return err;
	gpupt_dev_name(pdev, name, sizeof(name));

	/* Allocated first: out of memory must not fail a done claim. */
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		NL_SET_ERR_MSG(info->extack, "out of memory");
		pci_dev_put(pdev);
		return -ENOMEM;
	}

	mutex_lock(&gpupt_ops_lock);
	err = gpupt_fn_prepare(&fn, pdev);
	if (err) {
		if (err == -EBUSY)
			gpupt_err(info->extack, "%s is busy", name);
		else
			gpupt_err(info->extack, "%s: out of memory", name);
		goto out;
	}
	if (cmd == GPUPT_CMD_CLAIM)
		err = gpupt_claim(info, &fn, name, flags);
	else
		err = gpupt_unclaim(info, &fn, name);
	if (!err) {
		err = gpupt_claim_reply(info, cmd, &fn, msg);
		msg = NULL;
	}
out:
	gpupt_fn_cleanup(&fn);
	mutex_unlock(&gpupt_ops_lock);
	nlmsg_free(msg);
	pci_dev_put(pdev);
	return err;
}

int gpupt_nl_claim_doit(struct sk_buff *skb, struct genl_info *info)
{
	return gpupt_claim_doit(info, GPUPT_CMD_CLAIM);
}

int gpupt_nl_unclaim_doit(struct sk_buff *skb, struct genl_info *info)
{
	return gpupt_claim_doit(info, GPUPT_CMD_UNCLAIM);
}
