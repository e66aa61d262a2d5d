// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl libvirt ADDR... [--romfile FILE] [--hide-kvm] [--phys-bits N]
 *
 * libvirt domain XML snippets for a q35 guest: a pcie-root-port controller
 * (with --numa behind a pcie-expander-bus per host NUMA node, whose
 * <node> is the guest node that <cpu><numa>, <cputune> and <numatune>
 * tie to that host node) and <hostdev managed='no'> elements per host GPU
 * slot (function 0 with
 * multifunction='on', companions at the same guest slot), the OVMF 64-bit
 * MMIO knob as <sysinfo type='fwcfg'> and as the <qemu:commandline>
 * alternative for libvirt older than 6.5, <maxphysaddr> when the aperture
 * needs the host's phys-bits, and the KVM-hiding features.
 *
 * Text: each snippet follows a comment line "<!-- gpupt: inside <PARENT> -->"
 * naming the element it goes into.  JSON: "snippets" is an array of
 * {"parent", "xml"}.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gptctl.h"
#include "print.h"
#include "vmplan.h"

/* Guest bus index of our first pcie-root-port controller: above the 1..14
 * that virt-manager creates, so that the snippets do not collide. */
#define BUS_BASE	0x10
#define QEMU_NS		"http://libvirt.org/schemas/domain/qemu/1.0"
/* pcie-expander-bus busNr (--numa): 0x80, 0x90, ... as gptctl qemu */
#define PXB_BUS_BASE	0x80
#define PXB_BUS_STEP	0x10

struct snippet {
	const char *parent;	/* "devices", "domain", "features", "domain xmlns:qemu=..." */
	const char *note;	/* extra words for the comment, or NULL */
	char *xml;
	size_t len;
	FILE *f;
};

static void snip_open(struct snippet *s, const char *parent, const char *note)
{
	s->parent = parent;
	s->note = note;
	s->xml = NULL;
	s->f = open_memstream(&s->xml, &s->len);
	if (!s->f)
		abort();
}

static void snip_close(struct snippet *s)
{
	fclose(s->f);
	s->f = NULL;
	/* drop the final newline: the printer adds its own */
	if (s->len && s->xml[s->len - 1] == '\n')
		s->xml[--s->len] = '\0';
}

