// SPDX-License-Identifier: GPL-2.0
/*
 * Shared by gptctl qemu and gptctl libvirt: which host functions go to the
 * guest, on which root port, and how much 64-bit MMIO OVMF must provide.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devrec.h"
#include "gptctl.h"
#include "nl.h"
#include "print.h"
#include "vmplan.h"

#define PCI_SLOT_OF(devfn)	((devfn) >> 3)
#define PCI_FUNC_OF(devfn)	((devfn) & 7)

const char *vm_fn_addr(const struct bars_reply *r, char *buf)
{
	addr_format(&r->dev.addr, buf);
	return buf;
}

static bool same_slot(const struct gpupt_addr *a, const struct gpupt_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus &&
	       PCI_SLOT_OF(a->devfn) == PCI_SLOT_OF(b->devfn);
}

/* "address sizes	: 46 bits physical, 48 bits virtual" */
static unsigned int host_phys_bits(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	unsigned int bits = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *p;

		if (strncmp(line, "address sizes", 13))
			continue;
		p = strchr(line, ':');
		if (p && sscanf(p + 1, "%u bits physical", &bits) == 1)
			break;
	}
	fclose(f);
	return bits;
}

/*
 * Every function of the slot of a: the host's companions (HDMI audio, USB-C)
 * go to the same guest port.  Functions that do not exist answer ENODEV.
 */
static int collect_slot(struct nlconn *nl, const struct gpupt_addr *a,
			struct vm_slot *s)
{
	char buf[GPUPT_ADDR_STRLEN];

	s->nfn = 0;
	for (unsigned int fn = 0; fn < 8; fn++) {
		struct gpupt_addr f = *a;
		struct bars_reply *r = &s->fn[s->nfn];
		int err;

		f.devfn = (uint8_t)((PCI_SLOT_OF(a->devfn) << 3) | fn);
		err = bars_get(nl, &f, r);
		if (err == -ENODEV)
			continue;
		if (err) {
			addr_format(&f, buf);
			return nlconn_error(nl, err, "cannot read the BARs of %s", buf);
		}
		if (r->dev.state & GPUPT_DEV_S_BRIDGE) {
			devrec_free(&r->dev);
			continue;
		}
		s->nfn++;
	}
	if (!s->nfn || PCI_FUNC_OF(s->fn[0].dev.addr.devfn) != 0) {
		addr_format(a, buf);
		errmsg("%s: no function 0 in this slot to pass through", buf);
		for (unsigned int i = 0; i < s->nfn; i++)
			devrec_free(&s->fn[i].dev);
		s->nfn = 0;
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* "16G", "512M", "1T", "2048" (MiB).  0 or -EINVAL. */
static int parse_mem_mb(const char *s, unsigned long long *mb)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || s[0] == '-')
		return -EINVAL;
	if (!strcmp(end, "T") || !strcmp(end, "t"))
		v <<= 20;
	else if (!strcmp(end, "G") || !strcmp(end, "g"))
		v <<= 10;
	else if (*end && strcmp(end, "M") && strcmp(end, "m"))
		return -EINVAL;
	if (!v || v > (1ULL << 32))
		return -EINVAL;
	*mb = v;
	return 0;
}

