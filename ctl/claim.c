// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl claim / unclaim.
 */
#include <errno.h>
#include <string.h>

#include "devprint.h"
#include "devrec.h"
#include "gptctl.h"
#include "holders.h"
#include "nl.h"
#include "print.h"
#include "sysfile.h"

static int record_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct devrec *r = arg;

	(void)cmd;
	if (!tb[GPUPT_A_DEVICE])
		return 0;
	devrec_free(r);
	return devrec_parse(tb[GPUPT_A_DEVICE], r) ? -EPROTO : 0;
}

/*
 * claim --force of a function on a host driver: refuse, naming them, while
 * anything holds it (the unbind would wait for processes; the console and
 * a firmware framebuffer would lose their device).  With release_host the
 * console is unbound instead (h keeps it, to undo on failure).  1 when
 * refused.
 */
static int claim_holders(const struct gpupt_addr *a, const char *cmd,
			 bool release_host, struct holders *h)
{
	size_t i, refusing = 0;
	char drv[64];
	int err;

	if (pci_driver(NULL, a, drv, sizeof(drv)) || !drv[0] ||
	    !strcmp(drv, "gpupt") || driver_is_vfio(drv))
		return 0;
	err = holders_find(a, 1, HOLDERS_ALL, h);
	if (err)
		return 0;
	for (i = 0; i < h->n; i++)
		refusing += !release_host || h->v[i].kind != HOLDER_CONSOLE;
	if (!refusing)
		return holders_consoles_release(h) ? 1 : 0;
	if (release_host) {	/* list only what refuses */
		size_t k = 0;

		for (i = 0; i < h->n; i++)
			if (h->v[i].kind != HOLDER_CONSOLE)
				h->v[k++] = h->v[i];
		h->n = k;
	}
	open_json_object(NULL);
	holders_print(h);
	close_json_object();
	print_end();
	errmsg("%s: %s: %zu holder%s; nothing was changed", cmd,
	       strerror(EBUSY), h->n, h->n == 1 ? "" : "s");
	return 1;
}

static int claim_common(int argc, char **argv, uint8_t gcmd, bool allow_force)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "release-host", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct holders h = { 0 };
	bool release_host = false;
	struct nlconn_req req = { .cmd = gcmd };
	char buf[GPUPT_ADDR_STRLEN];
	struct gpupt_addr a;
	struct nlconn *nl;
	struct devrec r;
	int c, err;

	while ((c = cmd_getopt(argc, argv, allow_force ? "f" : "",
			       allow_force ? longopts : longopts + 2)) != -1) {
		if (c == 'H') {
			release_host = true;
			continue;
		}
		if (c != 'f')
			return EXIT_USAGE;
		req.flags |= GPUPT_F_FORCE;
	}
	if (release_host && !(req.flags & GPUPT_F_FORCE))
		return usage_error("--release-host is for claim --force");
	if (argc - optind != 1)
		return usage_error("expected one address");
	if (addr_arg(argv[optind], &a))
		return EXIT_USAGE;
	addr_format(&a, buf);
	req.addr = &a;
	memset(&r, 0, sizeof(r));
	err = nlconn_connect(&nl);	/* before the console is touched */
	if (err)
		return err;
	if ((req.flags & GPUPT_F_FORCE) &&
	    claim_holders(&a, argv[0], release_host, &h)) {
		nlconn_close(nl);
		holders_free(&h);
		return EXIT_FAIL;
	}
	err = nlconn_request(nl, &req, record_cb, &r);
	if (err) {
		nlconn_error(nl, err, "%s %s", argv[0], buf);
		nlconn_close(nl);
		holders_consoles_undo(&h);
		holders_free(&h);
		devrec_free(&r);
		return EXIT_FAIL;
	}
	nlconn_close(nl);
	holders_free(&h);
	if (is_json()) {
		print_dev_show(&r);
	} else {
		print_text("%s: %s\n", buf,
			   r.has_driver ? r.driver : "no driver bound");
	}
	if (gcmd == GPUPT_CMD_UNCLAIM) {	/* a console claim took */
		int vt = holders_console_restore(&a, 5000);

		if (vt >= 0)
			print_text("console: vtcon%d bound to %s's framebuffer again\n",
				   vt, buf);
		else if (vt != -1)
			errmsg("%s: could not give the console back (%s)", buf,
			       strerror(-vt));
	}
	print_end();
	devrec_free(&r);
	return EXIT_OK;
}

int cmd_claim(int argc, char **argv)
{
	return claim_common(argc, argv, GPUPT_CMD_CLAIM, true);
}

int cmd_unclaim(int argc, char **argv)
{
	return claim_common(argc, argv, GPUPT_CMD_UNCLAIM, false);
}
