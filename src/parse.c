// SPDX-License-Identifier: MIT
/*
 * Parsing of the numbers users type: whole numbers, ports and durations
 * (which may have a fraction).
 * Nothing here logs, so the unit tests take this file alone; the callers
 * say what was wrong (tl_duration_option in common.c for durations).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl.h"

int tl_parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts " -1" and wraps it; we want digits only. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int tl_parse_port(const char *s, uint16_t *ret)
{
	uint64_t v;

	if (tl_parse_uint(s, 65535, &v) < 0)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

static const struct {
	const char *suffix;
	uint64_t ms;
} units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
};

/* 10^n for n up to 9, the most digits a fraction may have. */
static uint64_t pow10_u(size_t n)
{
	uint64_t p = 1;

	while (n--)
		p *= 10;
	return p;
}

int tl_parse_duration(const char *s, uint64_t bare_ms, uint64_t min_ms,
		      uint64_t max_ms, uint64_t *ret_ms)
{
	char num[21];
	size_t digits = 0, fdigits = 0, rest;
	uint64_t v, frac = 0, mult = bare_ms, scale;
	bool unit = false;

	if (!s)
		return -EINVAL;
	while (s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0 || digits >= sizeof(num))
		return digits ? -ERANGE : -EINVAL;
	rest = digits;
	/* A fraction: a point and at least one digit ("1.5s", "0.25"). */
	if (s[rest] == '.') {
		while (s[rest + 1 + fdigits] >= '0' &&
		       s[rest + 1 + fdigits] <= '9')
			fdigits++;
		if (fdigits == 0)
			return -EINVAL;
		if (fdigits > 9)
			return -ERANGE;
		for (size_t i = 0; i < fdigits; i++)
			frac = frac * 10 + (uint64_t)(s[rest + 1 + i] - '0');
		rest += 1 + fdigits;
	}
	for (size_t i = 0; s[rest] && i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + rest, units[i].suffix) == 0) {
			mult = units[i].ms;
			unit = true;
		}
	if (s[rest] && !unit)
		return -EINVAL;
	memcpy(num, s, digits);
	num[digits] = '\0';
	if (tl_parse_uint(num, UINT64_MAX, &v) < 0)
		return -ERANGE;
	if (mult && v > UINT64_MAX / mult)
		return -ERANGE;
	v *= mult;
	/* frac < 10^9 and mult <= 3.6e6: the product fits. The fraction
	 * must come to whole milliseconds ("1.5ms" does not). */
	scale = pow10_u(fdigits);
	if ((frac * mult) % scale)
		return -EINVAL;
	if (v > UINT64_MAX - frac * mult / scale)
		return -ERANGE;
	v += frac * mult / scale;
	if (v < min_ms || v > max_ms)
		return -ERANGE;
	*ret_ms = v;
	return 0;
}

size_t tl_duration_str(char *buf, size_t size, uint64_t ms)
{
	int n;

	if (ms && ms % 3600000 == 0)
		n = snprintf(buf, size, "%lluh",
			     (unsigned long long)(ms / 3600000));
	else if (ms && ms % 60000 == 0)
		n = snprintf(buf, size, "%llum",
			     (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		n = snprintf(buf, size, "%llus",
			     (unsigned long long)(ms / 1000));
	else
		n = snprintf(buf, size, "%llums", (unsigned long long)ms);
	return n < 0 ? 0 : (size_t)n;
}

int tl_parse_listen(const char *s, struct sockaddr_storage *ss, bool *ret_v6)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen;
	uint16_t port;

	if (!colon || tl_parse_port(colon + 1, &port) < 0 || port == 0)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	*ret_v6 = hlen == 0 || host[0] == '[';
	if (!*ret_v6) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 :
								      -EINVAL;
	}
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	if (hlen == 0) { /* ":PORT": every address, both families */
		a6->sin6_addr = in6addr_any;
		return 0;
	}
	if (hlen < 3 || host[hlen - 1] != ']')
		return -EINVAL;
	host[hlen - 1] = '\0';
	return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : -EINVAL;
}
