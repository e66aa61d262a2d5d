// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl rom: dump a device's option ROM (through sysfs, NVIDIA's PROM
 * window or any BAR window), check a ROM file, trim a ROM file to its
 * images.  The parsing is in romparse.c, the PROM sequence in romread.c.
 *
 *	gptctl rom dump ADDR -o FILE [--source sysfs|prom|auto|bar:N:OFFSET] [--force]
 *	gptctl [-j] rom check FILE [--for ADDR]
 *	gptctl rom trim IN OUT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/gpupt.h>

#include "gptctl.h"
#include "print.h"
#include "romparse.h"
#include "romread.h"
#include "sysfile.h"

/* The PCI ROM BAR decodes at most 16 MiB; leave room for headers. */
#define ROM_FILE_MAX	(64u << 20)

/* The live device --for compares with. */
struct live_dev {
	struct gpupt_addr addr;
	char name[GPUPT_ADDR_STRLEN];
	uint16_t vendor, device;
	uint32_t class_code;
};

static int live_dev_read(const char *s, struct live_dev *d)
{
	uint64_t v, dv, c;
	int err;

	err = addr_arg(s, &d->addr);
	if (err)
		return err;
	addr_format(&d->addr, d->name);
	if (pci_attr_u64(NULL, &d->addr, "vendor", &v) ||
	    pci_attr_u64(NULL, &d->addr, "device", &dv) ||
	    pci_attr_u64(NULL, &d->addr, "class", &c)) {
		errmsg("no PCI function at %s", d->name);
		return EXIT_FAIL;
	}
	d->vendor = (uint16_t)v;
	d->device = (uint16_t)dv;
	d->class_code = (uint32_t)c;
	return EXIT_OK;
}

static void print_finding(const struct rom_finding *f)
{
	open_json_object(NULL);
	print_string("severity", "%s: ", rom_severity_name(f->severity));
	print_string("kind", NULL, rom_kind_name(f->kind));
	print_uint("offset", NULL, f->offset);
	print_string("message", "%s\n", f->msg);
	close_json_object();
}

static void print_npde(const struct rom_image *img)
{
	if (!img->has_npde) {
		print_null("npde", NULL);
		return;
	}
	open_json_object("npde");
	print_uint("offset", "\tNPDE at +0x%llx", img->npde_offset);
	print_uint("length", ", length 0x%llx", img->npde_length);
	print_bool("last", ", last: %s\n", img->npde_last);
	close_json_object();
}

static void print_image(unsigned int i, const struct rom_image *img,
			const struct live_dev *live)
{
	unsigned int j;

	open_json_object(NULL);
	print_uint("index", "image %llu", i);
	print_uint("offset", " at 0x%llx", img->offset);
	print_uint("length", ", length 0x%llx\n", img->length);
	print_text("\tsignature 55aa, ");
	print_uint("pcir_offset", "PCIR at +0x%llx", img->pcir);
	print_uint("pcir_revision", ", PCIR revision %llu\n", img->pcir_revision);
	print_hex("vendor", "\tvendor %s", img->vendor, 4);
	print_hex("device", " device %s", img->device, 4);
	print_hex("class", " class %s", img->class_code, 6);
	print_uint("code_revision", ", code revision 0x%04llx\n", img->code_revision);
	if (img->ndevlist) {
		print_text("\tdevice list:");
		open_json_array("device_list");
		for (j = 0; j < img->ndevlist; j++)
			print_hex(NULL, " %s", img->devlist[j], 4);
		close_json_array();
		print_text("\n");
	}
	print_uint("code_type_id", "\tcode type %llu", img->code_type);
	print_string("code_type", NULL, rom_code_type_name(img->code_type));
	print_text(" (%s)", rom_code_type_desc(img->code_type));
	if (img->has_checksum)
		print_bool("checksum_ok", ", checksum ok: %s",
			   img->checksum == 0);
	print_text("\n");
	if (img->code_type == ROM_CODE_EFI) {
		open_json_object("efi");
		print_bool("signature_ok", "\tEFI: signature 0x0ef1 ok: %s",
			   img->efi.sig_ok);
		print_string("subsystem", ", subsystem %s",
			     rom_efi_subsystem_name(img->efi.subsystem));
		print_uint("subsystem_id", " (%llu)", img->efi.subsystem);
		print_string("machine", ", machine %s",
			     rom_efi_machine_name(img->efi.machine));
		print_hex("machine_id", " (0x%s)", img->efi.machine, 4);
		print_bool("compressed", ", compressed: %s\n",
			   img->efi.compression != 0);
		close_json_object();
	}
	if (live) {
		bool ids = rom_image_matches(img, live->vendor, live->device);

		print_bool("matches_device", "\tmatches the device: %s", ids);
		if (ids && img->class_code != live->class_code)
			print_text(" (class differs: device has %06x)",
				   live->class_code);
		print_text("\n");
	}
	print_npde(img);
	print_bool("last", "\tlast image: %s\n", img->last);
	close_json_object();
}

