/* SPDX-License-Identifier: MIT */
/*
 * internal: library functions that are not part of the public API but
 * that the library's own files share and its unit tests call directly.
 * Not installed; not exported from the shared library.
 */
#ifndef TCPLIMBO_LIB_INTERNAL_H
#define TCPLIMBO_LIB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tcplimbo/context.h"
#include "tcplimbo/events.h"
#include "tcplimbo/sockdiag.h"

struct tl_snapshot;

/*
 * tl_sockdiag_dump, but run in a thread of its own when there are two
 * CPUs to use: cb and reset are called in the caller's thread, in the
 * dump's order, while the dump thread walks and parses what comes next.
 * Returns what tl_sockdiag_dump would: cb's negative return, or the
 * dump's 0 or -errno.
 */
int tli_dump_threaded(const struct tl_dump_opts *opts, tl_sock_cb cb,
		      void (*reset)(void *arg), void *arg);

/* A dump function: tl_sockdiag_dump, or a test's stand-in. */
typedef int (*tli_dump_fn)(const struct tl_dump_opts *opts, tl_sock_cb cb,
			   void (*reset)(void *arg), void *arg);

/*
 * tli_dump_threaded's thread and hand-over around any dump function,
 * whatever the CPUs: tests drive it with scripted dumps.
 */
int tli_dump_threaded_with(tli_dump_fn dump, const struct tl_dump_opts *opts,
			   tl_sock_cb cb, void (*reset)(void *arg), void *arg);

/*
 * The listeners of a socket array sorted by port, so that a connection
 * finds the ones on its port by bisection: the snapshot ties connections
 * with it, and the doctor finds a SO_REUSEPORT group's listeners.
 */
struct tli_lref {
	uint16_t port;
	uint32_t idx; /* in socks */
};

struct tli_lindex {
	const struct tl_sock *socks; /* the array idx refers to */
	struct tli_lref *ls;
	size_t n;
};

/* Builds x over socks; 0, or -ENOMEM (x is then empty). */
int tli_lindex_build(struct tli_lindex *x, const struct tl_sock *socks,
		     size_t n);

/* The position in x->ls of the first listener on port (x->n if none). */
size_t tli_lindex_first(const struct tli_lindex *x, uint16_t port);

/*
 * tl_snapshot_find_listener over the listeners of x: those on port only,
 * not every socket (watch asks it for each transition).
 */
const struct tl_sock *tli_lindex_find_listener(const struct tli_lindex *x,
					       int family, const uint8_t *addr,
					       uint16_t port);

/*
 * Of listener L's Recv-Q, the connections no dump lists: reset by their
 * client while queued (the kernel keeps such a child in the queue, in
 * state CLOSE, where sock_diag does not list it) or destroyed there with
 * SOCK_DESTROY, as dead as CLOSE-WAIT ones. shown is how many queued
 * children the dump listed. 0 where the queue is shared with other
 * SO_REUSEPORT listeners (which holds which is unknown), or where it may
 * move (!still): Recv-Q is read before the children, in one dump, and a
 * connection accepted in between is in the one and not the other.
 */
static inline uint32_t tli_queue_unlisted(const struct tl_sock *L,
					  uint64_t shown, bool shared,
					  bool still)
{
	if (!still || shared || L->rqueue <= shown)
		return 0;
	return L->rqueue - (uint32_t)shown;
}

/* Frees what tli_lindex_build allocated. */
void tli_lindex_free(struct tli_lindex *x);

/*
 * Opens the namespace named name under /var/run/netns, never a pid's
 * (names of digits included). Returns an fd or -errno.
 */
int tli_netns_open_name(const char *name);

/*
 * Reads the interface names of the namespace netns_fd (-1: ours) into
 * snap->ifnames (lib/snapshot_dev.c). Failing leaves them unknown: sockets
 * then show their device's index.
 */
void tli_snapshot_name_interfaces(struct tl_snapshot *snap, int netns_fd);

/* Whether listener l takes sk by address and device, as the kernel does. */
bool tli_child_of(const struct tl_sock *l, const struct tl_sock *sk);

/*
 * The hidepid level of the proc mount on mnt in the text of a mountinfo
 * file (len bytes): 0 none, 1 noaccess, 2 invisible, 4 ptraceable; the
 * last mount on mnt counts. Its gid= option, or -1, in *ret_gid. mnt is
 * a plain path; mountinfo's octal escapes (\040 for a space) are undone
 * to compare.
 */
int tli_parse_hidepid(const char *buf, size_t len, const char *mnt,
		      long *ret_gid);

/*
 * Whether the proc mount at proc_root ("/proc", or another such as a
 * container's /host/proc) hides processes of other users from this one:
 * mounted with hidepid=invisible (2) or ptraceable (4), and this process
 * neither root nor in the mount's gid= group. Reads this process's
 * /proc/self/mountinfo; a proc_root that is no proc mount hides nothing.
 */
bool tli_proc_hides_others(const char *proc_root);

/*
 * Calls fn(path, arg) for each mount of a network namespace's file
 * (fstype nsfs, root "net:[N]") in the mountinfo text [buf, buf + len):
 * ip netns's under /run/netns and any other (a runtime's own directory),
 * with the kernel's octal escapes undone.
 */
void tli_nsfs_net_mounts(const char *buf, size_t len,
			 void (*fn)(const char *path, void *arg), void *arg);

/*
 * Processes of the program that hold connections of listener L but not L:
 * children, of the same comm, of a process that holds it (of parent alone
 * when it is not 0). A server that forks a child for each connection
 * (socat's fork) has them, and so has Apache after a graceful restart,
 * whose old children let go of the listener and finish their connections
 * while the master, which never accepts, holds it alone. Writes up to max
 * pids to out; returns how many there are (counted up to 64), with the
 * connections they hold in *ret_conns.
 */
