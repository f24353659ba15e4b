#!/usr/bin/env bash
# The lab's scenarios of programs that stop accepting for a reason: each
# runs to the end with every step's expectations met (lab run exits 0 only
# then), and its transcript shows the numbers the step is about; ss is the
# oracle for the accept queue where the scenario leaves one.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
"$TCPLIMBO" lab list >/dev/null 2>&1 || skip "no lab verb"

cat >"$T/then.sh" <<'THEN'
#!/bin/sh
ss -tanH >"$LAB_T/$TL_LAB_SCENARIO.ss"
grep State /proc/$TL_LAB_SERVER_PID/status >"$LAB_T/$TL_LAB_SCENARIO.state"
exit 0
THEN

run() { # scenario step: every step's expectations must hold (exit 0)
	LAB_T=$T timeout 120 "$TCPLIMBO" lab run "$1" --wait 1 --json \
		--then "sh $T/then.sh" --then-at "$2" >"$T/$1.json" 2>"$T/$1.err" ||
		{ cat "$T/$1.json" "$T/$1.err"; fail "lab run $1"; }
	[ -s "$T/$1.ss" ] || fail "$1: the --then hook did not run"
}
# queued SCENARIO N: ss shows N connections in the LISTEN socket's Recv-Q
queued() {
	local q
	q=$(awk '$1 == "LISTEN" && $4 ~ /:3000$/ { print $2 }' "$T/$1.ss")
	[ "$q" = "$2" ] || { cat "$T/$1.ss"; fail "$1: ss shows Recv-Q '$q' on the listener, want $2"; }
}

run stopped server-stopped
grep -q 'T (stopped)' "$T/stopped.state" || fail "stopped: $(cat "$T/stopped.state")"
queued stopped 2
ok "stopped: the server is in State T with 2 queued, and SIGCONT drained them"

run epollet stuck
q=$(awk '$1 == "LISTEN" && $4 ~ /:3000$/ { print $2 }' "$T/epollet.ss")
[ "$q" -ge 1 ] && [ "$q" -le 3 ] || fail "epollet: $q queued"
ok "epollet: $q of 4 connections left in the queue"

run oneshot not-rearmed
queued oneshot 2
ok "oneshot: one accepted, 2 queued"

run limit at-limit
queued limit 2
n=$(awk '$1 == "ESTAB" && $4 ~ /:3000$/' "$T/limit.ss" | wc -l)
# 10 the server holds, 2 in its queue (ss shows both as ESTAB).
[ "$n" = 12 ] || { cat "$T/limit.ss"; fail "limit: $n server-side connections"; }
ok "limit: 10 held at maxconn, 2 queued"

run leak-emfile fd-table-full
cw=$(awk '$1 == "CLOSE-WAIT" && $4 ~ /:3000$/' "$T/leak-emfile.ss" | wc -l)
[ "$cw" = 20 ] || { cat "$T/leak-emfile.ss"; fail "leak-emfile: $cw CLOSE-WAIT"; }
ok "leak-emfile: all 20 connections in CLOSE-WAIT, held or queued"
# The step shows the settled state: every client in FIN_WAIT2, the held
# connections read to EOF (Recv-Q 0), the queued ones not ("ping" + FIN).
jq -e '.steps[0].sockets as $s |
	([$s[] | select(.remote_port == 3000) | .state] | unique) == ["fin-wait-2"] and
	([$s[] | select(.local_port == 3000 and .state == "close-wait") |
		[.limbo, .recv_q]] | unique) == [[null, 0], ["accept-queue", 5]]' \
	"$T/leak-emfile.json" >/dev/null ||
	{ jq -c '.steps[0].sockets[] | [.state, .local_port, .remote_port, .recv_q, .limbo]' "$T/leak-emfile.json"; fail "leak-emfile: the step's table is not the settled state"; }
ok "leak-emfile: the table shows the settled state"

# inherited: sleep holds the CLOSE_WAITs (ss -p, the oracle, says so), and
# the doctor, run inside the lab's namespace at that step, names the
# server that accepted them and gives its remedy.
LAB_T=$T timeout 120 "$TCPLIMBO" lab run inherited --wait 1 --json \
	--then "sh -c 'ss -tanpH >$T/inh.ss; $TCPLIMBO doctor --json --close-wait-age 500ms >$T/inh.doctor'" \
	>"$T/inherited.json" 2>"$T/inherited.err" ||
	{ cat "$T/inherited.json" "$T/inherited.err"; fail "lab run inherited"; }
n=$(grep -c 'CLOSE-WAIT.*:3000 .*"sleep"' "$T/inh.ss")
[ "$n" = 2 ] || { cat "$T/inh.ss"; fail "inherited: ss shows $n CLOSE-WAIT held by sleep"; }
jq -e '(.findings | length) == 2 and
	all(.findings[]; .kind == "close-wait-leak" and .comm == "sleep" and
		(.summary | contains("(lab-server), its parent, holds the listener")) and
		(.remedy | contains("SOCK_CLOEXEC")))' "$T/inh.doctor" >/dev/null ||
	{ cat "$T/inh.doctor"; fail "inherited: the doctor does not name the server"; }
ok "inherited: 2 CLOSE-WAIT held by sleep, the doctor names lab-server"

# --wait shows every step before the next action, in these scenarios too
# (a lower bound on the run's length: they used to take a fraction of it).
for sc in stopped limit time-wait; do
	t0=$(date +%s%N)
	timeout 60 "$TCPLIMBO" lab run "$sc" --wait 2 >/dev/null 2>&1 || fail "lab run $sc --wait 2"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -ge 2000 ] || fail "lab run $sc --wait 2 took $ms ms: a step was not shown for --wait"
done
ok "stopped, limit and time-wait show their steps for --wait"
