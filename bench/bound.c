/* SPDX-License-Identifier: MIT */
/*
 * tl-bound: the bare lower bound for `tcplimbo ls` with owners.
 *
 * It does the two things any tool that names socket owners must do and
 * nothing else: one sock_diag dump of every TCP socket (both families in
 * one walk where the kernel takes the old TCPDIAG_GETSOCK request, as
 * tcplimbo asks, else IPv4 then IPv6; the same real-state mask and
 * extensions), reading the replies and throwing them away, and one pass
 * over every /proc/PID/fd doing readlink() on each fd. No parsing, no
 * map, no output beyond one line of counts and timings on stdout:
 *   sockets S messages M procs P fds F socket-fds K dump-ms D proc-ms R
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

/* include/net/tcp_states.h: every state but CLOSE (bound, idle sockets). */
#define REAL_STATES 0x1f7eU

struct counts {
	unsigned long sockets;
	unsigned long messages;
	unsigned long procs;
	unsigned long fds;
	unsigned long socket_fds;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct counts *c = arg;

	if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_type == TCPDIAG_GETSOCK)
		c->sockets++;
	return MNL_CB_OK;
}

/* AF_UNSPEC: both families, in one walk. */
static int dump_family(struct mnl_socket *nl, int family, uint8_t ext,
		       struct counts *c)
{
	/* The largest message a netlink dump fills (the kernel caps at 32K). */
	static char buf[32768] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned int seq = (unsigned int)time(NULL) + (unsigned int)family;
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (family == AF_UNSPEC) {
		struct inet_diag_req *req;

		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
		req->idiag_states = REAL_STATES;
		req->idiag_ext = ext;
	} else {
		struct inet_diag_req_v2 *req;

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
		req->sdiag_family = (uint8_t)family;
		req->sdiag_protocol = IPPROTO_TCP;
		req->idiag_states = REAL_STATES;
		req->idiag_ext = ext;
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		c->messages++;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, count_cb, c);
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret < 0)
			return -errno;
	}
}

static int dump_all(uint8_t ext, struct counts *c)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	int ret;

	if (!nl)
		return -errno;
	ret = mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID);
	if (!ret)
		ret = dump_family(nl, AF_UNSPEC, ext, c);
	/* Refused before any socket came: a kernel without the request. */
	if (ret == -EOPNOTSUPP || ret == -EINVAL) {
		ret = dump_family(nl, AF_INET, ext, c);
		if (!ret)
			ret = dump_family(nl, AF_INET6, ext, c);
	}
	mnl_socket_close(nl);
	return ret;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* readlink() on every fd of every process; vanished processes are normal. */
static int scan_proc(struct counts *c)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	char path[64], link[256];

	if (!proc)
		return -errno;
	while ((de = readdir(proc))) {
		struct dirent *fe;
		DIR *fds;
		int dfd;

		if (!all_digits(de->d_name) || strlen(de->d_name) > 20)
			continue;
		snprintf(path, sizeof(path), "%.20s/fd", de->d_name);
		dfd = openat(dirfd(proc), path,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		fds = fdopendir(dfd);
		if (!fds) {
			close(dfd);
			continue;
		}
		c->procs++;
		while ((fe = readdir(fds))) {
			ssize_t n;

			if (fe->d_name[0] == '.')
				continue;
			n = readlinkat(dfd, fe->d_name, link, sizeof(link));
			if (n < 0)
				continue;
			c->fds++;
			if (n > 7 && !memcmp(link, "socket:", 7))
				c->socket_fds++;
		}
		closedir(fds);
	}
	closedir(proc);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ext", required_argument, NULL, 'e' },
		{ "no-proc", no_argument, NULL, 'P' },
		{ "no-dump", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* tcp_info and SK_MEMINFO: the extensions the snapshot asks for. */
	uint8_t ext = (1 << (INET_DIAG_INFO - 1)) |
		      (1 << (INET_DIAG_SKMEMINFO - 1));
	struct counts c = { 0 };
	bool do_proc = true, do_dump = true;
	double t0, t1, t2;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			if (!strcmp(optarg, "none")) {
				ext = 0;
			} else if (strcmp(optarg, "info")) {
				fprintf(stderr,
					"tl-bound: bad --ext '%s' (none|info)\n",
					optarg);
				return 2;
			}
			break;
		case 'P':
			do_proc = false;
			break;
		case 'D':
			do_dump = false;
			break;
		case 'h':
			printf("usage: tl-bound [--ext none|info] [--no-proc] [--no-dump]\n");
			return 0;
		default:
			return 2;
		}
	}
	t0 = now_ms();
	if (do_dump) {
		ret = dump_all(ext, &c);
		if (ret < 0) {
			fprintf(stderr, "tl-bound: sock_diag dump: %s\n",
				strerror(-ret));
			return 1;
		}
	}
	t1 = now_ms();
	if (do_proc) {
		ret = scan_proc(&c);
		if (ret < 0) {
			fprintf(stderr, "tl-bound: /proc: %s\n",
				strerror(-ret));
			return 1;
		}
	}
	t2 = now_ms();
	printf("sockets %lu messages %lu procs %lu fds %lu socket-fds %lu dump-ms %.1f proc-ms %.1f\n",
	       c.sockets, c.messages, c.procs, c.fds, c.socket_fds, t1 - t0,
	       t2 - t1);
	return 0;
}
