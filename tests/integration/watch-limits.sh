#!/usr/bin/env bash
# watch --backend bpf out of fds or memory says so, with the limit that
# caused it, instead of libbpf's EINVAL or ESRCH. Needs root and bpf.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_require_bpf_watch "$T/probe"

limited() { # ulimit option, value, texts...
	local opt=$1 val=$2 rc
	shift 2
	( ulimit "$opt" "$val" && exec "$TCPLIMBO" watch --backend bpf --seconds 1 ) >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" != 0 ] || fail "ulimit $opt $val: watch --backend bpf succeeded"
	[ "$rc" = 3 ] || fail "ulimit $opt $val: exit $rc, want 3: $(cat "$T/err")"
	for t in "$@"; do
		grep -qF -- "$t" "$T/err" || fail "ulimit $opt $val: message lacks '$t': $(cat "$T/err")"
	done
	ok "ulimit $opt $val: $(head -n 1 "$T/err")"
}
# Every limit from where libbpf's feature probes fail to where the load
# does: each must say fds, never EINVAL.
for n in 6 7 8 9 10; do
	limited -n "$n" "out of file descriptors" "ulimit -n, is $n"
	grep -q "Invalid argument" "$T/err" && fail "ulimit -n $n: still EINVAL"
done
# Under 20 MB the rescan thread's stack does not fit; from there to where
# bpf loads, libbpf ran out (ESRCH and EINVAL before): each names the limit.
limited -v 20480 "ulimit -v, is 20480 kB"
for v in 30720 40960 61440; do
	limited -v "$v" "out of memory" "ulimit -v, is $v kB"
	grep -q "No such process" "$T/err" && fail "ulimit -v $v: still ESRCH"
done

# auto falls back to poll and says why bpf could not start. Where the
# limit falls between what the snapshot needs and what bpf needs moves as
# the code changes, so try a range: under each limit watch either falls
# back and says why, or fails naming the limit; at least one must be a
# fallback.
told=
for v in 40960 51200 61440 71680; do
	( ulimit -v "$v" && exec "$TCPLIMBO" watch --seconds 1 ) >"$T/out" 2>"$T/err"
	if grep -qF "bpf unavailable: out of memory" "$T/err"; then
		told="$v kB: $(grep -F 'bpf unavailable' "$T/err")"
		break
	fi
	grep -qF "ulimit -v, is $v kB" "$T/err" ||
		{ cat "$T/err"; fail "auto under ulimit -v $v: neither a fallback nor the limit told"; }
done
[ -n "$told" ] || fail "auto never fell back to poll under a memory limit"
ok "auto under ulimit -v $told"
