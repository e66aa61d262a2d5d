// SPDX-License-Identifier: GPL-2.0
/*
 * PCI address and ID parsing (ctl/addr.c) and lspci's -s/-d semantics
 * (ctl/pcinames.c over libpci's pci_filter_parse_*).
 */
#include <errno.h>
#include <stdint.h>

#include "addr.h"
#include "gptctl.h"
#include "pcinames.h"
#include "unit.h"


static int parse_ok(const char *s, uint32_t dom, unsigned int bus,
		    unsigned int slot, unsigned int fn)
{
	struct gpupt_addr a = { 0 };

	if (addr_parse(s, &a))
		return 0;
	return a.domain == dom && a.bus == bus && a.devfn == (slot << 3 | fn);
}

static void t_addr_accepts(void)
{
	CHECK(parse_ok("0000:01:00.0", 0, 1, 0, 0));
	CHECK(parse_ok("01:00.0", 0, 1, 0, 0));
	CHECK(parse_ok("0000:18:00.1", 0, 0x18, 0, 1));
	CHECK(parse_ok("ff:1f.7", 0, 0xff, 0x1f, 7));
	CHECK(parse_ok("FF:1F.7", 0, 0xff, 0x1f, 7));
	CHECK(parse_ok("1:2.3", 0, 1, 2, 3));
	CHECK(parse_ok("10000:e1:00.0", 0x10000, 0xe1, 0, 0));	/* VMD */
	CHECK(parse_ok("ffffffff:00:00.0", 0xffffffff, 0, 0, 0));
	CHECK(parse_ok("0:0:0.0", 0, 0, 0, 0));
}

static void t_addr_rejects(void)
{
	static const char *const bad[] = {
		"", ":", "01:00", "01:00.", "01:00.8", "01:20.0", "100:00.0",
		"0000:01:00.0 ", " 0000:01:00.0", "0000:01:00.0\n",
		"0000:01:00.00", "0000:01:00.0.0", "0x01:00.0", "-1:00.0",
		"+1:00.0", "0000:001:00.0", "0000:01:000.0", "100000000:00:00.0",
		"0000:0000:01:00.0", "g0:00.0", "01.00.0", "01:00:0",
		"0000:01:00", "0000::00.0", ":01:00.0", "01:00.f",
	};
	struct gpupt_addr a = { .domain = 7, .bus = 7, .devfn = 7 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = addr_parse(bad[i], &a);

		if (r != -EINVAL)
			printf("# accepted \"%s\"\n", bad[i]);
		CHECK_INT(r, -EINVAL);
	}
	/* untouched on error */
	CHECK(a.domain == 7 && a.bus == 7 && a.devfn == 7);
	CHECK_INT(addr_parse(NULL, &a), -EINVAL);
}

static void t_addr_format(void)
{
	struct gpupt_addr a = { .domain = 0, .bus = 1, .devfn = 0 << 3 | 1 };
	struct gpupt_addr b;
	char buf[GPUPT_ADDR_STRLEN];

	addr_format(&a, buf);
	CHECK_STR(buf, "0000:01:00.1");
	a = (struct gpupt_addr){ .domain = 0x10000, .bus = 0xe1,
				 .devfn = 0x1f << 3 | 7 };
	addr_format(&a, buf);
	CHECK_STR(buf, "10000:e1:1f.7");
	a.domain = 0xffffffff;
	addr_format(&a, buf);
	CHECK_STR(buf, "ffffffff:e1:1f.7");
	/* round trip */
	CHECK_INT(addr_parse(buf, &b), 0);
	CHECK(addr_equal(&a, &b));
}

static void t_addr_cmp(void)
{
	struct gpupt_addr a = { 0, 1, 0 }, b = { 0, 1, 1 }, c = { 1, 0, 0 };

	CHECK(addr_cmp(&a, &b) < 0);
	CHECK(addr_cmp(&b, &a) > 0);
	CHECK(addr_cmp(&b, &c) < 0);
	CHECK(addr_cmp(&a, &a) == 0);
}

