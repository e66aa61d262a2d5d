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

/* GPUPT_VERSION comes from the top-level VERSION file (Kbuild). */

/* Limits used by several files. */
/* Longest driver name gpupt reports (names are truncated to fit). */
#define GPUPT_NAME_LEN		64
/* More functions than this in one IOMMU group give E2BIG. */
#define GPUPT_MAX_GROUP_FNS	256

struct gpupt_fn;	/* rebind.c */

/* netlink.c */
extern struct genl_family gpupt_genl_family;

int gpupt_nl_init(void);
void gpupt_nl_uninit(void);

/* Policy of a GPUPT_A_DEVICE nest, for parsing address nests. */
extern const struct nla_policy gpupt_dev_policy[GPUPT_DEV_A_MAX + 1];

/* GPUPT_A_FLAGS of a request, 0 when absent. */
u32 gpupt_nl_flags(struct genl_info *info);

/* A reply that did not fit: frees @msg, says so.  Returns -EMSGSIZE. */
int gpupt_nl_reply_full(struct genl_info *info, struct sk_buff *msg);

/* record.c: device records and address nests */
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

/* Same, for a caller that holds device_lock (probe, remove). */
struct nlattr *gpupt_nl_put_dev_locked(struct sk_buff *skb, int attrtype,
				       struct pci_dev *pdev);

/* Write an address-only nest (DOMAIN, BUS, DEVFN).  -EMSGSIZE when full. */
int gpupt_nl_put_addr(struct sk_buff *skb, int attrtype, struct pci_dev *pdev);

/* Append FROM and TO (and BLOCKER if set) to an open device record. */
int gpupt_fn_put_extras(struct sk_buff *skb, const struct gpupt_fn *fn);

/* A whole GPUPT_A_DEVICE record of a moved function, with its extras. */
int gpupt_fn_put(struct sk_buff *skb, const struct gpupt_fn *fn);

/*
 * event.c: notifications on the "events" group, each with one device
 * record; sent only when someone listens, dropped when they do not fit.
 */
/*
 * @cmd with @pdev's record (remove, add, quarantine).  @locked: the caller
 * holds device_lock (remove()); otherwise the record is read with a
 * deadline.
 */
void gpupt_dev_event(u8 cmd, struct pci_dev *pdev, bool locked);
/* Same, plus what @put(@skb, @data) adds inside the record (RESET). */
void gpupt_dev_event_extras(u8 cmd, struct pci_dev *pdev,
			    int (*put)(struct sk_buff *skb, const void *data),
			    const void *data);
/* @cmd for @fn: its record with FROM/TO, GPUPT_A_IOMMU_GROUP if >= 0. */
void gpupt_fn_event(u8 cmd, const struct gpupt_fn *fn, int group);

/* driver.c */
extern struct pci_driver gpupt_pci_driver;

int gpupt_driver_init(void);
void gpupt_driver_exit(void);

/* Caller holds device_lock: gpupt itself is about to release @pdev. */
void gpupt_dev_quiet_locked(struct pci_dev *pdev);

/* pcidev.c: facts about one function; calls nothing else in gpupt */
/* Fill @buf with @pdev's address, "0000:01:00.0". */
void gpupt_dev_name(struct pci_dev *pdev, char *buf, size_t len);

/* True when @pdev is bound to gpupt. */
bool gpupt_dev_held(struct pci_dev *pdev);

/*
 * Fill @buf with the name of the driver bound to @pdev, "" when unbound.
 * Returns the length written (truncated to @len - 1) or a negative errno.
 */
int gpupt_dev_driver_name(struct pci_dev *pdev, char *buf, size_t len);

/* device_lock() giving up with -EBUSY after @ms milliseconds. */
int gpupt_dev_lock(struct pci_dev *pdev, unsigned int ms);

/* True when @pdev is bound to vfio-pci or a vfio-pci variant driver. */
bool gpupt_dev_is_vfio(struct pci_dev *pdev);
/* True when @pdev is a vfio device that userspace has open (a VM runs). */
bool gpupt_vfio_open(struct pci_dev *pdev);
bool gpupt_vfio_open_locked(struct pci_dev *pdev);
/* True when @name is an acceptable vfio target driver name. */
bool gpupt_vfio_driver_name_ok(const char *name);

/* ids.c */
int gpupt_ids_init(void);
void gpupt_ids_exit(void);
/* True when @pdev matches ids= or addrs= (whether or not it is held). */
bool gpupt_ids_match(struct pci_dev *pdev);
bool gpupt_addrs_match(struct pci_dev *pdev);
/* driver_data of the catch-all dynamic id that serves addrs= */
#define GPUPT_DYNID_ADDRS	1UL
void gpupt_ids_register(struct pci_driver *drv);

/* state.c */
/*
 * Taken by every mutating command (claim, unclaim, handoff, reclaim,
 * release, reset) for its whole duration.  probe() and remove() never take
 * it.  Parallel work inside one request runs in workqueue items that do
 * not take it either.
 */
extern struct mutex gpupt_ops_lock;
/* Unbound workqueue for the parallel parts of one request. */
extern struct workqueue_struct *gpupt_wq;

