#!/usr/bin/env bash
# serve under load and faults. 50 concurrent scrapers for 20 s all get 200
# and complete bodies, and they share scans (fewer scans than scrapes).
# A client that connects and sends nothing is dropped after the connection
# timeout and blocks nobody meanwhile. 1,000 scrapes in a row leave the
# resident memory within 4 MiB of where it was (a leak check). Network
# namespaces appearing and vanishing during --all-netns scans are normal:
# every scrape still answers 200.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/serve-lib.sh"
command -v curl >/dev/null || skip "curl not installed"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
PY="python3 $(dirname "$0")/serve-load.py"
PORT=19862
URL=http://127.0.0.1:$PORT
# ASan keeps freed memory in quarantine, which would read as growth.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"

tl_listen_idle 3000 120
serve_closed_client 3000 || fail "client"
# Leak check first, before 50 threads have spread malloc's arenas: warm
# up, then 1,000 scrapes in a row, each a scan. --no-owners keeps each
# scan to the dump, the rules and the rendering (milliseconds, where a
# machine-wide /proc pass takes tens); the load below runs the owners
# path thousands of times, and the ASan run checks it for leaks at exit.
"$TCPLIMBO" --no-owners serve --listen 127.0.0.1:$PORT -N /proc/self/ns/net 2>>"$T/serve.log" &
SERVE=$!
tl_wait_for 10 curl -sf -o /dev/null "$URL/" || fail "serve --no-owners did not start"
$PY seq $PORT 50 >/dev/null || fail "warm-up"
before=$($PY rss $SERVE)
$PY seq $PORT 1000 >"$T/seq" || { cat "$T/seq"; fail "1000 scrapes"; }
after=$($PY rss $SERVE)
curl -sf -o "$T/m" "$URL/metrics" || fail "scrape after 1000"
[ "$(serve_value tcplimbo_scans_total "$T/m")" -ge 1050 ] || fail "not a scan per scrape"
[ $((after - before)) -le 4096 ] ||
	fail "resident memory grew from $before to $after KiB over 1000 scrapes"
ok "1000 scrapes, 1000 scans: RSS $before -> $after KiB"
kill $SERVE
wait $SERVE
rc=$?
[ $rc = 0 ] || fail "exit $rc after 1000 scrapes"

serve_start "$URL/" --listen 127.0.0.1:$PORT -N /proc/self/ns/net

# A silent client first: it must not hold up the 50 scrapers.
$PY idle $PORT 30 >"$T/idle" &
IDLE=$!
$PY hammer $PORT 50 20 >"$T/hammer" || { cat "$T/hammer"; fail "50 scrapers"; }
curl -sf -o "$T/m" "$URL/metrics" || fail "scrape after the load"
scrapes=$(serve_value tcplimbo_scrapes_total "$T/m")
scans=$(serve_value tcplimbo_scans_total "$T/m")
[ "$scans" -lt "$scrapes" ] || fail "$scans scans for $scrapes scrapes: no sharing"
ok "50 scrapers x 20 s: $(cut -d' ' -f2 "$T/hammer") scrapes all 200 and complete; $scans scans for $scrapes scrapes"
wait $IDLE
read -r secs bytes <"$T/idle"
[ "$secs" != open ] || fail "the silent connection was never closed"
# Not at once (it was not refused), and within the 30 s it was given.
awk -v s="$secs" 'BEGIN { exit !(s >= 5) }' ||
	fail "the silent connection closed after ${secs}s, before the 10 s timeout"
ok "a silent client is dropped after ${secs}s and blocked no one"
# Its log lines, written from several threads, stay whole lines.
if grep -qv '^tcplimbo: ' "$T/serve.log" || grep -q 'tcplimbo: .*tcplimbo: ' "$T/serve.log"; then
	cat "$T/serve.log"
	fail "serve's log lines are cut into each other"
fi
ok "serve's log: whole lines ($(wc -l <"$T/serve.log") of them)"
kill $SERVE
wait $SERVE
rc=$?
[ $rc = 0 ] || fail "exit $rc after the load"

# Namespaces that come and go while --all-netns scans.
serve_start "$URL/" --listen 127.0.0.1:$PORT --all-netns
end=$((SECONDS + 6))
(while [ $SECONDS -lt $end ]; do unshare -n sleep 0.05; done) &
CHURN=$!
codes=
while [ $SECONDS -lt $end ]; do
	codes="$codes $(curl -s -o "$T/c" -w '%{http_code}' -m 20 "$URL/metrics")"
done
wait $CHURN
curl -sf -o "$T/c" "$URL/metrics" || fail "scrape after the churn"
n=$(echo $codes | wc -w)
[ "$n" -ge 2 ] || fail "only $n scrapes during the churn"
[ -z "$(echo $codes | tr ' ' '\n' | grep -v '^200$')" ] || fail "codes during churn:$codes"
ok "$n scrapes during namespace churn, all 200 ($(serve_value tcplimbo_netns_vanished "$T/c") vanished in the last scan)"
kill $SERVE
wait $SERVE
