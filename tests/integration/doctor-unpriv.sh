#!/usr/bin/env bash
# Run as nobody, the doctor still reports what it can see (the dump needs
# no privilege; the queued connection is tied to its listener by address)
# and says what it could not: the fds of root's processes, namespaces it
# cannot enter. It exits 3 when it could look at nothing, or found nothing
# where it looked but could not look everywhere.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
command -v setpriv >/dev/null || skip "setpriv not found"
T=$(mktemp -d)
chmod 755 "$T"
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
$NOBODY test -x "$TCPLIMBO" || skip "nobody cannot run $TCPLIMBO"

# --all-netns that finds nothing but could not enter a named namespace:
# UNKNOWN (3), not OK. In a namespace with nothing in it, before any
# process of nobody's runs here; /var/run/netns of a mount namespace of
# its own, holding one namespace nobody may not enter.
unshare -n sleep 60 &
CLOSED=$!
tl_wait_for 5 test -e "/proc/$CLOSED/ns/net" || fail "no namespace"
sleep 0.2
unshare -m -n sh -c '
	ip link set lo up
	mkdir -p /var/run/netns && mount -t tmpfs none /var/run/netns &&
		touch /var/run/netns/closed &&
		mount --bind "/proc/$1/ns/net" /var/run/netns/closed || exit 9
	'"$NOBODY"' "$2" doctor --all-netns --json >"$3/closed.json" 2>"$3/closed.err"
	echo $? >"$3/closed.rc"' sh "$CLOSED" "$TCPLIMBO" "$T"
if [ $? = 9 ]; then
	echo "skip: cannot make a /var/run/netns of its own here"
elif jq -e '.findings == []' "$T/closed.json" >/dev/null; then
	[ "$(cat "$T/closed.rc")" = 3 ] ||
		{ cat "$T/closed.json" "$T/closed.err"; fail "--all-netns, nothing found, a namespace not entered: exit $(cat "$T/closed.rc"), want 3"; }
	# Other processes of nobody's on the machine may add namespaces.
	grep -qxE "tcplimbo: doctor: nothing found, but (1 network namespace|[0-9]+ network namespaces) could not be looked at \(see 'not looked at'\)" "$T/closed.err" ||
		{ cat "$T/closed.err"; fail "--all-netns: no reason for exit 3"; }
	jq -e '[.netns[] | select(.looked | not)] | length >= 1' "$T/closed.json" >/dev/null ||
		{ cat "$T/closed.json"; fail "--all-netns: the namespace not entered is not listed"; }
	ok "--all-netns, nothing found but a namespace not entered: exit 3, said why"
else
	echo "skip: another process of nobody's has findings on this machine"
fi
kill $CLOSED

# Nothing found, but a listener whose program's fds it could not read:
# whether that program is out of fds was not checked. UNKNOWN, said why;
# and to a root without CAP_SYS_PTRACE, that it lacks it.
python3 "$SRV" no-accept --port 3004 --seconds 60 >/dev/null &
IDLE=$!
tl_wait_for 5 tl_listening 3004 || fail "idle server did not listen"
$NOBODY "$TCPLIMBO" doctor >"$T/idle.txt" 2>"$T/idle.err"
rc=$?
[ $rc = 3 ] || { cat "$T/idle.txt" "$T/idle.err"; fail "a listener of root's unseen, nothing found: exit $rc, want 3"; }
grep -qx "tcplimbo: doctor: nothing found, but 1 listener has no owner whose fds could be read (see 'not seen'): whether its program is out of fds was not checked" "$T/idle.err" ||
	{ cat "$T/idle.err"; fail "no reason for exit 3 with a listener unseen"; }
"$TCPLIMBO" doctor >/dev/null 2>&1
rc=$?
[ $rc = 0 ] || fail "root, nothing found: exit $rc, want 0"
if setpriv --bounding-set=-sys_ptrace true 2>/dev/null; then
	setpriv --bounding-set=-sys_ptrace "$TCPLIMBO" doctor >"$T/noptrace.txt" 2>&1
	rc=$?
	[ $rc = 3 ] || { cat "$T/noptrace.txt"; fail "root without CAP_SYS_PTRACE: exit $rc, want 3"; }
	grep -q "^not seen: the fds of .* could not be read (Permission denied: this process lacks CAP_SYS_PTRACE, which reading them needs)" "$T/noptrace.txt" ||
		{ cat "$T/noptrace.txt"; fail "root without CAP_SYS_PTRACE not told what it lacks"; }
	grep -q "even as root" "$T/noptrace.txt" && fail "'even as root' to a root that lacks CAP_SYS_PTRACE"
fi
kill $IDLE
wait $IDLE 2>/dev/null
ok "nothing found but a listener's program unseen: exit 3, said why (and CAP_SYS_PTRACE named)"

python3 "$SRV" no-accept --port 3005 --seconds 120 >/dev/null &
SERVER=$!
tl_wait_for 5 tl_listening 3005 || fail "server did not listen"
python3 "$SRV" clients --port 3005 --hold --seconds 120 >"$T/cli" &
tl_wait_for 5 test -s "$T/cli" || fail "client did not connect"
sleep 1.2

