/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gptctl: shared definitions for every subcommand.
 *
 * A subcommand is one entry of the table in main.c:
 *
 *	{ "list", cmd_list, "[-d VENDOR:DEVICE] [-s ADDR]", "list GPUs and their companions" }
 *
 * main.c parses the global options (-j/--json, -p/--pretty, -V/--version,
 * -h/--help) before the subcommand name, then calls run(argc, argv) with
 * argv[0] == the subcommand name.  `gptctl CMD --help` (or -h as the first
 * argument after CMD) is answered by main.c from the table, without calling
 * the handler and without opening a netlink socket.
 *
 * Handlers:
 *  - parse their own options with cmd_getopt() (getopt_long, reset for them);
 *  - return an EXIT_* code (they never call exit(); nlconn_connect() returns
 *    the code for "module not loaded");
 *  - print data only through print.h, and errors only through errmsg()
 *    or nlconn_error() (stderr);
 *  - never build netlink messages inline: use nl.h (transport) and
 *    devrec.h (device records).
 */
#ifndef GPTCTL_H
#define GPTCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>

#include "addr.h"

#define PROG_NAME	"gptctl"

/* GPTCTL_VERSION comes from the top-level VERSION file via the Makefile. */
#ifndef GPTCTL_VERSION
#define GPTCTL_VERSION	"unknown"
#endif

/* Exit status (documented in gptctl.8). */
enum {
	EXIT_OK		= 0,	/* success */
	EXIT_FAIL	= 1,	/* the operation failed, incl. unknown device */
	EXIT_USAGE	= 2,	/* usage error, malformed address or ID */
	EXIT_NOMOD	= 3,	/* gpupt module not loaded */
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;	/* arguments after the name, "" for none */
	const char *help;	/* one line, lower case, no full stop */
};

/* Global options, set by main.c before the handler runs. */
struct global_opts {
	bool json;	/* -j/--json: JSON on stdout */
	bool pretty;	/* -p/--pretty: indent JSON (implies nothing else) */
};
extern struct global_opts gopts;

/* The command currently running (for usage messages); NULL in main. */
extern const struct command *current_cmd;

/* "gptctl: <message>\n" on stderr. */
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "gptctl: <message>\n" plus "Usage: gptctl CMD USAGE\n"; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "Usage: gptctl CMD USAGE\n\nHELP\n" for cmd to stdout. */
void print_cmd_usage(const struct command *cmd);

/*
 * getopt_long for subcommands.  The first call (per handler) restarts
 * scanning at argv[1].  Returns the option character/value, -1 at the end of
 * the options (optind then indexes the first operand), or '?' after having
 * printed "gptctl: CMD: unknown option ..." plus usage: the handler then
 * returns EXIT_USAGE.  "--help" is always handled by main.c first.
 */
int cmd_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/*
 * Parse a PCI address operand ("0000:01:00.0" or "01:00.0").  On error,
 * prints "gptctl: invalid PCI address 'S' ..." and returns EXIT_USAGE;
 * 0 on success.
 */
int addr_arg(const char *s, struct gpupt_addr *a);

/*
 * Subcommand handlers, each in the file of its name (show: list.c; unclaim:
 * claim.c; reclaim, release: handoff.c).
 */
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_claim(int argc, char **argv);
int cmd_unclaim(int argc, char **argv);
int cmd_handoff(int argc, char **argv);
int cmd_reclaim(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_bars(int argc, char **argv);
int cmd_qemu(int argc, char **argv);
int cmd_libvirt(int argc, char **argv);
int cmd_rom(int argc, char **argv);
int cmd_setup(int argc, char **argv);
int cmd_cmdline(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_nfd(int argc, char **argv);
int cmd_kubevirt(int argc, char **argv);
int cmd_nova(int argc, char **argv);
int cmd_hook(int argc, char **argv);
int cmd_sriov(int argc, char **argv);

#endif /* GPTCTL_H */