void gpupt_stats_inc(enum gpupt_stats_attr which);
u64 gpupt_stats_read(enum gpupt_stats_attr which);

/* Bumped on every bind and unbind of a covered device. */
void gpupt_generation_bump(void);
u32 gpupt_generation(void);

/* Per-device "do not retake by ids=/addrs=" marks set by UNCLAIM/RELEASE. */
int gpupt_noretake_set(struct pci_dev *pdev);
void gpupt_noretake_clear(struct pci_dev *pdev);
bool gpupt_noretake(struct pci_dev *pdev);
int gpupt_state_init(void);
void gpupt_state_exit(void);

/*
 * Quarantine (verified resets): devices that failed a post-reset check,
 * kept by address, so that the mark survives a remove and rescan of the
 * device.  gpupt_quarantine_set() returns 1 when newly set, 0 when updated,
 * or -ENOMEM; gpupt_quarantine_clear() whether a mark was lifted;
 * gpupt_quarantined() copies the reason into @buf and the failed check
 * (enum gpupt_check) into @check (either may be NULL).
 */
int gpupt_quarantine_set(struct pci_dev *pdev, u8 check, const char *why);
bool gpupt_quarantine_clear(struct pci_dev *pdev);
bool gpupt_quarantined(struct pci_dev *pdev, char *buf, size_t len, u8 *check);

/* rebind.c: moving one function between drivers, with rollback. */
struct gpupt_fn {
	struct pci_dev *pdev;		/* reference held */
	struct device_driver *from;	/* bound before (module ref held) */
	char *from_override;		/* driver_override before, or NULL */
	char from_name[GPUPT_NAME_LEN];	/* "" when unbound */
	char to_name[GPUPT_NAME_LEN];	/* after the move (or planned) */
	char got_name[GPUPT_NAME_LEN];	/* what the last bind produced */
	char blocker[128];		/* why it would be refused, or "" */
	bool vfio;			/* bound to a vfio driver */
	bool open;			/* ... and open by a user */
	bool move;			/* the plan changes this function */
	bool changed;			/* something was done: roll back */
	bool noretake;			/* had a "do not retake" mark before */
};

int gpupt_fn_prepare(struct gpupt_fn *fn, struct pci_dev *pdev);
void gpupt_fn_cleanup(struct gpupt_fn *fn);
bool gpupt_fn_on(const struct gpupt_fn *fn, const char *target);
int gpupt_fn_move(struct gpupt_fn *fn, const char *target);
int gpupt_fn_rollback(struct gpupt_fn *fn);
int gpupt_target_load(const char *target, struct netlink_ext_ack *extack);
bool gpupt_driver_name_valid(const char *name);

/* The mutating and BAR netlink handlers, one file per job. */
/* claim.c */
int gpupt_nl_claim_doit(struct sk_buff *skb, struct genl_info *info);
int gpupt_nl_unclaim_doit(struct sk_buff *skb, struct genl_info *info);
/* handoff.c */
int gpupt_nl_handoff_doit(struct sk_buff *skb, struct genl_info *info);
int gpupt_nl_reclaim_doit(struct sk_buff *skb, struct genl_info *info);
int gpupt_nl_release_doit(struct sk_buff *skb, struct genl_info *info);
/* sriov.c: SR-IOV PFs and their VFs */
int gpupt_sriov_configure(struct pci_dev *pdev, int num_vfs);
/* Bus notifier: hold a new VF of a managed PF; forget a removed PF. */
void gpupt_sriov_add_device(struct pci_dev *pdev);
void gpupt_sriov_del_device(struct pci_dev *pdev);
void gpupt_sriov_exit(void);
/* A managed PF or one of its VFs: DEV_GET dumps cover it. */
bool gpupt_sriov_covered(struct pci_dev *pdev);
/* PHYSFN, or NUM_VFS and TOTAL_VFS, into an open device record. */
int gpupt_sriov_put_attrs(struct sk_buff *skb, struct pci_dev *pdev);
/* Why a bus reset may not hit @pdev (a PF with VFs), or NULL. */
const char *gpupt_sriov_reset_blocker(struct pci_dev *pdev, char *buf,
				      size_t len);
int gpupt_nl_sriov_doit(struct sk_buff *skb, struct genl_info *info);

/* bars.c */
int gpupt_nl_bars_get_doit(struct sk_buff *skb, struct genl_info *info);
/* reset.c */
int gpupt_nl_reset_doit(struct sk_buff *skb, struct genl_info *info);
/*
 * Verified reset of @n functions before HANDOFF moves them
 * (caller holds gpupt_ops_lock): the ladder without the rescan rung, so
 * the pci_devs stay valid.  0, or -EBUSY (something in a radius is not
 * idle: nothing was reset), -EIO (a device failed, now quarantined) or
 * -ENODEV, with an extack message naming the device and the check.
 */
int gpupt_reset_verified(struct pci_dev **devs, unsigned int n,
			 struct netlink_ext_ack *extack);

#endif /* _GPUPT_H */
