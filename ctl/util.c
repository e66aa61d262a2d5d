// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers every subcommand uses: error messages, usage, option parsing,
 * address operands.  (Kept out of main.c so that libgptctl.a, which the
 * unit tests link, is complete.)
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gptctl.h"

struct global_opts gopts;
const struct command *current_cmd;

void errmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PROG_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void fprint_usage_line(FILE *f, const struct command *cmd)
{
	fprintf(f, "Usage: %s %s%s%s\n", PROG_NAME, cmd->name,
		cmd->usage[0] ? " " : "", cmd->usage);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PROG_NAME ": ", stderr);
	if (current_cmd)
		fprintf(stderr, "%s: ", current_cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (current_cmd)
		fprint_usage_line(stderr, current_cmd);
	return EXIT_USAGE;
}

void print_cmd_usage(const struct command *cmd)
{
	fprint_usage_line(stdout, cmd);
	printf("\n%s\n", cmd->help);
}

int cmd_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	static char **last_argv;
	char opts[64];
	int c;

	if (last_argv != argv) {
		last_argv = argv;
		optind = 0;	/* full re-initialisation in glibc */
	}
	/*
	 * Options may follow operands (gptctl handoff 01:00.0 --force);
	 * leading ':' so that we print our own messages.
	 */
	snprintf(opts, sizeof(opts), ":%s", shortopts ? shortopts : "");
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == '?') {
		if (optopt)
			usage_error("unknown option '-%c'", optopt);
		else
			usage_error("unknown option '%s'", argv[optind - 1]);
	} else if (c == ':') {
		usage_error("option '%s' needs an argument", argv[optind - 1]);
		c = '?';
	}
	return c;
}

int addr_arg(const char *s, struct gpupt_addr *a)
{
	if (addr_parse(s, a)) {
		errmsg("invalid PCI address '%s' (expected DOMAIN:BUS:SLOT.FN, e.g. 0000:01:00.0, or BUS:SLOT.FN)",
		       s);
		return EXIT_USAGE;
	}
	return 0;
}

