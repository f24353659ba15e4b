#!/usr/bin/env bash
# tcplimbo kill on connections waiting in an accept queue (the post's
# server, backlog 1, two finished handshakes queued). Without --queued it
# refuses and destroys nothing. With --queued the clients are reset, the
# report says the slot stays, and it does: the listener's Recv-Q is
# unchanged and a third client still cannot get in, as the kernel fact in
# DESIGN.md says.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 3003))
s.listen(1)
time.sleep(60)' &
SERVER=$!
tl_wait_for 5 tl_listening 3003 || fail "server did not listen"
# Two clients wait for data; each prints how its connection ended.
for i in 1 2; do
	python3 -u -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", 3003), timeout=5)
print("connected", flush=True)
c.settimeout(30)
try:
    d = c.recv(10)
    print("eof" if not d else "data", flush=True)
except ConnectionResetError:
    print("reset", flush=True)
except OSError as e:
    print("error", e, flush=True)' >"$T/c$i" &
	tl_wait_for 5 grep -q connected "$T/c$i" || fail "client $i did not connect"
done
lq() { ss -Htln 'sport = :3003' | awk '{print $2}'; }
[ "$(lq)" = 2 ] || fail "ss: listener Recv-Q $(lq), want 2"

"$TCPLIMBO" kill --sport 3003 --state established >"$T/o" 2>"$T/e"
[ $? = 3 ] || fail "queued match without --queued: want exit 3"
grep -q 'refusing to destroy 2 connections waiting in an accept queue' "$T/e" ||
	{ cat "$T/e"; fail "queued refusal"; }
grep -q 'tcplimbo drain' "$T/e" || fail "the refusal should point to drain"
[ "$(ss -Htn state established 'sport = :3003' | wc -l)" = 2 ] || fail "a refused kill destroyed something"
ok "queued: refused without --queued, nothing destroyed"

"$TCPLIMBO" kill --sport 3003 --state established --queued --json >"$T/k.json" 2>"$T/e"
rc=$?
[ $rc = 0 ] || { cat "$T/e"; fail "kill --queued: exit $rc"; }
jq -e 'length == 2 and all(.[]; .result == "destroyed" and
	.queue_slot_kept == true and .socket.limbo == "accept-queue" and
	(.socket.listener_owners | length) == 1)' "$T/k.json" >/dev/null ||
	{ cat "$T/k.json"; fail "kill --queued report"; }
tl_wait_for 5 sh -c "grep -q reset $T/c1 && grep -q reset $T/c2" ||
	{ cat "$T/c1" "$T/c2"; fail "the clients were not reset"; }
[ "$(ss -Htn state established 'sport = :3003' | wc -l)" = 0 ] || fail "ss: queued children still listed"
[ "$(lq)" = 2 ] || fail "ss: listener Recv-Q $(lq) after the kill; the slots should stay (2)"
ok "kill --queued: clients reset, children gone from ss, Recv-Q still 2"

python3 -c '
import socket, sys
c = socket.socket()
c.settimeout(1.5)
try:
    c.connect(("127.0.0.1", 3003))
    print("connected")
except OSError:
    print("no")' >"$T/third"
grep -qx no "$T/third" || fail "a third client got in: the queue slot was freed"
ok "a third client still cannot connect: the slots stay taken"

"$TCPLIMBO" kill --sport 3003 --state close-wait >"$T/o" 2>"$T/e"
[ $? = 0 ] || fail "kill with no match: want exit 0"
grep -q 'no socket matches' "$T/e" || fail "no match: not told"
kill -0 "$SERVER" || fail "the server died"
