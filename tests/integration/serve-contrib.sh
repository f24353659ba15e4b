#!/usr/bin/env bash
# The files in contrib/ are checked by their own tools: the alert rules by
# promtool check rules and their unit tests by promtool test rules, the
# dashboard is JSON with a query in every panel, each narrowed to the
# chosen hosts, and the systemd unit
# passes systemd-analyze verify (where systemd-analyze exists).
. "$(dirname "$0")/lib.sh"
C=${SRCDIR:-.}/contrib
command -v promtool >/dev/null || skip "promtool not installed (Debian: prometheus)"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
promtool check rules "$C/prometheus/alerts.yml" >"$T/out" 2>&1 ||
	{ cat "$T/out"; fail "promtool check rules"; }
grep -q "SUCCESS: 7 rules found" "$T/out" || { cat "$T/out"; fail "rule count"; }
ok "promtool check rules: 7 rules"
(cd "$C/prometheus" && promtool test rules alerts_test.yml) >"$T/out" 2>&1 ||
	{ cat "$T/out"; fail "promtool test rules"; }
ok "promtool test rules"
jq -e '[.panels[] | (.targets | length) > 0 and all(.targets[]; (.expr | length) > 0)] | all' \
	"$C/grafana/tcplimbo.json" >/dev/null || fail "dashboard: a panel without a query"
ok "dashboard: $(jq '.panels | length' "$C/grafana/tcplimbo.json") panels, each with a query"
# A fleet's dashboard: every series a query reads is narrowed to the hosts
# chosen in the instance variable (serve-prometheus runs each query).
jq -e '.templating.list | any(.name == "instance")' "$C/grafana/tcplimbo.json" >/dev/null ||
	fail "dashboard: no instance variable"
while IFS= read -r expr; do
	all=$(grep -o 'tcplimbo_[a-z_]*' <<<"$expr" | wc -l)
	narrowed=$(grep -o 'tcplimbo_[a-z_]*{instance=~"\$instance"' <<<"$expr" | wc -l)
	[ "$all" = "$narrowed" ] || fail "dashboard: a series not narrowed by \$instance: $expr"
done < <(jq -r '.panels[].targets[].expr' "$C/grafana/tcplimbo.json")
ok "dashboard: every query narrowed by \$instance"
if command -v systemd-analyze >/dev/null; then
	# The unit as meson installs it, with this build's binary.
	sed "s|@SBINDIR@/tcplimbo|$(realpath "$TCPLIMBO")|" \
		"$C/systemd/tcplimbo.service.in" >"$T/tcplimbo.service"
	systemd-analyze verify --man=no "$T/tcplimbo.service" >"$T/out" 2>&1 ||
		{ cat "$T/out"; fail "systemd-analyze verify"; }
	# Units of other packages it loads may warn of their own faults
	# (unicorn's unit has one): only ours count.
	grep -v -E '^/(usr/)?lib/systemd/system/|^/etc/systemd/system/' "$T/out" >"$T/ours"
	[ -s "$T/ours" ] && { cat "$T/ours"; fail "systemd-analyze verify warned"; }
	ok "systemd-analyze verify"
fi
