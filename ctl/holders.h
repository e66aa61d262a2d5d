/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who holds a PCI function on the host, found before anything is unbound
 * (so that an unbind that would wait for them is refused instead):
 *  - processes with an open file on one of its device nodes (every char or
 *    block device below the function in sysfs: DRM card and render nodes,
 *    /dev/fbN, the sound card's /dev/snd/ files, its vfio cdev; plus its
 *    vfio group /dev/vfio/N and the NVIDIA driver's /dev/nvidiaN);
 *  - processes mapping its sysfs resource files;
 *  - the console: fbcon bound to a virtual terminal while it draws on the
 *    function's framebuffer (its own fbdev, or a firmware framebuffer);
 *  - firmware framebuffers (efifb, vesafb, sysfb's BOOTFB and the
 *    simple-framebuffer drivers) whose memory lies inside one of its BARs.
 * Each process is named with its pid, command, file and systemd unit (from
 * /proc/PID/cgroup), and every holder comes with a remedy command.
 * Nothing here changes anything except holders_console_*().
 */
#ifndef GPTCTL_HOLDERS_H
#define GPTCTL_HOLDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* IOMMU group number of a function from sysfs, or -errno. */
long sysfs_iommu_group(const struct gpupt_addr *a);

/*
 * Print one "ADDR is in use: PATH is open in COMM (pid N)" line to stderr
 * per holder of the function's vfio files.  Returns the number printed.
 */
int report_vfio_holders(const struct gpupt_addr *a);

enum holder_kind {
	HOLDER_PROCESS,		/* an open file on a device node */
	HOLDER_MAPPING,		/* a mapping of a sysfs resource file */
	HOLDER_CONSOLE,		/* fbcon bound to a vtcon on its framebuffer */
	HOLDER_FIRMWARE_FB,	/* a firmware framebuffer inside a BAR */
};

struct holder {
	struct gpupt_addr addr;		/* the function held */
	enum holder_kind kind;
	int pid;			/* processes and mappings, else 0 */
	char comm[64];
	char file[256];			/* path held or mapped; console: the vtcon */
	char unit[128];			/* systemd unit, "" when none */
	char what[160];			/* console/firmware: what holds it */
	int vtcon;			/* console: N of vtconN, else -1 */
	int bar;			/* firmware framebuffer: BAR index, else -1 */
	char remedy[256];
};

struct holders {
	struct holder *v;
	size_t n, cap;
};

/*
 * The systemd unit in a /proc/PID/cgroup text: the deepest ".service" or
 * ".scope" component of the cgroup v2 path ("0::"), else of the v1
 * name=systemd hierarchy; "" when there is none.
 */
void holders_cgroup_unit(const char *cgroup, char *unit, size_t len);

/* Which holders to look for. */
#define HOLDERS_PROCESSES	(1U << 0)	/* processes and mappings */
#define HOLDERS_HOST		(1U << 1)	/* console and firmware framebuffers */
#define HOLDERS_ALL		(HOLDERS_PROCESSES | HOLDERS_HOST)

/*
 * Find the holders of the n functions in fns (what bits), appended to out
 * (zero-initialise it first; free with holders_free()).  0 or -ENOMEM.
 */
int holders_find(const struct gpupt_addr *fns, size_t n, unsigned int what,
		 struct holders *out);
void holders_free(struct holders *h);

/*
 * Does /proc/iomem list a firmware framebuffer anywhere?  Without one, a
 * function that stays off host drivers has no HOLDERS_HOST holder (the
 * console can only hold it through one), so its search can be skipped.
 */
bool holders_firmware_fb_present(void);

/* Number of holders of the given kind (or every kind for -1). */
size_t holders_count(const struct holders *h, int kind);

/* The text for one holder: "ADDR is in use: ...; remedy: ...". */
void holder_describe(const struct holder *ho, char *buf, size_t len);

/*
 * Print the holders through print.h: a "holders" array in JSON (caller
 * opens the enclosing object), and in text each holder on its own line on
 * stderr prefixed "gptctl: ".
 */
void holders_print(const struct holders *h);

/* Names of the kinds, as in JSON: "process", "mapping", "console", "firmware_framebuffer". */
const char *holder_kind_name(enum holder_kind k);

/*
 * The console: unbind (bind=false) or bind the vtcon.  0 or -errno.
 * holders_console_mark() records under /run/gpupt/console/ADDR which
 * vtcon a handoff unbound, so that release can bind it again;
 * holders_console_restore() does that for addr (waiting up to timeout_ms
 * for the host driver's framebuffer) and returns the vtcon bound, -1 when
 * there was no mark, or -errno.
 */
int holders_vtcon_bind(int vtcon, bool bind);
int holders_console_mark(const struct gpupt_addr *addr, int vtcon);
/*
 * --release-host: unbind the vtcon of every console holder in h and mark
 * it for release/unclaim (0, or -errno with everything undone); and undo
 * that after the kernel refused.
 */
int holders_consoles_release(const struct holders *h);
void holders_consoles_undo(const struct holders *h);
/* Bind fbcon's vtcon if it is registered and unbound (its number may have
 * changed while it had no framebuffer). */
int holders_fbcon_rebind(void);
void holders_console_unmark(const struct gpupt_addr *addr);
int holders_console_restore(const struct gpupt_addr *addr, int timeout_ms);

#endif /* GPTCTL_HOLDERS_H */
