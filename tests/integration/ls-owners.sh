#!/usr/bin/env bash
# Owners of accepted sockets (pid and fd, shared after fork), IPv6, and a
# dual-stack listener whose IPv4 client waits as a v4-mapped child.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
# The forked child of the first server is no job of ours: kill it too, or
# it holds the test's output open for its whole sleep.
cleanup() {
	[ -s "$T/srv" ] && kill "$(cut -d' ' -f2 "$T/srv")" 2>/dev/null
	tl_cleanup_jobs
	rm -rf "$T"
}
trap cleanup EXIT

# A server on ::1 that accepts one connection, forks (so parent and child
# share the socket), and reports pids and the accepted fd.
python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 4000)); s.listen(4)
c, _ = s.accept()
pid = os.fork()
if pid == 0:
    time.sleep(60); os._exit(0)
with open(sys.argv[1], "w") as f:
    f.write("%d %d %d\n" % (os.getpid(), pid, c.fileno()))
time.sleep(60)' "$T/srv" &
tl_wait_for 5 tl_listening 4000 || fail "v6 server did not listen"

# A dual-stack [::] listener that never accepts, and an IPv6-only one; a
# second thread of it says its id, as top -H shows it.
python3 -c '
import socket, sys, threading, time
t = threading.Thread(target=lambda: open(sys.argv[1], "w").write("%d\n" % threading.get_native_id()) and time.sleep(60), daemon=True)
t.start()
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 4001)); s.listen(4)
t = socket.socket(socket.AF_INET6)
t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
t.bind(("::", 4002)); t.listen(4)
time.sleep(60)' "$T/tid" &
DUAL=$!
tl_wait_for 5 tl_listening 4002 || fail "dual-stack server did not listen"

python3 -c '
import socket, time
a = socket.create_connection(("::1", 4000))
b = socket.create_connection(("127.0.0.1", 4001))
time.sleep(60)' &
CLIENT=$!
tl_wait_for 5 test -s "$T/srv" || fail "server did not accept"
tl_wait_for 5 sh -c "ss -Htan state established | grep -q ':4001 '" || fail "no dual-stack connection"
read -r PARENT CHILD FD <"$T/srv"

"$TCPLIMBO" ls --json >"$T/all.json" || fail "ls"
python3 - "$T/all.json" "$PARENT" "$CHILD" "$FD" "$DUAL" "$CLIENT" <<'PY' || fail "owners"
import json, sys
socks = json.load(open(sys.argv[1]))
parent, child, fd, dual, client = map(int, sys.argv[2:])
acc = [s for s in socks if s["local_port"] == 4000 and s["state"] == "established"]
assert len(acc) == 1, acc
acc = acc[0]
assert acc["family"] == "inet6" and acc["local_addr"] == "::1", acc
# Shared after fork: both processes hold it, at the same fd.
assert sorted((o["pid"], o["fd"]) for o in acc["owners"]) == sorted([(parent, fd), (child, fd)]), acc
assert acc["limbo"] is None and acc["inode"] != 0
# The IPv4 client of the dual-stack listener waits as a v4-mapped child.
q = [s for s in socks if s["local_port"] == 4001 and s["state"] == "established"]
assert len(q) == 1, q
q = q[0]
assert q["family"] == "inet6" and q["local_addr"] == "::ffff:127.0.0.1", q
assert q["limbo"] == "accept-queue" and q["listener"]["local_addr"] == "::", q
assert [o["pid"] for o in q["listener_owners"]] == [dual], q
# The client's side is an ordinary IPv4 socket it owns.
c = [s for s in socks if s["remote_port"] == 4001]
assert len(c) == 1 and c[0]["family"] == "inet" and [o["pid"] for o in c[0]["owners"]] == [client], c
print("ok: owners, fork sharing, v6, dual-stack")
PY

# -4 and -6 split the families; filters by pid and comm find the sockets.
"$TCPLIMBO" -4 ls --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s and all(x["family"] == "inet" for x in s), s' || fail "-4"
"$TCPLIMBO" -6 ls --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s and all(x["family"] == "inet6" for x in s), s' || fail "-6"
"$TCPLIMBO" ls --json --pid "$DUAL" | python3 -c '
import json, sys
s = json.load(sys.stdin)
# its two listeners, and the child waiting on one of them
assert sorted((x["state"], x["local_port"]) for x in s) == [("established", 4001), ("listen", 4001), ("listen", 4002)], s' || fail "--pid"
# A thread's id is taken as its process's, and said so.
tl_wait_for 5 test -s "$T/tid" || fail "no thread id"
read -r TID <"$T/tid"
[ "$TID" != "$DUAL" ] || fail "the thread has the process's id"
proj='[.[] | [.state, .local_port, .inode]] | sort'
"$TCPLIMBO" ls --json --pid "$DUAL" 2>/dev/null | jq -c "$proj" >"$T/bypid"
"$TCPLIMBO" ls --json --pid "$TID" 2>"$T/e" | jq -c "$proj" >"$T/bytid"
[ "$(jq length "$T/bypid")" = 3 ] && cmp -s "$T/bypid" "$T/bytid" || fail "--pid of a thread: not the process's sockets: $(cat "$T/bytid")"
grep -q "^tcplimbo: --pid $TID is a thread of process $DUAL; taking the process" "$T/e" ||
	fail "--pid of a thread: not said: $(cat "$T/e")"
