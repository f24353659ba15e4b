#!/usr/bin/env bash
# watch names the listener of a queued connection by the listener's own
# address: 0.0.0.0 for one bound to the wildcard, though the connection's
# local address is 10.79.0.1. Listeners made after watch started (followed
# from their listen()) and before (from the snapshot), with bpf and poll,
# and with the kernel's filters (--sport).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_require_bpf_watch "$T/probe"
ip addr add 10.79.0.1/32 dev lo || fail "address"

# The old listener: made before watch, on the wildcard; never accepts.
python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 5103)); s.listen(4); time.sleep(60)' &
tl_wait_for 5 tl_listening 5103 || fail "5103 did not listen"

"$TCPLIMBO" watch --json --backend bpf >"$T/bpf" 2>"$T/e1" &
W1=$!
"$TCPLIMBO" watch --json --backend bpf --sport 5101-5103 >"$T/bpf-filtered" 2>"$T/e2" &
W2=$!
"$TCPLIMBO" watch --json --backend poll --interval 50ms >"$T/poll" 2>"$T/e3" &
W3=$!
for e in e1 e2 e3; do
	tl_wait_for 10 grep -q "backend" "$T/$e" || fail "watch did not start: $(cat "$T/$e")"
done

# The new listeners: one on the wildcard, one on the address itself.
python3 -c '
import socket, time
a = socket.socket(); a.bind(("0.0.0.0", 5101)); a.listen(4)
b = socket.socket(); b.bind(("10.79.0.1", 5102)); b.listen(4)
time.sleep(60)' &
tl_wait_for 5 tl_listening 5101 || fail "5101 did not listen"
tl_wait_for 5 tl_listening 5102 || fail "5102 did not listen"
sleep 0.5
python3 -c '
import socket, time
cs = [socket.create_connection(("10.79.0.1", p)) for p in (5101, 5102, 5103)]
time.sleep(1)' || fail "clients"
sleep 0.5
kill -INT "$W1" "$W2" "$W3"
wait "$W1" "$W2" "$W3"

# The listener each watch gave a queued connection on port P, once each.
listener_of() { # FILE PORT
	jq -r --argjson p "$2" 'select(.local_port == $p and .listener != null) |
		"\(.listener.local_addr):\(.listener.local_port)"' "$1" | sort -u
}
check() { # FILE PORT WANT
	local got
	got=$(listener_of "$1" "$2")
	[ "$got" = "$3" ] || { jq -c "select(.local_port == $2)" "$1"; fail "$(basename "$1"): listener of :$2 is '$got', not '$3'"; }
}
check "$T/bpf" 5101 0.0.0.0:5101
check "$T/bpf" 5102 10.79.0.1:5102
check "$T/bpf" 5103 0.0.0.0:5103
check "$T/bpf-filtered" 5103 0.0.0.0:5103
check "$T/poll" 5103 0.0.0.0:5103
ok "queued connections name their listener by its own address"
