// SPDX-License-Identifier: MIT
/*
 * lab run: the machinery under the scenarios. It moves itself into a new
 * network namespace (so the namespace cannot outlive it: a namespace with no
 * process in it is gone), starts the server and clients as separate
 * programs in their own process groups with PR_SET_PDEATHSIG, takes a
 * snapshot after each step and prints the transcript. Signals come through
 * a signalfd polled by every wait, so SIGINT/SIGTERM at any point end in
 * the same teardown: every process group is killed and reaped.
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

static uint64_t now_ms(void)
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
static int lab_poll(struct lab_run *r, int fd, unsigned ms)
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
	uint64_t end = now_ms() + ms;
	bool tty = isatty(STDERR_FILENO) && ms >= 1000;
	int ret = 0;

	fflush(r->out);
	for (;;) {
		uint64_t now = now_ms();
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
static int lab_fork(struct lab_run *r, const char *role, char *const *argv,
		    bool sync, struct lab_proc **ret)
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
static bool lab_try_reap(struct lab_proc *p)
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
	uint64_t end = now_ms() + timeout_ms;

	while (!lab_try_reap(p)) {
		int ret;

		if (now_ms() >= end)
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

static const char *lab_status_str(char *buf, size_t size, int status)
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
	uint64_t end = now_ms() + timeout_ms;
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
		now = now_ms();
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

static bool lab_match(const struct lab_run *r, const struct tl_snapshot *snap,
		      size_t i, const struct lab_expect *e)
{
	const struct tl_sock *sk = &snap->socks[i];

	if (!snap->in_filter[i])
		return false;
	switch (e->side) {
	case LAB_LISTENER:
		if (sk->state != TL_LISTEN || sk->sport != r->port)
			return false;
		break;
	case LAB_SERVER:
		if (sk->state == TL_LISTEN || sk->sport != r->port)
			return false;
		break;
	case LAB_CLIENT:
		if (sk->state == TL_LISTEN || sk->dport != r->port)
			return false;
		break;
	default:
		return false;
	}
	if (e->state && sk->state != e->state)
		return false;
	if (e->limbo >= 0 && sk->limbo != e->limbo)
		return false;
	if (e->rqueue >= 0 && sk->rqueue != (uint32_t)e->rqueue)
		return false;
	return true;
}

unsigned lab_count(const struct lab_run *r, const struct tl_snapshot *snap,
		   const struct lab_expect *e)
{
	unsigned n = 0;

	for (size_t i = 0; i < snap->n_socks; i++)
		n += lab_match(r, snap, i, e);
	return n;
}

const struct tl_sock *lab_find(const struct lab_run *r,
			       const struct tl_snapshot *snap,
			       const struct lab_expect *e)
{
	for (size_t i = 0; i < snap->n_socks; i++)
		if (lab_match(r, snap, i, e))
			return &snap->socks[i];
	return NULL;
}

static int lab_snap(struct lab_run *r, struct tl_snapshot **ret)
{
	struct tl_snapshot_opts o;
	int err;

	tl_snapshot_opts_init(&o);
	o.owners = true;
	/* We live in the lab's namespace: our own is the one to dump. */
	o.netns_fd = -1;
	err = tl_snapshot_take(&o, ret);
	if (err < 0)
		tl_err("lab: snapshot: %s", strerror(-err));
	return err;
}

int lab_await(struct lab_run *r, const struct lab_expect *e, size_t n,
	      unsigned timeout_ms, struct tl_snapshot **ret)
{
	uint64_t end = now_ms() + timeout_ms;
	unsigned tries = 0;

	*ret = NULL;
	for (;;) {
		struct tl_snapshot *snap;
		bool ok = true;
		int err = lab_snap(r, &snap);

		if (err < 0)
			return err;
		for (size_t i = 0; i < n && ok; i++) {
			unsigned c = lab_count(r, snap, &e[i]);

			ok = c >= e[i].min && c <= e[i].max;
		}
		/*
		 * At least three looks however slow a snapshot is (a /proc
		 * scan on a busy machine can take seconds), so a state that
		 * settles a moment after the first look still counts.
		 */
		if (ok || (now_ms() >= end && ++tries >= 3)) {
			*ret = snap;
			return ok ? 0 : -ETIMEDOUT;
		}
		tl_snapshot_free(snap);
		err = lab_poll(r, -1, 50);
		if (err < 0)
			return err;
	}
}

/* The transcript. */

static void lab_text_append(struct lab_run *r, const char *s)
{
	size_t len = strlen(s), room = sizeof(r->text) - 1 - r->text_len;

	if (r->text_len && room) {
		r->text[r->text_len++] = ' ';
		room--;
	}
	if (len > room)
		len = room;
	memcpy(r->text + r->text_len, s, len);
	r->text_len += len;
	r->text[r->text_len] = '\0';
}

