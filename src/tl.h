/* SPDX-License-Identifier: MIT */
/*
 * The tcplimbo command's shared declarations: global options, the verb
 * table's shape and the helpers every verb uses. Only src/ includes this.
 */
#ifndef TL_CMD_H
#define TL_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcplimbo/snapshot.h"

struct tl_where;

/*
 * Exit status: one table for every verb (tcplimbo --help, tcplimbo(8)).
 * 1 and 2 are results, not errors: the doctor's WARNING and CRITICAL (the
 * monitoring-plugin codes), kill's and drain's "not everything was done".
 * 3 is "could not do it", a bad command line included: the doctor's
 * UNKNOWN. A verb with no such result uses only 0 and 3. lab run stopped
 * by a signal exits 128 + its number, as a shell reports it.
 */
#define TL_EXIT_OK 0
#define TL_EXIT_WARNING 1  /* doctor: warnings; kill, drain: partly done */
#define TL_EXIT_CRITICAL 2 /* doctor: something critical */
#define TL_EXIT_FAILURE 3  /* could not do it (doctor: UNKNOWN) */
#define TL_EXIT_USAGE 3	   /* a bad command line: could not do it either */

/* The table above, for --help. */
#define TL_EXIT_HELP                                                        \
	"Exit status (every command):\n"                                    \
	"  0  done; doctor: nothing found\n"                                \
	"  1  doctor: warnings; kill, drain: not everything done\n"         \
	"  2  doctor: something critical\n"                                 \
	"  3  could not do it: a bad command line, or a failure (doctor:\n" \
	"     UNKNOWN); the message on stderr says which\n"                 \
	"  128+N  lab run stopped by signal N\n"

/*
 * Options that mean the same for every verb, given before or after it.
 * main fills this (through tl_global_option) while the command line is
 * parsed and opens -N; after that every verb only reads it.
 */
struct tl_global {
	int family;	   /* AF_UNSPEC (none or both of -4 -6), AF_INET(6) */
	unsigned families; /* TL_FAM_* of the -4 and -6 given */
	bool json;
	bool no_owners;
	const char *netns_spec;	 /* -N as given (escapes decoded where that
				    is a name), or NULL */
	int netns_fd;		 /* opened from netns_spec, or -1 */
	int netns_by;		 /* how it was taken: enum tl_netns_by */
	const char *record_path; /* --record FILE: save the raw dump */
	const char *replay_path; /* --replay FILE: read a saved dump */
	const char *proc_root;	 /* --proc-root DIR (tests), default /proc */
	bool proc_root_set;	 /* --proc-root was given */
	/*
	 * --root DIR or $TCPLIMBO_ROOT: the prefix of /proc, /sys, /run and
	 * /var/lib (tests' fake trees); "" for the real ones.
	 */
	const char *root;
	/* The cgroup map (src/context.h), filled on first use. */
	struct tl_where *where;
	/* --owners-backend and --threads as given; checked by main. */
	const char *owners_backend_arg, *threads_arg;
	enum tl_owners_backend owners_backend; /* from owners_backend_arg */
	unsigned threads; /* from threads_arg; 0: one per CPU */
	bool verbose;	  /* -v: say how owners were found */
	/*
	 * Set by a verb whose output shows no tcp_info or drops (ls's
	 * table), so its dump asks for neither. --record keeps them.
	 */
	bool no_details;
	/*
	 * An option that names what is looked at (-N, --record, --replay,
	 * --proc-root, --root) given twice with different values: its name
	 * and both values, for main to refuse.
	 */
	const char *twice_opt, *twice_first, *twice_second;
};

#define TL_FAM_INET 1u
#define TL_FAM_INET6 2u

/* getopt_long codes of the global long options without a short form. */
enum {
	TL_GOPT_NO_OWNERS = 0x4000,
	TL_GOPT_RECORD,
	TL_GOPT_REPLAY,
	TL_GOPT_PROC_ROOT,
	TL_GOPT_ROOT,
	TL_GOPT_OWNERS_BACKEND,
	TL_GOPT_THREADS,
};

/* The global short options, to put first in every verb's optstring. */
/*
 * The leading ':' keeps getopt quiet: its messages would pass the bytes of
 * a bad option to the terminal as they are. tl_bad_option says it instead.
 */
