// SPDX-License-Identifier: MIT
/*
 * Tests for lab/proc.c: the counter lookup the lab uses on /proc/net/snmp
 * (Tcp OutRsts) and the real files of this machine, and the CPU time of
 * this process.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lab/lab.h"

/* Shaped like /proc/net/snmp: "Tcp:" must not match "TcpExt:" or "Udp:". */
static const char snmp[] =
	"Ip: Forwarding DefaultTTL\n"
	"Ip: 1 64\n"
	"TcpExt: OutRsts Other\n"
	"TcpExt: 111 222\n"
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens OutRsts "
	"InCsumErrors\n"
	"Tcp: 1 200 120000 -1 7 3 0\n"
	"Udp: InDatagrams OutRsts\n"
	"Udp: 5 6\n";

static void test_parse(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(lab_parse_counter(snmp, "Tcp:", "OutRsts", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(lab_parse_counter(snmp, "TcpExt:", "OutRsts", &v), 0);
	assert_int_equal(v, 111);
	assert_int_equal(lab_parse_counter(snmp, "Udp:", "OutRsts", &v), 0);
	assert_int_equal(v, 6);
	assert_int_equal(lab_parse_counter(snmp, "Tcp:", "ActiveOpens", &v), 0);
	assert_int_equal(v, 7);
	/* Last column, followed by a newline. */
	assert_int_equal(lab_parse_counter(snmp, "Tcp:", "InCsumErrors", &v),
			 0);
	assert_int_equal(v, 0);
	/* A name is matched whole, not as a prefix. */
	assert_int_equal(lab_parse_counter(snmp, "Tcp:", "Rto", &v), -ENOENT);
	assert_int_equal(lab_parse_counter(snmp, "Tcp:", "Nope", &v), -ENOENT);
	assert_int_equal(lab_parse_counter(snmp, "Icmp:", "OutRsts", &v),
			 -ENOENT);
}

static void test_parse_bad(void **state)
{
	uint64_t v = 42;

	(void)state;
	/* MaxConn is -1 in the kernel's text: not a counter we accept. */
	assert_int_equal(lab_parse_counter(snmp, "Tcp:", "MaxConn", &v),
			 -EINVAL);
	assert_int_equal(lab_parse_counter("", "Tcp:", "A", &v), -ENOENT);
	assert_int_equal(lab_parse_counter("Tcp: A B\n", "Tcp:", "A", &v),
			 -ENOENT);
	assert_int_equal(lab_parse_counter("Tcp: A B\nIp: 1 2\n", "Tcp:", "A",
					   &v),
			 -ENOENT);
	/* Fewer values than names. */
	assert_int_equal(lab_parse_counter("Tcp: A B\nTcp: 1\n", "Tcp:", "B",
					   &v),
			 -ENOENT);
	assert_int_equal(lab_parse_counter("Tcp: A\nTcp: 12x\n", "Tcp:", "A",
					   &v),
			 -EINVAL);
	assert_int_equal(lab_parse_counter("Tcp: A\nTcp: +1\n", "Tcp:", "A",
					   &v),
			 -EINVAL);
	assert_int_equal(lab_parse_counter("Tcp: A\nTcp: "
					   "99999999999999999999999\n",
					   "Tcp:", "A", &v),
			 -EINVAL);
	/* No trailing newline is fine. */
	assert_int_equal(lab_parse_counter("Tcp: A\nTcp: 18446744073709551615",
					   "Tcp:", "A", &v),
			 0);
	assert_int_equal(v, UINT64_MAX);
}

static void test_real(void **state)
{
	uint64_t v;
	double cpu = -1;

	(void)state;
	assert_int_equal(lab_counter("/proc/net/snmp", "Tcp:", "OutRsts", &v),
			 0);
	assert_int_equal(lab_counter("/proc/net/netstat",
				     "TcpExt:", "ListenOverflows", &v),
			 0);
	assert_int_equal(lab_counter("/nonexistent", "Tcp:", "OutRsts", &v),
			 -ENOENT);
	assert_int_equal(lab_cpu_seconds(getpid(), &cpu), 0);
	assert_true(cpu >= 0 && cpu < 3600);
	assert_true(lab_cpu_seconds(0, &cpu) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
