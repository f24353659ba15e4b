// SPDX-License-Identifier: MIT
/*
 * lab run's processes: the server, clients and hooks it starts, each in its
 * own process group with PR_SET_PDEATHSIG and a control socket, and the
 * bounded waits on them. Every wait also polls the runner's signalfd, so a
 * stop signal ends any wait with -EINTR.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "output.h"
#include "tl.h"

/* The fd a child finds its control socket on. */
#define LAB_SYNC_FD 3

uint64_t lab_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Waits up to ms for fd (or -1 for none) to become readable. Returns 1
 * when it is, 0 on timeout, -EINTR when a stop signal arrived (unless we
 * are already tearing down, when signals only get noted).
 */
int lab_poll(struct lab_run *r, int fd, unsigned ms)
{
	struct pollfd pfd[2] = {
		{ .fd = r->sigfd, .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};
	int n;

	if (r->signo && !r->tearing_down)
		return -EINTR;
	n = poll(pfd, fd >= 0 ? 2 : 1, (int)ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (pfd[0].revents & POLLIN) {
		struct signalfd_siginfo si;

		if (read(r->sigfd, &si, sizeof(si)) == sizeof(si) && !r->signo)
			r->signo = (int)si.ssi_signo;
		if (!r->tearing_down)
			return -EINTR;
	}
	return fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR));
}

int lab_sleep(struct lab_run *r, unsigned ms, const char *why)
{
	uint64_t end = lab_now_ms() + ms;
	bool tty = isatty(STDERR_FILENO) && ms >= 1000;
	int ret = 0;

	fflush(r->out);
	for (;;) {
		uint64_t now = lab_now_ms();
		unsigned left, slice;

		if (now >= end)
			break;
		left = (unsigned)(end - now);
		if (tty)
			fprintf(stderr, "\r  %s: %u s \033[K", why,
				(left + 999) / 1000);
		slice = left % 1000 ? left % 1000 : 1000;
		ret = lab_poll(r, -1, slice);
		if (ret < 0)
			break;
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	return ret < 0 ? ret : 0;
}

static void lab_setenv_num(const char *name, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	setenv(name, buf, 1);
}

/* In the child, before exec: everything that must not leak into it. */
static void lab_child_setup(struct lab_run *r, pid_t parent, int sync)
{
	sigset_t none;
	int fd;

	setpgid(0, 0);
	/* If the runner dies, even by SIGKILL, we die with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fd != STDIN_FILENO)
		dup2(fd, STDIN_FILENO);
	/* In JSON mode stdout is the transcript: logs go to stderr. */
	if (r->opts->json)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	if (sync >= 0) {
		if (sync == LAB_SYNC_FD)
			fcntl(sync, F_SETFD, 0);
		else
			dup2(sync, LAB_SYNC_FD);
	}
	setenv("TL_LAB_SCENARIO", r->sc->name, 1);
	setenv("TL_LAB_STEP", r->last_step, 1);
	setenv("TL_LAB_ADDR", r->addr, 1);
	setenv("TL_LAB_NETNS", r->private_netns ? "private" : "shared", 1);
	lab_setenv_num("TL_LAB_PORT", r->port);
	lab_setenv_num("TL_LAB_PID", parent);
	lab_setenv_num("TL_LAB_SERVER_PID",
		       r->server && !r->server->reaped ? r->server->pid : 0);
}

/*
 * Starts argv (exe first) as a child in its own process group; with sync,
 * it gets a control socket on fd 3.
 */
int lab_fork(struct lab_run *r, const char *role, char *const *argv, bool sync,
	     struct lab_proc **ret)
{
	struct lab_proc *p;
	int sv[2] = { -1, -1 };
	pid_t parent = getpid(), pid;

	/* A finished hook's slot can be reused; servers' and clients' are
	 * kept for their exit status. */
	for (p = r->procs; p < r->procs + r->n_procs; p++)
		if (p->reaped && strcmp(p->role, "hook") == 0)
			break;
	if (p == r->procs + LAB_MAX_PROCS) {
		tl_err("lab: too many processes in one scenario");
		return -ENOSPC;
	}
	if (sync &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		tl_err("lab: socketpair: %s", strerror(errno));
		return -errno;
	}
	fflush(r->out);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		tl_err("lab: fork: %s", strerror(errno));
		if (sync) {
			close(sv[0]);
			close(sv[1]);
		}
		return -EAGAIN;
	}
	if (pid == 0) {
		lab_child_setup(r, parent, sync ? sv[1] : -1);
		execv(argv[0], argv);
		_exit(127);
	}
	/* Both sides set the group, so it is set whoever runs first. */
	setpgid(pid, pid);
	if (p == r->procs + r->n_procs)
		r->n_procs++;
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->sync = sync ? sv[0] : -1;
	snprintf(p->role, sizeof(p->role), "%s", role);
	if (sync)
		close(sv[1]);
	*ret = p;
	return 0;
}

