// SPDX-License-Identifier: MIT
/*
 * Naming a cgroup path the way its users know it: the systemd unit, the
 * container and its runtime, the Kubernetes pod; then the names the
 * runtimes keep in local files (no API call, no daemon needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tcplimbo/context.h"
#include "utf8.h"
#include "util.h"

/* Largest runtime config we read; Docker's are tens of kB. */
#define CONFIG_MAX (4 * 1024 * 1024)
/* Deepest JSON nesting we follow. */
#define JSON_DEPTH 64
/* Longest JSON key we compare; longer ones match nothing we want. */
#define KEY_MAX 96

static const char *const kind_names[TL_CONTEXT_KIND_MAX] = {
	[TL_CONTEXT_UNIT] = "systemd-unit",
	[TL_CONTEXT_DOCKER] = "docker",
	[TL_CONTEXT_CONTAINERD] = "containerd",
	[TL_CONTEXT_CRIO] = "crio",
	[TL_CONTEXT_PODMAN] = "podman",
	[TL_CONTEXT_KUBERNETES] = "kubernetes",
	[TL_CONTEXT_LXC] = "lxc",
	[TL_CONTEXT_NSPAWN] = "nspawn",
};

const char *tl_context_kind_name(int kind)
{
	if (kind <= TL_CONTEXT_NONE || kind >= TL_CONTEXT_KIND_MAX)
		return NULL;
	return kind_names[kind];
}

static void set(char *dst, const char *src, size_t n)
{
	if (n >= TL_CONTEXT_STR_MAX)
		n = TL_CONTEXT_STR_MAX - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);

	return n >= l && memcmp(s + n - l, suf, l) == 0;
}

static bool starts_with(const char *s, size_t n, const char *pre)
{
	size_t l = strlen(pre);

	return n >= l && memcmp(s, pre, l) == 0;
}

/* A container id: 12 to 64 lower-case hex digits, as runtimes print. */
static bool is_hex_id(const char *s, size_t n)
{
	if (n < 12 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * "PREFIX<id>.scope" or "PREFIX<id>" (cgroupfs drivers): sets *id and *n
 * to the id when the component has that shape.
 */
static bool runtime_scope(const char *c, size_t n, const char *prefix,
			  const char **id, size_t *idn)
{
	size_t pl = strlen(prefix);

	if (!starts_with(c, n, prefix))
		return false;
	c += pl;
	n -= pl;
	if (ends_with(c, n, ".scope"))
		n -= 6;
	if (!is_hex_id(c, n))
		return false;
	*id = c;
	*idn = n;
	return true;
}

/*
 * A system container named in its cgroup: LXC's "lxc.payload.<name>" (and
 * "<name>" below "lxc" before LXC 4), systemd-nspawn's
 * "systemd-nspawn@<name>.service". The units inside one are its own, not
 * the host's.
 */
static bool system_container(const char *c, size_t n, const char *prev,
			     size_t prevn, uint8_t *kind, const char **name,
			     size_t *namen)
{
	static const char lxc[] = "lxc.payload.", nsp[] = "systemd-nspawn@";

	if (starts_with(c, n, lxc) && n > sizeof(lxc) - 1) {
		*kind = TL_CONTEXT_LXC;
		*name = c + sizeof(lxc) - 1;
		*namen = n - (sizeof(lxc) - 1);
		return true;
	}
	if (prev && prevn == 3 && memcmp(prev, "lxc", 3) == 0) {
		*kind = TL_CONTEXT_LXC;
		*name = c;
		*namen = n;
		return true;
	}
	if (starts_with(c, n, nsp) && ends_with(c, n, ".service") &&
	    n > sizeof(nsp) - 1 + 8) {
		*kind = TL_CONTEXT_NSPAWN;
		*name = c + sizeof(nsp) - 1;
		*namen = n - (sizeof(nsp) - 1) - 8;
		return true;
	}
	return false;
}

/* A pod's uid from "kubepods-burstable-pod<uid>.slice" or "pod<uid>". */
static bool pod_component(const char *c, size_t n, bool under_kubepods,
			  char *uid)
{
	const char *p;
	size_t l;

	if (starts_with(c, n, "kubepods") && ends_with(c, n, ".slice")) {
		p = NULL;
		for (size_t i = 0; i + 4 <= n; i++)
			if (memcmp(c + i, "-pod", 4) == 0)
				p = c + i + 4;
		if (!p)
			return false;
		l = (size_t)(c + n - 6 - p);
	} else if (under_kubepods && starts_with(c, n, "pod")) {
		p = c + 3;
		l = n - 3;
	} else {
		return false;
	}
	if (l == 0 || l >= TL_CONTEXT_STR_MAX)
		return false;
	/*
	 * The systemd driver writes the uid's dashes as underscores. The
	 * whole name is checked before uid is touched: a component that is
	 * not a pod ("podcast") must leave no part of itself behind.
	 */
	for (size_t i = 0; i < l; i++) {
		char ch = p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      ch == '-' || ch == '_'))
			return false;
	}
	for (size_t i = 0; i < l; i++)
		uid[i] = p[i] == '_' ? '-' : p[i];
	uid[l] = '\0';
	return true;
}

