// SPDX-License-Identifier: MIT
/*
 * Tests for src/json.c, the one JSON writer: commas and nesting, numbers,
 * escaping, and strings from outside made valid UTF-8 (each invalid
 * sequence one U+FFFD, as Python's decoder with errors='replace' counts
 * them), on a stream and in memory.
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

#include "json.h"

#define FFFD "\xef\xbf\xbd"

/* The JSON text of one string value written from len bytes of s. */
static char *str_json(const char *s, size_t len)
{
	static struct json w;
	size_t n;

	json_init_mem(&w);
	json_str_len(&w, s, len);
	return json_mem_take(&w, &n);
}

static void check_str(const char *in, size_t len, const char *want)
{
	char *got = str_json(in, len);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_utf8(void **state)
{
	(void)state;
	/* Valid characters of 2, 3 and 4 bytes are kept as they are. */
	check_str("a\xc3\xa9\xe6\x9c\x8d\xf0\x9f\x98\x80", 10,
		  "\"a\xc3\xa9\xe6\x9c\x8d\xf0\x9f\x98\x80\"");
	/* The kernel's 15-byte cut of "ab服务器服务器x". */
	check_str("ab\xe6\x9c\x8d\xe5\x8a\xa1\xe5\x99\xa8\xe6\x9c\x8d\xe5", 15,
		  "\"ab\xe6\x9c\x8d\xe5\x8a\xa1\xe5\x99\xa8\xe6\x9c\x8d" FFFD
		  "\"");
	check_str("\xff", 1, "\"" FFFD "\"");
	check_str("x\xc3y", 3, "\"x" FFFD "y\"");
	check_str("\xc3", 1, "\"" FFFD "\"");
	/* A surrogate: ED then A0 is already wrong, so three replacements. */
	check_str("\xed\xa0\x80", 3, "\"" FFFD FFFD FFFD "\"");
	/* Overlong '/': C0 can begin nothing, AF continues nothing. */
	check_str("\xc0\xaf", 2, "\"" FFFD FFFD "\"");
	check_str("\xe0\x80\xaf", 3, "\"" FFFD FFFD FFFD "\"");
	/* Above U+10FFFF, and F5 which can begin nothing. */
	check_str("\xf4\x90\x80\x80", 4, "\"" FFFD FFFD FFFD FFFD "\"");
	check_str("\xf5", 1, "\"" FFFD "\"");
	/* A 4-byte sequence cut after 3 bytes is one maximal subpart. */
	check_str("\xf0\x9f\x98z", 4, "\"" FFFD "z\"");
	/* U+10FFFF and U+D7FF, U+E000: the edges that are valid. */
	check_str("\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80", 10,
		  "\"\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80\"");
}

static void test_controls(void **state)
{
	(void)state;
	check_str("\x1b[2J\r\nFAKE\t\"\\", 13,
		  "\"\\u001b[2J\\r\\nFAKE\\t\\\"\\\\\"");
	check_str("a\0b\x7f", 4, "\"a\\u0000b\\u007f\"");
	/* C1 controls, encoded in UTF-8, are escaped too. */
	check_str("\xc2\x80\xc2\x9b\xc2\xa0", 6, "\"\\u0080\\u009b\xc2\xa0\"");
}

/* Format characters: the same string to a parser, never raw. */
static void test_invisible(void **state)
{
	static struct json w;
	char *got;
	size_t n;

	(void)state;
	check_str("a\xe2\x80\xae"
		  "b",
		  5, "\"a\\u202eb\"");
	check_str("\xe2\x80\x8b\xe2\x80\x8d\xe2\x81\xa0\xef\xbb\xbf\xd8\x9c",
		  14, "\"\\u200b\\u200d\\u2060\\ufeff\\u061c\"");
	check_str("\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\xa8", 9,
		  "\"\\u2066\\u2069\\u2028\"");
	/* U+E0041, a tag: a surrogate pair. */
	check_str("\xf3\xa0\x81\x81", 4, "\"\\udb40\\udc41\"");
	/* Up to a NUL too (json_str), and the neighbours pass. */
	json_init_mem(&w);
	json_str(&w, "\xe2\x80\xae\xe2\x80\x90");
	got = json_mem_take(&w, &n);
	assert_non_null(got);
	assert_string_equal(got, "\"\\u202e\xe2\x80\x90\"");
	free(got);
	check_str("\xe2\x80\x90\xe2\x80\xaf", 6,
		  "\"\xe2\x80\x90\xe2\x80\xaf\"");
}

static void test_structure(void **state)
{
	static struct json w;
	char *got;
	size_t n;

	(void)state;
	json_init_mem(&w);
	json_obj_begin(&w);
	json_kv_str(&w, "a", "x");
	json_kv_uint(&w, "b", 0);
	json_kv_uint(&w, "c", 18446744073709551615ULL);
	json_kv_int(&w, "d", -9223372036854775807LL - 1);
	json_kv_int(&w, "e", 42);
	json_kv_str(&w, "f", NULL);
	json_key(&w, "g");
	json_arr_begin(&w);
	json_arr_end(&w);
	json_key(&w, "h");
	json_arr_begin(&w);
	json_next_line(&w);
	json_obj_begin(&w);
	json_obj_end(&w);
	json_next_line(&w);
	json_bool(&w, true);
	json_double(&w, 1.5, 3);
	json_double(&w, 0.0 / 0.0, 3);
	json_uint(&w, 10);
	json_uint(&w, 99);
	json_uint(&w, 100);
	json_raw(&w, "\n", 1);
	json_arr_end(&w);
	json_kv_bool(&w, "i", false);
	json_kv_null(&w, "j");
	json_obj_end(&w);
	/* Top-level values get no comma: watch writes one a line. */
	json_obj_begin(&w);
	json_obj_end(&w);
	got = json_mem_take(&w, &n);
	assert_non_null(got);
	assert_string_equal(
		got, "{\"a\":\"x\",\"b\":0,\"c\":18446744073709551615,"
		     "\"d\":-9223372036854775808,\"e\":42,\"f\":null,\"g\":[],"
		     "\"h\":[\n{},\ntrue,1.500,null,10,99,100\n],\"i\":false,"
		     "\"j\":null}{}");
	assert_int_equal(n, strlen(got));
	free(got);
}

/* v through json_uint and through json_put_uint, each as printf prints it. */
static void check_uint(uint64_t v)
{
	static struct json w;
	char want[32], put[JSON_UINT_MAX + 1], *got;
	size_t n;

	snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	json_init_mem(&w);
	json_uint(&w, v);
	got = json_mem_take(&w, &n);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	*json_put_uint(put, v) = '\0';
	assert_string_equal(put, want);
}

/*
 * Every number of digits, each side of each power of ten and of each
 * power of two (the digits are counted from the bit length), printed as
 * printf prints it; and the program's own strings, copied as they are.
 */
static void test_numbers_plain(void **state)
{
	static struct json w;
	char *got;
	uint64_t p = 1;
	size_t n;

	(void)state;
	for (int k = 0; k < 20; k++, p *= 10) {
		check_uint(p - 1);
		check_uint(p);
		check_uint(p + 1);
		check_uint(p * 7 + 3);
	}
	for (int k = 0; k < 64; k++) {
		check_uint((UINT64_C(1) << k) - 1);
		check_uint(UINT64_C(1) << k);
		check_uint((UINT64_C(1) << k) + 1);
	}
	check_uint(UINT64_MAX);
	json_init_mem(&w);
	json_arr_begin(&w);
	json_uint(&w, UINT64_MAX);
	json_str_plain(&w, "127.0.0.1");
	json_str_plain(&w, NULL);
	json_str_plain(&w, "");
	json_obj_begin(&w);
	json_kv_plain(&w, "state", "CLOSE_WAIT");
	json_obj_end(&w);
	json_arr_end(&w);
	got = json_mem_take(&w, &n);
	assert_non_null(got);
	assert_string_equal(got, "[18446744073709551615,\"127.0.0.1\",null,"
				 "\"\",{\"state\":\"CLOSE_WAIT\"}]");
	free(got);
}

/* Output larger than the buffer, and a string larger than it, in memory. */
static void test_large(void **state)
{
	static struct json w;
	static char big[10000];
	char *got;
	size_t n;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[100] = '\xff';
	json_init_mem(&w);
	json_arr_begin(&w);
	for (int i = 0; i < 1000; i++)
		json_uint(&w, (uint64_t)i);
	json_str(&w, big);
	json_arr_end(&w);
	got = json_mem_take(&w, &n);
	assert_non_null(got);
	assert_int_equal(n, strlen(got));
	assert_memory_equal(got, "[0,1,2,", 7);
	assert_non_null(strstr(got, ",998,999,\"aaa"));
	assert_non_null(strstr(got, "a" FFFD "a"));
	assert_memory_equal(got + n - 3, "a\"]", 3);
	free(got);
}

/* On a stream the text arrives at json_flush, not before. */
static void test_file(void **state)
{
	static struct json w;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(f);
	json_init_file(&w, f);
	json_obj_begin(&w);
	json_kv_str(&w, "comm", "\xe5");
	json_obj_end(&w);
	fflush(f);
	assert_int_equal(size, 0);
	assert_int_equal(json_flush(&w), 0);
	fclose(f);
	assert_string_equal(buf, "{\"comm\":\"" FFFD "\"}");
	free(buf);
}

/* The text of 3000 numbers and a 10,000-byte string, on a stream, with
 * the writer's own buffer or one of size bytes (0: its own). */
static char *file_text(char *buf, size_t size, size_t *len)
{
	static struct json w;
	static char big[10000];
	char *out = NULL;
	FILE *f = open_memstream(&out, len);

	assert_non_null(f);
	memset(big, 'b', sizeof(big) - 1);
	json_init_file(&w, f);
	json_arr_begin(&w);
	json_uint(&w, 7);
	if (size)
		json_set_buffer(&w, buf, size);
	for (int i = 0; i < 3000; i++) {
		char *p = json_room(&w, 32);

		p = json_put_lit(p, ",");
		json_wrote(&w, json_put_uint(p, (uint64_t)i));
	}
	json_str(&w, big);
	json_arr_end(&w);
	assert_int_equal(json_flush(&w), 0);
	fclose(f);
	return out;
}

/* A caller's buffer changes nothing of the text, at a size that fills
 * and flushes it mid-way; one under JSON_BUF_MIN is refused. */
static void test_set_buffer(void **state)
{
	static char mine[JSON_BUF_MIN + 100], small[64];
	size_t n0, n1, n2;
	char *want, *got, *got_small;

	(void)state;
	want = file_text(NULL, 0, &n0);
	got = file_text(mine, sizeof(mine), &n1);
	got_small = file_text(small, sizeof(small), &n2);
	assert_true(n0 > sizeof(mine));
	assert_int_equal(n1, n0);
	assert_memory_equal(got, want, n0);
	assert_int_equal(n2, n0);
	assert_memory_equal(got_small, want, n0);
	assert_memory_equal(want, "[7,0,1,2", 8);
	free(want);
	free(got);
	free(got_small);
}

/* The caller's buffer is the one used: 6,000 bytes stay in a 16 KiB one
 * until the flush, where the writer's own 4 KiB, or a refused one, had to
 * hand some over. */
static void test_set_buffer_used(void **state)
{
	static char mine[16384], small[64];
	static struct json w;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&out, &len);
	assert_non_null(f);
	json_init_file(&w, f);
	json_set_buffer(&w, mine, sizeof(mine));
	for (int i = 0; i < 600; i++)
		json_wrote(&w, json_put_lit(json_room(&w, 16), "0123456789"));
	fflush(f);
	assert_int_equal(len, 0);
	assert_int_equal(json_flush(&w), 0);
	fflush(f);
	assert_int_equal(len, 6000);
	fclose(f);
	free(out);

	out = NULL;
	f = open_memstream(&out, &len);
	assert_non_null(f);
	json_init_file(&w, f);
	json_set_buffer(&w, small, sizeof(small));
	for (int i = 0; i < 600; i++)
		json_wrote(&w, json_put_lit(json_room(&w, 16), "0123456789"));
	fflush(f);
	assert_true(len > 0 && len < 6000);
	fclose(f);
	free(out);
}

/*
 * A descriptor writer: all of it arrives; and once stop is set, a reader
 * that does not read gets the grace, not a write that never ends (which
 * the test's timeout would catch).
 */
static void test_fd(void **state)
{
	static struct json w;
	static char big[256 * 1024], back[8192];
	volatile sig_atomic_t stop = 0;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	json_init_fd(&w, p[1], &stop);
	for (int i = 0; i < 600; i++)
		json_wrote(&w, json_put_lit(json_room(&w, 16), "0123456789"));
	assert_int_equal(json_flush(&w), 0);
	assert_int_equal(read(p[0], back, sizeof(back)), 6000);
	assert_memory_equal(back, "0123456789", 10);

	/* Nobody reads: more than the pipe holds, and stop already set. */
	memset(big, 'x', sizeof(big));
	json_set_buffer(&w, big, sizeof(big));
	w.n = sizeof(big);
	stop = 1;
	assert_int_equal(json_flush(&w), -EINTR);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_invisible),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_numbers_plain),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_set_buffer),
		cmocka_unit_test(test_set_buffer_used),
		cmocka_unit_test(test_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
