/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpupt internal interfaces, shared between the files of the module.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#ifndef _GPUPT_H
#define _GPUPT_H

#include <linux/mutex.h>
#include <linux/pci.h>
#include <net/genetlink.h>
#include <linux/gpupt.h>

/* netlink.c */
extern struct genl_family gpupt_genl_family;

int gpupt_nl_init(void);
void gpupt_nl_uninit(void);

/*
 * Parse an address nest (DOMAIN, BUS, DEVFN; all required) and look the
 * function up.  On success *pdev holds a reference the caller must drop
 * with pci_dev_put().  Errors carry an extack message: EINVAL for a
 * missing or malformed address, ENODEV for no such function.
 */
int gpupt_nl_get_dev(struct genl_info *info, const struct nlattr *nest,
		     struct pci_dev **pdev);

/*
 * Write a full device record as nest @attrtype and return the still open
 * nest, so that the caller can add GPUPT_DEV_A_* extras and then call
 * nla_nest_end().  NULL (nothing left in @skb) when the message is full.
 */
struct nlattr *gpupt_nl_put_dev(struct sk_buff *skb, int attrtype,
				struct pci_dev *pdev);

/* Write an address-only nest (DOMAIN, BUS, DEVFN).  -EMSGSIZE when full. */
int gpupt_nl_put_addr(struct sk_buff *skb, int attrtype, struct pci_dev *pdev);

/*
 * Notifications on the "events" group.  gpupt_event_new() returns a new
 * message with the genl header for @cmd in *hdr (NULL on ENOMEM);
 * gpupt_event_send() adds GPUPT_A_GENERATION and multicasts it (GFP_KERNEL),
 * consuming @skb in every case.
 */
struct sk_buff *gpupt_event_new(u8 cmd, void **hdr);
void gpupt_event_send(struct sk_buff *skb, void *hdr);

/* driver.c */
extern struct pci_driver gpupt_pci_driver;

int gpupt_driver_init(void);
void gpupt_driver_exit(void);

/* True when @pdev is bound to gpupt. */
bool gpupt_dev_held(struct pci_dev *pdev);

/*
 * Fill @buf with the name of the driver bound to @pdev, "" when unbound.
 * Returns the length written (truncated to @len - 1) or a negative errno.
 */
int gpupt_dev_driver_name(struct pci_dev *pdev, char *buf, size_t len);

/* vfio.c */
/* True when @pdev is bound to vfio-pci or a vfio-pci variant driver. */
bool gpupt_dev_is_vfio(struct pci_dev *pdev);
/* True when @pdev is a vfio device that userspace has open (a VM runs). */
bool gpupt_vfio_open(struct pci_dev *pdev);
/* True when @name is an acceptable vfio target driver name. */
bool gpupt_vfio_driver_name_ok(const char *name);

/* ids.c */
int gpupt_ids_init(void);
void gpupt_ids_exit(void);
/* True when @pdev matches ids= or addrs= (whether or not it is held). */
bool gpupt_ids_match(struct pci_dev *pdev);

/* state.c */
/*
 * Taken by every mutating command (claim, unclaim, handoff, reclaim,
 * release, reset) for its whole duration.  probe() and remove() never take
 * it.  Parallel work inside one request runs in workqueue items that do
 * not take it either.
 */
extern struct mutex gpupt_ops_lock;

void gpupt_stats_inc(enum gpupt_stats_attr which);
u64 gpupt_stats_read(enum gpupt_stats_attr which);

/* Bumped on every bind and unbind of a covered device. */
void gpupt_generation_bump(void);
u32 gpupt_generation(void);

/* Per-device "do not retake by ids=/addrs=" marks set by UNCLAIM/RELEASE. */
void gpupt_noretake_set(struct pci_dev *pdev);
void gpupt_noretake_clear(struct pci_dev *pdev);
bool gpupt_noretake(struct pci_dev *pdev);
void gpupt_state_exit(void);

/* netlink handlers implemented by KRESET */
int gpupt_nl_bars_get_doit(struct sk_buff *skb, struct genl_info *info);
int gpupt_nl_reset_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* _GPUPT_H */
