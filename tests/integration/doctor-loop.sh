#!/usr/bin/env bash
# An event loop that a blocking call stops: an asyncio server whose
# coroutine calls time.sleep(), and (where Node.js is installed) a Node
# server whose handler computes synchronously. Their clients send a
# request and leave; the connections stay registered for input in the
# loop's epoll set, unread, in CLOSE-WAIT. The doctor tells the leak's
# cause: no thread waits on that epoll set (epoll-not-waited), with the
# fd, the epoll fd and the threads, and a remedy about the blocking call;
# not a missed end of file. A loop that does miss the end of file, and
# spins on it, is told as that (eof-spin); one that computes in user space
# after reading its requests is not.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"

# check PORT PID NAME: the leak on PORT is told as the loop that does not run.
check() {
	tl_wait_for 10 sh -c "[ \"\$(ss -Htn state close-wait 'sport = :$1' | wc -l)\" = 3 ]" ||
		{ ss -tanp; fail "$3: not 3 CLOSE-WAIT"; }
	sleep 1.2
	"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/$3.json"
	jq -e --argjson p "$1" --argjson pid "$2" '[.findings[] | select(.local_port == $p)] |
		length == 1 and .[0].kind == "close-wait-leak" and .[0].pids == [$pid] and
		.[0].count == 3 and
		.[0].cause == "epoll-not-waited" and .[0].certainty == "likely" and
		(.[0].evidence[0].text | test("^its CLOSE-WAIT connection on fd [0-9]+ is in epoll fd [0-9]+, level-triggered and asking for input, but no thread waits on that epoll fd: the event loop that would read the end of file and close it does not run; ")) and
		(.[0].remedy | contains("blocking call in an asyncio coroutine"))' \
		"$T/$3.json" >/dev/null || { cat "$T/$3.json"; fail "$3: the blocked loop not told"; }
	# The fd named is one of the CLOSE-WAIT sockets the process holds.
	fd=$(jq -r --argjson p "$1" '[.findings[] | select(.local_port == $p)][0].evidence[0].text |
		capture("connection on fd (?<fd>[0-9]+)").fd' "$T/$3.json")
	ino=$(readlink "/proc/$2/fd/$fd" | tr -dc 0-9)
	ss -Htne state close-wait "sport = :$1" | grep -q "ino:$ino " ||
		fail "$3: fd $fd (inode $ino) is not one of its CLOSE-WAIT sockets"
}

python3 "$SRV" asyncio-block --port 3040 --count 3 --seconds 60 >"$T/srv" &
SERVER=$!
tl_wait_for 5 test -s "$T/srv" || fail "asyncio server not ready"
# The third connection's coroutine blocks the loop; then they send and leave.
python3 "$SRV" clients --port 3040 --count 3 --wait 0.5 --seconds 60 >"$T/cli" &
check 3040 $SERVER asyncio
ok "asyncio loop blocked by time.sleep(): its 3 CLOSE-WAIT told as epoll-not-waited"

# A loop that reads the end of file and ignores it: the sockets stay in
# its level-triggered set and it spins. Told so (eof-spin) from the CPU
# its thread used while the doctor looked: on a loaded machine it may get
# less than half a CPU at one look, so the doctor looks up to 3 times.
python3 "$SRV" eof-spin --port 3042 --seconds 60 >"$T/spin" &
SPIN=$!
tl_wait_for 5 test -s "$T/spin" || fail "spinning server not ready"
python3 "$SRV" clients --port 3042 --count 3 --wait 0.3 --seconds 60 >"$T/cli3" &
tl_wait_for 10 sh -c "[ \"\$(ss -Htn state close-wait 'sport = :3042' | wc -l)\" = 3 ]" ||
	{ ss -tanp; fail "eof-spin: not 3 CLOSE-WAIT"; }
sleep 1.2
for look in 1 2 3; do
	"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/spin.json"
	jq -e '[.findings[] | select(.local_port == 3042)][0].cause == "eof-spin"' \
		"$T/spin.json" >/dev/null && break
	sleep 1
done
jq -e --argjson pid "$SPIN" '[.findings[] | select(.local_port == 3042)] |
	length == 1 and .[0].pids == [$pid] and .[0].count == 3 and
	.[0].cause == "eof-spin" and .[0].certainty == "likely" and
	(.[0].evidence[0].text | test("^its CLOSE-WAIT connection on fd [0-9]+, whose data it has read, is in epoll fd [0-9]+, level-triggered and asking for input, so every wait reports its end of file again at once; thread [0-9]+ used [0-9]+ % of a CPU")) and
	(.[0].remedy | contains("When read() (or recv()) returns 0"))' "$T/spin.json" >/dev/null ||
	{ cat "$T/spin.json"; uptime; fail "eof-spin: the spinning loop not told in 3 looks"; }
ok "a loop that ignores the end of file, spinning: eof-spin (look $look)"
kill $SPIN

# A loop that computes in its own thread after reading the requests: it
# runs as much as the spinning one, but in user space, and the FINs wait
# unread. The loop does not run: epoll-not-waited, not eof-spin.
python3 "$SRV" cpu-loop --port 3043 --count 3 --seconds 60 >"$T/cpu" &
CPU=$!
tl_wait_for 5 test -s "$T/cpu" || fail "computing server not ready"
# The clients send, and leave only once the loop computes.
python3 "$SRV" clients --port 3043 --count 3 --hold --seconds 60 >"$T/cli4" &
CLI4=$!
tl_wait_for 5 test -s "$T/cli4" || fail "cpu-loop clients not ready"
tl_wait_for 10 sh -c "[ \"\$(awk '{print \$3}' /proc/$CPU/stat)\" = R ]" ||
	fail "cpu-loop: the server does not compute"
kill $CLI4
check 3043 $CPU cpu-loop
jq -e '[.findings[] | select(.local_port == 3043)][0].evidence[0].text |
	test("; of the CPU time thread [0-9]+ has used, [0-9]+ % was in the kernel: it computes rather than waits$")' \
	"$T/cpu-loop.json" >/dev/null || { cat "$T/cpu-loop.json"; fail "cpu-loop: not told it computes"; }
ok "a loop that computes after reading its requests: epoll-not-waited, with its user-space time"
kill $CPU

NODE=$(command -v node || command -v nodejs) || skip "Node.js is not installed (the asyncio case passed)"
"$NODE" -e '
let n = 0;
require("net").createServer(s => {
	s.on("data", () => {});
	if (++n === 3)
		setTimeout(() => { const end = Date.now() + 60000; while (Date.now() < end); }, 100);
}).listen(3041, "127.0.0.1", () => console.log("ready"));' >"$T/node" &
NODEPID=$!
tl_wait_for 10 test -s "$T/node" || fail "node server not ready"
python3 "$SRV" clients --port 3041 --count 3 --wait 0.8 --seconds 60 >"$T/cli2" &
check 3041 $NODEPID node
ok "Node.js loop blocked by a synchronous loop: its 3 CLOSE-WAIT told as epoll-not-waited"
