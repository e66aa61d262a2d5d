// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the fleet commands (see fleet.h): sysfs under a root, atomic
 * replacement, the last-apply record, pci.ids names, Kubernetes names, the
 * generators' options and output file.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "fleet.h"
#include "gptctl.h"
#include "print.h"
#include "sysfile.h"

static int dev_cmp(const void *a, const void *b)
{
	const struct fleet_dev *x = a, *y = b;

	return addr_cmp(&x->addr, &y->addr);
}

/* Fill pslot from ROOT/sys/bus/pci/slots/NAME/address ("dddd:bb:ss"). */
static void scan_slots(const char *root, struct fleet_dev *v, size_t n)
{
	char dir[PATH_MAX], sdir[PATH_MAX], buf[64];
	struct dirent *de;
	DIR *d;
	size_t i;

	root_path(root, "/sys/bus/pci/slots", dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned int dom, bus, slot;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(v->pslot))
			continue;
		if ((size_t)snprintf(sdir, sizeof(sdir), "%s/%s", dir,
				     de->d_name) >= sizeof(sdir) ||
		    file_read_line(sdir, "address", buf, sizeof(buf)) ||
		    sscanf(buf, "%x:%x:%x", &dom, &bus, &slot) != 3)
			continue;
		for (i = 0; i < n; i++)
			if (v[i].addr.domain == dom && v[i].addr.bus == bus &&
			    (unsigned int)(v[i].addr.devfn >> 3) == slot)
				snprintf(v[i].pslot, sizeof(v[i].pslot), "%s",
					 de->d_name);
	}
	closedir(d);
}

int fleet_scan(const char *root, struct fleet_dev **out, size_t *n)
{
	char dir[PATH_MAX], ddir[PATH_MAX], buf[64];
	struct fleet_dev *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	root_path(root, "/sys/bus/pci/devices", dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct fleet_dev f;
		unsigned long x;
		char *end;

		memset(&f, 0, sizeof(f));
		if (addr_parse(de->d_name, &f.addr))
			continue;
		if ((size_t)snprintf(ddir, sizeof(ddir), "%s/%s", dir,
				     de->d_name) >= sizeof(ddir) ||
		    file_read_hex(ddir, "vendor", &x))
			continue;
		f.vendor = (uint16_t)x;
		if (file_read_hex(ddir, "device", &x))
			continue;
		f.device = (uint16_t)x;
		if (!file_read_hex(ddir, "class", &x))
			f.class = (uint32_t)x & 0xffffff;
		f.has_driver = !file_link_base(ddir, "driver", f.driver,
					  sizeof(f.driver));
		f.iommu_group = -1;
		if (!file_link_base(ddir, "iommu_group", buf, sizeof(buf))) {
			errno = 0;
			x = strtoul(buf, &end, 10);
			if (!errno && end != buf && !*end && x <= LONG_MAX)
				f.iommu_group = (long)x;
		}
		if (!file_link_base(ddir, "physfn", buf, sizeof(buf)) &&
		    !addr_parse(buf, &f.physfn))
			f.is_vf = true;
		nv = array_grow(v, &cap, cnt, sizeof(*v), 64);
		if (!nv) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		v[cnt++] = f;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), dev_cmp);
	scan_slots(root, v, cnt);
	*out = v;
	*n = cnt;
	return 0;
}

bool fleet_is_vfio(const struct fleet_dev *d)
{
	return !fleet_is_bridge(d) && d->has_driver && driver_is_vfio(d->driver);
}

bool fleet_iommu_enabled(const char *root)
{
	char dir[PATH_MAX];
	struct dirent *de;
	bool any = false;
	DIR *d;

	root_path(root, "/sys/kernel/iommu_groups", dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return false;
	while (!any && (de = readdir(d)))
		any = de->d_name[0] != '.';
	closedir(d);
	return any;
}

int fleet_last_apply_read(const char *root, struct fleet_last_apply *la)
{
	char path[PATH_MAX], buf[128];
	const char *slash;
	int err;

	root_path(root, FLEET_LAST_APPLY, path, sizeof(path));
	slash = strrchr(path, '/');
	snprintf(buf, sizeof(buf), "%s", slash + 1);
	path[slash - path] = '\0';
	err = file_read_line(path, buf, buf, sizeof(buf));
	if (err)
		return err;
	if (sscanf(buf, "%lld %d", &la->time, &la->status) != 2 ||
	    la->time < 0)
		return -EINVAL;
	return 0;
}

int fleet_last_apply_write(const struct fleet_last_apply *la)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%lld %d\n", la->time, la->status);

	return file_write_atomic(FLEET_LAST_APPLY, buf, (size_t)n, 0644);
}

