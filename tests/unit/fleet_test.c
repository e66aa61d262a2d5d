// SPDX-License-Identifier: GPL-2.0
/*
 * The option helpers the fleet generators (export, nfd, kubevirt, nova) and
 * setup/cmdline share: fleet_getopt() and setup_list_opt().
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "gptctl.h"
#include "setup.h"
#include "unit.h"

#define ARGC(v)	((int)(sizeof(v) / sizeof((v)[0])) - 1)

static const struct option out_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "root", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 }
};

static const struct option ids_opts[] = {
	{ "style", required_argument, NULL, 's' },
	{ "pci-ids", required_argument, NULL, 'i' },
	{ "root", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 }
};

struct seen {
	int calls;
	char last[32];
	bool refuse;
};

static int other_opt(int c, const char *arg, void *ctx)
{
	struct seen *s = ctx;

	CHECK_INT(c, 's');
	s->calls++;
	snprintf(s->last, sizeof(s->last), "%s", arg);
	return s->refuse ? EXIT_USAGE : 0;
}

/* Each test has its own argv: cmd_getopt() restarts on a new one. */
static void t_defaults(void)
{
	static char *argv[] = { "nfd", NULL };
	struct fleet_opts o;

	CHECK_INT(fleet_getopt(ARGC(argv), argv, "o:r:", out_opts, "/etc/out",
			       &o, NULL, NULL), 0);
	CHECK(o.root == NULL);
	CHECK_STR(o.pci_ids, FLEET_PCI_IDS);
	CHECK_STR(o.output, "/etc/out");
}

static void t_output_under_root(void)
{
	static char *argv[] = { "nfd", "--root", "/tmp/r", NULL };
	struct fleet_opts o;

	CHECK_INT(fleet_getopt(ARGC(argv), argv, "o:r:", out_opts, "/etc/out",
			       &o, NULL, NULL), 0);
	CHECK_STR(o.root, "/tmp/r");
	CHECK_STR(o.output, "/tmp/r/etc/out");
}

static void t_output_given(void)
{
	static char *argv[] = { "nfd", "-r", "/tmp/r", "--output", "-", NULL };
	struct fleet_opts o;

	CHECK_INT(fleet_getopt(ARGC(argv), argv, "o:r:", out_opts, "/etc/out",
			       &o, NULL, NULL), 0);
	CHECK_STR(o.output, "-");
}

static void t_no_default_output(void)
{
	static char *argv[] = { "nova", "--pci-ids", "/x/pci.ids", NULL };
	struct fleet_opts o;

	CHECK_INT(fleet_getopt(ARGC(argv), argv, "s:i:r:", ids_opts, NULL, &o,
			       NULL, NULL), 0);
	CHECK_STR(o.pci_ids, "/x/pci.ids");
	CHECK(o.output == NULL);
}

static void t_own_option(void)
{
	static char *argv[] = { "kubevirt", "-s", "a", "--style", "b", NULL };
	struct seen s = { 0 };
	struct fleet_opts o;

	CHECK_INT(fleet_getopt(ARGC(argv), argv, "s:i:r:", ids_opts, NULL, &o,
			       other_opt, &s), 0);
	CHECK_INT(s.calls, 2);
	CHECK_STR(s.last, "b");
}

static void t_own_option_refused(void)
{
	static char *argv[] = { "kubevirt", "--style", "bad", "--root", "/r", NULL };
	struct seen s = { .refuse = true };
	struct fleet_opts o;

	CHECK_INT(fleet_getopt(ARGC(argv), argv, "s:i:r:", ids_opts, NULL, &o,
			       other_opt, &s), EXIT_USAGE);
	CHECK_INT(s.calls, 1);
}

static void t_foreign_option(void)
{
	/* nova and kubevirt have no --output */
	static char *argv[] = { "nova", "--output", "x", NULL };
	struct fleet_opts o;

	CHECK_INT(fleet_getopt(ARGC(argv), argv, "s:i:r:", ids_opts, NULL, &o,
			       NULL, NULL), EXIT_USAGE);
}

static void t_operand(void)
{
	static char *argv[] = { "nfd", "extra", NULL };
	struct fleet_opts o;

	CHECK_INT(fleet_getopt(ARGC(argv), argv, "o:r:", out_opts, "/etc/out",
			       &o, NULL, NULL), EXIT_USAGE);
}

static void t_setup_list_opt(void)
{
	struct setup_list_args la = { NULL, NULL };

	CHECK(setup_list_opt('i', "10de:2330", &la));
	CHECK(setup_list_opt('a', "01:00.0", &la));
	CHECK(!setup_list_opt('n', NULL, &la));
	CHECK(!setup_list_opt('?', NULL, &la));
	CHECK_STR(la.ids, "10de:2330");
	CHECK_STR(la.addrs, "01:00.0");
}

int main(void)
{
	/* the usage errors are expected: keep them out of the TAP output */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	RUN(t_defaults);
	RUN(t_output_under_root);
	RUN(t_output_given);
	RUN(t_no_default_output);
	RUN(t_own_option);
	RUN(t_own_option_refused);
	RUN(t_foreign_option);
	RUN(t_operand);
	RUN(t_setup_list_opt);
	return unit_done();
}