/* Writes text wrapped at 78 columns, indented by two spaces. */
static void lab_wrap(FILE *f, const char *s)
{
	if (*s)
		out_wrap(f, fprintf(f, "  "), 2, s);
}

void lab_step_begin(struct lab_run *r, const char *name)
{
	snprintf(r->last_step, sizeof(r->last_step), "%s", name);
	r->step_open = true;
	r->step_ok = true;
	r->text_len = 0;
	r->text[0] = '\0';
	r->missing_len = 0;
	r->missing[0] = '\0';
	if (r->opts->json) {
		fputs(r->n_steps ? ",\n  " : "\n  ", r->out);
		fputs("{\"name\":", r->out);
		out_json_string(r->out, name);
	} else {
		fprintf(r->out, "\n== step %u: %s ==\n", r->n_steps + 1, name);
	}
	r->n_steps++;
}

/* Listener first, then the server's side, then the client's. */
static bool lab_relevant(const struct lab_run *r, const struct tl_sock *sk,
			 int pass)
{
	switch (pass) {
	case 0:
		return sk->state == TL_LISTEN && sk->sport == r->port;
	case 1:
		return sk->state != TL_LISTEN && sk->sport == r->port;
	default:
		return sk->state != TL_LISTEN && sk->dport == r->port &&
		       sk->sport != r->port;
	}
}

void lab_step_sockets(struct lab_run *r, const struct tl_snapshot *snap)
{
	bool first = true;

	if (r->opts->json)
		fputs(",\"sockets\":[", r->out);
	else
		out_table_header(r->out);
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < snap->n_socks; i++) {
			const struct tl_sock *sk = &snap->socks[i];

			if (!snap->in_filter[i] || !lab_relevant(r, sk, pass))
				continue;
			if (r->opts->json) {
				if (!first)
					fputc(',', r->out);
				out_sock_json_file(r->out, snap, sk);
			} else {
				out_sock_row(r->out, snap, sk);
			}
			first = false;
		}
	}
	if (r->opts->json)
		fputc(']', r->out);
	else if (first)
		fputs("  (no sockets on this port)\n", r->out);
}

void lab_step_num(struct lab_run *r, const char *key, double v,
		  const char *unit)
{
	bool whole = v == (double)(long long)v && v < 1e15 && v > -1e15;

	if (r->opts->json) {
		fputc(',', r->out);
		out_json_string(r->out, key);
		if (whole)
			fprintf(r->out, ":%lld", (long long)v);
		else
			fprintf(r->out, ":%.3f", v);
	} else if (whole) {
		fprintf(r->out, "  %s: %lld%s%s\n", key, (long long)v,
			unit ? " " : "", unit ? unit : "");
	} else {
		fprintf(r->out, "  %s: %.3f%s%s\n", key, v, unit ? " " : "",
			unit ? unit : "");
	}
}

void lab_step_text(struct lab_run *r, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lab_text_append(r, buf);
}

static const char *side_name(int side)
{
	switch (side) {
	case LAB_LISTENER:
		return "listening";
	case LAB_SERVER:
		return "server-side";
	default:
		return "client-side";
	}
}

void lab_step_missing(struct lab_run *r, const struct tl_snapshot *snap,
		      const struct lab_expect *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned c = snap ? lab_count(r, snap, &e[i]) : 0;
		char line[256], rq[48] = "", lim[48] = "";
		size_t room = sizeof(r->missing) - r->missing_len;
		int len;

		if (snap && c >= e[i].min && c <= e[i].max)
			continue;
		if (e[i].rqueue >= 0)
			snprintf(rq, sizeof(rq), " with Recv-Q %ld",
				 e[i].rqueue);
		if (e[i].limbo >= 0)
			snprintf(lim, sizeof(lim), " (%s)",
				 e[i].limbo ? tl_limbo_name(e[i].limbo) :
					      "with an owner");
		len = snprintf(line, sizeof(line),
			       "expected %u..%u %s socket(s) in %s%s%s, saw %u",
			       e[i].min, e[i].max, side_name(e[i].side),
			       e[i].state ? tl_state_name_upper(e[i].state) :
					    "any state",
			       lim, rq, c);
		if (len > 0 && (size_t)len + 1 < room) {
			memcpy(r->missing + r->missing_len, line, (size_t)len);
			r->missing_len += (size_t)len;
			r->missing[r->missing_len++] = '\n';
			r->missing[r->missing_len] = '\0';
		}
		r->step_ok = false;
	}
}

static void lab_run_hooks(struct lab_run *r, const char *const *cmds, size_t n,
			  bool must_pass);

