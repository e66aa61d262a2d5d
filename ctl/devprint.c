// SPDX-License-Identifier: GPL-2.0
/*
 * Device records on stdout, text or JSON, through the one printing path.
 */
#include <stdio.h>
#include <string.h>

#include "devprint.h"
#include "devrec.h"
#include "gptctl.h"
#include "pcinames.h"
#include "print.h"

static void print_reset_methods_json(const struct devrec *r)
{
	unsigned int i;

	open_json_array("reset_methods");
	for (i = 0; i < r->n_reset_methods; i++)
		print_string(NULL, NULL, reset_method_name(r->reset_methods[i]) ?
			     reset_method_name(r->reset_methods[i]) : "unknown");
	close_json_array();
}

static void reset_methods_text(const struct devrec *r, char *buf, size_t len)
{
	unsigned int i;
	size_t off = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n_reset_methods && off < len; i++) {
		const char *n = reset_method_name(r->reset_methods[i]);

		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? "," : "", n ? n : "?");
	}
	if (!r->n_reset_methods)
		snprintf(buf, len, "-");
}

/* SR-IOV: "physfn" (a VF's PF), "num_vfs"/"total_vfs" (a PF's); else null. */
static void print_sriov_json(const struct devrec *r)
{
	char pf[GPUPT_ADDR_STRLEN];

	if (r->has_physfn) {
		addr_format(&r->physfn, pf);
		print_string("physfn", NULL, pf);
	} else {
		print_null("physfn", NULL);
	}
	if (r->has_num_vfs) {
		print_uint("num_vfs", NULL, r->num_vfs);
		print_uint("total_vfs", NULL, r->total_vfs);
	} else {
		print_null("num_vfs", NULL);
		print_null("total_vfs", NULL);
	}
}

/* Text: " [VF of 0000:01:00.0]", " [PF, 3 of 7 VFs]" or "". */
static void sriov_text(const struct devrec *r, char *buf, size_t len)
{
	char pf[GPUPT_ADDR_STRLEN];

	buf[0] = '\0';
	if (r->has_physfn) {
		addr_format(&r->physfn, pf);
		snprintf(buf, len, " [VF of %s]", pf);
	} else if (r->has_num_vfs) {
		snprintf(buf, len, " [PF, %u of %u VFs]", r->num_vfs,
			 r->total_vfs);
	}
}

void print_devrec_fields(const struct devrec *r)
{
	char addr[GPUPT_ADDR_STRLEN], name[256];

	addr_format(&r->addr, addr);
	print_string("address", NULL, addr);
	print_hex("vendor", NULL, r->vendor, 4);
	print_hex("device", NULL, r->device, 4);
	print_hex("subsystem_vendor", NULL, r->subsys_vendor, 4);
	print_hex("subsystem_device", NULL, r->subsys_device, 4);
	print_hex("class", NULL, r->class, 6);
	print_string("name", NULL,
		     pci_device_name(r->vendor, r->device, name, sizeof(name)));
	print_string("driver", NULL, devrec_driver(r));
	print_string("driver_override", NULL,
		     r->has_driver_override ? r->driver_override : NULL);
	if (r->has_iommu_group)
		print_uint("iommu_group", NULL, r->iommu_group);
	else
		print_null("iommu_group", NULL);
	print_bool("boot_vga", NULL, devrec_boot_vga(r));
	print_bool("held", NULL, devrec_held(r));
	print_bool("matched", NULL, r->state & GPUPT_DEV_S_MATCHED);
	print_bool("vfio_open", NULL, r->state & GPUPT_DEV_S_OPEN);
	if (r->has_numa_node)
		print_int("numa_node", NULL, (int32_t)r->numa_node);
	else
		print_null("numa_node", NULL);
	print_reset_methods_json(r);
	print_sriov_json(r);
	print_bool("quarantined", NULL, devrec_quarantined(r));
	print_string("quarantine", NULL,
		     r->has_quarantine ? r->quarantine : NULL);
}

static int width(const char *s, int w)
{
	int l = (int)strlen(s);

	return l > w ? l : w;
}

