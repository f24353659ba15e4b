/* SPDX-License-Identifier: MIT */
/*
 * tl-population: builds a population of TCP sockets for the benchmark.
 *
 * N connections on loopback, spread over P owner processes, with given
 * shares in CLOSE_WAIT (the peer shut down its side, the owner holds the
 * fd and never closes), in accept queues (listeners that never accept) and
 * in TIME_WAIT; the rest ESTABLISHED. Everything lives in a private network
 * namespace created here (unless --no-unshare), so the benchmark never
 * touches the host's sockets and the namespace dies with the processes.
 *
 * Socket counts, so the benchmark can check what the tools report:
 *   established   2 sockets a connection (client + accepted), both with fds
 *   close-wait    2: the client's FIN_WAIT2 (shut down, fd kept, so it never
 *                 times out) and the owner's CLOSE_WAIT
 *   accept-queue  2: the client (fd kept) and the queued socket (no fd);
 *                 half of them wrote "ping" and shut down, as in the blog
 *                 post, so the queued side is CLOSE_WAIT with Recv-Q 5
 *   time-wait     1: TIME_WAIT entries last 60 s, so one process keeps
 *                 making them at N_tw/60 a second, and the population is
 *                 only reported ready after 60 s of that
 *   listeners     one accepting listener per owner, one per --backlog
 *                 queued connections, and the TIME_WAIT maker's
 *
 * When everything is in place it prints one line on stdout:
 *   ready SOCKETS sockets CONNECTIONS connections OWNERS owners ...
 * and holds the population until --hold seconds pass, SIGTERM/SIGINT
 * arrives, a child dies, or (with --stdin) stdin reaches end of file. The
 * children die with the parent (PR_SET_PDEATHSIG).
 *
 * Addresses: listeners on 127.0.0.1 (accepting ones on 20000+owner, never
 * accepting ones on 30000+k, the TIME_WAIT maker's on 19999); clients bind
 * explicit source addresses and ports, 50,000 ports per address, owners'
 * clients from 127.1.0.0 up and the TIME_WAIT maker's from 127.2.0.0 up.
 * 127.0.0.0/8 is local once lo is up, so no address needs adding, and the
 * ephemeral port range never runs out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4000000UL
#define MAX_OWNERS 10000UL
#define MAX_HOLD 86400UL
#define PORTS_PER_ADDR 50000UL
#define PORT_BASE 10000
#define ACCEPT_PORT_BASE 20000
#define QUEUE_PORT_BASE 30000
#define QUEUE_PORTS 29000UL
#define TW_PORT 19999
#define TW_LIFETIME_S 60
#define SETUP_TIMEOUT_S 900

struct plan {
	unsigned long conns;
	unsigned long owners;
	unsigned long pct_cw, pct_aq, pct_tw;
	unsigned long n_cw, n_aq, n_tw, n_own; /* n_own: not TIME_WAIT */
	unsigned long backlog;
	unsigned long hold_s;
	unsigned long tw_warmup_s;
	bool unshare;
	bool watch_stdin;
};

/* What a child reports through the status pipe, once. */
struct status {
	int32_t who; /* owner index, or -1 for the TIME_WAIT maker */
	int32_t err; /* 0 or an errno value */
	uint32_t step;
	uint32_t listeners;
};

enum step {
	STEP_OK,
	STEP_RLIMIT,
	STEP_SOCKET,
	STEP_BIND,
	STEP_LISTEN,
	STEP_CONNECT,
	STEP_ACCEPT,
	STEP_IO,
};

static const char *const step_names[] = {
	"ok",	  "setrlimit", "socket", "bind",
	"listen", "connect",   "accept", "read/write",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tl-population [options]\n"
		"  -n, --connections N   connections (default 10000)\n"
		"  -p, --owners P        owner processes (default 50)\n"
		"      --close-wait PCT  share in CLOSE_WAIT, owner holds fd (default 10)\n"
		"      --accept-queue PCT share left in accept queues (default 10)\n"
		"      --time-wait PCT   share in TIME_WAIT (default 10)\n"
		"      --backlog B       queued connections per never-accepting listener (default 1000)\n"
		"      --hold SECONDS    stop after this long (default 600, max 86400)\n"
		"      --tw-warmup SECONDS  wait this long for TIME_WAIT to fill (default 60)\n"
		"      --stdin           also stop when stdin reaches end of file\n"
		"      --no-unshare      use the current network namespace\n");
}

