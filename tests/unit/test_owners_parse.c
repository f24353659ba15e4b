// SPDX-License-Identifier: MIT
/*
 * Tests for lib/owners.c's /proc text parsers: a socket fd's link, a
 * stat line whose comm holds ')' and spaces, and the limits file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "owners_impl.h"
#include "tcplimbo/owners.h"

#include "test_owners.h"

static void test_parse_socket_link(void **state)
{
	static const struct {
		const char *s;
		uint32_t want;
	} cases[] = {
		{ "socket:[123]", 123 },
		{ "socket:[1]", 1 },
		{ "socket:[4294967295]", UINT32_MAX },
		{ "socket:[4294967296]", 0 },
		{ "socket:[4294967419]", 0 }, /* 2^32 + 123 */
		{ "socket:[99999999999999999999999]", 0 },
		{ "socket:[00000000123]", 0 },
		{ "socket:[0000000123]", 123 },
		{ "socket:[0]", 0 },
		{ "socket:[]", 0 },
		{ "socket:[12", 0 },
		{ "socket:[12]x", 0 },
		{ "socket:[1a]", 0 },
		{ "socket:[-1]", 0 },
		{ "socket:[ 1]", 0 },
		{ "socket:123]", 0 },
		{ "Socket:[123]", 0 },
		{ "pipe:[9]", 0 },
		{ "anon_inode:[eventpoll]", 0 },
		{ "/dev/null", 0 },
		{ "", 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t got = tl_proc_parse_socket_link(cases[i].s,
							 strlen(cases[i].s));
		if (got != cases[i].want)
			fail_msg("%s: got %u want %u", cases[i].s, got,
				 cases[i].want);
	}
	/* The length bounds the parse: a prefix of a valid link is not. */
	assert_int_equal(tl_proc_parse_socket_link("socket:[123]", 11), 0);
	assert_int_equal(tl_proc_parse_socket_link("socket:[123]]", 12), 123);
	assert_int_equal(tl_proc_parse_socket_link(NULL, 12), 0);
}

static void test_parse_stat(void **state)
{
	char comm[TL_COMM_MAX];
	uint64_t start = 1, cpu = 1;
	char long_stat[512];
	int n;
	(void)state;

	assert_int_equal(tl_proc_parse_stat(STAT_100, strlen(STAT_100), comm,
					    &start, &cpu, NULL),
			 0);
	assert_string_equal(comm, "(a) b)");
	assert_int_equal(start, 12345);
	assert_int_equal(cpu, 10);

	/* Without the trailing fields past starttime, and without '\n'. */
	const char *s2 = "7 (x) S 1 1 1 0 -1 0 0 0 0 0 4 5 0 0 20 0 1 0 66";
	pid_t ppid = 0;
	assert_int_equal(tl_proc_parse_stat(s2, strlen(s2), comm, &start, &cpu,
					    &ppid),
			 0);
	assert_string_equal(comm, "x");
	assert_int_equal(ppid, 1);
	assert_int_equal(start, 66);
	assert_int_equal(cpu, 9);

	/* The task's flags (field 9): a kernel thread's has PF_KTHREAD. */
	uint64_t flags = 1;
	assert_int_equal(tli_proc_parse_stat(s2, strlen(s2), comm, NULL, NULL,
					     NULL, &flags),
			 0);
	assert_int_equal(flags, 0);
	const char *kt = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 "
			 "20 0 1 0 9\n";
	assert_int_equal(tli_proc_parse_stat(kt, strlen(kt), comm, NULL, NULL,
					     &ppid, &flags),
			 0);
	assert_int_equal(flags, 2129984);
	assert_true(flags & PF_KTHREAD);
	assert_int_equal(ppid, 0);

	/* An empty comm is valid. */
	const char *s3 = "7 () S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1\n";
	assert_int_equal(
		tl_proc_parse_stat(s3, strlen(s3), comm, NULL, NULL, NULL), 0);
	assert_string_equal(comm, "");

	/* A comm longer than we keep is truncated, not an error. */
	n = snprintf(long_stat, sizeof(long_stat),
		     "7 (%0100d) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1\n",
		     0);
	assert_true(n > 0 && (size_t)n < sizeof(long_stat));
	assert_int_equal(tl_proc_parse_stat(long_stat, (size_t)n, comm, &start,
					    &cpu, NULL),
			 0);
	assert_int_equal(strlen(comm), TL_COMM_MAX - 1);

	/* Failures leave the outputs alone. */
	start = cpu = 77;
	static const char *const bad[] = {
		"",
		"7 x) S 1",
		"7 (x S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1",
		"7 )x( S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1",
		/* Truncated before starttime. */
		"7 (x) S 1 1 1 0 -1 0 0 0 0 0 4 5 0 0 20 0 1 0",
		"7 (x) S 1 1 1 0 -1 0 0 0 0 0 4 5 0 0 20 0 1 0 ",
		"7 (x)",
		/* A parent pid that is not a pid. */
		"7 (x) S 4294967296 1 1 0 -1 0 0 0 0 0 4 5 0 0 20 0 1 0 66",
		"7 (x) S -1 1 1 0 -1 0 0 0 0 0 4 5 0 0 20 0 1 0 66",
		/* Double space: an empty field. */
		"7 (x) S  1 1 0 -1 0 0 0 0 0 4 5 0 0 20 0 1 0 66 1",
		/* utime does not fit in 64 bits. */
		"7 (x) S 1 1 1 0 -1 0 0 0 0 0 99999999999999999999 5 0 0 20 0 "
		"1 0 66",
		/* utime + stime overflows. */
		"7 (x) S 1 1 1 0 -1 0 0 0 0 0 18446744073709551615 1 0 0 20 0 "
		"1 0 66",
		/* Negative or non-numeric times. */
		"7 (x) S 1 1 1 0 -1 0 0 0 0 0 -4 5 0 0 20 0 1 0 66",
		"7 (x) S 1 1 1 0 -1 0 0 0 0 0 4 5x 0 0 20 0 1 0 66",
		"7 (x) S 1 1 1 0 -1 0 0 0 0 0 4 5 0 0 20 0 1 0 6a6",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tl_proc_parse_stat(bad[i], strlen(bad[i]), comm, &start,
				       &cpu, NULL) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	}
	assert_int_equal(start, 77);
	assert_int_equal(cpu, 77);

	/* The length bounds the parse: the same text cut short fails. */
	assert_int_equal(tl_proc_parse_stat(s2, strlen(s2) - 3, comm, &start,
					    &cpu, NULL),
			 -EINVAL);
	assert_int_equal(tl_proc_parse_stat(NULL, 3, comm, &start, &cpu, NULL),
			 -EINVAL);
}

