#!/usr/bin/env bash
# A client that half-closes (shutdown(SHUT_WR)) and keeps its fds, talking
# to a server that never closes: the client's FIN_WAIT2 sockets have no
# timer (only orphans get tcp_fin_timeout), the server's are CLOSE_WAIT.
# The doctor reports both sides, each with its own pid.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"

python3 "$SRV" leak --port 3003 --seconds 120 >/dev/null &
SERVER=$!
tl_wait_for 5 tl_listening 3003 || fail "server did not listen"
python3 "$SRV" clients --port 3003 --count 2 --half-close --seconds 120 >"$T/cli" &
CLIENT=$!
tl_wait_for 5 test -s "$T/cli" || fail "clients did not connect"
tl_wait_for 5 sh -c '[ "$(ss -Htn state fin-wait-2 "dport = :3003" | wc -l)" = 2 ]' ||
	fail "ss: not 2 FIN_WAIT2"
sleep 1.5

# Below both thresholds but past a tenth: told on both sides, exit 0.
"$TCPLIMBO" doctor --fin-wait2-age 10s --close-wait-age 10s >"$T/d.txt"
rc=$?
[ $rc = 0 ] || { cat "$T/d.txt"; fail "below the thresholds: exit $rc, want 0"; }
tr -s '\n ' ' ' <"$T/d.txt" | grep -q "not yet a finding: 2 CLOSE-WAIT connections are held, the oldest for [0-9.]* m\?s (a finding from --close-wait-age 10s); 2 FIN-WAIT-2 connections are held, the oldest for [0-9.]* m\?s (a finding from --fin-wait2-age 10s). Look again later, or lower the thresholds." ||
	{ cat "$T/d.txt"; fail "text: no note for the young FIN-WAIT-2 and CLOSE-WAIT"; }
ok "FIN-WAIT-2 and CLOSE-WAIT below their thresholds: told, exit 0"

"$TCPLIMBO" doctor --json --fin-wait2-age 1s --close-wait-age 1s >"$T/d.json"
rc=$?
[ $rc = 1 ] || { cat "$T/d.json"; fail "exit $rc, want 1"; }
jq -e --argjson c "$CLIENT" --argjson s "$SERVER" '
	(.findings | length) == 2 and
	([.findings[] | select(.kind == "fin-wait2-stuck" and .pids == [$c] and .count == 2)] | length) == 1 and
	([.findings[] | select(.kind == "close-wait-leak" and .pids == [$s] and .count == 2)] | length) == 1' \
	"$T/d.json" >/dev/null || { cat "$T/d.json"; fail "findings"; }
ok "fin-wait2-stuck (pid $CLIENT) and close-wait-leak (pid $SERVER)"

# Under the default 60 s, the same sockets are not stuck yet.
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/d.json"
jq -e '[.findings[] | select(.kind == "fin-wait2-stuck")] == []' "$T/d.json" >/dev/null ||
	fail "fin-wait2 threshold ignored"
ok "default fin-wait2 threshold"
