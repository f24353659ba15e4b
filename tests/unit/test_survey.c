// SPDX-License-Identifier: MIT
/*
 * Tests for lib/survey.c: the per-listener and per-process figures on
 * snapshots built by hand, and a survey of the caller's own namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "tcplimbo/netns.h"
#include "tcplimbo/survey.h"
#include "test_netns.h"

#define MAX_SOCKS 64

struct world {
	struct tl_sock socks[MAX_SOCKS];
	size_t n;
	struct tl_proc procs[4];
	size_t n_procs;
	struct tl_fdref refs[MAX_SOCKS];
	size_t n_refs;
	struct tl_owners owners;
	struct tl_snapshot snap;
	uint32_t next_inode;
};

static struct tl_sock *sock(struct world *w, int state, uint16_t sport,
			    uint16_t dport)
{
	struct tl_sock *sk = &w->socks[w->n++];

	assert_true(w->n <= MAX_SOCKS);
	sk->family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", sk->src);
	inet_pton(AF_INET, "127.0.0.1", sk->dst);
	sk->state = (uint8_t)state;
	sk->sport = sport;
	sk->dport = dport;
	return sk;
}

static void hold(struct world *w, struct tl_sock *sk, uint32_t p, int nfd)
{
	if (!sk->inode)
		sk->inode = w->next_inode++;
	for (int i = 0; i < nfd; i++) {
		w->refs[w->n_refs].inode = sk->inode;
		w->refs[w->n_refs].proc = p;
		w->refs[w->n_refs].fd = (int32_t)(3 + w->n_refs);
		w->n_refs++;
	}
}

static int ref_cmp(const void *a, const void *b)
{
	const struct tl_fdref *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static void finish(struct world *w)
{
	qsort(w->refs, w->n_refs, sizeof(w->refs[0]), ref_cmp);
	w->owners.procs = w->procs;
	w->owners.n_procs = w->n_procs;
	w->owners.refs = w->refs;
	w->owners.n_refs = w->n_refs;
	w->snap.socks = w->socks;
	w->snap.n_socks = w->n;
	w->snap.owners = &w->owners;
	w->snap.states = TL_STATES_REAL;
	tl_snapshot_classify(w->socks, w->n);
}

/*
 * The post's listener: three queued, one closed by its client, the oldest
 * 9 s; a second listener with nothing queued; a process holding two
 * CLOSE_WAIT sockets, one of them through two fds.
 */
static void build(struct world *w)
{
	struct tl_sock *l, *q, *cw;
	static const uint32_t ages[] = { 1000, 9000, 4000 };

	w->next_inode = 500;
	w->n_procs = 2;
	w->procs[0].pid = 10;
	w->procs[1].pid = 20;
	l = sock(w, TL_LISTEN, 3000, 0);
	l->rqueue = 3;
	l->wqueue = 128;
	hold(w, l, 0, 1);
	l = sock(w, TL_LISTEN, 4000, 0);
	hold(w, l, 1, 1);
	for (int i = 0; i < 3; i++) {
		q = sock(w, i == 1 ? TL_CLOSE_WAIT : TL_ESTABLISHED, 3000,
			 (uint16_t)(40000 + i));
		q->has = TL_HAS_INFO;
		q->last_data_sent_ms = ages[i];
	}
	cw = sock(w, TL_CLOSE_WAIT, 4000, 50000);
	cw->has = TL_HAS_INFO;
	cw->last_ack_recv_ms = 7000;
	hold(w, cw, 1, 2);
	cw = sock(w, TL_CLOSE_WAIT, 4000, 50001);
	cw->has = TL_HAS_INFO;
	cw->last_ack_recv_ms = 31000;
	hold(w, cw, 1, 1);
	finish(w);
}

static void test_listeners(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct tl_listener_stat *ls = NULL;
	int n;

	(void)state;
	assert_non_null(w);
	build(w);
	n = tl_survey_listeners(&w->snap, &ls);
	assert_int_equal(n, 2);
	assert_int_equal(w->socks[ls[0].sock].sport, 3000);
	assert_int_equal(ls[0].queued, 3);
	assert_int_equal(ls[0].closed, 1);
	assert_true(ls[0].has_age);
	assert_int_equal(ls[0].oldest_ms, 9000);
	assert_int_equal(w->socks[ls[1].sock].sport, 4000);
	assert_int_equal(ls[1].queued, 0);
	assert_false(ls[1].has_age);
	assert_int_equal(ls[0].hidden, 0);
	free(ls);
	/* Two more in Recv-Q than shown, the oldest 9 s: reset there. */
	w->socks[0].rqueue = 5;
	assert_int_equal(tl_survey_listeners(&w->snap, &ls), 2);
	assert_int_equal(ls[0].hidden, 2);
	free(ls);
	/* A queue whose oldest is young moves: accepted between reads. */
	for (size_t i = 0; i < w->n; i++)
		if (w->socks[i].sport == 3000 && w->socks[i].state != TL_LISTEN)
			w->socks[i].last_data_sent_ms = 300;
	assert_int_equal(tl_survey_listeners(&w->snap, &ls), 2);
	assert_int_equal(ls[0].hidden, 0);
	free(ls);
	free(w);
}

