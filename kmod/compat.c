// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line compat helpers; see compat.h.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/netlink.h>
#include <linux/string.h>

#include "gpupt.h"

#ifdef GPUPT_HAVE_NL_ERR_MSG_FMT
void gpupt_err(struct netlink_ext_ack *extack, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	if (!extack)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strlen(buf) >= NETLINK_MAX_FMTMSG_LEN)
		strscpy(buf + NETLINK_MAX_FMTMSG_LEN - 4, "...", 4);
	NL_SET_ERR_MSG_FMT(extack, "%s", buf);
}
#else
#define GPUPT_ERR_SLOTS		64
#define GPUPT_ERR_LEN		128

static char gpupt_err_ring[GPUPT_ERR_SLOTS][GPUPT_ERR_LEN];
static atomic_t gpupt_err_next = ATOMIC_INIT(0);

void gpupt_err(struct netlink_ext_ack *extack, const char *fmt, ...)
{
	unsigned int slot;
	va_list ap;
	char *buf;

	if (!extack)
		return;
	slot = (unsigned int)atomic_inc_return(&gpupt_err_next) %
	       GPUPT_ERR_SLOTS;
	buf = gpupt_err_ring[slot];
	va_start(ap, fmt);
	vsnprintf(buf, GPUPT_ERR_LEN, fmt, ap);
	va_end(ap);
	extack->_msg = buf;
}
#endif
