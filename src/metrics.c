// SPDX-License-Identifier: MIT
/*
 * serve's metrics from a survey. Series per namespace (sockets by state,
 * findings) are always written; per-listener and per-process series are
 * ranked and written while the --max-series budget lasts, so the most
 * telling ones survive a cap: listeners with a queue (oldest first), then
 * processes (most CLOSE_WAIT first, then highest fd use), then idle
 * listeners. What did not fit is counted in tcplimbo_series_dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "tl.h"
#include "tcplimbo/addr.h"

#define NS_LABEL_MAX (TL_NETNS_SPEC_MAX + 32)
#define SUBJECT_MAX (2 * TL_ADDR_STR_MAX + 16)

/* The states a snapshot holds (TL_STATES_REAL): one series each. */
static const uint8_t states[] = {
	TL_ESTABLISHED, TL_SYN_SENT,  TL_SYN_RECV,     TL_FIN_WAIT1,
	TL_FIN_WAIT2,	TL_TIME_WAIT, TL_CLOSE_WAIT,   TL_LAST_ACK,
	TL_LISTEN,	TL_CLOSING,   TL_NEW_SYN_RECV,
};
#define N_STATES (sizeof(states) / sizeof(states[0]))

/*
 * A process's comm label. "" is an owner no scan could read (the alert
 * rules say "a process not seen"): a process that named itself "" (prctl
 * PR_SET_NAME) gets a name no comm can be, longer than TASK_COMM_LEN.
 */
#define METRICS_EMPTY_COMM "[empty process name]"
static const char *metrics_comm(const struct tl_proc *p)
{
	return p->comm[0] ? p->comm : METRICS_EMPTY_COMM;
}

/* One listener series set; SO_REUSEPORT twins are merged into one. */
struct lrow {
	size_t ns;
	char listener[TL_ADDR_STR_MAX + 24]; /* with a device's name */
	const char *comm;
	pid_t pid;	 /* the listener's first holder, 0 when none is known */
	uint64_t cookie; /* the socket's (before merge_listeners) */
	uint64_t key;	 /* the series', for the ledger */
	uint64_t len, limit, closed, oldest_ms, drops;
	uint64_t full; /* listeners whose own queue is over their backlog */
	bool kept;
	struct metrics_place where; /* read for every row (place_listeners) */
};

/* Series a listener row writes. */
#define LROW_SERIES 6

/* One process series set, in one namespace. */
struct prow {
	size_t ns;
	const struct tl_proc *p;
	uint64_t cw, cw_oldest_ms;
	bool kept;
	struct metrics_place where;
};

struct frow {
	size_t ns;
	int kind, sev;
	char subject[SUBJECT_MAX];
};

/* A candidate for the series budget. */
struct cand {
	int cls; /* 0 queued listener, 1 process, 2 idle listener */
	uint64_t k1, k2;
	size_t idx;
};

struct work {
	const struct tl_survey *sv;
	char (*labels)[NS_LABEL_MAX];
	struct lrow *l;
	size_t nl, capl;
	struct prow *p;
	size_t np, capp;
	struct frow *f;
	size_t nf, capf;
};

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 64;
	nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

/* The first process holding a socket, or NULL. */
static const struct tl_proc *first_holder(const struct tl_snapshot *snap,
					  const struct tl_sock *sk)
{
	const struct tl_fdref *refs;

	if (tl_snapshot_owners(snap, sk, &refs) == 0 ||
	    refs[0].proc >= snap->owners->n_procs)
		return NULL;
	return &snap->owners->procs[refs[0].proc];
}

/*
 * A place read already for pid in this scrape: a process often has both
 * a process row and listener rows, and its cgroup is read once. Linear,
 * over the listener rows and the kept process rows filled so far (a few
 * thousand at most under --max-series).
 */
static const struct metrics_place *place_seen(const struct work *w, pid_t pid,
					      size_t np_done)
{
	for (size_t i = 0; i < np_done; i++)
		if (w->p[i].kept && w->p[i].p->pid == pid)
			return &w->p[i].where;
	for (size_t i = 0; i < w->nl; i++)
		if (w->l[i].pid == pid)
			return &w->l[i].where;
	return NULL;
}

/* The places of the process rows kept (the listeners' are read). */
static void fill_places(struct work *w, const struct metrics_opts *o)
{
	const struct metrics_place *seen;

	for (size_t i = 0; i < w->np; i++) {
		if (!w->p[i].kept)
			continue;
		seen = place_seen(w, w->p[i].p->pid, i);
		if (seen)
			w->p[i].where = *seen;
		else
			metrics_place_of(o, w->p[i].p->pid, &w->p[i].where);
	}
}

