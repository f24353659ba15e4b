#!/usr/bin/env bash
# Each lab scenario, diagnosed while it runs: at the step where the lab has
# planted its problem, `tcplimbo doctor` (run by lab run --then, inside the
# lab's namespace) must report that problem with the right kind and the
# right pid, and nothing else; the time-wait scenario is healthy and must
# give exit 0. Thresholds are 0 because lab steps are short: the rules'
# logic is under test here, their defaults in doctor-healthy.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
"$TCPLIMBO" lab list >/dev/null 2>&1 || skip "no lab verb"

cat >"$T/then.sh" <<'THEN'
#!/bin/sh
# Inside the lab's namespace, at the chosen step.
"$TCPLIMBO" doctor --json --queue-age 0 --close-wait-age 0 \
	--fin-wait2-age 0 >"$LAB_T/$TL_LAB_SCENARIO.json"
echo $? >"$LAB_T/$TL_LAB_SCENARIO.rc"
echo "$TL_LAB_SERVER_PID" >"$LAB_T/$TL_LAB_SCENARIO.server"
ss -tanpH >"$LAB_T/$TL_LAB_SCENARIO.ss"
exit 0
THEN

run() { # scenario step
	LAB_T=$T TCPLIMBO=$TCPLIMBO timeout 120 "$TCPLIMBO" lab run "$1" \
		--wait 1 --then "sh $T/then.sh" --then-at "$2" >"$T/$1.out" 2>&1 ||
		{ cat "$T/$1.out"; fail "lab run $1"; }
	[ -s "$T/$1.json" ] || fail "$1: the doctor did not run"
}

# expect SCENARIO EXIT 'jq test on .findings, with $srv the server pid'
expect() {
	local sc=$1 want=$2 test=$3 srv
	srv=$(cat "$T/$sc.server")
	[ "$(cat "$T/$sc.rc")" = "$want" ] ||
		{ cat "$T/$sc.json" "$T/$sc.ss"; fail "$sc: exit $(cat "$T/$sc.rc"), want $want"; }
	jq -e --argjson srv "$srv" ".findings | $test" "$T/$sc.json" >/dev/null ||
		{ cat "$T/$sc.json" "$T/$sc.ss"; fail "$sc: findings"; }
	ok "$sc: exit $want, $(jq -r '[.findings[] | .kind + " " + (.pids | tostring)] | join("; ")' "$T/$sc.json")"
}

run seed client-exited
expect seed 2 'length == 1 and .[0].kind == "not-accepting" and .[0].pids == [$srv] and .[0].severity == "critical"'
# Why: the server waits in epoll_wait on a set without its listener.
expect seed 2 '.[0].cause == "listener-not-watched" and .[0].certainty == "likely" and .[0].evidence[0].pid == $srv and .[0].evidence[0].epoll == [] and any(.[0].evidence[0].threads[]; .syscall == "epoll_wait")'

run emfile queue-grows
expect emfile 2 'length == 1 and .[0].kind == "fd-exhaustion" and .[0].pids == [$srv] and (.[0].summary | contains("EMFILE"))'
# Why: its fds are the /dev/null files it opened, the listener level-triggered.
expect emfile 2 '.[0].evidence[0].fds.kinds.device >= 20 and .[0].evidence[0].epoll[0].edge_triggered == false and (.[0].evidence[0].text | contains("busy loop"))'

run leak clients-exited
expect leak 1 'length == 1 and .[0].kind == "close-wait-leak" and .[0].pids == [$srv] and .[0].count == 3'

run overflow queue-full
expect overflow 2 'length == 1 and .[0].kind == "accept-queue-overflow" and .[0].pids == [$srv]'
expect overflow 2 '.[0].cause == "listener-not-watched" and .[0].evidence[0].backlog == 2'

# The server closed; the client holds its CLOSE_WAIT: the client is to blame.
run fin-wait2 server-closed
expect fin-wait2 1 'length == 1 and .[0].kind == "close-wait-leak" and .[0].pids != [$srv] and (.[0].pids | length) == 1'
# ss -p as the oracle for who holds it.
CW=$(grep '^CLOSE-WAIT' "$T/fin-wait2.ss" | grep -o 'pid=[0-9]*' | sort -u | cut -d= -f2)
[ -n "$CW" ] || fail "fin-wait2: ss shows no CLOSE-WAIT owner"
jq -e --argjson p "$CW" '.findings[0].pids == [$p]' "$T/fin-wait2.json" >/dev/null ||
	fail "fin-wait2: doctor blames $(jq -c '.findings[0].pids' "$T/fin-wait2.json"), ss says $CW"
ok "fin-wait2: ss -p agrees (pid $CW)"

run time-wait later
expect time-wait 0 'length == 0'

# Why each program does not accept, from /proc: the cause and its evidence.
run stopped server-stopped
expect stopped 1 'length == 1 and .[0].kind == "not-accepting" and .[0].pids == [$srv] and .[0].cause == "stopped" and .[0].certainty == "certain" and .[0].evidence[0].state == "T" and .[0].evidence[0].tracer == 0 and (.[0].evidence[0].text | contains("SIGSTOP")) and (.[0].remedy | contains("kill -CONT"))'

run epollet stuck
expect epollet 1 'length == 1 and .[0].kind == "not-accepting" and .[0].pids == [$srv] and .[0].cause == "edge-triggered" and .[0].evidence[0].epoll[0].edge_triggered and (.[0].remedy | contains("EAGAIN"))'

run oneshot not-rearmed
expect oneshot 1 'length == 1 and .[0].kind == "not-accepting" and .[0].cause == "oneshot-not-rearmed" and .[0].evidence[0].epoll[0].events == "40000000"'

run limit at-limit
expect limit 1 'length == 1 and .[0].kind == "not-accepting" and .[0].cause == "connection-limit" and .[0].certainty == "likely" and .[0].evidence[0].held == 10 and .[0].evidence[0].epoll == [] and (.[0].evidence[0].text | contains("holds 10 accepted connections")) and (.[0].remedy | contains("maxconn")) and (.[0].remedy | contains("accept faster") | not)'

# The leak fills the fd table: fd-exhaustion caused by the CLOSE-WAIT leak,
# linked to the close-wait-leak finding of the same process.
run leak-emfile fd-table-full
expect leak-emfile 2 'length == 2 and (map(.kind) | sort) == ["close-wait-leak", "fd-exhaustion"] and all(.[]; .pids == [$srv]) and (.[] | select(.kind == "fd-exhaustion") | .cause == "close-wait-leak" and .related == "close-wait-leak" and .evidence[0].fds.tcp["close-wait"] >= 12 and (.summary | contains("EMFILE")))'
