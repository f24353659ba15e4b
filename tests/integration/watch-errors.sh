#!/usr/bin/env bash
# Bad input to watch: one line naming the bad value, exit 3, nothing on
# stdout; and the tracepoint hint when tracefs is missing.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

bad() { # expected-text args...
	local want=$1
	shift
	# Bounded: a watch that takes the options runs until stopped.
	timeout 10 "$TCPLIMBO" watch "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[ "$rc" = 3 ] || fail "watch $*: exit $rc, want 3"
	[ -s "$T/out" ] && fail "watch $*: wrote to stdout"
	[ "$(wc -l <"$T/err")" -le 2 ] || fail "watch $*: more than a line: $(cat "$T/err")"
	grep -qF -- "$want" "$T/err" || fail "watch $*: no '$want' in: $(cat "$T/err")"
	ok "watch $* -> exit 3 naming '$want'"
}
bad "'kernel'" --backend kernel
# A build without the bpf backend says so first, and only that: no
# snapshot's notes before it (as nobody, of the processes it cannot read).
if ! timeout 10 "$TCPLIMBO" watch --backend bpf --seconds 1 >/dev/null 2>"$T/nb" &&
	grep -q "no bpf backend" "$T/nb"; then
	[ "$(wc -l <"$T/nb")" = 1 ] || fail "watch --backend bpf without bpf: more than its one line: $(cat "$T/nb")"
	ok "watch --backend bpf in a build without: one line"
fi
bad "'0'" --interval 0
bad "'5'" --interval 5
bad "'99999999999'" --interval 99999999999
bad "'-1'" --seconds -1
bad "'0'" --seconds 0
bad "'1x'" --seconds 1x
bad "'86401'" --seconds 86401
bad "'nowhere'" --bpf-attach nowhere
bad "'junk'" --state junk
bad "'70000'" --sport 70000
bad "'3'" --ring-size 3
bad "'0'" --ring-size 0
bad "'2048'" --ring-size 2048
bad "--backend poll has none" --backend poll --ring-size 4
bad "--backend bpf is told of each transition" --backend bpf --interval 1s
bad "'extra'" extra
bad "--top draws a table" --top --json
bad "the kernel keeps only the first 15 bytes" --comm averyveryverylongname
"$TCPLIMBO" watch --help | grep -q -- "--backend" || fail "no help"
ok "help"

# --seconds ends it by itself, with its summary (timeout only bounds a
# watch that would not stop; how long it takes is bench's business).
timeout 60 "$TCPLIMBO" watch --backend poll --interval 100 --seconds 1 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || fail "poll --seconds 1: exit $rc$([ $rc = 124 ] && echo ', did not stop')"
grep -q "backend poll" "$T/err" || fail "poll not announced"
grep -q "0 transitions reported" "$T/err" || fail "idle namespace reported transitions: $(cat "$T/out")"
# poll's own counts, not bpf's: it samples, and loses no buffer.
grep -q "reported (0 sampled jumps, 0 not in the state machine), backend poll; 1 owner rescan" "$T/err" &&
	! grep -q " lost, " "$T/err" || fail "poll's summary: $(cat "$T/err")"
timeout 60 "$TCPLIMBO" --no-owners watch --backend poll --interval 100 --seconds 1 >"$T/out" 2>"$T/err"
grep -q "backend poll; owners not looked up$" "$T/err" || fail "--no-owners summary: $(cat "$T/err")"
ok "--seconds 1 stops by itself, with its summary: the backend's own counts"

# --interval with the default backend: where auto picks bpf, the interval
# is not used, and the start line says so; where it picks poll, it is.
timeout 60 "$TCPLIMBO" watch --interval 200ms --seconds 1 >/dev/null 2>"$T/err" ||
	fail "watch --interval 200ms: exit $?"
if grep -q "backend bpf" "$T/err"; then
	grep -q "; --interval is the poll backend's, and bpf reports each transition as it happens$" "$T/err" ||
		fail "auto chose bpf: the unused --interval not said: $(cat "$T/err")"
else
	grep -q -- "--interval is the poll backend's" "$T/err" && fail "auto chose poll: --interval said unused: $(cat "$T/err")"
fi
ok "--interval with auto: said unused where bpf was chosen"

