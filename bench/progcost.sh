#!/usr/bin/env bash
# What watch's kernel program costs a transition, in nanoseconds a run, as
# the kernel counts it (kernel.bpf_stats_enabled): ROUNDS runs of
# tl-churn (THREADS threads, 4 s) with `watch --backend bpf --sport 1`
# attached, which runs the program on every change and hands nothing to
# user space. Far less noisy than the churn's rate (bench/slowdown.sh),
# and it names the program. The stats add a few tens of ns a run of their
# own: tl_state_nested, which only checks a flag, shows that floor.
#
# With TL_BASE_BUILD=DIR each round also measures that build, in turn.
# TL_PROGCOST_ARGS replaces `--sport 1` (e.g. TL_PROGCOST_ARGS="--json"
# measures the program watch runs with no filter in the kernel, which
# leaves each socket's owner to user space; watch then reads every
# change, into /dev/null).
# kernel.bpf_stats_enabled is set back to what it was.
#
# usage: bench/progcost.sh [BUILD_DIR] [ROUNDS] [THREADS]   (root)
set -u
BUILD=${1:-build}
ROUNDS=${2:-3}
THREADS=${3:-4}
BASE=${TL_BASE_BUILD:-}
read -ra WARGS <<<"${TL_PROGCOST_ARGS---sport 1}"
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || die "needs root"
case "$ROUNDS$THREADS" in *[!0-9]*) die "ROUNDS and THREADS are numbers" ;; esac
if [ "$ROUNDS" -lt 1 ] || [ "$ROUNDS" -gt 20 ]; then
	die "ROUNDS is 1 to 20"
fi
for b in "$BUILD" $BASE; do
	if [ ! -x "$b/tcplimbo" ] || [ ! -x "$b/bench/tl-churn" ]; then
		die "build $b first"
	fi
done
command -v bpftool >/dev/null || die "needs bpftool"
command -v jq >/dev/null || die "needs jq"
if [ -z "${TL_BENCH_NETNS:-}" ]; then
	was=$(sysctl -n kernel.bpf_stats_enabled) || die "no kernel.bpf_stats_enabled"
	sysctl -q kernel.bpf_stats_enabled=1 || die "cannot set kernel.bpf_stats_enabled"
	TL_BENCH_NETNS=1 unshare -n bash "$0" "$@"
	rc=$?
	sysctl -q kernel.bpf_stats_enabled="$was"
	exit $rc
fi
ip link set lo up
T=$(mktemp -d)
W=
trap '[ -n "$W" ] && kill "$W" 2>/dev/null; rm -rf "$T"' EXIT

# one BUILD: "conns/s btf-ns nested-ns" for one round
one() {
	local b=$1 rate
	rm -f "$T/err"
	"$b/tcplimbo" watch --backend bpf "${WARGS[@]}" >/dev/null 2>"$T/err" &
	W=$!
	watch_started "$T/err" bpf
	# The kernel counts since the program was loaded (and leaves out
	# counts of 0): read before and after the churn.
	bpftool prog show -j >"$T/before"
	rate=$("$b/bench/tl-churn" --seconds 4 --threads "$THREADS" |
		sed -n 's/.*conns_per_s=\([0-9]*\).*/\1/p')
	bpftool prog show -j >"$T/after"
	kill -INT "$W"
	wait "$W"
	W=
	jq -rn --slurpfile a "$T/before" --slurpfile z "$T/after" --arg rate "$rate" '
		def cost(n): ([$a[0][] | select(.name == n)] | max_by(.id)) as $x
			| ([$z[0][] | select(.name == n and .id == $x.id)][0]) as $y
			| (($y.run_cnt // 0) - ($x.run_cnt // 0)) as $n
			| if $n > 0
			  then ((($y.run_time_ns // 0) - ($x.run_time_ns // 0)) / $n
				| floor)
			  else "-" end;
		"\($rate) \(cost("tl_state_btf")) \(cost("tl_state_nested"))"'
}

: >"$T/new"
: >"$T/base"
for _ in $(seq "$ROUNDS"); do
	one "$BUILD" >>"$T/new"
	[ -n "$BASE" ] && one "$BASE" >>"$T/base"
done
show() {
	echo "$1: conns/s $(cut -d' ' -f1 "$2" | paste -sd' ');" \
		"tl_state_btf ns a run $(cut -d' ' -f2 "$2" | paste -sd' ')" \
		"(median $(cut -d' ' -f2 "$2" | median));" \
		"tl_state_nested $(cut -d' ' -f3 "$2" | paste -sd' ')"
}
echo "churn threads $THREADS, $ROUNDS rounds, watch ${WARGS[*]}:"
show "  $BUILD" "$T/new"
[ -n "$BASE" ] && show "  $BASE" "$T/base"
exit 0