int tl_context_parse_path(const char *path, struct tl_context *out)
{
	const char *p = path, *cid = NULL, *prev = NULL;
	size_t cidn = 0, prevn = 0;
	uint8_t ckind = TL_CONTEXT_NONE;
	bool kubepods = false;

	memset(out, 0, sizeof(*out));
	while (*p) {
		const char *c, *id;
		size_t n, idn;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (n == 0)
			break;
		if (starts_with(c, n, "kubepods"))
			kubepods = true;
		if (pod_component(c, n, kubepods, out->pod_uid)) {
			/*
			 * A new pod level: a container is below it, and one
			 * above it is the node's (kind, k3d, a Kubernetes in
			 * LXC), no part of the pod's.
			 */
			ckind = TL_CONTEXT_NONE;
			cid = NULL;
			cidn = 0;
			out->kind = TL_CONTEXT_NONE;
		} else if (runtime_scope(c, n, "docker-", &id, &idn)) {
			ckind = TL_CONTEXT_DOCKER;
		} else if (runtime_scope(c, n, "cri-containerd-", &id, &idn)) {
			ckind = TL_CONTEXT_CONTAINERD;
		} else if (runtime_scope(c, n, "crio-", &id, &idn)) {
			ckind = TL_CONTEXT_CRIO;
		} else if (runtime_scope(c, n, "libpod-", &id, &idn)) {
			ckind = TL_CONTEXT_PODMAN;
		} else if (prev && prevn == 6 &&
			   memcmp(prev, "docker", 6) == 0 && is_hex_id(c, n)) {
			/* Docker's cgroupfs driver: /docker/<id>. */
			ckind = TL_CONTEXT_DOCKER;
			id = c;
			idn = n;
		} else if (!cid && system_container(c, n, prev, prevn, &ckind,
						    &id, &idn)) {
			/* Its own units are below: not the host's. */
			out->unit[0] = '\0';
		} else if (out->pod_uid[0] && !cid && is_hex_id(c, n)) {
			/* cgroupfs Kubernetes: /kubepods/QOS/pod<uid>/<id>. */
			ckind = TL_CONTEXT_KUBERNETES;
			id = c;
			idn = n;
		} else {
			if (ends_with(c, n, ".service") ||
			    ends_with(c, n, ".scope"))
				set(out->unit, c, n);
			prev = c;
			prevn = n;
			continue;
		}
		if (ckind != TL_CONTEXT_NONE) {
			/* The deepest container wins (nested cgroups). */
			cid = id;
			cidn = idn;
			out->kind = ckind;
		}
		prev = c;
		prevn = n;
	}
	if (cid)
		set(out->id, cid, cidn);
	/* A system container has a name, not an id. */
	if (out->kind == TL_CONTEXT_LXC || out->kind == TL_CONTEXT_NSPAWN) {
		set(out->name, out->id, strlen(out->id));
		out->id[0] = '\0';
	}
	if (out->pod_uid[0]) {
		/* A pod's container: its runtime is what the scope said. */
		if (out->kind != TL_CONTEXT_KUBERNETES)
			out->runtime = out->kind;
		out->kind = TL_CONTEXT_KUBERNETES;
		set(out->pod, out->pod_uid, strlen(out->pod_uid));
	} else if (!cid && out->unit[0]) {
		out->kind = TL_CONTEXT_UNIT;
		set(out->id, out->unit, strlen(out->unit));
		set(out->name, out->unit, strlen(out->unit));
	}
	return 0;
}

