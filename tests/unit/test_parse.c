// SPDX-License-Identifier: MIT
/*
 * Tests for src/parse.c: the one duration parser every option that takes
 * a time uses, and the numbers under it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tl.h"

#define DAY 86400000ULL

static uint64_t dur(const char *s, uint64_t bare_ms)
{
	uint64_t ms = 12345;

	assert_int_equal(tl_parse_duration(s, bare_ms, 0, DAY, &ms), 0);
	return ms;
}

static void test_units(void **state)
{
	(void)state;
	assert_int_equal(dur("5", 1000), 5000);
	assert_int_equal(dur("5", 1), 5);
	assert_int_equal(dur("5s", 1), 5000);
	assert_int_equal(dur("500ms", 1000), 500);
	assert_int_equal(dur("2m", 1000), 120000);
	assert_int_equal(dur("1h", 1), 3600000);
	assert_int_equal(dur("0", 1000), 0);
	assert_int_equal(dur("24h", 1000), DAY);
	assert_int_equal(dur("007s", 1000), 7000);
	/* A fraction that comes to whole milliseconds. */
	assert_int_equal(dur("1.5s", 1), 1500);
	assert_int_equal(dur("1.5", 1000), 1500);
	assert_int_equal(dur("0.25m", 1000), 15000);
	assert_int_equal(dur("2.5h", 1000), 9000000);
	assert_int_equal(dur("0.001s", 1000), 1);
	assert_int_equal(dur("0.500000000s", 1000), 500);
	assert_int_equal(dur("3.0ms", 1000), 3);
}

static void test_bad(void **state)
{
	static const char *const junk[] = {
		"",	"s",	 "ms",	    "-1",    "+1",     " 5",
		"5 ",	"5x",	 "5sec",    "5S",    "5ms5",   "0x10",
		"5d",	"5mss",	 "1.",	    ".5",    "1.5.5s", "1.s",
		"1,5s", "1.5ms", "1.0005s", "1.5 s",
	};
	uint64_t ms = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_int_equal(tl_parse_duration(junk[i], 1000, 0, DAY, &ms),
				 -EINVAL);
		assert_int_equal(ms, 77); /* untouched on failure */
	}
	assert_int_equal(tl_parse_duration(NULL, 1000, 0, DAY, &ms), -EINVAL);
}

static void test_bounds(void **state)
{
	uint64_t ms = 77;

	(void)state;
	assert_int_equal(tl_parse_duration("86401", 1000, 0, DAY, &ms),
			 -ERANGE);
	assert_int_equal(tl_parse_duration("25h", 1000, 0, DAY, &ms), -ERANGE);
	assert_int_equal(tl_parse_duration("5", 1, 10, DAY, &ms), -ERANGE);
	assert_int_equal(tl_parse_duration("0s", 1000, 1, DAY, &ms), -ERANGE);
	/* Overflow of the digits, and of digits times the unit. */
	assert_int_equal(tl_parse_duration("99999999999999999999", 1, 0,
					   UINT64_MAX, &ms),
			 -ERANGE);
	assert_int_equal(tl_parse_duration("18446744073709551615h", 1, 0,
					   UINT64_MAX, &ms),
			 -ERANGE);
	assert_int_equal(tl_parse_duration("123456789012345678901234", 1, 0,
					   UINT64_MAX, &ms),
			 -ERANGE);
	/* Ten digits of fraction; a fraction past the bound. */
	assert_int_equal(tl_parse_duration("1.0000000001s", 1, 0, DAY, &ms),
			 -ERANGE);
	assert_int_equal(tl_parse_duration("24.5h", 1000, 0, DAY, &ms),
			 -ERANGE);
	assert_int_equal(tl_parse_duration("18446744073709551.9s", 1, 0,
					   UINT64_MAX, &ms),
			 -ERANGE);
	assert_int_equal(ms, 77);
	assert_int_equal(tl_parse_duration("10", 1, 10, 10, &ms), 0);
	assert_int_equal(ms, 10);
}

static void test_str(void **state)
{
	char buf[24];

	(void)state;
	tl_duration_str(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0s");
	tl_duration_str(buf, sizeof(buf), 10);
	assert_string_equal(buf, "10ms");
	tl_duration_str(buf, sizeof(buf), 1500);
	assert_string_equal(buf, "1500ms");
	tl_duration_str(buf, sizeof(buf), 5000);
	assert_string_equal(buf, "5s");
	tl_duration_str(buf, sizeof(buf), 120000);
	assert_string_equal(buf, "2m");
	tl_duration_str(buf, sizeof(buf), DAY);
	assert_string_equal(buf, "24h");
}

static void test_uint(void **state)
{
	uint64_t v = 9;
	uint16_t port = 9;

	(void)state;
	assert_int_equal(tl_parse_uint("42", 42, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(tl_parse_uint("43", 42, &v), -EINVAL);
	assert_int_equal(tl_parse_uint(" 1", 42, &v), -EINVAL);
	assert_int_equal(tl_parse_port("65535", &port), 0);
	assert_int_equal(port, 65535);
	assert_int_equal(tl_parse_port("65536", &port), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),  cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bounds), cmocka_unit_test(test_str),
		cmocka_unit_test(test_uint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
