#!/usr/bin/env bash
# serve's /metrics on the post's story: a server that never accepts, one
# client that connected, wrote and closed. The listener's series say one
# queued, one closed by the client, with ss as the oracle for the queue;
# every state has a series (zeros included); the doctor's finding shows;
# the exposition passes promtool's lint; --max-series drops and counts;
# / links to /metrics, other paths are 404, other methods 405; bad
# options exit 3; SIGTERM stops it with status 0.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/serve-lib.sh"
command -v curl >/dev/null || skip "curl not installed"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
PORT=19858
URL=http://127.0.0.1:$PORT
NS=$(serve_own_label)

tl_listen_idle 3000 60
serve_closed_client 3000 || fail "client"
tl_wait_for 5 sh -c 'ss -Htn state close-wait "sport = :3000" | grep -q .' ||
	fail "no CLOSE_WAIT in the queue"
# And a listener whose clients reset while queued: in its Recv-Q, in no
# dump, and as gone as a client that closed.
tl_listen_idle 3011 60
tl_queue_gone 3011 1 2 || fail "clients of 3011"
tl_wait_for 5 sh -c '[ "$(ss -Htln "sport = :3011" | awk "{print \$2}")" = 3 ]' ||
	{ ss -tan; fail "ss: 3 queued on 3011 was the premise"; }
sleep 1.1 # the queued connection's age passes one second

serve_start "$URL/" --listen 127.0.0.1:$PORT
curl -sf -D "$T/h" -o "$T/m" "$URL/metrics" || fail "GET /metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/h" ||
	{ cat "$T/h"; fail "content type"; }
L="netns=\"$NS\",listener=\"127.0.0.1:3000\",comm=\"python3\""
Q=$(ss -Hltn "sport = :3000" | awk '{print $2}')
[ "$(serve_value "tcplimbo_listen_queue_length{$L}" "$T/m")" = "$Q" ] ||
	{ grep 3000 "$T/m"; fail "queue length is not ss's $Q"; }
[ "$(serve_value "tcplimbo_listen_queue_closed{$L}" "$T/m")" = 1 ] ||
	fail "queue_closed"
[ "$(serve_value "tcplimbo_listen_queue_limit{$L}" "$T/m")" = 16 ] ||
	fail "queue_limit (backlog 16)"
age=$(serve_value "tcplimbo_listen_queue_oldest_seconds{$L}" "$T/m")
awk -v a="$age" 'BEGIN { exit !(a >= 1 && a < 60) }' ||
	fail "oldest_seconds '$age'"
ok "listener series: queue $Q as ss says, 1 closed, oldest ${age}s"
L1="netns=\"$NS\",listener=\"127.0.0.1:3011\",comm=\"python3\""
[ "$(serve_value "tcplimbo_listen_queue_length{$L1}" "$T/m")" = 3 ] &&
	[ "$(serve_value "tcplimbo_listen_queue_closed{$L1}" "$T/m")" = 3 ] ||
	{ grep 3011 "$T/m"; fail "queue_closed leaves out clients reset while queued"; }
ok "1 client closed and 2 reset while queued: 3 gone of 3"

# The cardinality README and the man page give is what a scrape has: the
# series of one listener, and those with no netns label (findings by
# severity and the exporter's own).
per_l=$(grep -v '^#' "$T/m" | grep -Fe "{$L," -e "{$L}" | wc -l)
other=$(grep -v '^#' "$T/m" | grep -vc 'netns=')
for doc in "${SRCDIR:-.}/README.md" "${SRCDIR:-.}/docs/tcplimbo.8"; do
	tr '\n' ' ' <"$doc" | grep -q "$per_l per listener" ||
		fail "$doc does not say $per_l per listener"
	tr '\n' ' ' <"$doc" | grep -Eq "$other (more|\(the findings)" ||
		fail "$doc does not say $other series besides namespaces'"
done
ok "README and man page: $per_l series per listener, $other more, as a scrape has"

# An SO_REUSEPORT group with one stuck worker (backlog 0, one queued: full)
# and one that accepts: the group's summed length stays under its summed
# backlog, and queues_full says one queue is over its own.
python3 -c '
import socket, threading, time
def listener(backlog):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", 3001))
    s.listen(backlog)
    return s
stuck, busy = listener(0), listener(8)
held = []
def accept():
    while True:
        held.append(busy.accept()[0])
threading.Thread(target=accept, daemon=True).start()
for _ in range(16):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", 3001))
    except BlockingIOError:
        pass
    held.append(c)
