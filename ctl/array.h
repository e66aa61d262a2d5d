/* SPDX-License-Identifier: GPL-2.0 */
/* A growable array: the one helper the parsers and the commands share. */
#ifndef GPTCTL_ARRAY_H
#define GPTCTL_ARRAY_H

#include <stdlib.h>

/*
 * Room for one more element in an array of @n elements of @size bytes with
 * capacity *@cap: when it is full, it is reallocated to twice the capacity
 * (@first the first time).  Returns the array, moved or not, and updates
 * *@cap; NULL when out of memory (the array is left as it was).
 */
static inline void *array_grow(void *v, size_t *cap, size_t n, size_t size,
			       size_t first)
{
	size_t ncap;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : first;
	v = reallocarray(v, ncap, size);
	if (v)
		*cap = ncap;
	return v;
}

#endif
