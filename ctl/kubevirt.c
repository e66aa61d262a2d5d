// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl kubevirt [--name-style gpupt|nvidia] [--pci-ids FILE] [--root DIR]
 *
 * The merge patch for the KubeVirt CR that permits the PCI devices this
 * host has on vfio drivers:
 *
 *	spec:
 *	  configuration:
 *	    permittedHostDevices:
 *	      pciHostDevices:
 *	        - pciVendorSelector: "10DE:2330"
 *	          resourceName: "nvidia.com/GH100_H100_SXM5_80GB"
 *	          externalResourceProvider: true
 *
 * One entry per distinct VENDOR:DEVICE (upper-case hex, as KubeVirt
 * writes it).  SR-IOV virtual functions on vfio-pci are host devices like
 * any other to KubeVirt (its device plugin selects by ID and driver), so
 * they are listed the same way.  Text mode prints YAML, -j the same patch as JSON (usable
 * with kubectl patch --type merge -p).
 *
 * Resource names are Kubernetes extended resources: DOMAIN/NAME with a
 * DNS-1123 subdomain outside kubernetes.io and a NAME of at most 63
 * characters, [A-Za-z0-9] at both ends, [-_.A-Za-z0-9] inside.
 *  - gpupt style (default): gpupt.io/ + the pci.ids device name with
 *    every run of other characters turned into '_' ("gpupt.io/
 *    GH100_H100_SXM5_80GB"), or gpupt.io/pci-VVVV-DDDD without a name;
 *    virt-handler's own device plugin serves them.
 *  - nvidia style: what NVIDIA's kubevirt-gpu-device-plugin registers,
 *    nvidia.com/ + its transformation of the pci.ids name (upper case,
 *    '/', '.' and blanks to '_', other characters dropped), or the bare
 *    device ID without a name; externalResourceProvider: true.  The
 *    plugin serves only NVIDIA (10de) functions on vfio-pci itself (not a
 *    variant driver), one per IOMMU group (the group's first such
 *    function): others keep the gpupt style.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gptctl.h"
#include "print.h"

#define KV_MAX	64

struct kv_entry {
	uint16_t vendor, device;
	char resource[128];
	bool external;
};

static void gpupt_name(const char *pciname, uint16_t vendor, uint16_t device,
		       char *buf, size_t len)
{
	char name[64];
	size_t o = 0;
	bool sep = false;

	for (const char *s = pciname ? pciname : ""; *s && o < 63; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c)) {
			if (sep && o)
				name[o++] = '_';
			sep = false;
			if (o < 63)
				name[o++] = (char)c;
		} else {
			sep = true;
		}
	}
	while (o && !isalnum((unsigned char)name[o - 1]))
		o--;
	name[o] = '\0';
	if (o)
		snprintf(buf, len, "gpupt.io/%s", name);
	else
		snprintf(buf, len, "gpupt.io/pci-%04x-%04x", vendor, device);
}

/* --name-style gpupt|nvidia */
static int name_style_opt(int c, const char *arg, void *nvidia)
{
	(void)c;
	if (!strcmp(arg, "nvidia"))
		*(bool *)nvidia = true;
	else if (strcmp(arg, "gpupt"))
		return usage_error("unknown name style '%s' (gpupt or nvidia)", arg);
	return 0;
}