print("ready", flush=True)
time.sleep(60)' >"$T/rp" &
tl_wait_for 5 grep -q ready "$T/rp" || fail "reuseport group did not start"
tl_wait_for 5 sh -c '[ "$(ss -Hltn "sport = :3001" | awk "\$2 > \$3" | wc -l)" = 1 ]' ||
	{ ss -ltn "sport = :3001"; fail "the stuck listener's queue is not full"; }
curl -sf -o "$T/rp.m" "$URL/metrics" || fail "GET /metrics"
R="netns=\"$NS\",listener=\"127.0.0.1:3001\",comm=\"python3\""
[ "$(serve_value "tcplimbo_listen_queues_full{$R}" "$T/rp.m")" = 1 ] ||
	{ grep 3001 "$T/rp.m"; fail "queues_full is not 1"; }
len=$(serve_value "tcplimbo_listen_queue_length{$R}" "$T/rp.m")
lim=$(serve_value "tcplimbo_listen_queue_limit{$R}" "$T/rp.m")
[ "$len" -le "$lim" ] || fail "the group's sums: $len > $lim"
ok "SO_REUSEPORT: one full queue of two, queues_full 1 (summed $len of $lim)"
# Fixed strings: a label net:[INODE] is not a pattern.
n=$(grep -cF "tcplimbo_sockets{netns=\"$NS\"," "$T/m")
[ "$n" = 11 ] || fail "$n state series for our namespace, want 11"
[ "$(serve_value "tcplimbo_sockets{netns=\"$NS\",state=\"CLOSE_WAIT\"}" "$T/m")" = 2 ] ||
	fail "two CLOSE_WAIT (3000 and 3011)"
[ "$(serve_value "tcplimbo_sockets{netns=\"$NS\",state=\"SYN_SENT\"}" "$T/m")" = 0 ] ||
	fail "zero series"
ok "11 state series, zeros included"
for f in sockets listen_queue_length finding findings scrape_duration_seconds \
	scrape_sockets scrape_errors_total netns_unreadable build_info \
	scrapes_total scans_total series_dropped; do
	grep -q "^# TYPE tcplimbo_$f " "$T/m" || fail "no # TYPE for tcplimbo_$f"
	grep -q "^# HELP tcplimbo_$f " "$T/m" || fail "no # HELP for tcplimbo_$f"
done
ok "HELP and TYPE for every family"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/m" >"$T/lint" 2>&1 ||
		{ cat "$T/lint"; fail "promtool check metrics"; }
	ok "promtool check metrics: no lint errors"
fi
# A third scrape is a third scan (no --interval).
curl -sf -o "$T/m2" "$URL/metrics" || fail "third scrape"
[ "$(serve_value tcplimbo_scans_total "$T/m2")" = 3 ] || fail "scans_total"
[ "$(serve_value tcplimbo_scrapes_total "$T/m2")" = 3 ] || fail "scrapes_total"
curl -sf "$URL/" | grep -q 'href="metrics"' || fail "/ links to metrics"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")" = 404 ] || fail "404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/metrics")" = 405 ] ||
	fail "405"
ok "/, 404, 405"
kill -HUP $SERVE
tl_wait_for 5 grep -q "SIGHUP ignored" "$T/serve.log" || fail "SIGHUP not answered"
curl -sf -o /dev/null "$URL/metrics" || fail "serve gone after SIGHUP"
kill -TERM $SERVE
wait $SERVE
rc=$?
[ $rc = 0 ] || fail "exit $rc on SIGTERM"
grep -q "stopping on SIGTERM after 4 scrapes" "$T/serve.log" ||
	{ cat "$T/serve.log"; fail "stop line"; }
ok "SIGHUP: reloads nothing and says so; SIGTERM: exit 0, one line"

# A cap below what this namespace needs: listener series go, and say so.
serve_start "$URL/" --listen 127.0.0.1:$PORT -N /proc/self/ns/net --max-series 20
curl -sf -o "$T/m3" "$URL/metrics" || fail "capped scrape"
grep -q '^tcplimbo_listen_queue_length{' "$T/m3" && fail "listener series past the cap"
d=$(serve_value tcplimbo_series_dropped "$T/m3")
[ "${d:-0}" -ge 5 ] || fail "series_dropped '$d'"
kill $SERVE
wait $SERVE
ok "--max-series 20: $d series dropped and counted"

