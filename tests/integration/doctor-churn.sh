#!/usr/bin/env bash
# Under churn, a process may exit between the doctor's socket dump and its
# look at /proc: its listener closes with it. Such a finding went while
# we looked and is no finding: none may say its process "exited" (and
# tell to restart a service) for a socket that no longer exists. Children
# here each queue a connection on a listener they never accept on and
# exit just past the queue age, many times over the doctor's runs; a
# zombie not yet reaped has closed its sockets as well.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 - >"$T/spawn.out" <<'PY' &
import os, random, socket, time
end = time.time() + 40
print("ready", flush=True)
while time.time() < end:
    if os.fork() == 0:
        l = socket.socket()
        l.bind(("127.0.0.1", 0))
        l.listen(8)
        c = socket.create_connection(l.getsockname())
        c.close()
        time.sleep(1.0 + random.random() * 0.3)
        os._exit(0)
    time.sleep(0.01)
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
PY
tl_wait_for 5 test -s "$T/spawn.out" || fail "the spawner did not start"
sleep 1.5
runs=0 findings=0
for i in $(seq 1 12); do
	"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d.json" 2>"$T/d.err"
	rc=$?
	[ $rc -le 2 ] || { cat "$T/d.err"; fail "doctor exited $rc under churn"; }
	jq -e '.findings | type == "array"' "$T/d.json" >/dev/null || fail "doctor --json: not JSON"
	if jq -e '[.findings[] | select(.cause == "exited" or .cause == "zombie")] | length > 0' "$T/d.json" >/dev/null; then
		jq -c '.findings[] | select(.cause == "exited" or .cause == "zombie") | {kind, pids, local_port, cause, evidence}' "$T/d.json"
		ss -tan "sport = :$(jq '[.findings[] | select(.cause == "exited" or .cause == "zombie")][0].local_port' "$T/d.json")"
		fail "run $i: a finding whose process exited while the doctor looked"
	fi
	# Root reads every holder here: a finding with none is one whose
	# holder exited between the dump and /proc, its listener with it.
	if jq -e '[.findings[] | select(.pids == [])] | length > 0' "$T/d.json" >/dev/null; then
		jq -c '.findings[] | select(.pids == []) | {kind, summary}' "$T/d.json"
		fail "run $i: a finding of a holder that exited while the doctor looked, told as unknown"
	fi
	findings=$((findings + $(jq '[.findings[] | select(.kind == "not-accepting")] | length' "$T/d.json")))
	runs=$((runs + 1))
done
ok "$runs doctor runs under churn: no finding of a process that exited while it looked ($findings not-accepting findings of live ones)"