$NOBODY "$TCPLIMBO" doctor --json --queue-age 1s >"$T/d.json"
rc=$?
[ $rc = 1 ] || { cat "$T/d.json"; fail "exit $rc, want 1"; }
jq -e '
	(.findings | length) == 1 and
	.findings[0].kind == "not-accepting" and
	.findings[0].local_port == 3005 and
	.findings[0].pids == [] and
	.denied_processes > 0' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "unprivileged findings"; }
ok "unprivileged: not-accepting on 3005 found, owner unknown, denied counted"

$NOBODY "$TCPLIMBO" doctor --queue-age 1s >"$T/d.txt"
grep -q "^not seen: the fds of .* could not be read (.*; run as root to see them)" "$T/d.txt" || { cat "$T/d.txt"; fail "text says what it could not see"; }
grep -qx "== a holder not seen (see 'not seen' below)" "$T/d.txt" || { cat "$T/d.txt"; fail "text: the unseen owner's heading"; }
"$TCPLIMBO" --no-owners doctor --queue-age 1s >"$T/noown.txt"
grep -qx "== owners not looked for" "$T/noown.txt" || { cat "$T/noown.txt"; fail "--no-owners: heading"; }
ok "text says what it could not see, and heads the findings of an owner not seen so"

# Nobody's own server beside root's: its finding gets the fix its cause
# calls for; root's, whose cause cannot be read, the general fix, not a
# pointer to the other's. Root's two leaking servers stay two findings.
# (A copy nobody can read, wherever the tree is, run by Debian's python3:
# another on PATH may be in root's home.)
cp "$SRV" "$T/servers.py"
chmod 644 "$T/servers.py"
$NOBODY /usr/bin/python3 "$T/servers.py" no-accept --port 3006 --seconds 120 >"$T/own" &
tl_wait_for 5 tl_listening 3006 || fail "nobody's server did not listen"
python3 "$SRV" clients --port 3006 --hold --seconds 120 >"$T/cli2" &
for port in 3007 3008; do
	python3 "$SRV" leak --port $port --seconds 120 >/dev/null &
	tl_wait_for 5 tl_listening $port || fail "server on $port did not listen"
	python3 "$SRV" clients --port $port --count $((port - 3005)) --seconds 120 >"$T/cli$port" &
	tl_wait_for 5 test -s "$T/cli$port" || fail "clients of $port did not connect"
done
tl_wait_for 5 test -s "$T/cli2" || fail "client of 3006 did not connect"
sleep 1.2
$NOBODY "$TCPLIMBO" doctor --queue-age 1s --close-wait-age 1s >"$T/d2.txt"
awk '/not-accepting on 127.0.0.1:3005 / {on = 1}
	on && /^$/ {exit} on' "$T/d2.txt" >"$T/root.txt"
# Its holder unseen, the kernel's uid of the socket says whose it is.
tr -s ' \n' ' ' <"$T/root.txt" | grep -q "a holder not seen (socket uid 0) is not accepting connections on 127.0.0.1:3005" ||
	{ cat "$T/d2.txt"; fail "the unknown owner is not told by its socket's uid"; }
grep -q "fix: Find out why the process does not call accept()" "$T/root.txt" &&
	! grep -q "why and fix" "$T/root.txt" &&
	grep -q "No thread calls accept()" "$T/d2.txt" ||
	{ cat "$T/d2.txt"; fail "the unknown owner's finding has not its own fix"; }
ok "root's listener has the general fix, nobody's its cause's"
$NOBODY "$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/d2.json"
jq -e '[.findings[] | select(.kind == "close-wait-leak") | [.local_port, .count, .pids]] ==
	[[3007, 2, []], [3008, 3, []]]' "$T/d2.json" >/dev/null ||
	{ cat "$T/d2.json"; fail "the leaks of two unseen servers are not two findings"; }
ok "two unseen servers' CLOSE-WAIT leaks: two findings (2 on 3007, 3 on 3008)"

# Another namespace it may not enter: could not look, exit 3, with why.
unshare -n sleep 60 &
OTHER=$!
tl_wait_for 5 test -e "/proc/$OTHER/ns/net" || fail "no namespace"
sleep 0.2
$NOBODY "$TCPLIMBO" doctor -N "$OTHER" 2>"$T/err" >/dev/null
rc=$?
[ $rc = 3 ] || fail "-N unreachable: exit $rc, want 3"
grep -q "network namespace '$OTHER': Permission denied (its /proc/PID/ns/net is open only to the process's own user, and to root)" "$T/err" ||
	{ cat "$T/err"; fail "no reason given"; }
ok "unreachable namespace: exit 3 ($(head -1 "$T/err"))"

