// SPDX-License-Identifier: GPL-2.0
/*
 * Find what holds a function on the host: processes with its device nodes
 * open or its resource files mapped, the console, firmware framebuffers.
 * Everything is read from procfs and sysfs; nothing waits on a device.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "bars.h"
#include "gptctl.h"
#include "holders.h"
#include "print.h"
#include "sysfile.h"

long sysfs_iommu_group(const struct gpupt_addr *a)
{
	char dir[PATH_MAX], base[32];
	char *end;
	long g;
	int err;

	pci_sysfs_path(NULL, a, NULL, dir, sizeof(dir));
	err = file_link_base(dir, "iommu_group", base, sizeof(base));
	if (err)
		return err;
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

/* ---- the function's device nodes ---- */

struct devnode {
	dev_t dev;
	bool blk;
	size_t fn;			/* index into the functions */
};

struct scan {
	const struct gpupt_addr *fns;
	size_t nfns;
	struct devnode *nodes;
	size_t nnodes, capnodes;
	char (*names)[GPUPT_ADDR_STRLEN];
	struct holders *out;
};

static int node_add(struct scan *sc, dev_t dev, bool blk, size_t fn)
{
	struct devnode *v;
	size_t i;

	for (i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].dev == dev && sc->nodes[i].blk == blk)
			return 0;
	v = array_grow(sc->nodes, &sc->capnodes, sc->nnodes, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	sc->nodes = v;
	sc->nodes[sc->nnodes].dev = dev;
	sc->nodes[sc->nnodes].blk = blk;
	sc->nodes[sc->nnodes].fn = fn;
	sc->nnodes++;
	return 0;
}

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* "MAJ:MIN" of a sysfs device directory, and whether it is a block device. */
static bool sysfs_devt(const char *dir, dev_t *dev, bool *blk)
{
	char path[PATH_MAX], buf[32], link[PATH_MAX];
	unsigned int maj, min;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/dev", dir);
	if (!read_line(path, buf, sizeof(buf)) ||
	    sscanf(buf, "%u:%u", &maj, &min) != 2)
		return false;
	*dev = makedev(maj, min);
	snprintf(path, sizeof(path), "%s/subsystem", dir);
	len = readlink(path, link, sizeof(link) - 1);
	link[len > 0 ? len : 0] = '\0';
	*blk = len > 0 && !strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 :
				   link, "block");
	return true;
}

/*
 * Every device node below a function in sysfs: DRM (drm/cardN,
 * drm/renderDN), fbdev (graphics/fbN), ALSA (sound/cardN/controlCN, ...),
 * the vfio cdev (vfio-dev/vfioN), a NIC's or NVMe's char devices...
 * Only real directories are followed (no symlinks), and never into a
 * subordinate PCI function.
 */
static int walk_nodes(struct scan *sc, size_t fn, const char *dir, int depth)
{
	struct dirent *e;
	char path[PATH_MAX];
	dev_t dev;
	bool blk;
	int err = 0;
	DIR *d;

	if (depth > 0 && sysfs_devt(dir, &dev, &blk)) {
		err = node_add(sc, dev, blk, fn);
		if (err)
			return err;
	}
	if (depth >= 5)
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while (!err && (e = readdir(d))) {
		struct gpupt_addr child;

		if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
		    !addr_parse(e->d_name, &child))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		err = walk_nodes(sc, fn, path, depth + 1);
	}
	closedir(d);
	return err;
}

/* The NVIDIA driver's /dev/nvidiaN (major 195) for a GPU it drives. */
static bool nvidia_minor(const char *addr, unsigned int *minor)
{
	char path[PATH_MAX], line[256];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/driver/nvidia/gpus/%s/information",
		 addr);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "Device Minor: %u", minor) == 1;
	fclose(f);
	return found;
}

