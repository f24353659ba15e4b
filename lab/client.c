// SPDX-License-Identifier: MIT
/*
 * lab client: the post's client. Dial, wait (10 s by default, as in the
 * post), write "ping", close, exit, logging each call and its result. With
 * --count it dials several connections (without blocking on one that the
 * server's full queue leaves in SYN_SENT); with --no-close it holds them.
 * Under lab run (--sync-fd) it reports each phase and waits for "go"
 * instead of sleeping, so the runner can look at the sockets in between.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "tl.h"

struct cli {
	const char *addr;
	uint16_t port;
	unsigned wait_ms;
	const char *send;
	unsigned count;
	bool no_close;
	unsigned connect_ms;
	int sync_fd;
	int *fds;
	bool *up; /* per connection: the handshake finished */
};

static const char *who = "client";

static void cli_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo lab client [--addr A] [--port P] [--wait D]\n"
		"         [--send TEXT] [--count N] [--no-close]\n"
		"         [--connect-timeout D]\n"
		"Dial, wait D (10s; a bare number is seconds), write TEXT (\"ping\";\n"
		"\"\" writes nothing), close unless --no-close (then hold D again),\n"
		"exit. --connect-timeout: 3s; a bare number is milliseconds.\n");
}

/*
 * Tells the runner which phase we reached and waits for its "go". EOF
 * means the runner is gone: stop at once.
 */
static int cli_sync(struct cli *c, const char *phase)
{
	char line[64], ch;
	int n;

	if (c->sync_fd < 0)
		return 0;
	n = snprintf(line, sizeof(line), "%s\n", phase);
	if (write(c->sync_fd, line, (size_t)n) != n)
		return -EPIPE;
	/* Read up to the newline of "go\n"; bounded by its length. */
	for (int i = 0; i < 8; i++) {
		ssize_t r = read(c->sync_fd, &ch, 1);

		if (r < 0 && errno == EINTR) {
			i--;
			continue;
		}
		if (r <= 0)
			return -EPIPE;
		if (ch == '\n')
			return 0;
	}
	return -EPROTO;
}

static void cli_sleep(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cli_addr(struct cli *c, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, c->addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(c->port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, c->addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(c->port);
		*len = sizeof(*in6);
		return 0;
	}
	tl_err("lab client: --addr '%s' is not an IP address", c->addr);
	return -EINVAL;
}

/* Dials one connection; waits at most connect_ms for the handshake. */
static void cli_dial(struct cli *c, unsigned i,
		     const struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	char lbuf[80], rbuf[80];
	struct pollfd pfd;
	int fd, err = 0;

	lab_sockaddr_str(rbuf, sizeof(rbuf), ss);
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	c->fds[i] = fd;
	if (fd < 0) {
		lab_log(who, "Dial %s error is %s", rbuf, strerror(errno));
		return;
	}
	if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
		if (errno != EINPROGRESS) {
			lab_log(who, "Dial %s error is %s", rbuf,
				strerror(errno));
			close(fd);
			c->fds[i] = -1;
			return;
		}
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, (int)c->connect_ms) <= 0) {
			getsockname(fd, (struct sockaddr *)&local, &llen);
			lab_log(who,
				"Dial %s from %s: no answer after %u ms, still "
				"in SYN_SENT (the kernel keeps resending SYN)",
				rbuf,
				lab_sockaddr_str(lbuf, sizeof(lbuf), &local),
				c->connect_ms);
			return;
		}
		llen = sizeof(err);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &llen);
		if (err) {
			lab_log(who, "Dial %s error is %s", rbuf,
				strerror(err));
			close(fd);
			c->fds[i] = -1;
			return;
		}
	}
	llen = sizeof(local);
	getsockname(fd, (struct sockaddr *)&local, &llen);
	c->up[i] = true;
	lab_log(who, "Dial conn fd %d %s -> %s <nil>", fd,
		lab_sockaddr_str(lbuf, sizeof(lbuf), &local), rbuf);
}

