/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who holds a vfio device open: scan /proc/PID/fd for /dev/vfio/GROUP (and
 * the function's /dev/vfio/devices/vfioN cdev).  Used to turn EBUSY into
 * "0000:01:00.0 is in use: /dev/vfio/6 is open in qemu-system-x86 (pid 1234)".
 */
#ifndef GPTCTL_HOLDERS_H
#define GPTCTL_HOLDERS_H

#include <stdbool.h>

#include "addr.h"

/* IOMMU group number of a function from sysfs, or -errno. */
long sysfs_iommu_group(const struct gpupt_addr *a);

/*
 * Print one "ADDR is in use: PATH is open in COMM (pid N)" line to stderr
 * per holder of the function's vfio files.  Returns the number printed.
 */
int report_vfio_holders(const struct gpupt_addr *a);

#endif /* GPTCTL_HOLDERS_H */
