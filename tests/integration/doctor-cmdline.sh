#!/usr/bin/env bash
# A command line too long to show whole is shown cut, at a character
# boundary, and says so: with "..." in text, with cmdline_truncated in
# JSON (where "..." would pass for part of it). A cut one must not pass
# for whole; a short one is shown whole.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
TL_ABS=$(realpath "$TCPLIMBO")

# argv[0] of 600 three-byte characters: every cut lands in one.
LONG=$(printf '\xe6\x9c\x8d%.0s' $(seq 600))
bash -c 'exec -a "$1" "$2" lab server --port 3051 --mode no-accept --seconds 60' \
	sh "$LONG" "$TL_ABS" >/dev/null 2>&1 &
"$TCPLIMBO" lab server --port 3052 --mode no-accept --seconds 60 >/dev/null 2>&1 &
tl_wait_for 5 tl_listening 3051 || fail "long server not listening"
tl_wait_for 5 tl_listening 3052 || fail "short server not listening"
for p in 3051 3052; do
	"$TCPLIMBO" lab client --port $p --wait 60 --no-close >/dev/null 2>&1 &
done
tl_wait_for 5 sh -c '[ "$(ss -Htn state established | wc -l)" -ge 4 ]' || fail "clients not connected"

"$TCPLIMBO" doctor --queue-age 0 >"$T/d.txt"
rc=$?
[ $rc = 1 ] || [ $rc = 2 ] || { cat "$T/d.txt"; fail "doctor exit $rc"; }
long=$(grep -a '^== pid .*(lab-server): 服' "$T/d.txt")
short=$(grep -a "^== pid .*(lab-server): $TL_ABS lab server --port 3052" "$T/d.txt")
[ -n "$long" ] && [ -n "$short" ] || { cat "$T/d.txt"; fail "the two servers' headers"; }
# Whole characters, then "...": no escaped half of one.
printf '%s\n' "$long" | grep -qaE '^== pid [0-9]+ \(lab-server\): (服)+\.\.\.$' ||
	fail "long cmdline not cut at a character with '...': $long"
case $short in *...) fail "short cmdline marked as cut: $short" ;; esac
ok "text: the long cmdline cut with '...' ($(printf '%s' "$long" | wc -c) bytes), the short one whole"

"$TCPLIMBO" doctor --queue-age 0 --json >"$T/d.json"
jq -e '[.findings[] | select(.local_port == 3051)] as $f |
	($f | length) >= 1 and ($f[0].cmdline | test("^(服)+$")) and
	($f[0].cmdline | length) < 600 and $f[0].cmdline_truncated == true' \
	"$T/d.json" >/dev/null || { jq -c '[.findings[] | [.cmdline, .cmdline_truncated]]' "$T/d.json"; fail "JSON: the long cmdline"; }
jq -e --arg c "$TL_ABS lab server --port 3052 --mode no-accept --seconds 60" \
	'[.findings[] | select(.local_port == 3052)] | .[0].cmdline == $c and .[0].cmdline_truncated == false' \
	"$T/d.json" >/dev/null || { jq -c '[.findings[] | [.cmdline, .cmdline_truncated]]' "$T/d.json"; fail "JSON: the short cmdline"; }
ok "JSON: the long cmdline cut at a character with cmdline_truncated, the short one whole"
