#!/usr/bin/env bash
# A server frozen by the cgroup freezer (docker pause, systemctl freeze)
# stays in State S (cgroup v2) or D (v1), not T: no signal stopped it. Its
# queue fills and its clients' sockets sit in CLOSE-WAIT. doctor must say
# "frozen", with the evidence (cgroup.events, or __refrigerator), and tell
# to thaw it; not that its accept() may be failing, nor a leak. Run with
# each freezer this machine mounts (v2, and v1 on a hybrid machine).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
[ "$(id -u)" = 0 ] || skip "freezing a cgroup needs root"
T=$(mktemp -d)
CG=
thaw() {
	[ -n "$CG" ] || return 0
	[ -e "$CG/cgroup.freeze" ] && echo 0 >"$CG/cgroup.freeze"
	[ -e "$CG/freezer.state" ] && echo THAWED >"$CG/freezer.state"
	return 0
}
trap 'thaw; tl_cleanup_jobs; [ -n "$CG" ] && rmdir "$CG" 2>/dev/null; rm -rf "$T"' EXIT

# Mount points by type: "cgroup2", or "freezer" for cgroup v1's.
mount_of() {
	awk -v want="$1" '{
		for (i = 7; i <= NF; i++) if ($i == "-") break
		if (want == "cgroup2" && $(i + 1) == "cgroup2") { print $5; exit }
		if (want == "freezer" && $(i + 1) == "cgroup" && $(i + 3) ~ /(^|,)freezer(,|$)/) { print $5; exit }
	}' /proc/self/mountinfo
}

tried=0
port=6200
for kind in v2 v1; do
	if [ $kind = v2 ]; then mnt=$(mount_of cgroup2); else mnt=$(mount_of freezer); fi
	[ -n "$mnt" ] || continue
	CG="$mnt/tl-frozen-$$"
	mkdir "$CG" 2>/dev/null || { CG=; continue; }
	[ $kind = v2 ] && [ ! -e "$CG/cgroup.freeze" ] && { rmdir "$CG"; CG=; continue; }
	port=$((port + 1))
	# A healthy server: it accepts, reads, closes, in a thread the main
	# thread waits for in futex. Frozen under v1, a thread asleep in futex
	# stays there in state D: only the accepting one is in __refrigerator
	# (podman pause, docker pause, lxc-freeze of any threaded server).
	python3 -c '
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
def serve():
    while True:
        c = s.accept()[0]; c.recv(100); c.close()
t = threading.Thread(target=serve); t.start()
print("up", flush=True)
t.join()' $port >"$T/up.$kind" &
	srv=$!
	tl_wait_for 5 grep -q up "$T/up.$kind" || fail "$kind: the server did not start"
	echo $srv >"$CG/cgroup.procs" || fail "$kind: cannot move the server into $CG"
	if [ $kind = v2 ]; then
		echo 1 >"$CG/cgroup.freeze"
		tl_wait_for 5 grep -qx "frozen 1" "$CG/cgroup.events" || fail "v2: $CG did not freeze"
	else
		echo FROZEN >"$CG/freezer.state"
		tl_wait_for 5 grep -qx FROZEN "$CG/freezer.state" || fail "v1: $CG did not freeze"
	fi
	python3 -c '
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
for _ in range(2):
    c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"GET"); c.close()
print("queued", flush=True)
time.sleep(30)' $port >"$T/cl.$kind" &
	tl_wait_for 5 grep -q queued "$T/cl.$kind" || fail "$kind: the clients did not connect"
	sleep 1.2
	"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d.json"
	rc=$?
	[ $rc = 2 ] || { cat "$T/d.json"; fail "$kind: doctor exited $rc, not 2"; }
	f=".findings[] | select(.local_port == $port)"
	jq -e --argjson p $srv "[$f | select(.kind == \"not-accepting\" and .pids == [\$p])] | length == 1" "$T/d.json" >/dev/null ||
		{ cat "$T/d.json"; fail "$kind: no not-accepting finding of pid $srv"; }
	jq -e "$f | .cause == \"frozen\" and .certainty == \"certain\"" "$T/d.json" >/dev/null ||
		{ jq -c "$f | {cause, certainty, evidence: [.evidence[]? | {state, text, threads}]}" "$T/d.json"; fail "$kind: the cause is not frozen"; }
	if [ $kind = v2 ]; then
		jq -e "$f | .evidence[0].frozen == true and .evidence[0].frozen_cgroup == \"/tl-frozen-$$\"" "$T/d.json" >/dev/null ||
			{ jq -c "$f | .evidence" "$T/d.json"; fail "v2: the JSON evidence does not name the frozen cgroup"; }
	fi
	"$TCPLIMBO" doctor --queue-age 1s >"$T/d.txt"
	flat=$(tr -s ' \n' ' ' <"$T/d.txt")
	if [ $kind = v2 ]; then
		grep -qF "its cgroup.events says frozen 1, and cgroup.freeze of /tl-frozen-$$, its cgroup, is 1" <<<"$flat" ||
			{ cat "$T/d.txt"; fail "v2: the evidence is not cgroup.events"; }
	else
		jq -e "$f | .evidence[0].frozen == true and .evidence[0].freezer == \"v1\" and .evidence[0].frozen_cgroup == \"/tl-frozen-$$\"" "$T/d.json" >/dev/null ||
			{ jq -c "$f | .evidence" "$T/d.json"; fail "v1: the JSON evidence does not name the frozen cgroup"; }
		grep -qF "the freezer.state of /tl-frozen-$$ says FROZEN" <<<"$flat" || { cat "$T/d.txt"; fail "v1: the evidence is not freezer.state"; }
	fi
	grep -qF "Thaw it" <<<"$flat" || { cat "$T/d.txt"; fail "$kind: the remedy is not to thaw it"; }
	grep -q "EMFILE\|missed read() returning 0" <<<"$flat" && { cat "$T/d.txt"; fail "$kind: a frozen server told as failing or leaking"; }
	thaw
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	rmdir "$CG" 2>/dev/null
	CG=
	tried=$((tried + 1))
	ok "$kind freezer: doctor says frozen, with its evidence, and to thaw it"
done
[ $tried -gt 0 ] || skip "no cgroup freezer this test can use here"
