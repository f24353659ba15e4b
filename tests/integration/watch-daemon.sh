#!/usr/bin/env bash
# watch --backend bpf on a server started after it: one that listens,
# forks and exits (a daemon), and one that forks a worker and closes its
# own copy of the listener (pre-fork). The kernel recorded the process
# that called listen(); the queue's events must name the process that
# holds the listener now, and the listener's close its holder, once a
# /proc rescan has seen it (at once where the recorded process is gone).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
# The workers are no jobs of ours: each is killed by its pid.
cleanup() {
	local f
	for f in "$T"/daemon "$T"/prefork; do
		[ -s "$f" ] && kill $(cat "$f") 2>/dev/null
	done
	tl_cleanup_jobs
	rm -rf "$T"
}
trap cleanup EXIT
command -v jq >/dev/null || skip "jq not found"
tl_require_bpf_watch "$T/probe"

"$TCPLIMBO" watch --json --backend bpf >"$T/out" 2>"$T/err" &
WATCHER=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start: $(cat "$T/err")"

# A server: listens on PORT, forks a worker (comm "worker") that accepts
# and holds every connection; the parent exits (daemon) or lives on
# having closed its copy (prefork). Prints both pids.
server() { # port daemon|prefork
	python3 -c '
import ctypes, os, socket, sys, time
ls = socket.socket()
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(16)
parent = os.getpid()
child = os.fork()
if child == 0:
    ctypes.CDLL(None).prctl(15, ctypes.create_string_buffer(b"worker"), 0, 0, 0)
    held = []
    ls.settimeout(0.5)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            held.append(ls.accept()[0])
        except socket.timeout:
            pass
    os._exit(0)
print(parent, child, flush=True)
if sys.argv[2] == "daemon":
    os._exit(0)
ls.close()
time.sleep(30)' "$@"
}
# Six clients, half a second apart, each closing: the worker holds the
# server side in CLOSE-WAIT.
clients() { # port
	python3 -c '
import socket, sys, time
for _ in range(6):
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    c.send(b"x")
    c.close()
    time.sleep(0.5)' "$1"
}

check() { # port parent worker what
	local port=$1 parent=$2 worker=$3 what=$4
	tl_wait_for 10 sh -c "[ \$(grep -c '\"local_port\":$port,.*\"new_state\":\"close-wait\"' '$T/out') -ge 6 ]" ||
		fail "$what: watch did not see 6 connections closed by their clients: $(grep ":$port," "$T/out")"
	# The queue's events name the worker, which holds the listener, from
	# the first a rescan has seen it on (that may take a few, under
	# load), to the last.
	jq -e -s --argjson p "$port" --argjson w "$worker" '
		[.[] | select(.local_port == $p and .remote_port != 0 and
			.new_state == "syn-recv") | .listener_owners | map(.pid)] as $q |
		($q | length) == 6 and $q[-1] == [$w] and
		($q | index([[$w]])) as $i | ($q[$i:] | all(. == [$w]))' "$T/out" >/dev/null ||
		{ grep ":$port," "$T/out"; fail "$what: queued connections not named by the listener's holder $worker (the recorded $parent holds nothing)"; }
	# Never the recorded process as the owner of an accepted socket.
	jq -e -s --argjson p "$port" --argjson r "$parent" '
		all(.[] | select(.local_port == $p and .remote_port != 0);
			(.owners // []) | map(.pid) | index($r) | not)' "$T/out" >/dev/null ||
		{ grep ":$port," "$T/out"; fail "$what: an accepted socket named as $parent's, which called listen() only"; }
}

server 3110 daemon >"$T/daemon"
read -r P W <"$T/daemon"
tl_wait_for 5 sh -c "! kill -0 $P 2>/dev/null" || fail "the daemon's parent did not exit"
clients 3110
check 3110 "$P" "$W" "daemon"
ok "daemon: the worker $W, not the exited $P, is named for the queue"

server 3111 prefork >"$T/prefork" &
tl_wait_for 5 test -s "$T/prefork" || fail "prefork server did not start"
read -r P W <"$T/prefork"
sleep 0.5
clients 3111
check 3111 "$P" "$W" "prefork"
# The listener's close: its holder, the worker.
kill "$W"
tl_wait_for 10 grep -q '"local_port":3111,[^{]*"old_state":"listen","new_state":"close"' "$T/out" ||
	fail "no LISTEN -> CLOSE for 3111"
grep '"local_port":3111,[^{]*"old_state":"listen","new_state":"close"' "$T/out" |
	jq -e --argjson w "$W" '.owners | map(.pid) == [$w]' >/dev/null ||
	{ grep '"old_state":"listen","new_state":"close"' "$T/out"; fail "prefork: the listener's close is not named as the worker's"; }
ok "prefork: the worker $W, not the parent $P that closed its copy, is named"
kill "$P" "$WATCHER" 2>/dev/null
