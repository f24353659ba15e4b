# Helpers for the lab tests (sourced after lib.sh; not a test itself).
# lab_run runs a scenario with short waits and a hook that records the
# kernel's own view at every step, from inside the lab's namespace: ss's
# sockets on the scenario's port, ss -p's owners and /proc/net/netstat.
# lab_check then compares every step's JSON sockets with ss's, field by
# field, and runs the test's own assertions (python, on `steps`).

T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

cat >"$T/hook.sh" <<'HOOK'
#!/bin/sh
# Runs inside the lab's namespace after each step's snapshot.
f="$LAB_T/$TL_LAB_STEP"
filter="( sport = :$TL_LAB_PORT or dport = :$TL_LAB_PORT )"
ss -tanH "$filter" >"$f.ss" || exit 1
ss -tanpH "$filter" >"$f.ssp" || exit 1
cat /proc/net/netstat >"$f.netstat" || exit 1
readlink /proc/self/ns/net >"$f.ns" || exit 1
echo "$TL_LAB_SERVER_PID" >"$f.server"
HOOK

# lab_run SCENARIO [lab run options]: JSON in $T/out.json, exit in $T/rc.
lab_run() {
	local sc=$1 rc=0
	shift
	LAB_T=$T timeout 120 "$TCPLIMBO" lab run "$sc" --wait 0 --json \
		--hook "sh $T/hook.sh" "$@" >"$T/out.json" 2>"$T/err" || rc=$?
	echo "$rc" >"$T/rc"
	if [ "$rc" != 0 ]; then
		cat "$T/err" >&2
		# Which step failed, and what the run saw there.
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for s in d.get("steps", []):
    if not s.get("ok", True):
        print("failed step:", json.dumps(s)[:2000], file=sys.stderr)
' "$T/out.json" 2>&1 >&2 || cat "$T/out.json" >&2
		fail "lab run $sc exited $rc"
	fi
}

# lab_check 'python assertions': `steps` maps step names to step objects,
# `d` is the whole transcript, helpers below.
lab_check() {
	cat >"$T/check.py" <<'PY'
import json, os, sys
T = sys.argv[1]
d = json.load(open(T + "/out.json"))
assert d["ok"] is True, d
steps = {s["name"]: s for s in d["steps"]}
assert len(steps) == len(d["steps"]), "duplicate step names"

def ss_rows(step):
    rows = set()
    for line in open("%s/%s.ss" % (T, step)):
        f = line.split()
        if not f:
            continue
        peer = f[4].rsplit(":", 1)[1]
        rows.add((f[0], int(f[1]), int(f[2]), int(f[3].rsplit(":", 1)[1]),
                  0 if peer == "*" else int(peer)))
    return rows

def ss_state(s):
    return "ESTAB" if s == "established" else s.upper()

def js_rows(step):
    return {(ss_state(s["state"]), s["recv_q"], s["send_q"], s["local_port"],
             s["remote_port"]) for s in steps[step]["sockets"]}

# The kernel's own view (ss, in the same namespace, at the same step)
# must be exactly what the transcript shows.
for name, st in steps.items():
    assert st["ok"] is True and st["missing"] == [], (name, st["missing"])
    assert st["text"], name
    a, b = js_rows(name), ss_rows(name)
    assert a == b, ("ss disagrees", name, "lab only:", a - b, "ss only:", b - a)

def socks(step, state=None, side=None):
    st = steps[step]
    out = []
    for s in st["sockets"]:
        if state and s["state"] != state:
            continue
        if side == "server" and (s["local_port"] != st["port"] or s["state"] == "listen"):
            continue
        if side == "client" and s["remote_port"] != st["port"]:
            continue
        if side == "listen" and s["state"] != "listen":
            continue
        out.append(s)
    return out

def one(step, state, side):
    m = socks(step, state, side)
    assert len(m) == 1, (step, state, side, m)
    return m[0]

def pids(owners):
    return [o["pid"] for o in owners]

def netstat(step, name):
    lines = [l.split() for l in open("%s/%s.netstat" % (T, step)) if l.startswith("TcpExt:")]
    return int(lines[1][lines[0].index(name)])

def ssp_pids(step, state):
    # pids ss -p names on the rows in this state
    out = []
    for line in open("%s/%s.ssp" % (T, step)):
        if line.split()[0] == state:
            out += [int(x.split(",")[0]) for x in line.split("pid=")[1:]]
    return out

# Every hook ran in one namespace, and not in ours.
ns = {open("%s/%s.ns" % (T, n)).read() for n in steps}
assert len(ns) == 1, ns
if d["netns"] == "private":
    assert ns.pop() != os.readlink("/proc/self/ns/net"), "hook not in the lab's namespace"
PY
	printf '%s\n' "$1" >>"$T/check.py"
	python3 "$T/check.py" "$T" || fail "transcript check"
}

# True while any process is in the network namespace with this inode.
lab_ns_alive() {
	local ino=$1 p
	for p in /proc/[0-9]*/ns/net; do
		[ "$(readlink "$p" 2>/dev/null)" = "net:[$ino]" ] && return 0
	done
	return 1
}
