// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the ID and address parsers (ctl/addr.c, ctl/cfgparse.c) behind
 * --ids, --addrs and every ADDR operand.  What parses must format and
 * parse back to the same values.
 */
#include "addr.h"
#include "cfgparse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *f, buf[GPUPT_ADDR_STRLEN];
	struct pci_id ids[CFG_MAX_LIST], ids2[CFG_MAX_LIST];
	struct gpupt_addr as[CFG_MAX_LIST], as2[CFG_MAX_LIST], a, b;
	const char *bad;
	size_t n, n2;
	uint16_t v, d;

	if (!addr_parse(s, &a)) {
		addr_format(&a, buf);
		CHECK(!addr_parse(buf, &b));
		CHECK(addr_equal(&a, &b));
	}
	if (!id_parse(s, &v, &d))
		CHECK(strlen(s) <= 9);

	if (!idlist_parse(s, ids, CFG_MAX_LIST, &n, &bad)) {
		CHECK(n >= 1 && n <= CFG_MAX_LIST);
		f = idlist_format(ids, n);
		CHECK(f);
		CHECK(!idlist_parse(f, ids2, CFG_MAX_LIST, &n2, &bad));
		CHECK(n2 == n && !memcmp(ids, ids2, n * sizeof(*ids)));
		free(f);
	} else {
		CHECK(bad >= s && bad <= s + strlen(s));
	}
	if (!addrlist_parse(s, as, CFG_MAX_LIST, &n, &bad)) {
		CHECK(n >= 1 && n <= CFG_MAX_LIST);
		f = addrlist_format(as, n);
		CHECK(f);
		CHECK(!addrlist_parse(f, as2, CFG_MAX_LIST, &n2, &bad));
		CHECK(n2 == n);
		for (size_t i = 0; i < n; i++)
			CHECK(addr_equal(&as[i], &as2[i]));
		free(f);
	}
	free(s);
	return 0;
}
