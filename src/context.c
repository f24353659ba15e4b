// SPDX-License-Identifier: MIT
/*
 * The commands' side of contexts: one cgroup map a run, and how a context
 * reads in a table, a finding, an event and JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "escape.h"
#include "output.h"
#include "tl.h"

/* Runtimes' ids are shown as docker ps shows them: 12 digits. */
#define SHORT_ID 12

struct tl_cgroups *ctx_cgroups(const struct tl_global *g)
{
	struct tl_where *w = g->where;

	if (!w)
		return NULL;
	if (!w->tried) {
		w->tried = true;
		if (g->replay_path)
			w->err = -ESRCH;
		else
			w->err = tl_cgroups_open(g->root, &w->cg);
		if (w->err > 0)
			w->err = 0;
	}
	return w->cg;
}

const char *ctx_why_none(const struct tl_global *g, char *buf, size_t size)
{
	int err = g->where ? g->where->err : -ENOENT;

	if (err == -ESRCH)
		snprintf(
			buf, size,
			"a recorded dump's cgroup ids do not name this machine's cgroups");
	else if (err == -ENOENT)
		snprintf(
			buf, size,
			"no cgroup2 hierarchy is mounted here (no cgroup2 line in %s/proc/self/mountinfo)",
			g->root);
	else
		snprintf(buf, size, "the cgroup2 hierarchy cannot be read (%s)",
			 strerror(-err));
	return buf;
}

void ctx_attach(const struct tl_global *g, struct tl_snapshot *snap)
{
	if (snap)
		snap->cgroups = ctx_cgroups(g);
}

/* A context worth naming: NULL for none. */
static const struct tl_context *named(const struct tl_context *c)
{
	return c && c->kind != TL_CONTEXT_NONE ? c : NULL;
}

const struct tl_context *ctx_of_sock(const struct tl_global *g,
				     const struct tl_sock *sk)
{
	if (!(sk->has & TL_HAS_CGROUP))
		return NULL;
	return named(tl_cgroups_context(ctx_cgroups(g), sk->cgroup_id));
}

const struct tl_context *ctx_of_pid(const struct tl_global *g, pid_t pid)
{
	struct tl_cgroups *cg = ctx_cgroups(g);
	uint64_t id;

	if (!cg)
		return NULL;
	/* A fake /proc (--proc-root) is also where the cgroup file is. */
	id = tl_cgroups_pid(cg, g->proc_root, pid);
	return named(tl_cgroups_context(cg, id));
}

/*
 * Appends s to buf at *o through the text escaper (escape.h): names come
 * from files anyone who runs a container can write.
 */
static void put_clean(char *buf, size_t size, size_t *o, const char *s,
		      size_t max)
{
	if (*o >= size)
		return;
	esc_text_len(buf + *o, size - *o, s, strnlen(s, max));
	*o += strlen(buf + *o);
}

/* put_clean, or the bytes as they are where raw (escaped later, once). */
static void put_name(char *buf, size_t size, size_t *o, const char *s,
		     size_t max, bool raw)
{
	if (!raw) {
		put_clean(buf, size, o, s, max);
	} else if (*o < size) {
		snprintf(buf + *o, size - *o, "%.*s", (int)strnlen(s, max), s);
		*o += strlen(buf + *o);
	}
}

/* Appends printf-style literal text (our own words, no outside bytes). */
static void put_lit(char *buf, size_t size, size_t *o, const char *s)
{
	put_clean(buf, size, o, s, strlen(s));
}

static const char *runtime_of(const struct tl_context *c)
{
	int rt = c->kind == TL_CONTEXT_KUBERNETES ? c->runtime : c->kind;

	return tl_context_kind_name(rt);
}

static const char *text_as(char *buf, size_t size, const struct tl_context *c,
			   bool raw)
{
	const char *rt;
	size_t o = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	c = named(c);
	if (!c)
		return buf;
	rt = runtime_of(c);
	if (c->kind == TL_CONTEXT_UNIT) {
		put_lit(buf, size, &o, "unit ");
		put_name(buf, size, &o, c->unit, sizeof(c->unit), raw);
		return buf;
	}
	if (c->kind == TL_CONTEXT_KUBERNETES) {
		put_lit(buf, size, &o, "pod ");
		if (c->pod_namespace[0]) {
			put_name(buf, size, &o, c->pod_namespace,
				 sizeof(c->pod_namespace), raw);
			put_lit(buf, size, &o, "/");
		}
		put_name(buf, size, &o, c->pod, sizeof(c->pod), raw);
		if (!c->id[0])
			return buf;
		put_lit(buf, size, &o, ", ");
	}
	put_lit(buf, size, &o, "container ");
	if (c->name[0]) {
		put_name(buf, size, &o, c->name, sizeof(c->name), raw);
		put_lit(buf, size, &o, " (");
		if (rt)
			put_lit(buf, size, &o, rt);
		if (rt && c->id[0])
			put_lit(buf, size, &o, " ");
		put_name(buf, size, &o, c->id, SHORT_ID, raw);
		put_lit(buf, size, &o, ")");
	} else {
		put_name(buf, size, &o, c->id, SHORT_ID, raw);
		if (rt) {
			put_lit(buf, size, &o, " (");
			put_lit(buf, size, &o, rt);
			put_lit(buf, size, &o, ")");
		}
	}
	return buf;
}

