#!/usr/bin/env bash
# Healthy traffic is no finding: a correct server handling 200 long-lived
# connections and 400 short request/response ones (which leave TIME_WAIT
# behind on the client side) must give exit 0 and an empty list, with the
# default thresholds.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"

python3 "$SRV" echo --port 3004 --seconds 120 >/dev/null &
tl_wait_for 5 tl_listening 3004 || fail "server did not listen"
python3 "$SRV" busy --port 3004 --count 200 --short 400 --seconds 120 >"$T/cli" &
tl_wait_for 60 test -s "$T/cli" || fail "clients did not finish"

est=$(ss -Htn state established | wc -l)
tw=$(ss -Htn state time-wait | wc -l)
[ "$est" -ge 400 ] || fail "ss: only $est ESTABLISHED"
[ "$tw" -ge 300 ] || fail "ss: only $tw TIME_WAIT"

"$TCPLIMBO" doctor --json >"$T/d.json"
rc=$?
[ $rc = 0 ] || { cat "$T/d.json"; fail "exit $rc on healthy traffic"; }
jq -e '.findings == [] and .netns[0].looked and .netns[0].sockets >= 700' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "findings on healthy traffic"; }
"$TCPLIMBO" doctor | grep -q "^No TCP limbo found" || fail "text report"
ok "healthy: $est established, $tw time-wait, no finding"
