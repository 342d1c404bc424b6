/* Unit tests of guard: failed logins per client address, on a fake clock. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "t.h"

/* A guard of 3 failures per 1000 ms. */
static struct guard *
three_per_second(void)
{
	char err[CFG_ERR_MAX];

	setenv("AUTH_FAIL_LIMIT", "3", 1);
	setenv("AUTH_FAIL_WINDOW_MS", "1000", 1);
	return guard_new(err);
}

static void
the_defaults_are_100_failures_per_10_s(void)
{
	struct guard *g;
	char          err[CFG_ERR_MAX];

	unsetenv("AUTH_FAIL_LIMIT");
	unsetenv("AUTH_FAIL_WINDOW_MS");
	g = guard_new(err);
	T_CHECK(g != NULL && guard_limit(g) == 100 &&
		guard_window_ms(g) == 10000,
	    "100 per 10000 ms");
	guard_free(g);
}

static void
a_block_from_the_store_refuses_for_what_it_said_then_ends(void)
{
	struct guard *g = three_per_second();

	guard_block(g, "10.0.0.7", 100, 400);
	T_CHECK(guard_check(g, "10.0.0.7", 100) == 400, "400 ms left");
	T_CHECK(guard_check(g, "10.0.0.7", 499) == 1, "1 ms left");
	T_CHECK(guard_check(g, "10.0.0.7", 500) == 0, "over at 500");
	T_CHECK(guard_check(g, "10.0.0.8", 100) == 0, "another address");
	/* Never longer than the window, whatever the store said. */
	guard_block(g, "10.0.0.7", 1000, 5000);
	T_CHECK(guard_check(g, "10.0.0.7", 1000) == 1000, "the window");
	guard_block(g, "10.0.0.9", 1000, 0);
	T_CHECK(guard_check(g, "10.0.0.9", 1000) == 0, "0 ms: no block");
	guard_free(g);
}

static void
failures_below_the_limit_refuse_nothing(void)
{
	struct guard *g = three_per_second();

	guard_fail(g, "10.0.0.1", 0);
	guard_fail(g, "10.0.0.1", 10);
	T_CHECK(guard_check(g, "10.0.0.1", 20) == 0, "two of three");
	guard_free(g);
}

static void
the_limit_th_failure_refuses_until_the_window_ends(void)
{
	struct guard *g = three_per_second();
	int           i;

	for (i = 0; i < 3; i++)
		guard_fail(g, "10.0.0.1", 100);
	T_CHECK(guard_check(g, "10.0.0.1", 100) == 1000, "1000 ms left");
	T_CHECK(guard_check(g, "10.0.0.1", 600) == 500, "500 ms left");
	T_CHECK(guard_check(g, "10.0.0.1", 1100) == 0, "over at 1100");
	guard_free(g);
}

/* Failures that raced past guard_check(): only the limit's are 401s. */
static void
a_failure_past_the_spent_budget_is_refused(void)
{
	struct guard *g = three_per_second();
	int           i;

	for (i = 0; i < 3; i++)
		T_CHECK(guard_fail(g, "10.0.0.1", 100) == 0,
		    "within the limit");
	T_CHECK(guard_fail(g, "10.0.0.1", 300) == 800, "the 4th: 800 ms left");
	guard_free(g);
}

static void
more_failures_while_refused_do_not_extend_the_window(void)
{
	struct guard *g = three_per_second();
	int           i;

	for (i = 0; i < 10; i++)
		guard_fail(g, "10.0.0.1", 100 + i * 50);
	T_CHECK(guard_check(g, "10.0.0.1", 1099) == 1, "ends at 1100");
	guard_free(g);
}

static void
another_address_is_not_refused(void)
{
	struct guard *g = three_per_second();
	int           i;

	for (i = 0; i < 3; i++)
		guard_fail(g, "10.0.0.1", 0);
	T_CHECK(guard_check(g, "10.0.0.2", 0) == 0, "10.0.0.2");
	T_CHECK(guard_check(g, "::1", 0) == 0, "::1");
	guard_free(g);
}

static void
a_window_that_ends_below_the_limit_starts_over(void)
{
	struct guard *g = three_per_second();

	guard_fail(g, "10.0.0.1", 0);
	guard_fail(g, "10.0.0.1", 0);
	guard_fail(g, "10.0.0.1", 1000); /* a new window: 1 of 3 */
	guard_fail(g, "10.0.0.1", 1500);
	T_CHECK(guard_check(g, "10.0.0.1", 1500) == 0, "two in the new one");
	guard_free(g);
}

static void
limit_0_refuses_nothing(void)
{
	struct guard *g;
	char          err[CFG_ERR_MAX];
	int           i;

	setenv("AUTH_FAIL_LIMIT", "0", 1);
	g = guard_new(err);
	for (i = 0; i < 1000; i++)
		guard_fail(g, "10.0.0.1", 0);
	T_CHECK(guard_check(g, "10.0.0.1", 0) == 0, "1000 failures");
	guard_free(g);
}