static void t_id_parse(void)
{
	uint16_t v = 0, d = 0;

	CHECK_INT(id_parse("10de:2901", &v, &d), 0);
	CHECK(v == 0x10de && d == 0x2901);
	CHECK_INT(id_parse("1234:1111", &v, &d), 0);
	CHECK(v == 0x1234 && d == 0x1111);
	CHECK_INT(id_parse("A:b", &v, &d), 0);
	CHECK(v == 0xa && d == 0xb);
	CHECK_INT(id_parse("10de", &v, &d), -EINVAL);
	CHECK_INT(id_parse("zz:1", &v, &d), -EINVAL);
	CHECK_INT(id_parse("10de:", &v, &d), -EINVAL);
	CHECK_INT(id_parse(":2901", &v, &d), -EINVAL);
	CHECK_INT(id_parse("10de0:2901", &v, &d), -EINVAL);
	CHECK_INT(id_parse("10de:2901:", &v, &d), -EINVAL);
	CHECK_INT(id_parse("10de:2901 ", &v, &d), -EINVAL);
	CHECK_INT(id_parse("0x10:1", &v, &d), -EINVAL);
}

static bool match(const char *slot, const char *id, const char *addr,
		  uint16_t vendor, uint16_t device, uint32_t cls)
{
	struct dev_filter *f = filter_new();
	struct gpupt_addr a;
	bool m;

	if ((slot && filter_set_slot(f, slot)) || (id && filter_set_id(f, id)) ||
	    addr_parse(addr, &a)) {
		filter_free(f);
		return false;
	}
	m = filter_match(f, &a, vendor, device, cls);
	filter_free(f);
	return m;
}

/* -s and -d mean what they mean in lspci. */
static void t_lspci_filters(void)
{
	CHECK(match(NULL, NULL, "0000:01:00.0", 0x10de, 0x2901, 0x030200));
	CHECK(match("01:00.0", NULL, "0000:01:00.0", 0x10de, 0x2901, 0x030200));
	CHECK(match("01:", NULL, "0000:01:00.1", 0x10de, 0x22e8, 0x040300));
	CHECK(!match("02:", NULL, "0000:01:00.1", 0x10de, 0x22e8, 0x040300));
	CHECK(match("0000:01:00", NULL, "0000:01:00.1", 0x10de, 0x22e8, 0x040300));
	CHECK(match(".1", NULL, "0000:01:00.1", 0x10de, 0x22e8, 0x040300));
	CHECK(!match(".0", NULL, "0000:01:00.1", 0x10de, 0x22e8, 0x040300));
	CHECK(!match("1:00.0", NULL, "0000:01:00.0", 0x10de, 0x2901, 0x030200) ==
	      false);
	CHECK(match(NULL, "10de:", "0000:01:00.1", 0x10de, 0x22e8, 0x040300));
	CHECK(match(NULL, "10de:2901", "0000:01:00.0", 0x10de, 0x2901, 0x030200));
	CHECK(!match(NULL, "10de:2901", "0000:01:00.1", 0x10de, 0x22e8, 0x040300));
	CHECK(match(NULL, ":2901", "0000:01:00.0", 0x10de, 0x2901, 0x030200));
	/* lspci -d ::0300 selects VGA controllers by class */
	CHECK(match(NULL, "::0300", "0000:01:00.0", 0x1234, 0x1111, 0x030000));
	CHECK(!match(NULL, "::0300", "0000:01:00.1", 0x8086, 0x2668, 0x040300));
	/* both filters */
	CHECK(!match("01:00.0", "8086:", "0000:01:00.0", 0x10de, 0x2901, 0x030200));
}

static void t_lspci_filter_errors(void)
{
	struct dev_filter *f = filter_new();

	CHECK(filter_set_id(f, "zz:1") != 0);
	CHECK(filter_set_id(f, "12345:1") != 0);
	CHECK(filter_set_slot(f, "zz:zz:zz") != 0);
	CHECK(filter_set_slot(f, "01:00.9") != 0);
	filter_free(f);
	pcinames_cleanup();
}

int main(void)
{
	RUN(t_addr_accepts);
	RUN(t_addr_rejects);
	RUN(t_addr_format);
	RUN(t_addr_cmp);
	RUN(t_id_parse);
	RUN(t_lspci_filters);
	RUN(t_lspci_filter_errors);
	return unit_done();
}
