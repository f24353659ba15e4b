/* SPDX-License-Identifier: MIT */
/*
 * ls's socket filters, shared by every command that lists or follows
 * sockets (ls, watch, kill), so the same options mean the same thing.
 */
#ifndef TL_FILTER_H
#define TL_FILTER_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tcplimbo/context.h"
#include "tcplimbo/events.h"
#include "tcplimbo/snapshot.h"

struct tl_global;

/* Most --pid or --comm values one filter takes. */
#define TL_FILTER_MAX_LIST 64

/* What a filter holds; each kind is one tl_filter_empty() checks. */
struct tl_filter {
	uint32_t states; /* 0: every real state */
	int nsport, ndport, naddr, npid, ncomm, nlimbo, nunit, ncontainer;
	/* Ports from sport[i] to sport_hi[i] (a range LO-HI, or one). */
	uint16_t sport[TL_FILTER_MAX_LIST], sport_hi[TL_FILTER_MAX_LIST];
	uint16_t dport[TL_FILTER_MAX_LIST], dport_hi[TL_FILTER_MAX_LIST];
	struct {
		int family;
		uint8_t a[16];
		uint8_t bits; /* ADDR/BITS: a prefix; 32 or 128 for one */
		char dev[16]; /* ADDR%DEV: the device, by name or index */
	} addr[TL_FILTER_MAX_LIST];
	pid_t pid[TL_FILTER_MAX_LIST];
	/* Process names, as given or as the table shows them (esc_name_arg). */
	char comm[TL_FILTER_MAX_LIST][16];
	int limbo[TL_FILTER_MAX_LIST];
	const char *unit[TL_FILTER_MAX_LIST];
	const char *container[TL_FILTER_MAX_LIST];
	/*
	 * Each unit and container name as the output shows it, escapes
	 * decoded (esc_unescape), or "": either form matches. (A systemd
	 * unit name may hold a real "\x2d" too, so the one given stays.)
	 */
	char unit_shown[TL_FILTER_MAX_LIST][TL_CONTEXT_STR_MAX];
	char container_shown[TL_FILTER_MAX_LIST][TL_CONTEXT_STR_MAX];
	/* Where holders' cgroups are read (tl_filter_check sets it). */
	const char *proc_root;
};

/* getopt_long codes of the filter options; commands use codes below. */
enum {
	TL_FOPT_STATE = 0x1000,
	TL_FOPT_SPORT,
	TL_FOPT_DPORT,
	TL_FOPT_ADDR,
	TL_FOPT_PID,
	TL_FOPT_COMM,
	TL_FOPT_LIMBO,
	TL_FOPT_UNIT,
	TL_FOPT_CONTAINER,
};

/* The filter options as struct option entries, to put in a longopts. */
#define TL_FILTER_LONGOPTS                                              \
	{ "state", required_argument, NULL, TL_FOPT_STATE },            \
		{ "sport", required_argument, NULL, TL_FOPT_SPORT },    \
		{ "dport", required_argument, NULL, TL_FOPT_DPORT },    \
		{ "addr", required_argument, NULL, TL_FOPT_ADDR },      \
		{ "pid", required_argument, NULL, TL_FOPT_PID },        \
		{ "comm", required_argument, NULL, TL_FOPT_COMM },      \
		{ "limbo", required_argument, NULL, TL_FOPT_LIMBO },    \
		{ "unit", required_argument, NULL, TL_FOPT_UNIT },      \
	{                                                               \
		"container", required_argument, NULL, TL_FOPT_CONTAINER \
	}

/* Help text lines for the filter options. */
#define TL_FILTER_HELP                                                        \
	"  --state STATE    a state or group (close-wait, connected, ...);\n" \
	"                   repeatable\n"                                     \
	"  --sport PORT     local port, or ports LO-HI; repeatable\n"         \
	"  --dport PORT     remote port, or ports LO-HI; repeatable\n"        \
	"  --addr ADDR      local or remote address, or ADDR/BITS;\n"         \
	"                   repeatable\n"                                     \
	"  --pid PID        held by PID (or its listener is); repeatable\n"   \
	"  --comm NAME      held by a process named NAME; repeatable\n"       \
	"  --limbo CLASS    accept-queue, orphan, timewait or none;\n"        \
	"                   repeatable\n"                                     \
	"  --unit NAME      in systemd unit NAME (nginx = nginx.service);\n"  \
	"                   repeatable\n"                                     \
	"  --container NAME|ID  in a container or pod of that name, or\n"     \
	"                   with that id (4 hex digits or more); repeatable\n"

