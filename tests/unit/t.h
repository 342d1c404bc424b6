/*
 * t.h: the unit tests' whole framework.  Each check prints one TAP line
 * ("ok N - what" / "not ok N - what"); scripts/test.sh counts them.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

static int t_n, t_failed;

#define T_CHECK(cond, what) do {					\
	t_n++;								\
	if (cond)							\
		printf("ok %d - %s\n", t_n, what);			\
	else {								\
		t_failed++;						\
		printf("not ok %d - %s (%s:%d: %s)\n", t_n, what,	\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define T_STREQ(a, b, what) T_CHECK(strcmp((a), (b)) == 0, what)

#define T_DONE() (printf("1..%d\n", t_n), t_failed ? 1 : 0)

#endif
