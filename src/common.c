// SPDX-License-Identifier: MIT
/*
 * Helpers every command uses: the global options, number parsing, taking
 * a snapshot, and the note about processes whose fds could not be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tl.h"

int tl_global_option(struct tl_global *g, int c, const char *arg)
{
	switch (c) {
	case 'N':
		g->netns_spec = arg;
		return 1;
	case '4':
		g->family = AF_INET;
		return 1;
	case '6':
		g->family = AF_INET6;
		return 1;
	case 'j':
		g->json = true;
		return 1;
	case TL_GOPT_NO_OWNERS:
		g->no_owners = true;
		return 1;
	case TL_GOPT_RECORD:
		g->record_path = arg;
		return 1;
	case TL_GOPT_REPLAY:
		g->replay_path = arg;
		return 1;
	case TL_GOPT_PROC_ROOT:
		g->proc_root = arg;
		g->proc_root_set = true;
		return 1;
	case TL_GOPT_ROOT:
		g->root = arg;
		return 1;
	case TL_GOPT_OWNERS_BACKEND:
		g->owners_backend_arg = arg;
		return 1;
	case TL_GOPT_THREADS:
		g->threads_arg = arg;
		return 1;
	case 'v':
		g->verbose = true;
		return 1;
	}
	return 0;
}

int tl_parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts " -1" and wraps it; we want digits only. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int tl_parse_port(const char *s, uint16_t *ret)
{
	uint64_t v;

	if (tl_parse_uint(s, 65535, &v) < 0)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int tl_parse_duration(const char *s, uint32_t *ret)
{
	char num[24];
	size_t len = strlen(s), digits = 0;
	uint64_t v, mult = 1000;

	while (digits < len && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0 || digits >= sizeof(num))
		return -EINVAL;
	if (strcmp(s + digits, "ms") == 0)
		mult = 1;
	else if (strcmp(s + digits, "m") == 0)
		mult = 60000;
	else if (s[digits] && strcmp(s + digits, "s") != 0)
		return -EINVAL;
	memcpy(num, s, digits);
	num[digits] = '\0';
	if (tl_parse_uint(num, 86400000, &v) < 0 || v * mult > 86400000)
		return -EINVAL;
	*ret = (uint32_t)(v * mult);
	return 0;
}

/* -v: which owners pass ran, and why auto did not take bpf. */
static void say_owners(const struct tl_snapshot *snap)
{
	const struct tl_owners *ow = snap->owners;

	if (!ow || snap->owners_borrowed)
		return;
	if (ow->backend == TL_OWNERS_BPF)
		fprintf(stderr,
			"tcplimbo: owners from bpf (the kernel's task and "
			"task-file iterators): %zu process%s, %zu socket "
			"fd%s\n",
			ow->n_procs, ow->n_procs == 1 ? "" : "es", ow->n_refs,
			ow->n_refs == 1 ? "" : "s");
	else if (ow->bpf_error)
		fprintf(stderr,
			"tcplimbo: owners from proc (/proc/PID/fd on %u "
			"thread%s; the BPF iterators did not load: %s): %zu "
			"process%s, %zu socket fd%s\n",
			ow->threads, ow->threads == 1 ? "" : "s",
			strerror(-ow->bpf_error), ow->n_procs,
			ow->n_procs == 1 ? "" : "es", ow->n_refs,
			ow->n_refs == 1 ? "" : "s");
	else if (ow->open_files)
		fprintf(stderr,
			"tcplimbo: owners from proc (/proc/PID/fd on %u "
			"thread%s; %llu open file%s on this machine, fewer "
			"than the %d that make loading the BPF iterators "
			"worth it): %zu process%s, %zu socket fd%s\n",
			ow->threads, ow->threads == 1 ? "" : "s",
			(unsigned long long)ow->open_files,
			ow->open_files == 1 ? "" : "s", TL_OWNERS_BPF_MIN_FILES,
			ow->n_procs, ow->n_procs == 1 ? "" : "es", ow->n_refs,
			ow->n_refs == 1 ? "" : "s");
	else
		fprintf(stderr,
			"tcplimbo: owners from proc (/proc/PID/fd on %u "
			"thread%s): %zu process%s, %zu socket fd%s\n",
			ow->threads, ow->threads == 1 ? "" : "s", ow->n_procs,
			ow->n_procs == 1 ? "" : "es", ow->n_refs,
			ow->n_refs == 1 ? "" : "s");
}

