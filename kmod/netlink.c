// SPDX-License-Identifier: GPL-2.0
/*
 * The "gpupt" generic netlink family: policies, the ops table, the
 * multicast group and the read-only commands (DEV_GET, STATS_GET).  The
 * other commands live in claim.c, handoff.c, reset.c, bars.c and sriov.c,
 * the events in event.c.  Only gpupt_nl_init()/gpupt_nl_uninit() and the
 * helpers in gpupt.h leave this file.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>

#include "gpupt.h"

static const struct nla_policy gpupt_rm_policy[GPUPT_RM_A_MAX + 1] = {
	[GPUPT_RM_A_METHOD]		= NLA_POLICY_MAX(NLA_U8, GPUPT_RESET_MAX),
};

static const struct nla_policy gpupt_check_policy[GPUPT_CHECK_MAX + 1] = {
	[GPUPT_CHECK_PRESENT]		= NLA_POLICY_MAX(NLA_U8, GPUPT_CHECK_R_NA),
	[GPUPT_CHECK_CONFIG]		= NLA_POLICY_MAX(NLA_U8, GPUPT_CHECK_R_NA),
	[GPUPT_CHECK_LINK]		= NLA_POLICY_MAX(NLA_U8, GPUPT_CHECK_R_NA),
	[GPUPT_CHECK_BARS]		= NLA_POLICY_MAX(NLA_U8, GPUPT_CHECK_R_NA),
	[GPUPT_CHECK_COMMAND]		= NLA_POLICY_MAX(NLA_U8, GPUPT_CHECK_R_NA),
	[GPUPT_CHECK_POWER]		= NLA_POLICY_MAX(NLA_U8, GPUPT_CHECK_R_NA),
};

const struct nla_policy gpupt_dev_policy[GPUPT_DEV_A_MAX + 1] = {
	[GPUPT_DEV_A_DOMAIN]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_BUS]		= { .type = NLA_U8 },
	[GPUPT_DEV_A_DEVFN]		= { .type = NLA_U8 },
	[GPUPT_DEV_A_VENDOR]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_DEVICE]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_SUBSYS_VENDOR]	= { .type = NLA_U16 },
	[GPUPT_DEV_A_SUBSYS_DEVICE]	= { .type = NLA_U16 },
	[GPUPT_DEV_A_CLASS]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_DRIVER]		= { .type = NLA_NUL_STRING, .len = 63 },
	[GPUPT_DEV_A_IOMMU_GROUP]	= { .type = NLA_U32 },
	[GPUPT_DEV_A_NUMA_NODE]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_STATE]		= GPUPT_POLICY_MASK_U32(__GPUPT_DEV_S_ALL),
	[GPUPT_DEV_A_RESET_METHODS]	= NLA_POLICY_NESTED(gpupt_rm_policy),
	[GPUPT_DEV_A_DRIVER_OVERRIDE]	= { .type = NLA_NUL_STRING, .len = 63 },
	[GPUPT_DEV_A_FROM]		= { .type = NLA_NUL_STRING, .len = 63 },
	[GPUPT_DEV_A_TO]		= { .type = NLA_NUL_STRING, .len = 63 },
	[GPUPT_DEV_A_BLOCKER]		= { .type = NLA_NUL_STRING, .len = 255 },
	[GPUPT_DEV_A_RESET_METHOD]	= NLA_POLICY_MAX(NLA_U8, GPUPT_RESET_MAX),
	[GPUPT_DEV_A_DURATION_US]	= { .type = NLA_U64 },
	[GPUPT_DEV_A_ERRNO]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_MESSAGE]		= { .type = NLA_NUL_STRING, .len = 255 },
	[GPUPT_DEV_A_AFFECTED]		= NLA_POLICY_NESTED_ARRAY(gpupt_dev_policy),
	[GPUPT_DEV_A_PAD]		= { .type = NLA_REJECT },
	[GPUPT_DEV_A_PHYSFN]		= NLA_POLICY_NESTED(gpupt_dev_policy),
	[GPUPT_DEV_A_NUM_VFS]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_TOTAL_VFS]		= { .type = NLA_U16 },
	/* verified resets */
	[GPUPT_DEV_A_CHECKS]		= NLA_POLICY_NESTED(gpupt_check_policy),
	[GPUPT_DEV_A_FAILED_CHECK]	= NLA_POLICY_RANGE(NLA_U8, 1, GPUPT_CHECK_MAX),
	[GPUPT_DEV_A_RUNGS]		= NLA_POLICY_NESTED_ARRAY(gpupt_dev_policy),
	[GPUPT_DEV_A_RUNG]		= NLA_POLICY_NESTED(gpupt_dev_policy),
	[GPUPT_DEV_A_QUARANTINE]	= { .type = NLA_NUL_STRING, .len = 255 },
	[GPUPT_DEV_A_QUARANTINE_CHECK]	= NLA_POLICY_RANGE(NLA_U8, 1, GPUPT_CHECK_MAX),
};

