// SPDX-License-Identifier: MIT
/*
 * tl-churn: short TCP connections on loopback as fast as the machine
 * allows, for a bounded time, to measure what `tcplimbo watch` keeps up
 * with. Each connection is: connect, the client closes at once, the
 * server reads EOF and closes. That is ten state changes per connection:
 *
 *   client: CLOSE->SYN_SENT->ESTABLISHED->FIN_WAIT1->FIN_WAIT2->CLOSE
 *   server: LISTEN->SYN_RECV->ESTABLISHED->CLOSE_WAIT->LAST_ACK->CLOSE
 *
 * (the client's last one is its hand-over to a TIME_WAIT entry). The
 * client rotates its destination over 127.0.0.1-127.0.0.250 so TIME_WAIT
 * entries do not exhaust the ephemeral ports. Run it in a private network
 * namespace: it floods loopback.
 *
 * Prints one line of key=value: connections, seconds, rate, the expected
 * transitions, and its own CPU time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MAX_SECONDS 600
#define N_DEST 250

static atomic_ulong n_conns;
static atomic_ulong n_errors;
static atomic_int stop_flag;
static int listen_fd;
static unsigned short port = 3999;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Serves until the churn stops and the accept queue has stayed empty for
 * 100 ms, so that every connection counted ends as it should (ten
 * transitions) rather than reset in the queue when the listener closes:
 * expected_transitions is then exact. The listener is non-blocking, so a
 * thread that loses the race for a connection goes back to poll().
 */
static void *server(void *arg)
{
	char buf[64];

	(void)arg;
	for (;;) {
		struct pollfd p = { .fd = listen_fd, .events = POLLIN };
		int n = poll(&p, 1, 100);
		int fd;

		/* A failing poll() ends it too, rather than spin. */
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0) {
			if (atomic_load(&stop_flag))
				break;
			continue;
		}
		fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		/* Wait for the client's FIN, then close our side. */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	return NULL;
}

static void *client(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	while (!atomic_load(&stop_flag)) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			atomic_fetch_add(&n_errors, 1);
			continue;
		}
		/* 127.0.0.1 .. 127.0.0.250, all on lo. */
		sa.sin_addr.s_addr = htonl(0x7f000001u + (idx++ % N_DEST));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			atomic_fetch_add(&n_conns, 1);
		else
			atomic_fetch_add(&n_errors, 1);
		close(fd);
	}
	return NULL;
}

static int parse(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -1;
	*ret = v;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long seconds = 5, threads = 2, v;
	pthread_t srv[MAX_THREADS], cli[MAX_THREADS];
	struct sockaddr_in sa;
	struct rusage ru;
	double t0, t1, cpu;
	int one = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 &&
		    parse(argv[i + 1], MAX_SECONDS, &v) == 0) {
			seconds = v;
			i++;
		} else if (strcmp(argv[i], "--threads") == 0 &&
			   parse(argv[i + 1], MAX_THREADS, &v) == 0) {
			threads = v;
			i++;
		} else if (strcmp(argv[i], "--port") == 0 &&
			   parse(argv[i + 1], 65535, &v) == 0) {
			port = (unsigned short)v;
			i++;
		} else {
			fprintf(stderr,
				"tl-churn: bad argument '%s'\n"
				"usage: tl-churn [--seconds 1-%d] [--threads "
				"1-%d] [--port N]\n",
				argv[i], MAX_SECONDS, MAX_THREADS);
			return 2;
		}
	}

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0) {
		perror("tl-churn: socket");
		return 1;
	}
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fcntl(listen_fd, F_SETFL, O_NONBLOCK) < 0) {
		perror("tl-churn: fcntl");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 4096) < 0) {
		perror("tl-churn: bind/listen");
		return 1;
	}

	t0 = now_s();
	for (unsigned long i = 0; i < threads; i++) {
		if (pthread_create(&srv[i], NULL, server, NULL) ||
		    pthread_create(&cli[i], NULL, client,
				   (void *)(uintptr_t)(i * 97))) {
			fprintf(stderr, "tl-churn: cannot start threads\n");
			return 1;
		}
	}
	sleep((unsigned)seconds);
	atomic_store(&stop_flag, 1);
	for (unsigned long i = 0; i < threads; i++)
		pthread_join(cli[i], NULL);
	t1 = now_s();
	/* The servers drain the queue, then stop on their own. */
	for (unsigned long i = 0; i < threads; i++)
		pthread_join(srv[i], NULL);
	close(listen_fd);

	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("connections=%lu errors=%lu seconds=%.2f conns_per_s=%.0f "
	       "expected_transitions=%lu transitions_per_s=%.0f "
	       "cpu_s=%.2f\n",
	       atomic_load(&n_conns), atomic_load(&n_errors), t1 - t0,
	       (double)atomic_load(&n_conns) / (t1 - t0),
	       atomic_load(&n_conns) * 10,
	       (double)atomic_load(&n_conns) * 10 / (t1 - t0), cpu);
	return 0;
}
