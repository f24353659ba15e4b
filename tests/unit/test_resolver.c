// SPDX-License-Identifier: MIT
/*
 * Tests for lib/resolver.c on hand-built snapshots: the resolver takes
 * them from a callback, so each test decides what every rescan sees.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcplimbo/addr.h"
#include "tcplimbo/resolver.h"

/* One socket of a fake snapshot, and who holds it (pid 0: nobody). */
struct fake {
	int state;
	const char *addr;
	uint16_t port;
	uint32_t inode;
	pid_t pid;
	int fd;
	const char *comm;
};

/* What the take callback hands out, one snapshot description a call. */
struct world {
	const struct fake *next;
	size_t n_next;
	int takes;
	unsigned delay_ms;
};

/* A snapshot as tl_snapshot_take would leave it, from fakes. */
static struct tl_snapshot *build(const struct fake *f, size_t n)
{
	struct tl_snapshot *s = calloc(1, sizeof(*s));
	struct tl_owners *o = calloc(1, sizeof(*o));

	assert_non_null(s);
	assert_non_null(o);
	s->socks = calloc(n + 1, sizeof(*s->socks));
	s->in_filter = calloc(n + 1, 1);
	o->procs = calloc(n + 1, sizeof(*o->procs));
	o->refs = calloc(n + 1, sizeof(*o->refs));
	assert_non_null(s->socks);
	assert_non_null(o->procs);
	for (size_t i = 0; i < n; i++) {
		struct tl_sock *sk = &s->socks[i];

		sk->state = (uint8_t)f[i].state;
		sk->family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, f[i].addr, sk->src), 1);
		sk->sport = f[i].port;
		sk->inode = f[i].inode;
		s->in_filter[i] = 1;
		if (!f[i].pid)
			continue;
		/* Inodes ascend in every test's table, as refs must. */
		o->procs[o->n_procs].pid = f[i].pid;
		snprintf(o->procs[o->n_procs].comm, TL_COMM_MAX, "%s",
			 f[i].comm);
		o->refs[o->n_refs++] = (struct tl_fdref){
			.inode = f[i].inode,
			.proc = (uint32_t)o->n_procs++,
			.fd = f[i].fd,
		};
	}
	s->n_socks = n;
	s->owners = o;
	return s;
}

static int take(void *arg, struct tl_snapshot **ret)
{
	struct world *w = arg;

	if (w->delay_ms) {
		struct timespec ts = { 0, (long)w->delay_ms * 1000000L };

		nanosleep(&ts, NULL);
	}
	w->takes++;
	*ret = build(w->next, w->n_next);
	return 0;
}

static struct tl_resolver *new_resolver(struct world *w, uint32_t gap_ms)
{
	struct tl_resolver_opts o;
	struct tl_resolver *r = NULL;

	tl_resolver_opts_init(&o);
	o.take = take;
	o.take_arg = w;
	o.thread = false;
	o.gap_ms = gap_ms;
	o.cost_factor = 0;
	assert_int_equal(tl_resolver_new(&o, &r), 0);
	return r;
}

static struct tl_event event(uint64_t key, uint32_t inode, int old_state,
			     int new_state, int limbo)
{
	struct tl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.key = key;
	ev.inode = inode;
	ev.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", ev.src);
	inet_pton(AF_INET, "127.0.0.9", ev.dst);
	ev.sport = 80;
	ev.dport = 40000;
	ev.old_state = (uint8_t)old_state;
	ev.new_state = (uint8_t)new_state;
	ev.limbo = (uint8_t)limbo;
	return ev;
}

/* event() as the bpf backend names it: flags, and the pid it recorded. */
static struct tl_event owned(uint64_t key, uint32_t inode, int old_state,
			     int new_state, uint16_t flags, uint32_t pid)
{
	struct tl_event ev = event(key, inode, old_state, new_state, 0);

	ev.flags = flags;
	ev.pid = pid;
	return ev;
}

static const struct fake unowned[] = {
	{ TL_LISTEN, "0.0.0.0", 80, 200, 0, 0, "" },
};

