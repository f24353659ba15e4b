#!/usr/bin/env bash
# Global options mean the same before and after the verb, for every verb,
# and a bad option always ends with "Try 'tcplimbo VERB --help'.".
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
ESCNS="tl-esc-$$"$'\a'
trap 'tl_cleanup_jobs; ip netns del "$ESCNS" 2>/dev/null; rm -rf "$T"' EXIT

tl_listen_idle 3011 60
python3 -c "import socket, time; c = socket.create_connection(('127.0.0.1', 3011)); time.sleep(60)" &
tl_wait_for 5 sh -c '[ "$(ss -Htn state established | wc -l)" = 2 ]' || fail "no connection"

# The same answer whichever side of the verb an option is on.
"$TCPLIMBO" --json --no-owners ls --sport 3011 >"$T/before" || fail "globals before ls"
"$TCPLIMBO" ls --sport 3011 --json --no-owners >"$T/after" || fail "globals after ls"
jq -e 'length == 2' "$T/after" >/dev/null || { cat "$T/after"; fail "ls --json after the verb: not 2 sockets"; }
# tcp_info's times move between two runs; the rest must not.
nt() { jq -cS 'map(del(.tcp_info))' "$1"; }
[ "$(nt "$T/before")" = "$(nt "$T/after")" ] || fail "ls: globals before and after differ"
ok "ls: --json --no-owners after the verb"

"$TCPLIMBO" --record "$T/dump" ls >/dev/null || fail "--record before ls"
"$TCPLIMBO" ls -j --replay "$T/dump" | jq -e 'length >= 3' >/dev/null || fail "--replay after ls"
"$TCPLIMBO" -N /proc/self/ns/net ls -j >"$T/a" || fail "-N before ls"
"$TCPLIMBO" ls -N /proc/self/ns/net -j >"$T/b" || fail "-N after ls"
jq -e 'length >= 3' "$T/b" >/dev/null && [ "$(nt "$T/a")" = "$(nt "$T/b")" ] || fail "-N after ls: $(cat "$T/b")"
ok "ls: --replay and -N after the verb"
# Together they would show the dump and ignore -N: refused, naming both.
"$TCPLIMBO" ls --replay "$T/dump" -N /proc/self/ns/net >"$T/o" 2>"$T/e"
[ $? = 3 ] && [ ! -s "$T/o" ] &&
	grep -q "with -N '/proc/self/ns/net': a replay shows the network namespace the dump was recorded in, and enters none" "$T/e" ||
	{ cat "$T/e"; fail "--replay with -N: not refused"; }
ok "--replay with -N is refused"

# doctor and watch took --no-owners only before the verb.
"$TCPLIMBO" doctor --no-owners --json >"$T/d.json"
rc=$?
[ "$rc" -le 2 ] || { cat "$T/d.json"; fail "doctor --no-owners: exit $rc"; }
jq -e '.findings | type == "array"' "$T/d.json" >/dev/null || fail "doctor --no-owners --json: not a report"
"$TCPLIMBO" watch --backend poll --interval 100 --seconds 1 --no-owners -j >"$T/w" 2>"$T/werr" ||
	{ cat "$T/werr"; fail "watch --no-owners after the verb: exit $?"; }
"$TCPLIMBO" explain --diagram -N /proc/self/ns/net | grep -q "| ESTAB           2 |" || fail "explain --diagram -N"
ok "doctor, watch and explain take global options after the verb"

# A global option after the verb is still checked against the verb's.
"$TCPLIMBO" ls --pid 1 --no-owners >/dev/null 2>"$T/err" && fail "ls --pid 1 --no-owners succeeded"
grep -q "drop --no-owners" "$T/err" || fail "ls --pid --no-owners: $(cat "$T/err")"
"$TCPLIMBO" lab run seed -N /proc/self/ns/net >/dev/null 2>"$T/err" && fail "lab run -N succeeded"
grep -q "drop -N" "$T/err" || fail "lab run -N: $(cat "$T/err")"
ok "checks between global and verb options"

for v in ls doctor explain watch "lab run" "lab server" "lab client" kill drain; do
	"$TCPLIMBO" $v --bogus >"$T/out" 2>"$T/err" && fail "$v --bogus succeeded"
	grep -qF -- "'--bogus'" "$T/err" || fail "$v --bogus: the option is not named: $(cat "$T/err")"
	grep -qxF "Try 'tcplimbo ${v%% *} --help'." "$T/err" || fail "$v --bogus: no Try line: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 2 ] || fail "$v --bogus: not two lines: $(cat "$T/err")"
	[ -s "$T/out" ] && fail "$v --bogus wrote to stdout"
done
ok "one Try line after a bad option, for every verb"

# -N takes a namespace's name as the output shows it, escapes and all.
if ip netns add "$ESCNS" 2>/dev/null; then
	"$TCPLIMBO" -N "tl-esc-$$\\x07" ls -j >"$T/esc" 2>"$T/esc.err" ||
		fail "-N with the name as shown: $(cat "$T/esc.err")"
	"$TCPLIMBO" -N "$ESCNS" ls -j >"$T/raw" || fail "-N with the name as it is"
	cmp -s "$T/esc" "$T/raw" || fail "-N: the two forms of one name differ"
	"$TCPLIMBO" -N "tl-esc-$$\\x08" ls >/dev/null 2>"$T/esc.err" &&
		fail "-N with another name decoded matched"
	grep -q "no such name" "$T/esc.err" || fail "-N, no such name: $(cat "$T/esc.err")"
	ok "-N takes a name with an escape as shown, and as it is"
else
	echo "note: cannot add a network namespace here; -N by its shown name not checked"
fi
