// SPDX-License-Identifier: GPL-2.0
/*
 * Reset/power policy (ctl/policy.c over ctl/devconf.c): the built-in table
 * finds the entries it documents, and devices.conf settings override it
 * one by one, the most specific line winning per setting.
 */
#include <string.h>

#include "devconf.h"
#include "nl.h"
#include "policy.h"
#include "unit.h"

static void t_quirk_table(void)
{
	const struct reset_quirk *q;

	q = quirk_find(0x8086, 0x10d3, 0x020000);	/* QEMU e1000e */
	CHECK(q && q->avoid && !strcmp(q->avoid, "pm"));
	CHECK(q && q->order && !strcmp(q->order, "bus"));
	q = quirk_find(0x1002, 0x6611, 0x030000);	/* Oland, VGA */
	CHECK(q && !strcmp(q->avoid, "pm") && !q->order);
	CHECK(!quirk_find(0x1002, 0x6611, 0x038000));	/* not VGA class */
	q = quirk_find(0x1002, 0x731f, 0x030000);	/* Navi 10: the ID list wins */
	CHECK(q && q->order && !strcmp(q->order, "device_specific") &&
	      q->handoff_reset);
	q = quirk_find(0x10de, 0x2342, 0x030200);	/* mask 0xffc0 == 0x2340 */
	CHECK(q && !strcmp(q->avoid, "bus"));
	CHECK(!quirk_find(0x10de, 0x2330, 0x030200));	/* H100: no entry */
	CHECK(!quirk_find(0x1234, 0x1111, 0x030000));
}

static void t_policy_sources(void)
{
	static const char conf_text[] =
		"id   8086:10d3 reset=flr d3cold=on\n"
		"addr 0000:01:00.0 reset=bus,pm\n"		/* wins reset only */
		"addr 0000:02:00.0 gpupt\n"			/* binding, no policy */
		"id   8086:10d3 reset-on-handoff\n";
	struct gpupt_addr a1 = { 0, 1, 0 }, a2 = { 0, 2, 0 }, a3 = { 0, 3, 0 };
	struct devconf c;
	struct policy p;

	CHECK_INT(devconf_parse(conf_text, &c, NULL, NULL), 0);
	CHECK_INT(c.n, 4);
	CHECK(devconf_match(&c, &a1, 0x8086, 0x10d3, NULL) == NULL);
	CHECK(devconf_match(&c, &a2, 0x8086, 0x10d3, NULL) == &c.rules[2]);

	policy_for(&c, &a1, 0x8086, 0x10d3, 0x020000, NULL, &p);
	CHECK(p.ruled && p.has_reset && p.has_d3cold && p.d3cold && p.handoff_reset);
	CHECK_STR(p.reset, "bus pm");
	CHECK_STR(p.reset_src, "devices.conf:2");
	CHECK_STR(p.d3cold_src, "devices.conf:1");
	CHECK_STR(p.handoff_src, "devices.conf:4");
	CHECK_STR(policy_bad_method(&p, "pm bus"), "pm");
	CHECK(!policy_bad_method(&p, "bus pm"));

	/* a line naming another ID: the table's order, for a ruled function */
	policy_for(&c, &a3, 0x1234, 0x11e8, 0x00ff00, NULL, &p);
	CHECK(!p.ruled && !p.has_reset && !p.quirk);
	CHECK_STR(p.reset_src, "default");
	devconf_free(&c);

	CHECK_INT(devconf_parse("addr 0000:02:00.0 gpupt\n", &c, NULL, NULL), 0);
	policy_for(&c, &a2, 0x8086, 0x10d3, 0x020000, NULL, &p);
	CHECK(p.ruled && p.has_reset && !p.has_d3cold && !p.handoff_reset);
	CHECK_STR(p.reset, "bus");
	CHECK_STR(p.reset_src, "table");
	/* the table's order is not imposed on a function no line names */
	policy_for(&c, &a1, 0x8086, 0x10d3, 0x020000, NULL, &p);
	CHECK(!p.ruled && !p.has_reset && p.quirk);
	devconf_free(&c);
}

static void t_policy_bad_lines(void)
{
	static const char *const bad[] = {
		"id 8086:10d3 reset=warm\n",
		"id 8086:10d3 reset=bus,,flr\n",
		"id 8086:10d3 reset=\n",
		"id 8086:10d3 d3cold=maybe\n",
		"id 8086:10d3 reset-on-handoff=sometimes\n",
		"id 8086:10d3 reset=bus force\n",	/* force needs a TARGET */
	};
	struct devconf c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(devconf_parse(bad[i], &c, NULL, NULL), 1);
		CHECK_INT(c.n, 0);
		devconf_free(&c);
	}
}

int main(void)
{
	RUN(t_quirk_table);
	RUN(t_policy_sources);
	RUN(t_policy_bad_lines);
	return unit_done();
}