static int collect_nodes(struct scan *sc)
{
	char path[PATH_MAX];
	struct stat st;
	unsigned int minor;
	size_t i;
	long g;
	int err;

	for (i = 0; i < sc->nfns; i++) {
		pci_sysfs_path(NULL, &sc->fns[i], NULL, path, sizeof(path));
		err = walk_nodes(sc, i, path, 0);
		if (err)
			return err;
		g = sysfs_iommu_group(&sc->fns[i]);
		if (g >= 0) {
			snprintf(path, sizeof(path), "/dev/vfio/%ld", g);
			if (!stat(path, &st) && S_ISCHR(st.st_mode)) {
				err = node_add(sc, st.st_rdev, false, i);
				if (err)
					return err;
			}
		}
		if (nvidia_minor(sc->names[i], &minor)) {
			err = node_add(sc, makedev(195, minor), false, i);
			if (err)
				return err;
		}
	}
	return 0;
}

/* ---- processes ---- */

static struct holder *holder_new(struct holders *h, const struct gpupt_addr *a,
				 enum holder_kind kind)
{
	struct holder *ho;

	ho = array_grow(h->v, &h->cap, h->n, sizeof(*ho), 8);
	if (!ho)
		return NULL;
	h->v = ho;
	ho = &h->v[h->n++];
	memset(ho, 0, sizeof(*ho));
	ho->addr = *a;
	ho->kind = kind;
	ho->vtcon = -1;
	ho->bar = -1;
	return ho;
}

static bool holder_seen(const struct holders *h, const struct gpupt_addr *a,
			int pid, const char *file)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->v[i].pid == pid && addr_equal(&h->v[i].addr, a) &&
		    !strcmp(h->v[i].file, file))
			return true;
	return false;
}

/* The deepest unit component of one cgroup path [p, end). */
static void path_unit(const char *p, const char *end, char *unit, size_t len)
{
	while (p < end) {
		const char *q = memchr(p, '/', (size_t)(end - p));
		size_t l;

		if (!q)
			q = end;
		l = (size_t)(q - p);
		if ((l > 8 && !strncmp(q - 8, ".service", 8)) ||
		    (l > 6 && !strncmp(q - 6, ".scope", 6)))
			snprintf(unit, len, "%.*s", (int)l, p);
		p = q + 1;
	}
}

void holders_cgroup_unit(const char *cgroup, char *unit, size_t len)
{
	const char *line, *end, *c;
	int pass;

	unit[0] = '\0';
	/* the cgroup v2 line first, then v1's name=systemd hierarchy */
	for (pass = 0; pass < 2 && !unit[0]; pass++) {
		for (line = cgroup; *line; line = *end ? end + 1 : end) {
			end = strchr(line, '\n');
			if (!end)
				end = line + strlen(line);
			if (pass == 0 && !strncmp(line, "0::", 3)) {
				path_unit(line + 3, end, unit, len);
				break;
			}
			c = memchr(line, ':', (size_t)(end - line));
			if (pass == 1 && c && (size_t)(end - c) >= 14 &&
			    !strncmp(c + 1, "name=systemd:", 13)) {
				path_unit(c + 14, end, unit, len);
				break;
			}
		}
	}
}

/* The systemd unit a process runs in, from /proc/PID/cgroup. */
static void read_unit(const char *pid, char *unit, size_t len)
{
	char path[64];
	uint8_t *buf;
	size_t n;

	unit[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%s/cgroup", pid);
	if (file_read_all(path, 64 * 1024, &buf, &n))
		return;
	holders_cgroup_unit((const char *)buf, unit, len);
	free(buf);
}

static void process_remedy(struct holder *ho)
{
	if (ho->unit[0])
		snprintf(ho->remedy, sizeof(ho->remedy), "systemctl stop %s",
			 ho->unit);
	else
		snprintf(ho->remedy, sizeof(ho->remedy),
			 "stop %s (pid %d), or make it close %.120s", ho->comm,
			 ho->pid, ho->file);
}

static int add_process(struct scan *sc, size_t fn, const char *pid,
		       enum holder_kind kind, const char *file)
{
	struct holder *ho;

	if (holder_seen(sc->out, &sc->fns[fn], atoi(pid), file))
		return 0;
	ho = holder_new(sc->out, &sc->fns[fn], kind);
	if (!ho)
		return -ENOMEM;
	ho->pid = atoi(pid);
	read_comm(pid, ho->comm, sizeof(ho->comm));
	snprintf(ho->file, sizeof(ho->file), "%s", file);
	read_unit(pid, ho->unit, sizeof(ho->unit));
	process_remedy(ho);
	return 0;
}

/*
 * Open files: only links into /dev are stat()ed, so no network or FUSE
 * file system is ever asked (a stat there could block).
 */
static int scan_fds(struct scan *sc, const char *pid)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *fe;
	struct stat st;
	int err = 0;
	size_t i;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	fds = opendir(path);
	if (!fds)
		return 0;
	while (!err && (fe = readdir(fds))) {
		ssize_t len;

		if (fe->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, fe->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 5)
			continue;
		link[len] = '\0';
		if (strncmp(link, "/dev/", 5) || stat(path, &st))
			continue;
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			continue;
		for (i = 0; i < sc->nnodes; i++)
			if (sc->nodes[i].dev == st.st_rdev &&
			    sc->nodes[i].blk == !!S_ISBLK(st.st_mode))
				break;
		if (i < sc->nnodes)
			err = add_process(sc, sc->nodes[i].fn, pid,
					  HOLDER_PROCESS, link);
	}
	closedir(fds);
	return err;
}

