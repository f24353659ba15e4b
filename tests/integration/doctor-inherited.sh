#!/usr/bin/env bash
# A server that starts a program for each connection without marking its
# fds close-on-exec: the program (sleep) inherits the accepted connection,
# the server closes its own copy, and the connection stays in CLOSE-WAIT,
# held by sleep, after the client leaves. ss shows sleep as the holder;
# the doctor names sleep as the holder too, but says it did not accept the
# connection, names the server that did, and gives the server's remedy
# (SOCK_CLOEXEC); where sleep inherited the listener as well, at the
# server's fd, the same, with a supervisor's worker named as what else it
# could be. A server that forks a copy of itself to serve each
# connection, which then leaks it, is told as its own leak instead.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
KID= KID2=
# The servers' children outlive them: end them too, or they hold the
# test's output open for their minute.
trap '[ -n "$KID$KID2" ] && kill $KID $KID2 2>/dev/null; pkill -f "$T/srv.py"; tl_cleanup_jobs; rm -rf "$T"' EXIT

# mode spawn: sleep inherits the connection; spawn-all: the listener
# too; mode fork: a child of the same program keeps it (and never closes
# it).
cat >"$T/srv.py" <<'PY'
import os, socket, subprocess, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
print("ready", flush=True)
end = time.time() + 60
s.settimeout(0.5)
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    if mode.startswith("spawn"):
        os.set_inheritable(c.fileno(), True)
        if mode == "spawn-all":
            os.set_inheritable(s.fileno(), True)
        kid = subprocess.Popen(["sleep", "60"], close_fds=False)
        print(kid.pid, flush=True)
    elif os.fork() == 0:
        s.close()
        time.sleep(60)
        os._exit(0)
    c.close()
PY

# spawn MODE PORT: starts the server, whose client sends and leaves; waits
# for the program it starts (pid in KIDPID) and for the CLOSE-WAIT.
spawn() {
	python3 "$T/srv.py" "$1" "$2" >"$T/$1" 2>"$T/$1.err" &
	SERVER=$!
	tl_wait_for 5 tl_listening "$2" || fail "$1: the server did not listen on $2"
	(exec 3<>"/dev/tcp/127.0.0.1/$2" && printf hello >&3) || fail "$1: the client could not connect"
	tl_wait_for 5 sh -c "[ \$(wc -l <'$T/$1') = 2 ]" || fail "$1: the server started no program"
	KIDPID=$(sed -n 2p "$T/$1")
	tl_wait_for 5 sh -c "[ \"\$(ss -Htn state close-wait 'sport = :$2' | wc -l)\" = 1 ]" ||
		fail "$1: ss: no CLOSE-WAIT on :$2"
}

spawn spawn 3010
KID=$KIDPID
# The oracle: ss names sleep as the holder.
ss -Htnp state close-wait "sport = :3010" | grep -q "\"sleep\",pid=$KID," ||
	{ ss -Htnp state close-wait; fail "ss: sleep ($KID) does not hold it"; }
sleep 1.2
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/d.json"
rc=$?
[ $rc = 1 ] || { cat "$T/d.json"; fail "inherited: exit $rc, want 1"; }
jq -e --argjson k "$KID" --argjson s "$SERVER" '
	(.findings | length) == 1 and
	.findings[0].kind == "close-wait-leak" and
	.findings[0].pids == [$k] and
	.findings[0].comm == "sleep" and
	.findings[0].inherited_from == $s and
	(.findings[0].summary | contains("it did not accept it: pid \($s) (python3), its parent, holds the listener, so pid \($k) most likely inherited it")) and
	(.findings[0].summary | contains("taken, never served") | not) and
	(.findings[0].remedy | contains("SOCK_CLOEXEC"))' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "inherited CLOSE-WAIT not told as the server's"; }
ok "CLOSE-WAIT held by sleep, inherited from python3 $SERVER: the server's remedy"

python3 "$T/srv.py" fork 3011 >/dev/null 2>"$T/fork.err" &
tl_wait_for 5 tl_listening 3011 || fail "forking server did not listen"
(exec 3<>/dev/tcp/127.0.0.1/3011 && printf hello >&3) || fail "client could not connect"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3011" | wc -l)" = 1 ]' ||
	fail "ss: no CLOSE-WAIT on :3011"
sleep 1.2
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/f.json"
jq -e '[.findings[] | select(.local_port == 3011)] | length == 1 and
	(.[0].comm == "python3") and
	(.[0].inherited_from == null) and
	(.[0].summary | contains("did not accept") | not) and
	(.[0].remedy | contains("SOCK_CLOEXEC") | not)' "$T/f.json" >/dev/null ||
	{ cat "$T/f.json"; fail "a forked copy's own leak told as inherited"; }
