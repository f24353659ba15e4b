# shellcheck shell=bash
# Functions the benchmark scripts share (bench/run.sh, bench/serve.sh),
# sourced by each so that a fix to one reaches both. Not a script of its
# own: it only defines functions.

# die MESSAGE: the script's name (bench/run.sh, bench/serve.sh) and the
# message on stderr, then exit 1. The name comes from $0, which is the
# same script when run.sh or serve.sh re-runs itself inside the namespace.
die() {
	echo "bench/${0##*/}: $*" >&2
	exit 1
}

# watch_started ERRFILE BACKEND: waits up to 10 s for a watch started in
# the background with its stderr in ERRFILE to say it runs on BACKEND;
# dies with what it said otherwise. (Remove ERRFILE before starting it:
# the shell truncates it only once the child runs, and a stale line would
# start the measurement before watch is attached.)
watch_started() {
	for _ in $(seq 100); do grep -q "backend $2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	die "watch did not start on $2: $(cat "$1")"
}

# Median of the numbers on stdin, one a line; "-" when there are none,
# the mark the tables use for a missing value.
median() {
	sort -n | awk '{ v[NR] = $1 }
		END { if (NR == 0) { print "-"; exit }
		      if (NR % 2) print v[(NR + 1) / 2];
		      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A/B with two decimals, or "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-";
		else printf "%.2f", a / b }'
}

# population_ready WORK PID: waits, at most 900 s (setup plus the 60 s
# TIME_WAIT warm-up), until tl-population (PID, output in WORK/pop.out and
# WORK/pop.err) says "ready", and copies that line to stderr; dies if it
# exits first or never gets there.
population_ready() {
	local work=$1 pid=$2 i
	for ((i = 0; i < 900; i++)); do
		grep -q '^ready ' "$work/pop.out" && break
		kill -0 "$pid" 2>/dev/null || { cat "$work/pop.err" >&2; die "tl-population failed"; }
		sleep 1
	done
	grep '^ready ' "$work/pop.out" >&2 || die "tl-population not ready after 900 s"
}
