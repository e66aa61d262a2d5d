/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel command line words gptctl writes (cmdline, setup, doctor's
 * remedies), each with its reason, its source in the kernel and whether
 * the running kernel already behaves that way; and the words the kernel
 * rejected, found in its log.
 *
 * The IOMMU word follows the firmware, not the CPU vendor: an ACPI DMAR
 * table describes Intel VT-d (intel_iommu=on), an IVRS table AMD-Vi, which
 * the kernel enables by itself (amd_iommu= has no "on" option).
 */
#ifndef GPTCTL_KPARAMS_H
#define GPTCTL_KPARAMS_H

#include <stdbool.h>
#include <stddef.h>

enum fw_iommu {
	FW_IOMMU_NONE,		/* neither table: off in the firmware, or absent */
	FW_IOMMU_INTEL,		/* /sys/firmware/acpi/tables/DMAR */
	FW_IOMMU_AMD,		/* /sys/firmware/acpi/tables/IVRS */
};

/* What the firmware describes; DMAR wins if both exist. */
enum fw_iommu kparams_fw_iommu(void);

#define KWORD_MAX	8

struct kword {
	char *word;		/* "intel_iommu=on" */
	char *reason;
	char *source;		/* parser and documentation, with the version */
	int already;		/* running kernel without it: 1 yes, 0 no, -1 unknown */
	char *already_detail;	/* how that was found */
};

struct kwords {
	unsigned int n;
	struct kword w[KWORD_MAX];
	enum fw_iommu fw;
	char kernel[65];	/* uname -r: the kernel the sources refer to */
	char *note;		/* NULL, or a warning for stderr */
};

/*
 * The words for --ids/--addrs (canonical lists, either may be NULL):
 * the IOMMU word the firmware needs, iommu=pt unless !pt, gpupt.ids=,
 * gpupt.addrs=.  0 or -ENOMEM.  kwords_free() in either case.
 */
int kparams_words(const char *ids, const char *addrs, bool pt,
		  struct kwords *kw);
void kwords_free(struct kwords *kw);

/* The words, space separated, malloc'd (NULL on ENOMEM). */
char *kwords_join(const struct kwords *kw);

/*
 * Print each word with reason, source and already (text: an indented
 * block per word; JSON: an array `key` of objects, or a bare array when key
 * is NULL).
 */
void kwords_print(const struct kwords *kw, const char *key);

/*
 * Options of amd_iommu= (intel: false) or intel_iommu= (true) that no
 * kernel's parser knows, e.g. "on" for amd_iommu=.  value is the part
 * after '='.  Writes the value without them into out (NUL-terminated; ""
 * when nothing is left) and returns the number dropped; the first dropped
 * option is copied to bad.  Pure.
 */
unsigned int kparams_iommu_value_fix(bool intel, const char *value,
				     size_t vlen, char *out, size_t outlen,
				     char *bad, size_t badlen);

/* Why a kernel rejects amd_iommu=on, with the parser that says so. */
extern const char kparams_amd_on_reason[];

/*
 * The words of cmdline (/proc/cmdline) that the kernel's log says it
 * rejected:
 *   Unknown kernel command line parameters "A B", will be passed to user space.
 *   AMD-Vi: Unknown option - 'X'          (an amd_iommu= option)
 *   DMAR: Unknown option - 'X'            (an intel_iommu= option)
 *   MOD: unknown parameter 'P' ignored    (MOD.P=, at module load)
 *   Malformed early option 'K'
 *   Parameter K is obsolete, ignored
 * cb gets each rejected word once (as written on cmdline, quotes removed)
 * and the log line that rejected it (without its timestamp); log lines
 * for words not on cmdline (a module option from modprobe.d) are skipped.
 * Returns the number of words reported.  Pure.
 */
typedef void (*kparams_rejected_cb)(const char *word, size_t wlen,
				    const char *line, size_t llen, void *arg);
unsigned int kparams_rejected(const char *cmdline, const char *log,
			      kparams_rejected_cb cb, void *arg);

/*
 * The remedy for a rejected word (key and value as on the command line),
 * malloc'd: the word to write instead, or what to remove.
 */
char *kparams_remedy(const char *word, size_t wlen);

#endif /* GPTCTL_KPARAMS_H */
