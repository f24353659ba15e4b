// SPDX-License-Identifier: MIT
/*
 * survey: every network namespace at one moment. The /proc scan costs as
 * much as a dump and socket inodes are unique machine-wide, so one scan
 * serves the snapshots of every namespace.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tcplimbo/survey.h"
#include "internal.h"
#include "util.h"

void tl_survey_opts_init(struct tl_survey_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->all = true;
	o->netns_fd = -1;
	o->owners = true;
	o->counters = true;
	o->diagnose = true;
	tl_diag_opts_init(&o->diag);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct tl_survey_ns *add_ns(struct tl_survey *sv)
{
	struct tl_survey_ns *n =
		realloc(sv->ns, (sv->n_ns + 1) * sizeof(*sv->ns));

	if (!n)
		return NULL;
	sv->ns = n;
	n = &sv->ns[sv->n_ns++];
	memset(n, 0, sizeof(*n));
	return n;
}

/* Looks into one namespace (fd -1: ours); failures stay in ns. */
static int look(const struct tl_survey_opts *o, struct tl_survey *sv,
		struct tl_survey_ns *ns, int fd)
{
	struct tl_snapshot_opts so;
	struct tl_diag_opts dopts;
	struct tl_finding *f = NULL;
	int r;

	tl_snapshot_opts_init(&so);
	so.family = o->family;
	so.states = TL_STATES_REAL;
	so.owners = o->owners;
	so.proc_root = o->proc_root;
	so.netns_fd = fd;
	so.owners_from = sv->owners;
	r = tl_snapshot_take(&so, &ns->snap);
	if (r < 0) {
		ns->snap = NULL;
		ns->error = r;
		ns->stage = TL_SURVEY_SNAPSHOT;
		return r == -ENOMEM ? r : 0;
	}
	if (o->counters && tl_counters_read(o->proc_root, fd, &ns->ctr) >= 0)
		ns->have_ctr = true;
	if (!o->diagnose)
		return 0;
	/* A survey is of now: the rules may ask /proc. */
	dopts = o->diag;
	dopts.live = true;
	dopts.proc_root = o->proc_root;
	r = tl_diagnose(ns->snap, ns->have_ctr ? &ns->ctr : NULL, &dopts, &f);
	if (r < 0)
		return r;
	ns->findings = f;
	ns->n_findings = (size_t)r;
	return 0;
}

static int survey_all(const struct tl_survey_opts *o, struct tl_survey *sv,
		      uint64_t self_ino, uint64_t host_ino)
{
	struct tl_netns_info *list = NULL;
	int n, r = 0;

	n = tl_netns_list(o->proc_root, &list);
	if (n < 0)
		return n;
	for (int i = 0; i < n && r >= 0; i++) {
		struct tl_survey_ns *ns;
		int fd = -1;
		bool self = list[i].inode == self_ino;

		if (!self) {
			fd = tl_netns_open_listed(o->proc_root, list[i].name,
						  list[i].pid, list[i].inode);
			/* Gone, or its pid another namespace's, since. */
			if (fd == -ENOENT || fd == -ESRCH) {
				sv->n_vanished++;
				continue;
			}
		}
		ns = add_ns(sv);
		if (!ns) {
			if (fd >= 0)
				close(fd);
			r = -ENOMEM;
			break;
		}
		ns->inode = list[i].inode;
		ns->pid = list[i].pid;
		memcpy(ns->name, list[i].name, sizeof(ns->name));
		ns->name[sizeof(ns->name) - 1] = '\0';
		ns->self = self;
		ns->host = host_ino && list[i].inode == host_ino;
		if (!self && fd < 0) {
			ns->error = fd;
			ns->stage = TL_SURVEY_OPEN;
			continue;
		}
		r = look(o, sv, ns, fd);
		if (fd >= 0)
			close(fd);
	}
	free(list);
	return r;
}

/* The one namespace of !all: netns_fd, or netns_spec opened now. */
static int survey_one(const struct tl_survey_opts *o, struct tl_survey *sv,
		      uint64_t self_ino, uint64_t host_ino)
{
	struct tl_survey_ns *ns;
	int fd = o->netns_fd, r;

	if (o->netns_spec) {
		fd = o->netns_by ?
			     tl_netns_open_as(o->netns_spec, o->netns_by) :
			     tl_netns_open(o->netns_spec);
		if (fd >= 0 && o->netns_inode &&
		    tl_netns_inode(fd) != o->netns_inode) {
			close(fd);
			fd = -ENOENT;
		}
		/* Deleted, or its process exited: as survey_all counts it. */
		if (fd == -ENOENT || fd == -ESRCH) {
			sv->n_vanished++;
			return 0;
		}
	}
	ns = add_ns(sv);
	if (!ns) {
		r = -ENOMEM;
		goto out;
	}
	if (fd < 0 && o->netns_spec) {
		ns->error = fd;
		ns->stage = TL_SURVEY_OPEN;
		return 0;
	}
	ns->inode = fd >= 0 ? tl_netns_inode(fd) : self_ino;
	ns->self = fd < 0 || ns->inode == self_ino;
	ns->host = host_ino && ns->inode == host_ino;
	r = look(o, sv, ns, fd);
out:
	if (o->netns_spec && fd >= 0)
		close(fd);
	return r;
}