static int cli_parse(struct cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "wait", required_argument, NULL, 'w' },
		{ "send", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "no-close", no_argument, NULL, 'k' },
		{ "connect-timeout", required_argument, NULL, 't' },
		{ "sync-fd", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v, ms;
	int o;

	while ((o = getopt_long(argc, argv, "a:p:w:s:c:kt:h", longopts,
				NULL)) != -1) {
		switch (o) {
		case 'a':
			c->addr = optarg;
			break;
		case 'p':
			if (tl_parse_port(optarg, &c->port) < 0 ||
			    c->port == 0) {
				tl_err("lab client: bad --port '%s' (1..65535)",
				       optarg);
				return -EINVAL;
			}
			break;
		case 'w':
			if (tl_duration_option("lab client", "--wait", optarg,
					       1000, 0, LAB_MAX_WAIT * 1000ULL,
					       &ms) < 0)
				return -EINVAL;
			c->wait_ms = (unsigned)ms;
			break;
		case 's':
			if (strlen(optarg) > 4096) {
				tl_err("lab client: --send text longer than "
				       "4096 bytes");
				return -EINVAL;
			}
			c->send = optarg;
			break;
		case 'c':
			if (tl_parse_uint(optarg, LAB_MAX_COUNT, &v) < 0 ||
			    v == 0) {
				tl_err("lab client: bad --count '%s' (1..%d)",
				       optarg, LAB_MAX_COUNT);
				return -EINVAL;
			}
			c->count = (unsigned)v;
			break;
		case 'k':
			c->no_close = true;
			break;
		case 't':
			if (tl_duration_option("lab client",
					       "--connect-timeout", optarg, 1,
					       1, 600000, &ms) < 0)
				return -EINVAL;
			c->connect_ms = (unsigned)ms;
			break;
		case 'S':
			if (tl_parse_uint(optarg, 1023, &v) < 0) {
				tl_err("lab client: bad --sync-fd '%s'",
				       optarg);
				return -EINVAL;
			}
			c->sync_fd = (int)v;
			break;
		case 'h':
			cli_usage(stdout);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		tl_err("lab client: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int lab_client_main(int argc, char **argv)
{
	struct cli c = {
		.addr = "127.0.0.1",
		.port = 3000,
		.wait_ms = 10000,
		.send = "ping",
		.count = 1,
		.connect_ms = 3000,
		.sync_fd = -1,
	};
	struct sockaddr_storage ss;
	unsigned n_up = 0;
	char phase[32];
	size_t len;
	socklen_t slen;
	char wbuf[32];
	int ret;

	ret = cli_parse(&c, argc, argv);
	if (ret < 0)
		fprintf(stderr, "Try 'tcplimbo lab --help'.\n");
	if (ret)
		return ret > 0 ? 0 : TL_EXIT_USAGE;
	prctl(PR_SET_NAME, "lab-client");
	if (cli_addr(&c, &ss, &slen) < 0)
		return TL_EXIT_USAGE;
	c.fds = calloc(c.count, sizeof(*c.fds));
	c.up = calloc(c.count, sizeof(*c.up));
	if (!c.fds || !c.up) {
		tl_err("lab client: out of memory");
		ret = TL_EXIT_FAILURE;
		goto out;
	}
	for (unsigned i = 0; i < c.count; i++)
		c.fds[i] = -1;
	for (unsigned i = 0; i < c.count; i++) {
		cli_dial(&c, i, &ss, slen);
		n_up += c.up[i];
	}
	snprintf(phase, sizeof(phase), "connected %u %u", n_up, c.count - n_up);
	if (cli_sync(&c, phase) < 0)
		goto gone;
	if (c.sync_fd < 0 && c.wait_ms) {
		lab_log(who, "Sleep %s",
			(tl_duration_str(wbuf, sizeof(wbuf), c.wait_ms), wbuf));
		cli_sleep(c.wait_ms);
	}
	len = strlen(c.send);
	for (unsigned i = 0; i < c.count && len; i++) {
		ssize_t n;

		if (!c.up[i])
			continue;
		n = send(c.fds[i], c.send, len, MSG_NOSIGNAL);
		if (n < 0)
			lab_log(who, "Write fd %d error is %s", c.fds[i],
				strerror(errno));
		else
			lab_log(who, "Write %zd bytes, error is <nil>", n);
	}
	if (cli_sync(&c, "written") < 0)
		goto gone;
	if (c.no_close) {
		lab_log(who, "Not closing: holding %u connection%s", n_up,
			n_up == 1 ? "" : "s");
		if (cli_sync(&c, "holding") < 0)
			goto gone;
		if (c.sync_fd < 0 && c.wait_ms) {
			lab_log(who, "Sleep %s",
				(tl_duration_str(wbuf, sizeof(wbuf), c.wait_ms),
				 wbuf));
			cli_sleep(c.wait_ms);
		}
	} else {
		for (unsigned i = 0; i < c.count; i++) {
			if (c.fds[i] < 0)
				continue;
			if (close(c.fds[i]) < 0)
				lab_log(who, "Close error is %s",
					strerror(errno));
			else
				lab_log(who, "Close <nil>");
			c.fds[i] = -1;
		}
		if (cli_sync(&c, "closed") < 0)
			goto gone;
	}
	lab_log(who, "Exit");
	/* Like the post's client, carry on after a failed dial, but say so. */
	ret = n_up == c.count ? 0 : 1;
	goto out;
gone:
	/* The runner went away: leave quietly, the kernel closes the rest. */
	ret = TL_EXIT_FAILURE;
out:
	if (c.fds)
		for (unsigned i = 0; i < c.count; i++)
			if (c.fds[i] >= 0)
				close(c.fds[i]);
	free(c.fds);
	free(c.up);
	if (c.sync_fd >= 0)
		close(c.sync_fd);
	return ret;
}
