/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `gptctl qemu` and `gptctl libvirt` share: the host functions to pass
 * through, grouped into one guest pcie-root-port per host slot, their BARs,
 * and the MMIO plan with the sentences that explain it.
 */
#ifndef GPTCTL_VMPLAN_H
#define GPTCTL_VMPLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "bars.h"
#include "mmio.h"

#define VM_MAX_SLOTS	32

struct vm_slot {
	unsigned int nfn;
	struct bars_reply fn[8];	/* by ascending function number */
	struct mmio_window win;
};

/*
 * --numa: one guest NUMA node per host node that has one of the GPUs, in
 * ascending host node order; each gets a pxb-pcie expander with the
 * guest node, the GPUs' root ports behind it, an even share of --vcpus
 * and --memory, and its memory bound to the host node.
 */
struct vm_numa_node {
	unsigned int host_node;
	char host_cpus[256];		/* the host node's cpulist, "" if unknown */
	unsigned int vcpu_first, vcpu_last;
	unsigned long long mem_mb;
};

#define VM_NO_NODE	(-1)

struct vm_plan {
	unsigned int nslots;
	struct vm_slot *slot;		/* malloc'd */
	struct mmio_guest guest;
	struct mmio_plan mmio;
	unsigned int host_phys_bits;	/* 0 = unknown */
	unsigned int nnuma;		/* guest NUMA nodes (--numa) */
	struct vm_numa_node numa[VM_MAX_SLOTS];
	int slot_node[VM_MAX_SLOTS];	/* guest node of each slot, or VM_NO_NODE */
};

/*
 * Options shared by qemu and libvirt: --romfile FILE (for function 0 of
 * every slot whose function 0 is a display controller), --phys-bits N,
 * --hide-kvm, --numa with --vcpus N and --memory SIZE.  x_vga only for
 * qemu.
 */
struct vm_opts {
	const char *romfile;
	bool x_vga;
	bool hide_kvm;
	unsigned int phys_bits;		/* 0 = QEMU's default */
	bool numa;			/* --numa */
	unsigned int vcpus;		/* --vcpus N (with --numa) */
	unsigned long long mem_mb;	/* --memory SIZE (with --numa) */
};

/*
 * Parse options and ADDR operands (qemu: allow_x_vga), query the kernel for
 * every function of every named slot and plan the aperture.  Returns EXIT_OK
 * or the exit code (after printing the error).
 */
int vm_plan_build(int argc, char **argv, bool allow_x_vga,
		  struct vm_opts *opts, struct vm_plan *p);
void vm_plan_free(struct vm_plan *p);

/* Calls line() with each sentence explaining the plan (no newline). */
void vm_plan_explain(const struct vm_plan *p, const char *physbits_fix,
		     void (*line)(const char *s, void *arg), void *arg);

/* The plan as JSON members ("slots", "mmio") of the open object. */
void vm_plan_print_json(const struct vm_plan *p);

/* The --numa sentences ("guest NUMA node 0 = host node 0 ..."). */
void vm_plan_explain_numa(const struct vm_plan *p,
			  void (*line)(const char *s, void *arg), void *arg);

/* "0000:01:00.0" */
const char *vm_fn_addr(const struct bars_reply *r, char *buf);

#endif /* GPTCTL_VMPLAN_H */
