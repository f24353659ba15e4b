// SPDX-License-Identifier: MIT
/*
 * Tests for src/escape.c, the text escaper: control characters (C0, DEL,
 * C1 raw and encoded) and invalid UTF-8 become \xNN, format characters
 * (bidi controls, zero-width ones) \uXXXX, valid characters pass, a
 * backslash is doubled, and a short buffer is cut between escapes; and the
 * columns of text (wcwidth's), the cut of a column and its padding.
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
}

/* Columns as a terminal counts them: wcwidth's answers. */
static void test_char_width(void **state)
{
	(void)state;
	assert_int_equal(esc_char_width('a'), 1);
	assert_int_equal(esc_char_width(0xa0), 1);
	assert_int_equal(esc_char_width(0xe9), 1);
	assert_int_equal(esc_char_width(0x670d), 2);  /* 服 */
	assert_int_equal(esc_char_width(0x3000), 2);  /* ideographic space */
	assert_int_equal(esc_char_width(0xff01), 2);  /* fullwidth ! */
	assert_int_equal(esc_char_width(0xac00), 2);  /* Hangul syllable */
	assert_int_equal(esc_char_width(0x1f600), 2); /* emoji */
	assert_int_equal(esc_char_width(0x20000), 2); /* CJK ext. B */
	assert_int_equal(esc_char_width(0x3fffd), 2); /* plane 3 */
	assert_int_equal(esc_char_width(0x0301), 0);  /* combining acute */
	assert_int_equal(esc_char_width(0x20dd), 0);  /* enclosing circle */
	assert_int_equal(esc_char_width(0x1160), 0);  /* Hangul medial */
	assert_int_equal(esc_char_width(0xfe0f), 0);  /* variation sel. */
	assert_int_equal(esc_char_width(0xe01ef), 0);
	assert_int_equal(esc_char_width(0x303f), 1); /* half-fill space */
	assert_int_equal(esc_char_width(0x10ffff), 1);
	/* Never printed raw: controls, format characters, non-characters. */
	assert_int_equal(esc_char_width(0), -1);
	assert_int_equal(esc_char_width(0x1b), -1);
	assert_int_equal(esc_char_width(0x7f), -1);
	assert_int_equal(esc_char_width(0x9b), -1);
	assert_int_equal(esc_char_width(0x202e), -1);
	assert_int_equal(esc_char_width(0x200d), -1);
	assert_int_equal(esc_char_width(0xfeff), -1);
	assert_int_equal(esc_char_width(0xd800), -1);
	assert_int_equal(esc_char_width(0x110000), -1);
}

static void test_width(void **state)
{
	(void)state;
	/* 3 bytes a character, 2 columns. */
	assert_int_equal(esc_width("\xe6\x9c\x8d\xe5\x8a\xa1\xe5\x99\xa8"), 6);
	assert_int_equal(esc_width("e\xcc\x81"), 1);
	assert_int_equal(esc_width("\\xff"), 4); /* an escaped byte */
	assert_int_equal(esc_width(""), 0);
	/* What esc_fwrite prints: each escape as wide as it is long. */
	assert_int_equal(esc_cols_len("\xe6\x9c\x8d\xff\xe2\x80\xae", 7),
			 2 + 4 + 6);
	assert_int_equal(esc_cols_len("a\\b\x1b", 4), 1 + 2 + 1 + 4);
	assert_int_equal(esc_cols_len("\xf3\xa0\x81\x81", 4), 10);
}

static void test_cut_cols(void **state)
{
	size_t w;

	(void)state;
	/* A wide character that does not fit whole is left out. */
	assert_int_equal(esc_cut("ab\xe6\x9c\x8dz", 3, &w), 2);
	assert_int_equal(w, 2);
	assert_int_equal(esc_cut("ab\xe6\x9c\x8dz", 4, &w), 5);
	assert_int_equal(w, 4);
	assert_int_equal(esc_cut("ab", 40, &w), 2);
	assert_int_equal(w, 2);
	/* Never inside an escape: \xff is 4 columns, whole or gone. */
	assert_int_equal(esc_cut("a\\xffb", 3, &w), 1);
	assert_int_equal(esc_cut("a\\xffb", 5, &w), 5);
	assert_int_equal(esc_cut("a\\u202eb", 6, &w), 1);
	assert_int_equal(esc_cut("a\\\\b", 2, &w), 1); /* a\\b */
	assert_int_equal(esc_cut("a\\\\b", 3, &w), 3);
	assert_int_equal(esc_cut("\\U000e0041x", 9, &w), 0);
	assert_int_equal(esc_cut("\\U000e0041x", 10, &w), 10);
	/* A combining mark stays with the character it is on. */
	assert_int_equal(esc_cut("e\xcc\x81x", 1, &w), 3);
	assert_int_equal(w, 1);
	assert_int_equal(esc_cut("abc", 0, NULL), 0);
}

