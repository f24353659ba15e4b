#!/usr/bin/env bash
# Transitions that came just before watch was stopped are told: a client
# connects and, at once, SIGINT (Ctrl-C) stops watch. The bpf backend's
# buffers still hold them then; they happened while watch ran, and were
# lost before.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
tl_require_bpf_watch "$T/probe"

for run in 1 2 3; do
	port=$((6300 + run))
	: >"$T/err"
	"$TCPLIMBO" watch --backend bpf --json --sport $port >"$T/out" 2>"$T/err" &
	W=$!
	tl_wait_for 10 grep -q "backend bpf" "$T/err" || fail "watch did not start: $(cat "$T/err")"
	python3 -c '
import os, signal, socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", int(sys.argv[2]))); l.listen(4)
c = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
# The server side is established once accept() would take it (the last
# ACK may wait for a softirq on a loaded machine): then stop at once.
l.settimeout(10); a = l.accept()[0]
os.kill(int(sys.argv[1]), signal.SIGINT)
# The sockets stay open until watch has ended: their closes come after
# the stop, and are not its to tell.
end = time.time() + 20
while time.time() < end:
    try:
        if open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")", 1)[1].split()[0] in "ZX":
            break
    except OSError:
        break
    time.sleep(0.05)' $W $port || fail "client"
	wait $W || fail "run $run: watch exit $?: $(cat "$T/err")"
	got=$(jq -r '"\(.old_state)>\(.new_state)"' "$T/out" | tr '\n' ' ')
	[ "$got" = "close>listen listen>syn-recv syn-recv>established " ] ||
		{ cat "$T/out" "$T/err"; fail "run $run: not every transition before the stop told: '$got'"; }
done
ok "3 runs: the transitions just before SIGINT are all told"