#define TL_GLOBAL_SHORTOPTS ":N:46jv"

/* The global long options as struct option entries, for every longopts. */
#define TL_GLOBAL_LONGOPTS                                                   \
	{ "netns", required_argument, NULL, 'N' },                           \
		{ "json", no_argument, NULL, 'j' },                          \
		{ "no-owners", no_argument, NULL, TL_GOPT_NO_OWNERS },       \
		{ "record", required_argument, NULL, TL_GOPT_RECORD },       \
		{ "replay", required_argument, NULL, TL_GOPT_REPLAY },       \
		{ "proc-root", required_argument, NULL, TL_GOPT_PROC_ROOT }, \
		{ "root", required_argument, NULL, TL_GOPT_ROOT },           \
		{ "owners-backend", required_argument, NULL,                 \
		  TL_GOPT_OWNERS_BACKEND },                                  \
		{ "threads", required_argument, NULL, TL_GOPT_THREADS },     \
	{                                                                    \
		"verbose", no_argument, NULL, 'v'                            \
	}

/* One line for each verb's --help: the global options work there too. */
#define TL_GLOBAL_HELP                                                         \
	"Global options, before or after the command (see tcplimbo --help):\n" \
	"  -N NS, -4, -6, -j/--json, --no-owners, --record FILE,\n"            \
	"  --replay FILE, --proc-root DIR, --root DIR,\n"                      \
	"  --owners-backend auto|bpf|proc, --threads N, -v/--verbose\n"

/*
 * Takes one option getopt_long returned if it is a global one. Returns 1
 * when it was (and was stored in g), 0 when it is not a global option.
 */
int tl_global_option(struct tl_global *g, int c, const char *arg);

/*
 * Says what was wrong when getopt_long returned c ('?' an unknown option
 * or an argument given to one that takes none, ':' a missing argument)
 * for the argv it was parsing, as getopt would have, with the option's
 * bytes escaped.
 */
void tl_bad_option(int c, char *const *argv);

/*
 * What a verb's parse function returns besides 0: its --help was printed
 * (exit 0), or the command line was wrong and the message is printed
 * (main adds "Try 'tcplimbo VERB --help'." and exits with the usage
 * status).
 */
#define TL_PARSE_HELP 1
#define TL_PARSE_BAD (-1)

/*
 * A verb: parse reads argv (argv[0] is "tcplimbo VERB") into opts, a
 * zeroed struct of opts_size bytes that main owns, and global options
 * into g; run does the work with g read-only and returns the exit status.
 * Registered by one line in main.c.
 */
struct tl_verb {
	const char *name;
	const char *help;
	size_t opts_size;
	int (*parse)(struct tl_global *g, void *opts, int argc, char **argv);
	int (*run)(const struct tl_global *g, void *opts);
	/*
	 * Set for a verb that lives in a program of its own (serve, so that
	 * its HTTP and TLS libraries load only for it): runs that program
	 * with the whole command line and returns only on failure, with the
	 * exit status. parse and run are then not called.
	 */
	int (*exec)(int argc, char **argv);
};

/* Prints "tcplimbo: " and the message to stderr, with a newline. */
void tl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Fills snapshot options from the global ones and takes a snapshot,
 * opening and closing the record/replay files. Logs the failure itself
 * and returns -errno.
 */
int tl_take_snapshot(const struct tl_global *g, uint32_t states,
		     struct tl_snapshot **ret);

/*
 * The same, streamed (tl_snapshot_stream): cb gets each socket of the
 * states asked for as the dump brings it, and *ret keeps only the owners
 * and the listeners. A --replay is taken whole, then handed to cb the
 * same way. A negative return from cb stops it.
 */
int tl_stream_snapshot(const struct tl_global *g, uint32_t states,
		       tl_snapshot_cb cb, void *arg, struct tl_snapshot **ret);

/*
 * Says why a snapshot failed with err, naming the file behind it (the
 * --replay or --record file) and the cause where strerror alone would
 * mislead: an empty or foreign dump, a /proc file as a recording.
 */
void tl_snapshot_why(const struct tl_global *g, int err, char *buf,
		     size_t size);