/* An image NVIDIA chains after the last one (length and last are NPDE's). */
static void print_chained(unsigned int i, const struct rom_image *img)
{
	open_json_object(NULL);
	print_uint("index", "chained image %llu", i);
	print_uint("offset", " at 0x%llx", img->offset);
	print_uint("length", ", length 0x%llx\n", img->length);
	/* as the bytes read: 55aa, 77bb, 564e ("VN") */
	print_hex("signature", "\tsignature %s, ",
		  (uint16_t)(img->signature << 8 | img->signature >> 8), 4);
	print_string("structure", "%s", img->structure);
	print_uint("pcir_offset", " at +0x%llx", img->pcir);
	print_hex("vendor", ", vendor %s", img->vendor, 4);
	print_hex("device", " device %s\n", img->device, 4);
	print_uint("code_type_id", "\tcode type 0x%02llx", img->code_type);
	print_string("code_type", NULL, rom_code_type_name(img->code_type));
	print_text(" (%s)", rom_code_type_desc(img->code_type));
	print_bool("empty", ", empty placeholder: %s\n", img->empty);
	print_npde(img);
	print_bool("last", "\tlast image: %s\n", img->last);
	close_json_object();
}

/* The parsed chain of @buf (the caller keeps @buf); NULL, said, when out of memory. */
static struct rom_report *rom_report_new(const uint8_t *buf, size_t len)
{
	struct rom_report *r = malloc(sizeof(*r));

	if (!r) {
		errmsg("out of memory");
		return NULL;
	}
	rom_parse(buf, len, r);
	return r;
}

/* rom_report_new(), then free @buf. */
static struct rom_report *rom_report_take(uint8_t *buf, size_t len)
{
	struct rom_report *r = rom_report_new(buf, len);

	free(buf);
	return r;
}