static void test_procs(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct tl_proc_stat *ps = NULL;
	int n;

	(void)state;
	assert_non_null(w);
	build(w);
	n = tl_survey_procs(&w->snap, &ps);
	assert_int_equal(n, 2);
	assert_int_equal(ps[0].proc, 0);
	assert_int_equal(ps[0].sockets, 1);
	assert_int_equal(ps[0].queued, 3);
	assert_int_equal(ps[0].close_wait, 0);
	assert_int_equal(ps[1].proc, 1);
	/* Two fds on one socket count once. */
	assert_int_equal(ps[1].sockets, 3);
	assert_int_equal(ps[1].close_wait, 2);
	assert_true(ps[1].has_age);
	assert_int_equal(ps[1].close_wait_oldest_ms, 31000);
	assert_int_equal(ps[1].queued, 0);
	free(ps);
	/* Without owners nobody holds anything. */
	w->snap.owners = NULL;
	assert_int_equal(tl_survey_procs(&w->snap, &ps), 0);
	assert_null(ps);
	free(w);
}

/* Our own namespace: one entry, marked as ours, with a snapshot. */
static void test_take_self(void **state)
{
	struct tl_survey_opts o;
	struct tl_survey *sv = NULL;

	(void)state;
	tl_survey_opts_init(&o);
	o.all = false;
	o.owners = false;
	assert_int_equal(tl_survey_take(&o, &sv), 0);
	assert_int_equal(sv->n_ns, 1);
	assert_true(sv->ns[0].self);
	assert_int_equal(sv->ns[0].error, 0);
	assert_non_null(sv->ns[0].snap);
	assert_true(sv->ns[0].inode != 0);
	tl_survey_free(sv);
	tl_survey_free(NULL);
}

/* Surveys our own namespace with a /proc that has no pid 1; its host flag. */
static int host_without_pid1(bool *host)
{
	char root[] = "/tmp/tl-survey-host-XXXXXX";
	struct tl_survey_opts o;
	struct tl_survey *sv = NULL;
	int r;

	if (!mkdtemp(root))
		return -errno;
	tl_survey_opts_init(&o);
	o.all = false;
	o.proc_root = root;
	o.owners = false;
	o.counters = false;
	o.diagnose = false;
	r = tl_survey_take(&o, &sv);
	if (r == 0 && (sv->n_ns != 1 || !sv->ns[0].self))
		r = -EINVAL;
	if (r == 0)
		*host = sv->ns[0].host;
	tl_survey_free(sv);
	rmdir(root);
	return r;
}

/* In a namespace of its own: never the host's. */
static int host_child(void)
{
	bool host = true;
	int r = test_private_net();

	if (r)
		return r;
	if (host_without_pid1(&host) < 0)
		return 3;
	return host ? 4 : 0;
}

/*
 * Where pid 1's namespace cannot be read (a /proc without pid 1 here), ours
 * is the host's only when it is the kernel's initial namespace: the real
 * pid 1's says whether it is, or, where even that cannot be read (root in
 * a user namespace), the sysctl only the initial namespace has. A new
 * namespace never is.
 */
static void test_host_without_pid1(void **state)
{
	struct stat self, one;
	bool host = false, initial;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/net", &self), 0);
	if (stat("/proc/1/ns/net", &one) == 0)
		initial = self.st_ino == one.st_ino;
	else
		initial = access("/proc/sys/net/core/netdev_max_backlog",
				 F_OK) == 0;
	assert_int_equal(host_without_pid1(&host), 0);
	assert_int_equal(host, initial);
	test_run_child(host_child);
}

/* A directory under root for pid whose ns/net links to target (NULL: a file). */
static void fake_pid_ns(const char *root, const char *pid, const char *target)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/ns", root, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/ns/net", root, pid);
	if (target) {
		assert_int_equal(symlink(target, path), 0);
	} else {
		f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
	}
}

static void unfake_pid_ns(const char *root, const char *pid)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s/ns/net", root, pid);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s/ns", root, pid);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/%s", root, pid);
	rmdir(path);
}

/*
 * A namespace listed by a process of the survey's own /proc is opened
 * again through that /proc, not the machine's: a fake one lists pid
 * 2147483646 (above any pid_max), whose ns/net is no namespace. It is
 * kept with the error of opening it, where looking in /proc would have
 * found no such process and called it vanished.
 */
static void test_listed_proc_root(void **state)
{
	char root[] = "/tmp/tl-survey-XXXXXX";
	struct tl_survey_opts o;
	struct tl_survey *sv = NULL;
	size_t found = 0;

	(void)state;
	assert_non_null(mkdtemp(root));
	fake_pid_ns(root, "2147483646", NULL);
	tl_survey_opts_init(&o);
	o.proc_root = root;
	o.owners = false;
	o.counters = false;
	o.diagnose = false;
	assert_int_equal(tl_survey_take(&o, &sv), 0);
	for (size_t i = 0; i < sv->n_ns; i++) {
		if (sv->ns[i].pid != 2147483646)
			continue;
		found++;
		assert_int_equal(sv->ns[i].error, -EINVAL);
		assert_int_equal(sv->ns[i].stage, TL_SURVEY_OPEN);
	}
	assert_int_equal(found, 1);
	assert_int_equal(sv->n_vanished, 0);
	tl_survey_free(sv);
	unfake_pid_ns(root, "2147483646");
	rmdir(root);
}

