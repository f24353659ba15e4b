/* SPDX-License-Identifier: MIT */
/*
 * context: where a socket or a process lives, in the words its users know.
 * A cgroup id (from sock_diag) or a cgroup path (from /proc/PID/cgroup) is
 * turned into a systemd unit, a Docker, containerd, CRI-O or Podman
 * container, or a Kubernetes pod, with names read from the runtimes' local
 * files where they exist. Everything is best effort and bounded: a machine
 * without cgroup2, containers or runtime files gives "no context", never an
 * error. Every path takes a root prefix, so tests run on fake trees.
 */
#ifndef TCPLIMBO_CONTEXT_H
#define TCPLIMBO_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest cgroup path we keep (relative to the cgroup2 root): PATH_MAX. */
#define TL_CGROUP_PATH_MAX 4096
/* Longest id, name, pod or namespace we keep. */
#define TL_CONTEXT_STR_MAX 256

/* What kind of thing a cgroup belongs to. */
enum tl_context_kind {
	TL_CONTEXT_NONE = 0,
	TL_CONTEXT_UNIT,       /* a systemd service, scope or user session */
	TL_CONTEXT_DOCKER,     /* docker-<id>.scope, /docker/<id> */
	TL_CONTEXT_CONTAINERD, /* cri-containerd-<id>.scope outside a pod */
	TL_CONTEXT_CRIO,       /* crio-<id>.scope outside a pod */
	TL_CONTEXT_PODMAN,     /* libpod-<id>.scope */
	TL_CONTEXT_KUBERNETES, /* a container of a Kubernetes pod */
	TL_CONTEXT_LXC,	       /* lxc.payload.<name>, /lxc/<name> */
	TL_CONTEXT_NSPAWN,     /* systemd-nspawn@<name>.service */
	TL_CONTEXT_KIND_MAX,
};

/*
 * The context of one cgroup. Strings are empty when unknown. For a
 * Kubernetes container, runtime says which runtime's id "id" is.
 */
struct tl_context {
	uint8_t kind;	 /* enum tl_context_kind */
	uint8_t runtime; /* for KUBERNETES: DOCKER, CONTAINERD or CRIO */
	char id[TL_CONTEXT_STR_MAX];   /* container id, or the unit's name */
	char name[TL_CONTEXT_STR_MAX]; /* container name, or the unit's name */
	char unit[TL_CONTEXT_STR_MAX]; /* innermost systemd unit, if any */
	char pod[TL_CONTEXT_STR_MAX];  /* pod name, or its uid if no name */
	char pod_uid[TL_CONTEXT_STR_MAX];
	char pod_namespace[TL_CONTEXT_STR_MAX]; /* Kubernetes namespace */
};

/* The JSON name of a kind ("systemd-unit", "docker", ...), or NULL. */
const char *tl_context_kind_name(int kind);

/*
 * Names the context of a cgroup path ("/system.slice/nginx.service") from
 * the path alone: kind, ids, unit and pod uid. Returns 0 (out->kind may be
 * TL_CONTEXT_NONE when nothing is recognised).
 */
int tl_context_parse_path(const char *path, struct tl_context *out);

/*
 * Adds names from the runtimes' local files under root ("" or NULL for
 * "/"): Docker's /var/lib/docker/containers/ID/config.v2.json (Name), and
 * the OCI bundle config.json of containerd (/run/containerd/...) and CRI-O
 * (/run/containers/storage/...) for the pod, namespace and container name.
 * Files that are absent, too big or malformed are skipped quietly. A
 * name longer than its field ends in "..." at a character's boundary.
 */
void tl_context_add_names(const char *root, struct tl_context *ctx);

/*
 * The context of a process, straight from root's proc_root/PID/cgroup
 * (proc_root NULL means root + "/proc"), names included, with no map of
 * the hierarchy: for callers that name a few processes and keep no state
 * (an exporter's labels, from several threads). Returns 0 (out->kind may
 * be TL_CONTEXT_NONE), -ENOENT when the process is gone or has no cgroup2
 * line, or -errno.
 */
