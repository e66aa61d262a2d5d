// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl qemu ADDR... [--romfile FILE] [--x-vga] [--hide-kvm] [--phys-bits N]
 *
 * QEMU arguments for a q35 guest: one pcie-root-port per host GPU slot
 * (with --numa behind a pxb-pcie expander per host NUMA node, carrying
 * the guest node whose vCPUs and memory belong to that host node),
 * function 0 as multifunction=on at addr=00.0 and the slot's companions at
 * addr=00.N on the same port, the OVMF 64-bit MMIO knob when it is needed,
 * and -cpu when the aperture needs the host's phys-bits or KVM must be
 * hidden.  Text: "# " lines that explain the plan, then the arguments one
 * option per line, shell-quoted, joined with " \".  JSON: "args" is the
 * argument vector.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gptctl.h"
#include "print.h"
#include "vmplan.h"

#define MAX_ARGS	(VM_MAX_SLOTS * 26 + 20)

/* Guest chassis numbers for our root ports; away from libvirt's 1..N. */
#define CHASSIS_BASE	0x40
/* pxb-pcie bus numbers (--numa): 0x80, 0x90, ... leave pcie.0 0..0x7f */
#define PXB_BUS_BASE	0x80
#define PXB_BUS_STEP	0x10
/* hv_vendor_id is at most 12 characters */
#define HV_VENDOR_ID	"gpupt"

struct argv_buf {
	unsigned int n;
	char *v[MAX_ARGS];
};

static void add_arg(struct argv_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_arg(struct argv_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (b->n == MAX_ARGS)
		abort();
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	b->v[b->n++] = s;
}

/* A QEMU option value may not contain a bare ',' (it is ",," in QEMU). */
static char *qemu_escape(const char *s)
{
	size_t n = strlen(s), k = 0;
	char *o = malloc(2 * n + 1);

	if (!o)
		abort();
	for (size_t i = 0; i < n; i++) {
		o[k++] = s[i];
		if (s[i] == ',')
			o[k++] = ',';
	}
	o[k] = '\0';
	return o;
}

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._=/:+-@%", *s))
			return false;
	return true;
}

static void print_shell_word(const char *s)
{
	if (shell_safe(s)) {
		print_text("%s", s);
		return;
	}
	print_text("'");
	for (; *s; s++) {
		if (*s == '\'')
			print_text("'\\''");
		else
			print_text("%c", *s);
	}
	print_text("'");
}

static void comment_line(const char *s, void *arg)
{
	(void)arg;
	if (is_json())
		print_string(NULL, NULL, s);
	else
		print_text("# %s\n", s);
}

static int build_args(const struct vm_plan *p, const struct vm_opts *o,
		      const char *romfile, struct argv_buf *b)
{
	char a[GPUPT_ADDR_STRLEN];

	bool numa = o->numa && p->nnuma;

	if (numa) {
		add_arg(b, "-m");
		add_arg(b, "%lluM", o->mem_mb);
		add_arg(b, "-smp");
		add_arg(b, "%u", o->vcpus);
	}
	for (unsigned int k = 0; numa && k < p->nnuma; k++) {
		const struct vm_numa_node *nn = &p->numa[k];

		add_arg(b, "-object");
		add_arg(b, "memory-backend-ram,id=gpupt-mem%u,size=%lluM,host-nodes=%u,policy=bind",
			k, nn->mem_mb, nn->host_node);
		add_arg(b, "-numa");
		add_arg(b, "node,nodeid=%u,cpus=%u-%u,memdev=gpupt-mem%u", k,
			nn->vcpu_first, nn->vcpu_last, k);
		add_arg(b, "-device");
		add_arg(b, "pxb-pcie,id=gpupt-pxb%u,bus_nr=%u,numa_node=%u,bus=pcie.0",
			k, PXB_BUS_BASE + PXB_BUS_STEP * k, k);
	}
	for (unsigned int i = 0; i < p->nslots; i++) {
		const struct vm_slot *s = &p->slot[i];
		char bus[32] = "pcie.0";

		if (numa && p->slot_node[i] != VM_NO_NODE)
			snprintf(bus, sizeof(bus), "gpupt-pxb%d", p->slot_node[i]);
		add_arg(b, "-device");
		add_arg(b, "pcie-root-port,id=gpupt-rp%u,bus=%s,chassis=%u,slot=0",
			i, bus, CHASSIS_BASE + i);
		for (unsigned int j = 0; j < s->nfn; j++) {
			const struct bars_reply *r = &s->fn[j];
			unsigned int fn = r->dev.addr.devfn & 7;
			bool f0 = j == 0;
			bool rom = f0 && romfile && (r->dev.class >> 16) == 0x03;

			add_arg(b, "-device");
			add_arg(b, "vfio-pci,host=%s,id=gpupt%u%s%.0u,bus=gpupt-rp%u,addr=00.%u%s%s%s%s",
				vm_fn_addr(r, a), i, fn ? "-" : "", fn, i, fn,
				f0 ? ",multifunction=on" : "",
				f0 && o->x_vga && i == 0 ? ",x-vga=on" : "",
				rom ? ",romfile=" : "", rom ? romfile : "");
		}
	}
	if (o->x_vga) {
		add_arg(b, "-vga");
		add_arg(b, "none");
	}
	if (p->mmio.knob_needed) {
		add_arg(b, "-fw_cfg");
		add_arg(b, "name=opt/ovmf/X-PciMmio64Mb,string=%llu",
			(unsigned long long)p->mmio.knob_mb);
	}
	if (!p->mmio.fits || o->hide_kvm) {
		add_arg(b, "-cpu");
		add_arg(b, "host%s%s", p->mmio.fits ? "" : ",host-phys-bits=on",
			o->hide_kvm ? ",kvm=off,hv_vendor_id=" HV_VENDOR_ID : "");
	}
	return 0;
}