/*
 * Opened again later, a listed namespace must still be the one listed: by
 * its inode. A process gone is -ENOENT; a pid that leads to another
 * namespace now is -ESRCH, never that other namespace.
 */
static void test_open_listed(void **state)
{
	char root[] = "/tmp/tl-survey-XXXXXX";
	struct stat st;
	uint64_t self;
	int fd;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	self = (uint64_t)st.st_ino;
	assert_non_null(mkdtemp(root));
	fake_pid_ns(root, "4242", "/proc/self/ns/net");
	fd = tl_netns_open_listed(root, "", 4242, self);
	assert_true(fd >= 0);
	assert_true(tl_netns_inode(fd) == self);
	close(fd);
	fd = tl_netns_open_listed(root, NULL, 4242, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tl_netns_open_listed(root, "", 4242, self + 1),
			 -ESRCH);
	assert_int_equal(tl_netns_open_listed(root, "", 4243, self), -ENOENT);
	assert_int_equal(tl_netns_open_listed(root, "", 0, self), -EINVAL);
	assert_int_equal(tl_netns_open_listed(root, "tl-no-such-netns-here",
					      4242, self),
			 -ENOENT);
	assert_int_equal(tl_netns_open_listed(root, "a/b", 4242, self),
			 -EINVAL);
	unfake_pid_ns(root, "4242");
	rmdir(root);
}

/*
 * -N opened again at each survey: a spec that names our own namespace is
 * looked at; one pinned to another inode (a pid's namespace whose process
 * exited, its pid now another's) and a name that is gone count as
 * vanished, with no entry.
 */
static void test_spec(void **state)
{
	char pid[16];
	struct tl_survey_opts o;
	struct tl_survey *sv = NULL;

	(void)state;
	tl_survey_opts_init(&o);
	o.all = false;
	o.owners = false;
	o.counters = false;
	o.diagnose = false;
	o.netns_spec = "/proc/self/ns/net";
	assert_int_equal(tl_survey_take(&o, &sv), 0);
	assert_int_equal(sv->n_ns, 1);
	assert_true(sv->ns[0].self);
	assert_int_equal(sv->n_vanished, 0);
	o.netns_inode = sv->ns[0].inode + 1;
	tl_survey_free(sv);
	assert_int_equal(tl_survey_take(&o, &sv), 0);
	assert_int_equal(sv->n_ns, 0);
	assert_int_equal(sv->n_vanished, 1);
	tl_survey_free(sv);
	o.netns_inode = 0;
	o.netns_spec = "tl-no-such-netns-name";
	assert_int_equal(tl_survey_take(&o, &sv), 0);
	assert_int_equal(sv->n_ns, 0);
	assert_int_equal(sv->n_vanished, 1);
	tl_survey_free(sv);
	/* Our pid, taken as a pid and as the name of digits it was taken as. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	o.netns_spec = pid;
	o.netns_by = TL_NETNS_BY_PID;
	assert_int_equal(tl_survey_take(&o, &sv), 0);
	assert_int_equal(sv->n_ns, 1);
	assert_true(sv->ns[0].self);
	tl_survey_free(sv);
	o.netns_by = TL_NETNS_BY_NAME;
	assert_int_equal(tl_survey_take(&o, &sv), 0);
	assert_int_equal(sv->n_ns, 0);
	assert_int_equal(sv->n_vanished, 1);
	tl_survey_free(sv);
}

/* Only a network namespace's fd has a namespace inode. */
static void test_netns_fds(void **state)
{
	struct stat st;
	int fd;

	(void)state;
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(tl_netns_inode(fd) == (uint64_t)st.st_ino);
	close(fd);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(tl_netns_inode(fd) == 0);
	close(fd);
	assert_true(tl_netns_inode(-1) == 0);
	fd = tl_netns_open_as("/proc/self/ns/net", TL_NETNS_BY_PATH);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tl_netns_open_as("self", TL_NETNS_BY_PID), -EINVAL);
	assert_int_equal(tl_netns_open_as("/proc/self/ns/net",
					  TL_NETNS_BY_NAME),
			 -EINVAL);
	assert_int_equal(tl_netns_open_as("x", TL_NETNS_BY_PATH), -EINVAL);
	assert_int_equal(tl_netns_open_as("x", 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listeners),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_netns_fds),
		cmocka_unit_test(test_procs),
		cmocka_unit_test(test_take_self),
		cmocka_unit_test(test_host_without_pid1),
		cmocka_unit_test(test_listed_proc_root),
		cmocka_unit_test(test_open_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
