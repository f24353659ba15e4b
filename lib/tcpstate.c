// SPDX-License-Identifier: MIT
/*
 * The TCP state machine as RFC 9293 draws it (Figure 5), with what Linux
 * adds: request mini-sockets (NEW_SYN_RECV), timewait mini-sockets for
 * TIME_WAIT and for FIN_WAIT2 after close(), the accept queue, and the
 * orphan FIN_WAIT2 timer (net.ipv4.tcp_fin_timeout). Everything here is
 * constant data, so the doctor and `explain` can quote the same words.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tcplimbo/tcpstate.h"
#include "util.h"

/*
 * RFC 9293 Figure 5, one row an arrow, plus note 2's FIN-WAIT-1 shortcut
 * and note 1's RST back to LISTEN. The RFC's CLOSED is the kernel's CLOSE.
 */
static const struct tl_tcp_transition transitions[] = {
	{ TL_CLOSE, TL_EV_PASSIVE_OPEN, TL_SEG_NONE, TL_LISTEN },
	{ TL_CLOSE, TL_EV_ACTIVE_OPEN, TL_SEG_SYN, TL_SYN_SENT },
	{ TL_LISTEN, TL_EV_CLOSE, TL_SEG_NONE, TL_CLOSE },
	{ TL_LISTEN, TL_EV_RCV_SYN, TL_SEG_SYN_ACK, TL_SYN_RECV },
	{ TL_LISTEN, TL_EV_SEND, TL_SEG_SYN, TL_SYN_SENT },
	{ TL_SYN_SENT, TL_EV_CLOSE, TL_SEG_NONE, TL_CLOSE },
	{ TL_SYN_SENT, TL_EV_RCV_SYN, TL_SEG_SYN_ACK, TL_SYN_RECV },
	{ TL_SYN_SENT, TL_EV_RCV_SYN_ACK, TL_SEG_ACK, TL_ESTABLISHED },
	{ TL_SYN_RECV, TL_EV_RCV_ACK_OF_SYN, TL_SEG_NONE, TL_ESTABLISHED },
	{ TL_SYN_RECV, TL_EV_CLOSE, TL_SEG_FIN, TL_FIN_WAIT1 },
	{ TL_SYN_RECV, TL_EV_RCV_RST, TL_SEG_NONE, TL_LISTEN },
	{ TL_ESTABLISHED, TL_EV_CLOSE, TL_SEG_FIN, TL_FIN_WAIT1 },
	{ TL_ESTABLISHED, TL_EV_RCV_FIN, TL_SEG_ACK, TL_CLOSE_WAIT },
	{ TL_FIN_WAIT1, TL_EV_RCV_ACK_OF_FIN, TL_SEG_NONE, TL_FIN_WAIT2 },
	{ TL_FIN_WAIT1, TL_EV_RCV_FIN, TL_SEG_ACK, TL_CLOSING },
	{ TL_FIN_WAIT1, TL_EV_RCV_FIN_ACK_OF_FIN, TL_SEG_ACK, TL_TIME_WAIT },
	{ TL_FIN_WAIT2, TL_EV_RCV_FIN, TL_SEG_ACK, TL_TIME_WAIT },
	{ TL_CLOSE_WAIT, TL_EV_CLOSE, TL_SEG_FIN, TL_LAST_ACK },
	{ TL_CLOSING, TL_EV_RCV_ACK_OF_FIN, TL_SEG_NONE, TL_TIME_WAIT },
	{ TL_LAST_ACK, TL_EV_RCV_ACK_OF_FIN, TL_SEG_NONE, TL_CLOSE },
	{ TL_TIME_WAIT, TL_EV_TIMEOUT_2MSL, TL_SEG_NONE, TL_CLOSE },
};

static const char *const event_names[TL_EV_MAX] = {
	[TL_EV_PASSIVE_OPEN] = "passive OPEN",
	[TL_EV_ACTIVE_OPEN] = "active OPEN",
	[TL_EV_SEND] = "SEND",
	[TL_EV_CLOSE] = "CLOSE",
	[TL_EV_RCV_SYN] = "rcv SYN",
	[TL_EV_RCV_SYN_ACK] = "rcv SYN,ACK",
	[TL_EV_RCV_ACK_OF_SYN] = "rcv ACK of SYN",
	[TL_EV_RCV_FIN] = "rcv FIN",
	[TL_EV_RCV_ACK_OF_FIN] = "rcv ACK of FIN",
	[TL_EV_RCV_FIN_ACK_OF_FIN] = "rcv FIN with ACK of FIN",
	[TL_EV_RCV_RST] = "rcv RST",
	[TL_EV_TIMEOUT_2MSL] = "timeout 2MSL",
};