static int rom_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct live_dev live, *lp = NULL;
	const char *file, *for_arg = NULL;
	struct rom_report *r;
	unsigned int i, match = 0;
	size_t len;
	uint8_t *buf;
	int c, err, ret;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'f':
			for_arg = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return usage_error("rom check: expected one FILE");
	file = argv[optind];
	if (for_arg) {
		ret = live_dev_read(for_arg, &live);
		if (ret)
			return ret;
		lp = &live;
	}

	err = file_read_all(file, ROM_FILE_MAX, &buf, &len);
	if (err == -EFBIG) {
		errmsg("%s: larger than %u MiB, not an option ROM", file,
		       ROM_FILE_MAX >> 20);
		return EXIT_FAIL;
	}
	if (err) {
		errmsg("%s: %s", file, strerror(-err));
		return EXIT_FAIL;
	}
	r = rom_report_take(buf, len);
	if (!r)
		return EXIT_FAIL;

	open_json_object(NULL);
	print_string("file", "%s:", file);
	print_uint("size", " %llu bytes", r->size);
	print_uint("leading_bytes", ", %llu bytes before the first image", r->lead);
	print_uint("end", ", images end at 0x%llx", r->end);
	if (r->chain_end > r->end)
		print_text(", NVIDIA's chain at 0x%zx", r->chain_end);
	print_text("\n");
	print_uint("chain_end", NULL, r->chain_end);
	print_string("prefix", NULL, rom_prefix_name(r->prefix));
	print_bool("shadow", NULL, r->shadow);
	if (lp) {
		open_json_object("device");
		print_string("address", "device %s:", lp->name);
		print_hex("vendor", " %s", lp->vendor, 4);
		print_hex("device", ":%s", lp->device, 4);
		print_hex("class", " class %s\n", lp->class_code, 6);
		close_json_object();
	}
	open_json_array("images");
	for (i = 0; i < r->nimages; i++) {
		print_image(i, &r->img[i], lp);
		if (lp && rom_image_matches(&r->img[i], lp->vendor, lp->device))
			match++;
	}
	close_json_array();
	open_json_array("chained_images");
	for (i = 0; i < r->nchained; i++)
		print_chained(i, &r->chained[i]);
	close_json_array();
	open_json_array("copies");
	for (i = 0; i < r->ncopies; i++) {
		open_json_object(NULL);
		print_uint("offset", "copy of the images at 0x%llx", r->copy[i].offset);
		print_uint("end", " to 0x%llx", r->copy[i].end);
		print_hex("vendor", ", %s", r->copy[i].vendor, 4);
		print_hex("device", ":%s", r->copy[i].device, 4);
		print_bool("identical", ", identical to the first: %s\n",
			   r->copy[i].identical);
		close_json_object();
	}
	close_json_array();

	open_json_array("findings");
	for (i = 0; i < r->nfindings; i++)
		print_finding(&r->finding[i]);
	if (lp && r->nimages && !match) {
		char msg[ROM_MSG_LEN];

		snprintf(msg, sizeof(msg),
			 "no image is for %s (%04x:%04x): the first image is for %04x:%04x",
			 lp->name, lp->vendor, lp->device, r->img[0].vendor,
			 r->img[0].device);
		/* Not a parser finding: the kind is spelled out here. */
		open_json_object(NULL);
		print_string("severity", "%s: ", "error");
		print_string("kind", NULL, "device_mismatch");
		print_uint("offset", NULL, r->img[0].offset);
		print_string("message", "%s\n", msg);
		close_json_object();
		r->nerrors++;
	}
	if (r->findings_dropped)
		print_text("(more findings not shown)\n");
	close_json_array();
	print_uint("errors", "result: %llu error(s)", r->nerrors);
	print_uint("warnings", ", %llu warning(s)\n", r->nwarnings);
	close_json_object();
	print_end();

	ret = r->nerrors ? EXIT_FAIL : EXIT_OK;
	free(r);
	return ret;
}

/* What rom trim leaves out, region by region. */
static void print_trim_dropped(const struct rom_report *r)
{
	unsigned int i;

	open_json_array("dropped");
	if (r->lead) {
		open_json_object(NULL);
		print_string("what", NULL, "prefix");
		print_uint("offset", "\tdropped 0x%llx", 0);
		print_uint("end", "-0x%llx: ", r->lead);
		print_string("description", "%s\n", rom_prefix_desc(r->prefix));
		close_json_object();
	}
	if (r->nchained) {
		open_json_object(NULL);
		print_string("what", NULL, "npde_chain");
		print_uint("offset", "\tdropped 0x%llx", r->chained[0].offset);
		print_uint("end", "-0x%llx: ", r->chain_end);
		print_uint("images", "%llu image(s) NVIDIA chains through NPDE (", r->nchained);
		open_json_array("code_types");
		for (i = 0; i < r->nchained; i++) {
			print_text("%s", i ? ", " : "");
			print_string(NULL, "%s", rom_code_type_name(r->chained[i].code_type));
		}
		close_json_array();
		print_text(")\n");
		close_json_object();
	}
	for (i = 0; i < r->ncopies; i++) {
		open_json_object(NULL);
		print_string("what", NULL, "copy");
		print_uint("offset", "\tdropped 0x%llx", r->copy[i].offset);
		print_uint("end", "-0x%llx: ", r->copy[i].end);
		print_bool("identical", "another copy of the images (identical to the one kept: %s)\n",
			   r->copy[i].identical);
		close_json_object();
	}
	if (r->other) {
		open_json_object(NULL);
		print_string("what", NULL, "other");
		print_uint("bytes", "\tdropped 0x%llx other bytes", r->other);
		print_uint("offset", " after the last image (the first at 0x%llx)\n",
			   r->other_offset);
		close_json_object();
	}
	close_json_array();
}

