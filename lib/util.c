// SPDX-License-Identifier: MIT
/* The library's shared helpers: growable arrays and small-file reads. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

int tli_grow(void **arr, size_t *cap, size_t elem, size_t init)
{
	size_t ncap = *cap ? *cap : init;
	void *p;

	if (elem == 0 || ncap == 0)
		return -EINVAL;
	if (*cap) {
		if (*cap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap = *cap * 2;
	}
	if (ncap > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

ssize_t tli_read_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

int tli_proc_path(char *buf, size_t size, const char *proc_root, pid_t pid,
		  const char *name)
{
	int n = snprintf(buf, size, "%s/%d/%s", proc_root ? proc_root : "/proc",
			 (int)pid, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Entries of a task directory read for another thread: any one will do. */
#define OTHER_THREAD_TRIES 64

int tli_proc_other_thread(int dir_fd, const char *task, pid_t pid)
{
	struct dirent *de;
	int tfd, ret = -ESRCH;
	unsigned tries = 0;
	DIR *d;

	tfd = openat(dir_fd, task, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return -errno;
	d = fdopendir(tfd);
	if (!d) {
		ret = -errno;
		close(tfd);
		return ret;
	}
	while (tries++ < OTHER_THREAD_TRIES && (de = readdir(d))) {
		uint64_t tid;

		if (tli_parse_dec(de->d_name, INT_MAX, &tid) < 0 || tid == 0 ||
		    (pid_t)tid == pid)
			continue;
		ret = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ret >= 0)
			break;
		/* Exited since the listing: another may be left. */
		ret = errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
		if (ret != -ESRCH)
			break;
	}
	closedir(d);
	return ret;
}

ssize_t tli_read_file_at(int dir_fd, const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	/* O_NONBLOCK: a FIFO planted in a --proc-root tree must not hang. */
	fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	len = tli_read_fd(fd, buf, size);
	close(fd);
	return len;
}

ssize_t tli_read_fd_alloc(int fd, size_t init, size_t max, char **ret)
{
	size_t cap = 0, len = 0;
	char *buf = NULL;
	ssize_t n;

	if (init == 0 || init > max || max > SSIZE_MAX)
		return -EINVAL;
	for (;;) {
		if (len == cap) {
			if (cap >= max) {
				n = -EFBIG;
				goto fail;
			}
			if (tli_grow((void **)&buf, &cap, 1, init) < 0) {
				n = -ENOMEM;
				goto fail;
			}
		}
		n = tli_read_fd(fd, buf + len, cap - len);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = buf;
	return (ssize_t)len;
fail:
	free(buf);
	return n;
}

unsigned tli_cpus(unsigned max)
{
	cpu_set_t set;
	long n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0)
		n = 1;
	return (unsigned long)n < max ? (unsigned)n : max;
}

int tli_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t block, old;
	int err;

	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

void tli_appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n < size - *len) {
		*len += (size_t)n;
		return;
	}
	*len = tli_mark_cut(buf, size);
}

size_t tli_mark_cut(char *buf, size_t size)
{
	size_t at = size - 4;

	/*
	 * The "..." keeps a cut text from passing for whole; the boundary,
	 * from ending in half a UTF-8 sequence.
	 */
	if (size < 8)
		return size - 1;
	while (at > 0 && ((unsigned char)buf[at] & 0xc0) == 0x80)
		at--;
	memcpy(buf + at, "...", 4);
	return at + 3;
}
