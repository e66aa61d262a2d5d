/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rnd: the test tools' randomness, xorshift64, reproducible from the seed a
 * tool prints and takes back with -s.
 *
 * Copyright (C) 2026 The gpupt authors.
 */
#ifndef GPUPT_TESTS_RND_H
#define GPUPT_TESTS_RND_H

#include <stdint.h>

/* The state: the tool seeds it (never 0) before the first rnd(). */
extern uint64_t rng;

uint64_t rnd(void);
/* 0..@n-1 (0 when @n is 0). */
unsigned int rn(unsigned int n);

#endif