/* Mappings of .../ADDR/resourceN[_wc] and .../ADDR/rom. */
static int scan_maps(struct scan *sc, const char *pid)
{
	char path[64], line[PATH_MAX + 128], key[GPUPT_ADDR_STRLEN + 16];
	int err = 0;
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!err && fgets(line, sizeof(line), f)) {
		char *file = strstr(line, " /sys/");

		if (!file)
			continue;
		file++;
		file[strcspn(file, "\n")] = '\0';
		for (i = 0; i < sc->nfns && !err; i++) {
			snprintf(key, sizeof(key), "/%s/resource", sc->names[i]);
			if (strstr(file, key))
				err = add_process(sc, i, pid, HOLDER_MAPPING, file);
		}
	}
	fclose(f);
	return err;
}

static int scan_processes(struct scan *sc)
{
	char self[16];
	struct dirent *pe;
	int err = 0;
	DIR *proc;

	snprintf(self, sizeof(self), "%d", (int)getpid());
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!err && (pe = readdir(proc))) {
		if (!isdigit((unsigned char)pe->d_name[0]) ||
		    !strcmp(pe->d_name, self))
			continue;
		if (sc->nnodes)
			err = scan_fds(sc, pe->d_name);
		if (!err)
			err = scan_maps(sc, pe->d_name);
	}
	closedir(proc);
	return err;
}

/* ---- firmware framebuffers and the console ---- */

static bool on_host_driver(const struct gpupt_addr *a)
{
	char drv[64];

	return !pci_driver(NULL, a, drv, sizeof(drv)) && strcmp(drv, "gpupt") &&
	       !driver_is_vfio(drv);
}

struct bar_range {
	uint64_t start, end;
};

/* Memory BARs 0..5 from sysfs "resource" (start end flags per line). */
static unsigned int read_bars(const struct gpupt_addr *a, struct bar_range *b)
{
	char path[PATH_MAX], line[128];
	unsigned long long start, end, flags;
	unsigned int i = 0;
	FILE *f;

	pci_sysfs_path(NULL, a, "resource", path, sizeof(path));
	memset(b, 0, 6 * sizeof(*b));
	f = fopen(path, "re");
	if (!f)
		return 0;
	for (i = 0; i < 6 && fgets(line, sizeof(line), f); i++) {
		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
		if ((flags & 0x200) && start && end > start) {	/* IORESOURCE_MEM */
			b[i].start = start;
			b[i].end = end;
		}
	}
	fclose(f);
	return i;
}

/*
 * Firmware framebuffers inside the function's BARs, from /proc/iomem
 * (root sees the addresses): the outermost resource with a firmware
 * framebuffer's name, once per BAR.
 */