static const char *const segment_names[TL_SEG_MAX] = {
	[TL_SEG_NONE] = "nothing",    [TL_SEG_SYN] = "SYN",
	[TL_SEG_SYN_ACK] = "SYN,ACK", [TL_SEG_ACK] = "ACK",
	[TL_SEG_FIN] = "FIN",
};

static const char *const actor_names[TL_ACTOR_MAX] = {
	[TL_ACTOR_NONE] = "nobody",
	[TL_ACTOR_PROGRAM] = "this program",
	[TL_ACTOR_PEER] = "the peer",
	[TL_ACTOR_TIMER] = "a timer",
};

static const struct tl_tcp_state_info states[TL_STATE_MAX] = {
	[TL_ESTABLISHED] = {
		.state = TL_ESTABLISHED,
		.rfc_state = TL_ESTABLISHED,
		.actor = TL_ACTOR_PROGRAM,
		.rfc_name = "ESTABLISHED",
		.meaning = "The connection is open in both directions; data flows.",
		.how = "The three-way handshake finished: a SYN-RECEIVED socket got the ACK of its SYN, or a SYN-SENT socket got the SYN,ACK.",
		.leave = "Either side closes: this program with close() or shutdown() (to FIN-WAIT-1), or the peer with its FIN (to CLOSE-WAIT).",
		.bug = "None by itself. On a server, an ESTABLISHED connection nobody owns sits in the listener's accept queue: the program is not calling accept().",
		.kernel = "The kernel finishes the handshake without the program: a new connection is ESTABLISHED in the listener's accept queue (inode 0, no fd) until accept() takes it. Data the client sends is buffered there too.",
	},
	[TL_SYN_SENT] = {
		.state = TL_SYN_SENT,
		.rfc_state = TL_SYN_SENT,
		.actor = TL_ACTOR_PEER,
		.rfc_name = "SYN-SENT",
		.meaning = "This side sent a SYN and waits for the peer's SYN,ACK.",
		.how = "connect() (active OPEN) sends a SYN.",
		.leave = "The peer answers with SYN,ACK (to ESTABLISHED) or RST, or the SYN retransmissions run out (net.ipv4.tcp_syn_retries, about 2 minutes).",
		.bug = "The peer is down, firewalled (SYNs dropped, no RST), or its listener's queue is full and it drops SYNs.",
		.kernel = NULL,
	},
	[TL_SYN_RECV] = {
		.state = TL_SYN_RECV,
		.rfc_state = TL_SYN_RECV,
		.actor = TL_ACTOR_PEER,
		.rfc_name = "SYN-RECEIVED",
		.meaning = "A SYN arrived and was answered with SYN,ACK; waiting for the ACK that completes the handshake.",
		.how = "A listener got a SYN (or a SYN-SENT socket got one: simultaneous open).",
		.leave = "The peer's ACK (to ESTABLISHED, then into the accept queue), a RST (back to LISTEN), or the SYN,ACK retransmissions run out (net.ipv4.tcp_synack_retries).",
		.bug = "Many of these: a SYN flood or clients whose ACKs are lost.",
		.kernel = "Linux keeps half-open connections on a listener as NEW_SYN_RECV request mini-sockets; a full SYN_RECV socket is seen only for TCP Fast Open and for a child being created.",
	},
	[TL_FIN_WAIT1] = {
		.state = TL_FIN_WAIT1,
		.rfc_state = TL_FIN_WAIT1,
		.actor = TL_ACTOR_PEER,
		.rfc_name = "FIN-WAIT-1",
		.meaning = "This side closed and sent a FIN (after any unsent data); waiting for the peer to acknowledge it.",
		.how = "close() or shutdown(SHUT_WR) on an ESTABLISHED (or SYN-RECEIVED) socket.",
		.leave = "The peer acknowledges the FIN (to FIN-WAIT-2), or sends its own FIN (to CLOSING, or straight to TIME-WAIT when it also acks ours).",
		.bug = "The peer stopped reading or vanished: the send queue cannot drain (a zero window, or retransmissions to a dead host).",
		.kernel = "After close() the socket is an orphan the kernel finishes alone; orphans count against net.ipv4.tcp_max_orphans and give up after net.ipv4.tcp_orphan_retries.",
	},
	[TL_FIN_WAIT2] = {
		.state = TL_FIN_WAIT2,
		.rfc_state = TL_FIN_WAIT2,
		.actor = TL_ACTOR_PEER,
		.rfc_name = "FIN-WAIT-2",
		.meaning = "This side's FIN was acknowledged; the peer has not closed its direction yet.",
		.how = "The ACK of our FIN arrived in FIN-WAIT-1.",
		.leave = "The peer closes: its FIN moves us to TIME-WAIT.",
		.bug = "The peer never closes: it leaks the connection in CLOSE-WAIT. If this side only called shutdown(SHUT_WR) and still holds the fd, the socket waits forever.",
		.kernel = "After close() Linux turns an orphan FIN-WAIT-2 into a timewait mini-socket (inode 0, no owner) that lives net.ipv4.tcp_fin_timeout seconds (60 by default) and is then dropped. Only a socket still held by its program can stay in FIN-WAIT-2 for ever.",
	},
	[TL_TIME_WAIT] = {
		.state = TL_TIME_WAIT,
		.rfc_state = TL_TIME_WAIT,
		.actor = TL_ACTOR_TIMER,
		.rfc_name = "TIME-WAIT",
		.meaning = "Both sides closed; the side that closed first waits so that late segments of this connection die out and the last ACK can be repeated.",
		.how = "The peer's FIN arrived in FIN-WAIT-2, or the ACK of our FIN arrived in CLOSING.",
		.leave = "A timer: 2MSL, 60 seconds on Linux (fixed, TCP_TIMEWAIT_LEN).",
		.bug = "Normal and short-lived. Trouble only in numbers: a client opening and closing many connections to one server can run out of ephemeral ports (net.ipv4.ip_local_port_range) for that destination.",
		.kernel = "Linux keeps TIME-WAIT as a small timewait mini-socket (no inode, uid 0), at most net.ipv4.tcp_max_tw_buckets of them.",
	},
	[TL_CLOSE] = {
		.state = TL_CLOSE,
		.rfc_state = TL_CLOSE,
		.actor = TL_ACTOR_NONE,
		.rfc_name = "CLOSED",
		.meaning = "No connection: the fictional state before a socket connects or listens and after it is gone.",
		.how = "A new socket, or the end of LAST-ACK, TIME-WAIT, a reset or an aborted connect.",
		.leave = "This program calls listen() (to LISTEN) or connect() (to SYN-SENT).",
		.bug = "None; sock_diag lists bound-but-idle sockets as CLOSE, so dumps normally leave it out.",
		.kernel = NULL,
	},
	[TL_CLOSE_WAIT] = {
		.state = TL_CLOSE_WAIT,
		.rfc_state = TL_CLOSE_WAIT,
		.actor = TL_ACTOR_PROGRAM,
		.rfc_name = "CLOSE-WAIT",
		.meaning = "The peer closed its direction (its FIN arrived and was acknowledged); this side has not closed yet.",
		.how = "A FIN arrived in ESTABLISHED. read() returns 0 (end of file) once the buffered data is read.",
		.leave = "Only this program can leave it: close() the socket (to LAST-ACK). No timer ends CLOSE-WAIT.",
		.bug = "The program never closes: it ignores read() returning 0, loses the fd on an error path, or never accept()ed the connection in the first place (then the socket sits in the accept queue with no fd). It lasts until the program closes the fd or exits.",
		.kernel = "Recv-Q counts the unread bytes plus 1 for the FIN. tcpi_last_ack_recv approximates how long the socket has been in CLOSE-WAIT.",
	},
	[TL_LAST_ACK] = {
		.state = TL_LAST_ACK,
		.rfc_state = TL_LAST_ACK,
		.actor = TL_ACTOR_PEER,
		.rfc_name = "LAST-ACK",
		.meaning = "Both sides closed, this side last; waiting for the ACK of our FIN.",
		.how = "close() in CLOSE-WAIT sent our FIN.",
		.leave = "The peer acknowledges the FIN (to CLOSED), or the FIN retransmissions run out.",
		.bug = "The peer is gone (a crashed host, a dropped route): FIN retransmissions until they give up.",
		.kernel = NULL,
	},
	[TL_LISTEN] = {
		.state = TL_LISTEN,
		.rfc_state = TL_LISTEN,
		.actor = TL_ACTOR_NONE,
		.rfc_name = "LISTEN",
		.meaning = "Waiting for connections. Recv-Q is the number of connections in the accept queue, Send-Q its limit (the backlog).",
		.how = "listen() (passive OPEN).",
		.leave = "close() (to CLOSED). Each SYN that arrives creates a new socket; the listener itself stays.",
		.bug = "The program stops calling accept() (a blocked or busy thread, a crash in the accept loop, or accept() failing with EMFILE at the fd limit): completed connections pile up in the accept queue, then SYNs are dropped once it holds backlog+1.",
		.kernel = "The accept queue holds connections the kernel has completed and the program has not accept()ed. When it is full, SYNs are dropped (TcpExt ListenOverflows and ListenDrops grow). Half-open ones are NEW_SYN_RECV request sockets.",
	},
	[TL_CLOSING] = {
		.state = TL_CLOSING,
		.rfc_state = TL_CLOSING,
		.actor = TL_ACTOR_PEER,
		.rfc_name = "CLOSING",
		.meaning = "Both sides sent FINs at the same time; waiting for the ACK of ours.",
		.how = "The peer's FIN arrived in FIN-WAIT-1, before the ACK of our FIN.",
		.leave = "The ACK of our FIN (to TIME-WAIT).",
		.bug = "Rare and short; a lasting one means the ACK of our FIN is lost or the peer is gone.",
		.kernel = NULL,
	},
	[TL_NEW_SYN_RECV] = {
		.state = TL_NEW_SYN_RECV,
		.rfc_state = TL_SYN_RECV,
		.actor = TL_ACTOR_PEER,
		.rfc_name = "NEW-SYN-RECV",
		.meaning = "Linux's SYN-RECEIVED: a request mini-socket on a listener, after a SYN and our SYN,ACK, before the client's ACK.",
		.how = "A SYN arrived on a listener.",
		.leave = "The client's ACK turns it into an ESTABLISHED socket in the accept queue; otherwise SYN,ACK retransmissions (net.ipv4.tcp_synack_retries) end it.",
		.bug = "Many of them: a SYN flood or a lossy path. With net.ipv4.tcp_syncookies the kernel answers with cookies once the SYN queue is full.",
		.kernel = "Not an RFC state: the kernel's name for the half-open request socket (struct request_sock). The SYN queue of a listener is limited by its backlog and net.ipv4.tcp_max_syn_backlog.",
	},
};

