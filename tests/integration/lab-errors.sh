#!/usr/bin/env bash
# lab's bad input: one line naming the bad value, exit 3; lab list.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

bad() { # expected-text args...
	local want=$1 rc=0
	shift
	"$TCPLIMBO" "$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 3 ] || fail "'$*': exit $rc, want 3"
	grep -qF -- "$want" "$T/err" || fail "'$*': stderr lacks '$want': $(cat "$T/err")"
	[ "$(grep -c 'tcplimbo:' "$T/err")" = 1 ] || fail "'$*': not one error line"
}

bad "lab" lab bogus
bad "which scenario" lab run
bad "'nope'" lab run nope
bad "'abc'" lab run seed --wait abc
bad "'99999'" lab run seed --wait 99999
bad "'-1'" lab run seed --wait -1
bad "'extra'" lab run seed extra
bad "'0'" lab run seed --port 0
bad "'0'" lab run seed --hook-timeout 0
bad "--hook '': give a command" lab run seed --hook ''
bad "--then '': give a command" lab run seed --then ''
bad "drop -N" -N /proc/self/ns/net lab run seed
bad "'bogus'" lab server --mode bogus
bad "'70000'" lab server --backlog 70000
bad "'4'" lab server --nofile 4
bad "'0'" lab client --count 0
bad "'5000'" lab client --count 5000
bad "bad --port '0' (1..65535)" lab client --port 0
bad "bad --port 'x' (0..65535, 0 for any free port)" lab server --port x
bad "'0'" lab client --port 0
bad "'1.2.3'" lab client --addr 1.2.3
bad "'x'" lab client --wait x
# Durations, as lab run's --wait: past an hour, or a bare 0 ms timeout.
bad "'2h'" lab client --wait 2h
bad "'0'" lab client --connect-timeout 0
bad "'1.0001s'" lab client --connect-timeout 1.0001s
rc=0
"$TCPLIMBO" lab client --port 1 --wait 1ms --connect-timeout 0.5s >"$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "Sleep 1ms" "$T/out" ||
	fail "lab client --wait 1ms --connect-timeout 0.5s: exit $rc, want 1 (refused): $(cat "$T/out")"
hooks=()
for i in 1 2 3 4 5 6 7 8 9; do hooks+=(--hook true); done
bad "more than 8" lab run seed "${hooks[@]}"
bad "'later'" lab run seed --end later
# --end is the seed scenario's: elsewhere it would be ignored.
bad "--end 'drain' is for the seed scenario; leak ends as it is written" lab run leak --end drain
# The examples fit the range: 500ms is below --seconds' least, 1s.
bad "want a duration from 1s to 24h in whole milliseconds, such as 1.5s, 2m or 1h" lab server --seconds 0.4
grep -q 500ms "$T/err" && fail "lab server --seconds 0.4: 500ms given as an example: $(cat "$T/err")"
ok "bad input: exit 3, one line"

"$TCPLIMBO" lab list >"$T/list" || fail "lab list failed"
[ "$(wc -l <"$T/list")" = 12 ] || fail "lab list: $(cat "$T/list")"
for s in seed emfile leak overflow fin-wait2 time-wait stopped epollet oneshot \
	limit leak-emfile inherited; do
	grep -q "^$s " "$T/list" || fail "lab list lacks $s"
done
"$TCPLIMBO" lab run --help | grep -q -- "--then-at" || fail "lab run --help"
"$TCPLIMBO" lab -- list | cmp -s - "$T/list" || fail "lab -- list is not lab list"
ok "lab list: twelve scenarios (and lab -- list)"