static const struct fake server[] = {
	{ TL_ESTABLISHED, "127.0.0.1", 80, 100, 10, 5, "srv" },
	{ TL_LISTEN, "0.0.0.0", 80, 200, 20, 3, "acceptor" },
};

/* A held socket is named; its owner is remembered after its fd closes. */
static void test_owner_and_cache(void **state)
{
	struct world w = { server, 2, 0, 0 };
	struct tl_resolver *r = new_resolver(&w, 0);
	struct tl_event ev = event(1, 100, TL_ESTABLISHED, TL_CLOSE_WAIT, 0);
	struct tl_resolved res;

	(void)state;
	assert_int_equal(tl_resolver_refresh(r), 0);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 1);
	assert_int_equal(res.owners.o[0].pid, 10);
	assert_int_equal(res.owners.o[0].fd, 5);
	assert_string_equal(res.owners.o[0].comm, "srv");
	assert_false(res.has_listener);
	assert_false(res.by_kernel);

	/* A newer snapshot without it: the cache still names the holder,
	 * and no rescan is taken for a socket the cache knows. */
	tl_resolver_install(r, build(NULL, 0));
	ev = event(1, 100, TL_CLOSE_WAIT, TL_LAST_ACK, 0);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 1);
	assert_int_equal(res.owners.o[0].pid, 10);
	assert_int_equal(w.takes, 1);
	tl_resolver_free(r);
}

/* An orphan gets its former holders, until the socket reaches CLOSE. */
static void test_orphan_former(void **state)
{
	struct world w = { server, 2, 0, 0 };
	struct tl_resolver *r = new_resolver(&w, 0);
	struct tl_event ev = event(7, 100, TL_ESTABLISHED, TL_FIN_WAIT1, 0);
	struct tl_resolved res;

	(void)state;
	assert_int_equal(tl_resolver_refresh(r), 0);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.o[0].pid, 10);
	/* close() ran: no inode any more, and the kernel finishes it. */
	ev = event(7, 0, TL_FIN_WAIT1, TL_FIN_WAIT2, TL_LIMBO_ORPHAN);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 0);
	assert_int_equal(res.former.n, 1);
	assert_int_equal(res.former.o[0].pid, 10);
	assert_string_equal(res.former.o[0].comm, "srv");
	assert_int_equal(res.limbo, TL_LIMBO_ORPHAN);
	/* Gone: the kernel may reuse its identity, so it is forgotten. */
	ev = event(7, 0, TL_FIN_WAIT2, TL_CLOSE, TL_LIMBO_ORPHAN);
	tl_resolver_resolve(r, &ev, &res);
	ev = event(7, 0, TL_FIN_WAIT1, TL_FIN_WAIT2, TL_LIMBO_ORPHAN);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.former.n, 0);
	tl_resolver_free(r);
}

/* A child with no fd gets its listener and the listener's holders. */
static void test_queued_child(void **state)
{
	struct world w = { server, 2, 0, 0 };
	struct tl_resolver *r = new_resolver(&w, 0);
	struct tl_event ev = event(3, 0, TL_SYN_RECV, TL_ESTABLISHED, 0);
	struct tl_resolved res;
	char a[TL_ADDR_STR_MAX];

	(void)state;
	assert_int_equal(tl_resolver_refresh(r), 0);
	tl_resolver_resolve(r, &ev, &res);
	assert_true(res.has_listener);
	assert_int_equal(res.lport, 80);
	assert_int_equal(res.lfamily, AF_INET);
	inet_ntop(AF_INET, res.laddr, a, sizeof(a));
	assert_string_equal(a, "0.0.0.0");
	assert_int_equal(res.lowners.n, 1);
	assert_int_equal(res.lowners.o[0].pid, 20);
	assert_string_equal(res.lowners.o[0].comm, "acceptor");
	assert_int_equal(res.limbo, TL_LIMBO_ACCEPT_QUEUE);
	/* Another port: no listener, so no owner and no class made up. */
	ev.sport = 81;
	tl_resolver_resolve(r, &ev, &res);
	assert_false(res.has_listener);
	assert_int_equal(res.limbo, TL_LIMBO_NONE);
	tl_resolver_free(r);
}

