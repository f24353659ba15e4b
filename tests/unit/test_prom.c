// SPDX-License-Identifier: MIT
/*
 * Tests for src/prom.c: label values escaped as the exposition format
 * wants and always valid UTF-8, numbers in fixed-point, families with
 * HELP and TYPE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "prom.h"

static void label_is(const char *in, size_t len, const char *want)
{
	struct prom p = { 0 };

	prom_label_value(&p, in, len);
	prom_write(&p, "", 1);
	assert_int_equal(p.err, 0);
	assert_string_equal(p.buf, want);
	prom_free(&p);
}

static void test_escape(void **state)
{
	(void)state;
	label_is("plain", 5, "plain");
	/*
	 * Once the scraper has read the exposition's escapes (\\ \" \n), the
	 * value is the text output's: a\b"c\x0ad. A backslash that no escape
	 * follows stays one.
	 */
	label_is("a\\b\"c\nd", 7, "a\\\\b\\\"c\\\\x0ad");
	/* Valid UTF-8 passes. */
	label_is("caf\xc3\xa9", 5, "caf\xc3\xa9");
	/*
	 * Controls and format characters read as the text commands show
	 * them: ESC, tab, DEL, C1 (U+009B, its two bytes), RLO (U+202E), a tag
	 * character.
	 */
	label_is("\x1b[31mRED", 8, "\\\\x1b[31mRED");
	label_is("a\tb\x7f", 4, "a\\\\x09b\\\\x7f");
	label_is("\xc2\x9b\xe2\x80\xae\xf3\xa0\x81\x81", 9,
		 "\\\\xc2\\\\x9b\\\\u202e\\\\U000e0041");
	/*
	 * Stray, overlong, surrogate and truncated bytes are shown byte by
	 * byte, as the text output shows them (JSON has U+FFFD instead).
	 */
	label_is("\xff", 1, "\\\\xff");
	label_is("\xc0\xaf", 2, "\\\\xc0\\\\xaf");
	label_is("\xed\xa0\x80", 3, "\\\\xed\\\\xa0\\\\x80");
	label_is("x\xe2\x82", 3, "x\\\\xe2\\\\x82");
	/* A literal "\x1b" and an ESC stay apart, as in ls. */
	label_is("\\x1b", 4, "\\\\\\\\x1b");
	/*
	 * systemd's own escape (machine-qemu\x2d1.scope) is no escape of
	 * ours: it reads as systemd spells it, to join node_exporter's.
	 */
	label_is("q\\x2d1", 6, "q\\\\x2d1");
	/* Before what is escaped, or another backslash, one is doubled. */
	label_is("\\\x1b", 2, "\\\\\\\\\\\\x1b");
	label_is("\\\\", 2, "\\\\\\\\\\\\");
	label_is("\\u0041", 6, "\\\\\\\\u0041");
	label_is("a\\", 2, "a\\\\");
	/* A NUL inside a comm is shown, not taken for an end. */
	label_is("a\0b", 3, "a\\\\x00b");
}

static void sample_is(uint64_t v, unsigned dec, const char *want)
{
	struct prom p = { 0 };
	struct prom_label l = { "k", "v" };

	prom_sample(&p, "m", &l, 1, v, dec);
	prom_write(&p, "", 1);
	assert_string_equal(p.buf, want);
	prom_free(&p);
}

static void test_numbers(void **state)
{
	(void)state;
	sample_is(0, 0, "m{k=\"v\"} 0\n");
	sample_is(18446744073709551615u, 0,
		  "m{k=\"v\"} 18446744073709551615\n");
	sample_is(5, 3, "m{k=\"v\"} 0.005\n");
	sample_is(1234, 3, "m{k=\"v\"} 1.234\n");
	sample_is(0, 3, "m{k=\"v\"} 0.000\n");
	sample_is(1500000000, 9, "m{k=\"v\"} 1.500000000\n");
}

static void test_family(void **state)
{
	struct prom p = { 0 };

	(void)state;
	prom_family(&p, "tl_x", "gauge", "a \\ b\nc");
	prom_sample(&p, "tl_x", NULL, 0, 7, 0);
	prom_write(&p, "", 1);
	assert_string_equal(p.buf, "# HELP tl_x a \\\\ b\\nc\n"
				   "# TYPE tl_x gauge\n"
				   "tl_x 7\n");
	prom_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