static const struct nla_policy gpupt_bar_names_policy[GPUPT_BAR_A_MAX + 1] = {
	[GPUPT_BAR_A_NAME]		= { .type = NLA_NUL_STRING, .len = 255 },
};

static const struct nla_policy gpupt_bar_policy[GPUPT_BAR_A_MAX + 1] = {
	[GPUPT_BAR_A_INDEX]		= { .type = NLA_U8 },
	[GPUPT_BAR_A_START]		= { .type = NLA_U64 },
	[GPUPT_BAR_A_SIZE]		= { .type = NLA_U64 },
	[GPUPT_BAR_A_FLAGS]		= GPUPT_POLICY_MASK_U32(__GPUPT_BAR_F_ALL),
	[GPUPT_BAR_A_RESERVED_BY]	= NLA_POLICY_NESTED(gpupt_bar_names_policy),
	[GPUPT_BAR_A_NAME]		= { .type = NLA_NUL_STRING, .len = 255 },
	[GPUPT_BAR_A_REBAR_CUR]		= { .type = NLA_U64 },
	[GPUPT_BAR_A_REBAR_SIZES]	= { .type = NLA_U64 },
	[GPUPT_BAR_A_PAD]		= { .type = NLA_REJECT },
};

static const struct nla_policy gpupt_stats_policy[GPUPT_STATS_A_MAX + 1] = {
	[GPUPT_STATS_A_CLAIMS]		= { .type = NLA_U64 },
	[GPUPT_STATS_A_HANDOFFS]	= { .type = NLA_U64 },
	[GPUPT_STATS_A_HANDOFF_FAILURES] = { .type = NLA_U64 },
	[GPUPT_STATS_A_RESETS]		= { .type = NLA_U64 },
	[GPUPT_STATS_A_RESET_FAILURES]	= { .type = NLA_U64 },
	[GPUPT_STATS_A_PAD]		= { .type = NLA_REJECT },
};

static const struct nla_policy gpupt_policy[GPUPT_A_MAX + 1] = {
	[GPUPT_A_DEVICE]		= NLA_POLICY_NESTED(gpupt_dev_policy),
	[GPUPT_A_DEVICES]		= NLA_POLICY_NESTED_ARRAY(gpupt_dev_policy),
	[GPUPT_A_FLAGS]			= GPUPT_POLICY_MASK_U32(__GPUPT_F_ALL),
	[GPUPT_A_DRIVER]		= { .type = NLA_NUL_STRING,
					    .len = GPUPT_DRIVER_NAME_MAX - 1 },
	[GPUPT_A_IOMMU_GROUP]		= { .type = NLA_U32 },
	[GPUPT_A_RESET_METHOD]		= NLA_POLICY_MAX(NLA_U8, GPUPT_RESET_MAX),
	[GPUPT_A_BARS]			= NLA_POLICY_NESTED_ARRAY(gpupt_bar_policy),
	[GPUPT_A_BAR]			= NLA_POLICY_NESTED(gpupt_bar_policy),
	[GPUPT_A_WINDOWS]		= NLA_POLICY_NESTED_ARRAY(gpupt_bar_policy),
	[GPUPT_A_BRIDGE]		= NLA_POLICY_NESTED(gpupt_dev_policy),
	[GPUPT_A_STATS]			= NLA_POLICY_NESTED(gpupt_stats_policy),
	[GPUPT_A_GENERATION]		= { .type = NLA_U32 },
	[GPUPT_A_PAD]			= { .type = NLA_REJECT },
	[GPUPT_A_NUM_VFS]		= { .type = NLA_U16 },
};

/*
 * GPUPT_A_FLAGS, 0 when absent.  Every handler that takes flags rejects
 * the bits its command does not take (the policy's mask needs 5.10).
 */
u32 gpupt_nl_flags(struct genl_info *info)
{
	return info->attrs[GPUPT_A_FLAGS] ?
	       nla_get_u32(info->attrs[GPUPT_A_FLAGS]) : 0;
}

int gpupt_nl_reply_full(struct genl_info *info, struct sk_buff *msg)
{
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "reply too large");
	return -EMSGSIZE;
}

/*
 * Devices a dump covers: display class, held by gpupt, bound to vfio, or
 * listed in ids=/addrs=; and every other function of their slots.
 */
static bool gpupt_dev_core(struct pci_dev *pdev)
{
	return (pdev->class >> 16) == PCI_BASE_CLASS_DISPLAY ||
	       gpupt_dev_held(pdev) || gpupt_dev_is_vfio(pdev) ||
	       gpupt_ids_match(pdev) || gpupt_sriov_covered(pdev);
}

static bool gpupt_dev_covered(struct pci_dev *pdev)
{
	unsigned int fn;

	if (gpupt_dev_core(pdev))
		return true;
	if (!pdev->multifunction && !PCI_FUNC(pdev->devfn))
		return false;
	for (fn = 0; fn < 8; fn++) {
		unsigned int devfn = PCI_DEVFN(PCI_SLOT(pdev->devfn), fn);
		struct pci_dev *sib;
		bool core;

		if (devfn == pdev->devfn)
			continue;
		sib = pci_get_slot(pdev->bus, devfn);
		if (!sib)
			continue;
		core = gpupt_dev_core(sib);
		pci_dev_put(sib);
		if (core)
			return true;
	}
	return false;
}