int lab_spawn(struct lab_run *r, const char *role, const char *const *args,
	      struct lab_proc **ret)
{
	char *argv[40];
	size_t n = 0;

	argv[n++] = (char *)"/proc/self/exe";
	argv[n++] = (char *)"lab";
	argv[n++] = (char *)role;
	for (size_t i = 0; args && args[i]; i++) {
		if (n >= LAB_N(argv) - 3)
			return -E2BIG;
		argv[n++] = (char *)args[i];
	}
	argv[n++] = (char *)"--sync-fd";
	argv[n++] = (char *)"3";
	argv[n] = NULL;
	return lab_fork(r, role, argv, true, ret);
}

/* Reaps p if it has exited, after killing what is left of its group. */
bool lab_try_reap(struct lab_proc *p)
{
	siginfo_t si = { 0 };

	if (p->reaped)
		return true;
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
	    si.si_pid != p->pid)
		return false;
	/* The zombie still holds the group id: nothing can reuse it yet. */
	kill(-p->pid, SIGKILL);
	waitpid(p->pid, &p->status, 0);
	p->reaped = true;
	if (p->sync >= 0) {
		close(p->sync);
		p->sync = -1;
	}
	return true;
}

int lab_reap(struct lab_run *r, struct lab_proc *p, unsigned timeout_ms)
{
	uint64_t end = lab_now_ms() + timeout_ms;

	while (!lab_try_reap(p)) {
		int ret;

		if (lab_now_ms() >= end)
			return -ETIMEDOUT;
		ret = lab_poll(r, -1, 10);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int lab_stop(struct lab_run *r, struct lab_proc *p)
{
	int ret;

	if (p->reaped)
		return 0;
	kill(-p->pid, SIGTERM);
	ret = lab_reap(r, p, 2000);
	if (ret == -ETIMEDOUT) {
		kill(-p->pid, SIGKILL);
		ret = lab_reap(r, p, 5000);
	}
	return ret;
}

const char *lab_status_str(char *buf, size_t size, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by %s",
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "status %#x", status);
	return buf;
}

int lab_expect_line(struct lab_run *r, struct lab_proc *p, const char *word,
		    unsigned timeout_ms, char *rest, size_t size)
{
	uint64_t end = lab_now_ms() + timeout_ms;
	size_t wlen = strlen(word);
	char sbuf[64];

	for (;;) {
		char *nl = memchr(p->linebuf, '\n', p->linelen);
		uint64_t now;
		ssize_t n;
		int ret;

		if (nl) {
			size_t len = (size_t)(nl - p->linebuf);
			bool ok = len >= wlen &&
				  memcmp(p->linebuf, word, wlen) == 0 &&
				  (len == wlen || p->linebuf[wlen] == ' ');

			if (ok && rest && size) {
				size_t rl = len > wlen ? len - wlen - 1 : 0;

				if (rl >= size)
					rl = size - 1;
				memcpy(rest, p->linebuf + len - rl, rl);
				rest[rl] = '\0';
			}
			*nl = '\0';
			if (!ok)
				tl_err("lab: the %s said '%s', expected '%s'",
				       p->role, p->linebuf, word);
			p->linelen -= len + 1;
			memmove(p->linebuf, nl + 1, p->linelen);
			return ok ? 0 : -EPROTO;
		}
		now = lab_now_ms();
		if (now >= end) {
			tl_err("lab: the %s (pid %d) did not report '%s' "
			       "within %u ms",
			       p->role, (int)p->pid, word, timeout_ms);
			return -ETIMEDOUT;
		}
		ret = lab_poll(r, p->sync, (unsigned)(end - now));
		if (ret < 0)
			return ret;
		if (ret == 0)
			continue;
		if (p->linelen >= sizeof(p->linebuf) - 1) {
			tl_err("lab: the %s sent a line too long", p->role);
			return -EPROTO;
		}
		n = read(p->sync, p->linebuf + p->linelen,
			 sizeof(p->linebuf) - 1 - p->linelen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			lab_reap(r, p, 1000);
			tl_err("lab: the %s (pid %d) exited before '%s' (%s)",
			       p->role, (int)p->pid, word,
			       p->reaped ? lab_status_str(sbuf, sizeof(sbuf),
							  p->status) :
					   "still running");
			return -EPIPE;
		}
		p->linelen += (size_t)n;
	}
}

int lab_go(struct lab_run *r, struct lab_proc *p)
{
	if (p->sync < 0 || write(p->sync, "go\n", 3) != 3) {
		tl_err("lab: the %s (pid %d) is gone", p->role, (int)p->pid);
		return -EPIPE;
	}
	return 0;
}

int lab_start_server(struct lab_run *r, const char *mode,
		     const char *const *extra, struct lab_proc **ret)
{
	char port[8], got[16];
	const char *args[24];
	size_t n = 0;
	uint64_t v;
	int err;

	snprintf(port, sizeof(port), "%u", r->port);
	args[n++] = "--mode";
	args[n++] = mode;
	args[n++] = "--addr";
	args[n++] = r->addr;
	args[n++] = "--port";
	args[n++] = port;
	/* A bound even if everything else fails: the server exits. */
	args[n++] = "--seconds";
	args[n++] = "7200";
	for (size_t i = 0; extra && extra[i] && n < LAB_N(args) - 1; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	err = lab_spawn(r, "server", args, ret);
	if (err < 0)
		return err;
	err = lab_expect_line(r, *ret, "ready", 5000, got, sizeof(got));
	if (err < 0)
		return err;
	if (tl_parse_uint(got, 65535, &v) < 0 || v == 0) {
		tl_err("lab: the server reported port '%s'", got);
		return -EPROTO;
	}
	r->port = (uint16_t)v;
	r->server = *ret;
	return 0;
}

int lab_start_client(struct lab_run *r, const char *const *extra,
		     struct lab_proc **ret)
{
	char port[8];
	const char *args[24];
	size_t n = 0;
	int err;

	snprintf(port, sizeof(port), "%u", r->port);
	args[n++] = "--addr";
	args[n++] = r->addr;
	args[n++] = "--port";
	args[n++] = port;
	for (size_t i = 0; extra && extra[i] && n < LAB_N(args) - 1; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	err = lab_spawn(r, "client", args, ret);
	if (err < 0)
		return err;
	/* Dialing a full queue waits connect-timeout per connection. */
	return lab_expect_line(r, *ret, "connected", 30000, NULL, 0);
}

int lab_client_next(struct lab_run *r, struct lab_proc *p, const char *word)
{
	int err = lab_go(r, p);

	if (err < 0)
		return err;
	if (!word) {
		err = lab_reap(r, p, 5000);
		if (err == -ETIMEDOUT)
			tl_err("lab: the %s (pid %d) did not exit within 5 s",
			       p->role, (int)p->pid);
		return err;
	}
	return lab_expect_line(r, p, word, 5000, NULL, 0);
}

/* Snapshots and expectations. */
