#!/usr/bin/env bash
# watch stopped by SIGINT while its standard output is full, because the
# reader is not reading (a paused pager, a stuck consumer): the stop is
# not an output error. Before, the interrupted write ended watch with
# "cannot write output: Interrupted system call" and exit status 3, and
# no summary. Now what was not yet written is dropped, the summary says
# so, and the exit status is 0. One SIGINT does it, also when the reader
# takes a little now and then, so that the signal comes in a write part
# of which went through: stdio resumed such a write, and the first
# Ctrl-C was lost.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

CHURN=${BUILDDIR:-build}/bench/tl-churn
[ -x "$CHURN" ] || skip "no $CHURN"

# The reader: this shell holds the FIFO open and never reads it.
mkfifo "$T/out" || fail "mkfifo"
exec 4<>"$T/out"

trickle() { # the reader takes 1 KiB every 0.2 s
	while :; do
		dd bs=1024 count=1 status=none <&4 >/dev/null
		sleep 0.2
	done
}
# Churns until watch is blocked writing, a second at a time (at most 5:
# under the sanitizers the poll backend samples fewer transitions).
fill() {
	for _ in 1 2 3 4 5; do
		"$CHURN" --seconds 1 --threads 1 --port 3013 >/dev/null || fail "tl-churn failed"
		tl_wait_for 2 sh -c "grep -q pipe_write /proc/$W/wchan" && return 0
	done
	fail "$mode: watch is not blocked writing: $(cat /proc/$W/wchan)"
}
R=
for run in "--json stuck" "text stuck" "--json trickle" "text trickle"; do
	read -r mode reader <<<"$run"
	opt=$mode
	[ "$mode" = text ] && opt=
	# shellcheck disable=SC2086
	"$TCPLIMBO" $opt watch --backend poll --interval 10ms 2>"$T/err" >"$T/out" &
	W=$!
	tl_wait_for 10 grep -q "backend" "$T/err" || fail "$mode: watch did not start: $(cat "$T/err")"
	# More lines than a pipe holds (64 KiB).
	fill
	C=
	if [ "$reader" = trickle ]; then
		# Churn goes on while the reader trickles, so watch always has
		# more to write than the 5 KiB a second it takes: the signal
		# comes with output waiting, once watch is seen blocked.
		"$CHURN" --seconds 4 --threads 1 --port 3013 >/dev/null &
		C=$!
		trickle &
		R=$!
		sleep 1
		tl_wait_for 2 sh -c "grep -q pipe_write /proc/$W/wchan" ||
			fail "$mode, trickle: watch is not blocked writing: $(cat /proc/$W/wchan)"
	fi
	kill -INT "$W"
	tl_wait_for 5 sh -c "! kill -0 $W 2>/dev/null" ||
		{ kill -KILL "$W"; fail "$mode, $reader reader: watch still runs 5 s after one SIGINT"; }
	[ -n "$R" ] && { kill "$R"; wait "$R" 2>/dev/null; R=; }
	[ -n "$C" ] && { wait "$C" || fail "tl-churn failed"; }
	wait "$W"
	rc=$?
	[ "$rc" = 0 ] || fail "$mode: exit status $rc after SIGINT: $(cat "$T/err")"
	grep -q "cannot write output" "$T/err" && fail "$mode: the stop was told as an output error: $(cat "$T/err")"
	grep -q "transitions\? reported" "$T/err" || fail "$mode: no summary: $(cat "$T/err")"
	grep -q "stopped while standard output was full" "$T/err" ||
		fail "$mode: the summary does not say output was dropped: $(cat "$T/err")"
	ok "$mode, $reader reader: one SIGINT with standard output full: exit 0, summary, dropped output said"
	# Empty the FIFO for the next round (bounded: watch is gone).
	timeout 5 cat <&4 >/dev/null &
	sleep 0.5
	kill $! 2>/dev/null
done

# With bpf, every transition is accounted for: of those reported, the
# lines that reached the FIFO whole, and those dropped; the transitions
# still in the kernel's buffers while the write was blocked are counted
# as not written. A second watch, whose output goes to a file, sees the
# same churn: the totals agree. (Before, the dropped ones had no count,
# and what waited in the buffers was in none.)
if "$TCPLIMBO" watch --backend bpf --seconds 0.1 >/dev/null 2>&1; then
	"$TCPLIMBO" --json watch --backend bpf >"$T/ref" 2>"$T/ref.err" &
	REF=$!
	"$TCPLIMBO" --json watch --backend bpf 2>"$T/err" >"$T/out" &
	W=$!
	tl_wait_for 10 grep -q "backend" "$T/ref.err" || fail "bpf: the reference watch did not start"
	tl_wait_for 10 grep -q "backend" "$T/err" || fail "bpf: watch did not start: $(cat "$T/err")"
	mode=bpf
	fill
	kill -INT "$W"
	# It counts what waits in the buffers (a few 100,000 transitions).
	tl_wait_for 20 sh -c "! kill -0 $W 2>/dev/null" ||
		{ kill -KILL "$W"; fail "bpf: watch still runs 20 s after one SIGINT"; }
	wait "$W" || fail "bpf: exit status $? after SIGINT: $(cat "$T/err")"
	sleep 0.5
	kill -INT "$REF"
	wait "$REF" || fail "bpf: the reference watch failed: $(cat "$T/ref.err")"
	timeout 2 cat <&4 >"$T/got"
	count() { # FILE PATTERN: the number before PATTERN in FILE
		sed -n "s/.* \([0-9][0-9]*\) $2.*/\1/p" "$1" | head -1
	}
	rep=$(count "$T/err" "transitions\\? reported")
	lost=$(count "$T/err" "lost,")
	dropped=$(count "$T/err" "w[ae][sr]e\\? not written whole")
	more=$(count "$T/err" "more that had come")
	missed=$(count "$T/err" "missed,")
	ref=$(count "$T/ref.err" "transitions\\? reported")
	ref_lost=$(count "$T/ref.err" "lost,")
	ref_missed=$(count "$T/ref.err" "missed,")
	[ -n "$rep" ] && [ -n "$dropped" ] && [ -n "$more" ] && [ -n "$ref" ] ||
		fail "bpf: summaries not understood: $(cat "$T/err" "$T/ref.err")"
	# A line written in part has no newline of its own.
	full=$(wc -l <"$T/got" | tr -d ' ')
	[ "$full" = $((rep - dropped)) ] ||
		fail "bpf: $full whole lines reached the reader; the summary says $rep reported, $dropped not written whole: $(cat "$T/err")"
	if [ "$lost" = 0 ] && [ "$ref_lost" = 0 ]; then
		# Each watch's program may be skipped for a change the other
		# saw (nested in an interrupt), counted as missed by each; and
		# under a loaded CI a few percent went uncounted (10,003 of
		# 350,392 once, with 298 missed), which this check allows:
		# before, most of them were in no count at all.
		diff=$((ref - rep - more))
		[ "$diff" -le $((${missed:-0} + ref / 20)) ] && [ "$diff" -ge $((-${ref_missed:-0})) ] ||
			fail "bpf: $rep reported + $more not written is not the $ref the other watch saw, within the missed ($missed, $ref_missed) and 5 %: $(cat "$T/err")"
		ok "bpf: $full lines written, $dropped dropped, $more not written, of the $ref the other watch saw ($diff short, $missed missed)"
	else
		ok "bpf: $full lines written, $dropped dropped; losses ($lost, $ref_lost) leave the totals unchecked"
	fi
fi
exec 4<&-
