// SPDX-License-Identifier: MIT
/*
 * watch --top: a live table per process and listener queue, with the
 * sockets in each state now (from the resolver's snapshot) and the
 * transitions into each state since the last refresh.
 */
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "filter.h"
#include "output.h"
#include "watch.h"

/* The --top table's label column, in terminal columns. */
#define TOP_LABEL_COLS 40

/*
 * The --top row for a socket's owner or listener, with the unit or
 * container it is in (cx, may be NULL); one with neither, by its limbo
 * class as ls shows it ([timewait], [orphan]).
 */
static void top_label(char *buf, size_t size,
		      const struct tl_resolver_owners *ow,
		      const struct tl_resolver_owners *lo, bool has_listener,
		      int family, const uint8_t *laddr, uint16_t lport,
		      int limbo, const struct tl_context *cx)
{
	char o[ESC_SIZE(TL_COMM_MAX) + 32], la[TL_ADDR_STR_MAX + 8];
	char where[48]; /* a table's label: a short name, cut */
	size_t n;

	if (ow->n) {
		/* Anyone can name a process: escape it for the terminal. */
		snprintf(buf, size, "%d/%s", (int)ow->o[0].pid,
			 esc_text(o, sizeof(o), ow->o[0].comm));
	} else if (has_listener) {
		size_t pre, room;

		watch_owner_text(o, sizeof(o), lo);
		tl_addr_format_port(la, sizeof(la), family, laddr, lport);
		/*
		 * The table shows 40 columns: the owner is cut there, not
		 * the parenthesis that closes it.
		 */
		snprintf(buf, size, "queue of %s (", la);
		pre = esc_width(buf);
		room = pre + 1 < TOP_LABEL_COLS ? TOP_LABEL_COLS - pre - 1 : 0;
		if (room && esc_width(o) > room)
			o[esc_cut(o, room, NULL)] = '\0';
		n = strlen(buf);
		if (n < size)
			snprintf(buf + n, size - n, "%s)", o);
	} else if (limbo == TL_LIMBO_TIMEWAIT || limbo == TL_LIMBO_ORPHAN) {
		snprintf(buf, size, "[%s]", tl_limbo_name(limbo));
		return;
	} else {
		snprintf(buf, size, "(no owner)");
		return;
	}
	ctx_short(where, sizeof(where), cx);
	n = strlen(buf);
	if (strcmp(where, "-") != 0 && n < size)
		snprintf(buf + n, size - n, " [%s]", where);
}

static struct w_top_row *top_row(struct watch *w, const char *label)
{
	for (size_t i = 0; i < w->nrows; i++)
		if (strcmp(w->rows[i].label, label) == 0)
			return &w->rows[i];
	if (w->nrows == W_TOP_ROWS)
		return &w->rows[W_TOP_ROWS]; /* "(others)" */
	memset(&w->rows[w->nrows], 0, sizeof(w->rows[0]));
	snprintf(w->rows[w->nrows].label, sizeof(w->rows[0].label), "%s",
		 label);
	return &w->rows[w->nrows++];
}

static const uint8_t top_states[] = {
	TL_LISTEN,    TL_SYN_SENT,  TL_SYN_RECV,  TL_ESTABLISHED,
	TL_FIN_WAIT1, TL_FIN_WAIT2, TL_TIME_WAIT, TL_CLOSE_WAIT,
	TL_LAST_ACK,  TL_CLOSING,   TL_CLOSE,
};

static const char *const top_names[] = {
	"LISTEN", "SYN-S",   "SYN-R",  "ESTAB",	  "FIN-W1", "FIN-W2",
	"TIME-W", "CLOSE-W", "LAST-A", "CLOSING", "CLOSED",
};

/*
 * Counts the sockets of the current snapshot per row, prints the table
 * with the transitions into each state since the last one, and starts a
 * new interval.
 */
void watch_top_render(struct watch *w, struct tl_events *ev, bool tty)
{
	const struct tl_snapshot *snap = tl_resolver_snapshot(w->res);
	char ts[32], label[sizeof(w->rows[0].label)];
	size_t nshow;

	if (snap) {
		for (size_t i = 0; i < snap->n_socks; i++) {
			const struct tl_sock *sk = &snap->socks[i];
			const struct tl_sock *l =
				tl_snapshot_listener(snap, sk);
			struct tl_resolver_owners ow = { 0 }, lo = { 0 };

			if (!snap->in_filter[i] ||
			    !tl_filter_match(w->f, snap, sk))
				continue;
			tl_resolver_sock_owners(snap, sk, &ow);
			if (l)
				tl_resolver_sock_owners(snap, l, &lo);
			top_label(label, sizeof(label), &ow, &lo, l != NULL,
				  l ? l->family : 0, l ? l->src : NULL,
				  l ? l->sport : 0, sk->limbo,
				  sk->has & TL_HAS_CGROUP ?
					  tl_cgroups_context(w->cg,
							     sk->cgroup_id) :
					  NULL);
			top_row(w, label)->now[sk->state]++;
		}
	}
	watch_format_ts(ts, sizeof(ts), snap ? snap->taken_ms : 0, false);
	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("tcplimbo watch --top  %s  backend %s (%s)  lost %llu  missed "
	       "%llu\n",
	       ts, w->backend, tl_events_detail(ev),
	       (unsigned long long)tl_events_lost(ev),
	       (unsigned long long)tl_events_missed(ev));
	printf("%-40s", "PROCESS / LISTENER QUEUE");
	for (size_t s = 0; s < sizeof(top_states); s++)
		printf(" %9s", top_names[s]);
	printf("\n");
	nshow = w->nrows;
	for (size_t i = 0; i <= nshow; i++) {
		struct w_top_row *row = &w->rows[i];
		bool any = false;

		if (i == nshow) {
			row = &w->rows[W_TOP_ROWS];
			snprintf(row->label, sizeof(row->label), "(others)");
		}
		for (size_t s = 0; s < sizeof(top_states); s++)
			any |= row->now[top_states[s]] ||
			       row->entered[top_states[s]];
		if (!any)
			continue;
		/*
		 * 40 columns as the terminal counts them (a CJK name is
		 * narrower than its bytes, an escape wider), cut between
		 * characters: the counts after it line up on every row.
		 */
		esc_fput_col(row->label, TOP_LABEL_COLS, true, stdout);
		for (size_t s = 0; s < sizeof(top_states); s++) {
			char cell[24];
			uint32_t now = row->now[top_states[s]];
			uint32_t in = row->entered[top_states[s]];

			if (in)
				snprintf(cell, sizeof(cell), "%u+%u", now, in);
			else
				snprintf(cell, sizeof(cell), "%u", now);
			printf(" %9s", cell);
		}
		printf("\n");
	}
	printf("(N+M: N sockets in the state now, M entered it in the last "
	       "interval)\n\n");
	w->nrows = 0;
	memset(&w->rows[W_TOP_ROWS], 0, sizeof(w->rows[0]));
}

void watch_top_event(struct watch *w, const struct tl_event *ev,
		     const struct tl_resolved *r)
{
	char label[sizeof(w->rows[0].label)];

	top_label(label, sizeof(label), &r->owners, &r->lowners,
		  r->has_listener, r->lfamily, r->laddr, r->lport, r->limbo,
		  tl_cgroups_context(w->cg, r->cgroup));
	if (ev->new_state < TL_STATE_MAX)
		top_row(w, label)->entered[ev->new_state]++;
}