int lab_step_end(struct lab_run *r)
{
	if (!r->step_open)
		return 0;
	r->step_open = false;
	if (!r->step_ok)
		r->failed = true;
	if (r->opts->json) {
		fputs(",\"text\":", r->out);
		out_json_string(r->out, r->text);
		fputs(",\"missing\":[", r->out);
		for (char *s = r->missing, *nl; (nl = strchr(s, '\n'));
		     s = nl + 1) {
			*nl = '\0';
			if (s != r->missing)
				fputc(',', r->out);
			out_json_string(r->out, s);
			*nl = '\n';
		}
		fprintf(r->out, "],\"ok\":%s}", r->step_ok ? "true" : "false");
	} else {
		if (r->text_len)
			lab_wrap(r->out, r->text);
		for (char *s = r->missing, *nl; (nl = strchr(s, '\n'));
		     s = nl + 1)
			fprintf(r->out, "  !! %.*s\n", (int)(nl - s), s);
		if (!r->step_ok)
			fputs("  !! this step did not go as expected\n",
			      r->out);
	}
	fflush(r->out);
	if (r->signo)
		return -EINTR;
	lab_run_hooks(r, r->opts->hooks, r->opts->n_hooks, true);
	if (r->opts->then_at && !r->thens_done &&
	    strcmp(r->opts->then_at, r->last_step) == 0) {
		r->thens_done = true;
		lab_run_hooks(r, r->opts->thens, r->opts->n_thens, false);
	}
	return r->signo ? -EINTR : 0;
}

int lab_step(struct lab_run *r, const char *name, const struct lab_expect *e,
	     size_t n, unsigned timeout_ms, struct tl_snapshot **ret)
{
	struct tl_snapshot *snap = NULL;
	int err = lab_await(r, e, n, timeout_ms, &snap);

	if (ret)
		*ret = NULL;
	if (err < 0 && err != -ETIMEDOUT)
		return err;
	lab_step_begin(r, name);
	if (r->opts->json)
		lab_step_num(r, "port", r->port, NULL);
	lab_step_sockets(r, snap);
	lab_step_missing(r, snap, e, n);
	if (ret)
		*ret = snap;
	else
		tl_snapshot_free(snap);
	return 0;
}

/*
 * Hooks: shell commands run inside the namespace, bounded in time. A --hook
 * is a check (tests use them), so its failure fails the run; a --then is a
 * look (a doctor that finds something exits non-zero on purpose), so its
 * status is only reported.
 */
static void lab_run_hooks(struct lab_run *r, const char *const *cmds, size_t n,
			  bool must_pass)
{
	for (size_t i = 0; i < n && !r->signo; i++) {
		char *argv[] = { (char *)"/bin/sh", (char *)"-c",
				 (char *)cmds[i], NULL };
		struct lab_proc *p;
		char sbuf[64];
		int err;

		if (lab_fork(r, "hook", argv, false, &p) < 0) {
			r->failed = true;
			return;
		}
		err = lab_reap(r, p, r->opts->hook_timeout_ms);
		if (err == -ETIMEDOUT) {
			tl_err("lab: hook '%s' still running after %u ms: "
			       "killed",
			       cmds[i], r->opts->hook_timeout_ms);
			lab_stop(r, p);
			r->failed = true;
		} else if (err == 0 && p->status != 0 && must_pass) {
			tl_err("lab: hook '%s' failed (%s)", cmds[i],
			       lab_status_str(sbuf, sizeof(sbuf), p->status));
			r->failed = true;
		} else if (err == 0 && p->status != 0) {
			fprintf(stderr, "tcplimbo: lab: '%s' ended with %s\n",
				cmds[i],
				lab_status_str(sbuf, sizeof(sbuf), p->status));
		}
		/* On -EINTR the teardown reaps it. */
	}
}

/* Namespace setup and teardown. */

static int lab_lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
out:
	close(fd);
	return err;
}

static uint64_t lab_self_netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/*
 * Moves us into a new network namespace. Only this process and its
 * children are in it, so it vanishes when the last of them exits, however
 * that happens; nothing named is left to clean up.
 */
static int lab_netns_setup(struct lab_run *r)
{
	int err;

	if (r->opts->shared_netns)
		return 0;
	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		fprintf(stderr,
			"tcplimbo: lab: cannot make a network namespace (%s): "
			"running in this one on 127.0.0.1 with a free port; "
			"other programs' sockets on that port and the "
			"machine's TcpExt counters may show up\n",
			strerror(-err));
		return 0;
	}
	err = lab_lo_up();
	if (err < 0) {
		tl_err("lab: bringing up lo in the new namespace: %s",
		       strerror(-err));
		return err;
	}
	r->private_netns = true;
	return 0;
}

