#!/usr/bin/env bash
# watch --backend bpf names the listener of a queued connection by the
# listener the kernel put it in, not by its port: two processes share a
# port with SO_REUSEPORT, one never accepts, the other accepts. On one
# port the stuck one listens first, on the other last, so that no order
# a lookup by port could follow names both right. The CLOSE-WAIT events
# of exactly the connections left in the stuck one's queue (ss gives
# their peers) must name the stuck pid as their listener's owner; those
# naming the busy one must be connections it accepted. On a third port
# both listeners are stuck: each must be named for as many connections as
# ss counts in its queue (a guess by the longest queue names one for
# all). With the ports
# filtered in the kernel (which then keeps every socket's owner in its
# storage) and with ranges, filtered in user space only (the kernel keeps
# the SO_REUSEPORT listeners' and user space follows the rest).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_need_bpf_watch "$T/probe"
P1=3120
P2=3121
P3=3122

"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf --sport $P1 --sport $P2 --sport $P3 >"$T/kernel" 2>"$T/err" &
WATCHER=$!
"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf --sport $P1-$P3 >"$T/user" 2>"$T/err2" &
WATCHER2=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start: $(cat "$T/err")"
tl_wait_for 10 grep -q "backend" "$T/err2" || fail "watch did not start: $(cat "$T/err2")"

# listeners PORT ROLE ROLE: the two, in that order of listen().
listeners() {
	local p=$1 n=0
	shift
	for role in "$@"; do
		tl_reuseport_server "$role" "$p"
		eval "${role}_$p=\$!"
		eval "pid_${p}_$n=\$!"
		n=$((n + 1))
		tl_wait_for 5 sh -c "[ \$(ss -Htln 'sport = :$p' | wc -l) = $n ]" ||
			fail "the $role server on $p did not listen"
	done
}
listeners $P1 stuck accept
listeners $P2 accept stuck
listeners $P3 stuck stuck
for p in $P1 $P2 $P3; do
	python3 -c '
import socket, sys
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
      for _ in range(24)]
for c in cs:
    c.close()' "$p" || fail "clients of $p did not connect"
done
for p in $P1 $P2; do
	eval "busy=\$accept_$p"
	tl_wait_for 5 sh -c "[ \"\$(ss -Htlnp 'sport = :$p' | awk '/pid=$busy,/ {print \$2}')\" = 0 ]" ||
		fail "the busy server on $p did not accept its share"
	for o in kernel user; do
		tl_wait_for 5 sh -c "[ \$(grep -c '\"local_port\":$p,.*\"new_state\":\"close-wait\"' '$T/$o') -ge 24 ]" ||
			{ cat "$T/$o"; fail "watch ($o filter): fewer than 24 CLOSE-WAIT events on $p"; }
	done
done
for o in kernel user; do
	tl_wait_for 5 sh -c "[ \$(grep -c '\"local_port\":$P3,.*\"new_state\":\"close-wait\"' '$T/$o') -ge 24 ]" ||
		{ cat "$T/$o"; fail "watch ($o filter): fewer than 24 CLOSE-WAIT events on $P3"; }
done
kill -INT $WATCHER $WATCHER2
wait $WATCHER
wait $WATCHER2

# Each CLOSE-WAIT in a queue names the listener the kernel queued it at:
# named FILE PORT PID.
named() {
	jq -r --argjson p "$3" --argjson port "$2" 'select(.local_port == $port and
		.new_state == "close-wait" and .limbo == "accept-queue" and
		.listener_owners[0].pid == $p) | .remote_port' "$T/$1" | sort -n
}
msg=
for p in $P1 $P2; do
	eval "stuck=\$stuck_$p busy=\$accept_$p"
	# The peers of the connections still queued (no process holds them,
	# so they are the stuck one's) and of those the busy one accepted.
	ss -Htnp state close-wait "sport = :$p" >"$T/ss"
	q=$(ss -Htlnp "sport = :$p" | awk -v p="pid=$stuck," 'index($0, p) {print $2}')
	[ "${q:-0}" -gt 0 ] || { ss -tlnp; fail "nothing queued at the stuck server on $p"; }
	peers() { awk "$1"' {n = split($4, a, ":"); print a[n]}' "$T/ss" | sort -n; }
	peers '!/users:/' >"$T/queued"
	peers "/pid=$busy,/" >"$T/accepted"
	[ "$(wc -l <"$T/queued")" = "$q" ] || { cat "$T/ss"; fail "ss: the stuck queue on $p is not $q"; }
	for o in kernel user; do
		named $o "$p" "$stuck" >"$T/named_stuck"
		named $o "$p" "$busy" >"$T/named_busy"
		cmp -s "$T/named_stuck" "$T/queued" ||
			{ diff "$T/named_stuck" "$T/queued"; fail "watch ($o filter): the $q connections queued at the stuck listener on $p are not the ones named by it"; }
		[ -z "$(comm -23 "$T/named_busy" "$T/accepted")" ] ||
			{ cat "$T/ss"; cat "$T/named_busy"; fail "watch ($o filter): named the busy listener on $p for connections it did not take"; }
	done
	msg+=" $q on $p,"
done
# Two stuck listeners on P3: each named for its own queue's length.
for i in 0 1; do
	eval "pid=\$pid_${P3}_$i"
	q=$(ss -Htlnp "sport = :$P3" | awk -v p="pid=$pid," 'index($0, p) {print $2}')
	for o in kernel user; do
		n=$(named $o "$P3" "$pid" | wc -l)
		[ "$n" = "$q" ] || { ss -tlnp; fail "watch ($o filter): listener $pid on $P3 has $q queued, named for $n"; }
	done
	msg+=" $q and"
done
msg="${msg% and} at two stuck ones on $P3"
ok "the connections queued at a stuck SO_REUSEPORT listener name it, whichever listened first, with the ports filtered in the kernel or in user space:${msg}"
