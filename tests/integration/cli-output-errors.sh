#!/usr/bin/env bash
# Output that cannot be written is not a result: every command that writes
# to a full disk (/dev/full) or a closed stdout exits 3 and says so once,
# whatever it had found, and however much it wrote before the failure
# (reports larger than one stdio or JSON buffer included).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

# Six listeners that never accept, each with two connections queued: the
# doctor's report has six warnings and is several KiB long.
python3 -c '
import socket, time
keep = []
for port in range(3201, 3207):
    l = socket.socket(); l.bind(("127.0.0.1", port)); l.listen(8); keep.append(l)
    for _ in range(2):
        keep.append(socket.create_connection(("127.0.0.1", port)))
print("ready", flush=True)
time.sleep(60)' >"$T/ready" &
tl_wait_for 5 test -s "$T/ready" || fail "listeners not ready"
sleep 1.2
"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d.json"
rc=$?
[ $rc = 1 ] || fail "doctor: exit $rc, want 1 (warnings)"
n=$(wc -c <"$T/d.json")
[ "$n" -gt 8192 ] || fail "the doctor's report is only $n bytes"

# check ARGS...: exit 3 and one "cannot write output" line, both ways.
check() {
	local how rc
	for how in full closed; do
		if [ $how = full ]; then
			"$TCPLIMBO" "$@" >/dev/full 2>"$T/err"
		else
			"$TCPLIMBO" "$@" >&- 2>"$T/err"
		fi
		rc=$?
		[ $rc = 3 ] || fail "$* (stdout $how): exit $rc, want 3: $(cat "$T/err")"
		[ "$(grep -c '^tcplimbo: cannot write output' "$T/err")" = 1 ] ||
			fail "$* (stdout $how): not one 'cannot write output': $(cat "$T/err")"
	done
	ok "$*: exit 3, said once ($(grep '^tcplimbo: cannot write output' "$T/err"))"
}
check --help
check --version
check ls --help
check lab list
check ls
check ls --json
check doctor --queue-age 1s
check doctor --json --queue-age 1s
check doctor --json --queue-age 1h
check drain 127.0.0.1:3201 --dry-run
check drain 127.0.0.1:3201 --dry-run --json
check explain close-wait
