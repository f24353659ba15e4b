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
# Both clients are there: drain would free nothing, and is not offered.
grep -q "no client of the queue at 127.0.0.1:3003 has gone: only the program can free those slots, by accepting" "$T/e" ||
	fail "the refusal should say no client has gone, naming the listener: $(cat "$T/e")"
grep -q "tcplimbo drain" "$T/e" && fail "drain offered where it frees nothing: $(cat "$T/e")"
# Each refused one is listed with whose queue it waits in.
[ "$(grep -cE "^  ESTABLISHED +127\.0\.0\.1:3003 +127\.0\.0\.1:[0-9]+ +\[accept-queue of $SERVER/[^ ]+ fd [0-9]+\]$" "$T/e")" = 2 ] ||
	{ cat "$T/e"; fail "the refusal does not list both with the listener's owner"; }
# --json after a refusal: a document, every match with why it was not tried.
"$TCPLIMBO" kill --sport 3003 --state established --json >"$T/r.json" 2>/dev/null
[ $? = 3 ] || fail "refused kill --json: want exit 3"
jq -e 'length == 2 and all(.[]; .result == "refused-queued" and .queue_slot_kept)' "$T/r.json" >/dev/null ||
	{ cat "$T/r.json"; fail "refused kill --json: not a list of refused-queued"; }
# With no --state, the match's own dump (every state) is the plan's.
"$TCPLIMBO" kill --sport 3003 --dport 1-65535 >"$T/o" 2>"$T/e"
[ $? = 3 ] || fail "queued match of every state without --queued: want exit 3"
grep -q "no client of the queue at 127.0.0.1:3003 has gone" "$T/e" ||
	fail "every state: the refusal should say no client has gone: $(cat "$T/e")"
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

# A listener killed with --listeners takes its queue with it: the report
# says how many connections that reset, and ss finds none left.
python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 3004))
s.listen(8)
cs = [socket.create_connection(("127.0.0.1", 3004)) for _ in range(2)]
print("ready", flush=True)
time.sleep(60)' >"$T/l4" &
tl_wait_for 5 grep -q ready "$T/l4" || fail "listener 3004 did not start"
"$TCPLIMBO" --json kill --listeners --state listening --sport 3004 --dry-run >"$T/o4" 2>"$T/e4" ||
	fail "--dry-run on the listener: $(cat "$T/e4")"
jq -e 'length == 1 and .[0].queued_reset == 2' "$T/o4" >/dev/null ||
	{ cat "$T/o4"; fail "--dry-run --json: queued_reset is not 2"; }
"$TCPLIMBO" kill --listeners --state listening --sport 3004 >"$T/o4" 2>"$T/e4" ||
	fail "kill --listeners: $(cat "$T/e4")"
grep -q "reset with it the 2 connections in its queue" "$T/o4" ||
	{ cat "$T/o4"; fail "the report does not say the 2 queued connections were reset"; }
# The holder is warned of what follows: every accept() fails, and an
# event loop spins on it (nginx logs 100,000 lines a second).
grep -q "each accept() on it fails (EINVAL), and an event loop retries at once" "$T/o4" ||
	{ cat "$T/o4"; fail "the report does not warn that an event loop spins"; }
tl_wait_for 5 sh -c '[ -z "$(ss -Htan "sport = :3004")" ]' ||
	{ ss -tan "sport = :3004"; fail "ss: something is left on :3004"; }
ok "kill --listeners: says it reset the 2 queued connections, and ss finds none"

# One client gone from a queue: the refusal offers drain, as the command
# would run, in the namespace -N named, and says "it" of one.
python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 3013))
s.listen(4)
c = socket.create_connection(("127.0.0.1", 3013))
c.close()
print("ready", flush=True)
time.sleep(60)' >"$T/s13" &
tl_wait_for 5 grep -q ready "$T/s13" || fail "server 3013 did not start"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3013" | wc -l)" = 1 ]' ||
	fail "ss: no queued CLOSE-WAIT on 3013"
NSP=/proc/$$/ns/net
"$TCPLIMBO" -N "$NSP" kill --sport 3013 --state close-wait >"$T/o" 2>"$T/e"
[ $? = 3 ] || { cat "$T/e"; fail "kill of one queued CLOSE-WAIT: want exit 3"; }
tr -s ' \n' ' ' <"$T/e" | grep -q "refusing to destroy 1 connection waiting in an accept queue: SOCK_DESTROY resets the client and hides it, .* 'tcplimbo -N $NSP drain 127.0.0.1:3013' frees the slots of connections whose client is gone; add --queued to reset it anyway" ||
	{ cat "$T/e"; fail "the refusal's drain is not the command to run, or 'them' of one"; }
ok "one queued CLOSE-WAIT: drain offered with -N $NSP, 'reset it'"

# Asked for a queued connection whose client has not closed (beside one
# gone): drain, which frees only the gone, is not offered for it.
python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 3014))
s.listen(4)
socket.create_connection(("127.0.0.1", 3014)).close()
live = socket.create_connection(("127.0.0.1", 3014))
print("ready", flush=True)
time.sleep(60)' >"$T/s14" &
tl_wait_for 5 grep -q ready "$T/s14" || fail "server 3014 did not start"
"$TCPLIMBO" kill --sport 3014 --state established >"$T/o" 2>"$T/e"
[ $? = 3 ] || { cat "$T/e"; fail "kill of one queued live connection: want exit 3"; }
tr -s ' \n' ' ' <"$T/e" | grep -q "refusing to destroy 1 connection waiting in an accept queue: .* dead socket; its client has not closed: only the program can take it, by accepting (drain frees only the slots of clients that are gone); add --queued to reset it anyway" ||
	{ cat "$T/e"; fail "a live queued connection: drain offered for it"; }
ok "one queued live connection: no drain offered, only the program's accept"