/* /sys/devices/system/node/nodeN/cpulist, "" if unreadable. */
static void node_cpulist(unsigned int node, char *buf, size_t len)
{
	char path[96];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%u/cpulist", node);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * One guest node per host node of the slots' function 0, ascending; an
 * even split of the vCPUs and memory (the last node takes the rest).
 * Slots whose host node is unknown stay on pcie.0.  0 or EXIT_USAGE.
 */
static int plan_numa(const struct vm_opts *o, struct vm_plan *p)
{
	unsigned long long mem_each;
	unsigned int k;

	for (unsigned int i = 0; i < p->nslots; i++) {
		const struct devrec *r = &p->slot[i].fn[0].dev;

		p->slot_node[i] = VM_NO_NODE;
		if (!r->has_numa_node)
			continue;
		k = 0;
		while (k < p->nnuma && p->numa[k].host_node != r->numa_node)
			k++;
		if (k == p->nnuma)
			p->numa[p->nnuma++].host_node = r->numa_node;
	}
	/* ascending host node order */
	for (unsigned int i = 1; i < p->nnuma; i++)
		for (unsigned int j = i; j > 0 && p->numa[j - 1].host_node > p->numa[j].host_node; j--) {
			struct vm_numa_node t = p->numa[j];

			p->numa[j] = p->numa[j - 1];
			p->numa[j - 1] = t;
		}
	for (unsigned int i = 0; i < p->nslots; i++) {
		const struct devrec *r = &p->slot[i].fn[0].dev;

		for (k = 0; r->has_numa_node && k < p->nnuma; k++)
			if (p->numa[k].host_node == r->numa_node)
				p->slot_node[i] = (int)k;
	}
	if (!p->nnuma)
		return 0;
	if (o->vcpus < p->nnuma || o->mem_mb < p->nnuma) {
		usage_error("--numa: %u guest NUMA nodes need at least %u vCPUs and %u MiB",
			    p->nnuma, p->nnuma, p->nnuma);
		return EXIT_USAGE;
	}
	mem_each = o->mem_mb / p->nnuma;
	for (k = 0; k < p->nnuma; k++) {
		struct vm_numa_node *nn = &p->numa[k];

		node_cpulist(nn->host_node, nn->host_cpus, sizeof(nn->host_cpus));
		nn->vcpu_first = k * o->vcpus / p->nnuma;
		nn->vcpu_last = (k + 1) * o->vcpus / p->nnuma - 1;
		nn->mem_mb = k + 1 < p->nnuma ? mem_each :
			     o->mem_mb - mem_each * (p->nnuma - 1);
	}
	return 0;
}

void vm_plan_explain_numa(const struct vm_plan *p,
			  void (*line)(const char *s, void *arg), void *arg)
{
	char buf[1024], a[GPUPT_ADDR_STRLEN];
	bool unknown = false;

	for (unsigned int k = 0; k < p->nnuma; k++) {
		const struct vm_numa_node *nn = &p->numa[k];
		size_t off;

		off = (size_t)snprintf(buf, sizeof(buf),
				       "guest NUMA node %u = host node %u: vCPUs %u-%u pinned to host CPUs %s, %llu MiB bound to host node %u; GPUs",
				       k, nn->host_node, nn->vcpu_first, nn->vcpu_last,
				       nn->host_cpus[0] ? nn->host_cpus : "(unknown)",
				       nn->mem_mb, nn->host_node);
		for (unsigned int i = 0; i < p->nslots && off < sizeof(buf); i++)
			if (p->slot_node[i] == (int)k)
				off += (size_t)snprintf(buf + off, sizeof(buf) - off, " %s",
							vm_fn_addr(&p->slot[i].fn[0], a));
		line(buf, arg);
	}
	for (unsigned int i = 0; i < p->nslots; i++)
		if (p->slot_node[i] == VM_NO_NODE) {
			snprintf(buf, sizeof(buf), "%s: the host reports no NUMA node for it; its root port stays on pcie.0",
				 vm_fn_addr(&p->slot[i].fn[0], a));
			line(buf, arg);
			unknown = true;
		}
	if (!p->nnuma && unknown)
		line("--numa changes nothing here: no GPU has a NUMA node", arg);
}

void vm_plan_free(struct vm_plan *p)
{
	for (unsigned int i = 0; i < p->nslots; i++)
		for (unsigned int j = 0; j < p->slot[i].nfn; j++)
			devrec_free(&p->slot[i].fn[j].dev);
	free(p->slot);
	memset(p, 0, sizeof(*p));
}

int vm_plan_build(int argc, char **argv, bool allow_x_vga,
		  struct vm_opts *opts, struct vm_plan *p)
{
	static const struct option longopts[] = {
		{ "romfile", required_argument, NULL, 'r' },
		{ "x-vga", no_argument, NULL, 'v' },
		{ "hide-kvm", no_argument, NULL, 'k' },
		{ "phys-bits", required_argument, NULL, 'b' },
		{ "numa", no_argument, NULL, 'N' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct gpupt_addr slots[VM_MAX_SLOTS];
	struct mmio_port *ports;
	struct nlconn *nl;
	unsigned int n = 0;
	int c, err, ret;

	memset(p, 0, sizeof(*p));
	memset(opts, 0, sizeof(*opts));
	while ((c = cmd_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'r':
			opts->romfile = optarg;
			break;
		case 'v':
			if (!allow_x_vga)
				return usage_error("--x-vga is a QEMU option (libvirt has no equivalent)");
			opts->x_vga = true;
			break;
		case 'k':
			opts->hide_kvm = true;
			break;
		case 'b': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || end == optarg || v < 32 || v > 57)
				return usage_error("--phys-bits wants a number of bits, 32..57, not '%s'",
						   optarg);
			opts->phys_bits = (unsigned int)v;
			break;
		}
		case 'N':
			opts->numa = true;
			break;
		case 'c': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || end == optarg || v < 1 || v > 4096)
				return usage_error("--vcpus wants a number, 1..4096, not '%s'", optarg);
			opts->vcpus = (unsigned int)v;
			break;
		}
		case 'm':
			if (parse_mem_mb(optarg, &opts->mem_mb))
				return usage_error("--memory wants a size in MiB, or with a M, G or T suffix (e.g. 16G), not '%s'",
						   optarg);
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("missing PCI address");
	if (opts->numa && (!opts->vcpus || !opts->mem_mb))
		return usage_error("--numa needs the guest's --vcpus and --memory, to split them across its NUMA nodes");
	if (!opts->numa && (opts->vcpus || opts->mem_mb))
		return usage_error("--vcpus and --memory go with --numa");
	for (int i = optind; i < argc; i++) {
		struct gpupt_addr a;
		bool dup = false;

		if (addr_arg(argv[i], &a))
			return EXIT_USAGE;
		for (unsigned int k = 0; k < n; k++)
			dup |= same_slot(&slots[k], &a);
		if (dup)
			continue;
		if (n == VM_MAX_SLOTS)
			return usage_error("at most %d GPU slots per guest", VM_MAX_SLOTS);
		slots[n++] = a;
	}

	p->slot = calloc(n, sizeof(*p->slot));
	ports = calloc(n, sizeof(*ports));
	if (!p->slot || !ports) {
		free(ports);
		free(p->slot);
		p->slot = NULL;
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	ret = nlconn_connect(&nl);
	if (ret != EXIT_OK) {
		free(ports);
		vm_plan_free(p);
		return ret;
	}
	for (unsigned int i = 0; i < n && ret == EXIT_OK; i++) {
		ret = collect_slot(nl, &slots[i], &p->slot[i]);
		if (ret == EXIT_OK)
			p->nslots++;
	}
	nlconn_close(nl);
	if (ret != EXIT_OK) {
		free(ports);
		vm_plan_free(p);
		return ret;
	}

	if (opts->romfile) {
		bool gpu = false;

		for (unsigned int i = 0; i < p->nslots; i++)
			gpu |= (p->slot[i].fn[0].dev.class >> 16) == 0x03;
		if (!gpu) {
			free(ports);
			vm_plan_free(p);
			return usage_error("--romfile: none of these slots has a display controller at function 0");
		}
	}
	if (opts->numa && plan_numa(opts, p)) {
		free(ports);
		vm_plan_free(p);
		return EXIT_USAGE;
	}
	for (unsigned int i = 0; i < p->nslots; i++) {
		for (unsigned int j = 0; j < p->slot[i].nfn; j++)
			bars_to_port(&p->slot[i].fn[j], &ports[i]);
		mmio_port_window(&ports[i], &p->slot[i].win);
	}
	p->guest.phys_bits = opts->phys_bits;
	p->host_phys_bits = host_phys_bits();
	err = mmio_plan(ports, p->nslots, &p->guest, &p->mmio);
	free(ports);
	if (err == -E2BIG) {
		errmsg("these GPUs need more than 16 TiB of 64-bit MMIO, more than OVMF can give one guest");
		vm_plan_free(p);
		return EXIT_FAIL;
	}
	if (err) {
		errmsg("the kernel reported a BAR size that is not a power of two");
		vm_plan_free(p);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

#define SAY(...) do {						\
	snprintf(buf, sizeof(buf), __VA_ARGS__);		\
	line(buf, arg);						\
} while (0)

void vm_plan_explain(const struct vm_plan *p, const char *physbits_fix,
		     void (*line)(const char *s, void *arg), void *arg)
{
	const struct mmio_plan *m = &p->mmio;
	char buf[512], a[GPUPT_ADDR_STRLEN], s1[MMIO_SIZE_STRLEN],
	     s2[MMIO_SIZE_STRLEN], s3[MMIO_SIZE_STRLEN];

	for (unsigned int i = 0; i < p->nslots; i++) {
		const struct vm_slot *s = &p->slot[i];
		char fns[64] = "";
		size_t off = 0;

		for (unsigned int j = 1; j < s->nfn; j++)
			off += (size_t)snprintf(fns + off, sizeof(fns) - off, " .%u",
						PCI_FUNC_OF(s->fn[j].dev.addr.devfn));
		vm_fn_addr(&s->fn[0], a);
		if (s->win.pref64)
			SAY("%s%s%s: root port %u, 64-bit prefetchable window %s (aligned to %s)",
			    a, off ? " +" : "", fns, i, mmio_size_str(s->win.pref64, s1),
			    mmio_size_str(s->win.pref64_align, s2));
		else
			SAY("%s%s%s: root port %u, no 64-bit prefetchable BARs",
			    a, off ? " +" : "", fns, i);
	}

	mmio_size_str(m->pref64_total, s1);
	mmio_size_str(m->aperture, s2);
	if (m->knob_needed) {
		SAY("X-PciMmio64Mb=%llu: the windows need %s; with %s for the guest's other devices, rounded up to a power of two, that is %s.",
		    (unsigned long long)m->knob_mb, s1,
		    mmio_size_str(MMIO_RESERVE, s3), s2);
		SAY("OVMF's classic 64-bit MMIO window is 32 GiB: without the knob OVMF leaves the largest BAR unassigned (the guest driver then reports e.g. \"NVRM: BAR0 is 0M @ 0x0\").");
		mmio_size_str(m->dynamic, s3);
		if (m->knob_ignored)
			SAY("OVMF from edk2-stable202211 on sizes the window to 2^(phys-bits - 3) when it trusts the CPU's phys-bits: %s at %u bits, which holds %s; it then ignores the smaller knob, kept here for older OVMF and untrusted phys-bits.",
			    s3, m->phys_bits, s2);
		else
			SAY("OVMF from edk2-stable202211 on sizes the window to 2^(phys-bits - 3) when it trusts the CPU's phys-bits: %s at %u bits, smaller than %s, so the knob is what counts.",
			    s3, m->phys_bits, s2);
	} else {
		SAY("No X-PciMmio64Mb needed: the windows need %s (%s with room for other devices), which fits OVMF's classic 32 GiB window.",
		    s1, s2);
	}
	if (!m->fits) {
		SAY("The aperture ends at 2^%u, but the guest has %u phys-bits%s: %s.",
		    m->min_phys_bits, m->phys_bits,
		    m->phys_bits == MMIO_QEMU_PHYS_BITS && !p->guest.phys_bits ?
		    " (QEMU's default)" : "", physbits_fix);
		if (p->host_phys_bits &&
		    (p->host_phys_bits >= m->min_phys_bits ||
		     mmio_dynamic_window(p->host_phys_bits) >= m->aperture))
			SAY("This host has %u physical address bits, enough for it.",
			    p->host_phys_bits);
		else if (p->host_phys_bits)
			SAY("This host has only %u physical address bits: these BARs cannot all be mapped in one guest here; pass fewer GPUs per guest.",
			    p->host_phys_bits);
	}
}

void vm_plan_print_json(const struct vm_plan *p)
{
	const struct mmio_plan *m = &p->mmio;
	char a[GPUPT_ADDR_STRLEN];

	open_json_array("slots");
	for (unsigned int i = 0; i < p->nslots; i++) {
		const struct vm_slot *s = &p->slot[i];

		open_json_object(NULL);
		print_uint("port", NULL, i);
		open_json_array("functions");
		for (unsigned int j = 0; j < s->nfn; j++)
			print_string(NULL, NULL, vm_fn_addr(&s->fn[j], a));
		close_json_array();
		print_uint("pref64_window", NULL, s->win.pref64);
		print_uint("pref64_align", NULL, s->win.pref64_align);
		print_uint("mem32_window", NULL, s->win.mem32);
		close_json_object();
	}
	close_json_array();

	open_json_object("mmio");
	print_uint("pref64_total", NULL, m->pref64_total);
	print_uint("mem32_total", NULL, m->mem32_total);
	print_uint("aperture", NULL, m->aperture);
	print_bool("knob_needed", NULL, m->knob_needed);
	if (m->knob_needed)
		print_uint("x_pcimmio64mb", NULL, m->knob_mb);
	else
		print_null("x_pcimmio64mb", NULL);
	print_uint("phys_bits", NULL, m->phys_bits);
	print_uint("min_phys_bits", NULL, m->min_phys_bits);
	print_bool("fits", NULL, m->fits);
	print_uint("dynamic_window", NULL, m->dynamic);
	print_bool("knob_ignored", NULL, m->knob_ignored);
	if (p->host_phys_bits)
		print_uint("host_phys_bits", NULL, p->host_phys_bits);
	else
		print_null("host_phys_bits", NULL);
	close_json_object();
}
