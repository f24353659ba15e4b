/* SPDX-License-Identifier: MIT */
/*
 * util: what lib/ needs in many places and writes once here. Private to
 * the library: not installed, and its names (tli_) are not exported from
 * the shared library.
 */
#ifndef TCPLIMBO_LIB_UTIL_H
#define TCPLIMBO_LIB_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Makes room in a growable array of elem-sized elements: the first call
 * allocates init of them, later ones double *cap. Returns 0, or -ENOMEM
 * when allocation fails or the new size would not fit in a size_t (*arr
 * and *cap are untouched then). Callers call it when their count reaches
 * *cap, so an array of n elements costs log(n) reallocations.
 */
int tli_grow(void **arr, size_t *cap, size_t elem, size_t init);

/*
 * Appends printf-formatted text to buf (size bytes) at *len, keeping it
 * terminated; text that does not fit is cut, at a character's boundary,
 * and ends in "...", and *len stays below size.
 */
void tli_appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Marks the text in buf (size bytes, filled to size - 1) as cut: it then
 * ends in "..." at a character's boundary. Returns its new length. Below
 * 8 bytes it is left as it is.
 */
size_t tli_mark_cut(char *buf, size_t size);

/*
 * Copies the string src, read no further than src_size bytes, into dst of
 * size bytes (size > 0), cut to fit and always terminated: snprintf(dst,
 * size, "%s", src) without the format engine, for paths that run once an
 * event.
 */
static inline void tli_copy_str(char *dst, size_t size, const char *src,
				size_t src_size)
{
	size_t n = strnlen(src, size - 1 < src_size ? size - 1 : src_size);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Parses the unsigned decimal number at *p (digits only, before end) into
 * *ret and moves *p past it. Returns 0, or -EINVAL when there is no digit
 * or the value exceeds max. Inline: the /proc scan calls it for every fd.
 */
static inline int tli_parse_u64(const char **p, const char *end, uint64_t max,
				uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*ret = v;
	return 0;
}

/*
 * Parses a whole NUL-terminated string of decimal digits, no larger than
 * max. Returns 0 and sets *ret, or -EINVAL (empty, sign, junk, too big).
 */
static inline int tli_parse_dec(const char *s, uint64_t max, uint64_t *ret)
{
	const char *p = s;
	uint64_t v;

	/* 20 digits hold any uint64_t; more is junk, and bounds the work. */
	for (size_t i = 0; i <= 20; i++) {
		if (s[i] == '\0') {
			if (tli_parse_u64(&p, s + i, max, &v) < 0 || p != s + i)
				return -EINVAL;
			*ret = v;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Reads fd to its end into buf, at most size bytes, retrying on EINTR.
 * Returns the length read or -errno. For files whose size we bound.
 */
ssize_t tli_read_fd(int fd, char *buf, size_t size);

/*
 * Writes proc_root/PID/name (proc_root NULL: /proc) into buf. Returns 0,
 * or -ENAMETOOLONG where it does not fit (a proc_root from a user may be
 * long).
 */
int tli_proc_path(char *buf, size_t size, const char *proc_root, pid_t pid,
		  const char *name);

/*
 * Opens the directory of a thread other than the leader pid in the task
 * directory dir_fd/task (/proc/PID/task). A process whose main thread has
 * exited while others live on is a zombie leader: its own fd directory
 * lists nothing, and its fd table shows only under a live thread's.
 * Returns the directory's fd, -ESRCH when no other thread is left, or
 * another -errno.
 */
int tli_proc_other_thread(int dir_fd, const char *task, pid_t pid);

/*
 * Opens dir_fd/path (O_CLOEXEC, O_NOCTTY) and reads it into buf, at most
 * size bytes. Returns the length or -errno.
 */
ssize_t tli_read_file_at(int dir_fd, const char *path, char *buf, size_t size);

/*
 * Reads fd to its end into a buffer it allocates, starting at init bytes
 * and doubling up to max. Returns the length and sets *ret (free() it),
 * or -errno: -EFBIG when the contents reach max, -ENOMEM.
 */
ssize_t tli_read_fd_alloc(int fd, size_t init, size_t max, char **ret);

/* The CPUs this thread may run on (its affinity), at least 1, at most max. */
unsigned tli_cpus(unsigned max);

/*
 * pthread_create with every signal blocked in the new thread, so that
 * signals meant for the program reach the thread that handles them.
 * Returns 0 or -errno.
 */
int tli_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/*
 * Field n (from 3, the state) of a /proc/PID/stat line as a number; the
 * fields start after the comm's last ')'. 0, or -EINVAL.
 */
int tli_stat_field(const char *buf, size_t len, int n, uint64_t *ret);

#endif
