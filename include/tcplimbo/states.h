/* SPDX-License-Identifier: MIT */
/*
 * states: the kernel's TCP states, masks and ss's groups of them, and the
 * limbo classes of sockets without a file descriptor. Their own header so
 * that users of the state machine (tcpstate.h) or of names alone need not
 * pull in the sock_diag dump.
 */
#ifndef TCPLIMBO_STATES_H
#define TCPLIMBO_STATES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's TCP states (include/net/tcp_states.h), same numbers. */
enum tl_state {
	TL_ESTABLISHED = 1,
	TL_SYN_SENT,
	TL_SYN_RECV,
	TL_FIN_WAIT1,
	TL_FIN_WAIT2,
	TL_TIME_WAIT,
	TL_CLOSE,
	TL_CLOSE_WAIT,
	TL_LAST_ACK,
	TL_LISTEN,
	TL_CLOSING,
	TL_NEW_SYN_RECV,
	TL_STATE_MAX,
};

/* Bit for one state in a state mask. */
#define TL_STATE_BIT(s) (1u << (s))

/*
 * Every state a real connection can be in. CLOSE is left out on purpose:
 * asking for it returns every bound-but-idle socket, which is noise.
 */
#define TL_STATES_REAL                                              \
	(TL_STATE_BIT(TL_ESTABLISHED) | TL_STATE_BIT(TL_SYN_SENT) | \
	 TL_STATE_BIT(TL_SYN_RECV) | TL_STATE_BIT(TL_FIN_WAIT1) |   \
	 TL_STATE_BIT(TL_FIN_WAIT2) | TL_STATE_BIT(TL_TIME_WAIT) |  \
	 TL_STATE_BIT(TL_CLOSE_WAIT) | TL_STATE_BIT(TL_LAST_ACK) |  \
	 TL_STATE_BIT(TL_LISTEN) | TL_STATE_BIT(TL_CLOSING) |       \
	 TL_STATE_BIT(TL_NEW_SYN_RECV))

/* Why a socket has no file descriptor; filled in by the snapshot. */
enum tl_limbo {
	TL_LIMBO_NONE = 0,
	TL_LIMBO_ACCEPT_QUEUE, /* finished by the kernel, waiting for accept() */
	TL_LIMBO_ORPHAN,       /* closed by its program, kernel finishing it */
	TL_LIMBO_TIMEWAIT,     /* a timewait entry: TIME_WAIT, or FIN_WAIT2
				* after close() (see tl_sock_is_timewait) */
};

/* ss's lower-case name of a state ("close-wait"), or NULL if out of range. */
const char *tl_state_name(int state);

/* The upper-case name netstat prints ("CLOSE_WAIT"), or NULL. */
const char *tl_state_name_upper(int state);

/*
 * Parses a state name or one of ss's groups (all, connected, synchronized,
 * bucket, big, established, close-wait, ...) into a mask. Returns 0 and
 * sets *ret_mask, or -EINVAL.
 */
int tl_state_parse(const char *name, uint32_t *ret_mask);

/* Returns the name of a limbo class ("accept-queue"), or NULL for none. */
const char *tl_limbo_name(int limbo);

#ifdef __cplusplus
}
#endif
#endif
