#!/usr/bin/env bash
# An event loop that keeps its half-closed connections but no longer
# watches them: asyncio's eof_received() returning True leaves closing to
# the protocol, which never does, and the transport leaves the epoll set.
# The loop waits, idle; none of the CLOSE-WAIT sockets is in its set. The
# doctor says so (unwatched, likely) with the fix for half-close, not the
# general "if it is still busy" one. A thread beside it that waits
# elsewhere makes it possible, without that fix.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

server() {
	exec python3 -c '
import asyncio, sys, threading, time
if sys.argv[2] == "thread":
    threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
class P(asyncio.Protocol):
    def connection_made(self, t): self.t = t
    def data_received(self, d): self.t.write(b"ok\n")
    def eof_received(self): return True
async def main():
    await asyncio.get_running_loop().create_server(P, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await asyncio.sleep(120)
asyncio.run(main())' "$@"
}

# Clients that send a line, read the answer and half-close, then wait.
halfclose() {
	python3 -c '
import socket, sys, time
cs = []
for _ in range(int(sys.argv[2])):
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    c.sendall(b"hi\n"); c.recv(10); c.shutdown(socket.SHUT_WR); cs.append(c)
print("done", flush=True)
time.sleep(120)' "$@"
}

# A server on PORT (MODE alone or thread) with N clients half-closed, held
# past a second; the doctor's JSON in $T/d.PORT.json, the server's pid in S.
leak_of() { # PORT MODE N
	server "$1" "$2" >"$T/s.$1" &
	S=$!
	tl_wait_for 5 grep -q ready "$T/s.$1" || fail "server on $1 did not start"
	halfclose "$1" "$3" >"$T/c.$1" &
	tl_wait_for 5 grep -q done "$T/c.$1" || fail "clients of $1"
	tl_wait_for 5 sh -c "[ \"\$(ss -Htn state close-wait 'sport = :$1' | wc -l)\" = $3 ]" ||
		{ ss -tan; fail "ss: not $3 CLOSE_WAIT on $1"; }
	sleep 1.5
	"$TCPLIMBO" doctor --close-wait-age 1s --json >"$T/d.$1.json"
}

leak_of 3020 alone 3
S1=$S
jq -e --argjson p "$S1" '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 3020)] |
	length == 1 and .[0].pids == [$p] and
	.[0].cause == "unwatched" and .[0].certainty == "likely" and
	(.[0].evidence[0].text | test("^its event loop waits in epoll fd [0-9]+, but none of its 3 CLOSE-WAIT connections is in its epoll set: it stopped reading them")) and
	(.[0].remedy | contains("eof_received()"))' "$T/d.3020.json" >/dev/null ||
	{ jq '.findings' "$T/d.3020.json"; fail "asyncio, eof_received() True: not told as unwatched"; }
ok "asyncio keeping half-closed connections out of its loop: unwatched, likely, the half-close fix"

leak_of 3021 thread 1
jq -e '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 3021)] |
	length == 1 and .[0].cause == "unwatched" and .[0].certainty == "possible" and
	(.[0].evidence[0].text | contains("its CLOSE-WAIT connection is not in its epoll set: it stopped reading it, or a thread of its own that waits elsewhere holds it")) and
	(.[0].remedy | contains("eof_received()") | not)' "$T/d.3021.json" >/dev/null ||
	{ jq '.findings' "$T/d.3021.json"; fail "asyncio with a sleeping thread: not possible"; }
ok "the same with a thread asleep beside the loop: unwatched, possible, no fix asserted"
