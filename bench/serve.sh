#!/usr/bin/env bash
# The exporter's benchmark: on one socket population (bench/population.c in
# a private network namespace), in the same run, the median time of a
# scrape of `tcplimbo serve` (one scan a scrape: --interval 0) next to the
# median time of `tcplimbo ls --json`, with the peak resident memory of
# each; and node_exporter's tcpstat collector alone on the same namespace
# when prometheus-node-exporter is installed. Prints a Markdown table on
# stdout, progress on stderr. Not a test: `make check` never runs it.
#
# Environment:
#   BENCH_N       connections (default 200000)
#   BENCH_RUNS    timed runs of each, median reported (default 5)
#   BENCH_OWNERS  owner processes (default 50)
#   BENCH_POP_ARGS extra tl-population options (--tw-warmup 5, ...)
#   BUILD         build directory (default build)
set -euo pipefail

# die, median, ratio, population_ready
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Peak and current RSS of a live pid, KiB.
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# scrape_times URL RUNS: one untimed scrape, then RUNS timed ones (curl's
# total time, seconds); prints the median.
scrape_times() {
	local url=$1 runs=$2 i
	curl -sf -o /dev/null -m 600 "$url" || die "scrape of $url failed"
	for ((i = 0; i < runs; i++)); do
		curl -sf -o /dev/null -m 600 -w '%{time_total}\n' "$url" ||
			die "scrape of $url failed"
	done | median
}

