// SPDX-License-Identifier: MIT
/*
 * Tests for src/webconfig.c: the exporter-toolkit format's parts serve
 * supports, bcrypt checks through crypt(3), and refusals of what it does
 * not understand.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tl.h"
#include "webconfig.h"

/* "s3cret" at cost 4, made with python3's crypt.METHOD_BLOWFISH. */
#define HASH "$2b$04$iB2eMlTMZFnpRaZLxrKJTOYLNA6OJKs412XUYiHQuHmQ4HTif5Hmm"

static char last_err[512];

/* The command's logger, captured: the messages are part of the contract. */
void tl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
}

static struct webconfig *parse(const char *text, int want)
{
	struct webconfig *wc = NULL;

	last_err[0] = '\0';
	assert_int_equal(
		webconfig_parse(text, strlen(text), "w.yml", false, &wc), want);
	return wc;
}

static void test_users(void **state)
{
	struct webconfig *wc = parse(
		"basic_auth_users:\n  prom: " HASH "\n  ops: " HASH "\n", 0);

	(void)state;
	assert_int_equal(webconfig_users(wc), 2);
	assert_false(webconfig_tls(wc));
	assert_true(webconfig_check(wc, "prom", "s3cret"));
	assert_true(webconfig_check(wc, "ops", "s3cret"));
	assert_false(webconfig_check(wc, "prom", "s3cret "));
	assert_false(webconfig_check(wc, "prom", ""));
	assert_false(webconfig_check(wc, "nobody", "s3cret"));
	assert_false(webconfig_check(wc, NULL, NULL));
	webconfig_free(wc);
}

static void test_empty(void **state)
{
	struct webconfig *wc = parse("", 0);

	(void)state;
	/* Nothing configured: no TLS, and every request is let in. */
	assert_int_equal(webconfig_users(wc), 0);
	assert_false(webconfig_tls(wc));
	assert_true(webconfig_check(wc, NULL, NULL));
	webconfig_free(wc);
	webconfig_free(NULL);
}

static void refused(const char *text, const char *msg)
{
	assert_null(parse(text, -EINVAL));
	if (!strstr(last_err, msg))
		fail_msg("'%s' not in '%s'", msg, last_err);
}

static void test_refused(void **state)
{
	(void)state;
	refused("a: [\n", "not valid YAML");
	refused("- a\n- b\n", "line 1: the file must be a mapping");
	refused("basic_auth_users: {}\nhttp_server_config: {}\n",
		"line 2: 'http_server_config' is not supported");
	refused("basic_auth_users:\n  u: notahash\n",
		"line 2: the password of 'u' must be a bcrypt hash");
	/* A cost bcrypt does not take: every login would fail, unsaid. */
	refused("basic_auth_users:\n  u: "
		"$2b$99$iB2eMlTMZFnpRaZLxrKJTOYLNA6OJKs412XUYiHQuHmQ4HTif5Hmm\n",
		"a cost of 04 to 31");
	refused("basic_auth_users:\n  u: "
		"$2b$03$iB2eMlTMZFnpRaZLxrKJTOYLNA6OJKs412XUYiHQuHmQ4HTif5Hmm\n",
		"a cost of 04 to 31");
	/* A character outside bcrypt's base 64. */
	refused("basic_auth_users:\n  u: "
		"$2b$04$iB2eMlTMZFnpRaZLxrKJTOYLNA6OJKs412XUYiHQuHmQ4HTif5Hm!\n",
		"must be a bcrypt hash");
	refused("basic_auth_users:\n  u: " HASH "\n  u: " HASH "\n",
		"line 3: user 'u' given twice");
	refused("basic_auth_users:\n  'a:b': " HASH "\n", "without ':'");
	refused("tls_server_config:\n  key_file: k.pem\n",
		"needs both cert_file and key_file");
	refused("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: x\n",
		"line 4: tls_server_config: 'client_ca_file' is not supported");
	refused("basic_auth_users: [a, b]\n", "must be a mapping of names");
}

/*
 * Nesting no web config has is refused at the first level too deep,
 * before libyaml composes a document of it (minutes for a 1 MiB file of
 * brackets, from the s30 adversarial audit); 16 levels still parse.
 */
static void test_deep(void **state)
{
	size_t n = 500000;
	char *text = malloc(2 * n + 8);
	struct webconfig *wc;

	(void)state;
	assert_non_null(text);
	memcpy(text, "a: ", 3);
	memset(text + 3, '[', n);
	memset(text + 3 + n, ']', n);
	text[3 + 2 * n] = '\0';
	refused(text, "line 1: nested deeper than 16 levels");
	/* The mapping and 15 lists: 16 levels, told as unsupported. */
	snprintf(text, 2 * n + 8, "%s", "a: [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]\n");
	wc = parse(text, -EINVAL);
	assert_null(wc);
	assert_non_null(strstr(last_err, "'a' is not supported"));
	/* One more, 17: the first refused. */
	snprintf(text, 2 * n + 8, "%s",
		 "a: [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]\n");
	refused(text, "line 1: nested deeper than 16 levels");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
