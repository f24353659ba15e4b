#!/usr/bin/env bash
# One process that stopped accepting on nine listeners (a queued
# connection in CLOSE-WAIT on each, as ss shows) is nine findings in
# --json, but the text shows three in full and names the other six on
# one line, with their addresses, how many connections they hold and the
# oldest's age, instead of six more blocks of the same words. A tenth listener whose client is still there is a warning, not
# like the critical ones, and gets its own block.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 -c '
import socket, time
ls = []
for p in range(3400, 3410):
    s = socket.socket(); s.bind(("127.0.0.1", p)); s.listen(8); ls.append(s)
cs = [socket.create_connection(("127.0.0.1", p)) for p in range(3400, 3410)]
for c in cs[:9]:
    c.close()
open("'"$T"'/ready", "w").close()
time.sleep(60)' &
tl_wait_for 10 test -e "$T/ready" || fail "server did not start"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait | wc -l)" = 9 ]' ||
	{ ss -tan; fail "ss: not 9 queued CLOSE-WAIT"; }

sleep 0.3 # older than --queue-age
"$TCPLIMBO" doctor --queue-age 100ms >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] || fail "doctor exit $rc, want 2: $(cat "$T/err")"
grep -q "^10 problems (9 critical, 1 warning)" "$T/out" || fail "header: $(head -1 "$T/out")"
full=$(grep -c "^  CRITICAL not-accepting on " "$T/out")
[ "$full" = 3 ] || { cat "$T/out"; fail "$full critical blocks in full, want 3"; }
tr '\n' ' ' <"$T/out" | tr -s ' ' |
	grep -q "and 6 more not-accepting findings like those above (6 connections in all, the oldest for [0-9.]* m\?s), on 127.0.0.1:3403, 127.0.0.1:3404, 127.0.0.1:3405, 127.0.0.1:3406, 127.0.0.1:3407 and 1 more (--json gives each)" ||
	{ cat "$T/out"; fail "no line naming the other six"; }
grep -q "^  WARNING  not-accepting on 127.0.0.1:3409 " "$T/out" ||
	{ cat "$T/out"; fail "the warning has no block of its own"; }
"$TCPLIMBO" doctor --queue-age 100ms --json >"$T/json" 2>/dev/null
n=$(jq '[.findings[] | select(.kind == "not-accepting")] | length' "$T/json")
[ "$n" = 10 ] || fail "--json has $n not-accepting findings, want 10"
ok "nine alike: three in full and one line for six; --json has all ten"