int fleet_pci_ids_name(const char *pci_ids, uint16_t vendor, uint16_t device,
		       char *buf, size_t len)
{
	char line[512], want[8];
	bool in_vendor = false;
	FILE *f;
	int found = 0;

	f = fopen(pci_ids, "re");
	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "%04x", vendor);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#')
			continue;
		if (!in_vendor) {
			in_vendor = !strncmp(line, want, 4);
			continue;
		}
		if (line[0] != '\t')
			break;			/* the next vendor */
		if (line[1] == '\t')
			continue;		/* subsystem */
		snprintf(want, sizeof(want), "%04x", device);
		if (!strncmp(line + 1, want, 4) &&
		    (line[5] == ' ' || line[5] == '\t')) {
			const char *s = line + 5;

			while (isspace((unsigned char)*s))
				s++;
			snprintf(buf, len, "%s", s);
			/* trailing blanks, as strings.TrimSpace */
			for (size_t k = strlen(buf); k && isspace((unsigned char)buf[k - 1]); k--)
				buf[k - 1] = '\0';
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

void fleet_nvidia_name(const char *pciname, char *buf, size_t len)
{
	size_t o = 0;
	bool blank = false;

	if (!len)
		return;
	for (const char *s = pciname; *s && o + 1 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (isspace(c)) {
			blank = true;
			continue;
		}
		if (blank) {
			buf[o++] = '_';
			blank = false;
			if (o + 1 >= len)
				break;
		}
		if (c == '/' || c == '.')
			buf[o++] = '_';
		else if (isalnum(c) || c == '_')
			buf[o++] = (char)toupper(c);
		/* everything else is removed */
	}
	buf[o] = '\0';
}

int fleet_getopt(int argc, char **argv, const char *shortopts,
		 const struct option *longopts, const char *default_output,
		 struct fleet_opts *o,
		 int (*other)(int c, const char *arg, void *ctx), void *ctx)
{
	int c, err;

	o->root = NULL;
	o->pci_ids = FLEET_PCI_IDS;
	o->output = NULL;
	while ((c = cmd_getopt(argc, argv, shortopts, longopts)) != -1) {
		switch (c) {
		case 'r':
			o->root = optarg;
			break;
		case 'i':
			o->pci_ids = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case '?':
			return EXIT_USAGE;
		default:
			err = other ? other(c, optarg, ctx) : EXIT_USAGE;
			if (err)
				return err;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->output && default_output) {
		root_path(o->root, default_output, o->output_buf,
			   sizeof(o->output_buf));
		o->output = o->output_buf;
	}
	return 0;
}

int fleet_write_output(const struct fleet_opts *o, const void *buf, size_t len)
{
	int err;

	if (!strcmp(o->output, "-"))
		return 0;
	err = file_write_atomic(o->output, buf, len, 0644);
	if (err) {
		errmsg("cannot write %s: %s", o->output, strerror(-err));
		return EXIT_FAIL;
	}
	return 0;
}

void fleet_print_output(const struct fleet_opts *o, const char *text_fmt)
{
	if (strcmp(o->output, "-"))
		print_string("output", text_fmt, o->output);
	else
		print_null("output", NULL);
}

bool fleet_pci_name(const struct fleet_opts *o, uint16_t vendor,
		    uint16_t device, char *buf, size_t len)
{
	int err = fleet_pci_ids_name(o->pci_ids, vendor, device, buf, len);

	if (err < 0)
		errmsg("warning: cannot read %s: %s", o->pci_ids, strerror(-err));
	return err > 0;
}

static bool name_part_ok(const char *s, size_t n)
{
	size_t i;

	if (n > 63)
		return false;
	if (!n)
		return true;
	if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

bool k8s_label_value_ok(const char *s)
{
	return name_part_ok(s, strlen(s));
}

/* DNS-1123 subdomain: <= 253, dot-separated labels [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static bool dns_subdomain_ok(const char *s, size_t n)
{
	size_t i, lab = 0;

	if (!n || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (!lab || s[i - 1] == '-')
				return false;
			lab = 0;
			continue;
		}
		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'))
			return false;
		if (!lab && c == '-')
			return false;
		if (++lab > 63)
			return false;
	}
	return lab && s[n - 1] != '-';
}

bool k8s_qualified_name_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	const char *name = slash ? slash + 1 : s;

	if (slash && (strchr(name, '/') || !dns_subdomain_ok(s, (size_t)(slash - s))))
		return false;
	return *name && name_part_ok(name, strlen(name));
}
