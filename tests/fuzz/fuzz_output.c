// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the output writers: arbitrary bytes go through the
 * JSON writer (as a string value, with and without a NUL cut, and as
 * numbers) and through the text escaper. It aborts unless the JSON is
 * strictly valid UTF-8 with no raw control character and a well-formed
 * string, and unless the text holds no raw control character either;
 * neither may hold a raw bidi control or zero-width character (they are
 * escaped as \u202e). The text's columns must add up: its measure equals
 * the measure of what was printed, and a column cut stays within its
 * width, between escapes. The UTF-8 check here is written apart from
 * common/utf8.h (code point, shortest form, surrogates, range), so a bug
 * there is not repeated here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Checks s strictly (RFC 3629) and that no character is a control (C0,
 * DEL, C1): neither writer lets one through raw, not even a newline.
 */
static void check_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp, min;
		size_t len;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				abort();
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			abort();
		}
		if (i + len > n)
			abort();
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				abort();
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			abort();
		if (cp >= 0x80 && cp <= 0x9f)
			abort();
		/* "Trojan Source": bidi controls, invisible characters. */
		if (cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
		    (cp >= 0x2028 && cp <= 0x202e) ||
		    (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
		    (cp >= 0xe0000 && cp <= 0xe007f))
			abort();
		i += len;
	}
}

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A JSON string token starting at s[0] == '"'; returns its length. */
static size_t check_json_string(const char *s, size_t n)
{
	size_t i = 1;

	if (n == 0 || s[0] != '"')
		abort();
	while (i < n && s[i] != '"') {
		if (s[i] == '\\') {
			if (i + 1 >= n)
				abort();
			if (s[i + 1] == 'u') {
				if (i + 5 >= n || !is_hex(s[i + 2]) ||
				    !is_hex(s[i + 3]) || !is_hex(s[i + 4]) ||
				    !is_hex(s[i + 5]))
					abort();
				/* A high surrogate only before a low one. */
				if (s[i + 2] == 'd' &&
				    strchr("89ab", s[i + 3]) &&
				    (i + 11 >= n || s[i + 6] != '\\' ||
				     s[i + 7] != 'u' || s[i + 8] != 'd' ||
				     !strchr("cdef", s[i + 9])))
					abort();
				i += 6;
				continue;
			}
			if (!strchr("\"\\nrt", s[i + 1]))
				abort();
			i += 2;
			continue;
		}
		i++;
	}
	if (i >= n)
		abort();
	return i + 1;
}

static void fuzz_json(const uint8_t *data, size_t size)
{
	static struct json w;
	char *cut = malloc(size + 1);
	char *out;
	size_t n, i, k;

	if (!cut)
		return;
	memcpy(cut, data, size);
	cut[size] = '\0';
	json_init_mem(&w);
	json_obj_begin(&w);
	json_key(&w, "s");
	json_str_len(&w, (const char *)data, size);
	json_key(&w, "z");
	json_str(&w, cut); /* up to the first NUL */
	json_key(&w, "n");
	json_arr_begin(&w);
	for (i = 0; i + 8 <= size && i < 64; i += 8) {
		uint64_t v;
		double d;

		memcpy(&v, data + i, sizeof(v));
		memcpy(&d, data + i, sizeof(d));
		json_uint(&w, v);
		json_int(&w, (int64_t)v);
		json_double(&w, d, 3);
	}
	json_arr_end(&w);
	json_obj_end(&w);
	out = json_mem_take(&w, &n);
	free(cut);
	if (!out)
		return;
	if (strlen(out) != n)
		abort();
	check_utf8((const unsigned char *)out, n);
	/* {"s":STRING,"z":STRING,"n":[...]} */
	if (n < 6 || memcmp(out, "{\"s\":", 5) != 0)
		abort();
	i = 5;
	k = check_json_string(out + i, n - i);
	/* Plain printable ASCII comes out exactly as it went in. */
	{
		bool plain = true;

		for (size_t j = 0; j < size && plain; j++)
			plain = data[j] >= 0x20 && data[j] < 0x7f &&
				data[j] != '"' && data[j] != '\\';
		if (plain && (k != size + 2 || memcmp(out + i + 1, data, size)))
			abort();
	}
	i += k;
	if (n - i < 5 || memcmp(out + i, ",\"z\":", 5) != 0)
		abort();
	i += 5;
	i += check_json_string(out + i, n - i);
	if (n - i < 5 || memcmp(out + i, ",\"n\":", 5) != 0)
		abort();
	if (out[n - 1] != '}')
		abort();
	free(out);
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	size_t big = ESC_SIZE(size), small = size ? data[0] % 32 : 0;
	char *a = malloc(big), *s = malloc(small + 1), *f = NULL;
	size_t fn = 0, n;
	FILE *mf;

	if (!a || !s)
		goto out;
	esc_text_len(a, big, (const char *)data, size);
	n = strlen(a);
	check_utf8((const unsigned char *)a, n);
	/*
	 * Every backslash starts \\, \xNN, \uNNNN or \UNNNNNNNN: no escape
	 * can be forged.
	 */
	for (size_t i = 0; i < n; i++) {
		size_t digits;

		if (a[i] != '\\')
			continue;
		if (i + 1 < n && a[i + 1] == '\\') {
			i++;
			continue;
		}
		digits = i + 1 >= n	 ? 0 :
			 a[i + 1] == 'x' ? 2 :
			 a[i + 1] == 'u' ? 4 :
			 a[i + 1] == 'U' ? 8 :
					   0;
		if (!digits || i + 1 + digits >= n)
			abort();
		for (size_t d = 0; d < digits; d++)
			if (!is_hex(a[i + 2 + d]))
				abort();
		i += 1 + digits;
	}
	/* What was printed measures what the escaper said it would. */
	if (esc_width(a) != esc_cols_len((const char *)data, size))
		abort();
	/* A column cut fits and ends between escapes and characters. */
	{
		size_t cols, cut = esc_cut(a, small, &cols), i = 0;

		if (cols > small || cut > n ||
		    (cut < n && esc_width(a + cut) + cols != esc_width(a)))
			abort();
		while (i < cut) {
			if (a[i] == '\\') {
				i += a[i + 1] == '\\' ? 2 :
				     a[i + 1] == 'x'  ? 4 :
				     a[i + 1] == 'u'  ? 6 :
							10;
				continue;
			}
			i++;
			while (i < n && ((unsigned char)a[i] & 0xc0) == 0x80)
				i++;
		}
		if (i != cut)
			abort();
	}
	/* A small buffer holds a prefix of the same text, still clean. */
	esc_text_len(s, small + 1, (const char *)data, size);
	if (strlen(s) > small || strncmp(a, s, strlen(s)) != 0)
		abort();
	check_utf8((const unsigned char *)s, strlen(s));
	/* The stream form writes the same text. */
	mf = open_memstream(&f, &fn);
	if (!mf)
		goto out;
	esc_fwrite((const char *)data, size, mf);
	fclose(mf);
	if (fn != n || memcmp(f, a, n) != 0)
		abort();
out:
	free(f);
	free(s);
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	fuzz_json(data, size);
	fuzz_text(data, size);
	return 0;
}
