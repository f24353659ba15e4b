// SPDX-License-Identifier: MIT
/*
 * tcplimbo: global options, then one verb. Each verb lives in its own
 * cmd-<verb>.c as a struct tl_verb: it parses its options into a struct of
 * its own, then runs with the global options read-only. Global options are
 * taken before the verb here and after it by the verb's getopt, through
 * the same handler, so they mean the same in either place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "escape.h"
#include "tcplimbo/netns.h"
#include "tl.h"

/* One line a verb: several people add verbs at once. */
/* clang-format off */
static const struct tl_verb *const verbs[] = {
	&tl_verb_drain,
	&tl_verb_doctor,
	&tl_verb_explain,
	&tl_verb_kill,
	&tl_verb_lab,
	&tl_verb_ls,
	&tl_verb_serve,
	&tl_verb_watch,
};
/* clang-format on */

void tl_err(const char *fmt, ...)
{
	/* Room for a path of PATH_MAX bytes quoted, and the cause after. */
	char msg[2 * PATH_MAX];
	va_list ap;

	/*
	 * Messages quote names, paths and arguments that anyone may have
	 * chosen: escaped as a whole, none brings a control byte along.
	 */
	char line[ESC_SIZE(sizeof(msg)) + 16];
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/*
	 * One write a line: serve's threads log at once, and stderr is
	 * unbuffered, so three calls could interleave with theirs.
	 */
	n = (size_t)snprintf(line, sizeof(line), "tcplimbo: ");
	esc_text(line + n, sizeof(line) - n - 1, msg);
	n = strlen(line);
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Global options (before or after COMMAND):\n"
		"  -N, --netns NAME|PATH|PID  look into this network namespace\n"
		"  -4, -6                     IPv4 or IPv6 only (both: both)\n"
		"  -j, --json                 JSON output\n"
		"      --no-owners            skip the /proc scan for owners\n"
		"      --record FILE          save the raw sock_diag dump to FILE\n"
		"      --replay FILE          read sockets from a saved dump\n"
		"      --proc-root DIR        read processes from DIR, not /proc\n"
		"      --root DIR             read /proc, /sys, /run and /var/lib\n"
		"                             under DIR (or $TCPLIMBO_ROOT)\n"
		"      --owners-backend auto|bpf|proc\n"
		"                             how to find owners: the kernel's BPF\n"
		"                             iterators, or /proc (auto: bpf when\n"
		"                             it loads)\n"
		"      --threads N            threads for the /proc pass (1 to %d;\n"
		"                             default one per CPU)\n"
		"  -v, --verbose              say on stderr how owners were found\n"
		"  -h, --help                 this help (after COMMAND: its own)\n"
		"  -V, --version              print the version (before COMMAND)\n"
		"\n"
		"Commands:\n",
		TL_OWNERS_MAX_THREADS);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %s\n", verbs[i]->name, verbs[i]->help);
	fprintf(f, "\n" TL_EXIT_HELP
		   "\nSee tcplimbo(8) and tcplimbo COMMAND --help.\n");
}

/*
 * Whether the pid /proc does not show is a process all the same: kill(0)
 * says EPERM for another user's. With /proc of this pid namespace (its
 * self is this process), only hidepid hides one so.
 */
static bool hidden_pid(const char *spec)
{
	char self[32];
	uint64_t pid, me;
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);

	if (n <= 0 || tl_parse_uint(spec, 0x7fffffff, &pid) < 0 || pid == 0)
		return false;
	self[n] = '\0';
	if (tl_parse_uint(self, 0x7fffffff, &me) < 0 ||
	    me != (uint64_t)getpid())
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == EPERM;
}

/*
 * Whether the directory dirfd (a proc tree) has a PID/ entry in it. An
 * empty or unrelated directory given as --proc-root would otherwise make
 * every owner "-" without a word. dirfd stays open.
 */
static bool has_process_dir(int dirfd)
{
	struct dirent *d;
	bool found = false;
	DIR *dir;
	int fd = dup(dirfd);

	if (fd < 0)
		return true; /* cannot tell: say nothing */
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return true;
	}
	while (!found && (d = readdir(dir)))
		found = d->d_name[0] >= '1' && d->d_name[0] <= '9' &&
			strspn(d->d_name, "0123456789") == strlen(d->d_name);
	closedir(dir);
	return found;
}

/*
 * Checks the global options once the whole command line is read, before
 * and after the verb, and opens -N; logs and returns -errno. proc_root is
 * where --root's /proc is written.
 */