size_t tli_lost_children(const struct tl_snapshot *snap,
			 const struct tl_sock *L, pid_t parent, pid_t *out,
			 size_t max, uint64_t *ret_conns);

/*
 * A CLOSE_WAIT or FIN_WAIT2's time in its state, when known: the FIN
 * (CLOSE_WAIT) or the ACK of ours (FIN_WAIT2) was the last segment with
 * an ACK and nothing normally follows, so last_ack_recv is that time.
 * Under keepalive, the replies to its probes come after the FIN and reset
 * last_ack_recv. Where the keepalive timer runs, no data went out since
 * the last ACK came (so it answered a probe, not data) and that ACK is
 * 200 ms old or more, the FIN came between the last data received and
 * the first probe: last_data_recv dates it, as an upper bound. A healthy
 * server's CLOSE_WAIT, caught just as its FIN came, has an ACK a moment
 * old and keeps its own date.
 */
static inline bool tli_held_age(const struct tl_sock *sk, uint64_t *ret_ms)
{
	if (!(sk->has & TL_HAS_INFO))
		return false;
	*ret_ms = sk->last_ack_recv_ms;
	if (sk->state == TL_CLOSE_WAIT && sk->timer == TL_TIMER_KEEPALIVE &&
	    sk->last_ack_recv_ms >= 200 &&
	    sk->last_data_sent_ms >= sk->last_ack_recv_ms &&
	    sk->last_data_recv_ms > sk->last_ack_recv_ms)
		*ret_ms = sk->last_data_recv_ms;
	return true;
}

/*
 * Whether sk is a connection listener l could have made that a process has
 * taken: ESTABLISHED or CLOSE-WAIT, in no queue, on l's port, with an
 * address and device l takes. Inline: the doctor asks it of every socket,
 * and most fail the first test.
 */
static inline bool tli_accepted_of(const struct tl_sock *l,
				   const struct tl_sock *sk)
{
	return (sk->state == TL_ESTABLISHED || sk->state == TL_CLOSE_WAIT) &&
	       sk->limbo == TL_LIMBO_NONE && sk->sport == l->sport &&
	       tli_child_of(l, sk);
}

/*
 * Classifies fd-less sockets and ties them to listeners, in place. Exposed
 * so tests and replayed dumps can run it on their own arrays: socks must
 * be the whole dump of a namespace, listeners included.
 */
void tl_snapshot_classify(struct tl_sock *socks, size_t n);

/*
 * The poll backend's differ, exposed for tests: it keeps each socket's
 * last seen state keyed by cookie and turns successive dumps into
 * transitions.
 */
struct tl_diff;

/* Allocates an empty differ. Returns 0 and sets *ret, or -ENOMEM. */
int tl_diff_new(struct tl_diff **ret);

/*
 * Feeds one complete dump (socks, n of them, taken at now_ms in namespace
 * netns) and calls cb for every socket whose state changed, appeared or
 * vanished since the previous feed. The first feed is the baseline and
 * reports nothing. socks is not kept. Returns the count of transitions, or
 * -errno (-ENOMEM, or cb's negative return).
 */
int tl_diff_feed(struct tl_diff *d, const struct tl_sock *socks, size_t n,
		 uint64_t now_ms, uint64_t netns, tl_event_cb cb, void *arg);

/* How many sockets the differ tracks now. */
size_t tl_diff_count(const struct tl_diff *d);

/* Frees a differ; NULL is fine. */
void tl_diff_free(struct tl_diff *d);

/*
 * The runtimes' config reader, for tests and the fuzzer: finds the string
 * values of a JSON object at the key paths given ("Name" at the top,
 * "annotations/KEY" one level down) and decodes them into out[i] (cut to
 * TL_CONTEXT_STR_MAX, "" when absent; at most 8 paths). Returns 0, or
 * -EBADMSG when buf is not one well-formed object (values found before
 * the fault are kept), -EINVAL for too many paths.
 */
int tl_context_json_scan(const char *buf, size_t len, const char *const *paths,
			 char (*out)[TL_CONTEXT_STR_MAX], size_t n);

/*
 * The context of the cgroup at path (from the hierarchy's root), names
 * looked up under root: tl_context_parse_path, tl_context_add_names, and
 * a Docker container under a parent of its own (--cgroup-parent), known
 * by its config under root/var/lib/docker.
 */
struct tl_context;
void tli_context_of_path(const char *root, const char *path,
			 struct tl_context *out);

/* One JSON string value wanted from a file, by its key path ("a", "a/b"). */
struct tli_want {
	const char *path;
	char *out; /* TL_CONTEXT_STR_MAX bytes, decoded, cut to fit */
	bool found;
};

/*
 * Reads the JSON object in the file at path (at most 4 MiB, no link
 * followed) and fills the wanted string values; an array of strings at a
 * wanted path gives its first. Returns 0 when the file was read and is
 * well-formed, or a negative number.
 */
int tli_json_file(const char *path, struct tli_want *want, size_t nwant);

/*
 * In JSON that is an array of objects (buf, len bytes), the first object
 * whose want[0] (a key such as "id") is value: its wanted values. Returns
 * 0 when found, -1 when not, or where buf is not such an array.
 */
int tli_json_find(const char *buf, size_t len, const char *value,
		  struct tli_want *want, size_t nwant);

/* tli_json_find of the file at path, read as tli_json_file reads it. */
int tli_json_file_find(const char *path, const char *value,
		       struct tli_want *want, size_t nwant);

#endif
