#!/usr/bin/env bash
# How `tcplimbo watch` keeps up with connection churn: runs tl-churn alone,
# then under each backend, in a private network namespace, and prints a
# Markdown table: transitions generated (10 a connection), transitions
# each backend reported, lost ring-buffer records, and watch's CPU time as
# a share of the churn's.
#
# usage: bench/watch.sh [BUILD_DIR] [SECONDS] [THREADS] [OUTPUT]
#   OUTPUT is json (default: watch prints every transition as JSON to
#   /dev/null) or text. Needs root (unshare, eBPF).
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

echo "| backend | output | conns/s | transitions generated | transitions/s | reported by watch | lost | churn CPU s | watch CPU s | watch CPU / churn CPU | owner rescans (ms) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for mode in none bpf poll; do
	W=
	if [ "$mode" != none ]; then
		fmt=()
		[ "$OUTPUT" = json ] && fmt=(--json)
		${TL_WATCH_NICE:+nice -n "$TL_WATCH_NICE"} "$TL" "${fmt[@]}" watch --backend "$mode" >/dev/null 2>"$T/err" &
		W=$!
		for _ in $(seq 100); do grep -q backend "$T/err" && break; sleep 0.1; done
		grep -q "backend $mode" "$T/err" || { echo "watch $mode did not start: $(cat "$T/err")" >&2; continue; }
	fi
	"$CHURN" --seconds "$SECONDS_RUN" --threads "$THREADS" >"$T/churn"
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
		rep=$(sed -n 's/.*: \([0-9]*\) transitions reported.*/\1/p' "$T/err")
		lost=$(sed -n 's/.*, \([0-9]*\) lost, backend.*/\1/p' "$T/err")
		resc=$(sed -n 's/.*; \([0-9]*\) owner rescans took \([0-9]*\) ms.*/\1 (\2)/p' "$T/err")
		share=$(awk -v a="$wcpu" -v b="$ccpu" 'BEGIN { printf "%.0f%%", 100 * a / b }')
		echo "| $mode | $OUTPUT | $conns | $gen | $rate | $rep | $lost | $ccpu | $wcpu | $share | $resc |"
	else
		echo "| (no watch) | - | $conns | $gen | $rate | - | - | $ccpu | - | - | - |"
	fi
done
