// SPDX-License-Identifier: MIT
/*
 * Tests for lib/util.c: the growable array's overflow checks, the decimal
 * parser's bounds and the small-file reader's limit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static void test_grow(void **state)
{
	uint32_t *a = NULL, *keep;
	size_t cap = 0;

	(void)state;
	assert_int_equal(tli_grow((void **)&a, &cap, sizeof(*a), 4), 0);
	assert_int_equal(cap, 4);
	a[3] = 7;
	assert_int_equal(tli_grow((void **)&a, &cap, sizeof(*a), 4), 0);
	assert_int_equal(cap, 8);
	assert_int_equal(a[3], 7);
	/* A capacity whose double overflows fails and leaves all alone. */
	keep = a;
	cap = SIZE_MAX / 2 + 1;
	assert_int_equal(tli_grow((void **)&a, &cap, 1, 4), -ENOMEM);
	assert_ptr_equal(a, keep);
	assert_int_equal(cap, SIZE_MAX / 2 + 1);
	/* So does one whose byte size overflows. */
	cap = SIZE_MAX / 16;
	assert_int_equal(tli_grow((void **)&a, &cap, 16, 4), -ENOMEM);
	assert_int_equal(cap, SIZE_MAX / 16);
	free(a);
}

static void test_parse(void **state)
{
	const char *s = "4294967295 x", *p = s;
	uint64_t v = 0;

	(void)state;
	assert_int_equal(tli_parse_u64(&p, s + strlen(s), UINT32_MAX, &v), 0);
	assert_int_equal(v, 4294967295u);
	assert_ptr_equal(p, s + 10);
	s = "4294967296";
	p = s;
	assert_int_equal(tli_parse_u64(&p, s + strlen(s), UINT32_MAX, &v),
			 -EINVAL);
	assert_ptr_equal(p, s);
	assert_int_equal(tli_parse_dec("18446744073709551615", UINT64_MAX, &v),
			 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(tli_parse_dec("18446744073709551616", UINT64_MAX, &v),
			 -EINVAL);
	assert_int_equal(tli_parse_dec("", 10, &v), -EINVAL);
	assert_int_equal(tli_parse_dec("-1", 10, &v), -EINVAL);
	assert_int_equal(tli_parse_dec("1 ", 10, &v), -EINVAL);
	assert_int_equal(tli_parse_dec("11", 10, &v), -EINVAL);
	assert_int_equal(tli_parse_dec("10", 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(tli_parse_dec("000000000000000000001", 10, &v),
			 -EINVAL);
}

static void test_read_alloc(void **state)
{
	char data[300], *buf = NULL;
	int fds[2];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], data, sizeof(data)), sizeof(data));
	close(fds[1]);
	/* Grows from 16 bytes to hold all 300. */
	assert_int_equal(tli_read_fd_alloc(fds[0], 16, 1024, &buf),
			 sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	free(buf);
	close(fds[0]);

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], data, sizeof(data)), sizeof(data));
	close(fds[1]);
	buf = NULL;
	assert_int_equal(tli_read_fd_alloc(fds[0], 16, 256, &buf), -EFBIG);
	assert_null(buf);
	close(fds[0]);
}

static void test_read_at(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(tli_read_file_at(-1, "/nonexistent/x", buf, 8),
			 -ENOENT);
	/* Bounded by the buffer: a long file is cut at size. */
	assert_int_equal(tli_read_file_at(-1, "/proc/self/status", buf, 8), 8);
	assert_memory_equal(buf, "Name:\t", 6);
}

/* A /proc path, checked: a long root is refused, never cut short. */
/*
 * tli_appendf: what fits is appended whole; what does not is cut at a
 * character's boundary and ends in "...".
 */
static void test_appendf(void **state)
{
	char buf[16];
	size_t len = 0;

	(void)state;
	tli_appendf(buf, sizeof(buf), &len, "%s", "0123");
	tli_appendf(buf, sizeof(buf), &len, "%d", 4567);
	assert_string_equal(buf, "01234567");
	assert_int_equal(len, 8);
	tli_appendf(buf, sizeof(buf), &len, "%s", "89abcdefgh");
	assert_string_equal(buf, "0123456789ab...");
	assert_int_equal(len, 15);
	/* Full: nothing more. */
	tli_appendf(buf, sizeof(buf), &len, "x");
	assert_string_equal(buf, "0123456789ab...");
	/* A two-byte character across the cut is not split. */
	len = 0;
	tli_appendf(buf, sizeof(buf), &len, "%s", "0123456789a\xc3\xa9zzzz");
	assert_string_equal(buf, "0123456789a...");
	assert_int_equal(len, strlen(buf));
}

static void test_proc_path(void **state)
{
	char buf[32], root[64];

	(void)state;
	assert_int_equal(tli_proc_path(buf, sizeof(buf), NULL, 12, "stat"), 0);
	assert_string_equal(buf, "/proc/12/stat");
	assert_int_equal(tli_proc_path(buf, sizeof(buf), "/x", 7, "ns/net"), 0);
	assert_string_equal(buf, "/x/7/ns/net");
	memset(root, 'r', sizeof(root) - 1);
	root[sizeof(root) - 1] = '\0';
	assert_int_equal(tli_proc_path(buf, sizeof(buf), root, 7, "stat"),
			 -ENAMETOOLONG);
	/* "/proc/2147483647/cmdline" and its NUL: 25 bytes. */
	assert_int_equal(tli_proc_path(buf, 25, NULL, 2147483647, "cmdline"),
			 0);
	assert_int_equal(tli_proc_path(buf, 24, NULL, 2147483647, "cmdline"),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_read_alloc),
		cmocka_unit_test(test_read_at),
		cmocka_unit_test(test_appendf),
		cmocka_unit_test(test_proc_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
