// SPDX-License-Identifier: GPL-2.0
/*
 * The device-record model: GPUPT_A_DEVICE nests parsed into struct devrec,
 * the DEV_GET do/dump helpers, and the names of reset methods and post-reset
 * checks.  See devrec.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "devrec.h"
#include "nl.h"

static struct nla_policy dev_policy[GPUPT_DEV_A_MAX + 1] = {
	[GPUPT_DEV_A_DOMAIN]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_BUS]		= { .type = NLA_U8 },
	[GPUPT_DEV_A_DEVFN]		= { .type = NLA_U8 },
	[GPUPT_DEV_A_VENDOR]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_DEVICE]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_SUBSYS_VENDOR]	= { .type = NLA_U16 },
	[GPUPT_DEV_A_SUBSYS_DEVICE]	= { .type = NLA_U16 },
	[GPUPT_DEV_A_CLASS]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_DRIVER]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_IOMMU_GROUP]	= { .type = NLA_U32 },
	[GPUPT_DEV_A_NUMA_NODE]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_STATE]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_RESET_METHODS]	= { .type = NLA_NESTED },
	[GPUPT_DEV_A_DRIVER_OVERRIDE]	= { .type = NLA_STRING },
	[GPUPT_DEV_A_FROM]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_TO]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_BLOCKER]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_RESET_METHOD]	= { .type = NLA_U8 },
	[GPUPT_DEV_A_DURATION_US]	= { .type = NLA_U64 },
	[GPUPT_DEV_A_ERRNO]		= { .type = NLA_U32 },
	[GPUPT_DEV_A_MESSAGE]		= { .type = NLA_STRING },
	[GPUPT_DEV_A_AFFECTED]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_PHYSFN]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_NUM_VFS]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_TOTAL_VFS]		= { .type = NLA_U16 },
	[GPUPT_DEV_A_CHECKS]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_FAILED_CHECK]	= { .type = NLA_U8 },
	[GPUPT_DEV_A_RUNGS]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_RUNG]		= { .type = NLA_NESTED },
	[GPUPT_DEV_A_QUARANTINE]	= { .type = NLA_STRING },
	[GPUPT_DEV_A_QUARANTINE_CHECK]	= { .type = NLA_U8 },
};

static struct nla_policy check_policy[GPUPT_CHECK_MAX + 1] = {
	[GPUPT_CHECK_PRESENT]	= { .type = NLA_U8 },
	[GPUPT_CHECK_CONFIG]	= { .type = NLA_U8 },
	[GPUPT_CHECK_LINK]	= { .type = NLA_U8 },
	[GPUPT_CHECK_BARS]	= { .type = NLA_U8 },
	[GPUPT_CHECK_COMMAND]	= { .type = NLA_U8 },
	[GPUPT_CHECK_POWER]	= { .type = NLA_U8 },
};

/* libnl's NLE_* to an errno, for local failures. */
static void copy_str(char *dst, size_t len, struct nlattr *a)
{
	snprintf(dst, len, "%.*s", nla_len(a), (const char *)nla_data(a));
}

static int devrec_parse_depth(struct nlattr *nest, struct devrec *r, int depth);

/* GPUPT_DEV_A_CHECKS (+ FAILED_CHECK) into @checks; false when absent. */
static bool parse_checks(struct nlattr **tb, uint8_t *checks, uint8_t *failed)
{
	struct nlattr *c[GPUPT_CHECK_MAX + 1];
	int i;

	if (!tb[GPUPT_DEV_A_CHECKS] ||
	    nla_parse_nested(c, GPUPT_CHECK_MAX, tb[GPUPT_DEV_A_CHECKS],
			     check_policy))
		return false;
	for (i = 1; i <= GPUPT_CHECK_MAX; i++)
		checks[i] = c[i] ? nla_get_u8(c[i]) : GPUPT_CHECK_R_NOT_RUN;
	if (tb[GPUPT_DEV_A_FAILED_CHECK])
		*failed = nla_get_u8(tb[GPUPT_DEV_A_FAILED_CHECK]);
	return true;
}