static const struct fake later[] = {
	{ TL_ESTABLISHED, "127.0.0.1", 80, 300, 30, 9, "late" },
};

/*
 * A socket no snapshot knew, seen when a rescan would be too soon, waits;
 * the next snapshot names it, and the name outlives that snapshot.
 */
static void test_pending(void **state)
{
	struct world w = { server, 2, 0, 0 };
	struct tl_resolver *r = new_resolver(&w, 3600 * 1000);
	struct tl_event ev = event(5, 300, TL_SYN_SENT, TL_ESTABLISHED, 0);
	struct tl_resolver_stats st;
	struct tl_resolved res;

	(void)state;
	assert_int_equal(tl_resolver_refresh(r), 0);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 0);
	/* Meanwhile it is named by the listener on its port, which took
	 * it: not left without a name until the rescan. */
	assert_true(res.has_listener);
	assert_int_equal(res.lowners.n, 1);
	assert_int_equal(res.lowners.o[0].pid, 20);
	assert_int_equal(res.limbo, TL_LIMBO_NONE);
	tl_resolver_stats(r, &st);
	assert_int_equal(st.pending, 1);
	/* Too soon for a rescan: the tick keeps it pending. */
	assert_int_equal(tl_resolver_tick(r), 1);
	assert_int_equal(w.takes, 1);

	tl_resolver_install(r, build(later, 1));
	tl_resolver_stats(r, &st);
	assert_int_equal(st.pending, 0);
	tl_resolver_install(r, build(NULL, 0));
	ev = event(5, 300, TL_ESTABLISHED, TL_FIN_WAIT1, 0);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 1);
	assert_int_equal(res.owners.o[0].pid, 30);
	assert_string_equal(res.owners.o[0].comm, "late");
	tl_resolver_free(r);
}

/* With rescans allowed, an unknown socket is named in line. */
static void test_inline_rescan(void **state)
{
	struct world w = { server, 2, 0, 0 };
	struct tl_resolver *r = new_resolver(&w, 0);
	struct tl_event ev = event(5, 300, TL_SYN_SENT, TL_ESTABLISHED, 0);
	struct tl_resolver_stats st;
	struct tl_resolved res;

	(void)state;
	assert_int_equal(tl_resolver_refresh(r), 0);
	w.next = later;
	w.n_next = 1;
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(w.takes, 2);
	assert_int_equal(res.owners.n, 1);
	assert_int_equal(res.owners.o[0].pid, 30);
	tl_resolver_stats(r, &st);
	assert_int_equal(st.rescans, 2);
	assert_int_equal(st.pending, 0);
	tl_resolver_free(r);
}

/* Without owners (--no-owners) nothing is rescanned or left pending. */
static void test_no_owners(void **state)
{
	struct world w = { server, 2, 0, 0 };
	struct tl_resolver_opts o;
	struct tl_resolver *r = NULL;
	struct tl_event ev = event(5, 300, TL_SYN_SENT, TL_ESTABLISHED, 0);
	struct tl_resolver_stats st;
	struct tl_resolved res;

	(void)state;
	tl_resolver_opts_init(&o);
	o.take = take;
	o.take_arg = &w;
	o.thread = false;
	o.gap_ms = 0;
	o.snap.owners = false;
	assert_int_equal(tl_resolver_new(&o, &r), 0);
	assert_int_equal(tl_resolver_refresh(r), 0);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 0);
	assert_int_equal(w.takes, 1);
	tl_resolver_stats(r, &st);
	assert_int_equal(st.pending, 0);
	tl_resolver_free(r);
}

/*
 * Slow rescans go to the thread: the event goes out unnamed, and a tick
 * after the thread's snapshot names the socket.
 */
