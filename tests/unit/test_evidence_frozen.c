// SPDX-License-Identifier: MIT
/*
 * Tests for lib/evidence*.c, continued: a process frozen by its cgroup,
 * through cgroup v2's cgroup.freeze of an ancestor or the v1 freezer's
 * freezer.state, each from a fake /proc tree (test_proc_world.h).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "test_proc_world.h"

/*
 * Frozen by cgroup v2 through an ancestor: the process's cgroup.events
 * says frozen 1, its own cgroup.freeze 0, its parent's 1: the parent is
 * the one to thaw. Its /proc/PID/cgroup is a hybrid machine's, the v2
 * line last, past 512 bytes. The hierarchy is where the tree's
 * self/mountinfo mounts cgroup2 whole, not the subtree mounted first.
 */
static void test_frozen_by_ancestor(void **st)
{
	char cgroup[2048], mi[PATH_MAX + 192];
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	struct world w;
	size_t off = 0;

	(void)st;
	world_init(&w, 0, 0);
	world_proc(&w, "S (sleeping)", 0, 1);
	world_thread(&w, PID, "S (sleeping)", "-1 0x0 0x0", "get_signal",
		     "4990.0");
	for (int i = 12; i >= 1; i--)
		off += (size_t)snprintf(
			cgroup + off, sizeof(cgroup) - off,
			"%d:ctl%d:/system.slice/docker-0123456789abcdef.scope\n",
			i, i);
	snprintf(cgroup + off, sizeof(cgroup) - off, "0::/pod/app\n");
	assert_true(strlen(cgroup) > 512);
	put(w.dir, "4711/cgroup", "%s", cgroup);
	mkd(w.dir, "self");
	/* A subtree of the hierarchy bind-mounted first: not its. */
	snprintf(mi, sizeof(mi),
		 "29 1 0:26 /other /srv/x rw - cgroup2 cgroup2 rw\n"
		 "30 1 0:26 / %s/cg rw,relatime - cgroup2 cgroup2 rw\n",
		 w.dir);
	put(w.dir, "self/mountinfo", "%s", mi);
	mkd(w.dir, "cg");
	mkd(w.dir, "cg/pod");
	mkd(w.dir, "cg/pod/app");
	put(w.dir, "cg/pod/app/cgroup.events", "populated 1\nfrozen 1\n");
	put(w.dir, "cg/pod/app/cgroup.freeze", "0\n");
	put(w.dir, "cg/pod/cgroup.freeze", "1\n");
	assert_int_equal(tl_evidence_gather(w.dir, PID, &w.snap, &w.socks[0],
					    TL_EV_THREADS, &ev),
			 0);
	assert_true(ev.frozen);
	assert_true(ev.frozen_by_ancestor);
	assert_string_equal(ev.frozen_cgroup, "/pod");
	tl_evidence_conclude(&ev, TL_FIND_NOT_ACCEPTING, &v);
	assert_int_equal(v.cause, TL_CAUSE_FROZEN);
	assert_non_null(strstr(v.text,
			       "its cgroup.events says frozen 1, and "
			       "cgroup.freeze of /pod, an ancestor of its "
			       "cgroup, is 1"));
	/* Thawed: frozen 0, and nothing is told. */
	put(w.dir, "cg/pod/app/cgroup.events", "populated 1\nfrozen 0\n");
	assert_int_equal(tl_evidence_gather(w.dir, PID, &w.snap, &w.socks[0],
					    TL_EV_THREADS, &ev),
			 0);
	assert_false(ev.frozen);
	rmtree(w.dir);
	assert_int_equal(tl_evidence_gather("/proc", 0, NULL, NULL, 0, &ev),
			 -EINVAL);
}

/* conclude() that keeps the world's files, for another look. */
static void gather_conclude(struct world *w, struct tl_evidence *ev,
			    struct tl_ev_verdict *v)
{
	assert_int_equal(tl_evidence_gather(w->dir, PID, &w->snap, &w->socks[0],
					    TL_EV_THREADS, ev),
			 0);
	tl_evidence_conclude(ev, TL_FIND_NOT_ACCEPTING, v);
}

