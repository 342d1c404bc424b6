/*
 * t.h: the unit tests' whole framework.  A test is a function with no
 * arguments, named for the one behaviour it checks, with its own state;
 * main() runs each with T_RUN(), which prints one TAP line ("ok N - its
 * name, in words" or "not ok ..."); scripts/test.sh counts them.  Inside, a
 * T_CHECK() that fails prints why as a TAP comment and fails the test.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

static int t_n, t_failed, t_bad;

#define T_CHECK(cond, what)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			t_bad++;                                               \
			printf("# %s (%s:%d: %s)\n", what, __FILE__, __LINE__, \
			    #cond);                                            \
		}                                                              \
	} while (0)

#define T_STREQ(a, b, what) T_CHECK(strcmp((a), (b)) == 0, what)

static void
t_run(const char *name, void (*fn)(void))
{
	char   words[128];
	size_t i;

	t_bad = 0;
	fn();
	for (i = 0; name[i] != '\0' && i < sizeof(words) - 1; i++)
		words[i] = name[i] == '_' ? ' ' : name[i];
	words[i] = '\0';
	t_n++;
	if (t_bad)
		t_failed++;
	printf("%sok %d - %s\n", t_bad ? "not " : "", t_n, words);
	fflush(stdout);
}

#define T_RUN(fn) t_run(#fn, fn)

#define T_DONE() (printf("1..%d\n", t_n), t_failed ? 1 : 0)

#endif
