/* SPDX-License-Identifier: MIT */
/* The checks serve makes of a request (serve-http.c). */
#ifndef TL_SERVE_HTTP_H
#define TL_SERVE_HTTP_H

#include <stdbool.h>

#include <microhttpd.h>

/*
 * The path of a request target, in the origin form ("/metrics") or the
 * absolute form ("http://host/metrics"); an empty path is "/".
 */
const char *serve_target_path(const char *url);

/*
 * Whether the request's Host headers are as RFC 9112 (3.2) wants: one, or
 * none in HTTP/1.0. Otherwise the answer is 400.
 */
bool serve_host_ok(struct MHD_Connection *c, const char *version);

/* Whether the request announces a body (Content-Length or chunked). */
bool serve_has_body(struct MHD_Connection *c);

#endif