const char *ctx_text(char *buf, size_t size, const struct tl_context *c)
{
	return text_as(buf, size, c, false);
}

const char *ctx_text_raw(char *buf, size_t size, const struct tl_context *c)
{
	return text_as(buf, size, c, true);
}

const char *ctx_short(char *buf, size_t size, const struct tl_context *c)
{
	size_t o = 0;

	if (size == 0)
		return buf;
	c = named(c);
	if (!c) {
		snprintf(buf, size, "-");
		return buf;
	}
	buf[0] = '\0';
	switch (c->kind) {
	case TL_CONTEXT_UNIT:
		put_clean(buf, size, &o, c->unit, sizeof(c->unit));
		break;
	case TL_CONTEXT_KUBERNETES:
		put_lit(buf, size, &o, "k8s:");
		if (c->pod_namespace[0]) {
			put_clean(buf, size, &o, c->pod_namespace,
				  sizeof(c->pod_namespace));
			put_lit(buf, size, &o, "/");
		}
		put_clean(buf, size, &o, c->pod, sizeof(c->pod));
		if (c->name[0] || c->id[0])
			put_lit(buf, size, &o, "/");
		if (c->name[0])
			put_clean(buf, size, &o, c->name, sizeof(c->name));
		else
			put_clean(buf, size, &o, c->id, SHORT_ID);
		break;
	default:
		put_lit(buf, size, &o, tl_context_kind_name(c->kind));
		put_lit(buf, size, &o, ":");
		if (c->name[0])
			put_clean(buf, size, &o, c->name, sizeof(c->name));
		else
			put_clean(buf, size, &o, c->id, SHORT_ID);
	}
	return buf;
}

static void kv_or_null(struct json *w, const char *k, const char *v)
{
	json_key(w, k);
	json_str(w, v && v[0] ? v : NULL);
}

void ctx_json(struct json *w, const char *cgroup_path,
	      const struct tl_context *c)
{
	json_key(w, "cgroup");
	json_str(w, cgroup_path);
	json_key(w, "context");
	ctx_json_value(w, c);
}

void ctx_json_value(struct json *w, const struct tl_context *c)
{
	c = named(c);
	if (!c) {
		json_null(w);
		return;
	}
	json_obj_begin(w);
	kv_or_null(w, "kind", tl_context_kind_name(c->kind));
	kv_or_null(w, "id", c->id);
	kv_or_null(w, "name", c->name);
	kv_or_null(w, "pod", c->pod);
	kv_or_null(w, "namespace", c->pod_namespace);
	kv_or_null(w, "pod_uid", c->pod_uid);
	kv_or_null(w, "unit", c->unit);
	kv_or_null(w, "runtime",
		   c->kind == TL_CONTEXT_KUBERNETES ?
			   tl_context_kind_name(c->runtime) :
			   NULL);
	json_obj_end(w);
}

bool ctx_match_unit(const struct tl_context *c, const char *name)
{
	size_t n = strlen(name);

	c = named(c);
	if (!c || !c->unit[0])
		return false;
	if (strcmp(c->unit, name) == 0)
		return true;
	/* systemctl's habit: a name without a suffix is a service. */
	return strncmp(c->unit, name, n) == 0 &&
	       strcmp(c->unit + n, ".service") == 0;
}

/*
 * Whether a context's name is the one given: a name longer than a context
 * keeps ends in "..." (tl_context_add_names), and the whole name given
 * matches it by the part kept.
 */
static bool name_is(const char *have, const char *given)
{
	size_t n = strlen(have);

	if (!have[0])
		return false;
	if (strcmp(have, given) == 0)
		return true;
	return n >= TL_CONTEXT_STR_MAX - 4 &&
	       strcmp(have + n - 3, "...") == 0 && strlen(given) > n - 3 &&
	       strncmp(have, given, n - 3) == 0;
}

bool ctx_match_container(const struct tl_context *c, const char *name)
{
	size_t n = strlen(name);

	c = named(c);
	if (!c || c->kind == TL_CONTEXT_UNIT)
		return false;
	if (name_is(c->name, name) || name_is(c->pod, name))
		return true;
	/* An id or its prefix, as docker accepts it (4 digits at least). */
	return n >= 4 && c->id[0] && strncmp(c->id, name, n) == 0;
}
