#!/usr/bin/env bash
# A link-local address is one per device: fe80::a on two veths is two
# listeners, not an SO_REUSEPORT group. ls shows each with its device as ss
# does ([fe80::a]%dev:port), --json names it, --addr and drain take
# ADDR%DEV, and drain tells the two apart by device.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
ip link add tll0 type veth peer name tll1 || skip "cannot make a veth pair"
for d in tll0 tll1; do
	ip link set "$d" up
	ip addr add fe80::a/64 dev "$d" nodad || skip "cannot add fe80::a to $d"
done
python3 -c '
import socket, time
keep = []
for dev in ("tll0", "tll1"):
    l = socket.socket(socket.AF_INET6)
    l.bind(("fe80::a", 3500, 0, socket.if_nametoindex(dev)))
    l.listen(8)
    keep.append(l)
c = socket.socket(socket.AF_INET6)
c.connect(("fe80::a", 3500, 0, socket.if_nametoindex("tll0")))
c.send(b"hi")
c.close()
print("ready", flush=True)
time.sleep(60)' >"$T/ready" &
tl_wait_for 10 test -s "$T/ready" || fail "listeners not ready"
tl_wait_for 5 sh -c '[ "$(ss -Htan state close-wait | wc -l)" = 1 ]' || fail "no queued CLOSE-WAIT"

# The local addresses, as ss prints them.
ss -Htan 'sport = :3500' | awk '{print $1, $4}' | sort >"$T/ss"
"$TCPLIMBO" ls --sport 3500 -H | awk '{print $1, $4}' |
	sed 's/^CLOSE_WAIT/CLOSE-WAIT/' | sort >"$T/ls"
diff "$T/ss" "$T/ls" || fail "ls does not show the devices as ss does"
grep -qx 'LISTEN \[fe80::a\]%tll1:3500' "$T/ls" || fail "no listener on tll1: $(cat "$T/ls")"
ok "ls shows each socket's device as ss does: $(tr '\n' ' ' <"$T/ls")"
"$TCPLIMBO" ls --sport 3500 --json >"$T/ls.json" || fail "ls --json"
jq -e '([.[] | select(.state == "listen") | .interface] | sort) == ["tll0", "tll1"] and
	all(.[]; .ifindex > 0)' "$T/ls.json" >/dev/null || { cat "$T/ls.json"; fail "--json: interface"; }
ok "ls --json: interface and ifindex"

# --addr with the device picks that device's sockets only.
n=$("$TCPLIMBO" ls --addr 'fe80::a%tll1' --json | jq length)
[ "$n" = 1 ] || fail "--addr fe80::a%tll1: $n sockets, want the listener alone"
n=$("$TCPLIMBO" ls --addr 'fe80::a%tll0' --json | jq length)
# The listener, its queued CLOSE-WAIT and the client's closed side.
[ "$n" = 3 ] || fail "--addr fe80::a%tll0: $n sockets, want 3"
# As ls prints it, brackets and all.
n=$("$TCPLIMBO" ls --addr '[fe80::a]%tll1' --json | jq length)
[ "$n" = 1 ] || fail "--addr [fe80::a]%tll1: $n sockets, want the listener alone"
ok "--addr fe80::a%DEV, and [fe80::a]%DEV as ls prints it"

# drain: two devices, not SO_REUSEPORT; with the device, that listener.
"$TCPLIMBO" drain '[fe80::a]:3500' --dry-run >/dev/null 2>"$T/err" && fail "drain without a device succeeded"
grep -q "bound to different devices" "$T/err" && ! grep -q REUSEPORT "$T/err" ||
	fail "drain [fe80::a]:3500: $(cat "$T/err")"
"$TCPLIMBO" drain '[fe80::a%tll0]:3500' --dry-run --json >"$T/d.json" || fail "drain [fe80::a%tll0]:3500"
jq -e '.listener.interface == "tll0" and (.dead | length) == 1' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "drain [fe80::a%tll0]:3500: not that listener"; }
ok "drain tells the two apart by device"
# kill names them as ls does, device and all.
"$TCPLIMBO" kill --dry-run --listeners --state listening --sport 3500 >"$T/k" 2>/dev/null ||
	fail "kill --dry-run of the two listeners"
