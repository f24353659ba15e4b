/* SPDX-License-Identifier: MIT */
/*
 * addr: IPv4 and IPv6 addresses as sock_diag gives them (network byte
 * order, 4 or 16 bytes), formatted the way ss prints them, and the one
 * test for a v4-mapped IPv6 address that listener matching and filters
 * need.
 */
#ifndef TCPLIMBO_ADDR_H
#define TCPLIMBO_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A buffer size that holds any address with brackets and a port. */
#define TL_ADDR_STR_MAX 64

/*
 * Formats an address (no port) into buf: a dotted quad for AF_INET, RFC
 * 5952 text for AF_INET6, "?" for another family or a buffer too small.
 * Returns buf. IPv4 is written by hand: ls formats hundreds of thousands
 * of addresses, and the C library's formatter went through sprintf.
 */
const char *tl_addr_format(char *buf, size_t size, int family,
			   const uint8_t *addr);

/*
 * Formats "addr:port", with brackets around an IPv6 address ("[::1]:80")
 * as ss prints it. Returns buf; text that does not fit is cut.
 */
const char *tl_addr_format_port(char *buf, size_t size, int family,
				const uint8_t *addr, uint16_t port);

/*
 * Formats "addr%dev:port" ("[fe80::1]%eth0:80") for a socket bound to a
 * device, as ss prints it; tl_addr_format_port's text when dev is NULL
 * or empty. dev is written as it is: escape it first for a terminal.
 */
const char *tl_addr_format_port_dev(char *buf, size_t size, int family,
				    const uint8_t *addr, uint16_t port,
				    const char *dev);

/* Whether a 16-byte IPv6 address is v4-mapped (::ffff:a.b.c.d). */
bool tl_addr_is_v4mapped(const uint8_t *addr);

/* Whether an address is the wildcard (0.0.0.0 or ::). */
bool tl_addr_is_any(int family, const uint8_t *addr);

/*
 * Whether a (of family fa) and b (of fb) are one address: the same, or an
 * IPv4 one and its v4-mapped IPv6 form (::ffff:a.b.c.d), as a dual-stack
 * socket holds an IPv4 peer or a JVM binds an IPv4 address.
 */
bool tl_addr_equal(int fa, const uint8_t *a, int fb, const uint8_t *b);

#ifdef __cplusplus
}
#endif
#endif
