// SPDX-License-Identifier: MIT
/*
 * lab server: the post's server and its relatives. Each mode is a way a real
 * server treats (or fails to treat) the connections the kernel has already
 * finished for it:
 *   no-accept   listen, then only sleep (the post's server); SIGUSR1 makes
 *               it start accepting, reading and closing
 *   no-close    accept and read, but never close (a CLOSE_WAIT leak)
 *   emfile      use up the fd limit, then accept from a level-triggered
 *               epoll loop: accept fails with EMFILE and the loop spins;
 *               SIGUSR1 frees the fds
 *   reserve-fd  the same limit with the spare-fd remedy (libuv, muduo)
 *   good        accept, read until the client closes, close
 *   close-first accept and close at once (the server is the active closer)
 *   prefork-emfile
 *               a pre-forking server (nginx's master and worker): the
 *               parent listens and forks one child that shares the
 *               listener; only the child accepts, and it does so at its
 *               fd limit (as emfile). The parent sleeps with fds to spare;
 *               SIGUSR1 reaches the child, and the child ends with it
 *   edge-once   the listener registered edge-triggered (EPOLLET), and one
 *               accept() per wakeup after some work: connections that
 *               arrive together leave all but one queued (the classic bug)
 *   oneshot     the listener registered EPOLLONESHOT, one accept() and
 *               never re-armed: epoll never reports it again
 *   limit       accept up to --maxconn connections, then stop watching the
 *               listener until one closes (haproxy's maxconn)
 *   spawn       accept, start sleep for each connection with the connection
 *               open across exec (not close-on-exec), read and close:
 *               sleep keeps the connection in CLOSE_WAIT
 * In no-close mode an explicit --nofile sets the fd limit (without filling
 * it), so the leaked sockets themselves end in EMFILE.
 * It logs each call and its result, and exits on SIGINT/SIGTERM or after
 * --seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "tl.h"

enum srv_mode {
	MODE_NO_ACCEPT,
	MODE_NO_CLOSE,
	MODE_EMFILE,
	MODE_RESERVE_FD,
	MODE_GOOD,
	MODE_CLOSE_FIRST,
	MODE_PREFORK_EMFILE,
	MODE_EDGE,
	MODE_ONESHOT,
	MODE_LIMIT,
	MODE_SPAWN,
};

static const char *const mode_names[] = {
	[MODE_NO_ACCEPT] = "no-accept",
	[MODE_NO_CLOSE] = "no-close",
	[MODE_EMFILE] = "emfile",
	[MODE_RESERVE_FD] = "reserve-fd",
	[MODE_GOOD] = "good",
	[MODE_CLOSE_FIRST] = "close-first",
	[MODE_PREFORK_EMFILE] = "prefork-emfile",
	[MODE_EDGE] = "edge-once",
	[MODE_ONESHOT] = "oneshot",
	[MODE_LIMIT] = "limit",
	[MODE_SPAWN] = "spawn",
};

/* "no-accept, no-close, ...": the modes, for a message. */
static const char *mode_list(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0;
	     i < sizeof(mode_names) / sizeof(mode_names[0]) && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? ", " : "", mode_names[i]);
	return buf;
}

struct srv {
	enum srv_mode mode;
	const char *addr;
	uint16_t port;
	unsigned backlog;
	uint64_t run_ms; /* --seconds */
	unsigned nofile;
	int sync_fd;
	int lfd;
	int efd;
	int sigfd;
	int spare; /* reserve-fd: the spare descriptor, or -1 */
	int *fillers;
	size_t n_fillers;
	bool accepting;
	bool done;
	uint64_t emfile_fails; /* since the last report */
	uint64_t emfile_total;
	unsigned held;	  /* no-close: connections read to EOF and kept */
	pid_t child;	  /* prefork-emfile's parent: its worker, or 0 */
	unsigned maxconn; /* limit: connections held before unwatching */
	unsigned conns;	  /* accepted connections open now */
	bool watching;	  /* the listener is in the epoll set */
	bool nofile_set;  /* --nofile given */
	struct timespec last_report;
};

static const char *who = "server";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void srv_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo lab server [--addr A] [--port P] [--backlog N]\n"
		"         [--mode M] [--nofile N] [--maxconn N] [--seconds S]\n"
		"Modes: no-accept (default), no-close, emfile, reserve-fd, good,\n"
		"       close-first, prefork-emfile (a parent and a child share\n"
		"       the listener; only the child accepts, at its fd limit),\n"
		"       edge-once, oneshot, limit, spawn (starts sleep with each\n"
		"       connection open across exec). SIGUSR1: no-accept starts\n"
		"       accepting, emfile frees its fds. SIGINT/SIGTERM: exit.\n");
}

