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