static int parse_rungs(struct nlattr *nest, struct devrec *r)
{
	struct nlattr *tb[GPUPT_DEV_A_MAX + 1];
	struct nlattr *pos;
	struct devrung *g;
	size_t cnt = 0;
	int rem;

	nla_for_each_nested(pos, nest, rem)
		cnt++;
	if (!cnt)
		return 0;
	r->rungs = calloc(cnt, sizeof(*r->rungs));
	if (!r->rungs)
		return -ENOMEM;
	nla_for_each_nested(pos, nest, rem) {
		if (nla_parse_nested(tb, GPUPT_DEV_A_MAX, pos, dev_policy))
			return -EINVAL;
		g = &r->rungs[r->n_rungs++];
		if (tb[GPUPT_DEV_A_RESET_METHOD])
			g->method = nla_get_u8(tb[GPUPT_DEV_A_RESET_METHOD]);
		if (tb[GPUPT_DEV_A_ERRNO])
			g->err = nla_get_u32(tb[GPUPT_DEV_A_ERRNO]);
		if (tb[GPUPT_DEV_A_DURATION_US])
			g->duration_us = nla_get_u64(tb[GPUPT_DEV_A_DURATION_US]);
		if (tb[GPUPT_DEV_A_MESSAGE]) {
			g->has_message = true;
			copy_str(g->message, sizeof(g->message),
				 tb[GPUPT_DEV_A_MESSAGE]);
		}
		g->has_checks = parse_checks(tb, g->checks, &g->failed_check);
	}
	return 0;
}

static int parse_array(struct nlattr *nest, struct devrec **out, size_t *n,
		       int depth)
{
	struct devrec *v;
	struct nlattr *pos;
	size_t cnt = 0, i = 0;
	int rem, err;

	nla_for_each_nested(pos, nest, rem)
		cnt++;
	*out = NULL;
	*n = 0;
	if (!cnt)
		return 0;
	v = calloc(cnt, sizeof(*v));
	if (!v)
		return -ENOMEM;
	nla_for_each_nested(pos, nest, rem) {
		err = devrec_parse_depth(pos, &v[i], depth + 1);
		if (err) {
			devrec_free_array(v, i);
			return err;
		}
		i++;
	}
	*out = v;
	*n = i;
	return 0;
}

