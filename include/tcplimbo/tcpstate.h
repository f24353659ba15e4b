/* SPDX-License-Identifier: MIT */
/*
 * tcpstate: the TCP state machine of RFC 9293 (Figure 5), the kernel's extra
 * states, and for each state what it means, how a socket gets there, whose
 * move it is to leave it and the usual bug when it lasts. The doctor's
 * explanations and `tcplimbo explain` come from here.
 */
#ifndef TCPLIMBO_TCPSTATE_H
#define TCPLIMBO_TCPSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "tcplimbo/states.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The events of RFC 9293's state diagram (user calls and segments). */
enum tl_tcp_event {
	TL_EV_PASSIVE_OPEN = 0, /* listen() */
	TL_EV_ACTIVE_OPEN,	/* connect() */
	TL_EV_SEND,		/* send on a listener: turns it active */
	TL_EV_CLOSE,		/* close() or shutdown(SHUT_WR) */
	TL_EV_RCV_SYN,
	TL_EV_RCV_SYN_ACK,
	TL_EV_RCV_ACK_OF_SYN,
	TL_EV_RCV_FIN,
	TL_EV_RCV_ACK_OF_FIN,
	TL_EV_RCV_FIN_ACK_OF_FIN, /* a FIN that also acks ours (note 2) */
	TL_EV_RCV_RST,		  /* SYN-RECEIVED back to LISTEN (note 1) */
	TL_EV_TIMEOUT_2MSL,
	TL_EV_MAX,
};

/* The segment a transition sends. */
enum tl_tcp_segment {
	TL_SEG_NONE = 0,
	TL_SEG_SYN,
	TL_SEG_SYN_ACK,
	TL_SEG_ACK,
	TL_SEG_FIN,
	TL_SEG_MAX,
};

/* Whose move it is to leave a state. */
enum tl_tcp_actor {
	TL_ACTOR_NONE = 0, /* nobody: a final or idle state */
	TL_ACTOR_PROGRAM,  /* the program holding the socket (or accept()) */
	TL_ACTOR_PEER,	   /* the other end */
	TL_ACTOR_TIMER,	   /* a kernel timer */
	TL_ACTOR_MAX,
};

/*
 * One transition of the diagram. States use the kernel's numbers (enum
 * tl_state); the RFC's CLOSED is TL_CLOSE.
 */
struct tl_tcp_transition {
	uint8_t from;  /* enum tl_state */
	uint8_t event; /* enum tl_tcp_event */
	uint8_t send;  /* enum tl_tcp_segment */
	uint8_t to;    /* enum tl_state */
};

/* What the state machine says about one state. */
struct tl_tcp_state_info {
	uint8_t state; /* enum tl_state */
	uint8_t rfc_state; /* the RFC state it stands for (NEW_SYN_RECV: SYN_RECV) */
	uint8_t actor;	      /* enum tl_tcp_actor: whose move to leave it */
	const char *rfc_name; /* "CLOSE-WAIT", or the kernel's name */
	const char *meaning;  /* what it means */
	const char *how;      /* how a socket gets there */
	const char *leave; /* what has to happen to leave it, and who does it */
	const char *bug;   /* the usual bug when a socket stays */
	const char *kernel; /* what Linux does beyond the RFC, or NULL */
};

/*
 * Returns what the table says about a state (enum tl_state, TL_ESTABLISHED
 * to TL_NEW_SYN_RECV), or NULL for a number out of range.
 */
const struct tl_tcp_state_info *tl_tcpstate_info(int state);

/*
 * Finds a state by name: ss's lower-case names ("close-wait"), netstat's
 * ("CLOSE_WAIT"), the RFC's ("CLOSE-WAIT", "SYN-RECEIVED", "CLOSED"), in
 * any case and with '-' or '_'. Returns the state or -EINVAL.
 */
int tl_tcpstate_lookup(const char *name);

/*
 * Points *ret at the table of RFC 9293 transitions and returns how many
 * there are. Kernel-only states appear in none.
 */
size_t tl_tcpstate_transitions(const struct tl_tcp_transition **ret);

/*
 * The state an event leads to from a state, and (if ret_send is not NULL)
 * the segment sent on the way. Returns the state, or -EINVAL when the
 * diagram has no such transition.
 */
int tl_tcpstate_next(int from, int event, int *ret_send);

/* The event's words as the RFC prints them ("rcv ACK of FIN"), or NULL. */
const char *tl_tcpstate_event_name(int event);

/* The segment's name ("SYN,ACK", "nothing"), or NULL. */
const char *tl_tcpstate_segment_name(int seg);

/* The actor's name ("this program", "the peer", "a timer"), or NULL. */
const char *tl_tcpstate_actor_name(int actor);

/* A count the diagram shows as unknown ("-"). */
#define TL_TCPSTATE_UNKNOWN UINT64_MAX

/*
 * Draws the state diagram as text into buf (size bytes, terminated), with
 * counts[state] sockets marked in each state's box (TL_TCPSTATE_UNKNOWN
 * prints "-"; counts over 999999 print as ">1M"). counts may be NULL for
 * a diagram without numbers. Returns the length, or -ENOSPC when buf is
 * too small (TL_TCPSTATE_DIAGRAM_MAX is always enough).
 */
int tl_tcpstate_diagram(char *buf, size_t size,
			const uint64_t counts[TL_STATE_MAX]);

/* A buffer size that always holds the diagram. */
#define TL_TCPSTATE_DIAGRAM_MAX 8192

#ifdef __cplusplus
}
#endif
#endif
