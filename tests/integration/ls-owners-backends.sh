#!/usr/bin/env bash
# ls --json gives the same sockets with the same owners whichever owners
# backend runs: the BPF iterators, the /proc pass on every CPU, the /proc
# pass on one thread. A server that forks after accepting shares its
# sockets with its child. -v says which backend ran; bad values are usage
# errors that name the value.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
# The server's child is no job of ours: killed by the pid it printed.
trap 'read -r _ kid 2>/dev/null <"$T/up" && kill "$kid" 2>/dev/null; tl_cleanup_jobs; rm -rf "$T"' EXIT
PORT=3200

"$TCPLIMBO" --owners-backend nope ls >/dev/null 2>"$T/e" && fail "bad backend accepted"
[ $? -eq 3 ] || fail "bad backend: status is not 3 (usage)"
grep -q "'nope'" "$T/e" || fail "bad backend: value not named: $(cat "$T/e")"
grep -q "^Try 'tcplimbo --help'" "$T/e" || fail "bad backend: no pointer to --help: $(cat "$T/e")"
"$TCPLIMBO" --threads 65 ls >/dev/null 2>"$T/e" && fail "--threads 65 accepted"
grep -q "'65'" "$T/e" || fail "--threads: value not named: $(cat "$T/e")"
grep -q "^Try 'tcplimbo --help'" "$T/e" || fail "--threads: no pointer to --help: $(cat "$T/e")"

# 200 connections; after accepting them the server forks: both hold all.
python3 -c '
import os, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
l = socket.socket()
l.bind(("127.0.0.1", port))
l.listen(n)
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
ss = [l.accept()[0] for _ in range(n)]
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
print("up", child, flush=True)
time.sleep(30)' "$PORT" 200 >"$T/up" &
tl_wait_for 10 grep -q up "$T/up" || fail "population did not start"

norm() { # what owners decide, one socket a line, sorted (timers and
	# tcp_info change between two runs)
	python3 -c '
import json, sys
keys = ("inode", "state", "local_port", "remote_port", "owners", "limbo",
        "listener_owners")
for s in sorted(json.dumps({k: x[k] for k in keys}, sort_keys=True)
                for x in json.load(sys.stdin)):
    print(s)'
}
"$TCPLIMBO" -v --owners-backend proc --threads 1 ls --json 2>"$T/e1" | norm >"$T/one" ||
	fail "ls --owners-backend proc --threads 1 failed"
grep -q "owners from proc (/proc/PID/fd on 1 thread)" "$T/e1" || fail "-v: $(cat "$T/e1")"
"$TCPLIMBO" -v --owners-backend proc --threads 4 ls --json 2>"$T/e4" | norm >"$T/four" ||
	fail "ls --owners-backend proc --threads 4 failed"
