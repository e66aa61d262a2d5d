// SPDX-License-Identifier: GPL-2.0
/*
 * Find the processes that hold a function's vfio files open.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gptctl.h"
#include "holders.h"

long sysfs_iommu_group(const struct gpupt_addr *a)
{
	char addr[GPUPT_ADDR_STRLEN], path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t len;
	char *end;
	long g;

	addr_format(a, addr);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 addr);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	errno = 0;
	g = strtol(base, &end, 10);
	if (errno || *end || end == base || g < 0)
		return -EINVAL;
	return g;
}

/* The function's iommufd-era cdev, "/dev/vfio/devices/vfioN", if any. */
static bool vfio_cdev(const char *addr, char *out, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", addr);
	d = opendir(path);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "vfio", 4) &&
		    isdigit((unsigned char)de->d_name[4])) {
			snprintf(out, len, "/dev/vfio/devices/%s", de->d_name);
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

static void read_comm(const char *pid, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "re");
	if (!f || !fgets(buf, (int)len, f))
		snprintf(buf, len, "?");
	else
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

int report_vfio_holders(const struct gpupt_addr *a)
{
	char addr[GPUPT_ADDR_STRLEN], group_path[64], cdev[PATH_MAX];
	char path[PATH_MAX], link[PATH_MAX], comm[64];
	struct dirent *pe, *fe;
	bool have_cdev;
	int printed = 0;
	long g;
	DIR *proc, *fds;

	addr_format(a, addr);
	g = sysfs_iommu_group(a);
	if (g >= 0)
		snprintf(group_path, sizeof(group_path), "/dev/vfio/%ld", g);
	else
		group_path[0] = '\0';
	have_cdev = vfio_cdev(addr, cdev, sizeof(cdev));
	if (!group_path[0] && !have_cdev)
		return 0;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while ((pe = readdir(proc))) {
		bool seen = false;

		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!seen && (fe = readdir(fds))) {
			const char *what = NULL;
			ssize_t len;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
				 pe->d_name, fe->d_name);
			len = readlink(path, link, sizeof(link) - 1);
			if (len < 0)
				continue;
			link[len] = '\0';
			if (group_path[0] && !strcmp(link, group_path))
				what = group_path;
			else if (have_cdev && !strcmp(link, cdev))
				what = cdev;
			if (!what)
				continue;
			read_comm(pe->d_name, comm, sizeof(comm));
			errmsg("%s is in use: %s is open in %s (pid %s)", addr,
			       what, comm, pe->d_name);
			printed++;
			seen = true;	/* one line per process */
		}
		closedir(fds);
	}
	closedir(proc);
	return printed;
}
