// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON contract of `gptctl -j list` / `show` (gptctl.8) and the device
 * record parser: canned device records are printed through the real
 * printing path, the output is parsed back with json-c, and every key's
 * presence and type is checked.  A record is also built as a netlink nest
 * with libnl and parsed with devrec_parse(), as it arrives from the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "devprint.h"
#include "moves.h"
#include "gptctl.h"
#include "devrec.h"
#include "pcinames.h"
#include "print.h"
#include "unit.h"

/*
 * The keys of the contract, their JSON types, whether they may be null, and
 * for the hex fields their width (exactly that many lower-case digits).
 */
static const struct {
	const char *key;
	enum json_type type;
	bool nullable;
	size_t hex;
} list_keys[] = {
	{ "address", json_type_string, false, 0 },
	{ "vendor", json_type_string, false, 4 },
	{ "device", json_type_string, false, 4 },
	{ "subsystem_vendor", json_type_string, false, 4 },
	{ "subsystem_device", json_type_string, false, 4 },
	{ "class", json_type_string, false, 6 },
	{ "name", json_type_string, false, 0 },
	{ "driver", json_type_string, true, 0 },
	{ "iommu_group", json_type_int, true, 0 },
	{ "boot_vga", json_type_boolean, false, 0 },
	{ "held", json_type_boolean, false, 0 },
	{ "numa_node", json_type_int, true, 0 },
	{ "reset_methods", json_type_array, false, 0 },
};

static void canned(struct devrec *v)
{
	memset(v, 0, 3 * sizeof(*v));
	/* a held boot VGA with group, node and two reset methods */
	v[0].addr = (struct gpupt_addr){ 0, 0x01, 0 << 3 | 0 };
	v[0].vendor = 0x1234;
	v[0].device = 0x1111;
	v[0].subsys_vendor = 0x1af4;
	v[0].subsys_device = 0x1100;
	v[0].class = 0x030000;
	v[0].state = GPUPT_DEV_S_HELD | GPUPT_DEV_S_BOOT_VGA;
	v[0].has_driver = true;
	strcpy(v[0].driver, "gpupt");
	v[0].has_iommu_group = true;
	v[0].iommu_group = 6;
	v[0].has_numa_node = true;
	v[0].numa_node = 0;
	v[0].n_reset_methods = 2;
	v[0].reset_methods[0] = GPUPT_RESET_FLR;
	v[0].reset_methods[1] = GPUPT_RESET_BUS;
	/* unbound, no group, no NUMA node, no reset method */
	v[1].addr = (struct gpupt_addr){ 0, 0x01, 0 << 3 | 1 };
	v[1].vendor = 0x8086;
	v[1].device = 0x2668;
	v[1].subsys_vendor = 0x1af4;
	v[1].subsys_device = 0x1100;
	v[1].class = 0x040300;
	/* a 5-digit domain and an upper-case-prone ID */
	v[2].addr = (struct gpupt_addr){ 0x10000, 0xe1, 0x1f << 3 | 7 };
	v[2].vendor = 0x10de;
	v[2].device = 0x2bAF;
	v[2].subsys_vendor = 0xABCD;
	v[2].subsys_device = 0x000f;
	v[2].class = 0x0302a0;
	v[2].has_driver = true;
	strcpy(v[2].driver, "vfio-pci");
	v[2].has_iommu_group = true;
	v[2].iommu_group = 123456;
	v[2].has_numa_node = true;
	v[2].numa_node = 3;
	v[2].state = GPUPT_DEV_S_VFIO;
	v[2].n_reset_methods = 1;
	v[2].reset_methods[0] = GPUPT_RESET_PM;
}

/* Run the printer with output captured; returns the malloc'd text. */
static char *capture(bool json, void (*fn)(const struct devrec *, size_t),
		     const struct devrec *v, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	print_set_file(f);
	print_begin(json);
	fn(v, n);
	print_end();
	print_set_file(NULL);
	fclose(f);
	return buf;
}

static void show_one(const struct devrec *v, size_t n)
{
	(void)n;
	print_dev_show(v);
}