static int rom_trim(int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	struct rom_report *r;
	unsigned int i;
	uint8_t *buf;
	size_t len;
	int err, ret = EXIT_FAIL;

	if (cmd_getopt(argc, argv, "", opts) != -1)
		return EXIT_USAGE;
	if (optind + 2 != argc)
		return usage_error("rom trim: expected IN and OUT");

	err = file_read_all(argv[optind], ROM_FILE_MAX, &buf, &len);
	if (err) {
		errmsg("%s: %s", argv[optind],
		       err == -EFBIG ? "too large for an option ROM" : strerror(-err));
		return EXIT_FAIL;
	}
	r = rom_report_new(buf, len);
	if (!r) {
		free(buf);
		return EXIT_FAIL;
	}

	/* Trim only drops data around a sound chain; it repairs nothing. */
	for (i = 0; i < r->nfindings; i++) {
		const struct rom_finding *f = &r->finding[i];

		if (f->severity == ROM_ERROR && f->kind != ROM_K_LEADING_DATA) {
			errmsg("%s: %s", argv[optind], f->msg);
			errmsg("rom trim only removes data before the first and after the last image; it cannot repair this");
			goto out;
		}
	}
	if (r->findings_dropped || !r->nimages || r->end <= r->lead) {
		errmsg("%s: no complete image chain to keep", argv[optind]);
		goto out;
	}
	err = file_write_all(argv[optind + 1], buf + r->lead, r->end - r->lead);
	if (err) {
		errmsg("%s: %s", argv[optind + 1], strerror(-err));
		goto out;
	}
	open_json_object(NULL);
	print_string("output", "%s:", argv[optind + 1]);
	print_uint("size", " wrote %llu bytes", r->end - r->lead);
	print_uint("images", " (%llu image(s))", r->nimages);
	print_uint("leading_dropped", ", dropped %llu leading", r->lead);
	print_uint("trailing_dropped", " and %llu trailing bytes\n", len - r->end);
	print_trim_dropped(r);
	close_json_object();
	print_end();
	ret = EXIT_OK;
out:
	free(r);
	free(buf);
	return ret;
}

/*
 * Read the ROM through sysfs: writing "1" to the rom attribute enables the
 * ROM BAR decode, reading returns the images (the kernel stops at the end
 * of the last image), writing "0" disables it again.
 */
static int read_rom(const char *path, uint8_t **out, size_t *outlen)
{
	int fd, err, derr;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1) {
		err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	err = file_read_all(path, ROM_FILE_MAX, out, outlen);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	derr = fd < 0 || write(fd, "0", 1) != 1 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	if (!err && derr) {
		free(*out);
		err = derr;
	}
	return err;
}

/* Where rom dump reads from. */
enum rom_source {
	SRC_SYSFS,	/* the kernel's rom attribute: the ROM BAR or a shadow */
	SRC_PROM,	/* NVIDIA's PROM window, BAR0 + 0x300000 */
	SRC_AUTO,	/* sysfs, or PROM on NVIDIA when sysfs is no good */
	SRC_BAR,	/* any BAR window: bar:N:OFFSET */
};

struct source {
	enum rom_source kind;
	unsigned int bar;
	uint64_t offset;
};