"$TCPLIMBO" ls --json --sport 4000 --state established | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert len(s) == 1 and s[0]["local_port"] == 4000, s' || fail "--sport"
"$TCPLIMBO" ls --json --addr ::1 --dport 4000 | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert len(s) == 1 and s[0]["remote_port"] == 4000, s' || fail "--addr/--dport"
"$TCPLIMBO" ls --json --addr 127.0.0.1 --sport 4001 | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert len(s) == 1 and s[0]["local_addr"] == "::ffff:127.0.0.1", s' || fail "--addr v4 matches v4-mapped"
"$TCPLIMBO" ls --json --limbo accept-queue | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert len(s) == 1 and s[0]["local_port"] == 4001, s' || fail "--limbo"
# In capitals, as --state takes them.
"$TCPLIMBO" ls --json --limbo ACCEPT-QUEUE | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert len(s) == 1 and s[0]["local_port"] == 4001, s' || fail "--limbo ACCEPT-QUEUE"
"$TCPLIMBO" ls --json --comm python3 --state listen | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert sorted(x["local_port"] for x in s) == [4000, 4001, 4002], s' || fail "--comm"
# --no-owners skips /proc: owners not looked for, but limbo is still known.
"$TCPLIMBO" ls --json --no-owners | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert all(x["owners"] is None and x["owners_complete"] is None for x in s), s
assert any(x["limbo"] == "accept-queue" for x in s), s' || fail "--no-owners"
# A process name with a quote, a backslash, a ')' and a space comes out
# as the same string in JSON, and the table still names the owner.
python3 -c '
import socket, time
open("/proc/self/comm", "w").write("a\") b\\c")
s = socket.socket(); s.bind(("127.0.0.1", 4009)); s.listen(1)
time.sleep(60)' &
ODD=$!
tl_wait_for 5 tl_listening 4009 || fail "odd-name server"
"$TCPLIMBO" ls --json --sport 4009 | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert len(s) == 1 and s[0]["owners"][0]["comm"] == "a\") b\\c", s
assert s[0]["owners"][0]["pid"] == int(sys.argv[1]), s' "$ODD" || fail "odd comm in JSON"
# The table shows the backslash doubled (as ls -b does), so that no name
# can pass for an escape such as \x1b.
"$TCPLIMBO" ls --sport 4009 | grep -qF "$ODD/a\") b\\\\c fd" || fail "odd comm in the table"
# --comm takes the name as given and as shown, escapes and all.
for name in 'a") b\c' 'a") b\\c'; do
	[ "$("$TCPLIMBO" ls --no-header --comm "$name" --state listening | wc -l)" = 1 ] ||
		fail "--comm '$name' does not find the odd-name server"
done
python3 -c '
import socket, time
open("/proc/self/comm", "w").write("nl\nx\x1b[31m")
s = socket.socket(); s.bind(("127.0.0.1", 4010)); s.listen(1)
time.sleep(60)' &
tl_wait_for 5 tl_listening 4010 || fail "control-name server"
shown=$("$TCPLIMBO" ls --json --sport 4010 | jq -r '.[0].owners[0].comm')
"$TCPLIMBO" ls --sport 4010 | grep -qF 'nl\x0ax\x1b[31m' || fail "the control name is not shown escaped"
[ "$("$TCPLIMBO" ls --no-header --comm 'nl\x0ax\x1b[31m' | wc -l)" = 1 ] ||
	fail "--comm with the name as the table shows it finds nothing"
[ "$("$TCPLIMBO" ls --no-header --comm "$shown" | wc -l)" = 1 ] ||
	fail "--comm with the raw name finds nothing"
# A name of the 15 bytes nl\x0ax\x1b[31m, backslashes and all, shown with
# its backslashes doubled, is another name than the one above: each form
# finds one process, not both.
python3 -c '
import socket, time
open("/proc/self/comm", "w").write(r"nl\x0ax\x1b[31m")
s = socket.socket(); s.bind(("127.0.0.1", 4011)); s.listen(1)
time.sleep(60)' &
tl_wait_for 5 tl_listening 4011 || fail "backslash-name server"
"$TCPLIMBO" ls --sport 4011 | grep -qF 'nl\\x0ax\\x1b[31m fd' ||
	fail "the backslash name is not shown with its backslashes doubled: $("$TCPLIMBO" ls --sport 4011)"
"$TCPLIMBO" ls --no-header --comm 'nl\x0ax\x1b[31m' --state listening >"$T/one"
[ "$(wc -l <"$T/one")" = 1 ] && grep -q ':4010 ' "$T/one" ||
	fail "--comm 'nl\x0ax\x1b[31m' does not find the control name alone: $(cat "$T/one")"
"$TCPLIMBO" ls --no-header --comm 'nl\\x0ax\\x1b[31m' --state listening >"$T/one"
[ "$(wc -l <"$T/one")" = 1 ] && grep -q ':4011 ' "$T/one" ||
	fail "--comm 'nl\\x0ax\\x1b[31m' does not find the backslash name alone: $(cat "$T/one")"
ok "owners; --comm takes a name as the table shows it"