/* One JSON string value we want, by its key path ("a" or "a/b"). */
struct want {
	const char *path;
	char *out;
	bool found;
};

struct json {
	const char *p, *end;
	struct want *want;
	size_t nwant;
	char keys[2][KEY_MAX + 1]; /* the keys at depth 1 and 2 */
};

static void skip_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Appends a code point as UTF-8 when it fits; NUL becomes U+FFFD. */
static void put_cp(char *out, size_t size, size_t *o, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp == 0 || !utf8_scalar(cp))
		cp = 0xfffd;
	n = (size_t)utf8_encode(cp, b);
	if (out && *o + n < size) {
		memcpy(out + *o, b, n);
		*o += n;
	}
}

/*
 * Reads a string at j->p (the opening quote), decoding escapes into out
 * (size bytes, truncated, always terminated) when out is not NULL. A
 * truncated string reports *cut. Returns 0 or -1 on malformed input.
 */
static int json_string(struct json *j, char *out, size_t size, bool *cut)
{
	size_t o = 0;

	if (j->p >= j->end || *j->p != '"')
		goto bad;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;
		uint32_t cp, lo;

		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			if (out && o + 1 < size)
				out[o++] = (char)c;
			else if (out && cut)
				*cut = true;
			continue;
		}
		if (j->p >= j->end)
			goto bad;
		c = (unsigned char)*j->p++;
		switch (c) {
		case 'n':
			cp = '\n';
			break;
		case 't':
			cp = '\t';
			break;
		case 'r':
			cp = '\r';
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'u':
			if (j->end - j->p < 4 || hex_value(j->p, 4, &cp) < 0)
				goto bad;
			j->p += 4;
			/* A surrogate pair is one code point. */
			if (cp >= 0xd800 && cp <= 0xdbff &&
			    j->end - j->p >= 6 && j->p[0] == '\\' &&
			    j->p[1] == 'u' &&
			    hex_value(j->p + 2, 4, &lo) == 0 && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				j->p += 6;
			}
			break;
		default:
			goto bad;
		}
		put_cp(out, size, &o, cp);
	}
	if (j->p >= j->end)
		goto bad;
	j->p++;
	if (out)
		out[o] = '\0';
	return 0;
bad:
	/* What was decoded before the fault is kept, terminated. */
	if (out && size)
		out[o] = '\0';
	return -1;
}

static int json_value(struct json *j, int depth);

/* Offers a string value at depth (1 or 2) to the wanted paths. */
static int offer(struct json *j, int depth)
{
	char path[2 * KEY_MAX + 2];

	if (depth == 1)
		snprintf(path, sizeof(path), "%s", j->keys[0]);
	else
		snprintf(path, sizeof(path), "%s/%s", j->keys[0], j->keys[1]);
	for (size_t i = 0; i < j->nwant; i++) {
		if (strcmp(j->want[i].path, path) == 0) {
			j->want[i].found = true;
			return json_string(j, j->want[i].out,
					   TL_CONTEXT_STR_MAX, NULL);
		}
	}
	return json_string(j, NULL, 0, NULL);
}

