// SPDX-License-Identifier: MIT
/*
 * Tests for lib/counters.c: the parsers on fixture text shaped like the
 * kernel's, a fake /proc tree, and the real /proc of this namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcplimbo/counters.h"

#define NETSTAT                                                              \
	"TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops " \
	"TCPHPHits\n"                                                        \
	"TcpExt: 4 0 17 19 338\n"                                            \
	"IpExt: InNoRoutes InTruncatedPkts\n"                                \
	"IpExt: 0 0\n"

#define SOCKSTAT                                             \
	"sockets: used 13\n"                                 \
	"TCP: inuse 5 orphan 2 tw 71 alloc 18104 mem 1537\n" \
	"UDP: inuse 0 mem 0\n"

static void test_netstat(void **state)
{
	struct tl_counters c = { 0 };

	(void)state;
	assert_int_equal(
		tl_counters_parse_netstat(NETSTAT, strlen(NETSTAT), &c), 0);
	assert_true(c.have & TL_CTR_NETSTAT);
	assert_int_equal(c.listen_overflows, 17);
	assert_int_equal(c.listen_drops, 19);
	assert_int_equal(c.syncookies_sent, 4);
}

static void test_netstat_bad(void **state)
{
	static const char *const bad[] = {
		/* value count differs from the header */
		"TcpExt: ListenOverflows ListenDrops\nTcpExt: 1\n",
		/* a value that is not a number */
		"TcpExt: ListenOverflows ListenDrops\nTcpExt: 1 x\n",
		"TcpExt: ListenOverflows ListenDrops\nTcpExt: 1 -2\n",
		/* overflow */
		"TcpExt: ListenOverflows ListenDrops\nTcpExt: 1 99999999999999999999999\n",
		/* header without values */
		"TcpExt: ListenOverflows ListenDrops\n",
		/* the fields we need are missing */
		"TcpExt: TW TWRecycled\nTcpExt: 1 2\n",
	};
	struct tl_counters c = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(tl_counters_parse_netstat(bad[i],
							   strlen(bad[i]), &c),
				 -EINVAL);
		assert_false(c.have & TL_CTR_NETSTAT);
	}
	assert_int_equal(tl_counters_parse_netstat("IpExt: A\nIpExt: 1\n", 18,
						   &c),
			 -ENOENT);
	assert_int_equal(tl_counters_parse_netstat("", 0, &c), -ENOENT);
	/* Length is honoured: the text is cut before the values line. */
	assert_int_equal(tl_counters_parse_netstat(NETSTAT, 60, &c), -EINVAL);
}

static void test_sockstat(void **state)
{
	struct tl_counters c = { 0 };

	(void)state;
	assert_int_equal(
		tl_counters_parse_sockstat(SOCKSTAT, strlen(SOCKSTAT), &c), 0);
	assert_true(c.have & TL_CTR_SOCKSTAT);
	assert_int_equal(c.tcp_inuse, 5);
	assert_int_equal(c.tcp_orphan, 2);
	assert_int_equal(c.tcp_tw, 71);
	assert_int_equal(c.tcp_alloc, 18104);
	memset(&c, 0, sizeof(c));
	assert_int_equal(tl_counters_parse_sockstat("UDP: inuse 0\n", 13, &c),
			 -ENOENT);
	assert_int_equal(tl_counters_parse_sockstat("TCP: inuse 5 orphan\n", 20,
						    &c),
			 -EINVAL);
	assert_int_equal(tl_counters_parse_sockstat("TCP: inuse 5 tw 3\n", 18,
						    &c),
			 -EINVAL);
	assert_false(c.have & TL_CTR_SOCKSTAT);
}

