// SPDX-License-Identifier: MIT
/*
 * Helpers every command uses: the global options, number parsing, taking
 * a snapshot, and the note about processes whose fds could not be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "tcplimbo/netns.h"
#include "tl.h"

void tl_bad_option(int c, char *const *argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	/* tl_err escapes what the user typed. A long option is named as
	 * typed, a short one by itself. */
	if (strncmp(arg, "--", 2) == 0) {
		if (c == ':')
			tl_err("option '%s' requires an argument", arg);
		else if (optopt && strchr(arg, '='))
			tl_err("option '%s' does not take an argument", arg);
		else
			tl_err("unrecognized option '%s'", arg);
	} else if (c == ':') {
		tl_err("option requires an argument -- '%c'", optopt);
	} else {
		tl_err("invalid option -- '%c'", optopt);
	}
}

/*
 * Sets *slot to arg, noting in g an earlier, different value: a second -N
 * that replaced the first would look at a namespace the user may not have
 * meant, and say nothing of the one they did.
 */
static void set_once(struct tl_global *g, const char *opt, const char **slot,
		     const char *arg)
{
	if (*slot && arg && strcmp(*slot, arg) != 0 && !g->twice_opt) {
		g->twice_opt = opt;
		g->twice_first = *slot;
		g->twice_second = arg;
	}
	*slot = arg;
}

int tl_global_option(struct tl_global *g, int c, const char *arg)
{
	switch (c) {
	case 'N':
		set_once(g, "-N", &g->netns_spec, arg);
		return 1;
	case '4':
	case '6':
		/* Both given: both families, not none. */
		g->families |= c == '4' ? TL_FAM_INET : TL_FAM_INET6;
		g->family = g->families == TL_FAM_INET	? AF_INET :
			    g->families == TL_FAM_INET6 ? AF_INET6 :
							  AF_UNSPEC;
		return 1;
	case 'j':
		g->json = true;
		return 1;
	case TL_GOPT_NO_OWNERS:
		g->no_owners = true;
		return 1;
	case TL_GOPT_RECORD:
		set_once(g, "--record", &g->record_path, arg);
		return 1;
	case TL_GOPT_REPLAY:
		set_once(g, "--replay", &g->replay_path, arg);
		return 1;
	case TL_GOPT_PROC_ROOT:
		/* Before the first, it holds the default, /proc. */
		if (!g->proc_root_set)
			g->proc_root = NULL;
		set_once(g, "--proc-root", &g->proc_root, arg);
		g->proc_root_set = true;
		return 1;
	case TL_GOPT_ROOT:
		set_once(g, "--root", &g->root, arg);
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

int tl_duration_option(const char *verb, const char *opt, const char *arg,
		       uint64_t bare_ms, uint64_t min_ms, uint64_t max_ms,
		       uint64_t *ret_ms)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} examples[] = { { "500ms", 500 },
			 { "1.5s", 1500 },
			 { "2m", 120000 },
			 { "1h", 3600000 } };
	char lo[24], hi[24], such[64] = "";
	size_t len = 0, n = 0, k = 0;

	if (tl_parse_duration(arg, bare_ms, min_ms, max_ms, ret_ms) == 0)
		return 0;
	/* Only examples the option takes: not 500ms where 1s is the least. */
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		n += examples[i].ms >= min_ms && examples[i].ms <= max_ms;
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		if (examples[i].ms < min_ms || examples[i].ms > max_ms)
			continue;
		k++;
		len += (size_t)snprintf(such + len, sizeof(such) - len, "%s%s",
					k == 1 ? ", such as " :
					k == n ? " or " :
						 ", ",
					examples[i].text);
	}
	tl_duration_str(lo, sizeof(lo), min_ms);
	tl_duration_str(hi, sizeof(hi), max_ms);
	tl_err("%s: bad %s '%s': want a duration from %s to %s in whole "
	       "milliseconds%s (a bare number counts %s)",
	       verb, opt, arg, lo, hi, such,
	       bare_ms == 1 ? "milliseconds" : "seconds");
	return -EINVAL;
}