# A named namespace under -N is labelled with its name.
ip netns add "tl-serve-$$" || fail "ip netns add"
trap 'tl_cleanup_jobs; ip netns del "tl-serve-$$"; rm -rf "$T"' EXIT
serve_start "$URL/" --listen 127.0.0.1:$PORT -N "tl-serve-$$"
curl -sf -o "$T/m4" "$URL/metrics" || fail "named scrape"
grep -q "^tcplimbo_sockets{netns=\"tl-serve-$$\",state=\"LISTEN\"} 0" "$T/m4" ||
	fail "named namespace label"
# Between scans serve holds no namespace open: one it held would outlive
# ip netns del, with whatever devices are in it.
ls -l "/proc/$SERVE/fd" | grep -Eq 'net:\[|/netns/' &&
	{ ls -l "/proc/$SERVE/fd"; fail "serve -N keeps a network namespace open"; }
# The name is looked up at each scan: deleted and made again, it is the
# new namespace that is reported (a listener shows it), not the old one
# serve's fd kept alive, empty.
ip netns del "tl-serve-$$" && ip netns add "tl-serve-$$" || fail "ip netns del/add"
ip netns exec "tl-serve-$$" python3 -c '
import socket, time
s = socket.socket()
s.bind(("0.0.0.0", 3005))
s.listen(1)
print("up", flush=True)
time.sleep(30)' >"$T/ns-listener" &
tl_wait_for 5 grep -q up "$T/ns-listener" || fail "listener in the new namespace"
curl -sf -o "$T/m4" "$URL/metrics" || fail "named scrape after del/add"
grep -q "^tcplimbo_sockets{netns=\"tl-serve-$$\",state=\"LISTEN\"} 1" "$T/m4" ||
	{ grep '^tcplimbo_sockets.*LISTEN' "$T/m4"; fail "-N NAME: the namespace made again under the name is not the one reported"; }
kill $SERVE
wait $SERVE
ok "-N NAME labels netns with the name, and follows the name to a namespace made again"

# -N PID: once the process exits, its namespace is reported vanished, not
# as an empty namespace.
unshare -n sleep 30 &
NSPID=$!
tl_wait_for 5 sh -c '[ "$(stat -L -c %i /proc/$1/ns/net)" != "$(stat -L -c %i /proc/self/ns/net)" ]' _ $NSPID ||
	fail "unshare -n sleep"
serve_start "$URL/" --listen 127.0.0.1:$PORT -N $NSPID
curl -sf -o "$T/p1" "$URL/metrics" || fail "-N PID scrape"
[ "$(serve_value tcplimbo_netns_vanished "$T/p1")" = 0 ] &&
	grep -q '^tcplimbo_sockets{netns="net:\[' "$T/p1" || fail "-N PID: not reported while it lives"
kill $NSPID
wait $NSPID 2>/dev/null
curl -sf -o "$T/p2" "$URL/metrics" || fail "-N PID scrape after it exited"
[ "$(serve_value tcplimbo_netns_vanished "$T/p2")" = 1 ] ||
	fail "-N PID: netns_vanished $(serve_value tcplimbo_netns_vanished "$T/p2") after the process exited"
grep -q '^tcplimbo_sockets{' "$T/p2" && fail "-N PID: an exited process's namespace still reported"
kill $SERVE
wait $SERVE
ok "-N PID: vanished once the process exits, no series of its own"

# -N with a name of digits that no process had as its pid: a process that
# is given that pid later must not make serve look into its namespace.
try_digits_ns() {
	local n=$(($(cat /proc/sys/kernel/ns_last_pid) + 2000 + RANDOM % 1000))
	[ -e "/proc/$n" ] || [ "$n" -ge "$(cat /proc/sys/kernel/pid_max)" ] && return 1
	ip netns add "$n" || return 1
	DIGITS=$n
}
DIGITS=
if [ -w /proc/sys/kernel/ns_last_pid ] && try_digits_ns; then
	trap 'tl_cleanup_jobs; ip netns del "tl-serve-$$" 2>/dev/null; ip netns del "$DIGITS"; rm -rf "$T"' EXIT
	ip netns exec "$DIGITS" python3 -c '