static bool is_hex(const char *s, size_t width)
{
	size_t i;

	if (strlen(s) != width)
		return false;
	for (i = 0; i < width; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void check_object(struct json_object *o)
{
	struct json_object *val;
	size_t i;

	CHECK(json_object_is_type(o, json_type_object));
	for (i = 0; i < sizeof(list_keys) / sizeof(list_keys[0]); i++) {
		bool has = json_object_object_get_ex(o, list_keys[i].key, &val);

		if (!has)
			printf("# missing key %s\n", list_keys[i].key);
		CHECK(has);
		if (!has)
			continue;
		if (!val) {
			if (!list_keys[i].nullable)
				printf("# %s is null\n", list_keys[i].key);
			CHECK(list_keys[i].nullable);
			continue;
		}
		if (!json_object_is_type(val, list_keys[i].type))
			printf("# %s has type %s\n", list_keys[i].key,
			       json_type_to_name(json_object_get_type(val)));
		CHECK(json_object_is_type(val, list_keys[i].type));
		if (!list_keys[i].hex)
			continue;
		if (!is_hex(json_object_get_string(val), list_keys[i].hex))
			printf("# %s is not %zu lower-case hex digits\n",
			       list_keys[i].key, list_keys[i].hex);
		CHECK(is_hex(json_object_get_string(val), list_keys[i].hex));
	}
	if (json_object_object_get_ex(o, "reset_methods", &val) && val) {
		for (i = 0; i < json_object_array_length(val); i++)
			CHECK(json_object_is_type(json_object_array_get_idx(val, i),
						  json_type_string));
	}
}

static const char *sget(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

/*
 * The captured output parsed; a failed check unless it is JSON of TYPE.
 * NULL (the output shown) when it does not parse.
 */
static struct json_object *parse(const char *out, enum json_type type)
{
	struct json_object *root = json_tokener_parse(out);

	CHECK(root && json_object_is_type(root, type));
	if (!root)
		printf("# output: %s\n", out);
	return root;
}

static int iget(struct json_object *o, const char *k)
{
	return json_object_get_int(json_object_object_get(o, k));
}

static bool bget(struct json_object *o, const char *k)
{
	return json_object_get_boolean(json_object_object_get(o, k));
}

static bool is_null(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && v == NULL;
}

static void t_list_json_shape(void)
{
	struct devrec v[3];
	struct json_object *root, *o, *rm;
	char *out;
	size_t i;

	canned(v);
	out = capture(true, print_dev_list, v, 3);
	root = parse(out, json_type_array);
	if (!root) {
		free(out);
		return;
	}
	CHECK_INT(json_object_array_length(root), 3);
	for (i = 0; i < json_object_array_length(root); i++)
		check_object(json_object_array_get_idx(root, i));

	o = json_object_array_get_idx(root, 0);
	CHECK_STR(sget(o, "address"), "0000:01:00.0");
	CHECK_STR(sget(o, "vendor"), "1234");
	CHECK_STR(sget(o, "device"), "1111");
	CHECK_STR(sget(o, "subsystem_vendor"), "1af4");
	CHECK_STR(sget(o, "class"), "030000");
	CHECK_STR(sget(o, "driver"), "gpupt");
	CHECK(bget(o, "held"));
	CHECK(bget(o, "boot_vga"));
	CHECK_INT(iget(o, "iommu_group"), 6);
	CHECK_INT(iget(o, "numa_node"), 0);
	CHECK(!is_null(o, "numa_node"));
	rm = json_object_object_get(o, "reset_methods");
	CHECK_INT(json_object_array_length(rm), 2);
	CHECK_STR(json_object_get_string(json_object_array_get_idx(rm, 0)), "flr");
	CHECK_STR(json_object_get_string(json_object_array_get_idx(rm, 1)), "bus");

	o = json_object_array_get_idx(root, 1);
	CHECK(is_null(o, "driver"));
	CHECK(is_null(o, "iommu_group"));
	CHECK(is_null(o, "numa_node"));
	CHECK(!bget(o, "held"));
	rm = json_object_object_get(o, "reset_methods");
	CHECK(rm && json_object_is_type(rm, json_type_array));
	CHECK_INT(json_object_array_length(rm), 0);

	o = json_object_array_get_idx(root, 2);
	CHECK_STR(sget(o, "address"), "10000:e1:1f.7");
	CHECK_STR(sget(o, "device"), "2baf");
	CHECK_STR(sget(o, "subsystem_vendor"), "abcd");
	CHECK_STR(sget(o, "subsystem_device"), "000f");
	CHECK_STR(sget(o, "class"), "0302a0");
	CHECK_INT(iget(o, "iommu_group"), 123456);
	CHECK_INT(iget(o, "numa_node"), 3);

	json_object_put(root);
	free(out);
}

static void t_list_json_empty(void)
{
	char *out = capture(true, print_dev_list, NULL, 0);

	/* an empty list is still an array */
	CHECK_STR(out, "[]\n");
	free(out);
}

static void t_show_json_shape(void)
{
	struct devrec v[3];
	struct json_object *root;
	char *out;

	canned(v);
	out = capture(true, show_one, &v[1], 1);
	root = parse(out, json_type_object);
	if (root)
		check_object(root);
	CHECK_STR(sget(root, "address"), "0000:01:00.1");
	json_object_put(root);
	free(out);
}

/* Text mode: an aligned table (every row's columns start where the header's do). */
static void t_list_text_aligned(void)
{
	struct devrec v[3];
	char *out, *copy, *line, *save = NULL, *hdr = NULL;
	const char *cols[] = { "ID", "CLASS", "DRIVER", "GROUP", "RESET", "NAME" };
	int rows = 0;
	size_t i;

	canned(v);
	out = capture(false, print_dev_list, v, 3);
	copy = strdup(out);
	CHECK(out && strncmp(out, "ADDRESS", 7) == 0);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!hdr) {
			hdr = line;
			continue;
		}
		rows++;
		/* each column begins after a space, at the header's offset */
		for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
			size_t off = (size_t)(strstr(hdr, cols[i]) - hdr);

			if (strcmp(cols[i], "GROUP") == 0)
				continue;	/* right-aligned numbers */
			CHECK(strlen(line) > off && line[off - 1] == ' ' &&
			      line[off] != ' ');
		}
	}
	CHECK_INT(rows, 3);
	if (unit_cur_failed)
		printf("# table:\n%s", copy);
	free(copy);
	free(out);
}

