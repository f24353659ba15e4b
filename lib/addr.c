// SPDX-License-Identifier: MIT
/* Address formatting and tests, once for the library and the command. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tcplimbo/addr.h"

/*
 * The decimal text of each byte value, digits first, and how many there
 * are: an IPv4 address is four copies and no branch on a digit (watch and
 * ls format two addresses a socket, hundreds of thousands a second).
 */
struct octet {
	char c[3];
	unsigned char n;
};

/* v's digit count, and its digit i from the left (0 past the last). */
#define OCT_N(v) (1 + ((v) >= 10) + ((v) >= 100))
#define OCT_POW(e) ((e) == 2 ? 100 : (e) == 1 ? 10 : 1)
#define OCT_DIGIT(v, i)                                                        \
	(char)((i) < OCT_N(v) ? '0' + (v) / OCT_POW(OCT_N(v) - 1 - (i)) % 10 : \
				0)
#define OCT(v)                                                         \
	{                                                              \
		{ OCT_DIGIT(v, 0), OCT_DIGIT(v, 1), OCT_DIGIT(v, 2) }, \
			(unsigned char)OCT_N(v)                        \
	}
#define OCT4(v) OCT(v), OCT((v) + 1), OCT((v) + 2), OCT((v) + 3)
#define OCT16(v) OCT4(v), OCT4((v) + 4), OCT4((v) + 8), OCT4((v) + 12)
#define OCT64(v) OCT16(v), OCT16((v) + 16), OCT16((v) + 32), OCT16((v) + 48)

static const struct octet octets[256] = { OCT64(0), OCT64(64), OCT64(128),
					  OCT64(192) };

const char *tl_addr_format(char *buf, size_t size, int family,
			   const uint8_t *addr)
{
	if (!buf || size == 0)
		return buf;
	if (family == AF_INET && size >= INET_ADDRSTRLEN) {
		char *p = buf;

		/*
		 * Each byte's three characters are copied and only its
		 * digits kept; the spare ones land where the next dot or
		 * the end goes, inside the 16 bytes "255.255.255.255" needs.
		 */
		for (int i = 0; i < 4; i++) {
			const struct octet *o = &octets[addr[i]];

			memcpy(p, o->c, 3);
			p += o->n;
			*p++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (family != AF_INET6 ||
	    !inet_ntop(AF_INET6, addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

const char *tl_addr_format_port(char *buf, size_t size, int family,
				const uint8_t *addr, uint16_t port)
{
	char t[TL_ADDR_STR_MAX + 8], digits[5], *p;
	size_t n = 0;

	if (!buf || size == 0)
		return buf;
	/*
	 * Written by hand, not by snprintf: watch writes two a line, a
	 * line a transition. Straight into buf when it has room for the
	 * longest; through t, then cut, when it may not.
	 */
	p = size >= sizeof(t) ? buf : t;
	if (family == AF_INET6)
		*p++ = '[';
	tl_addr_format(p, TL_ADDR_STR_MAX, family, addr);
	p += strlen(p);
	if (family == AF_INET6)
		*p++ = ']';
	*p++ = ':';
	do {
		digits[n++] = (char)('0' + port % 10);
		port /= 10;
	} while (port);
	while (n)
		*p++ = digits[--n];
	*p = '\0';
	if (size < sizeof(t)) {
		n = strnlen(t, size - 1);
		memcpy(buf, t, n);
		buf[n] = '\0';
	}
	return buf;
}

bool tl_addr_is_v4mapped(const uint8_t *addr)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0,    0,
					    0, 0, 0, 0, 0xff, 0xff };

	return memcmp(addr, prefix, sizeof(prefix)) == 0;
}

bool tl_addr_equal(int fa, const uint8_t *a, int fb, const uint8_t *b)
{
	if (fa == fb)
		return memcmp(a, b, fa == AF_INET ? 4 : 16) == 0;
	if (fa == AF_INET && fb == AF_INET6)
		return tl_addr_is_v4mapped(b) && memcmp(a, b + 12, 4) == 0;
	if (fa == AF_INET6 && fb == AF_INET)
		return tl_addr_is_v4mapped(a) && memcmp(a + 12, b, 4) == 0;
	return false;
}

bool tl_addr_is_any(int family, const uint8_t *addr)
{
	size_t n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		if (addr[i])
			return false;
	return true;
}

const char *tl_addr_format_port_dev(char *buf, size_t size, int family,
				    const uint8_t *addr, uint16_t port,
				    const char *dev)
{
	char a[TL_ADDR_STR_MAX];

	if (!dev || !dev[0])
		return tl_addr_format_port(buf, size, family, addr, port);
	if (!buf || size == 0)
		return buf;
	tl_addr_format(a, sizeof(a), family, addr);
	snprintf(buf, size, family == AF_INET6 ? "[%s]%%%s:%u" : "%s%%%s:%u", a,
		 dev, (unsigned)port);
	return buf;
}