static void test_values(void **state)
{
	uint64_t v[2] = { 0 };

	(void)state;
	assert_int_equal(tl_counters_parse_values("32768\t60999\n", 12, v, 2),
			 2);
	assert_int_equal(v[0], 32768);
	assert_int_equal(v[1], 60999);
	assert_int_equal(tl_counters_parse_values("60\n", 3, v, 1), 1);
	assert_int_equal(v[0], 60);
	assert_int_equal(tl_counters_parse_values("1 2 3\n", 6, v, 2), -EINVAL);
	assert_int_equal(tl_counters_parse_values("abc\n", 4, v, 1), -EINVAL);
	assert_int_equal(tl_counters_parse_values("-1\n", 3, v, 1), -EINVAL);
	assert_int_equal(tl_counters_parse_values("\n", 1, v, 1), -EINVAL);
	assert_int_equal(tl_counters_parse_values("", 0, v, 1), -EINVAL);
}

static void put(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX];
	int fd;

	assert_true(snprintf(path, sizeof(path), "%s/%s", root, rel) <
		    (int)sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void mk(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void test_fake_proc(void **state)
{
	char root[] = "/tmp/tl-counters-XXXXXX";
	struct tl_counters c;
	char cmd[PATH_MAX + 16];

	(void)state;
	assert_non_null(mkdtemp(root));
	mk(root, "thread-self");
	mk(root, "thread-self/net");
	mk(root, "sys");
	mk(root, "sys/net");
	mk(root, "sys/net/ipv4");
	mk(root, "sys/net/core");
	put(root, "thread-self/net/netstat", NETSTAT);
	put(root, "thread-self/net/sockstat", SOCKSTAT);
	put(root, "sys/net/ipv4/tcp_max_orphans", "4096\n");
	put(root, "sys/net/ipv4/ip_local_port_range", "1000\t1099\n");
	put(root, "sys/net/ipv4/tcp_fin_timeout", "60\n");
	put(root, "sys/net/ipv4/tcp_max_tw_buckets", "262144\n");
	put(root, "sys/net/core/somaxconn", "4095\n");
	put(root, "sys/net/ipv4/tcp_tw_reuse", "2\n");
	put(root, "sys/net/ipv4/tcp_timestamps", "1\n");
	/* Malformed: must be left out, not half-read. */
	put(root, "sys/net/ipv4/tcp_max_syn_backlog", "lots\n");
	assert_int_equal(tl_counters_read(root, -1, &c), 0);
	assert_int_equal(c.have, TL_CTR_NETSTAT | TL_CTR_SOCKSTAT |
					 TL_CTR_MAX_ORPHANS |
					 TL_CTR_PORT_RANGE |
					 TL_CTR_FIN_TIMEOUT | TL_CTR_MAX_TW |
					 TL_CTR_SOMAXCONN | TL_CTR_TW_REUSE);
	assert_int_equal(c.tw_reuse, 2);
	assert_int_equal(c.timestamps, 1);
	assert_int_equal(c.listen_overflows, 17);
	assert_int_equal(c.tcp_tw, 71);
	assert_int_equal(c.max_orphans, 4096);
	assert_int_equal(c.port_lo, 1000);
	assert_int_equal(c.port_hi, 1099);
	assert_int_equal(c.fin_timeout_s, 60);
	assert_int_equal(c.max_tw_buckets, 262144);
	assert_int_equal(c.somaxconn, 4095);
	assert_int_equal(c.max_syn_backlog, 0);
	/* A reversed range is nonsense: not used. */
	put(root, "sys/net/ipv4/ip_local_port_range", "2000 1000\n");
	assert_int_equal(tl_counters_read(root, -1, &c), 0);
	assert_false(c.have & TL_CTR_PORT_RANGE);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void test_real_proc(void **state)
{
	struct tl_counters c;

	(void)state;
	assert_int_equal(tl_counters_read(NULL, -1, &c), 0);
	assert_true(c.have & TL_CTR_NETSTAT);
	assert_true(c.have & TL_CTR_SOCKSTAT);
	assert_true(c.have & TL_CTR_PORT_RANGE);
	assert_true(c.port_lo <= c.port_hi);
	assert_true(c.have & TL_CTR_MAX_ORPHANS);
	/* A missing root reads nothing, and says so by the bits. */
	assert_int_equal(tl_counters_read("/nonexistent-tl", -1, &c), 0);
	assert_int_equal(c.have, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netstat),
		cmocka_unit_test(test_netstat_bad),
		cmocka_unit_test(test_sockstat),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_fake_proc),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