/*
 * Frozen by the cgroup v1 freezer (docker pause, podman pause, lxc-freeze
 * on a hybrid machine): the thread that slept in futex is frozen in place,
 * in state D, and only the accepting one sleeps in __refrigerator. The
 * freezer.state of its freezer cgroup tells; THAWED tells it is not.
 */
static void test_frozen_v1(void **st)
{
	char mi[PATH_MAX + 96];
	struct tl_evidence ev;
	struct tl_ev_verdict v;
	struct world w;

	(void)st;
	world_init(&w, 0, 0);
	world_proc(&w, "D (disk sleep)", 0, 2);
	world_thread(&w, PID, "D (disk sleep)", FUTEX, "futex_do_wait",
		     "4990.0");
	world_thread(&w, PID + 1, "D (disk sleep)",
		     "288 0x3 0x0 0x0 0x80800 0x0 0x0 0x1 0x2",
		     "__refrigerator", "4990.0");
	put(w.dir, "4711/cgroup",
	    "7:freezer:/lxc.payload.web\n1:name=systemd:/x\n0::/x\n");
	mkd(w.dir, "self");
	snprintf(mi, sizeof(mi),
		 "39 30 0:35 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
		 "40 30 0:36 / %s/fz rw,relatime - cgroup cgroup rw,freezer\n",
		 w.dir);
	put(w.dir, "self/mountinfo", "%s", mi);
	mkd(w.dir, "fz");
	mkd(w.dir, "fz/lxc.payload.web");
	put(w.dir, "fz/lxc.payload.web/freezer.state", "FROZEN\n");
	gather_conclude(&w, &ev, &v);
	assert_true(ev.frozen);
	assert_int_equal(ev.frozen_v1, 1);
	assert_string_equal(ev.frozen_cgroup, "/lxc.payload.web");
	assert_int_equal(v.cause, TL_CAUSE_FROZEN);
	assert_int_equal(v.certainty, TL_CERT_CERTAIN);
	assert_non_null(strstr(v.text, "frozen by the cgroup v1 freezer: the "
				       "freezer.state of /lxc.payload.web "
				       "says FROZEN"));
	put(w.dir, "fz/lxc.payload.web/freezer.state", "FREEZING\n");
	gather_conclude(&w, &ev, &v);
	assert_int_equal(ev.frozen_v1, 2);
	assert_non_null(strstr(v.text, "says FREEZING"));
	/* Thawed meanwhile: nothing frozen, whatever the wchans said. */
	put(w.dir, "fz/lxc.payload.web/freezer.state", "THAWED\n");
	gather_conclude(&w, &ev, &v);
	assert_false(ev.frozen);
	assert_int_not_equal(v.cause, TL_CAUSE_FROZEN);
	/*
	 * Frozen by its parent: the child's freezer.state says FROZEN too,
	 * but only the parent's freezer.self_freezing is 1, and it is the
	 * one to thaw.
	 */
	put(w.dir, "4711/cgroup", "7:freezer:/lxc.payload.web/app\n0::/x\n");
	mkd(w.dir, "fz/lxc.payload.web/app");
	put(w.dir, "fz/lxc.payload.web/app/freezer.state", "FROZEN\n");
	put(w.dir, "fz/lxc.payload.web/app/freezer.self_freezing", "0\n");
	put(w.dir, "fz/lxc.payload.web/freezer.state", "FROZEN\n");
	put(w.dir, "fz/lxc.payload.web/freezer.self_freezing", "1\n");
	gather_conclude(&w, &ev, &v);
	assert_true(ev.frozen);
	assert_true(ev.frozen_by_ancestor);
	assert_string_equal(ev.frozen_cgroup, "/lxc.payload.web");
	assert_non_null(strstr(v.text, "and /lxc.payload.web, an ancestor of "
				       "that cgroup, froze it"));
	/*
	 * FREEZING with no thread in the freezer: a process stuck in I/O,
	 * which keeps the cgroup from freezing, is not told as frozen.
	 */
	put(w.dir, "fz/lxc.payload.web/app/freezer.state", "FREEZING\n");
	put(w.dir, "4711/task/4712/wchan", "futex_do_wait");
	gather_conclude(&w, &ev, &v);
	assert_false(ev.frozen);
	rmtree(w.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frozen_by_ancestor),
		cmocka_unit_test(test_frozen_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
