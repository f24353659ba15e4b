/* SPDX-License-Identifier: MIT */
/*
 * What lib/evidence_conclude.c shares with lib/evidence_fds.c: how a
 * verdict is set and read, and the fd-exhaustion part of a conclusion.
 */
#ifndef TL_EVIDENCE_INT_H
#define TL_EVIDENCE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "tcplimbo/evidence.h"

/* Sets v's cause and certainty, and the remedy that fits the cause. */
void tli_ev_set(struct tl_ev_verdict *v, int cause, int cert);

/* Whether any thread read is in a syscall of group kind (enum tl_ev_sys). */
bool tli_ev_any_thread(const struct tl_evidence *ev, int kind);

/*
 * fd-exhaustion's conclusion: what fills the fds (appended to v->text at
 * *len), and a busy loop on a failing accept() where the evidence shows
 * one.
 */
void tli_ev_conclude_fds(const struct tl_evidence *ev, struct tl_ev_verdict *v,
			 size_t *len);

#endif
