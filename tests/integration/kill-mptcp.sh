#!/usr/bin/env bash
# kill's report on MPTCP: a subflow is one path of its connection, and
# destroying it does not fail the program's next read or write (the
# connection goes on over its other subflows, or stalls with none), so
# the report must not promise ECONNABORTED; the kernel refuses to destroy
# an MPTCP listener's TCP side, and the report says so. A plain TCP
# connection beside them keeps the ECONNABORTED text.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

[ "$(cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ] || skip "no MPTCP in this kernel"
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)' 2>/dev/null ||
	skip "MPTCP sockets refused here"

# An MPTCP server on 5040 and a TCP one on 5041, each with one client.
python3 -c '
import socket, time
ls = []
for port, proto in ((5040, 262), (5041, 0)):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    s.bind(("127.0.0.1", port)); s.listen(8); ls.append(s)
cs = [socket.socket(socket.AF_INET, socket.SOCK_STREAM, p) for p in (262, 0)]
cs[0].connect(("127.0.0.1", 5040)); cs[1].connect(("127.0.0.1", 5041))
as_ = [l.accept()[0] for l in ls]
time.sleep(60)' &
tl_wait_for 5 sh -c 'ss -Htn state established "( sport = :5040 or sport = :5041 )" | grep -c . | grep -qx 2' ||
	{ ss -tan; fail "the connections were not made"; }
ss -HMtn | grep -q '^mptcp' || skip "no MPTCP connection made"

"$TCPLIMBO" kill --dry-run --state established --sport 5040 >"$T/m" 2>"$T/m.err" ||
	{ cat "$T/m" "$T/m.err"; fail "kill --dry-run of the subflow failed"; }
tr -s ' \n' ' ' <"$T/m" | grep -q "this is one subflow of its MPTCP connection, which goes on over its other subflows, and with none left stalls with no error" ||
	{ cat "$T/m"; fail "the subflow's report does not say what a destroy does to MPTCP"; }
grep -q ECONNABORTED "$T/m" && { cat "$T/m"; fail "ECONNABORTED promised for a subflow"; }

"$TCPLIMBO" kill --dry-run --state established --sport 5041 >"$T/t" 2>/dev/null
grep -q "ECONNABORTED" "$T/t" || { cat "$T/t"; fail "plain TCP lost its ECONNABORTED text"; }
grep -q "MPTCP" "$T/t" && { cat "$T/t"; fail "plain TCP told as MPTCP"; }

rc=0
"$TCPLIMBO" kill --listeners --sport 5040 >"$T/l" 2>"$T/l.err" || rc=$?
if [ "$rc" = 0 ]; then
	ok "this kernel destroys MPTCP listeners"
else
	[ "$rc" = 1 ] || { cat "$T/l" "$T/l.err"; fail "kill of the MPTCP listener: exit $rc"; }
	grep -q "the TCP side of an MPTCP listener, which the kernel does not destroy" "$T/l" ||
		{ cat "$T/l"; fail "the refused MPTCP listener's failure is not explained"; }
fi
ok "MPTCP subflow and listener told as such in kill's report"