static int parse_mode(const char *s, enum srv_mode *ret)
{
	for (size_t i = 0; i < LAB_N(mode_names); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*ret = (enum srv_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Shows the first bytes read, quoted, so "ping" appears as in the post. */
static void quote(char *out, size_t size, const char *in, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < size; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

static int srv_listen(struct srv *s)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char buf[80];
	int one = 1;

	if (inet_pton(AF_INET, s->addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(s->port);
		len = sizeof(*in);
	} else if (inet_pton(AF_INET6, s->addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(s->port);
		len = sizeof(*in6);
	} else {
		tl_err("lab server: --addr '%s' is not an IP address", s->addr);
		return -EINVAL;
	}
	s->lfd = socket(ss.ss_family,
			SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0)
		goto fail;
	/* TIME_WAITs of an earlier server on the port must not block us. */
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	if (listen(s->lfd, (int)s->backlog) < 0)
		goto fail;
	len = sizeof(ss);
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	s->port =
		ntohs(ss.ss_family == AF_INET ? in->sin_port : in6->sin6_port);
	lab_log(who, "Listen %s backlog %u (mode %s) <nil>",
		lab_sockaddr_str(buf, sizeof(buf), &ss), s->backlog,
		mode_names[s->mode]);
	return 0;
fail:
	lab_log(who, "Listen %s:%u error is %s", s->addr, s->port,
		strerror(errno));
	return -errno;
}

static int epoll_add(struct srv *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(s->efd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/*
 * Watches the listener the way the mode does: edge-once with EPOLLET,
 * oneshot with EPOLLONESHOT (never re-armed), the others level-triggered.
 */
static int listener_watch(struct srv *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = s->lfd };

	if (s->mode == MODE_EDGE)
		ev.events |= EPOLLET;
	else if (s->mode == MODE_ONESHOT)
		ev.events |= EPOLLONESHOT;
	if (epoll_ctl(s->efd, EPOLL_CTL_ADD, s->lfd, &ev) < 0)
		return -errno;
	s->watching = true;
	return 0;
}

/* limit: stop watching the listener at maxconn, watch it again below. */
static void limit_check(struct srv *s)
{
	if (s->mode != MODE_LIMIT)
		return;
	if (s->watching && s->conns >= s->maxconn) {
		epoll_ctl(s->efd, EPOLL_CTL_DEL, s->lfd, NULL);
		s->watching = false;
		lab_log(who,
			"At maxconn %u: no longer watching the listener (new "
			"connections wait in its queue)",
			s->maxconn);
	} else if (!s->watching && s->conns < s->maxconn) {
		if (listener_watch(s) == 0)
			lab_log(who,
				"Below maxconn %u: watching the listener "
				"again",
				s->maxconn);
	}
}

/*
 * Sets the soft RLIMIT_NOFILE to --nofile, or to the hard limit when that
 * is lower (s->nofile then says which).
 */
static int srv_limit_nofile(struct srv *s)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_max != RLIM_INFINITY && s->nofile > rl.rlim_max)
		s->nofile = (unsigned)rl.rlim_max;
	rl.rlim_cur = s->nofile;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	return 0;
}

/* An explicit --nofile in no-close mode: the leak itself hits the limit. */
static int srv_set_nofile(struct srv *s)
{
	int err = srv_limit_nofile(s);

	if (!err)
		lab_log(who, "Set RLIMIT_NOFILE to %u", s->nofile);
	return err;
}

/*
 * Opens /dev/null until the fd limit is reached, so the next accept()
 * fails with EMFILE, as it does in a server with too many connections.
 */
static int srv_fill(struct srv *s)
{
	int err = srv_limit_nofile(s);

	if (err)
		return err;
	s->fillers = calloc(s->nofile, sizeof(*s->fillers));
	if (!s->fillers)
		return -ENOMEM;
	while (s->n_fillers < s->nofile) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		s->fillers[s->n_fillers++] = fd;
	}
	lab_log(who,
		"Set RLIMIT_NOFILE to %u and opened %zu files: every fd is in "
		"use, accept() will fail with EMFILE",
		s->nofile, s->n_fillers);
	return 0;
}

static void srv_unfill(struct srv *s)
{
	size_t n = s->n_fillers;

	for (size_t i = 0; i < s->n_fillers; i++)
		close(s->fillers[i]);
	s->n_fillers = 0;
	free(s->fillers);
	s->fillers = NULL;
	if (n)
		lab_log(who, "Closed %zu files: fds are free again", n);
}

static void srv_close_conn(struct srv *s, int fd)
{
	epoll_ctl(s->efd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	lab_log(who, "Close fd %d <nil>", fd);
	if (s->conns)
		s->conns--;
	limit_check(s);
}

static void srv_report_emfile(struct srv *s, bool force)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!s->emfile_fails)
		return;
	/*
	 * Once a second on our own; under lab run only the first failure and
	 * the total when the fds come back, so logs do not break into the
	 * runner's countdown.
	 */
	if (!force && (s->sync_fd >= 0 || ts.tv_sec == s->last_report.tv_sec))
		return;
	lab_log(who,
		"Accept failed %llu time%s since the last report: %s (the "
		"listener stays readable, so epoll_wait returns at once)",
		(unsigned long long)s->emfile_fails,
		s->emfile_fails == 1 ? "" : "s", strerror(EMFILE));
	s->emfile_fails = 0;
	s->last_report = ts;
}

/* The spare-fd remedy: free one fd, take the connection, refuse it. */
static void srv_shed(struct srv *s)
{
	int fd;

	if (s->spare < 0)
		return;
	close(s->spare);
	s->spare = -1;
	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		lab_log(who,
			"Accept: EMFILE; closed the spare fd, accepted fd %d "
			"and closed it at once (the client sees EOF)",
			fd);
	}
	s->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void srv_accept(struct srv *s)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	char buf[80];
	int fd;

	if (s->mode == MODE_EDGE) {
		/* Work before the one accept(): later arrivals coalesce. */
		struct timespec ts = { 0, 300 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	fd = accept4(s->lfd, (struct sockaddr *)&peer, &len,
		     SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			s->emfile_total++;
			if (s->mode == MODE_RESERVE_FD) {
				srv_shed(s);
				return;
			}
			/* Level-triggered: epoll reports the listener again. */
			s->emfile_fails++;
			srv_report_emfile(s, s->emfile_total == 1);
		} else if (errno != EAGAIN && errno != ECONNABORTED &&
			   errno != EINTR) {
			lab_log(who, "Accept error is %s", strerror(errno));
		}
		return;
	}
	lab_log(who, "Accept conn fd %d from %s <nil>", fd,
		lab_sockaddr_str(buf, sizeof(buf), &peer));
	s->conns++;
	if (s->mode == MODE_SPAWN) {
		/* The bug on purpose: the program started gets the fd too. */
		pid_t kid = lab_spawn_inheritor(
			fd, (unsigned)((s->run_ms + 999) / 1000));

		if (kid > 0)
			lab_log(who,
				"Start sleep, pid %d, with fd %d open across "
				"exec (not close-on-exec) <nil>",
				(int)kid, fd);
		else
			lab_log(who, "fork error is %s", strerror((int)-kid));
	}
	if (s->mode == MODE_CLOSE_FIRST) {
		close(fd);
		lab_log(who, "Close fd %d <nil> (we close first)", fd);
		return;
	}
	if (epoll_add(s, fd) < 0) {
		lab_log(who, "epoll_ctl fd %d error is %s", fd,
			strerror(errno));
		close(fd);
		s->conns--;
		return;
	}
	limit_check(s);
}

static void srv_read(struct srv *s, int fd)
{
	char buf[4096], q[160];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		quote(q, sizeof(q), buf, (size_t)n > 32 ? 32 : (size_t)n);
		lab_log(who, "Read fd %d: %zd bytes \"%s\" <nil>", fd, n, q);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0)
		lab_log(who, "Read fd %d: 0 bytes, EOF (the client closed)",
			fd);
	else
		lab_log(who, "Read fd %d error is %s", fd, strerror(errno));
	if (s->mode == MODE_NO_CLOSE) {
		/* The bug on purpose: forget the fd without closing it. */
		epoll_ctl(s->efd, EPOLL_CTL_DEL, fd, NULL);
		s->held++;
		lab_log(who,
			"Not closing fd %d: it stays in CLOSE_WAIT while we "
			"live (%u held)",
			fd, s->held);
		return;
	}
	srv_close_conn(s, fd);
}

static void srv_signal(struct srv *s)
{
	struct signalfd_siginfo si;

	if (read(s->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGUSR1) {
		lab_log(who, "Got %s: exiting", strsignal((int)si.ssi_signo));
		s->done = true;
		return;
	}
	if (s->mode == MODE_NO_ACCEPT && !s->accepting) {
		lab_log(who, "Got SIGUSR1: accepting from now on");
		s->accepting = true;
		if (epoll_add(s, s->lfd) < 0)
			lab_log(who, "epoll_ctl error is %s", strerror(errno));
	} else if (s->child > 0) {
		lab_log(who, "Got SIGUSR1: passing it to worker %d",
			(int)s->child);
		kill(s->child, SIGUSR1);
	} else if (s->mode == MODE_EMFILE && s->n_fillers) {
		srv_report_emfile(s, true);
		lab_log(who, "Got SIGUSR1: freeing fds");
		srv_unfill(s);
		/* Tell lab run how often accept() failed, for its transcript. */
		if (s->sync_fd >= 0)
			dprintf(s->sync_fd, "freed %llu\n",
				(unsigned long long)s->emfile_total);
	} else {
		lab_log(who, "Got SIGUSR1: nothing to do in mode %s",
			mode_names[s->mode]);
	}
}

static int srv_loop(struct srv *s)
{
	double deadline = now_s() + (double)s->run_ms / 1000;

	while (!s->done) {
		struct epoll_event evs[64];
		double left = deadline - now_s();
		int n;

		if (left <= 0) {
			char ran[24];

			tl_duration_str(ran, sizeof(ran), s->run_ms);
			lab_log(who, "Ran %s: exiting", ran);
			break;
		}
		/* Wake once a second to report EMFILE counts. */
		n = epoll_wait(s->efd, evs, (int)LAB_N(evs),
			       left > 1.0 ? 1000 : (int)(left * 1000) + 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			lab_log(who, "epoll_wait error is %s", strerror(errno));
			return 1;
		}
		srv_report_emfile(s, false);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == s->sigfd)
				srv_signal(s);
			else if (fd == s->lfd)
				srv_accept(s);
			else
				srv_read(s, fd);
		}
	}
	srv_report_emfile(s, true);
	return 0;
}