/* Build a record the way the kernel does and parse it back. */
static void t_devrec_parse(void)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *dev, *rm, *aff, *a2;
	struct devrec r;
	int err;

	CHECK(msg != NULL);
	if (!msg)
		return;
	dev = nla_nest_start(msg, GPUPT_A_DEVICE);
	nla_put_u32(msg, GPUPT_DEV_A_DOMAIN, 0);
	nla_put_u8(msg, GPUPT_DEV_A_BUS, 0x18);
	nla_put_u8(msg, GPUPT_DEV_A_DEVFN, 0 << 3 | 1);
	nla_put_u16(msg, GPUPT_DEV_A_VENDOR, 0x10de);
	nla_put_u16(msg, GPUPT_DEV_A_DEVICE, 0x22e8);
	nla_put_u32(msg, GPUPT_DEV_A_CLASS, 0x040300);
	nla_put_string(msg, GPUPT_DEV_A_DRIVER, "snd_hda_intel");
	nla_put_u32(msg, GPUPT_DEV_A_IOMMU_GROUP, 6);
	nla_put_u32(msg, GPUPT_DEV_A_STATE, GPUPT_DEV_S_MATCHED);
	rm = nla_nest_start(msg, GPUPT_DEV_A_RESET_METHODS);
	nla_put_u8(msg, GPUPT_RM_A_METHOD, GPUPT_RESET_FLR);
	nla_put_u8(msg, GPUPT_RM_A_METHOD, GPUPT_RESET_BUS);
	nla_nest_end(msg, rm);
	nla_put_string(msg, GPUPT_DEV_A_FROM, "");
	nla_put_string(msg, GPUPT_DEV_A_TO, "vfio-pci");
	nla_put_string(msg, GPUPT_DEV_A_BLOCKER, "bound to snd_hda_intel");
	nla_put_u64(msg, GPUPT_DEV_A_DURATION_US, 1234567);
	aff = nla_nest_start(msg, GPUPT_DEV_A_AFFECTED);
	a2 = nla_nest_start(msg, GPUPT_A_DEVICE);
	nla_put_u32(msg, GPUPT_DEV_A_DOMAIN, 0);
	nla_put_u8(msg, GPUPT_DEV_A_BUS, 0x18);
	nla_put_u8(msg, GPUPT_DEV_A_DEVFN, 0);
	nla_nest_end(msg, a2);
	nla_nest_end(msg, aff);
	nla_nest_end(msg, dev);

	err = devrec_parse(dev, &r);
	CHECK_INT(err, 0);
	CHECK(r.addr.bus == 0x18 && r.addr.devfn == 1 && r.addr.domain == 0);
	CHECK(r.vendor == 0x10de && r.device == 0x22e8);
	CHECK(r.class == 0x040300);
	CHECK(r.has_driver);
	CHECK_STR(r.driver, "snd_hda_intel");
	CHECK(r.has_iommu_group && r.iommu_group == 6);
	CHECK(!r.has_numa_node);
	CHECK_INT(r.n_reset_methods, 2);
	CHECK_INT(r.reset_methods[1], GPUPT_RESET_BUS);
	CHECK(r.has_from && r.from[0] == '\0');
	CHECK_STR(r.to, "vfio-pci");
	CHECK_STR(r.blocker, "bound to snd_hda_intel");
	CHECK(r.has_duration_us && r.duration_us == 1234567);
	CHECK_INT(r.n_affected, 1);
	if (r.n_affected == 1)
		CHECK(r.affected[0].addr.bus == 0x18 &&
		      r.affected[0].addr.devfn == 0);
	devrec_free(&r);
	nlmsg_free(msg);
}

