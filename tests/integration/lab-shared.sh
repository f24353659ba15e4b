#!/usr/bin/env bash
# Without a private namespace (--no-netns, or no CAP_SYS_ADMIN) the lab runs
# on 127.0.0.1 with a free port in the current namespace, says so, and its
# transcript still matches ss.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/lab-lib.sh"

lab_run seed --no-netns
lab_check '
assert d["netns"] == "shared", d
assert d["netns_inode"] == int(os.readlink("/proc/self/ns/net")[5:-1]), d
port = d["steps"][0]["port"]
assert all(s["port"] == port for s in d["steps"]), d
s = one("client-closed", "close-wait", "server")
assert s["recv_q"] == 5 and s["limbo"] == "accept-queue", s
print("ok: shared namespace, port", port)
'
ok "lab run seed --no-netns"

# Every other scenario too: all steps as expected, ss agrees at each.
for sc in emfile leak overflow fin-wait2 time-wait; do
	rm -f "$T"/*.ss
	lab_run "$sc" --no-netns
	lab_check 'assert d["netns"] == "shared", d'
	ok "lab run $sc --no-netns"
done

# Without privileges: the same, and a note on stderr. Needs a binary
# nobody can run; skip that part when the build tree is private.
command -v setpriv >/dev/null || { ok "no setpriv: unprivileged run skipped"; exit 0; }
if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$TCPLIMBO"; then
	ok "build not executable by nobody: unprivileged run skipped"
	exit 0
fi
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$TCPLIMBO" lab run seed --wait 0 --json >"$T/nobody.json" 2>"$T/nobody.err" || rc=$?
[ "$rc" = 0 ] || { cat "$T/nobody.err" >&2; fail "unprivileged run exited $rc"; }
grep -q "cannot make a network namespace" "$T/nobody.err" ||
	fail "no note about the missing namespace"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True and d["netns"] == "shared", d
s = [x for x in d["steps"][1]["sockets"] if x["state"] == "close-wait"]
assert len(s) == 1 and s[0]["recv_q"] == 5 and s[0]["listener_owners"], s
' "$T/nobody.json" || fail "unprivileged transcript"
ok "unprivileged: shared namespace, noted, same transcript"
grep -q "running in this one on 127.0.0.1 with a free port;" "$T/nobody.err" ||
	{ cat "$T/nobody.err"; fail "the note does not say a free port is used"; }
# With --port, that port is used, and the note names it.
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$TCPLIMBO" lab run seed --port 31955 --wait 0 --json >"$T/nobody-port.json" 2>"$T/nobody-port.err" ||
	{ cat "$T/nobody-port.err" >&2; fail "unprivileged run with --port failed"; }
grep -q "running in this one on 127.0.0.1 with port 31955;" "$T/nobody-port.err" ||
	{ cat "$T/nobody-port.err"; fail "the note does not name --port"; }
ok "unprivileged: the note names the port, free or given"
