#!/usr/bin/env bash
# --all-netns looks into every network namespace, named or not: a server
# that never accepts, planted in an unnamed namespace (unshare -n) and in
# a named one (ip netns add), is found in each, with the namespace named.
# Other namespaces on the machine may have findings of their own: only
# ours are asserted.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
NS=tl-doctor-$$
# The planted processes are grandchildren: kill them by their pid files.
cleanup() {
	local f
	for f in "$T"/pid.*; do
		[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	tl_cleanup_jobs
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NS-empty" 2>/dev/null
	ip netns del 2147483000 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
SRV="$(dirname "$0")/doctor-servers.py"

plant() { # port; runs in the current namespace
	python3 "$SRV" no-accept --port "$1" --seconds 120 >/dev/null &
	echo $! >"$T/pid.srv.$1"
	tl_wait_for 5 tl_listening "$1" || exit 1
	python3 "$SRV" clients --port "$1" --hold --seconds 120 >"$T/ready.$1" &
	echo $! >"$T/pid.cli.$1"
	wait
}
export -f plant tl_wait_for tl_listening
export SRV T

# An unnamed namespace: only its processes lead to it.
unshare -n bash -c 'ip link set lo up; plant 4000' &
ip netns add "$NS" || fail "ip netns add"
# A named namespace no process is in: listed all the same.
ip netns add "$NS-empty" || fail "ip netns add"
ip netns exec "$NS" bash -c 'ip link set lo up; plant 4001' &
tl_wait_for 5 test -s "$T/pid.srv.4000" || fail "unnamed server not started"
tl_wait_for 5 test -s "$T/pid.srv.4001" || fail "named server not started"
# Ages count from the client's connect: wait for both to have connected.
tl_wait_for 10 test -s "$T/ready.4000" || fail "unnamed client not connected"
tl_wait_for 10 test -s "$T/ready.4001" || fail "named client not connected"
P0=$(cat "$T/pid.srv.4000")
P1=$(cat "$T/pid.srv.4001")
INO0=$(readlink "/proc/$P0/ns/net")
sleep 1.5

"$TCPLIMBO" doctor --all-netns --json --queue-age 1s >"$T/d.json"
rc=$?
[ $rc -ge 1 ] && [ $rc -le 2 ] || { cat "$T/d.json"; fail "exit $rc"; }
jq -e --argjson p "$P0" --arg ino "$INO0" '
	[.findings[] | select(.pids == [$p])] as $m |
	($m | length) == 1 and $m[0].kind == "not-accepting" and
	$m[0].local_port == 4000 and ($m[0].netns | startswith($ino))' \
	"$T/d.json" >/dev/null || { cat "$T/d.json"; fail "unnamed namespace"; }
ok "found pid $P0 in unnamed $INO0"
jq -e --argjson p "$P1" --arg ns "$NS" '
	[.findings[] | select(.pids == [$p])] as $m |
	($m | length) == 1 and $m[0].kind == "not-accepting" and
	$m[0].local_port == 4001 and $m[0].netns == $ns' \
	"$T/d.json" >/dev/null || { cat "$T/d.json"; fail "named namespace"; }
ok "found pid $P1 in $NS"
# Each namespace it looked at is listed; ours too.
jq -e --arg ns "$NS" '[.netns[] | select(.netns == $ns and .looked)] | length == 1' \
	"$T/d.json" >/dev/null || fail "netns list"
# Every entry has the same keys, null where nothing is known (a namespace
# no process is in has no cgroup or context).
jq -e --arg ns "$NS-empty" '
	[.netns[] | keys] as $k | ($k | unique | length) == 1 and
	([.netns[] | select(.netns == $ns and .looked and .cgroup == null and
		.context == null)] | length) == 1' "$T/d.json" >/dev/null ||
	{ jq -c '.netns[] | [.netns, keys]' "$T/d.json"; fail "the namespaces' keys differ"; }
ok "every namespace has the same keys, $NS-empty (no process in it) too"
# The host's namespace (pid 1's) is "host", as serve labels it, not by
# some process in it. Where even root cannot read pid 1's (in a user
# namespace), the survey knows no host: nothing to check.
if HOST=$(readlink /proc/1/ns/net 2>/dev/null); then
	HI=${HOST#net:[}
	HI=${HI%]}
	jq -e --argjson i "$HI" '[.netns[] | select(.netns_inode == $i)] |
		length == 1 and .[0].netns == "host"' "$T/d.json" >/dev/null ||
		{ jq -c '[.netns[] | [.netns, .netns_inode]]' "$T/d.json"; fail "the host's namespace is not labelled host"; }
	ok "the host's namespace ($HOST) is labelled host"
fi
"$TCPLIMBO" doctor --all-netns --queue-age 1s >"$T/d.txt"
grep -q "not-accepting on 127.0.0.1:4001  (netns $NS)" "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "text names the namespace"; }
ok "text report names the namespace"
# Run inside it (ip netns exec, no -N), it is named as -N names it.
ip netns exec "$NS" "$TCPLIMBO" doctor --json --queue-age 1s >"$T/in.json"
jq -e --arg ns "$NS" '.netns[0].netns == $ns and ([.findings[] | select(.local_port == 4001)][0].netns == $ns)' "$T/in.json" >/dev/null ||
	{ jq -c '[.netns[0].netns, [.findings[].netns]]' "$T/in.json"; fail "ip netns exec $NS: not labelled $NS"; }
ok "ip netns exec $NS tcplimbo doctor: labelled $NS"

# -N into the unnamed one (by pid) sees only that one.
"$TCPLIMBO" doctor -N "$P0" --json --queue-age 1s >"$T/n.json"
[ $? = 1 ] || fail "-N PID exit status"
jq -e --argjson p "$P0" '(.findings | length) == 1 and .findings[0].pids == [$p]' \
	"$T/n.json" >/dev/null || { cat "$T/n.json"; fail "-N PID"; }
# Shown by its inode, not as if the pid were its name; the inode is the
# same key --all-netns gives the finding.
I0=${INO0#net:[}
I0=${I0%]}
jq -e --arg l "$INO0 (pid $P0)" --argjson i "$I0" '
	.findings[0].netns == $l and .findings[0].netns_inode == $i and
	.netns[0].netns == $l and .netns[0].netns_inode == $i' \
	"$T/n.json" >/dev/null || { jq -c '[.findings[0].netns, .netns]' "$T/n.json"; fail "-N PID: label"; }
jq -e --argjson p "$P0" --argjson i "$I0" '
	[.findings[] | select(.pids == [$p])][0].netns_inode == $i' \
	"$T/d.json" >/dev/null || fail "--all-netns: netns_inode"
ok "-N $P0: labelled $INO0 (pid $P0), netns_inode $I0 as --all-netns"

# A name of digits (ip netns add 2147483000, a number no pid reaches):
# -N takes it for the name, since no process has that pid, and says so.
DIG=2147483000
ip netns add "$DIG" || fail "ip netns add $DIG"
ip netns exec "$DIG" ip link set lo up
ip netns exec "$DIG" python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 4009)); s.listen(4)
time.sleep(30)' &
tl_wait_for 5 sh -c "ip netns exec $DIG ss -Htln | grep -q ':4009 '" || fail "no listener in $DIG"
"$TCPLIMBO" -N "$DIG" ls --json >"$T/dig.json" 2>"$T/dig.err"
rc=$?
ip netns del "$DIG"
[ $rc = 0 ] || { cat "$T/dig.err"; fail "-N $DIG (a name): exit $rc"; }
jq -e 'map(select(.local_port == 4009 and .state == "listen")) | length == 1' "$T/dig.json" >/dev/null ||
	{ cat "$T/dig.json"; fail "-N $DIG: not its namespace"; }
