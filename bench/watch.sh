#!/usr/bin/env bash
# How `tcplimbo watch` keeps up with connection churn: runs tl-churn alone,
# then under each backend, in a private network namespace, and prints a
# Markdown table: transitions generated (10 a connection), transitions
# each backend reported, lost records (a full buffer), transitions the kernel
# skipped the program for (missed; counted for all namespaces; an older
# build prints none: "-"), and watch's CPU time as
# a share of the churn's, and the share of reported transitions that name
# a process (an owner, the owner before close, or the listener's), with how
# many of those the kernel recorded (bpf: the process at connect, listen
# and accept, carried to the socket's later changes). Every socket of the
# churn is made after watch started.
#
# THREADS may be a list ("1 2 4"): one round of every backend per level.
#
# usage: bench/watch.sh [BUILD_DIR] [SECONDS] [THREADS] [OUTPUT]
#   OUTPUT is json (default: watch prints every transition as JSON to
#   /dev/null) or text. Needs root (unshare, eBPF).
#   TL_WATCH_ARGS="..." adds options to watch (e.g. --ring-size 128).
#   TL_WATCH_COUNT=1 keeps watch's JSON in a file and counts the named
#   transitions from it afterwards, for builds whose summary does not
#   count them (the file costs memory: ~400 bytes a transition).
#   TL_WATCH_NICE=N runs watch under `nice -n N` (e.g. -10): when the churn
#   has more threads than the machine has CPUs, watch at normal priority
#   gets too small a share to drain the ring buffer.
set -u
BUILD=${1:-build}
SECONDS_RUN=${2:-5}
THREADS=${3:-2}
OUTPUT=${4:-json}
TL=$BUILD/tcplimbo
CHURN=$BUILD/bench/tl-churn
[ -x "$TL" ] && [ -x "$CHURN" ] || { echo "build $BUILD first (ninja -C $BUILD)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
if [ -z "${TL_BENCH_NETNS:-}" ]; then
	TL_BENCH_NETNS=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up
T=$(mktemp -d)
W=
trap '[ -n "$W" ] && kill "$W" 2>/dev/null; rm -rf "$T"' EXIT
TCK=$(getconf CLK_TCK)
cpu_of() { # utime+stime of a live pid, in seconds
	awk -v t="$TCK" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2"; }

echo "| churn threads | backend | output | conns/s | transitions generated | transitions/s | reported by watch | lost | missed | named (by the kernel) | churn CPU s | watch CPU s | watch CPU / churn CPU | owner rescans (ms) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for threads in $THREADS; do
for mode in none bpf poll; do
	W=
	if [ "$mode" != none ]; then
		fmt=()
		[ "$OUTPUT" = json ] && fmt=(--json)
		out=/dev/null
		[ -n "${TL_WATCH_COUNT:-}" ] && [ "$OUTPUT" = json ] && out=$T/out
		# Not the last round's: the shell truncates it only once the
		# child runs, and a stale "backend" line would start the churn
		# before watch is attached.
		rm -f "$T/err"
		${TL_WATCH_NICE:+nice -n "$TL_WATCH_NICE"} "$TL" "${fmt[@]}" watch --backend "$mode" ${TL_WATCH_ARGS:-} >"$out" 2>"$T/err" &
		W=$!
		for _ in $(seq 100); do grep -q backend "$T/err" && break; sleep 0.1; done
		grep -q "backend $mode" "$T/err" || { echo "watch $mode did not start: $(cat "$T/err")" >&2; continue; }
	fi
	"$CHURN" --seconds "$SECONDS_RUN" --threads "$threads" >"$T/churn"
	gen=$(field expected_transitions "$T/churn")
	rate=$(field transitions_per_s "$T/churn")
	conns=$(field conns_per_s "$T/churn")
	ccpu=$(field cpu_s "$T/churn")
	if [ -n "$W" ]; then
		sleep 2 # let watch drain what is buffered
		wcpu=$(cpu_of "$W")
		kill -INT "$W"
		wait "$W"
		W=
		rep=$(sed -n 's/.*: \([0-9]*\) transitions\{0,1\} reported.*/\1/p' "$T/err")
		lost=$(sed -n 's/.*, \([0-9]*\) lost, .*backend.*/\1/p' "$T/err")
		missed=$(sed -n 's/.*, \([0-9]*\) missed, backend.*/\1/p' "$T/err")
		# poll loses no buffer: its summary has no such counts.
		lost=${lost:--} missed=${missed:--}
		resc=$(sed -n 's/.*; \([0-9]*\) owner rescans\{0,1\} took \([0-9]*\) ms.*/\1 (\2)/p' "$T/err")
		share=$(awk -v a="$wcpu" -v b="$ccpu" 'BEGIN { printf "%.0f%%", 100 * a / b }')
		named=$(sed -n 's/.*; \([0-9]*\) named (\([0-9]*\) by the kernel).*/\1 \2/p' "$T/err")
		if [ -z "$named" ] && [ -s "$T/out" ]; then
			named="$(python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("owners") or e.get("former_owners") or e.get("listener_owners"):
        n += 1
print(n, 0)' "$T/out")"
		fi
		rm -f "$T/out"
		named=$(awk -v r="$rep" -v n="${named% *}" -v k="${named#* }" 'BEGIN {
			if (n == "" || r == 0) print "-";
			else printf "%.1f%% (%.1f%%)", 100 * n / r, 100 * k / r }')
		echo "| $threads | $mode | $OUTPUT | $conns | $gen | $rate | $rep | $lost | ${missed:--} | $named | $ccpu | $wcpu | $share | $resc |"
	else
		echo "| $threads | (no watch) | - | $conns | $gen | $rate | - | - | - | - | $ccpu | - | - | - |"
	fi
done
done
