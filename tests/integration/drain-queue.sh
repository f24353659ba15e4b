#!/usr/bin/env bash
# drain refuses a queue with a live connection ahead of a dead one (first
# in, first out: accepting would take the live one) and accepts nothing:
# the live connection is still queued, same cookie. Once its client has
# gone too and one of the two was destroyed with ss -K (hidden from dumps
# but holding its slot), drain frees both slots.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 3005))
s.listen(8)
time.sleep(60)' &
SERVER=$!
tl_wait_for 5 tl_listening 3005 || fail "server did not listen"
python3 -u -c '
import os, socket, sys, time
live = socket.create_connection(("127.0.0.1", 3005), timeout=5)
print("live", flush=True)
time.sleep(0.3)
d = socket.create_connection(("127.0.0.1", 3005), timeout=5)
d.sendall(b"ping")
d.close()
print("dead", flush=True)
end = time.time() + 60
while not os.path.exists(sys.argv[1]) and time.time() < end:
    time.sleep(0.05)
live.close()
print("closed", flush=True)
time.sleep(60)' "$T/close" >"$T/cli" &
tl_wait_for 5 grep -q dead "$T/cli" || fail "clients did not connect"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3005" | wc -l)" = 1 ]' || fail "ss: no CLOSE_WAIT"
cookie() { "$TCPLIMBO" ls --json --sport 3005 --state established | jq -r '.[0].cookie'; }
c0=$(cookie)
[ -n "$c0" ] && [ "$c0" != null ] || fail "no queued live connection"

"$TCPLIMBO" drain 127.0.0.1:3005 >"$T/o" 2>"$T/e"
rc=$?
[ $rc = 1 ] || { cat "$T/o" "$T/e"; fail "mixed queue: exit $rc, want 1"; }
grep -q 'refusing: 1 live connection is queued' "$T/e" &&
	grep -q "or run drain again when its client has gone" "$T/e" || { cat "$T/e"; fail "refusal text"; }
grep -q 'live  ESTABLISHED' "$T/o" || { cat "$T/o"; fail "the live one is not listed"; }
[ "$(cookie)" = "$c0" ] || fail "the live connection changed or left the queue"
[ "$(ss -Htln 'sport = :3005' | awk '{print $2}')" = 2 ] || fail "the queue changed"
# JSON says it refused, and why, in a key of its own.
"$TCPLIMBO" drain 127.0.0.1:3005 --json >"$T/r.json" 2>/dev/null
rc=$?
[ $rc = 1 ] && jq -e '.refused == "live-connections-queued" and .freed == 0 and .stopped == null' \
	"$T/r.json" >/dev/null || { cat "$T/r.json"; fail "mixed queue, --json: exit $rc, refused not said"; }
[ "$(cookie)" = "$c0" ] || fail "the live connection changed or left the queue"
ok "mixed queue refused; the live connection is still queued (cookie $c0); JSON says refused"

touch "$T/close"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3005" | wc -l)" = 2 ]' || fail "ss: not 2 CLOSE_WAIT"
port=$(ss -Htn state close-wait 'sport = :3005' | awk 'NR == 1 {n = split($4, a, ":"); print a[n]}')
ss -K state close-wait "dport = :$port" >/dev/null || fail "ss -K"
[ "$(ss -Htn state close-wait 'sport = :3005' | wc -l)" = 1 ] || fail "ss -K did not hide one"
[ "$(ss -Htln 'sport = :3005' | awk '{print $2}')" = 2 ] || fail "ss -K freed a slot (it should not)"
"$TCPLIMBO" drain 127.0.0.1:3005 --json >"$T/d.json" 2>"$T/e"
rc=$?
[ $rc = 0 ] || { cat "$T/e" "$T/d.json"; fail "drain: exit $rc"; }
jq -e '.hidden == 1 and .freed == 2 and .freed_hidden == 1 and
	.queue_after == 0' "$T/d.json" >/dev/null || { cat "$T/d.json"; fail "hidden drain"; }
kill -0 "$SERVER" || fail "the server died"
ok "after ss -K hid one: drain frees both slots (1 hidden)"

