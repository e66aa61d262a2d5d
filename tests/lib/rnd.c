// SPDX-License-Identifier: GPL-2.0
/*
 * rnd: xorshift64 for the test tools (rnd.h).
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#include "rnd.h"

uint64_t rng = 1;

uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

unsigned int rn(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}
