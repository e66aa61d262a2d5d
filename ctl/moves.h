/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HANDOFF/RECLAIM/RELEASE replies and their output (handoff.c), exposed for
 * the unit tests of the JSON contract:
 *
 *	[{"group": 6, "vfio": "/dev/vfio/6",
 *	  "devices": [{"address": "0000:01:00.0", "from": "gpupt", "to": "vfio-pci"}, ...]}]
 *
 * "from"/"to" are null for "no driver"; "vfio" is null unless the target is
 * a vfio driver; "group" is null for functions without an IOMMU group; with
 * --dry-run each device also has "blocker" (string or null); with
 * --release-host each group also has "release_host": [{"address", "action",
 * "what", "vtcon" | "bar"}], the host-side steps for its functions.
 */
#ifndef GPTCTL_MOVES_H
#define GPTCTL_MOVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devrec.h"
#include "nl.h"

/* One reply message: its GPUPT_A_IOMMU_GROUP and GPUPT_A_DEVICES. */
struct group_reply {
	bool has_group;
	uint32_t group;
	struct devrec *devs;
	size_t n;
};

struct move_ctx {
	struct group_reply *g;
	size_t n, cap;
};

/*
 * Print the reply as one object per IOMMU group (a record's own group wins
 * over its message's), in the kernel's order.  Returns the number of
 * functions with a blocker.
 */
int print_moves(const struct move_ctx *m, bool to_vfio, bool dry_run);
void move_ctx_free(struct move_ctx *m);

/*
 * The part of `gptctl handoff`'s holder check that prevents a hang, for
 * callers that hand off without printing a plan (gptctl apply, the VM
 * hooks): 0 when no process has a file open on, or a mapping of, a
 * function @req would take from a host driver, else -EBUSY with each such
 * holder on stderr, one line each, after "@who: ".  Consoles and firmware
 * framebuffers do not make an unbind wait and are left to the kernel.  A
 * refused dry run returns 0: the real request reports the kernel's reason.
 */
int handoff_refuse_holders(struct nlconn *nl, const struct nlconn_req *req,
			   const char *who);

#endif /* GPTCTL_MOVES_H */
