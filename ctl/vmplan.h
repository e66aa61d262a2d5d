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

struct vm_plan {
	unsigned int nslots;
	struct vm_slot *slot;		/* malloc'd */
	struct mmio_guest guest;
	struct mmio_plan mmio;
	unsigned int host_phys_bits;	/* 0 = unknown */
};

/*
 * Options shared by qemu and libvirt: --romfile FILE (for function 0 of
 * every slot whose function 0 is a display controller), --phys-bits N,
 * --hide-kvm.  x_vga only for qemu.
 */
struct vm_opts {
	const char *romfile;
	bool x_vga;
	bool hide_kvm;
	unsigned int phys_bits;		/* 0 = QEMU's default */
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

/* "0000:01:00.0" */
const char *vm_fn_addr(const struct bars_reply *r, char *buf);

#endif /* GPTCTL_VMPLAN_H */
