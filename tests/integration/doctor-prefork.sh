#!/usr/bin/env bash
# A pre-forking server (nginx's master and worker): the parent and its child
# share one listener, only the child accepts and it is at its fd limit. The
# doctor names the child alone as fd-exhaustion, with the child's own fd
# numbers; the master, with fds to spare, is not the one failing accept().
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"

"$TCPLIMBO" lab server --mode prefork-emfile --port 3004 --nofile 32 \
	--seconds 120 --sync-fd 3 3>"$T/sync" >"$T/srv" 2>&1 &
MASTER=$!
tl_wait_for 10 grep -q '^ready' "$T/sync" || { cat "$T/srv"; fail "worker not ready"; }
WORKER=$(pgrep -P "$MASTER" | head -n 1)
[ -n "$WORKER" ] || fail "no worker under pid $MASTER"
# Both hold the listener: ss names two processes on it.
[ "$(ss -Htlnp 'sport = :3004' | grep -o 'pid=[0-9]*' | sort -u | wc -l)" = 2 ] ||
	{ ss -Htlnp; fail "ss: the listener is not shared by two processes"; }
python3 "$SRV" clients --port 3004 --count 2 --hold --seconds 120 >"$T/cli" &
tl_wait_for 5 test -s "$T/cli" || fail "clients did not connect"
# The worker's accept() fails: the queue stays at 2 (ss is the oracle).
tl_wait_for 5 sh -c "[ \"\$(ss -Htln 'sport = :3004' | awk '{print \$2}')\" = 2 ]" ||
	fail "ss: queue is not 2"
sleep 1.2

"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d.json"
rc=$?
[ $rc = 2 ] || { cat "$T/d.json"; fail "exit $rc, want 2"; }
jq -e --argjson w "$WORKER" '
	(.findings | length) == 1 and
	.findings[0].kind == "fd-exhaustion" and
	.findings[0].pids == [$w] and
	.findings[0].local_port == 3004 and
	.findings[0].limit == 32 and
	.findings[0].value >= 32 and
	(.findings[0].summary | startswith("pid \($w) (lab-server) has ")) and
	(.findings[0].summary | contains("one more process shares the listener"))' \
	"$T/d.json" >/dev/null || { cat "$T/d.json"; fail "fd-exhaustion names the worker alone"; }
jq -e --arg m "$MASTER" '.findings[0].summary | contains($m) | not' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "the master is named"; }
ok "fd-exhaustion: worker $WORKER alone, not master $MASTER"

"$TCPLIMBO" doctor --queue-age 1s >"$T/d.txt"
# The summary is wrapped: join its lines before looking at it.
tr -s ' \n' '  ' <"$T/d.txt" |
	grep -q "pid $WORKER (lab-server) has [0-9]* of 32 fds open: at the limit, where accept() fails with EMFILE" ||
	{ cat "$T/d.txt"; fail "text summary"; }
ok "text: the worker's own numbers"

# Postfix's shape: a master (its command line names postfix) whose
# workers (smtpd, whose own words name no limit) each hold a client that
# says nothing, at its process limit. The setting is the master's words
# (maxproc in master.cf), looked up past the lead worker.
cat >"$T/worker.py" <<'PY'
import socket, time
ls = socket.socket(fileno=3)
c, _ = ls.accept()
c.recv(100)
time.sleep(60)
PY
cat >"$T/master.py" <<'PY'
import os, socket, sys, time
ls = socket.socket()
ls.bind(("127.0.0.1", 3005))
ls.listen(8)
os.dup2(ls.fileno(), 3)
os.set_inheritable(3, True)
for _ in range(2):
    if os.fork() == 0:
        os.execv("/bin/bash", ["bash", "-c", 'exec -a smtpd /usr/bin/python3 "$0"', sys.argv[1]])
time.sleep(60)
PY
(exec -a /usr/lib/postfix/sbin/master /usr/bin/python3 "$T/master.py" "$T/worker.py") &
PF=$!
# Its workers are no jobs of ours: killed by their parent's pid.
trap 'kill $(pgrep -P "$PF") 2>/dev/null; tl_cleanup_jobs; rm -rf "$T"' EXIT
tl_wait_for 5 tl_listening 3005 || fail "3005 did not listen"
tl_wait_for 5 sh -c '[ "$(pgrep -fc "^smtpd $1")" = 2 ]' _ "$T/worker.py" ||
	fail "the two workers did not start"
python3 -c '
import socket, time
cs = [socket.create_connection(("127.0.0.1", 3005)) for _ in range(4)]
time.sleep(60)' &
tl_wait_for 5 sh -c "[ \"\$(ss -Htln 'sport = :3005' | awk '{print \$2}')\" = 2 ]" ||
	{ ss -tanp; fail "ss: 2 queued behind the 2 busy workers was the premise"; }
sleep 1.2
"$TCPLIMBO" doctor --queue-age 1s --json >"$T/pf.json"
jq -e '[.findings[] | select(.local_port == 3005)] | length == 1 and
	.[0].cause == "connection-limit" and
	(.[0].setting // "" | startswith("Postfix: the maxproc column of master.cf"))' \
	"$T/pf.json" >/dev/null ||
	{ jq '.findings' "$T/pf.json"; fail "Postfix-like master and workers at their limit: no Postfix setting"; }
ok "a master named postfix, its workers at their limit: the maxproc setting"
