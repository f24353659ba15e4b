#!/usr/bin/env bash
# The ls benchmark: for each N, build a socket population in a private
# network namespace (bench/population.c), then time, inside it and in the
# same run, the bare lower bound (bench/bound.c), tcplimbo ls --json,
# tcplimbo ls --no-owners, tcplimbo doctor --json (if the command has it),
# ss -tan, ss -tanp, netstat -tanp and lsof -iTCP; where the command has
# --owners-backend, also ls --json with each owners backend (bpf, /proc on
# every CPU, /proc on one thread). Reports medians, ratios, cost per socket
# (linearity) and tcplimbo's peak RSS per socket as markdown tables on
# stdout (progress goes to stderr). Not a test: `make check` never runs it;
# `make bench` does.
#
# The largest default population, 500,000 connections, is about 1,000,000
# sockets: it needs about 4 GiB of kernel memory and 1M fds (tl-population
# raises the limits it needs; fs.nr_open must allow 1M per process).
#
# Environment:
#   BENCH_N        connection counts (default "10000 50000 200000 500000")
#   BENCH_RUNS     timed runs per command, median reported (default 5)
#   BENCH_OWNERS   owner processes (default 50)
#   BENCH_SLOW     ss -tanp, netstat -tanp and lsof above BENCH_SLOW_N:
#                  "once" (default: one run each; they take ~100 s at 200k),
#                  "all" (BENCH_RUNS runs), "skip" (not run)
#   BENCH_SLOW_N   the threshold (default 50000)
#   BENCH_SLOW_MAX above this many connections the slow tools are not run
#                  at all (default 200000: ss -tanp would take many minutes)
#   BENCH_POP_ARGS extra tl-population options (shares, --tw-warmup, ...)
#   BUILD          build directory (default build); TL: tcplimbo binary
set -euo pipefail

# die, median, ratio, population_ready
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

now_ns() {
	date +%s%N
}

# run_timed CMD...: runs CMD with output discarded; sets WALL_US (wall
# clock), CPU_US (user + system time, which the machine's other load
# disturbs less than wall time) and RC.
run_timed() {
	local t0 t1
	t0=$(now_ns)
	RC=0
	/usr/bin/time -f '%U %S' -o "$CPU_FILE" "$@" >/dev/null 2>&1 || RC=$?
	t1=$(now_ns)
	WALL_US=$(((t1 - t0) / 1000))
	# On failure time(1) writes a "Command exited" line first.
	CPU_US=$(tail -1 "$CPU_FILE" | awk '{ printf "%d", ($1 + $2) * 1000000 }')
}

# Microseconds to seconds.
secs() {
	awk -v us="$1" 'BEGIN { if (us == "-") print "-"; else printf "%.3f", us / 1000000 }'
}