static int gpupt_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pci_dev *pdev;
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int err;

	err = gpupt_nl_get_dev(info, info->attrs[GPUPT_A_DEVICE], &pdev);
	if (err)
		return err;

	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_put_reply(msg, info, &gpupt_genl_family, 0,
				GPUPT_CMD_DEV_GET);
	if (!hdr)
		goto out_free;
	nest = gpupt_nl_put_dev(msg, GPUPT_A_DEVICE, pdev);
	if (!nest)
		goto out_free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	pci_dev_put(pdev);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
out:
	NL_SET_ERR_MSG(info->extack, "out of memory building the reply");
	pci_dev_put(pdev);
	return err;
}

/* The dump cursor: how many covered devices earlier calls emitted. */
struct gpupt_dump_ctx {
	unsigned long done;
};

static int gpupt_nl_dev_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct gpupt_dump_ctx *ctx = (struct gpupt_dump_ctx *)cb->args;
	struct pci_dev *pdev = NULL;
	unsigned long i = 0;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->args));

	/* A bind or unbind since the previous part marks the dump racy. */
	cb->seq = gpupt_generation();

	for_each_pci_dev(pdev) {
		struct nlattr *nest;
		void *hdr;

		if (!gpupt_dev_covered(pdev) || i++ < ctx->done)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &gpupt_genl_family,
				  NLM_F_MULTI, GPUPT_CMD_DEV_GET);
		if (!hdr)
			goto full;
		genl_dump_check_consistent(cb, hdr);
		nest = gpupt_nl_put_dev(skb, GPUPT_A_DEVICE, pdev);
		if (!nest) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		nla_nest_end(skb, nest);
		genlmsg_end(skb, hdr);
		ctx->done = i;
	}
	return skb->len;

full:
	pci_dev_put(pdev);
	return skb->len;
}

static int gpupt_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto nomem;
	hdr = genlmsg_put_reply(msg, info, &gpupt_genl_family, 0,
				GPUPT_CMD_STATS_GET);
	if (!hdr)
		goto free;
	nest = nla_nest_start(msg, GPUPT_A_STATS);
	if (!nest)
		goto free;
	for (i = GPUPT_STATS_A_UNSPEC + 1; i < GPUPT_STATS_A_PAD; i++)
		if (nla_put_u64_64bit(msg, i, gpupt_stats_read(i),
				      GPUPT_STATS_A_PAD))
			goto free;
	nla_nest_end(msg, nest);
	if (nla_put_u32(msg, GPUPT_A_GENERATION, gpupt_generation()))
		goto free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

free:
	nlmsg_free(msg);
nomem:
	NL_SET_ERR_MSG(info->extack, "out of memory building the reply");
	return -ENOMEM;
}

static const struct genl_ops gpupt_genl_ops[] = {
	{
		.cmd	= GPUPT_CMD_DEV_GET,
		.doit	= gpupt_nl_dev_get_doit,
		.dumpit	= gpupt_nl_dev_get_dumpit,
	}, {
		.cmd	= GPUPT_CMD_CLAIM,
		.doit	= gpupt_nl_claim_doit,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= GPUPT_CMD_UNCLAIM,
		.doit	= gpupt_nl_unclaim_doit,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= GPUPT_CMD_HANDOFF,
		.doit	= gpupt_nl_handoff_doit,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= GPUPT_CMD_RECLAIM,
		.doit	= gpupt_nl_reclaim_doit,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= GPUPT_CMD_RELEASE,
		.doit	= gpupt_nl_release_doit,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= GPUPT_CMD_BARS_GET,
		.doit	= gpupt_nl_bars_get_doit,
	}, {
		.cmd	= GPUPT_CMD_RESET,
		.doit	= gpupt_nl_reset_doit,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= GPUPT_CMD_STATS_GET,
		.doit	= gpupt_nl_stats_get_doit,
	}, {
		.cmd	= GPUPT_CMD_SRIOV,
		.doit	= gpupt_nl_sriov_doit,
		.flags	= GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group gpupt_mcgrps[] = {
	{ .name = GPUPT_GENL_MCGRP_EVENTS },
};

struct genl_family gpupt_genl_family __ro_after_init = {
	.name		= GPUPT_GENL_NAME,
	.version	= GPUPT_GENL_VERSION,
	.maxattr	= GPUPT_A_MAX,
	.policy		= gpupt_policy,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= gpupt_genl_ops,
	.n_ops		= ARRAY_SIZE(gpupt_genl_ops),
	.mcgrps		= gpupt_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(gpupt_mcgrps),
};

int gpupt_nl_init(void)
{
	return genl_register_family(&gpupt_genl_family);
}

void gpupt_nl_uninit(void)
{
	genl_unregister_family(&gpupt_genl_family);
}
