// SPDX-License-Identifier: MIT
/*
 * Logging for the lab's server and client: one line per call and its
 * result, stamped like Go's log package so the transcript reads like the
 * post's ("2020/03/30 17:57:45 Dial conn ...").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "tcplimbo/addr.h"

void lab_log(const char *who, const char *fmt, ...)
{
	char line[512];
	struct timespec ts;
	struct tm tm;
	size_t len;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	len = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S ", &tm);
	n = snprintf(line + len, sizeof(line) - len, "[%s %d] ", who,
		     (int)getpid());
	if (n > 0 && (size_t)n < sizeof(line) - len)
		len += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n < sizeof(line) - len ? (size_t)n :
							sizeof(line) - len - 1;
	/* Room for the newline: a truncated line still ends. */
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* One write per line, retried only for EINTR: a log is best effort. */
	while (write(STDOUT_FILENO, line, len) < 0 && errno == EINTR)
		;
}

const char *lab_sockaddr_str(char *buf, size_t size, const void *sa)
{
	const struct sockaddr_storage *ss = sa;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = sa;

		return tl_addr_format_port(buf, size, AF_INET,
					   (const uint8_t *)&in->sin_addr,
					   ntohs(in->sin_port));
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = sa;

		return tl_addr_format_port(buf, size, AF_INET6,
					   (const uint8_t *)&in6->sin6_addr,
					   ntohs(in6->sin6_port));
	}
	snprintf(buf, size, "?");
	return buf;
}
