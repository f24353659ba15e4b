// SPDX-License-Identifier: MIT
/*
 * Network namespaces: a netlink socket dumps the namespace it was created
 * in, so to look into another one we enter it, open the socket, and come
 * back. Only the calling thread moves.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tcplimbo/netns.h"
#include "util.h"

#define NETNS_RUN_DIR "/var/run/netns"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * The namespace file at path, or -errno: -EINVAL for a file that is not
 * one (a regular file, say).
 */
static int open_netns_file(const char *path)
{
	/* O_NONBLOCK: a FIFO given as the path must not hang. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int tli_netns_open_name(const char *name)
{
	char path[PATH_MAX];
	size_t len = strnlen(name, TL_NETNS_SPEC_MAX);

	if (len == 0 || len >= TL_NETNS_SPEC_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strchr(name, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	return open_netns_file(path);
}

int tl_netns_open_as(const char *spec, int by)
{
	char path[PATH_MAX];
	uint64_t pid;
	size_t len;

	if (!spec)
		return -EINVAL;
	len = strnlen(spec, TL_NETNS_SPEC_MAX);
	if (len == 0 || len >= TL_NETNS_SPEC_MAX)
		return -EINVAL;
	switch (by) {
	case TL_NETNS_BY_NAME:
		return tli_netns_open_name(spec);
	case TL_NETNS_BY_PATH:
		return strchr(spec, '/') ? open_netns_file(spec) : -EINVAL;
	case TL_NETNS_BY_PID:
		if (!all_digits(spec) ||
		    tli_parse_dec(spec, INT_MAX, &pid) < 0 || pid == 0)
			return -EINVAL;
		snprintf(path, sizeof(path), "/proc/%llu/ns/net",
			 (unsigned long long)pid);
		return open_netns_file(path);
	default:
		return -EINVAL;
	}
}

int tl_netns_open_by(const char *spec, int *ret_by)
{
	uint64_t pid;
	int fd, by;

	if (!spec || strnlen(spec, TL_NETNS_SPEC_MAX) >= TL_NETNS_SPEC_MAX)
		return -EINVAL;
	if (strchr(spec, '/')) {
		by = TL_NETNS_BY_PATH;
		fd = tl_netns_open_as(spec, by);
	} else if (!all_digits(spec)) {
		by = TL_NETNS_BY_NAME;
		fd = tl_netns_open_as(spec, by);
	} else if (tli_parse_dec(spec, INT_MAX, &pid) < 0 || pid == 0) {
		/* Too big or 0 for a pid: a name of digits, or nothing. */
		by = TL_NETNS_BY_NAME;
		fd = tl_netns_open_as(spec, by);
		if (fd == -ENOENT)
			fd = -EINVAL;
	} else {
		/*
		 * A pid, or else a name of digits (ip netns add 42 makes
		 * one): where no process has that pid, the name is meant.
		 */
		by = TL_NETNS_BY_PID;
		fd = tl_netns_open_as(spec, by);
		if (fd == -ENOENT) {
			by = TL_NETNS_BY_NAME;
			fd = tl_netns_open_as(spec, by);
		}
	}
	if (fd >= 0 && ret_by)
		*ret_by = by;
	return fd;
}

int tl_netns_open(const char *spec)
{
	return tl_netns_open_by(spec, NULL);
}

int tl_netns_run(int netns_fd, int (*fn)(void *arg), void *arg)
{
	uint64_t ino;
	int self, ret, err;

	if (netns_fd < 0)
		return fn(arg);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	/*
	 * The namespace we are in already (-N naming our own, or a process
	 * of ours): nothing to enter, and no CAP_SYS_ADMIN needed for it.
	 */
	ino = tl_netns_inode(self);
	if (ino && ino == tl_netns_inode(netns_fd)) {
		close(self);
		return fn(arg);
	}
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(self);
		return err;
	}
	ret = fn(arg);
	/*
	 * Coming back cannot fail for a namespace we were in, short of the
	 * kernel running out of memory; report it rather than carry on in
	 * the wrong namespace.
	 */
	if (setns(self, CLONE_NEWNET) < 0 && ret >= 0)
		ret = -errno;
	close(self);
	return ret;
}