const char *tl_strerror_limit(int err, char *buf, size_t size)
{
	struct rlimit rl;

	switch (err) {
	case -EMFILE:
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			snprintf(buf, size,
				 "out of file descriptors (%s: this "
				 "process's limit, ulimit -n, is %llu)",
				 strerror(-err),
				 (unsigned long long)rl.rlim_cur);
		else
			snprintf(buf, size, "out of file descriptors (%s)",
				 strerror(-err));
		return buf;
	case -ENFILE:
		snprintf(buf, size,
			 "the system is out of file descriptors (%s: see "
			 "fs.file-max)",
			 strerror(-err));
		return buf;
	case -ENOMEM:
		if (getrlimit(RLIMIT_AS, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			snprintf(buf, size,
				 "out of memory (%s: this process's "
				 "address-space limit, ulimit -v, is %llu kB)",
				 strerror(-err),
				 (unsigned long long)(rl.rlim_cur / 1024));
		else
			snprintf(buf, size, "out of memory (%s)",
				 strerror(-err));
		return buf;
	}
	return strerror(-err);
}

/* The kernel's own filesystems, whose files take no recording. */
static const char *pseudo_fs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return NULL;
	switch ((unsigned long)st.f_type) {
	case PROC_SUPER_MAGIC:
		return "proc";
	case SYSFS_MAGIC:
		return "sysfs";
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
		return "cgroup";
	case DEBUGFS_MAGIC:
		return "debugfs";
	case TRACEFS_MAGIC:
		return "tracefs";
	}
	return NULL;
}

/*
 * Why the BPF owners pass did not run, when the errno alone does not say:
 * the iterators walk only this process's pid namespace, and a /proc of
 * another one would name other processes and pids.
 */
static const char *bpf_owners_why(int err)
{
	if (err == -EXDEV)
		return "/proc is not a /proc of this process's pid namespace, "
		       "and the BPF iterators see only that namespace's "
		       "processes (in a pid namespace, mount its own /proc, as "
		       "unshare --pid --fork --mount-proc does)";
	return strerror(-err);
}

const char *tl_bpf_refused_why(int backend, bool owners, int err)
{
	if (backend != TL_OWNERS_BPF || !owners ||
	    (err != -EPERM && err != -EOPNOTSUPP))
		return NULL;
	return err == -EOPNOTSUPP ?
		       "this tcplimbo was built without bpf" :
	       !tl_real_root() ?
		       "the kernel refused the BPF iterators (they need "
		       "CAP_BPF and CAP_PERFMON in the host's user "
		       "namespace)" :
	       !tl_have_bpf_caps() ?
		       "the kernel refused the BPF iterators (they need "
		       "CAP_BPF and CAP_PERFMON, which this process "
		       "lacks)" :
		       "the kernel refused the BPF iterators, even to root";
}

/* The most of a path a message about it shows, and its end. */
#define PATH_SHOWN 256
/* How long --replay waits for a FIFO's writer to come. */
#define FIFO_WAIT_MS 10000

/*
 * path as a message of size bytes shows it: whole where it leaves room
 * for the cause, else its start and end around "...".
 */
static void shown_path(char *buf, size_t bsize, const char *path, size_t size)
{
	size_t len = path ? strlen(path) : 0;
	size_t max = size > 320 ? size - 320 : 64;

	if (max > bsize - 1)
		max = bsize - 1;
	if (len <= max) {
		snprintf(buf, bsize, "%s", path ? path : "");
		return;
	}
	snprintf(buf, bsize, "%.*s...%s", (int)(max / 2 - 2), path,
		 path + len - (max / 2 - 2));
}

void tl_snapshot_why(const struct tl_global *g, int err, char *buf, size_t size)
{
	const char *fs, *bpf;
	char rec[PATH_SHOWN], rep[PATH_SHOWN];

	/* The cause must fit after the path: a long one is shortened. */
	shown_path(rec, sizeof(rec), g->record_path, size);
	shown_path(rep, sizeof(rep), g->replay_path, size);

	if (g->record_path && (fs = pseudo_fs(g->record_path))) {
		snprintf(buf, size,
			 "--record '%s': a file of the kernel's %s "
			 "filesystem, which cannot store a recording (%s)",
			 rec, fs, strerror(-err));
		return;
	}
	if (g->record_path &&
	    (err == -ENOSPC || err == -EDQUOT || err == -EFBIG ||
	     err == -EROFS || err == -ESPIPE)) {
		snprintf(buf, size, "--record '%s': cannot write the dump: %s",
			 rec,
			 err == -ESPIPE ? "a pipe cannot take back a dump the "
					  "kernel restarted" :
					  strerror(-err));
		return;
	}
	if (err == -EXDEV && g->owners_backend == TL_OWNERS_BPF &&
	    !g->no_owners) {
		snprintf(buf, size, "--owners-backend bpf: %s",
			 bpf_owners_why(err));
		return;
	}
	bpf = tl_bpf_refused_why(g->owners_backend, !g->no_owners, err);
	if (bpf) {
		snprintf(buf, size, "--owners-backend bpf: %s", bpf);
		return;
	}
	if (!g->replay_path) {
		char why[160];

		/* Out of fds or memory: say so, with the limit that applies. */
		snprintf(buf, size, "cannot list sockets: %s",
			 tl_strerror_limit(err, why, sizeof(why)));
		return;
	}
	switch (err) {
	case -ENODATA:
		snprintf(buf, size,
			 "--replay '%s': the file is empty, not a sock_diag "
			 "dump (even a dump of no sockets holds an end "
			 "message)",
			 rep);
		break;
	case -EBADMSG:
		snprintf(buf, size,
			 "--replay '%s': not a sock_diag dump (--record "
			 "makes one)",
			 rep);
		break;
	case -ENOMSG:
		snprintf(buf, size,
			 "--replay '%s': the file ends before the dump's end "
			 "message: it was cut short, and would list only some "
			 "of the sockets",
			 rep);
		break;
	case -EEXIST:
		snprintf(buf, size,
			 "--replay '%s': more follows the dump's end message "
			 "(a second dump, or bytes added to the file): replay "
			 "one dump at a time",
			 rep);
		break;
	case -EISDIR:
		snprintf(buf, size,
			 "--replay '%s': a directory, not a sock_diag dump",
			 rep);
		break;
	case -ETIMEDOUT:
		snprintf(buf, size,
			 "--replay '%s': a FIFO that no process wrote to in "
			 "%d s",
			 rep, FIFO_WAIT_MS / 1000);
		break;
	case -EFBIG:
		snprintf(buf, size,
			 "--replay '%s': larger than 1 GiB, so not a dump "
			 "tcplimbo recorded",
			 rep);
		break;
	default:
		snprintf(buf, size, "--replay '%s': %s", rep, strerror(-err));
	}
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
			bpf_owners_why(ow->bpf_error), ow->n_procs,
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

/* Hands every socket of a taken snapshot that was asked for to cb. */
static int each(struct tl_snapshot *snap, tl_snapshot_cb cb, void *arg)
{
	for (size_t i = 0; i < snap->n_socks; i++) {
		int err;

		if (!snap->in_filter[i])
			continue;
		err = cb(snap, &snap->socks[i], arg);
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * Opens a file --record or --replay names without waiting on a FIFO that
 * no process has open at its other end: a FIFO with no reader refuses a
 * writer (-ENXIO), one with no writer reads as empty. Then blocking
 * again, so that a pipe (/dev/stdin, <(zcat dump.gz)) is read whole.
 * Returns the fd or -errno.
 */
static int open_nohang(const char *path, int flags)
{
	int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, 0644);
	int fl;

	if (fd < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		fl = -errno;
		close(fd);
		return fl;
	}
	return fd;
}

/*
 * A FIFO opened before its writer (tcplimbo --replay p & cat dump > p)
 * is waited on, for a while: its data comes once the writer does. A pipe
 * with its writer, or a file, is read at once. 0, or -ETIMEDOUT.
 */
static int fifo_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return 0;
	do
		r = poll(&p, 1, FIFO_WAIT_MS);
	while (r < 0 && errno == EINTR);
	return r == 0 ? -ETIMEDOUT : 0;
}

static int take(const struct tl_global *g, int netns_fd, uint32_t states,
		bool log, tl_snapshot_cb cb, void *arg,
		struct tl_snapshot **ret)
{
	struct tl_snapshot_opts o;
	int err = 0;

	tl_snapshot_opts_init(&o);
	o.family = g->family;
	o.states = states;
	/*
	 * A replayed dump's inodes belong to another moment: matching them
	 * against today's /proc would name the wrong processes. A /proc
	 * given with --proc-root or --root (even /proc itself) is the
	 * caller's deliberate choice.
	 */
	o.owners = !g->no_owners &&
		   (!g->replay_path || g->proc_root_set || g->root[0]);
	o.proc_root = g->proc_root;
	o.netns_fd = netns_fd;
	o.owners_backend = g->owners_backend;
	o.owners_threads = g->threads;
	/* A recording may be replayed by a verb that needs the details. */
	o.details = !g->no_details || g->record_path;
	if (g->record_path) {
		o.record_fd = open_nohang(g->record_path,
					  O_WRONLY | O_CREAT | O_TRUNC);
		if (o.record_fd < 0) {
			err = o.record_fd;
			if (log)
				tl_err("--record '%s': %s", g->record_path,
				       err == -ENXIO ?
					       "a FIFO that no process reads" :
					       strerror(-err));
			return err;
		}
	}
	if (g->replay_path) {
		o.replay_fd = open_nohang(g->replay_path, O_RDONLY);
		if (o.replay_fd < 0) {
			err = o.replay_fd;
			goto fail;
		}
		err = fifo_wait(o.replay_fd);
		if (err < 0)
			goto fail;
	}
	/* A replay is read once: taken whole, then handed out. */
	if (cb && o.replay_fd < 0) {
		err = tl_snapshot_stream(&o, cb, arg, ret);
	} else {
		err = tl_snapshot_take(&o, ret);
		if (err >= 0 && cb) {
			err = each(*ret, cb, arg);
			if (err < 0) {
				tl_snapshot_free(*ret);
				*ret = NULL;
			}
		}
	}
	if (err >= 0 && g->verbose)
		say_owners(*ret);
	if (err >= 0)
		goto out;
fail:
	if (!log)
		goto out;
	/* EPERM with a namespace to enter is setns()'s; without, the BPF
	 * iterators' (tl_snapshot_why says so). */
	if (err == -EPERM && netns_fd >= 0) {
		char hint[256];

		tl_err("cannot enter network namespace '%s': %s %s",
		       g->netns_spec, strerror(-err),
		       tl_enter_hint(netns_fd, tl_netns_pid(g), hint,
				     sizeof(hint)));
	} else {
		char why[512];

		tl_snapshot_why(g, err, why, sizeof(why));
		tl_err("%s", why);
	}
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
	return take(g, g->netns_fd, states, true, NULL, NULL, ret);
}

int tl_stream_snapshot(const struct tl_global *g, uint32_t states,
		       tl_snapshot_cb cb, void *arg, struct tl_snapshot **ret)
{
	return take(g, g->netns_fd, states, true, cb, arg, ret);
}

int tl_take_snapshot_in(const struct tl_global *g, int netns_fd,
			uint32_t states, struct tl_snapshot **ret)
{
	return take(g, netns_fd, states, false, NULL, NULL, ret);
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
	/* EPERM, not EACCES, is /proc's answer where hidepid=1 closes one. */
	if (off < size)
		snprintf(
			buf + off, size - off,
			tl_real_root() && !tl_have_cap(CAP_SYS_PTRACE) ?
				" could not be read (%s: this process lacks "
				"CAP_SYS_PTRACE, which reading them needs)" :
			tl_real_root() ?
				" could not be read even as root (%s)" :
			geteuid() == 0 ?
				" could not be read (%s; root here is a user "
				"namespace's, to which other users' "
				"processes stay closed)" :
			err == -EPERM ?
				" could not be read (%s: /proc is mounted with "
				"hidepid=1, kernel threads included; run as "
				"root to see them)" :
				" could not be read (%s; run as root "
				"to see them)",
			strerror(-err));
	return n;
}

const char *tl_fds_denied_hint(void)
{
	if (geteuid() != 0)
		return "; root could";
	if (!tl_have_cap(CAP_SYS_PTRACE))
		return "; this process lacks CAP_SYS_PTRACE, which reading "
		       "them needs";
	return "";
}

bool tl_have_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (cap < 0 || cap >= 32 * _LINUX_CAPABILITY_U32S_3 ||
	    syscall(SYS_capget, &h, d) != 0)
		return false;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

bool tl_have_bpf_caps(void)
{
	/* CAP_SYS_ADMIN stands in for both, as the kernel takes it. */
	return tl_have_cap(CAP_SYS_ADMIN) ||
	       (tl_have_cap(CAP_BPF) && tl_have_cap(CAP_PERFMON));
}

bool tl_real_root(void)
{
	char map[128];
	unsigned long v[3];
	const char *p = map;
	FILE *f;
	bool read;

	if (geteuid() != 0)
		return false;
	/*
	 * The initial user namespace maps every uid onto itself: "0 0
	 * 4294967295". Any other map is a namespace some user made, whose
	 * root is that user outside it.
	 */
	f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return true;
	read = fgets(map, sizeof(map), f) != NULL;
	fclose(f);
	if (!read)
		return true;
	for (int i = 0; i < 3; i++) {
		char *end;

		errno = 0;
		v[i] = strtoul(p, &end, 10);
		if (end == p || errno)
			return true;
		p = end;
	}
	return v[0] == 0 && v[1] == 0 && v[2] == 4294967295UL;
}

pid_t tl_pid_process(const struct tl_global *g, const char *verb,
		     const char *opt, pid_t pid)
{
	int tgid;

	/* A replay's pids are not this machine's. */
	if (g->replay_path)
		return pid;
	tgid = tl_proc_tgid(g->proc_root, pid);
	if (tgid <= 0 || tgid == pid)
		return pid;
	fprintf(stderr,
		"tcplimbo: %s%s%s %d is a thread of process %d; taking the "
		"process, whose fds its threads share\n",
		verb ? verb : "", verb ? ": " : "", opt, (int)pid, tgid);
	return tgid;
}

void tl_warn_denied(const char *verb, const struct tl_snapshot *snap)
{
	char note[256];
	size_t n;

	if (!snap || !snap->owners)
		return;
	n = tl_denied_note(note, sizeof(note),
			   (const struct tl_owners *const[]){ snap->owners },
			   1);
	if (n)
		fprintf(stderr, "tcplimbo: %s%s%s; sockets %s show no owner\n",
			verb ? verb : "", verb ? ": " : "", note,
			n == 1 ? "it holds" : "they hold");
	if (snap->owners->hidden)
		fprintf(stderr,
			"tcplimbo: %s%s%s; sockets they hold show no owner\n",
			verb ? verb : "", verb ? ": " : "", TL_HIDDEN_NOTE);
}

pid_t tl_netns_pid(const struct tl_global *g)
{
	uint64_t pid;

	if (!g->netns_spec || g->netns_by != TL_NETNS_BY_PID ||
	    tl_parse_uint(g->netns_spec, INT32_MAX, &pid) < 0)
		return 0;
	return (pid_t)pid;
}

const char *tl_enter_hint(int netns_fd, pid_t pid, char *buf, size_t size)
{
	char spec[16] = "PID";
	uint32_t uid;

	if (geteuid() == 0 || tl_netns_owner_uid(netns_fd, &uid) < 0 ||
	    uid != geteuid())
		return "(needs CAP_SYS_ADMIN)";
	if (pid > 0)
		snprintf(spec, sizeof(spec), "%d", (int)pid);
	snprintf(buf, size,
		 "(it belongs to a user namespace of this user's, as a "
		 "rootless container's does: run tcplimbo in that one, as "
		 "nsenter -t %s -U -n --preserve-credentials tcplimbo ... "
		 "does)",
		 spec);
	return buf;
}
