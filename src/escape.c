// SPDX-License-Identifier: MIT
/* The text escaper (see escape.h for what it promises). */
#include <string.h>

#include "escape.h"
#include "utf8.h"

/*
 * Writes the escaped form of the next character of [*pp, end) to out (at
 * most 16 bytes) and advances *pp. Returns the length written.
 */
static size_t esc_one(const unsigned char **pp, const unsigned char *end,
		      char *out)
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
		return n;
	}
	l = utf8_decode(p, end, &cp);
	if (l > 0 && cp >= 0xa0) {
		memcpy(out, p, (size_t)l); /* a valid, printable character */
		*pp = p + l;
		return (size_t)l;
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
	return n;
}

const char *esc_text_len(char *buf, size_t size, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n = 0;

	if (!size)
		return buf;
	while (p < end) {
		char piece[16];
		size_t k = esc_one(&p, end, piece);

		if (k >= size - n)
			break;
		memcpy(buf + n, piece, k);
		n += k;
	}
	buf[n] = '\0';
	return buf;
}

size_t esc_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return n;
	/* s[max] is the first byte left out: back off its continuation. */
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

const char *esc_text(char *buf, size_t size, const char *s)
{
	return esc_text_len(buf, size, s, strlen(s));
}

void esc_fputs(const char *s, FILE *f)
{
	esc_fwrite(s, strlen(s), f);
}

void esc_fwrite(const char *s, size_t len, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		char piece[16];
		size_t k = esc_one(&p, end, piece);

		fwrite(piece, 1, k, f);
	}
}
