// SPDX-License-Identifier: MIT
/*
 * evidence: what a thread in poll() or select() waits on. /proc names the
 * call and its arguments, not the fds; those are in the thread's memory
 * while it waits (an array of struct pollfd, a readfds bitmap), and
 * task/TID/mem reads them with the access task/TID/syscall already needs.
 * A pre-forked worker (gunicorn's sync worker, a Perl or Ruby server) that
 * selects on the listener is one that accepts when it runs; a loop that
 * leaves the listener out of its set does not, whatever it is waiting on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "evidence_int.h"
#include "tcplimbo/evidence.h"
#include "util.h"

/* Bytes read at once: a multiple of sizeof(struct pollfd) and of 8. */
#define CHUNK 4096

/*
 * Scans the set at addr in the memory file mem: the first of fds it waits
 * on for input, -1 for none, or -2 when it could not be read whole. A
 * bitmap of nfds bits ends inside its last byte: the bits past it are no
 * part of the set, and the kernel does not look at them.
 */
static int32_t scan_set(int mem, uint64_t addr, size_t len, bool select,
			uint64_t nfds, const int32_t *fds, size_t n_fds,
			uint32_t *inputs)
{
	uint8_t buf[CHUNK];
	int32_t found = -1;

	/* A file offset is signed; no user address reaches that far. */
	if (addr > (uint64_t)INT64_MAX - TL_EV_POLLSET_MAX)
		return -2;
	for (size_t off = 0; off < len; off += CHUNK) {
		size_t want = len - off < CHUNK ? len - off : CHUNK;
		ssize_t n = pread(mem, buf, want, (off_t)(addr + off));
		int32_t fd;

		if (n != (ssize_t)want)
			return -2;
		if (select && off + want == len && len * 8 > nfds)
			buf[want - 1] &= (uint8_t)((1u << (nfds % 8)) - 1);
		fd = tl_ev_pollset_scan(buf, want, off, select, fds, n_fds,
					inputs);
		if (found < 0)
			found = fd;
	}
	return found;
}

/* What thread t waits on, as enum tl_ev_polls; the listener's fd in t. */
static int read_pollset(int pdir, struct tl_ev_thread *t, const int32_t *fds,
			size_t n_fds)
{
	char path[64], before[TL_EV_SMALL_BUF], after[TL_EV_SMALL_BUF];
	uint64_t args[6], addr;
	uint32_t inputs = 0;
	ssize_t n, m;
	size_t len;
	bool cut, select;
	int32_t found;
	uint64_t run0, run1;
	int64_t fd;
	long nr;
	int mem, kind;

	/* Still in the call the threads pass saw, or not read at all. */
	if (!tli_ev_run_ns(pdir, t->tid, &run0, NULL))
		return TL_EV_POLLS_UNKNOWN;
	snprintf(path, sizeof(path), "task/%d/syscall", (int)t->tid);
	n = tli_ev_read_at(pdir, path, before, sizeof(before));
	if (n <= 0 ||
	    tl_ev_parse_syscall(before, (size_t)n, tl_ev_arch_native(), &kind,
				&nr, &fd) < 0 ||
	    nr != t->nr ||
	    tl_ev_parse_syscall_args(before, (size_t)n, args) < 0 ||
	    tl_ev_pollset_where(tl_ev_arch_native(), nr, args, &addr, &len,
				&cut, &select) < 0)
		return TL_EV_POLLS_UNKNOWN;
	snprintf(path, sizeof(path), "task/%d/mem", (int)t->tid);
	mem = openat(pdir, path, O_RDONLY | O_CLOEXEC);
	if (mem < 0)
		return TL_EV_POLLS_UNKNOWN;
	found = scan_set(mem, addr, len, select, args[0], fds, n_fds, &inputs);
	close(mem);
	/*
	 * The set is the call's only while the thread is in it, and has not
	 * run meanwhile: a loop that left the call and came back to it with
	 * the same arguments may have been rebuilding its set as we read.
	 */
	snprintf(path, sizeof(path), "task/%d/syscall", (int)t->tid);
	m = tli_ev_read_at(pdir, path, after, sizeof(after));
	if (found == -2 || m != n || memcmp(before, after, (size_t)n) != 0 ||
	    !tli_ev_run_ns(pdir, t->tid, &run1, NULL) || run1 != run0)
		return TL_EV_POLLS_UNKNOWN;
	t->poll_inputs = inputs;
	t->poll_cut = cut;
	if (found >= 0) {
		t->fd = found;
		return TL_EV_POLLS_LISTENER;
	}
	return cut ? TL_EV_POLLS_UNKNOWN : TL_EV_POLLS_OTHER;
}

