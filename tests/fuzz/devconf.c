// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the /etc/gpupt/devices.conf parser and matcher (ctl/devconf.c)
 * behind `gptctl apply`.  Every rule it accepts must print back (selector,
 * target, options, policy) to a line that parses to the same rule, and
 * must match a function it selects (its binding, or its policy).
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

/* The rule's POLICY options as devices.conf words, each with a space. */
static void policy_words(const struct devconf_policy *p, char *buf, size_t len)
{
	size_t off = 0, i;

	buf[0] = '\0';
	if (p->set & DEVCONF_P_RESET) {
		off += (size_t)snprintf(buf + off, len - off, " reset=%s", p->reset);
		for (i = 0; buf[i]; i++)	/* "bus flr" -> "bus,flr" */
			if (i > 7 && buf[i] == ' ')
				buf[i] = ',';
	}
	if (p->set & DEVCONF_P_D3COLD)
		off += (size_t)snprintf(buf + off, len - off, " d3cold=%s",
					p->d3cold ? "on" : "off");
	if (p->set & DEVCONF_P_HANDOFF_RESET)
		snprintf(buf + off, len - off, " reset-on-handoff=%s",
			 p->handoff_reset ? "yes" : "no");
}

static void same_rule(const struct devconf_rule *a, const struct devconf_rule *b)
{
	CHECK(a->sel == b->sel && a->target == b->target && a->flags == b->flags);
	CHECK(a->policy.set == b->policy.set);
	if (a->policy.set & DEVCONF_P_RESET)
		CHECK(!strcmp(a->policy.reset, b->policy.reset));
	if (a->policy.set & DEVCONF_P_D3COLD)
		CHECK(a->policy.d3cold == b->policy.d3cold);
	if (a->policy.set & DEVCONF_P_HANDOFF_RESET)
		CHECK(a->policy.handoff_reset == b->policy.handoff_reset);
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
	char *s = fuzz_str(data, size), sel[96], line[400], pol[200];
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
		policy_words(&r->policy, pol, sizeof(pol));
		if (r->sel == DEVCONF_SEL_SRIOV) {
			CHECK(r->flags & DEVCONF_F_SINGLE);
			CHECK(r->numvfs <= 65535);
			snprintf(line, sizeof(line), "%s numvfs=%u vf-driver=%s%s\n",
				 sel, r->numvfs, devconf_target_name(r),
				 r->flags & DEVCONF_F_FORCE ? " force" : "");
		} else if (r->target == DEVCONF_T_NONE) {
			snprintf(line, sizeof(line), "%s%s\n", sel, pol);
		} else {
			snprintf(line, sizeof(line), "%s %s%s%s%s\n", sel,
				 devconf_target_name(r),
				 r->flags & DEVCONF_F_FORCE ? " force" : "",
				 r->flags & DEVCONF_F_SINGLE ? " single" : "",
				 pol);
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
		CHECK(m != NULL || r->target == DEVCONF_T_NONE);
		if (r->policy.set) {
			struct devconf_policy p;

			devconf_policy(&c, &a, r->vendor, r->device,
				       r->sel == DEVCONF_SEL_PSLOT ?
				       r->slot_name : NULL, &p);
			CHECK(p.set & r->policy.set);
		}
	}
	devconf_free(&c);
	free(s);
	return 0;
}
