#!/usr/bin/env bash
# watch --backend bpf names the listener of a queued connection by the
# listener the kernel put it in, not by its port: two processes share a
# port with SO_REUSEPORT, one never accepts and listens first, the other
# accepts and listens last (the last listen() on a port is what a lookup
# by port would find). The CLOSE-WAIT events of exactly the connections
# left in the stuck one's queue (ss gives their peers) must name the stuck
# pid as their listener's owner; those naming the busy one must be
# connections it accepted.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_need_bpf_watch "$T/probe"
P=3120

"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf --sport $P >"$T/out" 2>"$T/err" &
WATCHER=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start: $(cat "$T/err")"

server() { tl_reuseport_server "$1" "$P"; }
server stuck
STUCK=$!
tl_wait_for 5 tl_listening $P || fail "the stuck server did not listen"
server accept
BUSY=$!
tl_wait_for 5 sh -c "[ \$(ss -Htln 'sport = :$P' | wc -l) = 2 ]" || fail "the busy server did not listen"
python3 -c '
import socket, sys
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
      for _ in range(24)]
for c in cs:
    c.close()' "$P" || fail "clients did not connect"
tl_wait_for 5 sh -c "[ \"\$(ss -Htlnp 'sport = :$P' | awk '/pid=$BUSY,/ {print \$2}')\" = 0 ]" ||
	fail "the busy server did not accept its share"
q=$(ss -Htlnp "sport = :$P" | awk -v p="pid=$STUCK," 'index($0, p) {print $2}')
[ "${q:-0}" -gt 0 ] || { ss -tlnp; fail "nothing queued at the stuck server"; }
tl_wait_for 5 sh -c "[ \$(grep -c '\"new_state\":\"close-wait\"' '$T/out') -ge 24 ]" ||
	{ cat "$T/out"; fail "watch: fewer than 24 CLOSE-WAIT events"; }
kill -INT $WATCHER
wait $WATCHER
# The peers of the connections still queued (no process holds them, so
# they are the stuck one's) and of those the busy one accepted, from ss.
ss -Htnp state close-wait "sport = :$P" >"$T/ss"
peers() { awk "$1"' {n = split($4, a, ":"); print a[n]}' "$T/ss" | sort -n; }
peers '!/users:/' >"$T/queued"
peers "/pid=$BUSY,/" >"$T/accepted"
[ "$(wc -l <"$T/queued")" = "$q" ] || { cat "$T/ss"; fail "ss: the stuck queue is not $q"; }
# Each CLOSE-WAIT in a queue names the listener the kernel queued it at.
named() {
	jq -r --argjson p "$1" 'select(.new_state == "close-wait" and
		.limbo == "accept-queue" and .listener_owners[0].pid == $p) |
		.remote_port' "$T/out" | sort -n
}
named "$STUCK" >"$T/named_stuck"
named "$BUSY" >"$T/named_busy"
cmp -s "$T/named_stuck" "$T/queued" ||
	{ diff "$T/named_stuck" "$T/queued"; fail "watch: the stuck listener's ${q} are not the ones named by it"; }
[ -z "$(comm -23 "$T/named_busy" "$T/accepted")" ] ||
	{ cat "$T/ss"; cat "$T/named_busy"; fail "watch: named the busy listener for connections it did not take"; }
ok "the $q connections queued at the stuck SO_REUSEPORT listener name it, not the port's last listen(); $(wc -l <"$T/named_busy") named the busy one, which took them"
