#!/usr/bin/env bash
# tcplimbo kill on a leaking server (it accepts, reads to EOF, never
# closes: CLOSE_WAIT held by its fds). Refusals first, each checked with ss
# to have destroyed nothing; then the kill: every socket destroyed and
# verified gone, the report names the pid and fd that stay open, and the
# server process finds its fds still there but its next write on each
# failing. A held ESTABLISHED socket's read past its unread data fails too.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

# The server holds 3 connections that the clients close and 1 they keep;
# when $T/go appears it tries each held fd and writes one line per call.
python3 -u - 3001 "$T" >"$T/srv" <<'PY' &
import errno, os, socket, sys, time
port, T = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
print("listening", flush=True)
held = [s.accept()[0] for _ in range(4)]
for c in held[:3]:
    while c.recv(100):
        pass
print("held", " ".join(str(c.fileno()) for c in held), flush=True)
end = time.time() + 60
while not os.path.exists(T + "/go") and time.time() < end:
    time.sleep(0.05)
def try_(what, f):
    try:
        f()
        return what + ":ok"
    except OSError as e:
        return what + ":" + errno.errorcode[e.errno]
# The closed ones already read EOF: their next write is the call that
# can fail. The open one has not: its next read can.
# A write after the failed call fails too, with EPIPE.
for c in held[:3]:
    print("fd", c.fileno(), try_("send", lambda: c.send(b"x")),
          try_("send", lambda: c.send(b"x")), flush=True)
# The open one has 2 bytes unread: a read returns them first.
c = held[3]
print("fd", c.fileno(), try_("recv", lambda: c.recv(10)),
      try_("recv", lambda: c.recv(10)),
      try_("send", lambda: c.send(b"x")), flush=True)
time.sleep(60)
PY
SERVER=$!
tl_wait_for 5 grep -q listening "$T/srv" || fail "server did not listen"
python3 - 3001 <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
for c in cs[:3]:
    c.sendall(b"ping")
    c.close()
cs[3].sendall(b"hi")
time.sleep(60)
PY
tl_wait_for 5 grep -q '^held' "$T/srv" || fail "server did not take the connections"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3001" | wc -l)" = 3 ]' ||
	fail "ss: not 3 CLOSE_WAIT"
count() { ss -Htan "sport = :3001" | wc -l; }
[ "$(count)" = 5 ] || fail "ss: want listener + 3 CLOSE_WAIT + 1 ESTAB"

# Refusals: exit 3, nothing destroyed.
"$TCPLIMBO" kill >"$T/o" 2>"$T/e"
[ $? = 3 ] || fail "kill without filters: want exit 3"
grep -q 'no filter given' "$T/e" || { cat "$T/e"; fail "empty filter: no reason"; }
"$TCPLIMBO" kill --sport 3001 >"$T/o" 2>"$T/e"
[ $? = 3 ] || fail "kill matching a listener without --listeners: want exit 3"
grep -q 'refusing to destroy 1 listening socket' "$T/e" && grep -q "an event loop spins on the failing accept()" "$T/e" ||
	{ cat "$T/e"; fail "listener refusal"; }
[ "$(count)" = 5 ] || fail "a refused kill destroyed something"
ok "refusals: no filter, a listener; nothing destroyed (ss)"
# A --pid no process has: nothing matches, and the likely typo is named.
"$TCPLIMBO" kill --pid 4194303 >"$T/o" 2>"$T/e"
[ $? = 0 ] && grep -q "^tcplimbo: note: --pid 4194303: no process has that pid (it may have exited), so it matches nothing$" "$T/e" ||
	{ cat "$T/e"; fail "kill --pid of no process: not told"; }
"$TCPLIMBO" kill --pid $$ >"$T/o" 2>"$T/e"
grep -q "no process has that pid" "$T/e" && { cat "$T/e"; fail "kill --pid of this shell: told it was not seen"; }
# ls says the same of a --pid or --comm nothing bears, and not of one that runs.
"$TCPLIMBO" ls --pid 4194303 --comm tl-nosuch >"$T/o" 2>"$T/e"
grep -q "note: --pid 4194303: no process has that pid" "$T/e" &&
	grep -q "note: --comm tl-nosuch: no process of that name runs" "$T/e" ||
	{ cat "$T/e"; fail "ls --pid/--comm of no process: not told"; }
