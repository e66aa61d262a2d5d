// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl [-j] doctor [ADDR...]: one PASS/WARN/FAIL line per check, each
 * with its remedy.  JSON: [{"check", "status", "detail", "remedy"}], plus
 * "device" on per-device checks.  Exit 1 if any check FAILs.
 *
 * Most facts come from sysfs and procfs, so doctor works before gpupt is
 * loaded; when it is loaded, the device list comes from its DEV_GET dump
 * (GPUs plus whatever ids=/addrs= matched).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cfgparse.h"
#include "devrec.h"
#include "domxml.h"
#include "gptctl.h"
#include "holders.h"
#include "kparams.h"
#include "nl.h"
#include "policy.h"
#include "print.h"
#include "setup.h"
#include "sysfile.h"

#define MAX_DEVS	64
#define TEXT_MAX	(4u << 20)

enum status { PASS, WARN, FAIL };

static const char *const status_name[] = { "PASS", "WARN", "FAIL" };

struct doctor {
	unsigned int fails, warns;
	char *modprobe;		/* every modprobe.d file, concatenated */
	char *cmdline;		/* /proc/cmdline */
	char *iomem;		/* /proc/iomem */
};

static void report(struct doctor *d, const char *check,
		   const struct gpupt_addr *dev, enum status st,
		   const char *remedy, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void report(struct doctor *d, const char *check,
		   const struct gpupt_addr *dev, enum status st,
		   const char *remedy, const char *fmt, ...)
{
	char detail[1024], name[GPUPT_ADDR_STRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (st == FAIL)
		d->fails++;
	else if (st == WARN)
		d->warns++;

	open_json_object(NULL);
	print_string("status", "%-4s  ", status_name[st]);
	print_string("check", "%-20s", check);
	if (dev) {
		addr_format(dev, name);
		print_string("device", " %s", name);
	}
	print_string("detail", "  %s\n", detail);
	if (st == PASS || !remedy)
		print_null("remedy", NULL);
	else
		print_string("remedy", "      remedy: %s\n", remedy);
	close_json_object();
}

/* Read a text file whole; NULL if unreadable. */
static char *slurp(const char *path)
{
	uint8_t *buf;
	size_t len;

	if (file_read_all(path, TEXT_MAX, &buf, &len))
		return NULL;
	return (char *)buf;
}

/* Every *.conf of the modprobe.d directories, in one string. */
static char *modprobe_all(void)
{
	static const char *const dirs[] = {
		"/etc/modprobe.d", "/run/modprobe.d", "/usr/lib/modprobe.d",
		"/lib/modprobe.d", NULL,
	};
	char *all = strdup(""), *n, path[PATH_MAX];
	struct dirent *e;
	int i;

	for (i = 0; all && dirs[i]; i++) {
		DIR *dir = opendir(dirs[i]);

		if (!dir)
			continue;
		while (all && (e = readdir(dir))) {
			size_t l = strlen(e->d_name);
			char *t;

			if (l < 6 || strcmp(e->d_name + l - 5, ".conf"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
			t = slurp(path);
			if (!t)
				continue;
			if (asprintf(&n, "%s%s\n", all, t) < 0)
				n = NULL;
			free(t);
			free(all);
			all = n;
		}
		closedir(dir);
	}
	return all;
}

static unsigned int count_dir(const char *path)
{
	unsigned int n = 0;
	struct dirent *e;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return 0;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* ---- IOMMU ---- */

/* Is "off" one of the comma-separated options (as the parsers read it)? */
static bool has_off(const char *val)
{
	const char *p;

	for (p = val; *p; p += strcspn(p, ","), p += *p == ',')
		if (!strncmp(p, "off", 3))
			return true;
	return false;
}

static void check_iommu(struct doctor *d)
{
	bool dmar = file_exists("/sys/firmware/acpi/tables/DMAR");
	bool ivrs = file_exists("/sys/firmware/acpi/tables/IVRS");
	unsigned int groups = count_dir("/sys/kernel/iommu_groups");
	char remedy[512], *irq, type[32] = "", off[64] = "";
	FILE *f;

	/* A word that switches the IOMMU off wins over everything else. */
	if (cmdline_get(d->cmdline, "iommu", type, sizeof(type)) &&
	    !strncmp(type, "off", 3))
		snprintf(off, sizeof(off), "iommu=%s", type);
	else if (cmdline_get(d->cmdline, dmar ? "intel_iommu" : "amd_iommu",
			     type, sizeof(type)) && has_off(type))
		snprintf(off, sizeof(off), "%s=%s",
			 dmar ? "intel_iommu" : "amd_iommu", type);
	type[0] = 0;
	if (*off)
		snprintf(remedy, sizeof(remedy),
			 "remove %s from the kernel command line", off);
	else if (dmar)
		snprintf(remedy, sizeof(remedy),
			 "add intel_iommu=on to the kernel command line (gptctl cmdline --why)");
	else if (ivrs)
		snprintf(remedy, sizeof(remedy),
			 "the kernel enables the AMD IOMMU by itself when the IVRS table is there (no parameter needed; amd_iommu=on does not exist): dmesg | grep AMD-Vi says why it stayed off");
	else
		snprintf(remedy, sizeof(remedy),
			 "enable the IOMMU (VT-d on Intel, IOMMU/AMD-Vi on AMD) in the firmware setup: no kernel parameter turns on an IOMMU the firmware does not describe");
	if (groups)
		report(d, "iommu", NULL, PASS, NULL,
		       "%s table present, %u IOMMU groups",
		       dmar ? "DMAR" : ivrs ? "IVRS" : "no DMAR/IVRS", groups);
	else if (!dmar && !ivrs)
		report(d, "iommu", NULL, FAIL, remedy,
		       "no DMAR or IVRS ACPI table: the firmware exposes no IOMMU");
	else
		report(d, "iommu", NULL, FAIL, remedy,
		       "%s table present but /sys/kernel/iommu_groups is empty: the IOMMU is off",
		       dmar ? "DMAR" : "IVRS");

	/* Remapped interrupt chips are named "IR-..." in /proc/interrupts. */
	irq = slurp("/proc/interrupts");
	if (!groups)
		report(d, "irq_remapping", NULL, FAIL,
		       "enable the IOMMU first",
		       "no IOMMU, so no interrupt remapping");
	else if (irq && strstr(irq, "IR-"))
		report(d, "irq_remapping", NULL, PASS, NULL,
		       "interrupts are remapped (IR- chips in /proc/interrupts)");
	else
		report(d, "irq_remapping", NULL, WARN,
		       "enable x2APIC / interrupt remapping in the firmware; vfio then needs no allow_unsafe_interrupts",
		       "interrupt remapping is off: vfio refuses devices unless vfio_iommu_type1.allow_unsafe_interrupts=1");
	free(irq);

	/* Passthrough: the default domain type of the first group. */
	if (groups) {
		f = fopen("/sys/kernel/iommu_groups/0/type", "re");
		if (f) {
			if (!fgets(type, sizeof(type), f))
				type[0] = 0;
			fclose(f);
			type[strcspn(type, "\n")] = 0;
		}
		if (!strcmp(type, "identity"))
			report(d, "iommu_passthrough", NULL, PASS, NULL,
			       "host devices use identity mapping (iommu=pt)");
		else
			report(d, "iommu_passthrough", NULL, WARN,
			       "add iommu=pt to the kernel command line (gptctl cmdline)",
			       "host devices use DMA translation (domain type %s): slower host I/O",
			       *type ? type : "unknown");
	}
}

/* ---- the command line ---- */

/* The kernel's log buffer (dmesg), or NULL when it cannot be read. */
static char *kernel_log(void)
{
	int n = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf;

	if (n <= 0)
		n = 1 << 20;
	buf = malloc((size_t)n + 1);
	if (!buf)
		return NULL;
	n = klogctl(3, buf, n);		/* SYSLOG_ACTION_READ_ALL */
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

struct rejected_ctx {
	struct doctor *d;
	unsigned int n;
	char words[16][256];
};

static void report_rejected(const char *word, size_t wlen, const char *line,
			    size_t llen, void *arg)
{
	struct rejected_ctx *r = arg;
	char *remedy = kparams_remedy(word, wlen);

	report(r->d, "cmdline", NULL, WARN, remedy ? remedy : "remove it",
	       "the kernel rejected %.*s: \"%.*s\"", (int)wlen, word,
	       (int)llen, line);
	free(remedy);
	if (r->n < 16)
		snprintf(r->words[r->n], sizeof(r->words[0]), "%.*s", (int)wlen, word);
	r->n++;
}

/* amd_iommu= and intel_iommu= options no parser knows, log or not. */
static int known_bad(const char *key, size_t klen, const char *val,
		     size_t vlen, void *arg)
{
	struct rejected_ctx *r = arg;
	bool intel = klen == 11 && !strncmp(key, "intel_iommu", 11);
	char w[256], out[128], bad[64], *remedy;
	unsigned int i;

	if (!val || !(intel || (klen == 9 && !strncmp(key, "amd_iommu", 9))) ||
	    !kparams_iommu_value_fix(intel, val, vlen, out, sizeof(out), bad,
				     sizeof(bad)))
		return 0;
	snprintf(w, sizeof(w), "%.*s=%.*s", (int)klen, key, (int)vlen, val);
	for (i = 0; i < r->n && i < 16; i++)
		if (!strcmp(r->words[i], w))
			return 0;
	remedy = kparams_remedy(w, strlen(w));
	report(r->d, "cmdline", NULL, WARN, remedy ? remedy : "remove it",
	       "%s: no kernel's %s= parser has the option \"%s\" (the kernel log no longer holds the boot messages to confirm it)",
	       w, intel ? "intel_iommu" : "amd_iommu", bad);
	free(remedy);
	r->n++;
	return 0;
}

/*
 * Words of /proc/cmdline the kernel rejected: from its log (IOMMU options,
 * unknown parameters handed to init, module parameters such as vfio_pci.*
 * and gpupt.* refused at load), and the IOMMU options no kernel takes.
 */
static void check_cmdline(struct doctor *d)
{
	struct rejected_ctx r = { .d = d };
	char *log = kernel_log();
	bool whole = log && strstr(log, "Kernel command line:");

	if (log)
		kparams_rejected(d->cmdline, log, report_rejected, &r);
	if (!whole)
		cmdline_foreach(d->cmdline, known_bad, &r);
	if (!r.n)
		report(d, "cmdline", NULL, PASS, NULL, "%s",
		       whole ? "the kernel accepted every word of /proc/cmdline (checked against its log)" :
		       log ? "no rejected word known (the kernel log no longer holds the boot messages)" :
		       "no rejected word known (the kernel log is not readable: run as root for the full check)");
	free(log);
}

/* ---- modules ---- */

/* Loaded, built in, or in this kernel's module tree? */
static bool module_available(const char *release, const char *mod,
			     const char *file)
{
	char path[PATH_MAX], pat[64], *deps;
	bool found = false;
	int i;

	snprintf(path, sizeof(path), "/sys/module/%s", mod);
	if (file_exists(path))
		return true;
	for (i = 0; i < 2 && !found; i++) {
		snprintf(path, sizeof(path), "/lib/modules/%s/%s", release,
			 i ? "modules.builtin" : "modules.dep");
		deps = slurp(path);
		if (!deps)
			continue;
		snprintf(pat, sizeof(pat), "/%s.ko", file);
		found = strstr(deps, pat) != NULL;
		free(deps);
	}
	return found;
}

static void check_modules(struct doctor *d, const char *release)
{
	static const char *const mods[][2] = {
		{ "vfio", "vfio" },
		{ "vfio_pci", "vfio-pci" },
		{ "vfio_iommu_type1", "vfio_iommu_type1" },
	};
	char missing[128] = "";
	size_t i;

	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		if (!module_available(release, mods[i][0], mods[i][1]))
			snprintf(missing + strlen(missing),
				 sizeof(missing) - strlen(missing), "%s%s",
				 *missing ? ", " : "", mods[i][1]);
	if (*missing)
		report(d, "vfio_modules", NULL, FAIL,
		       "install a kernel with VFIO (CONFIG_VFIO_PCI) or its modules package",
		       "missing for %s: %s", release, missing);
	else
		report(d, "vfio_modules", NULL, PASS, NULL,
		       "vfio, vfio-pci and vfio_iommu_type1 are available");

	if (file_exists("/sys/module/gpupt"))
		report(d, "gpupt_module", NULL, PASS, NULL, "gpupt is loaded");
	else if (module_available(release, "gpupt", "gpupt"))
		report(d, "gpupt_module", NULL, WARN,
		       "modprobe gpupt, or gptctl setup to load it at boot",
		       "gpupt is installed for %s but not loaded", release);
	else
		report(d, "gpupt_module", NULL, FAIL,
		       "make dkms-install (builds gpupt for every installed kernel)",
		       "gpupt is not installed for %s", release);
}

/* ---- per device ---- */

struct devinfo {
	struct gpupt_addr addr;
	uint16_t vendor, device;
	uint32_t class_code;
};

static bool is_bridge(uint32_t class_code)
{
	uint32_t c = class_code >> 8;

	return c == 0x0600 || c == 0x0604 || c == 0x0609;
}

static bool same_slot(const struct gpupt_addr *a, const struct gpupt_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus &&
	       (a->devfn >> 3) == (b->devfn >> 3);
}

static int devinfo_read(const struct gpupt_addr *a, struct devinfo *di)
{
	uint64_t v, dv, c;

	if (pci_attr_u64(NULL, a, "vendor", &v) ||
	    pci_attr_u64(NULL, a, "device", &dv) ||
	    pci_attr_u64(NULL, a, "class", &c))
		return -ENODEV;
	di->addr = *a;
	di->vendor = (uint16_t)v;
	di->device = (uint16_t)dv;
	di->class_code = (uint32_t)c;
	return 0;
}

static void check_group(struct doctor *d, const struct devinfo *di)
{
	char path[PATH_MAX], others[768] = "", drv[64];
	struct dirent *e;
	unsigned int n = 0;
	long g;
	DIR *dir;

	g = sysfs_iommu_group(&di->addr);
	if (g < 0) {
		report(d, "iommu_group", &di->addr, FAIL,
		       "enable the IOMMU (see the iommu check)",
		       "no IOMMU group");
		return;
	}
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%ld/devices", g);
	dir = opendir(path);
	while (dir && (e = readdir(dir))) {
		struct gpupt_addr o;
		struct devinfo od;

		if (e->d_name[0] == '.' || addr_parse(e->d_name, &o) ||
		    same_slot(&o, &di->addr) || devinfo_read(&o, &od) ||
		    is_bridge(od.class_code))
			continue;
		if (pci_driver(NULL, &o, drv, sizeof(drv)))
			snprintf(drv, sizeof(drv), "no driver");
		snprintf(others + strlen(others), sizeof(others) - strlen(others),
			 "%s%s [%04x:%04x] (%s)", n ? ", " : "", e->d_name,
			 od.vendor, od.device, drv);
		n++;
	}
	if (dir)
		closedir(dir);
	if (n)
		report(d, "iommu_group", &di->addr, FAIL,
		       "move the card to a slot whose group it does not share (a CPU root port with ACS), or pass every device of the group to the same VM; the ACS override patch trades isolation away",
		       "group %ld is shared with %s", g, others);
	else
		report(d, "iommu_group", &di->addr, PASS, NULL,
		       "group %ld holds only this card's functions (and bridges)", g);
}

/* PCIe extended capability id in a config space dump, or 0. */
static unsigned int ext_cap(const uint8_t *cfg, size_t len, uint16_t id)
{
	unsigned int pos = 0x100, hops = 0;

	while (pos >= 0x100 && pos + 4 <= len && hops++ < 512) {
		uint32_t h = (uint32_t)cfg[pos] | (uint32_t)cfg[pos + 1] << 8 |
			     (uint32_t)cfg[pos + 2] << 16 |
			     (uint32_t)cfg[pos + 3] << 24;

		if (!h || h == 0xffffffff)
			return 0;
		if ((h & 0xffff) == id)
			return pos;
		pos = (h >> 20) & 0xffc;
	}
	return 0;
}

#define PCI_EXT_CAP_ID_ACS	0x0d
#define ACS_CTRL_NEEDED		0x1d	/* SV | RR | CR | UF */

static void check_acs(struct doctor *d, const struct devinfo *di)
{
	char path[PATH_MAX], real[PATH_MAX], *p, missing[512] = "";
	unsigned int ports = 0;

	pci_sysfs_path(NULL, &di->addr, NULL, path, sizeof(path));
	if (!realpath(path, real)) {
		report(d, "acs", &di->addr, WARN, NULL, "cannot resolve %s", path);
		return;
	}
	/* Walk up: /sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0 */
	while ((p = strrchr(real, '/')) && p > real) {
		struct gpupt_addr up;
		uint8_t *cfg;
		size_t len;
		unsigned int pos;
		char cpath[PATH_MAX + 8];

		*p = 0;
		p = strrchr(real, '/');
		if (!p || addr_parse(p + 1, &up))
			break;
		ports++;
		snprintf(cpath, sizeof(cpath), "%s/config", real);
		if (file_read_all(cpath, 4096, &cfg, &len))
			continue;
		if (len <= 0x100) {
			free(cfg);
			report(d, "acs", &di->addr, WARN,
			       "run gptctl doctor as root",
			       "cannot read extended config space (needs root)");
			return;
		}
		pos = ext_cap(cfg, len, PCI_EXT_CAP_ID_ACS);
		if (!pos || pos + 8 > len ||
		    ((cfg[pos + 6] | cfg[pos + 7] << 8) & ACS_CTRL_NEEDED) !=
		    ACS_CTRL_NEEDED)
			snprintf(missing + strlen(missing),
				 sizeof(missing) - strlen(missing), "%s%s%s",
				 *missing ? ", " : "", p + 1,
				 pos ? " (ACS off)" : "");
		free(cfg);
	}
	if (!ports)
		report(d, "acs", &di->addr, PASS, NULL,
		       "on a root bus: no bridge between it and the root complex");
	else if (*missing)
		report(d, "acs", &di->addr, WARN,
		       "isolation then rests on the IOMMU group check; prefer a slot below ports with ACS",
		       "bridges on its path without ACS: %s", missing);
	else
		report(d, "acs", &di->addr, PASS, NULL,
		       "every bridge on its path (%u) has ACS enabled", ports);
}

static void check_boot_vga(struct doctor *d, const struct devinfo *di)
{
	uint64_t boot = 0;

	pci_attr_u64(NULL, &di->addr, "boot_vga", &boot);
	if (boot == 1)
		report(d, "boot_vga", &di->addr, WARN,
		       "give the guest a clean ROM image (romfile=, see gptctl rom dump/check), or make another GPU the boot device in the firmware setup",
		       "the boot VGA device: the firmware ran and shadowed its ROM, and the kernel's copy is that modified shadow");
	else
		report(d, "boot_vga", &di->addr, PASS, NULL,
		       "not the boot VGA device");
}

static void check_bars(struct doctor *d, const struct devinfo *di)
{
	static const char *const fbs[] = {
		"efifb", "BOOTFB", "vesafb", "simplefb", "simple-framebuffer",
		"bochs-drm", NULL,
	};
	char path[PATH_MAX], unassigned[256] = "", held[256] = "", who[64];
	char *res, *p;
	unsigned int i;

	pci_sysfs_path(NULL, &di->addr, "resource", path, sizeof(path));
	res = slurp(path);
	if (!res) {
		report(d, "bars", &di->addr, WARN, NULL, "cannot read %s", path);
		return;
	}
	for (i = 0, p = res; i < 7 && *p; i++) {
		unsigned long long s, e, fl;

		if (sscanf(p, "%llx %llx %llx", &s, &e, &fl) == 3 && fl) {
			const char *name = i == 6 ? "ROM" : "BAR";

			if (!s && i != 6)
				snprintf(unassigned + strlen(unassigned),
					 sizeof(unassigned) - strlen(unassigned),
					 "%s%s%u (%llu MiB)", *unassigned ? ", " : "",
					 name, i, (e + 1) >> 20);
			else if (s && d->iomem &&
				 iomem_find(d->iomem, s, e, fbs, who, sizeof(who)))
				snprintf(held + strlen(held),
					 sizeof(held) - strlen(held),
					 "%s%s%u by %s", *held ? ", " : "", name,
					 i, who);
		}
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	free(res);
	if (*unassigned)
		report(d, "bars", &di->addr, FAIL,
		       "enable Above 4G Decoding in the firmware, or boot with pci=realloc; gptctl bars shows the bridge windows",
		       "unassigned: %s", unassigned);
	else if (*held)
		report(d, "bars", &di->addr, WARN,
		       "boot with video=efifb:off (or initcall_blacklist=sysfb_init) so no framebuffer claims the BAR",
		       "claimed by a framebuffer: %s", held);
	else
		report(d, "bars", &di->addr, PASS, NULL, "all BARs assigned, none claimed by a framebuffer");
}

static void check_reset(struct doctor *d, const struct devinfo *di)
{
	char methods[128] = "";
	bool has_attr;
	char path[PATH_MAX];

	has_attr = !pci_attr_str(NULL, &di->addr, "reset_method", methods,
				 sizeof(methods));
	pci_sysfs_path(NULL, &di->addr, "reset", path, sizeof(path));
	if (has_attr && *methods)
		report(d, "reset", &di->addr, PASS, NULL, "reset methods: %s", methods);
	else if (!has_attr && file_exists(path))
		report(d, "reset", &di->addr, PASS, NULL, "the device can be reset");
	else
		report(d, "reset", &di->addr, WARN,
		       "the device needs a bus reset (a slot of its own) or vendor-reset; otherwise it may not work in a second VM start",
		       "no reset method");
}

/*
 * The reset and power policy in force and where each setting comes from
 * (devices.conf, the built-in table, the kernel's default); WARN when the
 * kernel's order starts with a method the table says does not reset the
 * device, or when sysfs does not say what devices.conf asks for.
 */
static void check_policy(struct doctor *d, const struct devinfo *di,
			 const struct devconf *conf)
{
	char in_force[128] = "", d3[8] = "", remedy[256], table[256] = "";
	const char *bad;
	struct policy p;

	if (policy_for_addr(conf, &di->addr, &p))
		return;
	pci_attr_str(NULL, &di->addr, "reset_method", in_force,
		     sizeof(in_force));
	pci_attr_str(NULL, &di->addr, "d3cold_allowed", d3, sizeof(d3));
	if (p.quirk)
		snprintf(table, sizeof(table), "; table: %s", p.quirk->what);
	bad = policy_bad_method(&p, in_force);
	if (bad) {
		snprintf(remedy, sizeof(remedy),
			 "put \"addr %04x:%02x:%02x.%d reset=%s\" in %s and run gptctl apply",
			 di->addr.domain, di->addr.bus, di->addr.devfn >> 3,
			 di->addr.devfn & 7,
			 p.quirk->order ? p.quirk->order : "METHOD,...",
			 DEVCONF_PATH);
		report(d, "reset_policy", &di->addr, WARN, remedy,
		       "reset order in force \"%s\" (%s) starts with %s, which does not reset this device%s",
		       in_force, p.has_reset ? p.reset_src : "kernel default",
		       bad, table);
		return;
	}
	if (p.has_reset && strcmp(p.reset, "default") && strcmp(p.reset, in_force)) {
		report(d, "reset_policy", &di->addr, WARN,
		       "run gptctl apply (gpupt-apply.service does at boot)",
		       "%s asks for reset order \"%s\", the kernel's is \"%s\"",
		       p.reset_src, p.reset, in_force);
		return;
	}
	if (p.has_d3cold && strcmp(d3, p.d3cold ? "1" : "0")) {
		report(d, "reset_policy", &di->addr, WARN,
		       "run gptctl apply (gpupt-apply.service does at boot)",
		       "%s asks for d3cold=%s, d3cold_allowed is %s",
		       p.d3cold_src, p.d3cold ? "on" : "off", d3);
		return;
	}
	report(d, "reset_policy", &di->addr, PASS, NULL,
	       "reset order \"%s\" (%s), d3cold %s (%s), reset on handoff %s (%s)%s",
	       in_force[0] ? in_force : "none",
	       p.has_reset ? p.reset_src : "kernel default",
	       p.has_d3cold ? (p.d3cold ? "on" : "off") :
	       (!strcmp(d3, "0") ? "off" : "on"),
	       p.has_d3cold ? p.d3cold_src : "kernel default",
	       p.handoff_reset ? "yes" : "no", p.handoff_src, table);
}

/* Does the ids= list @s (as gpupt parses it) name the device? */
static bool idlist_names(const char *s, const struct devinfo *di)
{
	struct pci_id v[CFG_MAX_LIST];
	const char *bad;
	size_t n, i;

	if (idlist_parse(s, v, CFG_MAX_LIST, &n, &bad))
		return false;
	for (i = 0; i < n; i++)
		if (v[i].vendor == di->vendor && v[i].device == di->device)
			return true;
	return false;
}

/* Does the addrs= list @s name the function? */
static bool addrlist_names(const char *s, const struct gpupt_addr *a)
{
	struct gpupt_addr v[CFG_MAX_LIST];
	const char *bad;
	size_t n, i;

	if (addrlist_parse(s, v, CFG_MAX_LIST, &n, &bad))
		return false;
	for (i = 0; i < n; i++)
		if (addr_equal(&v[i], a))
			return true;
	return false;
}

/* Would a host driver take it at boot?  And is it held? */
static void check_driver(struct doctor *d, const struct devinfo *di)
{
	char drv[64], name[GPUPT_ADDR_STRLEN], ids[1024] = "", addrs[1024] = "";
	char modalias[256], id[16], remedy[512], nosoft[256] = "";
	bool bound, listed = false;

	addr_format(&di->addr, name);
	bound = !pci_driver(NULL, &di->addr, drv, sizeof(drv));
	/* gpupt's options come from modprobe.d or the kernel command line. */
	if (modprobe_option(d->modprobe, "gpupt", "ids", ids, sizeof(ids)))
		listed |= idlist_names(ids, di);
	if (modprobe_option(d->modprobe, "gpupt", "addrs", addrs, sizeof(addrs)))
		listed |= addrlist_names(addrs, &di->addr);
	if (cmdline_get(d->cmdline, "gpupt.ids", ids, sizeof(ids)))
		listed |= idlist_names(ids, di);
	if (cmdline_get(d->cmdline, "gpupt.addrs", addrs, sizeof(addrs)))
		listed |= addrlist_names(addrs, &di->addr);

	/* The drivers whose alias matches: each needs "softdep X pre: gpupt". */
	if (!pci_attr_str(NULL, &di->addr, "modalias", modalias,
			  sizeof(modalias))) {
		char *argv[] = { "modprobe", "-R", modalias, NULL };
		char *mods = run_capture(argv, TEXT_MAX), *p, *save = NULL;

		for (p = mods ? strtok_r(mods, "\n", &save) : NULL; p;
		     p = strtok_r(NULL, "\n", &save)) {
			if (!strcmp(p, "gpupt") || strstr(p, "vfio"))
				continue;
			if (!modprobe_softdep_pre(d->modprobe, p, "gpupt"))
				snprintf(nosoft + strlen(nosoft),
					 sizeof(nosoft) - strlen(nosoft), "%s%s",
					 *nosoft ? ", " : "", p);
		}
		free(mods);
	}

	snprintf(id, sizeof(id), "%04x:%04x", di->vendor, di->device);
	snprintf(remedy, sizeof(remedy), "gptctl setup --ids %s (or --addrs %s)",
		 id, name);
	if (!listed)
		report(d, "boot_claim", &di->addr, (di->class_code >> 16) == 3 ? WARN : FAIL,
		       remedy, "%s [%s] is not in gpupt's ids=/addrs= (modprobe.d or the command line): not held at boot",
		       name, id);
	else if (*nosoft)
		report(d, "boot_claim", &di->addr, FAIL,
		       "add \"softdep DRIVER pre: gpupt\" for each to " SETUP_MODPROBE_CONF " and regenerate the initramfs",
		       "listed, but these drivers would load without gpupt first: %s", nosoft);
	else
		report(d, "boot_claim", &di->addr, PASS, NULL,
		       "listed in gpupt's ids=/addrs=, and every matching host driver has a softdep on gpupt");

	snprintf(remedy, sizeof(remedy), "gptctl claim %s", name);
	if (!bound)
		report(d, "driver", &di->addr, WARN, remedy, "no driver bound");
	else if (!strcmp(drv, "gpupt") || driver_is_vfio(drv))
		report(d, "driver", &di->addr, PASS, NULL, "bound to %s", drv);
	else {
		snprintf(remedy, sizeof(remedy),
			 "gptctl claim --force %s now, and gptctl setup so it is held at boot",
			 name);
		report(d, "driver", &di->addr, WARN, remedy,
		       "bound to the host driver %s", drv);
	}
}

/*
 * A GPU on a host driver: what would block handing off its IOMMU group now
 * (processes, mappings, the console, firmware framebuffers), one line each.
 */
static void check_holders(struct doctor *d, const struct devinfo *di)
{
	struct gpupt_addr fns[64];
	struct holders h = { 0 };
	char path[PATH_MAX], drv[64], line[1024], *cut;
	struct dirent *e;
	size_t n = 0, i;
	DIR *dir;

	if (pci_driver(NULL, &di->addr, drv, sizeof(drv)) ||
	    !strcmp(drv, "gpupt") || driver_is_vfio(drv))
		return;
	pci_sysfs_path(NULL, &di->addr, "iommu_group/devices", path,
		       sizeof(path));
	dir = opendir(path);
	while (dir && (e = readdir(dir)) && n < 64) {
		struct gpupt_addr a;
		uint64_t cls;

		if (addr_parse(e->d_name, &a) ||
		    pci_attr_u64(NULL, &a, "class", &cls) ||
		    is_bridge((uint32_t)cls))
			continue;
		if (!pci_driver(NULL, &a, drv, sizeof(drv)) &&
		    strcmp(drv, "gpupt") && !driver_is_vfio(drv))
			fns[n++] = a;
	}
	if (dir)
		closedir(dir);
	else
		fns[n++] = di->addr;
	if (holders_find(fns, n, HOLDERS_ALL, &h)) {
		report(d, "holders", &di->addr, WARN, "run as root",
		       "cannot look for holders: out of memory");
		return;
	}
	if (!h.n)
		report(d, "holders", &di->addr, PASS, NULL,
		       "nothing on the host holds it or its IOMMU group: gptctl handoff --force would not wait");
	for (i = 0; i < h.n; i++) {
		holder_describe(&h.v[i], line, sizeof(line));
		cut = strstr(line, "; remedy: ");
		if (cut)
			*cut = '\0';
		report(d, "holders", &di->addr, WARN, h.v[i].remedy,
		       "a handoff would be refused: %s", line);
	}
	holders_free(&h);
}

/* ---- boot chain ---- */

static void check_initramfs(struct doctor *d, const char *release)
{
	char img[PATH_MAX], *list = NULL;
	bool dracut = false;

	snprintf(img, sizeof(img), "/boot/initrd.img-%s", release);
	if (!file_exists(img)) {
		snprintf(img, sizeof(img), "/boot/initramfs-%s.img", release);
		dracut = true;
	}
	if (!file_exists(img)) {
		report(d, "initramfs", NULL, WARN, NULL,
		       "no initramfs found for %s", release);
		return;
	}
	if (!dracut) {
		char *argv[] = { "lsinitramfs", img, NULL };

		list = run_capture(argv, TEXT_MAX);
	} else {
		char *argv[] = { "lsinitrd", img, NULL };

		list = run_capture(argv, TEXT_MAX);
	}
	if (!list)
		report(d, "initramfs", NULL, WARN,
		       "run as root, or install initramfs-tools / dracut",
		       "cannot list %s", img);
	else if (!strstr(list, "/gpupt.ko"))
		report(d, "initramfs", NULL, FAIL,
		       "gptctl setup --ids LIST (adds gpupt to the initramfs and regenerates it)",
		       "%s does not contain gpupt.ko: a host driver in the initramfs can take the GPU first",
		       img);
	else if (!strstr(list, "modprobe.d/gpupt.conf"))
		report(d, "initramfs", NULL, FAIL,
		       "gptctl setup --ids LIST, or regenerate the initramfs",
		       "%s contains gpupt.ko but not its options (modprobe.d/gpupt.conf)",
		       img);
	else
		report(d, "initramfs", NULL, PASS, NULL,
		       "%s contains gpupt.ko and its options", img);
	free(list);
}

static void check_secure_boot(struct doctor *d)
{
	static const char sb[] =
		"/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
	static const char magic[] = "~Module signature appended~\n";
	char *argv[] = { "modinfo", "-n", "gpupt", NULL };
	char *path;
	uint8_t *buf;
	size_t len;
	bool on;

	if (file_read_all(sb, 64, &buf, &len)) {
		report(d, "secure_boot", NULL, PASS, NULL,
		       file_exists("/sys/firmware/efi") ?
		       "Secure Boot state unknown (no SecureBoot variable)" :
		       "not booted through UEFI: no Secure Boot");
		return;
	}
	on = len >= 5 && buf[4] == 1;
	free(buf);
	if (!on) {
		report(d, "secure_boot", NULL, PASS, NULL, "Secure Boot is off");
		return;
	}
	path = run_capture(argv, TEXT_MAX);
	if (path)
		path[strcspn(path, "\n")] = 0;
	if (!path || file_read_all(path, 64u << 20, &buf, &len)) {
		report(d, "secure_boot", NULL, FAIL,
		       "make dkms-install, then enrol DKMS's key (mokutil --import /var/lib/dkms/mok.pub)",
		       "Secure Boot is on and gpupt.ko was not found");
		free(path);
		return;
	}
	if (len >= sizeof(magic) - 1 &&
	    !memcmp(buf + len - (sizeof(magic) - 1), magic, sizeof(magic) - 1))
		report(d, "secure_boot", NULL, PASS, NULL,
		       "Secure Boot is on and %s is signed", path);
	else
		report(d, "secure_boot", NULL, FAIL,
		       "sign it: DKMS signs with /var/lib/dkms/mok.key when present; enrol the key with mokutil --import /var/lib/dkms/mok.pub",
		       "Secure Boot is on and %s is not signed: the kernel refuses to load it",
		       path);
	free(buf);
	free(path);
}

/* ---- the device list ---- */

static int cmp_dev(const void *a, const void *b)
{
	return addr_cmp(&((const struct devinfo *)a)->addr,
			&((const struct devinfo *)b)->addr);
}

/* GPUs (display class) from sysfs, plus what gpupt reports if loaded. */
static size_t collect_devices(struct devinfo *out, size_t max)
{
	struct nlconn *nl;
	struct devrec *recs;
	struct dirent *e;
	size_t n = 0, nr, i, j;
	DIR *dir;

	dir = opendir(SYSFS_PCI_DEVICES);
	while (dir && (e = readdir(dir)) && n < max) {
		struct gpupt_addr a;

		if (!addr_parse(e->d_name, &a) && !devinfo_read(&a, &out[n]) &&
		    (out[n].class_code >> 16) == 0x03)
			n++;
	}
	if (dir)
		closedir(dir);

	if (file_exists("/sys/module/gpupt") && !nlconn_open(&nl)) {
		if (!devrec_dump(nl, &recs, &nr)) {
			for (i = 0; i < nr && n < max; i++) {
				if (!(recs[i].state & (GPUPT_DEV_S_HELD | GPUPT_DEV_S_MATCHED)) ||
				    recs[i].state & GPUPT_DEV_S_BRIDGE)
					continue;
				for (j = 0; j < n; j++)
					if (addr_equal(&out[j].addr, &recs[i].addr))
						break;
				if (j == n && !devinfo_read(&recs[i].addr, &out[n]))
					n++;
			}
			devrec_free_array(recs, nr);
		}
		nlconn_close(nl);
	}
	qsort(out, n, sizeof(*out), cmp_dev);
	return n;
}

/* ---- --domain-xml: GPUs on guest NUMA nodes pinned to the wrong socket ---- */

#define NUMA_MAX_CPUS	4096

/* "0-3,8,10-11" (^N exclusions as libvirt allows) into a bitmap.  0 or -1. */
static int cpulist_parse(const char *s, unsigned char *bits)
{
	memset(bits, 0, NUMA_MAX_CPUS / 8);
	while (*s) {
		bool excl = *s == '^';
		unsigned long a, b;
		char *end;

		if (excl)
			s++;
		a = strtoul(s, &end, 10);
		if (end == s || a >= NUMA_MAX_CPUS)
			return -1;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || b >= NUMA_MAX_CPUS || b < a)
				return -1;
		}
		for (unsigned long i = a; i <= b; i++) {
			if (excl)
				bits[i / 8] &= (unsigned char)~(1u << (i % 8));
			else
				bits[i / 8] |= (unsigned char)(1u << (i % 8));
		}
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return 0;
}

static bool bit(const unsigned char *bits, unsigned int i)
{
	return bits[i / 8] & (1u << (i % 8));
}

/* A host CPU's socket (physical_package_id), or -1. */
static long cpu_socket(unsigned int cpu)
{
	char path[96], *t;
	long v = -1;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%u/topology/physical_package_id", cpu);
	t = slurp(path);
	if (t)
		v = strtol(t, NULL, 10);
	free(t);
	return v;
}

/* The sockets of a host NUMA node's CPUs, as a bitmap of socket ids. */
static int node_sockets(long node, unsigned char *sockets)
{
	unsigned char cpus[NUMA_MAX_CPUS / 8];
	char path[96], *t;
	int ret;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%ld/cpulist", node);
	t = slurp(path);
	if (!t)
		return -1;
	t[strcspn(t, "\n")] = '\0';
	ret = cpulist_parse(t, cpus);
	free(t);
	memset(sockets, 0, NUMA_MAX_CPUS / 8);
	for (unsigned int c = 0; !ret && c < NUMA_MAX_CPUS; c++) {
		long so = bit(cpus, c) ? cpu_socket(c) : -1;

		if (so >= 0 && so < NUMA_MAX_CPUS)
			sockets[so / 8] |= (unsigned char)(1u << (so % 8));
	}
	return ret;
}

static const struct domxml_ctrl *ctrl_at(const struct domxml_topo *t, int index)
{
	for (size_t i = 0; i < t->nctrl; i++)
		if ((int)t->ctrl[i].index == index)
			return &t->ctrl[i];
	return NULL;
}

/* The guest NUMA node of the expander bus above guest bus @bus, or -1. */
static int guest_node_of(const struct domxml_topo *t, int bus, unsigned int *pxb)
{
	for (int depth = 0; bus > 0 && depth < 16; depth++) {
		const struct domxml_ctrl *c = ctrl_at(t, bus);

		if (!c)
			return -1;
		if (c->expander) {
			*pxb = c->index;
			return c->node;
		}
		bus = c->bus;
	}
	return -1;
}

static void check_domain_numa(struct doctor *d, const struct domxml_topo *t,
			      const char *file)
{
	unsigned char cells[NUMA_MAX_CPUS / 8], pins[NUMA_MAX_CPUS / 8],
		      sockets[NUMA_MAX_CPUS / 8];
	bool any = false;

	for (size_t i = 0; i < t->nhd; i++) {
		const struct gpupt_addr *a = &t->hd[i].src;
		const struct domxml_cell *cell = NULL;
		unsigned int pxb = 0, bad_vcpu = 0, bad_cpu = 0, npinned = 0;
		long host_node = -1, bad_socket = -1;
		uint64_t v;
		int g;

		if ((g = guest_node_of(t, t->hd[i].bus, &pxb)) < 0)
			continue;
		any = true;
		for (size_t k = 0; k < t->ncell; k++)
			if ((int)t->cell[k].id == g)
				cell = &t->cell[k];
		if (!cell || cpulist_parse(cell->cpus, cells)) {
			report(d, "numa", a, WARN, "add <cell id='N' cpus=...> to <cpu><numa> (gptctl libvirt --numa)",
			       "on expander bus %u with guest node %d, which %s has no valid <cell>",
			       pxb, g, file);
			continue;
		}
		if (!pci_attr_u64(NULL, a, "numa_node", &v) && (int64_t)v >= 0)
			host_node = (long)v;
		if (host_node < 0 || node_sockets(host_node, sockets)) {
			report(d, "numa", a, PASS, NULL,
			       "guest node %d; the host reports no NUMA node for this device", g);
			continue;
		}
		for (size_t k = 0; k < t->npin; k++) {
			unsigned int vc = t->pin[k].vcpu;

			if (vc >= NUMA_MAX_CPUS || !bit(cells, vc) ||
			    cpulist_parse(t->pin[k].cpuset, pins))
				continue;
			npinned++;
			for (unsigned int c = 0; c < NUMA_MAX_CPUS && bad_socket < 0; c++) {
				long so;

				if (!bit(pins, c))
					continue;
				so = cpu_socket(c);
				if (so >= 0 && so < NUMA_MAX_CPUS && !bit(sockets, (unsigned int)so)) {
					bad_vcpu = vc;
					bad_cpu = c;
					bad_socket = so;
				}
			}
		}
		if (bad_socket >= 0)
			report(d, "numa", a, WARN,
			       "pin that node's vCPUs to the GPU's host node (gptctl libvirt --numa prints <vcpupin>s)",
			       "on guest NUMA node %d (expander bus %u), host node %ld, but vCPU %u of that node is pinned to host CPU %u on socket %ld",
			       g, pxb, host_node, bad_vcpu, bad_cpu, bad_socket);
		else if (!npinned)
			report(d, "numa", a, WARN,
			       "pin that node's vCPUs with <cputune><vcpupin> (gptctl libvirt --numa)",
			       "on guest NUMA node %d (host node %ld), whose vCPUs %s are not pinned: the scheduler may run them on another socket",
			       g, host_node, cell->cpus);
		else
			report(d, "numa", a, PASS, NULL,
			       "on guest NUMA node %d, vCPUs %s pinned to host node %ld's socket",
			       g, cell->cpus, host_node);
	}
	if (!any)
		report(d, "numa", NULL, PASS, NULL,
		       "%s puts no PCI hostdev behind a NUMA expander bus", file);
}

static int read_domain(const char *file, struct domxml_topo **out)
{
	char err[256], *text = slurp(file);
	int ret;

	if (!text) {
		errmsg("--domain-xml: cannot read %s", file);
		return EXIT_FAIL;
	}
	*out = calloc(1, sizeof(**out));
	if (!*out) {
		free(text);
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	ret = domxml_topo_parse(text, strlen(text), *out, err, sizeof(err));
	free(text);
	if (ret) {
		errmsg("--domain-xml %s: %s", file, err);
		free(*out);
		*out = NULL;
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain-xml", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 }
	};
	struct domxml_topo *topo = NULL;
	const char *domain_xml = NULL;
	struct devinfo *devs;
	struct devconf conf;
	struct doctor d = { 0 };
	struct utsname u;
	size_t n = 0, i;
	int ret;

	while ((ret = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (ret != 'x')
			return EXIT_USAGE;
		domain_xml = optarg;
	}
	if (domain_xml && read_domain(domain_xml, &topo))
		return EXIT_FAIL;
	devs = calloc(MAX_DEVS, sizeof(*devs));
	if (!devs) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	for (i = (size_t)optind; i < (size_t)argc && n < MAX_DEVS; i++) {
		struct gpupt_addr a;

		ret = addr_arg(argv[i], &a);
		if (ret) {
			free(devs);
			free(topo);
			return ret;
		}
		if (devinfo_read(&a, &devs[n])) {
			errmsg("no PCI function at %s", argv[i]);
			free(devs);
			free(topo);
			return EXIT_FAIL;
		}
		n++;
	}
	if (optind == argc)
		n = collect_devices(devs, MAX_DEVS);
	uname(&u);
	d.modprobe = modprobe_all();
	d.cmdline = slurp("/proc/cmdline");
	d.iomem = slurp("/proc/iomem");
	if (!d.modprobe)
		d.modprobe = strdup("");
	if (!d.cmdline)
		d.cmdline = strdup("");

	if (policy_conf_load(DEVCONF_PATH, &conf) < 0)
		memset(&conf, 0, sizeof(conf));
	print_begin(gopts.json);
	open_json_array(NULL);
	if (d.modprobe && d.cmdline) {
		check_iommu(&d);
		check_cmdline(&d);
		check_modules(&d, u.release);
		for (i = 0; i < n; i++) {
			check_group(&d, &devs[i]);
			check_acs(&d, &devs[i]);
			if ((devs[i].class_code >> 16) == 0x03)
				check_boot_vga(&d, &devs[i]);
			check_bars(&d, &devs[i]);
			check_reset(&d, &devs[i]);
			check_policy(&d, &devs[i], &conf);
			check_driver(&d, &devs[i]);
			check_holders(&d, &devs[i]);
		}
		if (!n)
			report(&d, "devices", NULL, WARN,
			       "name the device: gptctl doctor ADDR",
			       "no GPU (display class device) found");
		check_initramfs(&d, u.release);
		check_secure_boot(&d);
		if (topo)
			check_domain_numa(&d, topo, domain_xml);
		print_text("%u FAIL, %u WARN\n", d.fails, d.warns);
	}
	close_json_array();
	print_end();

	ret = !d.modprobe || !d.cmdline ? EXIT_FAIL :
	      d.fails ? EXIT_FAIL : EXIT_OK;
	free(d.modprobe);
	free(d.cmdline);
	free(d.iomem);
	free(devs);
	free(topo);
	devconf_free(&conf);
	return ret;
}