uint64_t tl_netns_inode(int netns_fd)
{
	struct stat st;

	/* Any fd has an inode: only a network namespace's is one's identity. */
	if (ioctl(netns_fd, NS_GET_NSTYPE) != CLONE_NEWNET ||
	    fstat(netns_fd, &st) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}

int tl_netns_owner_uid(int netns_fd, uint32_t *ret_uid)
{
	uid_t uid;
	int userns = ioctl(netns_fd, NS_GET_USERNS);
	int r;

	if (userns < 0)
		return -errno;
	r = ioctl(userns, NS_GET_OWNER_UID, &uid);
	r = r < 0 ? -errno : 0;
	close(userns);
	if (r == 0)
		*ret_uid = (uint32_t)uid;
	return r;
}

static int add_ns(struct tl_netns_info **list, size_t *n, size_t *cap,
		  uint64_t ino, pid_t pid, const char *name)
{
	for (size_t i = 0; i < *n; i++) {
		if ((*list)[i].inode != ino)
			continue;
		if (pid && !(*list)[i].pid)
			(*list)[i].pid = pid;
		if (name && !(*list)[i].name[0])
			snprintf((*list)[i].name, sizeof((*list)[i].name), "%s",
				 name);
		return 0;
	}
	if (*n == *cap && tli_grow((void **)list, cap, sizeof(**list), 16) < 0)
		return -ENOMEM;
	memset(&(*list)[*n], 0, sizeof(**list));
	(*list)[*n].inode = ino;
	(*list)[*n].pid = pid;
	if (name)
		snprintf((*list)[*n].name, sizeof((*list)[*n].name), "%s",
			 name);
	(*n)++;
	return 0;
}

int tl_netns_name_of(uint64_t ino, char *buf, size_t size)
{
	struct stat nsfs;
	struct dirent *de;
	int r = -ENOENT;
	DIR *d;

	if (ino == 0 || size == 0)
		return -EINVAL;
	/* Every namespace is on nsfs: its device tells one from a file. */
	if (stat("/proc/self/ns/net", &nsfs) < 0)
		return -errno;
	d = opendir(NETNS_RUN_DIR);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
		    (uint64_t)st.st_ino != ino || st.st_dev != nsfs.st_dev ||
		    strnlen(de->d_name, TL_NETNS_SPEC_MAX) >= TL_NETNS_SPEC_MAX)
			continue;
		r = snprintf(buf, size, "%s", de->d_name) >= (int)size ?
			    -ENAMETOOLONG :
			    0;
		break;
	}
	closedir(d);
	return r;
}

/* What add_mounted gathers: the list so far, and its first error. */
struct mounted {
	struct tl_netns_info **list;
	size_t *n, *cap;
	int err;
};

static void add_mount(const char *path, void *arg)
{
	struct mounted *m = arg;
	struct stat st;

	if (m->err < 0 ||
	    strnlen(path, TL_NETNS_SPEC_MAX) >= TL_NETNS_SPEC_MAX ||
	    stat(path, &st) < 0)
		return;
	/* Listed already: by its name, or through its processes. */
	for (size_t i = 0; i < *m->n; i++)
		if ((*m->list)[i].inode == (uint64_t)st.st_ino)
			return;
	m->err = add_ns(m->list, m->n, m->cap, (uint64_t)st.st_ino, 0, path);
}

/*
 * Namespaces kept by a mount elsewhere than /var/run/netns (a runtime's
 * own directory), that no process is in: a process outside may still
 * hold their sockets (made after setns(), or passed to it). Named by the
 * path of their mount.
 */
static int add_mounted(struct tl_netns_info **list, size_t *n, size_t *cap)
{
	struct mounted m = { list, n, cap, 0 };
	char *buf = NULL;
	ssize_t len;
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	len = tli_read_fd_alloc(fd, 64 * 1024, 4 * 1024 * 1024, &buf);
	close(fd);
	if (len > 0)
		tli_nsfs_net_mounts(buf, (size_t)len, add_mount, &m);
	free(buf);
	return m.err;
}

