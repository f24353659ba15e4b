#!/usr/bin/env bash
# The doctor on gunicorn's sync workers (skipped without gunicorn), which
# wait for the listener in select(), not accept() nor epoll: the fds a
# worker selects on are read from its memory. Two workers, one asleep in a
# slow request, the other stopped (SIGSTOP) while it selects on the
# listener: the stopped worker is the cause and its remedy is the one
# given (kill -CONT), not "raise the limit" for the busy one. The master,
# which selects only on its own pipe, is no cause. Then both workers busy
# in slow requests, nothing stopped: the workers' limit.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
command -v gunicorn >/dev/null || skip "gunicorn not installed"
T=$(mktemp -d)
chmod 755 "$T"
MASTER=
# gunicorn's own shutdown would wait for the slow requests.
stop_all() {
	[ -z "$MASTER" ] || kill -KILL $(pgrep -P "$MASTER") "$MASTER" 2>/dev/null
	tl_cleanup_jobs
	rm -rf "$T"
}
trap stop_all EXIT
PORT=8811

cat >"$T/app.py" <<'PY'
import time
def app(environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/slow"):
        time.sleep(90)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
PY
# Clients that send a request and keep the connection for at most 60 s.
clients() {
	exec python3 -c '
import socket, sys, time
cs = []
for _ in range(int(sys.argv[2])):
    c = socket.create_connection(("127.0.0.1", '"$PORT"'))
    c.send(("GET %s HTTP/1.0\r\n\r\n" % sys.argv[1]).encode())
    cs.append(c)
print("connected", flush=True)
time.sleep(60)' "$@"
}
queued() { [ "$(ss -Htln "sport = :$PORT" | awk '{print $2}')" = "$1" ]; }
# The worker that holds an accepted connection, from ss.
holder() { ss -Htnp state established "( sport = :$PORT )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; }
# Whether a process waits in select or poll: x86_64 and arm64 numbers.
in_select() {
	case "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" in
	7 | 23 | 270 | 271 | 72 | 73) return 0 ;;
	esac
	return 1
}

(cd "$T" && exec timeout 120 gunicorn --workers 2 --worker-class sync \
	--timeout 300 --graceful-timeout 1 --bind "127.0.0.1:$PORT" app:app) >"$T/gunicorn.log" 2>&1 &
GPID=$!
tl_wait_for 20 tl_listening "$PORT" || { cat "$T/gunicorn.log"; fail "gunicorn did not listen"; }
MASTER=$(pgrep -P "$GPID")
tl_wait_for 20 sh -c "[ \$(pgrep -P $MASTER | wc -l) = 2 ]" || fail "gunicorn has no 2 workers"

# 1. One worker asleep in /slow, the other stopped in select().
clients /slow 1 >"$T/c1" &
tl_wait_for 10 sh -c "[ -n \"\$(ss -Htnp state established '( sport = :$PORT )' | grep pid=)\" ]" ||
	fail "no worker took the slow request"
BUSY=$(holder)
IDLE=$(pgrep -P "$MASTER" | grep -vx "$BUSY")
[ -n "$BUSY" ] && [ -n "$IDLE" ] || fail "busy worker '$BUSY', idle worker '$IDLE'"
# Stop the idle worker inside select(); it leaves select() once a second.
for _ in $(seq 50); do
	kill -STOP "$IDLE"
	sleep 0.1
	in_select "$IDLE" && break
	kill -CONT "$IDLE"
	sleep 0.05
done
in_select "$IDLE" || fail "worker $IDLE was not stopped in select (syscall $(cat /proc/$IDLE/syscall))"
clients / 3 >"$T/c2" &
tl_wait_for 10 queued 3 || { ss -tln; fail "ss: the listener's queue is not 3"; }
sleep 1.2
"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d1.json"
"$TCPLIMBO" doctor --queue-age 1s >"$T/d1.txt"
jq -e --argjson i "$IDLE" --argjson b "$BUSY" --argjson m "$MASTER" '
	[.findings[] | select(.kind == "not-accepting" and .local_port == '"$PORT"')] as $f |
	($f | length) == 1 and
	$f[0].cause == "stopped" and $f[0].certainty == "certain" and
	($f[0].remedy | contains("kill -CONT \($i)")) and
	([$f[0].evidence[] | select(.pid == $i) | .threads[] |
	  select(.polls_listener == true)] | length) == 1 and
	([$f[0].evidence[] | select(.pid == $m) | .threads[] |
	  select(.polls_listener == false)] | length) >= 1' \
	"$T/d1.json" >/dev/null || { cat "$T/d1.json"; fail "the stopped worker is not the cause"; }
grep -q "Resume it with kill -CONT $IDLE" "$T/d1.txt" ||
	{ cat "$T/d1.txt"; fail "text: no kill -CONT $IDLE"; }
ok "worker $IDLE, stopped in select() on the listener, is the cause; remedy kill -CONT"
kill -CONT "$IDLE"

# 2. Both workers asleep in /slow: the workers' limit, no stopped cause.
tl_wait_for 10 queued 0 || { ss -tln; fail "ss: the queue did not drain once resumed"; }
clients /slow 1 >"$T/c3" &
tl_wait_for 10 sh -c "[ \$(ss -Htnp state established '( sport = :$PORT )' | grep -c pid=) = 2 ]" ||
	fail "the workers did not both take a slow request"
clients / 2 >"$T/c4" &
tl_wait_for 10 queued 2 || { ss -tln; fail "ss: the listener's queue is not 2"; }
sleep 1.2
"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d2.json"
jq -e --argjson m "$MASTER" '
	[.findings[] | select(.kind == "not-accepting" and .local_port == '"$PORT"')] as $f |
	($f | length) == 1 and $f[0].cause == "connection-limit" and
	([$f[0].evidence[] | select(.pid == $m)][0] |
	  .cause == "listener-not-watched" and .certainty == "likely" and
	  (.text | contains("not on the listener")))' \
	"$T/d2.json" >/dev/null || { cat "$T/d2.json"; fail "busy workers: not the workers' limit"; }
ok "both workers busy: connection-limit; the master selects on its pipe only"