# ---------------------------------------------------------------------------
# Inside the namespace: time every command, append one result line to
# $BENCH_OUT. Runs rounds of all fast commands (so drift hits them alike),
# then the slow ones.
measure() {
	local n=$1 runs=$2 slow_runs=$3
	local tl=$TL bound=$BOUND
	local -A samples=() cpu=()
	local names=() cmds=()
	local i r name load
	CPU_FILE=$(mktemp /tmp/tl-bench-cpu.XXXXXX)
	load=$(cut -d' ' -f1 /proc/loadavg)

	names+=(bound)
	cmds+=("$bound")
	names+=(ls_json)
	cmds+=("$tl ls --json")
	names+=(ls_noown)
	cmds+=("$tl ls --no-owners")
	names+=(ss_tan)
	cmds+=("ss -tan")
	if "$tl" --help 2>&1 | grep -q '^ *doctor '; then
		names+=(doctor)
		cmds+=("$tl doctor --json")
	fi
	# The owners backends one by one, where the command can choose.
	if "$tl" --help 2>&1 | grep -q -- '--owners-backend'; then
		names+=(ls_bpf ls_proc ls_proc1)
		cmds+=("$tl --owners-backend bpf ls --json"
			"$tl --owners-backend proc ls --json"
			"$tl --owners-backend proc --threads 1 ls --json")
		# The bpf backend needs CAP_BPF and a kernel that loads it.
		if ! "$tl" --owners-backend bpf ls --no-header >/dev/null 2>&1; then
			echo "  ls --owners-backend bpf fails here: not timed" >&2
			names=("${names[@]/ls_bpf/}")
		fi
	fi

	# One untimed run of each warms the dentry and inode caches of /proc.
	for i in "${!cmds[@]}"; do
		[ -n "${names[$i]}" ] || continue
		${cmds[$i]} >/dev/null 2>&1 || true
	done
	for ((r = 0; r < runs; r++)); do
		for i in "${!cmds[@]}"; do
			name=${names[$i]}
			[ -n "$name" ] || continue
			# shellcheck disable=SC2086 # a command line, split on purpose
			run_timed ${cmds[$i]}
			# doctor exits 1 or 2 when it finds something; fine here.
			if [ "$RC" -ne 0 ] && ! { [ "$name" = doctor ] && [ "$RC" -le 2 ]; }; then
				die "'${cmds[$i]}' failed with status $RC"
			fi
			samples[$name]+="$WALL_US "
			cpu[$name]+="$CPU_US "
		done
		echo "  N=$n round $((r + 1))/$runs done" >&2
	done

	local slow_names=(ss_tanp netstat_tanp lsof)
	local slow_cmds=("ss -tanp" "netstat -tanp" "lsof -n -P -iTCP")
	if [ "$slow_runs" -gt 0 ]; then
		for i in "${!slow_cmds[@]}"; do
			command -v "${slow_cmds[$i]%% *}" >/dev/null || continue
			for ((r = 0; r < slow_runs; r++)); do
				# shellcheck disable=SC2086
				run_timed ${slow_cmds[$i]}
				samples[${slow_names[$i]}]+="$WALL_US "
				cpu[${slow_names[$i]}]+="$CPU_US "
				echo "  N=$n ${slow_cmds[$i]}: $((WALL_US / 1000)) ms wall, $((CPU_US / 1000)) ms cpu" >&2
			done
		done
	fi

	# Socket counts: the bound's dump, ls --json's objects, ss's lines.
	local bline sockets ls_count ss_count
	bline=$("$bound")
	sockets=$(awk '{ print $2 }' <<<"$bline")
	ls_count=$("$tl" ls --json | grep -c '^{"family"' || true)
	ss_count=$(ss -tan | tail -n +2 | wc -l)

	# Peak RSS in KiB, one run each.
	local rss_json rss_noown rss_doctor=- rss_proc=- rss_bpf=-
	rss_json=$( { /usr/bin/time -f %M "$tl" ls --json >/dev/null; } 2>&1 | tail -1)
	if [ -n "${samples[ls_proc]:-}" ]; then
		rss_proc=$( { /usr/bin/time -f %M "$tl" --owners-backend proc ls --json >/dev/null; } 2>&1 | tail -1)
	fi
	if [ -n "${samples[ls_bpf]:-}" ]; then
		rss_bpf=$( { /usr/bin/time -f %M "$tl" --owners-backend bpf ls --json >/dev/null; } 2>&1 | tail -1)
	fi
	rss_noown=$( { /usr/bin/time -f %M "$tl" ls --no-owners >/dev/null; } 2>&1 | tail -1)
	# The reference for the memory target: ss itself, with no owners.
	local rss_ss
	rss_ss=$( { /usr/bin/time -f %M ss -tan >/dev/null; } 2>&1 | tail -1)
	if [ -n "${samples[doctor]:-}" ]; then
		rss_doctor=$( { /usr/bin/time -f %M "$tl" doctor --json >/dev/null || true; } 2>&1 | tail -1)
	fi
	# Each program's floor: its peak when it only starts and exits (the
	# lowest of three), which no number of sockets changes.
	local rss_floor rss_ss_floor
	rss_floor=$(for i in 1 2 3; do { /usr/bin/time -f %M "$tl" --version >/dev/null; } 2>&1 | tail -1; done | sort -n | head -1)
	rss_ss_floor=$(for i in 1 2 3; do { /usr/bin/time -f %M ss -V >/dev/null; } 2>&1 | tail -1; done | sort -n | head -1)

	local line="n=$n sockets=$sockets ls_count=$ls_count ss_count=$ss_count"
	line+=" rss_json=$rss_json rss_noown=$rss_noown rss_doctor=$rss_doctor"
	line+=" rss_proc=$rss_proc rss_bpf=$rss_bpf rss_ss=$rss_ss"
	line+=" rss_floor=$rss_floor rss_ss_floor=$rss_ss_floor"
	line+=" load=$load load_end=$(cut -d' ' -f1 /proc/loadavg)"
	local chose
	chose=$({ "$tl" -v ls --no-header 2>&1 >/dev/null || true; } | sed -n 's/.*owners from \([a-z]*\).*/\1/p' | head -1)
	line+=" owners_backend=${chose:--}"
	line+=" bound_detail='$bline'"
	for name in bound ls_json ls_noown ss_tan doctor ss_tanp netstat_tanp lsof ls_bpf ls_proc ls_proc1; do
		if [ -n "${samples[$name]:-}" ]; then
			line+=" $name=$(tr ' ' '\n' <<<"${samples[$name]}" | grep . | median)"
			line+=" ${name}_runs=$(wc -w <<<"${samples[$name]}")"
			line+=" ${name}_cpu=$(tr ' ' '\n' <<<"${cpu[$name]}" | grep . | median)"
		else
			line+=" $name=- ${name}_runs=0 ${name}_cpu=-"
		fi
	done
	echo "$line" >>"$BENCH_OUT"
	rm -f "$CPU_FILE"
}