static int json_object(struct json *j, int depth)
{
	j->p++; /* '{' */
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		char key[KEY_MAX + 1];
		bool cut = false;

		skip_ws(j);
		if (json_string(j, key, sizeof(key), &cut) < 0)
			return -1;
		if (cut)
			key[0] = '\0'; /* too long to be one we want */
		if (depth < 2)
			memcpy(j->keys[depth], key, sizeof(key));
		skip_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return -1;
		j->p++;
		skip_ws(j);
		if (j->p < j->end && *j->p == '"' && depth < 2) {
			if (offer(j, depth + 1) < 0)
				return -1;
		} else if (json_value(j, depth + 1) < 0) {
			return -1;
		}
		skip_ws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int json_array(struct json *j, int depth)
{
	j->p++; /* '[' */
	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		/* Objects in arrays are one level deeper: never offered. */
		if (json_value(j, depth + 1) < 0)
			return -1;
		skip_ws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int json_value(struct json *j, int depth)
{
	skip_ws(j);
	if (j->p >= j->end || depth >= JSON_DEPTH)
		return -1;
	switch (*j->p) {
	case '{':
		return json_object(j, depth);
	case '[':
		return json_array(j, depth);
	case '"':
		return json_string(j, NULL, 0, NULL);
	default:
		/* Numbers, true, false, null: skip to the next delimiter. */
		while (j->p < j->end && *j->p != ',' && *j->p != '}' &&
		       *j->p != ']' && *j->p != ' ' && *j->p != '\n' &&
		       *j->p != '\t' && *j->p != '\r')
			j->p++;
		return 0;
	}
}

/*
 * Fills the wanted string values from a JSON object in buf (len bytes, not
 * terminated). Returns 0 when it is well-formed, or a negative number.
 */
static int json_buf(const char *buf, size_t len, struct want *want,
		    size_t nwant)
{
	struct json j = {
		.p = buf, .end = buf + len, .want = want, .nwant = nwant
	};

	skip_ws(&j);
	if (j.p < j.end && *j.p == '{')
		return json_object(&j, 0);
	return -1;
}

/*
 * Reads a JSON file and fills the wanted string values. Returns 0 when the
 * file was read and is well-formed, or a negative number.
 */
static int json_file(const char *path, struct want *want, size_t nwant)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_MAX || st.st_size <= 0) {
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		close(fd);
		return -1;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	ret = json_buf(buf, len, want, nwant);
	free(buf);
	return ret;
}

int tl_context_json_scan(const char *buf, size_t len, const char *const *paths,
			 char (*out)[TL_CONTEXT_STR_MAX], size_t n)
{
	struct want want[8];

	if (n > ARRAY_SIZE(want))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		want[i] = (struct want){ paths[i], out[i], false };
		out[i][0] = '\0';
	}
	return json_buf(buf, len, want, n) < 0 ? -EBADMSG : 0;
}

/* Docker: config.v2.json's top-level "Name" ("/web-1"). */
static void docker_name(const char *root, struct tl_context *ctx)
{
	char path[TL_CGROUP_PATH_MAX + 128];
	char name[TL_CONTEXT_STR_MAX] = "";
	struct want w[] = { { "Name", name, false } };

	if (strlen(ctx->id) != 64)
		return; /* Docker's directories use the full id */
	snprintf(path, sizeof(path),
		 "%s/var/lib/docker/containers/%s/config.v2.json", root,
		 ctx->id);
	if (json_file(path, w, 1) < 0 || !w[0].found || !name[0])
		return;
	set(ctx->name, name[0] == '/' ? name + 1 : name,
	    strlen(name[0] == '/' ? name + 1 : name));
	if (ctx->kind == TL_CONTEXT_KUBERNETES && !ctx->runtime)
		ctx->runtime = TL_CONTEXT_DOCKER;
}

/*
 * An OCI bundle's config.json: the annotations a CRI runtime writes for
 * the container, its pod and the pod's namespace. Returns true if found.
 */
static bool bundle_names(const char *path, const char *k_name,
			 const char *k_pod, const char *k_ns,
			 struct tl_context *ctx)
{
	char name[TL_CONTEXT_STR_MAX] = "", pod[TL_CONTEXT_STR_MAX] = "";
	char ns[TL_CONTEXT_STR_MAX] = "";
	char kn[KEY_MAX + 16], kp[KEY_MAX + 16], kns[KEY_MAX + 16];
	struct want w[3] = {
		{ kn, name, false },
		{ kp, pod, false },
		{ kns, ns, false },
	};

