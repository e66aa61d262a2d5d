// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the modprobe.d reader and the initramfs-tools modules list editor
 * (ctl/cfgparse.c) that setup and doctor run over files under /etc.
 */
#include "cfgparse.h"
#include "fuzz.h"

static int one(const char *cmd, const char *module, const char *rest,
	       void *arg)
{
	(void)arg;
	CHECK(*cmd && *module);
	CHECK(!strpbrk(cmd, " \t\n") && !strpbrk(module, " \t\n"));
	(void)strlen(rest);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), v[64], *out;

	modprobe_foreach(s, one, NULL);
	modprobe_option(s, "gpupt", "ids", v, sizeof(v));
	modprobe_softdep_pre(s, "nouveau", "gpupt");
	modprobe_blacklisted(s, "nouveau");
	out = modules_list_add(s, "gpupt");
	CHECK(out);
	CHECK(modules_list_has(out, "gpupt"));
	/* Adding twice adds once. */
	if (modules_list_has(s, "gpupt"))
		CHECK(!strcmp(out, s));
	free(out);
	free(s);
	return 0;
}
