#!/usr/bin/env bash
# A program whose main thread calls pthread_exit() while another thread
# lives on is a zombie leader: /proc/PID/fd lists nothing, so ss -p names
# no process for its listener, and a doctor that trusted State Z would
# call it a zombie to be reaped. Its fd table shows under the live
# thread's /proc/PID/task/TID/fd: ls names the owner, and doctor tells
# what its threads do, not "zombie".
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
command -v cc >/dev/null || skip "no C compiler (Debian: gcc)"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
chmod 755 "$T"

cat >"$T/main-exits.c" <<'C'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	(void)arg;
	sleep(60);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	pthread_t t[3];
	int l = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_port = htons((unsigned short)atoi(argv[argc - 1]));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 8))
		return 1;
	/* Two clients that close, queued: the post's CLOSE-WAIT. */
	for (int i = 0; i < 2; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			return 1;
		close(c);
	}
	/* Three that share one table: it counts once. */
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, sleeper, NULL))
			return 1;
	printf("ready\n");
	fflush(stdout);
	pthread_exit(NULL);
}
C
cc -O1 -pthread -o "$T/main-exits" "$T/main-exits.c" || fail "cannot build the test program"

"$T/main-exits" 6100 >"$T/out" &
pid=$!
tl_wait_for 5 grep -q ready "$T/out" || fail "the program did not start"
tl_wait_for 5 grep -q '^State:.Z' "/proc/$pid/status" || fail "its main thread did not exit"
[ "$(grep '^Threads:' "/proc/$pid/status" | awk '{print $2}')" = 4 ] || fail "its other threads are not all there"
# The oracle: ss reads /proc/PID/fd, which lists nothing.
[ -z "$(ls "/proc/$pid/fd")" ] || fail "the zombie leader's fd directory lists fds: nothing to test"

"$TCPLIMBO" ls --json --sport 6100 --state listening >"$T/ls.json" || fail "ls failed"
jq -e --argjson p "$pid" 'length == 1 and ([.[0].owners[] | select(.pid == $p)] | length) == 1' "$T/ls.json" >/dev/null ||
	{ cat "$T/ls.json"; fail "ls: the listener of a process whose main thread exited has no owner"; }
# The BPF iterators, where they run, find the live thread's table too:
# the kernel shows it, as no thread shares its leader's (gone) table.
if "$TCPLIMBO" --owners-backend bpf ls --json --sport 6100 >"$T/bpf.json" 2>"$T/bpf.err"; then
	jq -e --argjson p "$pid" '[.[] | select(.state == "listen") | .owners[] | select(.pid == $p)] | length == 1' "$T/bpf.json" >/dev/null ||
		{ cat "$T/bpf.json"; fail "ls --owners-backend bpf: the listener has no owner, or it twice"; }
	ok "the BPF owners pass names it too"
fi

sleep 1.1
"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d.json"
rc=$?
[ $rc = 2 ] || { cat "$T/d.json"; fail "doctor exited $rc, not 2 (critical)"; }
jq -e --argjson p "$pid" '[.findings[] | select(.kind == "not-accepting" and .local_port == 6100 and .pids == [$p])] | length == 1' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "doctor: no not-accepting finding naming pid $pid"; }
f='.findings[] | select(.local_port == 6100)'
jq -e "$f | .cause != \"zombie\" and .cause != \"exited\"" "$T/d.json" >/dev/null ||
	{ jq -c "$f | {cause, evidence}" "$T/d.json"; fail "doctor: a process with a live thread told as exited"; }
jq -e "$f | .evidence[0].main_exited == true and .evidence[0].fds.tcp.listen == 1" "$T/d.json" >/dev/null ||
	{ jq -c "$f | .evidence" "$T/d.json"; fail "doctor: the evidence did not read the live thread's fds"; }
jq -e "$f | .cmdline | test(\"main-exits 6100\")" "$T/d.json" >/dev/null ||
	{ jq -c "$f | .cmdline" "$T/d.json"; fail "doctor: the command line is not the live thread's"; }
"$TCPLIMBO" doctor --queue-age 1s >"$T/d.txt"
tr -s ' \n' ' ' <"$T/d.txt" | grep -q "3 threads in clock_nanosleep, none in accept (its main thread has exited)" ||
	{ cat "$T/d.txt"; fail "doctor: the threads' line"; }
# Stopped, its live threads are: stopped, not a zombie, not unwatched.
kill -STOP $pid
tl_wait_for 5 grep -q '^State:.T' "/proc/$pid/task/$(ls "/proc/$pid/task" | grep -vx "$pid" | head -n1)/status" ||
	fail "its threads did not stop"
"$TCPLIMBO" doctor --json --queue-age 1s >"$T/s.json"
jq -e "$f | .cause == \"stopped\" and .certainty == \"certain\"" "$T/s.json" >/dev/null ||
	{ jq -c "$f | {cause, evidence}" "$T/s.json"; fail "doctor: a stopped process whose main thread exited is not told stopped"; }
kill -CONT $pid
kill $pid
ok "a process whose main thread exited: its owner named, its threads told, not a zombie; stopped, told stopped"