static int srv_parse(struct srv *s, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "backlog", required_argument, NULL, 'b' },
		{ "mode", required_argument, NULL, 'm' },
		{ "nofile", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "maxconn", required_argument, NULL, 'M' },
		{ "sync-fd", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "a:p:b:m:n:s:M:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			s->addr = optarg;
			break;
		case 'p':
			if (tl_parse_port(optarg, &s->port) < 0) {
				tl_err("lab server: bad --port '%s' (0..65535, 0 "
				       "for any free port)",
				       optarg);
				return -EINVAL;
			}
			break;
		case 'b':
			if (tl_parse_uint(optarg, 65535, &v) < 0) {
				tl_err("lab server: bad --backlog '%s' "
				       "(0..65535)",
				       optarg);
				return -EINVAL;
			}
			s->backlog = (unsigned)v;
			break;
		case 'm':
			if (parse_mode(optarg, &s->mode) < 0) {
				char modes[256];

				tl_err("lab server: unknown --mode '%s' (one of %s)",
				       optarg, mode_list(modes, sizeof(modes)));
				return -EINVAL;
			}
			break;
		case 'n':
			if (tl_parse_uint(optarg, LAB_MAX_NOFILE, &v) < 0 ||
			    v < 8) {
				tl_err("lab server: bad --nofile '%s' (8..%d)",
				       optarg, LAB_MAX_NOFILE);
				return -EINVAL;
			}
			s->nofile = (unsigned)v;
			s->nofile_set = true;
			break;
		case 'M':
			if (tl_parse_uint(optarg, LAB_MAX_COUNT, &v) < 0 ||
			    v == 0) {
				tl_err("lab server: bad --maxconn '%s' (1..%d)",
				       optarg, LAB_MAX_COUNT);
				return -EINVAL;
			}
			s->maxconn = (unsigned)v;
			break;
		case 's':
			if (tl_duration_option("lab server", "--seconds",
					       optarg, 1000, 1000, 86400000,
					       &v) < 0)
				return -EINVAL;
			s->run_ms = v;
			break;
		case 'S':
			if (tl_parse_uint(optarg, 1023, &v) < 0) {
				tl_err("lab server: bad --sync-fd '%s'",
				       optarg);
				return -EINVAL;
			}
			s->sync_fd = (int)v;
			break;
		case 'h':
			srv_usage(stdout);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		tl_err("lab server: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/*
 * prefork-emfile: forks the worker, which shares the listener and goes on
 * as an emfile server with an epoll instance of its own (an inherited one
 * would be the parent's). The parent keeps the listener and only waits.
 * Returns 0 in both, or -errno.
 */
static int srv_prefork(struct srv *s)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid > 0) {
		s->child = pid;
		lab_log(who, "Forked worker %d: it shares the listener",
			(int)pid);
		return 0;
	}
	/* The worker does not outlive its master. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	who = "worker";
	s->mode = MODE_EMFILE;
	close(s->efd);
	s->efd = epoll_create1(EPOLL_CLOEXEC);
	if (s->efd < 0 || epoll_add(s, s->sigfd) < 0)
		return -errno;
	return 0;
}

int lab_server_main(int argc, char **argv)
{
	struct srv s = {
		.mode = MODE_NO_ACCEPT,
		.addr = "127.0.0.1",
		.port = 3000,
		.backlog = 128,
		.run_ms = 3600000,
		.nofile = 32,
		.maxconn = 10,
		.sync_fd = -1,
		.lfd = -1,
		.efd = -1,
		.sigfd = -1,
		.spare = -1,
	};
	sigset_t mask;
	int ret;

	ret = srv_parse(&s, argc, argv);
	if (ret < 0)
		fprintf(stderr, "Try 'tcplimbo lab --help'.\n");
	if (ret)
		return ret > 0 ? 0 : TL_EXIT_USAGE;
	/* Transcripts show "pid/lab-server", not the binary's name. */
	prctl(PR_SET_NAME, "lab-server");
	/* Signals arrive through the epoll loop, like any other event. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	s.efd = epoll_create1(EPOLL_CLOEXEC);
	if (s.sigfd < 0 || s.efd < 0 || epoll_add(&s, s.sigfd) < 0) {
		tl_err("lab server: %s", strerror(errno));
		ret = TL_EXIT_FAILURE;
		goto out;
	}
	if (srv_listen(&s) < 0) {
		ret = TL_EXIT_FAILURE;
		goto out;
	}
	if (s.mode == MODE_PREFORK_EMFILE) {
		ret = srv_prefork(&s);
		if (ret < 0) {
			tl_err("lab server: fork: %s", strerror(-ret));
			ret = TL_EXIT_FAILURE;
			goto out;
		}
	}
	if (s.mode == MODE_RESERVE_FD)
		s.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s.mode != MODE_NO_ACCEPT && s.mode != MODE_PREFORK_EMFILE) {
		s.accepting = true;
		if (listener_watch(&s) < 0) {
			tl_err("lab server: epoll_ctl: %s", strerror(errno));
			ret = TL_EXIT_FAILURE;
			goto out;
		}
	}
	if (s.mode == MODE_EMFILE || s.mode == MODE_RESERVE_FD) {
		ret = srv_fill(&s);
		if (ret < 0) {
			tl_err("lab server: filling fds: %s", strerror(-ret));
			ret = TL_EXIT_FAILURE;
			goto out;
		}
	}
	if (s.mode == MODE_NO_CLOSE && s.nofile_set) {
		ret = srv_set_nofile(&s);
		if (ret < 0) {
			tl_err("lab server: setrlimit: %s", strerror(-ret));
			ret = 1;
			goto out;
		}
	}
	if (s.mode == MODE_NO_ACCEPT)
		lab_log(who, "Not calling accept(): sleeping");
	if (s.mode == MODE_PREFORK_EMFILE)
		lab_log(who, "Worker %d accepts; the master only waits",
			(int)s.child);
	/* The worker says when it is ready: it is the one at its limit. */
	if (s.sync_fd >= 0 && s.child == 0) {
		char line[32];
		int n = snprintf(line, sizeof(line), "ready %u\n", s.port);

		if (write(s.sync_fd, line, (size_t)n) != n) {
			ret = TL_EXIT_FAILURE;
			goto out;
		}
	}
	ret = srv_loop(&s);
out:
	if (s.child > 0) {
		kill(s.child, SIGTERM);
		waitpid(s.child, NULL, 0);
	}
	/* Free fds first: sanitizers need some at exit. */
	srv_unfill(&s);
	if (s.spare >= 0)
		close(s.spare);
	if (s.lfd >= 0)
		close(s.lfd);
	if (s.efd >= 0)
		close(s.efd);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.sync_fd >= 0)
		close(s.sync_fd);
	return ret;
}