import socket, time
s = socket.socket()
s.bind(("0.0.0.0", 3006))
s.listen(1)
print("up", flush=True)
time.sleep(30)' >"$T/d-listener" &
	tl_wait_for 5 grep -q up "$T/d-listener" || fail "listener in namespace $DIGITS"
	serve_start "$URL/" --listen 127.0.0.1:$PORT -N "$DIGITS"
	curl -sf -o "$T/d1" "$URL/metrics" || fail "-N $DIGITS scrape"
	grep -q "^tcplimbo_sockets{netns=\"$DIGITS\",state=\"LISTEN\"} 1" "$T/d1" ||
		{ grep '^tcplimbo_sockets.*LISTEN' "$T/d1"; fail "-N $DIGITS: its listener not reported"; }
	# The next pid is set; a fork in between takes it, so a few tries.
	for _ in 1 2 3 4 5; do
		echo $((DIGITS - 1)) >/proc/sys/kernel/ns_last_pid
		sleep 30 &
		[ "$!" = "$DIGITS" ] && break
		kill $!
	done
	if [ -e "/proc/$DIGITS" ]; then
		curl -sf -o "$T/d2" "$URL/metrics" || fail "-N $DIGITS scrape with pid $DIGITS alive"
		grep -q "^tcplimbo_sockets{netns=\"$DIGITS\",state=\"LISTEN\"} 1" "$T/d2" ||
			{ grep '^tcplimbo_sockets.*LISTEN' "$T/d2"; fail "-N $DIGITS: pid $DIGITS's namespace reported under the name"; }
		ok "-N with a name of digits stays the name once a process has that pid"
	else
		echo "skip: pid $DIGITS could not be had for a process"
	fi
	kill $SERVE
	wait $SERVE
fi

# --interval reuses a scan: two scrapes, one scan.
serve_start "$URL/" --listen 127.0.0.1:$PORT -N /proc/self/ns/net --interval 60s
curl -sf -o /dev/null "$URL/metrics" && curl -sf -o "$T/i" "$URL/metrics" ||
	fail "scrapes with --interval"
[ "$(serve_value tcplimbo_scrapes_total "$T/i")" = 2 ] &&
	[ "$(serve_value tcplimbo_scans_total "$T/i")" = 1 ] ||
	{ grep -E '_total ' "$T/i"; fail "--interval 60s: not one scan for two scrapes"; }
kill $SERVE
wait $SERVE
ok "--interval 60s: two scrapes, one scan"

# A counter never falls: two SO_REUSEPORT members that never accept drop
# SYNs; one closes, and its drops stay in the series (Prometheus would
# take a fall for a reset and count them all again).
for m in a b; do
	python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", 3002))
s.listen(0)
print("ready", flush=True)
time.sleep(60)' >"$T/member-$m" &
	eval "member_$m=\$!"
done
tl_wait_for 5 sh -c 'grep -q ready "$1" && grep -q ready "$2"' _ "$T/member-a" "$T/member-b" ||
	fail "reuseport members did not start"
tl_syn_flood 3002
drops() { ss -Hltnm "sport = :3002" | grep -o ',d[0-9]*)' | tr -dc '0-9\n'; }
[ "$(drops | grep -vc '^0$')" = 2 ] || { ss -ltnm "sport = :3002"; fail "not both members dropped SYNs"; }
sum=$(drops | awk '{ s += $1 } END { print s }')
# ss -p puts skmem on the line after the owner's.
gone=$(ss -Hltnpm "sport = :3002" | grep -A1 "pid=$member_a," | grep -o ',d[0-9]*)' | tr -dc '0-9')
serve_start "$URL/" --listen 127.0.0.1:$PORT -N /proc/self/ns/net
D='^tcplimbo_listen_drops_total{.*listener="127.0.0.1:3002"'
curl -sf -o "$T/d1" "$URL/metrics" || fail "scrape before a member closes"
v1=$(grep "$D" "$T/d1" | awk '{ print $2 }')
[ "$v1" = "$sum" ] || { grep 3002 "$T/d1"; fail "drops $v1, ss says $sum"; }
kill "$member_a"
tl_wait_for 5 sh -c '[ "$(ss -Hltn "sport = :3002" | wc -l)" = 1 ]' || fail "member a did not close"
curl -sf -o "$T/d2" "$URL/metrics" || fail "scrape after a member closed"
v2=$(grep "$D" "$T/d2" | awk '{ print $2 }')
[ "$v2" = "$v1" ] ||
	fail "drops_total went from $v1 to $v2 when a member with $gone drops closed"
kill $SERVE "$member_b"
wait $SERVE
ok "listen_drops_total stays at $v2 when a member with $gone of them closes"