# As nobody, root's listener cannot be borrowed: drain says so, with the
# hint that root could, exit 3, and claims nothing freed.
if command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$TCPLIMBO"; then
	python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 3006))
s.listen(8)
for _ in range(2):
    socket.create_connection(("127.0.0.1", 3006)).close()
print("ready", flush=True)
time.sleep(60)' >"$T/root" &
	tl_wait_for 5 grep -q ready "$T/root" || fail "root's server did not start"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TCPLIMBO" drain 127.0.0.1:3006 >"$T/o" 2>"$T/e"
	rc=$?
	[ $rc = 3 ] || { cat "$T/o" "$T/e"; fail "drain as nobody: exit $rc, want 3"; }
	grep -q "it may be in flight in a unix socket.s message not yet received (SCM_RIGHTS), or be one whose fds could not be read (root could), so there is no fd to borrow" "$T/e" && ! grep -q "freed" "$T/o" ||
		{ cat "$T/o" "$T/e"; fail "drain as nobody: no hint, or a freed line"; }
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TCPLIMBO" drain 127.0.0.1:3006 --json >"$T/n.json" 2>/dev/null
	rc=$?
	[ $rc = 3 ] && jq -e '.refused == "owner-unknown" and .freed == 0' "$T/n.json" >/dev/null ||
		{ cat "$T/n.json"; fail "drain --json as nobody: exit $rc, refused not owner-unknown"; }
	ok "drain as nobody of root's listener: exit 3, 'root could', nothing claimed; JSON: owner-unknown"
	# Naming root's pid does not make it "not the holder": nobody cannot
	# tell, and says so.
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TCPLIMBO" drain 127.0.0.1:3006 --pid "$!" >"$T/o" 2>"$T/e"
	rc=$?
	[ $rc = 3 ] || { cat "$T/o" "$T/e"; fail "drain --pid as nobody: exit $rc, want 3"; }
	grep -q "cannot tell whether pid $! holds the listener on 127.0.0.1:3006: its fds could not be read (Permission denied; root could)" "$T/e" ||
		{ cat "$T/e"; fail "drain --pid as nobody: $(cat "$T/e")"; }
	ok "drain --pid as nobody of root's listener: cannot tell, not 'does not hold'"
fi

# A client that only half-closed (shutdown(SHUT_WR), as nc -N and HTTP/1.0
# clients do) is in CLOSE-WAIT on the server's side too, but alive: its
# socket here is held, in FIN-WAIT-2, waiting for the answer. drain counts
# it live and refuses; one that closed is dead.
python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 3007))
s.listen(8)
gone = socket.create_connection(("127.0.0.1", 3007))
gone.send(b"bye")
gone.close()
half = socket.create_connection(("127.0.0.1", 3007))
half.send(b"GET / HTTP/1.0\r\n\r\n")
half.shutdown(socket.SHUT_WR)
print("ready", flush=True)
time.sleep(60)' >"$T/half" &
tl_wait_for 5 grep -q ready "$T/half" || fail "half-close server did not start"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3007" | wc -l)" = 2 ]' ||
	fail "not 2 queued CLOSE-WAIT on 3007"
tl_wait_for 5 sh -c 'ss -Htnp state fin-wait-2 "dport = :3007" | grep -q users' ||
	fail "the half-closed client is not in FIN-WAIT-2"
"$TCPLIMBO" drain 127.0.0.1:3007 --json >"$T/h.json" 2>"$T/e"
rc=$?
[ $rc = 1 ] || { cat "$T/e" "$T/h.json"; fail "drain with a half-closed client: exit $rc, want 1 (refused)"; }
jq -e '(.dead | length) == 1 and (.live | length) == 1 and .half_closed == 1 and
	.live[0].state == "close-wait" and .freed == 0' "$T/h.json" >/dev/null ||
	{ cat "$T/h.json"; fail "drain: the half-closed client is not live"; }