grep -q "owners from proc (/proc/PID/fd on 4 threads)" "$T/e4" || fail "-v: $(cat "$T/e4")"
# 200 connections, two sockets each, plus the listener, all held by two
# processes (fork copies every fd).
n=$(python3 -c '
import json, sys
print(sum(len(json.loads(l)["owners"]) == 2 for l in open(sys.argv[1])))' "$T/one")
[ "$n" -eq 401 ] || fail "expected 401 sockets held by two processes, got $n"
cmp -s "$T/one" "$T/four" || { diff "$T/one" "$T/four" | head; fail "/proc on 1 and 4 threads differ"; }
ok "/proc pass: one thread and four agree on $(wc -l <"$T/one") sockets"

# doctor --json says which pass ran.
"$TCPLIMBO" --owners-backend proc doctor --json 2>/dev/null | grep -q '"owners_backend":"proc"}' ||
	fail "doctor --json does not say owners_backend proc"
"$TCPLIMBO" --no-owners doctor --json 2>/dev/null | grep -q '"owners_backend":null}' ||
	fail "doctor --json --no-owners: owners_backend is not null"
if "$TCPLIMBO" -v --owners-backend bpf ls --json 2>"$T/eb" | norm >"$T/bpf"; then
	grep -q "owners from bpf" "$T/eb" || fail "-v: $(cat "$T/eb")"
	cmp -s "$T/one" "$T/bpf" || { diff "$T/one" "$T/bpf" | head; fail "bpf and /proc differ"; }
	ok "bpf and /proc agree"
	"$TCPLIMBO" --owners-backend bpf doctor --json 2>/dev/null | grep -q '"owners_backend":"bpf"}' ||
		fail "doctor --json does not say owners_backend bpf"
	# In a pid namespace with its own /proc, as in a container: both
	# passes name the holders by their pids there (small numbers).
	unshare --pid --fork --mount-proc bash -c '
T=$1 TCPLIMBO=$2
python3 -c "
import socket, time
l = socket.socket()
l.bind((\"127.0.0.1\", 3201))
l.listen(8)
cs = [socket.create_connection((\"127.0.0.1\", 3201)) for _ in range(5)]
ss = [l.accept()[0] for _ in range(5)]
print(\"up\", flush=True)
time.sleep(30)" >"$T/nsup" &
for i in $(seq 100); do grep -q up "$T/nsup" && break; sleep 0.1; done
"$TCPLIMBO" --owners-backend proc --threads 1 ls --json >"$T/nsproc"
"$TCPLIMBO" --owners-backend bpf ls --json >"$T/nsbpf"
kill %1' _ "$T" "$TCPLIMBO" 2>"$T/ens" || fail "in a pid namespace: $(cat "$T/ens")"
	port3201() {
		python3 -c '
import json, sys
json.dump([s for s in json.load(sys.stdin) if 3201 in (s["local_port"], s["remote_port"])], sys.stdout)'
	}
	port3201 <"$T/nsproc" | norm >"$T/nsone"
	port3201 <"$T/nsbpf" | norm >"$T/nstwo"
	[ "$(wc -l <"$T/nsone")" -eq 11 ] || fail "pid namespace: expected 11 sockets: $(cat "$T/nsone")"
	python3 -c '
import json, sys
pids = {o["pid"] for l in open(sys.argv[1]) for o in json.loads(l)["owners"]}
sys.exit(0 if len(pids) == 1 and max(pids) < 100 else 1)' "$T/nsone" ||
		fail "pid namespace: the holder is not named by its pid there: $(head -1 "$T/nsone")"
	cmp -s "$T/nsone" "$T/nstwo" || { diff "$T/nsone" "$T/nstwo" | head; fail "pid namespace: bpf and /proc differ"; }
	ok "in a pid namespace, bpf and /proc agree on $(wc -l <"$T/nsone") sockets"
	# Without a /proc of its own the BPF pass would see fewer processes
	# than /proc lists, under other pids: it refuses, saying why.
	unshare --pid --fork "$TCPLIMBO" --owners-backend bpf ls >/dev/null 2>"$T/enp" &&
		fail "bpf under a /proc of another pid namespace accepted"
	grep -q "bpf: /proc is not a /proc of this process's pid namespace" "$T/enp" ||
		fail "bpf under another pid namespace's /proc: $(cat "$T/enp")"
	# auto: bpf where the machine has many open files, else /proc, and -v
	# says which and why.
	"$TCPLIMBO" -v ls --no-header 2>"$T/ea" >/dev/null || fail "ls failed"
	files=$(cut -f1 /proc/sys/fs/file-nr)
	if [ "$files" -ge 12000 ]; then
		grep -q "owners from bpf" "$T/ea" || fail "auto with $files open files: $(cat "$T/ea")"
	elif [ "$files" -lt 8000 ]; then
		grep -q "owners from proc (.*open files on this machine, fewer than the 10000" "$T/ea" ||
			fail "auto with $files open files: $(cat "$T/ea")"
	fi
	# Past the threshold, whatever the machine had: a process holding
	# 12,000 more open files makes auto take the iterators.
	python3 -c '
import os, resource, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (13000, 13000))
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(12000)]
print("held", flush=True)
time.sleep(20)' >"$T/held" &
	held=$!
	tl_wait_for 10 grep -q held "$T/held" || fail "could not hold 12000 open files"
	"$TCPLIMBO" -v ls --no-header 2>"$T/ea" >/dev/null || fail "ls failed"
	grep -q "owners from bpf" "$T/ea" ||
		fail "auto with $(cut -f1 /proc/sys/fs/file-nr) open files: $(cat "$T/ea")"
	ok "auto takes bpf with $(cut -f1 /proc/sys/fs/file-nr) open files"
	kill "$held" 2>/dev/null
else
	grep -q "built without bpf\|refused" "$T/eb" || fail "bpf failed: $(cat "$T/eb")"
	echo "note: no bpf here ($(cat "$T/eb")); /proc only"
fi
