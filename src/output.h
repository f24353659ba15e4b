/* SPDX-License-Identifier: MIT */
/*
 * Printing sockets the way every command that shows them does, so they
 * agree: ls's table row and ls's JSON object (ls, doctor, kill, drain),
 * a process's owners, and wrapped text (doctor, explain). Addresses are
 * the library's (tcplimbo/addr.h); JSON goes through the one JSON writer,
 * json.h. watch prints events, not sockets, with its own columns.
 */
#ifndef TL_OUTPUT_H
#define TL_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "json.h"
#include "tcplimbo/addr.h"
#include "tcplimbo/snapshot.h"

/*
 * Writes one socket as ls's JSON object: family, state, addresses, ports,
 * queues, inode, uid, owners, limbo, listener_owners and the rest.
 */
void out_sock_json(struct json *w, const struct tl_snapshot *snap,
		   const struct tl_sock *sk);

/*
 * Writes an owners array ([{"pid","comm","fd"}, ...]) for the refs given, or
 * null where o is NULL: owners were not looked for.
 */
void out_owners_json(struct json *w, const struct tl_owners *o,
		     const struct tl_fdref *refs, size_t n);

/*
 * Writes text word-wrapped at 78 columns and a newline, through the text
 * escaper (escape.h), since texts quote names from outside. The caller has
 * already printed col columns of the first line (a label); later lines
 * start at column indent.
 */
void out_wrap(FILE *f, int col, int indent, const char *text);

/* Writes the table header matching out_sock_row. */
void out_table_header(FILE *f);

/* The table header with a Context column before the owner (ls --context). */
void out_table_header_ctx(FILE *f);

/* A table row with that column (ctx_short's text); NULL: none. */
void out_sock_row_ctx(FILE *f, const struct tl_snapshot *snap,
		      const struct tl_sock *sk, const char *context);

/* Writes one table row: netstat-like columns, owner and limbo class. */
void out_sock_row(FILE *f, const struct tl_snapshot *snap,
		  const struct tl_sock *sk);

/* Room for out_local_text's longest text: an escaped interface name. */
#define OUT_LOCAL_TEXT_MAX (TL_ADDR_STR_MAX + 4 * 16 + 16)

/*
 * A socket's local address and port as ss shows them, with the device it
 * is bound to, if any, after the address ("[fe80::1]%eth0:80"; its index
 * where its name is not known). Returns buf.
 */
const char *out_local_text(char *buf, size_t size,
			   const struct tl_snapshot *snap,
			   const struct tl_sock *sk);

/*
 * Whether sk's owners are all there are: not where some processes' fds
 * could not be read (one of them may hold it), unless the socket has no
 * inode, and so no fd anywhere. snap must have owners.
 */
bool out_owners_complete(const struct tl_snapshot *snap,
			 const struct tl_sock *sk);

/* Room for out_owner_text's longest text, escaped names included. */
#define OUT_OWNER_TEXT_MAX (2 * 4 * TL_COMM_MAX + 96)

/*
 * Formats a socket's owner for a table: "pid/comm" (the first owner, with
 * "+N" for more), "[accept-queue of pid/comm]" (with "or N other
 * listeners" when SO_REUSEPORT leaves it open which), or "-". Returns buf.
 */
const char *out_owner_text(char *buf, size_t size,
			   const struct tl_snapshot *snap,
			   const struct tl_sock *sk);

#endif