"$TCPLIMBO" ls --pid $$ --comm bash >"$T/o" 2>"$T/e"
grep -q "note: --" "$T/e" && { cat "$T/e"; fail "ls --pid/--comm of this shell: told it does not run"; }
# watch, which could otherwise pass for watching a quiet server.
timeout 20 "$TCPLIMBO" watch --pid 4194303 --seconds 1 >"$T/o" 2>"$T/e"
grep -q "note: --pid 4194303: no process has that pid (it may have exited), so it matches nothing until one starts" "$T/e" ||
	{ cat "$T/e"; fail "watch --pid of no process: not told"; }
ok "kill, ls and watch --pid/--comm of no process: told it matches nothing"

# One socket held by three fds of one process (dup): one line, every fd.
python3 -c '
import os, socket, time
s = socket.socket(); s.bind(("127.0.0.1", 3009)); s.listen(4)
c = socket.create_connection(("127.0.0.1", 3009))
a = s.accept()[0]; d1 = os.dup(a.fileno()); d2 = os.dup(a.fileno())
c.close()
print(a.fileno(), d1, d2, flush=True)
time.sleep(60)' >"$T/dup" &
tl_wait_for 5 grep -q . "$T/dup" || fail "the dup server did not start"
read -r f1 f2 f3 <"$T/dup"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3009" | wc -l)" = 1 ]' ||
	fail "ss: no CLOSE-WAIT on 3009"
"$TCPLIMBO" kill --state close-wait --sport 3009 --dry-run >"$T/o" 2>"$T/e" ||
	{ cat "$T/e"; fail "kill --dry-run of the dup'd socket"; }
[ "$(grep -c "would hold it as" "$T/o")" = 1 ] &&
	grep -q "would hold it as fds $f1, $f2 and $f3 until it closes them all;" "$T/o" ||
	{ cat "$T/o"; fail "kill: a socket held by 3 fds of one process: not one line with each fd"; }
"$TCPLIMBO" --no-owners kill --state close-wait --sport 3009 --dry-run >"$T/o" 2>"$T/e" ||
	{ cat "$T/e"; fail "--no-owners kill --dry-run"; }
grep -q "its holders were not looked for (--no-owners): a process may hold its fd" "$T/o" ||
	{ cat "$T/o"; fail "--no-owners kill: not told its holders were not looked for"; }
# From a pid namespace of its own, its holder outside is unseen: said so.
unshare -p -f --mount-proc "$TCPLIMBO" kill --state close-wait --sport 3009 --dry-run >"$T/o" 2>"$T/e"
grep -q "none of the processes this pid namespace shows holds it; one outside it may" "$T/o" ||
	{ cat "$T/o" "$T/e"; fail "kill in a pid namespace: its holder outside not told as unseen"; }
ok "kill: a socket held by 3 fds of one process is told once, with each fd; under --no-owners, that none was looked for; in a pid namespace, that one outside may hold it"

"$TCPLIMBO" kill --state close-wait --sport 3001 --dry-run >"$T/o" 2>"$T/e" ||
	fail "--dry-run failed"
[ "$(grep -c '^would-destroy' "$T/o")" = 3 ] || { cat "$T/o"; fail "--dry-run rows"; }
[ "$(count)" = 5 ] || fail "--dry-run destroyed something"
# Owners not looked for are null, as in ls, not an empty list (none held).
"$TCPLIMBO" --no-owners kill --state close-wait --sport 3001 --dry-run --json >"$T/k0.json" ||
	fail "--no-owners --dry-run --json failed"
jq -e 'length == 3 and all(.[]; .still_held_by == null and .socket.owners == null)' \
	"$T/k0.json" >/dev/null || { cat "$T/k0.json"; fail "--no-owners: still_held_by is not null"; }
ok "--dry-run lists 3 and destroys nothing"
grep -q "3 sockets would be destroyed; nothing was (--dry-run)" "$T/e" ||
	{ cat "$T/e"; fail "--dry-run summary"; }
# Without CAP_NET_ADMIN the dry run says the real one could not.
if command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$TCPLIMBO"; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TCPLIMBO" kill --state close-wait --sport 3001 --dry-run >"$T/o" 2>"$T/e" ||
		fail "--dry-run as nobody failed"
	grep -q "3 sockets match; nothing was destroyed (--dry-run), and this process could not: destroying sockets needs CAP_NET_ADMIN" "$T/e" ||
		{ cat "$T/e"; fail "--dry-run as nobody does not say it could not"; }
	ok "--dry-run without CAP_NET_ADMIN says the real run could not"