static bool fd_half(const struct tl_proc *p)
{
	return p->nofile && p->nofile != UINT64_MAX &&
	       (uint64_t)p->nfds * 2 >= p->nofile;
}

static bool nofile_known(const struct tl_proc *p)
{
	return p->nofile && p->nofile != UINT64_MAX;
}

static int collect_ns(struct work *w, size_t ni)
{
	const struct tl_snapshot *snap = w->sv->ns[ni].snap;
	struct tl_listener_stat *ls = NULL;
	struct tl_proc_stat *ps = NULL;
	int nl, np, r = 0;

	nl = tl_survey_listeners(snap, &ls);
	if (nl < 0)
		return nl;
	for (int i = 0; i < nl; i++) {
		const struct tl_sock *L = &snap->socks[ls[i].sock];
		const struct tl_proc *holder;
		const char *dev;
		char ifn[16];
		struct lrow *row;

		r = grow((void **)&w->l, &w->capl, w->nl, sizeof(*w->l));
		if (r < 0)
			goto out;
		row = &w->l[w->nl++];
		memset(row, 0, sizeof(*row));
		row->ns = ni;
		/* With its device, as ls shows it: fe80::1 on two links
		 * is two listeners. */
		dev = tl_snapshot_device(snap, L->ifindex, ifn, sizeof(ifn));
		tl_addr_format_port_dev(row->listener, sizeof(row->listener),
					L->family, L->src, L->sport, dev);
		holder = first_holder(snap, L);
		row->comm = holder ? metrics_comm(holder) : "";
		row->pid = holder ? holder->pid : 0;
		/* Recv-Q of a listener is its queue, Send-Q its backlog. */
		row->len = L->rqueue;
		row->limit = L->wqueue;
		/* Reset while queued: gone as the CLOSE_WAIT ones are. */
		row->closed = (uint64_t)ls[i].closed + ls[i].hidden;
		row->oldest_ms = ls[i].has_age ? ls[i].oldest_ms : 0;
		row->drops = L->has & TL_HAS_MEMINFO ? L->drops : 0;
		row->full = L->rqueue > L->wqueue;
		row->cookie = L->cookie;
	}
	np = tl_survey_procs(snap, &ps);
	if (np < 0) {
		r = np;
		goto out;
	}
	for (int i = 0; i < np; i++) {
		const struct tl_proc *p = &snap->owners->procs[ps[i].proc];
		struct prow *row;

		/* Only where there is something to see. */
		if (!ps[i].close_wait && !ps[i].queued && !fd_half(p))
			continue;
		r = grow((void **)&w->p, &w->capp, w->np, sizeof(*w->p));
		if (r < 0)
			goto out;
		row = &w->p[w->np++];
		memset(row, 0, sizeof(*row));
		row->ns = ni;
		row->p = p;
		row->cw = ps[i].close_wait;
		row->cw_oldest_ms = ps[i].has_age ? ps[i].close_wait_oldest_ms :
						    0;
	}
out:
	free(ls);
	free(ps);
	return r;
}

static int cmp_lrow(const void *a, const void *b)
{
	const struct lrow *x = a, *y = b;
	int c;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	c = strcmp(x->listener, y->listener);
	return c ? c : strcmp(x->comm, y->comm);
}

/*
 * Every listener row's place, and with it the key of its series in the
 * ledger: the labels it will be written with. A blue and a green
 * deployment of one address and comm are two series, and the drops of a
 * member that closes stay with its own (before the ledger takes the
 * scan). A process's cgroup is read once, through a direct-mapped cache
 * of the rows placed, by pid (nginx holds many listeners).
 */
#define PLACE_SLOTS 256
static void place_listeners(struct work *w, const struct metrics_opts *o)
{
	size_t slot[PLACE_SLOTS] = { 0 }; /* a row placed, + 1 */

	for (size_t i = 0; i < w->nl; i++) {
		struct lrow *row = &w->l[i];
		size_t *s = &slot[(unsigned)row->pid % PLACE_SLOTS];

		if (row->pid > 0 && *s && w->l[*s - 1].pid == row->pid) {
			row->where = w->l[*s - 1].where;
		} else {
			metrics_place_of(o, row->pid, &row->where);
			if (row->pid > 0)
				*s = i + 1;
		}
		const char *labels[] = { w->labels[row->ns],
					 row->listener,
					 row->comm,
					 row->where.unit,
					 row->where.container,
					 row->where.pod,
					 row->where.pod_namespace };
		row->key = metrics_ledger_key(
			labels, sizeof(labels) / sizeof(labels[0]));
	}
}

