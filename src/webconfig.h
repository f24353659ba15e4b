/* SPDX-License-Identifier: MIT */
/*
 * serve's --web-config: the Prometheus exporter-toolkit's file format,
 * the parts tcplimbo supports: tls_server_config (cert_file, key_file,
 * min_version and max_version, TLS 1.2 and 1.3 only) and
 * basic_auth_users (name: bcrypt hash). Read once at start; anything it
 * does not understand is an error naming the line, never ignored.
 */
#ifndef TL_WEBCONFIG_H
#define TL_WEBCONFIG_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct webconfig;

/*
 * Reads and checks the file (YAML, through libyaml), and the certificate
 * and key it names (paths relative to the file's directory). Logs what is
 * wrong, with the line, and returns -errno; otherwise sets *ret.
 */
int webconfig_load(const char *path, struct webconfig **ret);

/*
 * Parses the text of a web config (len bytes); path is for messages and
 * for relative file names, and nothing is read when read_files is false
 * (the unit test). Logs and returns -EINVAL on a bad file.
 */
int webconfig_parse(const char *text, size_t len, const char *path,
		    bool read_files, struct webconfig **ret);

/* Frees it; NULL is fine. */
void webconfig_free(struct webconfig *wc);

/* True when the file asks for TLS. */
bool webconfig_tls(const struct webconfig *wc);

/*
 * GnuTLS priorities for its TLS versions: min_version and max_version
 * (TLS12, TLS13), by default both, exporter-toolkit's default.
 */
const char *webconfig_tls_priorities(const struct webconfig *wc);

/* The PEM certificate and key, read at load time. */
const char *webconfig_cert(const struct webconfig *wc);
const char *webconfig_key(const struct webconfig *wc);

/* How many basic-auth users it configures. */
size_t webconfig_users(const struct webconfig *wc);

/*
 * True when no users are configured, or when the request carries the
 * basic-auth credentials of one of them (bcrypt through crypt(3)).
 */
bool webconfig_auth_ok(const struct webconfig *wc, struct MHD_Connection *c);

/* The same check on a name and password, for the unit test. */
bool webconfig_check(const struct webconfig *wc, const char *user,
		     const char *pass);

#endif
