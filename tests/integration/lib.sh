# Shared helpers for integration tests; source it first thing.
# Each test runs inside a private network namespace of its own (the script
# re-executes itself under `unshare -n`), so it sees only its own sockets
# and leaves nothing behind: the namespace dies with the script.

TCPLIMBO=${TCPLIMBO:-build/tcplimbo}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# Re-runs the calling script in a new network namespace with lo up.
# Needs root (CAP_SYS_ADMIN); skips without it.
tl_private_netns() {
	if [ -z "${TL_IN_NETNS:-}" ]; then
		[ "$(id -u)" = 0 ] || skip "needs root for a private network namespace"
		command -v unshare >/dev/null || skip "unshare not found"
		TL_IN_NETNS=1 exec unshare -n bash "$0" "$@"
	fi
	ip link set lo up || fail "cannot bring lo up"
}

# Kills every background job of the script when it exits, however it exits.
# A job a test stopped (SIGSTOP) takes its SIGTERM only once resumed: a
# failure while it was stopped would otherwise wait on it for good.
tl_cleanup_jobs() {
	local pids
	pids=$(jobs -p)
	[ -n "$pids" ] && kill $pids 2>/dev/null && kill -CONT $pids 2>/dev/null
	wait 2>/dev/null
	return 0
}
trap tl_cleanup_jobs EXIT

# Waits (bounded) until a command succeeds: tl_wait_for SECONDS CMD...
tl_wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -le $((limit * 10)) ] || return 1
		sleep 0.1
	done
}

# True once something listens on PORT in this namespace.
tl_listening() { ss -Htln "sport = :$1" | grep -q .; }

# Clients of 127.0.0.1:PORT that leave its never-accepting listener's
# queue with CLOSED connections closed by them (CLOSE-WAIT, in the dump)
# and RESET ones reset while queued (SO_LINGER 0, as health checkers do:
# in the listener's Recv-Q, in no dump).
tl_queue_gone() { # port closed reset
	python3 -c '
import socket, struct, sys
port, closed, reset = (int(a) for a in sys.argv[1:4])
for i in range(closed + reset):
    c = socket.create_connection(("127.0.0.1", port))
    if i < closed:
        c.send(b"x")
    else:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()' "$@"
}

# N clients of 127.0.0.1:PORT that each send an HTTP request for PATH
# (/ by default) and give up 0.2 s later, before any answer.
tl_ask_and_leave() { # port n [path]
	python3 -c '
import socket, sys, time
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for _ in range(n):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    time.sleep(0.2)
    c.close()' "$1" "$2" "${3:-/}"
}

# N clients of 127.0.0.1:PORT that send a byte and close, left in the
# queue of a listener that does not accept: waits until ss shows the N
# CLOSE-WAIT sockets, then 1.5 s, past a --queue-age of 1 s.
tl_queue_closed() { # port n
	python3 -c '
import socket, sys
for _ in range(int(sys.argv[2])):
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    c.send(b"x"); c.close()' "$1" "$2" || fail "clients of $1"
	tl_wait_for 5 sh -c "[ \"\$(ss -Htn state close-wait 'sport = :$1' | wc -l)\" = $2 ]" ||
		fail "ss: not $2 queued CLOSE-WAIT on :$1"
	sleep 1.5
}

# COUNT connect()s to 127.0.0.1:PORT, none waited for, held a second: a
# listener with a small backlog drops SYNs.
tl_syn_flood() { # port [count]
	python3 -c '
import socket, sys, time
cs = []
for _ in range(int(sys.argv[2])):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError:
        pass
    cs.append(c)
time.sleep(1)' "$1" "${2:-64}"
}

# The post's server: listens on 127.0.0.1:PORT and never accepts, for at
# most SECONDS (default 60). Sets SERVER to its pid; fails unless it listens.
tl_listen_idle() {
	python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
time.sleep(int(sys.argv[2]))' "$1" "${2:-60}" &
	SERVER=$!
	tl_wait_for 5 tl_listening "$1" || fail "server on port $1 did not listen"
}

# A server on 127.0.0.1:PORT sharing the port with SO_REUSEPORT, in the
# background for at most 60 s: ROLE accept accepts and holds every
# connection, stuck never accepts. tl_reuseport_server ROLE PORT; $! is it.
tl_reuseport_server() {
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", int(sys.argv[2])))
s.listen(64)
held, end = [], time.time() + 60
if sys.argv[1] == "accept":
    s.settimeout(0.2)
    while time.time() < end:
        try:
            held.append(s.accept()[0])
        except socket.timeout:
            pass
else:
    time.sleep(60)' "$1" "$2" &
}

# Skips unless watch's bpf backend starts with BTF here; scratch is a
# file it may write.
tl_need_bpf_watch() {
	[ -r /sys/kernel/btf/vmlinux ] || skip "kernel without BTF"
	if ! "$TCPLIMBO" watch --backend bpf --bpf-attach btf --seconds 1 >/dev/null 2>"$1"; then
		grep -q "no bpf backend" "$1" && skip "built without bpf"
		skip "bpf backend does not start here: $(cat "$1")"
	fi
}

# For tests of the bpf backend itself: skips without BTF, CAP_BPF (bit
# 39) or CAP_SYS_ADMIN (bit 21), or a build without bpf; where those are
# there, a backend that does not start is a failure. scratch is a file
# it may write; the optional rest is a command to run watch under.
tl_require_bpf_watch() {
	local scratch=$1 capeff
	shift
	[ -r /sys/kernel/btf/vmlinux ] || skip "kernel without BTF"
	capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
	(( (0x$capeff >> 39) & 1 || (0x$capeff >> 21) & 1 )) || skip "needs CAP_BPF"
	if ! "$@" "$TCPLIMBO" watch --backend bpf --seconds 1 >/dev/null 2>"$scratch"; then
		grep -q "no bpf backend" "$scratch" && skip "built without bpf"
		fail "bpf backend does not start: $(cat "$scratch")"
	fi
}

# Skips unless nginx is installed; sets NGINX to it.
tl_need_nginx() {
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
	[ -x "$NGINX" ] || skip "nginx not installed"
}

# nginx in the foreground, its files in DIR/PORT (DIR readable by the
# workers' user): tl_start_nginx DIR PORT WORKERS RLIMIT [LISTEN-OPTIONS].
# Sets MASTER (a job of the caller's) and WORKERS (their pids, sorted).
tl_start_nginx() {
	local d=$1/$2
	mkdir -p "$d/logs"
	cat >"$d/nginx.conf" <<CONF
daemon off;
worker_processes $3;
worker_rlimit_nofile $4;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_timeout 300s;
  server { listen 127.0.0.1:$2 ${5:-}; location / { return 200 "ok\n"; } }
}
CONF
	"$NGINX" -p "$d" -c "$d/nginx.conf" &
	MASTER=$!
	tl_wait_for 10 tl_listening "$2" || fail "nginx on $2 did not listen: $(cat "$d/logs/error.log")"
	tl_wait_for 10 sh -c "[ \$(pgrep -P $MASTER | wc -l) = $3 ]" || fail "nginx on $2: not $3 workers"
	WORKERS=$(pgrep -P "$MASTER" | sort -n | tr '\n' ' ')
}

# Runs a python3 snippet in the background, printing nothing.
tl_py_bg() { python3 -c "$1" & }