/*
 * Listeners sharing an address (SO_REUSEPORT) and comm: one series set,
 * for each unit and container they run in (a blue and a green
 * deployment are two, each with its own labels).
 */
static void merge_listeners(struct work *w)
{
	size_t k = 0;

	if (w->nl > 1)
		qsort(w->l, w->nl, sizeof(*w->l), cmp_lrow);
	for (size_t i = 0; i < w->nl;) {
		size_t j = i + 1, first = k;

		while (j < w->nl && cmp_lrow(&w->l[i], &w->l[j]) == 0)
			j++;
		for (size_t g = i; g < j; g++) {
			struct lrow *m = NULL;

			for (size_t q = first; q < k && !m; q++)
				if (metrics_same_place(&w->l[q].where,
						       &w->l[g].where))
					m = &w->l[q];
			if (!m) {
				w->l[k++] = w->l[g];
				continue;
			}
			m->len += w->l[g].len;
			m->limit += w->l[g].limit;
			m->closed += w->l[g].closed;
			m->drops += w->l[g].drops;
			m->full += w->l[g].full;
			if (w->l[g].oldest_ms > m->oldest_ms)
				m->oldest_ms = w->l[g].oldest_ms;
		}
		i = j;
	}
	w->nl = k;
}

/* Hands this scan's listener sockets to the ledger (before merging). */
static int ledger_take(struct work *w, struct metrics_ledger *lg)
{
	struct ledger_sock *s = calloc(w->nl ? w->nl : 1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < w->nl; i++) {
		const struct tl_survey_ns *ns = &w->sv->ns[w->l[i].ns];
		bool has = ns->have_ctr && (ns->ctr.have & TL_CTR_NETSTAT);

		s[i] = (struct ledger_sock){ w->l[i].cookie, w->l[i].key,
					     w->l[i].drops, has,
					     ns->ctr.listen_drops };
	}
	r = metrics_ledger_update(lg, s, w->nl);
	free(s);
	return r;
}

/* Adds what the ledger carries to each series' drops (after merging). */
static void ledger_give(struct work *w, const struct metrics_ledger *lg)
{
	for (size_t i = 0; i < w->nl; i++)
		w->l[i].drops += metrics_ledger_carry(lg, w->l[i].key);
}

static size_t prow_series(const struct prow *r)
{
	return 3 + nofile_known(r->p);
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->k1 != y->k1)
		return x->k1 > y->k1 ? -1 : 1;
	if (x->k2 != y->k2)
		return x->k2 > y->k2 ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Marks what fits in budget; returns the series left out. */
static int choose(struct work *w, size_t budget, size_t *ret_dropped)
{
	struct cand *c = calloc(w->nl + w->np + 1, sizeof(*c));
	size_t n = 0, dropped = 0;

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < w->nl; i++, n++) {
		c[n].cls = w->l[i].len ? 0 : 2;
		c[n].k1 = w->l[i].oldest_ms;
		c[n].k2 = w->l[i].len;
		c[n].idx = i;
	}
	for (size_t i = 0; i < w->np; i++, n++) {
		const struct tl_proc *p = w->p[i].p;

		c[n].cls = 1;
		c[n].k1 = w->p[i].cw;
		c[n].k2 = nofile_known(p) ?
				  (uint64_t)p->nfds * 1000 / p->nofile :
				  0;
		c[n].idx = w->nl + i;
	}
	qsort(c, n, sizeof(*c), cmp_cand);
	for (size_t i = 0; i < n; i++) {
		bool is_l = c[i].idx < w->nl;
		size_t cost = is_l ? LROW_SERIES :
				     prow_series(&w->p[c[i].idx - w->nl]);

		if (cost > budget) {
			dropped += cost;
			continue;
		}
		budget -= cost;
		if (is_l)
			w->l[c[i].idx].kept = true;
		else
			w->p[c[i].idx - w->nl].kept = true;
	}
	free(c);
	*ret_dropped = dropped;
	return 0;
}

/*
 * What a finding is about, unique per kind within a namespace: the
 * listener for queue findings, the process for held sockets and fds.
 */
