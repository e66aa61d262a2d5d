// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl sriov ADDR --numvfs N [--vf-driver vfio-pci|VARIANT|gpupt|host]
 *              [--force]
 *
 * Create (or remove) a PF's SR-IOV virtual functions with gpupt holding
 * each VF from the moment it appears, then move the VFs to the driver
 * asked for (default: leave them with gpupt).  The kernel side is
 * GPUPT_CMD_SRIOV (see the UAPI header); the VF moves are ordinary
 * HANDOFF/RECLAIM/RELEASE transactions of single functions.  A failed
 * move puts the VF count back to what it was.
 *
 * Output: the PF and one line per VF with its driver and IOMMU group.
 * JSON: {"address", "driver", "num_vfs", "total_vfs",
 *        "vfs": [{"address", "driver", "iommu_group", "vfio"}]}
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devconf.h"
#include "devrec.h"
#include "gptctl.h"
#include "holders.h"
#include "print.h"
#include "sriov.h"
#include "sysfile.h"

/* Requests name at most this many functions (the kernel's limit). */
#define SRIOV_CHUNK	64

int sriov_check_pf(const struct gpupt_addr *pf, unsigned int numvfs,
		   const char *what, struct sriov_pf *st)
{
	char a[GPUPT_ADDR_STRLEN], path[PATH_MAX], link[PATH_MAX];
	uint64_t v;
	ssize_t len;

	addr_format(pf, a);
	pci_sysfs_path(NULL, pf, NULL, path, sizeof(path));
	if (!file_exists(path)) {
		errmsg("%s%s%s: no such PCI function", what ? what : "",
		       what ? ": " : "", a);
		return EXIT_FAIL;
	}
	pci_sysfs_path(NULL, pf, "physfn", path, sizeof(path));
	len = readlink(path, link, sizeof(link) - 1);
	if (len > 0) {
		const char *base;

		link[len] = '\0';
		base = strrchr(link, '/');
		errmsg("%s%s%s is a virtual function (of %s): give its physical function",
		       what ? what : "", what ? ": " : "", a,
		       base ? base + 1 : link);
		return EXIT_USAGE;
	}
	if (pci_attr_u64(NULL, pf, "sriov_totalvfs", &v)) {
		errmsg("%s%s%s has no SR-IOV capability (no sriov_totalvfs)",
		       what ? what : "", what ? ": " : "", a);
		return EXIT_USAGE;
	}
	st->total_vfs = (unsigned int)v;
	if (numvfs > st->total_vfs) {
		errmsg("%s%s%s supports at most %u VFs (sriov_totalvfs), not %u",
		       what ? what : "", what ? ": " : "", a, st->total_vfs,
		       numvfs);
		return EXIT_USAGE;
	}
	if (pci_attr_u64(NULL, pf, "sriov_numvfs", &v))
		v = 0;
	st->num_vfs = (unsigned int)v;
	return 0;
}