[ "$(ss -Htn state close-wait "sport = :3007" | wc -l)" = 2 ] || fail "drain took a connection"
ok "a half-closed client is live: drain refuses, takes nothing"
# doctor says the same of that queue: one client gone, one half-closed.
sleep 1.1
"$TCPLIMBO" doctor --queue-age 1s --json >"$T/hd.json"
jq -e '[.findings[] | select(.local_port == 3007)] | length == 1 and
	.[0].kind == "not-accepting" and .[0].severity == "critical" and
	(.[0].summary | contains("1 of them already closed by the client (CLOSE-WAIT), 1 of them half-closed only (CLOSE-WAIT: its client shut down its sending side and waits for the answer)"))' \
	"$T/hd.json" >/dev/null ||
	{ jq '[.findings[] | select(.local_port == 3007)]' "$T/hd.json"; fail "doctor does not tell the half-closed client from the gone one"; }
ok "doctor agrees with drain: one client gone, one half-closed"

# The same on a dual-stack listener, its IPv4 client half-closed, drained
# with -6: the client's socket is IPv4, and must be seen all the same (it
# was not: drain took the connection and reset the client). -6 with an
# IPv4 listener's address is a usage error.
python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 3011))
s.listen(8)
half = socket.create_connection(("127.0.0.1", 3011))
half.send(b"GET / HTTP/1.0\r\n\r\n")
half.shutdown(socket.SHUT_WR)
print("ready", flush=True)
time.sleep(60)' >"$T/half6" &
tl_wait_for 5 grep -q ready "$T/half6" || fail "dual-stack server did not start"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3011" | wc -l)" = 1 ]' ||
	fail "no queued CLOSE-WAIT on 3011"
"$TCPLIMBO" -6 drain '[::]:3011' --json >"$T/h6.json" 2>"$T/e"
rc=$?
[ $rc = 0 ] && jq -e '(.dead | length) == 0 and (.live | length) == 1 and .half_closed == 1 and .freed == 0' \
	"$T/h6.json" >/dev/null || { cat "$T/e" "$T/h6.json"; fail "-6 drain: the IPv4 half-closed client is not live"; }
[ "$(ss -Htn state close-wait "sport = :3011" | wc -l)" = 1 ] || fail "-6 drain took the live connection"
"$TCPLIMBO" -6 drain 127.0.0.1:3007 >/dev/null 2>"$T/e"
[ $? = 3 ] && grep -q "127.0.0.1:3007 is an IPv4 listener, and -6 asks for IPv6 only" "$T/e" ||
	{ cat "$T/e"; fail "-6 drain of an IPv4 address: not told"; }
ok "-6 drain: an IPv4 client half-closed on a dual-stack listener is live; -6 with an IPv4 address refused"
# Asked for by its IPv4 address, which the dual-stack listener takes:
# no listener has it, and drain names the one whose queue holds them.
"$TCPLIMBO" drain 127.0.0.1:3011 >/dev/null 2>"$T/e"
[ $? = 3 ] && grep -q "drain: no listener on 127.0.0.1:3011 in this network namespace, but \[::\]:3011 takes IPv4 connections too (not IPV6_V6ONLY): connections to 127.0.0.1:3011 queue there; drain '\[::\]:3011' frees the slots of those whose client is gone" "$T/e" ||
	{ cat "$T/e"; fail "drain of a dual-stack listener's IPv4 address: not told where to look"; }
ok "drain 127.0.0.1:3011 names the dual-stack [::]:3011"
# The same of an IPv4 listener on 0.0.0.0, which takes 127.0.0.1's.
python3 -c '
import socket, time
s = socket.socket()
s.bind(("0.0.0.0", 3012))
s.listen(8)
socket.create_connection(("127.0.0.1", 3012)).close()
print("ready", flush=True)
time.sleep(60)' >"$T/any4" &
tl_wait_for 5 grep -q ready "$T/any4" || fail "0.0.0.0 server did not start"
"$TCPLIMBO" drain 127.0.0.1:3012 >/dev/null 2>"$T/e"
[ $? = 3 ] && grep -q "drain: no listener on 127.0.0.1:3012 in this network namespace, but 0.0.0.0:3012 takes the connections to every address of the port: connections to 127.0.0.1:3012 queue there; drain '0.0.0.0:3012' frees the slots of those whose client is gone" "$T/e" ||
	{ cat "$T/e"; fail "drain of an address 0.0.0.0 takes: not told where to look"; }