int tl_netns_list(const char *proc_root, struct tl_netns_info **ret)
{
	struct tl_netns_info *list = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (!proc_root)
		proc_root = "/proc";
	/* Named ones first, so their names stick. */
	d = opendir(NETNS_RUN_DIR);
	if (d) {
		while ((de = readdir(d))) {
			char path[PATH_MAX];
			struct stat st;

			if (de->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s",
				     de->d_name) >= (int)sizeof(path))
				continue;
			/* A name whose mount is gone is not a namespace. */
			if (stat(path, &st) < 0 ||
			    strnlen(de->d_name, TL_NETNS_SPEC_MAX) >=
				    TL_NETNS_SPEC_MAX)
				continue;
			err = add_ns(&list, &n, &cap, (uint64_t)st.st_ino, 0,
				     de->d_name);
			if (err < 0)
				break;
		}
		closedir(d);
		if (err < 0)
			goto fail;
	}
	d = opendir(proc_root);
	if (!d) {
		err = -errno;
		goto fail;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		uint64_t pid;

		if (tli_parse_dec(de->d_name, INT_MAX, &pid) < 0 || pid == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%llu/ns/net", proc_root,
			     (unsigned long long)pid) >= (int)sizeof(path))
			continue;
		/* Gone, a kernel thread, or not ours to see: skip it. */
		if (stat(path, &st) < 0)
			continue;
		err = add_ns(&list, &n, &cap, (uint64_t)st.st_ino, (pid_t)pid,
			     NULL);
		if (err < 0)
			break;
	}
	closedir(d);
	/* After the processes, so that theirs keep their labels. */
	if (err >= 0)
		err = add_mounted(&list, &n, &cap);
	if (err < 0)
		goto fail;
	*ret = list;
	return (int)n;
fail:
	free(list);
	return err;
}

/* The namespace inode of a /proc link such as "1/ns/net", or 0. */
static uint64_t link_inode(const char *root, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >=
		    (int)sizeof(path) ||
	    stat(path, &st) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}

int tl_netns_open_listed(const char *proc_root, const char *name, pid_t pid,
			 uint64_t inode)
{
	char path[PATH_MAX];
	int fd;

	if (name && name[0] == '/') {
		fd = open_netns_file(name); /* a mount elsewhere */
	} else if (name && name[0]) {
		fd = tli_netns_open_name(name);
	} else if (pid > 0) {
		if (tli_proc_path(path, sizeof(path), proc_root, pid,
				  "ns/net") < 0)
			return -ENAMETOOLONG;
		fd = open_netns_file(path);
	} else {
		return -EINVAL;
	}
	/* The process exited: as gone as the namespace, for the caller. */
	if (fd == -ESRCH)
		fd = -ENOENT;
	if (fd >= 0 && inode && tl_netns_inode(fd) != inode) {
		/* Deleted and made again, or the pid is another's now. */
		close(fd);
		return -ESRCH;
	}
	return fd;
}

/*
 * The initial network namespace's inode number, fixed since Linux 6.18
 * (NET_NS_INIT_INO in linux/nsfs.h); older kernels number it as any other.
 */
#define INIT_NET_INO 0xEFFFFFF9ULL

/*
 * The initial pid namespace's inode number, fixed since Linux 3.8
 * (PROC_PID_INIT_INO in linux/proc_ns.h).
 */
#define INIT_PID_INO 0xEFFFFFFCULL

bool tl_pidns_initial(const char *proc_root)
{
	return link_inode(proc_root ? proc_root : "/proc", "self/ns/pid") ==
	       INIT_PID_INO;
}

/*
 * Pid 1's namespace is the host's where pid 1 is the machine's init: where
 * we are in the initial pid namespace, or where its inode is the initial
 * one's. In a container's pid namespace pid 1 is the container's first
 * process, whose network namespace is most often the container's own.
 * Otherwise ours is the host's only when it is the kernel's initial
 * namespace: known by its fixed inode number, or by a sysctl only that
 * namespace has (net.core's netdev_max_backlog, registered for the initial
 * namespace alone, and looked up in the reader's). Else 0: no namespace is
 * called the host's, where that would be a guess.
 */
uint64_t tl_netns_host_inode(const char *proc_root, uint64_t self_ino)
{
	const char *root = proc_root ? proc_root : "/proc";
	uint64_t ino = link_inode(root, "1/ns/net");
	uint64_t pid_ns = link_inode(root, "self/ns/pid");

	if (ino && (ino == INIT_NET_INO || !pid_ns || pid_ns == INIT_PID_INO))
		return ino;
	if (self_ino &&
	    (self_ino == INIT_NET_INO ||
	     access("/proc/sys/net/core/netdev_max_backlog", F_OK) == 0))
		return self_ino;
	return 0;
}

int tl_netns_held(const char *proc_root, uint64_t ino)
{
	struct tl_netns_info *list;
	int n = tl_netns_list(proc_root, &list), held = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n && !held; i++)
		held = list[i].inode == ino;
	free(list);
	return held;
}
