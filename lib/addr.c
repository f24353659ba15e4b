// SPDX-License-Identifier: MIT
/* Address formatting and tests, once for the library and the command. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tcplimbo/addr.h"

const char *tl_addr_format(char *buf, size_t size, int family,
			   const uint8_t *addr)
{
	if (!buf || size == 0)
		return buf;
	if (family == AF_INET && size >= INET_ADDRSTRLEN) {
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];

			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
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
	char a[TL_ADDR_STR_MAX];

	if (!buf || size == 0)
		return buf;
	tl_addr_format(a, sizeof(a), family, addr);
	if (family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a, port);
	else
		snprintf(buf, size, "%s:%u", a, port);
	return buf;
}

bool tl_addr_is_v4mapped(const uint8_t *addr)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0,    0,
					    0, 0, 0, 0, 0xff, 0xff };

	return memcmp(addr, prefix, sizeof(prefix)) == 0;
}

bool tl_addr_is_any(int family, const uint8_t *addr)
{
	size_t n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		if (addr[i])
			return false;
	return true;
}