grep -q 'would-destroy LISTEN *\[fe80::a\]%tll0:3500 ' "$T/k" &&
	grep -q 'would-destroy LISTEN *\[fe80::a\]%tll1:3500 ' "$T/k" ||
	fail "kill does not name the listeners with their devices: $(cat "$T/k")"
ok "kill names each listener with its device"

# IPv4 listeners bound to a device each (SO_BINDTODEVICE), on one port:
# named as ls shows them, ADDR%DEVICE:PORT.
for d in tll0 tll1; do
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
s.bind(("0.0.0.0", 3600))
s.listen(4)
time.sleep(30)' "$d" &
done
tl_wait_for 5 sh -c '[ "$(ss -Htln "sport = :3600" | wc -l)" = 2 ]' || fail "two device-bound listeners on 3600"
"$TCPLIMBO" drain '*:3600' --dry-run >/dev/null 2>"$T/err" && fail "drain '*:3600' of two chose one"
grep -q "name one with its device, as ls shows it (ADDR%DEVICE:3600), or with --pid PID" "$T/err" ||
	fail "drain '*:3600': $(cat "$T/err")"
"$TCPLIMBO" drain '0.0.0.0%tll1:3600' --dry-run --json >"$T/d4.json" || fail "drain 0.0.0.0%tll1:3600: $(cat "$T/d4.json")"
jq -e '.listener.interface == "tll1" and .listener.local_port == 3600' "$T/d4.json" >/dev/null ||
	{ cat "$T/d4.json"; fail "drain 0.0.0.0%tll1:3600: not that listener"; }
ok "drain names an IPv4 listener bound to a device as ls shows it, ADDR%DEVICE:PORT"

"$TCPLIMBO" watch --addr 'fe80::a%tll0' --seconds 1 2>"$T/err" && fail "watch --addr ADDR%DEV succeeded"
grep -q "does not say which device" "$T/err" || fail "watch: $(cat "$T/err")"
ok "watch refuses a device it cannot match"

# A device's name is anyone's choice of bytes: drain echoes the listener
# it was given escaped, as ls shows it, never with raw control bytes.
EVIL=$'e\e[2J\xff'
if ip link add "$EVIL" type veth peer name tll3 2>/dev/null; then
	ip link set "$EVIL" up
	ip addr add 10.77.0.1/24 dev "$EVIL"
	python3 -c '
import os, socket, sys, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, os.fsencode(sys.argv[1]))
l.bind(("10.77.0.1", 3700)); l.listen(4)
print("ready", flush=True)
time.sleep(60)' "$EVIL" >"$T/evil" 2>&1 &
	tl_wait_for 10 test -s "$T/evil" || fail "evil-device listener: $(cat "$T/evil")"
	"$TCPLIMBO" drain "10.77.0.1%$EVIL:3700" --dry-run >"$T/d" 2>&1 ||
		fail "drain on the evil device: $(cat "$T/d")"
	grep -q $'\e' "$T/d" && fail "drain wrote a raw ESC: $(cat -v "$T/d")"
	grep -qF 'drain 10.77.0.1%e\x1b[2J\xff:3700: pid' "$T/d" ||
		fail "drain does not echo the device escaped: $(cat -v "$T/d")"
	ok "drain echoes a device's control bytes escaped"
	# The device as ls shows it, escapes and all, is taken back.
	SHOWN='e\x1b[2J\xff'
	"$TCPLIMBO" ls -H --addr "10.77.0.1%$SHOWN" --sport 3700 >"$T/l" 2>&1 ||
		fail "ls --addr with the device as shown: $(cat -v "$T/l")"
	grep -qF "10.77.0.1%$SHOWN:3700" "$T/l" || fail "ls --addr with the device as shown: $(cat -v "$T/l")"
	"$TCPLIMBO" drain "10.77.0.1%$SHOWN:3700" --dry-run >"$T/d" 2>&1 ||
		fail "drain with the device as shown: $(cat -v "$T/d")"
	ok "ls --addr and drain take the device as ls shows it"
fi
