/* SPDX-License-Identifier: GPL-2.0 */
/* Shared bits of the libFuzzer harnesses. */
#ifndef GPUPT_FUZZ_H
#define GPUPT_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An invariant of the parser does not hold: crash so libFuzzer keeps it. */
#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* The input as a NUL-terminated string (embedded NULs cut it short). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
