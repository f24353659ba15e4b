#!/usr/bin/env bash
# A listener whose only reference is in a unix socket's message in flight
# (sent with SCM_RIGHTS, never received; its sender closed its own fd) is
# in no process's fd table. Where every process's fds could be read (a pid
# namespace of our own, with its own /proc), doctor must not call its
# holder "a process not seen" or "a holder not seen": it says the
# listener is held where no fd table shows it.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

unshare -p -f --mount-proc true 2>/dev/null || skip "cannot make a pid namespace here"

# In a pid namespace of its own, so that /proc shows only readable ones.
unshare -p -f --mount-proc bash -c '
python3 -c "
import array, os, socket, time
s = socket.socket(); s.bind((\"127.0.0.1\", 6000)); s.listen(8)
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
a.sendmsg([b\"x\"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array(\"i\", [s.fileno()]))])
s.close()
print(\"sent\", flush=True)
time.sleep(60)" >"$1/sent" &
for i in $(seq 50); do [ -s "$1/sent" ] && break; sleep 0.1; done
python3 -c "
import socket
c = socket.create_connection((\"127.0.0.1\", 6000)); c.sendall(b\"GET\"); c.close()"
sleep 1.2
"$2" doctor --queue-age 1s >"$1/d.txt"
echo "rc=$?" >>"$1/d.txt"
"$2" ls --json --sport 6000 --state listening >"$1/ls.json"
kill %1
' bash "$T" "$TCPLIMBO" || fail "the scene in a pid namespace failed"

grep -q "^sent" "$T/sent" || fail "the listener was not sent"
jq -e 'length == 1 and .[0].owners == [] and .[0].owners_complete == true' "$T/ls.json" >/dev/null ||
	{ cat "$T/ls.json"; fail "ls: the listener has owners, or not every process was read"; }
grep -q "^rc=2$" "$T/d.txt" || { cat "$T/d.txt"; fail "doctor: not critical"; }
grep -qx "== no process's fds (every process was read)" "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "doctor: the heading"; }
tr -s ' \n' ' ' <"$T/d.txt" | grep -q "a holder in no process's fds (a socket in flight in a unix socket's message, or in an io_uring's registered files) is not accepting" ||
	{ cat "$T/d.txt"; fail "doctor: the holder is not told as outside every fd table"; }
grep -q "a process not seen\|a holder not seen" "$T/d.txt" &&
	{ cat "$T/d.txt"; fail "doctor: a process not seen, where every one was read"; }
ok "a listener in flight in a unix socket's message: held in no process's fds"