const struct tl_tcp_state_info *tl_tcpstate_info(int state)
{
	if (state <= 0 || state >= TL_STATE_MAX)
		return NULL;
	return &states[state];
}

int tl_tcpstate_lookup(const char *name)
{
	char norm[32];
	uint32_t mask;
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len >= sizeof(norm))
		return -EINVAL;
	/* The RFC's spellings ("SYN-RECEIVED"), in any case, '-' or '_'. */
	for (size_t i = 0; i <= len; i++)
		norm[i] = name[i] == '_' ? '-' : name[i];
	for (int s = 1; s < TL_STATE_MAX; s++)
		if (strcasecmp(norm, states[s].rfc_name) == 0)
			return s;
	/*
	 * Then ss's and netstat's names, which tl_state_parse knows; a group
	 * ("connected") is not one state. ss's "syn-recv" asks for request
	 * sockets too, but names SYN-RECEIVED.
	 */
	if (tl_state_parse(name, &mask) < 0)
		return -EINVAL;
	mask &= ~(mask & TL_STATE_BIT(TL_SYN_RECV) ?
			  TL_STATE_BIT(TL_NEW_SYN_RECV) :
			  0);
	if (mask == 0 || (mask & (mask - 1)))
		return -EINVAL;
	return __builtin_ctz(mask);
}

