#!/usr/bin/env bash
# ls past the stream's limits: 24,000 connections (48,003 sockets) are more
# than it holds while the owners pass runs (32,768) and some 190 of the
# dump thread's batches. With each owners backend, ls --json must give
# every socket ss -tan gives, once each, in the kernel's order (ss's),
# each named after the process that holds it; and ls must stop cleanly
# when its reader goes away part way through.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
command -v python3 >/dev/null || skip "python3 not found"
# Three holders of 16,001 fds each: under the limit this machine allows.
ulimit -n 20000 2>/dev/null || skip "cannot raise the fd limit to 20000"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
PORT=3300
N=8000
HOLDERS=3

# Holder k listens on PORT+k and holds both ends of its N connections.
pids=()
for k in $(seq 0 $((HOLDERS - 1))); do
	python3 -c '
import socket, sys, time
port, n, k = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
l = socket.socket()
l.bind(("127.0.0.1", port))
l.listen(4096)
keep = []
for i in range(n):
    # 127.0.0.0/8 is ours: many source addresses, no port runs out.
    c = socket.socket()
    c.bind(("127.%d.%d.%d" % (1 + k, 1 + i // 250, 1 + i % 250), 0))
    c.connect(("127.0.0.1", port))
    keep.append(c)
    keep.append(l.accept()[0])
print("up", flush=True)
time.sleep(120)' $((PORT + k)) "$N" "$k" >"$T/up$k" &
	pids+=($!)
done
for k in $(seq 0 $((HOLDERS - 1))); do
	tl_wait_for 60 grep -q up "$T/up$k" || fail "holder $k did not make its $N connections"
done

# The kernel's order and count, as ss sees them: state, ports.
ss -tanH | awk '{ split($4, l, ":"); split($5, r, ":"); rp = r[length(r)];
	print $1, l[length(l)], rp == "*" ? 0 : rp }' >"$T/ss"
want=$(wc -l <"$T/ss")
total=$((HOLDERS * (2 * N + 1)))
[ "$want" -eq "$total" ] || fail "ss shows $want sockets, expected $total"

check() { # check NAME ARGS...: ls --json ARGS against ss and the holder
	local name=$1
	shift
	"$TCPLIMBO" "$@" ls --json >"$T/$name.json" 2>"$T/$name.err" ||
		fail "$name: ls failed: $(cat "$T/$name.err")"
	python3 - "$T/$name.json" "$T/ss" "$name" "$PORT" "${pids[@]}" <<'EOF' || exit 1
import json, sys
socks = json.load(open(sys.argv[1]))
name, port = sys.argv[3], int(sys.argv[4])
pids = [int(p) for p in sys.argv[5:]]
states = {"established": "ESTAB", "listen": "LISTEN"}
got = ["%s %d %d" % (states.get(s["state"], s["state"]), s["local_port"],
                     s["remote_port"]) for s in socks]
want = open(sys.argv[2]).read().split("\n")[:-1]
if got != want:
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            sys.exit("FAIL: %s: socket %d is %r, ss says %r" % (name, i, g, w))
    sys.exit("FAIL: %s: %d sockets, ss %d" % (name, len(got), len(want)))
inodes = [s["inode"] for s in socks]
if len(set(inodes)) != len(inodes):
    sys.exit("FAIL: %s: a socket came out twice" % name)
def holder(s):
    """The pid of the holder whose listener the socket belongs to."""
    p = s["local_port"] if s["state"] == "listen" else \
        min(s["local_port"], s["remote_port"])
    return pids[p - port]
unnamed = [s for s in socks if [o["pid"] for o in s["owners"]] != [holder(s)]]
if unnamed:
    sys.exit("FAIL: %s: %d sockets not named after their holder, first %r"
             % (name, len(unnamed), unnamed[0]))
print("ok: %s: %d sockets in the kernel's order, each named" % (name, len(socks)))
EOF
}
check proc --owners-backend proc
check proc-1 --owners-backend proc --threads 1
if "$TCPLIMBO" --owners-backend bpf ls --no-header >/dev/null 2>&1; then
	check bpf --owners-backend bpf
else
	echo "# the bpf owners backend does not load here: not checked"
fi

# A reader that leaves after the first lines: ls stops, with no crash, no
# hang and no success (killed by SIGPIPE, or the write error reported),
# while its dump thread is still at work.
timeout 60 "$TCPLIMBO" ls --json 2>"$T/pipe.err" | head -c 1000 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" -ne 124 ] || fail "ls did not stop when its reader went away"
[ "$rc" -ne 0 ] || fail "ls exited 0 though its output was cut"
[ "$rc" -lt 128 ] || [ "$rc" -eq 141 ] || fail "ls died of signal $((rc - 128))"
ok "ls stops when its reader goes away (status $rc)"