if [ "${1:-}" = --measure ]; then
	shift
	measure "$@"
	exit 0
fi

# ---------------------------------------------------------------------------
# Outside: build each population, measure inside it, print the table.
self=$(realpath "$0")
cd "$(dirname "$self")/.."
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, raised limits)"

BUILD=${BUILD:-build}
TL=$(realpath "${TL:-$BUILD/tcplimbo}")
BOUND=$(realpath "$BUILD/bench/tl-bound")
POP=$(realpath "$BUILD/bench/tl-population")
[ -x "$TL" ] || die "no $TL: build first (make)"
if [ ! -x "$BOUND" ] || [ ! -x "$POP" ]; then
	die "no bench helpers in $BUILD/bench: build first"
fi
[ -x /usr/bin/time ] || die "/usr/bin/time missing (Debian package 'time')"

BENCH_N=${BENCH_N:-10000 50000 200000 500000}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_OWNERS=${BENCH_OWNERS:-50}
BENCH_SLOW=${BENCH_SLOW:-once}
BENCH_SLOW_N=${BENCH_SLOW_N:-50000}
BENCH_SLOW_MAX=${BENCH_SLOW_MAX:-200000}
case $BENCH_SLOW in once | all | skip) ;; *) die "BENCH_SLOW must be once, all or skip" ;; esac
for v in $BENCH_N $BENCH_RUNS $BENCH_OWNERS $BENCH_SLOW_N $BENCH_SLOW_MAX; do
	[[ $v =~ ^[0-9]+$ ]] || die "not a number: '$v'"
done
if [ "$BENCH_RUNS" -lt 1 ] || [ "$BENCH_RUNS" -gt 100 ]; then
	die "BENCH_RUNS must be 1..100"
fi

work=$(mktemp -d /tmp/tl-bench.XXXXXX)
pop_pid=
cleanup() {
	if [ -n "$pop_pid" ]; then
		kill "$pop_pid" 2>/dev/null || true
		wait "$pop_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export BENCH_OUT=$work/results TL BOUND
: >"$BENCH_OUT"

for n in $BENCH_N; do
	slow_runs=$BENCH_RUNS
	if [ "$n" -gt "$BENCH_SLOW_N" ]; then
		case $BENCH_SLOW in
		once) slow_runs=1 ;;
		skip) slow_runs=0 ;;
		esac
	fi
	[ "$n" -gt "$BENCH_SLOW_MAX" ] && slow_runs=0
	echo "N=$n: building the population" >&2
	# shellcheck disable=SC2086 # BENCH_POP_ARGS is a list of options
	"$POP" -n "$n" -p "$BENCH_OWNERS" --hold 3600 ${BENCH_POP_ARGS:-} \
		>"$work/pop.out" 2>"$work/pop.err" &
	pop_pid=$!
	population_ready "$work" "$pop_pid"
	nsenter --net="/proc/$pop_pid/ns/net" -- "$self" --measure "$n" "$BENCH_RUNS" "$slow_runs"
	kill "$pop_pid"
	wait "$pop_pid" || true
	pop_pid=
	# Let the kernel finish tearing down the old namespace's sockets.
	sleep 5