/*
 * The same in the namespace netns_fd (-1: this process's) instead of
 * -N's, logging nothing: the doctor reports a failure per namespace.
 * Returns -errno.
 */
int tl_take_snapshot_in(const struct tl_global *g, int netns_fd,
			uint32_t states, struct tl_snapshot **ret);

/*
 * Parses a duration into milliseconds: digits and a unit (ms, s, m, h), or
 * bare digits counted in bare_ms (each option keeps the unit it always
 * had: 1000 for seconds, 1 for milliseconds). The digits may have a
 * fraction of up to 9 digits that comes to whole milliseconds ("1.5s").
 * Returns 0, -EINVAL (not a duration, or not whole milliseconds) or
 * -ERANGE (outside min_ms..max_ms, or too many digits).
 */
int tl_parse_duration(const char *s, uint64_t bare_ms, uint64_t min_ms,
		      uint64_t max_ms, uint64_t *ret_ms);

/*
 * Writes ms in its largest whole unit ("2m", "1500ms") for messages and
 * returns the length snprintf gave.
 */
size_t tl_duration_str(char *buf, size_t size, uint64_t ms);

/*
 * tl_parse_duration for an option: on failure logs one line naming the
 * verb, the option, the bad value, the range and the accepted forms, and
 * returns -EINVAL.
 */
int tl_duration_option(const char *verb, const char *opt, const char *arg,
		       uint64_t bare_ms, uint64_t min_ms, uint64_t max_ms,
		       uint64_t *ret_ms);

/*
 * strerror, but for running out of fds or memory it says so with the
 * process's own limit (ulimit -n, ulimit -v) when one is set: libraries
 * report these by their consequence, and the limit is what to change.
 * Returns buf or a static string.
 */
const char *tl_strerror_limit(int err, char *buf, size_t size);

/* Parses a port 0..65535 (decimal only); returns 0 or -EINVAL. */
int tl_parse_port(const char *s, uint16_t *ret);

/*
 * An address to listen on: "1.2.3.4:PORT", "[::1]:PORT" or ":PORT" (every
 * address, both families), port 1 to 65535, into *ss; *ret_v6 for an
 * IPv6 socket. Numeric addresses only: a name would be resolved behind
 * the user's back. Returns 0 or -EINVAL.
 */
struct sockaddr_storage;
int tl_parse_listen(const char *s, struct sockaddr_storage *ss, bool *ret_v6);

/*
 * The largest pid Linux gives (PID_MAX_LIMIT - 1, pid_max at its most):
 * a larger --pid names no process on any machine.
 */
#define TL_PID_MAX 4194303

/*
 * Parses a non-negative decimal integer no larger than max; returns 0 or
 * -EINVAL (empty, junk, sign, overflow).
 */
int tl_parse_uint(const char *s, uint64_t max, uint64_t *ret);

/*
 * The note for processes whose fds could not be read (EACCES, EPERM) in
 * one or more scans (a scan given twice and a pid seen twice count once):
 * "the fds of pid 1 could not be read even as root (Permission denied)".
 * It says what happened and to whom, and suggests root only to someone
 * who is not (and CAP_SYS_PTRACE to a root that lacks it). Writes "" when there are none; returns how many.
 */
size_t tl_denied_note(char *buf, size_t size,
		      const struct tl_owners *const *scans, size_t n_scans);

/*
 * What would read the fds a process could not: "; root could" to a user,
 * "; this process lacks CAP_SYS_PTRACE, ..." to a root without it, else
 * "" (root had every right, and something else refused).
 */
const char *tl_fds_denied_hint(void);

/* What a scan whose /proc hides other users' processes did not see. */
#define TL_HIDDEN_NOTE                                                        \
	"other users' processes are hidden from this user (/proc is mounted " \
	"with hidepid; run as root to see them)"

/*
 * Returns the process that task pid belongs to, saying so on stderr (with
 * verb, or NULL, and the option that gave it) where pid is one of its
 * threads, as top -H and ps -L show them; pid itself otherwise, or when
 * /proc cannot tell.
 */
pid_t tl_pid_process(const struct tl_global *g, const char *verb,
		     const char *opt, pid_t pid);

