// SPDX-License-Identifier: MIT
/*
 * The checks serve makes of a request that libmicrohttpd leaves to the
 * application (RFC 9112): the target's forms, the Host header, a body.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "serve-http.h"

/*
 * The path of a request target. RFC 9112 (3.2.2) has a server accept the
 * absolute form ("http://host/metrics", which a client speaking to a
 * proxy sends) as well as the origin form; an empty path is "/".
 */
const char *serve_target_path(const char *url)
{
	const char *p;

	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return url;
	p = strchr(p, '/');
	return p ? p : "/";
}

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *value)
{
	unsigned *n = cls;

	(void)kind;
	(void)value;
	*n += strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0;
	return MHD_YES;
}

/*
 * RFC 9112 (3.2): a request with more than one Host header, or an
 * HTTP/1.1 one without any, gets 400. libmicrohttpd leaves that to us.
 */
bool serve_host_ok(struct MHD_Connection *c, const char *version)
{
	unsigned n = 0;

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_host, &n);
	if (n > 1)
		return false;
	return n == 1 || strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
}

/* Whether the request announces a body (RFC 9112, 6.3). */
bool serve_has_body(struct MHD_Connection *c)
{
	const char *len = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return true;
	return len && strcmp(len, "0") != 0;
}