done

# ---------------------------------------------------------------------------
get() { # get KEY LINE
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"
}

kernel=$(uname -r)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
tlver=$("$TL" --version 2>/dev/null | head -1 || true)
echo "### $(date -u '+%Y-%m-%d %H:%M UTC'), $cpus CPUs ($model), $mem, Linux $kernel"
echo
echo "\`BENCH_N=\"$BENCH_N\" BENCH_RUNS=$BENCH_RUNS BENCH_OWNERS=$BENCH_OWNERS BENCH_SLOW=$BENCH_SLOW${BENCH_POP_ARGS:+ BENCH_POP_ARGS=\"$BENCH_POP_ARGS\"} ./bench/run.sh\` ($tlver; $BENCH_OWNERS owner processes; median of $BENCH_RUNS runs, seconds; slow tools above $BENCH_SLOW_N connections: $BENCH_SLOW)"
echo
echo "Wall seconds, median:"
echo
echo "| connections | sockets | bound | ls --json | ls --no-owners | ss -tan | ss -tanp | netstat -tanp | lsof -iTCP | doctor --json |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
while read -r line; do
	row="| $(get n "$line") | $(get sockets "$line")"
	for k in bound ls_json ls_noown ss_tan ss_tanp netstat_tanp lsof doctor; do
		v=$(secs "$(get "$k" "$line")")
		runs=$(get "${k}_runs" "$line")
		[ "$runs" = 1 ] && v="$v (1 run)"
		row+=" | $v"
	done
	echo "$row |"
done <"$BENCH_OUT"
echo
echo "CPU seconds (user + system), median; less disturbed by other load than wall time:"
echo
echo "| connections | load avg | bound | ls --json | ls --no-owners | ss -tan | ss -tanp | netstat -tanp | lsof -iTCP | doctor --json | ls --json / bound |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
while read -r line; do
	row="| $(get n "$line") | $(get load "$line")"
	for k in bound ls_json ls_noown ss_tan ss_tanp netstat_tanp lsof doctor; do
		row+=" | $(secs "$(get "${k}_cpu" "$line")")"
	done
	echo "$row | $(ratio "$(get ls_json_cpu "$line")" "$(get bound_cpu "$line")") |"
done <"$BENCH_OUT"
echo
echo "Ratios of wall times, memory:"
echo
echo "| connections | ls --json / bound (≤ 1.5) | ss -tanp / ls --json | netstat -tanp / ls --json | ls --no-owners / ss -tan (≤ 1) | doctor / ls --json | peak RSS ls --json | bytes/socket (≤ 300) | bytes/socket --no-owners | bytes/socket doctor |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
while read -r line; do
	s=$(get sockets "$line")
	bps() { awk -v k="$1" -v s="$s" 'BEGIN { if (k == "-" || s == 0) print "-"; else printf "%.0f", k * 1024 / s }'; }
	rj=$(get rss_json "$line")
	echo "| $(get n "$line") | $(ratio "$(get ls_json "$line")" "$(get bound "$line")") |" \
		"$(ratio "$(get ss_tanp "$line")" "$(get ls_json "$line")") |" \
		"$(ratio "$(get netstat_tanp "$line")" "$(get ls_json "$line")") |" \
		"$(ratio "$(get ls_noown "$line")" "$(get ss_tan "$line")") |" \
		"$(ratio "$(get doctor "$line")" "$(get ls_json "$line")") |" \
		"$(awk -v k="$rj" 'BEGIN { printf "%.1f MiB", k / 1024 }') |" \
		"$(bps "$rj") | $(bps "$(get rss_noown "$line")") | $(bps "$(get rss_doctor "$line")") |"
