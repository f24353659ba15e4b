// SPDX-License-Identifier: MIT
/* State and limbo names, and ss's state groups. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "tcplimbo/states.h"
#include "util.h"

static const char *const state_names[TL_STATE_MAX] = {
	[TL_ESTABLISHED] = "established",
	[TL_SYN_SENT] = "syn-sent",
	[TL_SYN_RECV] = "syn-recv",
	[TL_FIN_WAIT1] = "fin-wait-1",
	[TL_FIN_WAIT2] = "fin-wait-2",
	[TL_TIME_WAIT] = "time-wait",
	[TL_CLOSE] = "close",
	[TL_CLOSE_WAIT] = "close-wait",
	[TL_LAST_ACK] = "last-ack",
	[TL_LISTEN] = "listen",
	[TL_CLOSING] = "closing",
	[TL_NEW_SYN_RECV] = "new-syn-recv",
};

static const char *const state_names_upper[TL_STATE_MAX] = {
	[TL_ESTABLISHED] = "ESTABLISHED",
	[TL_SYN_SENT] = "SYN_SENT",
	[TL_SYN_RECV] = "SYN_RECV",
	[TL_FIN_WAIT1] = "FIN_WAIT1",
	[TL_FIN_WAIT2] = "FIN_WAIT2",
	[TL_TIME_WAIT] = "TIME_WAIT",
	[TL_CLOSE] = "CLOSE",
	[TL_CLOSE_WAIT] = "CLOSE_WAIT",
	[TL_LAST_ACK] = "LAST_ACK",
	[TL_LISTEN] = "LISTEN",
	[TL_CLOSING] = "CLOSING",
	[TL_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

#define B(s) TL_STATE_BIT(s)

/*
 * ss's groups, with the same meaning (iproute2 6.1, checked against ss
 * itself): "connected" is every state but listening and closed, buckets
 * (SYN_RECV requests, TIME_WAIT entries) included; "synchronized" is
 * connected minus SYN_SENT.
 */
#define CONNECTED (TL_STATES_REAL & ~(B(TL_LISTEN) | B(TL_CLOSE)))

static const struct {
	const char *name;
	uint32_t mask;
} groups[] = {
	{ "all", TL_STATES_REAL },
	{ "connected", CONNECTED },
	{ "synchronized", CONNECTED & ~B(TL_SYN_SENT) },
	{ "bucket", B(TL_SYN_RECV) | B(TL_NEW_SYN_RECV) | B(TL_TIME_WAIT) },
	{ "big", TL_STATES_REAL & ~(B(TL_SYN_RECV) | B(TL_NEW_SYN_RECV) |
				    B(TL_TIME_WAIT)) },
	/* ss's spellings of single states that differ from ours. */
	{ "listening", B(TL_LISTEN) },
	{ "closed", B(TL_CLOSE) },
	{ "unconnected", B(TL_CLOSE) },
	{ "estab", B(TL_ESTABLISHED) },
	{ "unconn", B(TL_CLOSE) },
	{ "syn-rcvd", B(TL_SYN_RECV) },
	/* RFC 9293's names, which explain takes too. */
	{ "syn-received", B(TL_SYN_RECV) | B(TL_NEW_SYN_RECV) },
	/* Request sockets are reported as SYN_RECV; ask for both. */
	{ "syn-recv", B(TL_SYN_RECV) | B(TL_NEW_SYN_RECV) },
};

const char *tl_state_name(int state)
{
	if (state <= 0 || state >= TL_STATE_MAX)
		return NULL;
	return state_names[state];
}

const char *tl_state_name_upper(int state)
{
	if (state <= 0 || state >= TL_STATE_MAX)
		return NULL;
	return state_names_upper[state];
}

int tl_state_parse(const char *name, uint32_t *ret_mask)
{
	char norm[32];
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len >= sizeof(norm))
		return -EINVAL;
	/* Accept netstat's CLOSE_WAIT as well as ss's close-wait. */
	for (size_t i = 0; i <= len; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		norm[i] = c == '_' ? '-' : c;
	}
	/* netstat writes FIN_WAIT1; ss writes fin-wait-1. */
	if (strcmp(norm, "fin-wait1") == 0)
		memcpy(norm, "fin-wait-1", sizeof("fin-wait-1"));
	else if (strcmp(norm, "fin-wait2") == 0)
		memcpy(norm, "fin-wait-2", sizeof("fin-wait-2"));

	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		if (strcmp(norm, groups[i].name) == 0) {
			*ret_mask = groups[i].mask;
			return 0;
		}
	}
	for (int s = 1; s < TL_STATE_MAX; s++) {
		if (strcmp(norm, state_names[s]) == 0) {
			*ret_mask = B(s);
			return 0;
		}
	}
	return -EINVAL;
}

const char *tl_limbo_name(int limbo)
{
	switch (limbo) {
	case TL_LIMBO_ACCEPT_QUEUE:
		return "accept-queue";
	case TL_LIMBO_ORPHAN:
		return "orphan";
	case TL_LIMBO_TIMEWAIT:
		return "timewait";
	default:
		return NULL;
	}
}