size_t tl_tcpstate_transitions(const struct tl_tcp_transition **ret)
{
	*ret = transitions;
	return ARRAY_SIZE(transitions);
}

int tl_tcpstate_next(int from, int event, int *ret_send)
{
	for (size_t i = 0; i < ARRAY_SIZE(transitions); i++) {
		if (transitions[i].from != from ||
		    transitions[i].event != event)
			continue;
		if (ret_send)
			*ret_send = transitions[i].send;
		return transitions[i].to;
	}
	return -EINVAL;
}

const char *tl_tcpstate_event_name(int event)
{
	if (event < 0 || event >= TL_EV_MAX)
		return NULL;
	return event_names[event];
}

const char *tl_tcpstate_segment_name(int seg)
{
	if (seg < 0 || seg >= TL_SEG_MAX)
		return NULL;
	return segment_names[seg];
}

const char *tl_tcpstate_actor_name(int actor)
{
	if (actor < 0 || actor >= TL_ACTOR_MAX)
		return NULL;
	return actor_names[actor];
}

/*
 * The picture. "$NN$$$" (six characters) marks where the count of state NN
 * goes, so replacing it keeps every column in place.
 */
static const char diagram[] =
	"                         +-------------------+\n"
	"                         | CLOSED     $07$$$ |<-------------------------+\n"
	"                         +-------------------+----------------+  CLOSE  |\n"
	"              passive OPEN  |           ^         active OPEN |         |\n"
	"                            v           | CLOSE   snd SYN     |         |\n"
	"                         +-------------------+                |         |\n"
	"           +-------------| LISTEN     $10$$$ |----------+     |         |\n"
	"           | rcv SYN     +-------------------+ SEND     |     |         |\n"
	"           v snd SYN,ACK            ^          snd SYN  v     v         |\n"
	"+-------------------+  rcv RST      |            +-------------------+  |\n"
	"| SYN-RCVD   $03$$$ |---------------+            | SYN-SENT   $02$$$ |--+\n"
	"| requests   $12$$$ |<---------------------------|                   |\n"
	"+-------------------+  rcv SYN / snd SYN,ACK     +-------------------+\n"
	"  |   | rcv ACK of SYN                                    | rcv SYN,ACK\n"
	"  |   +---------------------+           +-----------------+ snd ACK\n"
	"  |                         v           v\n"
	"  | CLOSE               +-------------------+\n"
	"  | snd FIN             | ESTAB      $01$$$ |\n"
	"  |                     +-------------------+\n"
	"  |                         | CLOSE     | rcv FIN\n"
	"  v                         | snd FIN   | snd ACK\n"
	"+-------------------+       |           |        +-------------------+\n"
	"| FIN-WAIT-1 $04$$$ |<------+           +------->| CLOSE-WAIT $08$$$ |\n"
	"+-------------------+                            +-------------------+\n"
	"  | rcv ACK   | rcv FIN / snd ACK                         | CLOSE\n"
	"  | of FIN    +-------------+                             | snd FIN\n"
	"  v                         v                             v\n"
	"+-------------------+   +-------------------+    +-------------------+\n"
	"| FIN-WAIT-2 $05$$$ |   | CLOSING    $11$$$ |    | LAST-ACK   $09$$$ |\n"
	"+-------------------+   +-------------------+    +-------------------+\n"
	"  | rcv FIN                 | rcv ACK of FIN              | rcv ACK of FIN\n"
	"  | snd ACK                 v                             v\n"
	"  |                     +-------------------+    +-------------------+\n"
	"  +-------------------->| TIME-WAIT  $06$$$ |--->| CLOSED            |\n"
	"                        +-------------------+    +-------------------+\n"
	"                                        timeout 2MSL\n"
	"\n"
	"Counts are sockets in each state now. \"requests\" are Linux's NEW_SYN_RECV\n"
	"request mini-sockets; FIN-WAIT-2 after close() and TIME-WAIT are timewait\n"
	"mini-sockets. Not drawn: FIN-WAIT-1 to TIME-WAIT on a FIN that acks ours\n"
	"(RFC 9293 note 2), and resets, which lead from any state to CLOSED.\n";

