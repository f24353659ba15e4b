#!/usr/bin/env bash
# Half-open connections are request sockets (the kernel's NEW_SYN_RECV),
# which sock_diag reports as SYN_RECV, as ss shows them. SYNs from an
# address that is not there (the SYN,ACK goes out of a veth whose peer
# has no address, and nothing answers) leave three of them on a listener. ls counts them as ss
# does, under syn-recv; explain --diagram counts them as "requests", not as
# full SYN-RCVD sockets; serve's tcplimbo_sockets has them under
# NEW_SYN_RECV, and SYN_RECV at 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
tl_private_netns "$@"
command -v curl >/dev/null || skip "curl not found"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
ip link add tlreq0 type veth peer name tlreq1 && ip addr add 10.9.9.1/24 dev tlreq0 &&
	ip link set tlreq0 up && ip link set tlreq1 up || skip "cannot make a veth pair"

python3 -u - 3020 <<'PY' >"$T/syn" &
import socket, struct, sys, time
port = int(sys.argv[1])
l = socket.socket()
l.bind(("10.9.9.1", port))
l.listen(16)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF

src, dst = socket.inet_aton("10.9.9.5"), socket.inet_aton("10.9.9.1")
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
r.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
for sport in (41001, 41002, 41003):
    tcp = struct.pack("!HHIIBBHHH", sport, port, 1000, 0, 5 << 4, 0x02, 64240, 0, 0)
    c = csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst)
    r.sendto(ip + tcp, ("10.9.9.1", 0))
print("sent", flush=True)
time.sleep(60)
PY
tl_wait_for 10 grep -q sent "$T/syn" || fail "the SYNs were not sent"
tl_wait_for 5 sh -c '[ "$(ss -Htan state syn-recv | wc -l)" = 3 ]' ||
	{ ss -tan; fail "ss: not 3 half-open connections"; }

[ "$("$TCPLIMBO" ls --state syn-recv --json | jq length)" = 3 ] ||
	{ "$TCPLIMBO" ls; fail "ls --state syn-recv: not the 3 ss shows"; }
ok "ls: 3 half-open connections under syn-recv, as ss"

"$TCPLIMBO" explain --diagram >"$T/diagram" || fail "explain --diagram"
grep -q "| requests        3 |" "$T/diagram" && grep -q "| SYN-RCVD        0 |" "$T/diagram" ||
	{ cat "$T/diagram"; fail "diagram: the requests are not counted as requests"; }
ok "explain --diagram: 3 requests, 0 full SYN-RCVD sockets"

# explain gives the names ss and netstat use: ss shows requests as
# SYN-RECV, and its filter takes syn-recv, not the kernel's name.
"$TCPLIMBO" explain new-syn-recv | head -1 | grep -qF "(ss: syn-recv, netstat: SYN_RECV)" ||
	{ "$TCPLIMBO" explain new-syn-recv | head -1; fail "explain new-syn-recv: not ss's and netstat's names"; }
SSN=$("$TCPLIMBO" explain --json new-syn-recv | jq -r .ss_name)
[ "$(ss -Htan state "$SSN" | wc -l)" = 3 ] ||
	fail "ss state $SSN (explain's ss_name): not the 3 requests"
ok "explain new-syn-recv: ss's name, which ss's filter takes"

PORT=19870
URL=http://127.0.0.1:$PORT
serve_start "$URL/" --listen 127.0.0.1:$PORT -N /proc/self/ns/net
# Its start line says which namespace -N named.
grep -qF "(the network namespace of -N /proc/self/ns/net, " "$T/serve.log" ||
	{ cat "$T/serve.log"; fail "serve -N: the start line does not name the namespace"; }
curl -sf -o "$T/m" "$URL/metrics" || fail "scrape"
NS=$(grep -o 'tcplimbo_sockets{netns="[^"]*",state="LISTEN"}' "$T/m" | sed 's/.*netns="\([^"]*\)".*/\1/')
[ -n "$NS" ] || { cat "$T/m"; fail "no tcplimbo_sockets series"; }
[ "$(serve_value "tcplimbo_sockets{netns=\"$NS\",state=\"NEW_SYN_RECV\"}" "$T/m")" = 3 ] &&
	[ "$(serve_value "tcplimbo_sockets{netns=\"$NS\",state=\"SYN_RECV\"}" "$T/m")" = 0 ] ||
	{ grep tcplimbo_sockets "$T/m"; fail "metrics: the requests are not NEW_SYN_RECV"; }
ok "serve: tcplimbo_sockets NEW_SYN_RECV 3, SYN_RECV 0"

# kill drops a request without a RST (the kernel's reqsk drop): the report
# says so, not that the peer was reset.
kill $SERVE
wait $SERVE 2>/dev/null
"$TCPLIMBO" kill --state syn-recv --sport 3020 >"$T/kill" 2>&1 || { cat "$T/kill"; fail "kill on the requests"; }
[ "$(grep -c '^destroyed' "$T/kill")" = 3 ] &&
	[ "$(grep -c 'a half-open request: dropped without a RST' "$T/kill")" = 3 ] ||
	{ cat "$T/kill"; fail "kill on a request: not told it goes without a RST"; }
[ "$(ss -Htan state syn-recv | wc -l)" = 0 ] || { ss -tan; fail "ss: requests left"; }
ok "kill on the 3 requests: dropped, each told to go without a RST"
