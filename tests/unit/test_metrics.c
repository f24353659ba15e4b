// SPDX-License-Identifier: MIT
/*
 * Tests for src/metrics.c on a hand-built survey: SO_REUSEPORT twins
 * become one series set, processes appear only with something to show,
 * label values are escaped, and --max-series keeps the most telling
 * series (queued listeners, then processes, then idle listeners) and
 * counts the rest.
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

#include <cmocka.h>

#include "internal.h"
#include "metrics.h"
#include "tl.h"

#define MAX_SOCKS 16

struct world {
	struct tl_sock socks[MAX_SOCKS];
	size_t n;
	struct tl_proc procs[3];
	struct tl_fdref refs[MAX_SOCKS];
	size_t n_refs;
	struct tl_owners owners;
	struct tl_snapshot snap;
	struct tl_survey_ns ns;
	struct tl_survey sv;
	struct prom p;
};

static struct tl_sock *sock(struct world *w, int state, uint16_t sport,
			    uint32_t proc1)
{
	struct tl_sock *sk = &w->socks[w->n++];

	sk->family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", sk->src);
	sk->state = (uint8_t)state;
	sk->sport = sport;
	if (proc1) {
		sk->inode = 1000 + (uint32_t)w->n;
		w->refs[w->n_refs].inode = sk->inode;
		w->refs[w->n_refs].proc = proc1 - 1;
		w->refs[w->n_refs++].fd = 3;
	}
	return sk;
}

/*
 * Two SO_REUSEPORT listeners on :3000 held by "srv\"x" (2 queued each,
 * backlog 10), an idle listener on :4000, a process with one CLOSE_WAIT
 * socket, and one with nothing to show.
 */
static struct world *build(void)
{
	struct world *w = calloc(1, sizeof(*w));
	struct tl_sock *sk;

	assert_non_null(w);
	w->procs[0] = (struct tl_proc){ .pid = 10, .nfds = 5, .nofile = 1024 };
	snprintf(w->procs[0].comm, TL_COMM_MAX, "srv\"x");
	w->procs[1] = (struct tl_proc){ .pid = 20, .nfds = 5, .nofile = 1024 };
	snprintf(w->procs[1].comm, TL_COMM_MAX, "leaky");
	w->procs[2] = (struct tl_proc){ .pid = 30, .nfds = 5, .nofile = 1024 };
	snprintf(w->procs[2].comm, TL_COMM_MAX, "calm");
	for (int i = 0; i < 2; i++) {
		sk = sock(w, TL_LISTEN, 3000, 1);
		sk->rqueue = 2;
		sk->wqueue = 10;
		sk->has = TL_HAS_MEMINFO;
		sk->drops = 3;
	}
	sock(w, TL_LISTEN, 4000, 3)->wqueue = 5;
	sk = sock(w, TL_CLOSE_WAIT, 5000, 2);
	sk->has = TL_HAS_INFO;
	sk->last_ack_recv_ms = 42000;
	sock(w, TL_ESTABLISHED, 6000, 3);
	w->owners = (struct tl_owners){ .procs = w->procs,
					.n_procs = 3,
					.refs = w->refs,
					.n_refs = w->n_refs };
	w->snap = (struct tl_snapshot){ .socks = w->socks,
					.n_socks = w->n,
					.owners = &w->owners,
					.states = TL_STATES_REAL };
	tl_snapshot_classify(w->socks, w->n);
	w->ns.snap = &w->snap;
	w->ns.host = true;
	w->sv.ns = &w->ns;
	w->sv.n_ns = 1;
	w->sv.owners = &w->owners;
	return w;
}

static const char *render_with(struct world *w, size_t max,
			       struct metrics_ledger *lg,
			       struct metrics_result *res)
{
	struct metrics_opts o = { .max_series = max, .ledger = lg };

	prom_free(&w->p);
	assert_int_equal(metrics_render(&w->sv, &o, &w->p, res), 0);
	prom_write(&w->p, "", 1);
	return w->p.buf;
}

static const char *render(struct world *w, size_t max,
			  struct metrics_result *res)
{
	return render_with(w, max, NULL, res);
}

#define L3000 "{netns=\"host\",listener=\"127.0.0.1:3000\",comm=\"srv\\\"x\"}"

