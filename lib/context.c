// SPDX-License-Identifier: MIT
/*
 * Naming a cgroup path the way its users know it: the systemd unit, the
 * container and its runtime, the Kubernetes pod; then the names the
 * runtimes keep in local files (no API call, no daemon needed).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "tcplimbo/context.h"
#include "util.h"

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

/* Docker: config.v2.json's top-level "Name" ("/web-1"). */
static void docker_name(const char *root, struct tl_context *ctx)
{
	char path[TL_CGROUP_PATH_MAX + 128];
	char name[TL_CONTEXT_STR_MAX] = "";
	struct tli_want w[] = { { "Name", name, false } };

	if (strlen(ctx->id) != 64)
		return; /* Docker's directories use the full id */
	snprintf(path, sizeof(path),
		 "%s/var/lib/docker/containers/%s/config.v2.json", root,
		 ctx->id);
	if (tli_json_file(path, w, 1) < 0 || !w[0].found || !name[0])
		return;
	set(ctx->name, name[0] == '/' ? name + 1 : name,
	    strlen(name[0] == '/' ? name + 1 : name));
	if (ctx->kind == TL_CONTEXT_KUBERNETES && !ctx->runtime)
		ctx->runtime = TL_CONTEXT_DOCKER;
}

/*
 * podman: the container's first name, in containers/storage's list of
 * containers (containers.json, under the storage driver's directory).
 */
static void podman_name(const char *root, struct tl_context *ctx)
{
	static const char *const drivers[] = { "overlay", "vfs", "btrfs",
					       "zfs" };
	char path[TL_CGROUP_PATH_MAX + 128];
	char id[TL_CONTEXT_STR_MAX], name[TL_CONTEXT_STR_MAX];
	struct tli_want w[] = { { "id", id, false }, { "names", name, false } };

	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++) {
		snprintf(
			path, sizeof(path),
			"%s/var/lib/containers/storage/%s-containers/containers.json",
			root, drivers[i]);
		if (tli_json_file_find(path, ctx->id, w, 2) == 0) {
			if (w[1].found && name[0])
				set(ctx->name, name, strlen(name));
			return;
		}
	}
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
	char kn[128], kp[128], kns[128]; /* "annotations/" and a key */
	struct tli_want w[3] = {
		{ kn, name, false },
		{ kp, pod, false },
		{ kns, ns, false },
	};

	snprintf(kn, sizeof(kn), "annotations/%s", k_name);
	snprintf(kp, sizeof(kp), "annotations/%s", k_pod);
	snprintf(kns, sizeof(kns), "annotations/%s", k_ns);
	if (tli_json_file(path, w, 3) < 0)
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
	case TL_CONTEXT_PODMAN:
		podman_name(root, ctx);
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
