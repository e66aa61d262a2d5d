// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the /etc/gpupt/devices.conf parser and matcher (ctl/devconf.c)
 * behind `gptctl apply`.  Every rule it accepts must print back (selector,
 * target, options) to a line that parses to the same rule, and must match
 * a function it selects.
 */
#include <errno.h>
#include <stdio.h>

#include "devconf.h"
#include "fuzz.h"

static void count(unsigned int line, const char *msg, void *arg)
{
	CHECK(line >= 1);
	CHECK(*msg);
	(*(unsigned int *)arg)++;
}

static void same_rule(const struct devconf_rule *a, const struct devconf_rule *b)
{
	CHECK(a->sel == b->sel && a->target == b->target && a->flags == b->flags);
	CHECK(!strcmp(devconf_target_name(a), devconf_target_name(b)));
	switch (a->sel) {
	case DEVCONF_SEL_ID:
		CHECK(a->vendor == b->vendor && a->device == b->device);
		break;
	case DEVCONF_SEL_PSLOT:
		CHECK(!strcmp(a->slot_name, b->slot_name));
		break;
	default:
		CHECK(addr_equal(&a->addr, &b->addr));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), sel[96], line[256];
	unsigned int errs = 0, errs2;
	struct devconf c, c2;
	size_t i;
	int bad;

	bad = devconf_parse(s, &c, count, &errs);
	CHECK(bad >= 0 || bad == -ENOMEM || bad == -E2BIG);
	if (bad >= 0)
		CHECK((unsigned int)bad == errs);
	for (i = 0; bad >= 0 && i < c.n; i++) {
		const struct devconf_rule *r = &c.rules[i], *m;
		struct gpupt_addr a = r->addr;

		CHECK(r->line >= 1);
		if (r->target == DEVCONF_T_VFIO)
			CHECK(devconf_vfio_name(r->driver));
		devconf_sel_format(r, sel, sizeof(sel));
		if (r->sel == DEVCONF_SEL_SRIOV) {
			CHECK(r->flags & DEVCONF_F_SINGLE);
			CHECK(r->numvfs <= 65535);
			snprintf(line, sizeof(line), "%s numvfs=%u vf-driver=%s%s\n",
				 sel, r->numvfs, devconf_target_name(r),
				 r->flags & DEVCONF_F_FORCE ? " force" : "");
		} else {
			snprintf(line, sizeof(line), "%s %s%s%s\n", sel,
				 devconf_target_name(r),
				 r->flags & DEVCONF_F_FORCE ? " force" : "",
				 r->flags & DEVCONF_F_SINGLE ? " single" : "");
		}
		errs2 = 0;
		CHECK(devconf_parse(line, &c2, count, &errs2) == 0);
		CHECK(c2.n == 1);
		same_rule(r, &c2.rules[0]);
		CHECK(r->numvfs == c2.rules[0].numvfs);
		devconf_free(&c2);

		/* one sriov rule per PF, found by its address */
		if (r->sel == DEVCONF_SEL_SRIOV) {
			CHECK(devconf_sriov_rule(&c, &a) == r);
			continue;
		}
		/* a function the rule selects is matched by some rule */
		m = devconf_match(&c, &a, r->vendor, r->device,
				  r->sel == DEVCONF_SEL_PSLOT ? r->slot_name : NULL);
		CHECK(m != NULL);
	}
	devconf_free(&c);
	free(s);
	return 0;
}
