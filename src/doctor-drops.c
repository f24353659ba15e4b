// SPDX-License-Identifier: MIT
/*
 * doctor's second look at a listener's drops: its counter counts since it
 * started, so drops where the queue is not full may be long past, and a
 * dump a moment later tells whether they go on.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "tcplimbo/diagnose.h"
#include "tcplimbo/netns.h"
#include "tcplimbo/survey.h"
#include "tl.h"
#include "doctor.h"

/*
 * A listener's drop counter counts since it started: a warning of drops
 * where the queue is not full now may be of drops long past (a small
 * backlog's listener, half full under a healthy load, dropped once an
 * hour ago). Where the snapshot has such a listener, its namespace's
 * listeners are dumped again a moment later, and only drops that go on
 * are told. A replayed dump's moment is gone: it gets no second look.
 */
bool doctor_drops_unsure(const struct doctor *d, const struct tl_global *g,
			 const struct tl_snapshot *snap,
			 const struct tl_counters *ctr)
{
	return !g->replay_path && tl_diag_drops_unsure(snap, ctr, &d->opts);
}

/* The moment between the two looks; one for every namespace. */
void doctor_drops_pause(void)
{
	struct timespec ts = { DOCTOR_DROPS_AGAIN_MS / 1000,
			       (DOCTOR_DROPS_AGAIN_MS % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The second look, after doctor_drops_pause: the listeners of the namespace
 * netns_fd (-1: ours) dumped again, and the rules run again over the
 * first snapshot with them. Replaces *f and returns the new count, or
 * returns n and leaves *f where the second dump fails: the warnings then
 * stand as the first look made them.
 */
int doctor_drops_again(struct doctor *d, const struct tl_global *g,
		       struct target *t, int netns_fd,
		       const struct tl_snapshot *snap,
		       const struct tl_counters *ctr, int n,
		       struct tl_finding **f)
{
	struct tl_snapshot_opts so;
	struct tl_diag_opts o = d->opts;
	struct tl_snapshot *later = NULL;
	struct tl_finding *f2 = NULL;
	int n2;

	tl_snapshot_opts_init(&so);
	so.family = g->family;
	so.states = TL_STATE_BIT(TL_LISTEN);
	so.owners = false;
	so.netns_fd = netns_fd;
	if (tl_snapshot_take(&so, &later) < 0)
		return n;
	o.drops_later = later;
	/* TCP_DEFER_ACCEPT's drops grow the listener's counter, not these. */
	t->have_later_ctr =
		tl_counters_read(g->proc_root, netns_fd, &t->later_ctr) >= 0 &&
		(t->later_ctr.have & TL_CTR_NETSTAT);
	o.drops_later_ctr = t->have_later_ctr ? &t->later_ctr : NULL;
	n2 = tl_diagnose(snap, ctr, &o, &f2);
	if (n2 < 0) {
		tl_snapshot_free(later);
		t->have_later_ctr = false;
		return n;
	}
	/* The notes of what was held back say the same. */
	t->later = later;
	free(*f);
	*f = f2;
	return n2;
}

/*
 * doctor_drops_again for a namespace of the survey, which closed its file: it
 * is opened again, and only while it is still the one surveyed.
 */
int doctor_drops_again_ns(struct doctor *d, const struct tl_global *g,
			  struct target *t, struct tl_survey_ns *ns)
{
	int fd = -1, n = (int)ns->n_findings;

	if (!ns->self) {
		fd = tl_netns_open_listed(g->proc_root, ns->name, ns->pid,
					  ns->inode);
		if (fd < 0)
			return n;
	}
	n = doctor_drops_again(d, g, t, fd, t->snap,
			       t->have_ctr ? &t->ctr : NULL, n, &ns->findings);
	ns->n_findings = (size_t)n;
	if (fd >= 0)
		close(fd);
	return n;
}
