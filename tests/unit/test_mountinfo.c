// SPDX-License-Identifier: MIT
/*
 * Tests for lib/mountinfo.c: the hidepid level and gid= of the proc mount
 * on /proc, read from mountinfo text, whatever the text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* mountinfo's proc mounts: the hidepid level and gid of the last on /proc. */
static void test_parse_hidepid(void **state)
{
	static const char mi[] =
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"24 22 0:22 / /proc rw,nosuid shared:12 - proc proc rw\n"
		"40 22 0:30 / /proc/sys/fs/binfmt_misc rw - binfmt_misc b rw\n";
	static const char hidden[] =
		"24 22 0:22 / /proc rw shared:12 - proc proc rw\n"
		"77 24 0:55 / /proc rw,relatime - proc proc "
		"rw,hidepid=invisible,gid=27\n";
	static const char old[] =
		"77 24 0:55 / /proc rw - proc proc rw,gid=5,hidepid=2\n";
	static const char notproc[] =
		"77 24 0:55 / /proc rw - tmpfs none rw,hidepid=2\n";
	long gid = 7;
	(void)state;

	assert_int_equal(tli_parse_hidepid(mi, strlen(mi), "/proc", &gid), 0);
	assert_int_equal(gid, -1);
	assert_int_equal(
		tli_parse_hidepid(hidden, strlen(hidden), "/proc", &gid), 2);
	assert_int_equal(gid, 27);
	assert_int_equal(tli_parse_hidepid(old, strlen(old), "/proc", &gid), 2);
	assert_int_equal(gid, 5);
	assert_int_equal(
		tli_parse_hidepid(notproc, strlen(notproc), "/proc", &gid), 0);
	/* Another mount point's options do not count. */
	assert_int_equal(
		tli_parse_hidepid(hidden, strlen(hidden), "/mnt", &gid), 0);
	/* ptraceable, noaccess; a value that only starts like one. */
	assert_int_equal(tli_parse_hidepid("1 2 0:5 / /proc - proc p "
					   "hidepid=ptraceable\n",
					   44, "/proc", &gid),
			 4);
	assert_int_equal(tli_parse_hidepid("1 2 0:5 / /proc - proc p "
					   "rw,hidepid=noaccess",
					   44, "/proc", &gid),
			 1);
	assert_int_equal(tli_parse_hidepid("1 2 0:5 / /proc - proc p "
					   "hidepid=22",
					   35, "/proc", &gid),
			 0);
	/* A mount point with a space and a backslash, as mountinfo escapes
	 * them; a prefix of the path, or the escape taken literally, is
	 * another mount point. */
	static const char esc[] = "1 2 0:5 / /host\\040proc\\134x - proc p "
				  "hidepid=2\n";
	assert_int_equal(
		tli_parse_hidepid(esc, strlen(esc), "/host proc\\x", &gid), 2);
	assert_int_equal(
		tli_parse_hidepid(esc, strlen(esc), "/host proc", &gid), 0);
	assert_int_equal(tli_parse_hidepid(esc, strlen(esc),
					   "/host\\040proc\\134x", &gid),
			 0);
	assert_int_equal(
		tli_parse_hidepid(esc, strlen(esc), "/host proc\\xy", &gid), 0);
	/* Cut anywhere: no overread, an answer of those it knows. */
	for (size_t n = 0; n <= strlen(hidden); n++) {
		int l = tli_parse_hidepid(hidden, n, "/proc", &gid);

		assert_true(l == 0 || l == 2);
	}
}

static void collect(const char *path, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%s;", path);
}

/*
 * Network namespaces kept by a mount: nsfs mounts whose root is a net
 * namespace's, wherever they are, their paths unescaped; not another
 * kind's (a mount namespace's), not another filesystem's.
 */
static void test_nsfs_net_mounts(void **state)
{
	static const char text[] =
		"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
		"119 26 0:4 net:[4026532961] /run/netns/web rw - nsfs nsfs rw\n"
		"120 26 0:4 net:[4026532962] /run/docker/netns/a\\040b rw - nsfs "
		"nsfs rw\n"
		"121 26 0:4 mnt:[4026532963] /run/mnt-ns rw - nsfs nsfs rw\n"
		"122 26 0:30 net:[1] /not/nsfs rw - tmpfs tmpfs rw\n"
		"123 26 0:4 net:[4026532964] /last rw - nsfs nsfs rw";
	char out[512] = "";

	(void)state;
	tli_nsfs_net_mounts(text, sizeof(text) - 1, collect, out);
	assert_string_equal(out, "/run/netns/web;/run/docker/netns/a b;/last;");
	out[0] = '\0';
	tli_nsfs_net_mounts("", 0, collect, out);
	tli_nsfs_net_mounts("garbage without fields", 22, collect, out);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_hidepid),
		cmocka_unit_test(test_nsfs_net_mounts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
