#!/usr/bin/env bash
# Varnish (Debian's; skipped when it is not installed) in front of a
# backend that accepts and never answers. Five clients ask for the same
# URL and give up: Varnish folds their requests into one fetch, so one
# request out holds five clients' connections in CLOSE-WAIT. The doctor
# tells it waits on that upstream and names it, as it does for a proxy
# with a request out for each client, rather than leave the leak without
# a cause.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
VARNISHD=$(command -v varnishd || ls /usr/sbin/varnishd 2>/dev/null)
[ -n "$VARNISHD" ] || skip "varnish is not installed"
T=$(mktemp -d)
chmod 755 "$T"
VPID=
stop_all() {
	[ -z "$VPID" ] || kill "$VPID" 2>/dev/null
	tl_cleanup_jobs
	rm -rf "$T"
}
trap stop_all EXIT
SRV="$(dirname "$0")/doctor-servers.py"

# The upstream: accepts, reads nothing, answers nothing (for 60 s).
python3 "$SRV" leak --unread --port 3095 --seconds 60 >/dev/null &
tl_wait_for 5 tl_listening 3095 || fail "upstream did not listen"
cat >"$T/default.vcl" <<'VCL'
vcl 4.1;
backend default { .host = "127.0.0.1"; .port = "3095"; .first_byte_timeout = 120s; }
VCL
"$VARNISHD" -a 127.0.0.1:3085 -f "$T/default.vcl" -n "$T/inst" -s malloc,16m \
	-T 127.0.0.1:3086 -P "$T/varnish.pid" >"$T/varnish.log" 2>&1 ||
	{ cat "$T/varnish.log"; fail "varnishd did not start"; }
tl_wait_for 20 tl_listening 3085 || { cat "$T/varnish.log"; fail "varnish did not listen"; }
VPID=$(cat "$T/varnish.pid")
# The child, which serves (the manager, $VPID, holds no connection).
tl_ask_and_leave 3085 5 /same || fail "clients"
tl_wait_for 10 sh -c '[ "$(ss -Htn state close-wait "sport = :3085" | wc -l)" = 5 ]' ||
	{ ss -tanp; fail "ss: not 5 CLOSE-WAIT at varnish"; }
# The oracle: one request out for the five.
[ "$(ss -Htn state established "dport = :3095" | wc -l)" = 1 ] ||
	{ ss -tanp; fail "ss: not 1 request out to the upstream"; }
CHILD=$(ss -Htnp state close-wait "sport = :3085" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
[ -n "$CHILD" ] || { ss -tanp; fail "ss names no owner of the CLOSE-WAIT connections"; }
sleep 1.5

"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/d.json"
jq -e --argjson p "$CHILD" '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 3085)] |
	length == 1 and (.[0] | .pids == [$p] and .count == 5 and
	.cause == "upstream-wait" and .certainty == "possible" and
	(.evidence[0].text | test("^1 of its connections out sent a request that has had no answer for [0-9]+ s \\(to 127.0.0.1:3095\\), beside its 5 in CLOSE-WAIT")) and
	(.evidence[0].text | contains("none of those 5 got its last data")) and
	(.remedy | startswith("If it waits for its upstream")))' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "varnish: not told its folded requests wait on the upstream"; }
ok "varnish, five clients on one fetch: upstream-wait, 127.0.0.1:3095 named"
