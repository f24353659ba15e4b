#!/usr/bin/env bash
# Bad input: the doctor exits 3 (monitoring's "unknown") with one line that
# names the bad value; explain exits 3 too. And explain --diagram on a recorded
# dump of known sockets shows the counts ss counts.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

bad() { # want-exit, text the message must hold, args...
	local want=$1 text=$2 rc
	shift 2
	"$TCPLIMBO" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$*: exit $rc, want $want"
	grep -q -- "$text" "$T/err" || { cat "$T/err"; fail "$*: message lacks '$text'"; }
	[ -s "$T/out" ] && fail "$*: printed a report"
	ok "$* -> $rc"
}
bad 3 "'abc'" doctor --queue-age abc
bad 3 "'25h'" doctor --close-wait-age 25h
bad 3 "'101'" doctor --fd-pct 101
bad 3 "'0' for --fd-pct (want a percentage 1..100)" doctor --fd-pct 0
bad 3 "'0' for --port-pct" doctor --port-pct 0
bad 3 "'-1'" doctor --syn-min -1
bad 3 "--close-wait-critical 1 is below --close-wait-min 5" doctor --close-wait-min 5 --close-wait-critical 1
bad 3 "unrecognized" doctor --bogus
bad 3 "'extra'" doctor extra
bad 3 "'no-such-ns-$$'" doctor -N no-such-ns-$$
bad 3 "'no-such-ns-$$'" -N no-such-ns-$$ doctor
bad 3 "exclude" doctor --all-netns -N 1
bad 3 "-N given twice ('no-such-a', then 'no-such-b'): give it once" -N no-such-a doctor -N no-such-b
bad 3 "--replay given twice ('x.dump', then 'y.dump')" --replay x.dump ls --replay y.dump
bad 3 "'bogus'" explain bogus
bad 3 "explain" explain
bad 3 "extra" explain close-wait extra
"$TCPLIMBO" doctor --help | grep -q -- "--queue-age" || fail "doctor --help"
"$TCPLIMBO" explain CLOSE_WAIT | grep -q "^CLOSE-WAIT (ss: close-wait" || fail "explain CLOSE_WAIT"
"$TCPLIMBO" explain --json time-wait | jq -e '.state == "TIME-WAIT" and (.transitions | length) == 4' >/dev/null ||
	fail "explain --json"
ok "help and explain"

# Known sockets: a listener and 3 accepted connections (6 ESTABLISHED).
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 3006)); s.listen(8)
c = [socket.create_connection(("127.0.0.1", 3006)) for _ in range(3)]
a = [s.accept() for _ in range(3)]
print("ready", flush=True)
time.sleep(60)' >"$T/ready" &
tl_wait_for 5 test -s "$T/ready" || fail "sockets not ready"
EST=$(ss -Htn state established | wc -l)
[ "$EST" = 6 ] || fail "ss: $EST established, want 6"
"$TCPLIMBO" --record "$T/dump" ls >/dev/null || fail "record"
tl_cleanup_jobs
"$TCPLIMBO" --replay "$T/dump" explain --diagram >"$T/diagram" || fail "diagram"
grep -q "| ESTAB           6 |" "$T/diagram" || { cat "$T/diagram"; fail "ESTAB count"; }
grep -q "| LISTEN          1 |" "$T/diagram" || fail "LISTEN count"
grep -q "| CLOSE-WAIT      0 |" "$T/diagram" || fail "CLOSE-WAIT count"
grep -q "| CLOSED          - |" "$T/diagram" || fail "CLOSED count"
ok "diagram from a replayed dump: 6 ESTAB, 1 LISTEN"
# The live namespace now: everything closed, only TIME_WAIT may be left.
"$TCPLIMBO" explain --diagram | grep -q "| ESTAB           0 |" || fail "live diagram"
ok "live diagram"
