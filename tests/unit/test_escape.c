// SPDX-License-Identifier: MIT
/*
 * Tests for src/escape.c, the text escaper: control characters (C0, DEL,
 * C1 raw and encoded) and invalid UTF-8 become \xNN, valid characters
 * pass, a backslash is doubled, and a short buffer is cut between escapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "escape.h"

static void check(const char *in, size_t len, const char *want)
{
	char buf[256];

	assert_string_equal(esc_text_len(buf, sizeof(buf), in, len), want);
}

static void test_controls(void **state)
{
	(void)state;
	/* The forged row of the issue: clear screen, CR LF, FAKE. */
	check("\x1b[2J\r\nFAKE", 10, "\\x1b[2J\\x0d\\x0aFAKE");
	check("a\tb\0c\x7f", 6, "a\\x09b\\x00c\\x7f");
	/* C1 raw (invalid UTF-8) and encoded (U+009B CSI). */
	check("\x9b"
	      "1m",
	      3, "\\x9b1m");
	check("\xc2\x9b"
	      "1m",
	      4, "\\xc2\\x9b1m");
	/* U+00A0 is the first character past C1: kept. */
	check("\xc2\xa0", 2, "\xc2\xa0");
	check("a\\x1b", 5, "a\\\\x1b");
}

static void test_utf8(void **state)
{
	(void)state;
	check("ab\xe6\x9c\x8d\xe5\x8a\xa1\xe5\x99\xa8\xe6\x9c\x8d\xe5", 15,
	      "ab\xe6\x9c\x8d\xe5\x8a\xa1\xe5\x99\xa8\xe6\x9c\x8d\\xe5");
	check("\xff", 1, "\\xff");
	check("x\xc3y", 3, "x\\xc3y");
	check("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
	check("\xc0\xaf", 2, "\\xc0\\xaf");
	check("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");
}

static void test_cut(void **state)
{
	char buf[8];

	(void)state;
	/* 7 bytes of room: "ab" + one escape (4) fits, the next does not. */
	assert_string_equal(esc_text(buf, sizeof(buf), "ab\x1b\x1b"),
			    "ab\\x1b");
	/* A character is never cut in half. */
	assert_string_equal(esc_text(buf, 6, "abcd\xc3\xa9"), "abcd");
	assert_string_equal(esc_text(buf, sizeof(buf), "abcd\xc3\xa9"),
			    "abcd\xc3\xa9");
	/* A column cut backs off to the start of a character. */
	assert_int_equal(esc_cut("ab\xe6\x9c\x8dz", 4), 2);
	assert_int_equal(esc_cut("ab\xe6\x9c\x8dz", 5), 5);
	assert_int_equal(esc_cut("ab", 40), 2);
}

static void test_stream(void **state)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	(void)state;
	assert_non_null(f);
	esc_fputs("ok\x1b]0;title\x07\xe5", f);
	fclose(f);
	assert_string_equal(out, "ok\\x1b]0;title\\x07\\xe5");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