static int scan_firmware_fbs(struct scan *sc, size_t fn, bool *found)
{
	struct bar_range bar[6];
	char line[256];
	bool bar_done[6] = { false };
	unsigned int nb;
	int err = 0;
	FILE *f;

	*found = false;
	nb = read_bars(&sc->fns[fn], bar);
	if (!nb)
		return 0;
	f = fopen("/proc/iomem", "re");
	if (!f)
		return 0;
	while (!err && fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char name[BAR_NAMELEN];
		const char *fix;
		struct holder *ho;
		unsigned int i;

		if (sscanf(line, " %llx-%llx : %63[^\n]", &start, &end, name) != 3)
			continue;
		fix = bars_fb_remedy(name);
		if (!fix)
			continue;
		for (i = 0; i < nb; i++)
			if (!bar_done[i] && bar[i].start && start >= bar[i].start &&
			    end <= bar[i].end)
				break;
		if (i == nb)
			continue;
		bar_done[i] = true;
		*found = true;
		ho = holder_new(sc->out, &sc->fns[fn], HOLDER_FIRMWARE_FB);
		if (!ho) {
			err = -ENOMEM;
			break;
		}
		ho->bar = (int)i;
		snprintf(ho->what, sizeof(ho->what),
			 "firmware framebuffer %s [mem %#llx-%#llx] lies in BAR %u",
			 name, start, end, i);
		snprintf(ho->file, sizeof(ho->file), "/proc/iomem");
		snprintf(ho->remedy, sizeof(ho->remedy),
			 "gptctl handoff %s--release-host %s, or %s",
			 on_host_driver(&sc->fns[fn]) ? "--force " : "",
			 sc->names[fn], fix);
	}
	fclose(f);
	return err;
}

/* vtconN bound to fbcon ("frame buffer device"), or -1. */
static int fbcon_vtcon(bool want_bound)
{
	char path[PATH_MAX], buf[128];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/sys/class/vtconsole/vtcon%d/name", i);
		if (!read_line(path, buf, sizeof(buf)))
			continue;
		if (!strstr(buf, "frame buffer device"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/vtconsole/vtcon%d/bind", i);
		if (!read_line(path, buf, sizeof(buf)))
			continue;
		if ((buf[0] == '1') == want_bound)
			return i;
	}
	return -1;
}

/*
 * Does any virtual terminal draw on /dev/fbN?  FBIOGET_CON2FBMAP for each
 * console; if the node cannot be asked, assume it does.
 */
static bool fb_has_console(unsigned int fb)
{
	struct fb_con2fbmap map;
	char path[32];
	bool yes = false;
	int fd;

	snprintf(path, sizeof(path), "/dev/fb%u", fb);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return true;
	for (map.console = 1; map.console <= 63 && !yes; map.console++) {
		if (ioctl(fd, FBIOGET_CON2FBMAP, &map)) {
			yes = map.console == 1;	/* not answered at all */
			break;
		}
		yes = map.framebuffer == fb;
	}
	close(fd);
	return yes;
}

/* The function's own framebuffers: graphics/fbN in sysfs. */
static int function_fb(const struct gpupt_addr *a, bool with_console)
{
	char path[PATH_MAX];
	struct dirent *e;
	int fb = -1;
	DIR *d;

	pci_sysfs_path(NULL, a, "graphics", path, sizeof(path));
	d = opendir(path);
	if (!d)
		return -1;
	while (fb < 0 && (e = readdir(d))) {
		unsigned int n;

		if (sscanf(e->d_name, "fb%u", &n) == 1 &&
		    (!with_console || fb_has_console(n)))
			fb = (int)n;
	}
	closedir(d);
	return fb;
}

static int scan_console(struct scan *sc, size_t fn, bool firmware_fb)
{
	char name[128] = "", path[PATH_MAX];
	struct holder *ho;
	int vt = fbcon_vtcon(true), fb;

	if (vt < 0)
		return 0;
	fb = function_fb(&sc->fns[fn], true);
	if (fb < 0 && !firmware_fb)
		return 0;
	ho = holder_new(sc->out, &sc->fns[fn], HOLDER_CONSOLE);
	if (!ho)
		return -ENOMEM;
	ho->vtcon = vt;
	snprintf(path, sizeof(path), "/sys/class/vtconsole/vtcon%d/name", vt);
	read_line(path, name, sizeof(name));
	snprintf(ho->file, sizeof(ho->file), "/sys/class/vtconsole/vtcon%d", vt);
	if (fb >= 0)
		snprintf(ho->what, sizeof(ho->what),
			 "the console vtcon%d (%s) is bound to its framebuffer fb%d",
			 vt, name, fb);
	else
		snprintf(ho->what, sizeof(ho->what),
			 "the console vtcon%d (%s) is bound to the firmware framebuffer in its BAR",
			 vt, name);
	snprintf(ho->remedy, sizeof(ho->remedy),
		 "gptctl handoff %s--release-host %s, or echo 0 > /sys/class/vtconsole/vtcon%d/bind",
		 on_host_driver(&sc->fns[fn]) ? "--force " : "", sc->names[fn], vt);
	return 0;
}

bool holders_firmware_fb_present(void)
{
	char line[256], name[BAR_NAMELEN];
	bool found = false;
	FILE *f;

	f = fopen("/proc/iomem", "re");
	if (!f)
		return true;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, " %*x-%*x : %63[^\n]", name) == 1 &&
			bars_fb_remedy(name);
	fclose(f);
	return found;
}