"$TCPLIMBO" -N "$DIG" ls >/dev/null 2>"$T/dig2.err"
grep -q "network namespace '$DIG': no process has that pid, nor has a namespace that name in /var/run/netns" "$T/dig2.err" ||
	{ cat "$T/dig2.err"; fail "-N $DIG once deleted: message"; }
ok "-N $DIG: a name of digits no pid has, and told once it is gone"

# A name of digits that is also a live pid's (ip netns add P0, the
# unnamed namespace's server): --all-netns lists it by its name, and must
# look into the named one, not into the namespace of pid P0.
ip netns add "$P0" || fail "ip netns add $P0"
ip netns exec "$P0" bash -c 'ip link set lo up; plant 4002' &
tl_wait_for 5 test -s "$T/pid.srv.4002" || { ip netns del "$P0"; fail "server in $P0 not started"; }
tl_wait_for 10 test -s "$T/ready.4002" || { ip netns del "$P0"; fail "client in $P0 not connected"; }
PI=$(stat -L -c %i "/var/run/netns/$P0")
sleep 1.5
"$TCPLIMBO" doctor --all-netns --json --queue-age 1s >"$T/dp.json"
kill "$(cat "$T/pid.srv.4002")" "$(cat "$T/pid.cli.4002")" 2>/dev/null
ip netns del "$P0"
jq -e --arg l "$P0" --argjson i "$PI" '
	([.netns[] | select(.netns == $l)] | length == 1 and .[0].netns_inode == $i and .[0].looked) and
	([.findings[] | select(.local_port == 4002)] | length == 1 and .[0].netns == $l and .[0].netns_inode == $i)' \
	"$T/dp.json" >/dev/null ||
	{ jq -c '[.netns[] | [.netns, .netns_inode, .looked, .error]]' "$T/dp.json"; fail "a namespace named $P0: not looked into by its name"; }
