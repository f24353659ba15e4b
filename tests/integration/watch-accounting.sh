#!/usr/bin/env bash
# watch --backend bpf accounts for the transitions of a churn: each one
# the kernel made is reported, lost (a CPU's buffer full) or missed (the
# kernel skipped the program because it was already running on that CPU,
# which it counts), all but a sliver the kernel does not count (below).
# Under loopback churn some changes come in network processing that
# interrupted the program; a second program handles them, and what even
# it cannot is counted as missed. Before, they vanished without a word. The
# churn makes ten transitions a connection, and the kernel's own
# ActiveOpens count says how many connections there were.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

CHURN=${BUILDDIR:-build}/bench/tl-churn
[ -x "$CHURN" ] || skip "no $CHURN"
[ -r /sys/kernel/btf/vmlinux ] || skip "kernel without BTF"
if ! "$TCPLIMBO" watch --backend bpf --seconds 1 >/dev/null 2>"$T/probe"; then
	grep -q "no bpf backend" "$T/probe" && skip "built without bpf"
	skip "bpf backend does not start here: $(cat "$T/probe")"
fi

active_opens() {
	awk '/^Tcp:/ && !h { for (i = 1; i <= NF; i++) k[i] = $i; h = 1; next }
		/^Tcp:/ { for (i = 1; i <= NF; i++) if (k[i] == "ActiveOpens") print $i }' /proc/net/snmp
}

# account WHAT NICE THREADS [WATCH OPTIONS]: a churn under watch, whose
# transitions must all be reported, lost or missed, its lines in order.
# The lines go through awk, not to a file (hundreds of MB): it counts them
# and the times that go back. The bpf backend reads one buffer a CPU and
# must put them in time order.
# Whether watch (pid $1) is idle: not blocked writing to its reader, and
# no CPU time used in a fifth of a second.
caught_up() {
	local a b
	grep -q pipe_write "/proc/$1/wchan" && return 1
	a=$(cut -d' ' -f14,15 "/proc/$1/stat")
	sleep 0.2
	b=$(cut -d' ' -f14,15 "/proc/$1/stat")
	[ "$a" = "$b" ] && ! grep -q pipe_write "/proc/$1/wchan"
}

account() {
	local what=$1 nice=$2 threads=$3 conns opens0 line rep lost missed want seen short
	local lines back first
	shift 3
	rm -f "$T/order" "$T/err"
	opens0=$(active_opens)
	nice -n "$nice" "$TCPLIMBO" --json watch --backend bpf "$@" 2>"$T/err" > >(awk '
		{ ts = $0; sub(/^\{"ts":"/, "", ts); sub(/".*/, "", ts) }
		ts < last { back++; if (!first) first = ts " after " last }
		ts > last { last = ts }
		END { print NR, back + 0, first }' >"$T/order") &
	WATCHER=$!
	tl_wait_for 10 grep -q "backend" "$T/err" || fail "$what: watch did not start: $(cat "$T/err")"
	"$CHURN" --seconds 2 --threads "$threads" >"$T/churn" || fail "tl-churn failed"
	conns=$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' "$T/churn")
	[ "${conns:-0}" -gt 1000 ] || fail "the churn made too few connections: $(cat "$T/churn")"
	opens=$(($(active_opens) - opens0))
	[ "$opens" = "$conns" ] || fail "ActiveOpens grew by $opens, the churn says $conns connections"
	# Time for watch to catch up with the churn's last transitions, and
	# for its reader with watch: until watch is not blocked writing and
	# its CPU time holds still (gawk, which Debian's awk may be, reads
	# slower than a 2-thread churn writes).
	tl_wait_for 60 caught_up "$WATCHER" ||
		fail "$what: watch did not catch up in 60 s: $(cat /proc/"$WATCHER"/wchan)"
	kill -INT "$WATCHER"
	wait "$WATCHER" || fail "$what: watch exited with $? after SIGINT: $(cat "$T/err")"
	line=$(grep "transitions reported" "$T/err") || fail "$what: no summary: $(cat "$T/err")"
	read -r rep lost missed < <(sed -n 's/.*: \([0-9]*\) transitions\{0,1\} reported.*, \([0-9]*\) lost, \([0-9]*\) missed,.*/\1 \2 \3/p' <<<"$line")
	[ -n "$missed" ] || fail "$what: summary without lost and missed counts: $line"
	# Ten a connection, and the listener's two (CLOSE -> LISTEN -> CLOSE).
	want=$((conns * 10 + 2))
	seen=$((rep + lost + missed))
	echo "$what: connections $conns: $want transitions; reported $rep, lost $lost, missed $missed"
	# missed counts every namespace's, so the sum may exceed what we made.
	# It may fall short by a few hundredths of a percent (0-272 of
	# 590-950k in the runs checked against perf's count of the
	# tracepoint): changes the kernel neither ran the program for nor
	# counted as skipped; the program's run count equals "reported" then.
	# On a machine loaded by other work it was 570 of 424k (0.13 %) once.
	# Before the skipped ones were handled by tl_state_nested or counted,
	# the shortfall was 0.2-1.8 %: the bound is the bottom of that.
	short=$((want - seen))
	[ "$short" -lt $((want / 500)) ] ||
		fail "$what: $short transitions unaccounted for (0.2 % or more): $line"
	[ "$rep" -le "$want" ] || fail "$what: more reported than made: $line"
	ok "$what: every transition of $conns connections reported ($rep), lost ($lost) or missed ($missed)"
	tl_wait_for 20 test -s "$T/order" || fail "$what: the output's reader did not finish"
	read -r lines back first <"$T/order"
	[ "$lines" = "$rep" ] || fail "$what: $lines lines for $rep transitions reported"
	[ "$back" = 0 ] || fail "$what: $back of $lines lines go back in time (first: $first)"
	ok "$what: all $lines lines in time order"
	ACCOUNT_LOST=$lost
}

account "default buffers" 0 2
# Buffers far too small for a reader at the lowest priority: most records
# are lost, and each must be counted. (The kernel's own count of them is
# written into a buffer only once a later record fits, so after the churn's
# last one it never came, and 40 % of the transitions went unaccounted.)
account "1 MiB at nice 19" 19 4 --ring-size 1
[ "$ACCOUNT_LOST" -gt 0 ] || echo "note: nothing was lost with 1 MiB at nice 19; the check above held anyway"

# A large ring takes the kernel a while to make (about a second for
# 1 GiB). The program must not run before every CPU's buffer is in place:
# a change it saw meanwhile failed to be written (ENOENT) and was counted
# as lost, "a CPU's buffer was full", the more the larger the ring. Here
# the churn already runs when watch starts; 128 MiB a CPU cannot fill in
# the 2 s watched, however slow the reader.
"$CHURN" --seconds 4 --threads 2 >/dev/null &
CH=$!
sleep 0.5
"$TCPLIMBO" watch --backend bpf --ring-size 256 --seconds 2 >/dev/null 2>"$T/big" ||
	fail "watch --ring-size 256: $(cat "$T/big")"
wait $CH || fail "tl-churn failed"
line=$(grep "transitions reported" "$T/big") || fail "--ring-size 256: no summary: $(cat "$T/big")"
lost=$(sed -n 's/.*, \([0-9]*\) lost, .*/\1/p' <<<"$line")
[ "$lost" = 0 ] || fail "--ring-size 256 lost $lost transitions that no full buffer explains: $line"
ok "--ring-size 256 started under churn: nothing lost ($line)"
