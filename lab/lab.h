/* SPDX-License-Identifier: MIT */
/*
 * The lab: the blog post's server and client as real programs, and a runner
 * that starts them in a private network namespace, takes a snapshot after
 * each step of a scenario and explains what the kernel did. This is command
 * code (it prints and picks exit codes), not library code.
 */
#ifndef TL_LAB_H
#define TL_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "json.h"
#include "tcplimbo/snapshot.h"

/* Exit status of lab run when a signal stopped it: 128 + the signal. */
#define LAB_EXIT_SIGNAL 128

/* Most client connections, server fd limit and hook commands we accept. */
#define LAB_MAX_COUNT 1024
#define LAB_MAX_NOFILE 65536
#define LAB_MAX_HOOKS 8
#define LAB_MAX_PROCS 16

/* The longest a single wait of a scenario may be, in seconds. */
#define LAB_MAX_WAIT 3600

/* How long a step may take to show what it expects, in ms. */
#define LAB_STEP_MS 3000

/*
 * Writes one log line to stdout the way the post's Go programs do
 * ("2020/03/30 17:57:45 Dial ..."), tagged with who is speaking and its
 * pid, in one write() so lines of several processes do not mix.
 */
void lab_log(const char *who, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Formats a socket address "1.2.3.4:5" or "[::1]:5" into buf; returns buf. */
const char *lab_sockaddr_str(char *buf, size_t size, const void *sa);

/* lab server and lab client: their own options; return the exit status. */
int lab_server_main(int argc, char **argv);
int lab_client_main(int argc, char **argv);

/* How the seed scenario ends. */
enum lab_end {
	LAB_END_ACCEPT = 0, /* the server starts accepting (the post's cure) */
	LAB_END_EXIT,	    /* the server exits without accepting */
	LAB_END_DRAIN,	    /* tcplimbo drains the queue from outside */
};

/* Options of lab run, filled by cmd-lab.c. */
struct lab_opts {
	const char *scenario;
	unsigned wait_ms; /* how long each step is shown */
	bool json;
	bool shared_netns; /* --no-netns: run in our namespace */
	bool port_set;
	uint16_t port; /* 0: 3000 in a private namespace, else free */
	const char *hooks[LAB_MAX_HOOKS]; /* --hook: after every step */
	size_t n_hooks;
	const char *thens[LAB_MAX_HOOKS]; /* --then: once, at then_at */
	size_t n_thens;
	const char *then_at; /* step name; NULL means the last step */
	int end;	     /* enum lab_end: how the seed scenario ends */
	unsigned hook_timeout_ms;
};

struct lab_run;

/* One scenario: its name, a one-line summary and its steps. */
struct lab_scenario {
	const char *name;
	const char *summary;
	int (*fn)(struct lab_run *r);
	/* Its step names, NULL-terminated: what --then-at may name. */
	const char *const *steps;
};

/* The scenarios, terminated by an entry with a NULL name. */
extern const struct lab_scenario lab_scenarios[];

/*
 * Scenarios in their own files: lab/scenarios_close.c (fin-wait2,
 * time-wait) and lab/scenarios_why.c, programs that stop accepting for a
 * reason the doctor can show from /proc.
 */
int lab_sc_stopped(struct lab_run *r);
int lab_sc_fin_wait2(struct lab_run *r);
int lab_sc_time_wait(struct lab_run *r);
int lab_sc_epollet(struct lab_run *r);
int lab_sc_oneshot(struct lab_run *r);
int lab_sc_limit(struct lab_run *r);
int lab_sc_leak_emfile(struct lab_run *r);
int lab_sc_inherited(struct lab_run *r);

/* Returns the scenario with this name, or NULL. */
const struct lab_scenario *lab_scenario_find(const char *name);

/*
 * Is name one of the scenario's steps? lab run checks --then-at with it
 * before starting, and each step when it begins, so the list cannot drift
 * from what the scenario does.
 */
bool lab_scenario_has_step(const struct lab_scenario *sc, const char *name);

/* Runs one scenario and returns the exit status of lab run. */
int lab_run(const struct lab_opts *opts);

/* A process the runner started: server, client or hook. */
struct lab_proc {
	pid_t pid; /* also its process group */
	int sync;  /* our end of its control socket, or -1 */
	bool reaped;
	int status; /* waitpid status once reaped */
	char role[16];
	char linebuf[256]; /* bytes read from sync not yet used */
	size_t linelen;
};

/* Which sockets of the scenario's port an expectation counts. */
enum lab_side {
	LAB_LISTENER, /* the LISTEN socket on the port */
	LAB_SERVER,   /* connections whose local port is the port */
	LAB_CLIENT,   /* connections whose remote port is the port */
};

/*
 * What a step waits for: between min and max sockets on one side in one
 * state (0: any state but LISTEN), with a limbo class (-1: any) and a
 * Recv-Q (-1: any).
 */
struct lab_expect {
	int side;
	int state;
	int limbo;
	long rqueue;
	unsigned min;
	unsigned max;
};

/* The runner's state, shared by lab/runner.c and lab/scenarios.c. */
struct lab_run {
	const struct lab_opts *opts;
	const struct lab_scenario *sc;
	FILE *out;
	struct json json; /* --json: the transcript on out, flushed a step */
	bool private_netns;
	uint64_t netns_inode;
	char addr[64];
	uint16_t port;
	int sigfd;
	int signo;	/* the signal that stopped us, or 0 */
	bool failed;	/* a step did not see what it expected */
	bool step_open; /* between lab_step_begin and lab_step_end */
	bool step_ok;
	unsigned n_steps;
	char last_step[64];
	bool thens_done;
	bool tearing_down;	 /* waits ignore signals: cleanup must finish */
	struct lab_proc *server; /* the current server, for hooks */
	char text[4096];	 /* the step's explanation so far */
	size_t text_len;
	char missing[1024]; /* the step's unmet expectations, one a line */
	size_t missing_len;
	struct lab_proc procs[LAB_MAX_PROCS];
	size_t n_procs;
};

/*
 * Process control for scenarios. All waits are bounded and return -EINTR
 * when a signal asked us to stop, -ETIMEDOUT or -EPIPE (the process died).
 */
int lab_spawn(struct lab_run *r, const char *role, const char *const *args,
	      struct lab_proc **ret);
int lab_expect_line(struct lab_run *r, struct lab_proc *p, const char *word,
		    unsigned timeout_ms, char *rest, size_t size);
int lab_go(struct lab_run *r, struct lab_proc *p);
int lab_reap(struct lab_run *r, struct lab_proc *p, unsigned timeout_ms);
int lab_stop(struct lab_run *r, struct lab_proc *p);
int lab_sleep(struct lab_run *r, unsigned ms, const char *why);

/*
 * Starts a server in the given mode with extra options (NULL-terminated)
 * and waits until it listens; learns the port when it was 0.
 */
int lab_start_server(struct lab_run *r, const char *mode,
		     const char *const *extra, struct lab_proc **ret);

/* Starts a client of the server with extra options and waits its dial. */
int lab_start_client(struct lab_run *r, const char *const *extra,
		     struct lab_proc **ret);

/* Sends "go" and waits for the client's next phase (word). */
int lab_client_next(struct lab_run *r, struct lab_proc *p, const char *word);

/*
 * Takes snapshots until every expectation holds or timeout_ms passes.
 * Returns 0 (met) or -ETIMEDOUT with the last snapshot in *ret either way,
 * or another -errno with *ret NULL.
 */
int lab_await(struct lab_run *r, const struct lab_expect *e, size_t n,
	      unsigned timeout_ms, struct tl_snapshot **ret);

/* Counts the sockets of a snapshot one expectation matches. */
unsigned lab_count(const struct lab_run *r, const struct tl_snapshot *snap,
		   const struct lab_expect *e);

/*
 * What the kernel keeps of the closed sockets an expectation matches: the
 * full socket (an orphan) or a timewait entry in its place, which depends
 * on a race (see scenarios_close.c). Returns a phrase for the
 * explanations: "a timewait entry", "orphans", "timewait entries and
 * orphans", in the singular when many is false.
 */
const char *lab_closed_kind(const struct lab_run *r,
			    const struct tl_snapshot *snap,
			    const struct lab_expect *e, bool many);

/* Returns the first socket an expectation matches, or NULL. */
const struct tl_sock *lab_find(const struct lab_run *r,
			       const struct tl_snapshot *snap,
			       const struct lab_expect *e);

/*
 * One step of the transcript: begin, then sockets, numbers and the
 * explanation in any order, then end. ok false marks the step failed.
 */
void lab_step_begin(struct lab_run *r, const char *name);
void lab_step_sockets(struct lab_run *r, const struct tl_snapshot *snap);
void lab_step_num(struct lab_run *r, const char *key, double v,
		  const char *unit);
void lab_step_text(struct lab_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lab_step_missing(struct lab_run *r, const struct tl_snapshot *snap,
		      const struct lab_expect *e, size_t n);
int lab_step_end(struct lab_run *r);

/*
 * Runs a step: awaits the expectations, prints the sockets and marks what
 * was missing. Returns 0, or -EINTR/-errno; *ret gets the snapshot (free
 * it) when not NULL.
 */
int lab_step(struct lab_run *r, const char *name, const struct lab_expect *e,
	     size_t n, unsigned timeout_ms, struct tl_snapshot **ret);

/*
 * The opening most scenarios share: a server in mode with sargs, a client
 * with cargs, the client's phases waited for in order, then the first step
 * (step, e, n) with both pids. It is written once so that each scenario
 * says only what differs; scenarios that act between these (a signal, a
 * sleep, a measurement) call lab_start_server, lab_start_client and
 * lab_step themselves.
 */
struct lab_opening {
	const char *mode;	  /* the server's mode */
	const char *const *sargs; /* its extra options, or NULL */
	const char *const *cargs; /* the client's options */
	const char *phases[3];	  /* lab_client_next words, up to a NULL */
	const char *step;	  /* the first step's name */
	const struct lab_expect *e;
	size_t n;
};

/*
 * Runs an opening, each step waiting at most LAB_STEP_MS. Returns 0 with
 * the first step open, for the scenario to add its numbers and text, or
 * -EINTR/-errno; *srv, *cli and *snap (when snap is not NULL) are set as
 * lab_start_server, lab_start_client and lab_step set them.
 */
int lab_open(struct lab_run *r, const struct lab_opening *o,
	     struct lab_proc **srv, struct lab_proc **cli,
	     struct tl_snapshot **snap);

/* Reads utime+stime of a process in seconds; returns 0 or -errno. */
int lab_cpu_seconds(pid_t pid, double *ret);

/*
 * Finds a counter in /proc/net/netstat or /proc/net/snmp text (NUL
 * terminated): the line pair starting with prefix ("Tcp:"), the value
 * under name. Returns 0, -ENOENT or -EINVAL (not a plain decimal).
 */
int lab_parse_counter(const char *buf, const char *prefix, const char *name,
		      uint64_t *ret);

/* Reads such a file of our namespace (path) and finds the counter. */
int lab_counter(const char *path, const char *prefix, const char *name,
		uint64_t *ret);

/* Writes a value to /proc/sys/... of our namespace; returns 0 or -errno. */
int lab_sysctl_write(const char *path, const char *value);

/*
 * Starts sleep SECONDS with fd open across exec, the way a server that
 * forgets close-on-exec hands each connection to the programs it starts
 * (its other fds are closed in the child, and its standard streams are
 * /dev/null). Returns the child's pid, or -errno.
 */
pid_t lab_spawn_inheritor(int fd, unsigned seconds);

/*
 * Shared by the runner's files (runner.c, spawn.c, step.c), not by
 * scenarios: the monotonic clock in ms; a wait on fd (-1: none) that also
 * watches the signalfd (1 readable, 0 timeout, -EINTR); starting a child
 * (sync: with a control socket on fd 3); reaping one that has exited; an
 * exit status in words; running hook commands.
 */
uint64_t lab_now_ms(void);
int lab_poll(struct lab_run *r, int fd, unsigned ms);
int lab_fork(struct lab_run *r, const char *role, char *const *argv, bool sync,
	     struct lab_proc **ret);
bool lab_try_reap(struct lab_proc *p);
const char *lab_status_str(char *buf, size_t size, int status);
void lab_run_hooks(struct lab_run *r, const char *const *cmds, size_t n,
		   bool must_pass);

/*
 * Shared by the scenario files: CLOCK_MONOTONIC in seconds; the namespace's
 * net.ipv4.tcp_fin_timeout (0 when unreadable); the server's and client's
 * pids as step numbers (either may be NULL).
 */
double lab_mono_s(void);
unsigned lab_fin_timeout_s(void);
void lab_step_pids(struct lab_run *r, const struct lab_proc *srv,
		   const struct lab_proc *cli);

#define LAB_N(a) (sizeof(a) / sizeof((a)[0]))

#endif
