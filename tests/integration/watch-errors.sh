#!/usr/bin/env bash
# Bad input to watch: one line naming the bad value, exit 3, nothing on
# stdout; and the tracepoint hint when tracefs is missing.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

bad() { # expected-text args...
	local want=$1
	shift
	"$TCPLIMBO" watch "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[ "$rc" = 3 ] || fail "watch $*: exit $rc, want 3"
	[ -s "$T/out" ] && fail "watch $*: wrote to stdout"
	[ "$(wc -l <"$T/err")" -le 2 ] || fail "watch $*: more than a line: $(cat "$T/err")"
	grep -qF -- "$want" "$T/err" || fail "watch $*: no '$want' in: $(cat "$T/err")"
	ok "watch $* -> exit 3 naming '$want'"
}
bad "'kernel'" --backend kernel
bad "'0'" --interval 0
bad "'5'" --interval 5
bad "'99999999999'" --interval 99999999999
bad "'-1'" --seconds -1
bad "'0'" --seconds 0
bad "'1x'" --seconds 1x
bad "'86401'" --seconds 86401
bad "'nowhere'" --bpf-attach nowhere
bad "'junk'" --state junk
bad "'70000'" --sport 70000
bad "'3'" --ring-size 3
bad "'0'" --ring-size 0
bad "'2048'" --ring-size 2048
bad "'extra'" extra
bad "--top draws a table" --top --json
bad "the kernel keeps only the first 15 bytes" --comm averyveryverylongname
"$TCPLIMBO" watch --help | grep -q -- "--backend" || fail "no help"
ok "help"

# --seconds ends it by itself, with its summary (timeout only bounds a
# watch that would not stop; how long it takes is bench's business).
timeout 60 "$TCPLIMBO" watch --backend poll --interval 100 --seconds 1 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || fail "poll --seconds 1: exit $rc$([ $rc = 124 ] && echo ', did not stop')"
grep -q "backend poll" "$T/err" || fail "poll not announced"
grep -q "0 transitions reported" "$T/err" || fail "idle namespace reported transitions: $(cat "$T/out")"
ok "--seconds 1 stops by itself, with its summary"