int tl_survey_take(const struct tl_survey_opts *o, struct tl_survey **ret)
{
	const char *root = o->proc_root ? o->proc_root : "/proc";
	struct tl_survey *sv = calloc(1, sizeof(*sv));
	uint64_t start = now_ns(), self_ino = 0, host_ino;
	int r = 0, fd;

	if (!sv)
		return -ENOMEM;
	fd = tl_netns_open("/proc/thread-self/ns/net");
	if (fd >= 0) {
		self_ino = tl_netns_inode(fd);
		close(fd);
	}
	host_ino = tl_netns_host_inode(root, self_ino);
	if (o->owners) {
		struct tl_owners_opts oo = {
			.proc_root = root,
			.flags = TL_OWNERS_LIMITS | TL_OWNERS_STAT,
			.backend = o->owners_backend,
			.threads = o->owners_threads,
		};

		r = tl_owners_take(&oo, &sv->owners);
		if (r < 0)
			goto fail;
	}
	if (o->all) {
		r = survey_all(o, sv, self_ino, host_ino);
	} else {
		r = survey_one(o, sv, self_ino, host_ino);
	}
	if (r < 0)
		goto fail;
	sv->duration_ns = now_ns() - start;
	*ret = sv;
	return 0;
fail:
	tl_survey_free(sv);
	return r;
}

void tl_survey_free(struct tl_survey *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n_ns; i++) {
		tl_snapshot_free(sv->ns[i].snap);
		free(sv->ns[i].findings);
	}
	free(sv->ns);
	tl_owners_free(sv->owners);
	free(sv);
}

int tl_survey_listeners(const struct tl_snapshot *snap,
			struct tl_listener_stat **ret)
{
	struct tl_listener_stat *v;
	uint32_t *slot;	 /* per socket: its listener's entry + 1 */
	uint8_t *shared; /* per port: a queued child may be in several */
	size_t n = 0;

	*ret = NULL;
	for (size_t i = 0; i < snap->n_socks; i++)
		n += snap->socks[i].state == TL_LISTEN;
	if (n == 0)
		return 0;
	v = calloc(n, sizeof(*v));
	slot = calloc(snap->n_socks, sizeof(*slot));
	shared = calloc(65536 / 8, 1);
	if (!v || !slot || !shared) {
		free(v);
		free(slot);
		free(shared);
		return -ENOMEM;
	}
	n = 0;
	for (size_t i = 0; i < snap->n_socks; i++) {
		if (snap->socks[i].state != TL_LISTEN)
			continue;
		v[n].sock = (uint32_t)i;
		slot[i] = (uint32_t)++n;
	}
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		struct tl_listener_stat *l;
		uint64_t age;

		if (sk->limbo != TL_LIMBO_ACCEPT_QUEUE || sk->listener == 0 ||
		    sk->listener > snap->n_socks || slot[sk->listener - 1] == 0)
			continue;
		l = &v[slot[sk->listener - 1] - 1];
		l->queued++;
		if (sk->n_listeners > 1)
			shared[sk->sport / 8] |= (uint8_t)(1u << sk->sport % 8);
		if (sk->state == TL_CLOSE_WAIT)
			l->closed++;
		if (tl_diag_queue_age(sk, &age)) {
			if (!l->has_age || age > l->oldest_ms)
				l->oldest_ms = age;
			l->has_age = true;
		}
	}
	/* A queue whose oldest has waited a second does not move. */
	for (size_t k = 0; k < n; k++) {
		const struct tl_sock *L = &snap->socks[v[k].sock];

		v[k].hidden = tli_queue_unlisted(
			L, v[k].queued,
			shared[L->sport / 8] & (1u << L->sport % 8),
			v[k].has_age && v[k].oldest_ms >= 1000);
	}
	free(shared);
	free(slot);
	*ret = v;
	return (int)n;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct tl_proc_stat *x = a, *y = b;

	return x->proc < y->proc ? -1 : x->proc > y->proc;
}

int tl_survey_procs(const struct tl_snapshot *snap, struct tl_proc_stat **ret)
{
	const struct tl_owners *o = snap->owners;
	struct tl_proc_stat *v = NULL;
	uint32_t *slot; /* per process: its entry + 1 */
	size_t n = 0, cap = 0;
	int r = 0;

	*ret = NULL;
	if (!o || o->n_procs == 0)
		return 0;
	slot = calloc(o->n_procs, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		const struct tl_fdref *refs;
		size_t nref = tl_snapshot_owners(snap, sk, &refs);
		uint32_t last = UINT32_MAX;

		for (size_t k = 0; k < nref; k++) {
			struct tl_proc_stat *p;
			uint32_t pi = refs[k].proc;

			/* A process holding it by several fds counts once. */
			if (pi >= o->n_procs || pi == last)
				continue;
			last = pi;
			if (slot[pi] == 0) {
				if (n == cap && tli_grow((void **)&v, &cap,
							 sizeof(*v), 16) < 0) {
					r = -ENOMEM;
					goto out;
				}
				memset(&v[n], 0, sizeof(v[n]));
				v[n].proc = pi;
				slot[pi] = (uint32_t)++n;
			}
			p = &v[slot[pi] - 1];
			p->sockets++;
			if (sk->state == TL_LISTEN)
				p->queued += sk->rqueue;
			if (sk->state == TL_CLOSE_WAIT) {
				p->close_wait++;
				uint64_t age;

				if (tli_held_age(sk, &age)) {
					if (!p->has_age ||
					    age > p->close_wait_oldest_ms)
						p->close_wait_oldest_ms = age;
					p->has_age = true;
				}
			}
		}
	}
out:
	free(slot);
	if (r < 0) {
		free(v);
		return r;
	}
	/* Entries were made in socket order; callers want process order. */
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_proc);
	*ret = v;
	return (int)n;
}