int holders_find(const struct gpupt_addr *fns, size_t n, unsigned int what,
		 struct holders *out)
{
	struct scan sc = { .fns = fns, .nfns = n, .out = out };
	size_t i;
	int err = 0;

	if (!n)
		return 0;
	sc.names = calloc(n, sizeof(*sc.names));
	if (!sc.names)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		addr_format(&fns[i], sc.names[i]);
	if (what & HOLDERS_PROCESSES) {
		err = collect_nodes(&sc);
		if (!err)
			err = scan_processes(&sc);
	}
	for (i = 0; !err && (what & HOLDERS_HOST) && i < n; i++) {
		uint64_t class_code = 0;
		bool fw = false;

		if (pci_attr_u64(NULL, &fns[i], "class", &class_code) ||
		    (class_code >> 16) != 0x03)
			continue;
		err = scan_firmware_fbs(&sc, i, &fw);
		if (!err)
			err = scan_console(&sc, i, fw);
	}
	free(sc.nodes);
	free(sc.names);
	return err;
}

void holders_free(struct holders *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

size_t holders_count(const struct holders *h, int kind)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		n += kind < 0 || h->v[i].kind == (enum holder_kind)kind;
	return n;
}

const char *holder_kind_name(enum holder_kind k)
{
	switch (k) {
	case HOLDER_PROCESS:
		return "process";
	case HOLDER_MAPPING:
		return "mapping";
	case HOLDER_CONSOLE:
		return "console";
	case HOLDER_FIRMWARE_FB:
		return "firmware_framebuffer";
	}
	return "?";
}

void holder_describe(const struct holder *ho, char *buf, size_t len)
{
	char addr[GPUPT_ADDR_STRLEN], unit[160] = "";

	addr_format(&ho->addr, addr);
	if (ho->unit[0])
		snprintf(unit, sizeof(unit), " in %s", ho->unit);
	switch (ho->kind) {
	case HOLDER_PROCESS:
		snprintf(buf, len, "%s is in use: %s is open in %s (pid %d)%s; remedy: %s",
			 addr, ho->file, ho->comm, ho->pid, unit, ho->remedy);
		break;
	case HOLDER_MAPPING:
		snprintf(buf, len, "%s is in use: %s is mapped by %s (pid %d)%s; remedy: %s",
			 addr, ho->file, ho->comm, ho->pid, unit, ho->remedy);
		break;
	default:
		snprintf(buf, len, "%s is in use: %s; remedy: %s", addr,
			 ho->what, ho->remedy);
		break;
	}
}

