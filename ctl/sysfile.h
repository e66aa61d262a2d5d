/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File helpers for the host's files and sysfs: whole-file reads with a
 * size cap, one-line and symlink reads, plain and atomic whole-file writes,
 * paths under a root directory (--root: tests hand in a fake tree), PCI
 * sysfs attributes, and running programs.  All return 0 or a negative
 * errno; nothing prints.
 */
#ifndef GPTCTL_SYSFILE_H
#define GPTCTL_SYSFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define SYSFS_PCI_DEVICES	"/sys/bus/pci/devices"

/*
 * Read all of path into a malloc'd buffer (NUL-terminated, the NUL not
 * counted in *len).  More than max bytes gives -EFBIG.
 */
int file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len);

/* Write len bytes to path (created 0644 or truncated). */
int file_write_all(const char *path, const void *buf, size_t len);

/* Does path exist (lstat)? */
bool file_exists(const char *path);

/* ROOT + path into buf (root NULL or "" means the host). */
void root_path(const char *root, const char *path, char *buf, size_t len);

/* First line of DIR/NAME without the newline (-ENODATA when empty). */
int file_read_line(const char *dir, const char *name, char *buf, size_t len);

/* DIR/NAME's first line as a hex number ("0x10de" or "10de"). */
int file_read_hex(const char *dir, const char *name, unsigned long *v);

/* The last component of the symlink DIR/NAME ("vfio-pci", "12"). */
int file_link_base(const char *dir, const char *name, char *buf, size_t len);

/* mkdir -p of path's parent directories (0755). */
int mkdir_parents(const char *path);

/*
 * Replace path atomically: write a dot file in the same directory
 * ("DIR/.NAME.XXXXXX"), fsync, chmod mode, rename over path.  Creates
 * missing parent directories (0755).  0 or -errno (nothing left behind).
 */
int file_write_atomic(const char *path, const void *buf, size_t len,
		      unsigned int mode);

/*
 * A PCI function's sysfs files, under root as root_path() puts it (NULL:
 * the host's /sys).
 */

/* "ROOT/sys/bus/pci/devices/0000:01:00.0" (+ "/" attr if attr is non-NULL). */
void pci_sysfs_path(const char *root, const struct gpupt_addr *a,
		    const char *attr, char *buf, size_t len);

/* First line of a sysfs attribute of a PCI function, without the newline. */
int pci_attr_str(const char *root, const struct gpupt_addr *a,
		 const char *attr, char *buf, size_t len);

/* A numeric attribute ("0x10de\n", "1\n"), any base strtoull accepts. */
int pci_attr_u64(const char *root, const struct gpupt_addr *a,
		 const char *attr, uint64_t *v);

/* Bound driver's name into buf; -ENOENT when no driver is bound. */
int pci_driver(const char *root, const struct gpupt_addr *a, char *buf,
	       size_t len);

/*
 * Run argv (PATH search) and wait.  With quiet_stdout its stdout goes to
 * stderr (stdout is for data).  Returns the exit status, 128 for a signal,
 * 127 if it could not run, or -errno.
 */
int run_program(char *const argv[], bool quiet_stdout);

/* Run argv, stderr to /dev/null; its stdout (malloc'd), NULL on failure. */
char *run_capture(char *const argv[], size_t max);

#endif /* GPTCTL_SYSFILE_H */