#define MARK_LEN 6

static void format_count(char out[MARK_LEN + 1], const uint64_t *counts,
			 int state)
{
	uint64_t n;

	if (!counts || state <= 0 || state >= TL_STATE_MAX) {
		memset(out, ' ', MARK_LEN);
		out[MARK_LEN] = '\0';
		return;
	}
	n = counts[state];
	if (n == TL_TCPSTATE_UNKNOWN)
		snprintf(out, MARK_LEN + 1, "%*s", MARK_LEN, "-");
	else if (n > 999999)
		snprintf(out, MARK_LEN + 1, "%*s", MARK_LEN, ">1M");
	else
		snprintf(out, MARK_LEN + 1, "%*llu", MARK_LEN,
			 (unsigned long long)n);
}

int tl_tcpstate_diagram(char *buf, size_t size,
			const uint64_t counts[TL_STATE_MAX])
{
	size_t in = 0, out = 0;

	if (!buf || size == 0)
		return -ENOSPC;
	while (diagram[in]) {
		const char *p = diagram + in;

		if (p[0] == '$' && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) && p[3] == '$') {
			char num[MARK_LEN + 1];
			int state = (p[1] - '0') * 10 + (p[2] - '0');

			format_count(num, counts, state);
			if (out + MARK_LEN >= size)
				return -ENOSPC;
			memcpy(buf + out, num, MARK_LEN);
			out += MARK_LEN;
			in += MARK_LEN;
			continue;
		}
		if (out + 1 >= size)
			return -ENOSPC;
		buf[out++] = diagram[in++];
	}
	buf[out] = '\0';
	return (int)out;
}
