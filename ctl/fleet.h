/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the fleet commands (apply, export, nfd, kubevirt, nova): the
 * host's PCI functions as sysfs shows them, under an optional root
 * directory (--root, so tests can hand in a fake tree), atomic file
 * replacement, the IOMMU switch, the last-apply record and pci.ids names;
 * and the generators' (export, nfd, kubevirt, nova) common options and
 * output file.
 */
#ifndef GPTCTL_FLEET_H
#define GPTCTL_FLEET_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"

/* Where apply records its last run, and what export reads (under root). */
#define FLEET_LAST_APPLY	"/run/gpupt/last-apply"
#define FLEET_PCI_IDS		"/usr/share/misc/pci.ids"

struct fleet_dev {
	struct gpupt_addr addr;
	uint16_t vendor, device;
	uint32_t class;			/* 24-bit */
	bool has_driver;
	char driver[64];
	long iommu_group;		/* -1: none */
	char pslot[64];			/* physical slot name, "" if none */
	bool is_vf;			/* an SR-IOV VF (it has a physfn link) */
	struct gpupt_addr physfn;	/* ... of this PF */
};

/*
 * Every PCI function under ROOT/sys/bus/pci/devices (root "" or NULL is
 * the host), sorted by address.  0 or -errno.
 */
int fleet_scan(const char *root, struct fleet_dev **out, size_t *n);

static inline bool fleet_is_display(const struct fleet_dev *d)
{
	return (d->class >> 16) == 0x03;
}

static inline bool fleet_is_bridge(const struct fleet_dev *d)
{
	return (d->class >> 8) == 0x0604;
}

/* A function for guests: on a vfio driver, and not a bridge. */
bool fleet_is_vfio(const struct fleet_dev *d);

/* Is an IOMMU active (ROOT/sys/kernel/iommu_groups has a group)? */
bool fleet_iommu_enabled(const char *root);

/* The last-apply record: "TIME STATUS\n", STATUS 0 = the host matched. */
struct fleet_last_apply {
	long long time;			/* seconds since the epoch */
	int status;			/* apply's exit status */
};
int fleet_last_apply_read(const char *root, struct fleet_last_apply *la);
int fleet_last_apply_write(const struct fleet_last_apply *la);

/*
 * The device name pci.ids gives VENDOR:DEVICE ("GH100 [H100 SXM5 80GB]"),
 * read from the file itself (not libpci/hwdb: the device plugin reads
 * pci.ids too).  1 found, 0 not, -errno.
 */
int fleet_pci_ids_name(const char *pci_ids, uint16_t vendor, uint16_t device,
		       char *buf, size_t len);

/*
 * NVIDIA's kubevirt-gpu-device-plugin's resource name for a pci.ids device
 * name (upper case; '/', '.' and blanks become '_'; anything but
 * [A-Za-z0-9_] removed): "GH100_H100_SXM5_80GB".
 */
void fleet_nvidia_name(const char *pciname, char *buf, size_t len);

/* The options the generators share. */
struct fleet_opts {
	const char *root;		/* --root DIR ('r'); NULL: the host */
	const char *pci_ids;		/* --pci-ids FILE ('i'); FLEET_PCI_IDS */
	const char *output;		/* --output FILE ('o'); "-": stdout */
	char output_buf[PATH_MAX];	/* the default output, under root */
};

/*
 * Parse a generator's options with cmd_getopt() (@shortopts and @longopts
 * are its own, so that it refuses the others): 'r', 'i' and 'o' into @o,
 * any other through @other(c, optarg, ctx), which returns 0 or EXIT_USAGE.
 * No operand may follow.  Without --output, the output is ROOT +
 * @default_output (NULL: none).  0, or EXIT_USAGE (usage printed).
 */
int fleet_getopt(int argc, char **argv, const char *shortopts,
		 const struct option *longopts, const char *default_output,
		 struct fleet_opts *o,
		 int (*other)(int c, const char *arg, void *ctx), void *ctx);

/*
 * Write @len bytes of @buf over o->output (file_write_atomic(), 0644),
 * unless it is "-" (standard output: the caller prints it).  0, or
 * EXIT_FAIL (said).
 */
int fleet_write_output(const struct fleet_opts *o, const void *buf,
		       size_t len);

/*
 * The "output" field: the file written, or null for standard output; in
 * text mode, @text_fmt ("# %s\n") with the file, or nothing.
 */
void fleet_print_output(const struct fleet_opts *o, const char *text_fmt);

/*
 * The pci.ids name of VENDOR:DEVICE (fleet_pci_ids_name() on o->pci_ids),
 * with a warning when the file cannot be read: true when found.
 */
bool fleet_pci_name(const struct fleet_opts *o, uint16_t vendor,
		    uint16_t device, char *buf, size_t len);

/*
 * Kubernetes name rules, for the generators and their tests:
 * a label value (<= 63, empty or [A-Za-z0-9] at both ends, [-_.A-Za-z0-9]),
 * a qualified name ([prefix/]name, prefix a DNS-1123 subdomain <= 253,
 * name like a label value but not empty).
 */
bool k8s_label_value_ok(const char *s);
bool k8s_qualified_name_ok(const char *s);

#endif /* GPTCTL_FLEET_H */