static int devrec_parse_depth(struct nlattr *nest, struct devrec *r, int depth)
{
	struct nlattr *tb[GPUPT_DEV_A_MAX + 1];
	struct nlattr *pos;
	int rem, err;

	memset(r, 0, sizeof(*r));
	if (!nest || depth > 2)
		return -EINVAL;
	if (nla_parse_nested(tb, GPUPT_DEV_A_MAX, nest, dev_policy))
		return -EINVAL;
	if (!tb[GPUPT_DEV_A_DOMAIN] || !tb[GPUPT_DEV_A_BUS] ||
	    !tb[GPUPT_DEV_A_DEVFN])
		return -EINVAL;
	r->addr.domain = nla_get_u32(tb[GPUPT_DEV_A_DOMAIN]);
	r->addr.bus = nla_get_u8(tb[GPUPT_DEV_A_BUS]);
	r->addr.devfn = nla_get_u8(tb[GPUPT_DEV_A_DEVFN]);
	if (tb[GPUPT_DEV_A_VENDOR])
		r->vendor = nla_get_u16(tb[GPUPT_DEV_A_VENDOR]);
	if (tb[GPUPT_DEV_A_DEVICE])
		r->device = nla_get_u16(tb[GPUPT_DEV_A_DEVICE]);
	if (tb[GPUPT_DEV_A_SUBSYS_VENDOR])
		r->subsys_vendor = nla_get_u16(tb[GPUPT_DEV_A_SUBSYS_VENDOR]);
	if (tb[GPUPT_DEV_A_SUBSYS_DEVICE])
		r->subsys_device = nla_get_u16(tb[GPUPT_DEV_A_SUBSYS_DEVICE]);
	if (tb[GPUPT_DEV_A_CLASS])
		r->class = nla_get_u32(tb[GPUPT_DEV_A_CLASS]) & 0xffffff;
	if (tb[GPUPT_DEV_A_STATE])
		r->state = nla_get_u32(tb[GPUPT_DEV_A_STATE]);
	if (tb[GPUPT_DEV_A_DRIVER]) {
		copy_str(r->driver, sizeof(r->driver), tb[GPUPT_DEV_A_DRIVER]);
		r->has_driver = r->driver[0] != '\0';
	}
	if (tb[GPUPT_DEV_A_IOMMU_GROUP]) {
		r->has_iommu_group = true;
		r->iommu_group = nla_get_u32(tb[GPUPT_DEV_A_IOMMU_GROUP]);
	}
	if (tb[GPUPT_DEV_A_NUMA_NODE]) {
		r->has_numa_node = true;
		r->numa_node = nla_get_u32(tb[GPUPT_DEV_A_NUMA_NODE]);
	}
	if (tb[GPUPT_DEV_A_RESET_METHODS]) {
		nla_for_each_nested(pos, tb[GPUPT_DEV_A_RESET_METHODS], rem) {
			if (nla_type(pos) != GPUPT_RM_A_METHOD ||
			    nla_len(pos) < 1)
				continue;
			if (r->n_reset_methods < DEVREC_MAX_METHODS)
				r->reset_methods[r->n_reset_methods++] =
					nla_get_u8(pos);
		}
	}
	if (tb[GPUPT_DEV_A_DRIVER_OVERRIDE]) {
		r->has_driver_override = true;
		copy_str(r->driver_override, sizeof(r->driver_override),
			 tb[GPUPT_DEV_A_DRIVER_OVERRIDE]);
	}
	if (tb[GPUPT_DEV_A_FROM]) {
		r->has_from = true;
		copy_str(r->from, sizeof(r->from), tb[GPUPT_DEV_A_FROM]);
	}
	if (tb[GPUPT_DEV_A_TO]) {
		r->has_to = true;
		copy_str(r->to, sizeof(r->to), tb[GPUPT_DEV_A_TO]);
	}
	if (tb[GPUPT_DEV_A_BLOCKER]) {
		r->has_blocker = true;
		copy_str(r->blocker, sizeof(r->blocker), tb[GPUPT_DEV_A_BLOCKER]);
	}
	if (tb[GPUPT_DEV_A_RESET_METHOD]) {
		r->has_reset_method = true;
		r->reset_method = nla_get_u8(tb[GPUPT_DEV_A_RESET_METHOD]);
	}
	if (tb[GPUPT_DEV_A_DURATION_US]) {
		r->has_duration_us = true;
		r->duration_us = nla_get_u64(tb[GPUPT_DEV_A_DURATION_US]);
	}
	if (tb[GPUPT_DEV_A_ERRNO]) {
		r->has_errno = true;
		r->err = nla_get_u32(tb[GPUPT_DEV_A_ERRNO]);
	}
	if (tb[GPUPT_DEV_A_MESSAGE]) {
		r->has_message = true;
		copy_str(r->message, sizeof(r->message), tb[GPUPT_DEV_A_MESSAGE]);
	}
	if (tb[GPUPT_DEV_A_AFFECTED]) {
		err = parse_array(tb[GPUPT_DEV_A_AFFECTED], &r->affected,
				  &r->n_affected, depth);
		if (err)
			return err;
	}
	if (tb[GPUPT_DEV_A_PHYSFN]) {
		struct nlattr *pf[GPUPT_DEV_A_MAX + 1];

		if (nla_parse_nested(pf, GPUPT_DEV_A_MAX, tb[GPUPT_DEV_A_PHYSFN],
				     dev_policy) ||
		    !pf[GPUPT_DEV_A_DOMAIN] || !pf[GPUPT_DEV_A_BUS] ||
		    !pf[GPUPT_DEV_A_DEVFN])
			return -EINVAL;
		r->has_physfn = true;
		r->physfn.domain = nla_get_u32(pf[GPUPT_DEV_A_DOMAIN]);
		r->physfn.bus = nla_get_u8(pf[GPUPT_DEV_A_BUS]);
		r->physfn.devfn = nla_get_u8(pf[GPUPT_DEV_A_DEVFN]);
	}
	if (tb[GPUPT_DEV_A_NUM_VFS] && tb[GPUPT_DEV_A_TOTAL_VFS]) {
		r->has_num_vfs = true;
		r->num_vfs = nla_get_u16(tb[GPUPT_DEV_A_NUM_VFS]);
		r->total_vfs = nla_get_u16(tb[GPUPT_DEV_A_TOTAL_VFS]);
	}
	r->has_checks = parse_checks(tb, r->checks, &r->failed_check);
	if (tb[GPUPT_DEV_A_RUNGS]) {
		err = parse_rungs(tb[GPUPT_DEV_A_RUNGS], r);
		if (err)
			return err;
	}
	if (tb[GPUPT_DEV_A_QUARANTINE]) {
		r->has_quarantine = true;
		copy_str(r->quarantine, sizeof(r->quarantine),
			 tb[GPUPT_DEV_A_QUARANTINE]);
	}
	if (tb[GPUPT_DEV_A_QUARANTINE_CHECK])
		r->quarantine_check = nla_get_u8(tb[GPUPT_DEV_A_QUARANTINE_CHECK]);
	return 0;
}

int devrec_parse(struct nlattr *nest, struct devrec *r)
{
	int err = devrec_parse_depth(nest, r, 0);

	if (err)
		devrec_free(r);
	return err;
}

void devrec_free(struct devrec *r)
{
	if (!r)
		return;
	devrec_free_array(r->affected, r->n_affected);
	r->affected = NULL;
	r->n_affected = 0;
	free(r->rungs);
	r->rungs = NULL;
	r->n_rungs = 0;
}

