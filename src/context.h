/* SPDX-License-Identifier: MIT */
/*
 * Where a socket or process lives (systemd unit, container, pod), for the
 * commands: the cgroup map opened once per run, and the words printed for
 * a context in tables, findings and events.
 */
#ifndef TL_CONTEXT_H
#define TL_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "json.h"
#include "tcplimbo/context.h"
#include "tcplimbo/snapshot.h"

struct tl_global;

/* The run's cgroup map and why it is missing; lives as long as main. */
struct tl_where {
	struct tl_cgroups *cg;
	int err; /* -errno from tl_cgroups_open, 0 when open or not tried */
	bool tried;
};

/*
 * The cgroup map, opened on first use under the global root. NULL (and
 * the cause in g->where->err) when there is no cgroup2 or a dump is being
 * replayed: a replayed dump's ids belong to another machine or moment.
 */
struct tl_cgroups *ctx_cgroups(const struct tl_global *g);

/*
 * Why ctx_cgroups gave none, as a clause for a message ("no cgroup2
 * hierarchy is mounted here (...)"), in buf. Returns buf.
 */
const char *ctx_why_none(const struct tl_global *g, char *buf, size_t size);

/* Lets the snapshot's sockets show their contexts (ls --json and the rest). */
void ctx_attach(const struct tl_global *g, struct tl_snapshot *snap);

/* The context of a socket, or NULL when unknown or outside any. */
const struct tl_context *ctx_of_sock(const struct tl_global *g,
				     const struct tl_sock *sk);

/* The context of a process (reads /proc/PID/cgroup), or NULL. */
const struct tl_context *ctx_of_pid(const struct tl_global *g, pid_t pid);

/*
 * The words for a context in a sentence, without control bytes:
 * "container web-1 (docker 3f2a9c0e5b7d)", "unit nginx.service",
 * "pod shop/web-7d4b9c, container nginx (containerd 8d1e2f3a4b5c)".
 * Returns buf; "" for NULL or no context.
 */
const char *ctx_text(char *buf, size_t size, const struct tl_context *c);

/*
 * The same words with the names as they are, for text that is escaped
 * as a whole where it is written (a namespace's label).
 */
const char *ctx_text_raw(char *buf, size_t size, const struct tl_context *c);

/*
 * The short form for a table column: "nginx.service", "docker:web-1",
 * "k8s:shop/web-7d4b9c/nginx". Returns buf; "-" for none.
 */
const char *ctx_short(char *buf, size_t size, const struct tl_context *c);

/* The "context" value: {kind,id,name,pod,...}, or null for none. */
void ctx_json_value(struct json *w, const struct tl_context *c);

/* Writes "cgroup" and "context" keys (see ctx_json_value). */
void ctx_json(struct json *w, const char *cgroup_path,
	      const struct tl_context *c);

/*
 * Does a context match --unit NAME ("nginx" matches nginx.service) or
 * --container NAME|ID (a name, an id or a prefix of at least 4 of its
 * hex digits, or a pod's name; a name cut to fit, by the part kept)?
 */
bool ctx_match_unit(const struct tl_context *c, const char *name);
bool ctx_match_container(const struct tl_context *c, const char *name);

#endif