# The bpf backend refused: the message says what this process lacks. Root
# without the caps is not told to be root; a user with CAP_BPF and
# CAP_PERFMON is not sent for them when what refused was its perf buffers
# going over the user's locked-memory allowance.
command -v setpriv >/dev/null || { ok "skip: setpriv not found"; exit 0; }
"$TCPLIMBO" --no-owners watch --backend bpf --seconds 1 >/dev/null 2>&1 ||
	{ ok "skip: no bpf backend here"; exit 0; }
NOCAPS="setpriv --inh-caps=-bpf,-perfmon,-sys_admin --bounding-set=-bpf,-perfmon,-sys_admin"
$NOCAPS "$TCPLIMBO" --no-owners watch --backend bpf --seconds 1 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 3 ] || fail "root without CAP_BPF: exit $rc, want 3: $(cat "$T/err")"
grep -qx "tcplimbo: watch: cannot load the bpf program: Operation not permitted (needs CAP_BPF and CAP_PERFMON, which this process lacks)" "$T/err" ||
	fail "root without CAP_BPF: $(cat "$T/err")"
$NOCAPS "$TCPLIMBO" --owners-backend bpf ls >/dev/null 2>"$T/err"
grep -qx "tcplimbo: --owners-backend bpf: the kernel refused the BPF iterators (they need CAP_BPF and CAP_PERFMON, which this process lacks)" "$T/err" ||
	fail "root without CAP_BPF, --owners-backend bpf: $(cat "$T/err")"
ok "root without CAP_BPF: $(cat "$T/err")"
# The doctor, in its namespace and in all of them, says the same.
$NOCAPS "$TCPLIMBO" --owners-backend bpf doctor >/dev/null 2>"$T/err"
grep -q "^tcplimbo: doctor: network namespace .*: --owners-backend bpf: the kernel refused the BPF iterators (they need CAP_BPF and CAP_PERFMON, which this process lacks)$" "$T/err" ||
	fail "root without CAP_BPF, doctor --owners-backend bpf: $(cat "$T/err")"
$NOCAPS "$TCPLIMBO" --owners-backend bpf doctor -A >/dev/null 2>"$T/err"
grep -qx "tcplimbo: doctor: --owners-backend bpf: the kernel refused the BPF iterators (they need CAP_BPF and CAP_PERFMON, which this process lacks)" "$T/err" ||
	fail "root without CAP_BPF, doctor -A --owners-backend bpf: $(cat "$T/err")"
ok "doctor and doctor -A without CAP_BPF: the BPF iterators named"
BPFUSER="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon"
$BPFUSER test -x "$TCPLIMBO" || { ok "skip: nobody cannot run $TCPLIMBO"; exit 0; }
memlock=$($BPFUSER sh -c 'ulimit -l')
mlock_kb=$(cat /proc/sys/kernel/perf_event_mlock_kb)
[ "$memlock" != unlimited ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -ge 0 ] ||
	{ ok "skip: no locked-memory allowance for perf buffers here"; exit 0; }
allow_kb=$((mlock_kb * $(getconf _NPROCESSORS_ONLN) + memlock))
[ $allow_kb -lt $((64 * 1024)) ] || { ok "skip: a 64 MiB ring fits ${allow_kb} KiB"; exit 0; }
$BPFUSER "$TCPLIMBO" --no-owners watch --backend bpf --ring-size 64 --seconds 1 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 3 ] || fail "CAP_BPF, 64 MiB over ${allow_kb} KiB: exit $rc, want 3: $(cat "$T/err")"
grep -qx "tcplimbo: watch: cannot load the bpf program: Operation not permitted (the perf buffers, 64 MiB, exceed this user's locked-memory allowance of $allow_kb KiB: kernel.perf_event_mlock_kb a CPU, then ulimit -l; give a smaller --ring-size, or CAP_IPC_LOCK)" "$T/err" ||
	fail "CAP_BPF and CAP_PERFMON, over the allowance: $(cat "$T/err")"
ok "CAP_BPF and CAP_PERFMON, 64 MiB over ${allow_kb} KiB: $(cat "$T/err")"
if [ $allow_kb -ge 1024 ]; then
	$BPFUSER "$TCPLIMBO" --no-owners watch --backend bpf --ring-size 1 --seconds 1 >"$T/out" 2>"$T/err" ||
		fail "CAP_BPF and CAP_PERFMON, a 1 MiB ring: $(cat "$T/err")"
	ok "CAP_BPF and CAP_PERFMON with a 1 MiB ring: bpf loads"
fi
