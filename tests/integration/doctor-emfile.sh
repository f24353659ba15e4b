#!/usr/bin/env bash
# A server at its RLIMIT_NOFILE: accept() fails with EMFILE and clients wait
# in the accept queue. The doctor names it as fd-exhaustion (critical), with
# the listener and its queued connections, not as a mere not-accepting.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"

python3 "$SRV" emfile --port 3002 --nofile 32 --seconds 120 >"$T/srv" &
SERVER=$!
tl_wait_for 5 test -s "$T/srv" || fail "server not ready"
python3 "$SRV" clients --port 3002 --count 2 --hold --seconds 120 >"$T/cli" &
tl_wait_for 5 test -s "$T/cli" || fail "clients did not connect"
# ss: the listener's Recv-Q is the accept queue, and it does not drain.
sleep 1.2
[ "$(ss -Htln 'sport = :3002' | awk '{print $2}')" = 2 ] || fail "ss: queue is not 2"

"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d.json"
rc=$?
[ $rc = 2 ] || { cat "$T/d.json"; fail "exit $rc, want 2"; }
jq -e --argjson p "$SERVER" '
	(.findings | length) == 1 and
	.findings[0].kind == "fd-exhaustion" and
	.findings[0].severity == "critical" and
	.findings[0].pids == [$p] and
	.findings[0].local_port == 3002 and
	.findings[0].count == 2 and
	.findings[0].limit == 32 and
	.findings[0].value >= 32 and
	(.findings[0].summary | contains("EMFILE"))' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "fd-exhaustion"; }
ok "fd-exhaustion: pid $SERVER, 2 queued, EMFILE"

# ncat -lk at its RLIMIT_NOFILE: its select() loop sees the listener
# readable while connections wait, accept() fails with EMFILE, and it
# spins. The listener is in no epoll set, so only the CPU the thread
# burns while the doctor looks tells the loop; the doctor measures it
# (busy_pct) and says so when it is most of a CPU. On a loaded machine
# the spinning thread may get less: the text must then say nothing of a
# busy loop, which the test checks as well.
command -v ncat >/dev/null || skip "ncat not installed"
kill "$SERVER" 2>/dev/null
(ulimit -n 16 && exec ncat -lk 127.0.0.1 3003 </dev/null >/dev/null 2>&1) &
NCAT=$!
tl_wait_for 5 tl_listening 3003 || fail "ncat did not listen"
python3 "$SRV" clients --port 3003 --count 20 --hold --seconds 120 >"$T/cli2" &
tl_wait_for 5 test -s "$T/cli2" || fail "clients of ncat did not connect"
tl_wait_for 5 test "$(ss -Htln 'sport = :3003' | awk '{print $2}')" -gt 0 ||
	fail "ncat's queue is empty: it did not reach its limit"
sleep 1.2
"$TCPLIMBO" doctor --json --queue-age 1s >"$T/n.json"
rc=$?
[ $rc = 2 ] || { cat "$T/n.json"; fail "ncat: exit $rc, want 2"; }
# One finding for ncat's listener, with the thread measured as running.
jq -e --argjson p "$NCAT" '
	[.findings[] | select(.kind == "fd-exhaustion" and .pids == [$p] and
		.local_port == 3003)] | length == 1' "$T/n.json" >/dev/null ||
	{ cat "$T/n.json"; fail "ncat: no fd-exhaustion on its listener"; }
# Busy: the share it ran, or was runnable where a loaded machine kept it
# waiting for a CPU (the doctor's own measure of a loop that never waits).
busy=$(jq -r --argjson p "$NCAT" '.findings[] | select(.pids == [$p]) |
	.evidence[0].threads[0] | if .busy_pct == null then "none" else
	[.busy_pct, (.runnable_pct // 0)] | max end' "$T/n.json")
text=$(jq -r --argjson p "$NCAT" '.findings[] | select(.pids == [$p]) |
	.evidence[0].text' "$T/n.json")
[ "$busy" != none ] || { cat "$T/n.json"; fail "ncat: its running thread was not measured"; }
if [ "$busy" -ge 50 ]; then
	case $text in
	*"% of a CPU"*"a loop that retries the failing accept() at once"*) ;;
	*) fail "ncat at $busy % of a CPU, but no busy loop told: $text" ;;
	esac
	ok "ncat: a select() loop spinning on EMFILE ($busy % of a CPU)"
else
	case $text in
	*"retries the failing accept() at once"*) fail "ncat at $busy % of a CPU told as a busy loop: $text" ;;
	esac
	ok "ncat: at $busy % of a CPU (a loaded machine), no busy loop told"
fi
