#!/usr/bin/env bash
# watch --state time-wait with the bpf backend. The kernel reports no
# change into TIME-WAIT: a connection that gets the peer's FIN in
# FIN-WAIT-2 is made a TIME-WAIT entry and its socket goes FIN-WAIT-2 ->
# CLOSE. That change is the one a time-wait filter must keep (before, the
# filter matched nothing the kernel ever reported, and watch stayed
# silent); a FIN-WAIT-2 handed to the timewait machinery after close() (a
# timewait FIN-WAIT-2 entry, not TIME-WAIT) and one ended by a reset are
# not. ss is the oracle for which client is in TIME-WAIT.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_require_bpf_watch "$T/probe"

"$TCPLIMBO" watch --json --backend bpf --state time-wait --seconds 30 >"$T/out" 2>"$T/err" &
WATCHER=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start: $(cat "$T/err")"

python3 "$(dirname "$0")/finwait2-clients.py" 3010 >"$T/ports" &
tl_wait_for 10 grep -q done "$T/ports" || fail "clients did not run"
read -r _ HANDOFF _ RESET _ FIN < <(head -n 1 "$T/ports")
ss -Htan state time-wait "sport = :$FIN" | grep -q . || { ss -tano; fail "ss: no TIME-WAIT for port $FIN"; }
ss -Htan state time-wait "( sport = :$HANDOFF or sport = :$RESET )" | grep -q . &&
	{ ss -tano; fail "ss: another client in TIME-WAIT"; }
tl_wait_for 5 grep -q "\"local_port\":$FIN," "$T/out" ||
	{ cat "$T/out"; fail "watch --state time-wait: nothing for the client in TIME-WAIT (port $FIN)"; }
sleep 0.5
kill -INT "$WATCHER"
wait "$WATCHER" || fail "watch exited with $? after SIGINT: $(cat "$T/err")"

python3 - "$T/out" "$FIN" <<'PY' || { cat "$T/out"; fail "watch --state time-wait events"; }
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
fin = int(sys.argv[2])
steps = [(e["local_port"], e["old_state"], e["new_state"], e["continues_as_timewait_s"]) for e in evs]
assert steps == [(fin, "fin-wait-2", "close", 60)], steps
print("ok:", steps)
PY
ok "watch --state time-wait (bpf): the FIN-WAIT-2 -> CLOSE into TIME-WAIT, and nothing else"