static void
a_bad_limit_or_window_is_an_error_naming_it(void)
{
	char err[CFG_ERR_MAX];

	setenv("AUTH_FAIL_LIMIT", "-1", 1);
	T_CHECK(guard_new(err) == NULL && strstr(err, "AUTH_FAIL_LIMIT") == err,
	    "a negative limit");
	setenv("AUTH_FAIL_LIMIT", "5", 1);
	setenv("AUTH_FAIL_WINDOW_MS", "0", 1);
	T_CHECK(guard_new(err) == NULL &&
		strstr(err, "AUTH_FAIL_WINDOW_MS") == err,
	    "a zero window");
	unsetenv("AUTH_FAIL_LIMIT");
	unsetenv("AUTH_FAIL_WINDOW_MS");
}

/* Writes into out an address of the form 10.0.x.y in a's bucket, not a. */
static void
same_bucket(const struct guard *g, const char *a, int skip, char out[32])
{
	int i;

	for (i = 0; i < 1 << 16; i++) {
		snprintf(out, 32, "10.0.%d.%d", i >> 8, i & 0xff);
		if (strcmp(out, a) != 0 &&
		    guard_bucket(g, out) == guard_bucket(g, a) && skip-- == 0)
			return;
	}
	out[0] = '\0';
}

static void
siphash_is_the_reference_function(void)
{
	/* The SipHash paper's vector: key 00..0f, message 00..0e. */
	uint64_t      key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	unsigned char msg[15];
	size_t        i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	T_CHECK(guard_siphash(key, msg, sizeof(msg)) == 0xa129ca6149be45e5ULL,
	    "SipHash-2-4 of 15 bytes");
}

static void
an_address_in_the_bucket_of_a_refused_one_is_not_refused(void)
{
	struct guard *g = three_per_second();
	char          victim[32];
	int           i;

	same_bucket(g, "192.0.2.1", 0, victim);
	T_CHECK(victim[0] != '\0', "an address in the same bucket");
	for (i = 0; i < 3; i++)
		guard_fail(g, "192.0.2.1", 1000);
	T_CHECK(guard_check(g, "192.0.2.1", 1001) > 0, "the attacker refused");
	T_CHECK(guard_check(g, victim, 1001) == 0,
	    "its bucket's other address not");
	guard_fail(g, victim, 1002);
	T_CHECK(guard_check(g, victim, 1003) == 0, "one failure of its own");
	guard_free(g);
}

static void
the_bucket_of_an_address_depends_on_a_random_key_per_guard(void)
{
	struct guard *a = three_per_second(), *b = three_per_second();
	char          addr[32];
	int           i, differ = 0;

	/* 64 addresses in the same buckets of two keys: 1 in 1024^64. */
	for (i = 0; i < 64; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		differ += guard_bucket(a, addr) != guard_bucket(b, addr);
	}
	T_CHECK(differ > 0, "the two guards place them apart");
	guard_free(a);
	guard_free(b);
}

static void
a_full_bucket_keeps_its_refused_address(void)
{
	struct guard *g = three_per_second();
	char          other[32];
	int           i;

	for (i = 0; i < 3; i++)
		guard_fail(g, "192.0.2.7", 1000);
	/* Ten more addresses of that bucket fail, once each (4 slots). */
	for (i = 0; i < 10; i++) {
		same_bucket(g, "192.0.2.7", i, other);
		T_CHECK(other[0] != '\0', "another address of the bucket");
		guard_fail(g, other, 1010 + i);
	}
	T_CHECK(guard_check(g, "192.0.2.7", 1100) > 0,
	    "the refused address is still refused");
	T_CHECK(guard_check(g, "192.0.2.7", 2001) == 0,
	    "until its window ends");
	guard_free(g);
}

/* Threads of the stress test: each fails every address 100 times. */
#define STRESS_THREADS 8
#define STRESS_ADDRS   16

static struct guard *stress_g;

static void *
stress_fail(void *arg)
{
	char addr[32];
	int  i, a;

	(void)arg;
	for (i = 0; i < 100; i++)
		for (a = 0; a < STRESS_ADDRS; a++) {
			snprintf(addr, sizeof(addr), "203.0.113.%d", a);
			guard_fail(stress_g, addr, 1000);
			(void)guard_check(stress_g, addr, 1000);
		}
	return NULL;
}