static int take(const struct tl_global *g, int netns_fd, uint32_t states,
		bool log, struct tl_snapshot **ret)
{
	struct tl_snapshot_opts o;
	int err = 0;

	tl_snapshot_opts_init(&o);
	o.family = g->family;
	o.states = states;
	/*
	 * A replayed dump's inodes belong to another moment: matching them
	 * against today's /proc would name the wrong processes. A fake
	 * /proc given with --proc-root is the caller's deliberate choice.
	 */
	o.owners = !g->no_owners &&
		   (!g->replay_path || strcmp(g->proc_root, "/proc") != 0);
	o.proc_root = g->proc_root;
	o.netns_fd = netns_fd;
	o.owners_backend = g->owners_backend;
	o.owners_threads = g->threads;
	if (g->record_path) {
		o.record_fd = open(g->record_path,
				   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				   0644);
		if (o.record_fd < 0) {
			err = -errno;
			if (log)
				tl_err("cannot write '%s': %s", g->record_path,
				       strerror(-err));
			return err;
		}
	}
	if (g->replay_path) {
		o.replay_fd = open(g->replay_path, O_RDONLY | O_CLOEXEC);
		if (o.replay_fd < 0) {
			err = -errno;
			if (log)
				tl_err("cannot read '%s': %s", g->replay_path,
				       strerror(-err));
			goto out;
		}
	}
	err = tl_snapshot_take(&o, ret);
	if (err >= 0 && g->verbose)
		say_owners(*ret);
	if (err >= 0 || !log)
		goto out;
	/* Without a namespace to enter only the BPF iterators refuse. */
	if (g->owners_backend == TL_OWNERS_BPF && o.owners && netns_fd < 0 &&
	    (err == -EPERM || err == -EOPNOTSUPP))
		tl_err("--owners-backend bpf: %s",
		       err == -EOPNOTSUPP ?
			       "this tcplimbo was built without bpf" :
		       geteuid() ? "the kernel refused the BPF iterators "
				   "(they need CAP_BPF and CAP_PERFMON)" :
				   "the kernel refused the BPF iterators, even "
				   "to root");
	else if (err == -EPERM && netns_fd >= 0)
		tl_err("cannot enter network namespace '%s': %s "
		       "(needs CAP_SYS_ADMIN)",
		       g->netns_spec, strerror(-err));
	else if (err == -EBADMSG && g->replay_path)
		tl_err("'%s' is not a sock_diag dump", g->replay_path);
	else
		tl_err("cannot list sockets: %s", strerror(-err));
out:
	if (o.record_fd >= 0)
		close(o.record_fd);
	if (o.replay_fd >= 0)
		close(o.replay_fd);
	return err;
}

int tl_take_snapshot(const struct tl_global *g, uint32_t states,
		     struct tl_snapshot **ret)
{
	return take(g, g->netns_fd, states, true, ret);
}

int tl_take_snapshot_in(const struct tl_global *g, int netns_fd,
			uint32_t states, struct tl_snapshot **ret)
{
	return take(g, netns_fd, states, false, ret);
}

static bool denied(const struct tl_proc *p)
{
	return p->fd_error == -EACCES || p->fd_error == -EPERM;
}

/* True when pid is denied in one of the scans before scans[k]. */
static bool denied_before(const struct tl_owners *const *scans, size_t k,
			  pid_t pid)
{
	for (size_t j = 0; j < k; j++) {
		const struct tl_proc *p = tl_owners_proc(scans[j], pid);

		if (scans[j] == scans[k] || (p && denied(p)))
			return true;
	}
	return false;
}

size_t tl_denied_note(char *buf, size_t size,
		      const struct tl_owners *const *scans, size_t n_scans)
{
	enum { SHOWN = 4 };
	const struct tl_proc *shown[SHOWN];
	size_t n = 0, off;
	int err = -EACCES;

	buf[0] = '\0';
	for (size_t k = 0; k < n_scans; k++) {
		const struct tl_owners *o = scans[k];

		if (!o || !o->n_denied)
			continue;
		for (size_t i = 0; i < o->n_procs; i++) {
			const struct tl_proc *p = &o->procs[i];

			if (!denied(p) || denied_before(scans, k, p->pid))
				continue;
			if (n < SHOWN)
				shown[n] = p;
			if (n == 0)
				err = p->fd_error;
			n++;
		}
	}
	if (n == 0)
		return 0;
	/* Pids only: a comm would need escaping for the terminal. */
	if (n == 1)
		off = (size_t)snprintf(buf, size, "the fds of pid %d",
				       (int)shown[0]->pid);
	else
		off = (size_t)snprintf(buf, size,
				       "the fds of %zu processes (pids ", n);
	for (size_t i = 0; n > 1 && i < n && i < SHOWN && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%d",
					i ? ", " : "", (int)shown[i]->pid);
	if (n > SHOWN && off < size)
		off += (size_t)snprintf(buf + off, size - off, " and %zu more",
					n - SHOWN);
	if (n > 1 && off < size)
		off += (size_t)snprintf(buf + off, size - off, ")");
	if (off < size)
		snprintf(buf + off, size - off,
			 geteuid() == 0 ?
				 " could not be read even as root (%s)" :
				 " could not be read (%s; run as root "
				 "to see them)",
			 strerror(-err));
	return n;
}
