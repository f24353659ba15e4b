#!/usr/bin/env bash
# How much `tcplimbo watch --backend bpf` slows a churn: ROUNDS interleaved
# 3-second runs of tl-churn alone, with `watch --json` to /dev/null, with
# `watch` (its text lines) to /dev/null, and with `watch --sport 1`, which
# runs the kernel program on every change but lets nothing through to
# user space (the program's own cost, in the mode a kernel filter takes:
# every socket's owner and last change kept in socket storage; without
# filters the program leaves those to user space). Prints
# each run's connections a second and the medians, in a private network
# namespace. Interleaving spreads the machine's drift over all four.
#
# With TL_BASE_BUILD=DIR (another build, such as main's), each round also
# runs that build's `watch --json`, so two builds are compared in the same
# rounds: on a noisy machine consecutive runs of this script differ by
# more than a change may gain. Per-round slowdowns are printed too.
#
# usage: bench/slowdown.sh [BUILD_DIR] [THREADS] [ROUNDS]   (root)
set -u
BUILD=${1:-build}
THREADS=${2:-1}
ROUNDS=${3:-5}
TL=$BUILD/tcplimbo
CHURN=$BUILD/bench/tl-churn
BASE=${TL_BASE_BUILD:-}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
if [ ! -x "$TL" ] || [ ! -x "$CHURN" ]; then
	die "build $BUILD first (ninja -C $BUILD)"
fi
if [ -n "$BASE" ] && [ ! -x "$BASE/tcplimbo" ]; then
	die "TL_BASE_BUILD: no $BASE/tcplimbo"
fi
[ "$(id -u)" = 0 ] || die "needs root"
case "$THREADS$ROUNDS" in *[!0-9]*) die "THREADS and ROUNDS are numbers" ;; esac
if [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt 50 ]; then
	die "ROUNDS is 1 to 50"
fi
if [ -z "${TL_BENCH_NETNS:-}" ]; then
	TL_BENCH_NETNS=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up
T=$(mktemp -d)
W=
trap '[ -n "$W" ] && kill "$W" 2>/dev/null; rm -rf "$T"' EXIT

rate() {
	"$CHURN" --seconds 3 --threads "$THREADS" |
		sed -n 's/.*conns_per_s=\([0-9]*\).*/\1/p'
}
# with_watch GLOBAL_ARGS... -- WATCH_ARGS...: the churn's rate with watch
# ($TL, or $WTL when set)
# attached (the error file is removed first: see watch_started).
with_watch() {
	local global=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do global+=("$1"); shift; done
	shift
	rm -f "$T/err"
	"${WTL:-$TL}" "${global[@]}" watch --backend bpf "$@" >/dev/null 2>"$T/err" &
	W=$!
	watch_started "$T/err" bpf
	rate
	kill -INT "$W"
	wait "$W"
	W=
}

: >"$T/alone"
: >"$T/json"
: >"$T/text"
: >"$T/kernel"
: >"$T/base"
for _ in $(seq "$ROUNDS"); do
	rate >>"$T/alone"
	if [ -n "$BASE" ]; then
		WTL=$BASE/tcplimbo with_watch --json -- >>"$T/base"
	fi
	with_watch --json -- >>"$T/json"
	with_watch -- >>"$T/text"
	with_watch -- --sport 1 >>"$T/kernel"
done
a=$(median <"$T/alone")
j=$(median <"$T/json")
x=$(median <"$T/text")
k=$(median <"$T/kernel")
slow() { awk -v a="$a" -v b="$1" 'BEGIN { printf "%.0f %%", 100 * (a - b) / a }'; }
# Each round's slowdown against that round's churn alone, and their median.
rounds() {
	local r
	r=$(paste -d' ' "$T/alone" "$1" | awk 'NF == 2 { printf "%.0f\n", 100 * ($1 - $2) / $1 }')
	echo "$(echo "$r" | paste -sd' ') (median $(echo "$r" | median) %)"
}
echo "churn threads $THREADS, connections a second in $ROUNDS rounds:"
echo "  alone:                  $(paste -sd' ' "$T/alone") (median $a)"
echo "  watch --json:           $(paste -sd' ' "$T/json") (median $j, slower by $(slow "$j"))"
echo "  watch (text):           $(paste -sd' ' "$T/text") (median $x, slower by $(slow "$x"))"
echo "  kernel program only:    $(paste -sd' ' "$T/kernel") (median $k, slower by $(slow "$k"))"
echo "  slower by, per round: watch --json $(rounds "$T/json")"
echo "                        text $(rounds "$T/text")"
echo "                        kernel only $(rounds "$T/kernel")"
if [ -n "$BASE" ]; then
	b=$(median <"$T/base")
	echo "  $BASE watch --json: $(paste -sd' ' "$T/base") (median $b, slower by $(slow "$b"))"
	echo "  slower by, per round: $(rounds "$T/base")"
fi