static void test_thread(void **state)
{
	struct world w = { server, 2, 0, 30 };
	struct tl_resolver_opts o;
	struct tl_resolver *r = NULL;
	struct tl_event ev = event(5, 300, TL_SYN_SENT, TL_ESTABLISHED, 0);
	struct tl_resolver_stats st = { 0 };
	struct tl_resolved res;
	int i;

	(void)state;
	tl_resolver_opts_init(&o);
	o.take = take;
	o.take_arg = &w;
	o.gap_ms = 0;
	o.cost_factor = 0;
	o.sync_max_ms = 10;
	assert_int_equal(tl_resolver_new(&o, &r), 0);
	/* The first is in line, and slower than sync_max_ms. */
	assert_int_equal(tl_resolver_refresh(r), 0);
	w.next = later;
	w.n_next = 1;
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 0);
	/* Bounded: 500 ticks 10 ms apart. */
	for (i = 0; i < 500; i++) {
		struct timespec ts = { 0, 10 * 1000000L };

		tl_resolver_tick(r);
		tl_resolver_stats(r, &st);
		if (st.rescans >= 2 && st.pending == 0)
			break;
		nanosleep(&ts, NULL);
	}
	assert_true(st.rescans >= 2);
	assert_int_equal(st.pending, 0);
	tl_resolver_install(r, build(NULL, 0));
	ev = event(5, 300, TL_ESTABLISHED, TL_FIN_WAIT1, 0);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 1);
	assert_int_equal(res.owners.o[0].pid, 30);
	tl_resolver_free(r);
}

/* An owner the kernel recorded (bpf) is taken as is, without a rescan. */
static void test_kernel_owner(void **state)
{
	struct world w = { server, 2, 0, 0 };
	struct tl_resolver *r = new_resolver(&w, 0);
	struct tl_event ev = event(9, 400, TL_SYN_SENT, TL_ESTABLISHED, 0);
	struct tl_resolved res;

	(void)state;
	assert_int_equal(tl_resolver_refresh(r), 0);
	ev.flags = TL_EVENT_OWNER;
	ev.pid = 42;
	snprintf(ev.comm, sizeof(ev.comm), "client");
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 1);
	assert_int_equal(res.owners.o[0].pid, 42);
	assert_int_equal(res.owners.o[0].fd, -1);
	assert_string_equal(res.owners.o[0].comm, "client");
	assert_true(res.by_kernel);
	assert_int_equal(w.takes, 1);
	/* A listener's owner for a queued child: the listener on its port. */
	ev = event(10, 0, TL_SYN_RECV, TL_ESTABLISHED, 0);
	ev.flags = TL_EVENT_LISTENER_OWNER;
	ev.pid = 20;
	snprintf(ev.comm, sizeof(ev.comm), "server");
	tl_resolver_resolve(r, &ev, &res);
	assert_true(res.has_listener);
	assert_int_equal(res.lowners.o[0].pid, 20);
	assert_string_equal(res.lowners.o[0].comm, "server");
	assert_int_equal(res.limbo, TL_LIMBO_ACCEPT_QUEUE);
	tl_resolver_free(r);
}

/*
 * The kernel's record of who called listen() goes out of date when that
 * process hands the listener to a forked child and exits (a daemon) or
 * closes its copy: the snapshot's holders are named then. A process that
 * holds no listener in a snapshot that may predate the listener keeps
 * the record until a rescan says so too (a service restarted).
 */
