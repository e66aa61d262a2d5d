// SPDX-License-Identifier: GPL-2.0
/*
 * Reset and power policy: the table of known reset behaviour, merged with
 * devices.conf, and its application to sysfs (see policy.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gptctl.h"
#include "policy.h"
#include "sysfile.h"

/*
 * AMD GPUs whose FLR and bus reset leave the SMU/PSP running ("the AMD
 * reset bug"); gnif/vendor-reset registers a device_specific reset for
 * exactly these IDs.  Source: vendor-reset src/device-db.h (Polaris
 * 10/11/12 -> amd_polaris10_ops, Vega 10 -> amd_vega10_ops, Vega 20 and
 * Arcturus MI100 -> amd_vega20_ops, Navi 10/12/14 -> amd_navi10_ops).
 */
static const uint16_t amd_vendor_reset_ids[] = {
	/* Polaris 10 */
	0x67c0, 0x67c1, 0x67c2, 0x67c4, 0x67c7, 0x67d0, 0x67df, 0x67c8,
	0x67c9, 0x67ca, 0x67cc, 0x67cf, 0x6fdf,
	/* Polaris 11 */
	0x67e0, 0x67e3, 0x67e8, 0x67eb, 0x67ef, 0x67ff, 0x67e1, 0x67e7,
	0x67e9,
	/* Polaris 12 */
	0x6980, 0x6981, 0x6985, 0x6986, 0x6987, 0x6995, 0x6997, 0x699f,
	/* Vega 10 */
	0x6860, 0x6861, 0x6862, 0x6863, 0x6864, 0x6867, 0x6868, 0x6869,
	0x686a, 0x686b, 0x686c, 0x686d, 0x686e, 0x686f, 0x687f,
	/* Vega 20 */
	0x66a0, 0x66a1, 0x66a2, 0x66a3, 0x66a4, 0x66a7, 0x66af,
	/* Navi 10 */
	0x7310, 0x7312, 0x7318, 0x7319, 0x731a, 0x731b, 0x731e, 0x731f,
	0x1681,
	/* Navi 14 */
	0x7340, 0x7341, 0x7347, 0x734f,
	/* Navi 12 */
	0x7360, 0x7362,
	/* Arcturus (Instinct MI100) */
	0x738c,
	0
};

static const struct reset_quirk quirks[] = {
	/*
	 * QEMU's emulated 82574L (e1000e, 8086:10d3, subsystem 8086:0000):
	 * its PM capability does not set No_Soft_Reset and nothing happens
	 * on a D3hot->D0 transition (hw/net/e1000e.c,
	 * e1000e_add_pm_capability(), QEMU 7.2), so the kernel's "pm" reset
	 * reports success and resets nothing: tests/vm/t50-reset-policy.sh
	 * shows RAL0 (BAR0 + 0x5400) keeping the value written before it.
	 */
	{ .vendor = 0x8086, .device = 0x10d3, .device_mask = 0xffff,
	  .avoid = "pm", .order = "bus",
	  .what = "the pm reset (D3hot->D0) reports success and resets nothing (QEMU e1000e)" },
	/*
	 * AMD/ATI VGA: the kernel's quirk_no_pm_reset() (drivers/pci/
	 * quirks.c) drops "pm": "Some AMD/ATI GPUS (HD8570 - Oland) report
	 * that a D3hot->D0 transition causes a reset (i.e., they advertise
	 * NoSoftRst-). This transition seems to have no effect on the
	 * device: it retains the framebuffer contents and monitor sync."
	 */
	{ .vendor = 0x1002, .device = 0, .device_mask = 0,
	  .class_code = 0x0300, .avoid = "pm",
	  .what = "the pm reset (D3hot->D0) leaves framebuffer and sync as they were (Linux quirk_no_pm_reset)" },
	/* AMD reset bug; source at amd_vendor_reset_ids above. */
	{ .vendor = 0x1002, .devices = amd_vendor_reset_ids,
	  .avoid = "flr bus", .order = "device_specific",
	  .handoff_reset = true,
	  .what = "FLR and bus reset leave the GPU hung for the next VM; load vendor-reset for its device_specific reset" },
	/*
	 * NVIDIA (device & 0xffc0) == 0x2340: Linux quirk_nvidia_no_bus_reset()
	 * (commit 4c207e7121fa, "PCI: Mark some NVIDIA GPUs to avoid bus
	 * reset"): "Some NVIDIA GPU devices do not work with bus reset, SBR
	 * needs to be prevented for those affected devices."
	 */
	{ .vendor = 0x10de, .device = 0x2340, .device_mask = 0xffc0,
	  .avoid = "bus", .order = "flr",
	  .what = "a secondary bus reset breaks the GPU (Linux quirk_nvidia_no_bus_reset)" },
};

