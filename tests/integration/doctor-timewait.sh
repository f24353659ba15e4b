#!/usr/bin/env bash
# time-wait-pressure on a real namespace: with ip_local_port_range cut to
# 100 ports (a per-namespace sysctl), 60 short connections closed by the
# client leave 60 TIME_WAIT entries holding 60 of those ports towards one
# server: a warning, naming the destination. 30 of them are no finding;
# nor are 60 that tcp_tw_reuse lets connect() take over.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"

sysctl -qw net.ipv4.ip_local_port_range="40000 40099" || skip "cannot set ip_local_port_range"
# Linux reuses a loopback TIME_WAIT port for a new connection once the entry
# is a second old (tcp_tw_reuse 2, the default): on a slow run the second
# batch would then take over ports of the first. Counting needs no reuse.
sysctl -qw net.ipv4.tcp_tw_reuse=0 || skip "cannot set tcp_tw_reuse"
python3 "$SRV" echo --port 3007 --seconds 120 >/dev/null &
tl_wait_for 5 tl_listening 3007 || fail "server did not listen"

connections() { # n short connections, the client closing first
	python3 "$SRV" busy --port 3007 --short "$1" --count 0 --seconds 0 >/dev/null ||
		fail "clients failed"
}
connections 30
tl_wait_for 5 sh -c '[ "$(ss -Htn state time-wait | wc -l)" = 30 ]' || fail "ss: not 30 TIME_WAIT"
"$TCPLIMBO" doctor --json >"$T/d.json"
rc=$?
[ $rc = 0 ] || { cat "$T/d.json"; fail "30 of 100 ports: exit $rc, want 0"; }
ok "30 of 100 ports: no finding"

connections 30
tl_wait_for 5 sh -c '[ "$(ss -Htn state time-wait | wc -l)" = 60 ]' || fail "ss: not 60 TIME_WAIT"
"$TCPLIMBO" doctor --json >"$T/d.json"
rc=$?
[ $rc = 1 ] || { cat "$T/d.json"; fail "60 of 100 ports: exit $rc, want 1"; }
jq -e '
	(.findings | length) == 1 and
	.findings[0].kind == "time-wait-pressure" and
	.findings[0].severity == "warning" and
	.findings[0].remote_addr == "127.0.0.1" and
	.findings[0].remote_port == 3007 and
	.findings[0].count == 60 and
	.findings[0].value == 60 and
	.findings[0].limit == 100' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "time-wait-pressure"; }
ok "60 of 100 ports: time-wait-pressure towards 127.0.0.1:3007"
# No one process's: headed as the namespace's, whichever it is.
"$TCPLIMBO" doctor >"$T/d.txt"
grep -qx "== the network namespace (no one process)" "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "the heading of a finding of no one process"; }
"$TCPLIMBO" doctor --json --port-pct 70 >"$T/d.json"
[ $? = 0 ] || fail "--port-pct 70 should find nothing"
ok "--port-pct respected"

# With tcp_tw_reuse 2 (the default) connect() takes over a loopback
# TIME_WAIT entry once it is a second old: those 60 hold no port against a
# new connection, so they are no pressure. Younger ones still are.
sysctl -qw net.ipv4.tcp_tw_reuse=2 || skip "cannot set tcp_tw_reuse"
tl_wait_for 5 sh -c '[ "$(ss -Htno state time-wait | grep -c "timewait,59sec")" = 0 ]' ||
	fail "TIME_WAIT entries younger than a second after 5 s"
"$TCPLIMBO" doctor --json >"$T/d.json"
rc=$?
[ $rc = 0 ] || { cat "$T/d.json"; fail "tcp_tw_reuse 2, loopback, entries over 1 s old: exit $rc, want 0"; }
ok "tcp_tw_reuse 2 on loopback: reusable TIME_WAIT entries are no pressure"
sysctl -qw net.ipv4.tcp_tw_reuse=0
"$TCPLIMBO" doctor --json >"$T/d.json"
[ $? = 1 ] || { cat "$T/d.json"; fail "tcp_tw_reuse 0 again: not a warning"; }
ok "tcp_tw_reuse 0: the same entries are pressure again"
