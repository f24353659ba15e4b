#!/usr/bin/env bash
# watch stopped by SIGINT while its standard output is full, because the
# reader is not reading (a paused pager, a stuck consumer): the stop is
# not an output error. Before, the interrupted write ended watch with
# "cannot write output: Interrupted system call" and exit status 3, and
# no summary. Now what was not yet written is dropped, the summary says
# so, and the exit status is 0. (A write the signal interrupts after part
# of it went through is resumed by stdio, so it can take a second SIGINT:
# the test sends up to three, a second apart.)
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

CHURN=${BUILDDIR:-build}/bench/tl-churn
[ -x "$CHURN" ] || skip "no $CHURN"

# The reader: this shell holds the FIFO open and never reads it.
mkfifo "$T/out" || fail "mkfifo"
exec 4<>"$T/out"

for mode in --json text; do
	opt=$mode
	[ "$mode" = text ] && opt=
	# shellcheck disable=SC2086
	"$TCPLIMBO" $opt watch --backend poll --interval 10ms 2>"$T/err" >"$T/out" &
	W=$!
	tl_wait_for 10 grep -q "backend" "$T/err" || fail "$mode: watch did not start: $(cat "$T/err")"
	# Far more lines than a pipe holds (64 KiB).
	"$CHURN" --seconds 1 --threads 1 --port 3013 >/dev/null || fail "tl-churn failed"
	tl_wait_for 10 sh -c "grep -q pipe_write /proc/$W/wchan" ||
		fail "$mode: watch is not blocked writing: $(cat /proc/$W/wchan)"
	for _ in 1 2 3; do
		kill -INT "$W" 2>/dev/null || break
		tl_wait_for 1 sh -c "! kill -0 $W 2>/dev/null" && break
	done
	kill -0 "$W" 2>/dev/null && { kill -KILL "$W"; fail "$mode: watch still runs after three SIGINTs"; }
	wait "$W"
	rc=$?
	[ "$rc" = 0 ] || fail "$mode: exit status $rc after SIGINT: $(cat "$T/err")"
	grep -q "cannot write output" "$T/err" && fail "$mode: the stop was told as an output error: $(cat "$T/err")"
	grep -q "transitions reported" "$T/err" || fail "$mode: no summary: $(cat "$T/err")"
	grep -q "stopped while standard output was full" "$T/err" ||
		fail "$mode: the summary does not say output was dropped: $(cat "$T/err")"
	ok "$mode: SIGINT with standard output full: exit 0, summary, dropped output said"
	# Empty the FIFO for the next round (bounded: watch is gone).
	timeout 5 cat <&4 >/dev/null &
	sleep 0.5
	kill $! 2>/dev/null
done
exec 4<&-
