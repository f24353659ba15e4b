#!/usr/bin/env bash
# A listener shared by seven processes (a pre-forked server): watch keeps
# four owners a socket and must say how many more there are, not drop them.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 -c '
import os, socket, time
s = socket.socket(); s.bind(("127.0.0.1", 3006)); s.listen(8)
for _ in range(6):
    if os.fork() == 0:
        break
time.sleep(30)' &
tl_wait_for 5 tl_listening 3006 || fail "no server"
"$TCPLIMBO" watch --backend poll --json --interval 100 --seconds 60 --sport 3006 >"$T/out" 2>"$T/err" &
W=$!
# Connect once watch has its first dump, and stop it once it told the
# close: on a loaded machine python3 alone takes seconds to start, which
# outran a fixed window.
tl_wait_for 10 grep -q "backend poll" "$T/err" || fail "watch did not start: $(cat "$T/err")"
python3 -c '
import socket, time
c = socket.create_connection(("127.0.0.1", 3006)); time.sleep(0.3); c.close()' || fail "client"
tl_wait_for 10 grep -q '"new_state":"close-wait"' "$T/out" ||
	{ cat "$T/out"; fail "watch told no close-wait"; }
kill -INT "$W"
wait "$W" || fail "watch exit $?: $(cat "$T/err")"
python3 - "$T/out" <<'PY' || fail "owners_more"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
cw = [e for e in evs if e["new_state"] == "close-wait" and e["local_port"] == 3006]
assert len(cw) == 1, evs
e = cw[0]
assert len(e["listener_owners"]) + e["listener_owners_more"] == 7, e
assert e["listener_owners_more"] > 0 and e["owners_more"] == 0, e
print("ok:", len(e["listener_owners"]), "shown +", e["listener_owners_more"])
PY
ok "shared listener owners counted"