static void test_all(void **state)
{
	struct world *w = build();
	struct metrics_result res;
	const char *t = render(w, 10000, &res);

	(void)state;
	assert_non_null(strstr(t, "tcplimbo_listen_queue_length" L3000 " 4\n"));
	assert_non_null(strstr(t, "tcplimbo_listen_queue_limit" L3000 " 20\n"));
	assert_non_null(strstr(t, "tcplimbo_listen_drops_total" L3000 " 6\n"));
	assert_non_null(strstr(
		t,
		"tcplimbo_process_close_wait_oldest_seconds{netns=\"host\",comm=\"leaky\",pid=\"20\"} 42.000\n"));
	/* srv"x has connections queued on its listener: it shows. */
	assert_non_null(strstr(
		t,
		"tcplimbo_process_open_fds{netns=\"host\",comm=\"srv\\\"x\",pid=\"10\"} 5\n"));
	/* calm holds sockets but has nothing to show. */
	assert_null(strstr(t, "comm=\"calm\",pid"));
	assert_non_null(strstr(
		t, "tcplimbo_sockets{netns=\"host\",state=\"LISTEN\"} 3\n"));
	assert_non_null(strstr(t, "tcplimbo_series_dropped 0\n"));
	assert_int_equal(res.series_dropped, 0);
	assert_int_equal(res.sockets, 5);
	/* 11 states, 2 findings totals, 8 scalars, 3 of the tail, 2x6, 2x4. */
	assert_int_equal(res.series, 11 + 2 + 8 + 3 + 12 + 8);
	/*
	 * A process that named itself "" is no owner unseen (comm ""):
	 * its label is one no comm can be.
	 */
	w->procs[1].comm[0] = '\0';
	t = render(w, 10000, &res);
	assert_non_null(strstr(
		t,
		"tcplimbo_process_close_wait_sockets{netns=\"host\",comm=\"[empty process name]\",pid=\"20\"} 1\n"));
	assert_null(strstr(t, "comm=\"\""));
	prom_free(&w->p);
	free(w);
}

static void test_cap(void **state)
{
	struct world *w = build();
	struct metrics_result res;
	const char *t;

	(void)state;
	/* Room for the always-written 24 and one listener's 6. */
	t = render(w, 30, &res);
	assert_non_null(strstr(t, "tcplimbo_listen_queue_length" L3000 " 4\n"));
	assert_non_null(strstr(t, "tcplimbo_listen_queues_full" L3000 " 0\n"));
	assert_null(strstr(t, "listener=\"127.0.0.1:4000\""));
	assert_null(strstr(t, "comm=\"leaky\""));
	assert_int_equal(res.series_dropped, 6 + 4 + 4);
	assert_non_null(strstr(t, "tcplimbo_series_dropped 14\n"));
	/*
	 * Room for 10: the queued listener, then the process with the most
	 * CLOSE_WAIT; srv"x's process series and the idle listener go.
	 */
	t = render(w, 34, &res);
	assert_non_null(strstr(t, "comm=\"leaky\""));
	assert_null(strstr(t, "listener=\"127.0.0.1:4000\""));
	assert_null(strstr(t, "pid=\"10\""));
	assert_int_equal(res.series_dropped, 4 + 6);
	/* No room at all: the core is still written. */
	t = render(w, 0, &res);
	assert_non_null(strstr(t, "tcplimbo_sockets{"));
	assert_int_equal(res.series_dropped, 6 + 6 + 4 + 4);
	prom_free(&w->p);
	free(w);
}

/* The drops of listener :3000 in the last render, or -1 without one. */
static long drops3000(struct world *w, struct metrics_ledger *lg)
{
	struct metrics_result res;
	const char *t = render_with(w, 10000, lg, &res);
	const char *m = "tcplimbo_listen_drops_total" L3000 " ";
	const char *f = strstr(t, m);

	return f ? strtol(f + strlen(m), NULL, 10) : -1;
}

/*
 * An SO_REUSEPORT member that closes takes its drops out of the sum; the
 * ledger keeps them in the series while it has a member, so the counter
 * never falls. When the last member goes the series goes, and a new one
 * of the same labels starts from its own.
 */
