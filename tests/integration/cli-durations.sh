#!/usr/bin/env bash
# Every option that takes a time takes the same forms (500ms, 5s, 1.5s, 2m,
# 1h) through one parser; a bare number keeps the option's own unit; a bad or
# out-of-range value is a usage error naming it and the accepted forms.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

bad() { # want-exit, args...
	local want=$1 rc val
	shift
	val=${*: -1}
	"$TCPLIMBO" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$*: exit $rc, want $want"
	grep -qF -- "'$val'" "$T/err" || fail "$*: '$val' not named: $(cat "$T/err")"
	grep -qF -- "500ms, 1.5s, 2m or 1h" "$T/err" || fail "$*: accepted forms not named: $(cat "$T/err")"
	[ -s "$T/out" ] && fail "$*: printed to stdout"
	ok "$* -> $rc: $(head -n 1 "$T/err")"
}
for v in abc 5x 1.5ms 1. -1 5d 99999999999999999999999; do
	bad 3 doctor --queue-age "$v"
	bad 3 watch --interval "$v"
	bad 3 lab run seed --wait "$v"
done
bad 3 doctor --close-wait-age 25h
bad 3 doctor --fin-wait2-age 86401
bad 3 doctor --queue-age 86400001ms
bad 3 watch --seconds 0s
bad 3 watch --seconds 24h1
bad 3 watch --seconds 86401
bad 3 watch --interval 5
bad 3 watch --interval 9ms
bad 3 watch --interval 2h
bad 3 lab run seed --wait 3601
bad 3 lab run seed --wait 61m
bad 3 lab run seed --hook-timeout 0ms

# The bounds say which unit a bare number has: seconds for the doctor's
# ages and lab's --wait (86400 and 3600 pass, the next second does not),
# milliseconds for watch --interval (5 is under its 10 ms floor, 5s is not).
"$TCPLIMBO" doctor --queue-age 86400 --close-wait-age 2m --fin-wait2-age 500ms --json >"$T/d.json"
rc=$?
[ "$rc" -le 2 ] && jq -e '.findings' "$T/d.json" >/dev/null || fail "doctor with durations: exit $rc"
"$TCPLIMBO" lab run seed --wait 3600 --hook-timeout 1h --help >/dev/null || fail "lab run --wait 3600 refused"
"$TCPLIMBO" lab run seed --wait 2500ms --help >/dev/null || fail "lab run --wait 2500ms refused"
"$TCPLIMBO" watch --backend poll --interval 5s --seconds 1s >"$T/out" 2>"$T/err" || fail "watch --interval 5s --seconds 1s: $(cat "$T/err")"
grep -q "every 5000 ms" "$T/err" || fail "watch --interval 5s is not 5000 ms: $(cat "$T/err")"
"$TCPLIMBO" watch --backend poll --interval 250 --seconds 500ms >"$T/out" 2>"$T/err" || fail "watch --interval 250: $(cat "$T/err")"
grep -q "every 250 ms" "$T/err" || fail "watch --interval 250 is not 250 ms: $(cat "$T/err")"
"$TCPLIMBO" watch --backend poll --interval 0.5s --seconds 1.5 >"$T/out" 2>"$T/err" || fail "watch --interval 0.5s --seconds 1.5: $(cat "$T/err")"
grep -q "every 500 ms" "$T/err" || fail "watch --interval 0.5s is not 500 ms: $(cat "$T/err")"
ok "units, fractions and bare numbers"

for h in "doctor --help" "watch --help" "lab run --help"; do
	"$TCPLIMBO" $h | grep -q "bare number counts" || fail "$h does not say what a bare number counts"
done
ok "--help says what a bare number counts"
