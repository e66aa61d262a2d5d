// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl nfd [--output FILE] [--root DIR]
 *
 * A Node Feature Discovery "local" feature file, one label=value per line,
 * in the gpupt.io namespace, from sysfs:
 *
 *	gpupt.io/iommu=true             IOMMU groups exist
 *	gpupt.io/module=true            gpupt.ko is loaded
 *	gpupt.io/gpus=8                 display-class functions
 *	gpupt.io/vfio-gpus=8            ... of them on a vfio driver
 *	gpupt.io/held-gpus=0            ... of them held by gpupt
 *	gpupt.io/vfio-10de-2330=8       display-class on vfio, per ID
 *	gpupt.io/quarantined=0          functions quarantined after a failed
 *	                                post-reset check (handoff refuses
 *	                                them); from the module, 0 without it
 *	                                or with --root
 *	gpupt.io/healthy-vfio-gpus=8    vfio-gpus less the quarantined ones
 *
 * Default file: /etc/kubernetes/node-feature-discovery/features.d/gpupt,
 * written as a dot file in that directory (nfd-worker skips dot files)
 * and renamed over the old one.  Every key is checked against Kubernetes'
 * qualified-name rules and every value against the label-value rules
 * before anything is written.  nfd-master accepts namespaces outside
 * kubernetes.io from NFD v0.13 on (denyLabelNs); before that it needs
 * -extra-label-ns=gpupt.io.
 */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devrec.h"
#include "fleet.h"
#include "gptctl.h"
#include "nl.h"
#include "print.h"
#include "sysfile.h"

#define NFD_DEFAULT	"/etc/kubernetes/node-feature-discovery/features.d/gpupt"
#define NFD_NS		"gpupt.io/"

struct label {
	char key[128];
	char value[64];
};

struct labels {
	struct label v[64];
	size_t n;
};

static int add(struct labels *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add(struct labels *l, const char *key, const char *fmt, ...)
{
	struct label *x;
	va_list ap;

	if (l->n == sizeof(l->v) / sizeof(l->v[0]))
		return -E2BIG;
	x = &l->v[l->n];
	snprintf(x->key, sizeof(x->key), NFD_NS "%s", key);
	va_start(ap, fmt);
	vsnprintf(x->value, sizeof(x->value), fmt, ap);
	va_end(ap);
	if (!k8s_qualified_name_ok(x->key) || !k8s_label_value_ok(x->value)) {
		errmsg("internal error: label %s=%s breaks Kubernetes' rules",
		       x->key, x->value);
		return -EINVAL;
	}
	l->n++;
	return 0;
}

struct idcount {
	uint16_t vendor, device;
	unsigned int n;
};

/*
 * Quarantined functions from the module: all of them, and those that are
 * display-class functions on a vfio driver.  Zero when the module is not
 * loaded (nothing is quarantined then) or with --root.
 */
static int count_quarantined(const char *root, unsigned int *all,
			     unsigned int *vfio_gpus)
{
	struct nlconn *nl;
	struct devrec *d;
	size_t n, i;
	int err;

	*all = *vfio_gpus = 0;
	if (root)
		return 0;
	err = nlconn_open(&nl);
	if (err == -ENOENT)
		return 0;
	if (err) {
		errmsg("cannot open generic netlink: %s", strerror(-err));
		return err;
	}
	err = devrec_dump(nl, &d, &n);
	if (err) {
		nlconn_error(nl, err, "cannot list devices");
		nlconn_close(nl);
		return -EINVAL;	/* reported */
	}
	nlconn_close(nl);
	for (i = 0; i < n; i++) {
		if (!devrec_quarantined(&d[i]))
			continue;
		(*all)++;
		if ((d[i].class >> 16) == 0x03 && d[i].has_driver &&
		    driver_is_vfio(d[i].driver))
			(*vfio_gpus)++;
	}
	devrec_free_array(d, n);
	return 0;
}

static int collect(const char *root, struct labels *l)
{
	struct idcount ids[32];
	size_t nids = 0, n, i, j;
	unsigned int gpus = 0, vfio = 0, held = 0, quar, quar_vfio;
	struct fleet_dev *d;
	char path[PATH_MAX];
	int err;

	err = count_quarantined(root, &quar, &quar_vfio);
	if (err)
		return err;
	err = fleet_scan(root, &d, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (!fleet_is_display(&d[i]))
			continue;
		gpus++;
		if (d[i].has_driver && !strcmp(d[i].driver, "gpupt"))
			held++;
		if (!d[i].has_driver || !driver_is_vfio(d[i].driver))
			continue;
		vfio++;
		for (j = 0; j < nids; j++)
			if (ids[j].vendor == d[i].vendor && ids[j].device == d[i].device)
				break;
		if (j == nids) {
			if (nids == sizeof(ids) / sizeof(ids[0]))
				continue;	/* the counts above still hold */
			ids[nids].vendor = d[i].vendor;
			ids[nids].device = d[i].device;
			ids[nids++].n = 0;
		}
		ids[j].n++;
	}
	free(d);

	root_path(root, "/sys/module/gpupt", path, sizeof(path));
	err = add(l, "iommu", "%s", fleet_iommu_enabled(root) ? "true" : "false");
	err = err ? err : add(l, "module", "%s", file_exists(path) ? "true" : "false");
	err = err ? err : add(l, "gpus", "%u", gpus);
	err = err ? err : add(l, "vfio-gpus", "%u", vfio);
	err = err ? err : add(l, "held-gpus", "%u", held);
	err = err ? err : add(l, "quarantined", "%u", quar);
	err = err ? err : add(l, "healthy-vfio-gpus", "%u",
			      vfio >= quar_vfio ? vfio - quar_vfio : 0);
	for (j = 0; j < nids && !err; j++) {
		char key[32];

		snprintf(key, sizeof(key), "vfio-%04x-%04x", ids[j].vendor,
			 ids[j].device);
		err = add(l, key, "%u", ids[j].n);
	}
	return err;
}

int cmd_nfd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "root", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct fleet_opts o;
	struct labels l = { .n = 0 };
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;
	int err;

	err = fleet_getopt(argc, argv, "o:r:", longopts, NFD_DEFAULT, &o, NULL,
			   NULL);
	if (err)
		return err;

	err = collect(o.root, &l);
	if (err) {
		if (err != -EINVAL)
			errmsg("cannot list PCI devices: %s", strerror(-err));
		return EXIT_FAIL;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		errmsg("out of memory");
		return EXIT_FAIL;
	}
	fprintf(f, "# gpupt labels for node-feature-discovery (gptctl nfd)\n");
	for (i = 0; i < l.n; i++)
		fprintf(f, "%s=%s\n", l.v[i].key, l.v[i].value);
	fclose(f);

	err = fleet_write_output(&o, buf, len);
	if (err) {
		free(buf);
		return err;
	}
	open_json_object(NULL);
	fleet_print_output(&o, "# %s\n");
	open_json_object("labels");
	for (i = 0; i < l.n; i++) {
		print_text("%s=", l.v[i].key);
		print_string(l.v[i].key, "%s\n", l.v[i].value);
	}
	close_json_object();
	close_json_object();
	print_end();
	free(buf);
	return EXIT_OK;
}