static int parse_ul(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in loop_addr(uint32_t host_order_addr, uint16_t port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(host_order_addr);
	sa.sin_port = htons(port);
	return sa;
}

/* Source address and port of a client, from its index in a range. */
static struct sockaddr_in client_addr(uint32_t base, unsigned long i)
{
	return loop_addr(base + (uint32_t)(i / PORTS_PER_ADDR),
			 (uint16_t)(PORT_BASE + i % PORTS_PER_ADDR));
}

static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/*
 * Brings lo up (which also gives it 127.0.0.1/8, so all of 127/8 is local)
 * and raises the per-namespace limits the population needs.
 */
static int setup_netns(const struct plan *p)
{
	static const char *const tunables[][2] = {
		{ "/proc/sys/net/core/somaxconn", "65535" },
		{ "/proc/sys/net/ipv4/tcp_max_syn_backlog", "65535" },
		{ "/proc/sys/net/ipv4/tcp_max_tw_buckets", "4000000" },
		{ "/proc/sys/net/ipv4/ip_local_port_range", "1024 65000" },
	};
	struct ifreq ifr;
	size_t i;
	int s, ret;

	if (p->unshare && unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "tl-population: unshare(CLONE_NEWNET): %s\n",
			strerror(errno));
		return -1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	close(s);
	for (i = 0; i < sizeof(tunables) / sizeof(tunables[0]); i++) {
		ret = write_file(tunables[i][0], tunables[i][1]);
		/* Outside our own namespace, leave the host's settings alone. */
		if (ret < 0 && p->unshare) {
			fprintf(stderr, "tl-population: %s: %s\n",
				tunables[i][0], strerror(-ret));
			return -1;
		}
	}
	return 0;
fail:
	fprintf(stderr, "tl-population: bringing lo up: %s\n", strerror(errno));
	close(s);
	return -1;
}

static void report(int fd, int32_t who, int err, enum step step,
		   uint32_t listeners)
{
	struct status st = {
		.who = who, .err = err, .step = step, .listeners = listeners
	};
	ssize_t n;

	/* Smaller than PIPE_BUF, so records from many children never mix. */
	do {
		n = write(fd, &st, sizeof(st));
	} while (n < 0 && errno == EINTR);
}

static void child_die(int fd, int32_t who, enum step step)
{
	report(fd, who, errno ? errno : EIO, step, 0);
	_exit(1);
}

/* Dies with the parent; restores default signal handling. */
static void child_init(pid_t parent, const char *name)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, name);
}

