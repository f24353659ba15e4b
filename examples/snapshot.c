// SPDX-License-Identifier: MIT
/*
 * The snapshot API in one page: take a snapshot of this network namespace
 * and print each listener, its accept queue and the processes holding it.
 *
 *   cc snapshot.c $(pkg-config --cflags --libs tcplimbo)
 */
#include <stdio.h>
#include <string.h>

#include <tcplimbo/addr.h>
#include <tcplimbo/snapshot.h>

int main(void)
{
	struct tl_snapshot_opts opts;
	struct tl_snapshot *snap;
	int err;

	tl_snapshot_opts_init(&opts);
	opts.states = TL_STATE_BIT(TL_LISTEN);
	err = tl_snapshot_take(&opts, &snap);
	if (err < 0) {
		fprintf(stderr, "cannot take a snapshot: %s\n", strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < snap->n_socks; i++) {
		const struct tl_sock *sk = &snap->socks[i];
		const struct tl_fdref *refs;
		size_t n = tl_snapshot_owners(snap, sk, &refs);
		char addr[TL_ADDR_STR_MAX];

		tl_addr_format_port(addr, sizeof(addr), sk->family, sk->src,
				    sk->sport);
		printf("%s queued %u backlog %u", addr, sk->rqueue, sk->wqueue);
		for (size_t k = 0; k < n; k++) {
			const struct tl_proc *p =
				&snap->owners->procs[refs[k].proc];

			/* A comm is chosen by the process: no control bytes. */
			printf(" pid %d fd %d ", (int)p->pid, (int)refs[k].fd);
			for (const char *c = p->comm; *c; c++)
				putchar((unsigned char)*c < 0x20 || *c == 0x7f ?
						'?' :
						*c);
		}
		printf("\n");
	}
	tl_snapshot_free(snap);
	return 0;
}
