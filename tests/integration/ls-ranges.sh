#!/usr/bin/env bash
# Port ranges (--sport LO-HI) and address prefixes (--addr ADDR/BITS) in
# ls, checked against ss's own filters over the same listeners, and in
# watch, where the kernel's filters cannot hold them and user space
# applies them: a connection to a port inside the range is reported, one
# outside is not, with either backend that runs here.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
ip addr add 127.0.0.2/8 dev lo 2>/dev/null || true

python3 -c '
import socket, time
ls = []
for fam, host, port in [(socket.AF_INET, "127.0.0.1", 3050),
                        (socket.AF_INET, "127.0.0.1", 3051),
                        (socket.AF_INET, "127.0.0.2", 3052),
                        (socket.AF_INET6, "::1", 3053),
                        (socket.AF_INET, "127.0.0.1", 3060)]:
    s = socket.socket(fam)
    s.bind((host, port))
    s.listen(8)
    ls.append(s)
print("ready", flush=True)
time.sleep(60)' >"$T/srv" &
tl_wait_for 5 test -s "$T/srv" || fail "listeners not ready"

# ls PORTS vs ss's sport range: the same sockets, by local port.
check() {
	local what=$1 ss_filter=$2
	shift 2
	"$TCPLIMBO" ls --json --state listening "$@" | jq -r '.[].local_port' | sort -n >"$T/ls" ||
		fail "ls $*"
	ss -Htln "$ss_filter" | awk '{print $4}' | sed 's/.*://' | sort -n >"$T/ss"
	[ -s "$T/ss" ] || fail "ss found nothing for $what"
	cmp -s "$T/ls" "$T/ss" || { paste "$T/ls" "$T/ss"; fail "ls $* is not ss's $what"; }
	ok "ls $*: $(tr '\n' ' ' <"$T/ls")(as ss's $what)"
}
check "3050..3052" "sport >= :3050 and sport <= :3052" --sport 3050-3052
check "3050..3051 or 3060" "( sport >= :3050 and sport <= :3051 ) or sport = :3060" \
	--sport 3050-3051 --sport 3060
check "127.0.0.2/32" "src 127.0.0.2/32" --addr 127.0.0.2/32
check "127.0.0.0/8" "src 127.0.0.0/8" --addr 127.0.0.0/8
check "::1/128" "src ::1/128" --addr '[::1]/128'
check "::/0" "src ::/0" --addr ::/0

# watch: a connection to 3051 is inside 3050-3051, one to 3060 is not.
backends="poll"
# bpf where this build and kernel run it (the sanitizer build has none).
if "$TCPLIMBO" watch --backend bpf --seconds 1 >/dev/null 2>"$T/probe"; then
	backends="poll bpf"
else
	ok "watch --backend bpf does not run here, poll only: $(head -1 "$T/probe")"
fi
for b in $backends; do
	iv=()
	[ "$b" = poll ] && iv=(--interval 50)
	"$TCPLIMBO" watch --json --backend "$b" "${iv[@]}" --sport 3050-3051 \
		>"$T/w.$b" 2>"$T/w.$b.err" &
	W=$!
	tl_wait_for 10 grep -q "watch: backend $b" "$T/w.$b.err" ||
		{ cat "$T/w.$b.err"; fail "watch $b did not start"; }
	python3 -c '
import socket, time
for port in (3051, 3060):
    c = socket.create_connection(("127.0.0.1", port))
    time.sleep(0.3)
    c.close()' || fail "client"
	sleep 0.5
	kill -INT "$W"
	wait "$W" || { cat "$T/w.$b.err"; fail "watch $b failed"; }
	jq -se '(map(select(.local_port == 3051)) | length > 0) and
		(map(select(.local_port == 3060 or .remote_port == 3060)) | length == 0) and
		all(.[]; .local_port >= 3050 and .local_port <= 3051)' "$T/w.$b" >/dev/null ||
		{ cat "$T/w.$b"; fail "watch --backend $b --sport 3050-3051"; }
	ok "watch --backend $b --sport 3050-3051: 3051's changes, none of 3060's"
done