static int raise_nofile(unsigned long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* A socket whose connect() and accept() give up after a few seconds. */
static int tcp_socket(void)
{
	struct timeval tv = { .tv_sec = 5 };
	int one = 1;
	int s;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return s;
}

static int make_listener(uint16_t port, int backlog)
{
	struct sockaddr_in sa = loop_addr(0x7f000001, port);
	int s = tcp_socket();

	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s, backlog) < 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* A client bound to its own source address and port, connected to port. */
static int dial(const struct sockaddr_in *src, uint16_t port, enum step *step)
{
	struct sockaddr_in dst = loop_addr(0x7f000001, port);
	int s = tcp_socket();

	*step = STEP_SOCKET;
	if (s < 0)
		return -1;
	*step = STEP_BIND;
	if (bind(s, (const struct sockaddr *)src, sizeof(*src)) < 0)
		goto fail;
	*step = STEP_CONNECT;
	if (connect(s, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		goto fail;
	return s;
fail : {
	int e = errno;

	close(s);
	errno = e;
}
	return -1;
}

/* Share of [lo, hi) of a total split proportionally over `of` items. */
static unsigned long share(unsigned long total, unsigned long of,
			   unsigned long lo, unsigned long hi)
{
	return (unsigned long)((unsigned __int128)hi * total / of -
			       (unsigned __int128)lo * total / of);
}

/*
 * Owner j: its slice of the non-TIME_WAIT connections, first CLOSE_WAIT,
 * then accept-queue, then ESTABLISHED. Keeps every fd until killed.
 */
static void run_owner(const struct plan *p, unsigned long j, int status_fd,
		      unsigned long *queue_port)
{
	unsigned long lo = p->n_own * j / p->owners;
	unsigned long hi = p->n_own * (j + 1) / p->owners;
	unsigned long cw = share(p->n_cw, p->n_own, lo, hi);
	unsigned long aq = share(p->n_aq, p->n_own, lo, hi);
	unsigned long nq = (aq + p->backlog - 1) / p->backlog;
	unsigned long i, k;
	uint16_t port = (uint16_t)(ACCEPT_PORT_BASE + j);
	enum step step;
	int lst, qlst = -1, c, a;

	errno = 0;
	if (raise_nofile(2 * (hi - lo) + nq + 64) < 0)
		child_die(status_fd, (int32_t)j, STEP_RLIMIT);
	lst = make_listener(port, 1024);
	if (lst < 0)
		child_die(status_fd, (int32_t)j, STEP_LISTEN);
	for (i = lo, k = 0; i < hi; i++, k++) {
		struct sockaddr_in src = client_addr(0x7f010000, i);
		bool queued = k >= cw && k < cw + aq;

		if (queued && (k - cw) % p->backlog == 0) {
			/* The previous queue listener stays open, unread. */
			qlst = make_listener(
				(uint16_t)(QUEUE_PORT_BASE + *queue_port),
				(int)p->backlog);
			if (qlst < 0)
				child_die(status_fd, (int32_t)j, STEP_LISTEN);
			++*queue_port;
		}
		c = dial(&src,
			 queued ?
				 (uint16_t)(QUEUE_PORT_BASE + *queue_port - 1) :
				 port,
			 &step);
		if (c < 0)
			child_die(status_fd, (int32_t)j, step);
		if (queued) {
			/* Half of them: the post's client writes and closes. */
			if ((k - cw) % 2 == 1 &&
			    (write(c, "ping", 4) != 4 || shutdown(c, SHUT_WR)))
				child_die(status_fd, (int32_t)j, STEP_IO);
			continue;
		}
		a = accept4(lst, NULL, NULL, SOCK_CLOEXEC);
		if (a < 0)
			child_die(status_fd, (int32_t)j, STEP_ACCEPT);
		if (k < cw && shutdown(c, SHUT_WR) < 0)
			child_die(status_fd, (int32_t)j, STEP_IO);
	}
	(void)qlst;
	report(status_fd, (int32_t)j, 0, STEP_OK, (uint32_t)(1 + nq));
	for (;;)
		pause();
}

/* One connection that ends with the client in TIME_WAIT. */
static int one_timewait(int lst, const struct sockaddr_in *src, enum step *step)
{
	char buf[16];
	int c, a;

	c = dial(src, TW_PORT, step);
	if (c < 0)
		return -1;
	*step = STEP_ACCEPT;
	a = accept4(lst, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0) {
		close(c);
		return -1;
	}
	/* The client closes first, so the client is the one in TIME_WAIT. */
	close(c);
	*step = STEP_IO;
	if (read(a, buf, sizeof(buf)) != 0) {
		close(a);
		return -1;
	}
	close(a);
	return 0;
}

/*
 * Keeps about n_tw TIME_WAIT entries alive: they last 60 s, so it makes
 * n_tw/60 a second, in batches every 100 ms, cycling through enough
 * source addresses that a 4-tuple comes back only after minutes.
 */
static void run_timewait(const struct plan *p, int status_fd)
{
	unsigned long naddr =
		(3 * p->n_tw + PORTS_PER_ADDR - 1) / PORTS_PER_ADDR;
	unsigned long made = 0, cycle = naddr * PORTS_PER_ADDR;
	double start;
	enum step step;
	int lst;

	errno = 0;
	lst = make_listener(TW_PORT, 4096);
	if (lst < 0)
		child_die(status_fd, -1, STEP_LISTEN);
	report(status_fd, -1, 0, STEP_OK, 1);
	start = now_s();
	for (;;) {
		double t = now_s() - start;
		unsigned long target =
			(unsigned long)(t * (double)p->n_tw / TW_LIFETIME_S);
		struct timespec nap = { .tv_nsec = 100 * 1000 * 1000 };

		for (; made < target; made++) {
			struct sockaddr_in src =
				client_addr(0x7f020000, made % cycle);

			if (one_timewait(lst, &src, &step) < 0)
				child_die(status_fd, -1, step);
		}
		nanosleep(&nap, NULL);
	}
}

static int parse_args(int argc, char **argv, struct plan *p)
{
	enum {
		O_CW = 256,
		O_AQ,
		O_TW,
		O_BACKLOG,
		O_HOLD,
		O_WARM,
		O_STDIN,
		O_NOUNSHARE
	};
	static const struct option opts[] = {
		{ "connections", required_argument, NULL, 'n' },
		{ "owners", required_argument, NULL, 'p' },
		{ "close-wait", required_argument, NULL, O_CW },
		{ "accept-queue", required_argument, NULL, O_AQ },
		{ "time-wait", required_argument, NULL, O_TW },
		{ "backlog", required_argument, NULL, O_BACKLOG },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "tw-warmup", required_argument, NULL, O_WARM },
		{ "stdin", no_argument, NULL, O_STDIN },
		{ "no-unshare", no_argument, NULL, O_NOUNSHARE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long *target;
	unsigned long max;
	int c;

	*p = (struct plan){ .conns = 10000,
			    .owners = 50,
			    .pct_cw = 10,
			    .pct_aq = 10,
			    .pct_tw = 10,
			    .backlog = 1000,
			    .hold_s = 600,
			    .tw_warmup_s = TW_LIFETIME_S,
			    .unshare = true };
	while ((c = getopt_long(argc, argv, "n:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			target = &p->conns;
			max = MAX_CONNS;
			break;
		case 'p':
			target = &p->owners;
			max = MAX_OWNERS;
			break;
		case O_CW:
			target = &p->pct_cw;
			max = 100;
			break;
		case O_AQ:
			target = &p->pct_aq;
			max = 100;
			break;
		case O_TW:
			target = &p->pct_tw;
			max = 100;
			break;
		case O_BACKLOG:
			target = &p->backlog;
			max = 65535;
			break;
		case O_HOLD:
			target = &p->hold_s;
			max = MAX_HOLD;
			break;
		case O_WARM:
			target = &p->tw_warmup_s;
			max = 600;
			break;
		case O_STDIN:
			p->watch_stdin = true;
			continue;
		case O_NOUNSHARE:
			p->unshare = false;
			continue;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (parse_ul(optarg, max, target) < 0) {
			fprintf(stderr, "tl-population: bad value '%s'\n",
				optarg);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tl-population: unexpected '%s'\n",
			argv[optind]);
		return -1;
	}
	if (p->owners == 0 || p->backlog == 0) {
		fprintf(stderr,
			"tl-population: owners and backlog must be > 0\n");
		return -1;
	}
	if (p->pct_cw + p->pct_aq + p->pct_tw > 100) {
		fprintf(stderr,
			"tl-population: shares add up to more than 100%%\n");
		return -1;
	}
	p->n_cw = p->conns * p->pct_cw / 100;
	p->n_aq = p->conns * p->pct_aq / 100;
	p->n_tw = p->conns * p->pct_tw / 100;
	p->n_own = p->conns - p->n_tw;
	if (p->n_own < p->owners) {
		fprintf(stderr,
			"tl-population: fewer connections than owners\n");
		return -1;
	}
	/* Each owner rounds its queue listeners up: bound the worst case. */
	if (p->n_aq / p->backlog + p->owners > QUEUE_PORTS) {
		fprintf(stderr,
			"tl-population: too many queue listeners; raise --backlog\n");
		return -1;
	}
	if (p->n_tw > 0 && 3 * p->n_tw / PORTS_PER_ADDR > 255) {
		fprintf(stderr, "tl-population: too many TIME_WAIT entries\n");
		return -1;
	}
	return 0;
}

static void kill_all(const pid_t *pids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
}

int main(int argc, char **argv)
{
	struct plan p;
	pid_t parent = getpid(), *pids;
	sigset_t mask;
	size_t nchild, i;
	unsigned long reported = 0, listeners = 0, queue_port = 0;
	double start, ready_at = 0, deadline;
	bool ready = false;
	int pipefd[2], sfd, rc = 1;

	if (parse_args(argc, argv, &p) < 0)
		return 2;
	if (setup_netns(&p) < 0)
		return 1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("tl-population");
		return 1;
	}

	nchild = p.owners + (p.n_tw > 0);
	pids = calloc(nchild, sizeof(*pids));
	if (!pids)
		return 1;
	start = now_s();
	fprintf(stderr,
		"tl-population: %lu connections over %lu owners: %lu close-wait, %lu accept-queue, %lu time-wait, %lu established\n",
		p.conns, p.owners, p.n_cw, p.n_aq, p.n_tw,
		p.n_own - p.n_cw - p.n_aq);

	/* The TIME_WAIT maker first: its 60 s warm-up overlaps the rest. */
	for (i = 0; i < nchild; i++) {
		bool tw = p.n_tw > 0 && i == 0;
		unsigned long j = tw ? 0 : i - (p.n_tw > 0);
		unsigned long lo = p.n_own * j / p.owners;
		unsigned long hi = p.n_own * (j + 1) / p.owners;
		unsigned long aq = share(p.n_aq, p.n_own, lo, hi);
		char name[16];
		pid_t pid;

		pid = fork();
		if (pid < 0) {
			perror("tl-population: fork");
			goto out;
		}
		if (pid == 0) {
			close(pipefd[0]);
			close(sfd);
			snprintf(name, sizeof(name),
				 tw ? "tl-timewait" : "tl-owner-%lu", j);
			child_init(parent, name);
			if (tw)
				run_timewait(&p, pipefd[1]);
			run_owner(&p, j, pipefd[1], &queue_port);
			_exit(1);
		}
		pids[i] = pid;
		/* Queue listener ports are handed out in owner order. */
		if (!tw)
			queue_port += (aq + p.backlog - 1) / p.backlog;
	}
	close(pipefd[1]);

	deadline = start + SETUP_TIMEOUT_S;
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = pipefd[0], .events = POLLIN },
			{ .fd = p.watch_stdin && ready ? 0 : -1,
			  .events = POLLIN },
		};
		double t = now_s();
		double until = deadline;
		int n;

		if (!ready && reported == nchild && ready_at < until)
			until = ready_at;
		if (t >= until) {
			if (!ready && reported == nchild) {
				ready = true;
				printf("ready %lu sockets %lu connections %lu owners %lu established %lu close-wait %lu accept-queue %lu time-wait %lu listeners %.1f setup-seconds\n",
				       2 * p.n_own + p.n_tw + listeners,
				       p.conns, p.owners,
				       p.n_own - p.n_cw - p.n_aq, p.n_cw,
				       p.n_aq, p.n_tw, listeners, t - start);
				fflush(stdout);
				deadline = t + (double)p.hold_s;
				continue;
			}
			if (!ready)
				fprintf(stderr,
					"tl-population: setup timed out\n");
			else
				rc = 0;
			goto out;
		}
		n = poll(pfd, 3, (int)((until - t) * 1000) + 1);
		if (n < 0 && errno != EINTR)
			goto out;
		if (n <= 0)
			continue;
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					fprintf(stderr,
						"tl-population: a child died\n");
					goto out;
				}
				rc = ready ? 0 : 1;
				goto out;
			}
		}
		if (pfd[1].revents & POLLIN) {
			struct status st;

			if (read(pipefd[0], &st, sizeof(st)) != sizeof(st))
				goto out;
			if (st.err) {
				fprintf(stderr,
					"tl-population: %s %d: %s: %s\n",
					st.who < 0 ? "time-wait maker" :
						     "owner",
					st.who,
					st.step < sizeof(step_names) /
								sizeof(step_names
									       [0]) ?
						step_names[st.step] :
						"?",
					strerror(st.err));
				goto out;
			}
			listeners += st.listeners;
			if (++reported == nchild) {
				ready_at =
					p.n_tw ? start + (double)p.tw_warmup_s :
						 now_s();
				fprintf(stderr,
					"tl-population: built in %.1f s\n",
					now_s() - start);
			}
		}
		if (pfd[2].revents)
			goto out; /* stdin closed (or readable: treated alike) */
	}
out:
	kill_all(pids, nchild);
	free(pids);
	return rc;
}
