#!/usr/bin/env bash
# ls's filters on watch: --state keeps transitions into or out of a state,
# --pid the sockets a process holds or whose listener it holds, --dport
# the remote port. Three watches run over one post-style connection.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_listen_idle 3005 30
W=()
for f in "--state close-wait" "--pid $SERVER" "--dport 3005"; do
	n=${#W[@]}
	# shellcheck disable=SC2086
	"$TCPLIMBO" watch --json --backend poll --interval 100 $f >"$T/out.$n" 2>"$T/err.$n" &
	W+=($!)
	tl_wait_for 10 grep -q backend "$T/err.$n" || fail "watch $f did not start"
done
python3 -c '
import socket, time
c = socket.create_connection(("127.0.0.1", 3005))
time.sleep(0.5)
c.close()' || fail "client"
tl_wait_for 5 sh -c "ss -Htan state fin-wait-2 | grep -q :3005" || fail "no FIN_WAIT2"
sleep 0.5
kill -INT "${W[@]}"
wait "${W[@]}" || fail "a watch failed"
python3 - "$T" "$SERVER" <<'PY' || fail "filters"
import json, sys
d, server = sys.argv[1], int(sys.argv[2])
load = lambda n: [json.loads(l) for l in open(f"{d}/out.{n}") if l.strip()]
st, pid, dport = load(0), load(1), load(2)
# --state close-wait: only the server side entering close-wait.
assert st and all("close-wait" in (e["old_state"], e["new_state"]) for e in st), st
# --pid SERVER: the server side only (named through its listener).
assert pid and all(e["local_port"] == 3005 for e in pid), pid
assert all([o["pid"] for o in e["listener_owners"]] == [server] for e in pid), pid
assert any(e["new_state"] == "close-wait" for e in pid), pid
# --dport 3005: the client side only, through fin-wait-2.
assert dport and all(e["remote_port"] == 3005 for e in dport), dport
assert any(e["new_state"] == "fin-wait-2" for e in dport), dport
print("ok:", len(st), len(pid), len(dport))
PY
ok "watch --state, --pid and --dport"