ok "a forked copy of the server that keeps its connection: its own leak"

spawn spawn-all 3012
KID2=$KIDPID
# The oracle: ss names both as holders of the listener, sleep of the connection.
ss -Htlnp "sport = :3012" | grep -q "\"sleep\",pid=$KID2," ||
	{ ss -Htlnp; fail "ss: sleep ($KID2) does not hold the listener"; }
sleep 1.2
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/a.json"
jq -e --argjson k "$KID2" --argjson s "$SERVER" '[.findings[] | select(.local_port == 3012)] |
	length == 1 and .[0].kind == "close-wait-leak" and .[0].pids == [$k] and
	.[0].inherited_from == $s and
	(.[0].summary | test("; it holds the listener too, at fd [0-9]+ as pid \($s) \\(python3\\), its parent, does: most likely it inherited both")) and
	(.[0].summary | contains("taken, never served") | not) and
	(.[0].remedy | contains("SOCK_CLOEXEC") and contains("a supervisor'"'"'s worker"))' "$T/a.json" >/dev/null ||
	{ cat "$T/a.json"; fail "inherited listener and connection not told as the server's"; }
kill "$KID2" 2>/dev/null
ok "CLOSE-WAIT and the listener held by sleep, both inherited from python3 $SERVER"

# A pre-fork worker that renames itself without exec (varnishd's
# cache-main, gunicorn's workers with setproctitle): another name, the
# same program. It accepts on the listener it shares with its parent and
# keeps the connection: its own leak, not an inherited one.
python3 -c '
import ctypes, os, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 3013)); s.listen(8)
if os.fork() == 0:
    libc = ctypes.CDLL(None)
    libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG: SIGKILL, with its parent
    libc.prctl(15, b"cache-main", 0, 0, 0)  # PR_SET_NAME
    c = s.accept()[0]
    time.sleep(60)
    os._exit(0)
time.sleep(60)' &
tl_wait_for 5 tl_listening 3013 || fail "pre-fork server did not listen"
(exec 3<>/dev/tcp/127.0.0.1/3013 && printf hello >&3) || fail "client could not connect"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3013" | wc -l)" = 1 ]' ||
	fail "ss: no CLOSE-WAIT on :3013"
ss -Htnp state close-wait "sport = :3013" | grep -q '"cache-main"' ||
	{ ss -Htnp state close-wait; fail "ss: cache-main does not hold it"; }
sleep 1.2
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/p.json"
jq -e '[.findings[] | select(.local_port == 3013)] | length == 1 and
	.[0].kind == "close-wait-leak" and .[0].comm == "cache-main" and
	.[0].inherited_from == null and
	(.[0].summary | contains("inherited") | not) and
	(.[0].remedy | contains("SOCK_CLOEXEC") | not)' "$T/p.json" >/dev/null ||
	{ cat "$T/p.json"; fail "a renamed pre-fork worker's own leak told as inherited"; }
ok "a pre-fork worker named cache-main that keeps its connection: its own leak"

# A script the server starts, of the same interpreter (its shebang names
# python3 too), which inherits the connection: one program file, but
# exec()ed again, so not the server's image. It is inherited, as sleep's.
cat >"$T/handler.py" <<PY
#!$(python3 -c 'import sys; print(sys.executable)')
import time
time.sleep(60)
PY
chmod +x "$T/handler.py"
python3 -c '
import os, socket, subprocess, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 3014)); s.listen(8)
c = s.accept()[0]
os.set_inheritable(c.fileno(), True)
kid = subprocess.Popen([sys.argv[1]], close_fds=False)
print(kid.pid, flush=True)
c.close()
time.sleep(60)' "$T/handler.py" >"$T/h.pid" &
tl_wait_for 5 tl_listening 3014 || fail "the script-starting server did not listen"
(exec 3<>/dev/tcp/127.0.0.1/3014 && printf hello >&3) || fail "client could not connect"
tl_wait_for 5 test -s "$T/h.pid" || fail "the server started no script"
KID3=$(cat "$T/h.pid")
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3014" | wc -l)" = 1 ]' ||
	fail "ss: no CLOSE-WAIT on :3014"
sleep 1.2
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/s.json"
kill "$KID3" 2>/dev/null
jq -e --argjson k "$KID3" '[.findings[] | select(.local_port == 3014)] | length == 1 and
	.[0].pids == [$k] and .[0].comm == "handler.py" and .[0].inherited_from != null and
	(.[0].remedy | contains("SOCK_CLOEXEC"))' "$T/s.json" >/dev/null ||
	{ jq '[.findings[] | select(.local_port == 3014)]' "$T/s.json"; fail "a script of the same interpreter: not told as inherited"; }
ok "a script of the same interpreter that inherited the connection: inherited"
