// SPDX-License-Identifier: MIT
/*
 * Tests for lib/addr.c (formatting as ss prints addresses) and for
 * tl_snapshot_find_listener (which listener a connection lands on).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "tcplimbo/addr.h"
#include "tcplimbo/snapshot.h"

static void test_format(void **state)
{
	uint8_t a4[4] = { 10, 0, 200, 7 }, a6[16];
	char buf[TL_ADDR_STR_MAX], small[8];

	(void)state;
	assert_string_equal(tl_addr_format(buf, sizeof(buf), AF_INET, a4),
			    "10.0.200.7");
	a4[0] = 255;
	a4[3] = 0;
	assert_string_equal(tl_addr_format(buf, sizeof(buf), AF_INET, a4),
			    "255.0.200.0");
	assert_string_equal(tl_addr_format_port(buf, sizeof(buf), AF_INET, a4,
						65535),
			    "255.0.200.0:65535");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", a6), 1);
	assert_string_equal(tl_addr_format(buf, sizeof(buf), AF_INET6, a6),
			    "2001:db8::1");
	assert_string_equal(tl_addr_format_port(buf, sizeof(buf), AF_INET6, a6,
						80),
			    "[2001:db8::1]:80");
	/* Every byte value in every place, as inet_ntop writes it, in a
	 * buffer of the least size (the sanitizers watch its end). */
	for (int pos = 0; pos < 4; pos++) {
		for (int v = 0; v < 256; v++) {
			char want[INET_ADDRSTRLEN], *exact = malloc(16);
			uint8_t b4[4];

			assert_non_null(exact);
			memset(b4, 255, sizeof(b4));
			b4[pos] = (uint8_t)v;
			assert_non_null(
				inet_ntop(AF_INET, b4, want, sizeof(want)));
			assert_string_equal(
				tl_addr_format(exact, 16, AF_INET, b4), want);
			b4[(pos + 1) % 4] = (uint8_t)(v % 10);
			assert_non_null(
				inet_ntop(AF_INET, b4, want, sizeof(want)));
			assert_string_equal(
				tl_addr_format(exact, 16, AF_INET, b4), want);
			free(exact);
		}
	}
	/* Too small for the text, or no such family: "?", never garbage. */
	assert_string_equal(tl_addr_format(small, sizeof(small), AF_INET6, a6),
			    "?");
	assert_string_equal(tl_addr_format(buf, sizeof(buf), AF_UNIX, a6), "?");
	/* A cut address:port still ends inside the buffer. */
	assert_string_equal(tl_addr_format_port(small, sizeof(small), AF_INET,
						a4, 80),
			    "255.0.2");
}

static void test_tests(void **state)
{
	uint8_t m[16], z[16] = { 0 };

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", m), 1);
	assert_true(tl_addr_is_v4mapped(m));
	m[10] = 0;
	assert_false(tl_addr_is_v4mapped(m));
	assert_true(tl_addr_is_any(AF_INET6, z));
	assert_true(tl_addr_is_any(AF_INET, z));
	z[15] = 1;
	assert_false(tl_addr_is_any(AF_INET6, z));
	/* Only the first four bytes count for IPv4. */
	assert_true(tl_addr_is_any(AF_INET, z));
}

/* One address, in either family's spelling of it. */
static void test_equal(void **state)
{
	uint8_t v4[16] = { 0 }, v4b[16] = { 0 }, m[16], v6[16];

	(void)state;
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", v4), 1);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.2", v4b), 1);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", m), 1);
	assert_int_equal(inet_pton(AF_INET6, "::1", v6), 1);
	assert_true(tl_addr_equal(AF_INET, v4, AF_INET, v4));
	assert_false(tl_addr_equal(AF_INET, v4, AF_INET, v4b));
	assert_true(tl_addr_equal(AF_INET, v4, AF_INET6, m));
	assert_true(tl_addr_equal(AF_INET6, m, AF_INET, v4));
	assert_false(tl_addr_equal(AF_INET6, m, AF_INET, v4b));
	assert_false(tl_addr_equal(AF_INET, v4, AF_INET6, v6));
	assert_true(tl_addr_equal(AF_INET6, v6, AF_INET6, v6));
	assert_false(tl_addr_equal(AF_INET6, m, AF_INET6, v6));
}

static void listener(struct tl_sock *l, int family, const char *addr,
		     uint16_t port, int v6only)
{
	memset(l, 0, sizeof(*l));
	l->state = TL_LISTEN;
	l->family = (uint8_t)family;
	l->sport = port;
	assert_int_equal(inet_pton(family, addr, l->src), 1);
	if (v6only >= 0) {
		l->has |= TL_HAS_V6ONLY;
		l->v6only = (uint8_t)v6only;
	}
}

static void test_find_listener(void **state)
{
	struct tl_sock socks[5];
	struct tl_snapshot snap = { .socks = socks, .n_socks = 5 };
	uint8_t a[16];

	(void)state;
	listener(&socks[0], AF_INET, "0.0.0.0", 80, -1);
	listener(&socks[1], AF_INET, "127.0.0.2", 80, -1);
	listener(&socks[2], AF_INET6, "::", 443, 1);
	listener(&socks[3], AF_INET6, "::", 8080, 0);
	/* Not a listener, though on port 80: never chosen. */
	listener(&socks[4], AF_INET, "127.0.0.1", 80, -1);
	socks[4].state = TL_ESTABLISHED;

	inet_pton(AF_INET, "127.0.0.2", a);
	assert_ptr_equal(tl_snapshot_find_listener(&snap, AF_INET, a, 80),
			 &socks[1]);
	inet_pton(AF_INET, "127.0.0.1", a);
	assert_ptr_equal(tl_snapshot_find_listener(&snap, AF_INET, a, 80),
			 &socks[0]);
	assert_null(tl_snapshot_find_listener(&snap, AF_INET, a, 81));
	/* An IPv4 socket is not an IPv6 listener's child. */
	assert_null(tl_snapshot_find_listener(&snap, AF_INET, a, 8080));
	/* A v4-mapped child: the dual-stack listener takes it, v6only not. */
	inet_pton(AF_INET6, "::ffff:127.0.0.1", a);
	assert_ptr_equal(tl_snapshot_find_listener(&snap, AF_INET6, a, 8080),
			 &socks[3]);
	assert_null(tl_snapshot_find_listener(&snap, AF_INET6, a, 443));
	inet_pton(AF_INET6, "::1", a);
	assert_ptr_equal(tl_snapshot_find_listener(&snap, AF_INET6, a, 443),
			 &socks[2]);
	assert_null(tl_snapshot_find_listener(NULL, AF_INET6, a, 443));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_tests),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_find_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
