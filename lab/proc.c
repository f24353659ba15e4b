// SPDX-License-Identifier: MIT
/*
 * What the lab measures besides sockets, from /proc of its own namespace:
 * a process's CPU time, counters of /proc/net/snmp-style files, and the
 * per-namespace sysctls it sets. /proc/net is /proc/self/net, and
 * /proc/sys/net is resolved at open(), so both show the namespace the
 * runner lives in.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "tcplimbo/owners.h"

int lab_cpu_seconds(pid_t pid, double *ret)
{
	char path[64], buf[1024], comm[TL_COMM_MAX];
	uint64_t start, cpu;
	ssize_t n;
	long tck = sysconf(_SC_CLK_TCK);
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	err = -errno;
	close(fd);
	if (n < 0)
		return err;
	err = tl_proc_parse_stat(buf, (size_t)n, comm, &start, &cpu, NULL);
	if (err < 0)
		return err;
	*ret = (double)cpu / (double)(tck > 0 ? tck : 100);
	return 0;
}

int lab_parse_counter(const char *buf, const char *prefix, const char *name,
		      uint64_t *ret)
{
	size_t nlen = strlen(name), plen = strlen(prefix);
	const char *hdr, *val;

	/* The header line starts the text or follows a newline. */
	for (hdr = buf; hdr && strncmp(hdr, prefix, plen) != 0;) {
		hdr = strchr(hdr, '\n');
		if (hdr)
			hdr++;
	}
	if (!hdr)
		return -ENOENT;
	val = strchr(hdr, '\n');
	if (!val || strncmp(val + 1, prefix, plen) != 0)
		return -ENOENT;
	val += 1 + plen;
	hdr += plen;
	/* Walk the names and the values side by side. */
	for (;;) {
		size_t hl, vl;
		char *end;

		hdr += strspn(hdr, " ");
		val += strspn(val, " ");
		hl = strcspn(hdr, " \n");
		vl = strcspn(val, " \n");
		if (!hl || !vl)
			return -ENOENT;
		if (hl == nlen && memcmp(hdr, name, nlen) == 0) {
			/* strtoull would take a sign or spaces: digits only. */
			if (*val < '0' || *val > '9')
				return -EINVAL;
			errno = 0;
			*ret = strtoull(val, &end, 10);
			if (errno || end != val + vl)
				return -EINVAL;
			return 0;
		}
		hdr += hl;
		val += vl;
	}
}

int lab_counter(const char *path, const char *prefix, const char *name,
		uint64_t *ret)
{
	size_t size = 65536, len = 0;
	char *buf = malloc(size);
	int fd, err;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	err = lab_parse_counter(buf, prefix, name, ret);
out:
	free(buf);
	return err;
}

int lab_sysctl_write(const char *path, const char *value)
{
	size_t len = strlen(value);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n != (ssize_t)len)
		err = n < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

pid_t lab_spawn_inheritor(int fd, unsigned seconds)
{
	char secs[16];
	pid_t pid;
	int null;

	snprintf(secs, sizeof(secs), "%u", seconds ? seconds : 60);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return pid;
	/* The child: keep fd (as exec keeps an fd not marked close-on-exec). */
	null = open("/dev/null", O_RDWR);
	if (null < 0 || fd <= 2)
		_exit(127);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	fcntl(fd, F_SETFD, 0);
	execlp("sleep", "sleep", secs, (char *)NULL);
	_exit(127);
}