void holders_print(const struct holders *h)
{
	char addr[GPUPT_ADDR_STRLEN], line[1024];
	size_t i;

	open_json_array("holders");
	for (i = 0; i < h->n; i++) {
		const struct holder *ho = &h->v[i];

		if (!is_json()) {
			holder_describe(ho, line, sizeof(line));
			errmsg("%s", line);
			continue;
		}
		addr_format(&ho->addr, addr);
		open_json_object(NULL);
		print_string("address", NULL, addr);
		print_string("kind", NULL, holder_kind_name(ho->kind));
		if (ho->pid) {
			print_int("pid", NULL, ho->pid);
			print_string("command", NULL, ho->comm);
		} else {
			print_null("pid", NULL);
			print_null("command", NULL);
		}
		print_string("file", NULL, ho->file);
		if (ho->unit[0])
			print_string("unit", NULL, ho->unit);
		else
			print_null("unit", NULL);
		if (ho->what[0])
			print_string("what", NULL, ho->what);
		else
			print_null("what", NULL);
		if (ho->vtcon >= 0)
			print_int("vtcon", NULL, ho->vtcon);
		if (ho->bar >= 0)
			print_int("bar", NULL, ho->bar);
		print_string("remedy", NULL, ho->remedy);
		close_json_object();
	}
	close_json_array();
}

/* ---- giving the console back ---- */

#define CONSOLE_MARK_DIR	"/run/gpupt/console"

int holders_vtcon_bind(int vtcon, bool bind)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/vtconsole/vtcon%d/bind", vtcon);
	return file_write_all(path, bind ? "1\n" : "0\n", 2);
}

int holders_fbcon_rebind(void)
{
	int vt = fbcon_vtcon(false);

	return vt < 0 ? -ENOENT : holders_vtcon_bind(vt, true);
}

int holders_consoles_release(const struct holders *h)
{
	char addr[GPUPT_ADDR_STRLEN];
	size_t i;
	int err;

	for (i = 0; i < h->n; i++) {
		const struct holder *ho = &h->v[i];

		if (ho->kind != HOLDER_CONSOLE)
			continue;
		addr_format(&ho->addr, addr);
		err = holders_console_mark(&ho->addr, ho->vtcon);
		if (!err)
			err = holders_vtcon_bind(ho->vtcon, false);
		if (err) {
			errmsg("cannot unbind the console vtcon%d from %s: %s",
			       ho->vtcon, addr, strerror(-err));
			holders_consoles_undo(h);
			return err;
		}
	}
	return 0;
}

void holders_consoles_undo(const struct holders *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		if (h->v[i].kind != HOLDER_CONSOLE)
			continue;
		holders_fbcon_rebind();
		holders_console_unmark(&h->v[i].addr);
	}
}

int holders_console_mark(const struct gpupt_addr *addr, int vtcon)
{
	char name[GPUPT_ADDR_STRLEN], path[PATH_MAX], buf[16];
	int len;

	addr_format(addr, name);
	if (mkdir("/run/gpupt", 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(CONSOLE_MARK_DIR, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), CONSOLE_MARK_DIR "/%s", name);
	len = snprintf(buf, sizeof(buf), "%d\n", vtcon);
	return file_write_all(path, buf, (size_t)len);
}

void holders_console_unmark(const struct gpupt_addr *addr)
{
	char name[GPUPT_ADDR_STRLEN], path[PATH_MAX];

	addr_format(addr, name);
	snprintf(path, sizeof(path), CONSOLE_MARK_DIR "/%s", name);
	unlink(path);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * After release: the host driver registers its framebuffer (fbcon usually
 * takes the console over by itself when it had let go completely); bind
 * fbcon's vtcon if it is still unbound.
 */
int holders_console_restore(const struct gpupt_addr *addr, int timeout_ms)
{
	char name[GPUPT_ADDR_STRLEN], path[PATH_MAX], buf[16];
	int waited, vt = -1, err;

	addr_format(addr, name);
	snprintf(path, sizeof(path), CONSOLE_MARK_DIR "/%s", name);
	if (!read_line(path, buf, sizeof(buf)))
		return -1;
	for (waited = 0; function_fb(addr, false) < 0 && waited < timeout_ms;
	     waited += 20)
		sleep_ms(20);
	if (function_fb(addr, false) < 0)
		return -ENODEV;
	for (; waited <= timeout_ms; waited += 20) {
		vt = fbcon_vtcon(true);
		if (vt >= 0)
			break;
		vt = fbcon_vtcon(false);
		if (vt >= 0) {
			err = holders_vtcon_bind(vt, true);
			if (err)
				return err;
			continue;
		}
		sleep_ms(20);
	}
	if (vt < 0)
		return -ENOENT;
	unlink(path);
	return vt;
}