/*
 * Says on stderr, once, which processes' fds snap's owner scan could not
 * read (tl_denied_note): their sockets show no owner, and --pid or --comm
 * cannot match them. verb ("kill") prefixes it, or NULL.
 */
void tl_warn_denied(const char *verb, const struct tl_snapshot *snap);

/*
 * Whether this process is root of the host: euid 0 in the initial user
 * namespace, not root of a namespace a user made (unshare -r), whom the
 * host's processes are still closed to. True when it cannot tell.
 */
bool tl_real_root(void);

/*
 * Why the BPF owners pass refused with err (-EPERM: privileges,
 * -EOPNOTSUPP: a build without bpf), as a phrase, where backend (enum
 * tl_owners_backend) is bpf and owners were asked for; else NULL.
 */
const char *tl_bpf_refused_why(int backend, bool owners, int err);

/*
 * Why this process may not enter the network namespace netns_fd, in
 * parentheses: CAP_SYS_ADMIN, or for a user's own rootless container, to
 * run inside its user namespace, through the process pid (0 where the
 * namespace was not given by a pid: the command then says PID). Returns
 * buf or a static string.
 */
const char *tl_enter_hint(int netns_fd, pid_t pid, char *buf, size_t size);

/* The pid -N named the namespace by, or 0 (a name, a path, none). */
pid_t tl_netns_pid(const struct tl_global *g);

/*
 * Whether -N, given by a name or a pid, still names the namespace opened
 * at start: 0 so (or where -N was a path or not given), -ENOENT when the
 * name is deleted or the process has exited, -ESTALE when it names another
 * namespace now (deleted and made again; a pid given to another process).
 */
int tl_netns_moved(const struct tl_global *g);

/*
 * Whether nothing more can happen in -N's namespace: no process this
 * /proc shows is in it, no name or mount holds it (only an fd such as
 * ours), and no TCP socket is left, which a process elsewhere could hold
 * (made after a setns(), or passed over a unix socket).
 */
bool tl_netns_over(const struct tl_global *g);

struct tl_survey_ns;

/*
 * A surveyed namespace's label, into buf: "host" for the host's, its name
 * under /var/run/netns (single_name, -N's, where the survey has none),
 * as name:NAME where the name itself reads as another label (host,
 * net:[...], name:...) so that two namespaces never share one, else
 * net:[INODE]. Returns buf.
 */
const char *tl_netns_label(const struct tl_survey_ns *ns,
			   const char *single_name, char *buf, size_t size);

/*
 * A namespace's name as a label: one that would read as the host's or an
 * unnamed namespace's label, or as one of these, is given as name:NAME,
 * so that two namespaces never share a label ("host" named with ip netns
 * add would otherwise merge its series with the host's).
 */
void tl_netns_name_label(char *buf, size_t size, const char *name);

/*
 * The label of the one namespace a command looks at, as the doctor gives
 * it: -N's name where it was given by name, net:[INODE] (pid PID) by a
 * pid, net:[INODE] by a path; without -N, "host" for the host's, its
 * name under /var/run/netns (in ip netns exec), else net:[INODE]. Sets
 * *ret_ino to its inode (0 if not known). Returns buf.
 */
const char *tl_netns_label_of(const struct tl_global *g, uint64_t *ret_ino,
			      char *buf, size_t size);

/*
 * Whether this process has capability cap (CAP_NET_ADMIN, ...) in its
 * effective set, in its own user namespace; false when it cannot tell.
 */
bool tl_have_cap(int cap);

/*
 * Whether this process has what loading BPF programs takes: CAP_BPF and
 * CAP_PERFMON, or CAP_SYS_ADMIN (in its own user namespace, as above).
 */
bool tl_have_bpf_caps(void);

/* The verbs, one struct each in its cmd-VERB.c. */
extern const struct tl_verb tl_verb_doctor;
extern const struct tl_verb tl_verb_drain;
extern const struct tl_verb tl_verb_explain;
extern const struct tl_verb tl_verb_kill;
extern const struct tl_verb tl_verb_lab;
extern const struct tl_verb tl_verb_ls;
extern const struct tl_verb tl_verb_serve;
extern const struct tl_verb tl_verb_watch;

#endif