int cmd_kubevirt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name-style", required_argument, NULL, 's' },
		{ "pci-ids", required_argument, NULL, 'i' },
		{ "root", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct fleet_opts o;
	bool nvidia = false;
	struct kv_entry e[KV_MAX];
	struct fleet_dev *d;
	size_t n, ne = 0, i, j;
	long groups[KV_MAX * 4];
	size_t ngroups = 0;
	int err;

	err = fleet_getopt(argc, argv, "s:i:r:", longopts, NULL, &o,
			   name_style_opt, &nvidia);
	if (err)
		return err;

	err = fleet_scan(o.root, &d, &n);
	if (err) {
		errmsg("cannot list PCI devices: %s", strerror(-err));
		return EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		char pciname[256], name[96];
		bool has_name, ext = false, plugin;

		if (!fleet_is_vfio(&d[i]))
			continue;
		plugin = nvidia && d[i].vendor == 0x10de &&
			 !strcmp(d[i].driver, "vfio-pci");
		if (plugin && d[i].iommu_group >= 0) {
			/* the plugin exposes one function per IOMMU group */
			for (j = 0; j < ngroups; j++)
				if (groups[j] == d[i].iommu_group)
					break;
			if (j < ngroups)
				continue;
			if (ngroups < sizeof(groups) / sizeof(groups[0]))
				groups[ngroups++] = d[i].iommu_group;
		}
		for (j = 0; j < ne; j++)
			if (e[j].vendor == d[i].vendor && e[j].device == d[i].device)
				break;
		if (j < ne)
			continue;
		if (ne == KV_MAX) {
			errmsg("more than %d device IDs: the rest are left out", KV_MAX);
			break;
		}
		has_name = fleet_pci_name(&o, d[i].vendor, d[i].device, pciname,
					  sizeof(pciname));
		if (plugin) {
			if (has_name)
				fleet_nvidia_name(pciname, name, sizeof(name));
			else
				snprintf(name, sizeof(name), "%04x", d[i].device);
			snprintf(e[ne].resource, sizeof(e[ne].resource),
				 "nvidia.com/%s", name);
			ext = true;
		} else {
			if (nvidia)
				errmsg("warning: %04x:%04x %s: the NVIDIA plugin ignores it, virt-handler serves it under the gpupt name",
				       d[i].vendor, d[i].device,
				       d[i].vendor != 0x10de ? "is not an NVIDIA device" :
				       "is on a vfio variant driver, not vfio-pci");
			gpupt_name(has_name ? pciname : NULL, d[i].vendor,
				   d[i].device, e[ne].resource,
				   sizeof(e[ne].resource));
		}
		e[ne].vendor = d[i].vendor;
		e[ne].device = d[i].device;
		e[ne].external = ext;
		if (!k8s_qualified_name_ok(e[ne].resource)) {
			if (!ext) {
				errmsg("internal error: resource name '%s' breaks Kubernetes' rules",
				       e[ne].resource);
				free(d);
				return EXIT_FAIL;
			}
			errmsg("warning: the NVIDIA plugin's name '%s' breaks Kubernetes' rules: kubelet will refuse it",
			       e[ne].resource);
		}
		ne++;
	}
	free(d);
	/* Two IDs with the same name would be one resource: keep them apart. */
	for (i = 0; i < ne; i++)
		for (j = i + 1; j < ne; j++)
			if (!strcmp(e[i].resource, e[j].resource) && !e[j].external)
				snprintf(e[j].resource, sizeof(e[j].resource),
					 "gpupt.io/pci-%04x-%04x", e[j].vendor,
					 e[j].device);

	if (!ne)
		errmsg("warning: no device is on a vfio driver: the list is empty (gptctl apply or handoff first)");
	errmsg("note: a merge patch replaces the whole pciHostDevices list; add entries you keep for other hosts");
	errmsg("note: virt-handler%s discovers devices only when it starts: restart it after binding new devices (kubectl -n kubevirt rollout restart daemonset virt-handler)",
	       nvidia ? " and the NVIDIA device plugin" : "");

	open_json_object(NULL);
	open_json_object("spec");
	open_json_object("configuration");
	open_json_object("permittedHostDevices");
	print_text("# gptctl kubevirt: kubectl patch kubevirt kubevirt -n kubevirt --type merge --patch-file FILE\n"
		   "spec:\n  configuration:\n    permittedHostDevices:\n      pciHostDevices:%s\n",
		   ne ? "" : " []");
	open_json_array("pciHostDevices");
	for (i = 0; i < ne; i++) {
		char sel[16];

		snprintf(sel, sizeof(sel), "%04X:%04X", e[i].vendor, e[i].device);
		open_json_object(NULL);
		print_string("pciVendorSelector", "        - pciVendorSelector: \"%s\"\n", sel);
		print_string("resourceName", "          resourceName: \"%s\"\n", e[i].resource);
		if (e[i].external)
			print_bool("externalResourceProvider",
				   "          externalResourceProvider: true\n%.0s", true);
		close_json_object();
	}
	close_json_array();
	close_json_object();
	close_json_object();
	close_json_object();
	close_json_object();
	print_end();
	return EXIT_OK;
}