/*
 * Handles one filter option (opt is a TL_FOPT_* code) of the command verb
 * ("ls"), which its messages name. Returns 1 when it was a filter option
 * and was taken, 0 when opt is not a filter option, or -EINVAL after
 * logging what was wrong with arg.
 */
int tl_filter_option(struct tl_filter *f, const char *verb, int opt,
		     const char *arg);

/*
 * The part of the filter watch's bpf program applies in the kernel:
 * states, and ports and addresses when there are few enough of them. It
 * only drops what tl_filter_match would drop, so callers still match what
 * arrives (owners, limbo and the rest are user space's).
 */
void tl_filter_to_events(const struct tl_filter *f,
			 struct tl_events_filter *ef);

/* The kernel state mask the filter needs. */
uint32_t tl_filter_states(const struct tl_filter *f);

/*
 * Whether a process passes f's --pid and --comm (each, when given, by one
 * of its values; a --comm value as the table shows it, escapes and all,
 * or as the bytes).
 */
bool tl_filter_owner_match(const struct tl_filter *f, pid_t pid,
			   const char *comm);

/* Does this socket of the snapshot pass every filter given? */
bool tl_filter_match(const struct tl_filter *f, const struct tl_snapshot *snap,
		     const struct tl_sock *sk);

/* Was no filter given (every socket in a real state passes)? */
bool tl_filter_empty(const struct tl_filter *f);

/* Does the filter look at owners (so /proc must be scanned)? */
bool tl_filter_needs_owners(const struct tl_filter *f);

/*
 * Refuses --pid and --comm under --no-owners, which would match nothing:
 * logs it for verb and returns -EINVAL, else 0.
 */
int tl_filter_check_owners(const struct tl_filter *f, const struct tl_global *g,
			   const char *verb);

/*
 * Does the filter look at contexts (--unit, --container)? Then the
 * snapshot needs its cgroup map (ctx_attach) before tl_filter_match.
 */
bool tl_filter_needs_context(const struct tl_filter *f);

/*
 * Checks that contexts can be had when the filter needs them; logs why
 * not (no cgroup2, a replayed dump) and returns -ENOENT, else 0.
 */
int tl_filter_check_context(const struct tl_filter *f,
			    const struct tl_global *g);

/*
 * For a one-shot run (ls, kill; a watch sees units start later): notes on
 * stderr each --unit that no cgroup is named after, which matches nothing.
 */
void tl_filter_note_units(const struct tl_filter *f, const struct tl_global *g);

/*
 * Notes on stderr each --pid no process has and each --comm no process
 * bears, in snap's owners (none: not looked for, nothing said), which
 * match nothing; later, if not NULL, is added to each (watch's "until
 * one starts").
 */
void tl_filter_note_procs(const struct tl_filter *f,
			  const struct tl_snapshot *snap, const char *later);

/*
 * For a run whose --unit and --container matched no socket: notes on
 * stderr each unit or container whose processes looked at (up to 64) are
 * none of them in this network namespace, with the -N that shows its
 * sockets.
 */
void tl_filter_note_elsewhere(const struct tl_filter *f,
			      const struct tl_global *g);

/*
 * The checks that need the global options, which may come after the verb
 * (--root, -N, --replay): tl_filter_check_context, and that each %DEVICE
 * of an --addr names a device of the namespace looked at (a name nothing
 * could match would make an empty answer look like a true one). Takes a
 * --pid that names a thread as its process (tl_pid_process). Logs what is
 * wrong and returns -errno, else 0.
 */
int tl_filter_check(struct tl_filter *f, const struct tl_global *g);

/* Does a context pass --unit and --container (true when neither given)? */
bool tl_filter_context(const struct tl_filter *f, const struct tl_context *c);

#endif
