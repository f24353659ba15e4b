#!/usr/bin/env bash
# The post's experiment under `tcplimbo ls`: a server that listens and never
# accepts, a client that connects, writes "ping", closes and exits. At each
# of the post's three looks, ls must show what the post's netstat showed,
# plus what netstat could not: who owns the fd-less CLOSE_WAIT socket.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_listen_idle 3000 60

# The client: dial, wait for our signal, write, close, wait, exit.
mkfifo "$T/go" "$T/closed"
python3 -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", 3000))
print(c.getsockname()[1], flush=True)
open(sys.argv[1]).read()
c.send(b"ping")
c.close()
open(sys.argv[2]).read()' "$T/go" "$T/closed" >"$T/port" &
CLIENT=$!
tl_wait_for 5 test -s "$T/port" || fail "client did not connect"
CPORT=$(cat "$T/port")

check() { # step, then python assertions on `socks` (the ls --json list)
	"$TCPLIMBO" ls --json >"$T/ls.json" || fail "$1: ls failed"
	python3 - "$T/ls.json" "$1" "$SERVER" "$CLIENT" "$CPORT" <<PY || fail "$1"
import json, sys
socks = json.load(open(sys.argv[1]))
step, server, client, cport = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def one(lp, rp):
    m = [s for s in socks if s["local_port"] == lp and s["remote_port"] == rp]
    assert len(m) == 1, (step, lp, rp, m)
    return m[0]
srv = one(3000, cport)
cli = one(cport, 3000)
lst = [s for s in socks if s["state"] == "listen" and s["local_port"] == 3000]
assert len(lst) == 1 and [o["pid"] for o in lst[0]["owners"]] == [server], lst
# Whatever the step, the server side was never accepted: no fd, the
# listener's owner is the one to blame.
assert srv["inode"] == 0 and srv["owners"] == [], srv
assert srv["limbo"] == "accept-queue", srv
assert [o["pid"] for o in srv["listener_owners"]] == [server], srv
assert srv["listener"]["local_port"] == 3000, srv
$2
print("ok:", step)
PY
}

# 1. After dial: both ESTABLISHED; the client's socket has the client's fd.
check connected '
assert srv["state"] == "established" and cli["state"] == "established"
assert [o["pid"] for o in cli["owners"]] == [client] and cli["owners"][0]["fd"] >= 3, cli
assert cli["limbo"] is None and cli["inode"] != 0
assert lst[0]["recv_q"] == 1, lst   # one connection waiting in the queue
'
echo go >"$T/go"
# The server's ACK of the FIN may trail its CLOSE_WAIT: wait for both.
tl_wait_for 5 sh -c "ss -Htan state close-wait | grep -q :3000" || fail "no CLOSE_WAIT"
tl_wait_for 5 sh -c "ss -Htan state fin-wait-2 | grep -q :3000" || fail "no FIN_WAIT2"

# 2. After the client's close: FIN_WAIT2 with no owner, CLOSE_WAIT with
# Recv-Q 5. The client's side is a timewait entry once the kernel handed it
# to the timewait machinery (its timer says so), an orphan before.
check client-closed '
assert cli["state"] == "fin-wait-2" and cli["owners"] == [], cli
assert cli["limbo"] == ("timewait" if cli["timer"] == "timewait" else "orphan"), cli
assert srv["state"] == "close-wait" and srv["recv_q"] == 5, srv
assert srv["shutdown"] & 1, srv      # the peer FIN arrived
assert srv["tcp_info"]["bytes_received"] == 5, srv
'
echo bye >"$T/closed"
wait "$CLIENT"

# 3. After the client exits: the CLOSE_WAIT stays, still Recv-Q 5.
check client-exited '
assert srv["state"] == "close-wait" and srv["recv_q"] == 5, srv
'

# The table names the listener's owner for the fd-less socket.
"$TCPLIMBO" ls --state close-wait >"$T/table" || fail "ls table"
grep -q "CLOSE_WAIT .* 5 .*\[accept-queue of $SERVER/python3 fd 3\]" "$T/table" ||
	{ cat "$T/table"; fail "table does not name the listener's owner"; }
# And the state filter is applied: only the CLOSE_WAIT row and the header.
[ "$(wc -l <"$T/table")" = 2 ] || { cat "$T/table"; fail "--state close-wait"; }

# 4. The server exits: the CLOSE_WAIT goes with it.
kill "$SERVER"
wait "$SERVER" 2>/dev/null
tl_wait_for 5 sh -c "! ss -Htan state close-wait | grep -q :3000" || fail "CLOSE_WAIT outlived the server"
[ "$("$TCPLIMBO" ls --json --state close-wait)" = "[
]" ] || fail "ls still shows a CLOSE_WAIT"
ok "post experiment"
