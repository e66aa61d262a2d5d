/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny TAP-ish harness for gptctl's unit tests:
 *
 *	static void t_something(void) { CHECK(x == 1); CHECK_STR(s, "a"); }
 *	int main(void) { RUN(t_something); return unit_done(); }
 *
 * Prints "ok N name" or "not ok N name" per test, with "# ..." lines for
 * each failed check, then "1..N".  Exit status 1 if anything failed.
 */
#ifndef GPTCTL_UNIT_H
#define GPTCTL_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_n, unit_failed_tests, unit_cur_failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		unit_cur_failed++;					\
		printf("# %s:%d: CHECK(%s) failed\n", __FILE__,		\
		       __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!g_ || !w_ || strcmp(g_, w_)) {				\
		unit_cur_failed++;					\
		printf("# %s:%d: %s = \"%s\", want \"%s\"\n", __FILE__,	\
		       __LINE__, #got, g_ ? g_ : "(null)",		\
		       w_ ? w_ : "(null)");				\
	}								\
} while (0)

#define CHECK_INT(got, want) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_) {							\
		unit_cur_failed++;					\
		printf("# %s:%d: %s = %lld, want %lld\n", __FILE__,	\
		       __LINE__, #got, g_, w_);				\
	}								\
} while (0)

#define RUN(fn) do {							\
	unit_cur_failed = 0;						\
	fn();								\
	unit_n++;							\
	if (unit_cur_failed)						\
		unit_failed_tests++;					\
	printf("%sok %d %s\n", unit_cur_failed ? "not " : "", unit_n,	\
	       #fn);							\
	fflush(stdout);							\
} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed_tests ? 1 : 0;
}

#endif /* GPTCTL_UNIT_H */