static void test_listen_record_stale(void **state)
{
	char proc[] = "/tmp/tl-resolver-XXXXXX", dir[64];
	struct world w = { server, 2, 0, 0 };
	struct tl_resolver_opts o;
	struct tl_resolver *r = NULL;
	struct tl_resolved res;
	struct tl_event ev;
	int takes;

	(void)state;
	assert_non_null(mkdtemp(proc));
	/* pid 43 lives, pid 44 has ended. */
	snprintf(dir, sizeof(dir), "%s/43", proc);
	assert_int_equal(mkdir(dir, 0700), 0);
	tl_resolver_opts_init(&o);
	o.take = take;
	o.take_arg = &w;
	o.thread = false;
	o.gap_ms = 0;
	o.cost_factor = 0;
	o.snap.proc_root = proc;
	assert_int_equal(tl_resolver_new(&o, &r), 0);
	assert_int_equal(tl_resolver_refresh(r), 0);
	ev = event(10, 0, TL_SYN_RECV, TL_ESTABLISHED, 0);
	ev.flags = TL_EVENT_LISTENER_OWNER;
	snprintf(ev.comm, sizeof(ev.comm), "parent");
	/* Ended, and holds nothing: its child holds the listener. */
	ev.pid = 44;
	tl_resolver_resolve(r, &ev, &res);
	assert_true(res.has_listener);
	assert_int_equal(res.lowners.n, 1);
	assert_int_equal(res.lowners.o[0].pid, 20);
	assert_string_equal(res.lowners.o[0].comm, "acceptor");
	/* Alive: the record stands, and a rescan is taken (its snapshot
	 * started after the mismatch was seen, a millisecond on)... */
	nanosleep(&(struct timespec){ 0, 5000000L }, NULL);
	ev.pid = 43;
	takes = w.takes;
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.lowners.o[0].pid, 43);
	assert_int_equal(w.takes, takes + 1);
	/* ...after which the snapshot's holders are named. */
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.lowners.o[0].pid, 20);
	assert_int_equal(res.lowners.o[0].fd, 3);
	/*
	 * Two launchers alive, both out of date, their events alternating:
	 * each keeps its own record of the mismatch, and after a rescan
	 * both give way (keyed by pid alone, in 16 slots, 43 and 59 shared
	 * one and reset each other for ever).
	 */
	snprintf(dir, sizeof(dir), "%s/59", proc);
	assert_int_equal(mkdir(dir, 0700), 0);
	for (int i = 0; i < 6; i++) {
		ev.pid = i % 2 ? 59 : 43;
		nanosleep(&(struct timespec){ 0, 2000000L }, NULL);
		tl_resolver_resolve(r, &ev, &res);
	}
	assert_int_equal(res.lowners.o[0].pid, 20);
	ev.pid = 43;
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.lowners.o[0].pid, 20);
	assert_int_equal(rmdir(dir), 0);
	snprintf(dir, sizeof(dir), "%s/43", proc);
	/* The listener's own events: its holder in the snapshot, not the
	 * process that called listen() (the kernel's record). */
	ev = owned(12, 200, TL_LISTEN, TL_CLOSE, TL_EVENT_OWNER, 44);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 1);
	assert_int_equal(res.owners.o[0].pid, 20);
	assert_int_equal(res.owners.o[0].fd, 3);
	/* Accepted where accept() was not hooked, and not yet in a
	 * snapshot: through its listener, not as the listener's owner's. */
	ev = owned(11, 500, TL_ESTABLISHED, TL_CLOSE_WAIT,
		   TL_EVENT_LISTENER_OWNER, 20);
	snprintf(ev.comm, sizeof(ev.comm), "acceptor");
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.owners.n, 0);
	assert_true(res.has_listener);
	assert_int_equal(res.lowners.o[0].pid, 20);
	assert_int_equal(res.limbo, TL_LIMBO_NONE);
	/* A listener whose holders could not be read (not root): the
	 * record stands, even of a process that has ended. */
	w.next = unowned;
	w.n_next = 1;
	assert_int_equal(tl_resolver_refresh(r), 0);
	ev = owned(13, 0, TL_SYN_RECV, TL_ESTABLISHED, TL_EVENT_LISTENER_OWNER,
		   44);
	tl_resolver_resolve(r, &ev, &res);
	assert_int_equal(res.lowners.n, 1);
	assert_int_equal(res.lowners.o[0].pid, 44);
	tl_resolver_free(r);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rmdir(proc), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_and_cache),
		cmocka_unit_test(test_orphan_former),
		cmocka_unit_test(test_queued_child),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_inline_rescan),
		cmocka_unit_test(test_no_owners),
		cmocka_unit_test(test_thread),
		cmocka_unit_test(test_kernel_owner),
		cmocka_unit_test(test_listen_record_stale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