	snprintf(kn, sizeof(kn), "annotations/%s", k_name);
	snprintf(kp, sizeof(kp), "annotations/%s", k_pod);
	snprintf(kns, sizeof(kns), "annotations/%s", k_ns);
	if (json_file(path, w, 3) < 0)
		return false;
	if (name[0])
		set(ctx->name, name, strlen(name));
	if (pod[0])
		set(ctx->pod, pod, strlen(pod));
	if (ns[0])
		set(ctx->pod_namespace, ns, strlen(ns));
	return name[0] || pod[0] || ns[0];
}

static bool containerd_names(const char *root, struct tl_context *ctx)
{
	/* containerd's namespaces: CRI's first, then Docker's and the CLI's. */
	static const char *const nss[] = { "k8s.io", "moby", "default" };
	char path[TL_CGROUP_PATH_MAX + 160];

	for (size_t i = 0; i < ARRAY_SIZE(nss); i++) {
		snprintf(
			path, sizeof(path),
			"%s/run/containerd/io.containerd.runtime.v2.task/%s/%s/config.json",
			root, nss[i], ctx->id);
		if (bundle_names(path, "io.kubernetes.cri.container-name",
				 "io.kubernetes.cri.sandbox-name",
				 "io.kubernetes.cri.sandbox-namespace", ctx))
			return true;
	}
	return false;
}

static bool crio_names(const char *root, struct tl_context *ctx)
{
	char path[TL_CGROUP_PATH_MAX + 160];

	snprintf(
		path, sizeof(path),
		"%s/run/containers/storage/overlay-containers/%s/userdata/config.json",
		root, ctx->id);
	return bundle_names(path, "io.kubernetes.container.name",
			    "io.kubernetes.pod.name",
			    "io.kubernetes.pod.namespace", ctx);
}

void tl_context_add_names(const char *root, struct tl_context *ctx)
{
	int rt = ctx->kind == TL_CONTEXT_KUBERNETES ? ctx->runtime : ctx->kind;

	if (!root)
		root = "";
	/* An id is hex by construction: it cannot climb out of a path. */
	if (!ctx->id[0] || !is_hex_id(ctx->id, strlen(ctx->id)))
		return;
	switch (rt) {
	case TL_CONTEXT_DOCKER:
		docker_name(root, ctx);
		break;
	case TL_CONTEXT_CONTAINERD:
		containerd_names(root, ctx);
		break;
	case TL_CONTEXT_CRIO:
		crio_names(root, ctx);
		break;
	case TL_CONTEXT_NONE:
		/* A cgroupfs pod: the id alone does not say whose. */
		if (containerd_names(root, ctx)) {
			ctx->runtime = TL_CONTEXT_CONTAINERD;
			break;
		}
		if (crio_names(root, ctx)) {
			ctx->runtime = TL_CONTEXT_CRIO;
			break;
		}
		docker_name(root, ctx);
		break;
	default:
		break;
	}
}

void tli_context_of_path(const char *root, const char *path,
			 struct tl_context *out)
{
	const char *leaf = strrchr(path, '/');
	struct tl_context d;

	tl_context_parse_path(path, out);
	tl_context_add_names(root, out);
	leaf = leaf ? leaf + 1 : path;
	/*
	 * Docker with --cgroup-parent (or cgroup-parent in daemon.json) puts
	 * a container at PARENT/<id>, under no "docker" the path could tell:
	 * a 64-digit leaf is Docker's where Docker keeps a config under it.
	 */
	if (out->kind != TL_CONTEXT_NONE || out->pod_uid[0] ||
	    strlen(leaf) != 64 || !is_hex_id(leaf, 64))
		return;
	memset(&d, 0, sizeof(d));
	d.kind = TL_CONTEXT_DOCKER;
	set(d.id, leaf, 64);
	docker_name(root ? root : "", &d);
	if (d.name[0])
		*out = d;
}
