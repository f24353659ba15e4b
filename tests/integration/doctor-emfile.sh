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