static void test_col(void **state)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	(void)state;
	assert_non_null(f);
	/* Padded to 8 columns: 服务 is 6 bytes and 4 columns. */
	esc_fput_col("\xe6\x9c\x8d\xe5\x8a\xa1", 8, true, f);
	fputc('|', f);
	/* Cut to 3 columns: "1/" and not half of \xff. */
	esc_fput_col("1/\\xff", 3, true, f);
	fputc('|', f);
	/* Not cut: overflows as %-*s does. */
	esc_fput_col("abcdef", 3, false, f);
	fputc('|', f);
	fclose(f);
	assert_string_equal(out, "\xe6\x9c\x8d\xe5\x8a\xa1    |1/ |abcdef|");
	free(out);
}

/* Bidi controls and zero-width characters are shown, never passed. */
static void test_invisible(void **state)
{
	(void)state;
	check("a\xe2\x80\xae"
	      "b",
	      5, "a\\u202eb");
	check("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c",
	      17, "\\u202a\\u2066\\u2069\\u200e\\u200f\\u061c");
	check("z\xe2\x80\x8bw\xe2\x80\x8dj\xe2\x81\xa0\xef\xbb\xbf", 15,
	      "z\\u200bw\\u200dj\\u2060\\ufeff");
	check("\xe2\x80\xa8\xc2\xad", 5, "\\u2028\\u00ad");
	/* A tag character: beyond the BMP, eight digits. */
	check("\xf3\xa0\x81\x81", 4, "\\U000e0041");
	/* Their neighbours pass. */
	check("\xe2\x80\x90\xe2\x80\xaf", 6, "\xe2\x80\x90\xe2\x80\xaf");
	/* A backslash before u is doubled: no forged \u escape. */
	check("\\u202e", 6, "\\\\u202e");
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

/* A name shown by esc_text is given back as those bytes. */
static void test_unescape(void **state)
{
	static const char *const names[] = {
		"nl\nx\x1b[31m",   "a\\b",
		"caf\xc3\xa9",	   "\xff\xfe)",
		"rtl\xe2\x80\xae", "tag\xf3\xa0\x81\x81",
		"plain",
	};
	char shown[ESC_SIZE(32)], back[32];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		esc_text(shown, sizeof(shown), names[i]);
		assert_int_equal(esc_unescape(back, sizeof(back), shown),
				 (int)strlen(names[i]));
		assert_string_equal(back, names[i]);
	}
	/* Not an escape, a NUL, a surrogate, or no room: refused. */
	assert_int_equal(esc_unescape(back, sizeof(back), "a\\qb"), -1);
	assert_int_equal(esc_unescape(back, sizeof(back), "a\\x0"), -1);
	assert_int_equal(esc_unescape(back, sizeof(back), "\\x00"), -1);
	assert_int_equal(esc_unescape(back, sizeof(back), "\\ud800"), -1);
	assert_int_equal(esc_unescape(back, 4, "abcd"), -1);
	assert_int_equal(esc_unescape(back, 5, "abcd"), 4);
}

/*
 * A name given as the table shows it, or as its bytes: escapes decode
 * where every backslash starts one; a backslash of the name's own (one
 * that starts no escape) keeps the argument as it is.
 */
static void test_name_arg(void **state)
{
	char n[16];

	(void)state;
	assert_int_equal(esc_name_arg(n, sizeof(n), "nl\\x0ax"), 4);
	assert_string_equal(n, "nl\nx");
	assert_int_equal(esc_name_arg(n, sizeof(n), "nl\\\\x0ax"), 7);
	assert_string_equal(n, "nl\\x0ax");
	assert_int_equal(esc_name_arg(n, sizeof(n), "a\") b\\c"), 7);
	assert_string_equal(n, "a\") b\\c");
	assert_int_equal(esc_name_arg(n, sizeof(n), "plain"), 5);
	assert_string_equal(n, "plain");
	/* \x00 stands for a NUL no name holds: taken as given. */
	assert_int_equal(esc_name_arg(n, sizeof(n), "a\\x00"), 5);
	/* 16 bytes do not fit a 15-byte name, raw or decoded. */
	assert_int_equal(esc_name_arg(n, sizeof(n), "0123456789abcdef"), -1);
	assert_int_equal(esc_name_arg(n, sizeof(n), "0123456789abcde\\x41"),
			 -1);
	assert_int_equal(esc_name_arg(n, sizeof(n), "0123456789abcd\\x41"), 15);
	assert_int_equal(esc_name_arg(n, 0, "a"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_char_width),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_cut_cols),
		cmocka_unit_test(test_col),
		cmocka_unit_test(test_invisible),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_name_arg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