# A namespace --proc-root lists is opened through --proc-root, not /proc:
# a fake one lists pid 2147483646 (above any pid_max), whose ns/net is no
# namespace. The scrape counts it unreadable (looked for in /proc, which
# has no such pid, it was counted vanished), and answers. (Vanished is not
# asserted: another test's namespace may go while this one scrapes.)
mkdir -p "$T/proc/2147483646/ns" && : >"$T/proc/2147483646/ns/net"
serve_start "$URL/" --listen 127.0.0.1:$PORT --proc-root "$T/proc" --all-netns
curl -sf -o "$T/m5" "$URL/metrics" || fail "scrape with a namespace that cannot be opened"
[ "$(serve_value tcplimbo_netns_unreadable "$T/m5")" -ge 1 ] ||
	fail "a namespace of --proc-root that cannot be opened: not counted unreadable"
kill $SERVE
wait $SERVE
ok "a namespace of --proc-root that cannot be opened: reported, not fatal"

# IPv6 loopback.
# -6 narrows the counts, unlabelled: the start-up log says so.
serve_start "http://[::1]:$PORT/" --listen "[::1]:$PORT" -N /proc/self/ns/net -6
curl -sf -g -o "$T/m6" "http://[::1]:$PORT/metrics" || fail "scrape over [::1]"
grep -q '^tcplimbo_build_info' "$T/m6" || fail "metrics over [::1]"
grep -qx 'tcplimbo: serve: -6: only IPv6 sockets are counted' "$T/serve.log" ||
	{ cat "$T/serve.log"; fail "-6 not said in the log"; }
# RFC 9112: the absolute form of a target is accepted; an HTTP/1.1
# request without a Host header, or with two, is 400.
U6="http://[::1]:$PORT"
code() { curl -s -g --http1.1 -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code --request-target "http://x/metrics" "$U6/")" = 200 ] || fail "absolute-form http://x/metrics: not 200"
[ "$(code --request-target "HTTP://x" "$U6/")" = 200 ] || fail "absolute-form HTTP://x: not 200"
[ "$(code --request-target "http://x/nope" "$U6/")" = 404 ] || fail "absolute-form http://x/nope: not 404"
[ "$(code -H "Host:" "$U6/metrics")" = 400 ] || fail "HTTP/1.1 without Host: not 400"
[ "$(code -H "Host:" --http1.0 "$U6/metrics")" = 200 ] || fail "HTTP/1.0 without Host: not 200"
python3 - "$PORT" <<'PY' || fail "two Host headers: not 400"
import socket, sys
c = socket.create_connection(("::1", int(sys.argv[1])))
c.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n")
sys.exit(0 if c.recv(64).startswith(b"HTTP/1.1 400") else 1)
PY
# HTTP/2.0 over plain text: 505, logged as one line, without the page.
python3 - "$PORT" <<'PY' || fail "HTTP/2.0: not 505"
import socket, sys
c = socket.create_connection(("::1", int(sys.argv[1])))
c.sendall(b"GET / HTTP/2.0\r\nHost: a\r\nConnection: close\r\n\r\n")
sys.exit(0 if c.recv(64).startswith(b"HTTP/1.1 505") else 1)
PY
tl_wait_for 5 grep -q "505" "$T/serve.log" || { cat "$T/serve.log"; fail "the 505 is not logged"; }
grep "505" "$T/serve.log" | grep -q "<html" && { cat "$T/serve.log"; fail "the 505's log line quotes the HTML page"; }
kill $SERVE
wait $SERVE
ok "--listen [::1]:$PORT; -6 said in the log; absolute-form targets; Host required in HTTP/1.1; 505 logged without its page"

# --json would promise output serve never gives: a usage error.
timeout 5 "$TCPLIMBO" serve --json --listen 127.0.0.1:$PORT >/dev/null 2>"$T/err"
rc=$?
[ $rc = 3 ] && grep -q -- "--json" "$T/err" || { cat "$T/err"; fail "serve --json: exit $rc"; }
ok "serve --json: exit 3, $(head -1 "$T/err")"

for bad in "--listen localhost:9858" "--listen ::1:9858" "--listen [::1" "--listen 127.0.0.1:0" "--listen 1.2.3.4" \
	"--interval 5x" "--max-series -1" "--all-netns -N 1" "extra"; do
	"$TCPLIMBO" serve $bad >/dev/null 2>"$T/err"
	rc=$?
	[ $rc = 3 ] || fail "serve $bad: exit $rc, want 3"
	grep -q . "$T/err" || fail "serve $bad: no message"
done
ok "bad options exit 3 with a message"