/* XML attribute value escaping for file names. */
static void xml_attr(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void comment_line(const char *s, void *arg)
{
	(void)arg;
	if (is_json()) {
		print_string(NULL, NULL, s);
		return;
	}
	/* "--" may not appear inside an XML comment */
	print_text("<!-- ");
	for (; *s; s++) {
		if (s[0] == '-' && s[1] == '-')
			print_text("- ");
		else
			print_text("%c", *s);
	}
	print_text(" -->\n");
}

int cmd_libvirt(int argc, char **argv)
{
	struct snippet sn[12];
	unsigned int ns = 0;
	struct vm_opts o;
	struct vm_plan p;
	char *romfile = NULL;
	char a[GPUPT_ADDR_STRLEN];
	int ret;

	ret = vm_plan_build(argc, argv, false, &o, &p);
	if (ret != EXIT_OK)
		return ret;
	if (o.romfile) {
		romfile = realpath(o.romfile, NULL);
		if (!romfile) {
			errmsg("warning: --romfile %s: not found here; libvirt needs it on the host that runs the guest",
			       o.romfile);
			romfile = strdup(o.romfile);
		}
	}

	/* <devices>: (--numa: an expander bus per guest node,) a root port per slot, then its functions */
	bool numa = o.numa && p.nnuma;
	unsigned int port_base = BUS_BASE + (numa ? p.nnuma : 0);
	unsigned int on_pxb[VM_MAX_SLOTS] = { 0 };

	snip_open(&sn[ns], "devices", NULL);
	for (unsigned int k = 0; numa && k < p.nnuma; k++) {
		fprintf(sn[ns].f, "<controller type='pci' model='pcie-expander-bus' index='%u'>\n", BUS_BASE + k);
		fprintf(sn[ns].f, "  <model name='pxb-pcie'/>\n");
		fprintf(sn[ns].f, "  <target busNr='%u'>\n    <node>%u</node>\n  </target>\n",
			PXB_BUS_BASE + PXB_BUS_STEP * k, k);
		fprintf(sn[ns].f, "</controller>\n");
	}
	for (unsigned int i = 0; i < p.nslots; i++) {
		const struct vm_slot *s = &p.slot[i];
		unsigned int bus = port_base + i;
		int node = numa ? p.slot_node[i] : VM_NO_NODE;

		if (node == VM_NO_NODE) {
			fprintf(sn[ns].f, "<controller type='pci' model='pcie-root-port' index='%u'/>\n", bus);
		} else {
			fprintf(sn[ns].f, "<controller type='pci' model='pcie-root-port' index='%u'>\n", bus);
			fprintf(sn[ns].f, "  <address type='pci' domain='0x0000' bus='0x%02x' slot='0x%02x' function='0x0'/>\n",
				BUS_BASE + node, on_pxb[node]++);
			fprintf(sn[ns].f, "</controller>\n");
		}
		for (unsigned int j = 0; j < s->nfn; j++) {
			const struct gpupt_addr *h = &s->fn[j].dev.addr;
			unsigned int fn = h->devfn & 7;

			fprintf(sn[ns].f, "<hostdev mode='subsystem' type='pci' managed='no'>\n");
			fprintf(sn[ns].f, "  <source>\n");
			fprintf(sn[ns].f, "    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n",
				h->domain, h->bus, h->devfn >> 3, fn);
			fprintf(sn[ns].f, "  </source>\n");
			if (j == 0 && romfile && (s->fn[j].dev.class >> 16) == 0x03) {
				fprintf(sn[ns].f, "  <rom file='");
				xml_attr(sn[ns].f, romfile);
				fprintf(sn[ns].f, "'/>\n");
			}
			fprintf(sn[ns].f, "  <address type='pci' domain='0x0000' bus='0x%02x' slot='0x00' function='0x%x'%s/>\n",
				bus, fn, j == 0 ? " multifunction='on'" : "");
			fprintf(sn[ns].f, "</hostdev>\n");
		}
	}
	snip_close(&sn[ns++]);

	if (p.mmio.knob_needed) {
		unsigned long long mb = (unsigned long long)p.mmio.knob_mb;

		snip_open(&sn[ns], "domain", "libvirt 6.5 or later");
		fprintf(sn[ns].f, "<sysinfo type='fwcfg'>\n");
		fprintf(sn[ns].f, "  <entry name='opt/ovmf/X-PciMmio64Mb'>%llu</entry>\n", mb);
		fprintf(sn[ns].f, "</sysinfo>\n");
		snip_close(&sn[ns++]);

		snip_open(&sn[ns], "domain xmlns:qemu='" QEMU_NS "'",
			  "instead of <sysinfo>, for older libvirt");
		fprintf(sn[ns].f, "<qemu:commandline>\n");
		fprintf(sn[ns].f, "  <qemu:arg value='-fw_cfg'/>\n");
		fprintf(sn[ns].f, "  <qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string=%llu'/>\n", mb);
		fprintf(sn[ns].f, "</qemu:commandline>\n");
		snip_close(&sn[ns++]);
	}
	if (numa) {
		snip_open(&sn[ns], "domain", "the guest NUMA nodes: vCPUs pinned and memory bound to the GPUs' host nodes; replaces <vcpu>, the cells' memory adds up to <memory>");
		fprintf(sn[ns].f, "<vcpu placement='static'>%u</vcpu>\n", o.vcpus);
		fprintf(sn[ns].f, "<cputune>\n");
		for (unsigned int k = 0; k < p.nnuma; k++)
			for (unsigned int v = p.numa[k].vcpu_first; v <= p.numa[k].vcpu_last; v++)
				if (p.numa[k].host_cpus[0])
					fprintf(sn[ns].f, "  <vcpupin vcpu='%u' cpuset='%s'/>\n", v,
						p.numa[k].host_cpus);
		fprintf(sn[ns].f, "</cputune>\n");
		fprintf(sn[ns].f, "<numatune>\n");
		for (unsigned int k = 0; k < p.nnuma; k++)
			fprintf(sn[ns].f, "  <memnode cellid='%u' mode='strict' nodeset='%u'/>\n",
				k, p.numa[k].host_node);
		fprintf(sn[ns].f, "</numatune>\n");
		snip_close(&sn[ns++]);
	}
	if (!p.mmio.fits || numa) {
		snip_open(&sn[ns], "domain", !p.mmio.fits ? "libvirt 8.7 or later" : NULL);
		fprintf(sn[ns].f, "<cpu%s>\n", !p.mmio.fits ? " mode='host-passthrough'" : "");
		if (!p.mmio.fits)
			fprintf(sn[ns].f, "  <maxphysaddr mode='passthrough'/>\n");
		if (numa) {
			fprintf(sn[ns].f, "  <numa>\n");
			for (unsigned int k = 0; k < p.nnuma; k++)
				fprintf(sn[ns].f, "    <cell id='%u' cpus='%u-%u' memory='%llu' unit='MiB'/>\n",
					k, p.numa[k].vcpu_first, p.numa[k].vcpu_last, p.numa[k].mem_mb);
			fprintf(sn[ns].f, "  </numa>\n");
		}
		fprintf(sn[ns].f, "</cpu>\n");
		snip_close(&sn[ns++]);
	}
	if (o.hide_kvm) {
		snip_open(&sn[ns], "features", "hides the hypervisor from old NVIDIA drivers (Code 43)");
		fprintf(sn[ns].f, "<kvm>\n  <hidden state='on'/>\n</kvm>\n");
		fprintf(sn[ns].f, "<hyperv>\n  <vendor_id state='on' value='gpupt'/>\n</hyperv>\n");
		snip_close(&sn[ns++]);
	}

	if (is_json()) {
		open_json_object(NULL);
		open_json_array("snippets");
		for (unsigned int i = 0; i < ns; i++) {
			open_json_object(NULL);
			print_string("parent", NULL, sn[i].parent);
			print_string("xml", NULL, sn[i].xml);
			close_json_object();
		}
		close_json_array();
		vm_plan_print_json(&p);
		open_json_array("notes");
		vm_plan_explain(&p, "add <maxphysaddr mode='passthrough'/> to <cpu mode='host-passthrough'>",
				comment_line, NULL);
		if (o.numa)
			vm_plan_explain_numa(&p, comment_line, NULL);
		close_json_array();
		close_json_object();
	} else {
		print_text("<!-- libvirt XML for a q35 domain with OVMF (gptctl libvirt %s%s) -->\n",
			   vm_fn_addr(&p.slot[0].fn[0], a), p.nslots > 1 ? " ..." : "");
		vm_plan_explain(&p, "add <maxphysaddr mode='passthrough'/> (below)",
				comment_line, NULL);
		if (o.numa)
			vm_plan_explain_numa(&p, comment_line, NULL);
		print_text("<!-- managed='no': hand the functions to vfio-pci first (gptctl handoff) -->\n");
		for (unsigned int i = 0; i < ns; i++) {
			print_text("<!-- gpupt: inside <%s>%s%s -->\n", sn[i].parent,
				   sn[i].note ? ", " : "", sn[i].note ? sn[i].note : "");
			print_text("%s\n", sn[i].xml);
		}
	}
	print_end();

	for (unsigned int i = 0; i < ns; i++)
		free(sn[i].xml);
	free(romfile);
	vm_plan_free(&p);
	return EXIT_OK;
}