static int global_open(struct tl_global *g, char *proc_root, size_t size)
{
	/* Messages name where the root came from: a variable is easily left. */
	const char *root_opt = g->root ? "--root" : "TCPLIMBO_ROOT";
	/* -N's name decoded: g->netns_spec points here for the run. */
	static char shown[TL_NETNS_SPEC_MAX];
	int fd;

	/* Given empty, it would read as not given: the machine's own. */
	if (g->root && !g->root[0]) {
		tl_err("--root '': give a directory (/ for this machine's own)");
		fprintf(stderr, "Try 'tcplimbo --help'.\n");
		return -EINVAL;
	}
	/* The environment is read here, never in the library. */
	if (!g->root)
		g->root = getenv("TCPLIMBO_ROOT");
	if (!g->root)
		g->root = "";
	/*
	 * A path no system call takes: said with its length, not quoted
	 * whole, which would push the cause out of the message.
	 */
	{
		const struct {
			const char *opt, *val;
		} paths[] = { { "--record", g->record_path },
			      { "--replay", g->replay_path },
			      { "--proc-root", g->proc_root },
			      { root_opt, g->root },
			      { "-N", g->netns_spec } };

		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			size_t len = paths[i].val ? strlen(paths[i].val) : 0;

			if (len < PATH_MAX)
				continue;
			tl_err("%s '%.40s...': %zu bytes, longer than a path "
			       "may be (%d with its end)",
			       paths[i].opt, paths[i].val, len, PATH_MAX);
			return -ENAMETOOLONG;
		}
	}
	if (g->root[0]) {
		struct stat st;
		int err = stat(g->root, &st) < 0 ? errno :
			  !S_ISDIR(st.st_mode)	 ? ENOTDIR :
						   0;

		if (err) {
			tl_err("%s '%s': %s", root_opt, g->root, strerror(err));
			return -err;
		}
	}
	if (g->owners_backend_arg &&
	    tl_owners_backend_parse(g->owners_backend_arg, &g->owners_backend) <
		    0) {
		tl_err("--owners-backend '%s': not auto, bpf or proc",
		       g->owners_backend_arg);
		fprintf(stderr, "Try 'tcplimbo --help'.\n");
		return -EINVAL;
	}
	if (g->threads_arg) {
		uint64_t v;

		if (tl_parse_uint(g->threads_arg, TL_OWNERS_MAX_THREADS, &v) <
			    0 ||
		    v == 0) {
			tl_err("--threads '%s': not a number from 1 to %d",
			       g->threads_arg, TL_OWNERS_MAX_THREADS);
			fprintf(stderr, "Try 'tcplimbo --help'.\n");
			return -EINVAL;
		}
		g->threads = (unsigned)v;
	}
	/* --record would empty the file before --replay read it. */
	if (g->record_path && g->replay_path) {
		tl_err("--record '%s' with --replay '%s': a replay reads no "
		       "dump from the kernel, so there is nothing to record "
		       "(copy the file to keep a second one)",
		       g->record_path, g->replay_path);
		return -EINVAL;
	}
	/* A dump is of the namespace it was recorded in, whatever -N says. */
	if (g->replay_path && g->netns_spec) {
		tl_err("--replay '%s' with -N '%s': a replay shows the network "
		       "namespace the dump was recorded in, and enters none",
		       g->replay_path, g->netns_spec);
		return -EINVAL;
	}
	if (g->owners_backend == TL_OWNERS_BPF &&
	    (g->proc_root_set || g->root[0])) {
		tl_err("--owners-backend bpf reads this machine's processes; "
		       "it cannot be combined with %s",
		       g->proc_root_set ? "--proc-root" : root_opt);
		return -EINVAL;
	}
	if (g->root[0] && !g->proc_root_set) {
		if (snprintf(proc_root, size, "%s/proc", g->root) >=
		    (int)size) {
			tl_err("%s '%s': the path is too long", root_opt,
			       g->root);
			return -ENAMETOOLONG;
		}
		g->proc_root = proc_root;
	}
	/* A missing --proc-root would otherwise fail the scan, unnamed. */
	fd = open(g->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		if (!g->proc_root_set && g->root[0])
			tl_err("%s '%s': its proc '%s': %s", root_opt, g->root,
			       g->proc_root, strerror(-fd));
		else
			tl_err("--proc-root '%s': %s", g->proc_root,
			       strerror(-fd));
		return fd;
	}
	if (!has_process_dir(fd) && !g->no_owners) {
		char what[32] = "";

		if (g->proc_root_set)
			snprintf(what, sizeof(what), "--proc-root ");
		else if (g->root[0])
			snprintf(what, sizeof(what), "the proc of %s ",
				 root_opt);
		tl_err("%s'%s' holds no process directory (PID/): no socket "
		       "will show an owner",
		       what, g->proc_root);
	}
	close(fd);
	if (!g->netns_spec)
		return 0;
	g->netns_fd = tl_netns_open_by(g->netns_spec, &g->netns_by);
	/* A name given as the output shows it, escapes and all. */
	if (g->netns_fd == -ENOENT && strchr(g->netns_spec, '\\') &&
	    esc_unescape(shown, sizeof(shown), g->netns_spec) > 0 &&
	    !strchr(shown, '/')) {
		int nfd = tl_netns_open_as(shown, TL_NETNS_BY_NAME);

		if (nfd >= 0) {
			g->netns_fd = nfd;
			g->netns_by = TL_NETNS_BY_NAME;
			g->netns_spec = shown;
		}
	}
	if (g->netns_fd < 0) {
		/* A pid's /proc/PID/ns/net needs ptrace access to it. */
		bool pid = strspn(g->netns_spec, "0123456789") ==
			   strlen(g->netns_spec);

		bool path = strchr(g->netns_spec, '/') != NULL;
		const char *why = strerror(-g->netns_fd);

		if (g->netns_fd == -EINVAL && path)
			why = "not a network namespace (those are "
			      "/proc/PID/ns/net and /var/run/netns/NAME)";
		else if (g->netns_fd == -EINVAL)
			why = "not a name, path or pid";
		else if (g->netns_fd == -ENOENT && pid &&
			 hidden_pid(g->netns_spec))
			why = "another user's process has that pid, and /proc "
			      "hides other users' processes from this user "
			      "(it is mounted with hidepid; run as root)";
		else if (g->netns_fd == -ENOENT && pid)
			why = "no process has that pid, nor has a namespace "
			      "that name in /var/run/netns";
		else if (g->netns_fd == -ENOENT && !path)
			why = "no such name in /var/run/netns (see 'ip "
			      "netns list')";
		/* /proc says EPERM, not EACCES, where hidepid=1 closes it. */
		tl_err("network namespace '%s': %s%s", g->netns_spec, why,
		       !pid ? "" :
		       g->netns_fd == -EPERM ?
			      " (/proc is mounted with hidepid=1, which "
			      "closes other users' /proc/PID to this "
			      "user; run as root)" :
		       g->netns_fd != -EACCES ?
			      "" :
		       !tl_real_root() ?
			      " (its /proc/PID/ns/net is open only to "
			      "the process's own user, and to root)" :
			      " (its /proc/PID/ns/net needs ptrace "
			      "access to the process, which is denied "
			      "here even to root)");
		return g->netns_fd;
	}
	return 0;
}

