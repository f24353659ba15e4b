// SPDX-License-Identifier: MIT
/* The text escaper (see escape.h for what it promises). */
#include <stdint.h>
#include <string.h>

#include "escape.h"
#include "utf8.h"

struct esc_range {
	uint32_t lo, hi;
};

#include "width-table.h"

static bool in_table(const struct esc_range *t, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	if (cp < t[0].lo || cp > t[n - 1].hi)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp > t[mid].hi)
			lo = mid + 1;
		else if (cp < t[mid].lo)
			hi = mid;
		else
			return true;
	}
	return false;
}

int esc_char_width(uint32_t cp)
{
	if (cp >= 0x20 && cp < 0x7f)
		return 1;
	if (cp < 0xa0 || !utf8_scalar(cp) || utf8_invisible(cp))
		return -1;
	if (in_table(esc_zero, sizeof(esc_zero) / sizeof(esc_zero[0]), cp))
		return 0;
	if (in_table(esc_wide, sizeof(esc_wide) / sizeof(esc_wide[0]), cp))
		return 2;
	return 1;
}

/*
 * Writes the escaped form of the next character of [*pp, end) to out (at
 * most 16 bytes), stores the columns it takes in *cols and advances *pp.
 * Returns the length written.
 */
static size_t esc_one(const unsigned char **pp, const unsigned char *end,
		      char *out, size_t *cols)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = *pp;
	uint32_t cp;
	size_t n = 0;
	int l;

	if (*p >= 0x20 && *p < 0x7f) {
		if (*p == '\\')
			out[n++] = '\\';
		out[n++] = (char)*p;
		*pp = p + 1;
		*cols = n;
		return n;
	}
	l = utf8_decode(p, end, &cp);
	if (l > 0 && cp >= 0xa0 && !utf8_invisible(cp)) {
		memcpy(out, p, (size_t)l); /* a valid, printable character */
		*pp = p + l;
		*cols = (size_t)esc_char_width(cp);
		return (size_t)l;
	}
	if (l > 0 && cp >= 0xa0) {
		/* Invisible: its code point, \u202e or \U000e0041. */
		int digits = cp > 0xffff ? 8 : 4;

		out[n++] = '\\';
		out[n++] = cp > 0xffff ? 'U' : 'u';
		for (int i = digits - 1; i >= 0; i--)
			out[n++] = hex[cp >> (4 * i) & 15];
		*pp = p + l;
		*cols = n;
		return n;
	}
	/* C0, DEL, C1 (encoded: both bytes) or an invalid sequence. */
	if (l < 0)
		l = -l;
	for (int i = 0; i < l; i++) {
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[p[i] >> 4];
		out[n++] = hex[p[i] & 15];
	}
	*pp = p + l;
	*cols = n;
	return n;
}

const char *esc_text_len(char *buf, size_t size, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n = 0, cols;

	if (!size)
		return buf;
	while (p < end) {
		char piece[16];
		size_t k = esc_one(&p, end, piece, &cols);

		if (k >= size - n)
			break;
		memcpy(buf + n, piece, k);
		n += k;
	}
	buf[n] = '\0';
	return buf;
}

const char *esc_text(char *buf, size_t size, const char *s)
{
	return esc_text_len(buf, size, s, strlen(s));
}

size_t esc_cols_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t total = 0, cols;

	while (p < end) {
		char piece[16];

		esc_one(&p, end, piece, &cols);
		total += cols;
	}
	return total;
}

/*
 * The next unit of escaped text at s (*s != 0): an escape the escaper
 * wrote (\\, \xNN, \uNNNN, \UNNNNNNNN) or one character. Returns its
 * length and stores its columns in *cols.
 */
static size_t unit(const char *s, size_t *cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 1;
	uint32_t cp;
	int l, w;

	if (*p == '\\') {
		switch (p[1]) {
		case 'x':
			n = 4;
			break;
		case 'u':
			n = 6;
			break;
		case 'U':
			n = 10;
			break;
		default:
			n = 2;
		}
		/* Escaped text is well formed; a short one still ends here. */
		n = strnlen(s, n);
		*cols = n;
		return n;
	}
	/* A NUL is never a continuation byte: decoding stops at the end. */
	l = utf8_decode(p, p + strnlen(s, 4), &cp);
	if (l < 0) {
		*cols = 1; /* not escaped text: one byte, one replacement */
		return (size_t)-l;
	}
	w = esc_char_width(cp);
	*cols = w < 0 ? 0 : (size_t)w;
	return (size_t)l;
}

size_t esc_width(const char *s)
{
	size_t total = 0, cols;

	while (*s) {
		s += unit(s, &cols);
		total += cols;
	}
	return total;
}

size_t esc_cut(const char *s, size_t max_cols, size_t *ret_cols)
{
	size_t n = 0, used = 0, cols;

	while (s[n]) {
		size_t k = unit(s + n, &cols);

		if (used + cols > max_cols)
			break;
		used += cols;
		n += k;
	}
	if (ret_cols)
		*ret_cols = used;
	return n;
}

void esc_fput_col(const char *s, size_t cols, bool cut, FILE *f)
{
	size_t n = strlen(s), used;

	if (cut)
		n = esc_cut(s, cols, &used);
	else
		used = esc_width(s);
	fwrite(s, 1, n, f);
	for (; used < cols; used++)
		fputc(' ', f);
}

void esc_fputs(const char *s, FILE *f)
{
	esc_fwrite(s, strlen(s), f);
}

void esc_fwrite(const char *s, size_t len, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t cols;

	while (p < end) {
		char piece[16];
		size_t k = esc_one(&p, end, piece, &cols);

		fwrite(piece, 1, k, f);
	}
}

int esc_unescape(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	if (size == 0)
		return -1;
	while (*s) {
		unsigned char b[4];
		size_t nb = 1;
		uint32_t cp;

		if (*s != '\\') {
			b[0] = (unsigned char)*s++;
		} else if (s[1] == '\\') {
			b[0] = '\\';
			s += 2;
		} else if (s[1] == 'x' && hex_value(s + 2, 2, &cp) == 0) {
			b[0] = (unsigned char)cp;
			s += 4;
		} else if ((s[1] == 'u' && hex_value(s + 2, 4, &cp) == 0) ||
			   (s[1] == 'U' && hex_value(s + 2, 8, &cp) == 0)) {
			s += s[1] == 'u' ? 6 : 10;
			if (!utf8_scalar(cp))
				return -1;
			/* UTF-8, as the escaper decoded it. */
			nb = (size_t)utf8_encode(cp, b);
		} else {
			return -1;
		}
		if (b[0] == 0 || n + nb >= size)
			return -1;
		memcpy(buf + n, b, nb);
		n += nb;
	}
	buf[n] = '\0';
	return (int)n;
}

int esc_name_arg(char *buf, size_t size, const char *s)
{
	char dec[256];
	size_t len;

	/* Escapes decode shorter: one too long for dec is too long here. */
	if (strchr(s, '\\') && esc_unescape(dec, sizeof(dec), s) >= 0)
		s = dec;
	len = strlen(s);
	if (size == 0 || len >= size)
		return -1;
	memcpy(buf, s, len + 1);
	return (int)len;
}