# A rootless container's namespace, its user namespace nobody's own: the
# message says to run inside it, which works, not to get CAP_SYS_ADMIN.
$NOBODY unshare -r -n sleep 30 >/dev/null 2>&1 &
ROOTLESS=$!
sleep 0.5
RP=$(pgrep -n -P "$ROOTLESS" sleep || { [ "$(cat /proc/$ROOTLESS/comm 2>/dev/null)" = sleep ] && echo "$ROOTLESS"; })
if [ -n "$RP" ] && [ "$(readlink /proc/$RP/ns/net)" != "$(readlink /proc/self/ns/net)" ]; then
	$NOBODY "$TCPLIMBO" -N "$RP" ls >/dev/null 2>"$T/rootless.err"
	rc=$?
	[ $rc = 3 ] && grep -qx "tcplimbo: cannot enter network namespace '$RP': Operation not permitted (it belongs to a user namespace of this user's, as a rootless container's does: run tcplimbo in that one, as nsenter -t $RP -U -n --preserve-credentials tcplimbo ... does)" "$T/rootless.err" ||
		{ cat "$T/rootless.err"; fail "rootless container's namespace: exit $rc, not told to join its user namespace"; }
	$NOBODY nsenter -t "$RP" -U -n --preserve-credentials "$TCPLIMBO" ls >/dev/null 2>"$T/rootless2.err" ||
		{ cat "$T/rootless2.err"; fail "the way the message gives does not work"; }
	$NOBODY "$TCPLIMBO" doctor --all-netns >"$T/rootless-a.txt" 2>/dev/null
	grep -q "^not looked at: network namespace .* (pid $RP): cannot enter it (it belongs to a user namespace of this user's, as a rootless container's does: run tcplimbo in that one, as nsenter -t $RP -U -n --preserve-credentials tcplimbo ... does)$" "$T/rootless-a.txt" ||
		{ cat "$T/rootless-a.txt"; fail "--all-netns: the rootless container's namespace not told so"; }
	ok "rootless container's namespace: told to join its user namespace, which works (-N and --all-netns)"
else
	echo "skip: nobody cannot make a user namespace here"
fi
kill "$ROOTLESS" 2>/dev/null

# serve refuses at start a namespace it can open but never enter, rather
# than export only that it is blind. A bind mount of the namespace is open
# to anyone; entering it needs CAP_SYS_ADMIN.
touch "$T/ns"
if mount --bind "/proc/$OTHER/ns/net" "$T/ns" 2>/dev/null; then
	timeout 5 $NOBODY "$TCPLIMBO" serve -N "$T/ns" --listen 127.0.0.1:18559 >/dev/null 2>"$T/serve.err"
	rc=$?
	umount "$T/ns"
	[ $rc = 3 ] || { cat "$T/serve.err"; fail "serve -N unenterable: exit $rc, want 3"; }
	grep -qx "tcplimbo: serve: cannot enter network namespace '$T/ns': Operation not permitted (needs CAP_SYS_ADMIN)" "$T/serve.err" ||
		{ cat "$T/serve.err"; fail "serve -N unenterable: no reason given"; }
	ok "serve -N unenterable: exit 3 ($(head -1 "$T/serve.err"))"
fi

# serve as nobody on a privileged port: told which capability it lacks.
if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 80 ]; then
	timeout 5 $NOBODY "$TCPLIMBO" serve --listen 127.0.0.1:80 >/dev/null 2>"$T/serve80.err"
	rc=$?
	[ $rc = 3 ] && grep -qx "tcplimbo: serve: cannot listen on 127.0.0.1:80: Permission denied (a port below net.ipv4.ip_unprivileged_port_start, 1024 by default, needs CAP_NET_BIND_SERVICE)" "$T/serve80.err" ||
		{ cat "$T/serve80.err"; fail "serve --listen 127.0.0.1:80 as nobody: exit $rc, no reason"; }
	ok "serve on port 80 as nobody: exit 3, names CAP_NET_BIND_SERVICE"
fi

# -N naming the namespace it is in already needs no privilege.
$NOBODY "$TCPLIMBO" -N /proc/self/ns/net doctor --queue-age 1s >"$T/self.txt" 2>"$T/self.err"
rc=$?
[ $rc -le 2 ] || { cat "$T/self.err"; fail "-N /proc/self/ns/net as nobody: exit $rc"; }
ok "-N /proc/self/ns/net as nobody: exit $rc"

# --all-netns as nobody: looks at what it can, says what it could not.
$NOBODY "$TCPLIMBO" doctor --all-netns --json --queue-age 1s >"$T/a.json"
rc=$?
[ $rc -le 2 ] || { cat "$T/a.json"; fail "--all-netns unprivileged exit $rc"; }
jq -e '[.netns[] | select(.looked)] | length >= 1' "$T/a.json" >/dev/null ||
	{ cat "$T/a.json"; fail "looked at nothing"; }
# The namespaces of processes it cannot read are not found either: said,
# for --all-netns only (root's unshare -n sleep above is one).
$NOBODY "$TCPLIMBO" doctor --all-netns --queue-age 1s >"$T/a.txt"
grep -q "^not seen: the fds of .* could not be read (.*); any sockets they hold here have no owner, and a network namespace only they are in, if any, was not looked at\.$" "$T/a.txt" ||
	{ cat "$T/a.txt"; fail "--all-netns as nobody does not say namespaces may be missing"; }
grep -q "network namespace only" "$T/d.txt" && fail "without --all-netns, told of namespaces"
ok "--all-netns unprivileged: exit $rc"
