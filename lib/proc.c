// SPDX-License-Identifier: MIT
/*
 * proc: what one process's /proc directory says about it, read on demand
 * (the pass over all of them is owners.c's).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tcplimbo/owners.h"
#include "util.h"

/* Tgid is status's fourth line, after Name (at most 64 bytes escaped). */
#define STATUS_HEAD 512

int tl_proc_read_cmdline(const char *proc_root, pid_t pid, char *buf,
			 size_t size)
{
	char path[PATH_MAX];
	ssize_t len;

	if (!buf || size == 0 || size > INT_MAX || pid <= 0)
		return -EINVAL;
	buf[0] = '\0';
	if (tli_proc_path(path, sizeof(path), proc_root, pid, "cmdline") < 0)
		return -ENAMETOOLONG;
	len = tli_read_file_at(AT_FDCWD, path, buf, size - 1);
	if (len < 0)
		return (int)len;
	/*
	 * None: a kernel thread, a zombie, or a leader whose main thread
	 * has exited while others live on, whose memory only theirs shows.
	 */
	if (len == 0 &&
	    tli_proc_path(path, sizeof(path), proc_root, pid, "task") == 0) {
		int tdir = tli_proc_other_thread(AT_FDCWD, path, pid);

		if (tdir >= 0) {
			len = tli_read_file_at(tdir, "cmdline", buf, size - 1);
			close(tdir);
			if (len < 0)
				len = 0;
		}
	}
	while (len > 0 && (buf[len - 1] == '\0' || buf[len - 1] == ' '))
		len--;
	for (ssize_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[len] = '\0';
	return (int)len;
}

int tl_proc_is_own_pidns(const char *proc_root)
{
	static const char key[] = "\nNSpid:";
	char path[PATH_MAX], *buf = NULL;
	const char *p, *eol, *end;
	unsigned pids = 0;
	struct stat st;
	ssize_t len;
	int fd, r;

	if (!proc_root)
		proc_root = "/proc";
	if (snprintf(path, sizeof(path), "%s/self/status", proc_root) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT)
			return r;
		/* No self: a /proc of another namespace, or no /proc at all. */
		if (stat(proc_root, &st) < 0)
			return -errno;
		return S_ISDIR(st.st_mode) ? -EXDEV : -ENOTDIR;
	}
	/* status is about 1.5 KiB; its Groups line can make it long. */
	len = tli_read_fd_alloc(fd, 4096, 1024 * 1024, &buf);
	close(fd);
	if (len < 0)
		return (int)len;
	end = buf + len;
	p = memmem(buf, (size_t)len, key, sizeof(key) - 1);
	if (!p) {
		/* Every kernel with BPF iterators prints NSpid. */
		r = -EXDEV;
		goto out;
	}
	p += sizeof(key) - 1;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	while (p < eol) {
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol)
			break;
		pids++;
		while (p < eol && *p != ' ' && *p != '\t')
			p++;
	}
	r = pids == 1 ? 0 : -EXDEV;
out:
	free(buf);
	return r;
}

int tl_proc_tgid(const char *proc_root, pid_t pid)
{
	static const char key[] = "\nTgid:";
	char path[PATH_MAX], buf[STATUS_HEAD];
	const char *p, *end;
	uint64_t v;
	ssize_t len;

	if (pid <= 0)
		return -EINVAL;
	if (tli_proc_path(path, sizeof(path), proc_root, pid, "status") < 0)
		return -ENAMETOOLONG;
	len = tli_read_file_at(AT_FDCWD, path, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	end = buf + len;
	p = memmem(buf, (size_t)len, key, sizeof(key) - 1);
	if (!p)
		return -EINVAL;
	p += sizeof(key) - 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (tli_parse_u64(&p, end, INT_MAX, &v) < 0 || v == 0 ||
	    (p < end && *p != '\n'))
		return -EINVAL;
	return (int)v;
}

/* stat() of /proc/PID/exe: the program's file, through the link. */
static int exe_stat(const char *proc_root, pid_t pid, struct stat *st)
{
	char path[PATH_MAX];

	if (tli_proc_path(path, sizeof(path), proc_root, pid, "exe") < 0)
		return -ENAMETOOLONG;
	return stat(path, st) < 0 ? -errno : 0;
}

/*
 * Where pid's program was mapped: startstack and arg_start of its stat
 * (fields 28 and 48), which exec() draws afresh and fork() copies. 0 for
 * both where the reader may not see them.
 */
static int image_of(const char *proc_root, pid_t pid, uint64_t at[2])
{
	/* 52 fields of up to 20 digits, and a comm of 64 escaped bytes. */
	char path[PATH_MAX], buf[1200];
	ssize_t len;

	if (tli_proc_path(path, sizeof(path), proc_root, pid, "stat") < 0)
		return -ENAMETOOLONG;
	len = tli_read_file_at(AT_FDCWD, path, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	if (tli_stat_field(buf, (size_t)len, 28, &at[0]) < 0 ||
	    tli_stat_field(buf, (size_t)len, 48, &at[1]) < 0)
		return -EINVAL;
	return 0;
}

int tl_proc_same_image(const char *proc_root, pid_t a, pid_t b)
{
	struct stat sa, sb;
	uint64_t ia[2], ib[2];
	int r;

	if (a <= 0 || b <= 0)
		return -EINVAL;
	r = exe_stat(proc_root, a, &sa);
	if (r == 0)
		r = exe_stat(proc_root, b, &sb);
	if (r < 0)
		return r;
	if (sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
		return 0;
	/* One file, and maybe two exec()s of it (two scripts of python3). */
	r = image_of(proc_root, a, ia);
	if (r == 0)
		r = image_of(proc_root, b, ib);
	if (r < 0)
		return r;
	if (!ia[0] || !ia[1] || !ib[0] || !ib[1])
		return -EACCES;
	return ia[0] == ib[0] && ia[1] == ib[1];
}
