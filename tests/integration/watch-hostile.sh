#!/usr/bin/env bash
# The comm the kernel records for watch's bpf backend is whatever the
# process set (prctl PR_SET_NAME): here an escape sequence, an invalid
# byte, a newline and a right-to-left override. watch --json must print
# valid UTF-8 JSON that gives the name back (the invalid byte as U+FFFD),
# and the text lines no control byte, with the name escaped. With no
# filter in the kernel (the owner carried in user space) and with one
# (carried in socket storage). --comm takes the name as the text shows it,
# escapes and all, and keeps this process's transitions only.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_need_bpf_watch "$T/probe"
P=4555

"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf >"$T/json" 2>"$T/e1" &
W1=$!
"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf --addr 127.0.0.1 >"$T/json-k" 2>"$T/e2" &
W2=$!
"$TCPLIMBO" watch --backend bpf --bpf-attach btf >"$T/text" 2>"$T/e3" &
W3=$!
"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf \
	--comm '\x1b[31mev\xffl\x0a\u202e)x' >"$T/json-c" 2>"$T/e4" &
W4=$!
for e in e1 e2 e3 e4; do
	tl_wait_for 10 grep -q "backend" "$T/$e" || fail "watch did not start: $(cat "$T/$e")"
done

python3 -c '
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, b"\x1b[31mev\xffl\n\xe2\x80\xae)x", 0, 0, 0)
p = int(sys.argv[1])
s = socket.socket(); s.bind(("127.0.0.1", p)); s.listen(4)
c = socket.create_connection(("127.0.0.1", p))
a, _ = s.accept(); c.close(); a.close(); s.close()' "$P" || fail "the client failed"
# Another process's connection, which --comm leaves out.
python3 -c '
import socket, sys
p = int(sys.argv[1]) + 1
s = socket.socket(); s.bind(("127.0.0.1", p)); s.listen(4)
c = socket.create_connection(("127.0.0.1", p))
a, _ = s.accept(); c.close(); a.close(); s.close()' "$P" || fail "the other client failed"
tl_wait_for 5 grep -q "\"local_port\":$((P + 1))," "$T/json" ||
	{ cat "$T/json"; fail "watch: nothing of the other process's connection"; }
# The client's last change: FIN-WAIT-2 -> CLOSE.
for o in json json-k json-c; do
	tl_wait_for 5 grep -q '"old_state":"fin-wait-2","new_state":"close"' "$T/$o" ||
		{ cat "$T/$o"; fail "watch ($o): no FIN-WAIT-2 -> CLOSE"; }
done
tl_wait_for 5 grep -q 'FIN_WAIT2 *-> *CLOSE' "$T/text" ||
	{ cat "$T/text"; fail "watch (text): no FIN-WAIT-2 -> CLOSE"; }
kill -INT $W1 $W2 $W3 $W4
wait $W1
wait $W2
wait $W3
wait $W4

for o in json json-k json-c; do
	python3 -c '
import json, sys
want = "\x1b[31mev\ufffdl\n\u202e)x"
n = named = 0
other = int(sys.argv[2]) + 1
for raw in open(sys.argv[1], "rb"):
    o = json.loads(raw.decode("utf-8"))
    if other in (o["local_port"], o["remote_port"]):
        continue
    n += 1
    who = (o.get("owners") or []) + (o.get("former_owners") or []) + \
          (o.get("listener_owners") or [])
    if not who:
        sys.exit("unnamed: %r" % o)
    if who[0]["comm"] != want:
        sys.exit("comm %r, want %r" % (who[0]["comm"], want))
    named += 1
if n < 10:
    sys.exit("only %d transitions" % n)
print(n)' "$T/$o" "$P" >"$T/n" || fail "watch --json ($o): $(cat "$T/n")"
	ok "$o: $(cat "$T/n") transitions, valid UTF-8, each named with the comm given back"
done
python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
bad = sorted({b for b in d if (b < 32 and b != 10) or b == 127})
if bad:
    sys.exit("control bytes %r" % bad)
if b"\\x1b[31mev\\xffl\\x0a\\u202e)x" not in d:
    sys.exit("the escaped name is not shown")' "$T/text" || fail "watch text: $(python3 -c 'import sys; print(open(sys.argv[1],"rb").read()[:400])' "$T/text")"
ok "text: no control byte, the name escaped"
! grep -q "\"local_port\":$((P + 1))," "$T/json-c" ||
	fail "watch --comm: another process's transitions"
ok "--comm as the text shows the name: its transitions to the end, no other's"
