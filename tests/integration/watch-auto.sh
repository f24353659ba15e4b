#!/usr/bin/env bash
# --backend auto: bpf when it can be loaded, and says so; poll otherwise,
# saying why (here: the capabilities to load eBPF dropped with setpriv),
# and the fallback still reports transitions.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

"$TCPLIMBO" watch --seconds 1 >/dev/null 2>"$T/err" || fail "auto: exit $?"
# Without capabilities, bpf fails with EPERM; a build without bpf says so.
WHY="Operation not permitted"
if grep -q "no bpf backend" "$T/err"; then
	WHY="Operation not supported (this build has no bpf backend)"
elif [ -r /sys/kernel/btf/vmlinux ]; then
	grep -q "backend bpf" "$T/err" || fail "auto as root did not pick bpf: $(cat "$T/err")"
	ok "auto picks bpf as root"
fi

command -v setpriv >/dev/null || skip "no setpriv to drop capabilities"
tl_listen_idle 3003 30
setpriv --bounding-set=-bpf,-sys_admin,-perfmon \
	"$TCPLIMBO" watch --json --interval 100 --seconds 3 >"$T/out" 2>"$T/err2" &
W=$!
tl_wait_for 10 grep -q "backend" "$T/err2" || fail "no backend line: $(cat "$T/err2")"
grep -qF "bpf unavailable: $WHY" "$T/err2" || fail "no reason given: $(cat "$T/err2")"
grep -q "backend poll" "$T/err2" || fail "did not fall back to poll: $(cat "$T/err2")"
python3 -c '
import socket, time
c = socket.create_connection(("127.0.0.1", 3003))
time.sleep(0.5)
c.close()' || fail "client"
wait "$W" || fail "watch exit $?"
grep -q '"local_port":3003.*"old_state":"established","new_state":"close-wait".*"backend":"poll"' "$T/out" ||
	fail "fallback reported no established -> close-wait: $(cat "$T/out")"
ok "auto without CAP_BPF falls back to poll, says why, and works"
