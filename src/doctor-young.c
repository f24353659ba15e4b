// SPDX-License-Identifier: MIT
/*
 * The doctor's note of what its thresholds held back: connections not yet
 * old enough to be a finding, CLOSE-WAIT below --close-wait-min, and
 * listeners whose drops are past. Split from doctor-print.c.
 */
#include <stdio.h>
#include <string.h>

#include "doctor.h"
#include "output.h"
#include "tcplimbo/addr.h"
#include "tl.h"

void doctor_target_young(const struct doctor *d, const struct target *t,
			 struct tl_diag_young *y)
{
	struct tl_diag_opts o = d->opts;

	o.drops_later = t->later;
	o.drops_later_ctr = t->have_later_ctr ? &t->later_ctr : NULL;
	tl_diag_young(t->snap, t->have_ctr ? &t->ctr : NULL, &o, y);
}

/* What the age thresholds held back, over every namespace looked at. */
static bool young_sum(const struct doctor *d, struct tl_diag_young *sum)
{
	struct tl_diag_young y;

	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < d->n_targets; i++) {
		if (!d->targets[i].snap)
			continue;
		doctor_target_young(d, &d->targets[i], &y);
		sum->queued += y.queued;
		if (!sum->drops_listeners && y.drops_listeners) {
			sum->drops_family = y.drops_family;
			memcpy(sum->drops_addr, y.drops_addr, 16);
			sum->drops_port = y.drops_port;
		}
		sum->drops_listeners += y.drops_listeners;
		sum->drops += y.drops;
		sum->close_wait += y.close_wait;
		sum->fin_wait2 += y.fin_wait2;
		sum->close_wait_few += y.close_wait_few;
		sum->close_wait_few_holders += y.close_wait_few_holders;
		if (y.queued_oldest_ms > sum->queued_oldest_ms)
			sum->queued_oldest_ms = y.queued_oldest_ms;
		if (y.close_wait_oldest_ms > sum->close_wait_oldest_ms)
			sum->close_wait_oldest_ms = y.close_wait_oldest_ms;
		if (y.fin_wait2_oldest_ms > sum->fin_wait2_oldest_ms)
			sum->fin_wait2_oldest_ms = y.fin_wait2_oldest_ms;
	}
	return sum->queued || sum->close_wait || sum->fin_wait2 ||
	       sum->drops_listeners || sum->close_wait_few;
}

/*
 * One kind of what the age thresholds held back, for young_note:
 * "30 connections wait in an accept queue, the oldest for 2.9 s (a finding
 * from --queue-age 5s)".
 */
static void young_part(char *buf, size_t size, uint64_t n, uint64_t oldest_ms,
		       const char *kind, const char *one, const char *many,
		       const char *option, uint32_t limit_ms)
{
	char age[TL_AGE_STR_MAX], limit[32];

	tl_age_str(age, oldest_ms);
	tl_duration_str(limit, sizeof(limit), limit_ms);
	snprintf(buf, size,
		 "%llu %sconnection%s %s, %s %s (a finding from %s %s)",
		 (unsigned long long)n, kind, n == 1 ? "" : "s",
		 n == 1 ? one : many, n == 1 ? "for" : "the oldest for", age,
		 option, limit);
}

void doctor_young_note(const struct doctor *d)
{
	struct tl_diag_young y;
	char text[1024], part[3][256];
	size_t n = 0, off = 0;

	if (!young_sum(d, &y))
		return;
	/*
	 * Drops a listener's counter keeps from a burst long over: said
	 * with what would date them, not a finding (a health check would
	 * otherwise fail until the listener is restarted).
	 */
	if (y.drops_listeners) {
		char where[TL_ADDR_STR_MAX + 16] = "",
					     addr[TL_ADDR_STR_MAX + 8];

		/* One is named: which of the host's listeners to look at. */
		if (y.drops_listeners == 1)
			snprintf(where, sizeof(where), " (%s)",
				 tl_addr_format_port(
					 addr, sizeof(addr), y.drops_family,
					 y.drops_addr, y.drops_port));
		snprintf(
			text, sizeof(text),
			"%llu listener%s%s %s dropped up to %llu SYN%s for a full queue since %s started, but none while we looked (%s under half full now, or %s drop counter and the namespace's TcpExt ListenDrops did not both grow in a second look %u ms later): past overflows (serve's tcplimbo_listen_drops_total gives their rate).",
			(unsigned long long)y.drops_listeners,
			y.drops_listeners == 1 ? "" : "s", where,
			y.drops_listeners == 1 ? "has" : "have",
			(unsigned long long)y.drops, y.drops == 1 ? "" : "s",
			y.drops_listeners == 1 ? "it" : "they",
			y.drops_listeners == 1 ? "its queue is" :
						 "their queues are",
			y.drops_listeners == 1 ? "its" : "their",
			DOCTOR_DROPS_AGAIN_MS);
		fputc('\n', stdout);
		out_wrap(stdout, fprintf(stdout, "not a finding:"), 2, text);
	}
	if (y.queued)
		young_part(part[n++], sizeof(part[0]), y.queued,
			   y.queued_oldest_ms, "", "waits in an accept queue",
			   "wait in an accept queue", "--queue-age",
			   d->opts.queue_age_ms);
	if (y.close_wait)
		young_part(part[n++], sizeof(part[0]), y.close_wait,
			   y.close_wait_oldest_ms, "CLOSE-WAIT ", "is held",
			   "are held", "--close-wait-age",
			   d->opts.close_wait_age_ms);
	if (y.fin_wait2)
		young_part(part[n++], sizeof(part[0]), y.fin_wait2,
			   y.fin_wait2_oldest_ms, "FIN-WAIT-2 ", "is held",
			   "are held", "--fin-wait2-age",
			   d->opts.fin_wait2_age_ms);
	text[0] = '\0';
	for (size_t i = 0; i < n && off < sizeof(text); i++) {
		int w = snprintf(text + off, sizeof(text) - off, "%s%s",
				 i ? "; " : "", part[i]);

		if (w > 0)
			off += (size_t)w;
	}
	if (n) {
		if (off < sizeof(text))
			snprintf(text + off, sizeof(text) - off,
				 ". Look again later, or lower the "
				 "threshold%s.",
				 n > 1 ? "s" : "");
		fputc('\n', stdout);
		out_wrap(stdout, fprintf(stdout, "not yet a finding:"), 2,
			 text);
	}
	/* A count, not an age: more sockets make it a finding, not time. */
	if (y.close_wait_few) {
		snprintf(text, sizeof(text),
			 "%llu CLOSE-WAIT connection%s held past "
			 "--close-wait-age by %s, fewer than --close-wait-min "
			 "%u%s; a lower --close-wait-min shows %s.",
			 (unsigned long long)y.close_wait_few,
			 y.close_wait_few == 1 ? "" : "s",
			 y.close_wait_few_holders == 1 ? "one holder" :
							 "holders",
			 d->opts.close_wait_min,
			 y.close_wait_few_holders == 1 ? "" : " each",
			 y.close_wait_few == 1 ? "it" : "them");
		fputc('\n', stdout);
		out_wrap(stdout, fprintf(stdout, "held back:"), 2, text);
	}
}