static void test_parse_limits(void **state)
{
	uint64_t soft = 1, hard = 1;
	(void)state;

	const char *l1 = LIMITS_HEAD
		"Max open files            1024                 524288       "
		"        files     \n" LIMITS_TAIL;
	assert_int_equal(tl_proc_parse_limits(l1, strlen(l1), &soft, &hard), 0);
	assert_int_equal(soft, 1024);
	assert_int_equal(hard, 524288);

	const char *l2 = "Max open files unlimited unlimited files\n";
	assert_int_equal(tl_proc_parse_limits(l2, strlen(l2), &soft, &hard), 0);
	assert_true(soft == UINT64_MAX);
	assert_true(hard == UINT64_MAX);

	/* Last line, no newline, no units. */
	const char *l3 = LIMITS_HEAD "Max open files\t5\t18446744073709551615";
	assert_int_equal(tl_proc_parse_limits(l3, strlen(l3), &soft, &hard), 0);
	assert_int_equal(soft, 5);
	assert_true(hard == UINT64_MAX);

	soft = hard = 3;
	assert_int_equal(tl_proc_parse_limits(LIMITS_HEAD, strlen(LIMITS_HEAD),
					      &soft, &hard),
			 -ENOENT);
	assert_int_equal(tl_proc_parse_limits("", 0, &soft, &hard), -ENOENT);
	static const char *const bad[] = {
		"Max open files\n",
		"Max open files 1024\n",
		"Max open files 1024 \n",
		"Max open files abc 1024 files\n",
		"Max open files 10x 20\n",
		"Max open files 10 unlimitedx\n",
		"Max open files 18446744073709551616 1\n",
		"Max open filesx 1 2\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tl_proc_parse_limits(bad[i], strlen(bad[i]), &soft,
					 &hard) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	}
	assert_int_equal(soft, 3);
	assert_int_equal(hard, 3);
	/* The length bounds the parse. */
	assert_int_equal(tl_proc_parse_limits(l2, 20, &soft, &hard), -EINVAL);
	assert_int_equal(tl_proc_parse_limits(l2, 10, &soft, &hard), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_socket_link),
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