/* Missing address fields or a wrong type are rejected, not guessed. */
static void t_devrec_parse_rejects(void)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *dev;
	struct devrec r;

	dev = nla_nest_start(msg, GPUPT_A_DEVICE);
	nla_put_u32(msg, GPUPT_DEV_A_DOMAIN, 0);
	nla_put_u8(msg, GPUPT_DEV_A_BUS, 1);
	nla_nest_end(msg, dev);
	CHECK_INT(devrec_parse(dev, &r), -EINVAL);

	dev = nla_nest_start(msg, GPUPT_A_DEVICE);
	nla_put_u8(msg, GPUPT_DEV_A_DOMAIN, 0);		/* u8 where u32 is due */
	nla_put_u8(msg, GPUPT_DEV_A_BUS, 1);
	nla_put_u8(msg, GPUPT_DEV_A_DEVFN, 0);
	nla_nest_end(msg, dev);
	CHECK_INT(devrec_parse(dev, &r), -EINVAL);
	nlmsg_free(msg);
}

static void t_reset_method_names(void)
{
	CHECK_STR(reset_method_name(GPUPT_RESET_FLR), "flr");
	CHECK_STR(reset_method_name(GPUPT_RESET_BUS), "bus");
	CHECK_STR(reset_method_name(GPUPT_RESET_SLOT), "slot");
	CHECK(reset_method_name(GPUPT_RESET_MAX + 1) == NULL);
	CHECK_INT(reset_method_parse("pm"), GPUPT_RESET_PM);
	CHECK_INT(reset_method_parse("auto"), GPUPT_RESET_AUTO);
	CHECK_INT(reset_method_parse("Bus"), -EINVAL);
	CHECK_INT(reset_method_parse(""), -EINVAL);
}

static void mv(struct devrec *r, unsigned int bus, unsigned int fn, int group,
	       const char *from, const char *to, const char *blocker)
{
	memset(r, 0, sizeof(*r));
	r->addr = (struct gpupt_addr){ 0, (uint8_t)bus, (uint8_t)fn };
	if (group >= 0) {
		r->has_iommu_group = true;
		r->iommu_group = (uint32_t)group;
	}
	r->has_from = r->has_to = true;
	snprintf(r->from, sizeof(r->from), "%s", from);
	snprintf(r->to, sizeof(r->to), "%s", to);
	if (blocker) {
		r->has_blocker = true;
		snprintf(r->blocker, sizeof(r->blocker), "%s", blocker);
	}
}

static struct move_ctx *moves_ctx;
static bool moves_vfio, moves_dry;
static int moves_blockers;

static void print_moves_cb(const struct devrec *v, size_t n)
{
	(void)v;
	(void)n;
	moves_blockers = print_moves(moves_ctx, moves_vfio, moves_dry);
}

/*
 * The kernel answers a multi-group HANDOFF with one message holding every
 * record (and no GPUPT_A_IOMMU_GROUP): the output is still one object per
 * group, in order, with /dev/vfio/N, and "" drivers become null.
 */