static void subject_of(const struct tl_finding *f, char *buf, size_t size)
{
	char a[TL_ADDR_STR_MAX];

	switch (f->kind) {
	case TL_FIND_FD_EXHAUSTION:
	case TL_FIND_CLOSE_WAIT_LEAK:
	case TL_FIND_FIN_WAIT2_STUCK:
		if (f->n_pids) {
			snprintf(buf, size, "pid %d", (int)f->pids[0]);
			return;
		}
		break;
	case TL_FIND_TIME_WAIT_PRESSURE:
		if (f->remote_port) {
			snprintf(buf, size, "to %s",
				 tl_addr_format_port(a, sizeof(a), f->family,
						     f->remote_addr,
						     f->remote_port));
			return;
		}
		/* The namespace's entries near their limit: no destination. */
		snprintf(buf, size, "net.ipv4.tcp_max_tw_buckets");
		return;
	case TL_FIND_ORPHAN_PRESSURE:
		snprintf(buf, size, "host");
		return;
	}
	if (f->local_port)
		snprintf(buf, size, "%s",
			 tl_addr_format_port(a, sizeof(a), f->family,
					     f->local_addr, f->local_port));
	else if (f->n_pids)
		snprintf(buf, size, "pid %d", (int)f->pids[0]);
	else
		snprintf(buf, size, "unknown");
}

static int cmp_frow(const void *a, const void *b)
{
	const struct frow *x = a, *y = b;
	int c;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = strcmp(x->subject, y->subject);
	if (c)
		return c;
	return y->sev - x->sev; /* the most severe of twins first */
}

static int collect_findings(struct work *w)
{
	bool orphans_seen = false;
	size_t k = 0;

	for (size_t ni = 0; ni < w->sv->n_ns; ni++) {
		const struct tl_survey_ns *ns = &w->sv->ns[ni];

		for (size_t i = 0; i < ns->n_findings; i++) {
			const struct tl_finding *f = &ns->findings[i];
			struct frow *row;

			/* The orphan count is the host's: report it once. */
			if (f->kind == TL_FIND_ORPHAN_PRESSURE) {
				if (orphans_seen)
					continue;
				orphans_seen = true;
			}
			if (grow((void **)&w->f, &w->capf, w->nf,
				 sizeof(*w->f)) < 0)
				return -ENOMEM;
			row = &w->f[w->nf++];
			row->ns = ni;
			row->kind = f->kind;
			row->sev = f->severity;
			subject_of(f, row->subject, sizeof(row->subject));
		}
	}
	if (w->nf > 1)
		qsort(w->f, w->nf, sizeof(*w->f), cmp_frow);
	/* One series per (namespace, kind, subject): the most severe. */
	for (size_t i = 0; i < w->nf; i++) {
		if (k && w->f[k - 1].ns == w->f[i].ns &&
		    w->f[k - 1].kind == w->f[i].kind &&
		    strcmp(w->f[k - 1].subject, w->f[i].subject) == 0)
			continue;
		w->f[k++] = w->f[i];
	}
	w->nf = k;
	return 0;
}

/*
 * The label that says which namespace a series comes from. Per-listener
 * and per-process series add the unit and container (place_labels).
 */
static size_t where_labels(const struct work *w, size_t ni,
			   struct prom_label *out)
{
	out[0].name = "netns";
	out[0].value = w->labels[ni];
	return 1;
}

static void write_listeners(struct prom *p, const struct work *w,
			    const char *name, const char *type,
			    const char *help, int which)
{
	prom_family(p, name, type, help);
	for (size_t i = 0; i < w->nl; i++) {
		const struct lrow *r = &w->l[i];
		struct prom_label lb[8];
		size_t n = where_labels(w, r->ns, lb);
		uint64_t v[] = { r->len,       r->limit, r->closed,
				 r->oldest_ms, r->drops, r->full };

		if (!r->kept)
			continue;
		lb[n].name = "listener";
		lb[n++].value = r->listener;
		lb[n].name = "comm";
		lb[n++].value = r->comm;
		n = metrics_place_labels(&r->where, lb, n);
		prom_sample(p, name, lb, n, v[which], which == 3 ? 3 : 0);
	}
}