void print_dev_list(const struct devrec *v, size_t n)
{
	char fmt_drv[16], fmt_grp[16], fmt_grp_null[16], rm[128], name[256];
	char addr[GPUPT_ADDR_STRLEN], num[24], sriov[48];
	int waddr = 7, wdrv = 6, wgrp = 5, wrm = 5;
	size_t i;

	if (is_json()) {
		open_json_array(NULL);
		for (i = 0; i < n; i++) {
			open_json_object(NULL);
			print_devrec_fields(&v[i]);
			close_json_object();
		}
		close_json_array();
		return;
	}
	/* column widths from the data, so the table stays aligned */
	for (i = 0; i < n; i++) {
		addr_format(&v[i].addr, addr);
		waddr = width(addr, waddr);
		wdrv = width(v[i].has_driver ? v[i].driver : "-", wdrv);
		snprintf(num, sizeof(num), "%u", v[i].iommu_group);
		if (v[i].has_iommu_group)
			wgrp = width(num, wgrp);
		reset_methods_text(&v[i], rm, sizeof(rm));
		wrm = width(rm, wrm);
	}
	snprintf(fmt_drv, sizeof(fmt_drv), "%%-%ds ", wdrv);
	snprintf(fmt_grp, sizeof(fmt_grp), "%%%dllu ", wgrp);
	snprintf(fmt_grp_null, sizeof(fmt_grp_null), "%%%ds ", wgrp);
	print_text("%-*s %-9s %-6s %-*s %*s %4s %-4s %-4s %-*s %s\n",
		   waddr, "ADDRESS", "ID", "CLASS", wdrv, "DRIVER", wgrp,
		   "GROUP", "NUMA", "BOOT", "HELD", wrm, "RESET", "NAME");
	for (i = 0; i < n; i++) {
		const struct devrec *r = &v[i];

		addr_format(&r->addr, addr);
		print_text("%-*s %04x:%04x %06x ", waddr, addr, r->vendor,
			   r->device, r->class);
		print_string("driver", fmt_drv, devrec_driver(r));
		if (r->has_iommu_group)
			print_uint("iommu_group", fmt_grp, r->iommu_group);
		else
			print_null("iommu_group", fmt_grp_null);
		if (r->has_numa_node)
			print_int("numa_node", "%4lld ", (int32_t)r->numa_node);
		else
			print_null("numa_node", "%4s ");
		print_bool("boot_vga", "%-4s ", devrec_boot_vga(r));
		print_bool("held", "%-4s ", devrec_held(r));
		reset_methods_text(r, rm, sizeof(rm));
		sriov_text(r, sriov, sizeof(sriov));
		print_text("%-*s %s%s%s\n", wrm, rm,
			   pci_device_name(r->vendor, r->device, name,
					   sizeof(name)), sriov,
			   devrec_quarantined(r) ? "  [QUARANTINED]" : "");
	}
}

void print_dev_show(const struct devrec *r)
{
	char addr[GPUPT_ADDR_STRLEN], name[256], cls[128], rm[128];

	if (is_json()) {
		open_json_object(NULL);
		print_devrec_fields(r);
		close_json_object();
		return;
	}
	addr_format(&r->addr, addr);
	print_text("%s %s: %s\n", addr,
		   pci_class_name(r->class, cls, sizeof(cls)),
		   pci_device_name(r->vendor, r->device, name, sizeof(name)));
	print_text("\tid:              %04x:%04x (subsystem %04x:%04x)\n",
		   r->vendor, r->device, r->subsys_vendor, r->subsys_device);
	print_text("\tclass:           %06x\n", r->class);
	print_string("driver", "\tdriver:          %s\n", devrec_driver(r));
	print_string("driver_override", "\tdriver_override: %s\n",
		     r->has_driver_override ? r->driver_override : NULL);
	if (r->has_iommu_group)
		print_uint("iommu_group", "\tiommu group:     %llu\n",
			   r->iommu_group);
	else
		print_null("iommu_group", "\tiommu group:     %s\n");
	if (r->has_numa_node)
		print_int("numa_node", "\tnuma node:       %lld\n",
			  (int32_t)r->numa_node);
	else
		print_null("numa_node", "\tnuma node:       %s\n");
	print_bool("boot_vga", "\tboot vga:        %s\n", devrec_boot_vga(r));
	print_bool("held", "\theld by gpupt:   %s\n", devrec_held(r));
	print_bool("matched", "\tids=/addrs=:     %s\n",
		   r->state & GPUPT_DEV_S_MATCHED);
	print_bool("vfio_open", "\tvfio open:       %s\n",
		   r->state & GPUPT_DEV_S_OPEN);
	reset_methods_text(r, rm, sizeof(rm));
	print_text("\treset methods:   %s\n", rm);
	if (r->has_physfn) {
		addr_format(&r->physfn, addr);
		print_text("\tSR-IOV:          VF of %s\n", addr);
	} else if (r->has_num_vfs) {
		print_text("\tSR-IOV:          PF, %u of %u VFs enabled\n",
			   r->num_vfs, r->total_vfs);
	}
	if (devrec_quarantined(r))
		print_text("\tquarantined:     %s\n",
			   r->has_quarantine ? r->quarantine : "yes");
}