static void t_handoff_json_shape(void)
{
	struct devrec d[5];
	struct group_reply g = { .devs = d, .n = 5 };
	struct move_ctx m = { .g = &g, .n = 1 };
	struct json_object *root, *o, *devs, *x;
	char *out;

	mv(&d[0], 1, 0, 6, "gpupt", "vfio-pci", NULL);
	mv(&d[1], 1, 1, 6, "gpupt", "vfio-pci", NULL);
	mv(&d[2], 2, 0, 7, "bochs-drm", "vfio-pci", NULL);
	mv(&d[3], 2, 1, 7, "", "vfio-pci", NULL);
	mv(&d[4], 3, 0, -1, "gpupt", "vfio-pci", NULL);
	moves_ctx = &m;
	moves_vfio = true;
	moves_dry = false;
	out = capture(true, print_moves_cb, NULL, 0);
	root = parse(out, json_type_array);
	if (!root) {
		free(out);
		return;
	}
	CHECK_INT(json_object_array_length(root), 3);
	o = json_object_array_get_idx(root, 0);
	CHECK_INT(iget(o, "group"), 6);
	CHECK_STR(sget(o, "vfio"), "/dev/vfio/6");
	devs = json_object_object_get(o, "devices");
	CHECK(devs && json_object_is_type(devs, json_type_array));
	CHECK_INT(json_object_array_length(devs), 2);
	x = json_object_array_get_idx(devs, 1);
	CHECK_STR(sget(x, "address"), "0000:01:00.1");
	CHECK_STR(sget(x, "from"), "gpupt");
	CHECK_STR(sget(x, "to"), "vfio-pci");
	CHECK(!json_object_object_get_ex(x, "blocker", NULL));
	o = json_object_array_get_idx(root, 1);
	CHECK_INT(iget(o, "group"), 7);
	devs = json_object_object_get(o, "devices");
	CHECK_INT(json_object_array_length(devs), 2);
	CHECK_STR(sget(json_object_array_get_idx(devs, 0), "from"), "bochs-drm");
	CHECK(is_null(json_object_array_get_idx(devs, 1), "from"));
	o = json_object_array_get_idx(root, 2);
	CHECK(is_null(o, "group"));
	CHECK(is_null(o, "vfio"));
	CHECK_INT(moves_blockers, 0);
	json_object_put(root);
	free(out);
}

/* --dry-run: every device has "blocker", null or the reason; reclaim has no vfio node. */
static void t_handoff_dry_run_json(void)
{
	struct devrec d[2];
	struct group_reply g = { .has_group = true, .group = 6, .devs = d, .n = 2 };
	struct move_ctx m = { .g = &g, .n = 1 };
	struct json_object *root, *devs;
	char *out;

	mv(&d[0], 1, 0, -1, "gpupt", "vfio-pci", NULL);
	mv(&d[1], 1, 1, -1, "snd_hda_intel", "vfio-pci",
	   "0000:01:00.1 is bound to snd_hda_intel");
	moves_ctx = &m;
	moves_vfio = false;
	moves_dry = true;
	out = capture(true, print_moves_cb, NULL, 0);
	root = parse(out, json_type_array);
	if (!root) {
		free(out);
		return;
	}
	CHECK_INT(json_object_array_length(root), 1);
	CHECK_INT(iget(json_object_array_get_idx(root, 0), "group"), 6);
	CHECK(is_null(json_object_array_get_idx(root, 0), "vfio"));
	devs = json_object_object_get(json_object_array_get_idx(root, 0), "devices");
	CHECK(is_null(json_object_array_get_idx(devs, 0), "blocker"));
	CHECK_STR(sget(json_object_array_get_idx(devs, 1), "blocker"),
		  "0000:01:00.1 is bound to snd_hda_intel");
	CHECK_INT(moves_blockers, 1);
	json_object_put(root);
	free(out);

	/* and the text form names the blocker */
	out = capture(false, print_moves_cb, NULL, 0);
	CHECK(strstr(out, "0000:01:00.1  snd_hda_intel -> vfio-pci  BLOCKED: 0000:01:00.1 is bound to snd_hda_intel") != NULL);
	CHECK(strstr(out, "group 6: plan (dry run)") != NULL);
	free(out);
}

/* No function moved (e.g. handoff --all with nothing held): an empty array. */
static void t_handoff_json_empty(void)
{
	struct move_ctx m = { 0 };
	char *out;

	moves_ctx = &m;
	moves_vfio = true;
	moves_dry = false;
	out = capture(true, print_moves_cb, NULL, 0);
	CHECK_STR(out, "[]\n");
	free(out);
}

int main(void)
{
	RUN(t_list_json_shape);
	RUN(t_list_json_empty);
	RUN(t_show_json_shape);
	RUN(t_list_text_aligned);
	RUN(t_devrec_parse);
	RUN(t_devrec_parse_rejects);
	RUN(t_reset_method_names);
	RUN(t_handoff_json_shape);
	RUN(t_handoff_dry_run_json);
	RUN(t_handoff_json_empty);
	pcinames_cleanup();
	return unit_done();
}
