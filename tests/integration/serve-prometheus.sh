#!/usr/bin/env bash
# End to end with a real Prometheus (the Debian package) scraping serve
# every second on loopback, with contrib's alert rules (a test copy with a
# 2 s threshold and for:). The post's server never accepts; one client
# connected, wrote and closed. Prometheus must show queue_closed 1 for
# that listener in this namespace, oldest_seconds growing between scrapes,
# the not-accepting alert firing with the server's comm, and every query
# of the Grafana dashboard answering without error. Then the server exits
# and the alert resolves. Every wait is bounded.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/serve-lib.sh"
command -v prometheus >/dev/null || skip "prometheus not installed (Debian: prometheus)"
command -v curl >/dev/null || skip "curl not installed"
C=${SRCDIR:-.}/contrib
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SPORT=19860
PPORT=19090
API=http://127.0.0.1:$PPORT/api/v1
NS=$(serve_own_label)

sed -e 's/tcplimbo_listen_queue_oldest_seconds > 30/tcplimbo_listen_queue_oldest_seconds > 2/' \
	-e 's/for: .*/for: 2s/' "$C/prometheus/alerts.yml" >"$T/alerts.yml"
grep -q 'oldest_seconds > 2$' "$T/alerts.yml" || fail "test copy of the rules"
cat >"$T/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $T/alerts.yml
scrape_configs:
  - job_name: tcplimbo
    static_configs:
      - targets: ['127.0.0.1:$SPORT']
EOC

tl_listen_idle 3000 120
serve_closed_client 3000 || fail "client"
serve_start "http://127.0.0.1:$SPORT/" --listen 127.0.0.1:$SPORT -N /proc/self/ns/net
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address=127.0.0.1:$PPORT >"$T/prom.log" 2>&1 &
PROM=$!
tl_wait_for 30 curl -sf "$API/status/buildinfo" ||
	{ tail -20 "$T/prom.log"; fail "prometheus did not start"; }
ok "prometheus $(curl -s "$API/status/buildinfo" | jq -r .data.version) scraping serve every second"

# query EXPR: prints the first sample's value ("" when none).
query() { curl -s -G "$API/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
SEL="netns=\"$NS\",listener=\"127.0.0.1:3000\""
closed_is_1() { [ "$(query "tcplimbo_listen_queue_closed{$SEL}")" = 1 ]; }
tl_wait_for 30 closed_is_1 ||
	{ curl -s "$API/targets" | jq .; fail "queue_closed never 1 for $SEL"; }
ok "tcplimbo_listen_queue_closed{$SEL} = 1"

a1=$(query "tcplimbo_listen_queue_oldest_seconds{$SEL}")
grows() { awk -v a="$a1" -v b="$(query "tcplimbo_listen_queue_oldest_seconds{$SEL}")" \
	'BEGIN { exit !(b > a) }'; }
tl_wait_for 10 grows || fail "oldest_seconds did not grow from $a1"
ok "oldest_seconds grows ($a1 -> $(query "tcplimbo_listen_queue_oldest_seconds{$SEL}"))"

firing() {
	curl -s "$API/alerts" | jq -e --arg ns "$NS" '[.data.alerts[] |
		select(.labels.alertname == "TcpLimboNotAccepting" and .state == "firing" and
		       .labels.netns == $ns and .labels.listener == "127.0.0.1:3000" and
		       .labels.comm == "python3")] | length == 1' >/dev/null
}
tl_wait_for 60 firing || { curl -s "$API/alerts" | jq .; fail "not-accepting never fired"; }
curl -s "$API/alerts" | jq -r '.data.alerts[] | select(.labels.alertname == "TcpLimboNotAccepting") | .annotations.summary' |
	grep -q "python3 is not accepting connections on 127.0.0.1:3000" || fail "summary"
ok "TcpLimboNotAccepting firing for python3 on 127.0.0.1:3000"

# Every dashboard query, with Grafana's variables filled in.
n=0
while IFS= read -r expr; do
	q=${expr//\$netns/.*}
	q=${q//\$instance/.*}
	q=${q//\$__rate_interval/1m}
	st=$(curl -s -G "$API/query" --data-urlencode "query=$q" | jq -r .status)
	[ "$st" = success ] || fail "dashboard query failed: $q"
	n=$((n + 1))
done < <(jq -r '.panels[].targets[].expr' "$C/grafana/tcplimbo.json")
[ $n -ge 10 ] || fail "only $n dashboard queries"
# And the panels that show our listener have data.
[ -n "$(query "tcplimbo_listen_queue_oldest_seconds{netns=~\".*\"} > 0")" ] ||
	fail "dashboard's oldest-queued panel is empty"
ok "$n dashboard queries answered"

# The scenario ends: the alert resolves.
kill $SERVER
wait $SERVER 2>/dev/null
not_firing() { ! firing; }
tl_wait_for 60 not_firing || fail "the alert did not resolve"
ok "server gone: the alert resolved"
kill $PROM
wait $PROM 2>/dev/null