fi

"$TCPLIMBO" kill --state close-wait --sport 3001 --json >"$T/k.json" 2>"$T/e"
rc=$?
[ $rc = 0 ] || { cat "$T/e"; fail "kill: exit $rc, want 0"; }
read -r _ fds <<<"$(grep '^held' "$T/srv")"
jq -e --argjson p "$SERVER" --arg fds "$fds" '
	length == 3 and
	all(.[]; .result == "destroyed" and .queue_slot_kept == false and
		.socket.state == "close-wait" and
		(.still_held_by | length) == 1 and .still_held_by[0].pid == $p) and
	([.[].still_held_by[0].fd] | sort) ==
		($fds | split(" ") | .[:3] | map(tonumber) | sort)' \
	"$T/k.json" >/dev/null || { cat "$T/k.json"; fail "kill --json report"; }
[ "$(ss -Htn state close-wait 'sport = :3001' | wc -l)" = 0 ] ||
	fail "ss: CLOSE_WAIT left after kill"
grep -q '3 of 3 sockets destroyed and verified gone' "$T/e" || { cat "$T/e"; fail "summary"; }
ok "kill: 3 CLOSE_WAIT destroyed, verified, pid $SERVER and fds ${fds% *} named"

# The text report says what stays: the fd, until the program closes it.
"$TCPLIMBO" kill --state established --sport 3001 >"$T/o" 2>"$T/e" ||
	{ cat "$T/e"; fail "kill of the held ESTABLISHED socket"; }
grep -q "pid $SERVER (python3) still holds it as fd [0-9]* until it closes it;" "$T/o" ||
	{ cat "$T/o"; fail "text: holder, until it closes it"; }
grep -q "reads return the data received before; then its next read or write fails (ECONNABORTED), and writes after it with EPIPE" "$T/o" ||
	{ cat "$T/o"; fail "text: what the program's next calls get"; }

# The server's fds are still open, and its next call on each fails.
for fd in $fds; do
	[ -e "/proc/$SERVER/fd/$fd" ] || fail "fd $fd of the server is gone: kill must not close fds"
done
touch "$T/go"
tl_wait_for 5 sh -c "[ \$(grep -c '^fd' $T/srv) = 4 ]" || { cat "$T/srv"; fail "server did not report"; }
[ "$(grep -c 'send:ECONNABORTED send:EPIPE' "$T/srv")" = 3 ] || { cat "$T/srv"; fail "writes after kill"; }
grep -q 'recv:ok recv:ECONNABORTED send:EPIPE' "$T/srv" || { cat "$T/srv"; fail "read on the held ESTABLISHED socket"; }
ok "the server still holds its fds; writes fail (ECONNABORTED, then EPIPE), and so does a read past the data received"

# A connection passed over a unix socket (SCM_RIGHTS) and not yet
# received: in no fd table. The dry run says so, or, where some process
# could not be read, that one of those may hold it.
python3 -u - 3002 <<'PY' >"$T/fly" &
import array, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4)
a, b = socket.socketpair(socket.AF_UNIX)
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
conn = s.accept()[0]
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [conn.fileno()]))])
conn.close()
print("sent", flush=True)
time.sleep(60)
PY
tl_wait_for 5 grep -q sent "$T/fly" || fail "the fd was not sent"
"$TCPLIMBO" ls --json --sport 3002 --state established >"$T/fly.json"
complete=$(jq -r '.[0].owners_complete' "$T/fly.json")
jq -e '.[0].owners == [] and .[0].inode > 0' "$T/fly.json" >/dev/null ||
	{ cat "$T/fly.json"; fail "the sent connection: not ownerless with an inode"; }
"$TCPLIMBO" kill --sport 3002 --state established --dry-run >"$T/o" 2>"$T/e" ||
	{ cat "$T/e"; fail "kill --dry-run of the sent connection"; }
if [ "$complete" = true ]; then
	want="no process's fd table holds it: it may be in a unix socket's message not yet received"
else
	want="none of the processes read holds it; some could not be read"
fi
grep -qF "$want" "$T/o" || { cat "$T/o"; fail "kill --dry-run: no word of who holds the sent connection"; }
ok "a connection in flight: kill says no fd table holds it (owners complete: $complete)"