static int source_parse(const char *s, struct source *src)
{
	unsigned long long bar, off;
	char *end, *num;

	memset(src, 0, sizeof(*src));
	if (!strcmp(s, "sysfs"))
		src->kind = SRC_SYSFS;
	else if (!strcmp(s, "prom"))
		src->kind = SRC_PROM;
	else if (!strcmp(s, "auto"))
		src->kind = SRC_AUTO;
	else if (!strncmp(s, "bar:", 4)) {
		errno = 0;
		bar = strtoull(s + 4, &end, 10);
		if (errno || end == s + 4 || *end != ':' || bar > 5)
			return usage_error("--source %s: expected bar:N:OFFSET with N 0 to 5", s);
		num = end + 1;
		off = strtoull(num, &end, 0);
		if (errno || end == num || *end)
			return usage_error("--source %s: OFFSET is not a number", s);
		if (off % 4)
			return usage_error("--source %s: OFFSET must be a multiple of 4 (the window is read with 32-bit reads)", s);
		src->kind = SRC_BAR;
		src->bar = (unsigned int)bar;
		src->offset = off;
	} else {
		return usage_error("--source %s: expected sysfs, prom, auto or bar:N:OFFSET", s);
	}
	return 0;
}

/*
 * A BAR mapped through the sysfs resourceN file.  gptctl reads the window
 * from userspace rather than in the kernel: the resource file is the
 * kernel's own, root-only interface for this (lspci, envytools and
 * rom-parser's users rely on it), it needs no new netlink command, and the
 * kernel still refuses it under lockdown or when a driver holds the BAR
 * exclusively.
 */
struct bar_map {
	volatile uint8_t *base;
	size_t len;
	uint64_t size;		/* the BAR's size */
};

static uint32_t bar_rd32(void *ctx, uint64_t off)
{
	const struct bar_map *bm = ctx;

	return *(volatile uint32_t *)(bm->base + off);
}

static void bar_wr32(void *ctx, uint64_t off, uint32_t val)
{
	const struct bar_map *bm = ctx;

	*(volatile uint32_t *)(bm->base + off) = val;
}

/* Map [0, len) of BAR @bar; len is cut to the BAR's size. */
static int bar_map_open(const struct gpupt_addr *a, unsigned int bar,
			uint64_t len, bool writable, struct bar_map *bm,
			char *why, size_t n)
{
	char attr[16], path[256];
	struct stat st;
	void *p;
	int fd;

	memset(bm, 0, sizeof(*bm));
	snprintf(attr, sizeof(attr), "resource%u", bar);
	pci_sysfs_path(NULL, a, attr, path, sizeof(path));
	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, n, "%s: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (no memory BAR there)" :
			 errno == EACCES || errno == EPERM ? " (run as root)" : "");
		return -errno;
	}
	if (fstat(fd, &st) || st.st_size <= 0) {
		snprintf(why, n, "BAR%u is not assigned (size 0)", bar);
		close(fd);
		return -ENODEV;
	}
	bm->size = (uint64_t)st.st_size;
	if (len > bm->size)
		len = bm->size;
	p = mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		snprintf(why, n, "mmap of %s: %s%s", path, strerror(err),
			 err == EPERM ? " (kernel lockdown forbids it)" :
			 err == EINVAL ? " (an I/O BAR, or a driver holds the BAR exclusively)" : "");
		close(fd);
		return -err;
	}
	close(fd);
	bm->base = p;
	bm->len = len;
	return 0;
}

static void bar_map_close(struct bar_map *bm)
{
	if (bm->base)
		munmap((void *)bm->base, bm->len);
	bm->base = NULL;
}

/*
 * Memory decoding on for the read: PCI_COMMAND bit 1, set through the
 * config file when it is off, and put back afterwards.
 */
static int mem_decode_on(const struct gpupt_addr *a, uint16_t *saved)
{
	char path[256];
	uint16_t cmd, on;
	int fd, err = 0;

	pci_sysfs_path(NULL, a, "config", path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &cmd, 2, 4) != 2) {
		err = -EIO;
		goto out;
	}
	*saved = cmd;
	on = cmd | 0x2;
	if (on != cmd && pwrite(fd, &on, 2, 4) != 2)
		err = -errno;
