#!/usr/bin/env bash
# watch -N NS follows another namespace, with each backend: transitions of
# that namespace are reported with its inode and the right owners;
# transitions in the namespace watch itself runs in are not.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
NS=tl-watch-ns-$$
trap 'tl_cleanup_jobs; ip netns del "$NS" 2>/dev/null; rm -rf "$T"' EXIT
ip netns add "$NS" || fail "cannot add netns $NS"
ip -n "$NS" link set lo up || fail "lo in $NS"
NSINO=$(stat -L -c %i "/var/run/netns/$NS")
HERE=$(stat -L -c %i /proc/self/ns/net)
[ "$NSINO" != "$HERE" ] || fail "namespaces not distinct"

backends=(poll)
if [ -r /sys/kernel/btf/vmlinux ] &&
	"$TCPLIMBO" watch --backend bpf --seconds 1 >/dev/null 2>&1; then
	backends+=(bpf)
else
	echo "note: bpf backend not available, testing poll only"
fi

server='
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
time.sleep(30)'
client='
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(0.8)
c.close()'

for b in "${backends[@]}"; do
	ip netns exec "$NS" python3 -c "$server" 3001 &
	THERE_SRV=$!
	python3 -c "$server" 3002 &
	HERE_SRV=$!
	tl_wait_for 5 ip netns exec "$NS" ss -Htln "sport = :3001" || fail "no server in $NS"
	tl_wait_for 5 tl_listening 3002 || fail "no server here"

	iv=()
	[ "$b" = poll ] && iv=(--interval 200)
	"$TCPLIMBO" -N "$NS" watch --json --backend "$b" "${iv[@]}" >"$T/out" 2>"$T/err" &
	W=$!
	tl_wait_for 10 grep -q "backend $b" "$T/err" || fail "$b: watch did not start: $(cat "$T/err")"
	ip netns exec "$NS" python3 -c "$client" 3001 &
	C1=$!
	python3 -c "$client" 3002 &
	C2=$!
	wait "$C1" "$C2" || fail "$b: a client failed"
	sleep 1
	tl_wait_for 5 sh -c "ip netns exec $NS ss -Htan state close-wait | grep -q :3001" || fail "no CLOSE_WAIT in $NS"
	sleep 0.5
	kill -INT "$W"
	wait "$W" || fail "$b: watch exit $?"
	python3 - "$T/out" "$NSINO" "$THERE_SRV" "$b" "$NS" <<'PY' || fail "$b: wrong events"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ns, srv, backend = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
assert evs, "no events"
for e in evs:
    # Labelled as the doctor and serve label it: -N's name.
    assert e["netns_inode"] == ns and e["netns"] == sys.argv[5], e
    assert 3002 not in (e["local_port"], e["remote_port"]), ("leak from our netns", e)
cw = [e for e in evs if e["local_port"] == 3001 and e["new_state"] == "close-wait"]
assert len(cw) == 1, evs
assert [o["pid"] for o in cw[0]["listener_owners"]] == [srv], cw
print(backend, "ok:", len(evs), "events, all in", ns)
PY
	kill "$THERE_SRV" "$HERE_SRV"
	wait "$THERE_SRV" "$HERE_SRV" 2>/dev/null
	ok "watch -N with $b"
done

# The namespace deleted while watched: watch says so, once, and goes on
# while a process is left in it (its sockets stay); once none is, and no
# name or mount holds it, nothing there can change: watch ends, exit 0.
for b in "${backends[@]}"; do
	ip netns add "$NS-gone" || fail "ip netns add $NS-gone"
	ip netns exec "$NS-gone" sleep 60 &
	STAY=$!
	"$TCPLIMBO" -N "$NS-gone" watch --backend "$b" --seconds 30 >/dev/null 2>"$T/gone" &
	W=$!
	tl_wait_for 10 grep -q "backend $b" "$T/gone" || fail "$b: watch did not start: $(cat "$T/gone")"
	ip netns del "$NS-gone"
	sleep 3
	kill -0 "$W" 2>/dev/null || fail "$b: watch ended while a process was left in the namespace: $(cat "$T/gone")"
	kill "$STAY"
	wait "$STAY"
	tl_wait_for 10 sh -c "! kill -0 $W 2>/dev/null" ||
		fail "$b: watch goes on in a deleted namespace no process is left in: $(cat "$T/gone")"
	wait "$W" || fail "$b: watch of a deleted namespace: exit $?"
	[ "$(grep -c "network namespace $NS-gone has been deleted; watch goes on in it" "$T/gone")" = 1 ] ||
		fail "$b: the deletion is not said once: $(cat "$T/gone")"
	grep -q "no process this /proc shows is in network namespace $NS-gone, no name or mount holds it, and it has no TCP socket left: watch ends" "$T/gone" ||
		fail "$b: its end is not said: $(cat "$T/gone")"
	ok "watch -N with $b: the namespace deleted meanwhile is said, and watch ends with its last process"
done
# Given by a pid that exits, its end names the namespace as its lines do,
# net:[INODE] (pid N), not by the bare pid.
# It lives until watch has started, released through a fifo.
ip netns add "$NS-pid" || fail "ip netns add $NS-pid"
mkfifo "$T/go"
ip netns exec "$NS-pid" sh -c 'read x <"$1"' sh "$T/go" &
P=$!
tl_wait_for 5 sh -c "[ \"\$(readlink /proc/$P/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]" ||
	fail "the process did not enter $NS-pid"
ip netns del "$NS-pid"
"$TCPLIMBO" -N "$P" watch --backend poll --seconds 30 >/dev/null 2>"$T/pid" &
W=$!
tl_wait_for 10 grep -q "backend poll" "$T/pid" || fail "watch -N $P did not start: $(cat "$T/pid")"
echo go >"$T/go"
wait "$W" || fail "watch -N PID of a process that exited: exit $?"
grep -q "no process this /proc shows is in network namespace net:\[[0-9]*\] (pid $P), no name or mount holds it" "$T/pid" ||
	fail "watch -N PID: its end does not name the namespace as net:[INODE] (pid $P): $(cat "$T/pid")"
ok "watch -N PID: the end names the namespace net:[INODE] (pid $P)"
