#!/usr/bin/env bash
# The post's case under `tcplimbo doctor`: a server that listens and never
# accepts. Right after the client dials, queueing is normal (exit 0); once
# the connection has waited past --queue-age, the doctor names the server
# (warning, exit 1); once the client has written, closed and left, the
# queued socket is CLOSE_WAIT and it is critical (exit 2). Only that one
# finding, whatever the step: the client's orphan FIN_WAIT2 is not one.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"

python3 "$SRV" no-accept --port 3000 --seconds 120 >"$T/srv" &
SERVER=$!
tl_wait_for 5 tl_listening 3000 || fail "server did not listen"

mkfifo "$T/go"
python3 -c '
import socket, sys, time
c = socket.create_connection(("127.0.0.1", 3000))
print(c.getsockname()[1], flush=True)
open(sys.argv[1]).read()
c.send(b"ping")
c.close()
time.sleep(120)' "$T/go" >"$T/port" &
tl_wait_for 5 test -s "$T/port" || fail "client did not connect"

doctor() { # expected-exit, then doctor options
	local want=$1 rc
	shift
	"$TCPLIMBO" doctor --json "$@" >"$T/d.json"
	rc=$?
	[ "$rc" = "$want" ] || { cat "$T/d.json"; fail "doctor exit $rc, want $want"; }
}

# 1. Just connected: short queueing is how TCP works.
doctor 0 --queue-age 20s
jq -e '.findings == []' "$T/d.json" >/dev/null || fail "finding on a fresh queue"
ok "fresh queue: no finding, exit 0"

# A tenth of 60 s leaves a slow machine six seconds to get here.
doctor 0 --queue-age 60s
jq -e '.netns[0].below_age_thresholds.queued == 0' "$T/d.json" >/dev/null ||
	fail "a queue younger than a tenth of --queue-age is told"

# 1b. Past a tenth of the threshold, not past it: told, not counted.
sleep 1.2
doctor 0 --queue-age 10s
jq -e '.findings == [] and
	.netns[0].below_age_thresholds.queued == 1 and
	.netns[0].below_age_thresholds.queued_oldest_ms >= 1000' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "below_age_thresholds: not the one queued"; }
"$TCPLIMBO" doctor --queue-age 10s >"$T/d.txt"
[ $? = 0 ] || fail "a queue below --queue-age changed the exit status"
tr -s '\n ' ' ' <"$T/d.txt" | grep -q "not yet a finding: 1 connection waits in an accept queue, for [0-9.]* m\?s (a finding from --queue-age 10s)" ||
	{ cat "$T/d.txt"; fail "text: no 'not yet a finding' note"; }
ok "queued past a tenth of --queue-age: told, exit 0"

# 2. Queued for longer than the threshold: not-accepting, a warning.
doctor 1 --queue-age 1s
jq -e '.netns[0].below_age_thresholds.queued == 0' "$T/d.json" >/dev/null ||
	fail "the finding's connection is told again as young"
jq -e --argjson p "$SERVER" '
	(.findings | length) == 1 and
	.findings[0].kind == "not-accepting" and
	.findings[0].severity == "warning" and
	.findings[0].pids == [$p] and
	.findings[0].comm == "python3" and
	.findings[0].local_addr == "127.0.0.1" and
	.findings[0].local_port == 3000 and
	.findings[0].count == 1 and
	.findings[0].oldest_ms >= 1000 and
	(.findings[0].cmdline | contains("no-accept")) and
	(.findings[0].explanation | length) > 0 and
	(.findings[0].remedy | length) > 0' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "step 2"; }
ok "queued past --queue-age: not-accepting, pid $SERVER, exit 1"

# 3. The client writes, closes, leaves: CLOSE_WAIT with Recv-Q 5 (ss agrees).
echo go >"$T/go"
tl_wait_for 5 sh -c 'ss -Htn state close-wait "sport = :3000" | grep -q .' ||
	fail "no CLOSE_WAIT"
[ "$(ss -Htn state close-wait 'sport = :3000' | awk '{print $1}')" = 5 ] ||
	fail "ss: Recv-Q is not 5"
doctor 2 --queue-age 1s
jq -e --argjson p "$SERVER" '
	(.findings | length) == 1 and
	.findings[0].kind == "not-accepting" and
	.findings[0].severity == "critical" and
	.findings[0].pids == [$p]' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "step 3"; }
ok "client gone: critical, still one finding, exit 2"

# The text report names the process and its command line.
"$TCPLIMBO" doctor --queue-age 1s >"$T/d.txt"
[ $? = 2 ] || fail "text: exit status"
grep -q "== pid $SERVER (python3):.*no-accept" "$T/d.txt" || { cat "$T/d.txt"; fail "text: no process header"; }
grep -q "CRITICAL not-accepting on 127.0.0.1:3000" "$T/d.txt" || { cat "$T/d.txt"; fail "text: no finding line"; }
# A guess at what a Python program's threads wait on says how to see it.
grep -q "inspect: Python: gdb -p $SERVER -batch -ex .thread apply all py-bt. shows" "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "text: no inspect line for Python"; }
jq -e '.findings[0].inspect | startswith("Python: ")' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "json: no inspect for Python"; }
# One connection: the fixed paragraphs say nothing of "these connections".
tr -s ' \n' ' ' <"$T/d.txt" | grep -q "A connection queued this long has waited longer than a working accept loop would let it." &&
	! grep -qi "these connections" "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "text: plural words for one connection"; }
ok "text report"

# With the default threshold (5 s) the same queue is still young enough.
"$TCPLIMBO" doctor --queue-age 1m >/dev/null
[ $? = 0 ] || fail "--queue-age 1m should find nothing"
ok "threshold respected"

# Clients that reset while queued (SO_LINGER 0, as health checkers and
# timed-out clients do): the kernel keeps each in the queue, in the
# listener's Recv-Q, but no dump lists them. They count, and are said.
tl_listen_idle 3001 60
tl_queue_gone 3001 1 2 || fail "clients of 3001"
tl_wait_for 5 sh -c '[ "$(ss -Htln "sport = :3001" | awk "{print \$2}")" = 3 ]' &&
	[ "$(ss -Htn 'sport = :3001' | wc -l)" = 1 ] ||
	{ ss -tan; fail "ss: 3 queued, 1 shown, was the premise"; }
sleep 1.1
"$TCPLIMBO" doctor --queue-age 1s >"$T/r.txt" 2>"$T/r.err"
rc=$?
"$TCPLIMBO" doctor --queue-age 1s --json >"$T/r.json" 2>/dev/null
tr -s ' \n' ' ' <"$T/r.txt" | grep -q "not accepting connections on 127.0.0.1:3001: 3 queued, the oldest for [0-9.]* s, 1 of them already closed by the client (CLOSE-WAIT), 2 reset by their clients or destroyed while queued (counted in the listener's Recv-Q, listed by no dump)" ||
	{ cat "$T/r.txt" "$T/r.err"; fail "reset clients: not counted or not said"; }
jq -e '[.findings[] | select(.local_port == 3001)] | length == 1 and .[0].count == 3 and .[0].severity == "critical"' "$T/r.json" >/dev/null ||
	{ cat "$T/r.json"; fail "reset clients: json count"; }
[ $rc = 2 ] || fail "reset clients: exit $rc, want 2"
ok "2 clients reset while queued: in the count, and said"