out:
	close(fd);
	return err;
}

static void mem_decode_restore(const struct gpupt_addr *a, uint16_t saved)
{
	char path[256];
	uint16_t cmd;
	int fd;

	pci_sysfs_path(NULL, a, "config", path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, &cmd, 2, 4) == 2 && cmd != saved &&
	    pwrite(fd, &saved, 2, 4) != 2)
		errmsg("could not restore the PCI command register of the device");
	close(fd);
}

#define WINDOW_MAX	NV_PROM_SIZE	/* bytes read from a BAR window */

/*
 * Read through a BAR window: NVIDIA's PROM (with its enable sequence) or a
 * plain window.  Signals are held off while the ROM shadow is disabled so
 * that it is always restored.  Fills desc with where it read.
 */
static int read_window(const struct gpupt_addr *a, const struct source *src,
		       uint16_t vendor, uint8_t **out, size_t *outlen,
		       char *desc, size_t dn, char *why, size_t n)
{
	uint64_t want = src->kind == SRC_PROM ? NV_PROM + NV_PROM_SIZE :
			src->offset + WINDOW_MAX;
	sigset_t block, old;
	struct rom_nv_gen gen;
	struct rom_mmio m;
	struct bar_map bm;
	uint16_t cmd = 0;
	uint8_t *buf;
	size_t len = 0;
	int err;

	if (src->kind == SRC_PROM && vendor != NV_VENDOR_ID) {
		snprintf(why, n,
			 "vendor %04x is not NVIDIA (10de): --source prom reads NVIDIA's PROM window; use sysfs or bar:N:OFFSET",
			 vendor);
		return -ENODEV;
	}
	buf = malloc(WINDOW_MAX);
	if (!buf) {
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	err = bar_map_open(a, src->kind == SRC_PROM ? 0 : src->bar, want,
			   src->kind == SRC_PROM, &bm, why, n);
	if (err)
		goto fail;
	if (src->kind == SRC_BAR && src->offset >= bm.size) {
		snprintf(why, n, "offset 0x%llx is past the end of BAR%u (0x%llx bytes)",
			 (unsigned long long)src->offset, src->bar,
			 (unsigned long long)bm.size);
		err = -EINVAL;
		goto unmap;
	}
	err = mem_decode_on(a, &cmd);
	if (err) {
		snprintf(why, n, "enabling memory decoding: %s", strerror(-err));
		goto unmap;
	}

	m = (struct rom_mmio){ bar_rd32, bar_wr32, &bm, bm.len };
	sigfillset(&block);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (src->kind == SRC_PROM) {
		err = rom_nv_prom_read(&m, vendor, buf, WINDOW_MAX, &len, &gen,
				       why, n);
		if (!err)
			snprintf(desc, dn, "BAR0 + 0x300000, %s chipset 0x%x, ROM shadow control at BAR0 + 0x%x",
				 gen.family, gen.chipset, gen.rom_ctl);
	} else {
		len = bm.len - src->offset;
		if (len > WINDOW_MAX)
			len = WINDOW_MAX;
		len &= ~(size_t)3;
		rom_window_read(&m, src->offset, buf, len);
		snprintf(desc, dn, "BAR%u + 0x%llx", src->bar,
			 (unsigned long long)src->offset);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	mem_decode_restore(a, cmd);
unmap:
	bar_map_close(&bm);
	if (!err && len < 2) {
		snprintf(why, n, "the window holds fewer than 2 bytes");
		err = -EINVAL;
	}
	if (!err) {
		*out = buf;
		*outlen = len;
		return 0;
	}
fail:
	free(buf);
	return err;
}

/*
 * The image chain at the start of a window read: everything NVIDIA chains
 * after it included (the flash holds it; rom trim gives the ROM BAR's
 * view).  A chain that does not end in the window keeps the whole window.
 */
static size_t window_rom_len(size_t len, const struct rom_report *r)
{
	if (r->complete && !r->lead)
		return r->chain_end;
	return len;
}

static int rom_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "source", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	char name[GPUPT_ADDR_STRLEN], path[256], drv[64] = "";
	char desc[160] = "", why[ROM_MSG_LEN] = "", reason[ROM_MSG_LEN + 64] = "";
	struct source src = { .kind = SRC_SYSFS };
	const char *file = NULL, *used = "sysfs";
	struct rom_report *r = NULL, *rs = NULL;
	uint8_t *buf = NULL, *sbuf = NULL;
	bool force = false, from_sysfs = true, shadow, boot_shadow, bound;
	uint64_t boot_vga = 0, vendor = 0;
	size_t len = 0, slen = 0;
	struct gpupt_addr a;
	unsigned int i;
	int c, err, serr = -ENOENT;

	while ((c = cmd_getopt(argc, argv, "o:fs:", opts)) != -1) {
		switch (c) {
		case 'o':
			file = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 's':
			err = source_parse(optarg, &src);
			if (err)
				return err;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !file)
		return usage_error("rom dump: expected ADDR and -o FILE");
	err = addr_arg(argv[optind], &a);
	if (err)
		return err;
	addr_format(&a, name);
	pci_sysfs_path(NULL, &a, NULL, path, sizeof(path));
	if (!file_exists(path)) {
		errmsg("no PCI function at %s", name);
		return EXIT_FAIL;
	}
	pci_attr_u64(NULL, &a, "vendor", &vendor);
	bound = !pci_driver(NULL, &a, drv, sizeof(drv));
	if (bound && strcmp(drv, GPUPT_DRIVER_NAME) && !driver_is_vfio(drv) && !force) {
		errmsg("%s is bound to %s: reading the ROM under a running host driver can hang the device or return the driver's view; claim it first (gptctl claim %s) or use --force",
		       name, drv, name);
		return EXIT_FAIL;
	}
	/* BAR reads and register writes only where no driver, not even a VM's, is using the GPU. */
	if (src.kind != SRC_SYSFS && bound && driver_is_vfio(drv) && !force) {
		errmsg("%s is bound to %s: a VM may be using it, and reading through its BARs would race the guest's driver; reclaim it first (gptctl reclaim %s) or use --force",
		       name, drv, name);
		return EXIT_FAIL;
	}
	pci_attr_u64(NULL, &a, "boot_vga", &boot_vga);

	/* sysfs, and auto's first try */
	if (src.kind == SRC_SYSFS || src.kind == SRC_AUTO) {
		pci_sysfs_path(NULL, &a, "rom", path, sizeof(path));
		if (!file_exists(path)) {
			serr = -ENOENT;
			snprintf(why, sizeof(why), "%s has no option ROM in sysfs (no ROM BAR and no shadow copy)", name);
		} else {
			serr = read_rom(path, &sbuf, &slen);
			if (serr)
				snprintf(why, sizeof(why), "reading %s failed: %s%s", path,
					 strerror(-serr),
					 serr == -EACCES || serr == -EPERM ? " (run as root)" :
					 " (the ROM BAR may be unassigned or disabled, or the device needs a reset)");
		}
		if (!serr) {
			rs = rom_report_new(sbuf, slen);
			if (!rs)
				goto fail;
		}
		if (src.kind == SRC_SYSFS) {
			if (serr) {
				errmsg("%s", why);
				goto fail;
			}
			buf = sbuf;
			len = slen;
			r = rs;
			sbuf = NULL;
			rs = NULL;
		} else {
			switch (rom_auto_pick((uint16_t)vendor, boot_vga == 1,
					      serr ? NULL : rs, why, reason,
					      sizeof(reason))) {
			case ROM_AUTO_FAIL:
				errmsg("%s", why);
				goto fail;
			case ROM_AUTO_SYSFS:
				buf = sbuf;
				len = slen;
				r = rs;
				sbuf = NULL;
				rs = NULL;
				break;
			case ROM_AUTO_PROM:
				src.kind = SRC_PROM;
				break;
			}
		}
	}

	if (src.kind == SRC_PROM || src.kind == SRC_BAR) {
		used = src.kind == SRC_PROM ? "prom" : "bar";
		from_sysfs = false;
		err = read_window(&a, &src, (uint16_t)vendor, &buf, &len, desc,
				  sizeof(desc), why, sizeof(why));
		if (!err && (buf[0] != 0x55 || buf[1] != 0xaa)) {
			snprintf(why, sizeof(why),
				 "the window at %s holds no option ROM at its start (it reads %02x %02x %02x %02x)%s",
				 desc, buf[0], buf[1], len > 2 ? buf[2] : 0,
				 len > 3 ? buf[3] : 0,
				 src.kind == SRC_PROM ? ": the PROM did not open, or the flash is empty" : "");
			free(buf);
			buf = NULL;
			err = -ENOENT;
		}
		if (err && rs) {
			/* auto: the PROM failed too; keep the sysfs copy, say so */
			errmsg("warning: reading the PROM failed (%s); writing the sysfs copy anyway (%s)",
			       why, reason);
			buf = sbuf;
			len = slen;
			r = rs;
			sbuf = NULL;
			rs = NULL;
			used = "sysfs";
			from_sysfs = true;
		} else if (err) {
			errmsg("%s: %s; nothing written", name, why);
			goto fail;
		} else {
			r = rom_report_new(buf, len);
			if (!r)
				goto fail;
			len = window_rom_len(len, r);
			free(r);
			r = rom_report_new(buf, len);
			if (!r)
				goto fail;
		}
	}
	boot_shadow = from_sysfs && boot_vga == 1;
	shadow = boot_shadow || r->shadow;

	err = file_write_all(file, buf, len);
	if (err) {
		errmsg("%s: %s", file, strerror(-err));
		goto fail;
	}

	open_json_object(NULL);
	print_string("device", "%s:", name);
	print_string("file", " wrote %s", file);
	print_uint("size", ", %llu bytes", len);
	print_uint("images", ", %llu image(s)", r->nimages);
	print_uint("errors", ", %llu error(s)", r->nerrors);
	print_uint("warnings", ", %llu warning(s)\n", r->nwarnings);
	print_string("source", "source: %s", used);
	if (!from_sysfs)
		print_string("window", " (%s)", desc);
	else
		print_null("window", NULL);
	print_text("\n");
	if (*reason)
		print_string("reason", "auto: %s\n", reason);
	else
		print_null("reason", NULL);
	print_bool("shadow", NULL, shadow);
	if (shadow)
		print_text(boot_shadow ? "shadow copy: %s is the boot VGA device\n" :
			   "shadow copy: the VBIOS of %s shrank itself at POST (PCIR length below NPDE length)\n",
			   name);
	open_json_array("findings");
	for (i = 0; i < r->nfindings; i++)
		if (r->finding[i].severity != ROM_INFO)
			print_finding(&r->finding[i]);
	close_json_array();
	close_json_object();
	print_end();
	if (boot_shadow)
		errmsg("warning: %s is the boot VGA device, so the kernel returned the firmware's shadow copy of its ROM, which the firmware may have modified; it is not a clean image. For a clean one, make another GPU the boot device in the firmware setup (or move this card to another slot), reboot and dump again, use the image from the card vendor%s",
		       name, vendor == NV_VENDOR_ID ? ", or dump it with --source prom" : "");
	if (r->nerrors)
		errmsg("the dump has problems: run gptctl rom check %s", file);
	free(r);
	free(rs);
	free(buf);
	free(sbuf);
	return EXIT_OK;
fail:
	free(r);
	free(rs);
	free(buf);
	free(sbuf);
	return EXIT_FAIL;
}

int cmd_rom(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("rom: expected dump, check or trim");
	if (!strcmp(argv[1], "dump"))
		return rom_dump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return rom_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "trim"))
		return rom_trim(argc - 1, argv + 1);
	return usage_error("rom: unknown subcommand '%s' (dump, check, trim)",
			   argv[1]);
}