static void write_procs(struct prom *p, const struct work *w, const char *name,
			const char *help, int which)
{
	prom_family(p, name, "gauge", help);
	for (size_t i = 0; i < w->np; i++) {
		const struct prow *r = &w->p[i];
		struct prom_label lb[8];
		size_t n = where_labels(w, r->ns, lb);
		char pid[24];
		uint64_t v[] = { r->cw, r->cw_oldest_ms, r->p->nfds,
				 r->p->nofile };

		if (!r->kept || (which == 3 && !nofile_known(r->p)))
			continue;
		snprintf(pid, sizeof(pid), "%d", (int)r->p->pid);
		lb[n].name = "comm";
		lb[n++].value = metrics_comm(r->p);
		lb[n].name = "pid";
		lb[n++].value = pid;
		n = metrics_place_labels(&r->where, lb, n);
		prom_sample(p, name, lb, n, v[which], which == 1 ? 3 : 0);
	}
}

static void write_all(struct prom *p, const struct work *w,
		      const struct metrics_result *res)
{
	const struct tl_survey *sv = w->sv;
	size_t by_sev[3] = { 0 };
	struct prom_label lb[4];

	prom_family(
		p, "tcplimbo_sockets", "gauge",
		"TCP sockets by state in each network namespace, zeros included.");
	for (size_t ni = 0; ni < sv->n_ns; ni++) {
		const struct tl_snapshot *snap = sv->ns[ni].snap;
		uint64_t count[TL_STATE_MAX] = { 0 };
		size_t n;

		if (!snap)
			continue;
		for (size_t i = 0; i < snap->n_socks; i++) {
			int st = tl_sock_kernel_state(&snap->socks[i]);

			if (st < TL_STATE_MAX)
				count[st]++;
		}
		for (size_t s = 0; s < N_STATES; s++) {
			n = where_labels(w, ni, lb);
			lb[n].name = "state";
			lb[n++].value = tl_state_name_upper(states[s]);
			prom_sample(p, "tcplimbo_sockets", lb, n,
				    count[states[s]], 0);
		}
	}
	write_listeners(
		p, w, "tcplimbo_listen_queue_length", "gauge",
		"Connections in the listener's accept queue, waiting for accept().",
		0);
	write_listeners(
		p, w, "tcplimbo_listen_queue_limit", "gauge",
		"The listener's backlog: the queue holds at most this plus one (SO_REUSEPORT: the group's sum).",
		1);
	write_listeners(
		p, w, "tcplimbo_listen_queue_closed", "gauge",
		"Queued connections whose client is gone: closed (CLOSE_WAIT in the queue), or reset while queued (counted in the queue, listed by no dump).",
		2);
	write_listeners(
		p, w, "tcplimbo_listen_queue_oldest_seconds", "gauge",
		"Age of the oldest queued connection; 0 when the queue is empty.",
		3);
	write_listeners(
		p, w, "tcplimbo_listen_drops_total", "counter",
		"Packets the listener dropped (its SK_MEMINFO_DROPS): a full queue's SYNs and handshake ACKs, but also, under TCP_DEFER_ACCEPT (Apache's default, uwsgi, nginx's deferred), one handshake ACK for each connection, which is no overflow.",
		4);
	write_listeners(
		p, w, "tcplimbo_listen_queues_full", "gauge",
		"Listeners of the series (SO_REUSEPORT: each has its own queue) whose accept queue is over its backlog: new SYNs are dropped.",
		5);
	write_procs(p, w, "tcplimbo_process_close_wait_sockets",
		    "CLOSE_WAIT sockets the process holds.", 0);
	write_procs(
		p, w, "tcplimbo_process_close_wait_oldest_seconds",
		"Time since the peer's FIN on the process's oldest CLOSE_WAIT socket.",
		1);
	write_procs(p, w, "tcplimbo_process_open_fds",
		    "File descriptors the process has open.", 2);
	write_procs(p, w, "tcplimbo_process_max_fds",
		    "The process's RLIMIT_NOFILE soft limit.", 3);
	prom_family(p, "tcplimbo_finding", "gauge",
		    "1 for each current doctor finding.");
	for (size_t i = 0; i < w->nf; i++) {
		const struct frow *f = &w->f[i];
		size_t n = where_labels(w, f->ns, lb);

		lb[n].name = "kind";
		lb[n++].value = tl_finding_kind_name(f->kind);
		lb[n].name = "severity";
		lb[n++].value = tl_severity_name(f->sev);
		lb[n].name = "subject";
		lb[n++].value = f->subject;
		prom_sample(p, "tcplimbo_finding", lb, n, 1, 0);
		if (f->sev >= 0 && f->sev < 3)
			by_sev[f->sev]++;
	}
	prom_family(
		p, "tcplimbo_findings", "gauge",
		"Current doctor findings by severity, every namespace together.");
	for (int s = TL_SEV_WARNING; s <= TL_SEV_CRITICAL; s++) {
		lb[0].name = "severity";
		lb[0].value = tl_severity_name(s);
		prom_sample(p, "tcplimbo_findings", lb, 1, by_sev[s], 0);
	}
	prom_family(p, "tcplimbo_scrape_duration_seconds", "gauge",
		    "How long the scan behind this scrape took.");
	prom_sample(p, "tcplimbo_scrape_duration_seconds", NULL, 0,
		    sv->duration_ns, 9);
	prom_family(p, "tcplimbo_scrape_sockets", "gauge",
		    "TCP sockets the scan saw, every namespace together.");
	prom_sample(p, "tcplimbo_scrape_sockets", NULL, 0, res->sockets, 0);
	prom_family(p, "tcplimbo_netns_unreadable", "gauge",
		    "Network namespaces the scan could not look into.");
	prom_sample(p, "tcplimbo_netns_unreadable", NULL, 0,
		    res->netns_unreadable, 0);
	prom_family(
		p, "tcplimbo_netns_vanished", "gauge",
		"Network namespaces that disappeared between listing and looking.");
	prom_sample(p, "tcplimbo_netns_vanished", NULL, 0, sv->n_vanished, 0);
	prom_family(
		p, "tcplimbo_processes_unreadable", "gauge",
		"Processes whose file descriptors could not be read: their sockets have no owner, and a network namespace only they are in is not seen at all.");
	prom_sample(p, "tcplimbo_processes_unreadable", NULL, 0,
		    sv->owners ? sv->owners->n_denied : 0, 0);
	prom_family(
		p, "tcplimbo_processes_hidden", "gauge",
		"1 when /proc hides other users' processes from the exporter (hidepid): their sockets have no owner and are not counted as unreadable.");
	prom_sample(p, "tcplimbo_processes_hidden", NULL, 0,
		    sv->owners && sv->owners->hidden, 0);
	prom_family(
		p, "tcplimbo_series_dropped", "gauge",
		"Per-listener and per-process series left out by --max-series.");
	prom_sample(p, "tcplimbo_series_dropped", NULL, 0, res->series_dropped,
		    0);
	prom_family(p, "tcplimbo_build_info", "gauge",
		    "Always 1; the version in a label.");
	lb[0].name = "version";
	lb[0].value = TL_VERSION;
	prom_sample(p, "tcplimbo_build_info", lb, 1, 1, 0);
}

