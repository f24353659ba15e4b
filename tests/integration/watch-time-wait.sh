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

[ -r /sys/kernel/btf/vmlinux ] || skip "kernel without BTF"
capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
(( (0x$capeff >> 39) & 1 || (0x$capeff >> 21) & 1 )) || skip "needs CAP_BPF"
if ! "$TCPLIMBO" watch --backend bpf --seconds 1 >/dev/null 2>"$T/probe"; then
	grep -q "no bpf backend" "$T/probe" && skip "built without bpf"
	fail "bpf backend does not start: $(cat "$T/probe")"
fi

"$TCPLIMBO" watch --json --backend bpf --state time-wait --seconds 30 >"$T/out" 2>"$T/err" &
WATCHER=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start: $(cat "$T/err")"

cat >"$T/tw.py" <<'PY'
import socket, struct, sys, time
srv = socket.socket(); srv.bind(("127.0.0.1", 3010)); srv.listen(8)
def fin_wait2(c):
    # Until our FIN is acknowledged: FIN-WAIT-2 (state 05) in /proc/net/tcp.
    port = "%04X" % c.getsockname()[1]
    for _ in range(100):
        if any(l.split()[1].endswith(":" + port) and l.split()[3] == "05"
               for l in open("/proc/net/tcp").readlines()[1:]):
            return
        time.sleep(0.02)
    sys.exit("no FIN-WAIT-2 for port " + port)
a = socket.create_connection(("127.0.0.1", 3010)); sa = srv.accept()[0]
b = socket.create_connection(("127.0.0.1", 3010)); sb = srv.accept()[0]
c = socket.create_connection(("127.0.0.1", 3010)); sc = srv.accept()[0]
print("handoff", a.getsockname()[1], "reset", b.getsockname()[1],
      "fin", c.getsockname()[1], flush=True)
for x in (a, b, c):
    x.shutdown(socket.SHUT_WR); fin_wait2(x)
sc.close()                     # the peer's FIN: TIME-WAIT follows
a.close()                      # handed to the timewait machinery
sb.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
sb.close()                     # a reset ends b's FIN-WAIT-2
time.sleep(0.3)
print("done", flush=True)
time.sleep(30)
PY
python3 "$T/tw.py" >"$T/ports" &
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
