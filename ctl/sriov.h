/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SR-IOV for `gptctl sriov` and `gptctl apply`: check a PF in sysfs,
 * enable its VFs through the kernel (GPUPT_CMD_SRIOV) with
 * sriov_drivers_autoprobe off, and list them.
 */
#ifndef GPTCTL_SRIOV_H
#define GPTCTL_SRIOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "nl.h"

/* A VF's target: vfio-pci (or a variant), gpupt, or the host's driver. */
enum sriov_target {
	SRIOV_T_VFIO,
	SRIOV_T_GPUPT,
	SRIOV_T_HOST,
};

/* PF state from sysfs. */
struct sriov_pf {
	unsigned int total_vfs;		/* sriov_totalvfs */
	unsigned int num_vfs;		/* sriov_numvfs */
};

/*
 * Can @pf take @numvfs VFs?  Reads sysfs only.  On a bad request prints
 * why ("is a virtual function of ...", "has no SR-IOV capability",
 * "supports at most N VFs") prefixed by @what when non-NULL, and returns
 * EXIT_USAGE; EXIT_FAIL when the function does not exist; 0 otherwise.
 */
int sriov_check_pf(const struct gpupt_addr *pf, unsigned int numvfs,
		   const char *what, struct sriov_pf *st);

/*
 * The VF addresses of @pf from sysfs (virtfnN links), in VF order.
 * malloc'd in *out (NULL when none).  0 or -errno.
 */
int sriov_vf_addrs(const struct gpupt_addr *pf, struct gpupt_addr **out,
		   size_t *n);

/* Write sriov_drivers_autoprobe (errors printed).  0 or -errno. */
int sriov_autoprobe(const struct gpupt_addr *pf, bool on);

/*
 * Set the PF's VF count: sriov_drivers_autoprobe 0 first (for @numvfs >
 * 0), then GPUPT_CMD_SRIOV; with @target SRIOV_T_HOST autoprobe goes back
 * to 1 afterwards, so the host's driver may probe the VFs once they are
 * released.  On EBUSY the holders of every VF are named on stderr.
 * Errors are printed.  0 or -errno.
 */
int sriov_set(struct nlconn *nl, const struct gpupt_addr *pf,
	      unsigned int numvfs, enum sriov_target target, bool force);

#endif /* GPTCTL_SRIOV_H */
