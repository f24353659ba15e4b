// SPDX-License-Identifier: MIT
/*
 * Tests for src/context.c: the words a context is printed with (in a
 * finding, a table column, JSON) and the --unit/--container matchers.
 * Names come from files anyone who runs a container writes, so no control
 * byte may reach a terminal through them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "context.h"

#define ID "3f2a9c0e5b7d41a8b6c2e9f0a1d3c5e7f9b1a2c4d6e8f0a2b4c6d8e0f2a4b6c8"

static struct tl_context ctx_of(const char *path)
{
	struct tl_context c;

	assert_int_equal(tl_context_parse_path(path, &c), 0);
	return c;
}

static void test_words(void **state)
{
	struct tl_context c;
	char buf[512];

	(void)state;
	c = ctx_of("/system.slice/docker-" ID ".scope");
	assert_string_equal(ctx_text(buf, sizeof(buf), &c),
			    "container 3f2a9c0e5b7d (docker)");
	snprintf(c.name, sizeof(c.name), "web-1");
	assert_string_equal(ctx_text(buf, sizeof(buf), &c),
			    "container web-1 (docker 3f2a9c0e5b7d)");
	assert_string_equal(ctx_short(buf, sizeof(buf), &c), "docker:web-1");

	c = ctx_of("/system.slice/nginx.service");
	assert_string_equal(ctx_text(buf, sizeof(buf), &c),
			    "unit nginx.service");
	assert_string_equal(ctx_short(buf, sizeof(buf), &c), "nginx.service");

	c = ctx_of("/kubepods.slice/kubepods-pod1234_abcd.slice/"
		   "cri-containerd-" ID ".scope");
	snprintf(c.pod, sizeof(c.pod), "web-7d4b9c");
	snprintf(c.pod_namespace, sizeof(c.pod_namespace), "shop");
	snprintf(c.name, sizeof(c.name), "nginx");
	assert_string_equal(ctx_text(buf, sizeof(buf), &c),
			    "pod shop/web-7d4b9c, container nginx "
			    "(containerd 3f2a9c0e5b7d)");
	assert_string_equal(ctx_short(buf, sizeof(buf), &c),
			    "k8s:shop/web-7d4b9c/nginx");

	/* Nothing to name: empty words, a dash in a column. */
	c = ctx_of("/");
	assert_string_equal(ctx_text(buf, sizeof(buf), &c), "");
	assert_string_equal(ctx_short(buf, sizeof(buf), &c), "-");
	assert_string_equal(ctx_text(buf, sizeof(buf), NULL), "");

	/* Cut to the buffer, always terminated. */
	c = ctx_of("/system.slice/nginx.service");
	assert_string_equal(ctx_text(buf, 8, &c), "unit ng");
}

static void test_words_clean(void **state)
{
	struct tl_context c;
	char buf[512];

	(void)state;
	c = ctx_of("/system.slice/docker-" ID ".scope");
	/* ESC, a C1 CSI (c2 9b), DEL, a stray byte; é and 😀 are kept. */
	snprintf(c.name, sizeof(c.name),
		 "a\x1b[2Jb\xc2\x9b"
		 "c\x7f\xff\xc3\xa9\xf0\x9f\x98\x80");
	ctx_text(buf, sizeof(buf), &c);
	assert_string_equal(buf,
			    "container a\\x1b[2Jb\\xc2\\x9bc\\x7f\\xff"
			    "\xc3\xa9\xf0\x9f\x98\x80 (docker 3f2a9c0e5b7d)");
	for (const char *p = buf; *p; p++)
		assert_false((unsigned char)*p < 0x20 || *p == 0x7f);
	/* A character that would not fit whole is not cut in half. */
	snprintf(c.name, sizeof(c.name), "\xc3\xa9\xc3\xa9");
	ctx_short(buf, 10, &c);
	assert_string_equal(buf, "docker:\xc3\xa9");
	ctx_short(buf, 11, &c);
	assert_string_equal(buf, "docker:\xc3\xa9");
	ctx_short(buf, 12, &c);
	assert_string_equal(buf, "docker:\xc3\xa9\xc3\xa9");
}

static void test_match(void **state)
{
	struct tl_context c;

	(void)state;
	c = ctx_of("/system.slice/nginx.service");
	assert_true(ctx_match_unit(&c, "nginx.service"));
	assert_true(ctx_match_unit(&c, "nginx"));
	assert_false(ctx_match_unit(&c, "ngin"));
	assert_false(ctx_match_unit(&c, "nginx.socket"));
	assert_false(ctx_match_container(&c, "nginx"));

	c = ctx_of("/system.slice/docker-" ID ".scope");
	snprintf(c.name, sizeof(c.name), "web-1");
	assert_true(ctx_match_container(&c, "web-1"));
	assert_true(ctx_match_container(&c, ID));
	assert_true(ctx_match_container(&c, "3f2a"));
	assert_false(ctx_match_container(&c, "3f2")); /* too short */
	assert_false(ctx_match_container(&c, "web"));
	assert_false(ctx_match_container(&c, "3f2b"));
	/*
	 * A name cut to fit (300 bytes, kept as 252 and "...") is matched
	 * by the whole name and by what is shown, not by a shorter one.
	 */
	{
		char full[301];

		memset(full, 'w', 300);
		full[300] = '\0';
		snprintf(c.name, sizeof(c.name), "%.252s...", full);
		assert_true(ctx_match_container(&c, full));
		assert_true(ctx_match_container(&c, c.name));
		full[252] = '\0';
		assert_false(ctx_match_container(&c, full));
		full[252] = 'w';
		full[10] = 'x';
		assert_false(ctx_match_container(&c, full));
	}
	/* A container's scope is no unit to --unit. */
	assert_false(ctx_match_unit(&c, "docker-" ID ".scope"));
	assert_false(ctx_match_unit(NULL, "nginx"));
	assert_false(ctx_match_container(NULL, "web-1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_words_clean),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