int metrics_render(const struct tl_survey *sv, const struct metrics_opts *o,
		   struct prom *p, struct metrics_result *res)
{
	struct work w = { .sv = sv };
	size_t core, budget, kept = 0;
	int r = 0;

	memset(res, 0, sizeof(*res));
	w.labels = calloc(sv->n_ns + 1, sizeof(*w.labels));
	if (!w.labels)
		return -ENOMEM;
	for (size_t ni = 0; ni < sv->n_ns; ni++) {
		tl_netns_label(&sv->ns[ni], o->single_name, w.labels[ni],
			       sizeof(w.labels[ni]));
		if (!sv->ns[ni].snap) {
			res->netns_unreadable++;
			continue;
		}
		res->netns_looked++;
		res->sockets += sv->ns[ni].snap->n_socks;
		r = collect_ns(&w, ni);
		if (r < 0)
			goto out;
	}
	place_listeners(&w, o);
	if (o->ledger) {
		r = ledger_take(&w, o->ledger);
		if (r < 0)
			goto out;
	}
	merge_listeners(&w);
	if (o->ledger)
		ledger_give(&w, o->ledger);
	r = collect_findings(&w);
	if (r < 0)
		goto out;
	/* Always written: states, findings, the scalars and the tail. */
	core = N_STATES * res->netns_looked + w.nf + 2 + 8 + 3;
	budget = o->max_series > core ? o->max_series - core : 0;
	r = choose(&w, budget, &res->series_dropped);
	if (r == 0)
		fill_places(&w, o);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < w.nl; i++)
		kept += w.l[i].kept ? LROW_SERIES : 0;
	for (size_t i = 0; i < w.np; i++)
		kept += w.p[i].kept ? prow_series(&w.p[i]) : 0;
	res->series = core + kept;
	write_all(p, &w, res);
	r = p->err;
out:
	free(w.labels);
	free(w.l);
	free(w.p);
	free(w.f);
	return r;
}
