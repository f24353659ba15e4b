/* SPDX-License-Identifier: MIT */
/*
 * drain's options, shared by src/cmd-drain.c (options, the plan and its
 * report) and src/drain-target.c (finding the listener they name).
 */
#ifndef TL_DRAIN_CMD_H
#define TL_DRAIN_CMD_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tcplimbo/snapshot.h"

struct drain_opts {
	const char *spec; /* ADDR:PORT as given */
	bool dry_run;
	bool json;	   /* the global --json, copied for the printers */
	unsigned delay_ms; /* tests: a pause between accepts */
	pid_t pid;	   /* --pid: the listener this process holds */
	int fd;		   /* --fd: as this fd, when fd_set */
	bool fd_set;
	int family; /* of the address asked for, AF_UNSPEC for '*' */
	uint8_t addr[16];
	uint16_t port;
	const char *netns_spec;	 /* the global -N, for hints */
	char scope[IF_NAMESIZE]; /* [ADDR%IF]: the device, "" for any */
	int only;		 /* -4 or -6: of '*', that family's listeners */
};

/*
 * The listener asked for: exact address and port; with '*', the only
 * listener on the port; with --pid, the one of those that process holds
 * (SO_REUSEPORT listeners share an address and port), and *ret_fd the fd
 * it holds it by. Returns it, or NULL after saying why.
 */
const struct tl_sock *drain_find_target(const struct tl_snapshot *snap,
					const struct drain_opts *o,
					const char *spec, int *ret_fd);

#endif