static void lab_teardown(struct lab_run *r)
{
	uint64_t end;
	bool all;

	r->tearing_down = true;
	for (size_t i = 0; i < r->n_procs; i++)
		if (!r->procs[i].reaped)
			kill(-r->procs[i].pid, SIGTERM);
	end = now_ms() + 2000;
	do {
		all = true;
		for (size_t i = 0; i < r->n_procs; i++)
			all &= lab_try_reap(&r->procs[i]);
		if (!all)
			lab_poll(r, -1, 10);
	} while (!all && now_ms() < end);
	for (size_t i = 0; i < r->n_procs; i++) {
		struct lab_proc *p = &r->procs[i];

		if (p->reaped)
			continue;
		kill(-p->pid, SIGKILL);
		waitpid(p->pid, &p->status, 0);
		p->reaped = true;
		if (p->sync >= 0)
			close(p->sync);
		p->sync = -1;
	}
}

/*
 * A server or client that failed on its own (a crash, a sanitizer report,
 * an error exit) fails the run even if every step looked right. Our own
 * SIGTERM/SIGKILL at teardown do not count.
 */
static int lab_check_exits(struct lab_run *r)
{
	int ret = 0;

	for (size_t i = 0; i < r->n_procs; i++) {
		const struct lab_proc *p = &r->procs[i];
		char sbuf[64];
		int st = p->status;

		if (strcmp(p->role, "hook") == 0)
			continue;
		if ((WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
		    (WIFSIGNALED(st) &&
		     (WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGKILL)))
			continue;
		tl_err("lab: the %s (pid %d) ended badly: %s", p->role,
		       (int)p->pid, lab_status_str(sbuf, sizeof(sbuf), st));
		ret = -ECHILD;
	}
	return ret;
}

int lab_run(const struct lab_opts *opts)
{
	struct lab_run r = {
		.opts = opts,
		.out = stdout,
		.sigfd = -1,
		.addr = "127.0.0.1",
	};
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t mask;
	int err, status;

	r.sc = lab_scenario_find(opts->scenario);
	if (!r.sc) {
		tl_err("lab: unknown scenario '%s' (try: tcplimbo lab list)",
		       opts->scenario);
		return TL_EXIT_USAGE;
	}
	/* Stop signals arrive through sigfd in every wait. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	r.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r.sigfd < 0) {
		tl_err("lab: signalfd: %s", strerror(errno));
		return 1;
	}
	err = lab_netns_setup(&r);
	if (err < 0) {
		close(r.sigfd);
		return 1;
	}
	r.netns_inode = lab_self_netns_inode();
	r.port = opts->port_set ? opts->port : r.private_netns ? 3000 : 0;
	if (opts->json) {
		fputs("{\"scenario\":", r.out);
		out_json_string(r.out, r.sc->name);
		fprintf(r.out, ",\"netns\":\"%s\",\"netns_inode\":%llu",
			r.private_netns ? "private" : "shared",
			(unsigned long long)r.netns_inode);
		fputs(",\"addr\":", r.out);
		out_json_string(r.out, r.addr);
		fputs(",\"steps\":[", r.out);
	} else {
		fprintf(r.out, "lab %s: %s\n", r.sc->name, r.sc->summary);
		fprintf(r.out, "  network namespace: %s (net:[%llu])\n",
			r.private_netns ? "a private one, made for this run" :
					  "shared with this machine",
			(unsigned long long)r.netns_inode);
	}
	fflush(r.out);

	err = r.sc->fn(&r);
	if (r.step_open) {
		r.step_ok = false;
		lab_step_end(&r);
	}
	if (!err && !r.signo && !r.thens_done) {
		r.thens_done = true;
		lab_run_hooks(&r, opts->thens, opts->n_thens, false);
	}
	lab_teardown(&r);
	if (!r.signo && lab_check_exits(&r) < 0)
		r.failed = true;

	if (r.signo)
		status = LAB_EXIT_SIGNAL + r.signo;
	else if (err < 0 || r.failed)
		status = 1;
	else
		status = 0;
	if (opts->json) {
		fprintf(r.out, "\n ],\"port\":%u", r.port);
		if (r.signo)
			fprintf(r.out, ",\"interrupted\":\"%s\"",
				sigabbrev_np(r.signo) ? sigabbrev_np(r.signo) :
							"?");
		fprintf(r.out, ",\"ok\":%s}\n", status ? "false" : "true");
	} else {
		const char *ab = r.signo ? sigabbrev_np(r.signo) : NULL;

		fprintf(r.out, "\nlab %s: ", r.sc->name);
		if (r.signo)
			fprintf(r.out, "stopped by SIG%s", ab ? ab : "?");
		else
			fputs(status ? "FAILED" : "done", r.out);
		fprintf(r.out, "; every process is gone%s\n",
			r.private_netns ? ", and the namespace with them" : "");
	}
	fflush(r.out);
	close(r.sigfd);
	return status;
}