int tl_context_of_pid(const char *root, const char *proc_root, pid_t pid,
		      struct tl_context *out);

/*
 * Extracts the cgroup2 path from the text of /proc/PID/cgroup (the "0::"
 * line; len bytes, need not be terminated) into buf. Returns 0, -ENOENT
 * when there is no cgroup2 line, or -ENAMETOOLONG.
 */
int tl_cgroup_parse_proc(const char *text, size_t len, char *buf, size_t size);

/*
 * The same for the cgroup v1 hierarchy that has controller ("freezer")
 * among its controllers: its path into buf. -ENOENT without one.
 */
int tl_cgroup_parse_proc_v1(const char *text, size_t len,
			    const char *controller, char *buf, size_t size);

/*
 * Finds the cgroup2 mount point in the text of /proc/self/mountinfo (len
 * bytes): the first, or a later one that mounts the whole hierarchy where
 * the first mounts a subtree. Writes the mount point (octal escapes
 * decoded) to mnt and the mount's root inside the hierarchy to base.
 * Returns 0, -ENOENT when no cgroup2 is mounted, or -ENAMETOOLONG.
 */
int tl_cgroup_parse_mountinfo(const char *text, size_t len, char *mnt,
			      size_t mnt_size, char *base, size_t base_size);

/*
 * The same for the cgroup v1 hierarchy with controller among its mount's
 * super options (a hybrid or v1 machine's freezer). -ENOENT without one.
 */
int tl_cgroup_parse_mountinfo_v1(const char *text, size_t len,
				 const char *controller, char *mnt,
				 size_t mnt_size, char *base, size_t base_size);

/*
 * A cgroup2 hierarchy seen from root: its mount, a map of cgroup ids to
 * paths (on cgroup2 the id is the directory's inode number), and a cache
 * of contexts. Opaque; the caller owns it.
 */
struct tl_cgroups;

/*
 * Finds the cgroup2 mount through root/proc/self/mountinfo and walks it
 * once (bounded in depth and count). Returns 0 and sets *ret, -ENOENT when
 * no cgroup2 is mounted, or -errno.
 */
int tl_cgroups_open(const char *root, struct tl_cgroups **ret);

/* Frees the map; NULL is fine. */
void tl_cgroups_free(struct tl_cgroups *cg);

/*
 * The path of a cgroup id, or NULL when unknown. An id newer than any
 * seen makes one new walk, so cgroups created since still resolve.
 */
const char *tl_cgroups_path(struct tl_cgroups *cg, uint64_t id);

/*
 * The context of a cgroup id, computed once and cached (names included).
 * Returns NULL when the id is unknown; a known id outside any unit or
 * container gives a context of kind TL_CONTEXT_NONE. The pointer (and a
 * path from tl_cgroups_path) stays valid until the next call on cg: an
 * unseen id walks the hierarchy again and rebuilds the cache.
 */
const struct tl_context *tl_cgroups_context(struct tl_cgroups *cg, uint64_t id);

/*
 * Reads root's proc_root/PID/cgroup and returns the cgroup id of the
 * process (the inode of its cgroup2 directory), or 0 when it is gone or
 * has none. proc_root NULL means root + "/proc".
 */
uint64_t tl_cgroups_pid(struct tl_cgroups *cg, const char *proc_root,
			pid_t pid);

/*
 * Whether some cgroup of the last walk is named name, or name.service
 * (systemctl's habit): a systemd unit that runs has one. false for a
 * NULL cg.
 */
bool tl_cgroups_has_name(const struct tl_cgroups *cg, const char *name);

/*
 * Processes of the cgroups of the last walk whose context match() accepts
 * (a container, a unit by name; the cgroups below one are its too): their
 * pids as the hierarchy's cgroup.procs give them, at most max, into pids.
 * Returns how many. Computes the contexts of cgroups not asked for yet.
 */
size_t tl_cgroups_pids(struct tl_cgroups *cg,
		       bool (*match)(const struct tl_context *c,
				     const void *arg),
		       const void *arg, pid_t *pids, size_t max);

#ifdef __cplusplus
}
#endif
#endif
