// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the libvirt domain XML reader (ctl/domxml.c) behind the libvirt
 * hook: whatever the bytes, it returns 0 with at most DOMXML_MAX_DEVS
 * valid addresses and terminated strings, or an error with a reason.
 */
#include <errno.h>
#include <string.h>

#include "domxml.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct domxml d;
	char err[256] = "";
	int ret;

	ret = domxml_parse((const char *)data, size, &d, err, sizeof(err));
	CHECK(ret == 0 || ret == -EINVAL || ret == -E2BIG || ret == -ENOMEM);
	if (ret) {
		CHECK(err[0]);
		return 0;
	}
	CHECK(d.n <= DOMXML_MAX_DEVS);
	CHECK(memchr(d.name, '\0', sizeof(d.name)));
	CHECK(memchr(d.uuid, '\0', sizeof(d.uuid)));
	for (size_t i = 0; i < d.n; i++)
		CHECK((d.devs[i].devfn >> 3) <= 0x1f);
	return 0;
}