static bool quirk_matches(const struct reset_quirk *q, uint16_t vendor,
			  uint16_t device, uint32_t class_code)
{
	const uint16_t *id;

	if (q->vendor != vendor)
		return false;
	if (q->class_code && (class_code >> 8) != q->class_code)
		return false;
	if (!q->devices)
		return (device & q->device_mask) == q->device;
	for (id = q->devices; *id; id++)
		if (*id == device)
			return true;
	return false;
}

const struct reset_quirk *quirk_find(uint16_t vendor, uint16_t device,
				     uint32_t class_code)
{
	size_t i;

	/* the most specific entry first: an ID list or mask before a class */
	for (i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
		if (!quirks[i].class_code &&
		    quirk_matches(&quirks[i], vendor, device, class_code))
			return &quirks[i];
	for (i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
		if (quirks[i].class_code &&
		    quirk_matches(&quirks[i], vendor, device, class_code))
			return &quirks[i];
	return NULL;
}

static void conf_err(unsigned int line, const char *msg, void *arg)
{
	errmsg("%s:%u: %s", (const char *)arg, line, msg);
}

int policy_conf_load(const char *path, struct devconf *conf)
{
	uint8_t *text = NULL;
	size_t len;
	int err;

	memset(conf, 0, sizeof(*conf));
	err = file_read_all(path, 1 << 20, &text, &len);
	if (err == -ENOENT)
		return 0;
	if (err) {
		errmsg("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	err = devconf_parse((const char *)text, conf, conf_err, (void *)path);
	free(text);
	return err;
}

static bool ruled(const struct devconf *conf, const struct gpupt_addr *a,
		  uint16_t vendor, uint16_t device, const char *pslot)
{
	struct devconf_policy dp;

	if (devconf_match(conf, a, vendor, device, pslot))
		return true;
	devconf_policy(conf, a, vendor, device, pslot, &dp);
	return dp.set;
}

void policy_for(const struct devconf *conf, const struct gpupt_addr *a,
		uint16_t vendor, uint16_t device, uint32_t class_code,
		const char *pslot, struct policy *out)
{
	struct devconf_policy dp = { 0 };
	const struct reset_quirk *q = quirk_find(vendor, device, class_code);

	memset(out, 0, sizeof(*out));
	out->quirk = q;
	if (conf) {
		devconf_policy(conf, a, vendor, device, pslot, &dp);
		out->ruled = ruled(conf, a, vendor, device, pslot);
	}
	snprintf(out->reset_src, sizeof(out->reset_src), "default");
	snprintf(out->d3cold_src, sizeof(out->d3cold_src), "default");
	snprintf(out->handoff_src, sizeof(out->handoff_src), "default");

	if (dp.set & DEVCONF_P_RESET) {
		out->has_reset = true;
		snprintf(out->reset, sizeof(out->reset), "%s", dp.reset);
		snprintf(out->reset_src, sizeof(out->reset_src),
			 "devices.conf:%u", dp.line[0]);
	} else if (q && q->order && out->ruled) {
		out->has_reset = true;
		snprintf(out->reset, sizeof(out->reset), "%s", q->order);
		snprintf(out->reset_src, sizeof(out->reset_src), "table");
	}
	if (dp.set & DEVCONF_P_D3COLD) {
		out->has_d3cold = true;
		out->d3cold = dp.d3cold;
		snprintf(out->d3cold_src, sizeof(out->d3cold_src),
			 "devices.conf:%u", dp.line[1]);
	}
	if (dp.set & DEVCONF_P_HANDOFF_RESET) {
		out->handoff_reset = dp.handoff_reset;
		snprintf(out->handoff_src, sizeof(out->handoff_src),
			 "devices.conf:%u", dp.line[2]);
	} else if (q && q->handoff_reset && out->ruled) {
		out->handoff_reset = true;
		snprintf(out->handoff_src, sizeof(out->handoff_src), "table");
	}
}

int policy_for_addr(const struct devconf *conf, const struct gpupt_addr *a,
		    struct policy *out)
{
	struct fleet_dev *d;
	size_t n, i;
	int err = fleet_scan(NULL, &d, &n);

	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (addr_equal(&d[i].addr, a))
			break;
	if (i == n) {
		free(d);
		return -ENODEV;
	}
	policy_for(conf, a, d[i].vendor, d[i].device, d[i].class, d[i].pslot,
		   out);
	free(d);
	return 0;
}

/* Write @val to the function's sysfs @attr unless it already reads @val. */
static int attr_set(const struct gpupt_addr *a, const char *attr,
		    const char *val, bool *changed, char *why, size_t len)
{
	char cur[128], path[256];
	int err;

	if (!pci_attr_str(NULL, a, attr, cur, sizeof(cur)) && !strcmp(cur, val))
		return 0;
	pci_sysfs_path(NULL, a, attr, path, sizeof(path));
	err = file_write_all(path, val, strlen(val));
	if (err) {
		snprintf(why, len, "cannot write \"%s\" to %s: %s", val, path,
			 strerror(-err));
		return err;
	}
	*changed = true;
	return 0;
}

int policy_apply(const struct gpupt_addr *a, const struct policy *p,
		 bool *changed, char *why, size_t len)
{
	char path[256];
	int err;

	*changed = false;
	if (p->has_reset) {
		pci_sysfs_path(NULL, a, "reset_method", path, sizeof(path));
		if (!file_exists(path)) {
			snprintf(why, len,
				 "%s is missing: setting the reset order needs Linux 5.15 or newer",
				 path);
			return -EOPNOTSUPP;
		}
		if (!strcmp(p->reset, "default")) {
			/* "default" never reads back: write it every time */
			err = file_write_all(path, "default", 7);
			if (err) {
				snprintf(why, len, "cannot write \"default\" to %s: %s",
					 path, strerror(-err));
				return err;
			}
		} else {
			err = attr_set(a, "reset_method", p->reset, changed,
				       why, len);
			if (err)
				return err;
		}
	}
	if (p->has_d3cold) {
		err = attr_set(a, "d3cold_allowed", p->d3cold ? "1" : "0",
			       changed, why, len);
		if (err)
			return err;
		/* off: keep runtime PM from suspending it at all */
		if (!p->d3cold) {
			err = attr_set(a, "power/control", "on", changed, why,
				       len);
			if (err)
				return err;
		}
	}
	return 0;
}

const char *policy_bad_method(const struct policy *p, const char *in_force)
{
	static char bad[32];
	char first[32], avoid[64], *save = NULL, *t;

	if (!p->quirk || !p->quirk->avoid || !in_force ||
	    sscanf(in_force, "%31s", first) != 1)
		return NULL;
	/* the kernel runs the first method that applies: that one counts */
	snprintf(avoid, sizeof(avoid), "%s", p->quirk->avoid);
	for (t = strtok_r(avoid, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (!strcmp(t, first)) {
			snprintf(bad, sizeof(bad), "%s", first);
			return bad;
		}
	}
	return NULL;
}