static void
eight_threads_failing_at_once_lose_no_failure(void)
{
	pthread_t t[STRESS_THREADS];
	char      addr[32], err[CFG_ERR_MAX];
	int       i, a, refused = 0;

	setenv("AUTH_FAIL_LIMIT", "1000", 1);
	setenv("AUTH_FAIL_WINDOW_MS", "1000000", 1);
	stress_g = guard_new(err);
	for (i = 0; i < STRESS_THREADS; i++)
		pthread_create(&t[i], NULL, stress_fail, NULL);
	for (i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
	/* 800 failures each: 199 more leave them one short of 1000. */
	for (a = 0; a < STRESS_ADDRS; a++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", a);
		for (i = 0; i < 199; i++)
			guard_fail(stress_g, addr, 2000);
		refused += guard_check(stress_g, addr, 2000) > 0;
	}
	T_CHECK(refused == 0, "999 failures each: none refused yet");
	for (a = 0; a < STRESS_ADDRS; a++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", a);
		guard_fail(stress_g, addr, 2000);
		refused += guard_check(stress_g, addr, 2000) > 0;
	}
	T_CHECK(refused == STRESS_ADDRS, "the 1000th refuses every one");
	guard_free(stress_g);
	unsetenv("AUTH_FAIL_LIMIT");
	unsetenv("AUTH_FAIL_WINDOW_MS");
}

/* guard_client(addr) under AUTH_FAIL_IPV6_PREFIX=prefix ("": unset). */
static void
client_is(const char *prefix, const char *addr, const char *want)
{
	struct guard *g;
	char          err[CFG_ERR_MAX], out[GUARD_ADDR_MAX + 1], what[128];

	if (prefix[0] != '\0')
		setenv("AUTH_FAIL_IPV6_PREFIX", prefix, 1);
	else
		unsetenv("AUTH_FAIL_IPV6_PREFIX");
	g = guard_new(err);
	T_CHECK(g != NULL, "made");
	if (g == NULL)
		return;
	guard_client(g, addr, out);
	snprintf(what, sizeof(what), "/%s %s", prefix[0] ? prefix : "64", addr);
	T_STREQ(out, want, what);
	guard_free(g);
	unsetenv("AUTH_FAIL_IPV6_PREFIX");
}

static void
an_ipv6_client_is_counted_as_its_network_of_64_bits_by_default(void)
{
	char err[CFG_ERR_MAX];

	client_is("", "2001:db8:1:2::a", "2001:db8:1:2::/64");
	client_is("", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64");
	/* Another spelling of the same address: the same name. */
	client_is("", "2001:DB8:1:2:0:0:0:A", "2001:db8:1:2::/64");
	client_is("", "2001:db8:1:3::a", "2001:db8:1:3::/64");
	client_is("48", "2001:db8:1:2::a", "2001:db8:1::/48");
	client_is("56", "2001:db8:1:2ff::1", "2001:db8:1:200::/56");
	client_is("63", "2001:db8:1:3::1", "2001:db8:1:2::/63");
	client_is("128", "2001:db8::1", "2001:db8::1/128");
	client_is("1", "ffff::", "8000::/1");
	client_is("", "::1", "::/64");
	/* IPv4, and IPv4 mapped into IPv6, as the IPv4 address. */
	client_is("", "10.0.0.1", "10.0.0.1");
	client_is("", "::ffff:10.0.0.1", "10.0.0.1");
	client_is("", "unix:", "unix:");
	client_is("", "", "");
	setenv("AUTH_FAIL_IPV6_PREFIX", "0", 1);
	T_CHECK(guard_new(err) == NULL &&
		strstr(err, "AUTH_FAIL_IPV6_PREFIX") != NULL,
	    "a prefix of 0 is refused");
	setenv("AUTH_FAIL_IPV6_PREFIX", "129", 1);
	T_CHECK(guard_new(err) == NULL, "a prefix of 129 is refused");
	unsetenv("AUTH_FAIL_IPV6_PREFIX");
}

int
main(void)
{
	T_RUN(an_ipv6_client_is_counted_as_its_network_of_64_bits_by_default);
	T_RUN(the_defaults_are_100_failures_per_10_s);
	T_RUN(failures_below_the_limit_refuse_nothing);
	T_RUN(a_block_from_the_store_refuses_for_what_it_said_then_ends);
	T_RUN(the_limit_th_failure_refuses_until_the_window_ends);
	T_RUN(a_failure_past_the_spent_budget_is_refused);
	T_RUN(more_failures_while_refused_do_not_extend_the_window);
	T_RUN(another_address_is_not_refused);
	T_RUN(a_window_that_ends_below_the_limit_starts_over);
	T_RUN(limit_0_refuses_nothing);
	T_RUN(a_bad_limit_or_window_is_an_error_naming_it);
	T_RUN(siphash_is_the_reference_function);
	T_RUN(an_address_in_the_bucket_of_a_refused_one_is_not_refused);
	T_RUN(the_bucket_of_an_address_depends_on_a_random_key_per_guard);
	T_RUN(a_full_bucket_keeps_its_refused_address);
	T_RUN(eight_threads_failing_at_once_lose_no_failure);
	return T_DONE();
}