ok "drain 127.0.0.1:3012 names 0.0.0.0:3012"
# A listener bound to 127.0.0.1 as an IPv6 socket (::ffff:127.0.0.1, as a
# JVM binds every IPv4 address): it is 127.0.0.1's listener, found by it.
python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::ffff:127.0.0.1", 3013))
s.listen(8)
socket.create_connection(("127.0.0.1", 3013)).close()
print("ready", flush=True)
time.sleep(60)' >"$T/mapped" &
M=$!
tl_wait_for 5 grep -q ready "$T/mapped" || fail "::ffff:127.0.0.1 server did not start"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3013" | wc -l)" = 1 ]' ||
	fail "no queued CLOSE-WAIT on 3013"
"$TCPLIMBO" drain 127.0.0.1:3013 --dry-run >"$T/m.txt" 2>"$T/e"
rc=$?
[ $rc = 0 ] && grep -q "^drain 127.0.0.1:3013: pid $M (python3) holds the listener as fd [0-9]*" "$T/m.txt" &&
	grep -q "would free 1 slot" "$T/m.txt" ||
	{ cat "$T/e" "$T/m.txt"; fail "drain 127.0.0.1:3013: the listener bound to ::ffff:127.0.0.1 not found (exit $rc)"; }
ok "drain 127.0.0.1:3013 finds the listener bound to ::ffff:127.0.0.1"

# Only live connections queued, none dead: nothing to free, so nothing to
# refuse either (a busy server's queue is like this): exit 0, and no word
# of dead ones that are not there.
python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 3009))
s.listen(8)
c = socket.create_connection(("127.0.0.1", 3009))
print("ready", flush=True)
time.sleep(60)' >"$T/onlylive" &
tl_wait_for 5 grep -q ready "$T/onlylive" || fail "live-only server did not start"
"$TCPLIMBO" drain 127.0.0.1:3009 >"$T/o" 2>"$T/e"
rc=$?
[ $rc = 0 ] || { cat "$T/o" "$T/e"; fail "only a live connection queued: exit $rc, want 0"; }
grep -q "dead ones\|refusing" "$T/e" && { cat "$T/e"; fail "only a live connection queued: refused"; }
grep -qx "  nothing to free" "$T/o" && grep -q "live  ESTABLISHED" "$T/o" ||
	{ cat "$T/o"; fail "only a live connection queued: not 'nothing to free'"; }
"$TCPLIMBO" drain 127.0.0.1:3009 --json >"$T/l.json" 2>"$T/e"
rc=$?
[ $rc = 0 ] && jq -e '(.dead | length) == 0 and (.live | length) == 1 and .freed == 0 and .refused == null' "$T/l.json" >/dev/null ||
	{ cat "$T/e" "$T/l.json"; fail "only a live connection queued, --json: exit $rc"; }
[ "$(ss -Htln 'sport = :3009' | awk '{print $2}')" = 1 ] || fail "drain took the live connection"
ok "only a live connection queued: nothing to free, exit 0, the connection stays"

# In a pid namespace of its own without a /proc of its own, /proc numbers
# the owner as the outer namespace does: drain cannot open that pid, and
# says why, not that the owner has exited. The server lives on.
cat >"$T/pidns.sh" <<'SH'
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 3010)); s.listen(8)
print("ready", flush=True)
time.sleep(30)' >"$1/pidns.srv" &
SP=$!
i=0
until grep -q ready "$1/pidns.srv" 2>/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
python3 -c '
import socket
for _ in range(2):
    c = socket.create_connection(("127.0.0.1", 3010)); c.send(b"x"); c.close()'
sleep 0.5
# LeakSanitizer reads /proc/PID/task at exit, by this namespace's pid:
# under a /proc of the outer one it cannot, and aborts (a build with
# sanitizers only).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$2" drain 127.0.0.1:3010 >"$1/pidns.out" 2>"$1/pidns.err"
echo $? >"$1/pidns.rc"
kill -0 $SP && echo alive >"$1/pidns.alive"
kill $SP
SH
unshare --pid --fork sh "$T/pidns.sh" "$T" "$TCPLIMBO" || fail "cannot run in a pid namespace"
[ "$(cat "$T/pidns.rc")" = 3 ] && [ -e "$T/pidns.alive" ] ||
	{ cat "$T/pidns.out" "$T/pidns.err"; fail "pid namespace without its /proc: exit $(cat "$T/pidns.rc"), want 3, server alive"; }
