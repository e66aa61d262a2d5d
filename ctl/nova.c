// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl nova [--by addr|id] [--pci-ids FILE] [--root DIR]
 *
 * A nova.conf [pci] snippet for the functions this host has on vfio
 * drivers: one device_spec per function (--by addr, the default) or per
 * VENDOR:DEVICE (--by id), each with "managed": "no" (gpupt, not libvirt,
 * binds them; libvirt must not detach them to a host driver when a guest
 * stops), and one alias per VENDOR:DEVICE with device_type type-PCI, named
 * after pci.ids ("gh100-h100-sxm5-80gb", else "pci-10de-2330").
 *
 * Nova releases before 2024.1 (Caracal) do not know the managed tag: they
 * accept it as an ordinary matching tag and libvirt's hostdev stays
 * managed='yes' (checked on Debian 12's Nova 26, Zed).  That is said on
 * stderr every time.  Nova rejects PCI domains above 0xffff (VMD): such
 * functions are left out with a warning.
 *
 * SR-IOV virtual functions on vfio are offered too.  Nova classifies a
 * VF as type-VF (and only a type-VF alias requests one), so a VF's ID gets
 * its own alias, named with a "-vf" suffix, with device_type type-VF;
 * Nova refuses two aliases of one name with different device types.
 *
 * JSON: {"device_spec": [{...}], "alias": [{...}]}, the same objects.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gptctl.h"
#include "print.h"

#define NOVA_MAX_IDS	64

struct nova_id {
	uint16_t vendor, device;
	bool vf;			/* SR-IOV VFs: alias type-VF */
	char alias[72];
};

static void alias_name(const char *pciname, const struct nova_id *id,
		       char *buf, size_t len)
{
	size_t o = 0;
	bool sep = false;

	for (const char *s = pciname ? pciname : ""; *s && o + 2 < len && o < 64; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c)) {
			if (sep && o)
				buf[o++] = '-';
			sep = false;
			buf[o++] = (char)tolower(c);
		} else {
			sep = true;
		}
	}
	buf[o] = '\0';
	if (!o)
		snprintf(buf, len, "pci-%04x-%04x", id->vendor, id->device);
	if (id->vf && strlen(buf) + 3 < len)
		strcat(buf, "-vf");
}

/* One device_spec or alias object: JSON object, or the INI line. */
static void spec_line(const char *key, const char *addr, const char *alias,
		      const struct nova_id *id)
{
	char v[8], p[8];

	snprintf(v, sizeof(v), "%04x", id->vendor);
	snprintf(p, sizeof(p), "%04x", id->device);
	open_json_object(NULL);
	print_text("%s = {", key);
	if (alias) {
		print_string("name", "\"name\": \"%s\", ", alias);
	}
	print_string("vendor_id", "\"vendor_id\": \"%s\", ", v);
	print_string("product_id", "\"product_id\": \"%s\"", p);
	if (addr)
		print_string("address", ", \"address\": \"%s\"", addr);
	if (alias)
		print_string("device_type", ", \"device_type\": \"%s\"",
			     id->vf ? "type-VF" : "type-PCI");
	else
		print_string("managed", ", \"managed\": \"%s\"", "no");
	print_text("}\n");
	close_json_object();
}

/* --by addr|id */
static int by_opt(int c, const char *arg, void *by_addr)
{
	(void)c;
	if (!strcmp(arg, "id"))
		*(bool *)by_addr = false;
	else if (strcmp(arg, "addr"))
		return usage_error("--by takes addr or id, not '%s'", arg);
	return 0;
}

int cmd_nova(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "pci-ids", required_argument, NULL, 'i' },
		{ "root", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct fleet_opts o;
	struct nova_id ids[NOVA_MAX_IDS];
	struct fleet_dev *d;
	size_t n, nids = 0, i, j, k;
	bool by_addr = true;
	int err;

	err = fleet_getopt(argc, argv, "b:i:r:", longopts, NULL, &o, by_opt,
			   &by_addr);
	if (err)
		return err;

	err = fleet_scan(o.root, &d, &n);
	if (err) {
		errmsg("cannot list PCI devices: %s", strerror(-err));
		return EXIT_FAIL;
	}

	print_text("# gptctl nova: device_spec goes into nova.conf on this compute host,\n"
		   "# alias on every host running nova-api or nova-compute\n[pci]\n");
	open_json_object(NULL);
	open_json_array("device_spec");
	for (i = 0; i < n; i++) {
		char a[GPUPT_ADDR_STRLEN], pciname[256];
		bool named;

		if (!fleet_is_vfio(&d[i]))
			continue;
		addr_format(&d[i].addr, a);
		if (d[i].addr.domain > 0xffff) {
			errmsg("warning: %s: Nova does not take PCI domains above ffff; left out", a);
			continue;
		}
		for (j = 0; j < nids; j++)
			if (ids[j].vendor == d[i].vendor && ids[j].device == d[i].device &&
			    ids[j].vf == d[i].is_vf)
				break;
		if (j == nids) {
			if (nids == NOVA_MAX_IDS) {
				errmsg("more than %d device IDs: the rest are left out",
				       NOVA_MAX_IDS);
				break;
			}
			ids[j].vendor = d[i].vendor;
			ids[j].device = d[i].device;
			ids[j].vf = d[i].is_vf;
			named = fleet_pci_name(&o, d[i].vendor, d[i].device, pciname,
					       sizeof(pciname));
			alias_name(named ? pciname : NULL, &ids[j], ids[j].alias,
				   sizeof(ids[j].alias));
			nids++;
			/* one spec per ID, whether PF-kind or VF-kind */
			for (k = 0; k < j; k++)
				if (ids[k].vendor == ids[j].vendor &&
				    ids[k].device == ids[j].device)
					break;
			if (!by_addr && k == j)
				spec_line("device_spec", NULL, NULL, &ids[j]);
		}
		if (by_addr)
			spec_line("device_spec", a, NULL, &ids[j]);
	}
	free(d);
	close_json_array();

	/* Alias names must be unique per device type: keep them apart. */
	for (i = 0; i < nids; i++)
		for (j = i + 1; j < nids; j++)
			if (!strcmp(ids[i].alias, ids[j].alias))
				snprintf(ids[j].alias, sizeof(ids[j].alias),
					 "pci-%04x-%04x%s", ids[j].vendor, ids[j].device,
					 ids[j].vf ? "-vf" : "");
	open_json_array("alias");
	for (i = 0; i < nids; i++)
		spec_line("alias", NULL, ids[i].alias, &ids[i]);
	close_json_array();
	close_json_object();
	print_end();

	if (!nids)
		errmsg("warning: no device is on a vfio driver: nothing to offer Nova (gptctl apply or handoff first)");
	errmsg("note: \"managed\": \"no\" keeps libvirt from moving the devices off vfio-pci; Nova releases before 2024.1 (Caracal) ignore the managed tag (it becomes a plain matching tag) and let libvirt detach and re-attach the devices itself");
	errmsg("note: restart nova-compute (and nova-api for the alias) to load the [pci] section");
	return EXIT_OK;
}
