/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 and hex digits, header-only, for the library and the command
 * alike (the one place both include from): the JSON writer and the text
 * escaper decode with it, so both agree on what is valid, and the JSON
 * reader and the escaper's reverse encode with it. Every string we print
 * may come from outside (a comm, a cmdline, a path, a netns name) and is
 * arbitrary bytes.
 */
#ifndef TL_UTF8_H
#define TL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one character at p (p < end) per RFC 3629: no overlong forms,
 * no surrogates (U+D800..U+DFFF), nothing above U+10FFFF. Returns its
 * length (1..4) and stores the code point in *cp. On an invalid sequence
 * it returns the negated length of its "maximal subpart" (the bytes that
 * could still have begun a valid character, at least 1), so that each
 * invalid sequence becomes one U+FFFD, as Python's and the WHATWG
 * decoders do: "\xe5" at the end is one, "\xed\xa0\x80" three.
 */
static inline int utf8_decode(const unsigned char *p, const unsigned char *end,
			      uint32_t *cp)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	int need, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong below */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates above */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong below */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return -1; /* 80..c1 (continuation, overlong lead), f5..ff */
	}
	for (i = 1; i <= need; i++) {
		if (p + i >= end || p[i] < lo || p[i] > hi)
			return -i;
		v = v << 6 | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

/*
 * Whether cp is a format character (General_Category Cf, Unicode 15) or a
 * line or paragraph separator (Zl, Zp). They draw nothing, yet a bidi
 * override (U+202E) reorders the text after it on the terminal, and a
 * zero-width space or joiner (U+200B..U+200D, U+2060, U+FEFF) makes two
 * different names look alike: "Trojan Source". Both writers show them as
 * escapes (\u202e) instead of passing them raw. The list is the whole
 * category rather than the few known tricks, and unassigned code points
 * inside a range (U+2065, tags) are taken along.
 */
static inline bool utf8_invisible(uint32_t cp)
{
	static const uint32_t r[][2] = {
		{ 0x00ad, 0x00ad },   { 0x0600, 0x0605 },
		{ 0x061c, 0x061c },   { 0x06dd, 0x06dd },
		{ 0x070f, 0x070f },   { 0x0890, 0x0891 },
		{ 0x08e2, 0x08e2 },   { 0x180e, 0x180e },
		{ 0x200b, 0x200f },   { 0x2028, 0x202e },
		{ 0x2060, 0x206f },   { 0xfeff, 0xfeff },
		{ 0xfff9, 0xfffb },   { 0x110bd, 0x110bd },
		{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f },
		{ 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
		{ 0xe0000, 0xe007f },
	};

	if (cp < 0xad)
		return false;
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (cp < r[i][0])
			return false;
		if (cp <= r[i][1])
			return true;
	}
	return false;
}

/* Whether cp is a Unicode scalar value: not a surrogate, at most U+10FFFF. */
static inline bool utf8_scalar(uint32_t cp)
{
	return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
}

/*
 * Encodes cp, a scalar value (utf8_scalar), as UTF-8 into b. Returns its
 * length, 1..4.
 */
static inline int utf8_encode(uint32_t cp, unsigned char b[4])
{
	int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };

	for (int i = n - 1; i > 0; i--) {
		b[i] = (unsigned char)(0x80 | (cp & 0x3f));
		cp >>= 6;
	}
	b[0] = (unsigned char)(lead[n] | cp);
	return n;
}

/* Reads n hex digits (either case) at s into *ret; -1 at any other byte. */
static inline int hex_value(const char *s, int n, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

#endif