int cmd_qemu(int argc, char **argv)
{
	struct argv_buf b = { 0 };
	struct vm_opts o;
	struct vm_plan p;
	char *romfile = NULL;
	int ret;

	ret = vm_plan_build(argc, argv, true, &o, &p);
	if (ret != EXIT_OK)
		return ret;

	if (o.x_vga && (p.slot[0].fn[0].dev.class >> 8) != 0x0300) {
		char a[GPUPT_ADDR_STRLEN];

		errmsg("--x-vga: %s is not a VGA controller (class %06x)",
		       vm_fn_addr(&p.slot[0].fn[0], a), p.slot[0].fn[0].dev.class);
		vm_plan_free(&p);
		return EXIT_USAGE;
	}
	if (o.romfile) {
		/* QEMU looks up relative romfile= names in its data directory */
		char *abs = realpath(o.romfile, NULL);

		if (!abs)
			errmsg("warning: --romfile %s: not found here; QEMU needs it on the host that runs the guest",
			       o.romfile);
		romfile = qemu_escape(abs ? abs : o.romfile);
		free(abs);
	}

	build_args(&p, &o, romfile, &b);

	if (is_json()) {
		open_json_object(NULL);
		open_json_array("args");
		for (unsigned int i = 0; i < b.n; i++)
			print_string(NULL, NULL, b.v[i]);
		close_json_array();
		vm_plan_print_json(&p);
		open_json_array("notes");
		vm_plan_explain(&p, "add -cpu host,host-phys-bits=on", comment_line, NULL);
		if (o.numa)
			vm_plan_explain_numa(&p, comment_line, NULL);
		close_json_array();
		close_json_object();
	} else {
		print_text("# QEMU arguments for a q35 guest with OVMF (gptctl qemu)\n");
		vm_plan_explain(&p, "add -cpu host,host-phys-bits=on (printed below)",
				comment_line, NULL);
		if (o.hide_kvm)
			print_text("# -cpu ...,kvm=off,hv_vendor_id=%s hides the hypervisor from old NVIDIA drivers (Code 43)\n",
				   HV_VENDOR_ID);
		if (o.x_vga)
			print_text("# x-vga=on makes the GPU the guest's legacy VGA; -vga none removes the emulated one\n");
		if (o.numa) {
			vm_plan_explain_numa(&p, comment_line, NULL);
			if (p.nnuma)
				print_text("# -m and -smp below replace the guest's own; QEMU does not pin vCPU threads: pin them as above (taskset, or libvirt's <vcpupin>)\n");
		}
		for (unsigned int i = 0; i < b.n; i += 2) {
			print_shell_word(b.v[i]);
			if (i + 1 < b.n) {
				print_text(" ");
				print_shell_word(b.v[i + 1]);
			}
			print_text("%s\n", i + 2 < b.n ? " \\" : "");
		}
	}
	print_end();

	for (unsigned int i = 0; i < b.n; i++)
		free(b.v[i]);
	free(romfile);
	vm_plan_free(&p);
	return EXIT_OK;
}
