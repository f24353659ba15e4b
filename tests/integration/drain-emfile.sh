#!/usr/bin/env bash
# drain on a server spinning on EMFILE (the lab's emfile mode: every
# accept() fails, the listener stays readable): once the clients have
# closed, drain frees their queued connections while the program keeps
# failing, and the program stays as it was.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

"$TCPLIMBO" lab server --mode emfile --nofile 32 --port 3006 --seconds 60 >"$T/srv" 2>&1 &
SERVER=$!
tl_wait_for 5 tl_listening 3006 || fail "server did not listen"
timeout 20 "$TCPLIMBO" lab client --port 3006 --send ping --wait 0 --count 3 >"$T/cli" 2>&1 ||
	fail "client failed"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3006" | wc -l)" = 3 ]' ||
	fail "ss: not 3 CLOSE_WAIT"
tl_wait_for 5 grep -q EMFILE "$T/srv" || { cat "$T/srv"; fail "the server does not hit EMFILE"; }
nfd=$(ls "/proc/$SERVER/fd" | wc -l)

"$TCPLIMBO" drain 127.0.0.1:3006 --json >"$T/d.json" 2>"$T/e"
rc=$?
[ $rc = 0 ] || { cat "$T/e" "$T/d.json"; fail "drain: exit $rc"; }
jq -e '.freed == 3 and .queue_after == 0' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "drain --json"; }
[ "$(ss -Htn state close-wait 'sport = :3006' | wc -l)" = 0 ] || fail "ss: CLOSE_WAIT left"
kill -0 "$SERVER" || fail "the server died"
[ "$(ls "/proc/$SERVER/fd" | wc -l)" = "$nfd" ] || fail "the server's fd count changed"
grep -q 'Accept conn' "$T/srv" && fail "the server accepted a connection"
ok "drain freed 3 queued connections while the server stays at EMFILE"
