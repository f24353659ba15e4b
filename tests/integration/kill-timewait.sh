#!/usr/bin/env bash
# tcplimbo kill on a timewait entry: a server that closed its side of a
# connection whose client still holds its own leaves a FIN-WAIT-2 handed to
# the timewait machinery (ss: timer:(timewait)), and the client sits in
# CLOSE-WAIT. SOCK_DESTROY drops such an entry without a RST, so the
# client is not told: the report must say so, not only "nothing else to
# free" (before, it did not, and the man page said the peer gets a RST).
# ss is the oracle: the entry is gone, the client still in CLOSE-WAIT.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 -u - 3011 <<'PY' >"$T/cli" &
import socket, sys, time
port = int(sys.argv[1])
srv = socket.socket(); srv.bind(("127.0.0.1", port)); srv.listen(1)
c = socket.create_connection(("127.0.0.1", port)); s = srv.accept()[0]
s.close()
print("closed", c.getsockname()[1], flush=True)
time.sleep(30)
PY
tl_wait_for 10 grep -q closed "$T/cli" || fail "client did not run"
read -r _ CPORT <"$T/cli"
tl_wait_for 5 sh -c "ss -Htano state fin-wait-2 'sport = :3011' | grep -q 'timer:(timewait'" ||
	{ ss -tano; fail "ss: no timewait FIN-WAIT-2 entry on 3011"; }

"$TCPLIMBO" kill --sport 3011 --state fin-wait-2 >"$T/out" 2>"$T/err" ||
	fail "kill exited with $?: $(cat "$T/out" "$T/err")"
grep -q '^destroyed  *FIN_WAIT2 ' "$T/out" || { cat "$T/out"; fail "not destroyed"; }
grep -q 'a timewait entry: dropped without a RST; a peer still in CLOSE_WAIT is not told' "$T/out" ||
	{ cat "$T/out"; fail "the report does not say the peer got no RST"; }
[ -z "$(ss -Htan state fin-wait-2 'sport = :3011')" ] || { ss -tano; fail "ss: the entry is still there"; }
ss -Htan state close-wait "sport = :$CPORT" | grep -q . ||
	{ ss -tano; fail "ss: the client is not in CLOSE-WAIT any more: it was told after all"; }
ok "kill on a timewait entry: gone, no RST, and the report says the peer is not told"

# --dry-run says it too, in the conditional.
python3 -u - 3012 <<'PY' >"$T/cli2" &
import socket, sys, time
port = int(sys.argv[1])
srv = socket.socket(); srv.bind(("127.0.0.1", port)); srv.listen(1)
c = socket.create_connection(("127.0.0.1", port)); s = srv.accept()[0]
s.close()
print("closed", flush=True)
time.sleep(30)
PY
tl_wait_for 10 grep -q closed "$T/cli2" || fail "second client did not run"
tl_wait_for 5 sh -c "ss -Htan state fin-wait-2 'sport = :3012' | grep -q ." || fail "no FIN-WAIT-2 on 3012"
"$TCPLIMBO" kill --sport 3012 --state fin-wait-2 --dry-run >"$T/dry" 2>/dev/null || fail "dry run"
grep -q 'a timewait entry: would be dropped without a RST' "$T/dry" || { cat "$T/dry"; fail "dry run: no note"; }
ss -Htan state fin-wait-2 'sport = :3012' | grep -q . || fail "dry run destroyed it"
ok "kill --dry-run on a timewait entry says it would go without a RST"

# A TIME-WAIT entry: its peer has closed too, so the report does not
# speak of one still in CLOSE_WAIT.
python3 -u - 3013 <<'PY' >"$T/cli3" &
import socket, sys, time
port = int(sys.argv[1])
srv = socket.socket(); srv.bind(("127.0.0.1", port)); srv.listen(1)
c = socket.create_connection(("127.0.0.1", port)); s = srv.accept()[0]
s.close()
time.sleep(0.2)
c.close()
print("closed", flush=True)
time.sleep(30)
PY
tl_wait_for 10 grep -q closed "$T/cli3" || fail "third client did not run"
tl_wait_for 5 sh -c "ss -Htan state time-wait 'sport = :3013' | grep -q ." || { ss -tano; fail "no TIME-WAIT on 3013"; }
"$TCPLIMBO" kill --sport 3013 --state time-wait >"$T/tw" 2>&1 || fail "kill on TIME-WAIT: $(cat "$T/tw")"
grep -q '^destroyed  *TIME_WAIT ' "$T/tw" || { cat "$T/tw"; fail "TIME-WAIT not destroyed"; }
grep -q 'a timewait entry: dropped without a RST; the peer has closed its side already' "$T/tw" &&
	! grep -q CLOSE_WAIT "$T/tw" || { cat "$T/tw"; fail "TIME-WAIT: the note speaks of a peer in CLOSE_WAIT"; }
ok "kill on a TIME-WAIT entry: the note says the peer has closed, not that it is in CLOSE_WAIT"
