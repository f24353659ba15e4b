/* SPDX-License-Identifier: MIT */
/*
 * For unit tests that make sockets of their own: a child process in a
 * network namespace of its own, with loopback up. Include after cmocka.h.
 */
#ifndef TL_TEST_NETNS_H
#define TL_TEST_NETNS_H

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Brings lo up in this process's network namespace; 0 or -errno. */
static inline int test_lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
	close(s);
	return ret;
}

/*
 * Moves this process into a new network namespace with lo up. Returns 0,
 * 77 when it may not (a child's exit status for "skipped"), or 2.
 */
static inline int test_private_net(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return 77;
	return test_lo_up() < 0 ? 2 : 0;
}

/*
 * Runs child() in a process of its own, as root only, and checks its exit
 * status: 0 passes, 77 skips, anything else (the step that failed) fails.
 */
static inline void test_run_child(int (*child)(void))
{
	pid_t pid;
	int status;

	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

#endif