static void test_drops_never_fall(void **state)
{
	struct world *w = build();
	const struct tl_drops_seen *seen;
	struct metrics_ledger *lg;
	size_t n;

	(void)state;
	assert_int_equal(metrics_ledger_new(&lg), 0);
	assert_null(metrics_ledger_seen(lg, &n));
	assert_int_equal(n, 0);
	w->socks[2].cookie = 9;
	w->socks[1].cookie = 1;
	w->socks[0].cookie = 2;
	w->socks[0].drops = 4;
	assert_int_equal(drops3000(w, lg), 7);
	/* What the next scan's rules compare drops with, by cookie. */
	seen = metrics_ledger_seen(lg, &n);
	assert_non_null(seen);
	assert_int_equal(n, 3);
	assert_int_equal(seen[2].cookie, 9);
	assert_int_equal(seen[2].drops, 0);
	assert_int_equal(seen[0].cookie, 1);
	assert_int_equal(seen[0].drops, 3);
	assert_int_equal(seen[1].cookie, 2);
	assert_int_equal(seen[1].drops, 4);
	/* No counters read: nothing of the namespace's to compare. */
	assert_false(seen[1].has_ns);
	/* With them, each listener carries its namespace's ListenDrops. */
	w->ns.have_ctr = true;
	w->ns.ctr.have = TL_CTR_NETSTAT;
	w->ns.ctr.listen_drops = 41;
	assert_int_equal(drops3000(w, lg), 7);
	seen = metrics_ledger_seen(lg, &n);
	assert_true(seen[1].has_ns && seen[1].ns_drops == 41);
	w->ns.have_ctr = false;
	w->socks[0].cookie = 1;
	w->socks[1].cookie = 2;
	w->socks[1].drops = 4;
	w->socks[0].drops = 3;
	assert_int_equal(drops3000(w, lg), 7);
	/* Without a ledger a render sees only what is there. */
	w->socks[0].state = TL_CLOSE;
	w->socks[0].sport = 3999;
	assert_int_equal(drops3000(w, NULL), 4);
	/* Member 1 (3 drops) is gone; member 2 drops one more. */
	w->socks[1].drops = 5;
	assert_int_equal(drops3000(w, lg), 8);
	/* A new member joins with its own; the carry stays. */
	w->socks[0] = w->socks[1];
	w->socks[0].cookie = 3;
	w->socks[0].drops = 1;
	assert_int_equal(drops3000(w, lg), 9);
	/* Both go: no series; then a new one starts from its own. */
	w->socks[0].sport = w->socks[1].sport = 3998;
	assert_int_equal(drops3000(w, lg), -1);
	w->socks[1].sport = 3000;
	w->socks[1].cookie = 4;
	w->socks[1].drops = 2;
	assert_int_equal(drops3000(w, lg), 2);
	metrics_ledger_free(lg);
	prom_free(&w->p);
	free(w);
}

/*
 * time-wait-pressure has two forms: one destination's ports (subject "to
 * ADDR:PORT"), and the namespace's TIME-WAIT entries near
 * net.ipv4.tcp_max_tw_buckets, which has no destination and was the
 * subject "unknown".
 */
static void test_time_wait_subjects(void **state)
{
	struct world *w = build();
	struct tl_finding f[2];
	struct metrics_result res;
	const char *t;

	(void)state;
	memset(f, 0, sizeof(f));
	f[0].kind = TL_FIND_TIME_WAIT_PRESSURE;
	f[0].severity = TL_SEV_CRITICAL;
	f[0].family = AF_INET;
	inet_pton(AF_INET, "10.0.0.9", f[0].remote_addr);
	f[0].remote_port = 5432;
	f[1].kind = TL_FIND_TIME_WAIT_PRESSURE;
	f[1].severity = TL_SEV_WARNING;
	w->ns.findings = f;
	w->ns.n_findings = 2;
	t = render(w, 10000, &res);
	assert_non_null(strstr(
		t,
		"tcplimbo_finding{netns=\"host\",kind=\"time-wait-pressure\",severity=\"critical\",subject=\"to 10.0.0.9:5432\"} 1\n"));
	assert_non_null(strstr(
		t,
		"tcplimbo_finding{netns=\"host\",kind=\"time-wait-pressure\",severity=\"warning\",subject=\"net.ipv4.tcp_max_tw_buckets\"} 1\n"));
	assert_null(strstr(t, "unknown"));
	prom_free(&w->p);
	free(w);
}

/*
 * Two namespaces never share a netns label: a name that reads as the
 * host's, an unnamed one's, or a renamed one's label gets name: before it.
 */
static void test_netns_labels(void **state)
{
	struct tl_survey_ns ns;
	char buf[TL_NETNS_SPEC_MAX + 32];

	(void)state;
	memset(&ns, 0, sizeof(ns));
	ns.inode = 4026531840ULL;
	assert_string_equal(tl_netns_label(&ns, NULL, buf, sizeof(buf)),
			    "net:[4026531840]");
	ns.host = true;
	assert_string_equal(tl_netns_label(&ns, NULL, buf, sizeof(buf)),
			    "host");
	ns.host = false;
	snprintf(ns.name, sizeof(ns.name), "web");
	assert_string_equal(tl_netns_label(&ns, NULL, buf, sizeof(buf)), "web");
	snprintf(ns.name, sizeof(ns.name), "host");
	assert_string_equal(tl_netns_label(&ns, NULL, buf, sizeof(buf)),
			    "name:host");
	snprintf(ns.name, sizeof(ns.name), "net:[4026531840]");
	assert_string_equal(tl_netns_label(&ns, NULL, buf, sizeof(buf)),
			    "name:net:[4026531840]");
	snprintf(ns.name, sizeof(ns.name), "name:host");
	assert_string_equal(tl_netns_label(&ns, NULL, buf, sizeof(buf)),
			    "name:name:host");
	/* -N NAME: the same rule. */
	ns.name[0] = '\0';
	assert_string_equal(tl_netns_label(&ns, "host", buf, sizeof(buf)),
			    "name:host");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_drops_never_fall),
		cmocka_unit_test(test_time_wait_subjects),
		cmocka_unit_test(test_netns_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