# Inside the population's namespace.
measure() {
	local runs=$1 tl=$TL t0 t1 i sock ls_med ls_rss serve_med serve_rss
	local ne_med=- ne_rss=- ne_ver=- srv ne scan_s
	local samples=()

	sock=$("$tl" --no-owners ls --json | grep -c '^{"family"' || true)
	"$tl" ls --json >/dev/null # warms /proc's caches
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$tl" ls --json >/dev/null
		t1=$(date +%s%N)
		samples+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')")
	done
	ls_med=$(printf '%s\n' "${samples[@]}" | median)
	ls_rss=$( { /usr/bin/time -f %M "$tl" ls --json >/dev/null; } 2>&1 | tail -1)
	echo "  ls --json: ${ls_med}s, ${ls_rss} KiB" >&2

	ip link set lo up 2>/dev/null || true
	"$tl" serve --listen 127.0.0.1:19858 -N /proc/self/ns/net 2>/dev/null &
	srv=$!
	for ((i = 0; i < 100; i++)); do
		curl -sf -o /dev/null -m 600 http://127.0.0.1:19858/ && break
		sleep 0.1
	done
	serve_med=$(scrape_times http://127.0.0.1:19858/metrics "$runs")
	scan_s=$(curl -sf -m 600 http://127.0.0.1:19858/metrics |
		awk '/^tcplimbo_scrape_duration_seconds / { print $2 }')
	serve_rss=$(hwm "$srv")
	kill "$srv"
	wait "$srv" || true
	echo "  serve scrape: ${serve_med}s (scan ${scan_s}s), peak ${serve_rss} KiB" >&2

	if command -v prometheus-node-exporter >/dev/null; then
		ne_ver=$(prometheus-node-exporter --version 2>&1 | awk 'NR == 1 { print $3 }')
		prometheus-node-exporter --web.listen-address=127.0.0.1:19100 \
			--collector.disable-defaults --collector.tcpstat 2>/dev/null &
		ne=$!
		for ((i = 0; i < 100; i++)); do
			curl -sf -o /dev/null http://127.0.0.1:19100/ && break
			sleep 0.1
		done
		ne_med=$(scrape_times http://127.0.0.1:19100/metrics "$runs")
		ne_rss=$(hwm "$ne")
		kill "$ne"
		wait "$ne" || true
		echo "  node_exporter tcpstat: ${ne_med}s, peak ${ne_rss} KiB" >&2
	fi
	echo "sockets=$sock ls=$ls_med ls_rss=$ls_rss serve=$serve_med scan=$scan_s serve_rss=$serve_rss ne=$ne_med ne_rss=$ne_rss ne_ver=$ne_ver load=$(cut -d' ' -f1 /proc/loadavg)" >"$BENCH_OUT"
}

if [ "${1:-}" = --measure ]; then
	measure "$2"
	exit 0
fi

self=$(realpath "$0")
cd "$(dirname "$self")/.."
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, raised limits)"
BUILD=${BUILD:-build}
TL=$(realpath "${TL:-$BUILD/tcplimbo}")
POP=$(realpath "$BUILD/bench/tl-population")
[ -x "$TL" ] && [ -x "$POP" ] || die "build first (make)"
command -v curl >/dev/null || die "curl missing"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (Debian package 'time')"
BENCH_N=${BENCH_N:-200000}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_OWNERS=${BENCH_OWNERS:-50}
for v in $BENCH_N $BENCH_RUNS $BENCH_OWNERS; do
	[[ $v =~ ^[0-9]+$ ]] || die "not a number: '$v'"
done
[ "$BENCH_RUNS" -ge 1 ] && [ "$BENCH_RUNS" -le 100 ] || die "BENCH_RUNS must be 1..100"

work=$(mktemp -d /tmp/tl-bench-serve.XXXXXX)
pop_pid=
cleanup() {
	[ -n "$pop_pid" ] && { kill "$pop_pid" 2>/dev/null; wait "$pop_pid" 2>/dev/null; }
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export BENCH_OUT=$work/result TL

echo "N=$BENCH_N: building the population" >&2
# shellcheck disable=SC2086 # a list of options
"$POP" -n "$BENCH_N" -p "$BENCH_OWNERS" --hold 3600 ${BENCH_POP_ARGS:-} >"$work/pop.out" 2>"$work/pop.err" &
pop_pid=$!
population_ready "$work" "$pop_pid"
nsenter --net="/proc/$pop_pid/ns/net" -- "$self" --measure "$BENCH_RUNS"

get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $(cat "$BENCH_OUT")"; }
bps() { awk -v k="$1" -v s="$(get sockets)" 'BEGIN { if (k == "-" || s == 0) print "-"; else printf "%.0f", k * 1024 / s }'; }
echo "### $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, Linux $(uname -r), load $(get load)"
echo
echo "\`BENCH_N=$BENCH_N BENCH_RUNS=$BENCH_RUNS BENCH_OWNERS=$BENCH_OWNERS${BENCH_POP_ARGS:+ BENCH_POP_ARGS=\"$BENCH_POP_ARGS\"} ./bench/serve.sh\` ($("$TL" --version | head -1)); median of $BENCH_RUNS, wall seconds; $(get sockets) sockets seen"
echo
echo "| | median time (s) | vs ls --json (target ≤ 1.1) | peak RSS | bytes/socket |"
echo "|---|---:|---:|---:|---:|"
echo "| \`tcplimbo ls --json\` | $(get ls) | 1.00 | $(awk -v k="$(get ls_rss)" 'BEGIN { printf "%.1f MiB", k / 1024 }') | $(bps "$(get ls_rss)") |"
echo "| \`tcplimbo serve\` scrape (scan $(get scan) s) | $(get serve) | $(ratio "$(get serve)" "$(get ls)") | $(awk -v k="$(get serve_rss)" 'BEGIN { printf "%.1f MiB", k / 1024 }') | $(bps "$(get serve_rss)") |"
if [ "$(get ne)" != - ]; then
	echo "| node_exporter $(get ne_ver) tcpstat scrape | $(get ne) | $(ratio "$(get ne)" "$(get ls)") | $(awk -v k="$(get ne_rss)" 'BEGIN { printf "%.1f MiB", k / 1024 }') | $(bps "$(get ne_rss)") |"
else
	echo "| node_exporter tcpstat | not installed | | | |"
fi
