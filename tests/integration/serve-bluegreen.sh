#!/usr/bin/env bash
# A blue and a green deployment of one server: the same comm, SO_REUSEPORT
# listeners on one address, each in its own systemd-like unit (cgroups this
# test makes), so serve writes one series set for each. Both drop SYNs;
# when blue goes, green's tcplimbo_listen_drops_total stays green's own
# (ss is the oracle), and when a new blue starts, green's does not fall
# (Prometheus would take a fall for a reset and count every drop again).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/serve-lib.sh"
MNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$MNT" ] || skip "no cgroup2 hierarchy mounted"
command -v curl >/dev/null || skip "curl not installed"
T=$(mktemp -d)
SLICE="$MNT/tcplimbo-test-$$.slice"
mkdir -p "$SLICE/app-blue.service" "$SLICE/app-green.service" 2>/dev/null || {
	rmdir "$SLICE/app-blue.service" "$SLICE/app-green.service" "$SLICE" 2>/dev/null
	rm -rf "$T"
	skip "cannot create cgroups under $MNT"
}
cleanup() {
	local f i
	for f in "$T"/pid.*; do
		[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	tl_cleanup_jobs
	# A cgroup can be removed once its processes are gone: wait for them.
	for i in $(seq 50); do
		rmdir "$SLICE/app-blue.service" "$SLICE/app-green.service" "$SLICE" 2>/dev/null
		[ -d "$SLICE" ] || break
		sleep 0.1
	done
	rm -rf "$T"
}
trap cleanup EXIT
PORT=19862
URL=http://127.0.0.1:$PORT
NS=$(serve_own_label)

# A member: joins its unit's cgroup, then listens (a socket takes its
# creator's cgroup) with a backlog of 0, and never accepts.
member() { # name unit
	bash -c '
echo $$ >"$1/cgroup.procs" || exit 1
echo $$ >"$2/pid.$3"
exec python3 -c "
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind((\"127.0.0.1\", 3003))
s.listen(0)
open(\"$2/ready.$3\", \"w\").close()
time.sleep(60)"' - "$SLICE/$2" "$T" "$1" &
	tl_wait_for 10 test -e "$T/ready.$1" || fail "member $1 did not start"
}
# The drops ss shows for the listener of pid $1 (skmem is on the line
# after the owner's).
own_drops() {
	ss -Hltnpm 'sport = :3003' | grep -A1 "pid=$1," | grep -o ',d[0-9]*)' | tr -dc '0-9'
}
series() { # unit file
	serve_value "tcplimbo_listen_drops_total{netns=\"$NS\",listener=\"127.0.0.1:3003\",comm=\"python3\",unit=\"$1\"}" "$2"
}

member blue app-blue.service
member green app-green.service
B=$(cat "$T/pid.blue")
G=$(cat "$T/pid.green")
tl_syn_flood 3003
b=$(own_drops "$B")
g=$(own_drops "$G")
[ "${b:-0}" -gt 0 ] && [ "${g:-0}" -gt 0 ] ||
	{ ss -ltnpm 'sport = :3003'; fail "not both members dropped SYNs (blue $b, green $g)"; }
serve_start "$URL/" --listen 127.0.0.1:$PORT
curl -sf -o "$T/m1" "$URL/metrics" || fail "first scrape"
[ "$(series app-blue.service "$T/m1")" = "$b" ] && [ "$(series app-green.service "$T/m1")" = "$g" ] ||
	{ grep 3003 "$T/m1"; fail "series are not ss's: blue $b, green $g"; }
ok "blue and green: a series each, blue $b and green $g drops as ss says"

kill "$B"
tl_wait_for 5 sh -c '[ "$(ss -Hltn "sport = :3003" | wc -l)" = 1 ]' || fail "blue did not close"
curl -sf -o "$T/m2" "$URL/metrics" || fail "scrape after blue closed"
g2=$(own_drops "$G")
[ "$(series app-green.service "$T/m2")" = "$g2" ] ||
	{ grep 3003 "$T/m2"; fail "green took blue's drops: ss says $g2"; }
[ -z "$(series app-blue.service "$T/m2")" ] ||
	{ grep 3003 "$T/m2"; fail "blue's series outlived its listener"; }
ok "blue gone: its series ends, green stays at its own $g2"

member blue2 app-blue.service
curl -sf -o "$T/m3" "$URL/metrics" || fail "scrape after a new blue started"
b3=$(own_drops "$(cat "$T/pid.blue2")")
[ "$(series app-green.service "$T/m3")" = "$g2" ] && [ "$(series app-blue.service "$T/m3")" = "$b3" ] ||
	{ grep 3003 "$T/m3"; fail "a new blue moved drops: green should stay $g2, blue be $b3"; }
ok "a new blue starts from its own $b3, green stays at $g2"