grep -q "is not a /proc of this process's pid namespace, so that pid is not this process's to open" "$T/pidns.err" &&
	! grep -q "has exited" "$T/pidns.err" && grep -qx "  freed 0 of 2: nothing done" "$T/pidns.out" ||
	{ cat "$T/pidns.out" "$T/pidns.err"; fail "pid namespace without its /proc: not told why"; }
ok "in a pid namespace without its own /proc: drain says the pid is not its to open, exit 3"

# Clients that reset while queued (SO_LINGER 0, as health checkers do):
# the kernel keeps each in the queue, out of every dump. drain says first
# that they were reset, and frees them.
python3 -c '
import socket, struct, time
s = socket.socket()
s.bind(("127.0.0.1", 3019))
s.listen(8)
for _ in range(3):
    c = socket.create_connection(("127.0.0.1", 3019))
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
print("ready", flush=True)
time.sleep(60)' >"$T/rst" &
tl_wait_for 5 grep -q ready "$T/rst" || fail "reset server did not start"
[ "$(ss -Htln 'sport = :3019' | awk '{print $2}')" = 3 ] &&
	[ "$(ss -Htn 'sport = :3019' | wc -l)" = 0 ] ||
	{ ss -tan; fail "ss: 3 queued, none shown, was the premise"; }
"$TCPLIMBO" drain 127.0.0.1:3019 >"$T/rst.out" 2>"$T/rst.err"
rc=$?
[ $rc = 0 ] || { cat "$T/rst.out" "$T/rst.err"; fail "drain of reset clients: exit $rc"; }
tr -s ' \n' ' ' <"$T/rst.out" | grep -q "and 3 that no dump shows but that still hold a slot (reset by their client while queued," ||
	{ cat "$T/rst.out"; fail "drain: reset clients not told first"; }
[ "$(ss -Htln 'sport = :3019' | awk '{print $2}')" = 0 ] || fail "drain left the reset ones queued"
ok "3 clients reset while queued: told as such, and freed"

# A listener in flight: sent over a unix socket (SCM_RIGHTS) and closed
# by its sender, and not yet received: in no fd table, nothing to borrow,
# and drain says it may be in flight, not only that fds were unreadable.
python3 -c '
import socket, time
a, b = socket.socketpair()
s = socket.socket(); s.bind(("127.0.0.1", 3020)); s.listen(8)
c = socket.create_connection(("127.0.0.1", 3020)); c.close()
socket.send_fds(a, [b"l"], [s.fileno()]); s.close()
print("ready", flush=True)
time.sleep(60)' >"$T/fly" &
tl_wait_for 5 grep -q ready "$T/fly" || fail "the sender did not start"
"$TCPLIMBO" drain 127.0.0.1:3020 >"$T/fly.out" 2>"$T/fly.err"
rc=$?
[ $rc = 3 ] && grep -q "in flight in a unix socket's message" "$T/fly.err" ||
	{ cat "$T/fly.out" "$T/fly.err"; fail "drain of a listener in flight: exit $rc, or in flight not said"; }
ok "a listener in flight over a unix socket: drain says so, exit 3"
# From a pid namespace of its own, a holder outside it is unseen, not
# absent: drain does not say that no process holds the listener.
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 3021)); s.listen(8)
c = socket.create_connection(("127.0.0.1", 3021)); c.close()
print("ready", flush=True)
time.sleep(60)' >"$T/out21" &
tl_wait_for 5 grep -q ready "$T/out21" || fail "the server on 3021 did not start"
unshare -p -f --mount-proc "$TCPLIMBO" drain 127.0.0.1:3021 >"$T/pn.out" 2>"$T/pn.err"
rc=$?
[ $rc = 3 ] && ! grep -q "no process holds the listener" "$T/pn.err" &&
	grep -q "cannot tell which process holds the listener" "$T/pn.err" ||
	{ cat "$T/pn.out" "$T/pn.err"; fail "drain in a pid namespace: exit $rc, or its holder outside told absent"; }
ok "drain in a pid namespace of its own: a holder outside is unseen, not absent"