int sriov_vf_addrs(const struct gpupt_addr *pf, struct gpupt_addr **out,
		   size_t *n)
{
	char path[PATH_MAX], attr[32], link[PATH_MAX];
	struct gpupt_addr *v = NULL, *nv;
	size_t k = 0;
	unsigned int i;

	for (i = 0; i < 65536; i++) {
		const char *base;
		ssize_t len;

		snprintf(attr, sizeof(attr), "virtfn%u", i);
		pci_sysfs_path(NULL, pf, attr, path, sizeof(path));
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			break;
		link[len] = '\0';
		base = strrchr(link, '/');
		nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		if (addr_parse(base ? base + 1 : link, &v[k])) {
			free(v);
			return -EINVAL;
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

int sriov_autoprobe(const struct gpupt_addr *pf, bool on)
{
	char path[PATH_MAX], a[GPUPT_ADDR_STRLEN];
	int err;

	pci_sysfs_path(NULL, pf, "sriov_drivers_autoprobe", path, sizeof(path));
	err = file_write_all(path, on ? "1\n" : "0\n", 2);
	if (err) {
		addr_format(pf, a);
		errmsg("%s: cannot write sriov_drivers_autoprobe: %s", a,
		       strerror(-err));
	}
	return err;
}

static void report_vf_holders(const struct gpupt_addr *pf)
{
	struct gpupt_addr *vfs;
	size_t n, i;

	if (sriov_vf_addrs(pf, &vfs, &n))
		return;
	for (i = 0; i < n; i++)
		report_vfio_holders(&vfs[i]);
	free(vfs);
}

int sriov_set(struct nlconn *nl, const struct gpupt_addr *pf,
	      unsigned int numvfs, enum sriov_target target, bool force)
{
	struct nlconn_req req = {
		.cmd = GPUPT_CMD_SRIOV,
		.addr = pf,
		.has_num_vfs = true,
		.num_vfs = (uint16_t)numvfs,
		.flags = force ? GPUPT_F_FORCE : 0,
	};
	char a[GPUPT_ADDR_STRLEN];
	uint64_t autoprobe = 1;
	int err;

	addr_format(pf, a);
	if (numvfs) {
		pci_attr_u64(NULL, pf, "sriov_drivers_autoprobe", &autoprobe);
		err = sriov_autoprobe(pf, false);
		if (err)
			return err;
	}
	err = nlconn_request(nl, &req, NULL, NULL);
	if (err) {
		nlconn_error(nl, err, "sriov %s --numvfs %u", a, numvfs);
		if (err == -EBUSY)
			report_vf_holders(pf);
		if (numvfs && autoprobe)	/* refused: change nothing */
			sriov_autoprobe(pf, true);
		return err;
	}
	if (numvfs && target == SRIOV_T_HOST)
		return sriov_autoprobe(pf, true);
	return 0;
}

/* Does a VF on @drv ("" for none) need moving to reach the target? */
static bool vf_needs_move(enum sriov_target target, const char *vfio,
			  const char *drv)
{
	switch (target) {
	case SRIOV_T_VFIO:
		return strcmp(drv, vfio);
	case SRIOV_T_GPUPT:
		return strcmp(drv, GPUPT_DRIVER_NAME);
	default:
		return !strcmp(drv, GPUPT_DRIVER_NAME) || driver_is_vfio(drv);
	}
}

/*
 * Move every VF that is not where @target wants it, SRIOV_CHUNK at a
 * time, each as a single function.  Errors are printed.  0 or -errno.
 */
static int move_vfs(struct nlconn *nl, const struct gpupt_addr *vfs,
		    size_t n, enum sriov_target target, const char *vfio,
		    bool force)
{
	static const uint8_t cmds[] = {
		[SRIOV_T_VFIO] = GPUPT_CMD_HANDOFF,
		[SRIOV_T_GPUPT] = GPUPT_CMD_RECLAIM,
		[SRIOV_T_HOST] = GPUPT_CMD_RELEASE,
	};
	struct nlconn_req req = { .cmd = cmds[target], .flags = GPUPT_F_SINGLE };
	struct gpupt_addr *todo;
	char drv[64], a[GPUPT_ADDR_STRLEN];
	size_t k = 0, i, off;
	int err = 0;

	todo = calloc(n ? n : 1, sizeof(*todo));
	if (!todo)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (pci_driver(NULL, &vfs[i], drv, sizeof(drv)))
			drv[0] = '\0';
		if (vf_needs_move(target, vfio, drv))
			todo[k++] = vfs[i];
	}
	if (target == SRIOV_T_VFIO) {
		req.driver = vfio;
		if (force)
			req.flags |= GPUPT_F_FORCE;
	}
	for (off = 0; off < k && !err; off += SRIOV_CHUNK) {
		req.addrs = todo + off;
		req.n_addrs = k - off < SRIOV_CHUNK ? k - off : SRIOV_CHUNK;
		err = nlconn_request(nl, &req, NULL, NULL);
		if (err) {
			addr_format(&todo[off], a);
			nlconn_error(nl, err, "moving the VFs (%s%s) to %s", a,
				     req.n_addrs > 1 ? " ..." : "",
				     target == SRIOV_T_VFIO ? vfio :
				     target == SRIOV_T_GPUPT ? "gpupt" : "the host");
			if (err == -EBUSY)
				for (i = 0; i < req.n_addrs; i++)
					report_vfio_holders(&req.addrs[i]);
		}
	}
	free(todo);
	return err;
}

static void print_rec(const char *key, const struct devrec *r, bool pf)
{
	char a[GPUPT_ADDR_STRLEN], vfio[32];

	addr_format(&r->addr, a);
	if (key)
		print_string("address", "%s  PF  ", a);
	else
		print_string("address", "  %s  VF  ", a);
	print_string("driver", "%-10s", r->has_driver ? r->driver :
		     is_json() ? NULL : "none");
	if (pf) {
		print_uint("num_vfs", "  %llu", r->num_vfs);
		print_uint("total_vfs", " of %llu VFs\n", r->total_vfs);
		return;
	}
	if (r->has_iommu_group) {
		print_uint("iommu_group", "  group %llu", r->iommu_group);
	} else {
		print_null("iommu_group", "  group %s");
	}
	if (r->has_driver && driver_is_vfio(r->driver) && r->has_iommu_group) {
		snprintf(vfio, sizeof(vfio), "/dev/vfio/%u", r->iommu_group);
		print_string("vfio", "  %s", vfio);
	} else {
		print_null("vfio", "%.0s");
	}
	print_text("\n");
}

/* Read the PF and its VFs back from the kernel and print them. */
static int print_state(struct nlconn *nl, const struct gpupt_addr *pf)
{
	struct gpupt_addr *vfs = NULL;
	struct devrec r;
	size_t n = 0, i;
	int err;

	err = devrec_get(nl, pf, &r);
	if (err)
		return nlconn_error(nl, err, "reading the PF back");
	err = sriov_vf_addrs(pf, &vfs, &n);
	if (err) {
		devrec_free(&r);
		errmsg("cannot list the VFs: %s", strerror(-err));
		return EXIT_FAIL;
	}
	open_json_object(NULL);
	print_rec("pf", &r, true);
	devrec_free(&r);
	open_json_array("vfs");
	for (i = 0; i < n; i++) {
		err = devrec_get(nl, &vfs[i], &r);
		if (err)
			break;
		open_json_object(NULL);
		print_rec(NULL, &r, false);
		close_json_object();
		devrec_free(&r);
	}
	close_json_array();
	close_json_object();
	print_end();
	free(vfs);
	if (err)
		return nlconn_error(nl, err, "reading a VF back");
	return EXIT_OK;
}

int cmd_sriov(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "numvfs", required_argument, NULL, 'n' },
		{ "vf-driver", required_argument, NULL, 'D' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	enum sriov_target target = SRIOV_T_GPUPT;
	const char *vfio = NULL;
	struct gpupt_addr pf, *vfs = NULL;
	struct sriov_pf st;
	struct nlconn *nl;
	uint64_t autoprobe = 1;
	long numvfs = -1;
	bool force = false;
	size_t n = 0;
	char *end;
	int c, err, ret;

	while ((c = cmd_getopt(argc, argv, "n:D:f", longopts)) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			numvfs = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || numvfs < 0 ||
			    numvfs > 65535)
				return usage_error("invalid number of VFs '%s'",
						   optarg);
			break;
		case 'D':
			if (!strcmp(optarg, "gpupt")) {
				target = SRIOV_T_GPUPT;
			} else if (!strcmp(optarg, "host")) {
				target = SRIOV_T_HOST;
			} else if (devconf_vfio_name(optarg)) {
				target = SRIOV_T_VFIO;
				vfio = optarg;
			} else {
				return usage_error("unknown VF driver '%s' (vfio-pci, a vfio variant driver, gpupt or host)",
						   optarg);
			}
			break;
		case 'f':
			force = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return usage_error("expected one address (a physical function)");
	if (numvfs < 0)
		return usage_error("--numvfs N is required");
	if (addr_arg(argv[optind], &pf))
		return EXIT_USAGE;
	ret = sriov_check_pf(&pf, (unsigned int)numvfs, NULL, &st);
	if (ret)
		return ret;

	pci_attr_u64(NULL, &pf, "sriov_drivers_autoprobe", &autoprobe);
	ret = nlconn_connect(&nl);
	if (ret)
		return ret;
	err = sriov_set(nl, &pf, (unsigned int)numvfs, target, force);
	if (err) {
		nlconn_close(nl);
		return EXIT_FAIL;
	}
	err = sriov_vf_addrs(&pf, &vfs, &n);
	if (!err)
		err = move_vfs(nl, vfs, n, target, vfio, force);
	else
		errmsg("cannot list the VFs: %s", strerror(-err));
	if (err) {
		/* The kernel rolled the move back; put the count back too. */
		if (st.num_vfs != (unsigned int)numvfs &&
		    !sriov_set(nl, &pf, st.num_vfs, SRIOV_T_GPUPT, false)) {
			errmsg("VF count put back to %u", st.num_vfs);
			if (autoprobe)
				sriov_autoprobe(&pf, true);
		}
		ret = EXIT_FAIL;
	} else {
		ret = print_state(nl, &pf);
	}
	free(vfs);
	nlconn_close(nl);
	return ret;
}