done <"$BENCH_OUT"
if grep -q 'ls_proc_runs=[1-9]' "$BENCH_OUT"; then
	echo
	echo "Owners backends, wall seconds (median) and ratios; ls --json uses the backend auto chose (owners_backend):"
	echo
	echo "| connections | sockets | auto chose | ls --json | ss -tan | ls --json / ss -tan (≤ 1.0) | bpf | /proc, all CPUs | /proc, 1 thread | bound | /proc all CPUs / bound (≤ 1.0) | /proc 1 thread / bound | ls --no-owners / ss -tan (≤ 0.8) |"
	echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	while read -r line; do
		echo "| $(get n "$line") | $(get sockets "$line") | $(get owners_backend "$line") |" \
			"$(secs "$(get ls_json "$line")") | $(secs "$(get ss_tan "$line")") |" \
			"$(ratio "$(get ls_json "$line")" "$(get ss_tan "$line")") |" \
			"$(secs "$(get ls_bpf "$line")") | $(secs "$(get ls_proc "$line")") |" \
			"$(secs "$(get ls_proc1 "$line")") | $(secs "$(get bound "$line")") |" \
			"$(ratio "$(get ls_proc "$line")" "$(get bound "$line")") |" \
			"$(ratio "$(get ls_proc1 "$line")" "$(get bound "$line")") |" \
			"$(ratio "$(get ls_noown "$line")" "$(get ss_tan "$line")") |"
	done <"$BENCH_OUT"
	echo
	echo "Linearity: wall microseconds per socket (flat across sizes means linear), and peak RSS bytes per socket (≤ 150):"
	echo
	echo "| connections | sockets | ls --json µs/socket | bpf µs/socket | /proc all CPUs µs/socket | ls --no-owners µs/socket | ss -tan µs/socket | bytes/socket ls --json | bytes/socket bpf | bytes/socket /proc | bytes/socket --no-owners | bytes/socket ss -tan | load avg start → end |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	while read -r line; do
		s=$(get sockets "$line")
		per() { awk -v t="$1" -v s="$s" 'BEGIN { if (t == "-" || s == 0) print "-"; else printf "%.2f", t / s }'; }
		bps() { awk -v k="$1" -v s="$s" 'BEGIN { if (k == "-" || s == 0) print "-"; else printf "%.0f", k * 1024 / s }'; }
		echo "| $(get n "$line") | $s | $(per "$(get ls_json "$line")") | $(per "$(get ls_bpf "$line")") |" \
			"$(per "$(get ls_proc "$line")") | $(per "$(get ls_noown "$line")") | $(per "$(get ss_tan "$line")") |" \
			"$(bps "$(get rss_json "$line")") | $(bps "$(get rss_bpf "$line")") | $(bps "$(get rss_proc "$line")") |" \
			"$(bps "$(get rss_noown "$line")") | $(bps "$(get rss_ss "$line")") |" \
			"$(get load "$line") → $(get load_end "$line") |"
	done <"$BENCH_OUT"
fi
echo
echo "Memory above each program's floor (its peak RSS when it only starts and exits: \`tcplimbo --version\`, \`ss -V\`), the part that grows with the sockets:"
echo
echo "| connections | sockets | floor tcplimbo | floor ss | floor tcplimbo, bytes/socket | bytes/socket above floor ls --json | --no-owners | ss -tan |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
while read -r line; do
	s=$(get sockets "$line")
	fl=$(get rss_floor "$line")
	fs=$(get rss_ss_floor "$line")
	above() { awk -v k="$1" -v f="$2" -v s="$s" 'BEGIN { if (k == "-" || f == "-" || k == "" || f == "" || s == 0) print "-"; else printf "%.0f", (k - f) * 1024 / s }'; }
	mib() { awk -v k="$1" 'BEGIN { if (k == "-" || k == "") print "-"; else printf "%.1f MiB", k / 1024 }'; }
	echo "| $(get n "$line") | $s | $(mib "$fl") | $(mib "$fs") | $(above "$fl" 0) |" \
		"$(above "$(get rss_json "$line")" "$fl") | $(above "$(get rss_noown "$line")" "$fl") |" \
		"$(above "$(get rss_ss "$line")" "$fs") |"
done <"$BENCH_OUT"
echo
echo "Socket counts seen (TIME_WAIT entries come and go, so they differ by a few):"
echo
while read -r line; do
	echo "- N=$(get n "$line"): bound $(get sockets "$line"), ls --json $(get ls_count "$line"), ss -tan $(get ss_count "$line"); bound detail: \`$(sed -n "s/.*bound_detail='\([^']*\)'.*/\1/p" <<<"$line")\`"
done <"$BENCH_OUT"