void tli_ev_gather_polls(int pdir, struct tl_evidence *ev, const int32_t *fds,
			 size_t n_fds)
{
	if (n_fds == 0)
		return;
	for (size_t i = 0; i < ev->n_read; i++) {
		struct tl_ev_thread *t = &ev->threads[i];

		if (t->kind == TL_SYS_POLL)
			t->polls = (uint8_t)read_pollset(pdir, t, fds, n_fds);
	}
}

/*
 * The first thread whose poll or select set, read from its memory, holds
 * the listener; or NULL.
 */
static const struct tl_ev_thread *polls_listener(const struct tl_evidence *ev)
{
	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind == TL_SYS_POLL &&
		    ev->threads[i].polls == TL_EV_POLLS_LISTENER)
			return &ev->threads[i];
	return NULL;
}

/*
 * Whether threads wait in poll or select, and the sets of all of them
 * were read and leave the listener out; *ret_fds counts their fds.
 */
static bool polls_elsewhere(const struct tl_evidence *ev, uint32_t *ret_fds)
{
	uint32_t fds = 0;
	bool any = false;

	for (size_t i = 0; i < ev->n_read; i++) {
		if (ev->threads[i].kind != TL_SYS_POLL)
			continue;
		if (ev->threads[i].polls != TL_EV_POLLS_OTHER)
			return false;
		any = true;
		fds += ev->threads[i].poll_inputs;
	}
	*ret_fds = fds;
	return any;
}

/*
 * "its thread in pselect6 waits on 3 other fds for input, not on the
 * listener", or of several threads "its threads in poll/select wait ...".
 */
static void elsewhere_text(const struct tl_evidence *ev, uint32_t polled,
			   char *buf, size_t size)
{
	const struct tl_ev_thread *one = NULL;
	size_t n = 0, len = 0;

	for (size_t i = 0; i < ev->n_read; i++)
		if (ev->threads[i].kind == TL_SYS_POLL) {
			one = &ev->threads[i];
			n++;
		}
	buf[0] = '\0';
	if (n == 1)
		tli_appendf(buf, size, &len, "its thread in %s waits",
			    one->sys ? one->sys : "poll");
	else
		tli_appendf(buf, size, &len, "its threads in poll/select wait");
	if (polled == 0)
		tli_appendf(buf, size, &len, " for input on no fd at all");
	else
		tli_appendf(buf, size, &len,
			    " on %u other fd%s for input, not on the listener",
			    polled, polled == 1 ? "" : "s");
}

/*
 * The limit of a poll loop whose sets leave the listener out while it
 * holds connections: likely where every thread is that loop, possible
 * where other threads may be the ones to accept.
 */
static void set_limit(const struct tl_evidence *ev, const char *sets,
		      uint32_t polled, int cert, const char *threads,
		      struct tl_ev_verdict *v, size_t *len)
{
	char what[96];

	elsewhere_text(ev, polled, what, sizeof(what));
	tli_ev_set(v, TL_CAUSE_LIMIT, cert);
	tli_appendf(
		v->text, sizeof(v->text), len,
		"no thread is in accept() and the listener is %s, and %s, while the program holds %llu accepted connection%s on port %u: a poll loop that leaves the listener out at its limit of connections, %s; %s",
		sets, what, (unsigned long long)ev->held,
		ev->held == 1 ? "" : "s", ev->port,
		cert == TL_CERT_LIKELY ?
			"as servers with a connection limit do" :
			"or one whose other threads should accept",
		threads);
}

/*
 * A thread in poll or select has the listener in its set: like an epoll
 * set waited on, it is told. Blocked there with a connection queued, the
 * call returns at once, so accept() fails or is not called after it. Or
 * every set was read and leaves the listener out while the program holds
 * connections: a poll loop at its limit of them (a select() server that
 * drops the listener from its set at max clients). This comes before the
 * rule of workers all busy, which a single loop holding a connection
 * would otherwise meet, with less to go on.
 */
