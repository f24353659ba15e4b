/* SPDX-License-Identifier: MIT */
/* netns: find, open and enter network namespaces. */
#ifndef TCPLIMBO_NETNS_H
#define TCPLIMBO_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest NAME|PATH|PID accepted from a user. */
#define TL_NETNS_SPEC_MAX 256

/*
 * Opens a network namespace given as a name under /var/run/netns, a path
 * (anything with a '/'), or a pid (all digits: /proc/PID/ns/net; where
 * no process has that pid, a name of digits). Returns an O_CLOEXEC fd or
 * -errno: -EINVAL for a malformed spec, -ENOENT when it does not exist.
 */
int tl_netns_open(const char *spec);

/* How tl_netns_open_by took a spec. */
enum tl_netns_by {
	TL_NETNS_BY_NAME = 1, /* under /var/run/netns */
	TL_NETNS_BY_PATH,     /* a file's path */
	TL_NETNS_BY_PID,      /* /proc/PID/ns/net */
};

/*
 * tl_netns_open, and how it took spec (enum tl_netns_by) in *ret_by when
 * it succeeds: digits are a pid where a process has it, else a name.
 * ret_by may be NULL.
 */
int tl_netns_open_by(const char *spec, int *ret_by);

/*
 * Opens spec the way by (enum tl_netns_by) says, as tl_netns_open_by took
 * it once: a caller that opens a spec again later must not take a name
 * of digits for a pid that a process has since been given. Returns an fd
 * (O_CLOEXEC) or -errno: -EINVAL where spec cannot be taken that way.
 */
int tl_netns_open_as(const char *spec, int by);

/*
 * Runs fn(arg) with the calling thread in the namespace netns_fd, then
 * returns to the namespace it was in. netns_fd < 0 runs fn here. Returns
 * fn's result, or -errno if the namespace could not be entered (-EPERM
 * without CAP_SYS_ADMIN).
 */
int tl_netns_run(int netns_fd, int (*fn)(void *arg), void *arg);

/* One network namespace found on the machine. */
struct tl_netns_info {
	uint64_t inode; /* the namespace's identity */
	pid_t pid;	/* one process in it (0 if found only by name) */
	/*
	 * Its name under /var/run/netns; for one no process is in, kept by a
	 * mount elsewhere, that mount's path (with a '/'); or "".
	 */
	char name[TL_NETNS_SPEC_MAX];
};

/*
 * Lists every network namespace: those named under /var/run/netns, those
 * of every process in proc_root, and those kept by a mount elsewhere (in
 * this process's mount namespace), de-duplicated by inode. Returns the
 * count and sets *ret (free() it), or -errno.
 */
int tl_netns_list(const char *proc_root, struct tl_netns_info **ret);

/*
 * Whether anything tl_netns_list finds holds the namespace of inode ino:
 * a process in it, a name, or a mount. 0 when none does (what still
 * holds it is an open fd, such as the caller's own), 1 when one does, or
 * -errno when the list could not be made.
 */
int tl_netns_held(const char *proc_root, uint64_t ino);

/*
 * Opens a namespace that tl_netns_list listed, again, later: by its name
 * (or its mount's path), else through its process under proc_root (NULL:
 * /proc), and only while
 * it is still the namespace of that inode (0: any). Returns an fd
 * (O_CLOEXEC), -ENOENT where it is gone, -ESRCH where the name or the
 * pid now leads to another namespace (deleted and made again, or the
 * process exited and its pid went to another's), or -EINVAL for no name
 * and no pid, or a name that cannot be one.
 */
int tl_netns_open_listed(const char *proc_root, const char *name, pid_t pid,
			 uint64_t inode);

/*
 * Returns the inode of a network namespace fd, its identity; 0 when fd is
 * no network namespace's or on error.
 */
uint64_t tl_netns_inode(int netns_fd);

/*
 * The host's network namespace, by inode: pid 1's under proc_root (NULL:
 * /proc) where pid 1 is the machine's init (we are in the initial pid
 * namespace, or its namespace is the initial one); else self_ino (the
 * caller's, 0 if not known) when it is the kernel's initial namespace;
 * else 0, none known.
 */
uint64_t tl_netns_host_inode(const char *proc_root, uint64_t self_ino);

/*
 * Whether this process is in the initial pid namespace (under proc_root,
 * NULL: /proc), where every process of the machine has a pid; false in a
 * container's, or where it cannot tell.
 */
bool tl_pidns_initial(const char *proc_root);

/*
 * The name under /var/run/netns of the namespace of inode ino, into buf
 * (size bytes): how `ip netns exec NAME` users know the one they are in.
 * Returns 0, -ENOENT where none has it, or -ENAMETOOLONG.
 */
int tl_netns_name_of(uint64_t ino, char *buf, size_t size);

/*
 * The uid that owns the user namespace a namespace fd belongs to, in
 * *ret_uid: a rootless container's namespaces belong to its user's. Only
 * CAP_SYS_ADMIN in that user namespace enters it, which its owner has
 * after joining it. Returns 0 or -errno.
 */
int tl_netns_owner_uid(int netns_fd, uint32_t *ret_uid);

#ifdef __cplusplus
}
#endif
#endif