ok "--all-netns: a namespace named $P0, a live pid, is looked into by its name"

# Without --all-netns the same rule names the host's: a /proc whose pid
# 1 is in our namespace makes ours the host's, called host as -A does.
mkdir -p "$T/fp/1/ns"
ln -s /proc/self/ns/net "$T/fp/1/ns/net"
"$TCPLIMBO" --proc-root "$T/fp" doctor --json >"$T/fp.json" 2>/dev/null
jq -e '.netns[0].netns == "host"' "$T/fp.json" >/dev/null ||
	{ cat "$T/fp.json"; fail "plain doctor in the host's namespace: not called host"; }
"$TCPLIMBO" doctor --json >"$T/own.json" 2>/dev/null
jq -e --arg l "net:[$(stat -L -c %i /proc/self/ns/net)]" '.netns[0].netns == $l' "$T/own.json" >/dev/null ||
	{ cat "$T/own.json"; fail "plain doctor in a namespace not the host's: not its inode"; }
ok "plain doctor calls the host's namespace host, another by its inode"

# In a pid namespace of its own, as in a container, pid 1 is the
# container's first process, in the container's network namespace: that
# is not the host's, with --all-netns or without.
unshare -n -p -f --mount-proc sh -c '"$1" doctor --json >"$2/pidns.json" 2>/dev/null
	"$1" doctor -A --json >"$2/pidns-all.json" 2>/dev/null' sh "$TCPLIMBO" "$T"
for f in pidns pidns-all; do
	jq -e 'all(.netns[]; .netns != "host") and
		any(.netns[]; .netns | startswith("net:["))' \
		"$T/$f.json" >/dev/null ||
		{ cat "$T/$f.json"; fail "$f: a container's own namespace called the host's"; }
done
ok "in a pid namespace of its own, pid 1's network namespace is not called host"

# A name that reads as another label is told as name:NAME by -N too, as
# serve and --all-netns tell it: "host" would pass for the host's.
ip netns add "name:$NS" || fail "ip netns add name:$NS"
"$TCPLIMBO" -N "name:$NS" doctor --json >"$T/nn.json" 2>/dev/null
ip netns del "name:$NS"
jq -e --arg l "name:name:$NS" '.netns[0].netns == $l' "$T/nn.json" >/dev/null ||
	{ cat "$T/nn.json"; fail "-N name:$NS: not labelled name:name:$NS"; }
ok "-N of a name that reads as another label: name:NAME, as serve gives it"

# A namespace no process is in, kept by a bind mount outside
# /var/run/netns (a runtime's own directory), whose listener a process
# outside it holds (made after setns()): looked into all the same, named
# by its mount. In a mount namespace of its own, so the mount goes with it.
cat >"$T/mounted.sh" <<'SH'
touch "$T/nsA" || exit 1
unshare -n sleep 30 &
S=$!
for _ in $(seq 50); do
	[ "$(readlink /proc/$S/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.1
done
mount --bind "/proc/$S/ns/net" "$T/nsA" || exit 1
kill "$S"
nsenter --net="$T/nsA" ip link set lo up || exit 1
python3 -c '
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
home = os.open("/proc/self/ns/net", os.O_RDONLY)
there = os.open(sys.argv[1], os.O_RDONLY)
assert libc.setns(there, 0x40000000) == 0
l = socket.socket()
l.bind(("127.0.0.1", 4010))
l.listen(4)
c = socket.create_connection(("127.0.0.1", 4010))
c.close()
assert libc.setns(home, 0x40000000) == 0
open(sys.argv[2], "w").close()
time.sleep(30)
' "$T/nsA" "$T/held" &
H=$!
for _ in $(seq 50); do [ -e "$T/held" ] && break; sleep 0.1; done
sleep 1.2
"$TCPLIMBO" doctor --all-netns --queue-age 1s --json >"$T/mounted.json" 2>/dev/null
kill "$H"
SH
T="$T" TCPLIMBO="$TCPLIMBO" unshare -m bash "$T/mounted.sh" || fail "cannot keep a namespace by a mount here"
jq -e --arg l "$T/nsA" '
	[.findings[] | select(.local_port == 4010)] | length == 1 and .[0].netns == $l and
	.[0].kind == "not-accepting"' "$T/mounted.json" >/dev/null ||
	{ jq -c '[.netns[] | [.netns, .looked]], [.findings[] | [.kind, .local_port, .netns]]' "$T/mounted.json"; fail "a namespace kept only by a mount elsewhere: not looked into"; }
ok "--all-netns: a namespace no process is in, kept by a mount outside /var/run/netns, is looked into by its mount"
