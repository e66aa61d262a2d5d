// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications on the "events" multicast group.  Every event carries the
 * record of one device (GPUPT_A_DEVICE), with what its command adds
 * inside the record (FROM and TO of a claim or a move, the result of a
 * reset), then the IOMMU group of a HANDOFF, RECLAIM or RELEASE, and
 * GPUPT_A_GENERATION.  Nothing is built when nobody listens; an event
 * that does not fit, or for which memory is short, is dropped.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>

#include "gpupt.h"

/*
 * A new message with the genl header for @cmd in *hdr, or NULL when
 * nobody listens or memory is short (then there is nothing to send).
 */
static struct sk_buff *gpupt_event_new(u8 cmd, void **hdr)
{
	struct sk_buff *skb;

	*hdr = NULL;
	if (!genl_has_listeners(&gpupt_genl_family, &init_net, 0))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &gpupt_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/*
 * Add GPUPT_A_GENERATION and multicast (GFP_KERNEL); a NULL @hdr drops
 * the message.  Consumes @skb in every case.
 */
static void gpupt_event_send(struct sk_buff *skb, void *hdr)
{
	if (!skb)
		return;
	if (!hdr || nla_put_u32(skb, GPUPT_A_GENERATION, gpupt_generation())) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&gpupt_genl_family, skb, 0, 0, GFP_KERNEL);
}

/*
 * Event @cmd: @pdev's record, what @put adds to it (if @put), and
 * GPUPT_A_IOMMU_GROUP when @group >= 0.  @locked: the caller holds
 * device_lock; otherwise the record is read with a deadline.
 */
static void gpupt_event_dev(u8 cmd, struct pci_dev *pdev, bool locked,
			    int (*put)(struct sk_buff *skb, const void *data),
			    const void *data, int group)
{
	struct nlattr *nest;
	struct sk_buff *skb;
	void *hdr;

	skb = gpupt_event_new(cmd, &hdr);
	if (!skb)
		return;
	nest = locked ? gpupt_nl_put_dev_locked(skb, GPUPT_A_DEVICE, pdev) :
			gpupt_nl_put_dev(skb, GPUPT_A_DEVICE, pdev);
	if (!nest || (put && put(skb, data)))
		goto drop;
	nla_nest_end(skb, nest);
	if (group >= 0 && nla_put_u32(skb, GPUPT_A_IOMMU_GROUP, group))
		goto drop;
	gpupt_event_send(skb, hdr);
	return;
drop:
	gpupt_event_send(skb, NULL);
}

void gpupt_dev_event(u8 cmd, struct pci_dev *pdev, bool locked)
{
	gpupt_event_dev(cmd, pdev, locked, NULL, NULL, -1);
}

void gpupt_dev_event_extras(u8 cmd, struct pci_dev *pdev,
			    int (*put)(struct sk_buff *skb, const void *data),
			    const void *data)
{
	gpupt_event_dev(cmd, pdev, false, put, data, -1);
}

static int gpupt_event_fn_extras(struct sk_buff *skb, const void *fn)
{
	return gpupt_fn_put_extras(skb, fn);
}

void gpupt_fn_event(u8 cmd, const struct gpupt_fn *fn, int group)
{
	gpupt_event_dev(cmd, fn->pdev, false, gpupt_event_fn_extras, fn,
			group);
}
