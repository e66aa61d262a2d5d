/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by setup.c, cmdline.c and doctor.c: the --ids/--addrs options, the
 * kernel command line words, and the boot integration files setup writes.
 */
#ifndef GPTCTL_SETUP_H
#define GPTCTL_SETUP_H

#include <stdbool.h>

#define SETUP_MODPROBE_CONF	"/etc/modprobe.d/gpupt.conf"
#define SETUP_ITOOLS_MODULES	"/etc/initramfs-tools/modules"
#define SETUP_DRACUT_CONF	"/etc/dracut.conf.d/gpupt.conf"
#define SETUP_GRUB_DEFAULT	"/etc/default/grub"
#define SETUP_KERNEL_CMDLINE	"/etc/kernel/cmdline"
#define SETUP_BACKUP_DIR	"/var/lib/gpupt/backup"

/*
 * The drivers gpupt loads before (softdep ... pre: gpupt) unless the user's
 * existing gpupt.conf lists others.  NULL-terminated.
 */
extern const char *const setup_default_softdeps[];

/* The --ids and --addrs arguments, as given. */
struct setup_list_args {
	const char *ids, *addrs;
};

/*
 * Take option @c (from cmd_getopt()) with argument @arg into @a if it is
 * --ids ('i') or --addrs ('a'): true when it was one of them.
 */
bool setup_list_opt(int c, const char *arg, struct setup_list_args *a);

/*
 * Validate --ids/--addrs (either may be NULL, not both) into canonical
 * comma lists (malloc'd, NULL when the option was not given).  Prints the
 * error and returns EXIT_USAGE, or EXIT_OK.
 */
int setup_parse_lists(const char *ids, const char *addrs, char **ids_out,
		      char **addrs_out);

#endif /* GPTCTL_SETUP_H */
