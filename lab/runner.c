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

#include "escape.h"
#include "lab.h"
#include "output.h"
#include "tl.h"

void lab_run_hooks(struct lab_run *r, const char *const *cmds, size_t n,
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
			tl_err("lab: %s '%s' still running after %u ms: "
			       "killed",
			       must_pass ? "--hook" : "--then", cmds[i],
			       r->opts->hook_timeout_ms);
			lab_stop(r, p);
			r->failed = true;
		} else if (err == 0 && p->status != 0 && must_pass) {
			/* It runs after each step: which one it failed at. */
			tl_err("lab: hook '%s' failed after step '%s' (%s)",
			       cmds[i], r->last_step,
			       lab_status_str(sbuf, sizeof(sbuf), p->status));
			r->failed = true;
		} else if (err == 0 && p->status != 0) {
			/*
			 * Told, not a failure: tcplimbo doctor's own exit 2
			 * is the critical finding the lab was made to show.
			 */
			fputs("tcplimbo: lab: --then '", stderr);
			esc_fputs(cmds[i], stderr);
			fprintf(stderr, "' ended with %s (told, not checked)\n",
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
	char port[16] = "a free port";
	int err;

	if (r->opts->shared_netns)
		return 0;
	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		/* --port is taken as given, free or not. */
		if (r->opts->port_set)
			snprintf(port, sizeof(port), "port %u",
				 (unsigned)r->opts->port);
		fprintf(stderr,
			"tcplimbo: lab: cannot make a network namespace (%s): "
			"running in this one on 127.0.0.1 with %s; other "
			"programs' sockets on that port and the machine's "
			"TcpExt counters may show up\n",
			strerror(-err), port);
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
	for (size_t i = 0; i < r->n_procs; i++) {
		if (r->procs[i].reaped)
			continue;
		kill(-r->procs[i].pid, SIGTERM);
		/* A stopped server (lab run stopped) takes SIGTERM only
		 * once it runs. */
		kill(-r->procs[i].pid, SIGCONT);
	}
	end = lab_now_ms() + 2000;
	do {
		all = true;
		for (size_t i = 0; i < r->n_procs; i++)
			all &= lab_try_reap(&r->procs[i]);
		if (!all)
			lab_poll(r, -1, 10);
	} while (!all && lab_now_ms() < end);
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

	json_init_file(&r.json, r.out);
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
		return TL_EXIT_FAILURE;
	}
	err = lab_netns_setup(&r);
	if (err < 0) {
		close(r.sigfd);
		return TL_EXIT_FAILURE;
	}
	r.netns_inode = lab_self_netns_inode();
	r.port = opts->port_set ? opts->port : r.private_netns ? 3000 : 0;
	if (opts->json) {
		json_obj_begin(&r.json);
		json_kv_str(&r.json, "scenario", r.sc->name);
		json_kv_str(&r.json, "netns",
			    r.private_netns ? "private" : "shared");
		json_kv_uint(&r.json, "netns_inode", r.netns_inode);
		json_kv_str(&r.json, "addr", r.addr);
		json_key(&r.json, "steps");
		json_arr_begin(&r.json);
		json_flush(&r.json);
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
		status = TL_EXIT_FAILURE;
	else
		status = 0;
	if (opts->json) {
		json_raw(&r.json, "\n ", 2);
		json_arr_end(&r.json);
		json_kv_uint(&r.json, "port", r.port);
		if (r.signo)
			json_kv_str(&r.json, "interrupted",
				    sigabbrev_np(r.signo) ?
					    sigabbrev_np(r.signo) :
					    "?");
		json_kv_bool(&r.json, "ok", !status);
		json_obj_end(&r.json);
		json_raw(&r.json, "\n", 1);
		json_flush(&r.json);
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