bool tli_ev_conclude_poll_sets(const struct tl_evidence *ev, const char *sets,
			       const char *threads, struct tl_ev_verdict *v,
			       size_t *len)
{
	const struct tl_ev_thread *pt = polls_listener(ev);
	int cert = TL_CERT_LIKELY;
	uint32_t polled;

	if (pt) {
		tli_ev_set(v, TL_CAUSE_WATCHED, TL_CERT_POSSIBLE);
		if (pt->poll_inputs == 1 && !pt->poll_cut)
			tli_appendf(
				v->text, sizeof(v->text), len,
				"thread %d waits in %s on 1 fd for input: the listener (fd %lld), so the program is told; its accept() may be failing (EMFILE?) or it may give up on the connections: %s",
				(int)pt->tid, pt->sys ? pt->sys : "poll",
				(long long)pt->fd, threads);
		else
			tli_appendf(
				v->text, sizeof(v->text), len,
				"thread %d waits in %s on %s%u fd%s for input, the listener (fd %lld) among them, so the program is told; its accept() may be failing (EMFILE?) or it may give up on the connections: %s",
				(int)pt->tid, pt->sys ? pt->sys : "poll",
				pt->poll_cut ? "at least " : "",
				pt->poll_inputs,
				pt->poll_inputs == 1 ? "" : "s",
				(long long)pt->fd, threads);
		v->remedy = NULL;
		return true;
	}
	if (!polls_elsewhere(ev, &polled) || ev->held == 0 ||
	    ev->n_threads > ev->n_read)
		return false;
	/*
	 * Every thread is the loop, or waits in futex (a runtime's helper,
	 * or an acceptor held on a lock: then the limit is only possible).
	 * A thread anywhere else is left to the rules that follow.
	 */
	for (size_t i = 0; i < ev->n_read; i++) {
		if (ev->threads[i].kind == TL_SYS_FUTEX)
			cert = TL_CERT_POSSIBLE;
		else if (ev->threads[i].kind != TL_SYS_POLL)
			return false;
	}
	set_limit(ev, sets, polled, cert, threads, v, len);
	return true;
}

bool tli_ev_conclude_polled(const struct tl_evidence *ev, const char *sets,
			    const char *threads, struct tl_ev_verdict *v,
			    size_t *len)
{
	uint32_t polled;
	bool elsewhere = polls_elsewhere(ev, &polled);
	char what[96];

	/*
	 * Every set read, the listener in none, while other threads do
	 * other things: a loop at its limit, possibly.
	 */
	if (elsewhere && ev->held > 0) {
		set_limit(ev, sets, polled, TL_CERT_POSSIBLE, threads, v, len);
		return true;
	}
	/*
	 * Every set read, the listener in none, nothing held: no loop at a
	 * limit, and nothing waits for it. (A forking server at its limit
	 * of children holds none itself, and was told before this.)
	 */
	if (elsewhere) {
		elsewhere_text(ev, polled, what, sizeof(what));
		tli_ev_set(v, TL_CAUSE_NOT_WATCHED,
			   ev->n_threads > ev->n_read ? TL_CERT_POSSIBLE :
							TL_CERT_LIKELY);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread is in accept() and the listener is %s, and %s: nothing in the program waits for it; %s",
			sets, what, threads);
		return true;
	}
	/* A poll() loop whose set could not be read may leave it out. */
	if (tli_ev_any_thread(ev, TL_SYS_POLL) && ev->held > 0) {
		tli_ev_set(v, TL_CAUSE_LIMIT, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread is in accept() and the listener is %s; a thread in poll/select may watch it (its fd set could not be read) while the program holds %llu accepted connection%s on port %u: a poll loop that leaves the listener out at its limit of connections, as servers with a connection limit do, or one that does not watch it; %s",
			sets, (unsigned long long)ev->held,
			ev->held == 1 ? "" : "s", ev->port, threads);
		return true;
	}
	if (tli_ev_any_thread(ev, TL_SYS_POLL)) {
		tli_ev_set(v, TL_CAUSE_NOT_WATCHED, TL_CERT_POSSIBLE);
		tli_appendf(
			v->text, sizeof(v->text), len,
			"no thread is in accept() and the listener is %s; a thread in poll/select may watch it (its fd set could not be read): %s",
			sets, threads);
		return true;
	}
	return false;
}
