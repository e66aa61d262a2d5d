// SPDX-License-Identifier: GPL-2.0
/*
 * One version everywhere: the top-level VERSION file, `gptctl --version`
 * and the module's MODULE_VERSION (a GPUPT_VERSION literal in kmod/, unless
 * kmod's Kbuild takes it from ../VERSION itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static char version[64];

static void read_version(void)
{
	FILE *f = fopen("../../VERSION", "r");

	if (f && fgets(version, sizeof(version), f))
		version[strcspn(version, "\n")] = '\0';
	if (f)
		fclose(f);
}

static void t_version_file(void)
{
	CHECK(version[0] != '\0');
	/* MAJOR.MINOR.PATCH, digits only: dkms and Debian versions like it */
	{
		unsigned int a, b, c;
		char rest;

		CHECK(sscanf(version, "%u.%u.%u%c", &a, &b, &c, &rest) == 3);
	}
}

static void t_gptctl_version(void)
{
	char line[128] = "", want[128];
	FILE *p = popen("../../ctl/gptctl --version", "r");

	CHECK(p != NULL);
	if (!p)
		return;
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	CHECK_INT(pclose(p), 0);
	line[strcspn(line, "\n")] = '\0';
	snprintf(want, sizeof(want), "gptctl %s", version);
	CHECK_STR(line, want);
}

static void t_module_version(void)
{
	char line[512];
	FILE *p;
	int literals = 0, from_file = 0;

	/* literal "#define GPUPT_VERSION "x.y.z"" anywhere in kmod/ */
	p = popen("grep -h -E '^#define[[:space:]]+GPUPT_VERSION[[:space:]]+\"' ../../kmod/*.h ../../kmod/*.c 2>/dev/null", "r");
	while (p && fgets(line, sizeof(line), p)) {
		char *q = strchr(line, '"'), *e = q ? strchr(q + 1, '"') : NULL;

		if (!q || !e)
			continue;
		*e = '\0';
		literals++;
		CHECK_STR(q + 1, version);
	}
	if (p)
		pclose(p);
	p = popen("grep -l -E 'VERSION' ../../kmod/Kbuild 2>/dev/null | head -1", "r");
	if (p && fgets(line, sizeof(line), p))
		from_file = 1;
	if (p)
		pclose(p);
	if (!literals && !from_file)
		printf("# kmod/ has no GPUPT_VERSION literal and Kbuild does not read VERSION\n");
	CHECK(literals || from_file);
}

int main(void)
{
	read_version();
	RUN(t_version_file);
	RUN(t_gptctl_version);
	RUN(t_module_version);
	return unit_done();
}