/*
 * Help, the version and every report end here: one whose output could not
 * all be written is not a result, so it exits 3. A verb that said so
 * already returned 3; the others are told here, once.
 */
static int finish(int ret)
{
	int err = fflush(stdout) != 0 ? errno : 0;

	if ((err || ferror(stdout)) && ret != TL_EXIT_FAILURE) {
		if (err)
			tl_err("cannot write output: %s", strerror(err));
		else
			tl_err("cannot write output: a write to standard "
			       "output failed");
		ret = TL_EXIT_FAILURE;
	}
	return ret;
}

static int run_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		TL_GLOBAL_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct tl_global g = {
		.family = AF_UNSPEC,
		.netns_fd = -1,
		.proc_root = "/proc",
	};
	struct tl_where where = { 0 };
	const struct tl_verb *verb = NULL;
	char **vargv, *argv0, progname[64], proc_root[4096];
	int c, ret, vargc;
	void *opts;

	/*
	 * '+' stops at the verb, so each verb parses its own options.
	 * getopt's messages name argv[0]: "tcplimbo", however it was run,
	 * as the verbs' messages do.
	 */
	argv0 = argv[0];
	argv[0] = "tcplimbo";
	while ((c = getopt_long(argc, argv, "+" TL_GLOBAL_SHORTOPTS "hV",
				longopts, NULL)) != -1) {
		if (tl_global_option(&g, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tcplimbo %s\n", TL_VERSION);
			return 0;
		default:
			tl_bad_option(c, argv);
			fprintf(stderr, "Try 'tcplimbo --help'.\n");
			return TL_EXIT_USAGE;
		}
	}
	argv[0] = argv0;
	if (optind >= argc) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[optind], verbs[i]->name) == 0)
			verb = verbs[i];
	if (!verb) {
		tl_err("unknown command '%s' (try --help)", argv[optind]);
		return TL_EXIT_USAGE;
	}
	if (verb->exec)
		return verb->exec(argc, argv);
	opts = calloc(1, verb->opts_size ? verb->opts_size : 1);
	if (!opts) {
		tl_err("out of memory");
		return TL_EXIT_FAILURE;
	}
	/* Each verb sees its own name as argv[0], like a separate program. */
	vargc = argc - optind;
	vargv = argv + optind;
	/* getopt's messages then read "tcplimbo ls: unrecognized option". */
	snprintf(progname, sizeof(progname), "tcplimbo %s", verb->name);
	vargv[0] = progname;
	optind = 0;
	ret = verb->parse(&g, opts, vargc, vargv);
	if (ret == TL_PARSE_HELP) {
		ret = 0;
		goto out;
	}
	if (ret >= 0 && g.twice_opt) {
		tl_err("%s given twice ('%s', then '%s'): give it once",
		       g.twice_opt, g.twice_first, g.twice_second);
		ret = -1;
	}
	if (ret < 0) {
		fprintf(stderr, "Try 'tcplimbo %s --help'.\n", verb->name);
		ret = TL_EXIT_USAGE;
		goto out;
	}
	g.where = &where;
	if (global_open(&g, proc_root, sizeof(proc_root)) < 0) {
		ret = TL_EXIT_USAGE;
		goto out;
	}
	ret = verb->run(&g, opts);
	if (g.netns_fd >= 0)
		close(g.netns_fd);
out:
	tl_cgroups_free(where.cg);
	free(opts);
	return ret;
}

int main(int argc, char **argv)
{
	return finish(run_main(argc, argv));
}
