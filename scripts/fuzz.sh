#!/bin/sh
# Runs every libFuzzer target built in BUILD_DIR/tests/fuzz for a bounded
# time each (FUZZ_SECONDS, default 30). Exits non-zero if any target finds
# a crash; crash inputs are left in BUILD_DIR/tests/fuzz/artifacts/.
# Seed inputs: tests/fuzz/seeds/TARGET/ (optional).
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
dir="$1/tests/fuzz"
secs="${FUZZ_SECONDS:-30}"
case "$secs" in
'' | *[!0-9]*)
	echo "fuzz.sh: FUZZ_SECONDS must be a number of seconds: $secs" >&2
	exit 2
	;;
esac
if [ ! -d "$dir" ]; then
	echo "fuzz.sh: no fuzz targets in $dir (configure with -Dfuzz=true)" >&2
	exit 2
fi

mkdir -p "$dir/artifacts"
found=0
failed=0
for t in "$dir"/fuzz_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	found=$((found + 1))
	name=$(basename "$t")
	corpus="$dir/corpus/$name"
	mkdir -p "$corpus"
	# Seeds in the source tree are read, never written; new inputs go to
	# the corpus in the build directory.
	seeds="$(dirname "$0")/../tests/fuzz/seeds/$name"
	[ -d "$seeds" ] || seeds=
	echo "== $name: ${secs}s"
	# timeout is a backstop in case the target hangs past -max_total_time.
	if ! timeout $((secs + 60)) "$t" -max_total_time="$secs" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$name-" "$corpus" $seeds; then
		echo "== $name: FAILED" >&2
		failed=$((failed + 1))
	fi
done
if [ "$found" -eq 0 ]; then
	echo "fuzz.sh: no fuzz_* executables in $dir" >&2
	exit 2
fi
echo "== $found target(s), $failed failed"
[ "$failed" -eq 0 ]
