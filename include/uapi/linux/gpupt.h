/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * gpupt: GPU passthrough helper, generic netlink protocol.
 *
 * Copyright (C) 2026 The gpupt authors.
 *
 * Overview
 * --------
 * gpupt.ko is a PCI driver with no ID table.  It holds GPUs (and their
 * companion functions, e.g. HDMI audio) selected by the ids= and addrs=
 * module parameters, or claimed at runtime, so that no host driver binds
 * them.  It moves them to vfio-pci and back as one transaction per IOMMU
 * group, resets them, and reports their BARs.
 *
 * The generic netlink family is named GPUPT_GENL_NAME ("gpupt"), version
 * GPUPT_GENL_VERSION.  It has one multicast group, GPUPT_GENL_MCGRP_EVENTS
 * ("events").  The family uses strict validation: an attribute that is not
 * in the policy, a wrong type, a wrong length or trailing garbage is
 * rejected with EINVAL before any handler runs.
 *
 * Addresses
 * ---------
 * A PCI function is always named by a GPUPT_A_DEVICE nest (or an element
 * of a GPUPT_A_DEVICES array) holding GPUPT_DEV_A_DOMAIN (u32),
 * GPUPT_DEV_A_BUS (u8) and GPUPT_DEV_A_DEVFN (u8, PCI_DEVFN(slot, fn)).
 * All three are required where an address is required.  A well-formed
 * address of a function that does not exist gives ENODEV.
 *
 * Permissions
 * -----------
 * DEV_GET, BARS_GET and STATS_GET are available to every user.  Every
 * command that changes state (CLAIM, UNCLAIM, HANDOFF, RECLAIM, RELEASE,
 * RESET) is GENL_ADMIN_PERM: it needs CAP_NET_ADMIN in the initial user
 * namespace and otherwise fails with EPERM.
 *
 * Errors
 * ------
 * Errors are negative errno values in the netlink ACK.  Every error carries
 * an extended-ACK message meant for a human (for instance
 * "0000:01:00.1 is bound to snd_hda_intel").  The errno values below are
 * ABI; the message text is not.
 *
 *   EINVAL      malformed request (missing attribute, bad flag bits,
 *               unknown reset method, bad driver name)
 *   ENODEV      no PCI function at that address
 *   EPERM       the caller lacks CAP_NET_ADMIN
 *   EBUSY       a function is bound to a host driver (and FORCE was not
 *               given), a vfio device is open (a VM is running), or a
 *               reset would hit a device that is not idle
 *   ENOENT      the target driver does not exist and cannot be loaded
 *   ENOTTY      the device does not support the requested reset method
 *   EALREADY    CLAIM of a device gpupt already holds is *not* an error;
 *               EALREADY is never returned.  Repeating an operation whose
 *               result already holds succeeds and changes nothing.
 *   EIO         a bind did not result in the expected driver, a device
 *               failed a check after a reset, or HANDOFF/CLAIM of a
 *               quarantined device
 *   E2BIG       too many functions: more than 64 named in one request,
 *               more than 256 in one IOMMU group, or more than 256 devices
 *               (targets and blast radius) in one reset
 *
 * Commands
 * --------
 * GPUPT_CMD_DEV_GET (do or NLM_F_DUMP)
 *   do:   request GPUPT_A_DEVICE { DOMAIN, BUS, DEVFN }; the reply is one
 *         message with GPUPT_A_DEVICE holding a device record (below).
 *         The device need not be of display class.
 *   dump: no attributes.  One message per device, each with
 *         GPUPT_A_DEVICE.  Covered devices: every function of display
 *         class (0x03xxxx), every function gpupt holds or whose ID or
 *         address is listed in ids=/addrs=, every function bound to a
 *         vfio driver (so a handed-off device stays visible), and every
 *         other function of the slots of those.  The dump pages with a cursor; if a device
 *         was bound or unbound during the dump, the final messages carry
 *         NLM_F_DUMP_INTR and userspace should retry.
 *
 *   Device record (GPUPT_A_DEVICE nest):
 *     GPUPT_DEV_A_DOMAIN        u32
 *     GPUPT_DEV_A_BUS           u8
 *     GPUPT_DEV_A_DEVFN         u8
 *     GPUPT_DEV_A_VENDOR        u16
 *     GPUPT_DEV_A_DEVICE        u16
 *     GPUPT_DEV_A_SUBSYS_VENDOR u16
 *     GPUPT_DEV_A_SUBSYS_DEVICE u16
 *     GPUPT_DEV_A_CLASS         u32  (24-bit class code, e.g. 0x030000)
 *     GPUPT_DEV_A_DRIVER        string, absent when no driver is bound
 *     GPUPT_DEV_A_IOMMU_GROUP   u32, absent when the device has no group
 *     GPUPT_DEV_A_NUMA_NODE     u32, absent when NUMA_NO_NODE
 *     GPUPT_DEV_A_STATE         u32, GPUPT_DEV_S_* bits
 *     GPUPT_DEV_A_RESET_METHODS nest of GPUPT_RM_A_METHOD (u8,
 *                               enum gpupt_reset_method), in the
 *                               kernel's priority order; empty when the
 *                               device cannot be reset
 *     GPUPT_DEV_A_DRIVER_OVERRIDE string, absent when none is set
 *
 * GPUPT_CMD_CLAIM (do, admin)
 *   Request: GPUPT_A_DEVICE { DOMAIN, BUS, DEVFN }, optional GPUPT_A_FLAGS
 *   (GPUPT_F_FORCE).  Sets driver_override to "gpupt" and binds the device
 *   to gpupt.  A device bound to another driver is refused with EBUSY
 *   unless GPUPT_F_FORCE is given, in which case it is unbound first.
 *   A vfio device that is open is always refused with EBUSY.  On failure
 *   the previous override and driver are restored.
 *   Reply: GPUPT_A_DEVICE with the device record after the claim.
 *
 * GPUPT_CMD_UNCLAIM (do, admin)
 *   Request: GPUPT_A_DEVICE.  The device must be held by gpupt (else
 *   EINVAL with a message).  Clears driver_override, releases the device
 *   and re-probes it, so the host's native driver (if any) binds it.  The
 *   device will also no longer be taken by a later ids=/addrs= match until
 *   it is claimed (or reclaimed) again, or until it is removed and a new
 *   device appears at its address.  Reply: GPUPT_A_DEVICE after the re-probe.
 *
 * GPUPT_CMD_HANDOFF (do, admin)
 *   Request: GPUPT_A_DEVICE, or GPUPT_A_DEVICES (an array of address
 *   nests: several groups in one transaction); optional GPUPT_A_DRIVER (target driver name,
 *   default "vfio-pci"; must be a vfio driver, i.e. "vfio-pci" or a name
 *   ending in "vfio_pci" or "vfio-pci"); optional GPUPT_A_FLAGS
 *   (GPUPT_F_DRY_RUN, GPUPT_F_SINGLE, GPUPT_F_FORCE, GPUPT_F_ALL_HELD,
 *   GPUPT_F_RESET).
 *   With GPUPT_F_ALL_HELD the request names no device (EINVAL if it
 *   does): the kernel takes every non-bridge function gpupt holds when
 *   the request runs, one per IOMMU group (each function with
 *   GPUPT_F_SINGLE), as if userspace had listed them, so "hand off
 *   everything" needs no DEV_GET dump first and cannot race with one.
 *   More than 64 of them gives E2BIG; none is success with an empty
 *   GPUPT_A_DEVICES.  RECLAIM and RELEASE refuse the flag with EINVAL.
 *   The set moved is every non-bridge function in the device's IOMMU
 *   group, or only the device with GPUPT_F_SINGLE.  Each function gets
 *   driver_override set to the target before it is released, so no other
 *   driver can match it; then it is attached to the target and checked.
 *   On any failure every function already moved is restored (previous
 *   override and driver) in reverse order and the error names the failing
 *   function.  Operations on one IOMMU group are serialised.  With
 *   several devices, each distinct group is moved concurrently; if any
 *   group fails, every group is rolled back and the request fails.
 *   GPUPT_F_RELEASE_HOST: before the first function moves, every display
 *   function (class 0x03xx: VGA, 3D 0x0302, other 0x0380) that moves has
 *   the firmware framebuffers inside its BARs removed (efifb, vesafb,
 *   sysfb's simple-framebuffer and the driver bound to it) and, for the
 *   VGA device, the VGA text console; fbcon lets go of a framebuffer that
 *   is removed.  This cannot be rolled back (the host driver, when it binds
 *   again, would remove them anyway).  Refused with EOPNOTSUPP on kernels
 *   without aperture helpers (before 6.0), EBUSY if one is still there
 *   afterwards.  RECLAIM and RELEASE refuse the flag with EINVAL.  Userspace
 *   (gptctl) finds the processes that hold a function before it sends the
 *   request, and unbinds the console's vtcon itself.
 *   Refusals (EBUSY, nothing changed): a function bound to a host driver
 *   without GPUPT_F_FORCE; a group member that is not a function of the
 *   requested slot and is bound to a host driver, without GPUPT_F_FORCE;
 *   an open vfio device.  A quarantined function (see RESET) is refused
 *   with EIO.  With GPUPT_F_RESET every function of the transaction gets
 *   a verified reset (RESET's checks and ladder, without the rescan rung)
 *   before anything moves; the reset needs every function idle (held by
 *   gpupt or on a vfio driver and closed: EBUSY otherwise), and a failure
 *   (EIO, the function is quarantined) refuses the whole request with
 *   nothing moved.
 *   Reply: GPUPT_A_IOMMU_GROUP (u32, absent if none, and absent when the
 *   request spans several groups: each record's GPUPT_DEV_A_IOMMU_GROUP
 *   tells them apart) and GPUPT_A_DEVICES,
 *   one device record per function in the set, each extended with
 *   GPUPT_DEV_A_FROM (driver before, "" for none) and GPUPT_DEV_A_TO
 *   (driver after, or planned with DRY_RUN).  With DRY_RUN a function
 *   that would block carries GPUPT_DEV_A_BLOCKER (string, why) and the
 *   request still succeeds.
 *
 * GPUPT_CMD_RECLAIM (do, admin)
 *   Like HANDOFF with target "gpupt": moves the group (or one function with
 *   GPUPT_F_SINGLE) back to gpupt.  Refused with EBUSY while a vfio device
 *   of the set is open.  Same reply.
 *
 * GPUPT_CMD_RELEASE (do, admin)
 *   Like RECLAIM, but clears driver_override and lets the host's native
 *   driver probe each function ("back to the desktop").  Same reply; TO is
 *   the driver that bound, "" if none did.  Functions already on a host
 *   driver are left alone.  Like UNCLAIM, released functions are not
 *   retaken by ids=/addrs= until claimed or reclaimed again.
 *
 * GPUPT_CMD_BARS_GET (do)
 *   Request: GPUPT_A_DEVICE.  Reply: GPUPT_A_DEVICE (record),
 *   GPUPT_A_BARS: nest of GPUPT_A_BAR nests, one per BAR 0..5 that is
 *   implemented plus the ROM BAR (index GPUPT_BAR_ROM).  A BAR the PCI
 *   core could not place (its resource was cleared) is sized from config
 *   space while no driver but gpupt holds the device, and reported with
 *   START 0 and without GPUPT_BAR_F_ASSIGNED.  Each BAR nest has
 *     GPUPT_BAR_A_INDEX       u8
 *     GPUPT_BAR_A_START       u64
 *     GPUPT_BAR_A_SIZE        u64
 *     GPUPT_BAR_A_FLAGS       u32, GPUPT_BAR_F_* bits
 *     GPUPT_BAR_A_RESERVED_BY nest of GPUPT_BAR_A_NAME strings: the names
 *                             of resources nested inside the BAR
 *                             (efifb, BOOTFB, a driver's region, ...)
 *     GPUPT_BAR_A_REBAR_CUR   u64, current size, if Resizable BAR
 *     GPUPT_BAR_A_REBAR_SIZES u64 bitmap: bit n set = 1 MiB << n supported
 *   and GPUPT_A_WINDOWS: nest of GPUPT_A_BAR nests describing the upstream
 *   bridge's windows (INDEX is GPUPT_WIN_*, START, SIZE, FLAGS), plus
 *   GPUPT_A_BRIDGE (nest, address of that bridge), absent on a root bus.
 *
 * GPUPT_CMD_RESET (do, admin)
 *   Request: optional GPUPT_A_DEVICES (array of address nests; none means
 *   every idle device gpupt manages), optional GPUPT_A_RESET_METHOD (u8,
 *   enum gpupt_reset_method, default GPUPT_RESET_AUTO), optional
 *   GPUPT_A_FLAGS (GPUPT_F_FORCE, GPUPT_F_DRY_RUN, GPUPT_F_CLEAR_QUARANTINE).
 *   A device is idle when gpupt holds it, or when a vfio driver holds it
 *   and it is not open.  For BUS and SLOT resets every device on the
 *   secondary bus and below must be idle (EBUSY otherwise, naming the
 *   device and its driver); FORCE lets through only devices that have no
 *   driver.  Independent buses are reset concurrently; functions that
 *   share a bus get one bus reset.  After the reset the device is
 *   verified, and a failing device escalates (below).
 *   Reply: GPUPT_A_DEVICES, one record per reset device extended with
 *   GPUPT_DEV_A_RESET_METHOD (u8, method used), GPUPT_DEV_A_DURATION_US
 *   (u64), GPUPT_DEV_A_ERRNO (u32, positive errno, 0 = ok) and, on failure,
 *   GPUPT_DEV_A_MESSAGE.  With DRY_RUN nothing is reset; each record
 *   carries the planned method, GPUPT_DEV_A_AFFECTED (nest of
 *   GPUPT_A_DEVICE records: the blast radius) and GPUPT_DEV_A_BLOCKER when
 *   something would block it.  A request where any device fails returns
 *   the first error in the ACK after the reply message.
 *   Details: the reply has a record for every device actually reset,
 *   including the other non-bridge devices a bus reset hit.
 *   GPUPT_DEV_A_RESET_METHOD is the method used (AUTO resolves to the
 *   kernel's choice; BUS is reported even when the kernel takes the
 *   hotplug-slot path).  A request naming devices is all or nothing: any
 *   blocker or unsupported method refuses it before anything is reset.
 *   With no address, devices that cannot be reset come back as failed
 *   records.  BLOCKER may list several reasons joined by "; ".  EBUSY is
 *   also returned when a device lock cannot be had within 1 s.
 *
 *   Verification.  Every reset is followed by the checks of enum
 *   gpupt_check: PRESENT (vendor ID not 0xffff), CONFIG (class, header
 *   type and the PCIe capability read back), LINK (the upstream port
 *   reports Data Link Layer Link Active, where its LnkCap says it can;
 *   N/A otherwise), BARS (every BAR the kernel placed holds its bus
 *   address, the ROM BAR reads as before), COMMAND (IO/MEM/MASTER as
 *   before) and POWER (PMCSR says D0; N/A without a PM capability).  A
 *   reset that returned 0 but fails a check fails with EIO.  A device
 *   whose vendor ID already reads 0xffff is not reset (the kernel would
 *   wait a minute per method for it) and fails PRESENT.
 *   Each record of a reset device carries GPUPT_DEV_A_CHECKS (nest: one u8
 *   enum gpupt_check_result per enum gpupt_check) and, on a failed check,
 *   GPUPT_DEV_A_FAILED_CHECK (u8, the first that failed).
 *
 *   Escalation.  Without GPUPT_A_RESET_METHOD (or with AUTO) a device that
 *   fails (an error or a failed check) climbs a ladder until a rung passes
 *   every check: its own method (the kernel's order, as reset_method
 *   sets it) -> a bus/slot reset (not when the first rung was one; only
 *   when everything on the bus is idle, as above) -> GPUPT_RESET_RESCAN,
 *   remove and rescan under the parent bridge (the function comes back at
 *   its address bound to the driver it had, gpupt or an idle vfio driver,
 *   as a new struct pci_dev, keeping its driver_override, reset_method,
 *   d3cold_allowed and runtime PM setting; GPUPT_CMD_EVT_REMOVE and
 *   GPUPT_CMD_EVT_ADD are sent) -> GPUPT_RESET_D3COLD, a D3cold power
 *   cycle where the platform can cut the device's power (ACPI _PR3).  A
 *   rung that does not apply is reported as skipped (ERRNO set, no
 *   CHECKS).  Every record carries GPUPT_DEV_A_RUNGS: one GPUPT_DEV_A_RUNG
 *   nest per rung, in order, each with RESET_METHOD, DURATION_US, ERRNO,
 *   MESSAGE (on failure) and CHECKS/FAILED_CHECK (when it ran).  The
 *   record's own RESET_METHOD, ERRNO, MESSAGE and CHECKS are those of the
 *   last rung that ran; DURATION_US is the sum.  A method given in the
 *   request is the only rung (RESCAN and D3COLD may be given too).
 *
 *   Quarantine.  A device that still fails a check after its last rung
 *   (including one that did not come back from a rescan) is quarantined:
 *   its records carry GPUPT_DEV_S_QUARANTINED, GPUPT_DEV_A_QUARANTINE
 *   (string, "check X failed: ...") and GPUPT_DEV_A_QUARANTINE_CHECK (u8);
 *   GPUPT_CMD_EVT_QUARANTINE is sent.  HANDOFF and CLAIM refuse it with
 *   EIO, naming the check.  The mark belongs to the address: it survives
 *   a remove and rescan, and is lifted by a later reset that passes every
 *   check, by RESET with GPUPT_F_CLEAR_QUARANTINE (explicit addresses
 *   only, nothing is reset, the reply has bare records) or by unloading
 *   the module.  Lifting sends GPUPT_CMD_EVT_QUARANTINE again, without
 *   the state bit.  A device removed from the system during its reset is
 *   reported with PRESENT failed and ENODEV, not quarantined.
 *
 * GPUPT_CMD_STATS_GET (do)
 *   No request attributes.  Reply: GPUPT_A_STATS nest of u64 counters
 *   since module load (GPUPT_STATS_A_*), and GPUPT_A_GENERATION.
 *   CLAIMS counts CLAIM requests that bound a device; HANDOFFS counts
 *   HANDOFF, RECLAIM and RELEASE requests that succeeded (dry runs
 *   excluded); HANDOFF_FAILURES those refused or rolled back.
 *   GPUPT_A_GENERATION changes whenever any PCI function is added,
 *   removed, bound or unbound.
 *
 * Notifications (multicast group "events")
 *   GPUPT_CMD_EVT_CLAIM, GPUPT_CMD_EVT_UNCLAIM, GPUPT_CMD_EVT_REMOVE:
 *       GPUPT_A_DEVICE (record; FROM/TO for claim/unclaim).  REMOVE is
 *       sent when a device held by gpupt loses it other than through a
 *       gpupt command (hot-unplug, sysfs unbind, rmmod), and when a
 *       function whose driver_override names a vfio driver (as HANDOFF
 *       leaves it) is removed from the bus.
 *   GPUPT_CMD_EVT_HANDOFF, GPUPT_CMD_EVT_RECLAIM, GPUPT_CMD_EVT_RELEASE:
 *       one message per function moved, GPUPT_A_DEVICE with FROM and TO,
 *       and GPUPT_A_IOMMU_GROUP.
 *   GPUPT_CMD_EVT_RESET: GPUPT_A_DEVICE with RESET_METHOD, DURATION_US,
 *       ERRNO, MESSAGE, CHECKS, FAILED_CHECK and RUNGS as in the reply.
 *   GPUPT_CMD_EVT_QUARANTINE: GPUPT_A_DEVICE (record) when a device is
 *       quarantined (GPUPT_DEV_S_QUARANTINED set) or released (not set).
 *   GPUPT_CMD_EVT_ADD: GPUPT_A_DEVICE (record) when a function removed by
 *       the rescan rung is back.
 *   Every notification carries GPUPT_A_GENERATION.
 *
 * Message size
 * ------------
 * Replies fit in one NLMSG_GOODSIZE message: at most 256 functions per
 * IOMMU group are reported (more gives E2BIG).  Exception: a HANDOFF,
 * RECLAIM or RELEASE reply is sized to its set (GPUPT_REPLY_FN_SIZE bytes
 * per function, at least NLMSG_GOODSIZE) and may be larger than a page for
 * big groups; receive it with
 * MSG_PEEK|MSG_TRUNC to learn its size.  At most 64 devices may be named
 * in one request (E2BIG).
 *
 * SR-IOV virtual functions
 * ------------------------
 * Device records of SR-IOV functions carry, in addition:
 *     GPUPT_DEV_A_PHYSFN        nest, address of the physical function
 *                               (PF); only on a virtual function (VF)
 *     GPUPT_DEV_A_NUM_VFS       u16, VFs enabled; only on a PF
 *     GPUPT_DEV_A_TOTAL_VFS     u16, sriov_totalvfs; only on a PF
 * A DEV_GET dump also covers every PF whose VFs gpupt manages (below)
 * and every VF of such a PF.
 *
 * GPUPT_CMD_SRIOV (do, admin)
 *   Request: GPUPT_A_DEVICE (the PF), GPUPT_A_NUM_VFS (u16, required),
 *   optional GPUPT_A_FLAGS (GPUPT_F_FORCE).  Enables that many VFs
 *   through the PF's driver's sriov_configure, as a write to sysfs
 *   sriov_numvfs would, with the PF's device_lock held.  From then on the
 *   PF is managed: gpupt holds each of its VFs as it appears, from the
 *   PCI bus notifier (BUS_NOTIFY_ADD_DEVICE sets driver_override to
 *   "gpupt" before the VF can be matched), so no host driver ever probes
 *   one; the mark lasts until the PF is removed.  Every VF of a PF that
 *   gpupt itself holds is held the same way.  After the VFs are enabled
 *   each one must be bound to gpupt, else they are disabled again and
 *   the request fails with EIO naming the VF.  Changing a nonzero count
 *   disables the VFs first (as the kernel requires); NUM_VFS 0 disables
 *   them.  The same count as now succeeds and changes nothing.
 *   Refusals, nothing changed:
 *     EINVAL      the function is a VF; NUM_VFS above sriov_totalvfs
 *     EOPNOTSUPP  the function has no SR-IOV capability; or it is held by
 *                 gpupt and of display class (0x03): a GPU's VFs are set
 *                 up by its own PF driver (i915/xe, amdgpu, nvidia), so
 *                 gpupt, which never initialises a device, must not
 *                 enable them; bind the PF to that driver, then SRIOV
 *                 makes gpupt hold the VFs that driver creates
 *     ENOENT      the PF's driver has no sriov_configure (or no driver)
 *     EBUSY       disabling VFs while one is open through vfio (a VM
 *                 runs) or, without GPUPT_F_FORCE, bound to a host driver
 *   Reply: GPUPT_A_DEVICE (the PF's record) and GPUPT_A_DEVICES (one
 *   record per VF after the change; absent with none).
 *
 *   gpupt as a PF driver: writing sysfs sriov_numvfs of a PF that gpupt
 *   holds calls gpupt's sriov_configure.  Disabling is refused with
 *   EBUSY while a VF is open through vfio.  Enabling is allowed only
 *   once SRIOV has managed the PF (the administrator's per-device
 *   statement that its VFs need no set-up by a PF driver), and never for
 *   display class; otherwise EPERM (EOPNOTSUPP for display), with the
 *   reason in the kernel log.  gpupt leaves VFs enabled when it lets go
 *   of a PF.
 *
 *   RESET: a BUS or SLOT reset whose radius holds a PF with VFs enabled
 *   is refused (EBUSY, blocker "... has N VFs enabled"): it would clear
 *   VF Enable under every VF.  A VF alone resets by FLR; its radius is
 *   itself.
 */
#ifndef _UAPI_LINUX_GPUPT_H
#define _UAPI_LINUX_GPUPT_H

#include <linux/types.h>

#define GPUPT_GENL_NAME		"gpupt"
#define GPUPT_GENL_VERSION	1
#define GPUPT_GENL_MCGRP_EVENTS	"events"

/* Driver name gpupt registers with the PCI core. */
#define GPUPT_DRIVER_NAME	"gpupt"

enum gpupt_cmd {
	GPUPT_CMD_UNSPEC,
	GPUPT_CMD_DEV_GET,
	GPUPT_CMD_CLAIM,
	GPUPT_CMD_UNCLAIM,
	GPUPT_CMD_HANDOFF,
	GPUPT_CMD_RECLAIM,
	GPUPT_CMD_RELEASE,
	GPUPT_CMD_BARS_GET,
	GPUPT_CMD_RESET,
	GPUPT_CMD_STATS_GET,
	/* notifications, multicast on "events" */
	GPUPT_CMD_EVT_CLAIM,
	GPUPT_CMD_EVT_UNCLAIM,
	GPUPT_CMD_EVT_HANDOFF,
	GPUPT_CMD_EVT_RECLAIM,
	GPUPT_CMD_EVT_RELEASE,
	GPUPT_CMD_EVT_RESET,
	GPUPT_CMD_EVT_REMOVE,
	/* SR-IOV */
	GPUPT_CMD_SRIOV,
	/* verified resets */
	GPUPT_CMD_EVT_QUARANTINE,
	GPUPT_CMD_EVT_ADD,

	__GPUPT_CMD_MAX
};
#define GPUPT_CMD_MAX (__GPUPT_CMD_MAX - 1)

/* Top-level attributes. */
enum gpupt_attr {
	GPUPT_A_UNSPEC,
	GPUPT_A_DEVICE,		/* nest, enum gpupt_dev_attr */
	GPUPT_A_DEVICES,	/* nest of GPUPT_A_DEVICE nests */
	GPUPT_A_FLAGS,		/* u32, GPUPT_F_* */
	GPUPT_A_DRIVER,		/* NUL-terminated, < GPUPT_DRIVER_NAME_MAX */
	GPUPT_A_IOMMU_GROUP,	/* u32 */
	GPUPT_A_RESET_METHOD,	/* u8, enum gpupt_reset_method */
	GPUPT_A_BARS,		/* nest of GPUPT_A_BAR nests */
	GPUPT_A_BAR,		/* nest, enum gpupt_bar_attr */
	GPUPT_A_WINDOWS,	/* nest of GPUPT_A_BAR nests */
	GPUPT_A_BRIDGE,		/* nest, enum gpupt_dev_attr (address only) */
	GPUPT_A_STATS,		/* nest, enum gpupt_stats_attr */
	GPUPT_A_GENERATION,	/* u32 */
	GPUPT_A_PAD,
	/* SR-IOV */
	GPUPT_A_NUM_VFS,	/* u16 */

	__GPUPT_A_MAX
};
#define GPUPT_A_MAX (__GPUPT_A_MAX - 1)

/* Request flags (GPUPT_A_FLAGS). */
enum gpupt_flags {
	GPUPT_F_FORCE	= 1U << 0,	/* take functions from host drivers */
	GPUPT_F_DRY_RUN	= 1U << 1,	/* plan only, change nothing */
	GPUPT_F_SINGLE	= 1U << 2,	/* only this function, not its group */
	GPUPT_F_ALL_HELD = 1U << 3,	/* HANDOFF: every function gpupt holds */
	GPUPT_F_RELEASE_HOST = 1U << 4,	/* HANDOFF: remove firmware framebuffers */
	/* verified resets */
	GPUPT_F_CLEAR_QUARANTINE = 1U << 5,	/* RESET: lift quarantine only */
	GPUPT_F_RESET	= 1U << 6,	/* HANDOFF: verified reset first */

	__GPUPT_F_ALL	= GPUPT_F_FORCE | GPUPT_F_DRY_RUN | GPUPT_F_SINGLE |
			  GPUPT_F_ALL_HELD | GPUPT_F_RELEASE_HOST |
			  GPUPT_F_CLEAR_QUARANTINE | GPUPT_F_RESET
};

/* Device record attributes (inside GPUPT_A_DEVICE). */
enum gpupt_dev_attr {
	GPUPT_DEV_A_UNSPEC,
	GPUPT_DEV_A_DOMAIN,		/* u32 */
	GPUPT_DEV_A_BUS,		/* u8 */
	GPUPT_DEV_A_DEVFN,		/* u8 */
	GPUPT_DEV_A_VENDOR,		/* u16 */
	GPUPT_DEV_A_DEVICE,		/* u16 */
	GPUPT_DEV_A_SUBSYS_VENDOR,	/* u16 */
	GPUPT_DEV_A_SUBSYS_DEVICE,	/* u16 */
	GPUPT_DEV_A_CLASS,		/* u32 */
	GPUPT_DEV_A_DRIVER,		/* string */
	GPUPT_DEV_A_IOMMU_GROUP,	/* u32 */
	GPUPT_DEV_A_NUMA_NODE,		/* u32 */
	GPUPT_DEV_A_STATE,		/* u32, GPUPT_DEV_S_* */
	GPUPT_DEV_A_RESET_METHODS,	/* nest of GPUPT_RM_A_METHOD */
	GPUPT_DEV_A_DRIVER_OVERRIDE,	/* string */
	GPUPT_DEV_A_FROM,		/* string, driver before ("" = none) */
	GPUPT_DEV_A_TO,			/* string, driver after ("" = none) */
	GPUPT_DEV_A_BLOCKER,		/* string, why this would be refused */
	GPUPT_DEV_A_RESET_METHOD,	/* u8, method used or planned */
	GPUPT_DEV_A_DURATION_US,	/* u64 */
	GPUPT_DEV_A_ERRNO,		/* u32, positive errno, 0 = ok */
	GPUPT_DEV_A_MESSAGE,		/* string */
	GPUPT_DEV_A_AFFECTED,		/* nest of GPUPT_A_DEVICE records */
	GPUPT_DEV_A_PAD,
	/* SR-IOV */
	GPUPT_DEV_A_PHYSFN,		/* nest, address of a VF's PF */
	GPUPT_DEV_A_NUM_VFS,		/* u16, VFs a PF has enabled */
	GPUPT_DEV_A_TOTAL_VFS,		/* u16, VFs a PF can have */
	/* verified resets */
	GPUPT_DEV_A_CHECKS,		/* nest: enum gpupt_check -> u8 result */
	GPUPT_DEV_A_FAILED_CHECK,	/* u8, enum gpupt_check */
	GPUPT_DEV_A_RUNGS,		/* nest of GPUPT_DEV_A_RUNG */
	GPUPT_DEV_A_RUNG,		/* nest of GPUPT_DEV_A_* (one rung) */
	GPUPT_DEV_A_QUARANTINE,		/* string, why it is quarantined */
	GPUPT_DEV_A_QUARANTINE_CHECK,	/* u8, enum gpupt_check that failed */

	__GPUPT_DEV_A_MAX
};
#define GPUPT_DEV_A_MAX (__GPUPT_DEV_A_MAX - 1)

/* Device state bits (GPUPT_DEV_A_STATE). */
enum gpupt_dev_state {
	GPUPT_DEV_S_HELD	= 1U << 0,	/* bound to gpupt */
	GPUPT_DEV_S_BOOT_VGA	= 1U << 1,	/* the firmware's boot VGA */
	GPUPT_DEV_S_MATCHED	= 1U << 2,	/* listed in ids=/addrs= */
	GPUPT_DEV_S_VFIO	= 1U << 3,	/* bound to a vfio driver */
	GPUPT_DEV_S_OPEN	= 1U << 4,	/* vfio device open (VM running) */
	GPUPT_DEV_S_BRIDGE	= 1U << 5,	/* PCI-to-PCI bridge */
	/* verified resets */
	GPUPT_DEV_S_QUARANTINED	= 1U << 6,	/* failed verification */

	__GPUPT_DEV_S_ALL	= (1U << 7) - 1
};

/* Inside GPUPT_DEV_A_RESET_METHODS. */
enum gpupt_rm_attr {
	GPUPT_RM_A_UNSPEC,
	GPUPT_RM_A_METHOD,	/* u8, enum gpupt_reset_method */

	__GPUPT_RM_A_MAX
};
#define GPUPT_RM_A_MAX (__GPUPT_RM_A_MAX - 1)

/*
 * Reset methods.  The names are the ones sysfs "reset_method" uses, plus
 * "auto" (the kernel's own order) and "slot" (a hotplug slot reset).
 */
enum gpupt_reset_method {
	GPUPT_RESET_AUTO,
	GPUPT_RESET_DEVICE_SPECIFIC,
	GPUPT_RESET_ACPI,
	GPUPT_RESET_FLR,
	GPUPT_RESET_AF_FLR,
	GPUPT_RESET_PM,
	GPUPT_RESET_BUS,
	GPUPT_RESET_CXL_BUS,
	GPUPT_RESET_SLOT,
	/* verified resets: the last rungs of the escalation ladder */
	GPUPT_RESET_RESCAN,	/* remove and rescan under the parent bridge */
	GPUPT_RESET_D3COLD,	/* D3cold power cycle (platform power control) */

	__GPUPT_RESET_MAX
};
#define GPUPT_RESET_MAX (__GPUPT_RESET_MAX - 1)

/*
 * Post-reset checks: attribute types inside GPUPT_DEV_A_CHECKS (each a u8
 * enum gpupt_check_result) and values of GPUPT_DEV_A_FAILED_CHECK.
 */
enum gpupt_check {
	GPUPT_CHECK_UNSPEC,
	GPUPT_CHECK_PRESENT,	/* vendor ID is not 0xffff */
	GPUPT_CHECK_CONFIG,	/* class, header type, PCIe flags read back */
	GPUPT_CHECK_LINK,	/* upstream port's DLLLA, where it reports it */
	GPUPT_CHECK_BARS,	/* BARs hold the resources the kernel assigned */
	GPUPT_CHECK_COMMAND,	/* IO/MEM/MASTER as before the reset */
	GPUPT_CHECK_POWER,	/* PMCSR says D0 */

	__GPUPT_CHECK_MAX
};
#define GPUPT_CHECK_MAX (__GPUPT_CHECK_MAX - 1)

enum gpupt_check_result {
	GPUPT_CHECK_R_NOT_RUN,	/* an earlier check made it meaningless */
	GPUPT_CHECK_R_PASS,
	GPUPT_CHECK_R_FAIL,
	GPUPT_CHECK_R_NA,	/* does not apply to this device */
};

/* BAR attributes (inside GPUPT_A_BAR). */
enum gpupt_bar_attr {
	GPUPT_BAR_A_UNSPEC,
	GPUPT_BAR_A_INDEX,		/* u8: 0..5, GPUPT_BAR_ROM or GPUPT_WIN_* */
	GPUPT_BAR_A_START,		/* u64 */
	GPUPT_BAR_A_SIZE,		/* u64 */
	GPUPT_BAR_A_FLAGS,		/* u32, GPUPT_BAR_F_* */
	GPUPT_BAR_A_RESERVED_BY,	/* nest of GPUPT_BAR_A_NAME */
	GPUPT_BAR_A_NAME,		/* string */
	GPUPT_BAR_A_REBAR_CUR,		/* u64 */
	GPUPT_BAR_A_REBAR_SIZES,	/* u64 bitmap, bit n = 1 MiB << n */
	GPUPT_BAR_A_PAD,

	__GPUPT_BAR_A_MAX
};
#define GPUPT_BAR_A_MAX (__GPUPT_BAR_A_MAX - 1)

#define GPUPT_BAR_ROM		6

/* Bridge window indices (GPUPT_BAR_A_INDEX inside GPUPT_A_WINDOWS). */
enum gpupt_window {
	GPUPT_WIN_IO,
	GPUPT_WIN_MEM,		/* non-prefetchable, 32-bit */
	GPUPT_WIN_PREF,		/* prefetchable, 64-bit if GPUPT_BAR_F_MEM64 */

	__GPUPT_WIN_MAX
};

enum gpupt_bar_flags {
	GPUPT_BAR_F_IO		= 1U << 0,
	GPUPT_BAR_F_MEM		= 1U << 1,
	GPUPT_BAR_F_MEM64	= 1U << 2,
	GPUPT_BAR_F_PREFETCH	= 1U << 3,
	GPUPT_BAR_F_ASSIGNED	= 1U << 4,	/* in the resource tree */
	GPUPT_BAR_F_ROM_SHADOW	= 1U << 5,	/* ROM is the shadow copy */
	GPUPT_BAR_F_REBAR	= 1U << 6,	/* Resizable BAR capability */

	__GPUPT_BAR_F_ALL	= (1U << 7) - 1
};

/* Counters since module load (inside GPUPT_A_STATS), all u64. */
enum gpupt_stats_attr {
	GPUPT_STATS_A_UNSPEC,
	GPUPT_STATS_A_CLAIMS,
	GPUPT_STATS_A_HANDOFFS,
	GPUPT_STATS_A_HANDOFF_FAILURES,
	GPUPT_STATS_A_RESETS,
	GPUPT_STATS_A_RESET_FAILURES,
	GPUPT_STATS_A_PAD,

	__GPUPT_STATS_A_MAX
};
#define GPUPT_STATS_A_MAX (__GPUPT_STATS_A_MAX - 1)

/* Longest GPUPT_A_DRIVER the kernel accepts, with its NUL. */
#define GPUPT_DRIVER_NAME_MAX	32
/* What the kernel reserves per function for a HANDOFF/RECLAIM/RELEASE reply. */
#define GPUPT_REPLY_FN_SIZE	512

#endif /* _UAPI_LINUX_GPUPT_H */
