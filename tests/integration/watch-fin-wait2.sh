#!/usr/bin/env bash
# watch --backend bpf at FIN-WAIT-2 -> CLOSE. A client that half-closes,
# waits in FIN-WAIT-2 and then closes is handed to the timewait machinery:
# its FIN-WAIT-2 -> CLOSE is not the end, and watch says it goes on as a
# timewait entry for tcp_fin_timeout (45 s in this namespace); ss shows the
# entry with timer:(timewait,...). A client in FIN-WAIT-2 that gets a
# reset really ends there (no note; ss: nothing left), and one that gets
# the peer's FIN goes on as a TIME-WAIT entry, for 60 s (ss: TIME-WAIT).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_require_bpf_watch "$T/probe"
echo 45 >/proc/sys/net/ipv4/tcp_fin_timeout || fail "cannot set tcp_fin_timeout here"

"$TCPLIMBO" watch --json --backend bpf --dport 3008 --seconds 30 >"$T/out" 2>"$T/err" &
WATCHER=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start: $(cat "$T/err")"

python3 "$(dirname "$0")/finwait2-clients.py" 3008 >"$T/ports" &
tl_wait_for 10 grep -q done "$T/ports" || fail "clients did not run"
read -r _ HANDOFF _ RESET _ FIN < <(head -n 1 "$T/ports")
# ss is the oracle: the closed client's entry is there, on the timewait timer.
ss -Htano state fin-wait-2 "sport = :$HANDOFF" | grep -q 'timer:(timewait' ||
	{ ss -tano; fail "ss: no timewait FIN-WAIT-2 entry for port $HANDOFF"; }
[ -z "$(ss -Htan "sport = :$RESET")" ] || { ss -tano; fail "ss: the reset client is still there"; }
ss -Htan state time-wait "sport = :$FIN" | grep -q . || { ss -tano; fail "ss: no TIME-WAIT for port $FIN"; }
tl_wait_for 5 sh -c "grep -c '\"new_state\":\"close\"' '$T/out' | grep -qx 3" ||
	{ cat "$T/out"; fail "watch: not three closes"; }

python3 - "$T/out" "$HANDOFF" "$RESET" "$FIN" <<'PY' || { cat "$T/out"; fail "watch events"; }
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
handoff, reset, fin = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def close(port):
    c = [e for e in evs if e["local_port"] == port and e["new_state"] == "close"]
    assert len(c) == 1, (port, c)
    return c[0]
h, r, f = close(handoff), close(reset), close(fin)
assert h["old_state"] == "fin-wait-2" and h["continues_as_timewait_s"] == 45, h
assert r["old_state"] == "fin-wait-2" and r["continues_as_timewait_s"] is None, r
# The peer's FIN: a TIME-WAIT entry now, for 60 s (ss shows it above).
assert f["old_state"] == "fin-wait-2" and f["continues_as_timewait_s"] == 60, f
# Every other event carries the key, and null.
assert all(e["continues_as_timewait_s"] is None for e in evs
           if e is not h and e is not f), evs
print("ok")
PY
ok "watch: FIN-WAIT-2 -> CLOSE at the hand-off says timewait for 45 s; after a reset or the peer's FIN it does not"

# watch --top files the timewait entries as ls shows them, not as ownerless.
"$TCPLIMBO" watch --top --backend bpf --dport 3008 --seconds 1 --interval 500 >"$T/top" 2>/dev/null ||
	fail "watch --top exit"
grep -q "^\[timewait\] " "$T/top" && ! grep -q "(no owner)" "$T/top" ||
	{ cat "$T/top"; fail "watch --top: the timewait entries not under [timewait]"; }
ok "watch --top: timewait entries under [timewait], as ls shows them"

# The text says it too, on the same line as the event.
"$TCPLIMBO" watch --backend bpf --dport 3009 --seconds 5 >"$T/text" 2>/dev/null &
TEXT=$!
sleep 1
python3 - <<'PY'
import socket, time
srv = socket.socket(); srv.bind(("127.0.0.1", 3009)); srv.listen(1)
c = socket.create_connection(("127.0.0.1", 3009)); s = srv.accept()[0]
c.shutdown(socket.SHUT_WR); time.sleep(0.3); c.close(); time.sleep(0.3)
PY
wait "$TEXT"
grep 'FIN_WAIT2 -> CLOSE' "$T/text" | grep -q 'timewait FIN-WAIT-2 entry now, for up to 45 s' ||
	{ cat "$T/text"; fail "watch text: no timewait note"; }
ok "watch text: the hand-off is not the end"
