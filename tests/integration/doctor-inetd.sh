#!/usr/bin/env bash
# inetd's wait services: the super-server hands the listener to the
# server it starts, as its standard input, and leaves it out of its own
# poll set until that server exits. A server that then never accepts is
# the finding's: its heading and its cause, not the super-server's, even
# while the super-server is stopped (resuming it would drain nothing).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'kill -9 $(cat "$T/kid" 2>/dev/null) 2>/dev/null; tl_cleanup_jobs; rm -rf "$T"' EXIT

# A small inetd: 8131 is a wait service whose server sleeps; it watches
# 8132, a nowait one, itself.
python3 - "$T/kid" <<'PY' &
import os, select, socket, sys, time
def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s
wait, nowait = listen(8131), listen(8132)
with open("/proc/self/comm", "w") as f:
    f.write("tl-inetd")
kid = os.fork()
if kid == 0:
    os.dup2(wait.fileno(), 0)
    os.execvp("sleep", ["sleep", "60"])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % kid)
end = time.time() + 60
while time.time() < end:
    for s in select.select([nowait], [], [], 1)[0]:
        s.accept()[0].close()
PY
INETD=$!
tl_wait_for 5 test -s "$T/kid" || fail "the inetd did not start its server"
KID=$(cat "$T/kid")
tl_wait_for 5 tl_listening 8131 || fail "no listener on 8131"
tl_queue_closed 8131 3
check() { # what
	"$TCPLIMBO" doctor --queue-age 1s >"$T/d.txt"
	"$TCPLIMBO" doctor --queue-age 1s --json >"$T/d.json"
	grep -q "^== pid $KID (sleep): sleep 60" "$T/d.txt" &&
		grep -q "cause: likely: pid $KID: no thread is in accept()" "$T/d.txt" ||
		{ cat "$T/d.txt"; fail "$1: the heading does not name the server inetd started, pid $KID"; }
	jq -e --argjson k "$KID" '[.findings[] | select(.local_port == 8131)][0] |
		.cause == "listener-not-watched" and
		(.evidence[] | select(.pid == $k) | .text |
			contains("it holds the listener as its standard input (fd 0)"))' \
		"$T/d.json" >/dev/null || { jq '.findings' "$T/d.json"; fail "$1: the cause is not the server's"; }
}
check "inetd running"
kill -STOP "$INETD"
tl_wait_for 5 sh -c "grep -q '^State:.*T' /proc/$INETD/status" || fail "the inetd did not stop"
check "inetd stopped"
kill -CONT "$INETD"
ok "inetd's wait service: the server handed the listener is the finding's, the inetd stopped or not"

# A daemon that closed its standard input before it listened gets fd 0
# for its listener from no one: it was handed nothing.
python3 -c '
import os, socket, time
os.close(0)
s = socket.socket(); s.bind(("127.0.0.1", 8133)); s.listen(8)
assert s.fileno() == 0
time.sleep(60)' &
tl_wait_for 5 tl_listening 8133 || fail "no listener on 8133"
python3 -c '
import socket
c = socket.create_connection(("127.0.0.1", 8133)); c.send(b"x"); c.close()'
sleep 1.5
"$TCPLIMBO" doctor --queue-age 1s --json >"$T/fd0.json"
jq -e '[.findings[] | select(.local_port == 8133)][0] | .cause == "listener-not-watched" and
	(.evidence[0].text | contains("standard input") | not)' "$T/fd0.json" >/dev/null ||
	{ jq '.findings' "$T/fd0.json"; fail "a daemon whose listener is fd 0 by chance: told it was handed it"; }
ok "a listener on fd 0 that no parent handed over: no inetd story"

# A nowait service: the inetd accepts, and starts a server for each
# connection with it as fds 0 and 1. A server that never closes holds its
# client's CLOSE-WAIT; the finding names the inetd that started it.
python3 - "$T/kid2" <<'PY' >/dev/null &
import os, signal, socket, sys, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
s = socket.socket()
s.bind(("127.0.0.1", 8134))
s.listen(8)
with open("/proc/self/comm", "w") as f:
    f.write("tl-inetd2")
print("listening", flush=True)
c = s.accept()[0]
kid = os.fork()
if kid == 0:
    os.dup2(c.fileno(), 0)
    os.dup2(c.fileno(), 1)
    os.execvp("sleep", ["sleep", "60"])
c.close()
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % kid)
time.sleep(60)
PY
INETD2=$!
tl_wait_for 5 tl_listening 8134 || fail "no listener on 8134"
python3 -c '
import socket
c = socket.create_connection(("127.0.0.1", 8134)); c.close()'
tl_wait_for 5 test -s "$T/kid2" || fail "the inetd did not start a server for 8134"
KID2=$(cat "$T/kid2")
sleep 1.5
"$TCPLIMBO" doctor --close-wait-age 1s --json >"$T/nowait.json"
jq -e --argjson k "$KID2" --argjson i "$INETD2" '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 8134)] |
	length == 1 and .[0].pids == [$k] and
	(.[0].summary | contains("; pid \($i) (tl-inetd2), its parent, holds the listener and started it with the connection as its fd 0, as an inetd starts a service'"'"'s server: the super-server'"'"'s own limits bound how many such servers run"))' \
	"$T/nowait.json" >/dev/null || { jq '.findings' "$T/nowait.json"; fail "a nowait service's server: the inetd that started it not named"; }
ok "inetd's nowait service: its server holds the CLOSE-WAIT, and the inetd that started it is named"