int devrec_parse_array(struct nlattr *nest, struct devrec **out, size_t *n)
{
	return parse_array(nest, out, n, 0);
}

void devrec_free_array(struct devrec *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		devrec_free(&v[i]);
	free(v);
}

/* ---- DEV_GET ---- */

static int dev_get_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct devrec *out = arg;

	(void)cmd;
	if (!tb[GPUPT_A_DEVICE])
		return -EPROTO;
	devrec_free(out);
	return devrec_parse(tb[GPUPT_A_DEVICE], out) ? -EPROTO : 0;
}

int devrec_get(struct nlconn *nl, const struct gpupt_addr *a,
	       struct devrec *out)
{
	struct nlconn_req req = { .cmd = GPUPT_CMD_DEV_GET, .addr = a };

	memset(out, 0, sizeof(*out));
	return nlconn_request(nl, &req, dev_get_cb, out);
}

struct dump_ctx {
	struct devrec *v;
	size_t n, cap;
};

static int dump_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct dump_ctx *d = arg;
	struct devrec *v;

	(void)cmd;
	if (!tb[GPUPT_A_DEVICE])
		return -EPROTO;
	v = array_grow(d->v, &d->cap, d->n, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	d->v = v;
	if (devrec_parse(tb[GPUPT_A_DEVICE], &d->v[d->n]))
		return -EPROTO;
	d->n++;
	return 0;
}

static int devrec_cmp(const void *a, const void *b)
{
	const struct devrec *x = a, *y = b;

	return addr_cmp(&x->addr, &y->addr);
}

int devrec_dump(struct nlconn *nl, struct devrec **out, size_t *n)
{
	struct nlconn_req req = { .cmd = GPUPT_CMD_DEV_GET, .dump = true };
	struct dump_ctx d;
	int err, tries;

	for (tries = 0; tries < 5; tries++) {
		memset(&d, 0, sizeof(d));
		err = nlconn_request(nl, &req, dump_cb, &d);
		if (!err)
			break;
		devrec_free_array(d.v, d.n);
		if (err != -EINTR)
			return err;
	}
	if (err)
		return err;
	if (d.n)
		qsort(d.v, d.n, sizeof(*d.v), devrec_cmp);
	*out = d.v;
	*n = d.n;
	return 0;
}

/* ---- reset method names ---- */

static const char *const rm_names[] = {
	[GPUPT_RESET_AUTO]		= "auto",
	[GPUPT_RESET_DEVICE_SPECIFIC]	= "device_specific",
	[GPUPT_RESET_ACPI]		= "acpi",
	[GPUPT_RESET_FLR]		= "flr",
	[GPUPT_RESET_AF_FLR]		= "af_flr",
	[GPUPT_RESET_PM]		= "pm",
	[GPUPT_RESET_BUS]		= "bus",
	[GPUPT_RESET_CXL_BUS]		= "cxl_bus",
	[GPUPT_RESET_SLOT]		= "slot",
	[GPUPT_RESET_RESCAN]		= "rescan",
	[GPUPT_RESET_D3COLD]		= "d3cold",
};

static const char *const check_names[] = {
	[GPUPT_CHECK_PRESENT]	= "present",
	[GPUPT_CHECK_CONFIG]	= "config",
	[GPUPT_CHECK_LINK]	= "link",
	[GPUPT_CHECK_BARS]	= "bars",
	[GPUPT_CHECK_COMMAND]	= "command",
	[GPUPT_CHECK_POWER]	= "power",
};

static const char *const check_result_names[] = {
	[GPUPT_CHECK_R_NOT_RUN]	= "not_run",
	[GPUPT_CHECK_R_PASS]	= "pass",
	[GPUPT_CHECK_R_FAIL]	= "fail",
	[GPUPT_CHECK_R_NA]	= "n/a",
};

const char *check_name(unsigned int c)
{
	return c < sizeof(check_names) / sizeof(check_names[0]) ?
	       check_names[c] : NULL;
}

const char *check_result_name(unsigned int r)
{
	return r < sizeof(check_result_names) / sizeof(check_result_names[0]) ?
	       check_result_names[r] : NULL;
}

const char *reset_method_name(unsigned int m)
{
	return m < sizeof(rm_names) / sizeof(rm_names[0]) ? rm_names[m] : NULL;
}

int reset_method_parse(const char *s)
{
	unsigned int i;

	for (i = 0; s && i < sizeof(rm_names) / sizeof(rm_names[0]); i++)
		if (rm_names[i] && !strcmp(s, rm_names[i]))
			return (int)i;
	return -EINVAL;
}
