/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure parsers and editors for the files `setup` and `doctor` read and
 * write: ID and address lists, the kernel command line (/proc/cmdline),
 * GRUB_CMDLINE_LINUX in /etc/default/grub, modprobe.d files and the
 * initramfs-tools modules list.  No I/O; every one has a fuzzer in
 * tests/fuzz/.
 */
#ifndef GPTCTL_CFGPARSE_H
#define GPTCTL_CFGPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CFG_MAX_LIST	64	/* IDs or addresses in one list */

struct pci_id {
	uint16_t vendor;
	uint16_t device;
};

/*
 * "10de:2901,10de:22be" (id_parse() per element) and
 * "0000:01:00.0,02:00.1" (addr_parse() per element).  Duplicates are
 * dropped.  Returns 0, -EINVAL (empty list, empty or malformed element; *bad
 * then points at the element) or -E2BIG (more than max).
 */
int idlist_parse(const char *s, struct pci_id *ids, size_t max, size_t *n,
		 const char **bad);
int addrlist_parse(const char *s, struct gpupt_addr *addrs, size_t max,
		   size_t *n, const char **bad);

/* Canonical forms, "10de:2901,10de:22be" / "0000:01:00.0,...": malloc'd. */
char *idlist_format(const struct pci_id *ids, size_t n);
char *addrlist_format(const struct gpupt_addr *addrs, size_t n);

/*
 * Kernel command line words, split as the kernel's next_arg() does:
 * whitespace separates, double quotes group ("a=\"b c\"").  cb gets the
 * key and the value (val NULL when there is no '='), quotes removed, not
 * NUL-terminated.  Returns cb's first non-zero result, or 0.
 */
typedef int (*cmdline_cb)(const char *key, size_t klen, const char *val,
			  size_t vlen, void *arg);
int cmdline_foreach(const char *s, cmdline_cb cb, void *arg);

/* Kernel parameter names: '-' and '_' are the same, as parameq() has it. */
bool param_name_eq(const char *a, size_t alen, const char *b, size_t blen);

/*
 * The last value of key (dashes and underscores are equal, as the kernel
 * treats them): 1 and *val filled ("" for a bare key, truncated to len),
 * or 0 when absent.
 */
int cmdline_get(const char *s, const char *key, char *val, size_t len);

/*
 * /etc/default/grub: return a malloc'd copy of text in which the last
 * GRUB_CMDLINE_LINUX assignment holds every word of `words` (space
 * separated, key=value).  A word whose key is already there replaces it;
 * others are appended.  Without an assignment, one is appended.  Returns 0,
 * -ENOMEM, or -EINVAL when the value uses shell syntax we will not rewrite
 * ($, `, \, an unterminated quote); *why then says what.
 */
int grub_set_cmdline(const char *text, const char *words, char **out,
		     const char **why);

/*
 * /etc/kernel/cmdline (systemd-boot, kernel-install, proxmox-boot-tool):
 * one line that is the whole command line.  *out is a malloc'd copy of it
 * with every word of `words` set as grub_set_cmdline() sets them, ending
 * in a newline.  Returns 0, -ENOMEM, or -EINVAL (*why says why) when the
 * file has more than one line or the words have shell syntax.
 */
int kcmdline_set(const char *text, const char *words, char **out,
		 const char **why);

/*
 * /etc/default/grub: pass every word of each GRUB_CMDLINE_LINUX and
 * GRUB_CMDLINE_LINUX_DEFAULT assignment to fix(var, word, n, buf, len,
 * arg), which returns 0 to keep the word or 1 to replace it with the
 * NUL-terminated text it wrote to buf ("" drops it).  A changed value is
 * written back in double quotes, its words single-spaced; values with shell
 * syntax ($, `, \, quotes inside) and unchanged lines stay byte for byte.
 * *out is a malloc'd copy.  Returns 0 or -ENOMEM.
 */
typedef int (*grub_word_fix)(const char *var, const char *word, size_t n,
			     char *buf, size_t len, void *arg);
int grub_fix_words(const char *text, grub_word_fix fix, void *arg, char **out);

/*
 * modprobe.d text: cb(cmd, module, rest) per directive, after joining
 * "\\\n" continuations and dropping '#' comment lines.  cmd and module are
 * NUL-terminated copies; rest is the remainder, trimmed ("" if none).
 * Lines with fewer than two words are skipped.  Returns cb's first non-zero
 * result, 0, or -ENOMEM.
 */
typedef int (*modprobe_cb)(const char *cmd, const char *module,
			   const char *rest, void *arg);
int modprobe_foreach(const char *text, modprobe_cb cb, void *arg);

/* "options MODULE ... key=value ...": 1 and *val, or 0 (the last wins). */
int modprobe_option(const char *text, const char *module, const char *key,
		    char *val, size_t len);

/* "softdep MODULE pre: ... dep ...": is dep a pre-dependency of module? */
bool modprobe_softdep_pre(const char *text, const char *module,
			  const char *dep);

/* The REST of one softdep line ("pre: a b post: c"): is dep in pre:? */
bool softdep_has_pre(const char *rest, const char *dep);

/* "blacklist MODULE" present? */
bool modprobe_blacklisted(const char *text, const char *module);

/*
 * initramfs-tools' modules list (one module per line, '#' comments):
 * does it name mod?  And a malloc'd copy with mod appended if it did not.
 */
bool modules_list_has(const char *text, const char *mod);
char *modules_list_add(const char *text, const char *mod);

/*
 * /proc/iomem ("  start-end : name", hex, nested by indentation): the name
 * of the first entry overlapping [start, end] whose name is one of names
 * (NULL-terminated), copied to buf.  1 found, 0 not.  Root sees the real
 * addresses; others see zeros, which match nothing useful.
 */
int iomem_find(const char *text, uint64_t start, uint64_t end,
	       const char *const *names, char *buf, size_t len);

#endif /* GPTCTL_CFGPARSE_H */
